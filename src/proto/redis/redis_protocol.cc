// How walnut carries each Redis request: find its row in the command table,
// check its arity, answer it locally or list its keys for routing. Error
// texts follow Redis's own where Redis has one, so that clients that match on
// them keep working.
#include "proto/redis/redis_protocol.h"

#include "proto/redis/resp_command.h"

#include <string>

#include "proto/command.h"
#include "proto/redis/blocking.h"
#include "proto/redis/commands.h"
#include "proto/redis/connection_commands.h"
#include "proto/redis/info_reply.h"
#include "proto/redis/local_reply.h"
#include "proto/redis/resp_command.h"

namespace walnut::redis {

using proto::Action;
using proto::CommandKind;
using proto::Msg;

namespace {

// A client's command name in an error: lower case, at most 64 bytes.
std::string lower(std::string_view s) { return ascii_case(s.substr(0, 64), false); }

void set_bulk(Msg& msg, const proto::Span& token, buffer::MbufPool& pool) {
  std::string header = "$" + std::to_string(token.len) + "\r\n";
  msg.reply.append_copy(pool, header);
  msg.reply.append(msg.request, token.offset, token.len);
  msg.reply.append_copy(pool, "\r\n");
}

bool has_quoted_inline_token(const Msg& msg) {
  std::string scratch;
  if (msg.request.view(0, 1, scratch) == "*") return false;  // RESP array
  for (const proto::Span& t : msg.tokens) {
    if (t.len == 0) continue;
    std::string_view c = msg.request.view(t.offset, 1, scratch);
    if (c == "\"" || c == "'") return true;
  }
  return false;
}

bool arity_ok(const proto::CommandInfo& cmd, size_t argc) {
  if (cmd.arity >= 0) return argc == static_cast<size_t>(cmd.arity);
  if (argc < static_cast<size_t>(-cmd.arity)) return false;
  // Key/value commands (MSET) need whole pairs after the name.
  if (cmd.key_step > 1 && cmd.numkeys_at == 0 && cmd.last_key < 0) {
    return (argc - static_cast<size_t>(cmd.first_key)) % cmd.key_step == 0;
  }
  return true;
}

}  // namespace

std::vector<std::string> handshake_for(const PoolOptions& options) {
  // AUTH before SELECT: a password-protected server refuses SELECT until
  // authenticated (nutcracker sends them the other way round and so writes
  // to db 0 when both are set).
  std::vector<std::string> out;
  if (!options.auth.empty()) {
    out.push_back(options.user.empty() ? resp_command({"AUTH", options.auth})
                                       : resp_command({"AUTH", options.user, options.auth}));
  }
  if (options.db != 0) out.push_back(resp_command({"SELECT", std::to_string(options.db)}));
  return out;
}

RedisProtocol::RedisProtocol(buffer::MbufPool& mbufs, const PoolOptions& options,
                             const RequestLimits& request_limits,
                             const ResponseLimits& response_limits)
    : ProtocolWithParsers(mbufs,
                          {.error = "-ERR ",
                           .protocol_error = "-ERR Protocol error: ",
                           .health_check = "*1\r\n$4\r\nPING\r\n",
                           .handshake = handshake_for(options),
                           .transaction = {
                               .multi = "*1\r\n$5\r\nMULTI\r\n",
                               .discard = "*1\r\n$7\r\nDISCARD\r\n",
                               .unwatch = "*1\r\n$7\r\nUNWATCH\r\n",
                               .ok = "+OK\r\n",
                               .queued = "+QUEUED\r\n",
                               .nested = "-ERR MULTI calls can not be nested\r\n",
                               .exec_without_multi = "-ERR EXEC without MULTI\r\n",
                               .discard_without_multi = "-ERR DISCARD without MULTI\r\n",
                               .exec_abort =
                                   "-EXECABORT Transaction discarded because of previous "
                                   "errors.\r\n",
                               .watch_in_multi = "-ERR WATCH inside MULTI is not allowed\r\n",
                           }},
                          request_limits, response_limits),
      options_(options),
      merge_scratch_(response_limits) {}

Action RedisProtocol::classify(Msg& msg, proto::ClientSession& session) const {
  if (msg.tokens.empty()) return Action::kDiscard;
  if (has_quoted_inline_token(msg)) {
    // Redis unquotes "a b" in an inline command; walnut's spans cannot, and
    // a quoted key would be routed by the wrong bytes.
    set_error(msg,
              "ERR quoted arguments in inline commands are not supported by walnut; send RESP",
              mbufs());
    return Action::kReply;
  }
  std::string scratch;
  const proto::Span& first = msg.tokens[0];
  std::string_view name = msg.request.view(first.offset, first.len, scratch);
  const proto::CommandInfo* cmd = find_command(name);
  // Redis's own order: unknown command, then arity, then authentication.
  if (cmd == nullptr || cmd->kind == CommandKind::kUnsupported) {
    // PUBSUB has a row for each subcommand walnut carries.
    if (cmd != nullptr && cmd->name == "wait") {
      set_error(msg,
                "ERR unsupported command 'wait': a client's writes share walnut's server "
                "connections with other clients' writes, so no server can tell which are its",
                mbufs());
      return Action::kReply;
    }
    if (cmd == nullptr || cmd->name != "pubsub" || msg.tokens.size() < 2) {
      set_error(msg, "ERR unsupported command '" + lower(name) + "'", mbufs());
      return Action::kReply;
    }
    cmd = pubsub_subcommand(msg);
    if (cmd == nullptr) return Action::kReply;
  }
  msg.command = cmd;
  if (!arity_ok(*cmd, msg.tokens.size())) {
    const std::string why = "wrong number of arguments for '" + std::string(cmd->name) + "' command";
    // A bad EXEC ends any transaction, in Redis's words, in MULTI or not
    // (the proxy, seeing the EXEC row fail, discards it).
    set_error(msg,
              cmd->name == "exec"
                  ? "EXECABORT Transaction discarded because of: " + why
                  : "ERR " + why,
              mbufs());
    return Action::kReply;
  }
  if (!options_.auth.empty() && !session.authenticated &&
      cmd->name != "auth" && cmd->name != "quit" && cmd->name != "hello") {
    set_error(msg, "NOAUTH Authentication required.", mbufs());
    return Action::kReply;
  }
  if (session.subscribed && !allowed_when_subscribed(msg)) return Action::kReply;
  if (cmd->kind == CommandKind::kLocal) return local_reply(msg, session);
  if (cmd->kind == CommandKind::kCursor) return cursor_request(msg);
  if (cmd->kind == CommandKind::kAllServers) {
    if (cmd->name == "command" && msg.tokens.size() > 1) return command_request(msg, session);
    if (cmd->name.starts_with("flush") && !options_.allow_flush) {
      set_error(msg,
                "ERR " + ascii_case(cmd->name, true) +
                    " refused: it would empty every server of this walnut pool; "
                    "'redis_allow_flush: true' on the pool allows it",
                mbufs());
      return Action::kReply;
    }
    return Action::kAllServers;
  }
  if (!find_keys(msg)) return Action::kReply;
  if (cmd->kind <= CommandKind::kWrite) return Action::kForward;  // the common case
  switch (cmd->kind) {
    case CommandKind::kMultiKey: return Action::kFragment;
    case CommandKind::kTransaction: return Action::kTransaction;
    case CommandKind::kBlocking: return blocking(msg, session);
    case CommandKind::kPubSub:
      if (!session.in_transaction) return Action::kSubscription;
      set_error(msg,
                "ERR " + ascii_case(cmd->name, true) +
                    " inside MULTI is not supported by walnut: the transaction runs on a server",
                mbufs());
      return Action::kReply;
    default: return Action::kForward;
  }
}

const proto::CommandInfo* RedisProtocol::pubsub_subcommand(Msg& msg) const {
  std::string scratch;
  const proto::Span& t = msg.tokens[1];
  const std::string sub = lower(msg.request.view(t.offset, t.len, scratch));
  if (const proto::CommandInfo* row = find_command("pubsub|" + sub)) return row;
  if (sub == "numpat") {
    set_error(msg,
              "ERR PUBSUB NUMPAT is not supported by walnut: each pattern is subscribed on "
              "every server, so no server's count is the pool's",
              mbufs());
  } else {
    set_error(msg, "ERR unsupported command 'pubsub " + sub + "'", mbufs());
  }
  return nullptr;
}

Action RedisProtocol::command_request(Msg& msg, proto::ClientSession& session) const {
  // COMMAND has a row for each subcommand; one walnut does not know goes
  // to a server as it is, for the server's own answer.
  std::string scratch;
  const proto::Span& t = msg.tokens[1];
  const proto::CommandInfo* row =
      find_command("command|" + lower(msg.request.view(t.offset, t.len, scratch)));
  msg.command = row != nullptr ? row : find_command("command|help");
  if (!arity_ok(*msg.command, msg.tokens.size())) {
    set_error(msg, "ERR wrong number of arguments for '" + std::string(msg.command->name) + "' command",
              mbufs());
    return Action::kReply;
  }
  switch (msg.command->kind) {
    case CommandKind::kLocal: return local_reply(msg, session);
    case CommandKind::kAllServers: return Action::kAllServers;
    default: msg.keys.clear(); return Action::kForward;  // keyless: any server
  }
}

bool RedisProtocol::merges_alone(const Msg& msg) const {
  return msg.command->merge == proto::Merge::kKeyspace ||
         msg.command->merge == proto::Merge::kSupported;
}

bool RedisProtocol::allowed_when_subscribed(Msg& msg) const {
  const std::string_view name = msg.command->name;
  if (msg.command->kind == CommandKind::kPubSub || name == "ping" || name == "quit") return true;
  set_error(msg,
            "ERR Can't execute '" + std::string(name) +
                "': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in "
                "this context",
            mbufs());
  return false;
}

proto::TransactionStep RedisProtocol::transaction_step(const Msg& msg) const {
  using enum proto::TransactionStep;
  const std::string_view name = msg.command->name;
  if (name == "exec") return kExec;
  if (name == "discard") return kDiscard;
  if (name == "watch") return kWatch;
  if (name == "unwatch") return kUnwatch;
  return kMulti;
}

Action RedisProtocol::blocking(Msg& msg, const proto::ClientSession& session) const {
  const Action action = blocking_request(msg, mbufs());
  if (action != Action::kBlocking || !session.in_transaction) return action;
  // Inside MULTI, Redis runs a blocking command without blocking.
  msg.block_ms = 0;
  return Action::kForward;
}

Action RedisProtocol::local_reply(Msg& msg, proto::ClientSession& session) const {
  std::string_view name = msg.command->name;
  if (name == "quit") {
    msg.reply.append_copy(mbufs(), "+OK\r\n");
    return Action::kReplyClose;
  }
  if (session.subscribed && msg.tokens.size() <= 2) {  // PING, as Redis answers a subscriber
    Resp resp;
    resp.array(2).bulk("pong");
    if (msg.tokens.size() == 2) {
      std::string scratch;
      const proto::Span& t = msg.tokens[1];
      resp.bulk(msg.request.view(t.offset, t.len, scratch));
    } else {
      resp.bulk("");
    }
    resp.into(msg, mbufs());
    return Action::kReply;
  }
  if (session.in_transaction) {
    // The server queues the transaction: PING and ECHO go there to take
    // their place in EXEC's reply; walnut's own answers cannot.
    if (name == "ping" || name == "echo") return Action::kForward;
    set_error(msg,
              "ERR " + ascii_case(name, true) +
                  " inside MULTI is not supported by walnut: the transaction runs on a server",
              mbufs());
    return Action::kReply;
  }
  if (name == "auth") {
    auth_reply(msg, session);
  } else if (name == "select") {
    select_reply(msg);
  } else if (name == "info") {
    return Action::kStats;  // the pool's numbers come in stats_reply()
  } else if (name == "hello") {
    hello_reply(msg, session, session_pool(), mbufs());
  } else if (name == "client") {
    client_reply(msg, session, session_pool(), mbufs());
  } else if (name == "command|count") {
    Resp().integer(static_cast<long long>(carried_count())).into(msg, mbufs());
  } else if (name == "echo") {
    set_bulk(msg, msg.tokens[1], mbufs());
  } else if (msg.tokens.size() > 2) {  // ping
    set_error(msg, "ERR wrong number of arguments for 'ping' command", mbufs());
  } else if (msg.tokens.size() == 2) {
    set_bulk(msg, msg.tokens[1], mbufs());
  } else {
    msg.reply.append_copy(mbufs(), "+PONG\r\n");
  }
  return Action::kReply;
}

void RedisProtocol::auth_reply(Msg& msg, proto::ClientSession& session) const {
  if (msg.tokens.size() > 3) {
    set_error(msg, "ERR syntax error", mbufs());
    return;
  }
  if (options_.auth.empty()) {
    set_error(msg, "ERR Client sent AUTH, but no password is set", mbufs());
    return;
  }
  std::string scratch;
  const bool with_user = msg.tokens.size() == 3;  // AUTH <user> <password>
  bool user_ok = true;
  if (with_user) {  // only the pool's user
    const proto::Span& u = msg.tokens[1];
    user_ok = msg.request.view(u.offset, u.len, scratch) == session_pool().user;
  }
  const proto::Span& p = msg.tokens.back();
  if (user_ok && msg.request.view(p.offset, p.len, scratch) == options_.auth) {
    session.authenticated = true;
    msg.reply.append_copy(mbufs(), "+OK\r\n");
  } else if (with_user) {
    set_error(msg, "WRONGPASS invalid username-password pair or user is disabled.", mbufs());
  } else {
    set_error(msg, "ERR invalid password", mbufs());  // nutcracker's, and Redis 5's
  }
}

SessionPool RedisProtocol::session_pool() const {
  SessionPool pool{.password = options_.auth, .db = options_.db};
  if (!options_.user.empty()) pool.user = options_.user;
  return pool;
}

void RedisProtocol::select_reply(Msg& msg) const {
  std::string scratch;
  const proto::Span& t = msg.tokens[1];
  std::string_view text = msg.request.view(t.offset, t.len, scratch);
  long long db = -1;
  if (!whole_number(text, &db)) {
    set_error(msg, "ERR value is not an integer or out of range", mbufs());
  } else if (db != options_.db) {
    // Keys are spread over servers by the pool: one db per pool. Say how
    // to reach the other db, since a client cannot.
    const std::string want = std::to_string(db);
    set_error(msg,
              "ERR SELECT " + want + " refused: this walnut pool serves db " +
                  std::to_string(options_.db) + " only; a pool with 'redis_db: " + want +
                  "' serves db " + want,
              mbufs());
  } else {
    msg.reply.append_copy(mbufs(), "+OK\r\n");
  }
}

Action RedisProtocol::cursor_request(Msg& msg) const {
  std::string scratch;
  const proto::Span& t = msg.tokens[1];
  std::string_view text = msg.request.view(t.offset, t.len, scratch);
  if (!whole_number(text, &msg.cursor.value)) {
    set_error(msg, "ERR invalid cursor", mbufs());
    return Action::kReply;
  }
  return Action::kCursor;
}

bool RedisProtocol::find_keys(Msg& msg) const {
  const proto::CommandInfo& cmd = *msg.command;
  const size_t argc = msg.tokens.size();
  msg.keys.clear();
  if (cmd.first_key > 0) {
    size_t last = cmd.last_key < 0 ? argc + cmd.last_key
                                   : static_cast<size_t>(cmd.last_key);
    for (size_t i = cmd.first_key; i <= last && i < argc; i += cmd.key_step) {
      msg.keys.push_back(msg.tokens[i]);
    }
  }
  if (cmd.numkeys_at == 0) return true;

  std::string scratch;
  const proto::Span& count_token = msg.tokens[cmd.numkeys_at];
  std::string_view text =
      msg.request.view(count_token.offset, count_token.len, scratch);
  long long n = 0;
  if (!whole_number(text, &n) || n < 0) {
    set_error(msg, "ERR value is not an integer or out of range", mbufs());
    return false;
  }
  size_t first = static_cast<size_t>(cmd.numkeys_at) + 1;
  if (static_cast<unsigned long long>(n) > argc - first) {
    // Redis's words differ by command: scripts name the problem, the sorted
    // set commands call it a syntax error.
    set_error(msg,
              cmd.first_key == 0
                  ? "ERR Number of keys can't be greater than number of args"
                  : "ERR syntax error",
              mbufs());
    return false;
  }
  if (n == 0 && msg.keys.empty()) {
    set_error(msg,
              "ERR " + std::string(cmd.name) +
                  " with no keys cannot be routed: walnut needs a key to pick "
                  "a server",
              mbufs());
    return false;
  }
  for (size_t i = first; i < first + static_cast<size_t>(n); ++i) {
    msg.keys.push_back(msg.tokens[i]);
  }
  return true;
}

std::vector<std::string> RedisProtocol::info_sections(const Msg& msg) const {
  std::vector<std::string> sections;
  std::string scratch;
  for (size_t i = 1; i < msg.tokens.size(); ++i) {
    sections.push_back(lower(msg.request.view(msg.tokens[i].offset, msg.tokens[i].len, scratch)));
  }
  return sections;
}

bool RedisProtocol::stats_need_servers(const Msg& msg) const {
  return wants_keyspace(info_sections(msg));
}

void RedisProtocol::build_everywhere_part(const Msg& parent, Msg& part) const {
  if (parent.command->merge != proto::Merge::kKeyspace) {
    ProtocolWithParsers::build_everywhere_part(parent, part);
    return;
  }
  part.command = parent.command;
  part.request.append_copy(mbufs(), "*2\r\n$4\r\nINFO\r\n$8\r\nkeyspace\r\n");
}

void RedisProtocol::stats_reply(Msg& msg, const proto::StatLines& stats) const {
  const std::string body = info_text(info_sections(msg), stats);
  msg.reply.clear();
  msg.reply.append_copy(mbufs(), "$" + std::to_string(body.size()) + "\r\n" + body + "\r\n");
  msg.reply_is_error = false;
}

}  // namespace walnut::redis
