// Slice bookkeeping for MbufChain. Lookups by offset walk the slices; chains
// are short (a message spans few mbufs) so a walk beats an index.
#include "buffer/mbuf_chain.h"

#include <algorithm>
#include <cstring>
#include <utility>

namespace walnut::buffer {

void MbufChain::take(MbufChain& other) noexcept {
  if (other.capacity_ == 0) {
    if (other.count_ != 0) array()[0] = other.one_;
  } else {
    // Trade arrays: `other` keeps this chain's (or the inline room), empty.
    Slice* const theirs = other.many_;
    const uint32_t their_capacity = other.capacity_;
    if (capacity_ != 0) {
      other.many_ = many_;
    } else {
      other.one_ = Slice{};
    }
    other.capacity_ = capacity_;
    many_ = theirs;
    capacity_ = their_capacity;
  }
  count_ = other.count_;
  size_ = other.size_;
  other.count_ = 0;
  other.size_ = 0;
  other.gather_slice_ = 0;
  other.gather_before_ = 0;
}

void MbufChain::grow() {
  const uint32_t capacity = capacity_ == 0 ? 4 : capacity_ * 2;
  auto* grown = new Slice[capacity];
  const Slice* const old = array();
  for (uint32_t i = 0; i < count_; ++i) grown[i] = old[i];
  if (capacity_ != 0) delete[] many_;
  many_ = grown;
  capacity_ = capacity;
}

void MbufChain::drop_slices() {
  const Slice* const slices = array();
  for (uint32_t i = 0; i < count_; ++i) slices[i].mbuf->unref();
  count_ = 0;
}

void MbufChain::append_slices(const MbufChain& other, uint64_t offset, uint64_t len) {
  for (const Slice& s : other.slices()) {
    if (len == 0) break;
    if (offset >= s.len) {
      offset -= s.len;
      continue;
    }
    uint64_t take = std::min<uint64_t>(s.len - offset, len);
    append(s.mbuf, s.offset + static_cast<uint32_t>(offset),
           static_cast<uint32_t>(take));
    offset = 0;
    len -= take;
  }
}

void MbufChain::append_copy(MbufPool& pool, std::string_view bytes) {
  while (!bytes.empty()) {
    Mbuf* tail = pool.copy_tail();
    uint32_t at = tail->filled();
    uint32_t n = static_cast<uint32_t>(
        std::min<size_t>(bytes.size(), tail->free_space()));
    std::memcpy(tail->free_start(), bytes.data(), n);
    tail->commit(n);
    append(tail, at, n);  // successive copies extend one slice
    bytes.remove_prefix(n);
  }
}

// The slice holding byte `skip`, which becomes its offset there; from
// where the last call found one when that lies before it. Out of line:
// nearly every chain is written whole, by one call from byte 0.
[[gnu::noinline]] size_t MbufChain::seek(uint64_t& skip) const {
  const size_t count = count_;
  const Slice* const slices = array();
  size_t i = 0;
  if (skip >= gather_before_ && gather_slice_ < count) {
    i = gather_slice_;
    skip -= gather_before_;
  } else {
    gather_before_ = 0;
  }
  for (; i < count && skip >= slices[i].len; ++i) {
    skip -= slices[i].len;
    gather_before_ += slices[i].len;
  }
  if (i == count) {
    // Past the end: a later append may extend the last slice, which would
    // leave a cursor here counting too few bytes before it.
    gather_slice_ = 0;
    gather_before_ = 0;
  } else {
    gather_slice_ = static_cast<uint32_t>(i);
  }
  return i;
}

int MbufChain::gather_slices(struct iovec* iov, int max, uint64_t skip, uint64_t* budget) const {
  size_t i = skip == 0 ? 0 : seek(skip);
  uint64_t left = *budget;
  int n = 0;
  const Slice* const slices = array();
  for (; i < count_ && n < max && left > 0; ++i) {
    const Slice& s = slices[i];
    const uint64_t len = s.len - skip;
    iov[n].iov_base = s.mbuf->data() + s.offset + skip;
    iov[n].iov_len = len;
    ++n;
    left = len < left ? left - len : 0;
    skip = 0;
  }
  *budget = left;
  return n;
}

void MbufChain::copy_out(uint64_t offset, uint64_t len, char* dst) const {
  for (const Slice& s : slices()) {
    if (len == 0) break;
    if (offset >= s.len) {
      offset -= s.len;
      continue;
    }
    uint64_t take = std::min<uint64_t>(s.len - offset, len);
    std::memcpy(dst, s.mbuf->data() + s.offset + offset, take);
    dst += take;
    len -= take;
    offset = 0;
  }
}

std::string_view MbufChain::view_slices(uint64_t offset, uint64_t len,
                                        std::string& scratch) const {
  uint64_t at = offset;
  for (const Slice& s : slices()) {
    if (at >= s.len) {
      at -= s.len;
      continue;
    }
    if (at + len <= s.len) {
      return std::string_view(s.mbuf->data() + s.offset + at, len);
    }
    break;
  }
  scratch.resize(len);
  copy_out(offset, len, scratch.data());
  return scratch;
}

std::string MbufChain::to_string() const {
  std::string out(size_, '\0');
  copy_out(0, size_, out.data());
  return out;
}
}  // namespace walnut::buffer
