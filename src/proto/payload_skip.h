// PayloadSkip: a payload of known length, then the CRLF that must follow it:
// RESP's bulk strings and memcached's data blocks, in requests and replies
// alike. It skips by count (a large value costs one step per chunk, not one
// per byte), checks the CRLF in place when all of it is at hand, and
// remembers where it is when the input stops anywhere, a byte at a time
// included. The CRLF is checked, not skipped: a peer that gets it wrong
// would otherwise put the connection out of step.
#pragma once

#include <algorithm>
#include <cstdint>

#include "proto/parse.h"

namespace walnut::proto {

class PayloadSkip {
 public:
  // Payload bytes still to come (0 once it ended, and before one starts).
  uint64_t remaining() const { return remaining_; }

  // The next payload is `bytes` long.
  void start(uint64_t bytes) {
    remaining_ = bytes;
    cr_seen_ = false;
  }

  // Advances `*p`, never past `end`. kDone: the CRLF was taken and `*p` is
  // the byte after it. kNeedMore: every byte up to `end` was taken. kError:
  // `*p` is the byte that should have been CR or LF.
  ParseStatus skip(const char** p, const char* end) {
    const char* q = *p;
    if (!cr_seen_) {
      const auto avail = static_cast<uint64_t>(end - q);
      if (avail >= 2 && avail - 2 >= remaining_) {
        // The usual case: payload and CRLF are all here.
        q += remaining_;
        remaining_ = 0;
        if (q[0] != '\r') return stop(p, q, ParseStatus::kError);
        if (q[1] != '\n') return stop(p, q + 1, ParseStatus::kError);
        return stop(p, q + 2, ParseStatus::kDone);
      }
      const uint64_t take = std::min(avail, remaining_);
      q += take;
      remaining_ -= take;
      if (remaining_ > 0 || q == end) return stop(p, q, ParseStatus::kNeedMore);
      if (*q != '\r') return stop(p, q, ParseStatus::kError);
      ++q;
      cr_seen_ = true;
    }
    if (q == end) return stop(p, q, ParseStatus::kNeedMore);
    if (*q != '\n') return stop(p, q, ParseStatus::kError);
    cr_seen_ = false;
    return stop(p, q + 1, ParseStatus::kDone);
  }

 private:
  static ParseStatus stop(const char** p, const char* at, ParseStatus status) {
    *p = at;
    return status;
  }

  uint64_t remaining_ = 0;  // payload bytes still to skip
  bool cr_seen_ = false;    // the payload ended and its CR was taken
};

}  // namespace walnut::proto
