// Reloading the configuration on SIGUSR1: a pool changed in place keeps its
// clients and server connections and routes by the new ring at once; a
// broken file changes nothing; a pool that leaves answers what its clients
// sent before it closes them; an added pool listens; a replaced pool hands
// its listening socket over; counters carry on; the stats list the servers
// of the configuration in use.
#include <gtest/gtest.h>

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/e2e/harness.h"
#include "tests/e2e/reload_helpers.h"
#include "tests/e2e/stats_json.h"

namespace walnut::e2e {
namespace {

using namespace std::chrono_literals;

// The MD5 of a file's bytes, in hex, by md5sum.
std::string md5_of_file(const std::string& path) {
  std::string out;
  if (run_command({"/usr/bin/md5sum", path}, &out, 10s) != 0) return "md5sum failed: " + out;
  return out.substr(0, out.find(' '));
}

bool is_md5_hex(const std::string& s) {
  if (s.size() != 32) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::string metrics(int port) {
  std::string out;
  int rc = run_command({"/usr/bin/curl", "-sS", "-f", "-m", "5",
                        "http://127.0.0.1:" + std::to_string(port) + "/metrics"},
                       &out, 10s);
  return rc == 0 ? out : "curl failed: " + out;
}

// The last line of the log holding `what` ("" when none).
std::string last_line_with(const std::string& log, const std::string& what) {
  size_t at = log.rfind(what);
  if (at == std::string::npos) return "";
  size_t begin = log.rfind('\n', at);
  begin = begin == std::string::npos ? 0 : begin + 1;
  size_t end = log.find('\n', at);
  return log.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
}

// A string at the top level of the stats JSON ("" when absent).
std::string top_string(const Json& doc, const std::string& key) {
  const Json* v = doc.get(key);
  return v != nullptr && v->kind == Json::kString ? v->text : "";
}

TEST(Reload, AKeyThatMovesIsServedByItsNewServerOnTheSameConnection) {
  TwoServers two;
  TempDir& dir = two.dir;
  RedisServer &r1 = two.r1, &r2 = two.r2;
  Client& d1 = two.d1;
  const int stats_port = free_port();
  const int metrics_port = free_port();
  Walnut w(dir, pool("alpha", "127.0.0.1:LISTEN_PORT", server_line(r1, "r1")),
           {"-s", std::to_string(stats_port), "-i", "100", "--metrics-addr",
            on_port(metrics_port)});
  const std::string md5_before = md5_of_file(w.conf_path());
  ASSERT_TRUE(is_md5_hex(md5_before)) << md5_before;
  std::string m = metrics(metrics_port);
  EXPECT_NE(m.find("walnut_reloads_total{result=\"ok\"} 0\n"), std::string::npos) << m;
  EXPECT_NE(m.find("walnut_reloads_total{result=\"failed\"} 0\n"), std::string::npos) << m;
  EXPECT_NE(m.find("walnut_config_info{md5=\"" + md5_before + "\"} 1\n"), std::string::npos) << m;
  // Before any reload the JSON is nutcracker's, without walnut's fields.
  std::string json = read_stats(stats_port);
  ASSERT_NE(json.find("\"alpha\""), std::string::npos) << json;
  EXPECT_EQ(json.find("reloads_ok"), std::string::npos) << json;
  EXPECT_EQ(json.find("config_md5"), std::string::npos) << json;

  Client c(w.port());
  ASSERT_EQ(c.call({"GET", "k"}), bulk("on-r1"));
  const auto t0 = static_cast<unsigned long long>(time(nullptr));
  ASSERT_EQ(reload(w, pool("alpha", "127.0.0.1:LISTEN_PORT", server_line(r2, "r2"))), Reload::kDone)
      << w.log();
  EXPECT_EQ(c.call({"GET", "k"}), bulk("on-r2")) << "same connection, right after the reload";
  Client fresh(w.port());
  EXPECT_EQ(fresh.call({"GET", "k"}), bulk("on-r2"));
  EXPECT_EQ(c.call({"GET", "k"}), bulk("on-r2"));

  const std::string log = w.log();
  const std::string md5_after = md5_of_file(w.conf_path());
  ASSERT_TRUE(is_md5_hex(md5_after)) << md5_after;
  EXPECT_NE(md5_after, md5_before);
  EXPECT_NE(log.find("signal 10 (SIGUSR1) received, reloading " + w.conf_path()), std::string::npos)
      << log;
  EXPECT_NE(log.find("pool 'alpha': changed in place"), std::string::npos) << log;
  EXPECT_NE(log.find("pool 'alpha': server 'r2' added"), std::string::npos) << log;
  EXPECT_NE(log.find("pool 'alpha': server 'r1' removed"), std::string::npos) << log;
  EXPECT_NE(log.find("reload done: 1 pools, configuration md5 " + md5_after), std::string::npos)
      << log;
  // The removed server's connection closes (it had no request pending):
  // r1 is left with the direct client only.
  EXPECT_TRUE(wait_until([&] { return other_client_ids(d1).empty(); }, kReloadWait))
      << "walnut's connection to the removed r1 stays open";

  StatsSnapshot s = read_stats_until(stats_port, [](const Json& doc) {
    return doc.get("reloads_ok") != nullptr;
  });
  ASSERT_NE(s.doc, nullptr) << s.text;
  EXPECT_EQ(number_at(*s.doc, {"reloads_ok"}), 1u) << s.text;
  EXPECT_EQ(number_at(*s.doc, {"reloads_failed"}), 0u) << s.text;
  EXPECT_GE(number_at(*s.doc, {"last_reload"}), t0) << s.text;
  EXPECT_LE(number_at(*s.doc, {"last_reload"}), static_cast<unsigned long long>(time(nullptr)))
      << s.text;
  EXPECT_EQ(top_string(*s.doc, "config_md5"), md5_after) << s.text;

  m = metrics(metrics_port);
  EXPECT_NE(m.find("walnut_reloads_total{result=\"ok\"} 1\n"), std::string::npos) << m;
  EXPECT_NE(m.find("walnut_reloads_total{result=\"failed\"} 0\n"), std::string::npos) << m;
  EXPECT_NE(m.find("walnut_config_info{md5=\"" + md5_after + "\"} 1\n"), std::string::npos) << m;
  EXPECT_EQ(m.find(md5_before), std::string::npos) << m;
  EXPECT_EQ(m.find("walnut_last_reload_success_timestamp_seconds 0\n"), std::string::npos) << m;
  EXPECT_NE(m.find("walnut_last_reload_success_timestamp_seconds "), std::string::npos) << m;
}

TEST(Reload, ABrokenFileChangesNothing) {
  TwoServers two;
  TempDir& dir = two.dir;
  RedisServer &r1 = two.r1, &r2 = two.r2;
  const int stats_port = free_port();
  const int metrics_port = free_port();
  const std::string good = pool("alpha", "127.0.0.1:LISTEN_PORT", server_line(r1, "r1"));
  Walnut w(dir, good,
           {"-s", std::to_string(stats_port), "-i", "100", "--metrics-addr",
            on_port(metrics_port)});
  const std::string md5 = md5_of_file(w.conf_path());
  ASSERT_TRUE(is_md5_hex(md5)) << md5;
  Client c(w.port());
  ASSERT_EQ(c.call({"GET", "k"}), bulk("on-r1"));

  const int other_port = free_port();
  struct Broken {
    const char* what;
    std::string yaml;
    std::string where;  // ":LINE: what", as walnut -t says it
  };
  const std::vector<Broken> broken = {
      {"invalid YAML",
       "alpha:\n  listen: 127.0.0.1:LISTEN_PORT\n  redis: true\n  servers: [\n   - 127.0.0.1:" +
           std::to_string(r2.port()) + ":1 r2\n",
       ":4: flow style '[...]' is not supported"},
      {"an unknown hash",
       pool("alpha", "127.0.0.1:LISTEN_PORT", server_line(r2, "r2"), "  hash: nope\n") +
           pool("beta", on_port(other_port), server_line(r2, "r2")),
       ":4: 'hash' must be one of"},
      {"two pools on one address",
       pool("alpha", "127.0.0.1:LISTEN_PORT", server_line(r2, "r2")) +
           pool("beta", "127.0.0.1:LISTEN_PORT", server_line(r2, "r2")),
       ":7: pools 'alpha' and 'beta' both listen on '127.0.0.1:" + std::to_string(w.port()) + "'"},
  };
  for (const Broken& b : broken) {
    SCOPED_TRACE(b.what);
    ASSERT_EQ(reload(w, b.yaml), Reload::kFailed) << w.log();
    const std::string line =
        last_line_with(w.log(), "reload failed, the configuration in use is unchanged: ");
    EXPECT_NE(line.find("unchanged: " + w.conf_path() + ":"), std::string::npos) << line;
    // FILE:LINE: with a line number of the file.
    const size_t after = line.find(w.conf_path() + ":");
    ASSERT_NE(after, std::string::npos) << line;
    const std::string rest = line.substr(after + w.conf_path().size() + 1);
    size_t digits = 0;
    while (digits < rest.size() && std::isdigit(static_cast<unsigned char>(rest[digits]))) ++digits;
    EXPECT_GT(digits, 0u) << line;
    EXPECT_EQ(rest.substr(digits, 1), ":") << line;
    EXPECT_NE(line.find(w.conf_path() + b.where), std::string::npos) << line;
    // The routing in use is the old one, on the same connection.
    EXPECT_EQ(c.call({"GET", "k"}), bulk("on-r1"));
  }
  // Nothing was built: the other port of the broken files does not listen.
  Client none(other_port);
  EXPECT_FALSE(none.connected());
  Client fresh(w.port());
  EXPECT_EQ(fresh.call({"GET", "k"}), bulk("on-r1"));
  const std::string log = w.log();
  EXPECT_EQ(log.find("reload done"), std::string::npos) << log;
  EXPECT_EQ(log.find("changed in place"), std::string::npos) << log;
  EXPECT_EQ(log.find("pool 'beta': added"), std::string::npos) << log;
  EXPECT_EQ(log.find("server 'r2' added"), std::string::npos) << log;
  EXPECT_EQ(log.find("replaced"), std::string::npos) << log;

  StatsSnapshot s = read_stats_until(stats_port, [](const Json& doc) {
    return number_at(doc, {"reloads_failed"}) >= 3;
  });
  ASSERT_NE(s.doc, nullptr) << s.text;
  EXPECT_EQ(number_at(*s.doc, {"reloads_failed"}), 3u) << s.text;
  EXPECT_EQ(number_at(*s.doc, {"reloads_ok"}), 0u) << s.text;
  EXPECT_EQ(number_at(*s.doc, {"last_reload"}), 0u) << s.text;
  EXPECT_EQ(top_string(*s.doc, "config_md5"), md5) << "that of the file in use, the first one: "
                                                   << s.text;
  EXPECT_EQ(s.doc->get("beta"), nullptr) << s.text;
  const std::string m = metrics(metrics_port);
  EXPECT_NE(m.find("walnut_reloads_total{result=\"ok\"} 0\n"), std::string::npos) << m;
  EXPECT_NE(m.find("walnut_reloads_total{result=\"failed\"} 3\n"), std::string::npos) << m;
  EXPECT_NE(m.find("walnut_config_info{md5=\"" + md5 + "\"} 1\n"), std::string::npos) << m;

  // And a good file after them is taken.
  ASSERT_EQ(reload(w, good), Reload::kDone) << w.log();
  EXPECT_EQ(c.call({"GET", "k"}), bulk("on-r1"));
  s = read_stats_until(stats_port, [](const Json& doc) { return number_at(doc, {"reloads_ok"}) >= 1; });
  ASSERT_NE(s.doc, nullptr) << s.text;
  EXPECT_EQ(number_at(*s.doc, {"reloads_ok"}), 1u) << s.text;
  EXPECT_EQ(number_at(*s.doc, {"reloads_failed"}), 3u) << s.text;
  EXPECT_EQ(top_string(*s.doc, "config_md5"), md5) << "the same text again: " << s.text;
}

TEST(Reload, ARemovedPoolAnswersWhatItsClientsSentThenClosesThem) {
  TempDir dir;
  RedisServer r(dir);
  const int stats_port = free_port();
  const int beta_port = free_port();
  const std::string alpha = pool("alpha", "127.0.0.1:LISTEN_PORT", server_line(r));
  Walnut w(dir, alpha + pool("beta", on_port(beta_port), server_line(r)),
           {"-s", std::to_string(stats_port), "-i", "100"});
  ASSERT_TRUE(wait_for_port(beta_port, kReloadWait));
  Client a(w.port());
  ASSERT_EQ(a.call({"SET", "ka", "va"}), "+OK\r\n");
  Client b(beta_port);
  ASSERT_EQ(b.call({"SET", "k", "v"}), "+OK\r\n");

  kill(r.process().pid(), SIGSTOP);  // replies now wait in the server
  std::string pipeline;
  for (int i = 0; i < 50; ++i) pipeline += encode({"GET", "k"});
  b.send_raw(pipeline);
  const std::string server = "127.0.0.1:" + std::to_string(r.port());
  const bool all_forwarded = await_stat(stats_port, {"beta", server, "requests"}, 51) >= 51;
  const Reload result = reload(w, alpha);
  // New connections to beta are refused soon after.
  const bool refused = wait_until([&] { return !Client(beta_port).connected(); }, kReloadWait);
  kill(r.process().pid(), SIGCONT);
  ASSERT_TRUE(all_forwarded) << "walnut did not forward the 50 GETs";
  ASSERT_EQ(result, Reload::kDone) << w.log();
  EXPECT_TRUE(refused) << "beta's port still accepts";
  for (int i = 0; i < 50; ++i) ASSERT_EQ(b.read_reply(), bulk("v")) << i;
  EXPECT_TRUE(b.closed_by_peer(kReloadWait)) << "beta's client is closed once answered";
  EXPECT_FALSE(Client(beta_port).connected());

  // alpha, unchanged, keeps its client.
  EXPECT_EQ(a.call({"GET", "ka"}), bulk("va"));
  EXPECT_EQ(a.call({"GET", "k"}), bulk("v"));
  const std::string log = w.log();
  EXPECT_NE(log.find("pool 'beta': leaving, once its clients have their replies"),
            std::string::npos)
      << log;
  EXPECT_EQ(log.find("pool 'alpha': changed in place"), std::string::npos) << log;
  EXPECT_EQ(log.find("pool 'alpha': leaving"), std::string::npos) << log;
  EXPECT_EQ(log.find("replies still pending after"), std::string::npos) << log;
  StatsSnapshot s = read_stats_until(stats_port, [](const Json& doc) {
    return doc.get("reloads_ok") != nullptr && doc.get("beta") == nullptr;
  });
  ASSERT_NE(s.doc, nullptr) << s.text;
  EXPECT_EQ(s.doc->get("beta"), nullptr) << s.text;
  EXPECT_NE(s.doc->get("alpha"), nullptr) << s.text;
}

TEST(Reload, AnAddedPoolListensAndAMovedPoolMoves) {
  TempDir dir;
  RedisServer r(dir);
  Client d(r.port());
  ASSERT_EQ(d.call({"SET", "k", "v"}), "+OK\r\n");
  const int beta_old = free_port();
  const int beta_new = free_port();
  const int gamma_port = free_port();
  ASSERT_NE(beta_old, beta_new);
  const std::string alpha = pool("alpha", "127.0.0.1:LISTEN_PORT", server_line(r));
  Walnut w(dir, alpha + pool("beta", on_port(beta_old), server_line(r)));
  ASSERT_TRUE(wait_for_port(beta_old, kReloadWait));
  Client a(w.port());
  ASSERT_EQ(a.call({"GET", "k"}), bulk("v"));
  Client b_before(beta_old);
  ASSERT_EQ(b_before.call({"GET", "k"}), bulk("v"));
  EXPECT_FALSE(Client(beta_new).connected());
  EXPECT_FALSE(Client(gamma_port).connected());

  ASSERT_EQ(reload(w, alpha + pool("beta", on_port(beta_new), server_line(r)) +
                          pool("gamma", on_port(gamma_port), server_line(r))),
            Reload::kDone)
      << w.log();
  // Both listen once the reload is done (bound before it commits).
  Client g(gamma_port);
  ASSERT_TRUE(g.connected());
  EXPECT_EQ(g.call({"GET", "k"}), bulk("v"));
  Client b_after(beta_new);
  ASSERT_TRUE(b_after.connected());
  EXPECT_EQ(b_after.call({"GET", "k"}), bulk("v"));
  EXPECT_TRUE(wait_until([&] { return !Client(beta_old).connected(); }, kReloadWait))
      << "beta's old port still accepts";
  // beta's old client, idle, is closed; alpha's stays.
  EXPECT_TRUE(b_before.closed_by_peer(kReloadWait));
  EXPECT_EQ(a.call({"GET", "k"}), bulk("v"));
  const std::string log = w.log();
  EXPECT_NE(log.find("pool 'gamma': added"), std::string::npos) << log;
  EXPECT_NE(log.find("pool 'beta': replaced"), std::string::npos) << log;
  EXPECT_NE(log.find("reload done: 3 pools"), std::string::npos) << log;
}

TEST(Reload, AReplacedPoolOnTheSameAddressKeepsAcceptingAndItsCounters) {
  TempDir dir;
  RedisServer r(dir);
  const int stats_port = free_port();
  Walnut w(dir, pool("alpha", "127.0.0.1:LISTEN_PORT", server_line(r)),
           {"-s", std::to_string(stats_port), "-i", "100"});
  const std::string server = "127.0.0.1:" + std::to_string(r.port());
  Client old_busy(w.port()), old_idle(w.port());
  ASSERT_EQ(old_busy.call({"SET", "k", "in-db0"}), "+OK\r\n");
  ASSERT_EQ(old_idle.call({"GET", "k"}), bulk("in-db0"));
  // A pool counter to carry over: 100 clients that come and go (and the
  // harness's probe).
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(Client(w.port()).connected());
  const unsigned long long eofs = await_stat(stats_port, {"alpha", "client_eof"}, 101);
  ASSERT_GE(eofs, 101u);
  kill(r.process().pid(), SIGSTOP);
  std::string pipeline;
  for (int i = 0; i < 20; ++i) pipeline += encode({"GET", "k"});
  old_busy.send_raw(pipeline);
  const unsigned long long forwarded = await_stat(stats_port, {"alpha", server, "requests"}, 22);
  // Connections opened all along the reload: none is refused (the
  // listening socket is handed over, not closed and opened again).
  std::atomic<bool> stop{false};
  std::atomic<int> connects{0}, refused{0};
  std::thread connector([&] {
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (!stop && std::chrono::steady_clock::now() < deadline) {
      Client probe(w.port());
      (probe.connected() ? connects : refused)++;
      std::this_thread::sleep_for(2ms);
    }
  });
  wait_until([&] { return connects + refused >= 5; }, kReloadWait);
  const Reload result =
      reload(w, pool("alpha", "127.0.0.1:LISTEN_PORT", server_line(r), "  redis_db: 1\n"));
  const int connects_at_reload = connects;
  wait_until([&] { return connects + refused >= connects_at_reload + 5; }, kReloadWait);
  stop = true;
  connector.join();
  EXPECT_EQ(refused, 0) << "of " << connects + refused << " connections along the reload";
  EXPECT_GE(connects, 10);
  // Accepted at once by the new pool, while the old one still waits.
  Client fresh(w.port());
  const bool fresh_connected = fresh.connected();
  kill(r.process().pid(), SIGCONT);
  ASSERT_EQ(forwarded, 22u) << "walnut did not forward the SET and the 21 GETs";
  ASSERT_EQ(result, Reload::kDone) << w.log();
  ASSERT_TRUE(fresh_connected);
  for (int i = 0; i < 20; ++i) ASSERT_EQ(old_busy.read_reply(), bulk("in-db0")) << i;
  EXPECT_TRUE(old_busy.closed_by_peer(kReloadWait)) << "the old pool's client is closed once answered";
  EXPECT_TRUE(old_idle.closed_by_peer(kReloadWait)) << "the old pool's idle client is closed";

  EXPECT_EQ(fresh.call({"SET", "k", "in-db1"}), "+OK\r\n");
  EXPECT_EQ(fresh.call({"GET", "k"}), bulk("in-db1"));
  Client d(r.port());
  EXPECT_EQ(d.call({"GET", "k"}), bulk("in-db0"));
  EXPECT_EQ(d.call({"SELECT", "1"}), "+OK\r\n");
  EXPECT_EQ(d.call({"GET", "k"}), bulk("in-db1"));
  Client fresh2(w.port());
  EXPECT_EQ(fresh2.call({"GET", "k"}), bulk("in-db1"));

  const std::string log = w.log();
  EXPECT_NE(log.find("pool 'alpha': replaced"), std::string::npos) << log;
  EXPECT_EQ(log.find("changed in place"), std::string::npos) << log;
  EXPECT_EQ(log.find("replies still pending after"), std::string::npos) << log;
  // The new pool's counters go on from the old one's: 22 before the reload,
  // then at least the SET and the two GETs (its SELECT is not a request).
  const unsigned long long after = await_stat(stats_port, {"alpha", server, "requests"}, 25);
  EXPECT_GE(after, 25u);
  StatsSnapshot s = read_stats_until(stats_port, [&](const Json& doc) {
    return doc.get("reloads_ok") != nullptr && number_at(doc, {"alpha", "client_eof"}) >= eofs;
  });
  ASSERT_NE(s.doc, nullptr) << s.text;
  EXPECT_GE(number_at(*s.doc, {"alpha", server, "requests"}), 25u) << s.text;
  EXPECT_GE(number_at(*s.doc, {"alpha", "client_eof"}), eofs) << s.text;
  EXPECT_EQ(number_at(*s.doc, {"reloads_ok"}), 1u) << s.text;
}

TEST(Reload, CountersCarryOnInPlaceAndTheStatsListTheServersInUse) {
  TempDir dir;
  RedisServer r1(dir), r2(dir), r3(dir);
  const int stats_port = free_port();
  Walnut w(dir, pool("alpha", "127.0.0.1:LISTEN_PORT", server_line(r1, "s1") + server_line(r2, "s2")),
           {"-s", std::to_string(stats_port), "-i", "100"});
  Client c(w.port());
  for (int i = 0; i < 40; ++i) ASSERT_EQ(c.call({"SET", "key" + std::to_string(i), "x"}), "+OK\r\n");
  { Client gone(w.port()); ASSERT_EQ(gone.call({"GET", "key0"}), bulk("x")); }
  // The harness's probe and `gone` closed.
  StatsSnapshot before = read_stats_until(stats_port, [](const Json& doc) {
    return number_at(doc, {"alpha", "s1", "requests"}) + number_at(doc, {"alpha", "s2", "requests"}) >=
               41 &&
           number_at(doc, {"alpha", "client_eof"}) >= 2;
  });
  ASSERT_NE(before.doc, nullptr) << before.text;
  const unsigned long long s1_requests = number_at(*before.doc, {"alpha", "s1", "requests"});
  const unsigned long long s1_responses = number_at(*before.doc, {"alpha", "s1", "responses"});
  const unsigned long long eofs = number_at(*before.doc, {"alpha", "client_eof"});
  ASSERT_EQ(s1_requests + number_at(*before.doc, {"alpha", "s2", "requests"}), 41u) << before.text;
  ASSERT_GT(s1_requests, 0u) << before.text;
  ASSERT_GE(eofs, 2u) << before.text;
  ASSERT_NE(before.doc->get("alpha")->get("s2"), nullptr) << before.text;

  ASSERT_EQ(reload(w, pool("alpha", "127.0.0.1:LISTEN_PORT",
                           server_line(r1, "s1") + server_line(r3, "s3"), "  timeout: 900\n")),
            Reload::kDone)
      << w.log();
  // The first snapshot after the reload, before any further request.
  StatsSnapshot after = read_stats_until(stats_port, [](const Json& doc) {
    return doc.get("reloads_ok") != nullptr;
  });
  ASSERT_NE(after.doc, nullptr) << after.text;
  const Json* alpha = after.doc->get("alpha");
  ASSERT_NE(alpha, nullptr) << after.text;
  EXPECT_EQ(number_at(*after.doc, {"alpha", "s1", "requests"}), s1_requests) << after.text;
  EXPECT_EQ(number_at(*after.doc, {"alpha", "s1", "responses"}), s1_responses) << after.text;
  EXPECT_EQ(number_at(*after.doc, {"alpha", "client_eof"}), eofs) << after.text;
  EXPECT_EQ(alpha->get("s2"), nullptr) << "a removed server leaves the stats: " << after.text;
  ASSERT_NE(alpha->get("s3"), nullptr) << "an added server joins them: " << after.text;
  EXPECT_EQ(number_at(*after.doc, {"alpha", "s3", "requests"}), 0u) << after.text;
  EXPECT_EQ(number_at(*after.doc, {"alpha", "client_connections"}), 1u)
      << "the client connected before stays: " << after.text;

  // And they go on counting, on the same client.
  for (int i = 0; i < 40; ++i) ASSERT_EQ(c.call({"GET", "key" + std::to_string(i)}).substr(0, 1), "$");
  StatsSnapshot later = read_stats_until(stats_port, [&](const Json& doc) {
    return number_at(doc, {"alpha", "s1", "requests"}) + number_at(doc, {"alpha", "s3", "requests"}) >=
           s1_requests + 40;
  });
  ASSERT_NE(later.doc, nullptr) << later.text;
  const unsigned long long s1_later = number_at(*later.doc, {"alpha", "s1", "requests"});
  const unsigned long long s3_later = number_at(*later.doc, {"alpha", "s3", "requests"});
  EXPECT_EQ(s1_later + s3_later, s1_requests + 40) << later.text;
  EXPECT_GT(s1_later, s1_requests) << later.text;
  EXPECT_GT(s3_later, 0u) << later.text;
  EXPECT_EQ(later.doc->get("alpha")->get("s2"), nullptr) << later.text;
}

TEST(Reload, AnInPlaceChangeKeepsTheServerConnection) {
  TempDir dir;
  RedisServer r(dir);
  Client d(r.port());
  ASSERT_EQ(d.call({"SET", "k", "v"}), "+OK\r\n");
  Walnut w(dir, pool("alpha", "127.0.0.1:LISTEN_PORT", server_line(r), "  timeout: 400\n"));
  Client c(w.port());
  ASSERT_EQ(c.call({"GET", "k"}), bulk("v"));
  const std::set<std::string> before = other_client_ids(d);
  ASSERT_EQ(before.size(), 1u) << "walnut's one connection to the server";

  ASSERT_EQ(reload(w, pool("alpha", "127.0.0.1:LISTEN_PORT", server_line(r), "  timeout: 600\n")),
            Reload::kDone)
      << w.log();
  EXPECT_NE(w.log().find("pool 'alpha': changed in place"), std::string::npos) << w.log();
  for (int i = 0; i < 10; ++i) ASSERT_EQ(c.call({"GET", "k"}), bulk("v")) << i;
  Client fresh(w.port());
  EXPECT_EQ(fresh.call({"GET", "k"}), bulk("v"));
  EXPECT_EQ(other_client_ids(d), before) << "the same connection, not a new one";
  const std::string info = d.call({"INFO", "clients"});
  EXPECT_NE(info.find("connected_clients:2\r\n"), std::string::npos) << info;
}

TEST(Reload, ARemovedServerAnswersWhatWasSentToItThenItsConnectionCloses) {
  TwoServers two;
  TempDir& dir = two.dir;
  RedisServer &r1 = two.r1, &r2 = two.r2;
  Client &d1 = two.d1, &d2 = two.d2;
  const int stats_port = free_port();
  Walnut w(dir, pool("alpha", "127.0.0.1:LISTEN_PORT", server_line(r1, "s1")),
           {"-s", std::to_string(stats_port), "-i", "100"});
  Client c(w.port());
  ASSERT_EQ(c.call({"GET", "k"}), bulk("on-r1"));
  ASSERT_EQ(other_client_ids(d1).size(), 1u) << "walnut's connection to r1";

  kill(r1.process().pid(), SIGSTOP);
  std::string pipeline;
  for (int i = 0; i < 10; ++i) pipeline += encode({"GET", "k"});
  c.send_raw(pipeline);
  const bool all_forwarded = await_stat(stats_port, {"alpha", "s1", "requests"}, 11) >= 11;
  const Reload result = reload(w, pool("alpha", "127.0.0.1:LISTEN_PORT", server_line(r2, "s2")));
  // The new ring serves at once, though the removed server still holds
  // requests: a fresh client's GET goes to r2.
  std::string fresh_reply;
  if (result == Reload::kDone) {
    Client fresh(w.port());
    fresh_reply = fresh.call({"GET", "k"});
  }
  // The busy client's next GET goes to r2 too, answered after the 10 in
  // order.
  c.send({"GET", "k"});
  kill(r1.process().pid(), SIGCONT);
  ASSERT_TRUE(all_forwarded) << "walnut did not forward the 10 GETs";
  ASSERT_EQ(result, Reload::kDone) << w.log();
  EXPECT_EQ(fresh_reply, bulk("on-r2"));
  for (int i = 0; i < 10; ++i) ASSERT_EQ(c.read_reply(), bulk("on-r1")) << i;
  EXPECT_EQ(c.read_reply(), bulk("on-r2"));
  EXPECT_EQ(c.call({"GET", "k"}), bulk("on-r2"));
  // Answered, the removed server's connection closes.
  EXPECT_TRUE(wait_until([&] { return other_client_ids(d1).empty(); }, kReloadWait))
      << "walnut's connection to the removed r1 stays open";
  EXPECT_EQ(other_client_ids(d2).size(), 1u) << "walnut's connection to r2";
  StatsSnapshot s = read_stats_until(stats_port, [](const Json& doc) {
    return doc.get("reloads_ok") != nullptr && number_at(doc, {"alpha", "s2", "requests"}) >= 3;
  });
  ASSERT_NE(s.doc, nullptr) << s.text;
  EXPECT_EQ(s.doc->get("alpha")->get("s1"), nullptr) << s.text;
  EXPECT_EQ(number_at(*s.doc, {"alpha", "s2", "requests"}), 3u) << s.text;
}

// After reloads that change the ring (servers, weights, names, the hash,
// the distribution), every key is where nutcracker, started on the new file,
// looks for it: a reload builds the ring a fresh start would.
TEST(Reload, TheRingAfterAReloadIsNutcrackersForTheNewFile) {
  TempDir dir;
  RedisServer r1(dir), r2(dir), r3(dir);
  const std::string first = pool("alpha", "127.0.0.1:LISTEN_PORT",
                                 server_line(r1, "s1") + server_line(r2, "s2"));
  Walnut w(dir, first);
  struct Ring {
    const char* what;
    std::string more;     // hash and distribution
    std::string servers;
  };
  const std::string weighted = "   - 127.0.0.1:" + std::to_string(r1.port()) + ":3 s1\n" +
                               server_line(r2, "s2-renamed") + server_line(r3, "s3");
  const std::vector<Ring> rings = {
      {"ketama, a server added, weights and a name changed", "", weighted},
      {"modula with murmur", "  hash: murmur\n  distribution: modula\n", weighted},
      {"ketama with md5, unnamed servers, one removed", "  hash: md5\n",
       server_line(r3) + server_line(r1)},
  };
  int round = 0;
  for (const Ring& ring : rings) {
    SCOPED_TRACE(ring.what);
    ++round;
    for (RedisServer* r : {&r1, &r2, &r3}) ASSERT_EQ(Client(r->port()).call({"FLUSHALL"}), "+OK\r\n");
    const std::string body = ring.more + "  servers:\n" + ring.servers;
    ASSERT_EQ(reload(w, "alpha:\n  listen: 127.0.0.1:LISTEN_PORT\n  redis: true\n" + body),
              Reload::kDone)
        << w.log();
    Client via_walnut(w.port());
    for (int i = 0; i < 200; ++i) {
      const std::string key = "ring:" + std::to_string(round) + ":" + std::to_string(i);
      ASSERT_EQ(via_walnut.call({"SET", key, key}), "+OK\r\n");
    }
    const int nut_port = free_port();
    const std::string nut_conf = dir.file("nutcracker-" + std::to_string(round) + ".yml");
    std::ofstream(nut_conf) << "alpha:\n  listen: 127.0.0.1:" << nut_port << "\n  redis: true\n" << body;
    Process nutcracker({"/usr/sbin/nutcracker", "-c", nut_conf, "-a", "127.0.0.1", "-s",
                        std::to_string(free_port())},
                       dir.file("nutcracker-" + std::to_string(round) + ".log"));
    ASSERT_TRUE(wait_for_port(nut_port, 10s)) << read_file(dir.file("nutcracker-" + std::to_string(round) + ".log"));
    Client via_nutcracker(nut_port);
    int found = 0;
    for (int i = 0; i < 200; ++i) {
      const std::string key = "ring:" + std::to_string(round) + ":" + std::to_string(i);
      found += via_nutcracker.call({"GET", key}) == "$" + std::to_string(key.size()) + "\r\n" + key + "\r\n";
    }
    EXPECT_EQ(found, 200) << "keys walnut placed where nutcracker, on the new file, does not look";
  }
}

// A replaced pool's servers carry their counts on, but not an ejection: the
// new pool starts with every server in it.
TEST(Reload, AReplacedPoolsServersStartInThePoolWithTheirCounts) {
  TempDir dir;
  RedisServer r(dir);
  const int dead = free_port();  // nothing listens there
  const int stats_port = free_port();
  const std::string servers = server_line(r, "up") + "   - 127.0.0.1:" + std::to_string(dead) + ":1 down\n";
  const std::string more = "  auto_eject_hosts: true\n  server_failure_limit: 1\n  server_retry_timeout: 60000\n";
  Walnut w(dir, pool("alpha", "127.0.0.1:LISTEN_PORT", servers, more),
           {"-s", std::to_string(stats_port), "-i", "100"});
  Client c(w.port());
  // Keys until one goes to the dead server and ejects it (varied at their
  // start: fnv1a_64 puts keys that differ only in their last bytes close
  // together on the ring).
  for (int i = 0; i < 100; ++i) c.call({"GET", std::to_string(i) + ":eject"});
  StatsSnapshot before = read_stats_until(stats_port, [](const Json& doc) {
    return number_at(doc, {"alpha", "down", "server_ejected_at"}) != 0;
  });
  ASSERT_NE(before.doc, nullptr);
  const unsigned long long err = number_at(*before.doc, {"alpha", "down", "server_err"}) +
                                 number_at(*before.doc, {"alpha", "down", "server_timedout"});
  const unsigned long long ejects = number_at(*before.doc, {"alpha", "server_ejects"});
  ASSERT_GE(ejects, 1u);

  ASSERT_EQ(reload(w, pool("alpha", "127.0.0.1:LISTEN_PORT", servers, more + "  redis_db: 1\n")),
            Reload::kDone)
      << w.log();
  ASSERT_NE(w.log().find("pool 'alpha': replaced"), std::string::npos) << w.log();
  StatsSnapshot after = read_stats_until(stats_port, [](const Json& doc) {
    return number_at(doc, {"reloads_ok"}) == 1;
  });
  ASSERT_NE(after.doc, nullptr);
  EXPECT_EQ(number_at(*after.doc, {"alpha", "down", "server_ejected_at"}), 0u)
      << "the new pool has not ejected it";
  EXPECT_EQ(number_at(*after.doc, {"alpha", "down", "server_err"}) +
                number_at(*after.doc, {"alpha", "down", "server_timedout"}),
            err);
  EXPECT_EQ(number_at(*after.doc, {"alpha", "server_ejects"}), ejects);
}

// -d leaves the directory walnut started in for "/": a file given by a
// relative path is still the one a reload reads.
TEST(Reload, ADaemonReloadsTheFileItWasGivenByARelativePath) {
  TempDir dir;
  RedisServer r1(dir), r2(dir);
  ASSERT_EQ(Client(r1.port()).call({"SET", "k", "on-r1"}), "+OK\r\n");
  ASSERT_EQ(Client(r2.port()).call({"SET", "k", "on-r2"}), "+OK\r\n");
  const int port = free_port();
  const auto write_file = [&](const RedisServer& r) {
    std::ofstream(dir.file("next.yml")) << pool("alpha", on_port(port), server_line(r));
    return std::rename(dir.file("next.yml").c_str(), dir.file("relative.yml").c_str()) == 0;
  };
  ASSERT_TRUE(write_file(r1));
  Process launcher({"/bin/sh", "-c",
                    "cd '" + dir.path() + "' && exec '" + walnut_binary() +
                        "' -d -p '" + dir.file("walnut.pid") + "' -o '" + dir.file("walnut.log") +
                        "' -c relative.yml -a 127.0.0.1 -s " +
                        std::to_string(free_port())},
                   dir.file("launcher.out"));
  pid_t pid = 0;
  ASSERT_TRUE(wait_until([&] { return (pid = std::atoi(read_file(dir.file("walnut.pid")).c_str())) > 0; },
                         kReloadWait))
      << read_file(dir.file("launcher.out"));
  struct Stop {  // the daemon is no child of this test: stopped by its pid
    pid_t pid;
    ~Stop() {
      if (kill(pid, SIGTERM) != 0) return;
      wait_until([&] { return kill(pid, 0) != 0; }, 10s);
    }
  } stop{pid};
  ASSERT_TRUE(wait_for_port(port, kReloadWait)) << read_file(dir.file("walnut.log"));
  Client c(port);
  ASSERT_EQ(c.call({"GET", "k"}), "$5\r\non-r1\r\n");

  ASSERT_TRUE(write_file(r2));
  ASSERT_EQ(kill(pid, SIGUSR1), 0);
  ASSERT_TRUE(wait_until([&] { return read_file(dir.file("walnut.log")).find("reload done") !=
                                      std::string::npos; },
                         kReloadWait))
      << read_file(dir.file("walnut.log"));
  EXPECT_EQ(c.call({"GET", "k"}), "$5\r\non-r2\r\n");
  EXPECT_NE(read_file(dir.file("walnut.log")).find(dir.path() + "/relative.yml"), std::string::npos)
      << "the reload names the file it read";
}

}  // namespace
}  // namespace walnut::e2e
