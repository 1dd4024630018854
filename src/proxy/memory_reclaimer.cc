// Giving a burst's memory back.
#include "proxy/memory_reclaimer.h"

#include <malloc.h>

namespace walnut::proxy {

void MemoryReclaimer::run() {
  const uint64_t gets = mbufs_.gets() + large_mbufs_.gets();
  const bool idle = gets == mbuf_gets_seen_;
  mbuf_gets_seen_ = gets;
  for (buffer::MbufPool* pool : {&mbufs_, &large_mbufs_}) {
    pool->next_window();
    if (idle) pool->trim(0);
  }
  if (idle) requests_.trim();
  // malloc_trim walks the heap: only after a megabyte or more was freed. A
  // closed connection freed about this much (a client's own state, its
  // parser, libevent's event): a thousand of them are worth a trim, counted
  // once no client request came for a second (walnut's own traffic, such
  // as Sentinel polls and heartbeats, goes on), so that a steady churn of
  // connections does not trim every second.
  constexpr uint64_t kTrimAfterBytes = 1024 * 1024;
  constexpr uint64_t kClosedConnectionBytes = 1024;
  const uint64_t released =
      mbufs_.released_bytes() + large_mbufs_.released_bytes() + requests_.released_bytes();
  const Context::Totals& totals = ctx_.totals();
  const uint64_t closed = totals.total_connections - totals.curr_connections;
  const bool no_requests = ctx_.request_clock() == request_clock_seen_;
  request_clock_seen_ = ctx_.request_clock();
  uint64_t since_trim = released - released_at_last_trim_;
  if (no_requests) since_trim += (closed - closed_at_last_trim_) * kClosedConnectionBytes;
  if (since_trim >= kTrimAfterBytes) {
    released_at_last_trim_ = released;
    closed_at_last_trim_ = closed;
    malloc_trim(0);
  }
}

}  // namespace walnut::proxy
