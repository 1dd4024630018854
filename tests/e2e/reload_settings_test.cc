// What a reload changes in place holds for what it keeps: a new timeout for
// the server connections already open, a new client_output_limit for the
// clients already connected, auto_eject_hosts turned off for a server
// ejected before, a new ring for the subscribers (one whose channels route
// elsewhere is closed, to subscribe again). A server the reload removed is
// neither ejected nor health checked afterwards. A pool on a unix socket whose permissions change keeps
// its socket file, and a reload that fails leaves it as it was.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>

#include "tests/e2e/harness.h"
#include "tests/e2e/paused.h"
#include "tests/e2e/redis_pool_helpers.h"
#include "tests/e2e/redis_pubsub_helpers.h"
#include "tests/e2e/reload_helpers.h"
#include "tests/e2e/slow_client.h"
#include "tests/e2e/stats_json.h"

namespace walnut::e2e {
namespace {

using namespace std::chrono_literals;

const std::string kTimedOut = "-ERR Connection timed out\r\n";

// One redis-server holding k = v behind walnut, and a client whose GET left
// walnut's one server connection open.
struct OneServer {
  explicit OneServer(const std::string& more)
      : redis(dir), direct(redis.port()), w(dir, yaml(more)), c(w.port()) {
    ok = direct.call({"SET", "k", "v"}) == "+OK\r\n" && c.call({"GET", "k"}) == bulk("v") &&
         other_client_ids(direct).size() == 1;
  }
  std::string yaml(const std::string& more) const {
    return pool("alpha", "127.0.0.1:LISTEN_PORT", server_line(redis), more);
  }

  TempDir dir;
  RedisServer redis;
  Client direct;
  Walnut w;
  Client c;
  bool ok = false;
};

TEST(ReloadSettings, ATimeoutAddedHoldsOnTheServerConnectionKept) {
  OneServer one("");
  ASSERT_TRUE(one.ok) << one.w.log();
  const auto before = other_client_ids(one.direct);
  ASSERT_EQ(reload(one.w, one.yaml("  timeout: 300\n")), Reload::kDone) << one.w.log();
  Paused pause(one.redis.process().pid());
  ASSERT_TRUE(pause.stopped());
  // Without the new timeout the GET would wait for as long as the server
  // is stopped (and the client's read give up after 10 s).
  EXPECT_EQ(one.c.call({"GET", "k"}), kTimedOut);
  pause.resume();
  EXPECT_EQ(one.c.call({"GET", "k"}), bulk("v"));
  EXPECT_EQ(other_client_ids(one.direct), before) << "the connection of before the reload";
}

TEST(ReloadSettings, ATimeoutRemovedHoldsOnTheServerConnectionKept) {
  OneServer one("  timeout: 300\n");
  ASSERT_TRUE(one.ok) << one.w.log();
  const auto before = other_client_ids(one.direct);
  ASSERT_EQ(reload(one.w, one.yaml("")), Reload::kDone) << one.w.log();
  Paused pause(one.redis.process().pid());
  ASSERT_TRUE(pause.stopped());
  one.c.send({"GET", "k"});
  // Three of the old timeouts: the GET waits, with no timeout now.
  std::this_thread::sleep_for(900ms);
  pause.resume();
  EXPECT_EQ(one.c.read_reply(), bulk("v"));
  EXPECT_EQ(other_client_ids(one.direct), before) << "the connection of before the reload";
}

TEST(ReloadSettings, AnOutputLimitAddedHoldsForAClientConnectedBefore) {
  OneServer one("  client_output_limit: 0\n");  // none
  ASSERT_TRUE(one.ok) << one.w.log();
  const std::string value(32 * 1024, 'v');
  ASSERT_EQ(one.c.call({"SET", "big", value}), "+OK\r\n");
  SlowClient slow(one.w.port());
  ASSERT_TRUE(slow.connected());
  const std::string ping = encode({"PING"});
  ASSERT_EQ(slow.finish(ping, 7, kReloadWait), "+PONG\r\n") << "walnut took the client in";
  ASSERT_EQ(reload(one.w, one.yaml("  client_output_limit: 262144\n")), Reload::kDone)
      << one.w.log();

  // 3,000 GETs of 32 KB left unread: 96 MB of replies. The client that was
  // connected before the reload is held to the new limit.
  constexpr int kRequests = 3000;
  std::string requests;
  for (int i = 0; i < kRequests; ++i) requests += encode({"GET", "big"});
  slow.restart_output();
  slow.write_for(requests, 3s);
  EXPECT_TRUE(wait_until(
      [&] { return one.w.log().find("over client_output_limit") != std::string::npos; }, 20s))
      << one.w.log();
  // And once it reads it has every reply.
  const std::string reply = bulk(value);
  const std::string in = slow.finish(requests, reply.size() * kRequests, 60s);
  ASSERT_EQ(in.size(), reply.size() * kRequests);
  for (int i = 0; i < kRequests; ++i) {
    ASSERT_EQ(in.compare(static_cast<size_t>(i) * reply.size(), reply.size(), reply), 0) << i;
  }
}

// A server removed while a request waits on it retires once that request
// is over. Its request timing out is no reason to eject it (it is in no
// ring) nor to health check it for ever after.
TEST(ReloadSettings, ARemovedServerIsNeitherEjectedNorHealthCheckedLater) {
  TwoServers two;
  const int stats_port = free_port();
  const std::string ejection =
      "  timeout: 300\n  auto_eject_hosts: true\n  server_failure_limit: 1\n"
      "  server_retry_timeout: 100\n";
  Walnut w(two.dir, pool("alpha", "127.0.0.1:LISTEN_PORT", server_line(two.r1, "s1"), ejection),
           {"-s", std::to_string(stats_port), "-i", "100"});
  Client c(w.port());
  ASSERT_EQ(c.call({"GET", "k"}), bulk("on-r1"));
  Paused pause(two.r1.process().pid());
  ASSERT_TRUE(pause.stopped());
  c.send({"GET", "k"});
  ASSERT_GE(await_stat(stats_port, {"alpha", "s1", "requests"}, 2), 2u);
  ASSERT_EQ(reload(w, pool("alpha", "127.0.0.1:LISTEN_PORT", server_line(two.r2, "s2"), ejection)),
            Reload::kDone)
      << w.log();
  EXPECT_EQ(c.read_reply(), kTimedOut);
  EXPECT_EQ(c.call({"GET", "k"}), bulk("on-r2"));
  pause.resume();
  // Its late reply taken, s1's connection closes, and no health check opens
  // another: r1 is left with the direct client only, and stays so over
  // many retry timeouts.
  EXPECT_TRUE(wait_until([&] { return other_client_ids(two.d1).empty(); }, kReloadWait))
      << "walnut keeps a connection to the removed s1";
  std::this_thread::sleep_for(1s);
  EXPECT_TRUE(other_client_ids(two.d1).empty()) << "walnut connected to the removed s1 again";
  const std::string log = w.log();
  EXPECT_EQ(log.find("ejecting server 's1'"), std::string::npos) << log;
  StatsSnapshot s = read_stats_until(stats_port, [](const Json& doc) {
    return doc.get("reloads_ok") != nullptr;
  });
  ASSERT_NE(s.doc, nullptr) << s.text;
  EXPECT_EQ(number_at(*s.doc, {"alpha", "server_ejects"}), 0u) << s.text;
}

TEST(ReloadSettings, EjectionTurnedOffBringsAnEjectedServerBack) {
  TempDir dir;
  RedisServer r(dir);
  const int dead_port = free_port();  // nothing listens there
  const std::string servers =
      server_line(r, "up") + "   - 127.0.0.1:" + std::to_string(dead_port) + ":1 down\n";
  const std::string settings = "  hash: fnv1a_64\n  distribution: ketama\n";
  Walnut w(dir, pool("alpha", "127.0.0.1:LISTEN_PORT", servers,
                     settings + "  auto_eject_hosts: true\n  server_failure_limit: 1\n"
                                "  server_retry_timeout: 60000\n"));
  Client c(w.port());
  // A key of the dead server: its GET fails, which ejects it.
  std::string key;
  for (int i = 0; i < 64 && key.empty(); ++i) {
    const std::string reply = c.call({"GET", spread_key("eject", i)});
    if (reply.rfind("-ERR", 0) == 0) key = spread_key("eject", i);
  }
  ASSERT_FALSE(key.empty()) << "no key of 64 went to the dead server";
  ASSERT_EQ(c.call({"GET", key}), "$-1\r\n") << "ejected: its keys go to the server up";

  ASSERT_EQ(reload(w, pool("alpha", "127.0.0.1:LISTEN_PORT", servers,
                           settings + "  auto_eject_hosts: false\n")),
            Reload::kDone)
      << w.log();
  // With no ejection the key is the dead server's again, as for a walnut
  // started on this file.
  const std::string reply = c.call({"GET", key});
  EXPECT_EQ(reply.rfind("-ERR", 0), 0u) << reply;
}

// A subscriber listens on the server its channel lived on; PUBLISH goes
// where the channel routes now. Walnut closes a subscriber whose channels
// a reload moved (as when its server connection is lost): it reconnects
// and subscribes where PUBLISH goes. The others stay subscribed.
TEST(ReloadSettings, ASubscriberWhoseChannelMovedIsClosedToSubscribeAgain) {
  PubSubPool pool(2, "moves", kSharded, 1);
  const std::string& kept = pool.name(0);
  const std::string& moved = pool.name(1);  // on the server the reload removes
  Client stays(pool.port()), leaves(pool.port());
  ASSERT_EQ(stays.call({"SUBSCRIBE", kept}), confirm("subscribe", kept, 1));
  ASSERT_EQ(leaves.call({"SUBSCRIBE", moved}), confirm("subscribe", moved, 1));
  ASSERT_EQ(reload(pool.walnut(), pool_yaml("moves", {pool.ports()[0]}, kSharded)), Reload::kDone)
      << pool.walnut().log();
  EXPECT_TRUE(leaves.closed_by_peer(kReloadWait)) << "its channel routes to another server now";
  Client publisher(pool.port());
  EXPECT_EQ(publisher.call({"PUBLISH", kept, "still"}), integer(1));
  EXPECT_EQ(stays.read_reply(), message(kept, "still"));
  Client again(pool.port());
  ASSERT_EQ(again.call({"SUBSCRIBE", moved}), confirm("subscribe", moved, 1));
  EXPECT_EQ(publisher.call({"PUBLISH", moved, "here"}), integer(1));
  EXPECT_EQ(again.read_reply(), message(moved, "here"));
}

// A pattern is subscribed on every server: one the reload adds lacks it.
TEST(ReloadSettings, APatternSubscriberIsClosedWhenAServerIsAdded) {
  PubSubPool pool(2, "grows", kSharded, 1);
  const std::vector<int> ports = pool.ports();
  ASSERT_EQ(reload(pool.walnut(), pool_yaml("grows", {ports[0]}, kSharded)), Reload::kDone)
      << pool.walnut().log();
  Client patterns(pool.port());
  ASSERT_EQ(patterns.call({"PSUBSCRIBE", "*"}), confirm("psubscribe", "*", 1));
  ASSERT_EQ(reload(pool.walnut(), pool_yaml("grows", ports, kSharded)), Reload::kDone)
      << pool.walnut().log();
  EXPECT_TRUE(patterns.closed_by_peer(kReloadWait)) << "the server added lacks its pattern";
  Client again(pool.port()), publisher(pool.port());
  ASSERT_EQ(again.call({"PSUBSCRIBE", "*"}), confirm("psubscribe", "*", 1));
  const std::string& added = pool.name(1);  // a channel on the server added
  EXPECT_EQ(publisher.call({"PUBLISH", added, "new"}), integer(1));
  EXPECT_EQ(again.read_reply(), pmessage("*", added, "new"));
}

bool mode_is(const std::string& path, mode_t want) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode) && (st.st_mode & 0777) == want;
}

// Pools alpha on LISTEN_PORT and beta on a unix socket, both on `r`.
std::string two_pools(const RedisServer& r, const std::string& beta_listen,
                      const std::string& beta_more = "", const std::string& more = "") {
  return pool("alpha", "127.0.0.1:LISTEN_PORT", server_line(r)) +
         pool("beta", beta_listen, server_line(r), beta_more) + more;
}

TEST(ReloadSettings, NewPermissionsOfAUnixSocketAreChangedInPlace) {
  TempDir dir;
  RedisServer r(dir);
  const std::string path = dir.file("beta.sock");
  Walnut w(dir, two_pools(r, path + " 0666"));
  // The harness waits for alpha's port; beta's socket comes after it.
  ASSERT_TRUE(wait_until([&] { return mode_is(path, 0666); }, kReloadWait));
  Client before(path);
  ASSERT_EQ(before.call({"PING"}), "+PONG\r\n");
  ASSERT_EQ(reload(w, two_pools(r, path + " 0660")), Reload::kDone) << w.log();
  EXPECT_NE(w.log().find("pool 'beta': changed in place"), std::string::npos) << w.log();
  EXPECT_TRUE(mode_is(path, 0660));
  EXPECT_EQ(before.call({"PING"}), "+PONG\r\n") << "a client of before the reload";
  Client fresh(path);
  EXPECT_EQ(fresh.call({"PING"}), "+PONG\r\n");
}

// A pool on a unix socket replaced (its backlog changes, and its
// permissions): the socket is handed over, as for TCP, not bound afresh,
// which took the file from the running pool before the reload was sure to
// be done, and had the leaving pool remove the new pool's file.
TEST(ReloadSettings, AReplacedPoolOnAUnixSocketTakesItsSocketOver) {
  TempDir dir;
  RedisServer r(dir);
  const std::string path = dir.file("beta.sock");
  Walnut w(dir, two_pools(r, path + " 0666"));
  // The harness waits for alpha's port; beta's socket comes after it.
  ASSERT_TRUE(wait_until([&] { return mode_is(path, 0666); }, kReloadWait));

  // A reload that fails once beta is built: gamma's port is taken.
  int taken_port = 0;
  const int taken = listen_on_loopback(&taken_port);
  ASSERT_GE(taken, 0);
  EXPECT_EQ(reload(w, two_pools(r, path + " 0660", "  backlog: 64\n",
                                pool("gamma", on_port(taken_port), server_line(r)))),
            Reload::kFailed)
      << w.log();
  ::close(taken);
  EXPECT_TRUE(mode_is(path, 0666)) << "a failed reload changed the socket file";
  Client after_failure(path);
  EXPECT_EQ(after_failure.call({"PING"}), "+PONG\r\n") << "the failed reload took beta's socket";

  ASSERT_EQ(reload(w, two_pools(r, path + " 0660", "  backlog: 64\n")), Reload::kDone)
      << w.log();
  EXPECT_NE(w.log().find("pool 'beta': replaced"), std::string::npos) << w.log();
  EXPECT_TRUE(mode_is(path, 0660));
  Client fresh(path);
  EXPECT_EQ(fresh.call({"PING"}), "+PONG\r\n") << "the new beta does not listen on its path";
  // The old beta lets its client go, and leaves the file be.
  EXPECT_TRUE(after_failure.closed_by_peer(kReloadWait));
  Client later(path);
  EXPECT_EQ(later.call({"PING"}), "+PONG\r\n");
  EXPECT_TRUE(mode_is(path, 0660));
}

}  // namespace
}  // namespace walnut::e2e
