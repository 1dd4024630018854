// RedisProtocol::classify: local replies, arity and unsupported errors, and
// the keys it finds for routing, from the command table.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "proto/redis/commands.h"
#include "proto/redis/redis_protocol.h"

namespace walnut::redis {
namespace {

using proto::Action;

class RedisProtocolTest : public ::testing::Test {
 protected:
  explicit RedisProtocolTest(const PoolOptions& options = {}) : protocol_(pool_, options) {}

  // Parses `wire` as one request into msg_ and classifies it.
  Action classify(const std::string& wire) {
    msg_.recycle();
    RequestParser parser;
    proto::ParseResult r = parser.feed(wire.data(), wire.size());
    EXPECT_EQ(r.status, proto::ParseStatus::kDone) << wire;
    EXPECT_EQ(r.consumed, wire.size());
    msg_.request.append_copy(pool_, wire);
    msg_.tokens = parser.tokens();
    return protocol_.classify(msg_, session_);
  }
  std::vector<std::string> keys() {
    std::vector<std::string> out;
    std::string scratch;
    for (const auto& k : msg_.keys) {
      out.emplace_back(msg_.request.view(k.offset, k.len, scratch));
    }
    return out;
  }

  buffer::MbufPool pool_{512};
  RedisProtocol protocol_;
  proto::ClientSession session_;
  proto::Msg msg_;
};

TEST_F(RedisProtocolTest, PingEchoQuitAreAnsweredLocally) {
  EXPECT_EQ(classify("*1\r\n$4\r\nPING\r\n"), Action::kReply);
  EXPECT_EQ(msg_.reply.to_string(), "+PONG\r\n");
  EXPECT_EQ(classify("*2\r\n$4\r\nping\r\n$5\r\nhello\r\n"), Action::kReply);
  EXPECT_EQ(msg_.reply.to_string(), "$5\r\nhello\r\n");
  EXPECT_EQ(classify("*2\r\n$4\r\nEcHo\r\n$0\r\n\r\n"), Action::kReply);
  EXPECT_EQ(msg_.reply.to_string(), "$0\r\n\r\n");
  EXPECT_EQ(classify("PING\r\n"), Action::kReply);
  EXPECT_EQ(msg_.reply.to_string(), "+PONG\r\n");
  EXPECT_EQ(classify("*1\r\n$4\r\nquit\r\n"), Action::kReplyClose);
  EXPECT_EQ(msg_.reply.to_string(), "+OK\r\n");
}

TEST_F(RedisProtocolTest, WrongArityGivesRedisError) {
  EXPECT_EQ(classify("*1\r\n$3\r\nGET\r\n"), Action::kReply);
  EXPECT_EQ(msg_.reply.to_string(),
            "-ERR wrong number of arguments for 'get' command\r\n");
  EXPECT_TRUE(msg_.reply_is_error);
  EXPECT_EQ(classify("*4\r\n$4\r\nmset\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n"),
            Action::kReply);
  EXPECT_EQ(msg_.reply.to_string(),
            "-ERR wrong number of arguments for 'mset' command\r\n");
  EXPECT_EQ(classify("*3\r\n$4\r\nping\r\n$1\r\na\r\n$1\r\nb\r\n"),
            Action::kReply);
  EXPECT_EQ(msg_.reply.to_string(),
            "-ERR wrong number of arguments for 'ping' command\r\n");
}

TEST_F(RedisProtocolTest, UnknownAndUnsupportedCommandsSaySo) {
  EXPECT_EQ(classify("*1\r\n$7\r\nMONITOR\r\n"), Action::kReply);
  EXPECT_EQ(msg_.reply.to_string(), "-ERR unsupported command 'monitor'\r\n");
  // WAIT says why: no server connection carries only this client's writes.
  EXPECT_EQ(classify("*3\r\n$4\r\nWAIT\r\n$1\r\n1\r\n$1\r\n0\r\n"), Action::kReply);
  EXPECT_EQ(msg_.reply.to_string().rfind("-ERR unsupported command 'wait': a client's writes", 0),
            0u);
  EXPECT_EQ(classify("*2\r\n$7\r\nFOOBARZ\r\n$1\r\nx\r\n"), Action::kReply);
  EXPECT_EQ(msg_.reply.to_string(), "-ERR unsupported command 'foobarz'\r\n");
}

TEST_F(RedisProtocolTest, ErrorTextCannotForgeAReply) {
  EXPECT_EQ(classify("*1\r\n$7\r\nfoo\r\n:1\r\n"), Action::kReply);
  EXPECT_EQ(msg_.reply.to_string(), "-ERR unsupported command 'foo  :1'\r\n");
}

TEST_F(RedisProtocolTest, KeysComeFromTheTable) {
  EXPECT_EQ(classify("*3\r\n$3\r\nSET\r\n$3\r\nfoo\r\n$3\r\nbar\r\n"),
            Action::kForward);
  EXPECT_EQ(keys(), (std::vector<std::string>{"foo"}));
  EXPECT_EQ(classify("*5\r\n$4\r\nMSET\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n"),
            Action::kFragment);
  EXPECT_EQ(keys(), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(classify("*4\r\n$4\r\nMGET\r\n$1\r\nx\r\n$1\r\ny\r\n$1\r\nz\r\n"),
            Action::kFragment);
  EXPECT_EQ(keys(), (std::vector<std::string>{"x", "y", "z"}));
  EXPECT_EQ(classify("*3\r\n$6\r\nRENAME\r\n$2\r\nk1\r\n$2\r\nk2\r\n"),
            Action::kForward);
  EXPECT_EQ(keys(), (std::vector<std::string>{"k1", "k2"}));
  EXPECT_EQ(classify("HGET h f\r\n"), Action::kForward);
  EXPECT_EQ(keys(), (std::vector<std::string>{"h"}));
}

TEST_F(RedisProtocolTest, NumkeysCommandsTakeTheirKeysFromTheCount) {
  EXPECT_EQ(classify("*6\r\n$4\r\nEVAL\r\n$6\r\nreturn\r\n$1\r\n2\r\n$2\r\nk1\r\n$2\r\nk2\r\n$3\r\narg\r\n"),
            Action::kForward);
  EXPECT_EQ(keys(), (std::vector<std::string>{"k1", "k2"}));
  EXPECT_EQ(classify("*5\r\n$11\r\nZUNIONSTORE\r\n$1\r\nd\r\n$1\r\n2\r\n$1\r\na\r\n$1\r\nb\r\n"),
            Action::kForward);
  EXPECT_EQ(keys(), (std::vector<std::string>{"d", "a", "b"}));
  EXPECT_EQ(classify("*3\r\n$4\r\nEVAL\r\n$6\r\nreturn\r\n$1\r\n0\r\n"),
            Action::kReply);
  EXPECT_TRUE(msg_.reply_is_error);
  EXPECT_NE(msg_.reply.to_string().find("no keys"), std::string::npos);
  EXPECT_EQ(classify("*4\r\n$4\r\nEVAL\r\n$1\r\ns\r\n$1\r\n5\r\n$1\r\nk\r\n"),
            Action::kReply);
  EXPECT_EQ(msg_.reply.to_string(),
            "-ERR Number of keys can't be greater than number of args\r\n");
  EXPECT_EQ(classify("*4\r\n$4\r\nEVAL\r\n$1\r\ns\r\n$1\r\nx\r\n$1\r\nk\r\n"),
            Action::kReply);
  EXPECT_EQ(msg_.reply.to_string(),
            "-ERR value is not an integer or out of range\r\n");
}

TEST_F(RedisProtocolTest, AuthWithoutAPasswordIsRefused) {
  EXPECT_EQ(classify("AUTH x\r\n"), Action::kReply);
  EXPECT_EQ(msg_.reply.to_string(),
            "-ERR Client sent AUTH, but no password is set\r\n");
  EXPECT_EQ(classify("SELECT 0\r\n"), Action::kReply);
  EXPECT_EQ(msg_.reply.to_string(), "+OK\r\n");
  EXPECT_EQ(classify("SELECT 1\r\n"), Action::kReply);
  EXPECT_TRUE(msg_.reply_is_error);
  EXPECT_EQ(classify("SELECT x\r\n"), Action::kReply);
  EXPECT_EQ(msg_.reply.to_string(), "-ERR value is not an integer or out of range\r\n");
}

TEST_F(RedisProtocolTest, HandshakeIsEmptyWithoutAuthOrDb) {
  EXPECT_TRUE(protocol_.handshake().empty());
}

class RedisAuthTest : public RedisProtocolTest {
 protected:
  RedisAuthTest() : RedisProtocolTest(PoolOptions{"s3cret", 4}) {}
};

TEST_F(RedisAuthTest, EverythingButAuthAndQuitWaitsForAuth) {
  EXPECT_EQ(classify("GET k\r\n"), Action::kReply);
  EXPECT_EQ(msg_.reply.to_string(), "-NOAUTH Authentication required.\r\n");
  EXPECT_EQ(classify("PING\r\n"), Action::kReply);
  EXPECT_EQ(msg_.reply.to_string(), "-NOAUTH Authentication required.\r\n");
  EXPECT_EQ(classify("AUTH nope\r\n"), Action::kReply);
  EXPECT_EQ(msg_.reply.to_string(), "-ERR invalid password\r\n");
  EXPECT_FALSE(session_.authenticated);
  EXPECT_EQ(classify("AUTH bob s3cret\r\n"), Action::kReply);
  EXPECT_EQ(msg_.reply.to_string(),
            "-WRONGPASS invalid username-password pair or user is disabled.\r\n")
      << "only user default";
  EXPECT_EQ(classify("AUTH default nope\r\n"), Action::kReply);
  EXPECT_EQ(msg_.reply.to_string(),
            "-WRONGPASS invalid username-password pair or user is disabled.\r\n");
  EXPECT_FALSE(session_.authenticated);
  EXPECT_EQ(classify("AUTH default s3cret\r\n"), Action::kReply);
  EXPECT_EQ(msg_.reply.to_string(), "+OK\r\n");
  EXPECT_TRUE(session_.authenticated);
  EXPECT_EQ(classify("GET k\r\n"), Action::kForward);
  EXPECT_EQ(classify("SELECT 4\r\n"), Action::kReply);
  EXPECT_EQ(msg_.reply.to_string(), "+OK\r\n");
  EXPECT_EQ(classify("SELECT 0\r\n"), Action::kReply);
  EXPECT_TRUE(msg_.reply_is_error);
}

TEST_F(RedisAuthTest, QuitNeedsNoAuthAndAuthWithOneArgumentWorks) {
  EXPECT_EQ(classify("QUIT\r\n"), Action::kReplyClose);
  EXPECT_EQ(classify("AUTH s3cret\r\n"), Action::kReply);
  EXPECT_EQ(msg_.reply.to_string(), "+OK\r\n");
}

TEST_F(RedisAuthTest, HandshakeAuthenticatesThenSelects) {
  std::vector<std::string> h = protocol_.handshake();
  ASSERT_EQ(h.size(), 2u);
  EXPECT_EQ(h[0], "*2\r\n$4\r\nAUTH\r\n$6\r\ns3cret\r\n");
  EXPECT_EQ(h[1], "*2\r\n$6\r\nSELECT\r\n$1\r\n4\r\n");
}

// redis_user: the pool's credentials are an ACL user's.
class RedisAclUserTest : public RedisProtocolTest {
 protected:
  RedisAclUserTest() : RedisProtocolTest(PoolOptions{.auth = "s3cret", .user = "app"}) {}
};

TEST_F(RedisAclUserTest, HandshakeAuthenticatesAsTheUser) {
  std::vector<std::string> h = protocol_.handshake();
  ASSERT_EQ(h.size(), 1u);
  EXPECT_EQ(h[0], "*3\r\n$4\r\nAUTH\r\n$3\r\napp\r\n$6\r\ns3cret\r\n");
}

TEST_F(RedisAclUserTest, ClientsAuthenticateWithThePasswordOrTheUserAndPassword) {
  const std::string wrongpass = "-WRONGPASS invalid username-password pair or user is disabled.\r\n";
  EXPECT_EQ(classify("AUTH default s3cret\r\n"), Action::kReply);
  EXPECT_EQ(msg_.reply.to_string(), wrongpass) << "the pool's user is app, not default";
  EXPECT_EQ(classify("AUTH app nope\r\n"), Action::kReply);
  EXPECT_EQ(msg_.reply.to_string(), wrongpass);
  EXPECT_EQ(classify("AUTH nope\r\n"), Action::kReply);
  EXPECT_EQ(msg_.reply.to_string(), "-ERR invalid password\r\n");
  EXPECT_FALSE(session_.authenticated);
  EXPECT_EQ(classify("AUTH app s3cret\r\n"), Action::kReply);
  EXPECT_EQ(msg_.reply.to_string(), "+OK\r\n");
  EXPECT_TRUE(session_.authenticated);
  session_.authenticated = false;
  EXPECT_EQ(classify("AUTH s3cret\r\n"), Action::kReply) << "the password alone, as twemproxy's";
  EXPECT_EQ(msg_.reply.to_string(), "+OK\r\n");
  EXPECT_TRUE(session_.authenticated);
}

TEST_F(RedisProtocolTest, QuotedInlineArgumentsAreRefusedNotMisrouted) {
  EXPECT_EQ(classify("GET \"my key\"\r\n"), Action::kReply);
  EXPECT_TRUE(msg_.reply_is_error);
  EXPECT_NE(msg_.reply.to_string().find("quoted"), std::string::npos);
  EXPECT_EQ(classify("SET k 'v'\r\n"), Action::kReply);
  EXPECT_TRUE(msg_.reply_is_error);
  EXPECT_EQ(classify("*2\r\n$3\r\nGET\r\n$3\r\n\"k\"\r\n"), Action::kForward)
      << "RESP carries quotes as plain bytes";
  EXPECT_EQ(classify("SET k v\"\r\n"), Action::kForward) << "a quote inside a token";
}

TEST_F(RedisProtocolTest, EmptyRequestIsDiscarded) {
  EXPECT_EQ(classify("\r\n"), Action::kDiscard);
}

TEST_F(RedisProtocolTest, ErrorRepliesNameTheCause) {
  proto::Msg m;
  protocol_.error_reply(m, "Connection refused");
  EXPECT_EQ(m.reply.to_string(), "-ERR Connection refused\r\n");
  proto::Msg p;
  protocol_.protocol_error_reply(p, "invalid bulk length");
  EXPECT_EQ(p.reply.to_string(), "-ERR Protocol error: invalid bulk length\r\n");
}

// Each step of a transaction is the proxy's to keep; WATCH has keys.
TEST_F(RedisProtocolTest, TransactionCommandsGoToTheProxyWithTheirStep) {
  using proto::TransactionStep;
  const std::vector<std::pair<std::string, TransactionStep>> steps = {
      {"MULTI", TransactionStep::kMulti},     {"exec", TransactionStep::kExec},
      {"Discard", TransactionStep::kDiscard}, {"UNWATCH", TransactionStep::kUnwatch}};
  for (const auto& [name, step] : steps) {
    EXPECT_EQ(classify("*1\r\n$" + std::to_string(name.size()) + "\r\n" + name + "\r\n"),
              Action::kTransaction)
        << name;
    EXPECT_EQ(protocol_.transaction_step(msg_), step) << name;
    EXPECT_TRUE(keys().empty()) << name;
  }
  EXPECT_EQ(classify("*3\r\n$5\r\nWATCH\r\n$1\r\na\r\n$1\r\nb\r\n"), Action::kTransaction);
  EXPECT_EQ(protocol_.transaction_step(msg_), TransactionStep::kWatch);
  EXPECT_EQ(keys(), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(classify("*2\r\n$4\r\nEXEC\r\n$1\r\nx\r\n"), Action::kReply);
  // Redis's words for a malformed EXEC, in MULTI or not.
  EXPECT_EQ(msg_.reply.to_string(),
            "-EXECABORT Transaction discarded because of: wrong number of arguments for 'exec' "
            "command\r\n");
  EXPECT_EQ(classify("*2\r\n$7\r\nDISCARD\r\n$1\r\nx\r\n"), Action::kReply);
  EXPECT_EQ(msg_.reply.to_string(), "-ERR wrong number of arguments for 'discard' command\r\n");
}

// Inside MULTI the server must queue what walnut answers itself elsewhere:
// PING and ECHO go there, the rest is refused (and dooms the EXEC).
TEST_F(RedisProtocolTest, InsideMultiLocalCommandsGoToTheServerOrAreRefused) {
  session_.in_transaction = true;
  EXPECT_EQ(classify("*1\r\n$4\r\nPING\r\n"), Action::kForward);
  EXPECT_TRUE(keys().empty());
  EXPECT_TRUE(msg_.reply.empty());
  EXPECT_EQ(classify("*2\r\n$4\r\nECHO\r\n$2\r\nhi\r\n"), Action::kForward);
  EXPECT_EQ(classify("*2\r\n$6\r\nCLIENT\r\n$2\r\nID\r\n"), Action::kReply);
  EXPECT_EQ(msg_.reply.to_string(),
            "-ERR CLIENT inside MULTI is not supported by walnut: the transaction runs on a "
            "server\r\n");
  EXPECT_TRUE(msg_.reply_is_error);
  EXPECT_EQ(classify("*1\r\n$4\r\nINFO\r\n"), Action::kReply);
  EXPECT_TRUE(msg_.reply_is_error);
  EXPECT_EQ(classify("*1\r\n$4\r\nQUIT\r\n"), Action::kReplyClose);
  // Redis runs a blocking command inside MULTI without blocking.
  EXPECT_EQ(classify("*3\r\n$5\r\nBLPOP\r\n$1\r\nq\r\n$1\r\n0\r\n"), Action::kForward);
  EXPECT_EQ(msg_.block_ms, 0u);
  EXPECT_EQ(keys(), std::vector<std::string>{"q"});
  session_.in_transaction = false;
  EXPECT_EQ(classify("*1\r\n$4\r\nPING\r\n"), Action::kReply);
}

std::string resp(const std::vector<std::string>& args) {
  std::string out = "*" + std::to_string(args.size()) + "\r\n";
  for (const std::string& a : args) out += "$" + std::to_string(a.size()) + "\r\n" + a + "\r\n";
  return out;
}

// How long each blocking command may block, from its own arguments, and
// the keys it is routed by.
TEST_F(RedisProtocolTest, BlockingCommandsSayHowLongTheyMayBlock) {
  constexpr uint64_t kForever = proto::Msg::kBlockForever;
  struct Case {
    std::vector<std::string> args;
    Action action;
    uint64_t block_ms;
    std::vector<std::string> keys;
  };
  const std::vector<Case> cases = {
      {{"BLPOP", "a", "b", "2"}, Action::kBlocking, 2000, {"a", "b"}},
      {{"brpop", "a", "0"}, Action::kBlocking, kForever, {"a"}},
      {{"BLPOP", "a", "0.25"}, Action::kBlocking, 250, {"a"}},
      {{"BLPOP", "a", "0.0001"}, Action::kBlocking, 1, {"a"}},  // rounded up, never "forever"
      {{"BZPOPMIN", "z", "1.5"}, Action::kBlocking, 1500, {"z"}},
      {{"BRPOPLPUSH", "s", "d", "3"}, Action::kBlocking, 3000, {"s", "d"}},
      {{"BLMOVE", "s", "d", "LEFT", "RIGHT", "0"}, Action::kBlocking, kForever, {"s", "d"}},
      {{"BLMPOP", "4", "2", "a", "b", "LEFT"}, Action::kBlocking, 4000, {"a", "b"}},
      {{"BZMPOP", "0", "1", "z", "MIN", "COUNT", "2"}, Action::kBlocking, kForever, {"z"}},
      // A timeout Redis refuses blocks nobody: the server answers its error.
      {{"BLPOP", "a", "soon"}, Action::kBlocking, 0, {"a"}},
      {{"BLPOP", "a", "-1"}, Action::kBlocking, 0, {"a"}},
      {{"XREAD", "BLOCK", "700", "STREAMS", "s1", "s2", "$", "$"}, Action::kBlocking, 700,
       {"s1", "s2"}},
      {{"XREAD", "COUNT", "2", "BLOCK", "0", "STREAMS", "s", "0"}, Action::kBlocking, kForever,
       {"s"}},
      // Without BLOCK it is a plain read; a key may be called "streams".
      {{"xread", "STREAMS", "streams", "0"}, Action::kForward, 0, {"streams"}},
      {{"XREADGROUP", "GROUP", "streams", "c", "BLOCK", "5", "NOACK", "STREAMS", "s", ">"},
       Action::kBlocking, 5, {"s"}},
  };
  for (const Case& c : cases) {
    const std::string wire = resp(c.args);
    EXPECT_EQ(classify(wire), c.action) << wire << msg_.reply.to_string();
    EXPECT_EQ(msg_.block_ms, c.block_ms) << wire;
    EXPECT_EQ(keys(), c.keys) << wire;
  }
  EXPECT_EQ(classify(resp({"XREAD", "BLOCK", "1", "STREAMS", "a", "b", "c"})), Action::kReply);
  EXPECT_EQ(msg_.reply.to_string(),
            "-ERR Unbalanced 'xread' list of streams: for each stream key an ID or '$' must be "
            "specified.\r\n");
  EXPECT_EQ(classify(resp({"XREAD", "COUNT", "1", "BLOCK", "1"})), Action::kReply);
  EXPECT_EQ(msg_.reply.to_string(), "-ERR syntax error\r\n");
}

TEST_F(RedisProtocolTest, SubscriptionCommandsNameTheirFamilyAndChannels) {
  using Family = proto::SubscriptionStep::Family;
  struct Case {
    std::vector<std::string> args;
    Family family;
    bool subscribe;
  };
  const std::vector<Case> cases = {
      {{"SUBSCRIBE", "a", "b"}, Family::kChannel, true},
      {{"unsubscribe", "a"}, Family::kChannel, false},
      {{"PSUBSCRIBE", "a", "b"}, Family::kPattern, true},
      {{"PUNSUBSCRIBE", "a", "b"}, Family::kPattern, false},
      {{"SSUBSCRIBE", "a", "b"}, Family::kShard, true},
      {{"SUNSUBSCRIBE", "a", "b"}, Family::kShard, false},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(classify(resp(c.args)), Action::kSubscription) << c.args[0];
    const proto::SubscriptionStep step = protocol_.subscription_step(msg_);
    EXPECT_EQ(step.family, c.family) << c.args[0];
    EXPECT_EQ(step.subscribe, c.subscribe) << c.args[0];
    EXPECT_EQ(keys(), std::vector<std::string>(c.args.begin() + 1, c.args.end())) << c.args[0];
  }
  EXPECT_EQ(classify(resp({"UNSUBSCRIBE"})), Action::kSubscription);
  EXPECT_TRUE(keys().empty());
  EXPECT_EQ(classify(resp({"SUBSCRIBE"})), Action::kReply);
  EXPECT_EQ(classify(resp({"PUBLISH", "ch", "hi"})), Action::kForward);
  EXPECT_EQ(keys(), std::vector<std::string>{"ch"});
  EXPECT_EQ(classify(resp({"SPUBLISH", "ch", "hi"})), Action::kForward);
  EXPECT_EQ(keys(), std::vector<std::string>{"ch"});
}

TEST_F(RedisProtocolTest, SubscriptionRequestsAndConfirmationsAreRedisBytes) {
  using Family = proto::SubscriptionStep::Family;
  proto::Msg part;
  protocol_.subscription_request({Family::kPattern, true}, {"n*", ""}, part);
  EXPECT_EQ(part.request.to_string(), "*3\r\n$10\r\nPSUBSCRIBE\r\n$2\r\nn*\r\n$0\r\n\r\n");
  proto::Msg msg;
  const std::string name = "ch";
  protocol_.subscription_reply(msg, {Family::kChannel, true}, &name, 3);
  protocol_.subscription_reply(msg, {Family::kShard, false}, nullptr, 0);
  EXPECT_EQ(msg.reply.to_string(),
            "*3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:3\r\n"
            "*3\r\n$12\r\nsunsubscribe\r\n$-1\r\n:0\r\n");
}

TEST_F(RedisProtocolTest, PublishedMessagesAreToldFromAnswers) {
  auto push = [this](const std::string& bytes) {
    buffer::MbufChain chain;
    chain.append_copy(pool_, bytes);
    return protocol_.is_push_message(chain);
  };
  EXPECT_TRUE(push("*3\r\n$7\r\nmessage\r\n$1\r\na\r\n$1\r\nb\r\n"));
  EXPECT_TRUE(push("*4\r\n$8\r\npmessage\r\n$1\r\n*\r\n$1\r\na\r\n$1\r\nb\r\n"));
  EXPECT_TRUE(push("*3\r\n$8\r\nsmessage\r\n$1\r\na\r\n$1\r\nb\r\n"));
  EXPECT_FALSE(push("*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n"));
  EXPECT_FALSE(push("*2\r\n$4\r\npong\r\n$0\r\n\r\n"));
  EXPECT_FALSE(push("+OK\r\n"));
  EXPECT_FALSE(push("-ERR x\r\n"));
  EXPECT_FALSE(push(""));
}

// What a message was published to, by the subscription it came by: the
// channel, or for a pattern's message the pattern.
TEST_F(RedisProtocolTest, PublishedMessagesNameTheirSubscription) {
  using Family = proto::SubscriptionStep::Family;
  auto subject = [this](const std::string& bytes) {
    buffer::MbufChain chain;
    chain.append_copy(pool_, bytes);
    Family family = Family::kShard;
    std::string name = "unset";
    if (!protocol_.push_subject(chain, &family, &name)) return std::string("none");
    return std::to_string(static_cast<int>(family)) + ":" + name;
  };
  EXPECT_EQ(subject("*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$1\r\nb\r\n"), "0:news");
  EXPECT_EQ(subject("*4\r\n$8\r\npmessage\r\n$2\r\nn*\r\n$4\r\nnews\r\n$1\r\nb\r\n"), "1:n*");
  EXPECT_EQ(subject("*3\r\n$8\r\nsmessage\r\n$0\r\n\r\n$1\r\nb\r\n"), "2:");
  const std::string long_name(300, 'x');
  EXPECT_EQ(subject("*3\r\n$7\r\nmessage\r\n$300\r\n" + long_name + "\r\n$1\r\nb\r\n"),
            "0:" + long_name);
  EXPECT_EQ(subject("*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n"), "none");
  EXPECT_EQ(subject("*3\r\n$7\r\nmessage\r\n$9\r\nshort\r\n"), "none") << "cut short";
  EXPECT_EQ(subject("*3\r\n$7\r\nmessage\r\n"), "none");
}

// Redis's subscribed mode: the subscription commands, PING (as an array)
// and QUIT; everything else refused with Redis's words.
TEST_F(RedisProtocolTest, ASubscribedClientMaySendOnlyWhatRedisAllows) {
  session_.subscribed = true;
  EXPECT_EQ(classify(resp({"PING"})), Action::kReply);
  EXPECT_EQ(msg_.reply.to_string(), "*2\r\n$4\r\npong\r\n$0\r\n\r\n");
  EXPECT_EQ(classify(resp({"PING", "hi"})), Action::kReply);
  EXPECT_EQ(msg_.reply.to_string(), "*2\r\n$4\r\npong\r\n$2\r\nhi\r\n");
  EXPECT_EQ(classify(resp({"GET", "k"})), Action::kReply);
  EXPECT_EQ(msg_.reply.to_string(),
            "-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / "
            "RESET are allowed in this context\r\n");
  EXPECT_EQ(classify(resp({"SUBSCRIBE", "b"})), Action::kSubscription);
  EXPECT_EQ(classify(resp({"QUIT"})), Action::kReplyClose);
}

TEST_F(RedisProtocolTest, PubsubSubcommandsHaveRowsOfTheirOwn) {
  EXPECT_EQ(classify(resp({"PUBSUB", "CHANNELS"})), Action::kAllServers);
  EXPECT_EQ(msg_.command->merge, proto::Merge::kConcat);
  EXPECT_EQ(classify(resp({"pubsub", "channels", "n*"})), Action::kAllServers);
  EXPECT_EQ(classify(resp({"PUBSUB", "NUMSUB", "a", "b"})), Action::kFragment);
  EXPECT_EQ(msg_.command->merge, proto::Merge::kOrderedPairs);
  EXPECT_EQ(keys(), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(classify(resp({"PUBSUB", "NUMPAT"})), Action::kReply);
  EXPECT_EQ(msg_.reply.to_string().rfind("-ERR PUBSUB NUMPAT is not supported by walnut", 0), 0u);
  EXPECT_EQ(classify(resp({"PUBSUB", "NOPE"})), Action::kReply);
  EXPECT_EQ(msg_.reply.to_string(), "-ERR unsupported command 'pubsub nope'\r\n");
  EXPECT_EQ(classify(resp({"PUBSUB"})), Action::kReply);
}

TEST(RedisCommands, LookupIgnoresCaseAndKnowsKinds) {
  ASSERT_NE(find_command("GeT"), nullptr);
  EXPECT_EQ(find_command("get")->kind, proto::CommandKind::kRead);
  EXPECT_EQ(find_command("MGET")->kind, proto::CommandKind::kMultiKey);
  EXPECT_EQ(find_command("monitor")->kind, proto::CommandKind::kUnsupported);
  EXPECT_EQ(find_command("exec")->kind, proto::CommandKind::kTransaction);
  EXPECT_EQ(find_command("blpop")->kind, proto::CommandKind::kBlocking);
  EXPECT_EQ(find_command("nosuchcommand"), nullptr);
  EXPECT_EQ(find_command(""), nullptr);
  EXPECT_EQ(find_command(std::string(100, 'a')), nullptr);
}

}  // namespace
}  // namespace walnut::redis
