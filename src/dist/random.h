// Random distribution as twemproxy 0.5.0 does it: the key's hash is ignored
// and each request goes to a uniformly chosen live server. Weights are
// ignored too (one slot per live server), exactly like nutcracker.
//
// nutcracker draws from libc random() seeded with time(); the sequence is not
// part of what a user can rely on, so walnut uses its own small PRNG
// (splitmix64) with an explicit seed: tests can fix it, nothing else shares
// it, and pick() stays allocation-free. The state is mutable because drawing
// is not an observable change of the distribution; walnut is single-threaded.
#pragma once

#include <cstdint>
#include <vector>

#include "dist/distribution.h"

namespace walnut::dist {

class Random final : public Distribution {
 public:
  // servers must be non-empty (make() checks).
  Random(const std::vector<ServerWeight>& servers, uint64_t seed);

  uint32_t pick(uint32_t hash) const override;

 private:
  std::vector<uint32_t> slots_;  // ServerWeight::index, one per server
  mutable uint64_t state_;
};

}  // namespace walnut::dist
