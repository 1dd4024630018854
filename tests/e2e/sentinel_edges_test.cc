// Sentinel pools, the moments a real Sentinel will not produce on cue: a
// failover announced while a request waits unsent on a connect that has
// not completed (it goes to the new master), or while one was written and
// is unanswered (it fails naming the move); a Sentinel that knows no such
// master (the next one is asked); and a real Sentinel with a password
// (sentinel_auth). The fakes speak Sentinel's words as Redis 7 does.
#include <signal.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include "tests/e2e/fake_cluster_node.h"
#include "tests/e2e/harness.h"
#include "tests/e2e/sentinel_group.h"
#include "tests/e2e/stalled_listener.h"

namespace walnut::e2e {
namespace {

using namespace std::chrono_literals;

std::string address_reply(int port) {
  const std::string p = std::to_string(port);
  return "*2\r\n$9\r\n127.0.0.1\r\n$" + std::to_string(p.size()) + "\r\n" + p + "\r\n";
}

std::string switch_message(const std::string& name, int from, int to) {
  const std::string payload =
      name + " 127.0.0.1 " + std::to_string(from) + " 127.0.0.1 " + std::to_string(to);
  return "*3\r\n$7\r\nmessage\r\n$14\r\n+switch-master\r\n" + bulk(payload);
}

const char kSubscribed[] =
    "*3\r\n$9\r\nsubscribe\r\n$14\r\n+switch-master\r\n:1\r\n"
    "*3\r\n$9\r\nsubscribe\r\n$15\r\n+promoted-slave\r\n:2\r\n";
const char kPong[] = "*2\r\n$4\r\npong\r\n$0\r\n\r\n";

bool is(const Args& request, const std::string& name) {
  if (request.empty() || request[0].size() != name.size()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(request[0][i])) != name[i]) return false;
  }
  return true;
}

// A fake Sentinel for master "mymaster": says it is at `master`, and, once
// told to announce, sends +switch-master to `next` with the answer to the
// next PING on a subscription (walnut probes every second), then names
// `next` too.
class FakeSentinel {
 public:
  explicit FakeSentinel(int master) : master_(master) {
    node_.set_responder([this](const Args& r) -> FakeReply {
      if (is(r, "subscribe")) return kSubscribed;
      if (is(r, "ping")) {
        if (announce_.exchange(false)) {
          master_ = next_.load();
          return switch_message("mymaster", from_, next_) + kPong;
        }
        return kPong;
      }
      if (is(r, "sentinel") && r.size() == 3 && r[1] == "get-master-addr-by-name") {
        return r[2] == "mymaster" ? address_reply(master_) : "*-1\r\n";
      }
      if (is(r, "sentinel") && r.size() == 3 && r[1] == "replicas") return "*0\r\n";
      return error_reply("ERR unexpected");
    });
  }
  int port() const { return node_.port(); }
  void announce(int to) {
    from_ = master_.load();
    next_ = to;
    announce_ = true;
  }
  FakeClusterNode& node() { return node_; }

 private:
  std::atomic<int> master_;
  std::atomic<int> from_{0};
  std::atomic<int> next_{0};
  std::atomic<bool> announce_{false};
  FakeClusterNode node_;
};

std::string pool_on(int guess, const std::vector<int>& sentinels, const std::string& extra = "") {
  std::string yaml =
      "edge:\n"
      "  listen: 127.0.0.1:LISTEN_PORT\n"
      "  redis: true\n" +
      extra + "  sentinels:\n";
  for (int s : sentinels) yaml += "    - 127.0.0.1:" + std::to_string(s) + "\n";
  return yaml + "  servers:\n    - 127.0.0.1:" + std::to_string(guess) + ":1 mymaster\n";
}

TEST(SentinelEdges, ARequestNotYetSentGoesToTheNewMaster) {
  TempDir dir;
  RedisServer next(dir);
  StalledListener stalled(next.port());  // never released within the test
  ASSERT_TRUE(stalled.stalled()) << "the accept queue did not fill: a connect completed";
  FakeSentinel sentinel(stalled.port());
  Walnut walnut(dir, pool_on(stalled.port(), {sentinel.port()}, "  timeout: 8000\n"));

  Client c(walnut.port());
  c.send({"SET", "unsent", "goes-on"});  // waits on the connect that hangs
  std::this_thread::sleep_for(300ms);
  sentinel.announce(next.port());
  EXPECT_EQ(c.read_reply(), "+OK\r\n");
  Client direct(next.port());
  EXPECT_EQ(direct.call({"GET", "unsent"}), "$7\r\ngoes-on\r\n");
  EXPECT_EQ(stalled.relayed(), 0) << "nothing went through the old address";
}

TEST(SentinelEdges, ARequestWrittenToTheOldMasterFailsNamingTheMove) {
  TempDir dir;
  RedisServer old_master(dir);
  RedisServer next(dir);
  FakeSentinel sentinel(old_master.port());
  Walnut walnut(dir, pool_on(old_master.port(), {sentinel.port()}, "  timeout: 8000\n"));
  Client c(walnut.port());
  ASSERT_EQ(c.call({"SET", "warm", "up"}), "+OK\r\n");

  ASSERT_EQ(kill(old_master.process().pid(), SIGSTOP), 0);
  c.send({"SET", "in-flight", "1"});  // written; the stopped server never answers
  std::this_thread::sleep_for(300ms);
  sentinel.announce(next.port());
  const std::string r = c.read_reply();
  ASSERT_EQ(kill(old_master.process().pid(), SIGCONT), 0);
  EXPECT_EQ(r, "-ERR server 'mymaster' moved from 127.0.0.1:" + std::to_string(old_master.port()) +
                   " to 127.0.0.1:" + std::to_string(next.port()) + " (Sentinel failover)\r\n");
  EXPECT_EQ(c.call({"SET", "after", "move"}), "+OK\r\n");
  Client direct(next.port());
  EXPECT_EQ(direct.call({"GET", "after"}), "$4\r\nmove\r\n");
}

TEST(SentinelEdges, ASentinelThatKnowsNoSuchMasterPassesTheTurn) {
  TempDir dir;
  RedisServer master(dir);
  RedisServer wrong(dir);
  FakeClusterNode stranger([](const Args& r) -> FakeReply {
    if (is(r, "sentinel")) return "*-1\r\n";  // monitors no master of that name
    if (is(r, "subscribe")) return kSubscribed;
    return kPong;
  });
  FakeSentinel sentinel(master.port());
  Walnut walnut(dir, pool_on(wrong.port(), {stranger.port(), sentinel.port()}));
  Client c(walnut.port());
  std::string r;
  wait_until(
      [&] {
        r = c.call({"SET", "right", "place"});
        Client direct(master.port());
        return r == "+OK\r\n" && direct.call({"GET", "right"}) == "$5\r\nplace\r\n";
      },
      10s);
  Client direct(master.port());
  EXPECT_EQ(direct.call({"GET", "right"}), "$5\r\nplace\r\n");
  EXPECT_GE(stranger.count("sentinel"), 1);
  EXPECT_GE(sentinel.node().count("sentinel"), 1);
  EXPECT_NE(walnut.log().find("knows no master named 'mymaster'"), std::string::npos)
      << walnut.log();
}

// A Sentinel whose subscriptions break: it answers questions as `good`
// does, but closes a subscription's connection, at once (before confirming
// it) or right after confirming it.
FakeClusterNode breaking_sentinel(int master, bool confirm_first) {
  return FakeClusterNode([master, confirm_first](const Args& r) -> FakeReply {
    if (is(r, "subscribe")) return FakeReply(confirm_first ? kSubscribed : "", true);
    if (is(r, "sentinel") && r.size() == 3 && r[1] == "get-master-addr-by-name") {
      return address_reply(master);
    }
    return kPong;
  });
}

TEST(SentinelEdges, SubscriptionsThatBreakAreRetriedAtTheRefreshPaceNotInALoop) {
  TempDir dir;
  RedisServer master(dir);
  FakeClusterNode unconfirmed = breaking_sentinel(master.port(), false);
  FakeClusterNode confirmed = breaking_sentinel(master.port(), true);
  FakeSentinel good(master.port());
  Walnut walnut(dir, pool_on(master.port(), {unconfirmed.port(), confirmed.port(), good.port()}));
  Client c(walnut.port());
  ASSERT_EQ(c.call({"SET", "k", "v"}), "+OK\r\n");
  ASSERT_TRUE(wait_until([&] { return confirmed.count("subscribe") >= 1; }, 5s));

  auto questions = [&] {
    return unconfirmed.count("sentinel") + confirmed.count("sentinel") +
           good.node().count("sentinel");
  };
  const int questions_before = questions();
  const int unconfirmed_before = unconfirmed.accepted();
  const int confirmed_before = confirmed.accepted();
  std::this_thread::sleep_for(3s);
  // A round a second, and at most one more a second for a lost
  // subscription: one question (the master's address) each; a subscription
  // tried again once a round.
  EXPECT_LE(questions() - questions_before, 8);
  EXPECT_LE(unconfirmed.accepted() - unconfirmed_before, 6);
  EXPECT_LE(confirmed.accepted() - confirmed_before, 6);
  EXPECT_EQ(c.call({"GET", "k"}), "$1\r\nv\r\n");
  // Only a subscription that was confirmed can be lost.
  const std::string log = walnut.log();
  EXPECT_EQ(log.find("lost the subscription on sentinel '127.0.0.1:" +
                     std::to_string(unconfirmed.port())),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("lost the subscription on sentinel '127.0.0.1:" +
                     std::to_string(confirmed.port())),
            std::string::npos)
      << log;
}

TEST(SentinelEdges, ASentinelWithAPasswordIsAskedWithSentinelAuth) {
  SentinelGroupOptions options;
  options.replicas = 0;
  options.sentinels = 1;
  options.quorum = 1;
  options.sentinel_password = "s3cret";
  SentinelGroup group(options);
  const int master = group.master_port();
  TempDir dir;
  RedisServer wrong(dir);
  {
    // Without the password the Sentinel refuses, and walnut says so.
    Walnut walnut(dir, pool_on(wrong.port(), group.sentinel_ports()));
    std::this_thread::sleep_for(1500ms);
    EXPECT_NE(walnut.log().find("NOAUTH"), std::string::npos) << walnut.log();
    Client c(walnut.port());
    EXPECT_EQ(c.call({"SET", "k", "v"}), "+OK\r\n");  // the guess stays
    Client direct(wrong.port());
    EXPECT_EQ(direct.call({"GET", "k"}), "$1\r\nv\r\n");
  }
  Walnut walnut(dir, pool_on(wrong.port(), group.sentinel_ports(), "  sentinel_auth: s3cret\n"));
  Client c(walnut.port());
  std::string r;
  wait_until(
      [&] {
        r = c.call({"SET", "authed", "1"});
        return r == "+OK\r\n" && group.call(master, {"GET", "authed"}) == "$1\r\n1\r\n";
      },
      10s);
  EXPECT_EQ(group.call(master, {"GET", "authed"}), "$1\r\n1\r\n");
}

}  // namespace
}  // namespace walnut::e2e
