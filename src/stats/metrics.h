// What walnut measures beyond nutcracker's counters, for Prometheus: the
// latency of each pool's requests (receipt to reply ready) as a histogram,
// and requests per command. Plain integers, single-threaded.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>
#include <unordered_map>

namespace walnut::stats {

struct Histogram {
  // Upper bounds in microseconds: 50 us to 10 s.
  static constexpr std::array<uint64_t, 16> kBoundsUs = {
      50,    100,    250,    500,     1000,    2500,    5000,    10000,
      25000, 50000, 100000, 250000, 500000, 1000000, 2500000, 10000000};
  std::array<uint64_t, kBoundsUs.size()> buckets{};  // not cumulative
  uint64_t count = 0;
  uint64_t sum_us = 0;

  void observe(uint64_t us) {
    size_t i = 0;
    while (i < kBoundsUs.size() && us > kBoundsUs[i]) ++i;
    if (i < kBoundsUs.size()) ++buckets[i];
    ++count;
    sum_us += us;
  }
};

struct PoolMetrics {
  Histogram latency;
  // Keyed by the command table's names, which live as long as the program.
  std::unordered_map<std::string_view, uint64_t> commands;
};

}  // namespace walnut::stats
