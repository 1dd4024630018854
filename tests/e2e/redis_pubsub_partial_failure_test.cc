// A subscription that some of its servers take and another does not,
// against real redis-servers. Redis checks a SUBSCRIBE's channels all or
// nothing (ACL): either every name is subscribed or the command fails and
// none is. Walnut holds a request that spans servers to the same rule: when
// a part fails (refused, or not confirmed in time), the client gets the
// error, is subscribed to none of the request's new names, and the servers
// that took their part are told to drop it again; a connection whose
// confirmation is late is closed, so that the late confirmation cannot
// subscribe anything.
#include <gtest/gtest.h>

#include <chrono>
#include <iostream>
#include <string>
#include <vector>

#include "tests/e2e/harness.h"
#include "tests/e2e/paused.h"
#include "tests/e2e/redis_pool_helpers.h"
#include "tests/e2e/redis_pubsub_helpers.h"
#include "tests/e2e/resp_reply.h"

namespace walnut::e2e {
namespace {

using namespace std::chrono_literals;

// How many patterns a server has subscribed, asked directly.
std::string numpat_on(int port) {
  Client c(port);
  return c.call({"PUBSUB", "NUMPAT"});
}

// Two servers behind walnut; the second refuses every channel and pattern
// but "allowed:*" to the user walnut's connections log in as (ACL).
class RedisPubSubPartialFailure : public ::testing::Test {
 protected:
  void SetUp() override {
    Client strict(strict_.port());
    ASSERT_EQ(strict.call({"ACL", "SETUSER", "default", "resetchannels", "&allowed:*"}),
              "+OK\r\n");
  }

  PubSubPool pool_{2, "partial", kSharded, 1};
  RedisServer& open_ = pool_.server(0);
  RedisServer& strict_ = pool_.server(1);
};

TEST_F(RedisPubSubPartialFailure, RefusedPatternIsTakenBackWhereItWasTaken) {
  Client direct(strict_.port());
  const std::string refusal = direct.call({"PSUBSCRIBE", "denied:*"});
  ASSERT_EQ(refusal.rfind("-NOPERM ", 0), 0u) << printable(refusal);

  Client c(pool_.port());
  EXPECT_EQ(printable(c.call({"PSUBSCRIBE", "denied:*"})), printable(refusal))
      << "Redis's own refusal";
  EXPECT_TRUE(wait_until([&] { return numpat_on(open_.port()) == integer(0); }, 5s))
      << "the server that took it keeps it";
  EXPECT_EQ(c.call({"PING"}), "+PONG\r\n") << "not subscribed";
  EXPECT_EQ(c.call({"PSUBSCRIBE", "allowed:*"}), confirm("psubscribe", "allowed:*", 1))
      << "the refused pattern is not counted";
  Client pub(open_.port());
  EXPECT_EQ(pub.call({"PUBLISH", "denied:x", "no"}), integer(0));
  EXPECT_EQ(pub.call({"PUBLISH", "allowed:x", "yes"}), integer(1));
  EXPECT_EQ(c.read_reply(), pmessage("allowed:*", "allowed:x", "yes"));
}

TEST_F(RedisPubSubPartialFailure, RefusedChannelFailsTheWholeSubscribe) {
  const std::string& taken = pool_.name(0);    // on the open server
  const std::string& refused = pool_.name(1);  // on the strict one
  Client c(pool_.port());
  const std::string reply = c.call({"SUBSCRIBE", taken, refused});
  EXPECT_EQ(reply.rfind("-NOPERM ", 0), 0u) << printable(reply);
  EXPECT_TRUE(wait_until([&] { return numsub_on(open_.port(), taken) == 0; }, 5s))
      << "not taken back on the server that took it";
  EXPECT_EQ(c.call({"PING"}), "+PONG\r\n") << "not subscribed";
  // Still a client like any other, and free to subscribe what it may.
  EXPECT_EQ(c.call({"SET", taken, "v"}), "+OK\r\n");
  EXPECT_EQ(c.call({"GET", taken}), bulk("v"));
  EXPECT_EQ(c.call({"DEL", taken}), integer(1));
  EXPECT_EQ(c.call({"SUBSCRIBE", taken}), confirm("subscribe", taken, 1));
  Client pub(pool_.port());
  EXPECT_EQ(pub.call({"PUBLISH", taken, "hi"}), integer(1));
  EXPECT_EQ(c.read_reply(), message(taken, "hi"));
}

// A part not confirmed within the pool's timeout: the client is told it
// failed, so nothing of it may stay, however late the server catches up,
// and no message the other server sent for it meanwhile reaches the client.
TEST(RedisPubSubPartialTimeout, TimedOutPartFailsTheWholeSubscribeAndNothingStays) {
  PubSubPool pool(2, "late", std::string(kSharded) + "  timeout: 1000\n", 1);
  RedisServer& fast = pool.server(0);
  RedisServer& slow = pool.server(1);
  const std::vector<std::string> ch = {pool.name(0), pool.name(1)};
  Client c(pool.port());
  {
    Paused paused(slow.process().pid());
    ASSERT_TRUE(paused.stopped());
    c.send({"SUBSCRIBE", ch[0], ch[1]});
    // The fast server confirms its part at once; a message it sends before
    // the slow one's part times out is for a subscription that fails.
    // (Published too late, it finds no subscriber: the test checks less.)
    ASSERT_TRUE(wait_until([&] { return numsub_on(fast.port(), ch[0]) == 1; }, 5s));
    Client direct(fast.port());
    const std::string meanwhile = direct.call({"PUBLISH", ch[0], "meanwhile"});
    if (meanwhile != integer(1)) std::cout << "[late part] published after the timeout\n";
    const std::string reply = c.read_reply();
    EXPECT_EQ(reply.rfind("-ERR ", 0), 0u) << printable(reply);
    EXPECT_NE(reply.find("timed out"), std::string::npos) << printable(reply);
  }
  // The slow server reads the SUBSCRIBE now: it must not keep it.
  EXPECT_TRUE(wait_until([&] { return numsub_on(slow.port(), ch[1]) == 0; }, 5s))
      << "the late confirmation subscribed it";
  EXPECT_TRUE(wait_until([&] { return numsub_on(fast.port(), ch[0]) == 0; }, 5s))
      << "not taken back where it was confirmed";
  Client pub(pool.port());
  EXPECT_EQ(pub.call({"PUBLISH", ch[1], "late"}), integer(0));
  EXPECT_EQ(c.call({"PING"}), "+PONG\r\n") << "not subscribed, and no message before the answer";
  EXPECT_EQ(c.call({"SUBSCRIBE", ch[1]}), confirm("subscribe", ch[1], 1));
  EXPECT_EQ(pub.call({"PUBLISH", ch[1], "now"}), integer(1));
  EXPECT_EQ(c.read_reply(), message(ch[1], "now"));
}

// The client leaves while a part waits on a stopped server: walnut still
// takes the answers it is owed, then closes the client's connections, and
// nothing of the subscription stays on either server.
TEST(RedisPubSubPartialTimeout, AClientLeavingMidSubscriptionLeavesNothingBehind) {
  PubSubPool pool(2, "leave", kSharded, 1);
  RedisServer& fast = pool.server(0);
  RedisServer& slow = pool.server(1);
  {
    Paused paused(slow.process().pid());
    ASSERT_TRUE(paused.stopped());
    Client c(pool.port());
    c.send({"SUBSCRIBE", pool.name(0), pool.name(1)});
    ASSERT_TRUE(wait_until([&] { return numsub_on(fast.port(), pool.name(0)) == 1; }, 5s));
  }  // the client leaves, then the slow server reads what it was sent
  EXPECT_TRUE(wait_until([&] { return numsub_on(fast.port(), pool.name(0)) == 0; }, 5s));
  EXPECT_TRUE(wait_until([&] { return numsub_on(slow.port(), pool.name(1)) == 0; }, 5s));
  Client other(pool.port());
  EXPECT_EQ(other.call({"SUBSCRIBE", pool.name(1)}), confirm("subscribe", pool.name(1), 1));
  EXPECT_TRUE(pool.walnut().process().running());
}

}  // namespace
}  // namespace walnut::e2e
