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

TEST(MbufPool, FreeListKeepsWhatTheLoadUsedLatelyThenShrinksToItsFloor) {
  MbufPool pool(1024, 4 * 1024);  // a floor of 4 free chunks
  EXPECT_EQ(pool.free_bound(), 4u);
  Mbuf* ms[10];
  for (auto& m : ms) m = pool.get();
  EXPECT_EQ(pool.live(), 10u);
  EXPECT_EQ(pool.free_bound(), 10u) << "10 were in use at once";
  for (auto& m : ms) m->unref();
  EXPECT_EQ(pool.live(), 0u);
  EXPECT_EQ(pool.free_count(), 10u) << "the next burst of 10 needs no malloc";
  for (auto& m : ms) m = pool.get();
  EXPECT_EQ(pool.free_count(), 0u);
  EXPECT_EQ(pool.gets(), 20u);
  for (auto& m : ms) m->unref();
  pool.next_window();  // the last window's 10 still count
  EXPECT_EQ(pool.free_count(), 10u);
  pool.next_window();  // two windows without load: back to the floor
  EXPECT_EQ(pool.free_bound(), 4u);
  EXPECT_EQ(pool.free_count(), 4u);
  Mbuf* extra[6];
  for (auto& m : extra) m = pool.get();  // 4 from the list, 2 fresh
  for (auto& m : extra) m->unref();
  EXPECT_EQ(pool.free_count(), 6u) << "the bound follows the load up again at once";
  pool.trim(1);
  EXPECT_EQ(pool.free_count(), 1u);
}

TEST(MbufPool, FreesAChunkReturnedToAFullList) {
  MbufPool pool(1024, 0);  // no floor: the bound is the load alone
  Mbuf* ms[3];
  for (auto& m : ms) m = pool.get();
  for (auto& m : ms) m->unref();
  EXPECT_EQ(pool.free_count(), 3u);
  pool.next_window();
  Mbuf* kept = pool.get();  // the only one in use in this window
  pool.next_window();       // the bound falls to 1: the list is cut to it
  EXPECT_EQ(pool.free_bound(), 1u);
  EXPECT_EQ(pool.free_count(), 1u);
  const uint64_t before = pool.released_bytes();
  kept->unref();  // the list is full: freed
  EXPECT_EQ(pool.free_count(), 1u);
  EXPECT_GT(pool.released_bytes(), before);
}

TEST(MbufPool, CountsWhatItHandsOutAndWhatItGivesBack) {
  MbufPool pool(1024, 2 * 1024);  // a floor of 2 free chunks
  std::vector<Mbuf*> taken;
  for (int i = 0; i < 5; ++i) taken.push_back(pool.get());
  EXPECT_EQ(pool.gets(), 5u);
  EXPECT_EQ(pool.released_bytes(), 0u);
  for (Mbuf* m : taken) m->unref();  // all 5 kept: 5 were in use at once
  EXPECT_EQ(pool.released_bytes(), 0u);
  pool.next_window();
  pool.next_window();  // back to the floor: 3 freed
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
