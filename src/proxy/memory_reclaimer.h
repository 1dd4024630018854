// MemoryReclaimer gives memory back after a burst; App runs it about once a
// second. Each run starts a new window of the mbuf reserve's bound (see
// MbufPool); when no mbuf was asked for since the last run (idle), the mbuf and
// request reserves are freed; whenever enough was freed since the last time
// (by those reserves, or by connections that closed), the allocator is asked
// to return its free pages to the system (glibc keeps freed small blocks in
// the heap, so a burst's peak would otherwise stay resident).
#pragma once

#include <cstdint>

#include "buffer/mbuf_pool.h"
#include "proxy/context.h"
#include "proxy/request_pool.h"

namespace walnut::proxy {

class MemoryReclaimer {
 public:
  explicit MemoryReclaimer(Context& ctx)
      : mbufs_(ctx.mbufs()),
        large_mbufs_(ctx.large_mbufs()),
        requests_(ctx.requests()),
        ctx_(ctx) {}

  // Cheap (two counters compared) unless a burst just ended.
  void run();

 private:
  buffer::MbufPool& mbufs_;
  buffer::MbufPool& large_mbufs_;
  RequestPool& requests_;
  const Context& ctx_;
  uint64_t mbuf_gets_seen_ = 0;
  uint64_t released_at_last_trim_ = 0;
  uint64_t closed_at_last_trim_ = 0;
  uint64_t request_clock_seen_ = 0;
};

}  // namespace walnut::proxy
