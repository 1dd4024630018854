// Pools whose listen addresses the kernel would refuse to bind together are
// refused when the file is read (and by -t), not at start-up with "Address
// already in use". Names come from /etc/hosts only ("localhost"); a name with
// '_' is refused by the resolver without asking DNS.
#include "listen_addresses.h"

#include <gtest/gtest.h>

#include <string>

#include "config/config.h"

namespace walnut {
namespace {

// Two pools, a on line 2's listen and b on line 6's.
std::string two_pools(const std::string& a, const std::string& b) {
  return "a:\n  listen: " + a + "\n  servers:\n    - 127.0.0.1:6379:1\nb:\n  listen: " + b +
         "\n  servers:\n    - 127.0.0.1:6380:1\n";
}

// The error for the two listen addresses, or "" when both may listen.
std::string check(const std::string& a, const std::string& b) {
  config::LoadResult r = config::load_string(two_pools(a, b), "t.yml");
  if (!r.ok) return "load: " + r.error;
  std::string error;
  return check_listen_addresses(r.config, "t.yml", {}, &error) ? "" : error;
}

TEST(ListenAddresses, DistinctAddressesOrPortsMayListen) {
  EXPECT_EQ(check("127.0.0.1:24121", "127.0.0.1:24122"), "");
  EXPECT_EQ(check("127.0.0.1:24121", "127.0.0.2:24121"), "");
  EXPECT_EQ(check("127.0.0.1:24121", "\"[::1]:24121\""), "");
  // An IPv4 wildcard does not take IPv6 addresses.
  EXPECT_EQ(check("0.0.0.0:24121", "\"[::1]:24121\""), "");
  EXPECT_EQ(check("127.0.0.1:24121", "/tmp/walnut-test.sock"), "");
}

TEST(ListenAddresses, OneAddressWrittenTwoWaysIsRefused) {
  EXPECT_EQ(check("127.0.0.1:24121", "localhost:24121"),
            "t.yml:6: pool 'a' ('127.0.0.1:24121') and pool 'b' ('localhost:24121') both listen on "
            "127.0.0.1:24121; give each pool its own port");
  EXPECT_EQ(check("127.0.0.1:24121", "127.000.000.001:24121"),
            "t.yml:6: pool 'a' ('127.0.0.1:24121') and pool 'b' ('127.000.000.001:24121') both "
            "listen on 127.0.0.1:24121; give each pool its own port");
  EXPECT_EQ(check("\"[::1]:24121\"", "\"[0:0:0:0:0:0:0:1]:24121\""),
            "t.yml:6: pool 'a' ('[::1]:24121') and pool 'b' ('[0:0:0:0:0:0:0:1]:24121') both listen "
            "on [::1]:24121; give each pool its own port");
  EXPECT_EQ(check("127.0.0.1:24121", "\"[::ffff:127.0.0.1]:24121\""),
            "t.yml:6: pool 'a' ('127.0.0.1:24121') and pool 'b' ('[::ffff:127.0.0.1]:24121') both "
            "listen on 127.0.0.1:24121; give each pool its own port");
}

TEST(ListenAddresses, AWildcardOverlapsEveryAddressOfThePort) {
  EXPECT_EQ(check("127.0.0.1:24121", "0.0.0.0:24121"),
            "t.yml:6: pool 'a' ('127.0.0.1:24121') and pool 'b' ('0.0.0.0:24121') overlap: "
            "0.0.0.0:24121 takes port 24121 on every address; give each pool its own port");
  EXPECT_EQ(check("0.0.0.0:24121", "127.0.0.5:24121"),
            "t.yml:6: pool 'a' ('0.0.0.0:24121') and pool 'b' ('127.0.0.5:24121') overlap: "
            "0.0.0.0:24121 takes port 24121 on every address; give each pool its own port");
  // The IPv6 wildcard takes IPv4 addresses too (IPV6_V6ONLY is off).
  EXPECT_EQ(check("\"[::]:24121\"", "127.0.0.1:24121"),
            "t.yml:6: pool 'a' ('[::]:24121') and pool 'b' ('127.0.0.1:24121') overlap: "
            "[::]:24121 takes port 24121 on every address; give each pool its own port");
}

// The stats server's address comes from the flags; a pool on it would
// take the port first and the stats server would fail with "in use".
TEST(ListenAddresses, APoolOnTheStatsAddressIsRefused) {
  config::LoadResult r = config::load_string(two_pools("127.0.0.1:24121", "127.0.0.1:22222"),
                                             "t.yml");
  ASSERT_TRUE(r.ok) << r.error;
  std::string error;
  const OtherListener stats{"the stats server", "-a 0.0.0.0 -s 22222", "0.0.0.0", 22222};
  EXPECT_FALSE(check_listen_addresses(r.config, "t.yml", {stats}, &error));
  EXPECT_EQ(error,
            "t.yml:6: the stats server ('-a 0.0.0.0 -s 22222') and pool 'b' ('127.0.0.1:22222') "
            "overlap: 0.0.0.0:22222 takes port 22222 on every address; move one of them");
  const OtherListener elsewhere{"the stats server", "-a 127.0.0.1 -s 22223", "127.0.0.1", 22223};
  EXPECT_TRUE(check_listen_addresses(r.config, "t.yml", {elsewhere}, &error)) << error;
}

TEST(ListenAddresses, AListenNameThatDoesNotResolveIsRefusedOnItsLine) {
  EXPECT_EQ(check("127.0.0.1:24121", "no_such_host:24121").rfind(
                "t.yml:6: pool 'b' cannot listen on 'no_such_host:24121': cannot resolve "
                "'no_such_host': ",
                0),
            0u)
      << check("127.0.0.1:24121", "no_such_host:24121");
}

}  // namespace
}  // namespace walnut
