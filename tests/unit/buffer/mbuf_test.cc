// MbufPool: reference counting, reuse, and the bound on what it keeps.
#include <gtest/gtest.h>

#include <vector>

#include "buffer/mbuf_pool.h"

namespace walnut::buffer {
namespace {

TEST(MbufPool, GetGivesAnEmptyChunkOfTheConfiguredSize) {
  MbufPool pool(512);
  Mbuf* m = pool.get();
  EXPECT_EQ(m->capacity(), 512u);
  EXPECT_EQ(m->filled(), 0u);
  EXPECT_EQ(m->free_space(), 512u);
  EXPECT_EQ(m->refs(), 1u);
  EXPECT_EQ(pool.live(), 1u);
  m->unref();
  EXPECT_EQ(pool.live(), 0u);
}

TEST(MbufPool, LastReferenceReturnsTheChunkForReuse) {
  MbufPool pool(1024);
  Mbuf* m = pool.get();
  m->commit(100);
  m->ref();
  m->unref();
  EXPECT_EQ(pool.free_count(), 0u) << "still referenced";
  m->unref();
  EXPECT_EQ(pool.free_count(), 1u);
  Mbuf* again = pool.get();
  EXPECT_EQ(again, m) << "the free chunk is reused";
  EXPECT_EQ(again->filled(), 0u) << "and comes back empty";
  again->unref();
}

TEST(MbufPool, FreeListIsBounded) {
  MbufPool pool(1024, 4 * 1024);  // keeps at most 4 free chunks
  Mbuf* ms[10];
  for (auto& m : ms) m = pool.get();
  EXPECT_EQ(pool.live(), 10u);
  for (auto& m : ms) m->unref();
  EXPECT_EQ(pool.live(), 0u);
  EXPECT_EQ(pool.free_count(), 4u);
  pool.trim(1);
  EXPECT_EQ(pool.free_count(), 1u);
}

TEST(MbufPool, CountsWhatItHandsOutAndWhatItGivesBack) {
  MbufPool pool(1024, 2 * 1024);  // keeps at most 2 free chunks
  std::vector<Mbuf*> taken;
  for (int i = 0; i < 5; ++i) taken.push_back(pool.get());
  EXPECT_EQ(pool.gets(), 5u);
  EXPECT_EQ(pool.released_bytes(), 0u);
  for (Mbuf* m : taken) m->unref();  // 2 kept, 3 freed
  const uint64_t chunk = pool.released_bytes() / 3;
  EXPECT_GE(chunk, 1024u);
  pool.trim(0);  // the 2 kept are freed too
  EXPECT_EQ(pool.released_bytes(), 5 * chunk);
  EXPECT_EQ(pool.gets(), 5u);
}

TEST(MbufPool, CommitAndResetTrackFill) {
  MbufPool pool(512);
  Mbuf* m = pool.get();
  m->commit(500);
  EXPECT_EQ(m->free_space(), 12u);
  EXPECT_EQ(m->free_start(), m->data() + 500);
  m->reset();
  EXPECT_EQ(m->free_space(), 512u);
  m->unref();
}

}  // namespace
}  // namespace walnut::buffer
