// RESP's number lines, read in one go when the whole line is at hand: the
// fast path of both RESP parsers (proto/text.h has the pieces every parser
// shares).
#pragma once

#include <cstdint>

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

}  // namespace walnut::redis::resp
