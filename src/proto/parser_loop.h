// ParserCore::feed(): the loop that drives a parser's step() over one call's
// bytes. Only a parser's own .cc file includes this, after its step(), and
// instantiates ParserCore there (`template class walnut::proto::ParserCore<...>;`),
// so that the loop exists once per parser, with step() inlined into it.
#pragma once

#include <optional>

#include "proto/parser_core.h"

namespace walnut::proto {

template <typename Parser, typename StateEnum, typename Progress, typename Interface>
ParseResult ParserCore<Parser, StateEnum, Progress, Interface>::feed(const char* data,
                                                                     size_t len) {
  const char* const end = data + len;
  const char* p = data;
  for (;;) {
    // A finished or failed message takes nothing more until reset(): the
    // bytes belong to the next message, or to nobody. Past the first turn,
    // only a part reader's failure gets here, which leaves `p` on the
    // offending byte (done() and fail() end the call themselves).
    if (state_ == kDone || state_ == kError) {
      return {state_ == kDone ? ParseStatus::kDone : ParseStatus::kError,
              static_cast<size_t>(p - data)};
    }
    if (p == end) return need_more(data, end);
    if (StepResult ended = static_cast<Parser*>(this)->step(data, p, end)) return *ended;
  }
}

}  // namespace walnut::proto
