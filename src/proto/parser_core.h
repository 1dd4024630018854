// ParserCore: what every parser's state machine shares: the loop that
// drives it over a feed() call's bytes, its state, how many bytes of the
// current message earlier feed() calls took, the error once it failed, the
// two ways a message ends, and reset().
//
// `Parser` is the parser itself (CRTP: the loop calls its step() directly,
// so that a feed() costs one virtual call, the caller's). `StateEnum`
// (`State` inside) is its enum, over uint8_t, of the states inside a
// message, the first where every message starts; ParserCore adds the two
// where a message ends (kDone, kError). `Progress` is the parser's struct of
// where it is inside the current message, back to its initial values on
// reset(). `Interface` is the base it implements (proto::RequestParser or
// proto::ResponseParser), which holds what the callers read (error(), and a
// request's tokens()), so that those are answered once for all parsers.
//
// The parser provides, private, with `friend ParserCore`:
//   StepResult step(const char* data, const char*& p, const char* end);
//     One move of its machine from `p` by its state, `p` inside this call's
//     bytes [data, end): moves `p` past what it took, and returns how the
//     call ends if it does (done(), fail() or need_more()).
//   void clear_vectors();
//     Empties its per-message vectors for reset() (see clear_keeping()).
// feed() is in proto/parser_loop.h, which only the parsers' own .cc files
// include, each instantiating ParserCore there: so step() is inlined into
// the one copy of the loop (step() is always_inline for that: it is too
// large for the inliner to take on its own).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "proto/parse.h"

namespace walnut::proto {

template <typename Parser, typename StateEnum, typename Progress, typename Interface>
class ParserCore : public Interface, protected Progress {
 public:
  using State = StateEnum;
  // What the parser's step() returns: how this feed() call ends, if it does.
  using StepResult = std::optional<ParseResult>;

  ParseResult feed(const char* data, size_t len) final;

  // Every parser skips its payloads (bulk strings, data blocks) with a
  // PayloadSkip named payload_ in its Progress.
  uint64_t payload_left() const final { return this->payload_.remaining(); }

  void reset() final {
    state_ = kStart;
    pos_ = 0;
    this->error_.clear();
    static_cast<Progress&>(*this) = {};
    static_cast<Parser*>(this)->clear_vectors();
  }

 protected:
  // Where every message starts: the parser's first state.
  static constexpr State kStart = State{};
  // Where a message ends: values past any state the parser's enum names, so
  // that its step() switches over its own states only.
  static_assert(std::is_same_v<std::underlying_type_t<State>, uint8_t>);
  static constexpr State kDone = State{0xfe};
  static constexpr State kError = State{0xff};

  // The message offset of `p`, a byte of this call's input.
  uint64_t offset(const char* data, const char* p) const {
    return pos_ + static_cast<uint64_t>(p - data);
  }

  // The message ended at `p`: the bytes of this call up to `p` are its.
  ParseResult done(const char* data, const char* p) {
    const size_t used = static_cast<size_t>(p - data);
    pos_ += used;
    state_ = kDone;
    return {ParseStatus::kDone, used};
  }

  // The message is malformed at `p`; nothing more is taken until reset().
  ParseResult fail(const char* data, const char* p, std::string_view why) {
    this->error_.assign(why);
    state_ = kError;
    return {ParseStatus::kError, static_cast<size_t>(p - data)};
  }

  // Every byte of this call belongs to the message, which goes on.
  ParseResult need_more(const char* data, const char* end) {
    const auto len = static_cast<size_t>(end - data);
    pos_ += len;
    return {ParseStatus::kNeedMore, len};
  }

  // The outcome of a part reader's step (PayloadSkip::skip,
  // resp::NumberReader::read): true when the part ended. False when it goes
  // on past this call's bytes, or when it is malformed: then the parser has
  // failed with `why`, and feed()'s loop, finding kError, stops at the
  // offending byte (a part reader leaves `p` on it, which is always inside
  // the input).
  bool part_ended(ParseStatus status, std::string_view why) {
    if (status == ParseStatus::kError) {
      this->error_.assign(why);
      state_ = kError;
    }
    return status == ParseStatus::kDone;
  }

  State state_ = kStart;
  uint64_t pos_ = 0;  // message bytes consumed by earlier feed() calls
};

// Empties `v` for the next message. Its storage is kept, so that the steady
// state allocates nothing, unless it grew past `kept` elements: one huge
// message must not pin its peak to an idle connection forever. Storage
// given up is replaced by `fresh` elements' worth.
template <typename T>
[[gnu::noinline]] void replace_storage(std::vector<T>& v, size_t fresh) {
  std::vector<T>().swap(v);
  v.reserve(fresh);
}
template <typename T>
inline void clear_keeping(std::vector<T>& v, size_t kept, size_t fresh = 0) {
  if (v.capacity() > kept) {
    replace_storage(v, fresh);  // rare: out of line, so that the usual clear is inlined
  } else {
    v.clear();
  }
}

}  // namespace walnut::proto
