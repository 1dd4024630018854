// Redis pub/sub through walnut, against real redis-servers. A channel lives
// on the server its name hashes to, as a key does; a pattern on every server;
// walnut confirms each (un)subscription with Redis's own frame and the
// client's count over all its servers, once the servers confirmed. Over one
// server walnut must be byte-for-byte a redis-server (the differential
// suites); over several, the routing suites check where each subscription
// went and that every message arrives once. Then the failures: a backend
// that dies under a subscriber, and a subscriber that never reads.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tests/e2e/harness.h"
#include "tests/e2e/paused.h"
#include "tests/e2e/redis_differential.h"
#include "tests/e2e/redis_pool_helpers.h"
#include "tests/e2e/redis_pubsub_helpers.h"
#include "tests/e2e/resp_reply.h"

namespace walnut::e2e {
namespace {

using namespace std::chrono_literals;

// Reads the `names.size()` confirmations of an UNSUBSCRIBE (or PUNSUBSCRIBE,
// SUNSUBSCRIBE) without names: one per name in an order Redis leaves open,
// the counts going down by one from `before`.
void expect_unsubscribed_all(Client& c, const std::string& kind,
                             const std::vector<std::string>& names, long long before) {
  std::vector<std::string> got;
  for (size_t i = 0; i < names.size(); ++i) {
    Reply r = parse(c.read_reply());
    ASSERT_EQ(r.type, '*') << kind << " confirmation " << i;
    ASSERT_EQ(r.items.size(), 3u);
    EXPECT_EQ(r.items[0], bulk(kind));
    got.push_back(parse(r.items[1]).text);
    EXPECT_EQ(r.items[2], integer(before - 1 - static_cast<long long>(i))) << "confirmation " << i;
  }
  EXPECT_TRUE(same_multiset(got, names));
}

// ---------------------------------------------------------------------------
// A scripted session on two connections (a subscriber and a publisher), run
// the same on a direct redis-server and on walnut: the replies of both, in
// the order they were read.

struct PubSubStep {
  int conn;                    // 0: the subscriber, 1: the publisher
  std::vector<Args> commands;  // sent together, in one write (none: only read)
  int replies;                 // read from `conn` afterwards
};

// With `want`, it stops at the first reply that differs from want's: what
// follows a wrong reply is often no reply at all, and each would cost the
// client's read timeout.
std::vector<std::string> run_session(int port, const std::vector<PubSubStep>& steps,
                                     const std::vector<std::string>* want = nullptr) {
  Client sub(port), pub(port);
  std::vector<std::string> out;
  for (const PubSubStep& st : steps) {
    Client& c = st.conn == 0 ? sub : pub;
    std::string bytes;
    for (const Args& a : st.commands) bytes += encode(a);
    if (!bytes.empty()) c.send_raw(bytes);
    for (int i = 0; i < st.replies; ++i) {
      out.push_back(c.read_reply());
      if (want != nullptr && (out.size() > want->size() || out.back() != (*want)[out.size() - 1])) {
        return out;
      }
    }
  }
  return out;
}

// What a step did, for a failure message.
std::string describe(const std::vector<PubSubStep>& steps, size_t reply) {
  size_t at = 0;
  for (const PubSubStep& st : steps) {
    if (reply < at + static_cast<size_t>(st.replies)) {
      std::string what = st.conn == 0 ? "subscriber: " : "publisher: ";
      for (const Args& a : st.commands) what += show(a) + "; ";
      if (st.commands.empty()) what += "(reads)";
      return what + " reply " + std::to_string(reply - at);
    }
    at += static_cast<size_t>(st.replies);
  }
  return "?";
}

// Runs `steps` on redis and on walnut and compares every reply byte for
// byte, up to the first difference.
void compare_sessions(const std::vector<PubSubStep>& steps, int redis_port, int walnut_port) {
  const std::vector<std::string> want = run_session(redis_port, steps);
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_FALSE(want[i].empty()) << "redis gave no reply: the script is wrong at "
                                  << describe(steps, i);
  }
  const std::vector<std::string> got = run_session(walnut_port, steps, &want);
  for (size_t i = 0; i < want.size() && i < got.size(); ++i) {
    EXPECT_EQ(printable(got[i]), printable(want[i])) << describe(steps, i);
  }
  EXPECT_EQ(got.size(), want.size()) << "replies compared before the first difference";
}

// ---------------------------------------------------------------------------
// 1. One server: walnut against a direct redis-server.

class RedisPubSubOneServer : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    direct_ = new RedisServer(*dir_);
    single_ = new RedisServer(*dir_);
    walnut_ = new Walnut(*dir_, pool_yaml("one", {single_->port()}));
  }
  static void TearDownTestSuite() {
    delete walnut_;
    delete direct_;
    delete single_;
    delete dir_;
  }
  void SetUp() override { ASSERT_NE(walnut_, nullptr); }
  void TearDown() override {
    EXPECT_TRUE(walnut_->process().running()) << "walnut died: " << walnut_->log();
  }

  static inline TempDir* dir_ = nullptr;
  static inline RedisServer* direct_ = nullptr;
  static inline RedisServer* single_ = nullptr;
  static inline Walnut* walnut_ = nullptr;
};

TEST_F(RedisPubSubOneServer, OneClientGetsWhatAnotherPublishes) {
  Client sub(walnut_->port()), pub(walnut_->port());
  EXPECT_EQ(sub.call({"SUBSCRIBE", "simple"}), confirm("subscribe", "simple", 1));
  EXPECT_EQ(pub.call({"PUBLISH", "simple", "hi"}), ":1\r\n");
  EXPECT_EQ(sub.read_reply(), message("simple", "hi"));
  EXPECT_EQ(pub.call({"PUBLISH", "simple:other", "hi"}), ":0\r\n") << "nobody listens there";
}

TEST_F(RedisPubSubOneServer, SubscribedModeAnswersAsRedis) {
  // What a subscriber may send and what it is refused, one at a time and
  // pipelined behind the SUBSCRIBE that starts subscribed mode.
  std::vector<PubSubStep> s = {
      {0, {{"UNSUBSCRIBE"}}, 1},  // not subscribed: a confirmation with no name
      {0, {{"PUNSUBSCRIBE"}}, 1},
      {0, {{"SUNSUBSCRIBE"}}, 1},
      {0, {{"SUBSCRIBE", "mode"}}, 1},
      {0, {{"PING"}}, 1},
      {0, {{"PING", "x"}}, 1},
      {0, {{"PING", "x", "y"}}, 1},
      {0, {{"GET", "k"}}, 1},
      {0, {{"SET", "k", "v"}}, 1},
      {0, {{"PUBLISH", "mode", "m"}}, 1},
      {0, {{"PUBSUB", "NUMSUB", "mode"}}, 1},
      {0, {{"PUBSUB", "CHANNELS"}}, 1},
      {0, {{"SUBSCRIBE"}}, 1},  // arity comes first
      {0, {{"UNSUBSCRIBE", "mode"}}, 1},
      {0, {{"GET", "k"}}, 1},  // count 0: commands work again
      {0, {{"PING"}}, 1},
      {0, {{"SUBSCRIBE", "mode"}, {"PING"}, {"GET", "k"}, {"UNSUBSCRIBE", "mode"}, {"PING"},
           {"GET", "k"}},
       6},
      {0, {{"SSUBSCRIBE", "mode:shard"}}, 1},  // a shard channel subscribes too
      {0, {{"UNSUBSCRIBE"}}, 1},
      {0, {{"GET", "k"}}, 1},
      {0, {{"SUNSUBSCRIBE"}}, 1},
      {0, {{"GET", "k"}}, 1},
      {0, {{"PSUBSCRIBE", "mode*"}}, 1},
      {0, {{"SUBSCRIBE", "mode:last"}, {"QUIT"}}, 2},
  };
  compare_sessions(s, direct_->port(), walnut_->port());
  // The bytes walnut is held to above, from Redis itself.
  Client direct(direct_->port());
  EXPECT_EQ(direct.call({"SUBSCRIBE", "mode:text"}), confirm("subscribe", "mode:text", 1));
  EXPECT_EQ(direct.call({"GET", "k"}),
            "-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / "
            "RESET are allowed in this context\r\n");
  EXPECT_EQ(direct.call({"PING"}), "*2\r\n$4\r\npong\r\n$0\r\n\r\n");
  EXPECT_EQ(direct.call({"PING", "x"}), "*2\r\n$4\r\npong\r\n$1\r\nx\r\n");
}

TEST_F(RedisPubSubOneServer, ScriptedSessionMatchesRedis) {
  std::vector<PubSubStep> s = {
      {0, {{"SUBSCRIBE", "news", "sport"}}, 2},
      {1, {{"PUBLISH", "news", "hello"}}, 1},
      {0, {}, 1},
      {1, {{"PUBLISH", "weather", "rain"}}, 1},  // nobody: :0, no message
      {0, {{"PSUBSCRIBE", "n*", "s?ort"}}, 2},
      {1, {{"PUBLISH", "news", "again"}}, 1},  // to the channel and to the pattern
      {0, {}, 2},
      {0, {{"PING"}}, 1},
      {0, {{"SUBSCRIBE", "news", "news"}}, 2},  // already there: the count stays
      {0, {{"UNSUBSCRIBE", "sport", "never"}}, 2},
      {1, {{"PUBLISH", "sport", "goal"}}, 1},  // the pattern still matches
      {0, {}, 1},
      {0, {{"PUNSUBSCRIBE", "n*"}}, 1},
      {1, {{"PUBLISH", "news", "late"}}, 1},
      {0, {}, 1},
      {0, {{"SSUBSCRIBE", "shard1", "shard2"}}, 2},  // shard channels count apart
      {1, {{"SPUBLISH", "shard2", "s"}}, 1},
      {0, {}, 1},
      {1, {{"PUBLISH", "shard2", "p"}}, 1},  // another namespace: :0
      {0, {{"SUNSUBSCRIBE", "shard1", "shard2", "shard3"}}, 3},
      {0, {{"UNSUBSCRIBE", "news"}}, 1},
      {0, {{"PUNSUBSCRIBE", "s?ort", "never*"}}, 2},
      {0, {{"UNSUBSCRIBE"}}, 1},
      {0, {{"PUNSUBSCRIBE"}}, 1},
      {1, {{"PUBLISH", "news", "gone"}}, 1},
      {0, {{"SUBSCRIBE", "only"}}, 1},
      {0, {{"UNSUBSCRIBE"}}, 1},  // one channel: its order is defined
      {0, {{"SET", "after", "v"}, {"GET", "after"}, {"PING"}}, 3},
  };
  compare_sessions(s, direct_->port(), walnut_->port());
}

// A reply of the client's own command that happens to look like a published
// message ("*3 $7 message ..."), on the client's own server connection (it
// has one since its last subscription), pipelined before a SUBSCRIBE: it is
// the reply, not a message.
//
// A reply that looks like a published message, to a request sent before a
// SUBSCRIBE on the client's own connection, is an answer: push mode starts
// with the subscription's first confirmation, not when walnut takes the
// SUBSCRIBE (walnut once took the LRANGE reply for a message and paired the
// confirmation with the LRANGE).
TEST_F(RedisPubSubOneServer, ReplyAheadOfASubscriptionIsNotAMessage) {
  std::vector<PubSubStep> s = {
      {1, {{"DEL", "lookalike"}, {"RPUSH", "lookalike", "message", "ch", "text"}}, 2},
      {0, {{"SUBSCRIBE", "look"}}, 1},
      {0, {{"UNSUBSCRIBE", "look"}}, 1},
      {0, {{"LRANGE", "lookalike", "0", "-1"}, {"SUBSCRIBE", "look"}}, 2},
      {1, {{"PUBLISH", "look", "real"}}, 1},
      {0, {}, 1},
      {0, {{"UNSUBSCRIBE", "look"}, {"LRANGE", "lookalike", "0", "-1"}}, 2},
  };
  compare_sessions(s, direct_->port(), walnut_->port());
}

// ---------------------------------------------------------------------------
// 2. Three servers: where subscriptions go, and what comes back.

class RedisPubSubThreeServers : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    for (auto*& s : servers_) s = new RedisServer(*dir_);
    walnut_ = new Walnut(*dir_, pool_yaml("three", ports(), kSharded));
  }
  static void TearDownTestSuite() {
    delete walnut_;
    for (auto*& s : servers_) delete s;
    delete dir_;
  }
  void SetUp() override { ASSERT_NE(walnut_, nullptr); }
  void TearDown() override {
    EXPECT_TRUE(walnut_->process().running()) << "walnut died: " << walnut_->log();
  }
  static std::vector<int> ports() {
    return {servers_[0]->port(), servers_[1]->port(), servers_[2]->port()};
  }
  // `per_server` channel names of `family` on each server (each test its
  // own family, so that no test sees another's subscribers).
  static std::vector<std::vector<std::string>> channels(const std::string& family,
                                                        size_t per_server) {
    auto out = names_by_server(walnut_->port(), ports(), family, per_server);
    for (size_t s = 0; s < out.size(); ++s) {
      EXPECT_EQ(out[s].size(), per_server) << "too few names of " << family << " on server " << s;
    }
    return out;
  }

  static inline TempDir* dir_ = nullptr;
  static inline RedisServer* servers_[3] = {nullptr, nullptr, nullptr};
  static inline Walnut* walnut_ = nullptr;
};

TEST_F(RedisPubSubThreeServers, ChannelsLiveWhereTheirNamesHashAndCountsCoverEveryServer) {
  auto ch = channels("place", 2);
  ASSERT_FALSE(HasFailure());
  Client sub(walnut_->port());
  sub.send({"SUBSCRIBE", ch[0][0], ch[1][0], ch[2][0], ch[0][1]});
  EXPECT_EQ(read_n(sub, 4),
            (std::vector<std::string>{confirm("subscribe", ch[0][0], 1),
                                      confirm("subscribe", ch[1][0], 2),
                                      confirm("subscribe", ch[2][0], 3),
                                      confirm("subscribe", ch[0][1], 4)}));
  // Each on its own server and nowhere else.
  for (int s = 0; s < 3; ++s) {
    for (auto [owner, name] : {std::pair{0, ch[0][0]}, std::pair{1, ch[1][0]},
                               std::pair{2, ch[2][0]}, std::pair{0, ch[0][1]}}) {
      EXPECT_EQ(numsub_on(ports()[s], name), owner == s ? 1 : 0) << name << " on server " << s;
    }
  }
  // A pattern counts with the channels and is on every server: a message
  // published directly on any server reaches it.
  const std::string pattern = "*:place:key";
  EXPECT_EQ(sub.call({"PSUBSCRIBE", pattern}), confirm("psubscribe", pattern, 5));
  for (int s = 0; s < 3; ++s) {
    Client direct(ports()[s]);
    EXPECT_EQ(direct.call({"PUBLISH", "x:place:key", "direct" + std::to_string(s)}), ":1\r\n")
        << "pattern not subscribed on server " << s;
    EXPECT_EQ(sub.read_reply(), pmessage(pattern, "x:place:key", "direct" + std::to_string(s)));
  }
  // Shard channels count apart.
  EXPECT_EQ(sub.call({"SSUBSCRIBE", ch[1][1]}), confirm("ssubscribe", ch[1][1], 1));
  EXPECT_EQ(numsub_on(ports()[1], ch[1][1]), 0) << "a shard channel is no channel";
  EXPECT_EQ(sub.call({"UNSUBSCRIBE", ch[1][0]}), confirm("unsubscribe", ch[1][0], 4));
  EXPECT_EQ(numsub_on(ports()[1], ch[1][0]), 0) << "unsubscribed on its server";
  EXPECT_EQ(sub.call({"PING"}), "*2\r\n$4\r\npong\r\n$0\r\n\r\n");
}

TEST_F(RedisPubSubThreeServers, PublishGoesWhereTheChannelLives) {
  auto ch = channels("route", 1);
  ASSERT_FALSE(HasFailure());
  Client sub(walnut_->port()), pub(walnut_->port());
  sub.send({"SUBSCRIBE", ch[0][0], ch[1][0], ch[2][0]});
  ASSERT_EQ(read_n(sub, 3).back(), confirm("subscribe", ch[2][0], 3));
  for (int s = 0; s < 3; ++s) {
    const std::string text = "to server " + std::to_string(s);
    EXPECT_EQ(pub.call({"PUBLISH", ch[s][0], text}), ":1\r\n") << ch[s][0];
    EXPECT_EQ(sub.read_reply(), message(ch[s][0], text));
  }
  EXPECT_EQ(pub.call({"PUBLISH", "nobody:route", "x"}), ":0\r\n");
  // A second subscriber of one channel: PUBLISH counts the receivers there.
  Client sub2(walnut_->port());
  EXPECT_EQ(sub2.call({"SUBSCRIBE", ch[1][0]}), confirm("subscribe", ch[1][0], 1));
  EXPECT_EQ(pub.call({"PUBLISH", ch[1][0], "both"}), ":2\r\n");
  EXPECT_EQ(sub.read_reply(), message(ch[1][0], "both"));
  EXPECT_EQ(sub2.read_reply(), message(ch[1][0], "both"));
}

TEST_F(RedisPubSubThreeServers, PatternsMatchChannelsOnEveryServer) {
  auto ch = channels("pat", 1);
  ASSERT_FALSE(HasFailure());
  const std::string pattern = "*:pat:key";
  Client sub(walnut_->port()), pub(walnut_->port());
  sub.send({"PSUBSCRIBE", pattern, "other*"});
  EXPECT_EQ(read_n(sub, 2), (std::vector<std::string>{confirm("psubscribe", pattern, 1),
                                                      confirm("psubscribe", "other*", 2)}));
  for (int s = 0; s < 3; ++s) {
    const std::string text = "via server " + std::to_string(s);
    EXPECT_EQ(pub.call({"PUBLISH", ch[s][0], text}), ":1\r\n") << ch[s][0];
    EXPECT_EQ(sub.read_reply(), pmessage(pattern, ch[s][0], text));
  }
  // A channel and a pattern of one client: one message each, as Redis.
  EXPECT_EQ(sub.call({"SUBSCRIBE", ch[2][0]}), confirm("subscribe", ch[2][0], 3));
  EXPECT_EQ(pub.call({"PUBLISH", ch[2][0], "twice"}), ":2\r\n");
  EXPECT_EQ(read_n(sub, 2), (std::vector<std::string>{message(ch[2][0], "twice"),
                                                      pmessage(pattern, ch[2][0], "twice")}));
  sub.send({"PUNSUBSCRIBE", pattern, "other*"});
  EXPECT_EQ(read_n(sub, 2), (std::vector<std::string>{confirm("punsubscribe", pattern, 2),
                                                      confirm("punsubscribe", "other*", 1)}));
  EXPECT_EQ(pub.call({"PUBLISH", ch[0][0], "no longer"}), ":0\r\n");
  EXPECT_EQ(pub.call({"PUBLISH", ch[2][0], "channel only"}), ":1\r\n");
  EXPECT_EQ(sub.read_reply(), message(ch[2][0], "channel only"));
}

TEST_F(RedisPubSubThreeServers, ShardChannelsCountApart) {
  auto sh = channels("shard", 1);
  ASSERT_FALSE(HasFailure());
  Client sub(walnut_->port()), pub(walnut_->port());
  EXPECT_EQ(sub.call({"SUBSCRIBE", "plain:shard"}), confirm("subscribe", "plain:shard", 1));
  sub.send({"SSUBSCRIBE", sh[0][0], sh[1][0], sh[2][0]});
  EXPECT_EQ(read_n(sub, 3), (std::vector<std::string>{confirm("ssubscribe", sh[0][0], 1),
                                                      confirm("ssubscribe", sh[1][0], 2),
                                                      confirm("ssubscribe", sh[2][0], 3)}));
  for (int s = 0; s < 3; ++s) {
    EXPECT_EQ(pub.call({"SPUBLISH", sh[s][0], "s"}), ":1\r\n") << sh[s][0];
    EXPECT_EQ(sub.read_reply(), smessage(sh[s][0], "s"));
    EXPECT_EQ(pub.call({"PUBLISH", sh[s][0], "p"}), ":0\r\n") << "PUBLISH is not SPUBLISH";
  }
  EXPECT_EQ(sub.call({"SUNSUBSCRIBE", sh[1][0]}), confirm("sunsubscribe", sh[1][0], 2));
  EXPECT_EQ(pub.call({"SPUBLISH", sh[1][0], "gone"}), ":0\r\n");
  // The channels go; the shard channels keep the client subscribed.
  EXPECT_EQ(sub.call({"UNSUBSCRIBE"}), confirm("unsubscribe", "plain:shard", 0));
  EXPECT_EQ(sub.call({"GET", "k"}).rfind("-ERR Can't execute 'get'", 0), 0u);
  sub.send({"SUNSUBSCRIBE"});
  expect_unsubscribed_all(sub, "sunsubscribe", {sh[0][0], sh[2][0]}, 2);
  EXPECT_EQ(sub.call({"GET", "k"}), "$-1\r\n") << "no subscription left";
  EXPECT_EQ(sub.call({"SUNSUBSCRIBE"}), confirm_none("sunsubscribe", 0));
  for (int s = 0; s < 3; ++s) EXPECT_EQ(pub.call({"SPUBLISH", sh[s][0], "x"}), ":0\r\n");
}

TEST_F(RedisPubSubThreeServers, UnsubscribeWithoutNamesEndsEveryOneEverywhere) {
  auto ch = channels("unsub", 1);
  ASSERT_FALSE(HasFailure());
  const std::vector<std::string> names = {ch[0][0], ch[1][0], ch[2][0]};
  Client sub(walnut_->port()), pub(walnut_->port());
  sub.send({"SUBSCRIBE", names[0], names[1], names[2]});
  sub.send({"PSUBSCRIBE", "*:unsub:p1", "*:unsub:p2"});
  ASSERT_EQ(read_n(sub, 5).back(), confirm("psubscribe", "*:unsub:p2", 5));
  sub.send({"UNSUBSCRIBE"});
  expect_unsubscribed_all(sub, "unsubscribe", names, 5);
  for (int s = 0; s < 3; ++s) EXPECT_EQ(numsub_on(ports()[s], names[s]), 0) << names[s];
  for (const auto& name : names) EXPECT_EQ(pub.call({"PUBLISH", name, "x"}), ":0\r\n") << name;
  EXPECT_EQ(sub.call({"GET", "k"}).rfind("-ERR Can't execute 'get'", 0), 0u)
      << "the patterns keep it subscribed";
  sub.send({"PUNSUBSCRIBE"});
  expect_unsubscribed_all(sub, "punsubscribe", {"*:unsub:p1", "*:unsub:p2"}, 2);
  for (int s = 0; s < 3; ++s) {
    Client direct(ports()[s]);
    EXPECT_EQ(direct.call({"PUBLISH", "x:unsub:p1", "x"}), ":0\r\n") << "server " << s;
  }
  // Normal commands again, on whatever servers their keys live.
  for (const auto& name : names) {
    EXPECT_EQ(sub.call({"SET", name, "v"}), "+OK\r\n");
    EXPECT_EQ(sub.call({"GET", name}), bulk("v"));
    EXPECT_EQ(sub.call({"DEL", name}), ":1\r\n");
  }
  EXPECT_EQ(sub.call({"UNSUBSCRIBE"}), confirm_none("unsubscribe", 0));
  EXPECT_EQ(sub.call({"PUNSUBSCRIBE"}), confirm_none("punsubscribe", 0));
  EXPECT_EQ(sub.call({"PING"}), "+PONG\r\n");
  // And subscribing again works.
  EXPECT_EQ(sub.call({"SUBSCRIBE", names[1]}), confirm("subscribe", names[1], 1));
  EXPECT_EQ(pub.call({"PUBLISH", names[1], "back"}), ":1\r\n");
  EXPECT_EQ(sub.read_reply(), message(names[1], "back"));
}

TEST_F(RedisPubSubThreeServers, PubsubIntrospectionAsksTheRightServers) {
  auto ch = channels("intro", 1);
  ASSERT_FALSE(HasFailure());
  Client a(walnut_->port()), b(walnut_->port()), p(walnut_->port()), s(walnut_->port());
  a.send({"SUBSCRIBE", ch[0][0], ch[1][0], ch[2][0]});
  ASSERT_EQ(read_n(a, 3).back(), confirm("subscribe", ch[2][0], 3));
  ASSERT_EQ(b.call({"SUBSCRIBE", ch[1][0]}), confirm("subscribe", ch[1][0], 1));
  // A pattern is no channel: PUBSUB CHANNELS does not list it.
  ASSERT_EQ(p.call({"PSUBSCRIBE", "*:intro:key"}), confirm("psubscribe", "*:intro:key", 1));
  ASSERT_EQ(s.call({"SSUBSCRIBE", ch[0][0]}), confirm("ssubscribe", ch[0][0], 1));

  Client q(walnut_->port());
  auto names_in = [](const std::string& raw) {
    std::vector<std::string> out;
    for (const std::string& item : parse(raw).items) out.push_back(parse(item).text);
    return out;
  };
  EXPECT_TRUE(same_multiset(names_in(q.call({"PUBSUB", "CHANNELS", "*:intro:key"})),
                            {ch[0][0], ch[1][0], ch[2][0]}));
  std::vector<std::string> all = names_in(q.call({"PUBSUB", "CHANNELS"}));
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(std::count(all.begin(), all.end(), ch[i][0]), 1) << ch[i][0];
  }
  EXPECT_EQ(q.call({"PUBSUB", "NUMSUB", ch[2][0], ch[1][0], "none:intro", ch[0][0], ch[1][0]}),
            "*10\r\n" + bulk(ch[2][0]) + ":1\r\n" + bulk(ch[1][0]) + ":2\r\n" +
                bulk("none:intro") + ":0\r\n" + bulk(ch[0][0]) + ":1\r\n" + bulk(ch[1][0]) +
                ":2\r\n");
  EXPECT_EQ(q.call({"PUBSUB", "NUMSUB"}), "*0\r\n");
  EXPECT_TRUE(same_multiset(names_in(q.call({"PUBSUB", "SHARDCHANNELS", "*:intro:key"})),
                            {ch[0][0]}));
  EXPECT_EQ(q.call({"PUBSUB", "SHARDNUMSUB", ch[0][0], ch[2][0]}),
            "*4\r\n" + bulk(ch[0][0]) + ":1\r\n" + bulk(ch[2][0]) + ":0\r\n");
  const std::string numpat = q.call({"PUBSUB", "NUMPAT"});
  EXPECT_EQ(numpat.rfind("-ERR PUBSUB NUMPAT is not supported by walnut", 0), 0u)
      << printable(numpat);
  EXPECT_EQ(numpat.find("\r\n"), numpat.size() - 2) << "one error line";
  EXPECT_EQ(q.call({"PING"}), "+PONG\r\n");
}

TEST_F(RedisPubSubThreeServers, EverySubscriberGetsEachMessageOnce) {
  auto ch = channels("fan", 1);
  ASSERT_FALSE(HasFailure());
  const std::vector<std::string> names = {ch[0][0], ch[1][0], ch[2][0]};
  std::vector<std::unique_ptr<Client>> subs;
  for (int i = 0; i < 4; ++i) {
    subs.push_back(std::make_unique<Client>(walnut_->port()));
    subs.back()->send({"SUBSCRIBE", names[0], names[1], names[2]});
    ASSERT_EQ(read_n(*subs.back(), 3).back(), confirm("subscribe", names[2], 3));
  }
  Client pub(walnut_->port());
  std::vector<std::string> want;
  for (int round = 0; round < 3; ++round) {
    for (const auto& name : names) {
      const std::string text = name + "#" + std::to_string(round);
      EXPECT_EQ(pub.call({"PUBLISH", name, text}), ":4\r\n") << name;
      want.push_back(message(name, text));
    }
  }
  for (size_t i = 0; i < subs.size(); ++i) {
    // Messages of different servers may overtake each other: as a set.
    EXPECT_TRUE(same_multiset(read_n(*subs[i], want.size()), want)) << "subscriber " << i;
    // walnut answers PING itself, behind what it already had for the
    // client: a duplicate would most likely come before it.
    EXPECT_EQ(subs[i]->call({"PING", "end"}), "*2\r\n$4\r\npong\r\n$3\r\nend\r\n")
        << "subscriber " << i;
  }
}

TEST_F(RedisPubSubThreeServers, MessagePublishedRightAfterTheConfirmationArrives) {
  // walnut confirms once the servers did: a PUBLISH sent the moment the
  // client has its confirmation finds the subscription there. Each round a
  // new client on new channels, so that its server connections are new too.
  constexpr size_t kRounds = 8;
  auto ch = channels("fresh", kRounds);
  ASSERT_FALSE(HasFailure());
  Client pub(walnut_->port());
  for (size_t r = 0; r < kRounds; ++r) {
    SCOPED_TRACE("round " + std::to_string(r));
    Client sub(walnut_->port());
    sub.send({"SUBSCRIBE", ch[0][r], ch[1][r], ch[2][r]});
    ASSERT_EQ(read_n(sub, 3).back(), confirm("subscribe", ch[2][r], 3));
    std::vector<std::string> want;
    for (int s = 0; s < 3; ++s) {
      EXPECT_EQ(pub.call({"PUBLISH", ch[s][r], "now"}), ":1\r\n") << ch[s][r];
      want.push_back(message(ch[s][r], "now"));
    }
    EXPECT_TRUE(same_multiset(read_n(sub, 3), want));
    // The same for a pattern, on every server at once.
    const std::string pattern = "*:fresh:key:" + std::to_string(r);
    Client psub(walnut_->port());
    ASSERT_EQ(psub.call({"PSUBSCRIBE", pattern}), confirm("psubscribe", pattern, 1));
    for (int s = 0; s < 3; ++s) {
      Client direct(ports()[s]);
      EXPECT_EQ(direct.call({"PUBLISH", "x:fresh:key:" + std::to_string(r), "p"}), ":1\r\n")
          << "server " << s;
    }
  }
}

// The mirror image of ReplyAheadOfASubscriptionIsNotAMessage: replies
// pipelined behind the PUNSUBSCRIBE that ends the client's last
// subscription, from a server that answers them all while another server
// has not confirmed its part yet (it is stopped for a moment).
//
// Push mode ends on each server connection with its own last
// unsubscription confirmed, not when every server confirmed: a reply that
// looks like a message, behind the PUNSUBSCRIBE on a fast server while
// another is slow, is an answer (walnut once took it for a message and gave
// the LLEN reply behind it to the LRANGE).
TEST_F(RedisPubSubThreeServers, RepliesBehindTheLastUnsubscriptionAreNotMessages) {
  auto keys = channels("behind", 1);
  ASSERT_FALSE(HasFailure());
  const std::string key = keys[0][0];  // on server 0; server 1 will be slow
  Client c(walnut_->port());
  ASSERT_EQ(c.call({"RPUSH", key, "message", "ch", "text"}), ":3\r\n");
  ASSERT_EQ(c.call({"PSUBSCRIBE", "behind*"}), confirm("psubscribe", "behind*", 1));
  {
    Paused slow(servers_[1]->process().pid());
    ASSERT_TRUE(slow.stopped());
    c.send_raw(encode({"PUNSUBSCRIBE", "behind*"}) + encode({"LRANGE", key, "0", "-1"}) +
               encode({"LLEN", key}));
    // Time for server 0 to answer all three (not an assertion: without it
    // the test only checks less).
    std::this_thread::sleep_for(200ms);
  }
  EXPECT_EQ(c.read_reply(), confirm("punsubscribe", "behind*", 0));
  // Stops at the first wrong reply: the next would never come.
  ASSERT_EQ(printable(c.read_reply()),
            printable("*3\r\n" + bulk("message") + bulk("ch") + bulk("text")));
  ASSERT_EQ(c.read_reply(), ":3\r\n");
  EXPECT_EQ(c.call({"DEL", key}), ":1\r\n");
}

// ---------------------------------------------------------------------------
// 3. A backend dies under its subscribers.

TEST(RedisPubSubDeadBackend, SubscribersThereAreClosedOthersGoOn) {
  TempDir dir;
  RedisServer s0(dir), s1(dir);
  const std::vector<int> ports = {s0.port(), s1.port()};
  Walnut w(dir, pool_yaml("dead", ports, kSharded));
  auto ch = names_by_server(w.port(), ports, "dead", 2);
  ASSERT_EQ(ch[0].size(), 2u);
  ASSERT_EQ(ch[1].size(), 2u);

  Client both(w.port()), live_only(w.port()), pattern(w.port()), pub(w.port()), plain(w.port());
  both.send({"SUBSCRIBE", ch[0][0], ch[1][0]});
  ASSERT_EQ(read_n(both, 2).back(), confirm("subscribe", ch[1][0], 2));
  ASSERT_EQ(live_only.call({"SUBSCRIBE", ch[1][1]}), confirm("subscribe", ch[1][1], 1));
  ASSERT_EQ(pattern.call({"PSUBSCRIBE", "*:dead:*"}), confirm("psubscribe", "*:dead:*", 1));
  ASSERT_EQ(plain.call({"SET", ch[1][0], "v"}), "+OK\r\n");

  s0.process().stop();

  // Their subscriptions on server 0 are gone: walnut closes them, so that
  // they reconnect and subscribe again (a pattern lives on every server).
  EXPECT_TRUE(both.closed_by_peer(10s)) << "subscriber with a channel on the dead server";
  EXPECT_TRUE(pattern.closed_by_peer(10s)) << "subscriber with a pattern";
  // The others go on.
  EXPECT_EQ(pub.call({"PUBLISH", ch[1][1], "still"}), ":1\r\n");
  EXPECT_EQ(live_only.read_reply(), message(ch[1][1], "still"));
  EXPECT_EQ(live_only.call({"PING"}), "*2\r\n$4\r\npong\r\n$0\r\n\r\n");
  EXPECT_EQ(plain.call({"GET", ch[1][0]}), bulk("v"));
  // The closed one comes back: on the live server it subscribes; on the
  // dead one it is refused with an error, subscribed as before (what
  // Subscriptions::take() means to do when a server cannot be reached).
  //
  // A subscription the dead server refused (its connection failed after it
  // was opened) is not counted: the client gets the error and stays
  // subscribed to what the live server confirmed (walnut once closed it
  // for "lost subscriptions", and a client that resubscribes looped).
  Client again(w.port());
  EXPECT_EQ(again.call({"SUBSCRIBE", ch[1][0]}), confirm("subscribe", ch[1][0], 1));
  const std::string refused = again.call({"SUBSCRIBE", ch[0][0]});
  EXPECT_EQ(refused.rfind("-ERR ", 0), 0u) << printable(refused);
  ASSERT_EQ(again.call({"PING"}), "*2\r\n$4\r\npong\r\n$0\r\n\r\n")
      << "closed after the refusal";
  EXPECT_EQ(pub.call({"PUBLISH", ch[1][0], "back"}), ":1\r\n");
  EXPECT_EQ(again.read_reply(), message(ch[1][0], "back"));
  EXPECT_EQ(again.call({"UNSUBSCRIBE", ch[1][0]}), confirm("unsubscribe", ch[1][0], 0));
  EXPECT_EQ(again.call({"GET", ch[1][0]}), bulk("v"));
  EXPECT_TRUE(w.process().running()) << w.log();
}

// ---------------------------------------------------------------------------
// 4. A subscriber that never reads.

TEST(RedisPubSubSlowSubscriber, IsClosedPastTheOutputLimitAndMemoryStaysBounded) {
  TempDir dir;
  RedisServer r(dir);
  constexpr long kLimit = 1 << 20;  // 1 MiB
  Walnut w(dir, pool_yaml("slow", {r.port()},
                          "  client_output_limit: " + std::to_string(kLimit) + "\n"));
  const pid_t pid = w.process().pid();
  Client slow(w.port()), reader(w.port()), pub(w.port()), plain(w.port());
  ASSERT_EQ(slow.call({"SUBSCRIBE", "slow"}), confirm("subscribe", "slow", 1));
  ASSERT_EQ(reader.call({"SUBSCRIBE", "slow:other"}), confirm("subscribe", "slow:other", 1));
  const long baseline = proc_status_kb(pid, "VmRSS");
  ASSERT_GT(baseline, 0);

  // 400 messages of 100 kB: 40 MB, far more than the limit plus what the
  // sockets on the way can buffer. The subscriber reads none of it.
  constexpr int kMessages = 400;
  const std::string payload(100 * 1000, 'm');
  int received_by_server = 0;
  for (int i = 0; i < kMessages; ++i) {
    const std::string got = pub.call({"PUBLISH", "slow", payload});
    ASSERT_TRUE(got == ":1\r\n" || got == ":0\r\n") << i << ": " << printable(got);
    received_by_server += got == ":1\r\n";
    if (i % 100 == 0) {  // others are served meanwhile
      EXPECT_EQ(pub.call({"PUBLISH", "slow:other", "small"}), ":1\r\n");
      EXPECT_EQ(reader.read_reply(), message("slow:other", "small"));
      EXPECT_EQ(plain.call({"SET", "k", std::to_string(i)}), "+OK\r\n");
      EXPECT_EQ(plain.call({"GET", "k"}), bulk(std::to_string(i)));
    }
  }
  const long peak = proc_status_kb(pid, "VmHWM");
  std::cout << "[slow subscriber] walnut VmRSS " << baseline << " KB before, peak " << peak
            << " KB; the server delivered " << received_by_server << " of " << kMessages
            << std::endl;

  // What it gets now is what was on its way when walnut let it go, then
  // the end of the connection: fewer than were published.
  int read = 0;
  for (; read <= kMessages; ++read) {
    const std::string m = slow.read_reply();
    if (m.empty()) break;
    ASSERT_EQ(m.size(), message("slow", payload).size()) << "message " << read;
  }
  // (It may end in the middle of a message: walnut closes the socket with
  // whatever part of one the kernel took.)
  EXPECT_LT(read, kMessages) << "the slow subscriber got every message: never closed";
  EXPECT_NE(w.log().find("over client_output_limit; closing it"), std::string::npos) << w.log();
  // Its subscription ended with it, on the server too.
  EXPECT_TRUE(wait_until([&] { return numsub_on(r.port(), "slow") == 0; }, 10s));
  EXPECT_EQ(pub.call({"PUBLISH", "slow", "x"}), ":0\r\n");

  if (!walnut_uses_asan_allocator()) {
    // Kept everything, walnut would have grown by tens of megabytes (40 MB
    // less what the sockets held); bounded, by about the limit.
    EXPECT_LT(peak - baseline, 16 * 1024) << "baseline " << baseline << " KB, peak " << peak;
  }
  // Other clients are unaffected.
  EXPECT_EQ(pub.call({"PUBLISH", "slow:other", "after"}), ":1\r\n");
  EXPECT_EQ(reader.read_reply(), message("slow:other", "after"));
  EXPECT_EQ(plain.call({"GET", "k"}), bulk("300"));
}

}  // namespace
}  // namespace walnut::e2e
