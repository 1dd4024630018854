// Slice bookkeeping for MbufChain. Lookups by offset walk the slices; chains
// are short (a message spans few mbufs) so a walk beats an index.
#include "buffer/mbuf_chain.h"

#include <algorithm>
#include <cstring>
#include <utility>

namespace walnut::buffer {

MbufChain::MbufChain(MbufChain&& other) noexcept
    : slices_(std::move(other.slices_)), size_(other.size_) {
  other.slices_.clear();
  other.size_ = 0;
}

MbufChain& MbufChain::operator=(MbufChain&& other) noexcept {
  if (this != &other) {
    clear();
    std::swap(slices_, other.slices_);
    size_ = other.size_;
    other.size_ = 0;
  }
  return *this;
}

void MbufChain::append(Mbuf* m, uint32_t offset, uint32_t len) {
  if (len == 0) return;
  size_ += len;
  if (!slices_.empty()) {
    Slice& last = slices_.back();
    if (last.mbuf == m && last.offset + last.len == offset) {
      last.len += len;
      return;
    }
  }
  m->ref();
  slices_.push_back(Slice{m, offset, len});
}

void MbufChain::append(const MbufChain& other, uint64_t offset, uint64_t len) {
  for (const Slice& s : other.slices_) {
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

int MbufChain::gather(struct iovec* iov, int max, uint64_t skip) const {
  int n = 0;
  for (const Slice& s : slices_) {
    if (n == max) break;
    if (skip >= s.len) {
      skip -= s.len;
      continue;
    }
    iov[n].iov_base = s.mbuf->data() + s.offset + skip;
    iov[n].iov_len = s.len - skip;
    skip = 0;
    ++n;
  }
  return n;
}

void MbufChain::copy_out(uint64_t offset, uint64_t len, char* dst) const {
  for (const Slice& s : slices_) {
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

std::string_view MbufChain::view(uint64_t offset, uint64_t len,
                                 std::string& scratch) const {
  uint64_t at = offset;
  for (const Slice& s : slices_) {
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

void MbufChain::clear() {
  for (const Slice& s : slices_) s.mbuf->unref();
  slices_.clear();
  size_ = 0;
}

}  // namespace walnut::buffer
