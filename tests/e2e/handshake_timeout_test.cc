// Regression: a server connection whose connect stays pending past the
// pool's timeout must not be kept once its set-up (SELECT) has timed out.
// walnut used to drop the unsent SELECT and keep the connection; when the
// connect completed, clients' writes went out in db 0. A pending connect is
// made on loopback with a listener whose accept queue is full (the kernel
// drops further SYNs until the queue drains).
#include <gtest/gtest.h>

#include <chrono>
#include <iostream>
#include <string>
#include <thread>

#include "tests/e2e/harness.h"
#include "tests/e2e/redis_pool_helpers.h"
#include "tests/e2e/stalled_listener.h"

namespace walnut::e2e {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

long long ms_since(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t).count();
}

TEST(HandshakeTimeout, ConnectPendingPastTimeoutRedoesSelectOnFreshConnection) {
  const auto t_start = Clock::now();
  TempDir dir;
  RedisServer redis(dir);
  StalledListener stalled(redis.port());
  ASSERT_GT(stalled.port(), 0);
  ASSERT_TRUE(stalled.stalled()) << "the accept queue did not fill: a connect completed";
  // A timeout long enough for any request through the relay on a stalled
  // machine, and the release well after it. Until the release every connect
  // stays pending: the kernel drops its SYNs (and retries them 1 s, 3 s,
  // 7 s after the first).
  Walnut w(dir, pool_yaml("handshake", {stalled.port()}, "  redis_db: 3\n  timeout: 1000\n"));
  const std::string timed_out = "-ERR Connection timed out\r\n";

  Client c(w.port());
  ASSERT_TRUE(c.connected());
  stalled.start(2000ms);
  // The connect is still pending when the timeout comes (the SYN was
  // dropped), and with it SELECT 3, queued ahead of this request.
  auto t0 = Clock::now();
  EXPECT_EQ(c.call({"SET", "early", "1"}), timed_out);
  EXPECT_LT(ms_since(t0), 2000) << "answered only after the queue was released";

  // Once the listener accepts again, a request gets through; it must go out
  // after SELECT 3 on the connection that carries it.
  std::string r;
  int tries = 0;
  while (ms_since(t0) < 10000 && ++tries < 200) {
    r = c.call({"SET", "k", "v"});
    if (r == "+OK\r\n") break;
    // While the listener recovers, a connection may also be refused, reset
    // or closed (the kernel's queue handling varies with load); what matters
    // is that each request gets one error naming a connection failure.
    EXPECT_EQ(r.rfind("-ERR Connection ", 0), 0u) << r;
    if (r.empty()) break;
    std::this_thread::sleep_for(20ms);
  }
  ASSERT_EQ(r, "+OK\r\n") << "no request got through in " << ms_since(t0) << " ms\n"
                           << w.log();
  std::cout << "SET went through " << ms_since(t0) << " ms after the first request, on try "
            << tries << "; " << stalled.relayed() << " connection(s) relayed\n";
  EXPECT_EQ(c.call({"GET", "k"}), bulk("v")) << "walnut reads its own write";

  Client direct(redis.port());
  ASSERT_EQ(direct.call({"SELECT", "3"}), "+OK\r\n");
  EXPECT_EQ(direct.call({"GET", "k"}), bulk("v")) << "the write must land in redis_db 3";
  ASSERT_EQ(direct.call({"SELECT", "0"}), "+OK\r\n");
  EXPECT_EQ(direct.call({"GET", "k"}), "$-1\r\n")
      << "the write went to db 0: the request went out without SELECT";
  EXPECT_EQ(direct.call({"DBSIZE"}), ":0\r\n") << "nothing at all in db 0";
  EXPECT_LT(ms_since(t_start), 30000);
}

}  // namespace
}  // namespace walnut::e2e
