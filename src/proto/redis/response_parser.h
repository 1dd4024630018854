// RESP2 response parser: simple strings, errors, integers, bulk strings (and
// nil bulk), arrays (and nil arrays) nested to a configurable depth.
// Resumable at any byte. When asked, it records the span of every top-level
// array element so that a fragmented reply (MGET) can be put back together
// without copying.
#pragma once

#include <cstdint>
#include <string>

#include "proto/parse.h"
#include "proto/parser_core.h"
#include "proto/payload_skip.h"
#include "proto/redis/resp_text.h"

namespace walnut::redis {

struct ResponseLimits {
  uint32_t max_depth = 1024;                 // nesting of arrays
  uint64_t max_bulk = 512ull * 1024 * 1024;  // one bulk string's length
  uint64_t max_elements = 1ull << 32;        // one array's element count
};

// The states of ResponseParser's machine inside a reply (ParserCore needs
// them before the class, and adds where a reply ends).
enum class ResponseState : uint8_t {
  kType,       // type byte of the next value
  kLine,       // text of a '+' or '-' line
  kLineLf,     // LF after that line's CR
  kNumber,     // the rest of a number line after ':', '$' or '*' (kind_ says which)
  kPayload,    // bulk bytes and their CRLF
};

// Where ResponseParser is inside the current reply: every field goes back
// to its initial value on reset(), in one assignment.
struct ResponseProgress {
  char type_ = 0;
  int64_t array_count_ = 0;
  char kind_ = 0;               // type byte owning the number being read
  resp::NumberReader number_;   // that number
  uint64_t number_max_ = 0;     // largest magnitude allowed for it (no '-')
  proto::PayloadSkip payload_;  // the bulk string being skipped
  uint64_t line_len_ = 0;       // '+'/'-' line bytes seen so far
  uint64_t element_start_ = 0;  // offset of the open top-level element
};

class ResponseParser final
    : public proto::ParserCore<ResponseParser, ResponseState, ResponseProgress,
                               proto::ResponseParser> {
 public:
  explicit ResponseParser(const ResponseLimits& limits = {});

  bool is_error_reply() const override { return type_ == '-'; }

  // After kDone: the first byte of the reply ('+', '-', ':', '$', '*').
  char type() const { return type_; }
  // After kDone for '*': the element count, -1 for a nil array.
  int64_t array_count() const { return array_count_; }
  // When enabled (before feeding a message), top-level array elements are
  // recorded as spans relative to the message start.
  void set_record_elements(bool on) { record_elements_ = on; }
  const std::vector<proto::Span>& elements() const { return elements_; }

 private:
  friend ParserCore;
  [[gnu::always_inline]] inline StepResult step(const char* data, const char*& p, const char* end);
  void clear_vectors();

  bool skip_whole_bulks(const char* data, const char*& p, const char* end);
  const char* whole_bulk(const char* p, const char* end) const;
  bool number_done(uint64_t end_offset);
  bool value_done(uint64_t end_offset);
  std::string_view number_error() const;

  ResponseLimits limits_;
  bool record_elements_ = false;
  std::vector<proto::Span> elements_;
  // Elements still expected by each open array, innermost last. Replaces
  // recursion; reserved once so that nesting costs no allocation.
  std::vector<uint64_t> stack_;
};

}  // namespace walnut::redis
