// The vocabulary shared by every protocol parser in walnut.
//
// Parsers are pure: bytes in, {status, consumed} out, with all state kept
// inside the parser object so that input may arrive one byte at a time and in
// any split. They never do I/O, never allocate per byte and never copy the
// bytes they read: positions are reported as offsets from the first byte of
// the current message, so that the proxy can point into its mbufs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace walnut::proto {

enum class ParseStatus : uint8_t {
  kNeedMore,  // every byte offered was consumed; the message is not complete
  kDone,      // a message ended; `consumed` counts up to its last byte only
  kError,     // malformed input; error() says what, in a few words
};

struct ParseResult {
  ParseStatus status;
  size_t consumed;  // bytes of this call's input that belong to the message
};

// A run of bytes inside one message, counted from the message's first byte.
struct Span {
  uint64_t offset;
  uint64_t len;
};

// What every parser answers, requests and replies alike.
class Parser {
 public:
  virtual ~Parser() = default;
  // Consumes bytes of at most one message (see ParseStatus). After kError
  // the parser stays in error until reset().
  virtual ParseResult feed(const char* data, size_t len) = 0;
  // Back to the start of a message, for the next one.
  virtual void reset() = 0;
  // After kError: what is wrong, in a few words.
  std::string_view error() const { return error_; }
  // Bytes of the current message certain to come next (the rest of a bulk
  // string or data block), so that the reader can read them into a buffer
  // of their size; 0 when the parser cannot tell.
  virtual uint64_t payload_left() const = 0;

 protected:
  std::string error_;
};

// Base of every request parser. After kDone, tokens() holds the message's
// tokens (for RESP: the command name then its arguments) until reset().
class RequestParser : public Parser {
 public:
  const std::vector<Span>& tokens() const { return tokens_; }
  // Hands the tokens over without a copy: swaps them with `into`, whose old
  // elements reset() drops. Both vectors keep their storage, so that
  // requests and the parser trade it rather than allocate.
  void take_tokens(std::vector<Span>& into) { into.swap(tokens_); }

 protected:
  std::vector<Span> tokens_;
};

// Base of every response parser.
class ResponseParser : public Parser {
 public:
  // After kDone: whether the backend answered with an error reply.
  virtual bool is_error_reply() const = 0;
};

}  // namespace walnut::proto
