// SmallBlocks: small allocations in pages of their own, apart from the
// process's heap.
//
// libevent keeps an entry for every file descriptor it ever watched (its
// evmap) until the loop ends. Allocated by malloc, the entries of a burst's
// thousands of connections sit between the connections' own freed memory
// and pin every page of it: malloc_trim can give none back (10,000 clients
// that came and went left over 7 MB). libevent's small blocks come from here
// instead (see keep_libevent_memory_apart), so the heap's pages empty out.
//
// Blocks of up to kMaxSmall bytes come in two slot sizes, from 64 kB
// regions mapped for them; a freed slot is reused by the next allocation of
// its size, and regions are kept: they hold at most the peak of libevent's
// small blocks (about 24 bytes per descriptor). Larger blocks are malloc's.
// Single-threaded, as walnut's loop is.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "common/non_copyable.h"

namespace walnut::event {

class SmallBlocks : private NonCopyable {
 public:
  static constexpr size_t kMaxSmall = 64;
  static constexpr size_t kRegionBytes = 64 * 1024;

  SmallBlocks() = default;
  ~SmallBlocks();

  void* allocate(size_t size);
  void* reallocate(void* block, size_t size);
  void release(void* block);

  // Whether `block` is one of the slots (not malloc's).
  bool owns(const void* block) const;
  size_t regions() const { return regions_.size(); }

 private:
  struct Region;
  struct FreeSlot {
    FreeSlot* next;
  };
  static constexpr size_t kSlotSizes[2] = {32, kMaxSmall};

  // The region `block` lies in, or nullptr when it is not one of ours.
  Region* region_of(const void* block) const;
  void* take_slot(size_t class_index);
  bool add_region(size_t class_index);

  FreeSlot* free_[2] = {nullptr, nullptr};
  // Where each slot size carves its next slots from its newest region.
  char* carve_[2] = {nullptr, nullptr};
  char* carve_end_[2] = {nullptr, nullptr};
  std::vector<uintptr_t> regions_;  // region starts, sorted
};

// Makes libevent allocate through one process-wide SmallBlocks. Call before
// any other libevent call (the first event base).
void keep_libevent_memory_apart();

}  // namespace walnut::event
