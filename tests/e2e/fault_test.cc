// Fault injection: backends killed mid-pipeline, stopped (SIGSTOP) past the
// pool timeout, refusing connections and then coming up; clients over the
// pool's limit and clients that vanish with requests in flight. Every
// request gets exactly one reply, in order: its own, or an error naming the
// cause; a fault touches only the requests routed to the broken server.
// (Ejection, reuseport and preconnect: fault_ejection_test.cc.)
#include <signal.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/e2e/harness.h"
#include "tests/e2e/memcache_client.h"
#include "tests/e2e/memcached_server.h"
#include "tests/e2e/paused.h"
#include "tests/e2e/redis_pool_helpers.h"
#include "tests/e2e/resp_reply.h"
#include "tests/e2e/stats_json.h"

namespace walnut::e2e {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

long long ms_since(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t).count();
}

// The cause in a one-line "-ERR cause\r\n" reply; "" when it is not one.
std::string err_cause(const std::string& r) {
  if (r.rfind("-ERR ", 0) != 0 || r.size() < 8 || r.find("\r\n") != r.size() - 2) return "";
  return r.substr(5, r.size() - 7);
}

// Writes each key (its own name as value) through walnut, then finds it
// directly on the servers.
std::vector<int> place(int walnut_port, const std::vector<int>& ports,
                       const std::vector<std::string>& keys) {
  Client c(walnut_port);
  std::string pipeline;
  for (const auto& k : keys) pipeline += encode({"SET", k, k});
  c.send_raw(pipeline);
  for (const auto& k : keys) {
    std::string r = c.read_reply();
    EXPECT_EQ(r, "+OK\r\n") << "SET " << k;
    if (r.empty()) break;
  }
  return locate(ports, keys);
}

// Keys "prefix:i" for i < n, split by the index of the server that holds them.
std::map<int, std::vector<std::string>> keys_by_server(int walnut_port,
                                                       const std::vector<int>& ports,
                                                       const std::string& prefix, int n) {
  std::vector<std::string> keys;
  for (int i = 0; i < n; ++i) keys.push_back(prefix + ":" + std::to_string(i));
  std::vector<int> where = place(walnut_port, ports, keys);
  std::map<int, std::vector<std::string>> by;
  for (size_t i = 0; i < keys.size(); ++i) by[where[i]].push_back(keys[i]);
  return by;
}

std::vector<int> ports_of(const std::vector<std::unique_ptr<RedisServer>>& servers) {
  std::vector<int> ports;
  for (const auto& s : servers) ports.push_back(s->port());
  return ports;
}

std::vector<std::unique_ptr<RedisServer>> redis_servers(const TempDir& dir, int n) {
  std::vector<std::unique_ptr<RedisServer>> v;
  for (int i = 0; i < n; ++i) v.push_back(std::make_unique<RedisServer>(dir));
  return v;
}

// A redis-server on a given port (one that was down), in its own directory.
Process redis_on_port(const TempDir& dir, int port) {
  std::string sub = dir.file("redis-again-" + std::to_string(port));
  std::filesystem::create_directories(sub);
  Process p({"/usr/bin/redis-server", "--port", std::to_string(port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--dir", sub, "--daemonize", "no"},
            sub + "/redis.log");
  EXPECT_TRUE(wait_for_port(port, 10s)) << read_file(sub + "/redis.log");
  return p;
}

const char* const kMd5Ketama = "  hash: md5\n  distribution: ketama\n";

// walnut's arguments for its stats on `stats_port`, a fresh snapshot every
// 10 ms.
std::vector<std::string> stats_args(int stats_port) {
  return {"-s", std::to_string(stats_port), "-i", "10"};
}

// --- 1. A backend SIGKILLed in the middle of a 10,000-request pipeline ---

TEST(FaultBackend, KilledMidPipelineEveryRequestGetsOneReplyInOrder) {
  TempDir dir;
  auto redis = redis_servers(dir, 3);
  std::vector<int> ports = ports_of(redis);
  const int stats_port = free_port();
  Walnut w(dir, pool_yaml("killed", ports, kMd5Ketama), stats_args(stats_port));

  const int kPairs = 5000;  // SET k_j v_j, GET k_j: 10,000 requests
  std::vector<std::string> keys;
  for (int j = 0; j < kPairs; ++j) keys.push_back("kill:" + std::to_string(j));
  auto value = [](int j) { return "value-of-" + std::to_string(j); };
  std::vector<int> where = place(w.port(), ports, keys);
  std::array<int, 3> held{};
  for (int j = 0; j < kPairs; ++j) {
    ASSERT_GE(where[j], 0) << keys[j] << " not found on exactly one server";
    ++held[where[j]];
  }
  for (int s = 0; s < 3; ++s) {
    EXPECT_GT(held[s], kPairs / 6) << "md5/ketama must spread keys over all three servers";
  }
  const int victim = 1;
  const pid_t victim_pid = redis[victim]->process().pid();
  const std::string victim_name = "127.0.0.1:" + std::to_string(ports[victim]);

  Client c(w.port());
  ASSERT_TRUE(c.connected());
  auto send_pairs = [&](int from, int to) {
    std::string chunk;
    for (int j = from; j < to; ++j) {
      chunk += encode({"SET", keys[j], value(j)}) + encode({"GET", keys[j]});
    }
    c.send_raw(chunk);
  };
  // Replies are read all along, so that none of them holds up the sending.
  std::atomic<int> replies_read{0};
  std::vector<std::string> replies;
  std::thread reader([&] {
    for (int i = 0; i < 2 * kPairs; ++i) {
      std::string r = c.read_reply();
      if (r.empty()) break;
      replies.push_back(std::move(r));
      ++replies_read;
    }
  });
  // The pairs before kStop are all answered; those from kStop on are sent
  // to a stopped victim, and those from kKill on after it was killed. The
  // kill comes once walnut holds all of the victim's requests before kKill
  // and has written some of them to it, unanswered.
  const int kStop = 1500, kKill = 2500;
  send_pairs(0, kStop);
  for (auto deadline = Clock::now() + 20s;
       replies_read.load() < 2 * kStop && Clock::now() < deadline;) {
    std::this_thread::sleep_for(1ms);
  }
  EXPECT_EQ(replies_read.load(), 2 * kStop) << "the first part was not answered";
  ::kill(victim_pid, SIGSTOP);
  EXPECT_TRUE(is_stopped(victim_pid, 2s));
  send_pairs(kStop, kKill);
  unsigned long long routed = held[victim];  // place()'s SETs, then the pairs
  for (int j = 0; j < kKill; ++j) routed += where[j] == victim ? 2 : 0;
  EXPECT_GE(await_stat(stats_port, {"killed", victim_name, "requests"}, routed), routed);
  const unsigned long long in_flight = await_stat(stats_port, {"killed", victim_name, "out_queue"}, 1);
  EXPECT_GT(in_flight, 0u) << "walnut wrote nothing to the stopped victim";
  ::kill(victim_pid, SIGKILL);
  send_pairs(kKill, kPairs);
  reader.join();
  redis[victim]->process().stop();  // reaps it
  ASSERT_EQ(replies.size(), static_cast<size_t>(2 * kPairs)) << "a request got no reply";

  // Requests answered before the stop succeed, whichever their server; the
  // victim's from then on (stopped, then dead) all fail.
  int ok_bad = 0, bad_errors = 0;
  std::string first_ok_bad, first_bad_error;
  std::map<std::string, int> causes;  // of the victim's failures
  const std::set<std::string> known = {"Connection reset by peer", "Connection closed by server",
                                       "Connection refused", "Broken pipe"};
  for (int j = 0; j < kPairs; ++j) {
    const std::string& set_r = replies[2 * j];
    const std::string& get_r = replies[2 * j + 1];
    const std::string want_get = bulk(value(j));
    if (where[j] != victim || j < kStop) {
      if ((set_r != "+OK\r\n" || get_r != want_get) && ok_bad++ == 0) {
        first_ok_bad = keys[j] + ": SET -> " + printable(set_r) + ", GET -> " +
                       printable(get_r) + " (want " + printable(want_get) + ")";
      }
      continue;
    }
    for (const std::string* r : {&set_r, &get_r}) {
      std::string cause = err_cause(*r);
      ++causes[cause];
      // Those sent before the kill were on the connection it broke.
      bool ok = known.count(cause) != 0 && (j >= kKill || cause != "Connection refused");
      if (!ok && bad_errors++ == 0) first_bad_error = keys[j] + " -> " + printable(*r);
    }
  }
  std::string cause_list;
  for (const auto& [cause, n] : causes) cause_list += " [" + cause + "] x" + std::to_string(n);
  std::cout << "killed with (at least) " << in_flight << " requests in flight; the victim's "
            << "failed with" << cause_list << "\n";
  EXPECT_EQ(ok_bad, 0) << "requests to live servers, and to the victim before it stopped, "
                          "must all succeed; first: " << first_ok_bad;
  EXPECT_EQ(bad_errors, 0) << "a stopped, then dead server answers nothing: each request "
                              "fails with one '-ERR <cause>' line naming its connection's "
                              "fate (the broken one's, if sent before the kill); first: "
                           << first_bad_error;

  EXPECT_EQ(c.call({"PING"}), "+PONG\r\n") << "the client connection stays in sync";
  // Every key of a live server holds its phase-two value, checked directly.
  for (int s = 0; s < 3; ++s) {
    if (s == victim) continue;
    Client direct(ports[s]);
    Args mget = {"MGET"};
    std::vector<int> mine;
    for (int j = 0; j < kPairs; ++j) {
      if (where[j] != s) continue;
      mget.push_back(keys[j]);
      mine.push_back(j);
    }
    Reply r = parse(direct.call(mget));
    ASSERT_EQ(r.items.size(), mine.size());
    for (size_t i = 0; i < mine.size(); ++i) {
      ASSERT_EQ(r.items[i], bulk(value(mine[i]))) << keys[mine[i]];
    }
  }
  EXPECT_TRUE(w.process().running()) << w.log();
}

// --- 2. A backend stopped past the pool's timeout, then resumed ---

// Long enough that no ordinary request meets it on a stalled machine.
constexpr int kTimeoutMs = 1500;
const std::string kTimeout = "  timeout: " + std::to_string(kTimeoutMs) + "\n";

TEST(FaultTimeout, StoppedServerTimesOutOthersKeepWorkingLateRepliesDiscarded) {
  TempDir dir;
  auto redis = redis_servers(dir, 2);
  std::vector<int> ports = ports_of(redis);
  Walnut w(dir, pool_yaml("slow", ports, kMd5Ketama + kTimeout));
  auto by = keys_by_server(w.port(), ports, "t", 60);
  const std::vector<std::string>& a = by[0];  // on the server that stops
  const std::vector<std::string>& b = by[1];
  ASSERT_GE(a.size(), 6u);
  ASSERT_GE(b.size(), 2u);
  const std::string timed_out = "-ERR Connection timed out\r\n";

  Client c(w.port()), other(w.port());
  ASSERT_EQ(other.call({"GET", b[0]}), bulk(b[0]));
  Paused pause(redis[0]->process().pid());
  ASSERT_TRUE(pause.stopped());

  // Round one: a pipeline over both servers.
  auto t0 = Clock::now();
  c.send_raw(encode({"SET", a[0], "late-" + a[0]}) + encode({"GET", b[0]}) +
             encode({"GET", a[1]}) + encode({"SET", b[1], "new-" + b[1]}) +
             encode({"GET", b[1]}) + encode({"SET", a[2], "late-" + a[2]}));
  // Meanwhile another client is served by the other server, well before
  // the timeout that waiting for the stopped one would mean.
  auto t_other = Clock::now();
  EXPECT_EQ(other.call({"GET", b[0]}), bulk(b[0]));
  EXPECT_LT(ms_since(t_other), kTimeoutMs - 500)
      << "the live server must not wait for the stopped one";
  std::string first = c.read_reply();
  long long waited = ms_since(t0);
  EXPECT_EQ(first, timed_out);
  EXPECT_GE(waited, kTimeoutMs - 20) << "timed out before the timeout";
  EXPECT_LT(waited, 2 * kTimeoutMs);
  EXPECT_EQ(c.read_reply(), bulk(b[0]));
  EXPECT_EQ(c.read_reply(), timed_out);
  EXPECT_EQ(c.read_reply(), "+OK\r\n");
  EXPECT_EQ(c.read_reply(), bulk("new-" + b[1]));
  EXPECT_EQ(c.read_reply(), timed_out);
  EXPECT_LT(ms_since(t0), 2 * kTimeoutMs) << "the three timed out together, not in turn";

  // Round two, still stopped: more requests pile up behind the first. The
  // connection owes three late replies and has sent nothing for a further
  // timeout when round one's stand-ins run out of patience: walnut gives it
  // up then, and round two's requests fail with it.
  const auto t_round_one = t0;
  t0 = Clock::now();
  c.send_raw(encode({"GET", a[3]}) + encode({"SET", a[4], "late-" + a[4]}) +
             encode({"GET", b[0]}));
  EXPECT_EQ(c.read_reply(), timed_out);
  EXPECT_GE(ms_since(t_round_one), 2 * kTimeoutMs - 20) << "given up before its time";
  EXPECT_EQ(c.read_reply(), timed_out);
  EXPECT_EQ(c.read_reply(), bulk(b[0]));
  EXPECT_LT(ms_since(t0), 2 * kTimeoutMs);

  // Resumed: the server reads what the closed connection left in its
  // buffer and applies the late SETs (the last is a[4]'s); walnut's new
  // connection must pair every new request with its own reply.
  pause.resume();
  Client direct(ports[0]);
  ASSERT_TRUE(wait_until([&] { return direct.call({"GET", a[4]}) == bulk("late-" + a[4]); },
                         10s))
      << "the late SET never reached the server";
  c.send_raw(encode({"GET", a[0]}) + encode({"GET", a[1]}) +
             encode({"SET", a[5], "fresh-" + a[5]}) + encode({"GET", a[5]}) +
             encode({"ECHO", "token-1"}) + encode({"GET", a[2]}) + encode({"GET", b[1]}) +
             encode({"GET", a[4]}) + encode({"GET", a[3]}) + encode({"ECHO", "token-2"}));
  std::vector<std::string> got;
  for (int i = 0; i < 10; ++i) got.push_back(c.read_reply());
  EXPECT_EQ(got[0], bulk("late-" + a[0]));
  EXPECT_EQ(got[1], bulk(a[1]));
  EXPECT_EQ(got[2], "+OK\r\n");
  EXPECT_EQ(got[3], bulk("fresh-" + a[5]));
  EXPECT_EQ(got[4], bulk("token-1"));
  EXPECT_EQ(got[5], bulk("late-" + a[2]));
  EXPECT_EQ(got[6], bulk("new-" + b[1]));
  EXPECT_EQ(got[7], bulk("late-" + a[4]));
  EXPECT_EQ(got[8], bulk(a[3]));
  EXPECT_EQ(got[9], bulk("token-2"));
  for (int i = 0; i < 10; ++i) EXPECT_NE(got[i], timed_out) << "request " << i;
  EXPECT_EQ(c.call({"GET", a[1]}), bulk(a[1])) << "still in sync";
}

TEST(FaultTimeout, MemcachedStoppedServerAnswersServerErrorTimedOut) {
  TempDir dir;
  std::vector<std::unique_ptr<MemcachedServer>> mc;
  for (int i = 0; i < 2; ++i) mc.push_back(std::make_unique<MemcachedServer>(dir));
  std::vector<int> ports = {mc[0]->port(), mc[1]->port()};
  Walnut w(dir, memcache_pool_yaml("mcslow", ports, kMd5Ketama + kTimeout));
  auto set = [](const std::string& k, const std::string& v) {
    return "set " + k + " 0 0 " + std::to_string(v.size()) + "\r\n" + v + "\r\n";
  };
  auto value = [](const std::string& k, const std::string& v) {
    return "VALUE " + k + " 0 " + std::to_string(v.size()) + "\r\n" + v + "\r\nEND\r\n";
  };
  std::vector<std::string> keys;
  McClient c(w.port()), other(w.port());
  for (int i = 0; i < 40; ++i) {
    keys.push_back("m:" + std::to_string(i));
    ASSERT_EQ(c.call(set(keys.back(), keys.back())), "STORED\r\n");
  }
  std::vector<int> where = mc_locate(ports, keys);
  std::vector<std::string> a, b;
  for (size_t i = 0; i < keys.size(); ++i) (where[i] == 0 ? a : b).push_back(keys[i]);
  ASSERT_GE(a.size(), 4u);
  ASSERT_GE(b.size(), 2u);
  const std::string timed_out = "SERVER_ERROR Connection timed out\r\n";

  Paused pause(mc[0]->process().pid());
  ASSERT_TRUE(pause.stopped());
  auto t0 = Clock::now();
  c.send_raw(set(a[0], "late-0") + "get " + b[0] + "\r\n" + "get " + a[1] + "\r\n" +
             set(b[1], "new-b1") + "get " + a[2] + "\r\n");
  EXPECT_EQ(other.call("get " + b[0] + "\r\n"), value(b[0], b[0]));
  EXPECT_TRUE(c.quiet_for(0ms)) << "the live server must not wait for the stopped one: "
                                   "it answers while the first request is still pending";
  EXPECT_EQ(c.read_reply(), timed_out);
  EXPECT_GE(ms_since(t0), kTimeoutMs - 20) << "timed out before the timeout";
  EXPECT_EQ(c.read_reply(), value(b[0], b[0]));
  EXPECT_EQ(c.read_reply(), timed_out);
  EXPECT_EQ(c.read_reply(), "STORED\r\n");
  EXPECT_EQ(c.read_reply(), timed_out);
  EXPECT_LT(ms_since(t0), 2 * kTimeoutMs) << "the two timed out together, not in turn";

  pause.resume();
  c.send_raw("get " + a[0] + "\r\n" + "get " + a[1] + "\r\n" + set(a[3], "fresh-3") +
             "get " + a[3] + "\r\n" + "get " + a[2] + "\r\n" + "get " + b[1] + "\r\n");
  std::vector<std::string> got;
  for (int i = 0; i < 6; ++i) got.push_back(c.read_reply());
  McClient direct(ports[0]);
  std::string a0_now = direct.call("get " + a[0] + "\r\n");
  EXPECT_TRUE(a0_now == value(a[0], "late-0") || a0_now == value(a[0], a[0])) << a0_now;
  EXPECT_EQ(got[0], a0_now);
  EXPECT_EQ(got[1], value(a[1], a[1]));
  EXPECT_EQ(got[2], "STORED\r\n");
  EXPECT_EQ(got[3], value(a[3], "fresh-3"));
  EXPECT_EQ(got[4], value(a[2], a[2]));
  EXPECT_EQ(got[5], value(b[1], "new-b1"));
  EXPECT_EQ(c.call("get " + a[1] + "\r\n"), value(a[1], a[1])) << "still in sync";
}

// --- 3. A server down at start, refusing; then started on its port ---

TEST(FaultReconnect, RefusedServerIsUsedOnceItComesUp) {
  TempDir dir;
  RedisServer live(dir);
  const int down = free_port();  // nothing listens here yet
  Walnut w(dir, pool_yaml("refused", {live.port(), down}, kMd5Ketama));
  Client c(w.port());
  std::vector<std::string> on_live, on_down;
  std::string pipeline;
  for (int i = 0; i < 60; ++i) pipeline += encode({"SET", "r:" + std::to_string(i), "v"});
  c.send_raw(pipeline);
  for (int i = 0; i < 60; ++i) {
    std::string r = c.read_reply(), key = "r:" + std::to_string(i);
    if (r == "+OK\r\n") on_live.push_back(key);
    else if (r == "-ERR Connection refused\r\n") on_down.push_back(key);
    else ADD_FAILURE() << "SET " << key << " -> " << printable(r);
  }
  ASSERT_FALSE(on_live.empty());
  ASSERT_FALSE(on_down.empty());
  Client direct(live.port());
  EXPECT_EQ(direct.call({"DBSIZE"}), ":" + std::to_string(on_live.size()) + "\r\n");

  std::string split = c.call({"MGET", on_live[0], on_down[0], on_live.back()});
  EXPECT_NE(err_cause(split), "") << "a split MGET touching the dead server answers one "
                                     "-ERR line, got " << printable(split);
  EXPECT_EQ(c.call({"GET", on_live[0]}), bulk("v")) << "in sync after the failed MGET";

  Process revived = redis_on_port(dir, down);
  auto t0 = Clock::now();
  std::string r;
  int tries = 0;
  while (ms_since(t0) < 5000 && ++tries < 500) {
    r = c.call({"SET", on_down[0], "back"});
    if (r == "+OK\r\n") break;
    EXPECT_EQ(r, "-ERR Connection refused\r\n") << "while reconnecting";
    std::this_thread::sleep_for(20ms);
  }
  ASSERT_EQ(r, "+OK\r\n") << "no reconnect within " << ms_since(t0) << " ms";
  std::cout << "reconnected " << ms_since(t0) << " ms after the server came up\n";
  Client revived_direct(down);
  EXPECT_EQ(revived_direct.call({"GET", on_down[0]}), bulk("back"));
  EXPECT_EQ(c.call({"MGET", on_live[0], on_down[0]}), "*2\r\n" + bulk("v") + bulk("back"));
  for (const auto& k : on_down) EXPECT_EQ(c.call({"SET", k, "again"}), "+OK\r\n") << k;
}

// --- 5. client_connections ---

TEST(FaultClientLimit, ClientsOverTheLimitAreToldAndClosed) {
  TempDir dir;
  RedisServer server(dir);
  Walnut w(dir, pool_yaml("limited", {server.port()}, "  client_connections: 10\n"));
  auto works = [](Client& c, int i) {
    std::string k = "cl:" + std::to_string(i);
    return c.call({"SET", k, k + "-v"}) == "+OK\r\n" && c.call({"GET", k}) == bulk(k + "-v");
  };
  std::vector<std::unique_ptr<Client>> admitted;
  for (int i = 0; i < 10; ++i) {
    admitted.push_back(std::make_unique<Client>(w.port()));
    ASSERT_TRUE(works(*admitted.back(), i)) << "client " << i << " of 10";
  }
  const std::string full = "-ERR max number of clients reached\r\n";
  for (int i = 0; i < 10; ++i) {
    Client extra(w.port());
    ASSERT_TRUE(extra.connected());
    EXPECT_EQ(extra.read_reply(), full) << "extra client " << i;
    EXPECT_TRUE(extra.closed_by_peer(2s)) << "extra client " << i;
  }
  EXPECT_NE(w.log().find("max number of clients"), std::string::npos) << w.log();
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(works(*admitted[i], 100 + i)) << "admitted " << i;

  admitted.resize(7);  // three leave: three may come in
  std::vector<std::unique_ptr<Client>> late;
  auto t0 = Clock::now();
  for (int tries = 0; late.size() < 3 && tries < 200 && ms_since(t0) < 3000; ++tries) {
    auto c = std::make_unique<Client>(w.port());
    std::string k = "late:" + std::to_string(tries);
    std::string r = c->call({"SET", k, "1"});
    if (r == "+OK\r\n") {
      late.push_back(std::move(c));
    } else {
      EXPECT_EQ(r, full);
      std::this_thread::sleep_for(20ms);
    }
  }
  ASSERT_EQ(late.size(), 3u) << "walnut must accept clients again once some left";
  Client eleventh(w.port());
  EXPECT_EQ(eleventh.read_reply(), full) << "ten again: the next one is refused";
  for (size_t i = 0; i < late.size(); ++i) EXPECT_TRUE(works(*late[i], 200 + i));
  for (size_t i = 0; i < admitted.size(); ++i) EXPECT_TRUE(works(*admitted[i], 300 + i));
}

// --- 6. A client that leaves with 1000 requests in flight ---

TEST(FaultClientGone, ClientLeavingWithRequestsInFlightLeavesThePoolInSync) {
  TempDir dir;
  auto redis = redis_servers(dir, 2);
  std::vector<int> ports = ports_of(redis);
  const int stats_port = free_port();
  // No client_output_limit: with one, walnut would forward only a first
  // window of the leaver's requests to the stalled server (their reply
  // sizes are unknown), and this test is about all of them being in flight.
  Walnut w(dir, pool_yaml("gone", ports, kMd5Ketama + std::string("  client_output_limit: 0\n")),
           stats_args(stats_port));
  auto by = keys_by_server(w.port(), ports, "g", 60);
  const std::vector<std::string>& a = by[0];  // on the stalled server
  const std::vector<std::string>& b = by[1];
  ASSERT_GE(a.size(), 5u);
  ASSERT_GE(b.size(), 2u);
  Client bystander(w.port());
  ASSERT_EQ(bystander.call({"GET", b[0]}), bulk(b[0]));
  {
    Paused stall(redis[0]->process().pid());
    ASSERT_TRUE(stall.stopped());
    {
      Client leaver(w.port());
      std::string pipeline;
      for (int i = 0; i < 1000; ++i) {
        const std::string& k = a[i % a.size()];
        pipeline += i % 2 ? encode({"GET", k}) : encode({"SET", k, "gone-" + std::to_string(i)});
      }
      leaver.send_raw(pipeline);
      // walnut has taken all of them for the stalled server (after the SETs
      // that placed its keys) before the client leaves.
      const unsigned long long routed = a.size() + 1000;
      const std::string stalled = "127.0.0.1:" + std::to_string(ports[0]);
      EXPECT_GE(await_stat(stats_port, {"gone", stalled, "requests"}, routed), routed);
    }  // closed with every request unanswered
    // The live server serves others meanwhile. (This pool has no timeout:
    // had these to wait for the stalled server, no reply could come before
    // the resume below.)
    EXPECT_EQ(bystander.call({"SET", b[1], "by"}), "+OK\r\n");
    EXPECT_EQ(bystander.call({"GET", b[1]}), bulk("by"));
  }  // resumed: it answers 1000 requests for nobody
  ASSERT_TRUE(w.process().running()) << w.log();
  Client next(w.port());
  std::string pipeline;
  std::vector<std::string> want;
  for (int i = 0; i < 300; ++i) {
    const std::string& k = a[i % a.size()];
    std::string v = "next-" + std::to_string(i);
    pipeline += encode({"SET", k, v}) + encode({"GET", k}) + encode({"ECHO", "e" + std::to_string(i)});
    want.push_back("+OK\r\n");
    want.push_back(bulk(v));
    want.push_back(bulk("e" + std::to_string(i)));
  }
  next.send_raw(pipeline);
  for (size_t i = 0; i < want.size(); ++i) {
    std::string r = next.read_reply();
    ASSERT_EQ(r, want[i]) << "reply " << i << " of a fresh client after the leaver";
  }
  EXPECT_EQ(bystander.call({"GET", a[0]}), next.call({"GET", a[0]}));
  EXPECT_EQ(bystander.call({"GET", b[1]}), bulk("by"));
}

}  // namespace
}  // namespace walnut::e2e
