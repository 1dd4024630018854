// Subscriptions while servers are ejected (auto_eject_hosts), against real
// redis-servers. A channel lives on the server its name hashed to when it
// was subscribed: an ejection moves where its name routes, not the
// subscription, so its unsubscription goes where it was subscribed. A
// channel that routes nowhere (every server ejected) is refused with the
// cause, not confirmed.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "tests/e2e/harness.h"
#include "tests/e2e/paused.h"
#include "tests/e2e/redis_pool_helpers.h"
#include "tests/e2e/redis_pubsub_helpers.h"
#include "tests/e2e/resp_reply.h"

namespace walnut::e2e {
namespace {

// One failure (a timeout) ejects a server, for longer than any test lasts.
const std::string kEjectAtOnce = std::string(kSharded) +
                                 "  auto_eject_hosts: true\n  server_failure_limit: 1\n"
                                 "  server_retry_timeout: 600000\n  timeout: 300\n";

// Ejects `server` from walnut's pool: stopped, it lets a request for `key`
// (which lives there) time out through walnut.
void eject(RedisServer& server, int walnut_port, const std::string& key) {
  Paused paused(server.process().pid());
  ASSERT_TRUE(paused.stopped());
  Client c(walnut_port);
  const std::string reply = c.call({"GET", key});
  ASSERT_NE(reply.find("timed out"), std::string::npos) << printable(reply);
}

TEST(RedisPubSubEjection, UnsubscribeGoesWhereTheChannelWasSubscribed) {
  PubSubPool pool(2, "eject", kEjectAtOnce, 1);
  RedisServer& stays = pool.server(0);
  RedisServer& ejected = pool.server(1);
  const std::string& name = pool.name(1);  // lives on the server to be ejected
  Client sub(pool.port());
  ASSERT_EQ(sub.call({"SUBSCRIBE", name}), confirm("subscribe", name, 1));

  eject(ejected, pool.port(), name);
  {
    // Its name routes to the other server now.
    Client c(pool.port());
    ASSERT_EQ(c.call({"SET", name, "moved"}), "+OK\r\n");
    Client direct(stays.port());
    ASSERT_EQ(direct.call({"GET", name}), bulk("moved"));
    ASSERT_EQ(direct.call({"DEL", name}), integer(1));
  }
  EXPECT_EQ(sub.call({"UNSUBSCRIBE", name}), confirm("unsubscribe", name, 0));
  EXPECT_EQ(numsub_on(ejected.port(), name), 0) << "still subscribed where it was subscribed";
  Client direct(ejected.port());
  EXPECT_EQ(direct.call({"PUBLISH", name, "after"}), integer(0));
  EXPECT_EQ(sub.call({"PING"}), "+PONG\r\n") << "no message after the last unsubscription";
}

TEST(RedisPubSubEjection, ChannelThatRoutesNowhereIsRefusedWithTheCause) {
  PubSubPool pool(1, "nowhere", kEjectAtOnce, 0);
  eject(pool.server(0), pool.port(), "k");
  Client c(pool.port()), other(pool.port());
  const std::string cause = other.call({"GET", "k"});
  ASSERT_EQ(cause.rfind("-ERR ", 0), 0u) << printable(cause);
  ASSERT_NE(cause.find("ejected"), std::string::npos) << printable(cause);
  EXPECT_EQ(printable(c.call({"SUBSCRIBE", "nowhere"})), printable(cause));
  EXPECT_EQ(printable(c.call({"SSUBSCRIBE", "nowhere"})), printable(cause));
  EXPECT_EQ(c.call({"PING"}), "+PONG\r\n") << "not subscribed";
  EXPECT_EQ(c.call({"UNSUBSCRIBE"}), confirm_none("unsubscribe", 0));
}

}  // namespace
}  // namespace walnut::e2e
