// Commands that may block (BLPOP, BLMOVE, BZPOPMIN, BLMPOP, XREAD BLOCK, ...):
// how long each may block by its own arguments, and XREAD's keys, which no
// table row can place (they are the first half of what follows STREAMS).
#pragma once

#include "buffer/mbuf_pool.h"
#include "proto/msg.h"
#include "proto/protocol.h"

namespace walnut::redis {

// For a request whose row is kBlocking, with msg.keys filled from the row:
// sets msg.block_ms and, for XREAD and XREADGROUP, msg.keys. kBlocking when it
// may block, kForward when it cannot (XREAD without BLOCK), kReply with an
// error reply when its keys cannot be found. A timeout that does not parse
// counts as no block: the server answers it with its own error at once.
proto::Action blocking_request(proto::Msg& msg, buffer::MbufPool& mbufs);

}  // namespace walnut::redis
