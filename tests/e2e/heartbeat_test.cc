// server_heartbeat: walnut probes idle server connections (PING, or
// memcached's version) and reopens closed ones in the background, so that
// a dead server is noticed with no client traffic at all, and a restarted
// one is connected again before the next client request needs it.
#include <signal.h>

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "tests/e2e/harness.h"
#include "tests/e2e/memcached_server.h"
#include "tests/e2e/paused.h"
#include "tests/e2e/stats_json.h"

namespace walnut::e2e {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

long long ms_since(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t).count();
}

std::string redis_pool(int server_port, const std::string& extra) {
  return "beat:\n"
         "  listen: 127.0.0.1:LISTEN_PORT\n"
         "  redis: true\n" +
         extra +
         "  servers:\n"
         "    - 127.0.0.1:" +
         std::to_string(server_port) + ":1 one\n";
}

std::vector<std::string> stats_args(int stats_port) {
  return {"-s", std::to_string(stats_port), "-i", "10"};
}

// How many PINGs the server has been sent (INFO commandstats), -1 when it
// does not answer.
long long pings_seen(int redis_port) {
  Client c(redis_port);
  const std::string info = c.call({"INFO", "commandstats"});
  if (info.empty()) return -1;
  const std::string key = "cmdstat_ping:calls=";
  const size_t at = info.find(key);
  if (at == std::string::npos) return 0;
  return std::stoll(info.substr(at + key.size()));
}

// The number at `path` in the stats right now (0 when missing).
unsigned long long stat_now(int stats_port, const std::vector<std::string>& path) {
  StatsSnapshot s = read_stats_until(stats_port, [](const Json&) { return true; });
  return s.doc == nullptr ? 0 : number_at(*s.doc, path);
}

// Waits (bounded by `limit`) until the stat at `path` equals `want`.
bool stat_becomes(int stats_port, const std::vector<std::string>& path, unsigned long long want,
                  std::chrono::milliseconds limit) {
  const auto t0 = Clock::now();
  while (Clock::now() - t0 < limit) {
    if (stat_now(stats_port, path) == want) return true;
    std::this_thread::sleep_for(20ms);
  }
  return false;
}

TEST(Heartbeat, AnIdleServerIsConnectedAndPingedWithNoClient) {
  TempDir dir;
  RedisServer redis(dir);
  const int stats_port = free_port();
  Walnut walnut(dir, redis_pool(redis.port(), "  timeout: 1000\n  server_heartbeat: 100\n"),
                stats_args(stats_port));
  // Connected at start, as with preconnect, with no client anywhere.
  EXPECT_TRUE(stat_becomes(stats_port, {"beat", "one", "server_connections"}, 1, 5s));
  // And probed while idle: PINGs arrive, one an interval or so.
  const auto t0 = Clock::now();
  long long pings = 0;
  while (ms_since(t0) < 10000 && (pings = pings_seen(redis.port())) < 3) {
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_GE(pings, 3) << "heartbeat PINGs seen by the server within 10 s";
  EXPECT_EQ(stat_now(stats_port, {"beat", "one", "heartbeat_failures"}), 0u);
  // No client ever saw any of it: the first request is plain.
  Client c(walnut.port());
  EXPECT_EQ(c.call({"SET", "k", "v"}), "+OK\r\n");
  EXPECT_EQ(c.call({"GET", "k"}), "$1\r\nv\r\n");
}

TEST(Heartbeat, AKilledServerIsNoticedAndItsRestartReconnectedWithNoClient) {
  TempDir dir;
  RedisServer redis(dir);
  const int stats_port = free_port();
  Walnut walnut(dir, redis_pool(redis.port(), "  timeout: 500\n  server_heartbeat: 100\n"),
                stats_args(stats_port));
  ASSERT_TRUE(stat_becomes(stats_port, {"beat", "one", "server_connections"}, 1, 5s));

  redis.crash();
  const auto killed = Clock::now();
  // Failed within heartbeat + timeout (with room for a slow machine): the
  // connection's EOF, then each background reconnect refused.
  EXPECT_GE(await_stat(stats_port, {"beat", "one", "heartbeat_failures"}, 1), 1u);
  EXPECT_LT(ms_since(killed), 100 + 500 + 5000);
  EXPECT_EQ(stat_now(stats_port, {"beat", "one", "server_connections"}), 0u);

  redis.restart();
  // Reconnected in the background: before any client asks.
  EXPECT_TRUE(stat_becomes(stats_port, {"beat", "one", "server_connections"}, 1, 5s));
  const unsigned long long errors_before = stat_now(stats_port, {"beat", "one", "server_err"});
  Client c(walnut.port());
  EXPECT_EQ(c.call({"SET", "after", "restart"}), "+OK\r\n");
  EXPECT_EQ(c.call({"GET", "after"}), "$7\r\nrestart\r\n");
  EXPECT_EQ(stat_now(stats_port, {"beat", "one", "server_err"}), errors_before)
      << "the first request after the outage did not meet a failed connect";
}

// A server that keeps its connection but stops answering (SIGSTOP): the
// probe's answer is missing, so the connection is closed and counted; once
// it answers again, so do the heartbeats, and so do client requests.
void a_silent_server_fails_its_heartbeats(const std::string& timeout_line) {
  TempDir dir;
  RedisServer redis(dir);
  const int stats_port = free_port();
  Walnut walnut(dir, redis_pool(redis.port(), timeout_line + "  server_heartbeat: 100\n"),
                stats_args(stats_port));
  ASSERT_TRUE(stat_becomes(stats_port, {"beat", "one", "server_connections"}, 1, 5s));

  ASSERT_EQ(kill(redis.process().pid(), SIGSTOP), 0);
  const unsigned long long failures =
      await_stat(stats_port, {"beat", "one", "heartbeat_failures"}, 2);
  ASSERT_EQ(kill(redis.process().pid(), SIGCONT), 0);
  EXPECT_GE(failures, 2u);
  EXPECT_GE(stat_now(stats_port, {"beat", "one", "server_err"}), 1u)
      << "each missing answer closed the connection as an error";

  // Answering again: a request works, and the count stops growing.
  Client c(walnut.port());
  std::string reply;
  const auto t0 = Clock::now();
  while (ms_since(t0) < 5000 && (reply = c.call({"PING"})) != "+PONG\r\n") {
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_EQ(reply, "+PONG\r\n");
  const unsigned long long settled = stat_now(stats_port, {"beat", "one", "heartbeat_failures"});
  std::this_thread::sleep_for(600ms);  // several intervals
  EXPECT_EQ(stat_now(stats_port, {"beat", "one", "heartbeat_failures"}), settled);
}

TEST(Heartbeat, ASilentServerFailsItsHeartbeatWithinTheTimeout) {
  a_silent_server_fails_its_heartbeats("  timeout: 300\n");
}

TEST(Heartbeat, ASilentServerFailsItsHeartbeatInAPoolWithNoTimeout) {
  // No timeout to wait: the probe may take one interval.
  a_silent_server_fails_its_heartbeats("");
}

TEST(Heartbeat, AClientRequestBehindAMissingAnswerWaitsInAPoolWithNoTimeout) {
  // With no timeout, a client waits as long as the server takes: a probe
  // that went unanswered before the client's request came counts a
  // heartbeat failure, but does not time the client's request out.
  TempDir dir;
  RedisServer redis(dir);
  const int stats_port = free_port();
  Walnut walnut(dir, redis_pool(redis.port(), "  server_heartbeat: 1000\n"), stats_args(stats_port));
  ASSERT_TRUE(stat_becomes(stats_port, {"beat", "one", "server_connections"}, 1, 5s));
  ASSERT_EQ(Client(redis.port()).call({"SET", "waited", "for"}), "+OK\r\n");

  ASSERT_EQ(kill(redis.process().pid(), SIGSTOP), 0);
  // The probe is on its way when the stopped server holds its bytes.
  const bool probed = holds_unread_bytes(redis.port(), 5s);
  Client c(walnut.port());
  c.send({"GET", "waited"});
  // The probe's patience (one interval) runs out meanwhile.
  const unsigned long long failures =
      await_stat(stats_port, {"beat", "one", "heartbeat_failures"}, 1);
  std::this_thread::sleep_for(200ms);
  ASSERT_EQ(kill(redis.process().pid(), SIGCONT), 0);
  ASSERT_TRUE(probed) << "no probe reached the stopped server";
  EXPECT_GE(failures, 1u);
  EXPECT_EQ(c.read_reply(), "$3\r\nfor\r\n");
  EXPECT_EQ(stat_now(stats_port, {"beat", "one", "server_timedout"}), 0u);
}

TEST(Heartbeat, MemcachedIsProbedWithVersionAndReconnected) {
  TempDir dir;
  auto memcached = std::make_unique<MemcachedServer>(dir);
  const int port = memcached->port();
  const int stats_port = free_port();
  Walnut walnut(dir,
                "beat:\n"
                "  listen: 127.0.0.1:LISTEN_PORT\n"
                "  timeout: 500\n"
                "  server_heartbeat: 100\n"
                "  servers:\n"
                "    - 127.0.0.1:" +
                    std::to_string(port) + ":1 one\n",
                stats_args(stats_port));
  ASSERT_TRUE(stat_becomes(stats_port, {"beat", "one", "server_connections"}, 1, 5s));
  // Quiet for several intervals: every probe answered.
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(stat_now(stats_port, {"beat", "one", "heartbeat_failures"}), 0u);
  EXPECT_EQ(stat_now(stats_port, {"beat", "one", "server_err"}), 0u);

  memcached.reset();  // stopped by pid
  EXPECT_GE(await_stat(stats_port, {"beat", "one", "heartbeat_failures"}, 1), 1u);
  EXPECT_TRUE(stat_becomes(stats_port, {"beat", "one", "server_connections"}, 0, 5s));
}

TEST(Heartbeat, FailedHeartbeatsEjectADeadServerWithNoClient) {
  TempDir dir;
  RedisServer a(dir);
  RedisServer b(dir);
  const int stats_port = free_port();
  Walnut walnut(dir,
                "beat:\n"
                "  listen: 127.0.0.1:LISTEN_PORT\n"
                "  redis: true\n"
                "  timeout: 500\n"
                "  server_heartbeat: 100\n"
                "  auto_eject_hosts: true\n"
                "  server_failure_limit: 2\n"
                "  server_retry_timeout: 60000\n"
                "  servers:\n"
                "    - 127.0.0.1:" +
                    std::to_string(a.port()) + ":1 one\n    - 127.0.0.1:" +
                    std::to_string(b.port()) + ":1 two\n",
                stats_args(stats_port));
  ASSERT_TRUE(stat_becomes(stats_port, {"beat", "two", "server_connections"}, 1, 5s));
  b.crash();
  // Out of the ring before any client asked: its keys go to the other.
  EXPECT_EQ(await_stat(stats_port, {"beat", "server_ejects"}, 1), 1u);
  EXPECT_NE(stat_now(stats_port, {"beat", "two", "server_ejected_at"}), 0u);
  Client c(walnut.port());
  for (int i = 0; i < 20; ++i) {
    const std::string key = "k" + std::to_string(i);
    EXPECT_EQ(c.call({"SET", key, "v"}), "+OK\r\n") << key;
  }
}

TEST(Heartbeat, StatsShowAddressAndRoleOnlyWhereUsed) {
  TempDir dir;
  RedisServer a(dir);
  RedisServer b(dir);
  const int stats_port = free_port();
  Walnut walnut(dir,
                redis_pool(a.port(), "  server_heartbeat: 100\n") +
                    "plain:\n"
                    "  listen: 127.0.0.1:" +
                    std::to_string(free_port()) +
                    "\n"
                    "  redis: true\n"
                    "  servers:\n"
                    "    - 127.0.0.1:" +
                    std::to_string(b.port()) + ":1 two\n",
                stats_args(stats_port));
  StatsSnapshot s = read_stats_until(stats_port, [](const Json& doc) {
    return number_at(doc, {"beat", "one", "server_connections"}) == 1;
  });
  ASSERT_NE(s.doc, nullptr) << s.text;
  const Json* one = s.doc->get("beat")->get("one");
  ASSERT_NE(one, nullptr);
  ASSERT_NE(one->get("address"), nullptr) << s.text;
  EXPECT_EQ(one->get("address")->text, "127.0.0.1:" + std::to_string(a.port()));
  ASSERT_NE(one->get("role"), nullptr) << s.text;
  EXPECT_EQ(one->get("role")->text, "master");
  EXPECT_NE(one->get("heartbeat_failures"), nullptr) << s.text;
  // A pool that uses none of it keeps nutcracker's fields exactly.
  const Json* two = s.doc->get("plain")->get("two");
  ASSERT_NE(two, nullptr) << s.text;
  EXPECT_EQ(two->get("address"), nullptr) << s.text;
  EXPECT_EQ(two->get("heartbeat_failures"), nullptr) << s.text;
}

}  // namespace
}  // namespace walnut::e2e
