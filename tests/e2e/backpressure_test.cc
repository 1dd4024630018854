// Backpressure: a client that sends requests but does not read its replies
// must not make walnut hold them without bound (twemproxy buffers them all
// and grows until the kernel kills it). Past client_output_limit walnut stops
// reading from that client; other clients are served meanwhile; and once the
// client reads, it gets every reply, in order.
#include <gtest/gtest.h>

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>

#include "tests/e2e/harness.h"
#include "tests/e2e/resp_reply.h"
#include "tests/e2e/slow_client.h"

namespace walnut::e2e {
namespace {

using namespace std::chrono_literals;

// `n` GETs of the key "big", as one pipeline.
std::string gets_of_big(int n) {
  std::string requests;
  for (int i = 0; i < n; ++i) requests += encode({"GET", "big"});
  return requests;
}

// How many of the `n` replies in `in` are not `reply` (all the same size).
int wrong_replies(const std::string& in, const std::string& reply, int n) {
  int wrong = 0;
  for (int i = 0; i < n; ++i) {
    if (in.compare(static_cast<size_t>(i) * reply.size(), reply.size(), reply) != 0) ++wrong;
  }
  return wrong;
}

// walnut on one redis-server with the given client_output_limit, and a
// value of `value_size` bytes under "big".
struct BigValuePool {
  explicit BigValuePool(int limit, size_t value_size = 32 * 1024)
      : value(value_size, 'v'),
        redis(dir),
        walnut(dir, "pool:\n"
                    "  listen: 127.0.0.1:LISTEN_PORT\n"
                    "  redis: true\n"
                    "  client_output_limit: " + std::to_string(limit) + "\n"
                    "  servers:\n"
                    "   - 127.0.0.1:" + std::to_string(redis.port()) + ":1\n") {
    Client setup(walnut.port());
    stored = setup.call({"SET", "big", value}) == "+OK\r\n";
  }
  long rss_kb() { return proc_status_kb(walnut.process().pid(), "VmRSS"); }

  const std::string value;
  TempDir dir;
  RedisServer redis;
  Walnut walnut;
  bool stored = false;
};

TEST(Backpressure, ClientThatDoesNotReadIsNotBufferedWithoutBound) {
  BigValuePool pool(262144);
  ASSERT_TRUE(pool.stored);
  Walnut& w = pool.walnut;
  const std::string& value = pool.value;
  const long baseline = pool.rss_kb();
  ASSERT_GT(baseline, 0);

  // 10,000 GETs of a 32 KB value: 320 MB of replies if walnut kept them all.
  constexpr int kRequests = 10000;
  const std::string requests = gets_of_big(kRequests);
  SlowClient slow(w.port());
  ASSERT_TRUE(slow.connected());
  slow.write_for(requests, 3s);
  // Walnut stops reading from the client once its replies pass the limit.
  ASSERT_TRUE(wait_until([&] { return w.log().find("over client_output_limit") != std::string::npos; },
                         20s))
      << w.log();
  // Then whatever it had forwarded comes back: wait until its memory is
  // steady (two readings 200 ms apart within 1 MB), so that the bound below
  // measures all it will hold.
  long last = pool.rss_kb();
  wait_until([&] {
    std::this_thread::sleep_for(200ms);
    const long now = pool.rss_kb();
    const bool steady = std::labs(now - last) < 1024;
    last = now;
    return steady;
  }, 10s);

  // Another client is served while the slow one holds its replies.
  Client other(w.port());
  EXPECT_EQ(other.call({"PING"}), "+PONG\r\n");
  EXPECT_EQ(other.call({"SET", "small", "x"}), "+OK\r\n");
  EXPECT_EQ(other.call({"GET", "small"}), bulk("x"));

  const long held = pool.rss_kb() - baseline;
  std::cout << "walnut grew by " << held << " KB for a client leaving 320 MB unread\n";
  EXPECT_LT(held, 96 * 1024) << "walnut grew by " << held << " KB for a client that does not read";

  // Once the client reads, every reply comes, in order, none lost.
  const std::string reply = bulk(value);
  std::string in = slow.finish(requests, reply.size() * kRequests, 60s);
  ASSERT_EQ(in.size(), reply.size() * kRequests);
  EXPECT_EQ(wrong_replies(in, reply, kRequests), 0);
}

// The contrast that shows the limit is what bounds memory: without one,
// walnut takes every request and holds every reply the client leaves unread.
TEST(Backpressure, ZeroLimitMeansNoLimit) {
  BigValuePool pool(0);
  ASSERT_TRUE(pool.stored);
  Walnut& w = pool.walnut;
  const std::string& value = pool.value;
  const long baseline = pool.rss_kb();
  constexpr int kRequests = 3000;  // 96 MB of replies
  const std::string requests = gets_of_big(kRequests);
  SlowClient slow(w.port());
  ASSERT_TRUE(slow.connected());
  slow.write_for(requests, 3s);
  // Without a limit walnut takes in replies far past where a limit would
  // have stopped it: wait (bounded) until it holds half of them.
  long held = 0;
  wait_until([&] { return (held = pool.rss_kb() - baseline) > 48 * 1024; }, 20s);
  std::cout << "without a limit walnut grew by " << held << " KB\n";
  EXPECT_GT(held, 48 * 1024) << "walnut held only " << held << " KB";
  EXPECT_EQ(w.log().find("over client_output_limit"), std::string::npos);
  const std::string reply = bulk(value);
  EXPECT_EQ(slow.finish(requests, reply.size() * kRequests, 60s).size(),
            reply.size() * kRequests);
}

// What redis holds in output buffers for all its clients (CLIENT LIST's
// omem fields), or -1 when it cannot tell.
long redis_output_bytes(Client& direct) {
  const std::string list = direct.call({"CLIENT", "LIST"});
  if (list.empty() || list[0] != '$') return -1;
  long total = 0;
  for (size_t at = list.find(" omem="); at != std::string::npos; at = list.find(" omem=", at + 1)) {
    total += std::stol(list.substr(at + 6));
  }
  return total;
}

// Replies still on their way count too: walnut used to stop reading the
// client but still forwarded every request it had read, so that 5,000 GETs
// read at once brought 500 MB of replies in. Now it stops forwarding, and
// the replies in flight are bounded by the limit (after a first window of
// requests whose reply size it cannot know yet).
TEST(Backpressure, RepliesOnTheirWayAreBoundedNotOnlyRepliesHeld) {
  constexpr int kLimit = 4 * 1024 * 1024;
  BigValuePool pool(kLimit, 100 * 1000);
  ASSERT_TRUE(pool.stored);
  Walnut& w = pool.walnut;
  const long baseline = pool.rss_kb();
  ASSERT_GT(baseline, 0);
  constexpr int kRequests = 5000;  // 500 MB of replies
  const std::string requests = gets_of_big(kRequests);
  SlowClient slow(w.port());
  ASSERT_TRUE(slow.connected());
  slow.write_for(requests, 3s);
  // Until redis has handed over every reply it had for walnut (it builds
  // them faster than it sends them) and walnut's memory is steady (three
  // readings in a row within 1 MB), keeping the peak.
  Client direct(pool.redis.port());
  long last = pool.rss_kb();
  long peak = last;
  int steady = 0;
  const bool settled = wait_until([&] {
    std::this_thread::sleep_for(200ms);
    const long now = pool.rss_kb();
    steady = std::labs(now - last) < 1024 && redis_output_bytes(direct) == 0 ? steady + 1 : 0;
    last = now;
    peak = std::max(peak, now);
    return steady >= 3;
  }, 60s);
  EXPECT_TRUE(settled) << "walnut's memory did not settle";
  const long held = peak - baseline;
  std::cout << "walnut grew by " << held << " KB for a client leaving 500 MB of 100 kB "
            << "replies unread, with client_output_limit " << kLimit << "\n";
  // The limit, the first window (256 requests, 25.6 MB) and the allocator's
  // slack; before replies on their way counted, about 500 MB.
  EXPECT_LT(held, 64 * 1024) << "walnut grew by " << held << " KB";
  EXPECT_NE(w.log().find("over client_output_limit"), std::string::npos) << w.log();

  const std::string reply = bulk(pool.value);
  std::string in = slow.finish(requests, reply.size() * kRequests, 120s);
  ASSERT_EQ(in.size(), reply.size() * kRequests);
  EXPECT_EQ(wrong_replies(in, reply, kRequests), 0);
}

}  // namespace
}  // namespace walnut::e2e
