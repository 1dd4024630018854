// The buffer side of StreamReader's reads.
#include "proxy/stream_reader.h"

#include <cerrno>

namespace walnut::proxy {

void StreamReader::make_room() {
  if (rbuf_ != nullptr && rbuf_->refs() == 1 && parsed_ == rbuf_->filled() &&
      partial_.empty()) {
    rbuf_->reset();  // nothing points into it any more: refill from the start
    parsed_ = 0;
  }
  if (rbuf_ == nullptr || rbuf_->free_space() == 0) {
    // Earlier messages keep their own references to a full mbuf.
    if (rbuf_ != nullptr) rbuf_->unref();
    rbuf_ = next_mbuf_is_large() ? large_.get() : pool_.get();
    parsed_ = 0;
  }
}

StreamReader::ReadStatus StreamReader::took(ssize_t got, uint32_t room) {
  if (got > 0) {
    rbuf_->commit(static_cast<uint32_t>(got));
    return static_cast<uint32_t>(got) == room ? ReadStatus::kFull
                                              : ReadStatus::kDrained;
  }
  if (got == 0) return ReadStatus::kEof;
  if (errno == EAGAIN || errno == EWOULDBLOCK) return ReadStatus::kAgain;
  return ReadStatus::kError;
}

void StreamReader::release_if_idle() {
  // Only the reader holds the buffer and every byte was parsed into messages
  // that are gone: give it back rather than pin it while the peer is idle.
  if (rbuf_ != nullptr && rbuf_->refs() == 1 && parsed_ == rbuf_->filled() &&
      partial_.empty()) {
    rbuf_->unref();
    rbuf_ = nullptr;
    parsed_ = 0;
  }
}

void StreamReader::release() {
  partial_.clear();
  if (rbuf_ != nullptr) rbuf_->unref();
  rbuf_ = nullptr;
  parsed_ = 0;
}

}  // namespace walnut::proxy
