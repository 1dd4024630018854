// Protocol: the verbs the proxy needs from a wire protocol. Redis and
// memcache each implement it in their own folder; the proxy never looks at
// protocol bytes itself.
#pragma once

#include <memory>
#include <string_view>

#include "buffer/mbuf_pool.h"
#include "proto/msg.h"
#include "proto/parse.h"

namespace walnut::proto {

// What the proxy does with a parsed request.
enum class Action : uint8_t {
  kForward,     // route by msg.keys (or anywhere when there are none)
  kReply,       // msg.reply holds a local reply
  kReplyClose,  // a local reply, then close the client (QUIT)
  kDiscard,     // nothing to answer (an empty inline line)
};

class Protocol {
 public:
  virtual ~Protocol() = default;

  virtual std::unique_ptr<RequestParser> new_request_parser() const = 0;
  virtual std::unique_ptr<ResponseParser> new_response_parser() const = 0;

  // Looks at a complete request (msg.request, msg.tokens) and decides what
  // to do; fills msg.command and msg.keys, or msg.reply for a local reply.
  virtual Action classify(Msg& msg, buffer::MbufPool& pool) const = 0;

  // Sets msg.reply to an error reply naming `cause` ("Connection refused").
  virtual void error_reply(Msg& msg, std::string_view cause,
                           buffer::MbufPool& pool) const = 0;
  // Sets msg.reply to the reply for malformed input (`what` from the parser).
  virtual void protocol_error_reply(Msg& msg, std::string_view what,
                                    buffer::MbufPool& pool) const = 0;
};

}  // namespace walnut::proto
