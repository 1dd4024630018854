// Address helpers of the net room.
#include "net/socket.h"

#include <gtest/gtest.h>

namespace walnut::net {
namespace {

TEST(NetAddress, NumericHostsAreAddressesNotNames) {
  for (const char* h : {"127.0.0.1", "10.1.2.3", "::1", "[::1]", "fe80::1"}) {
    EXPECT_TRUE(is_numeric_host(h)) << h;
  }
  for (const char* h : {"localhost", "redis-1", "no_such_host", "127.0.0", "[::1", "", "1.2.3.4.5"}) {
    EXPECT_FALSE(is_numeric_host(h)) << h;
  }
}

}  // namespace
}  // namespace walnut::net
