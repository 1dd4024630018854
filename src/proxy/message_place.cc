// The place of a published message among its client's replies.
#include "proxy/message_place.h"

namespace walnut::proxy {

Request* message_place(const ClientQueue& queue, const ServerConn* from) {
  // Bounded by the queue, which client_output_limit bounds.
  for (Request* m = queue.front(); m != nullptr; m = queue.next(m)) {
    if (m->done) continue;
    if (m->server == from) return m;
    // A split request's parts, until its join hands it over.
    for (size_t f = 0; f < m->fragments.size(); ++f) {
      if (m->fragment(f)->server == from) return m;
    }
  }
  return nullptr;
}

}  // namespace walnut::proxy
