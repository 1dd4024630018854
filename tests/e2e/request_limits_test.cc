// Requests in progress are bounded: the pool's max_request_size refuses a
// request as soon as a length in it says it is too large (before its bytes
// are buffered), with an error reply after every earlier reply, then close.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "tests/e2e/harness.h"
#include "tests/e2e/memcache_client.h"
#include "tests/e2e/memcached_server.h"
#include "tests/e2e/redis_pool_helpers.h"

namespace walnut::e2e {
namespace {

using namespace std::chrono_literals;

const std::string kRedisTooLarge =
    "-ERR Protocol error: request larger than the pool's max_request_size\r\n";
const std::string kMemcacheTooLarge =
    "CLIENT_ERROR request larger than the pool's max_request_size\r\n";

TEST(RequestLimits, RedisRequestOverTheLimitIsRefusedOnItsLengthAfterEarlierReplies) {
  TempDir dir;
  RedisServer redis(dir);
  Walnut w(dir, pool_yaml("limited", {redis.port()}, "  max_request_size: 1000\n"));
  Client c(w.port());
  const std::string fits(900, 'v');
  EXPECT_EQ(c.call({"SET", "fits", fits}), "+OK\r\n");
  // Only the header of a 1 MB value: walnut must not wait for the rest.
  c.send_raw(encode({"GET", "fits"}) + "*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$1000000\r\n");
  EXPECT_EQ(c.read_reply(), bulk(fits));
  EXPECT_EQ(c.read_reply(), kRedisTooLarge);
  EXPECT_TRUE(c.closed_by_peer(5s));
  Client direct(redis.port());
  EXPECT_EQ(direct.call({"EXISTS", "big"}), ":0\r\n");
}

TEST(RequestLimits, RedisDefaultIsProtoMaxBulkLen) {
  TempDir dir;
  RedisServer redis(dir);
  Walnut w(dir, pool_yaml("default", {redis.port()}));
  Client c(w.port());
  // 512 MiB and one byte: larger than Redis's own proto-max-bulk-len, and
  // answered in Redis's words for it.
  c.send_raw("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$536870913\r\n");
  EXPECT_EQ(c.read_reply(), "-ERR Protocol error: invalid bulk length\r\n");
  EXPECT_TRUE(c.closed_by_peer(5s));
}

TEST(RequestLimits, MemcacheDefaultIsMemcachedsItemSize) {
  TempDir dir;
  MemcachedServer mc(dir);
  Walnut w(dir, memcache_pool_yaml("mclimited", {mc.port()}));
  McClient c(w.port());
  const std::string fits(1000 * 1000, 'v');
  EXPECT_EQ(c.call("set fits 0 0 " + std::to_string(fits.size()) + "\r\n" + fits + "\r\n"),
            "STORED\r\n");
  // One byte over 1 MiB, line only: refused before the data comes.
  c.send_raw("get nothere\r\nset big 0 0 1048577\r\n");
  EXPECT_EQ(c.read_reply(), "END\r\n");
  EXPECT_EQ(c.read_reply(), kMemcacheTooLarge);
  EXPECT_TRUE(c.closed_by_peer(5s));
}

TEST(RequestLimits, ZeroMeansNoLimit) {
  TempDir dir;
  MemcachedServer mc(dir, {"-I", "4m"});
  Walnut w(dir, memcache_pool_yaml("mcnolimit", {mc.port()}, "  max_request_size: 0\n"));
  McClient c(w.port(), 20s);
  const std::string big(3 * 1024 * 1024, 'b');
  EXPECT_EQ(c.call("set big 0 0 " + std::to_string(big.size()) + "\r\n" + big + "\r\n"),
            "STORED\r\n");
}

}  // namespace
}  // namespace walnut::e2e
