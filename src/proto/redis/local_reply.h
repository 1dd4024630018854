// What the replies walnut writes itself share (RedisProtocol's local
// answers, HELLO, CLIENT): an error line, RESP2 values built in a string,
// and the reading of an argument as a whole number or in one case. Not the
// hot path: these allocate.
#pragma once

#include <charconv>
#include <string>
#include <string_view>

#include "buffer/mbuf_pool.h"
#include "proto/msg.h"
#include "proto/reply_line.h"

namespace walnut::redis {

inline void set_error(proto::Msg& msg, std::string_view text, buffer::MbufPool& mbufs) {
  proto::set_reply_line(msg, "-", text, true, mbufs);
}

// True when all of `text` (not empty) is one number that fits `*out`.
template <typename Number>
bool whole_number(std::string_view text, Number* out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && end == text.data() + text.size() && !text.empty();
}

// `s` in ASCII lower or upper case, for command names in messages and
// case-insensitive subcommands and options.
inline std::string ascii_case(std::string_view s, bool upper) {
  std::string out(s);
  for (char& c : out) {
    if (upper && c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (!upper && c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// RESP2 replies built in a string, then copied into the reply's mbufs.
class Resp {
 public:
  Resp& bulk(std::string_view s) { return add("$", std::to_string(s.size())).add("", s); }
  Resp& integer(long long n) { return add(":", std::to_string(n)); }
  Resp& array(size_t n) { return add("*", std::to_string(n)); }
  Resp& status(std::string_view s) { return add("+", s); }
  Resp& null_bulk() { return add("$", "-1"); }
  void into(proto::Msg& msg, buffer::MbufPool& mbufs) const {
    msg.reply.clear();
    append_to(msg, mbufs);
  }
  // After what msg.reply holds already (one reply of several).
  void append_to(proto::Msg& msg, buffer::MbufPool& mbufs) const {
    msg.reply.append_copy(mbufs, out_);
    msg.reply_is_error = false;
  }

 private:
  Resp& add(std::string_view type, std::string_view line) {
    out_ += type;
    out_ += line;
    out_ += "\r\n";
    return *this;
  }
  std::string out_;
};

}  // namespace walnut::redis
