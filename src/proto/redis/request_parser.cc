// RESP request parser. A byte-driven state machine that never buffers: it
// remembers only where it is (a count, a length, how many payload bytes are
// left) so that a request may arrive in any number of pieces, and it skips
// bulk payloads by count, so a large value costs one step per chunk, not one
// per byte. It must never copy request bytes or allocate per byte; the token
// vector keeps its capacity from one message to the next.
//
// Strictness follows Redis (networking.c): counts and lengths are what
// string2ll accepts (optional '-' on counts only, no '+', no leading zeros,
// no "-0"), and the error strings are Redis's own, minus "Protocol error: ".
// Unlike Redis, the CRLF after a bulk payload is checked rather than skipped:
// a client that gets it wrong would otherwise desynchronise the backend.
#include "proto/redis/request_parser.h"

#include <algorithm>
#include <cstring>

#include "proto/parse_errors.h"
#include "proto/parser_loop.h"

namespace walnut::redis {

namespace {

constexpr std::string_view kBadCount = "invalid multibulk length";
constexpr std::string_view kTooBigInline = "too big inline request";

// Magnitude of the most negative count string2ll accepts (-2^63). Negative
// counts mean "no command" but must still be valid numbers.
constexpr uint64_t kMaxNegativeCount = 1ull << 63;

// Token capacity kept across reset(): enough for every ordinary command, so
// that the steady state allocates nothing, while one huge MSET does not pin
// megabytes to an idle client forever.
constexpr size_t kKeptTokens = 4096;

// Redis splits inline commands with isspace(): LF ends the line, the rest
// separate tokens. Splitting on exactly the same bytes keeps the keys the
// proxy hashes identical to the ones the backend sees.
inline bool is_inline_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

}  // namespace

void RequestParser::clear_vectors() { proto::clear_keeping(tokens_, kKeptTokens); }

// A multibulk of `count` arguments: each opens with '$'.
inline void RequestParser::expect_args(uint64_t count) {
  args_left_ = count;
  if (tokens_.capacity() < count) {
    tokens_.reserve(static_cast<size_t>(std::min<uint64_t>(count, kKeptTokens)));
  }
  state_ = State::kDollar;
}

RequestParser::StepResult RequestParser::step(const char* data, const char*& p,
                                              const char* end) {
  switch (state_) {
    case State::kStart: {
      if (*p != '*') {
        inline_ = true;
        state_ = State::kInline;
        return feed_inline(data, p, end);
      }
      ++p;
      // The usual case: the whole count line is here; take it in one step,
      // then the arguments that follow it, in the same step.
      uint64_t count = 0;
      const char* after = resp::scan_number_line(p, end, limits_.max_args, &count);
      if (after == nullptr) {
        state_ = State::kCount;
        break;
      }
      p = after;
      if (count == 0) return done(data, p);  // "*0": nothing to do
      expect_args(count);
      if (p == end) break;
      [[fallthrough]];
    }

    case State::kDollar:
      // The usual case: whole arguments are here; take them in one step
      // each, without going back to feed()'s loop between them.
      for (;;) {
        if (*p != '$') return fail(data, p, proto::byte_error("expected '$', got", *p));
        uint64_t n = 0;
        const char* const payload = resp::scan_number_line(p + 1, end, limits_.max_bulk, &n);
        if (payload == nullptr) break;
        if (too_large(offset(data, payload) + n + 2)) {
          return fail(data, payload, proto::kRequestTooLarge);  // where the slow path stops too
        }
        const auto avail = static_cast<uint64_t>(end - payload);
        if (avail < 2 || avail - 2 < n || payload[n] != '\r' || payload[n + 1] != '\n') break;
        tokens_.push_back({offset(data, payload), n});
        p = payload + n + 2;
        if (--args_left_ == 0) return done(data, p);
        if (p == end) return std::nullopt;
      }
      // Cut, or odd: the byte-at-a-time path reads it and judges it.
      ++p;
      number_ = {};
      state_ = State::kBulkLen;
      break;

    case State::kCount:
      if (!part_ended(number_.read(&p, end, limits_.max_args, kMaxNegativeCount), kBadCount)) {
        break;
      }
      // Redis skips "*0" and "*-n" without a reply; so does the caller,
      // seeing zero tokens.
      if (number_.negative || number_.value == 0) return done(data, p);
      expect_args(number_.value);
      break;

    case State::kBulkLen:
      // No '-' here: a request's arguments are never nil.
      if (!part_ended(number_.read(&p, end, limits_.max_bulk, 0), proto::kBadBulkLength)) {
        break;
      }
      if (too_large(offset(data, p) + number_.value + 2)) {
        return fail(data, p, proto::kRequestTooLarge);
      }
      tokens_.push_back({offset(data, p), number_.value});
      payload_.start(number_.value);
      state_ = State::kPayload;
      break;

    case State::kPayload:
      if (!part_ended(payload_.skip(&p, end), proto::kBadPayloadEnd)) break;
      if (--args_left_ == 0) return done(data, p);
      state_ = State::kDollar;
      break;

    case State::kInline:
      return feed_inline(data, p, end);
  }
  return std::nullopt;
}

// The inline line starts at the message's first byte, so pos_ (plus what this
// call has scanned) is also the line's length so far.
proto::ParseResult RequestParser::feed_inline(const char* data, const char* p,
                                       const char* end) {
  const auto* nl = static_cast<const char*>(
      std::memchr(p, '\n', static_cast<size_t>(end - p)));
  const char* const stop = nl ? nl : end;
  const uint64_t line_so_far = offset(data, p);
  const auto seg = static_cast<uint64_t>(stop - p);
  if (line_so_far + seg > limits_.max_inline) {
    // Report the first byte past the limit, wherever the chunk boundaries
    // fell, so that the outcome does not depend on how the bytes arrived.
    return fail(data, p + (limits_.max_inline - line_so_far), kTooBigInline);
  }
  for (; p < stop; ++p) {
    if (is_inline_space(*p)) {
      if (in_token_) {
        tokens_.push_back({token_start_, offset(data, p) - token_start_});
        in_token_ = false;
      }
    } else if (!in_token_) {
      token_start_ = offset(data, p);
      in_token_ = true;
    }
  }
  if (nl == nullptr) return need_more(data, end);
  if (in_token_) {
    tokens_.push_back({token_start_, offset(data, nl) - token_start_});
    in_token_ = false;
  }
  return done(data, nl + 1);
}

}  // namespace walnut::redis

// The one copy of feed()'s loop, with step() in it (see proto/parser_loop.h).
template class walnut::proto::ParserCore<
    walnut::redis::RequestParser, walnut::redis::RequestState,
    walnut::redis::RequestProgress, walnut::proto::RequestParser>;
