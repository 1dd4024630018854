// The one way back of a reply, and the join of a split request's fragments.
#include "proxy/request.h"

#include "common/dcheck.h"

#include "proxy/context.h"

namespace walnut::proxy {

void deliver(Context& ctx, Request* request) {
  WALNUT_DCHECK(!request->done);  // one reply per request, delivered once
  WALNUT_DCHECK(!request->server_hook.linked());
  request->done = true;
  if (request->waiter != nullptr) {
    request->waiter->on_reply(request);
  } else {
    ctx.requests().put(request);  // its client left, or walnut's own request
  }
}

void FragmentJoin::on_reply(Request* fragment) {
  (void)fragment;  // the parent holds every fragment; only the count matters
  WALNUT_DCHECK(pending_ > 0);
  if (--pending_ > 0) return;
  owner_->fragments_joined(parent_);
}

}  // namespace walnut::proxy
