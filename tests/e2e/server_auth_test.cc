// Per-server credentials (server_auth): one pool over servers with different
// passwords and users, each server connection authenticated with its own,
// clients with the pool's; where keys go does not depend on them.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/e2e/harness.h"
#include "tests/e2e/redis_pool_helpers.h"

namespace walnut::e2e {
namespace {

// A pool of the servers "one" and "two" (by name), with `extra` settings.
std::string named_pool(int one, int two, const std::string& extra) {
  return "creds:\n  listen: 127.0.0.1:LISTEN_PORT\n  redis: true\n" + extra +
         "  servers:\n   - 127.0.0.1:" + std::to_string(one) + ":1 one\n   - 127.0.0.1:" +
         std::to_string(two) + ":1 two\n";
}

std::vector<std::string> some_keys() {
  std::vector<std::string> keys;
  for (int i = 0; i < 40; ++i) keys.push_back(spread_key("creds", i));
  return keys;
}

TEST(ServerAuth, EachServerGetsItsOwnCredentialsAndKeysGoWhereTheyWould) {
  TempDir dir;
  RedisServer r1(dir, {"--requirepass", "pw-one"});
  RedisServer r2(dir, {"--requirepass", "pw-two"});
  Client admin1(r1.port());
  Client admin2(r2.port());
  ASSERT_EQ(admin1.call({"AUTH", "pw-one"}), "+OK\r\n");
  ASSERT_EQ(admin2.call({"AUTH", "pw-two"}), "+OK\r\n");
  ASSERT_EQ(admin2.call({"ACL", "SETUSER", "app", "on", ">app-pw", "~*", "+@all"}), "+OK\r\n");

  const std::vector<std::string> keys = some_keys();
  std::vector<int> with_credentials;
  {
    Walnut w(dir, named_pool(r1.port(), r2.port(),
                             "  redis_auth: client-pw\n"
                             "  server_auth:\n"
                             "    one: pw-one\n"
                             "    two:\n"
                             "      user: app\n"
                             "      password: app-pw\n"));
    Client c(w.port());
    EXPECT_EQ(c.call({"GET", keys[0]}), "-NOAUTH Authentication required.\r\n");
    ASSERT_EQ(c.call({"AUTH", "client-pw"}), "+OK\r\n") << "clients use the pool's password";
    for (const std::string& k : keys) ASSERT_EQ(c.call({"SET", k, "v"}), "+OK\r\n") << k;
    for (const std::string& k : keys) EXPECT_EQ(c.call({"GET", k}), "$1\r\nv\r\n") << k;
    const std::string list = admin2.call({"CLIENT", "LIST"});
    EXPECT_NE(list.find("user=app"), std::string::npos) << "walnut is app on two: " << list;
    // Where the keys are, asked with the passwords taken away.
    ASSERT_EQ(admin1.call({"CONFIG", "SET", "requirepass", ""}), "+OK\r\n");
    ASSERT_EQ(admin2.call({"CONFIG", "SET", "requirepass", ""}), "+OK\r\n");
    with_credentials = locate({r1.port(), r2.port()}, keys);
  }
  ASSERT_EQ(admin1.call({"FLUSHALL"}), "+OK\r\n");
  ASSERT_EQ(admin2.call({"FLUSHALL"}), "+OK\r\n");
  Walnut plain(dir, named_pool(r1.port(), r2.port(), ""));
  Client c(plain.port());
  for (const std::string& k : keys) ASSERT_EQ(c.call({"SET", k, "v"}), "+OK\r\n") << k;
  const std::vector<int> without = locate({r1.port(), r2.port()}, keys);
  EXPECT_EQ(with_credentials, without);
  EXPECT_NE(std::count(without.begin(), without.end(), 0), 0) << "both servers hold keys";
  EXPECT_NE(std::count(without.begin(), without.end(), 1), 0) << "both servers hold keys";
}

TEST(ServerAuth, AWrongServerPasswordFailsOnlyThatServersRequests) {
  TempDir dir;
  RedisServer r1(dir, {"--requirepass", "pw-one"});
  RedisServer r2(dir, {"--requirepass", "pw-two"});
  Walnut w(dir, named_pool(r1.port(), r2.port(),
                           "  server_auth:\n    one: pw-one\n    two: not-it\n"));
  Client c(w.port());
  int ok = 0;
  int refused = 0;
  for (const std::string& k : some_keys()) {
    const std::string reply = c.call({"SET", k, "v"});
    if (reply == "+OK\r\n") {
      ++ok;
    } else {
      ++refused;
      EXPECT_EQ(reply.rfind("-", 0), 0u) << reply;
    }
  }
  EXPECT_GT(ok, 0) << "server one's keys are served";
  EXPECT_GT(refused, 0) << "server two's keys get an error";
}

}  // namespace
}  // namespace walnut::e2e
