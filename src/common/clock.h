// Monotonic milliseconds for deadlines (timeouts, backoff, ejection). The
// coarse clock costs no system call and its few milliseconds of resolution
// are far below any timeout a user configures.
#pragma once

#include <time.h>

#include <cstdint>

namespace walnut {

inline uint64_t now_ms() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000 +
         static_cast<uint64_t>(ts.tv_nsec) / 1000000;
}

// Precise microseconds, for request latencies.
inline uint64_t monotonic_us() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000 +
         static_cast<uint64_t>(ts.tv_nsec) / 1000;
}

}  // namespace walnut
