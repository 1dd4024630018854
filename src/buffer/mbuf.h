// Mbuf: a fixed-size, reference-counted chunk of bytes from an MbufPool.
//
// Connections read into mbufs; messages hold slices that point into them, so
// that a read carrying many pipelined requests yields many messages without a
// copy. The last reference returns the chunk to its pool. Single-threaded by
// design: the counts are plain integers.
#pragma once

#include <cstddef>
#include <cstdint>

namespace walnut::buffer {

class MbufPool;

class Mbuf {
 public:
  char* data() { return data_; }
  const char* data() const { return data_; }
  uint32_t capacity() const { return capacity_; }
  const MbufPool* pool() const { return pool_; }

  // Bytes [0, filled) hold data; the rest is free space for the next read.
  uint32_t filled() const { return filled_; }
  uint32_t free_space() const { return capacity_ - filled_; }
  char* free_start() { return data_ + filled_; }
  void commit(uint32_t n) { filled_ += n; }
  // Forgets the contents; only for an mbuf nobody else references.
  void reset() { filled_ = 0; }

  void ref() { ++refs_; }
  // Returns the chunk to its pool on the last reference.
  void unref() {
    if (--refs_ == 0) release();
  }
  uint32_t refs() const { return refs_; }

 private:
  friend class MbufPool;
  Mbuf() = default;
  void release();  // to the pool: the last reference went

  MbufPool* pool_ = nullptr;
  Mbuf* next_free_ = nullptr;
  uint32_t refs_ = 0;
  uint32_t capacity_ = 0;
  uint32_t filled_ = 0;
  char* data_ = nullptr;
};

}  // namespace walnut::buffer
