// CommandInfo: what the proxy needs to know about one command, as one row of
// a protocol's command table. Keys are found from the row, never from
// per-command code.
#pragma once

#include <cstdint>
#include <string_view>

namespace walnut::proto {

enum class CommandKind : uint8_t {
  kRead,         // reads keys; several keys must live on one server
  kWrite,        // writes keys; several keys must live on one server
  kMultiKey,     // may be split into one sub-request per server
  kAllServers,   // keyless, sent to every server of the pool, replies merged
  kCursor,       // SCAN: to the server its cursor names, the cursor rewritten
  kLocal,        // answered by walnut itself
  kTransaction,  // MULTI, EXEC, DISCARD, WATCH, UNWATCH: the proxy keeps the state
  kBlocking,     // may block: on a server connection of the client's own
  kPubSub,       // (P|S)SUBSCRIBE, (P|S)UNSUBSCRIBE: the proxy keeps the subscriptions
  kUnsupported,  // cannot work through a sharding proxy
};

// How the replies of a split request's parts become one reply.
enum class Merge : uint8_t {
  kNone,   // never split
  kOrdered,  // one value per key, in the client's key order (MGET, get)
  kOrderedPairs,  // two values per key (PUBSUB NUMSUB: channel, count)
  kSum,    // integers added up (DEL, EXISTS, ...)
  kAllOk,  // +OK when every part says +OK (MSET)
  kConcat,     // the parts' arrays one after another (KEYS)
  kAnyNonNull, // one part's reply that is not null, else null (RANDOMKEY)
  kCursor,     // the one part's [cursor, elements] with the pool's cursor (SCAN)
  // The merges below come last: coalesce() tells them from the rest by order.
  kKeyspace,   // INFO: walnut's sections, then the servers' keyspaces added up
  kSupported,  // COMMAND [INFO|DOCS|LIST]: one server's answer, kept to what walnut carries
};

struct CommandInfo {
  std::string_view name;  // lower case
  int16_t arity;          // Redis's: n means exactly n tokens, -n at least n
  int16_t first_key;      // token index of the first key, 0 when keyless
  int16_t last_key;       // index of the last key; negative counts from the end
  int16_t key_step;       // distance between keys
  int16_t numkeys_at;     // token index holding a key count, 0 when none
  CommandKind kind;
  Merge merge = Merge::kNone;
};

// Whether the command only reads, so that a replica may serve it: a read
// of one server's keys, or the reads that are split per server (MGET,
// EXISTS).
inline bool reads_only(const CommandInfo& c) {
  return c.kind == CommandKind::kRead ||
         (c.kind == CommandKind::kMultiKey && (c.merge == Merge::kOrdered || c.name == "exists"));
}

// Short names for the rows of the command tables (each protocol's
// commands.cc), so that a row fits on one line: `using namespace
// proto::table_names;` there and nowhere else.
namespace table_names {
inline constexpr CommandKind R = CommandKind::kRead, W = CommandKind::kWrite,
                             M = CommandKind::kMultiKey, A = CommandKind::kAllServers,
                             C = CommandKind::kCursor, L = CommandKind::kLocal,
                             T = CommandKind::kTransaction, B = CommandKind::kBlocking,
                             P = CommandKind::kPubSub,
                             U = CommandKind::kUnsupported;
using enum Merge;  // kOrdered, kSum, ... by their own names
}  // namespace table_names

}  // namespace walnut::proto
