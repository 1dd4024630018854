// Slots of two sizes in 64 kB regions of their own, and libevent's
// allocations routed to them.
#include "event/small_blocks.h"

#include <event2/event.h>
#include <sys/mman.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#define WALNUT_LSAN_ROOTS 1
#endif

namespace walnut::event {

// At the start of each region: which slot size it holds. The slots follow,
// from the first multiple of 64 bytes.
struct SmallBlocks::Region {
  size_t class_index;
};

namespace {
constexpr size_t kHeaderBytes = 64;

// A region aligned on its size, so that a slot finds its region's start by
// masking.
char* map_aligned_region(size_t bytes) {
  void* raw = mmap(nullptr, 2 * bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) return nullptr;
  const uintptr_t start = reinterpret_cast<uintptr_t>(raw);
  const uintptr_t aligned = (start + bytes - 1) & ~(bytes - 1);
  if (aligned > start) munmap(raw, aligned - start);
  const uintptr_t end = start + 2 * bytes;
  if (end > aligned + bytes) munmap(reinterpret_cast<void*>(aligned + bytes), end - aligned - bytes);
  return reinterpret_cast<char*>(aligned);
}
}  // namespace

SmallBlocks::~SmallBlocks() {
  for (uintptr_t start : regions_) {
#ifdef WALNUT_LSAN_ROOTS
    __lsan_unregister_root_region(reinterpret_cast<void*>(start), kRegionBytes);
#endif
    munmap(reinterpret_cast<void*>(start), kRegionBytes);
  }
}

SmallBlocks::Region* SmallBlocks::region_of(const void* block) const {
  const uintptr_t start = reinterpret_cast<uintptr_t>(block) & ~(kRegionBytes - 1);
  if (!std::binary_search(regions_.begin(), regions_.end(), start)) return nullptr;
  return reinterpret_cast<Region*>(start);
}

bool SmallBlocks::owns(const void* block) const { return region_of(block) != nullptr; }

bool SmallBlocks::add_region(size_t class_index) {
  char* region = map_aligned_region(kRegionBytes);
  if (region == nullptr) return false;
  const uintptr_t start = reinterpret_cast<uintptr_t>(region);
  try {
    regions_.insert(std::upper_bound(regions_.begin(), regions_.end(), start), start);
  } catch (const std::bad_alloc&) {
    munmap(region, kRegionBytes);  // no exception may cross libevent's C frames
    return false;
  }
  reinterpret_cast<Region*>(region)->class_index = class_index;
#ifdef WALNUT_LSAN_ROOTS
  // The leak checker looks for pointers in these too (libevent's small
  // blocks point to its larger ones, which are malloc's).
  __lsan_register_root_region(region, kRegionBytes);
#endif
  carve_[class_index] = region + kHeaderBytes;
  carve_end_[class_index] = region + kRegionBytes;
  return true;
}

void* SmallBlocks::take_slot(size_t class_index) {
  if (FreeSlot* slot = free_[class_index]) {
    free_[class_index] = slot->next;
    return slot;
  }
  const size_t size = kSlotSizes[class_index];
  if (carve_end_[class_index] - carve_[class_index] < static_cast<ptrdiff_t>(size) &&
      !add_region(class_index)) {
    return nullptr;
  }
  void* slot = carve_[class_index];
  carve_[class_index] += size;
  return slot;
}

void* SmallBlocks::allocate(size_t size) {
  if (size > kMaxSmall) return std::malloc(size);
  void* slot = take_slot(size <= kSlotSizes[0] ? 0 : 1);
  // Out of address space for a region: malloc's, as libevent's would be.
  return slot != nullptr ? slot : std::malloc(size);
}

void SmallBlocks::release(void* block) {
  if (block == nullptr) return;
  Region* region = region_of(block);
  if (region == nullptr) {
    std::free(block);
    return;
  }
  FreeSlot* slot = static_cast<FreeSlot*>(block);
  slot->next = free_[region->class_index];
  free_[region->class_index] = slot;
}

void* SmallBlocks::reallocate(void* block, size_t size) {
  if (block == nullptr) return allocate(size);
  Region* region = region_of(block);
  if (region == nullptr) return std::realloc(block, size);
  if (size == 0) {
    release(block);  // as glibc's realloc does
    return nullptr;
  }
  const size_t capacity = kSlotSizes[region->class_index];
  if (size <= capacity) return block;
  void* grown = allocate(size);
  if (grown == nullptr) return nullptr;  // the block stays, as realloc leaves it
  std::memcpy(grown, block, capacity);
  release(block);
  return grown;
}

namespace {
// Never destroyed: libevent may free blocks until the process ends.
SmallBlocks& libevent_blocks() {
  static SmallBlocks* blocks = new SmallBlocks();
  return *blocks;
}
void* libevent_malloc(size_t size) { return libevent_blocks().allocate(size); }
void* libevent_realloc(void* block, size_t size) {
  return libevent_blocks().reallocate(block, size);
}
void libevent_free(void* block) { libevent_blocks().release(block); }
}  // namespace

void keep_libevent_memory_apart() {
  event_set_mem_functions(libevent_malloc, libevent_realloc, libevent_free);
}

}  // namespace walnut::event
