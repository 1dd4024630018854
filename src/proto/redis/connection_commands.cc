// HELLO and CLIENT answered from the client's session. Argument checks and
// error texts follow Redis 7's (helloCommand, clientCommand) in the same
// order, so a client sees the error Redis would give it.
#include "proto/redis/connection_commands.h"

#include <algorithm>
#include <string>
#include <vector>

#include "common/clock.h"
#include "proto/redis/local_reply.h"

namespace walnut::redis {

using proto::ClientLabels;
using proto::ClientSession;
using proto::Msg;

namespace {

// One request's arguments, copied out of the mbufs: these commands are
// rare and short.
class Args {
 public:
  explicit Args(const Msg& msg) {
    std::string scratch;
    for (const proto::Span& t : msg.tokens) {
      list_.emplace_back(msg.request.view(t.offset, t.len, scratch));
    }
  }
  size_t size() const { return list_.size(); }
  const std::string& operator[](size_t i) const { return list_[i]; }
  // Argument `i` in lower case, for subcommands and options.
  std::string lower(size_t i) const { return ascii_case(list_[i], false); }

 private:
  std::vector<std::string> list_;
};

void arity_error(Msg& msg, std::string_view sub, buffer::MbufPool& mbufs) {
  set_error(msg, "ERR wrong number of arguments for 'client|" + std::string(sub) + "' command",
            mbufs);
}

// Redis's rule for names: printable ASCII without spaces.
bool printable_word(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= '!' && c <= '~'; });
}


constexpr std::string_view kBadName =
    "ERR Client names cannot contain spaces, newlines or special characters.";

}  // namespace

std::string client_info_line(ClientSession& session, const SessionPool& pool,
                             std::string_view cmd) {
  ClientLabels& labels = session.labels();
  if (labels.addr.empty() && session.peer_text != nullptr) {
    labels.addr = session.peer_text(session.fd);
  }
  if (labels.laddr.empty() && session.local_text != nullptr) {
    labels.laddr = session.local_text(session.fd);
  }
  std::string flags;
  if (session.no_evict) flags += 'e';
  if (session.no_touch) flags += 'T';
  if (flags.empty()) flags = "N";
  const uint64_t age_s = (now_ms() - session.connected_ms) / 1000;
  // Redis's fields in Redis's order. Those about Redis's own buffers (qbuf,
  // omem, tot-mem, ...) describe nothing walnut has and read 0; they are
  // there because clients parse them (redis-py 4's client_info() fails with
  // a KeyError without them).
  std::string line = "id=" + std::to_string(session.id) + " addr=" + labels.addr +
                     " laddr=" + labels.laddr + " fd=" + std::to_string(session.fd) +
                     " name=" + labels.name + " age=" + std::to_string(age_s) +
                     " idle=0 flags=" + flags + " db=" + std::to_string(pool.db) +
                     " sub=0 psub=0 ssub=0 multi=-1 qbuf=0 qbuf-free=0 argv-mem=0"
                     " multi-mem=0 rbs=0 rbp=0 obl=0 oll=0 omem=0 tot-mem=0 events=r cmd=" +
                     std::string(cmd) +
                     " user=" + std::string(pool.user) + " redir=-1 resp=2 lib-name=" +
                     labels.lib_name +
                     " lib-ver=" + labels.lib_ver + "\n";
  return line;
}

void hello_reply(Msg& msg, ClientSession& session, const SessionPool& pool,
                 buffer::MbufPool& mbufs) {
  const Args args(msg);
  size_t next = 1;
  if (args.size() >= 2) {
    long long version = 0;
    if (!whole_number(args[1], &version)) {
      set_error(msg, "ERR Protocol version is not an integer or out of range", mbufs);
      return;
    }
    if (version == 3) {
      set_error(msg, "NOPROTO unsupported protocol version: walnut speaks RESP2 (HELLO 2)",
                mbufs);
      return;
    }
    if (version != 2) {
      set_error(msg, "NOPROTO unsupported protocol version", mbufs);
      return;
    }
    next = 2;
  }
  const std::string* user = nullptr;
  const std::string* password = nullptr;
  const std::string* name = nullptr;
  for (size_t i = next; i < args.size(); ++i) {
    const size_t more = args.size() - 1 - i;
    const std::string option = args.lower(i);
    if (option == "auth" && more >= 2) {
      user = &args[i + 1];
      password = &args[i + 2];
      i += 2;
    } else if (option == "setname" && more >= 1) {
      name = &args[i + 1];
      if (!printable_word(*name)) {
        set_error(msg, kBadName, mbufs);
        return;
      }
      i += 1;
    } else {
      set_error(msg, "ERR Syntax error in HELLO option '" + args[i] + "'", mbufs);
      return;
    }
  }
  if (user != nullptr) {
    // walnut has one user, the pool's (redis_user, else Redis's "default"),
    // whose password is redis_auth; without one, any password is accepted,
    // as Redis's nopass.
    const bool ok = *user == pool.user && (pool.password.empty() || *password == pool.password);
    if (!ok) {
      set_error(msg, "WRONGPASS invalid username-password pair or user is disabled.", mbufs);
      return;
    }
    session.authenticated = true;
  }
  if (!pool.password.empty() && !session.authenticated) {
    set_error(msg,
              "NOAUTH HELLO must be called with the client already authenticated, otherwise the "
              "HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client "
              "and select the RESP protocol version at the same time",
              mbufs);
    return;
  }
  if (name != nullptr) session.labels().name = *name;
  Resp()
      .array(14)
      .bulk("server").bulk("redis")
      .bulk("version").bulk(kRedisVersion)
      .bulk("proto").integer(2)
      .bulk("id").integer(static_cast<long long>(session.id))
      .bulk("mode").bulk("standalone")
      .bulk("role").bulk("master")
      .bulk("modules").array(0)
      .into(msg, mbufs);
}

namespace {

// CLIENT LIST [TYPE type | ID id ...]: this connection's line when the
// filter takes it in.
void client_list(Msg& msg, const Args& args, ClientSession& session, const SessionPool& pool,
                 buffer::MbufPool& mbufs) {
  bool listed = true;
  if (args.size() == 4 && args.lower(2) == "type") {
    const std::string type = args.lower(3);
    if (type != "normal" && type != "master" && type != "replica" && type != "slave" &&
        type != "pubsub") {
      set_error(msg, "ERR Unknown client type '" + args[3] + "'", mbufs);
      return;
    }
    listed = type == "normal";
  } else if (args.size() >= 4 && args.lower(2) == "id") {
    listed = false;
    for (size_t i = 3; i < args.size(); ++i) {
      long long id = 0;
      if (!whole_number(args[i], &id)) {  // any integer, as Redis 7.0: none is id 0
        set_error(msg, "ERR Invalid client ID", mbufs);
        return;
      }
      listed = listed || (id > 0 && static_cast<uint64_t>(id) == session.id);
    }
  } else if (args.size() != 2) {
    set_error(msg, "ERR syntax error", mbufs);
    return;
  }
  Resp().bulk(listed ? client_info_line(session, pool, "client|list") : "").into(msg, mbufs);
}

// CLIENT SETINFO LIB-NAME|LIB-VER value (Redis 7.2).
void client_setinfo(Msg& msg, const Args& args, ClientSession& session,
                    buffer::MbufPool& mbufs) {
  const std::string attr = args.lower(2);
  std::string* field = attr == "lib-name" ? &session.labels().lib_name
                       : attr == "lib-ver" ? &session.labels().lib_ver
                                           : nullptr;
  if (field == nullptr) {
    set_error(msg, "ERR Unrecognized option '" + args[2] + "'", mbufs);
    return;
  }
  if (!printable_word(args[3])) {
    set_error(msg, "ERR " + attr + " cannot contain spaces, newlines or special characters.",
              mbufs);
    return;
  }
  *field = args[3];
  Resp().status("OK").into(msg, mbufs);
}

// CLIENT NO-EVICT|NO-TOUCH on|off.
void client_switch(Msg& msg, const Args& args, bool* flag, buffer::MbufPool& mbufs) {
  const std::string value = args.lower(2);
  if (value != "on" && value != "off") {
    set_error(msg, "ERR syntax error", mbufs);
    return;
  }
  *flag = value == "on";
  Resp().status("OK").into(msg, mbufs);
}

void client_help(Msg& msg, buffer::MbufPool& mbufs) {
  static constexpr std::string_view kLines[] = {
      "CLIENT <subcommand> [<arg> ...]. walnut answers these for this connection:",
      "GETNAME", "    Return the name of this connection.",
      "ID", "    Return the ID of this connection.",
      "INFO", "    Return information about this connection.",
      "LIST [TYPE <type>|ID <id> [<id> ...]]", "    Return this connection, if it matches.",
      "NO-EVICT (ON|OFF)", "    Remembered and shown in the flags.",
      "NO-TOUCH (ON|OFF)", "    Remembered and shown in the flags.",
      "SETINFO <LIB-NAME|LIB-VER> <value>", "    Set this connection's library name or version.",
      "SETNAME <name>", "    Name this connection.",
      "HELP", "    Print this help.",
  };
  Resp r;
  r.array(std::size(kLines));
  for (std::string_view line : kLines) r.status(line);
  r.into(msg, mbufs);
}

}  // namespace

void client_reply(Msg& msg, ClientSession& session, const SessionPool& pool,
                  buffer::MbufPool& mbufs) {
  const Args args(msg);
  const std::string sub = args.lower(1);
  // Each subcommand's exact argument count, as Redis's table gives it.
  struct Shape {
    std::string_view name;
    size_t argc;
  };
  static constexpr Shape kShapes[] = {{"getname", 2}, {"id", 2},       {"info", 2},
                                      {"setname", 3}, {"no-evict", 3}, {"no-touch", 3},
                                      {"setinfo", 4}, {"help", 2}};
  for (const Shape& s : kShapes) {
    if (s.name == sub && args.size() != s.argc) return arity_error(msg, sub, mbufs);
  }
  if (sub == "getname") {
    Resp r;
    const std::string& name = session.labels().name;
    name.empty() ? r.null_bulk() : r.bulk(name);
    r.into(msg, mbufs);
  } else if (sub == "setname") {
    if (!printable_word(args[2])) return set_error(msg, kBadName, mbufs);
    session.labels().name = args[2];
    Resp().status("OK").into(msg, mbufs);
  } else if (sub == "id") {
    Resp().integer(static_cast<long long>(session.id)).into(msg, mbufs);
  } else if (sub == "info") {
    Resp().bulk(client_info_line(session, pool, "client|info")).into(msg, mbufs);
  } else if (sub == "list") {
    client_list(msg, args, session, pool, mbufs);
  } else if (sub == "setinfo") {
    client_setinfo(msg, args, session, mbufs);
  } else if (sub == "no-evict") {
    client_switch(msg, args, &session.no_evict, mbufs);
  } else if (sub == "no-touch") {
    client_switch(msg, args, &session.no_touch, mbufs);
  } else if (sub == "help") {
    client_help(msg, mbufs);
  } else {
    static constexpr std::string_view kRedisOwn[] = {
        "kill",    "pause",   "unpause", "reply",  "tracking", "trackinginfo",
        "caching", "getredir", "unblock"};
    if (std::find(std::begin(kRedisOwn), std::end(kRedisOwn), sub) != std::end(kRedisOwn)) {
      set_error(msg,
                "ERR CLIENT " + ascii_case(sub, true) +
                    " is not supported by walnut: it answers CLIENT for the calling connection "
                    "only (see CLIENT HELP)",
                mbufs);
    } else {
      set_error(msg, "ERR unknown subcommand '" + args[1] + "'. Try CLIENT HELP.", mbufs);
    }
  }
}

}  // namespace walnut::redis
