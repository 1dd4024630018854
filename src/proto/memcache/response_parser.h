// memcached ASCII response parser. Self-framing, without knowing the
// request: a reply that starts with "VALUE" is a run of value blocks ended by
// "END"; "VA <size> ..." (meta) carries one data block; anything else is one
// line ("STORED", "END", "HD ...", "SERVER_ERROR ...", "123", ...).
// Resumable at any byte; never copies.
#pragma once

#include <cstdint>
#include <string>

#include "proto/parse.h"
#include "proto/parser_core.h"
#include "proto/payload_skip.h"

namespace walnut::memcache {

struct ResponseLimits {
  uint64_t max_value = 1024ull * 1024 * 1024;
  uint32_t max_line = 64 * 1024;
};

// The states of ResponseParser's machine inside a reply (ParserCore needs
// them before the class, and adds where a reply ends).
enum class ResponseState : uint8_t {
  kLine,    // a line's text, up to its CR
  kLineLf,  // LF after that CR
  kData,    // the data block and its CRLF
};

// What the current line's first word makes of it.
enum class ReplyLine : uint8_t {
  kUnknown,  // first word not finished yet
  kValue,    // "VALUE <key> <flags> <bytes> [<cas>]"
  kVa,       // "VA <size> <flags>*"
  kText,     // any other line: read to its end and nothing more
};
// How a token of a VALUE or VA line must read.
enum class ReplyField : uint8_t { kAny, kKey, kNumber, kLength };

// Where ResponseParser is inside the current line: every field goes back
// to its initial value when a line starts, in one assignment.
struct LineProgress {
  ReplyLine line_ = ReplyLine::kUnknown;
  ReplyField field_ = ReplyField::kAny;  // rule for the open token
  bool in_token_ = false;
  uint8_t tokens_ = 0;          // tokens opened on this line (capped)
  uint64_t number_ = 0;         // the open number token's value so far
  uint64_t length_ = 0;         // the data length the line announced
  uint64_t line_len_ = 0;       // text bytes of the line so far
  uint64_t line_start_ = 0;     // offset of the line's first byte
  uint64_t token_start_ = 0;    // offset of the open token
  proto::Span key_{0, 0};       // the key of the VALUE line being read
};

// ... and inside the current reply: all of it back to its initial value on
// reset(), in one assignment.
struct ResponseProgress : LineProgress {
  bool is_error_ = false;
  bool in_run_ = false;         // inside a run of VALUE blocks
  proto::PayloadSkip payload_;  // the data block being skipped
  std::string_view why_;        // what line_byte() and friends refused
};

class ResponseParser final
    : public proto::ParserCore<ResponseParser, ResponseState, ResponseProgress,
                               proto::ResponseParser> {
 public:
  explicit ResponseParser(const ResponseLimits& limits = {});

  // After kDone: "ERROR", "CLIENT_ERROR ..." or "SERVER_ERROR ...".
  bool is_error_reply() const override { return is_error_; }

  // A VALUE block of a retrieval reply: the whole block ("VALUE k 0 1\r\nv\r\n")
  // and the key inside it.
  struct Value {
    proto::Span block;
    proto::Span key;
  };
  // When enabled (before feeding a message), the VALUE blocks of a retrieval
  // reply are recorded; the final "END\r\n" is not a block.
  void set_record_values(bool on) { record_values_ = on; }
  const std::vector<Value>& values() const { return values_; }

 private:
  friend ParserCore;
  [[gnu::always_inline]] inline StepResult step(const char* data, const char*& p, const char* end);
  void clear_vectors();

  bool line_byte(char c, uint64_t at);
  bool word_ended();
  bool line_ended();
  void start_line(uint64_t at);
  void note_head(const char* p, size_t n);
  bool head_is(std::string_view word) const;
  bool line_finished();
  bool known_reply_line() const;
  bool block_ended(uint64_t at);
  bool whole_line(const char* line, const char* cr);
  [[gnu::always_inline]] inline bool plain_value_line(const char* line, const char* cr, uint64_t at);
  [[gnu::always_inline]] inline void whole_block(const char* data, const char*& p, const char* end);

  ResponseLimits limits_;
  bool record_values_ = false;
  std::vector<Value> values_;
  // The line's first bytes (any reply word and its space), valid up to
  // line_len_: written as they come, never cleared.
  char head_[24] = {};
};

}  // namespace walnut::memcache
