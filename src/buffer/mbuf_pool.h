// MbufPool hands out mbufs of one size (-m, --mbuf-size) and takes them back.
//
// Free chunks are kept for reuse up to a bound and freed beyond it, so that a
// burst does not pin its peak memory forever (twemproxy's free lists never
// shrink). trim() lets an idle timer give back even that reserve.
#pragma once

#include <cstddef>
#include <cstdint>

#include "buffer/mbuf.h"
#include "common/non_copyable.h"

namespace walnut::buffer {

class MbufPool : private NonCopyable {
 public:
  static constexpr uint32_t kMinSize = 512;
  static constexpr uint32_t kMaxSize = 16 * 1024 * 1024;
  static constexpr uint32_t kDefaultSize = 16 * 1024;

  // `max_free_bytes` bounds the memory kept on the free list.
  explicit MbufPool(uint32_t chunk_size = kDefaultSize,
                    size_t max_free_bytes = 4 * 1024 * 1024);
  ~MbufPool();

  // An empty mbuf holding one reference.
  Mbuf* get();
  uint32_t chunk_size() const { return chunk_size_; }

  // Frees every chunk on the free list but `keep`.
  void trim(size_t keep = 0);

  // The mbuf that small copies (local replies, error replies, headers) are
  // appended to, shared by every chain: a "+PONG\r\n" must not cost a whole
  // chunk. Bytes below filled() never change, so sharing is safe. Returns an
  // mbuf with free space; the pool keeps one reference on it.
  Mbuf* copy_tail();

  size_t live() const { return live_; }  // handed out, not yet returned
  size_t free_count() const { return free_count_; }
  // Running totals, for the reclaimer: mbufs handed out, bytes given back
  // to the allocator.
  uint64_t gets() const { return gets_; }
  uint64_t released_bytes() const { return released_bytes_; }

 private:
  friend class Mbuf;
  void put(Mbuf* m);
  void destroy(Mbuf* m);

  uint32_t chunk_size_;
  size_t max_free_;
  Mbuf* free_ = nullptr;
  Mbuf* copy_tail_ = nullptr;
  size_t free_count_ = 0;
  size_t live_ = 0;
  uint64_t gets_ = 0;
  uint64_t released_bytes_ = 0;
};

}  // namespace walnut::buffer
