// Small pieces of RESP text handling shared by the request and response
// parsers: reading decimal digits without overflow, and naming an offending
// byte in an error message. Header-only and allocation-free on the hot path;
// it must never hold state, which belongs to the parsers.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

namespace walnut::redis::resp {

inline bool is_digit(char c) { return static_cast<unsigned char>(c - '0') < 10; }

// Appends one decimal digit, refusing to go past `max`. Written so that no
// intermediate value can overflow, whatever `max` is.
inline bool append_digit(uint64_t& value, unsigned digit, uint64_t max) {
  if (digit > max || value > (max - digit) / 10) return false;
  value = value * 10 + digit;
  return true;
}

// The fast path of both parsers: reads "<digits>\r\n" at `p` when all of it
// is in [p, end) and well-formed by RESP's strict rules (digits only, no
// leading zero, at most `max`), returning the byte after the LF and the value
// in `*value`. Anything else (too short, odd, too long) gives nullptr and
// leaves the byte-at-a-time path to read it and to report any error, so the
// two paths cannot disagree.
inline const char* scan_number_line(const char* p, const char* end, uint64_t max,
                                    uint64_t* value) {
  // 18 digits cannot overflow 64 bits: no per-digit overflow test needed.
  constexpr long kSafeDigits = 18;
  const char* const start = p;
  const char* const stop = end - start > kSafeDigits ? start + kSafeDigits : end;
  uint64_t v = 0;
  while (p < stop && is_digit(*p)) v = v * 10 + static_cast<unsigned>(*p++ - '0');
  const long digits = p - start;
  if (digits == 0 || (digits > 1 && *start == '0') || v > max) return nullptr;
  if (end - p < 2 || p[0] != '\r' || p[1] != '\n') return nullptr;
  *value = v;
  return p + 2;
}

// "<what> '<c>'", with `c` escaped as \xNN when unprintable. The text may end
// up in an error reply or a log line, so the byte must not be able to break
// RESP framing. Only for the error path: it allocates.
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

}  // namespace walnut::redis::resp
