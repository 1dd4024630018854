// Fault injection, server membership: a dead server ejected from the ring
// (auto_eject_hosts) exactly as nutcracker ejects it, kept out while dead and
// taken back once it answers; two walnuts sharing a port (reuseport); and a
// server down when walnut starts with preconnect. (Killed, stopped and
// refusing servers and misbehaving clients: fault_test.cc.)
#include <signal.h>

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/e2e/harness.h"
#include "tests/e2e/redis_pool_helpers.h"
#include "tests/e2e/resp_reply.h"

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

// Writes each key (its own name as value) through a proxy, then finds it
// directly on the servers.
std::vector<int> place(int proxy_port, const std::vector<int>& ports,
                       const std::vector<std::string>& keys) {
  Client c(proxy_port);
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

// SETs `key` through the proxy on `port` until it succeeds (bounded);
// returns the failed replies before the success, or fails the test.
std::vector<std::string> set_until_ok(int port, const std::string& key, const std::string& value,
                                      const char* who) {
  std::vector<std::string> failed;
  auto c = std::make_unique<Client>(port);
  auto t0 = Clock::now();
  for (int tries = 0; tries < 100 && ms_since(t0) < 5000; ++tries) {
    std::string r = c->call({"SET", key, value});
    if (r == "+OK\r\n") return failed;
    failed.push_back(r);
    if (r.empty()) c = std::make_unique<Client>(port);  // closed on us: reconnect
    std::this_thread::sleep_for(10ms);
  }
  ADD_FAILURE() << who << " never served " << key << " again; last reply "
                << (failed.empty() ? "" : printable(failed.back()));
  return failed;
}

// --- 4. auto_eject_hosts, compared with nutcracker ---

TEST(FaultEjection, DeadServerIsEjectedLikeNutcrackerKeptOutAndTakenBack) {
  TempDir dir;
  std::vector<std::unique_ptr<RedisServer>> redis;
  std::vector<int> ports;
  for (int i = 0; i < 3; ++i) {
    redis.push_back(std::make_unique<RedisServer>(dir));
    ports.push_back(redis.back()->port());
  }
  auto settings = [](int retry_timeout_ms) {
    return "  hash: md5\n  distribution: ketama\n  auto_eject_hosts: true\n"
           "  server_failure_limit: 2\n  server_retry_timeout: " +
           std::to_string(retry_timeout_ms) + "\n";
  };
  Walnut w(dir, pool_yaml("eject", ports, settings(1000)));
  // nutcracker re-adds an ejected server blindly when its retry timeout
  // ends: a longer one than walnut's leaves time to write through the ring
  // it rebuilt (walnut takes a server back only once it answers: below).
  const int nut_port = free_port();
  std::string nut_yaml = pool_yaml("eject", ports, settings(3000));
  nut_yaml.replace(nut_yaml.find("LISTEN_PORT"), 11, std::to_string(nut_port));
  std::ofstream(dir.file("nutcracker.yml")) << nut_yaml;
  Process nutcracker({"/usr/sbin/nutcracker", "-c", dir.file("nutcracker.yml"), "-a", "127.0.0.1", "-s",
                      std::to_string(free_port()), "-a", "127.0.0.1", "-o",
                      dir.file("nutcracker.log")},
                     dir.file("nutcracker.out"));
  ASSERT_TRUE(wait_for_port(nut_port, 10s)) << read_file(dir.file("nutcracker.log"));

  std::vector<std::string> keys;
  for (int i = 0; i < 300; ++i) keys.push_back("e:" + std::to_string(i));
  const std::vector<int> where = place(w.port(), ports, keys);
  const int victim = 2;
  std::vector<std::string> victim_keys;
  int held[3] = {0, 0, 0};
  for (size_t i = 0; i < keys.size(); ++i) {
    ASSERT_GE(where[i], 0) << keys[i];
    ++held[where[i]];
    if (where[i] == victim) victim_keys.push_back(keys[i]);
  }
  for (int s = 0; s < 3; ++s) EXPECT_GT(held[s], 50) << "md5/ketama spreads over all three";
  ASSERT_GE(victim_keys.size(), 10u);
  {
    // Both proxies agree on the full ring (and both connect to the victim).
    Client nut(nut_port);
    for (size_t i = 0; i < keys.size(); i += 7) {
      ASSERT_EQ(nut.call({"GET", keys[i]}), bulk(keys[i])) << "nutcracker disagrees";
    }
  }

  ::kill(redis[victim]->process().pid(), SIGKILL);
  redis[victim]->process().stop();  // reaps it

  // walnut: a handful of failures, then the key lives on a remaining server.
  std::vector<std::string> failed = set_until_ok(w.port(), victim_keys[0], "moved", "walnut");
  EXPECT_LE(failed.size(), 4u) << "ejection after server_failure_limit (2) failures";
  for (const auto& r : failed) EXPECT_NE(err_cause(r), "") << printable(r);
  std::cout << "walnut ejected the dead server after " << failed.size()
            << " failed requests\n";
  {
    Client d0(ports[0]), d1(ports[1]);
    bool on0 = d0.call({"GET", victim_keys[0]}) == bulk("moved");
    bool on1 = d1.call({"GET", victim_keys[0]}) == bulk("moved");
    EXPECT_TRUE(on0 != on1) << "the key moved to exactly one remaining server";
  }

  // nutcracker: once it has ejected the server too (it re-adds it blindly
  // after its retry timeout, so write at once and retry the round if that
  // bit), keys written through it are found through walnut: the same
  // rebuilt ring.
  const int kRing = 500;
  int written = 0;
  for (int round = 0; round < 3 && written < kRing; ++round) {
    set_until_ok(nut_port, victim_keys[1], "moved-too", "nutcracker");
    Client nut(nut_port);
    std::string pipeline;
    for (int i = 0; i < kRing; ++i) {
      pipeline += encode({"SET", "ring:" + std::to_string(i), "ring-" + std::to_string(i)});
    }
    nut.send_raw(pipeline);
    written = 0;
    for (int i = 0; i < kRing; ++i) written += nut.read_reply() == "+OK\r\n";
  }
  ASSERT_EQ(written, kRing) << "nutcracker kept failing writes after ejecting";
  {
    Client c(w.port());
    std::string pipeline;
    for (int i = 0; i < kRing; ++i) pipeline += encode({"GET", "ring:" + std::to_string(i)});
    c.send_raw(pipeline);
    int misplaced = 0;
    std::string first_bad;
    for (int i = 0; i < kRing; ++i) {
      std::string r = c.read_reply();
      if (r != bulk("ring-" + std::to_string(i)) && misplaced++ == 0) {
        first_bad = "ring:" + std::to_string(i) + " -> " + printable(r);
      }
    }
    EXPECT_EQ(misplaced, 0) << "keys placed differently from nutcracker's rebuilt ring, e.g. "
                            << first_bad;
  }

  // Kept out while dead, across several retry timeouts (health checks).
  {
    Client c(w.port());
    auto t0 = Clock::now();
    int rounds = 0, bad = 0, refused = 0;
    std::string first_bad;
    // Ten rounds at least, however slow the machine.
    while ((ms_since(t0) < 3000 || rounds < 10) && rounds < 1000) {
      std::string pipeline;
      for (const auto& k : victim_keys) {
        pipeline += encode({"SET", k, "steady-" + std::to_string(rounds)}) + encode({"GET", k});
      }
      c.send_raw(pipeline);
      for (const auto& k : victim_keys) {
        std::string s = c.read_reply(), g = c.read_reply();
        if (s != "+OK\r\n" || g != bulk("steady-" + std::to_string(rounds))) {
          if (bad++ == 0) first_bad = k + ": " + printable(s) + " / " + printable(g);
          if (s.find("refused") != std::string::npos) ++refused;
          if (s.empty() || g.empty()) break;
        }
      }
      ++rounds;
      std::this_thread::sleep_for(20ms);
    }
    EXPECT_EQ(bad, 0) << refused << " 'refused' among " << bad
                      << " failures after ejection; first: " << first_bad;
  }

  // Back: a redis-server on the victim's port is taken back into the ring.
  Process revived = redis_on_port(dir, ports[victim]);
  auto t0 = Clock::now();
  bool back = false;
  {
    Client c(w.port()), direct(ports[victim]);
    for (int n = 0; n < 200 && ms_since(t0) < 6000 && !back; ++n) {
      std::string v = "back-" + std::to_string(n);
      EXPECT_EQ(c.call({"SET", victim_keys[0], v}), "+OK\r\n");
      back = direct.call({"GET", victim_keys[0]}) == bulk(v);
      if (!back) std::this_thread::sleep_for(50ms);
    }
  }
  ASSERT_TRUE(back) << "the revived server was not taken back within " << ms_since(t0)
                    << " ms: " << w.log();
  std::cout << "revived server back in the ring after " << ms_since(t0) << " ms\n";
  // The whole ring is as it was before the kill.
  for (int p : ports) ASSERT_EQ(flushed(p), "+OK\r\n+OK\r\n");
  EXPECT_EQ(place(w.port(), ports, keys), where) << "ring not restored after the return";
  EXPECT_TRUE(nutcracker.running()) << read_file(dir.file("nutcracker.log"));
}

// --- 7. reuseport: two walnuts on one port ---

TEST(FaultReuseport, TwoWalnutsShareAPortAndOneMayLeave) {
  TempDir dir;
  RedisServer server(dir);
  const int port = free_port();
  // No LISTEN_PORT: both listen on the same fixed port.
  const std::string yaml = "shared:\n  listen: 127.0.0.1:" + std::to_string(port) +
                           "\n  redis: true\n  reuseport: true\n  servers:\n   - 127.0.0.1:" +
                           std::to_string(server.port()) + ":1\n";
  auto first = std::make_unique<Walnut>(dir, yaml);
  ASSERT_TRUE(wait_for_port(port, 10s)) << first->log();
  auto second = std::make_unique<Walnut>(dir, yaml);
  auto t0 = Clock::now();
  while (second->log().find("listening on") == std::string::npos && ms_since(t0) < 5000 &&
         second->process().running()) {
    std::this_thread::sleep_for(20ms);
  }
  ASSERT_TRUE(second->process().running()) << "second walnut on a reuseport port: "
                                           << second->log();
  ASSERT_NE(second->log().find("listening on"), std::string::npos) << second->log();
  ASSERT_TRUE(first->process().running()) << first->log();

  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < 40; ++i) clients.push_back(std::make_unique<Client>(port));
  for (int i = 0; i < 40; ++i) {
    std::string k = "ru:" + std::to_string(i);
    ASSERT_EQ(clients[i]->call({"SET", k, k + "-v"}), "+OK\r\n") << "client " << i;
    ASSERT_EQ(clients[i]->call({"GET", k}), bulk(k + "-v")) << "client " << i;
  }
  first.reset();  // SIGTERM; its clients are closed, the other's stay
  int served = 0, closed = 0;
  for (int i = 0; i < 40; ++i) {
    std::string k = "ru:" + std::to_string(i);
    std::string r = clients[i]->call({"GET", k});
    if (r == bulk(k + "-v")) ++served;
    else if (r.empty()) ++closed;
    else ADD_FAILURE() << "client " << i << ": " << printable(r);
  }
  EXPECT_GT(served, 0) << "the kernel spread the 40 clients over both walnuts";
  EXPECT_GT(closed, 0) << "the kernel spread the 40 clients over both walnuts";
  for (int i = 0; i < 40; ++i) {
    Client c(port);
    std::string k = "ru2:" + std::to_string(i);
    ASSERT_EQ(c.call({"SET", k, "1"}), "+OK\r\n") << "new client " << i << " after one left";
  }
  EXPECT_TRUE(second->process().running()) << second->log();
}

// --- 8. preconnect with a server down ---

TEST(FaultPreconnect, DownServerAtStartIsLoggedNotFatal) {
  TempDir dir;
  RedisServer live(dir);
  const int down = free_port();
  Walnut w(dir, pool_yaml("pre", {live.port(), down},
                          "  hash: md5\n  distribution: ketama\n  preconnect: true\n"));
  ASSERT_TRUE(w.process().running()) << w.log();
  // Connected to the live server before any client asked.
  Client direct(live.port());
  auto t0 = Clock::now();
  std::string info;
  while (ms_since(t0) < 3000) {
    info = direct.call({"INFO", "clients"});
    if (info.find("connected_clients:2\r\n") != std::string::npos) break;
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_NE(info.find("connected_clients:2\r\n"), std::string::npos)
      << "preconnect opens the live server's connection at start: " << info;
  // The failure is in the log, naming the server.
  const std::string label = "127.0.0.1:" + std::to_string(down);
  bool logged = false;
  for (t0 = Clock::now(); !logged && ms_since(t0) < 3000; std::this_thread::sleep_for(20ms)) {
    std::istringstream log(w.log());
    for (std::string line; std::getline(log, line);) {
      if (line.find(label) != std::string::npos &&
          (line.find("fail") != std::string::npos || line.find("refused") != std::string::npos)) {
        logged = true;
      }
    }
  }
  EXPECT_TRUE(logged) << "no log line names " << label << " as failing: " << w.log();

  Client c(w.port());
  std::string pipeline;
  for (int i = 0; i < 60; ++i) pipeline += encode({"SET", "pre:" + std::to_string(i), "v"});
  c.send_raw(pipeline);
  std::vector<std::string> ok;
  for (int i = 0; i < 60; ++i) {
    std::string r = c.read_reply(), k = "pre:" + std::to_string(i);
    if (r == "+OK\r\n") ok.push_back(k);
    else EXPECT_EQ(r, "-ERR Connection refused\r\n") << k;
  }
  EXPECT_GT(ok.size(), 0u);
  EXPECT_LT(ok.size(), 60u) << "md5/ketama puts some keys on the down server";
  EXPECT_EQ(direct.call({"DBSIZE"}), ":" + std::to_string(ok.size()) + "\r\n");
  for (const auto& k : ok) EXPECT_EQ(c.call({"GET", k}), bulk("v")) << k;
}

}  // namespace
// Only real connect attempts count towards ejection: requests that fail at
// once during the reconnect backoff must not (they once did, and one refused
// connect under load ejected a server for server_retry_timeout).
TEST(FaultEjection, RequestsDuringTheBackoffDoNotCountAsFailures) {
  TempDir dir;
  RedisServer live(dir);
  int dead = free_port();
  Walnut w(dir,
           "backoff:\n"
           "  listen: 127.0.0.1:LISTEN_PORT\n"
           "  redis: true\n"
           "  distribution: modula\n"
           "  auto_eject_hosts: true\n"
           "  server_failure_limit: 5\n"
           "  server_retry_timeout: 60000\n"
           "  servers:\n"
           "   - 127.0.0.1:" + std::to_string(live.port()) + ":1\n"
           "   - 127.0.0.1:" + std::to_string(dead) + ":1\n");
  Client c(w.port());
  auto burst = [&] {
    std::string pipeline;
    for (int i = 0; i < 40; ++i) pipeline += encode({"GET", "k" + std::to_string(i)});
    c.send_raw(pipeline);
    int refused = 0;
    for (int i = 0; i < 40; ++i) {
      if (c.read_reply().rfind("-ERR ", 0) == 0) ++refused;
    }
    return refused;
  };
  // Failed connects logged before the ejection (if any).
  auto failed_connects = [&] {
    std::string log = w.log();
    size_t n = 0;
    for (size_t at = 0; (at = log.find("connect to server", at)) != std::string::npos; ++at) {
      if (at > log.find("ejecting server")) break;
      ++n;
    }
    return n;
  };
  auto ejected = [&] { return w.log().find("ejecting server") != std::string::npos; };
  EXPECT_GT(burst(), 5) << "more failing requests than the failure limit";
  // The backoff doubles with each failed connect (50, 100, 200 ms): after
  // the third, a burst at once lands inside it even on a slow machine (and
  // if not, makes the fourth, still short of the limit).
  for (auto t0 = Clock::now(); failed_connects() < 3 && !ejected() && ms_since(t0) < 5000;) {
    std::this_thread::sleep_for(20ms);
    burst();
  }
  EXPECT_GT(burst(), 5);
  ASSERT_FALSE(ejected()) << "one refused connect is one failure, however many requests "
                             "wait: " << w.log();
  // Connects that keep failing do eject it, after exactly the limit.
  for (int i = 0; i < 60 && !ejected(); ++i) {
    burst();
    std::this_thread::sleep_for(100ms);
  }
  ASSERT_TRUE(ejected()) << w.log();
  EXPECT_EQ(failed_connects(), 5u) << w.log();
  EXPECT_EQ(burst(), 0) << "after ejection every key lives on the live server";
}

}  // namespace walnut::e2e
