// Memory goes back after a burst: twemproxy's free lists never shrink, and
// its users report processes that keep their peak for good. After hundreds
// of megabytes of values went through walnut at once, its resident memory
// falls back near where it was once it is idle.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "tests/e2e/harness.h"
#include "tests/e2e/resp_reply.h"

namespace walnut::e2e {
namespace {

using namespace std::chrono_literals;

TEST(MemoryReturn, ResidentMemoryFallsBackAfterABurst) {
  if (walnut_uses_asan_allocator()) {
    GTEST_SKIP() << "walnut built with AddressSanitizer: its allocator holds freed memory";
  }
  TempDir dir;
  RedisServer r(dir);
  Walnut w(dir,
           "burst:\n"
           "  listen: 127.0.0.1:LISTEN_PORT\n"
           "  redis: true\n"
           "  servers:\n"
           "   - 127.0.0.1:" + std::to_string(r.port()) + ":1\n");
  const pid_t pid = w.process().pid();
  const std::string value(1024 * 1024, 'v');
  Client setup(w.port());
  ASSERT_EQ(setup.call({"SET", "big", value}), "+OK\r\n");
  ASSERT_EQ(setup.call({"GET", "big"}), bulk(value));
  const long baseline = proc_status_kb(pid, "VmRSS");
  ASSERT_GT(baseline, 0);

  // 8 clients each ask for 48 MB at once and read nothing until walnut
  // holds the bulk of it (all but what the sockets buffer), so the load
  // does not depend on how fast this test reads.
  constexpr int kClients = 8;
  constexpr int kGets = 48;
  constexpr long kLoadKb = 192 * 1024;
  std::string pipeline;
  for (int i = 0; i < kGets; ++i) pipeline += encode({"GET", "big"});
  std::vector<std::unique_ptr<Client>> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.push_back(std::make_unique<Client>(w.port()));
    clients.back()->send_raw(pipeline);
  }
  long loaded = 0;
  wait_until([&] { return (loaded = proc_status_kb(pid, "VmRSS")) - baseline >= kLoadKb; }, 20s);
  ASSERT_GE(loaded - baseline, kLoadKb) << "walnut never held the burst: baseline "
                                        << baseline << " KB, now " << loaded << " KB";
  const std::string reply = bulk(value);
  int wrong = 0;
  for (auto& c : clients) {
    for (int i = 0; i < kGets; ++i) wrong += c->read_reply() != reply;
  }
  EXPECT_EQ(wrong, 0);
  const long peak = proc_status_kb(pid, "VmHWM");
  std::cout << "walnut: baseline " << baseline << " KB, peak " << peak << " KB\n";

  // Idle now (the clients stay connected): within seconds the memory of the
  // burst is given back (walnut looks every second; 20 s is for a loaded
  // machine).
  long rss = 0;
  wait_until([&] { return (rss = proc_status_kb(pid, "VmRSS")) <= baseline + 16 * 1024; }, 20s);
  std::cout << "walnut: " << rss << " KB once idle\n";
  EXPECT_LE(rss, baseline + 16 * 1024) << "baseline " << baseline << " KB, peak " << peak << " KB";
  // And it still works.
  EXPECT_EQ(clients[0]->call({"GET", "big"}), reply);
}

}  // namespace
}  // namespace walnut::e2e
