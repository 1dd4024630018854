// One client with very many subscriptions, against a real redis-server:
// each SUBSCRIBE and UNSUBSCRIBE costs walnut about the same however many
// the client has (its bookkeeping does not walk them all), as on Redis.
// No timing is asserted; the figures are printed beside Redis's own.
#include <gtest/gtest.h>

#include <chrono>
#include <iostream>
#include <string>
#include <vector>

#include "tests/e2e/harness.h"
#include "tests/e2e/redis_pool_helpers.h"
#include "tests/e2e/redis_pubsub_helpers.h"
#include "tests/e2e/resp_reply.h"

namespace walnut::e2e {
namespace {

constexpr int kChannels = 20000;
constexpr int kBatch = 1000;  // pipelined, then read: the socket buffers stay small

std::string channel(int i) { return "many:" + std::to_string(i); }

// Subscribes kChannels channels one SUBSCRIBE each, then unsubscribes them
// one UNSUBSCRIBE each, checking every count; the milliseconds it took.
long long subscribe_and_unsubscribe_one_by_one(int port) {
  const auto start = std::chrono::steady_clock::now();
  Client c(port);
  for (bool subscribe : {true, false}) {
    for (int first = 0; first < kChannels; first += kBatch) {
      std::string batch;
      for (int i = first; i < first + kBatch; ++i) {
        batch += encode({subscribe ? "SUBSCRIBE" : "UNSUBSCRIBE", channel(i)});
      }
      c.send_raw(batch);
      for (int i = first; i < first + kBatch; ++i) {
        const std::string want = subscribe ? confirm("subscribe", channel(i), i + 1)
                                           : confirm("unsubscribe", channel(i), kChannels - i - 1);
        const std::string got = c.read_reply();
        if (got != want) {
          ADD_FAILURE() << printable(got) << " instead of " << printable(want);
          return -1;
        }
      }
    }
  }
  EXPECT_EQ(c.call({"PING"}), "+PONG\r\n") << "no subscription left";
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               start)
      .count();
}

TEST(RedisPubSubManyChannels, OneClientSubscribesAndUnsubscribesTwentyThousandOneByOne) {
  TempDir dir;
  RedisServer direct(dir), backend(dir);
  Walnut w(dir, pool_yaml("many", {backend.port()}));
  const long long redis_ms = subscribe_and_unsubscribe_one_by_one(direct.port());
  const long long walnut_ms = subscribe_and_unsubscribe_one_by_one(w.port());
  std::cout << "[many channels] " << kChannels << " SUBSCRIBEs then as many UNSUBSCRIBEs, one "
            << "channel each: redis " << redis_ms << " ms, walnut " << walnut_ms << " ms"
            << std::endl;
}

}  // namespace
}  // namespace walnut::e2e
