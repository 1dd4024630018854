// MbufChain: an ordered list of slices of mbufs, the bytes of one message.
//
// A chain holds a reference on every mbuf it points into, so the bytes stay
// valid however the connection that read them moves on. Chains are built by
// the parsers' callers (slices of the read buffer), by local replies (bytes
// copied into mbufs of the chain's own), and by fragmentation (slices of other
// chains). They leave through writev without a copy.
//
// Nearly every message is one slice, which the chain holds inline: such a
// chain is moved, cleared and appended to without touching the heap. A
// longer one keeps its slices in an array that it keeps when cleared, and
// trades with the chains it is moved to, so that the steady state
// allocates nothing.
#pragma once

#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "buffer/mbuf.h"
#include "buffer/mbuf_pool.h"

namespace walnut::buffer {

struct Slice {
  Mbuf* mbuf;
  uint32_t offset;
  uint32_t len;
};

class MbufChain {
 public:
  MbufChain() = default;
  ~MbufChain() {
    clear();
    if (capacity_ != 0) delete[] many_;
  }
  MbufChain(MbufChain&& other) noexcept { take(other); }
  MbufChain& operator=(MbufChain&& other) noexcept {
    if (this != &other) {
      clear();
      take(other);
    }
    return *this;
  }
  MbufChain(const MbufChain&) = delete;
  MbufChain& operator=(const MbufChain&) = delete;

  // Appends bytes [offset, offset+len) of `m`, taking a reference. A slice
  // that continues the previous one in the same mbuf extends it instead.
  void append(Mbuf* m, uint32_t offset, uint32_t len) {
    if (len == 0) return;
    size_ += len;
    if (count_ != 0) {
      Slice& last = array()[count_ - 1];
      if (last.mbuf == m && last.offset + last.len == offset) {
        last.len += len;
        return;
      }
    }
    m->ref();
    if (count_ == capacity()) grow();
    array()[count_++] = Slice{m, offset, len};
  }
  // Appends bytes [offset, offset+len) of another chain, sharing its mbufs.
  void append(const MbufChain& other, uint64_t offset, uint64_t len) {
    // From a chain of one slice (nearly every request and reply): no walk.
    if (other.count_ == 1 && offset + len <= other.one_or_first().len) {
      const Slice& s = other.one_or_first();
      append(s.mbuf, s.offset + static_cast<uint32_t>(offset), static_cast<uint32_t>(len));
      return;
    }
    append_slices(other, offset, len);
  }
  // Copies `bytes` into the pool's shared copy mbuf (see copy_tail()).
  void append_copy(MbufPool& pool, std::string_view bytes);

  uint64_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  std::span<const Slice> slices() const { return {array(), count_}; }

  // Fills up to `max` iovecs with the bytes from `skip` on, whole slices
  // (the first one from `skip`) until they hold `*budget` bytes or more,
  // which it takes from `*budget`; returns how many. A writer calls it
  // again and again with `skip` growing as the socket takes the bytes: it
  // starts where the last call did, not at the chain's first slice, so
  // that writing a chain of many slices costs a walk of each slice once,
  // not once per call.
  int gather(struct iovec* iov, int max, uint64_t skip, uint64_t* budget) const {
    if (skip != 0 || count_ != 1 || max <= 0 || *budget == 0) {
      return gather_slices(iov, max, skip, budget);
    }
    // One slice from its start: nearly every request and reply.
    const Slice& s = array()[0];
    iov->iov_base = s.mbuf->data() + s.offset;
    iov->iov_len = s.len;
    *budget = s.len < *budget ? *budget - s.len : 0;
    return 1;
  }
  // Copies [offset, offset+len) out; the range must lie inside the chain.
  void copy_out(uint64_t offset, uint64_t len, char* dst) const;
  // The bytes [offset, offset+len) as one view: straight into the mbuf when
  // they lie in one slice, else copied into `scratch`.
  std::string_view view(uint64_t offset, uint64_t len, std::string& scratch) const {
    // Nearly every message is one slice: no walk, no call.
    if (count_ == 1 && offset + len <= array()[0].len) {
      const Slice& s = array()[0];
      return std::string_view(s.mbuf->data() + s.offset + offset, len);
    }
    return view_slices(offset, len, scratch);
  }
  std::string to_string() const;  // for tests and logs, never the data path

  // Drops every reference; keeps the storage of a chain of many slices.
  void clear() {
    if (count_ != 0) drop_slices();
    size_ = 0;
    gather_slice_ = 0;
    gather_before_ = 0;
  }

 private:
  // The slices: inline while the chain has room for one only.
  Slice* array() { return capacity_ == 0 ? &one_ : many_; }
  const Slice* array() const { return capacity_ == 0 ? &one_ : many_; }
  uint32_t capacity() const { return capacity_ == 0 ? 1 : capacity_; }
  const Slice& one_or_first() const { return array()[0]; }
  [[gnu::noinline]] void grow();
  void drop_slices();
  void append_slices(const MbufChain& other, uint64_t offset, uint64_t len);
  // Takes `other`'s slices, this chain being empty: one inline slice is
  // copied, an array is traded for this chain's own (or for none).
  void take(MbufChain& other) noexcept;
  int gather_slices(struct iovec* iov, int max, uint64_t skip, uint64_t* budget) const;
  std::string_view view_slices(uint64_t offset, uint64_t len, std::string& scratch) const;
  size_t seek(uint64_t& skip) const;

  union {
    Slice one_{};   // capacity_ == 0: the one slice there is room for
    Slice* many_;   // capacity_ != 0: an array of capacity_ slices
  };
  uint32_t count_ = 0;
  uint32_t capacity_ = 0;
  uint64_t size_ = 0;
  // Where the last gather() started: a slice and the chain's bytes before
  // it, never past the last slice. Appending never moves it (it only adds
  // slices, or bytes to the last, which lies at or after it); clear() and
  // moves reset it.
  mutable uint32_t gather_slice_ = 0;
  mutable uint64_t gather_before_ = 0;
};

}  // namespace walnut::buffer
