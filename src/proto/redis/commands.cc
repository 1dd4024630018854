// The Redis command table. Arity and key positions follow Redis 7's own
// COMMAND INFO; the kind says how walnut carries the command. Rows may come
// in any order: they are found through a hash index (see name_index.h).
#include "proto/redis/commands.h"

#include <array>

#include "proto/name_index.h"

namespace walnut::redis {

namespace {

using proto::CommandInfo;
using proto::CommandKind;
constexpr CommandKind R = CommandKind::kRead;
constexpr CommandKind W = CommandKind::kWrite;
constexpr CommandKind M = CommandKind::kMultiKey;
constexpr CommandKind L = CommandKind::kLocal;
constexpr CommandKind U = CommandKind::kUnsupported;
constexpr proto::Merge kOrdered = proto::Merge::kOrdered;
constexpr proto::Merge kSum = proto::Merge::kSum;
constexpr proto::Merge kAllOk = proto::Merge::kAllOk;

// name, arity, first key, last key, key step, numkeys position, kind[, merge]
constexpr CommandInfo kRows[] = {
    // strings
    {"append", 3, 1, 1, 1, 0, W},
    {"bitcount", -2, 1, 1, 1, 0, R},
    {"bitfield", -2, 1, 1, 1, 0, W},
    {"bitfield_ro", -2, 1, 1, 1, 0, R},
    {"bitpos", -3, 1, 1, 1, 0, R},
    {"decr", 2, 1, 1, 1, 0, W},
    {"decrby", 3, 1, 1, 1, 0, W},
    {"get", 2, 1, 1, 1, 0, R},
    {"getbit", 3, 1, 1, 1, 0, R},
    {"getdel", 2, 1, 1, 1, 0, W},
    {"getex", -2, 1, 1, 1, 0, W},
    {"getrange", 4, 1, 1, 1, 0, R},
    {"getset", 3, 1, 1, 1, 0, W},
    {"incr", 2, 1, 1, 1, 0, W},
    {"incrby", 3, 1, 1, 1, 0, W},
    {"incrbyfloat", 3, 1, 1, 1, 0, W},
    {"lcs", -3, 1, 2, 1, 0, R},
    {"mget", -2, 1, -1, 1, 0, M, kOrdered},
    {"mset", -3, 1, -1, 2, 0, M, kAllOk},
    {"msetnx", -3, 1, -1, 2, 0, W},
    {"psetex", 4, 1, 1, 1, 0, W},
    {"set", -3, 1, 1, 1, 0, W},
    {"setbit", 4, 1, 1, 1, 0, W},
    {"setex", 4, 1, 1, 1, 0, W},
    {"setnx", 3, 1, 1, 1, 0, W},
    {"setrange", 4, 1, 1, 1, 0, W},
    {"strlen", 2, 1, 1, 1, 0, R},
    {"substr", 4, 1, 1, 1, 0, R},
    // keys
    {"copy", -3, 1, 2, 1, 0, W},
    {"del", -2, 1, -1, 1, 0, M, kSum},
    {"dump", 2, 1, 1, 1, 0, R},
    {"exists", -2, 1, -1, 1, 0, M, kSum},
    {"expire", -3, 1, 1, 1, 0, W},
    {"expireat", -3, 1, 1, 1, 0, W},
    {"expiretime", 2, 1, 1, 1, 0, R},
    {"persist", 2, 1, 1, 1, 0, W},
    {"pexpire", -3, 1, 1, 1, 0, W},
    {"pexpireat", -3, 1, 1, 1, 0, W},
    {"pexpiretime", 2, 1, 1, 1, 0, R},
    {"pttl", 2, 1, 1, 1, 0, R},
    {"rename", 3, 1, 2, 1, 0, W},
    {"renamenx", 3, 1, 2, 1, 0, W},
    {"restore", -4, 1, 1, 1, 0, W},
    {"sort", -2, 1, 1, 1, 0, W},
    {"sort_ro", -2, 1, 1, 1, 0, R},
    {"touch", -2, 1, -1, 1, 0, M, kSum},
    {"ttl", 2, 1, 1, 1, 0, R},
    {"type", 2, 1, 1, 1, 0, R},
    {"unlink", -2, 1, -1, 1, 0, M, kSum},
    // hashes
    {"hdel", -3, 1, 1, 1, 0, W},
    {"hexists", 3, 1, 1, 1, 0, R},
    {"hget", 3, 1, 1, 1, 0, R},
    {"hgetall", 2, 1, 1, 1, 0, R},
    {"hincrby", 4, 1, 1, 1, 0, W},
    {"hincrbyfloat", 4, 1, 1, 1, 0, W},
    {"hkeys", 2, 1, 1, 1, 0, R},
    {"hlen", 2, 1, 1, 1, 0, R},
    {"hmget", -3, 1, 1, 1, 0, R},
    {"hmset", -4, 1, 1, 1, 0, W},
    {"hrandfield", -2, 1, 1, 1, 0, R},
    {"hscan", -3, 1, 1, 1, 0, R},
    {"hset", -4, 1, 1, 1, 0, W},
    {"hsetnx", 4, 1, 1, 1, 0, W},
    {"hstrlen", 3, 1, 1, 1, 0, R},
    {"hvals", 2, 1, 1, 1, 0, R},
    // lists
    {"lindex", 3, 1, 1, 1, 0, R},
    {"linsert", 5, 1, 1, 1, 0, W},
    {"llen", 2, 1, 1, 1, 0, R},
    {"lmove", 5, 1, 2, 1, 0, W},
    {"lpop", -2, 1, 1, 1, 0, W},
    {"lpos", -3, 1, 1, 1, 0, R},
    {"lpush", -3, 1, 1, 1, 0, W},
    {"lpushx", -3, 1, 1, 1, 0, W},
    {"lrange", 4, 1, 1, 1, 0, R},
    {"lrem", 4, 1, 1, 1, 0, W},
    {"lset", 4, 1, 1, 1, 0, W},
    {"ltrim", 4, 1, 1, 1, 0, W},
    {"rpop", -2, 1, 1, 1, 0, W},
    {"rpoplpush", 3, 1, 2, 1, 0, W},
    {"rpush", -3, 1, 1, 1, 0, W},
    {"rpushx", -3, 1, 1, 1, 0, W},
    // sets
    {"sadd", -3, 1, 1, 1, 0, W},
    {"scard", 2, 1, 1, 1, 0, R},
    {"sdiff", -2, 1, -1, 1, 0, R},
    {"sdiffstore", -3, 1, -1, 1, 0, W},
    {"sinter", -2, 1, -1, 1, 0, R},
    {"sinterstore", -3, 1, -1, 1, 0, W},
    {"sismember", 3, 1, 1, 1, 0, R},
    {"smembers", 2, 1, 1, 1, 0, R},
    {"smismember", -3, 1, 1, 1, 0, R},
    {"smove", 4, 1, 2, 1, 0, W},
    {"spop", -2, 1, 1, 1, 0, W},
    {"srandmember", -2, 1, 1, 1, 0, R},
    {"srem", -3, 1, 1, 1, 0, W},
    {"sscan", -3, 1, 1, 1, 0, R},
    {"sunion", -2, 1, -1, 1, 0, R},
    {"sunionstore", -3, 1, -1, 1, 0, W},
    // sorted sets
    {"zadd", -4, 1, 1, 1, 0, W},
    {"zcard", 2, 1, 1, 1, 0, R},
    {"zcount", 4, 1, 1, 1, 0, R},
    {"zincrby", 4, 1, 1, 1, 0, W},
    {"zinterstore", -4, 1, 1, 1, 2, W},
    {"zlexcount", 4, 1, 1, 1, 0, R},
    {"zmscore", -3, 1, 1, 1, 0, R},
    {"zpopmax", -2, 1, 1, 1, 0, W},
    {"zpopmin", -2, 1, 1, 1, 0, W},
    {"zrandmember", -2, 1, 1, 1, 0, R},
    {"zrange", -4, 1, 1, 1, 0, R},
    {"zrangebylex", -4, 1, 1, 1, 0, R},
    {"zrangebyscore", -4, 1, 1, 1, 0, R},
    {"zrangestore", -5, 1, 2, 1, 0, W},
    {"zrank", -3, 1, 1, 1, 0, R},
    {"zrem", -3, 1, 1, 1, 0, W},
    {"zremrangebylex", 4, 1, 1, 1, 0, W},
    {"zremrangebyrank", 4, 1, 1, 1, 0, W},
    {"zremrangebyscore", 4, 1, 1, 1, 0, W},
    {"zrevrange", -4, 1, 1, 1, 0, R},
    {"zrevrangebylex", -4, 1, 1, 1, 0, R},
    {"zrevrangebyscore", -4, 1, 1, 1, 0, R},
    {"zrevrank", -3, 1, 1, 1, 0, R},
    {"zscan", -3, 1, 1, 1, 0, R},
    {"zscore", 3, 1, 1, 1, 0, R},
    {"zunionstore", -4, 1, 1, 1, 2, W},
    // hyperloglog
    {"pfadd", -2, 1, 1, 1, 0, W},
    {"pfcount", -2, 1, -1, 1, 0, R},
    {"pfmerge", -2, 1, -1, 1, 0, W},
    // geo
    {"geoadd", -5, 1, 1, 1, 0, W},
    {"geodist", -4, 1, 1, 1, 0, R},
    {"geohash", -2, 1, 1, 1, 0, R},
    {"geopos", -2, 1, 1, 1, 0, R},
    {"georadius", -6, 1, 1, 1, 0, W},
    {"georadiusbymember", -5, 1, 1, 1, 0, W},
    {"geosearch", -7, 1, 1, 1, 0, R},
    {"geosearchstore", -8, 1, 2, 1, 0, W},
    // scripting: the keys follow the key count
    {"eval", -3, 0, 0, 1, 2, W},
    {"evalsha", -3, 0, 0, 1, 2, W},
    // streams: single-key commands only
    {"xadd", -5, 1, 1, 1, 0, W},
    {"xdel", -3, 1, 1, 1, 0, W},
    {"xlen", 2, 1, 1, 1, 0, R},
    {"xrange", -4, 1, 1, 1, 0, R},
    {"xrevrange", -4, 1, 1, 1, 0, R},
    {"xtrim", -4, 1, 1, 1, 0, W},
    // forwarded to any one server
    {"command", -1, 0, 0, 0, 0, R},
    // answered by walnut
    {"auth", -2, 0, 0, 0, 0, L},
    {"select", 2, 0, 0, 0, 0, L},
    {"echo", 2, 0, 0, 0, 0, L},
    {"ping", -1, 0, 0, 0, 0, L},
    {"quit", -1, 0, 0, 0, 0, L},
    // cannot work through a sharding proxy: they span every server, hold a
    // connection's state, or administer one server
    {"acl", -2, 0, 0, 0, 0, U},
    {"bgrewriteaof", 1, 0, 0, 0, 0, U},
    {"bgsave", -1, 0, 0, 0, 0, U},
    {"client", -2, 0, 0, 0, 0, U},
    {"cluster", -2, 0, 0, 0, 0, U},
    {"config", -2, 0, 0, 0, 0, U},
    {"dbsize", 1, 0, 0, 0, 0, U},
    {"debug", -2, 0, 0, 0, 0, U},
    {"failover", -1, 0, 0, 0, 0, U},
    {"flushall", -1, 0, 0, 0, 0, U},
    {"flushdb", -1, 0, 0, 0, 0, U},
    {"function", -2, 0, 0, 0, 0, U},
    {"hello", -1, 0, 0, 0, 0, U},
    {"info", -1, 0, 0, 0, 0, U},
    {"lastsave", 1, 0, 0, 0, 0, U},
    {"latency", -2, 0, 0, 0, 0, U},
    {"memory", -2, 0, 0, 0, 0, U},
    {"migrate", -6, 0, 0, 0, 0, U},
    {"module", -2, 0, 0, 0, 0, U},
    {"monitor", 1, 0, 0, 0, 0, U},
    {"move", 3, 0, 0, 0, 0, U},
    {"object", -2, 0, 0, 0, 0, U},
    {"psync", -3, 0, 0, 0, 0, U},
    {"pubsub", -2, 0, 0, 0, 0, U},
    {"randomkey", 1, 0, 0, 0, 0, U},
    {"readonly", 1, 0, 0, 0, 0, U},
    {"readwrite", 1, 0, 0, 0, 0, U},
    {"replicaof", 3, 0, 0, 0, 0, U},
    {"reset", 1, 0, 0, 0, 0, U},
    {"role", 1, 0, 0, 0, 0, U},
    {"save", 1, 0, 0, 0, 0, U},
    {"script", -2, 0, 0, 0, 0, U},
    {"shutdown", -1, 0, 0, 0, 0, U},
    {"slaveof", 3, 0, 0, 0, 0, U},
    {"slowlog", -2, 0, 0, 0, 0, U},
    {"swapdb", 3, 0, 0, 0, 0, U},
    {"sync", 1, 0, 0, 0, 0, U},
    {"time", 1, 0, 0, 0, 0, U},
    {"wait", 3, 0, 0, 0, 0, U},
    {"xread", -4, 0, 0, 0, 0, U},
    {"xreadgroup", -7, 0, 0, 0, 0, U},
    {"blmove", 6, 0, 0, 0, 0, U},
    {"blmpop", -5, 0, 0, 0, 0, U},
    {"blpop", -3, 0, 0, 0, 0, U},
    {"brpop", -3, 0, 0, 0, 0, U},
    {"brpoplpush", 4, 0, 0, 0, 0, U},
    {"bzmpop", -5, 0, 0, 0, 0, U},
    {"bzpopmax", -3, 0, 0, 0, 0, U},
    {"bzpopmin", -3, 0, 0, 0, 0, U},
    {"discard", 1, 0, 0, 0, 0, U},
    {"exec", 1, 0, 0, 0, 0, U},
    {"keys", 2, 0, 0, 0, 0, U},
    {"multi", 1, 0, 0, 0, 0, U},
    {"psubscribe", -2, 0, 0, 0, 0, U},
    {"publish", 3, 0, 0, 0, 0, U},
    {"punsubscribe", -1, 0, 0, 0, 0, U},
    {"scan", -2, 0, 0, 0, 0, U},
    {"subscribe", -2, 0, 0, 0, 0, U},
    {"unsubscribe", -1, 0, 0, 0, 0, U},
    {"unwatch", 1, 0, 0, 0, 0, U},
    {"watch", -2, 0, 0, 0, 0, U},
};

constexpr size_t kCount = sizeof(kRows) / sizeof(kRows[0]);

constexpr std::string_view name_of(const CommandInfo& row) { return row.name; }

const proto::NameIndex<CommandInfo, name_of, true>& index() {
  static const std::array<CommandInfo, kCount> rows = std::to_array(kRows);
  static const proto::NameIndex<CommandInfo, name_of, true> by_name(rows);
  return by_name;
}

}  // namespace

const proto::CommandInfo* find_command(std::string_view name) {
  return index().find(name);
}

}  // namespace walnut::redis
