// Requests in progress are bounded: the pool's max_request_size refuses a
// request as soon as a length in it says it is too large (before its bytes
// are buffered), with an error reply after every earlier reply, then close;
// and --request-buffer-limit caps the bytes of unfinished requests of all
// clients together, without stalling small requests or any large one for
// ever.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

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

TEST(RequestLimits, ManyLargeUploadsAtOnceStayUnderTheBufferLimitAndAllFinish) {
  TempDir dir;
  RedisServer redis(dir);
  Walnut w(dir, pool_yaml("uploads", {redis.port()}), {"--request-buffer-limit=4194304"});
  const pid_t pid = w.process().pid();
  Client probe(w.port());
  ASSERT_EQ(probe.call({"PING"}), "+PONG\r\n");
  const long baseline = proc_status_kb(pid, "VmRSS");

  // 16 clients each send an 8 MB SET at once: 128 MB of requests that
  // walnut would otherwise hold together.
  constexpr int kClients = 16;
  constexpr size_t kValue = 8 * 1024 * 1024;
  auto value_of = [](int i) { return std::string(kValue, static_cast<char>('a' + i)); };
  std::atomic<int> done{0};
  std::vector<std::string> replies(kClients);
  std::vector<std::thread> uploads;
  for (int i = 0; i < kClients; ++i) {
    uploads.emplace_back([&, i] {
      Client c(w.port());
      replies[i] = c.call({"SET", "upload:" + std::to_string(i), value_of(i)});
      ++done;
    });
  }
  // Small requests are served while the uploads wait their turn.
  int small_served = 0;
  for (int i = 0; i < 10000 && done < kClients; ++i) {
    if (probe.call({"ECHO", "small"}) == bulk("small")) ++small_served;
  }
  for (auto& t : uploads) t.join();
  const long peak = proc_status_kb(pid, "VmHWM");
  std::cout << kClients << " clients sending 8 MB SETs at once: walnut's peak "
            << peak - baseline << " KB over its " << baseline << " KB before; "
            << small_served << " small requests served meanwhile\n";
  for (int i = 0; i < kClients; ++i) EXPECT_EQ(replies[i], "+OK\r\n") << "upload " << i;
  EXPECT_GT(small_served, 0);
  Client direct(redis.port());
  for (int i = 0; i < kClients; ++i) {
    const std::string key = "upload:" + std::to_string(i);
    EXPECT_EQ(direct.call({"STRLEN", key}), ":" + std::to_string(kValue) + "\r\n") << key;
    EXPECT_EQ(direct.call({"GETRANGE", key, "-1", "-1"}),
              bulk(std::string(1, static_cast<char>('a' + i))))
        << key;
  }
  // The cap (4 MB) with a little per client, the upload that may pass it
  // and the one being written to redis: about 20 MB. Without the cap,
  // about 120 MB.
  if (walnut_uses_asan_allocator()) return;  // its quarantine holds freed buffers
  EXPECT_LT(peak - baseline, 48 * 1024) << "walnut held " << peak - baseline << " KB";
}

}  // namespace
}  // namespace walnut::e2e
