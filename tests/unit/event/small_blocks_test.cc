#include "event/small_blocks.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <set>
#include <vector>

namespace walnut::event {
namespace {

bool aligned(const void* p, uintptr_t to) { return reinterpret_cast<uintptr_t>(p) % to == 0; }

TEST(SmallBlocks, OneSmallBlockIsASlotAndGoesBack) {
  SmallBlocks blocks;
  void* p = blocks.allocate(24);
  ASSERT_NE(p, nullptr);
  EXPECT_TRUE(blocks.owns(p));
  EXPECT_TRUE(aligned(p, 16));
  std::memset(p, 0xab, 24);
  blocks.release(p);
  EXPECT_EQ(blocks.allocate(20), p) << "a freed slot is the next of its size";
  EXPECT_EQ(blocks.regions(), 1u);
}

TEST(SmallBlocks, LargerBlocksAreMallocs) {
  SmallBlocks blocks;
  void* p = blocks.allocate(SmallBlocks::kMaxSmall + 1);
  ASSERT_NE(p, nullptr);
  EXPECT_FALSE(blocks.owns(p));
  EXPECT_EQ(blocks.regions(), 0u);
  blocks.release(p);  // free()d: ASan would see a mismatch or a leak
  blocks.release(nullptr);
}

TEST(SmallBlocks, SizesUpToTheLimitShareTwoSlotSizes) {
  SmallBlocks blocks;
  void* small = blocks.allocate(1);
  void* medium = blocks.allocate(33);
  void* largest = blocks.allocate(SmallBlocks::kMaxSmall);
  EXPECT_TRUE(blocks.owns(small));
  EXPECT_TRUE(blocks.owns(medium));
  EXPECT_TRUE(blocks.owns(largest));
  // Each slot size has regions of its own.
  EXPECT_EQ(blocks.regions(), 2u);
  blocks.release(medium);
  EXPECT_NE(blocks.allocate(8), medium) << "a 64-byte slot is not handed out for 8 bytes";
  EXPECT_EQ(blocks.allocate(40), medium);
}

TEST(SmallBlocks, ReallocateKeepsTheBytes) {
  SmallBlocks blocks;
  EXPECT_TRUE(blocks.owns(blocks.reallocate(nullptr, 16)));  // realloc(NULL, n) allocates
  char* p = static_cast<char*>(blocks.allocate(20));
  std::memcpy(p, "twenty bytes of text", 20);
  // Within its slot: the same block.
  EXPECT_EQ(blocks.reallocate(p, 32), p);
  // Past it: malloc's, the bytes copied, the slot free again.
  char* grown = static_cast<char*>(blocks.reallocate(p, 1000));
  ASSERT_NE(grown, nullptr);
  EXPECT_FALSE(blocks.owns(grown));
  EXPECT_EQ(std::memcmp(grown, "twenty bytes of text", 20), 0);
  EXPECT_EQ(blocks.allocate(30), p);
  // Size 0 frees, as glibc's realloc does.
  void* dropped = blocks.allocate(10);
  EXPECT_EQ(blocks.reallocate(dropped, 0), nullptr);
  EXPECT_EQ(blocks.allocate(10), dropped);
  // malloc's block stays malloc's.
  char* regrown = static_cast<char*>(blocks.reallocate(grown, 4000));
  ASSERT_NE(regrown, nullptr);
  EXPECT_EQ(std::memcmp(regrown, "twenty bytes of text", 20), 0);
  blocks.release(regrown);
}

TEST(SmallBlocks, ManyBlocksSpanRegionsWithoutOverlap) {
  // As many as a burst of descriptors needs: several regions per size,
  // every block whole.
  SmallBlocks blocks;
  constexpr int kBlocks = 20000;
  std::vector<unsigned char*> taken;
  for (int i = 0; i < kBlocks; ++i) {
    const size_t size = i % 2 == 0 ? 24 : 56;
    auto* p = static_cast<unsigned char*>(blocks.allocate(size));
    ASSERT_NE(p, nullptr);
    ASSERT_TRUE(blocks.owns(p));
    std::memset(p, i & 0xff, size);
    taken.push_back(p);
  }
  EXPECT_GT(blocks.regions(), 4u);
  EXPECT_EQ(std::set<unsigned char*>(taken.begin(), taken.end()).size(), taken.size());
  int damaged = 0;
  for (int i = 0; i < kBlocks; ++i) {
    const size_t size = i % 2 == 0 ? 24 : 56;
    for (size_t b = 0; b < size; ++b) damaged += taken[i][b] != (i & 0xff);
  }
  EXPECT_EQ(damaged, 0);
  // All freed, then taken again: no new region.
  const size_t regions = blocks.regions();
  for (unsigned char* p : taken) blocks.release(p);
  for (int i = 0; i < kBlocks; ++i) blocks.allocate(i % 2 == 0 ? 24 : 56);
  EXPECT_EQ(blocks.regions(), regions);
}

TEST(SmallBlocks, HeapBlocksAreNeverMistakenForSlots) {
  SmallBlocks blocks;
  std::vector<void*> slots;
  for (int i = 0; i < 5000; ++i) slots.push_back(blocks.allocate(16));
  int mistaken = 0;
  for (int i = 0; i < 1000; ++i) {
    void* heap = std::malloc(static_cast<size_t>(16 + i % 200));
    mistaken += blocks.owns(heap);
    std::free(heap);
  }
  EXPECT_EQ(mistaken, 0);
}

}  // namespace
}  // namespace walnut::event
