// A one-line reply that walnut writes itself (an error, a local answer),
// in the form both protocols share: a prefix, the text, CRLF.
#pragma once

#include <string>
#include <string_view>

#include "buffer/mbuf_pool.h"
#include "proto/msg.h"

namespace walnut::proto {

// Sets msg.reply to `prefix`, `text` and CRLF. The text may quote client
// bytes (a command name, a key): a CR or LF in them would end the line
// early and forge a reply, so, as Redis and memcached do, they become
// spaces. Not the hot path: it allocates.
inline void set_reply_line(Msg& msg, std::string_view prefix, std::string_view text, bool error,
                           buffer::MbufPool& pool) {
  std::string line(prefix);
  for (const char c : text) line += c == '\r' || c == '\n' ? ' ' : c;
  line += "\r\n";
  msg.reply.clear();
  msg.reply.append_copy(pool, line);
  msg.reply_is_error = error;
}

}  // namespace walnut::proto
