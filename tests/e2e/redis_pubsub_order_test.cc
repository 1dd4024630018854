// Where a published message stands among a subscriber's replies, against
// real redis-servers: a message the server sent before it answered a
// request of the client comes before that answer, as on a direct
// connection. Above all, none comes after the confirmation that ends the
// client's subscriptions (count 0): a client takes that as the end of its
// messages.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "tests/e2e/harness.h"
#include "tests/e2e/paused.h"
#include "tests/e2e/redis_pool_helpers.h"
#include "tests/e2e/redis_pubsub_helpers.h"
#include "tests/e2e/resp_reply.h"

namespace walnut::e2e {
namespace {

using namespace std::chrono_literals;

// What a subscriber reads when a PUBLISH reaches the server just before its
// UNSUBSCRIBE: the server is stopped while the publisher's PUBLISH (sent
// directly to it) and then the subscriber's UNSUBSCRIBE arrive, so that
// both wait in its sockets; resumed, it takes them in the order they
// arrived (one pass of its event loop, in readiness order) and answers
// both in one write: the message, then the confirmation. `publish_count`
// is what PUBLISH answered: 0 when the server took the UNSUBSCRIBE first
// after all (then there is no message and the round tells nothing).
std::vector<std::string> unsubscribe_behind_publish(int sub_port, RedisServer& server,
                                                   const std::string& channel,
                                                   std::string* publish_count) {
  Client sub(sub_port), pub(server.port());
  if (sub.call({"SUBSCRIBE", channel}) != confirm("subscribe", channel, 1)) return {"no subscribe"};
  {
    Paused paused(server.process().pid());
    if (!paused.stopped()) return {"not stopped"};
    pub.send({"PUBLISH", channel, "before"});
    sub.send_raw(encode({"UNSUBSCRIBE", channel}) + encode({"PING"}));
    // Time for walnut to pass the UNSUBSCRIBE on (not an assertion: without
    // it the round only checks less).
    std::this_thread::sleep_for(200ms);
  }
  *publish_count = pub.read_reply();
  std::vector<std::string> got;
  for (int i = 0; i < 3; ++i) {  // at most a message, the confirmation and PONG
    got.push_back(sub.read_reply());
    if (got.back() == "+PONG\r\n" || got.back().empty()) break;
  }
  return got;
}

std::string joined(const std::vector<std::string>& replies) {
  std::string out;
  for (const std::string& r : replies) out += r;
  return out;
}

TEST(RedisPubSubOrder, MessageSentBeforeTheUnsubscribeReplyComesBeforeItsConfirmation) {
  TempDir dir;
  RedisServer direct(dir), backend(dir);
  Walnut w(dir, pool_yaml("order", {backend.port()}));
  const std::vector<std::string> want = {message("order", "before"),
                                         confirm("unsubscribe", "order", 0), "+PONG\r\n"};
  // A few rounds: each one where the server took the PUBLISH first checks
  // the order (it takes its sockets in the order they became readable).
  int checked = 0;
  for (int round = 0; round < 3; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    std::string count;
    const std::vector<std::string> redis =
        unsubscribe_behind_publish(direct.port(), direct, "order", &count);
    if (count == ":1\r\n") {
      ASSERT_EQ(redis, want) << "what Redis itself answers";
    }
    const std::vector<std::string> got = unsubscribe_behind_publish(w.port(), backend, "order", &count);
    if (count != ":1\r\n") continue;
    ++checked;
    EXPECT_EQ(printable(joined(got)), printable(joined(want)));
  }
  EXPECT_GT(checked, 0) << "the server never took the PUBLISH first: nothing was checked";
}

// Without stopping anything: a publisher's PUBLISHes pipelined right before
// the subscriber's UNSUBSCRIBE, round after round. Whatever the server
// delivered (PUBLISH answered 1) reached the subscriber before the
// confirmation, and nothing after it.
TEST(RedisPubSubOrder, NoMessageFollowsTheLastUnsubscription) {
  TempDir dir;
  RedisServer backend(dir);
  Walnut w(dir, pool_yaml("order", {backend.port()}));
  Client sub(w.port()), pub(w.port());
  constexpr int kRounds = 200;
  constexpr int kPublishes = 20;
  std::string publishes;
  for (int i = 0; i < kPublishes; ++i) publishes += encode({"PUBLISH", "race", std::to_string(i)});
  for (int round = 0; round < kRounds; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    ASSERT_EQ(sub.call({"SUBSCRIBE", "race"}), confirm("subscribe", "race", 1));
    pub.send_raw(publishes);
    sub.send_raw(encode({"UNSUBSCRIBE", "race"}) + encode({"PING"}));
    std::vector<std::string> before;  // messages before the confirmation
    bool confirmed = false;
    for (int i = 0; i <= kPublishes + 2; ++i) {
      const std::string r = sub.read_reply();
      ASSERT_FALSE(r.empty()) << "no reply";
      if (r == "+PONG\r\n") break;
      if (r == confirm("unsubscribe", "race", 0)) {
        confirmed = true;
        continue;
      }
      ASSERT_FALSE(confirmed) << "a message after the confirmation: " << printable(r);
      before.push_back(r);
    }
    ASSERT_TRUE(confirmed);
    int delivered = 0;
    for (int i = 0; i < kPublishes; ++i) delivered += pub.read_reply() == ":1\r\n";
    ASSERT_EQ(static_cast<int>(before.size()), delivered)
        << "messages the server sent that did not come before the confirmation";
    for (size_t i = 0; i < before.size(); ++i) {
      EXPECT_EQ(before[i], message("race", std::to_string(i)));
    }
  }
}

}  // namespace
}  // namespace walnut::e2e
