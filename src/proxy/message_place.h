// Where a message published to a client's subscriptions goes among the
// client's replies.
//
// A server sends a message and its replies on one connection, in one
// order; the client must see them in that order, as on a direct
// connection. Above all, a message the server sent before it confirmed
// the client's last unsubscription must not come after that confirmation
// (count 0): a client takes the confirmation as the end of its messages.
// So a message from connection C goes right before the client's first
// request still waiting for a reply from C (queued on C, or split with a
// part queued on C); with none, at the end. Requests waiting on other
// servers may go either side of it: their order against C's is the
// servers' race.
#pragma once

#include "proxy/request.h"

namespace walnut::proxy {

// The request a message that came on `from` goes before, or nullptr for
// the end of `queue`.
Request* message_place(const ClientQueue& queue, const ServerConn* from);

}  // namespace walnut::proxy
