// The stats port: nutcracker's JSON object with exact counts; and -D.
#include <gtest/gtest.h>

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <string>
#include <thread>

#include "tests/e2e/harness.h"
#include "tests/e2e/redis_pool_helpers.h"
#include "tests/e2e/stats_json.h"

namespace walnut::e2e {
namespace {

using namespace std::chrono_literals;

const char* const kPoolFields[] = {"client_eof", "client_err", "client_connections",
                                   "server_ejects", "forward_error", "fragments"};
const char* const kServerFields[] = {
    "server_eof",     "server_err",     "server_timedout", "server_connections",
    "server_ejected_at", "requests",    "request_bytes",   "responses",
    "response_bytes", "in_queue",       "in_queue_bytes",  "out_queue",
    "out_queue_bytes"};

TEST(Stats, JsonHasNutcrackersFieldsAndExactCounts) {
  TempDir dir;
  RedisServer a(dir), b(dir);
  int stats_port = free_port();
  Walnut w(dir,
           "alpha:\n"
           "  listen: 127.0.0.1:LISTEN_PORT\n"
           "  redis: true\n"
           "  hash: md5\n"
           // Not ketama, which places keys by the first server's label, and
           // so by its random port: the MGET must split the same way every run.
           "  distribution: modula\n"
           "  servers:\n"
           "   - 127.0.0.1:" + std::to_string(a.port()) + ":1\n"
           "   - 127.0.0.1:" + std::to_string(b.port()) + ":1 second\n",
           {"-s", std::to_string(stats_port), "-a", "127.0.0.1", "-i", "50"});
  std::vector<std::string> keys;
  {
    Client c(w.port());
    for (int i = 0; i < 10; ++i) {
      keys.push_back("key:" + std::to_string(i));
      ASSERT_EQ(c.call({"SET", keys.back(), "v"}), "+OK\r\n");
    }
    for (const auto& k : keys) ASSERT_EQ(c.call({"GET", k}), bulk("v"));
    std::vector<std::string> mget = {"MGET"};
    mget.insert(mget.end(), keys.begin(), keys.end());
    ASSERT_EQ(c.call(mget).substr(0, 4), "*10\r");
  }
  const std::string first_name = "127.0.0.1:" + std::to_string(a.port());
  auto [text, doc] = read_stats_until(stats_port, [&](const Json& j) {
    auto both = [&](const char* f) {
      return number_at(j, {"alpha", first_name, f}) + number_at(j, {"alpha", "second", f});
    };
    return number_at(j, {"alpha", "client_eof"}) >= 2 && both("requests") >= 22 &&
           both("responses") >= 22;
  });
  ASSERT_NE(doc, nullptr) << "not JSON: " << text;
  for (const char* top : {"service", "source", "version"}) {
    ASSERT_NE(doc->get(top), nullptr) << top;
    EXPECT_EQ(doc->get(top)->kind, Json::kString) << top;
  }
  for (const char* top : {"uptime", "timestamp", "total_connections", "curr_connections"}) {
    ASSERT_NE(doc->get(top), nullptr) << top;
    EXPECT_EQ(doc->get(top)->kind, Json::kNumber) << top;
  }
  const Json* pool = doc->get("alpha");
  ASSERT_NE(pool, nullptr) << text;
  for (const char* f : kPoolFields) {
    ASSERT_NE(pool->get(f), nullptr) << f;
    EXPECT_EQ(pool->get(f)->kind, Json::kNumber) << f;
  }
  EXPECT_EQ(pool->get("fragments")->number, 2u) << "one MGET split over 2 servers";
  // Our client, and the harness's probe that waited for the port to open.
  EXPECT_EQ(pool->get("client_eof")->number, 2u);
  EXPECT_EQ(pool->get("forward_error")->number, 0u);
  // Servers are keyed by name, else host:port.
  const Json* first = pool->get(first_name);
  const Json* second = pool->get("second");
  ASSERT_NE(first, nullptr) << text;
  ASSERT_NE(second, nullptr) << text;
  unsigned long long requests = 0, responses = 0;
  for (const Json* s : {first, second}) {
    for (const char* f : kServerFields) {
      ASSERT_NE(s->get(f), nullptr) << f;
      EXPECT_EQ(s->get(f)->kind, Json::kNumber) << f;
    }
    requests += s->get("requests")->number;
    responses += s->get("responses")->number;
    EXPECT_EQ(s->get("server_connections")->number, 1u);
    EXPECT_GT(s->get("request_bytes")->number, 0u);
    EXPECT_EQ(s->get("in_queue")->number, 0u);
    EXPECT_EQ(s->get("out_queue")->number, 0u);
  }
  EXPECT_EQ(requests, 22u) << "10 SET + 10 GET + a 10-key MGET in 2 parts";
  EXPECT_EQ(responses, 22u);
}

TEST(Stats, EjectionAndErrorsAreCounted) {
  TempDir dir;
  RedisServer live(dir);
  int dead = free_port();
  int stats_port = free_port();
  Walnut w(dir,
           "beta:\n"
           "  listen: 127.0.0.1:LISTEN_PORT\n"
           "  redis: true\n"
           "  auto_eject_hosts: true\n"
           "  server_failure_limit: 1\n"
           "  server_retry_timeout: 60000\n"
           "  distribution: modula\n"
           "  servers:\n"
           "   - 127.0.0.1:" + std::to_string(live.port()) + ":1\n"
           "   - 127.0.0.1:" + std::to_string(dead) + ":1\n",
           {"-s", std::to_string(stats_port), "-a", "127.0.0.1", "-i", "50"});
  Client c(w.port());
  int refused = 0;
  for (int i = 0; i < 20; ++i) {
    if (c.call({"SET", "k" + std::to_string(i), "v"}) != "+OK\r\n") ++refused;
  }
  EXPECT_GE(refused, 1);
  const std::string dead_name = "127.0.0.1:" + std::to_string(dead);
  auto doc = read_stats_until(stats_port, [&](const Json& j) {
    unsigned long long failed = number_at(j, {"beta", "forward_error"}) +
                                number_at(j, {"beta", dead_name, "requests"});
    return number_at(j, {"beta", "server_ejects"}) >= 1 &&
           failed >= static_cast<unsigned long long>(refused);
  }).doc;
  ASSERT_NE(doc, nullptr);
  const Json* pool = doc->get("beta");
  ASSERT_NE(pool, nullptr);
  EXPECT_EQ(pool->get("server_ejects")->number, 1u);
  const Json* d = pool->get(dead_name);
  ASSERT_NE(d, nullptr);
  // A failed request either never found a connection (forward_error) or
  // was sent to one that failed (a request of the dead server).
  EXPECT_EQ(pool->get("forward_error")->number + d->get("requests")->number,
            static_cast<unsigned long long>(refused));
  EXPECT_EQ(d->get("responses")->number, 0u);
  EXPECT_GT(d->get("server_ejected_at")->number, 1600000000000000ull) << "usec since the epoch";
}

// A client that has not sent anything yet is held apart, at less memory
// (proxy/accepted_client.h), and must still count as a connection, keep its
// place in the order of arrival (its CLIENT ID), be served when it speaks,
// count as client_eof when it leaves, and not hold up a shutdown.
TEST(Stats, ClientsThatSentNothingYetCountAndAreServed) {
  TempDir dir;
  RedisServer server(dir);
  const int stats_port = free_port();
  Walnut w(dir, pool_yaml("alpha", {server.port()}),
           {"-s", std::to_string(stats_port), "-a", "127.0.0.1", "-i", "50"});
  // The harness's probe, which waited for the port to open, has left.
  auto before = read_stats_until(stats_port, [](const Json& j) {
    return number_at(j, {"alpha", "client_eof"}) >= 1 && number_at(j, {"alpha", "client_connections"}) == 0;
  });
  ASSERT_NE(before.doc, nullptr) << before.text;
  ASSERT_EQ(number_at(*before.doc, {"alpha", "client_connections"}), 0u) << before.text;
  const auto eof0 = number_at(*before.doc, {"alpha", "client_eof"});
  const auto curr0 = number_at(*before.doc, {"curr_connections"});
  const auto total0 = number_at(*before.doc, {"total_connections"});

  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < 5; ++i) {
    clients.push_back(std::make_unique<Client>(w.port()));
    ASSERT_TRUE(clients.back()->connected()) << i;
  }
  auto held = read_stats_until(stats_port, [](const Json& j) {
    return number_at(j, {"alpha", "client_connections"}) >= 5;
  });
  ASSERT_NE(held.doc, nullptr) << held.text;
  EXPECT_EQ(number_at(*held.doc, {"alpha", "client_connections"}), 5u) << held.text;
  EXPECT_EQ(number_at(*held.doc, {"curr_connections"}), curr0 + 5) << held.text;
  EXPECT_EQ(number_at(*held.doc, {"total_connections"}), total0 + 5) << held.text;

  // The last to connect speaks first, with a first request far larger than
  // a read buffer, which goes through the hand-over whole; its id still
  // says it came last.
  const std::string big(1 << 20, 'b');
  EXPECT_EQ(clients[4]->call({"SET", "k", big}), "+OK\r\n");
  const std::string last_id = clients[4]->call({"CLIENT", "ID"});
  const std::string first_id = clients[0]->call({"CLIENT", "ID"});
  ASSERT_EQ(last_id.substr(0, 1), ":") << last_id;
  ASSERT_EQ(first_id.substr(0, 1), ":") << first_id;
  EXPECT_EQ(std::stoull(last_id.substr(1)) - std::stoull(first_id.substr(1)), 4u)
      << first_id << " " << last_id;
  EXPECT_EQ(clients[0]->call({"GET", "k"}), bulk(big));

  // Two that never spoke leave.
  clients[1].reset();
  clients[2].reset();
  auto after = read_stats_until(stats_port, [&](const Json& j) {
    return number_at(j, {"alpha", "client_eof"}) >= eof0 + 2;
  });
  ASSERT_NE(after.doc, nullptr) << after.text;
  EXPECT_EQ(number_at(*after.doc, {"alpha", "client_eof"}), eof0 + 2) << after.text;
  EXPECT_EQ(number_at(*after.doc, {"alpha", "client_connections"}), 3u) << after.text;
  // Its connections count the server's too, which the SET opened.
  const std::string server_name = "127.0.0.1:" + std::to_string(server.port());
  const auto server_conns = number_at(*after.doc, {"alpha", server_name, "server_connections"}) -
                            number_at(*before.doc, {"alpha", server_name, "server_connections"});
  EXPECT_EQ(server_conns, 1u) << after.text;
  EXPECT_EQ(number_at(*after.doc, {"curr_connections"}), curr0 + 3 + server_conns) << after.text;
  EXPECT_EQ(number_at(*after.doc, {"total_connections"}), total0 + 5 + server_conns) << after.text;

  // Stopped with one of them still silent: it is closed, walnut does not
  // wait for it (as for replies still pending), exits 0, and under the sanitizers
  // leaks nothing.
  kill(w.process().pid(), SIGTERM);
  EXPECT_TRUE(clients[3]->closed_by_peer(5s));
  EXPECT_TRUE(clients[0]->closed_by_peer(5s));
  const int status = w.process().wait(10s);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  EXPECT_EQ(w.log().find("replies still pending"), std::string::npos) << w.log();
}

TEST(Stats, DescribeListsEveryField) {
  std::string out;
  ASSERT_EQ(run_command({walnut_binary(), "-D"}, &out), 0);
  for (const char* f : kPoolFields) EXPECT_NE(out.find(std::string("  ") + f + " "), std::string::npos) << f;
  for (const char* f : kServerFields) EXPECT_NE(out.find(std::string("  ") + f + " "), std::string::npos) << f;
  EXPECT_NE(out.find("pool stats:"), std::string::npos);
  EXPECT_NE(out.find("server stats:"), std::string::npos);
}

TEST(Stats, StatsPortInUseIsReportedAndExits1) {
  TempDir dir;
  RedisServer busy(dir);
  std::string conf = dir.file("c.yml");
  std::ofstream(conf) << "alpha:\n  listen: 127.0.0.1:" << free_port()
                      << "\n  redis: true\n  servers:\n   - 127.0.0.1:1:1\n";
  std::string out;
  EXPECT_EQ(run_command({walnut_binary(), "-c", conf, "-s", std::to_string(busy.port()),
                         "-a", "127.0.0.1"}, &out, 10s), 1);
  EXPECT_NE(out.find("Address already in use"), std::string::npos) << out;
}

// A server that stops answering leaves a placeholder for every request that
// timed out after it was written (so that late replies are dropped). Past a
// bound, walnut takes the connection as dead and closes it (counted as a
// server error) instead of piling up placeholders forever; the next request
// uses a fresh connection.
TEST(Stats, SilentServerConnectionIsClosedPastThePlaceholderLimit) {
  TempDir dir;
  RedisServer r(dir);
  int stats_port = free_port();
  Walnut w(dir,
           "silent:\n"
           "  listen: 127.0.0.1:LISTEN_PORT\n"
           "  redis: true\n"
           "  timeout: 500\n"
           "  servers:\n"
           "   - 127.0.0.1:" + std::to_string(r.port()) + ":1\n",
           {"-s", std::to_string(stats_port), "-a", "127.0.0.1", "-i", "50"});
  Client c(w.port());
  ASSERT_EQ(c.call({"SET", "k", "v"}), "+OK\r\n");
  kill(r.process().pid(), SIGSTOP);
  // Two bursts 40 ms apart: the first one's 1100 timeouts pass the limit
  // while the second's 400 are not yet due; those are answered with the
  // timeout too when the connection closes, and counted as such.
  std::string burst;
  for (int i = 0; i < 1100; ++i) burst += encode({"GET", "k"});
  c.send_raw(burst);
  std::this_thread::sleep_for(40ms);
  burst.clear();
  for (int i = 0; i < 400; ++i) burst += encode({"GET", "k"});
  c.send_raw(burst);
  int timed_out = 0;
  for (int i = 0; i < 1500; ++i) {
    if (c.read_reply() == "-ERR Connection timed out\r\n") ++timed_out;
  }
  EXPECT_EQ(timed_out, 1500);
  const std::string name = "127.0.0.1:" + std::to_string(r.port());
  auto doc = read_stats_until(stats_port, [&](const Json& j) {
    return number_at(j, {"silent", name, "server_timedout"}) >= 1500 &&
           number_at(j, {"silent", name, "server_err"}) >= 1;
  }).doc;
  kill(r.process().pid(), SIGCONT);
  ASSERT_NE(doc, nullptr);
  ASSERT_NE(doc->get("silent"), nullptr);
  const Json* server = doc->get("silent")->get(name);
  ASSERT_NE(server, nullptr);
  EXPECT_EQ(server->get("server_timedout")->number, 1500u);
  EXPECT_GE(server->get("server_err")->number, 1u)
      << "the silent connection was closed, not kept with 1500 placeholders";
  EXPECT_EQ(server->get("out_queue")->number, 0u);
  EXPECT_EQ(c.call({"GET", "k"}), bulk("v")) << "a fresh connection serves again";
}

}  // namespace
}  // namespace walnut::e2e
