// ACL users (redis_user): walnut authenticates every server connection as
// the pool's user (AUTH user password), and clients authenticate against
// the pool's credentials with AUTH password, AUTH user password or HELLO 2
// AUTH user password, with Redis's own error texts. Against a real
// redis-server whose default user is off and whose "app" user may touch
// app:* keys only, so that what walnut does shows as that user's rights.
#include <gtest/gtest.h>

#include <string>

#include "tests/e2e/harness.h"
#include "tests/e2e/redis_pool_helpers.h"
#include "tests/e2e/resp_reply.h"

namespace walnut::e2e {
namespace {

const std::string kWrongPass = "-WRONGPASS invalid username-password pair or user is disabled.\r\n";
const std::string kNoAuth = "-NOAUTH Authentication required.\r\n";

// A redis-server with the users "admin" (everything) and "app" (app:* keys
// only), and its default user off; `admin` is a connection as admin.
struct AclRedis {
  TempDir dir;
  RedisServer redis{dir};
  Client admin{redis.port()};
  bool ok = false;
  AclRedis() {
    ok = admin.call({"ACL", "SETUSER", "admin", "on", ">admin-pw", "~*", "&*", "+@all"}) ==
             "+OK\r\n" &&
         admin.call({"AUTH", "admin", "admin-pw"}) == "+OK\r\n" &&
         admin.call({"ACL", "SETUSER", "app", "on", ">app-pw", "~app:*", "+@all"}) == "+OK\r\n" &&
         admin.call({"ACL", "SETUSER", "default", "off"}) == "+OK\r\n";
  }
  // The users of the server's connections, from CLIENT LIST.
  std::string users() {
    const std::string list = admin.call({"CLIENT", "LIST"});
    std::string out;
    for (size_t at = list.find(" user="); at != std::string::npos; at = list.find(" user=", at + 1)) {
      out += list.substr(at + 6, list.find(' ', at + 1) - at - 6) + " ";
    }
    return out;
  }
};

class RedisAcl : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(r.ok) << r.redis.log(); }
  // A pool on the server as the user "app" with `password`.
  std::string acl_pool(const std::string& password) const {
    return pool_yaml("acl", {r.redis.port()}, "  redis_user: app\n  redis_auth: " + password + "\n");
  }
  AclRedis r;
};

TEST_F(RedisAcl, ServersAreAuthenticatedAsThePoolsUser) {
  Walnut w(r.dir, acl_pool("app-pw"));
  Client c(w.port());
  ASSERT_EQ(c.call({"AUTH", "app", "app-pw"}), "+OK\r\n");
  EXPECT_EQ(c.call({"SET", "app:k", "v"}), "+OK\r\n");
  EXPECT_EQ(c.call({"GET", "app:k"}), bulk("v"));
  // The user's rights hold: a key outside app:* is Redis's NOPERM.
  const std::string refused = c.call({"SET", "other:k", "v"});
  EXPECT_EQ(refused.rfind("-NOPERM", 0), 0u) << printable(refused);
  EXPECT_NE(r.users().find("app "), std::string::npos) << r.users();
  EXPECT_EQ(w.log().find("refused walnut's connection set-up"), std::string::npos) << w.log();
}

TEST_F(RedisAcl, ClientsAuthenticateWithThePoolsCredentials) {
  Walnut w(r.dir, acl_pool("app-pw"));
  Client c(w.port());
  EXPECT_EQ(c.call({"GET", "app:k"}), kNoAuth);
  EXPECT_EQ(c.call({"AUTH", "app", "wrong"}), kWrongPass);
  EXPECT_EQ(c.call({"AUTH", "default", "app-pw"}), kWrongPass) << "the pool's user is app";
  EXPECT_EQ(c.call({"AUTH", "wrong"}), "-ERR invalid password\r\n");
  EXPECT_EQ(c.call({"GET", "app:k"}), kNoAuth);
  EXPECT_EQ(c.call({"AUTH", "app-pw"}), "+OK\r\n") << "the password alone, as with twemproxy";
  EXPECT_EQ(c.call({"GET", "app:k"}), "$-1\r\n");

  Client hello(w.port());
  EXPECT_EQ(hello.call({"HELLO", "2", "AUTH", "app", "wrong"}), kWrongPass);
  EXPECT_EQ(parse(hello.call({"HELLO", "2", "AUTH", "app", "app-pw"})).items.size(), 14u);
  EXPECT_NE(hello.call({"CLIENT", "INFO"}).find(" user=app "), std::string::npos);
  EXPECT_EQ(hello.call({"SET", "app:hello", "1"}), "+OK\r\n");
}

TEST_F(RedisAcl, RedisCliLogsInAsTheUser) {
  Walnut w(r.dir, acl_pool("app-pw"));
  std::string out;
  const int rc = run_command({"/usr/bin/redis-cli", "-p", std::to_string(w.port()), "--user", "app",
                              "--pass", "app-pw", "--no-auth-warning", "SET", "app:cli", "yes"},
                             &out);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_EQ(out, "OK\n");
  EXPECT_EQ(r.admin.call({"GET", "app:cli"}), bulk("yes"));
}

// The file's password is wrong: the server refuses walnut's AUTH, walnut
// says so in its log, and the client's request gets the server's answer
// to an unauthenticated connection.
TEST_F(RedisAcl, AWrongPasswordInTheFileIsLoggedWithTheServersWords) {
  Walnut w(r.dir, acl_pool("not-app-pw"));
  Client c(w.port());
  ASSERT_EQ(c.call({"AUTH", "app", "not-app-pw"}), "+OK\r\n");
  EXPECT_EQ(c.call({"GET", "app:k"}), kNoAuth);
  EXPECT_TRUE(wait_until(
      [&] {
        return w.log().find("refused walnut's connection set-up: -WRONGPASS") != std::string::npos;
      },
      std::chrono::seconds(10)))
      << w.log();
}

}  // namespace
}  // namespace walnut::e2e
