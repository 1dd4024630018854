// MergeScratch: what merging a split request's replies needs, kept by a
// protocol between merges (one protocol per pool, one thread) so that a
// merge allocates nothing once its vectors have grown: a response parser
// that finds each part's items again (Redis array elements, memcached VALUE
// blocks), every part's items in one list, and where each part's begin.
#pragma once

#include <cstdint>
#include <vector>

namespace walnut::proto {

template <typename Parser, typename Item>
struct MergeScratch {
  template <typename Limits>
  explicit MergeScratch(const Limits& limits) : parser(limits) {}
  Parser parser;
  std::vector<Item> items;
  std::vector<uint32_t> first;  // part f's items: [first[f], first[f + 1])
};

}  // namespace walnut::proto
