// Allocation of mbufs: header and bytes in one block, recycled through an
// intrusive free list that is bounded in size.
#include "buffer/mbuf_pool.h"

#include <algorithm>
#include <cstdlib>
#include <new>

namespace walnut::buffer {

void Mbuf::release() { pool_->put(this); }

MbufPool::MbufPool(uint32_t chunk_size, size_t max_free_bytes)
    : chunk_size_(chunk_size),
      max_free_(max_free_bytes / chunk_size),
      free_bound_(max_free_) {}

MbufPool::~MbufPool() {
  if (copy_tail_ != nullptr) copy_tail_->unref();
  trim(0);
}

Mbuf* MbufPool::copy_tail() {
  if (copy_tail_ == nullptr || copy_tail_->free_space() == 0) {
    if (copy_tail_ != nullptr) copy_tail_->unref();
    copy_tail_ = get();
  }
  return copy_tail_;
}

Mbuf* MbufPool::fresh() {
  void* block = std::malloc(sizeof(Mbuf) + chunk_size_);
  if (block == nullptr) throw std::bad_alloc();
  auto* m = new (block) Mbuf();
  m->pool_ = this;
  m->capacity_ = chunk_size_;
  m->data_ = static_cast<char*>(block) + sizeof(Mbuf);
  return handed_out(m);
}

void MbufPool::put(Mbuf* m) {
  --live_;
  if (free_count_ >= free_bound_) {
    destroy(m);
    return;
  }
  m->next_free_ = free_;
  free_ = m;
  ++free_count_;
}

void MbufPool::trim(size_t keep) {
  while (free_count_ > keep) {
    Mbuf* m = free_;
    free_ = m->next_free_;
    --free_count_;
    destroy(m);
  }
}

void MbufPool::next_window() {
  last_window_peak_ = window_peak_;
  window_peak_ = live_;
  free_bound_ = std::max({max_free_, last_window_peak_, window_peak_});
  trim(free_bound_);
}

void MbufPool::destroy(Mbuf* m) {
  released_bytes_ += sizeof(Mbuf) + m->capacity_;
  m->~Mbuf();
  std::free(m);
}

}  // namespace walnut::buffer
