// What the load tools of scripts/bench (mc_load, mem_load) share: a stop
// flag set by SIGTERM/SIGINT, a monotonic clock, the descriptor limit, and
// whole-number arguments. Plain C++20 and POSIX: the tools link nothing of
// walnut's.
#pragma once

#include <sys/resource.h>
#include <time.h>

#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

namespace walnut::bench {

// Set by on_stop_signal: every loop of a tool checks it.
inline volatile sig_atomic_t g_stop = 0;
inline void on_stop_signal(int) { g_stop = 1; }

inline uint64_t now_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

// Raises the soft descriptor limit to `want` (or as far as the hard one goes).
inline void raise_fd_limit(size_t want) {
  rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return;
  if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want) {
    rl.rlim_cur = (rl.rlim_max == RLIM_INFINITY || rl.rlim_max > want) ? want : rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

// The value of `flag`, a whole number in [lo, hi]; else says so as `tool`
// and exits 2.
inline long long whole_number(const char* tool, const char* flag, const char* s, long long lo,
                              long long hi) {
  char* end = nullptr;
  errno = 0;
  long long v = std::strtoll(s, &end, 10);
  if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi) {
    std::fprintf(stderr, "%s: %s wants a whole number in [%lld, %lld], not '%s'\n", tool, flag, lo,
                 hi, s);
    std::exit(2);
  }
  return v;
}

}  // namespace walnut::bench
