// The differential command script (see redis_command_script.h): one builder
// per single-key command family, then the multi-key part, fragmented and
// same-server.
#include "tests/e2e/redis_command_script.h"

#include <functional>
#include <string>
#include <vector>

#include "tests/e2e/sha1.h"

namespace walnut::e2e {
namespace {

// HELLO and CLIENT, answered by walnut for the client's own connection. The
// connection ids and Redis's version differ by nature (kShape); Redis 7.0's
// HELLO 3 succeeds where walnut answers NOPROTO, and SETINFO and NO-TOUCH
// are 7.2's: those are in the unit tests, not here.
void connection_script(Script& x) {
  x({"HELLO"}, kShape);
  x({"HELLO", "2"}, kShape);
  x({"HELLO", "2", "SETNAME", "diff-1"}, kShape);
  x({"CLIENT", "GETNAME"});
  x({"HELLO", "x"});
  x({"HELLO", "1"});
  x({"HELLO", "2", "BOGUS"});
  x({"HELLO", "2", "SETNAME", "a b"});
  x({"HELLO", "2", "AUTH", "bob", "pw"});
  x({"HELLO", "2", "AUTH", "default", "pw"}, kShape);
  x({"CLIENT", "SETNAME", "app"});
  x({"CLIENT", "GETNAME"});
  x({"CLIENT", "SETNAME", "a b"});
  x({"CLIENT", "SETNAME", ""});
  x({"CLIENT", "GETNAME"});
  x({"CLIENT", "ID"}, kShape);
  x({"CLIENT", "INFO"}, kShape);
  x({"CLIENT", "LIST"}, kShape);
  x({"CLIENT", "LIST", "ID", "0"});
  x({"CLIENT", "LIST", "ID", "x"});
  x({"CLIENT", "LIST", "TYPE", "pubsub"});
  x({"CLIENT", "LIST", "TYPE", "bad"});
  x({"CLIENT", "LIST", "FOO", "bar"});
  x({"CLIENT", "NO-EVICT", "on"});
  x({"CLIENT", "NO-EVICT", "maybe"});
  x({"CLIENT", "NO-EVICT", "off"});
  x({"CLIENT", "ID", "extra"});
  x({"CLIENT", "GETNAME", "extra"});
  x({"CLIENT", "frobnicate"});
  x({"INFO", "nosuchsection"});
}

void strings_script(Script& x) {
  x({"SET", "s:a", "hello"});
  x({"GET", "s:a"});
  x({"SET", "s:a", "world", "XX"});
  x({"SET", "s:new", "v", "XX"});
  x({"SET", "s:a", "x", "NX"});
  x({"SET", "s:nx", "v", "NX"});
  x({"SET", "s:a", "again", "GET"});
  x({"SET", "s:nx2", "v", "NX", "GET"});
  x({"SET", "s:ex", "v", "EX", "100"});
  x({"TTL", "s:ex"}, kTtl);
  x({"SET", "s:px", "v", "PX", "100000"});
  x({"PTTL", "s:px"}, kTtl);
  x({"SET", "s:ex", "w", "KEEPTTL"});
  x({"TTL", "s:ex"}, kTtl);
  x({"SET", "s:bad", "v", "EX", "0"});
  x({"SET", "s:bad", "v", "EX", "abc"});
  x({"SET", "s:bad", "v", "NX", "XX"});
  x({"SET", "s:bad", "v", "BOGUS"});
  x({"GETEX", "s:a", "EX", "200"});
  x({"TTL", "s:a"}, kTtl);
  x({"GETEX", "s:a", "PERSIST"});
  x({"TTL", "s:a"}, kTtl);
  x({"GETEX", "s:a"});
  x({"GETEX", "s:missing"});
  x({"GETEX", "s:a", "EX"});
  x({"GETDEL", "s:nx"});
  x({"GETDEL", "s:nx"});
  x({"EXISTS", "s:nx"});
  x({"GETSET", "s:a", "newer"});
  x({"GETSET", "s:gs", "first"});
  x({"GET", "s:gs"});
  x({"APPEND", "s:ap", "Hello"});
  x({"APPEND", "s:ap", " World"});
  x({"GET", "s:ap"});
  x({"STRLEN", "s:ap"});
  x({"STRLEN", "s:missing"});
  x({"GETRANGE", "s:ap", "0", "4"});
  x({"GETRANGE", "s:ap", "-5", "-1"});
  x({"GETRANGE", "s:ap", "100", "200"});
  x({"SETRANGE", "s:ap", "6", "Redis"});
  x({"GET", "s:ap"});
  x({"SETRANGE", "s:sr", "5", "x"});
  x({"GET", "s:sr"});
  x({"SUBSTR", "s:ap", "0", "3"});
  x({"SET", "s:n", "10"});
  x({"INCR", "s:n"});
  x({"DECR", "s:n"});
  x({"INCRBY", "s:n", "5"});
  x({"DECRBY", "s:n", "3"});
  x({"INCRBY", "s:n", "-100"});
  x({"INCRBY", "s:n", "x"});
  x({"INCRBYFLOAT", "s:n", "1.5"});
  x({"INCRBYFLOAT", "s:f", "10.5"});
  x({"INCRBYFLOAT", "s:f", "5.0e3"});
  x({"GET", "s:f"});
  x({"INCR", "s:a"});
  x({"INCR", "s:newcounter"});
  x({"DECR", "s:newcounter2"});
  x({"SET", "s:big", "9223372036854775807"});
  x({"INCR", "s:big"});
  x({"SETNX", "s:setnx", "v1"});
  x({"SETNX", "s:setnx", "v2"});
  x({"GET", "s:setnx"});
  x({"SETEX", "s:setex", "100", "v"});
  x({"TTL", "s:setex"}, kTtl);
  x({"SETEX", "s:setex", "-1", "v"});
  x({"PSETEX", "s:psetex", "100000", "v"});
  x({"PTTL", "s:psetex"}, kTtl);
  x({"GET", "s:psetex"});
  x({"SETBIT", "s:bits", "7", "1"});
  x({"SETBIT", "s:bits", "7", "0"});
  x({"SETBIT", "s:bits", "100", "1"});
  x({"SETBIT", "s:bits", "3", "2"});
  x({"GETBIT", "s:bits", "100"});
  x({"GETBIT", "s:bits", "7"});
  x({"GETBIT", "s:bits", "1000"});
  x({"SET", "s:bc", "foobar"});
  x({"BITCOUNT", "s:bc"});
  x({"BITCOUNT", "s:bc", "0", "0"});
  x({"BITCOUNT", "s:bc", "1", "1"});
  x({"BITCOUNT", "s:bc", "5", "30", "BIT"});
  x({"BITCOUNT", "s:missing"});
  x({"BITPOS", "s:bits", "1"});
  x({"BITPOS", "s:bc", "0"});
  x({"BITPOS", "s:bc", "1", "2"});
  x({"BITFIELD", "s:bf", "SET", "u8", "0", "255", "GET", "u8", "0"});
  x({"BITFIELD", "s:bf", "INCRBY", "u8", "0", "10"});
  x({"BITFIELD", "s:bf", "OVERFLOW", "SAT", "INCRBY", "u8", "0", "300"});
  x({"BITFIELD", "s:bf", "GET", "i4", "4", "GET", "u16", "0"});
  x({"BITFIELD_RO", "s:bf", "GET", "u8", "0"});
  x({"GET", "s:bf"});
}

void keys_script(Script& x, const std::string& dump_payload) {
  x({"SET", "k:a", "1"});
  x({"SET", "k:b", "2"});
  x({"SET", "k:c", "3"});
  x({"DEL", "k:a"});
  x({"DEL", "k:a"});
  x({"EXISTS", "k:b"});
  x({"EXISTS", "k:a"});
  x({"UNLINK", "k:c"});
  x({"EXISTS", "k:c"});
  x({"TOUCH", "k:b"});
  x({"TOUCH", "k:zzz"});
  x({"SET", "k:e", "v"});
  x({"EXPIRE", "k:e", "100"});
  x({"TTL", "k:e"}, kTtl);
  x({"PTTL", "k:e"}, kTtl);
  x({"EXPIRE", "k:e", "200", "NX"});
  x({"EXPIRE", "k:e", "300", "XX"});
  x({"EXPIRE", "k:e", "50", "GT"});
  x({"EXPIRE", "k:e", "50", "LT"});
  x({"EXPIRE", "k:missing", "100"});
  x({"EXPIRE", "k:e", "abc"});
  x({"PEXPIRE", "k:e", "100000"});
  x({"PTTL", "k:e"}, kTtl);
  x({"PERSIST", "k:e"});
  x({"PERSIST", "k:e"});
  x({"TTL", "k:e"}, kTtl);
  x({"TTL", "k:missing"}, kTtl);
  x({"PTTL", "k:missing"}, kTtl);
  x({"EXPIREAT", "k:e", "4102444800"});
  x({"TTL", "k:e"}, kTtl);
  x({"EXPIRETIME", "k:e"});
  x({"PEXPIREAT", "k:e", "4102444800123"});
  x({"PEXPIRETIME", "k:e"});
  x({"PERSIST", "k:e"});
  x({"EXPIRETIME", "k:e"});
  x({"TYPE", "k:b"});
  x({"TYPE", "k:missing"});
  x({"RPUSH", "k:l", "a"});
  x({"TYPE", "k:l"});
  x({"SADD", "k:set", "a"});
  x({"TYPE", "k:set"});
  x({"ZADD", "k:z", "1", "a"});
  x({"TYPE", "k:z"});
  x({"HSET", "k:h", "f", "v"});
  x({"TYPE", "k:h"});
  x({"SET", "k:dump", "hello"});
  x({"DUMP", "k:dump"});
  x({"DUMP", "k:missing"});
  x({"RESTORE", "k:restored", "0", dump_payload});
  x({"GET", "k:restored"});
  x({"RESTORE", "k:restored", "0", dump_payload});
  x({"RESTORE", "k:restored", "0", dump_payload, "REPLACE"});
  x({"RESTORE", "k:r2", "100000", dump_payload});
  x({"PTTL", "k:r2"}, kTtl);
  x({"RESTORE", "k:r3", "0", "not a payload"});
  x({"RPUSH", "k:sort", "3", "1", "2", "10"});
  x({"SORT", "k:sort"});
  x({"SORT", "k:sort", "DESC"});
  x({"SORT", "k:sort", "LIMIT", "1", "2"});
  x({"SORT", "k:sort", "ALPHA"});
  x({"SORT_RO", "k:sort"});
  x({"SORT_RO", "k:sort", "DESC", "LIMIT", "0", "2"});
  x({"SADD", "k:sortset", "b", "a", "c"});
  x({"SORT", "k:sortset", "ALPHA"});
  x({"SORT", "k:sortset"});
}

void hashes_script(Script& x) {
  x({"HSET", "h:1", "f1", "v1", "f2", "v2"});
  x({"HSET", "h:1", "f1", "v1b", "f3", "v3"});
  x({"HSET", "h:1", "onlyfield"});
  x({"HGET", "h:1", "f1"});
  x({"HGET", "h:1", "nope"});
  x({"HGET", "h:nokey", "f"});
  x({"HSETNX", "h:1", "f1", "x"});
  x({"HSETNX", "h:1", "f4", "v4"});
  x({"HMSET", "h:1", "f5", "v5", "f6", "v6"});
  x({"HMGET", "h:1", "f1", "nope", "f5"});
  x({"HMGET", "h:nokey", "a", "b"});
  x({"HGETALL", "h:1"});
  x({"HGETALL", "h:nokey"});
  x({"HKEYS", "h:1"});
  x({"HVALS", "h:1"});
  x({"HLEN", "h:1"});
  x({"HEXISTS", "h:1", "f2"});
  x({"HEXISTS", "h:1", "nope"});
  x({"HDEL", "h:1", "f2", "nope"});
  x({"HDEL", "h:1", "f2"});
  x({"HSTRLEN", "h:1", "f1"});
  x({"HSTRLEN", "h:1", "nope"});
  x({"HSET", "h:1", "cnt", "10"});
  x({"HINCRBY", "h:1", "cnt", "5"});
  x({"HINCRBY", "h:1", "cnt", "-20"});
  x({"HINCRBY", "h:1", "f1", "1"});
  x({"HINCRBYFLOAT", "h:1", "fl", "1.5"});
  x({"HINCRBYFLOAT", "h:1", "fl", "2.25"});
  x({"HINCRBYFLOAT", "h:1", "f1", "1"});
  x({"HGETALL", "h:1"});
  x({"HRANDFIELD", "h:1"}, kShape);
  x({"HRANDFIELD", "h:1", "3"}, kShape);
  x({"HRANDFIELD", "h:1", "-5"}, kShape);
  x({"HRANDFIELD", "h:1", "2", "WITHVALUES"}, kShape);
  x({"HRANDFIELD", "h:nokey"});
  x({"HSCAN", "h:1", "0"}, kScan);
  x({"HSCAN", "h:1", "0", "MATCH", "f*", "COUNT", "100"}, kScan);
  x({"HGET", "s:a", "f"});
  x({"HSET", "s:a", "f", "v"});
}

void lists_script(Script& x) {
  x({"LPUSH", "l:1", "a", "b", "c"});
  x({"RPUSH", "l:1", "d", "e"});
  x({"LRANGE", "l:1", "0", "-1"});
  x({"LLEN", "l:1"});
  x({"LLEN", "l:none"});
  x({"LPUSHX", "l:1", "z"});
  x({"LPUSHX", "l:none", "z"});
  x({"RPUSHX", "l:1", "y"});
  x({"RPUSHX", "l:none", "y"});
  x({"LINDEX", "l:1", "0"});
  x({"LINDEX", "l:1", "-1"});
  x({"LINDEX", "l:1", "100"});
  x({"LSET", "l:1", "1", "B"});
  x({"LSET", "l:1", "100", "x"});
  x({"LSET", "l:none", "0", "x"});
  x({"LRANGE", "l:1", "0", "-1"});
  x({"LRANGE", "l:1", "-3", "-2"});
  x({"LRANGE", "l:none", "0", "-1"});
  x({"LPOP", "l:1"});
  x({"RPOP", "l:1"});
  x({"LPOP", "l:1", "2"});
  x({"RPOP", "l:1", "2"});
  x({"LPOP", "l:none"});
  x({"LPOP", "l:none", "2"});
  x({"LPOP", "l:1", "-1"});
  x({"LRANGE", "l:1", "0", "-1"});
  x({"RPUSH", "l:2", "a", "b", "a", "c", "a", "d"});
  x({"LREM", "l:2", "2", "a"});
  x({"LREM", "l:2", "-1", "a"});
  x({"LREM", "l:2", "0", "zz"});
  x({"LRANGE", "l:2", "0", "-1"});
  x({"LINSERT", "l:2", "BEFORE", "c", "X"});
  x({"LINSERT", "l:2", "AFTER", "c", "Y"});
  x({"LINSERT", "l:2", "BEFORE", "nope", "X"});
  x({"LINSERT", "l:none", "BEFORE", "a", "b"});
  x({"LINSERT", "l:2", "SIDEWAYS", "c", "X"});
  x({"LRANGE", "l:2", "0", "-1"});
  x({"RPUSH", "l:3", "a", "b", "c", "a", "b", "c", "a"});
  x({"LPOS", "l:3", "a"});
  x({"LPOS", "l:3", "a", "RANK", "2"});
  x({"LPOS", "l:3", "a", "COUNT", "0"});
  x({"LPOS", "l:3", "a", "RANK", "-1", "COUNT", "2"});
  x({"LPOS", "l:3", "z"});
  x({"LTRIM", "l:3", "1", "4"});
  x({"LRANGE", "l:3", "0", "-1"});
  x({"LTRIM", "l:3", "5", "10"});
  x({"EXISTS", "l:3"});
  x({"LPUSH", "s:a", "x"});
  x({"LRANGE", "s:a", "0", "-1"});
}

void sets_script(Script& x) {
  x({"SADD", "set:1", "a", "b", "c", "d"});
  x({"SADD", "set:1", "a", "e"});
  x({"SREM", "set:1", "e", "nope"});
  x({"SMEMBERS", "set:1"}, kSorted);
  x({"SMEMBERS", "set:none"});
  x({"SISMEMBER", "set:1", "a"});
  x({"SISMEMBER", "set:1", "z"});
  x({"SMISMEMBER", "set:1", "a", "z", "b"});
  x({"SCARD", "set:1"});
  x({"SCARD", "set:none"});
  x({"SADD", "set:int", "3", "1", "2"});
  x({"SMEMBERS", "set:int"}, kSorted);
  x({"SADD", "set:pop", "a", "b", "c", "d", "e"});
  x({"SPOP", "set:pop"}, kShape);
  x({"SPOP", "set:pop", "2"}, kShape);
  x({"SCARD", "set:pop"});
  x({"SPOP", "set:pop", "10"}, kShape);
  x({"EXISTS", "set:pop"});
  x({"SPOP", "set:none"});
  x({"SRANDMEMBER", "set:1"}, kShape);
  x({"SRANDMEMBER", "set:1", "2"}, kShape);
  x({"SRANDMEMBER", "set:1", "-6"}, kShape);
  x({"SRANDMEMBER", "set:none"});
  x({"SSCAN", "set:1", "0"}, kScan);
  x({"SSCAN", "set:int", "0"}, kScan);
  x({"SADD", "s:a", "x"});
  x({"SMEMBERS", "s:a"});
}

void zsets_script(Script& x) {
  x({"ZADD", "z:1", "1", "one", "2", "two", "3", "three"});
  x({"ZADD", "z:1", "NX", "10", "one", "4", "four"});
  x({"ZADD", "z:1", "XX", "5", "five", "1.5", "one"});
  x({"ZADD", "z:1", "XX", "CH", "1.25", "one"});
  x({"ZADD", "z:1", "GT", "1", "two"});
  x({"ZADD", "z:1", "GT", "CH", "2.5", "two"});
  x({"ZADD", "z:1", "LT", "CH", "5", "three"});
  x({"ZADD", "z:1", "INCR", "1", "four"});
  x({"ZADD", "z:1", "NX", "XX", "1", "a"});
  x({"ZADD", "z:1", "abc", "x"});
  x({"ZADD", "z:1", "1"});
  x({"ZINCRBY", "z:1", "2", "one"});
  x({"ZINCRBY", "z:1", "1", "new"});
  x({"ZINCRBY", "z:1", "x", "one"});
  x({"ZRANGE", "z:1", "0", "-1"});
  x({"ZRANGE", "z:1", "0", "-1", "WITHSCORES"});
  x({"ZRANGE", "z:1", "2", "4", "BYSCORE"});
  x({"ZRANGE", "z:1", "(1", "+inf", "BYSCORE", "LIMIT", "1", "2", "WITHSCORES"});
  x({"ZRANGE", "z:1", "0", "1", "REV"});
  x({"ZRANGE", "z:1", "+inf", "-inf", "BYSCORE", "REV", "LIMIT", "0", "3"});
  x({"ZRANGEBYSCORE", "z:1", "-inf", "+inf"});
  x({"ZRANGEBYSCORE", "z:1", "(2", "5", "WITHSCORES"});
  x({"ZRANGEBYSCORE", "z:1", "0", "10", "LIMIT", "1", "2"});
  x({"ZREVRANGEBYSCORE", "z:1", "+inf", "-inf", "WITHSCORES"});
  x({"ZREVRANGE", "z:1", "0", "2"});
  x({"ZREVRANGE", "z:1", "0", "-1", "WITHSCORES"});
  x({"ZADD", "z:lex", "0", "a", "0", "b", "0", "c", "0", "d", "0", "e"});
  x({"ZRANGEBYLEX", "z:lex", "-", "+"});
  x({"ZRANGEBYLEX", "z:lex", "[b", "(d"});
  x({"ZRANGEBYLEX", "z:lex", "-", "+", "LIMIT", "1", "2"});
  x({"ZRANGEBYLEX", "z:lex", "b", "d"});
  x({"ZREVRANGEBYLEX", "z:lex", "+", "-"});
  x({"ZRANGE", "z:lex", "[a", "[c", "BYLEX"});
  x({"ZLEXCOUNT", "z:lex", "-", "+"});
  x({"ZLEXCOUNT", "z:lex", "[b", "[d"});
  x({"ZRANK", "z:1", "two"});
  x({"ZRANK", "z:1", "nope"});
  x({"ZREVRANK", "z:1", "two"});
  x({"ZSCORE", "z:1", "two"});
  x({"ZSCORE", "z:1", "nope"});
  x({"ZMSCORE", "z:1", "one", "nope", "two"});
  x({"ZCARD", "z:1"});
  x({"ZCARD", "z:none"});
  x({"ZCOUNT", "z:1", "-inf", "+inf"});
  x({"ZCOUNT", "z:1", "(1", "3"});
  x({"ZREM", "z:1", "new", "nope"});
  x({"ZREMRANGEBYSCORE", "z:1", "10", "20"});
  x({"ZREMRANGEBYRANK", "z:lex", "0", "0"});
  x({"ZREMRANGEBYLEX", "z:lex", "[b", "[c"});
  x({"ZRANGE", "z:lex", "0", "-1"});
  x({"ZPOPMIN", "z:1"});
  x({"ZPOPMAX", "z:1"});
  x({"ZPOPMIN", "z:1", "2"});
  x({"ZPOPMAX", "z:none"});
  x({"ZRANGE", "z:1", "0", "-1", "WITHSCORES"});
  x({"ZADD", "z:r", "1", "a", "2", "b", "3", "c"});
  x({"ZRANDMEMBER", "z:r"}, kShape);
  x({"ZRANDMEMBER", "z:r", "2"}, kShape);
  x({"ZRANDMEMBER", "z:r", "-5", "WITHSCORES"}, kShape);
  x({"ZRANDMEMBER", "z:none"});
  x({"ZSCAN", "z:r", "0"}, kScan);
  x({"ZSCAN", "z:r", "0", "MATCH", "a*"}, kScan);
  x({"ZADD", "s:a", "1", "x"});
  x({"ZSCORE", "s:a", "x"});
}

void misc_script(Script& x) {
  // hyperloglog (single key)
  x({"PFADD", "hll:1", "a", "b", "c", "d"});
  x({"PFADD", "hll:1", "a"});
  x({"PFADD", "hll:empty"});
  x({"PFCOUNT", "hll:1"});
  x({"PFCOUNT", "hll:none"});
  x({"PFCOUNT", "s:a"});

  // geo
  x({"GEOADD", "geo:1", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669",
     "Catania"});
  x({"GEOADD", "geo:1", "NX", "13.583333", "37.316667", "Agrigento"});
  x({"GEOADD", "geo:1", "200", "100", "bad"});
  x({"GEODIST", "geo:1", "Palermo", "Catania"});
  x({"GEODIST", "geo:1", "Palermo", "Catania", "km"});
  x({"GEODIST", "geo:1", "Palermo", "nope"});
  x({"GEOHASH", "geo:1", "Palermo", "Catania", "nope"});
  x({"GEOPOS", "geo:1", "Palermo", "nope"});
  x({"GEOSEARCH", "geo:1", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "ASC"});
  x({"GEOSEARCH", "geo:1", "FROMMEMBER", "Palermo", "BYBOX", "400", "400", "km", "ASC",
     "WITHCOORD", "WITHDIST"});
  x({"GEORADIUS", "geo:1", "15", "37", "200", "km", "WITHDIST", "ASC"});
  x({"GEORADIUS", "geo:1", "15", "37", "100", "km", "COUNT", "1", "ASC"});
  x({"GEORADIUSBYMEMBER", "geo:1", "Palermo", "200", "km", "ASC"});

  // scripting with one key
  x({"EVALSHA", sha1_hex(kScript1), "1", "ev:a", "v0"});
  x({"EVAL", kScript1, "1", "ev:a", "v1"});
  x({"EVALSHA", sha1_hex(kScript1), "1", "ev:a", "v2"});
  x({"GET", "ev:a"});
  x({"EVAL", "return redis.call('get', KEYS[1])", "1", "ev:nokey"});
  x({"EVAL", "return {1, 2, 'three', KEYS[1]}", "1", "ev:b"});
  x({"EVAL", "return redis.status_reply('FINE')", "1", "ev:b"});
  x({"EVAL", "return redis.call('incr', KEYS[1])", "1", "s:a"});
  x({"EVAL", "return 1", "2", "ev:b"});

  // answered by walnut itself: must read as Redis's own answers
  x({"PING"});
  x({"PING", "hello"});
  x({"ECHO", "hello world"});
  x({"ECHO", ""});
  connection_script(x);
}

}  // namespace

std::vector<Step> single_key_script(const std::string& dump_payload) {
  Script x;
  strings_script(x);
  keys_script(x, dump_payload);
  hashes_script(x);
  lists_script(x);
  sets_script(x);
  zsets_script(x);
  misc_script(x);
  return x.steps;
}

namespace {

// Transactions, on the server of their keys (the hash tag keeps them on one
// server of three). Errors at queue time doom EXEC in both.
void transactions_script(Script& x) {
  x({"MULTI"});
  x({"SET", "{t}a", "1"});
  x({"INCR", "{t}a"});
  x({"GET", "{t}a"});
  x({"PING"});
  x({"ECHO", "in"});
  x({"EXEC"});
  x({"MULTI"});
  x({"SET", "{t}a", "2"});
  x({"DISCARD"});
  x({"GET", "{t}a"});
  x({"EXEC"});
  x({"DISCARD"});
  x({"MULTI"});
  x({"MULTI"});
  x({"INCR", "{t}a"});
  x({"EXEC"});
  x({"MULTI"});
  x({"GET"});
  x({"SET", "{t}a", "3"});
  x({"EXEC"});
  x({"GET", "{t}a"});
  x({"WATCH", "{t}a", "{t}b"});
  x({"MULTI"});
  x({"INCR", "{t}a"});
  x({"EXEC"});
  x({"WATCH", "{t}a"});
  x({"UNWATCH"});
  x({"UNWATCH"});
  x({"MULTI"});
  x({"WATCH", "{t}a"});
  x({"UNWATCH"});
  x({"DISCARD"});
  x({"MULTI"});
  x({"EXEC"});
  x({"MULTI"});
  x({"PING"});
  x({"ECHO", "keyless"});
  x({"EXEC"});
  x({"MULTI"});
  x({"BLPOP", "{t}list", "0"});
  x({"RPUSH", "{t}list", "x"});
  x({"BLPOP", "{t}list", "0"});
  x({"EXEC"});
  x({"EXEC", "extra"});
}

// Blocking commands that do not block for long: data present, or a
// timeout of 10 ms. Their keys share a server by hash tag.
void blocking_script(Script& x) {
  x({"RPUSH", "{b}l", "a", "b", "c"});
  x({"BLPOP", "{b}l", "0"});
  x({"BRPOP", "{b}nothing", "{b}l", "1"});
  x({"BLMOVE", "{b}l", "{b}m", "LEFT", "RIGHT", "0"});
  x({"BLPOP", "{b}l", "0.01"});
  x({"BLMOVE", "{b}l", "{b}m", "LEFT", "RIGHT", "0.01"});
  x({"RPUSH", "{b}l", "d"});
  x({"BRPOPLPUSH", "{b}l", "{b}m", "0"});
  x({"LRANGE", "{b}m", "0", "-1"});
  x({"BLMPOP", "0.01", "2", "{b}l", "{b}m", "LEFT", "COUNT", "5"});
  x({"BLMPOP", "0.01", "1", "{b}l", "LEFT"});
  x({"ZADD", "{b}z", "1", "a", "2", "b", "3", "c"});
  x({"BZPOPMIN", "{b}z", "0"});
  x({"BZPOPMAX", "{b}z", "0"});
  x({"BZMPOP", "0", "1", "{b}z", "MIN"});
  x({"BZPOPMIN", "{b}z", "0.01"});
  x({"BLPOP", "{b}l", "soon"});
  x({"BLPOP", "{b}l", "-1"});
  x({"XADD", "{b}s", "1-1", "f", "v"});
  x({"XADD", "{b}s", "1-2", "f", "w"});
  x({"XREAD", "COUNT", "1", "STREAMS", "{b}s", "0"});
  x({"XREAD", "BLOCK", "0", "STREAMS", "{b}s", "0"});
  x({"XREAD", "BLOCK", "10", "STREAMS", "{b}s", "$"});
  x({"XREAD", "STREAMS", "{b}s"});
  x({"XREAD", "COUNT", "1"});
  x({"XGROUP", "CREATE", "{b}s", "g", "0"});
  x({"XREADGROUP", "GROUP", "g", "c", "COUNT", "1", "STREAMS", "{b}s", ">"});
  x({"XREADGROUP", "GROUP", "g", "c", "BLOCK", "10", "STREAMS", "{b}s", ">"});
  x({"XPENDING", "{b}s", "g"});
  x({"XACK", "{b}s", "g", "1-1"});
  x({"XINFO", "GROUPS", "{b}s"}, kShape);
}

// Pub/sub without subscribers, and subscribed mode on this connection
// (one name per command: each gets one confirmation).
void pubsub_script(Script& x, const std::function<std::string(const std::string&)>& name) {
  x({"PUBLISH", name("ch"), "hi"});
  x({"SPUBLISH", name("ch"), "hi"});
  x({"PUBSUB", "CHANNELS"});
  x({"PUBSUB", "CHANNELS", "*"});
  x({"PUBSUB", "NUMSUB", name("a"), name("b"), name("c")});
  x({"PUBSUB", "SHARDNUMSUB", name("a")});
  x({"PUBSUB", "SHARDCHANNELS"});
  x({"UNSUBSCRIBE"});
  x({"PUNSUBSCRIBE"});
  x({"SUBSCRIBE", name("c1")});
  x({"PSUBSCRIBE", "p:*"});
  x({"SUBSCRIBE", name("c1")});
  x({"PING"});
  x({"PING", "x"});
  x({"GET", name("c1")});
  x({"SSUBSCRIBE", name("s1")});
  x({"PUNSUBSCRIBE", "p:*"});
  x({"UNSUBSCRIBE", name("c1")});
  x({"UNSUBSCRIBE", name("never")});
  x({"SUNSUBSCRIBE", name("s1")});
  x({"PING"});
  x({"GET", name("c1")});
}

}  // namespace

std::vector<Step> multi_key_script() {
  Script x;
  // Untagged keys vary in front and share a tail, as spread_key's do.
  auto K = [](const std::string& name) { return name + "-mk-key"; };

  // Fragmented over servers: untagged keys.
  x({"MSET", K("a"), "1", K("b"), "2", K("c"), "3", K("d"), "4", K("e"), "5", K("f"), "6"});
  x({"MGET", K("a"), K("b"), K("c"), K("d"), K("e"), K("f")});
  x({"MGET", K("a"), K("missing"), K("b"), K("a"), K("f"), K("a")});
  x({"MGET", K("missing")});
  x({"MGET", K("a")});
  x({"MSET", K("a"), "10", K("a"), "11"});
  x({"GET", K("a")});
  x({"MSET", K("g"), "7", K("h"), "8", K("g"), "9"});
  x({"MGET", K("g"), K("h"), K("g")});
  x({"MSET", K("odd"), "1", K("odd2")});
  x({"EXISTS", K("a"), K("b"), K("missing"), K("a")});
  x({"EXISTS", K("missing"), K("missing2")});
  x({"EXISTS", K("c")});
  x({"TOUCH", K("a"), K("c"), K("missing"), K("c")});
  x({"TOUCH", K("nothing")});
  x({"DEL", K("a"), K("a"), K("missing")});
  x({"DEL", K("missing")});
  x({"MGET", K("a"), K("b")});
  x({"UNLINK", K("b"), K("c"), K("b")});
  x({"UNLINK", K("none1"), K("none2")});
  x({"EXISTS", K("a"), K("b"), K("c"), K("d")});
  x({"RPUSH", K("list"), "x"});
  x({"MGET", K("list"), K("d"), K("list")});
  x({"EXISTS", K("list"), K("d"), K("list")});
  x({"DEL", K("list"), K("d"), K("e"), K("f"), K("g"), K("h")});
  x({"MGET", K("d"), K("e")});
  {
    Args mset = {"MSET"}, mget = {"MGET"}, exists = {"EXISTS"}, touch = {"TOUCH"},
         del = {"DEL"}, unlink = {"UNLINK"};
    for (int i = 0; i < 30; ++i) {
      std::string k = K("n" + std::to_string(i));
      mset.insert(mset.end(), {k, "value-" + std::to_string(i)});
      mget.push_back(k);
      if (i % 4 == 0) mget.push_back(K("gone" + std::to_string(i)));
      if (i % 5 == 0) mget.push_back(K("n0"));
      exists.push_back(k);
      touch.push_back(k);
      if (i % 2 == 0) del.insert(del.end(), {k, k});
      unlink.push_back(k);
    }
    exists.push_back(K("n7"));
    x(mset);
    x(mget);
    x(exists);
    x(touch);
    x(del);
    x(mget);
    x(exists);
    x(unlink);
    x(mget);
  }

  // Several keys on one server, by hash tag.
  x({"MSETNX", "{m}a", "1", "{m}b", "2"});
  x({"MSETNX", "{m}b", "3", "{m}c", "4"});
  x({"MSETNX", "{m}c", "5", "{m}d", "6"});
  x({"MGET", "{m}a", "{m}b", "{m}c", "{m}d"});
  x({"SET", "{l}1", "ohmytext"});
  x({"SET", "{l}2", "mynewtext"});
  x({"LCS", "{l}1", "{l}2"});
  x({"LCS", "{l}1", "{l}2", "LEN"});
  x({"LCS", "{l}1", "{l}2", "IDX", "MINMATCHLEN", "4", "WITHMATCHLEN"});
  x({"SET", "{r}a", "1"});
  x({"RENAME", "{r}a", "{r}b"});
  x({"GET", "{r}b"});
  x({"EXISTS", "{r}a"});
  x({"RENAME", "{r}missing", "{r}x"});
  x({"SET", "{r}c", "3"});
  x({"RENAMENX", "{r}b", "{r}c"});
  x({"RENAMENX", "{r}b", "{r}d"});
  x({"GET", "{r}d"});
  x({"COPY", "{r}d", "{r}e"});
  x({"GET", "{r}e"});
  x({"COPY", "{r}d", "{r}e"});
  x({"COPY", "{r}c", "{r}e", "REPLACE"});
  x({"GET", "{r}e"});
  x({"RPUSH", "{q}src", "1", "2", "3", "4", "5"});
  x({"RPOPLPUSH", "{q}src", "{q}dst"});
  x({"RPOPLPUSH", "{q}src", "{q}src"});
  x({"RPOPLPUSH", "{q}none", "{q}dst"});
  x({"LMOVE", "{q}src", "{q}dst", "LEFT", "RIGHT"});
  x({"LMOVE", "{q}src", "{q}dst", "RIGHT", "LEFT"});
  x({"LMOVE", "{q}none", "{q}dst", "LEFT", "LEFT"});
  x({"LMOVE", "{q}src", "{q}dst", "UP", "LEFT"});
  x({"LRANGE", "{q}src", "0", "-1"});
  x({"LRANGE", "{q}dst", "0", "-1"});
  x({"SADD", "{s}1", "a", "b", "c", "d"});
  x({"SADD", "{s}2", "c", "d", "e"});
  x({"SADD", "{s}3", "d", "f"});
  x({"SINTER", "{s}1", "{s}2"}, kSorted);
  x({"SINTER", "{s}1", "{s}2", "{s}3"}, kSorted);
  x({"SINTER", "{s}1", "{s}none"});
  x({"SUNION", "{s}1", "{s}2"}, kSorted);
  x({"SUNION", "{s}1", "{s}2", "{s}3"}, kSorted);
  x({"SDIFF", "{s}1", "{s}2"}, kSorted);
  x({"SDIFF", "{s}1", "{s}2", "{s}3"}, kSorted);
  x({"SINTERSTORE", "{s}i", "{s}1", "{s}2"});
  x({"SUNIONSTORE", "{s}u", "{s}1", "{s}2", "{s}3"});
  x({"SDIFFSTORE", "{s}d", "{s}1", "{s}3"});
  x({"SMEMBERS", "{s}i"}, kSorted);
  x({"SMEMBERS", "{s}u"}, kSorted);
  x({"SMEMBERS", "{s}d"}, kSorted);
  x({"SMOVE", "{s}1", "{s}2", "a"});
  x({"SMOVE", "{s}1", "{s}2", "zz"});
  x({"SMEMBERS", "{s}1"}, kSorted);
  x({"SMEMBERS", "{s}2"}, kSorted);
  x({"SINTER", "{s}1", "{r}e"});
  x({"ZADD", "{z}1", "1", "a", "2", "b", "3", "c"});
  x({"ZADD", "{z}2", "10", "b", "20", "c", "30", "d"});
  x({"ZUNIONSTORE", "{z}u", "2", "{z}1", "{z}2"});
  x({"ZRANGE", "{z}u", "0", "-1", "WITHSCORES"});
  x({"ZUNIONSTORE", "{z}u2", "2", "{z}1", "{z}2", "WEIGHTS", "2", "0.5", "AGGREGATE", "MAX"});
  x({"ZRANGE", "{z}u2", "0", "-1", "WITHSCORES"});
  x({"ZINTERSTORE", "{z}i", "2", "{z}1", "{z}2"});
  x({"ZRANGE", "{z}i", "0", "-1", "WITHSCORES"});
  x({"ZINTERSTORE", "{z}i2", "2", "{z}1", "{z}2", "AGGREGATE", "MIN"});
  x({"ZRANGE", "{z}i2", "0", "-1", "WITHSCORES"});
  x({"ZINTERSTORE", "{z}i3", "3", "{z}1", "{z}2"});
  x({"ZRANGESTORE", "{z}rs", "{z}2", "0", "1"});
  x({"ZRANGESTORE", "{z}rs2", "{z}2", "15", "+inf", "BYSCORE"});
  x({"ZRANGE", "{z}rs", "0", "-1", "WITHSCORES"});
  x({"ZRANGE", "{z}rs2", "0", "-1", "WITHSCORES"});
  x({"PFADD", "{h}1", "a", "b", "c"});
  x({"PFADD", "{h}2", "c", "d", "e", "f"});
  x({"PFCOUNT", "{h}1", "{h}2"});
  x({"PFMERGE", "{h}m", "{h}1", "{h}2"});
  x({"PFCOUNT", "{h}m"});
  x({"PFCOUNT", "{h}m", "{h}1", "{h}none"});
  x({"GEOADD", "{g}src", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669",
     "Catania"});
  x({"GEOSEARCHSTORE", "{g}dst", "{g}src", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km",
     "ASC"});
  x({"ZRANGE", "{g}dst", "0", "-1"});
  x({"EVALSHA", sha1_hex(kScript2), "2", "{e}a", "{e}b", "x", "y"});
  x({"EVAL", kScript2, "2", "{e}a", "{e}b", "x", "y"});
  x({"EVALSHA", sha1_hex(kScript2), "2", "{e}a", "{e}b", "p", "q"});
  x({"MGET", "{e}a", "{e}b"});
  x({"DEL", "{m}a", "{m}b", "{m}c", "{m}d"});
  x({"EXISTS", "{m}a", "{l}1", "{l}2", "{r}e"});

  // Sent to every server and merged: the pool answers as one keyspace.
  x({"DBSIZE"});
  x({"KEYS", "*"}, kSorted);
  x({"KEYS", "*-mk-key"}, kSorted);
  x({"KEYS", "no-such-*"});
  x({"RANDOMKEY"}, kShape);
  x({"DBSIZE", "extra"});
  x({"KEYS"});

  // Transactions, blocking commands and pub/sub: over three servers too.
  transactions_script(x);
  blocking_script(x);
  pubsub_script(x, K);
  x({"COMMAND", "INFO", "get", "mget", "blpop"});
  return x.steps;
}

}  // namespace walnut::e2e
