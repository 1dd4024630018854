// RequestBudget: the process-wide cap on bytes of requests that clients have
// begun and not finished (--request-buffer-limit).
//
// walnut buffers a request whole before it forwards it, so a thousand
// clients each in the middle of a 64 MB SET would make it hold 64 GB. Past
// the cap, a client in the middle of a large request waits before its next
// read, while clients with small requests (or none under way) read as
// usual, so that large uploads cannot stall everyone else. The client that
// began its large request first may go on: someone always finishes and
// gives its bytes back, so waiting can never become a deadlock. Small
// requests are never counted in line: a client joins it only once its
// unfinished request passes kLargeRequest bytes.
//
// A large request, once complete, stays charged until a server connection
// has written it (or it is answered without one): past the cap in such
// requests alone, even the oldest upload waits for the servers to take
// them, so a slow server cannot make walnut hold upload after upload.
#pragma once

#include <cstdint>

#include "common/intrusive_list.h"

namespace walnut::proxy {

class RequestBudget {
 public:
  // One client's share of the budget.
  class Holder {
   public:
    virtual ~Holder() = default;
    // The holder was told to wait (RequestBudget::wait) and may read again.
    virtual void budget_available() = 0;
    bool waiting_for_budget() const { return waiting_; }

   private:
    friend class RequestBudget;
    ListHook hook_;           // in line: an unfinished request past kLargeRequest
    uint64_t bytes_ = 0;      // of an unfinished request
    bool waiting_ = false;
  };

  static constexpr uint64_t kLargeRequest = 64 * 1024;

  // 0: no cap.
  void set_limit(uint64_t bytes) { limit_ = bytes; }
  uint64_t limit() const { return limit_; }
  // Bytes of unfinished requests held by every client.
  uint64_t held() const { return held_; }
  // Bytes of large requests complete and not yet written to a server.
  uint64_t forwarded() const { return forwarded_; }

  // `holder` now holds `bytes` of an unfinished request (0 when none).
  // Inline: after every parse, and nearly always nothing changed.
  void update(Holder& holder, uint64_t bytes) {
    if (bytes != holder.bytes_) resize(holder, bytes);
  }
  // Whether `holder` may read more now (before every read of a client).
  bool may_read(const Holder& holder) const {
    return limit_ == 0 || held_ + forwarded_ <= limit_ || !holder.hook_.linked() ||
           (line_.front() == &holder && forwarded_ < limit_);
  }
  // `holder`, which may not read, stops until budget_available().
  void wait(Holder& holder);
  // `holder` goes away: what it held is given back.
  void release(Holder& holder);

  // A complete request of `bytes` (`*charge` says what it owes, 0 for a
  // small one) until discharge(): when it was written, or dropped.
  void charge(uint64_t bytes, uint64_t* charge) {
    if (bytes <= kLargeRequest) return;
    *charge = bytes;
    forwarded_ += bytes;
  }
  void discharge(uint64_t* charge) {
    if (*charge != 0) give_back(charge);
  }

 private:
  void resize(Holder& holder, uint64_t bytes);
  void give_back(uint64_t* charge);
  void wake();

  uint64_t limit_ = 0;
  uint64_t held_ = 0;
  uint64_t forwarded_ = 0;
  uint64_t waiting_ = 0;
  IntrusiveList<Holder, &Holder::hook_> line_;  // in the order they got large
};

}  // namespace walnut::proxy
