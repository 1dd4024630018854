// RequestPool hands out Requests and takes them back, like MbufPool does
// mbufs: a request costs an allocation only when the reserve is empty. The
// reserve is bounded, so a burst does not pin its peak, and trim() lets the
// reclaimer give back even that once walnut is idle.
#pragma once

#include <cstdint>
#include <vector>

#include "common/non_copyable.h"
#include "proxy/request.h"
#include "proxy/request_budget.h"

namespace walnut::proxy {

class RequestPool : private NonCopyable {
 public:
  // Requests given back return their charge to `budget`.
  explicit RequestPool(RequestBudget& budget) : budget_(budget) {}
  ~RequestPool();

  // A blank request.
  Request* get();
  // `request` is off every queue and nobody holds it any more.
  void put(Request* request);

  // Frees the whole reserve.
  void trim();
  // Running total of bytes given back to the allocator, for the reclaimer.
  uint64_t released_bytes() const { return released_bytes_; }

 private:
  RequestBudget& budget_;
  std::vector<Request*> free_;
  uint64_t released_bytes_ = 0;
};

}  // namespace walnut::proxy
