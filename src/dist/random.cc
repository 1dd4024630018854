// Random distribution: see random.h for why it ignores hash and weight.
#include "dist/random.h"

namespace walnut::dist {

Random::Random(const std::vector<ServerWeight>& servers, uint64_t seed) : state_(seed) {
  slots_.reserve(servers.size());
  for (const ServerWeight& s : servers) slots_.push_back(s.index);
}

uint32_t Random::pick(uint32_t /*hash*/) const {
  if (slots_.empty()) return 0;  // make() never builds this
  // splitmix64 step.
  state_ += 0x9e3779b97f4a7c15ULL;
  uint64_t z = state_;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  z ^= z >> 31;
  return slots_[z % slots_.size()];
}

}  // namespace walnut::dist
