// RESP request parser: arrays of bulk strings ("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n")
// and inline commands ("GET k\r\n"). Resumable at any byte; reports argument
// positions as spans relative to the message start (see proto/parse.h).
#pragma once

#include <cstdint>
#include <string>

#include "proto/parse.h"
#include "proto/parser_core.h"
#include "proto/payload_skip.h"
#include "proto/redis/resp_text.h"

namespace walnut::redis {

struct RequestLimits {
  uint32_t max_args = 1024 * 1024;           // array element count
  uint64_t max_bulk = 512ull * 1024 * 1024;  // one bulk string's length
  uint32_t max_inline = 64 * 1024;           // one inline command line
  uint64_t max_request = UINT64_MAX;         // a whole request's bytes
};

// The states of RequestParser's machine inside a message (ParserCore needs
// them before the class, and adds where a message ends).
enum class RequestState : uint8_t {
  kStart,       // first byte decides: '*' multibulk, anything else inline
  kCount,       // the rest of "*<count>\r\n"
  kDollar,      // '$' opening the next argument
  kBulkLen,     // the rest of "$<len>\r\n"
  kPayload,     // argument bytes and their CRLF
  kInline,      // inside an inline line
};

// Where RequestParser is inside the current message: every field goes back
// to its initial value on reset(), in one assignment.
struct RequestProgress {
  bool inline_ = false;
  bool in_token_ = false;        // inline: inside a token
  resp::NumberReader number_;    // the count or length being read
  uint64_t args_left_ = 0;       // bulk strings still expected
  proto::PayloadSkip payload_;   // the argument being skipped
  uint64_t token_start_ = 0;     // inline: offset of the open token
};

class RequestParser final
    : public proto::ParserCore<RequestParser, RequestState, RequestProgress, proto::RequestParser> {
 public:
  // Token space is reserved by the first request's argument count, not here:
  // an idle connection should cost as little as possible.
  explicit RequestParser(const RequestLimits& limits = {}) : limits_(limits) {}

  // feed(): kDone with consumed == bytes up to and including the final CRLF of the
  // message. An empty inline line ("\r\n" or "\n") is a complete message
  // with zero tokens, which the caller discards.

  bool is_inline() const { return inline_; }

 private:
  friend ParserCore;
  [[gnu::always_inline]] inline StepResult step(const char* data, const char*& p, const char* end);
  void clear_vectors();

  void expect_args(uint64_t count);
  proto::ParseResult feed_inline(const char* data, const char* p,
                                 const char* end);
  // True when a request whose bytes run to `end_offset` (counted from its
  // first byte) is larger than max_request: refused as soon as a length
  // says so, before its bytes are buffered.
  bool too_large(uint64_t end_offset) const { return end_offset > limits_.max_request; }

  RequestLimits limits_;
};

}  // namespace walnut::redis
