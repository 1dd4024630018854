// How walnut carries each memcached request: find its row, check its shape
// and keys, answer it locally or list its keys for routing. Error texts are
// memcached's own where it has one.
#include "proto/memcache/memcache_protocol.h"

#include <string>

#include "proto/memcache/commands.h"
#include "proto/parse_chain.h"
#include "proto/text.h"

namespace walnut::memcache {

using proto::Action;
using proto::CommandKind;
using proto::Msg;

namespace {

void set_reply(Msg& msg, std::string_view line, bool error, buffer::MbufPool& pool) {
  proto::set_reply_line(msg, "", line, error, pool);
}

std::string_view token(const Msg& msg, size_t i, std::string& scratch) {
  const proto::Span& t = msg.tokens[i];
  return msg.request.view(t.offset, t.len, scratch);
}

// The meta quiet flag suppresses some replies, which a proxy that pairs
// replies with requests cannot know in advance.
bool has_quiet_flag(const Msg& msg) {
  std::string scratch;
  for (size_t i = 2; i < msg.tokens.size(); ++i) {
    if (token(msg, i, scratch) == "q") return true;
  }
  return false;
}

// Forwards the request without its last token ("noreply"), by slicing
// around it: the server then answers, which keeps replies paired.
void strip_last_token(Msg& msg) {
  const proto::Span& t = msg.tokens.back();
  buffer::MbufChain rebuilt;
  rebuilt.append(msg.request, 0, t.offset - 1);  // and the space before it
  rebuilt.append(msg.request, t.offset + t.len,
                 msg.request.size() - t.offset - t.len);
  msg.request = std::move(rebuilt);
  msg.tokens.pop_back();
}

}  // namespace

// Inlined into classify(): every request with a key comes here.
inline bool MemcacheProtocol::keys_ok(Msg& msg) const {
  const proto::CommandInfo& cmd = *msg.command;
  const size_t argc = msg.tokens.size();
  size_t last = cmd.last_key < 0 ? argc + cmd.last_key
                                 : static_cast<size_t>(cmd.last_key);
  msg.keys.clear();
  std::string scratch;
  for (size_t i = cmd.first_key; i <= last && i < argc; ++i) {
    const proto::Span& k = msg.tokens[i];
    if (k.len > request_limits_.max_key ||
        proto::has_control_byte(msg.request.view(k.offset, k.len, scratch))) {
      // Refused here: a server would answer, but an over-long key must never
      // reach it (and memcached's answer is this one).
      set_reply(msg, "CLIENT_ERROR bad command line format", true, mbufs());
      return false;
    }
    msg.keys.push_back(k);
  }
  return true;
}

Action MemcacheProtocol::classify(Msg& msg, proto::ClientSession&) const {
  if (msg.tokens.empty()) return Action::kDiscard;
  std::string scratch;
  const std::string_view name = token(msg, 0, scratch).substr(0, 64);
  const Command* cmd = find_command(name);
  if (cmd == nullptr) {
    set_reply(msg, "ERROR", true, mbufs());
    return Action::kReply;
  }
  if (cmd->info.kind == CommandKind::kUnsupported) {
    set_reply(msg, "CLIENT_ERROR unsupported command '" + std::string(name) + "'", true, mbufs());
    return Action::kReply;
  }
  msg.command = &cmd->info;
  const size_t argc = msg.tokens.size();
  if (argc < static_cast<size_t>(-cmd->info.arity) ||
      (cmd->max_tokens != 0 && argc > cmd->max_tokens)) {
    set_reply(msg, "ERROR", true, mbufs());
    return Action::kReply;
  }
  if (cmd->info.kind == CommandKind::kLocal) return classify_local(msg, name);
  if (cmd->meta && has_quiet_flag(msg)) {
    set_reply(msg, "CLIENT_ERROR the quiet flag (q) is not supported by walnut",
              true, mbufs());
    return Action::kReply;
  }
  if (!keys_ok(msg)) return Action::kReply;
  if (cmd->noreply && argc > static_cast<size_t>(-cmd->info.arity) &&
      token(msg, argc - 1, scratch) == "noreply") {
    msg.silent = true;
    strip_last_token(msg);
  }
  return cmd->info.kind == CommandKind::kMultiKey ? Action::kFragment
                                                  : Action::kForward;
}

// Commands walnut answers itself.
Action MemcacheProtocol::classify_local(Msg& msg, std::string_view name) const {
  if (name == "quit") return Action::kReplyClose;  // memcached just closes
  if (name == "stats") {
    // Plain "stats": walnut's own counters. "stats slabs", "items",
    // "settings"...: walnut keeps none of these (the servers do); an empty
    // list would say the cache is empty, so it answers what memcached
    // answers for a group it does not know.
    if (msg.tokens.size() == 1) return Action::kStats;
    set_reply(msg, "ERROR", true, mbufs());
    return Action::kReply;
  }
  // A number clients can parse (libmemcached wants a non-zero major
  // version): the memcached protocol walnut speaks, 1.6.10's meta commands
  // with HD replies included; walnut's own name and version follow it.
  set_reply(msg, name == "mn" ? "MN" : "VERSION 1.6.10 walnut-" PACKAGE_VERSION, false, mbufs());
  return Action::kReply;
}

void MemcacheProtocol::stats_reply(Msg& msg, const proto::StatLines& stats) const {
  std::string text;
  for (const auto& [name, value] : stats) text += "STAT " + name + " " + value + "\r\n";
  text += "END\r\n";
  msg.reply.clear();
  msg.reply.append_copy(mbufs(), text);
  msg.reply_is_error = false;
}

void MemcacheProtocol::build_fragment(const Msg& parent, const std::vector<uint32_t>& key_indexes,
                                      Msg& fragment) const {
  // Keys are at most 250 bytes: copying the short line is cheaper than
  // pointing at each key.
  std::string scratch;
  std::string line(token(parent, 0, scratch));
  for (int16_t t = 1; t < parent.command->first_key; ++t) {  // gat's exptime
    line += ' ';
    line += token(parent, static_cast<size_t>(t), scratch);
  }
  for (uint32_t k : key_indexes) {
    const proto::Span& key = parent.keys[k];
    line += ' ';
    line += parent.request.view(key.offset, key.len, scratch);
  }
  line += "\r\n";
  fragment.command = parent.command;
  fragment.request.append_copy(mbufs(), line);
}

void MemcacheProtocol::coalesce(Msg& parent) const {
  parent.reply.clear();
  parent.reply_is_error = false;
  for (const Msg* f : parent.fragments) {
    if (f->reply_is_error) {  // one failed part fails the whole reply
      parent.reply.append(f->reply, 0, f->reply.size());
      parent.reply_is_error = true;
      return;
    }
  }
  MergeScratch& m = merge_scratch_;
  m.items.clear();
  m.first.clear();
  for (const Msg* part : parent.fragments) {
    m.first.push_back(static_cast<uint32_t>(m.items.size()));
    if (!record_values(*part)) {
      set_reply(parent, "SERVER_ERROR unexpected reply from server to a split request",
                true, mbufs());
      return;
    }
  }
  m.first.push_back(static_cast<uint32_t>(m.items.size()));
  // memcached answers hits in request order and skips misses: walk each
  // part's values with a cursor, matching the client's keys in order.
  m.cursor.assign(m.first.begin(), m.first.end() - 1);
  for (size_t k = 0; k < parent.key_places.size(); ++k) {
    const uint32_t f = parent.key_places[k].fragment;
    if (m.cursor[f] >= m.first[f + 1]) continue;
    const ResponseParser::Value& v = m.items[m.cursor[f]];
    const buffer::MbufChain& reply = parent.fragments[f]->reply;
    const proto::Span& key = parent.keys[k];
    if (reply.view(v.key.offset, v.key.len, m.key_bytes) !=
        parent.request.view(key.offset, key.len, m.wanted_bytes)) {
      continue;  // a miss
    }
    parent.reply.append(reply, v.block.offset, v.block.len);
    ++m.cursor[f];
  }
  parent.reply.append_copy(mbufs(), "END\r\n");
}

// Appends a part's VALUE blocks to the scratch list, found by parsing its
// reply again; only split requests pay for this.
bool MemcacheProtocol::record_values(const Msg& part) const {
  ResponseParser& parser = merge_scratch_.parser;
  parser.reset();
  parser.set_record_values(true);
  if (proto::parse_chain(parser, part.reply).status != proto::ParseStatus::kDone) return false;
  merge_scratch_.items.insert(merge_scratch_.items.end(), parser.values().begin(),
                               parser.values().end());
  return true;
}

}  // namespace walnut::memcache
