// HELLO and CLIENT through RedisProtocol::classify: the RESP2 answers, the
// session they change, and each argument error in Redis's words.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/clock.h"
#include "proto/redis/connection_commands.h"
#include "proto/redis/redis_protocol.h"

namespace walnut::redis {
namespace {

using proto::Action;

std::string resp(const std::vector<std::string>& args) {
  std::string s = "*" + std::to_string(args.size()) + "\r\n";
  for (const std::string& a : args) s += "$" + std::to_string(a.size()) + "\r\n" + a + "\r\n";
  return s;
}

std::string hello_map(uint64_t id) {
  return "*14\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$5\r\n7.0.0\r\n"
         "$5\r\nproto\r\n:2\r\n$2\r\nid\r\n:" +
         std::to_string(id) +
         "\r\n$4\r\nmode\r\n$10\r\nstandalone\r\n$4\r\nrole\r\n$6\r\nmaster\r\n"
         "$7\r\nmodules\r\n*0\r\n";
}

class ConnectionCommandsTest : public ::testing::Test {
 protected:
  explicit ConnectionCommandsTest(const PoolOptions& options = {}) : protocol_(pool_, options) {
    session_.id = 42;
    session_.fd = 9;
    session_.labels().addr = "127.0.0.1:50000";
    session_.labels().laddr = "127.0.0.1:22121";
  }

  // Sends one command and returns walnut's answer.
  std::string call(const std::vector<std::string>& args) {
    msg_.recycle();
    const std::string wire = resp(args);
    RequestParser parser;
    proto::ParseResult r = parser.feed(wire.data(), wire.size());
    EXPECT_EQ(r.status, proto::ParseStatus::kDone) << wire;
    msg_.request.append_copy(pool_, wire);
    msg_.tokens = parser.tokens();
    EXPECT_EQ(protocol_.classify(msg_, session_), Action::kReply) << wire;
    return msg_.reply.to_string();
  }

  buffer::MbufPool pool_{512};
  RedisProtocol protocol_;
  proto::ClientSession session_;
  proto::Msg msg_;
};

TEST_F(ConnectionCommandsTest, HelloAnswersTheRedisMapInResp2) {
  EXPECT_EQ(call({"HELLO"}), hello_map(42));
  EXPECT_EQ(call({"hello", "2"}), hello_map(42));
  EXPECT_FALSE(msg_.reply_is_error);
}

TEST_F(ConnectionCommandsTest, HelloThreeGetsNoprotoSoClientsFallBack) {
  EXPECT_EQ(call({"HELLO", "3"}),
            "-NOPROTO unsupported protocol version: walnut speaks RESP2 (HELLO 2)\r\n");
  EXPECT_TRUE(msg_.reply_is_error);
  EXPECT_EQ(call({"HELLO", "4"}), "-NOPROTO unsupported protocol version\r\n");
  EXPECT_EQ(call({"HELLO", "1"}), "-NOPROTO unsupported protocol version\r\n");
  EXPECT_EQ(call({"HELLO", "two"}),
            "-ERR Protocol version is not an integer or out of range\r\n");
}

TEST_F(ConnectionCommandsTest, HelloSetnameNamesTheConnection) {
  EXPECT_EQ(call({"HELLO", "2", "SETNAME", "worker-1"}), hello_map(42));
  EXPECT_EQ(session_.labels().name, "worker-1");
  EXPECT_EQ(call({"CLIENT", "GETNAME"}), "$8\r\nworker-1\r\n");
  EXPECT_EQ(call({"HELLO", "2", "SETNAME", "two words"}),
            "-ERR Client names cannot contain spaces, newlines or special characters.\r\n");
  EXPECT_EQ(session_.labels().name, "worker-1");
}

TEST_F(ConnectionCommandsTest, HelloOptionErrors) {
  EXPECT_EQ(call({"HELLO", "2", "BOGUS"}), "-ERR Syntax error in HELLO option 'BOGUS'\r\n");
  EXPECT_EQ(call({"HELLO", "2", "AUTH", "default"}),
            "-ERR Syntax error in HELLO option 'AUTH'\r\n");
  EXPECT_EQ(call({"HELLO", "2", "SETNAME"}), "-ERR Syntax error in HELLO option 'SETNAME'\r\n");
}

TEST_F(ConnectionCommandsTest, HelloAuthWithoutAPasswordTakesDefaultOnly) {
  // No redis_auth: like Redis's nopass default user.
  EXPECT_EQ(call({"HELLO", "2", "AUTH", "default", "anything"}), hello_map(42));
  EXPECT_EQ(call({"HELLO", "2", "AUTH", "bob", "anything"}),
            "-WRONGPASS invalid username-password pair or user is disabled.\r\n");
}

class ConnectionCommandsAuthTest : public ConnectionCommandsTest {
 protected:
  ConnectionCommandsAuthTest() : ConnectionCommandsTest(PoolOptions{.auth = "secret"}) {}
};

TEST_F(ConnectionCommandsAuthTest, HelloBeforeAuthIsRefusedWithRedisWords) {
  EXPECT_EQ(call({"HELLO", "2"}).substr(0, 52),
            "-NOAUTH HELLO must be called with the client already");
  EXPECT_FALSE(session_.authenticated);
  EXPECT_EQ(call({"CLIENT", "ID"}), "-NOAUTH Authentication required.\r\n");
}

TEST_F(ConnectionCommandsAuthTest, HelloAuthAuthenticatesAndNames) {
  EXPECT_EQ(call({"HELLO", "2", "AUTH", "default", "wrong"}),
            "-WRONGPASS invalid username-password pair or user is disabled.\r\n");
  EXPECT_FALSE(session_.authenticated);
  EXPECT_EQ(call({"HELLO", "2", "AUTH", "default", "secret", "SETNAME", "n1"}), hello_map(42));
  EXPECT_TRUE(session_.authenticated);
  EXPECT_EQ(session_.labels().name, "n1");
  EXPECT_EQ(call({"HELLO"}), hello_map(42));  // authenticated now
}

class ConnectionCommandsUserTest : public ConnectionCommandsTest {
 protected:
  ConnectionCommandsUserTest()
      : ConnectionCommandsTest(PoolOptions{.auth = "secret", .user = "app"}) {}
};

TEST_F(ConnectionCommandsUserTest, HelloAuthTakesThePoolsUserAndClientInfoNamesIt) {
  EXPECT_EQ(call({"HELLO", "2", "AUTH", "default", "secret"}),
            "-WRONGPASS invalid username-password pair or user is disabled.\r\n");
  EXPECT_FALSE(session_.authenticated);
  EXPECT_EQ(call({"HELLO", "2", "AUTH", "app", "secret"}), hello_map(42));
  EXPECT_TRUE(session_.authenticated);
  EXPECT_NE(call({"CLIENT", "INFO"}).find(" user=app "), std::string::npos);
}

TEST_F(ConnectionCommandsTest, ClientNameIdAndInfo) {
  EXPECT_EQ(call({"CLIENT", "GETNAME"}), "$-1\r\n");
  EXPECT_EQ(call({"client", "setname", "app"}), "+OK\r\n");
  EXPECT_EQ(call({"CLIENT", "GETNAME"}), "$3\r\napp\r\n");
  EXPECT_EQ(call({"CLIENT", "SETNAME", "a\nb"}),
            "-ERR Client names cannot contain spaces, newlines or special characters.\r\n");
  EXPECT_EQ(call({"CLIENT", "SETNAME", ""}), "+OK\r\n");  // clears it
  EXPECT_EQ(call({"CLIENT", "GETNAME"}), "$-1\r\n");
  EXPECT_EQ(call({"CLIENT", "ID"}), ":42\r\n");

  session_.connected_ms = now_ms();
  const std::string info = call({"CLIENT", "INFO"});
  const std::string line =
      "id=42 addr=127.0.0.1:50000 laddr=127.0.0.1:22121 fd=9 name= age=0 idle=0 flags=N db=0 "
      "sub=0 psub=0 ssub=0 multi=-1 qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs=0 rbp=0 obl=0 "
      "oll=0 omem=0 tot-mem=0 events=r cmd=client|info user=default redir=-1 resp=2 "
      "lib-name= lib-ver=\n";
  EXPECT_EQ(info, "$" + std::to_string(line.size()) + "\r\n" + line + "\r\n");
}

TEST_F(ConnectionCommandsTest, ClientSetinfoAndFlagsShowInTheLine) {
  EXPECT_EQ(call({"CLIENT", "SETINFO", "LIB-NAME", "redis-py"}), "+OK\r\n");
  EXPECT_EQ(call({"CLIENT", "SETINFO", "lib-ver", "5.0.1"}), "+OK\r\n");
  EXPECT_EQ(call({"CLIENT", "SETINFO", "LIB-COLOUR", "x"}),
            "-ERR Unrecognized option 'LIB-COLOUR'\r\n");
  EXPECT_EQ(call({"CLIENT", "SETINFO", "LIB-NAME", "a b"}),
            "-ERR lib-name cannot contain spaces, newlines or special characters.\r\n");
  EXPECT_EQ(call({"CLIENT", "NO-EVICT", "on"}), "+OK\r\n");
  EXPECT_EQ(call({"CLIENT", "NO-TOUCH", "ON"}), "+OK\r\n");
  EXPECT_EQ(call({"CLIENT", "NO-TOUCH", "maybe"}), "-ERR syntax error\r\n");
  session_.connected_ms = now_ms();
  const std::string info = client_info_line(session_, {}, "client|info");
  EXPECT_NE(info.find(" flags=eT "), std::string::npos) << info;
  EXPECT_NE(info.find(" lib-name=redis-py lib-ver=5.0.1\n"), std::string::npos) << info;
  EXPECT_EQ(call({"CLIENT", "NO-EVICT", "off"}), "+OK\r\n");
  EXPECT_NE(client_info_line(session_, {}, "x").find(" flags=T "), std::string::npos);
}

TEST_F(ConnectionCommandsTest, ClientListShowsThisConnectionWhenTheFilterTakesIt) {
  session_.connected_ms = now_ms();
  const std::string line = client_info_line(session_, {}, "client|list");
  const std::string mine = "$" + std::to_string(line.size()) + "\r\n" + line + "\r\n";
  EXPECT_EQ(call({"CLIENT", "LIST"}), mine);
  EXPECT_EQ(call({"CLIENT", "LIST", "TYPE", "normal"}), mine);
  EXPECT_EQ(call({"CLIENT", "LIST", "TYPE", "pubsub"}), "$0\r\n\r\n");
  EXPECT_EQ(call({"CLIENT", "LIST", "TYPE", "teapot"}), "-ERR Unknown client type 'teapot'\r\n");
  EXPECT_EQ(call({"CLIENT", "LIST", "ID", "7", "42"}), mine);
  EXPECT_EQ(call({"CLIENT", "LIST", "ID", "0", "-1"}), "$0\r\n\r\n");
  EXPECT_EQ(call({"CLIENT", "LIST", "ID", "42", "x"}), "-ERR Invalid client ID\r\n");
  EXPECT_EQ(call({"CLIENT", "LIST", "ID"}), "-ERR syntax error\r\n");
  EXPECT_EQ(call({"CLIENT", "LIST", "FOO", "bar"}), "-ERR syntax error\r\n");
}

TEST_F(ConnectionCommandsTest, OtherSubcommandsAreRefusedByName) {
  EXPECT_EQ(call({"CLIENT", "kill", "127.0.0.1:1"}),
            "-ERR CLIENT KILL is not supported by walnut: it answers CLIENT for the calling "
            "connection only (see CLIENT HELP)\r\n");
  EXPECT_EQ(call({"CLIENT", "PAUSE", "10"}).substr(0, 40),
            "-ERR CLIENT PAUSE is not supported by wa");
  EXPECT_EQ(call({"CLIENT", "frobnicate"}),
            "-ERR unknown subcommand 'frobnicate'. Try CLIENT HELP.\r\n");
  EXPECT_EQ(call({"CLIENT", "ID", "extra"}),
            "-ERR wrong number of arguments for 'client|id' command\r\n");
  EXPECT_EQ(call({"CLIENT", "SETNAME"}),
            "-ERR wrong number of arguments for 'client|setname' command\r\n");
  EXPECT_EQ(call({"CLIENT"}), "-ERR wrong number of arguments for 'client' command\r\n");
  const std::string help = call({"CLIENT", "HELP"});
  EXPECT_EQ(help.substr(0, 5), "*19\r\n");
  EXPECT_NE(help.find("+SETNAME <name>\r\n"), std::string::npos);
}

}  // namespace
}  // namespace walnut::redis
