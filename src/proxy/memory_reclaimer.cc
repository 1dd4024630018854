// Giving a burst's memory back.
#include "proxy/memory_reclaimer.h"

#include <malloc.h>

namespace walnut::proxy {

void MemoryReclaimer::run() {
  const bool idle = mbufs_.gets() == mbuf_gets_seen_;
  mbuf_gets_seen_ = mbufs_.gets();
  if (idle) {
    mbufs_.trim(0);
    requests_.trim();
  }
  // malloc_trim walks the heap: only after a megabyte or more was freed.
  constexpr uint64_t kTrimAfterBytes = 1024 * 1024;
  const uint64_t released = mbufs_.released_bytes() + requests_.released_bytes();
  if (released - released_at_last_trim_ >= kTrimAfterBytes) {
    released_at_last_trim_ = released;
    malloc_trim(0);
  }
}

}  // namespace walnut::proxy
