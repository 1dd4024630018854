// RESP's number lines, for both RESP parsers: read in one go when the whole
// line is at hand (the fast path), or a byte at a time when it is cut
// (proto/text.h has the pieces every parser shares).
#pragma once

#include <cstdint>

#include "proto/parse.h"
#include "proto/text.h"

namespace walnut::redis::resp {

// The fast path of both parsers: reads "<digits>\r\n" at `p` when all of it
// is in [p, end) and well-formed by RESP's strict rules (digits only, no
// leading zero, at most `max`), returning the byte after the LF and the value
// in `*value`. Anything else (too short, odd, too long) gives nullptr and
// leaves the byte-at-a-time path to read it and to report any error, so the
// two paths cannot disagree.
inline const char* scan_number_line(const char* p, const char* end, uint64_t max,
                                    uint64_t* value) {
  // One or two digits, the count and most lengths of nearly every request
  // and reply: read without the general loop.
  if (end - p >= 4) {
    const auto d0 = static_cast<unsigned char>(p[0] - '0');
    const auto d1 = static_cast<unsigned char>(p[1] - '0');
    if (d0 < 10 && p[1] == '\r' && p[2] == '\n' && d0 <= max) {
      *value = d0;
      return p + 3;
    }
    if (d0 - 1u < 9 && d1 < 10 && p[2] == '\r' && p[3] == '\n' && d0 * 10u + d1 <= max) {
      *value = d0 * 10u + d1;
      return p + 4;
    }
  }
  // 18 digits cannot overflow 64 bits: no per-digit overflow test needed.
  constexpr long kSafeDigits = 18;
  const char* const start = p;
  const char* const stop = end - start > kSafeDigits ? start + kSafeDigits : end;
  uint64_t v = 0;
  while (p < stop && proto::is_digit(*p)) v = v * 10 + static_cast<unsigned>(*p++ - '0');
  const long digits = p - start;
  if (digits == 0 || (digits > 1 && *start == '0') || v > max) return nullptr;
  if (end - p < 2 || p[0] != '\r' || p[1] != '\n') return nullptr;
  *value = v;
  return p + 2;
}

// The slow path of scan_number_line: a number line ("<digits>\r\n") read a
// byte at a time, when it is cut anywhere, by the same rules (digits only,
// no leading zero, no "-0"), so that the counts, lengths and integers of
// both parsers are judged alike wherever their bytes were split.
struct NumberReader {
  // Reads from `*p`, never past `end`. The magnitude may reach `max`, or
  // `negative_max` after a leading '-' (0: no '-' allowed). kDone: the
  // line's LF was taken; kNeedMore: every byte up to `end` was taken;
  // kError: `*p` is the byte that breaks the rules.
  proto::ParseStatus read(const char** p, const char* end, uint64_t max, uint64_t negative_max) {
    for (const char* q = *p; q < end; ++q) {
      const char c = *q;
      if (cr_seen) {
        return stop(p, c == '\n' ? q + 1 : q,
                    c == '\n' ? proto::ParseStatus::kDone : proto::ParseStatus::kError);
      }
      if (proto::is_digit(c)) {
        if ((digits != 0 && value == 0) ||
            !proto::append_digit(value, static_cast<unsigned>(c - '0'),
                                 negative ? negative_max : max)) {
          return stop(p, q, proto::ParseStatus::kError);
        }
        ++digits;
      } else if (c == '\r' && digits != 0 && !(negative && value == 0)) {
        cr_seen = true;
      } else if (c == '-' && digits == 0 && !negative && negative_max != 0) {
        negative = true;
      } else {
        return stop(p, q, proto::ParseStatus::kError);
      }
    }
    return stop(p, end, proto::ParseStatus::kNeedMore);
  }

  uint64_t value = 0;     // the magnitude so far
  uint8_t digits = 0;     // digits read
  bool negative = false;  // a '-' came first
  bool cr_seen = false;   // the digits ended and their CR was taken

 private:
  static proto::ParseStatus stop(const char** p, const char* at, proto::ParseStatus status) {
    *p = at;
    return status;
  }
};

}  // namespace walnut::redis::resp
