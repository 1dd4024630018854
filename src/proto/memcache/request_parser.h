// memcached ASCII request parser: a command line of space-separated tokens
// and, for the storage commands (set, add, replace, append, prepend, cas,
// and the meta command ms), a data block of the length the line announces,
// followed by CRLF. Resumable at any byte; reports spans relative to the
// message start (see proto/parse.h) and never copies.
#pragma once

#include <cstdint>
#include <string>

#include "proto/parse.h"
#include "proto/parser_core.h"
#include "proto/payload_skip.h"

namespace walnut::memcache {

struct RequestLimits {
  uint32_t max_key = 250;                   // one key's length
  uint64_t max_value = 1024ull * 1024 * 1024;  // one data block's length
  uint32_t max_line = 1024 * 1024;          // a command line (get k1 k2 ...)
  uint32_t max_tokens = 64 * 1024;          // tokens on one line
  uint64_t max_request = UINT64_MAX;        // a whole request's bytes
};

// The states of RequestParser's machine inside a message (ParserCore needs
// them before the class, and adds where a message ends).
enum class RequestState : uint8_t {
  kLine,    // the command line, up to its LF
  kData,    // the data block and its CRLF
};

// How a token of a storage command's line must read.
enum class StorageField : uint8_t { kAny, kUnsigned, kSigned, kLength };
// The shape of a storage command's line (the table is in the .cc file).
struct StorageLayout;

// Where RequestParser is inside the current message: every field goes back
// to its initial value on reset(), in one assignment.
struct RequestProgress {
  bool has_value_ = false;
  proto::Span value_{0, 0};
  const StorageLayout* layout_ = nullptr;   // the storage command's shape; null: line only
  StorageField field_ = StorageField::kAny;  // rule for the open token
  bool named_ = false;              // the command name has been read
  bool in_token_ = false;
  bool cr_pending_ = false;         // the last line byte was a CR, not yet judged
  bool negative_ = false;           // the open number token began with '-'
  bool has_digits_ = false;         // the open number token has a digit
  uint8_t name_len_ = 0;            // command name bytes seen, capped past name_
  char name_[8] = {};               // the command name's first bytes
  uint64_t number_ = 0;             // the open number token's magnitude so far
  uint64_t number_max_ = 0;         // the largest magnitude it may reach
  uint64_t length_ = 0;             // the data length the line announced
  proto::PayloadSkip payload_;      // the data block being skipped
  uint64_t token_start_ = 0;        // offset of the open token
  uint64_t cr_at_ = 0;              // offset of the pending CR
  std::string_view why_;            // what the line helpers refused
};

class RequestParser final
    : public proto::ParserCore<RequestParser, RequestState, RequestProgress, proto::RequestParser> {
 public:
  explicit RequestParser(const RequestLimits& limits = {});

  // feed(): kDone with consumed = bytes up to and including the final LF of the
  // message (the data block's CRLF for storage commands). After kError,
  // error() says what is wrong in memcached's words where it has them (e.g.
  // "bad data chunk", "line too long", "bad command line format");
  // consumed is the offset of the offending byte. After kDone, tokens() are
  // the command line's (the command name first); the line may end in "\r\n"
  // or "\n".

  // After kDone: whether the message carried a data block, and its span
  // (without the trailing CRLF).
  bool has_value() const { return has_value_; }
  proto::Span value() const { return value_; }

 private:
  friend ParserCore;
  [[gnu::always_inline]] inline StepResult step(const char* data, const char*& p, const char* end);
  void clear_vectors();

  bool line_byte(char c, uint64_t at);
  bool token_byte(char c, uint64_t at);
  bool open_token(uint64_t at);
  bool number_byte(char c);
  bool end_token(uint64_t at);
  bool line_end(uint64_t at);
  [[gnu::always_inline]] inline bool whole_line(const char* line, const char* lf);
  [[gnu::always_inline]] inline bool storage_fields(const char* line, const char* p,
                                                    const char* text_end);
  [[gnu::always_inline]] inline bool plain_words(const char* line, const char* p,
                                                 const char* text_end);
  bool fields_by_layout(const char* line, const char* p, const char* text_end);

  RequestLimits limits_;
};

}  // namespace walnut::memcache
