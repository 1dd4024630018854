// Server host names: one that does not resolve at start does not stop
// walnut (its keys get the cause, the log names its line), and every
// connect resolves the name again, so a server that appears later is used.
//
// No DNS query leaves the machine: the first name is refused by the
// resolver itself (an underscore is no host name character), and the
// second test runs walnut in a mount namespace of its own with a hosts file
// the test writes and an nsswitch.conf that looks at files only.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <string>
#include <vector>

#include "tests/e2e/harness.h"

namespace walnut::e2e {
namespace {

using namespace std::chrono_literals;

// A pool over a live redis-server and one server given by `host`; modula,
// so that keys alternate between the two.
std::string two_server_pool(int live_port, const std::string& host, int port) {
  return "pool:\n"
         "  listen: 127.0.0.1:LISTEN_PORT\n"
         "  redis: true\n"
         "  distribution: modula\n"
         "  servers:\n"
         "   - 127.0.0.1:" + std::to_string(live_port) + ":1\n"
         "   - " + host + ":" + std::to_string(port) + ":1\n";  // line 7
}

TEST(Resolve, ServerThatDoesNotResolveAtStartFailsOnlyItsKeys) {
  TempDir dir;
  RedisServer live(dir);
  Walnut w(dir, two_server_pool(live.port(), "no_such_host", 6379));
  ASSERT_TRUE(w.process().running()) << w.log();
  Client c(w.port());
  const std::string cause = "-ERR cannot resolve 'no_such_host': Name or service not known\r\n";
  int ok = 0, failed = 0;
  for (int i = 0; i < 20; ++i) {
    const std::string r = c.call({"SET", "k" + std::to_string(i), "v"});
    if (r == "+OK\r\n") {
      ++ok;
    } else {
      EXPECT_EQ(r, cause) << "key k" << i;
      ++failed;
    }
  }
  EXPECT_GT(ok, 0) << "keys on the live server must be served";
  EXPECT_GT(failed, 0) << "keys on the unresolvable server must get the cause";
  EXPECT_NE(w.log().find(".yml:7: server 'no_such_host:6379:1' of pool 'pool': cannot resolve"),
            std::string::npos)
      << w.log();
}

TEST(Resolve, ServerThatResolvesLaterIsUsedOnceItDoes) {
  std::string out;
  if (run_command({"/usr/bin/unshare", "-m", "/bin/true"}, &out, 10s) != 0) {
    GTEST_SKIP() << "no mount namespace here (unshare -m): " << out;
  }
  TempDir dir;
  RedisServer redis(dir);
  const std::string hosts = dir.file("hosts");
  const std::string nsswitch = dir.file("nsswitch.conf");
  std::ofstream(hosts) << "127.0.0.1 localhost\n";
  std::ofstream(nsswitch) << "hosts: files\n";
  const std::string prefix = "exec /usr/bin/unshare -m /bin/sh -c 'mount --bind " + hosts +
                             " /etc/hosts && mount --bind " + nsswitch +
                             " /etc/nsswitch.conf && shift && exec \"$@\"' sh";
  // The redis-server twice: by address, and by a name not known yet.
  Walnut w(dir, two_server_pool(redis.port(), "walnut-backend", redis.port()), {}, prefix);
  ASSERT_TRUE(w.process().running()) << w.log();
  Client c(w.port());
  // A key on the named server (modula: the odd ones here).
  std::string key;
  for (int i = 0; i < 20 && key.empty(); ++i) {
    const std::string k = "k" + std::to_string(i);
    if (c.call({"SET", k, "v"}).rfind("-ERR cannot resolve 'walnut-backend'", 0) == 0) key = k;
  }
  ASSERT_FALSE(key.empty()) << "no key went to the unknown server";

  // The name appears (same file: the bind mount follows it).
  std::ofstream(hosts) << "127.0.0.1 localhost\n127.0.0.1 walnut-backend\n";
  std::string r;
  EXPECT_TRUE(wait_until([&] { return (r = c.call({"SET", key, "found"})) == "+OK\r\n"; }, 10s))
      << r << "\n" << w.log();
  Client direct(redis.port());
  EXPECT_EQ(direct.call({"GET", key}), bulk("found"));
}

}  // namespace
}  // namespace walnut::e2e
