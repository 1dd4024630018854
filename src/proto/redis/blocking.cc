// Where a blocking command says how long it may block.
#include "proto/redis/blocking.h"

#include <charconv>
#include <cmath>
#include <string>

#include "proto/command.h"
#include "proto/redis/local_reply.h"

namespace walnut::redis {

using proto::Action;
using proto::Msg;

namespace {

std::string_view token(const Msg& msg, size_t i, std::string& scratch) {
  const proto::Span& t = msg.tokens[i];
  return msg.request.view(t.offset, t.len, scratch);
}

// Redis's block timeout: 0 for none, else how long (`unit_ms` per unit).
uint64_t block_ms_of(std::string_view text, double unit_ms) {
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || !(value >= 0)) return 0;
  if (value == 0) return Msg::kBlockForever;
  const double ms = std::ceil(value * unit_ms);
  return ms >= 1e15 ? Msg::kBlockForever : static_cast<uint64_t>(ms);
}

// XREAD [COUNT n] [BLOCK ms] STREAMS key... id...; XREADGROUP GROUP g c
// [COUNT n] [BLOCK ms] [NOACK] STREAMS key... id...
Action stream_read(Msg& msg, buffer::MbufPool& mbufs) {
  std::string scratch;
  const size_t argc = msg.tokens.size();
  size_t streams = 0;
  for (size_t i = 1; i < argc; ++i) {
    const std::string word = ascii_case(token(msg, i, scratch), false);
    if (word == "streams") {
      streams = i;
      break;
    }
    if (word == "block" && i + 1 < argc) {
      msg.block_ms = block_ms_of(token(msg, i + 1, scratch), 1);
    }
    // Every option but NOACK takes a value (GROUP two): skipping values
    // keeps a key named "streams" from being taken for the keyword.
    if (word == "group") {
      i += 2;
    } else if (word != "noack") {
      ++i;
    }
  }
  const size_t rest = streams == 0 ? 0 : argc - streams - 1;
  if (streams == 0 || rest == 0) {
    set_error(msg, "ERR syntax error", mbufs);
    return Action::kReply;
  }
  if (rest % 2 != 0) {
    set_error(msg,
              "ERR Unbalanced '" + std::string(msg.command->name) +
                  "' list of streams: for each stream key an ID or '$' must be specified.",
              mbufs);
    return Action::kReply;
  }
  msg.keys.clear();
  for (size_t i = streams + 1; i <= streams + rest / 2; ++i) msg.keys.push_back(msg.tokens[i]);
  return msg.block_ms == 0 ? Action::kForward : Action::kBlocking;
}

}  // namespace

Action blocking_request(Msg& msg, buffer::MbufPool& mbufs) {
  const std::string_view name = msg.command->name;
  if (name.starts_with("xread")) return stream_read(msg, mbufs);
  std::string scratch;
  // BLMPOP and BZMPOP give the timeout first; the others give it last.
  const size_t at = name.ends_with("mpop") ? 1 : msg.tokens.size() - 1;
  msg.block_ms = block_ms_of(token(msg, at, scratch), 1000);
  return Action::kBlocking;
}

}  // namespace walnut::redis
