// ParserCore: the bookkeeping every parser's state machine shares: its
// state, how many bytes of the current message earlier feed() calls took,
// and the error once it failed; and the two ways a feed() call ends a
// message. `State` is the parser's own enum, with kDone and kError.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "proto/parse.h"

namespace walnut::proto {

template <typename State>
class ParserCore {
 protected:
  explicit ParserCore(State start) : state_(start) {}

  // The message ended at `p`: the bytes of this call up to `p` are its.
  ParseResult done(const char* data, const char* p) {
    const size_t used = static_cast<size_t>(p - data);
    pos_ += used;
    state_ = State::kDone;
    return {ParseStatus::kDone, used};
  }

  // The message is malformed at `p`; nothing more is taken until reset().
  ParseResult fail(const char* data, const char* p, std::string_view why) {
    error_.assign(why);
    state_ = State::kError;
    return {ParseStatus::kError, static_cast<size_t>(p - data)};
  }

  // A finished or failed message takes nothing more until reset(): the
  // bytes belong to the next message, or to nobody.
  bool finished() const { return state_ == State::kDone || state_ == State::kError; }
  ParseResult finished_result() const {
    return {state_ == State::kDone ? ParseStatus::kDone : ParseStatus::kError, 0};
  }

  // Every byte of this call belongs to the message, which goes on.
  ParseResult need_more(size_t len) {
    pos_ += len;
    return {ParseStatus::kNeedMore, len};
  }

  // Back to the start of a message.
  void reset_core(State start) {
    state_ = start;
    pos_ = 0;
    error_.clear();
  }

  State state_;
  uint64_t pos_ = 0;  // message bytes consumed by earlier feed() calls
  std::string error_;
};

}  // namespace walnut::proto
