// WALNUT_DCHECK(condition): an invariant of walnut's own data structures
// (a request on two server queues, a reply delivered twice, a fragment join
// counted below zero), checked in the sanitized build that every test run
// also makes, and compiled out of the release build, whose hot path must
// not pay for it. A failed check names the condition and its place, then
// aborts, so that the sanitizer's report and the core show how it came to be.
#pragma once

#include <cstdio>
#include <cstdlib>

namespace walnut {

[[noreturn]] inline void dcheck_failed(const char* condition, const char* file, int line) {
  std::fprintf(stderr, "%s:%d: invariant broken: %s\n", file, line, condition);
  std::abort();
}

}  // namespace walnut

#ifdef WALNUT_DCHECKS
#define WALNUT_DCHECK(condition) \
  ((condition) ? static_cast<void>(0) : ::walnut::dcheck_failed(#condition, __FILE__, __LINE__))
#else
// Not evaluated, but still compiled, so that a check cannot rot unseen.
#define WALNUT_DCHECK(condition) static_cast<void>(sizeof(static_cast<bool>(condition)))
#endif
