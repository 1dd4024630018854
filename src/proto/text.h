// Small pieces of protocol text handling shared by every parser: decimal
// digits read without overflow, and an offending byte named in an error
// message. Header-only and allocation-free on the hot path; they hold no
// state, which belongs to the parsers.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstring>
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

// The fast paths of the line parsers, over a line wholly in memory: tokens
// split on spaces, as memcached splits them.

inline void skip_spaces(const char*& p, const char* end) {
  while (p < end && *p == ' ') ++p;
}

// The next token of [p, end), which `p` moves past; empty at the end.
inline std::string_view next_token(const char*& p, const char* end) {
  skip_spaces(p, end);
  const char* start = p;
  if (p == end) return {};
  const auto* space = static_cast<const char*>(std::memchr(p, ' ', static_cast<size_t>(end - p)));
  p = space != nullptr ? space : end;
  return {start, static_cast<size_t>(p - start)};
}

// The next token of [p, end) read as a decimal number of at least one digit,
// no larger than `max`; `p` moves past it. False (with `value` untouched)
// when the token is anything else.
inline bool next_number(const char*& p, const char* end, uint64_t max, uint64_t& value) {
  skip_spaces(p, end);
  const char* const start = p;
  uint64_t v = 0;
  // 18 digits cannot overflow 64 bits: those need no test per digit.
  constexpr long kSafeDigits = 18;
  const char* const safe_end = end - p > kSafeDigits ? p + kSafeDigits : end;
  for (; p < safe_end && is_digit(*p); ++p) v = v * 10 + static_cast<unsigned>(*p - '0');
  for (; p < end && is_digit(*p); ++p) {
    if (!append_digit(v, static_cast<unsigned>(*p - '0'), max)) return false;
  }
  if (p == start || v > max || (p < end && *p != ' ')) return false;
  value = v;
  return true;
}

// The digits at `p`, at most 18 of them (which cannot overflow 64 bits), as
// a number; `p` moves past them. False when there are none or more: the
// fast paths leave longer numbers to next_number() or the byte-by-byte way.
inline bool short_number(const char*& p, const char* end, uint64_t& value) {
  constexpr long kSafeDigits = 18;
  const char* const start = p;
  uint64_t v = 0;
  for (; p < end && is_digit(*p); ++p) v = v * 10 + static_cast<unsigned>(*p - '0');
  if (p == start || p - start > kSafeDigits) return false;
  value = v;
  return true;
}

// Whether `bytes` hold a control character (below 0x20, or 0x7f), which
// memcached refuses in a key. Eight bytes at a time: every key of every
// request is checked. A byte below 0x20 borrows into its top bit when 0x20
// is subtracted from it (and no byte at or above 0x20 does unless a lower
// byte borrowed first, so the answer, if not the byte, is exact); 0x7f
// becomes zero when xored with 0x7f, which the same test finds with 0x01.
inline bool has_control_byte(std::string_view bytes) {
  constexpr uint64_t kOnes = 0x0101010101010101ull;
  constexpr uint64_t kHighs = 0x8080808080808080ull;
  const char* p = bytes.data();
  size_t n = bytes.size();
  if (n < 8) {
    for (; n > 0; ++p, --n) {
      const auto u = static_cast<unsigned char>(*p);
      if ((u < 0x20) | (u == 0x7f)) return true;
    }
    return false;
  }
  const auto word_at = [](const char* at) {
    uint64_t w;
    std::memcpy(&w, at, 8);
    const uint64_t del = w ^ (kOnes * 0x7f);
    return ((w - kOnes * 0x20) & ~w & kHighs) | ((del - kOnes) & ~del & kHighs);
  };
  uint64_t found = 0;
  for (; n > 8; p += 8, n -= 8) found |= word_at(p);
  // The last eight bytes, some of them checked already: no byte loop.
  return (found | word_at(p + n - 8)) != 0;
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
