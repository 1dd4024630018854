// MbufChain: slices, sharing, copying, views across mbuf boundaries, iovecs.
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "buffer/mbuf_chain.h"

namespace walnut::buffer {
namespace {

// An mbuf holding `text`, with one reference owned by the caller.
Mbuf* filled(MbufPool& pool, const std::string& text) {
  Mbuf* m = pool.get();
  std::memcpy(m->free_start(), text.data(), text.size());
  m->commit(static_cast<uint32_t>(text.size()));
  return m;
}

TEST(MbufChain, AppendTakesReferencesAndClearDropsThem) {
  MbufPool pool(512);
  Mbuf* m = filled(pool, "hello world");
  {
    MbufChain chain;
    chain.append(m, 0, 5);
    EXPECT_EQ(m->refs(), 2u);
    EXPECT_EQ(chain.size(), 5u);
    EXPECT_EQ(chain.to_string(), "hello");
  }
  EXPECT_EQ(m->refs(), 1u);
  m->unref();
  EXPECT_EQ(pool.live(), 0u);
}

TEST(MbufChain, ContiguousAppendsMergeIntoOneSlice) {
  MbufPool pool(512);
  Mbuf* m = filled(pool, "abcdef");
  MbufChain chain;
  chain.append(m, 0, 2);
  chain.append(m, 2, 3);
  EXPECT_EQ(chain.slices().size(), 1u);
  EXPECT_EQ(m->refs(), 2u) << "one reference per slice, not per append";
  chain.append(m, 0, 1);  // not contiguous: a new slice
  EXPECT_EQ(chain.slices().size(), 2u);
  EXPECT_EQ(chain.to_string(), "abcdea");
  chain.clear();
  m->unref();
}

TEST(MbufChain, SpansMbufsAndViewsAcrossTheBoundary) {
  MbufPool pool(512);
  Mbuf* a = filled(pool, "GET ke");
  Mbuf* b = filled(pool, "y1\r\n");
  MbufChain chain;
  chain.append(a, 0, 6);
  chain.append(b, 0, 4);
  a->unref();
  b->unref();
  std::string scratch;
  EXPECT_EQ(chain.view(0, 3, scratch), "GET");
  EXPECT_TRUE(scratch.empty()) << "inside one slice: no copy";
  EXPECT_EQ(chain.view(4, 4, scratch), "key1");
  EXPECT_EQ(scratch, "key1") << "across slices: copied";
  EXPECT_EQ(chain.view(8, 2, scratch), "\r\n");
  chain.clear();
  EXPECT_EQ(pool.live(), 0u);
}

TEST(MbufChain, AppendFromAnotherChainSharesItsMbufs) {
  MbufPool pool(512);
  Mbuf* a = filled(pool, "0123");
  Mbuf* b = filled(pool, "4567");
  MbufChain src;
  src.append(a, 0, 4);
  src.append(b, 0, 4);
  a->unref();
  b->unref();
  // Every sub-range, including ones that split a slice and cross slices.
  for (uint64_t off = 0; off <= 8; ++off) {
    for (uint64_t len = 0; off + len <= 8; ++len) {
      MbufChain dst;
      dst.append(src, off, len);
      EXPECT_EQ(dst.to_string(), std::string("01234567").substr(off, len))
          << off << "+" << len;
      EXPECT_EQ(dst.size(), len);
    }
  }
  EXPECT_EQ(pool.live(), 2u);
  src.clear();
  EXPECT_EQ(pool.live(), 0u);
}

TEST(MbufChain, AppendCopyFillsOwnMbufsAcrossChunkBoundaries) {
  MbufPool pool(512);
  std::string big(1300, 'x');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>('a' + i % 26);
  MbufChain chain;
  chain.append_copy(pool, "$1300\r\n");
  chain.append_copy(pool, big);
  chain.append_copy(pool, "\r\n");
  EXPECT_EQ(chain.size(), 7 + 1300 + 2u);
  EXPECT_EQ(chain.to_string(), "$1300\r\n" + big + "\r\n");
  EXPECT_EQ(pool.live(), 3u) << "1309 bytes in 512-byte chunks";
}

TEST(MbufChain, SmallCopiesOfManyChainsShareOneMbuf) {
  MbufPool pool(512);
  std::vector<MbufChain> replies(100);
  for (auto& r : replies) {
    r.append_copy(pool, "+PO");
    r.append_copy(pool, "NG\r\n");
  }
  int split = 0;
  for (auto& r : replies) {
    EXPECT_EQ(r.to_string(), "+PONG\r\n");
    if (r.slices().size() > 1) ++split;
  }
  // Successive copies extend one slice; only the reply that straddles the
  // end of the first mbuf needs two.
  EXPECT_EQ(split, 1);
  // 700 bytes in 512-byte chunks: two mbufs, not one per reply.
  EXPECT_EQ(pool.live(), 2u);
  replies.clear();
  EXPECT_EQ(pool.live(), 1u) << "only the pool's copy tail remains";
}

// The bytes gather() put in `n` iovecs.
std::string gathered(const struct iovec* iov, int n) {
  std::string got;
  for (int i = 0; i < n; ++i) got.append(static_cast<char*>(iov[i].iov_base), iov[i].iov_len);
  return got;
}

TEST(MbufChain, GatherFillsIovecsFromAnyOffset) {
  MbufPool pool(512);
  Mbuf* a = filled(pool, "abc");
  Mbuf* b = filled(pool, "defg");
  MbufChain chain;
  chain.append(a, 0, 3);
  chain.append(b, 1, 3);  // "efg"
  a->unref();
  b->unref();
  const std::string all = "abcefg";
  // Forward, as a writer goes, then backward: the place the last call
  // started from must not lead a later one astray.
  for (int pass = 0; pass < 2; ++pass) {
    for (uint64_t i = 0; i <= all.size(); ++i) {
      const uint64_t skip = pass == 0 ? i : all.size() - i;
      struct iovec iov[4];
      uint64_t budget = UINT64_MAX;
      const int n = chain.gather(iov, 4, skip, &budget);
      EXPECT_EQ(gathered(iov, n), all.substr(skip)) << "skip " << skip;
      EXPECT_EQ(budget, UINT64_MAX - (all.size() - skip));
    }
  }
  struct iovec one[1];
  uint64_t budget = UINT64_MAX;
  EXPECT_EQ(chain.gather(one, 1, 0, &budget), 1) << "stops at the iovec limit";
  EXPECT_EQ(one[0].iov_len, 3u);
  struct iovec iov[4];
  budget = 2;
  EXPECT_EQ(chain.gather(iov, 4, 0, &budget), 1) << "stops once the budget is spent";
  EXPECT_EQ(iov[0].iov_len, 3u) << "whole slices";
  EXPECT_EQ(budget, 0u);
}

// A chain written while it grows (a reply still arriving), cleared and
// reused, moved: gather() from offsets going forward with jumps back now and
// then always gives exactly the bytes from there on.
TEST(MbufChain, GatherAfterGatheringPastTheEndSeesBytesAppendedSince) {
  MbufPool pool(512);
  MbufChain chain;
  chain.append_copy(pool, "AAAAAAAAAA");
  struct iovec iov[4];
  uint64_t budget = UINT64_MAX;
  EXPECT_EQ(chain.gather(iov, 4, 10, &budget), 0);  // everything written
  chain.append_copy(pool, "bbbbb");                  // extends the last slice
  Mbuf* other = filled(pool, "CCCCC");
  chain.append(other, 0, 5);                         // a slice of its own
  other->unref();
  const int n = chain.gather(iov, 4, 15, &budget);
  EXPECT_EQ(gathered(iov, n), "CCCCC");
}

TEST(MbufChain, GatherAndLookupsAgreeWithTheBytesWhateverHappenedToTheChain) {
  MbufPool pool(512);
  for (unsigned seed = 1; seed <= 60; ++seed) {
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937 rng(seed);
  auto pick = [&](size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng); };
  MbufChain chain;
  std::string bytes;
  uint64_t written = 0;
  for (int step = 0; step < 1000; ++step) {
    switch (pick(10)) {
      case 0: {  // a move there and back
        MbufChain other(std::move(chain));
        chain = std::move(other);
        break;
      }
      case 1:
        if (pick(10) == 0) {
          chain.clear();
          bytes.clear();
          written = 0;
        }
        break;
      case 2:
      case 3:
      case 4: {  // more bytes: a slice of its own, or the last one extended
        const std::string more(1 + pick(40), static_cast<char>('a' + pick(26)));
        chain.append_copy(pool, more);
        bytes += more;
        break;
      }
      case 5: {  // lookups by offset, which share the gather's cursor
        const uint64_t at = pick(bytes.size() + 1);
        const uint64_t len = pick(bytes.size() - at + 1);
        const std::string want = bytes.substr(at, len);
        std::string scratch;
        ASSERT_EQ(chain.view(at, len, scratch), want) << "step " << step;
        std::string out(len, '\0');
        chain.copy_out(at, len, out.data());
        ASSERT_EQ(out, want) << "step " << step;
        MbufChain copy;
        copy.append(chain, at, len);
        ASSERT_EQ(copy.to_string(), want) << "step " << step;
        break;
      }
      default: {
        written = pick(4) == 0 ? pick(bytes.size() + 1)
                               : std::min<uint64_t>(bytes.size(), written + pick(30));
        struct iovec iov[8];
        uint64_t budget = UINT64_MAX;
        const int n = chain.gather(iov, 8, written, &budget);
        const std::string got = gathered(iov, n);
        ASSERT_EQ(got, bytes.substr(written, got.size())) << "step " << step;
        if (n < 8) {
          ASSERT_EQ(got.size(), bytes.size() - written) << "step " << step;
        }
      }
    }
    ASSERT_EQ(chain.size(), bytes.size());
  }
  }
}

TEST(MbufChain, MoveTransfersReferences) {
  MbufPool pool(512);
  Mbuf* m = filled(pool, "xyz");
  MbufChain a;
  a.append(m, 0, 3);
  m->unref();
  MbufChain b(std::move(a));
  EXPECT_TRUE(a.empty());
  EXPECT_EQ(b.to_string(), "xyz");
  MbufChain c;
  c = std::move(b);
  EXPECT_EQ(c.to_string(), "xyz");
  EXPECT_EQ(m->refs(), 1u);
  c.clear();
  EXPECT_EQ(pool.live(), 0u);
}

}  // namespace
}  // namespace walnut::buffer
