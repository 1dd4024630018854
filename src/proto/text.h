// Small pieces of protocol text handling shared by every parser: decimal
// digits read without overflow, and an offending byte named in an error
// message. Header-only and allocation-free on the hot path; they hold no
// state, which belongs to the parsers.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

namespace walnut::proto {

inline bool is_digit(char c) { return static_cast<unsigned char>(c - '0') < 10; }

// Appends one decimal digit, refusing to go past `max`. Written so that no
// intermediate value can overflow, whatever `max` is.
inline bool append_digit(uint64_t& value, unsigned digit, uint64_t max) {
  if (digit > max || value > (max - digit) / 10) return false;
  value = value * 10 + digit;
  return true;
}

// "<what> '<c>'", with `c` escaped as \xNN when unprintable. The text may end
// up in an error reply or a log line, so the byte must not be able to break
// the protocol's framing. Only for the error path: it allocates.
inline std::string byte_error(std::string_view what, char c) {
  const auto u = static_cast<unsigned char>(c);
  char buf[16];
  if (u >= 0x20 && u < 0x7f) {
    std::snprintf(buf, sizeof buf, " '%c'", u);
  } else {
    std::snprintf(buf, sizeof buf, " '\\x%02x'", u);
  }
  std::string out(what);
  out += buf;
  return out;
}

}  // namespace walnut::proto
