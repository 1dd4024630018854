// ParserCore: the bookkeeping every parser's state machine shares: its
// state, how many bytes of the current message earlier feed() calls took,
// and the error once it failed; and the two ways a feed() call ends a
// message. `StateEnum` (`State` inside) is the parser's own enum, with kDone and kError;
// `Interface` is the base it implements (proto::RequestParser or
// proto::ResponseParser), which holds what the callers read (error(), and
// a request's tokens()), so that those are answered once for all parsers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "proto/parse.h"

namespace walnut::proto {

template <typename StateEnum, typename Interface>
class ParserCore : public Interface {
 public:
  using State = StateEnum;

  ParseResult feed(const char* data, size_t len) final {
    // A finished or failed message takes nothing more until reset(): the
    // bytes belong to the next message, or to nobody.
    if (finished()) return finished_result();
    return run(data, data + len);
  }

 protected:
  explicit ParserCore(State start) : state_(start) {}

  // The parser's own machine over this call's bytes [data, end), taken up
  // where the message stands; it ends with done(), fail(), stopped_at() or
  // need_more().
  virtual ParseResult run(const char* data, const char* end) = 0;

  // The message offset of `p`, a byte of this call's input.
  uint64_t offset(const char* data, const char* p) const {
    return pos_ + static_cast<uint64_t>(p - data);
  }

  // The message ended at `p`: the bytes of this call up to `p` are its.
  ParseResult done(const char* data, const char* p) {
    const size_t used = static_cast<size_t>(p - data);
    pos_ += used;
    state_ = State::kDone;
    return {ParseStatus::kDone, used};
  }

  // The message is malformed at `p`; nothing more is taken until reset().
  ParseResult fail(const char* data, const char* p, std::string_view why) {
    this->error_.assign(why);
    state_ = State::kError;
    return {ParseStatus::kError, static_cast<size_t>(p - data)};
  }

  bool finished() const { return state_ == State::kDone || state_ == State::kError; }
  ParseResult finished_result() const {
    return {state_ == State::kDone ? ParseStatus::kDone : ParseStatus::kError, 0};
  }

  // The outcome of a part reader's step (PayloadSkip::skip,
  // resp::NumberReader::read): true when the part ended. False when it goes
  // on past this call's bytes, or when it is malformed: then the parser has
  // failed with `why`, and the state machine's loop, finding kError, returns
  // stopped_at() the offending byte (a part reader leaves `p` on it, which
  // is always inside the input).
  bool part_ended(ParseStatus status, std::string_view why) {
    if (status == ParseStatus::kError) {
      this->error_.assign(why);
      state_ = State::kError;
    }
    return status == ParseStatus::kDone;
  }
  // What feed() returns when its loop finds the machine stopped at `p`: a
  // part reader failed there (done() returns at once, so kDone never gets
  // this far).
  ParseResult stopped_at(const char* data, const char* p) const {
    return {state_ == State::kDone ? ParseStatus::kDone : ParseStatus::kError,
            static_cast<size_t>(p - data)};
  }

  // Every byte of this call belongs to the message, which goes on.
  ParseResult need_more(const char* data, const char* end) {
    const auto len = static_cast<size_t>(end - data);
    pos_ += len;
    return {ParseStatus::kNeedMore, len};
  }

  // Back to the start of a message.
  void reset_core(State start) {
    state_ = start;
    pos_ = 0;
    this->error_.clear();
  }

  State state_;
  uint64_t pos_ = 0;  // message bytes consumed by earlier feed() calls
};

// Empties `v` for the next message. Its storage is kept, so that the steady
// state allocates nothing, unless it grew past `kept` elements: one huge
// message must not pin its peak to an idle connection forever. Storage
// given up is replaced by `fresh` elements' worth.
template <typename T>
void clear_keeping(std::vector<T>& v, size_t kept, size_t fresh = 0) {
  if (v.capacity() > kept) {
    std::vector<T>().swap(v);
    v.reserve(fresh);
  } else {
    v.clear();
  }
}

}  // namespace walnut::proto
