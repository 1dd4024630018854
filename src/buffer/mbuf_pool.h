// MbufPool hands out mbufs of one size (-m, --mbuf-size) and takes them back.
//
// Free chunks are kept for reuse up to a bound and freed beyond it, so that a
// burst does not pin its peak memory forever (twemproxy's free lists never
// shrink). The bound follows the load: at least `max_free_bytes`, and as many
// chunks as were in use at once lately (this window of next_window() calls
// and the one before), so that a steady load of large values (8 MiB replies
// are 512 chunks each) reuses its chunks instead of asking malloc for them
// again and again, while a load that falls gives its reserve back within two
// windows. trim() lets an idle timer give back even the floor.
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
  Mbuf* get() {
    Mbuf* m = free_;
    if (m == nullptr) return fresh();
    free_ = m->next_free_;
    --free_count_;
    return handed_out(m);
  }
  uint32_t chunk_size() const { return chunk_size_; }

  // Frees every chunk on the free list but `keep`.
  void trim(size_t keep = 0);
  // Starts a new window of the bound's memory (the reclaimer's tick): what
  // the window before last needed no longer counts, and the free list is
  // cut to the new bound.
  void next_window();
  // How many free chunks the list may hold now.
  size_t free_bound() const { return free_bound_; }

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
  Mbuf* fresh();
  Mbuf* handed_out(Mbuf* m) {
    m->refs_ = 1;
    m->filled_ = 0;
    m->next_free_ = nullptr;
    ++gets_;
    if (++live_ > window_peak_) {
      window_peak_ = live_;
      if (live_ > free_bound_) free_bound_ = live_;
    }
    return m;
  }
  void put(Mbuf* m);
  void destroy(Mbuf* m);

  uint32_t chunk_size_;
  size_t max_free_;             // the bound's floor, in chunks
  size_t free_bound_;           // max(max_free_, window_peak_, last_window_peak_)
  size_t window_peak_ = 0;      // most chunks live at once in this window
  size_t last_window_peak_ = 0;  // ... and in the one before
  Mbuf* free_ = nullptr;
  Mbuf* copy_tail_ = nullptr;
  size_t free_count_ = 0;
  size_t live_ = 0;
  uint64_t gets_ = 0;
  uint64_t released_bytes_ = 0;
};

}  // namespace walnut::buffer
