// The command script of the differential tests: every Redis command family
// walnut forwards, as steps to send to redis and to walnut alike. Single-key
// commands (run over one server) and a self-contained multi-key part (run over
// one server and over three).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "tests/e2e/redis_differential.h"
#include "tests/e2e/resp_reply.h"

namespace walnut::e2e {

// Scripts for EVAL and EVALSHA, over one key and over two.
inline const std::string kScript1 =
    "redis.call('set', KEYS[1], ARGV[1]) return redis.call('get', KEYS[1])";
inline const std::string kScript2 =
    "redis.call('set', KEYS[1], ARGV[1]) redis.call('set', KEYS[2], ARGV[2]) "
    "return {redis.call('get', KEYS[1]), redis.call('get', KEYS[2]), #KEYS}";

// Collects steps: x({...}) compares exactly, x({...}, kShape) otherwise.
struct Script {
  std::vector<Step> steps;
  void operator()(Args a, Cmp c = Cmp::kExact) { steps.push_back({std::move(a), c}); }
};
constexpr Cmp kTtl = Cmp::kTtl, kSorted = Cmp::kSorted, kShape = Cmp::kShape,
              kScan = Cmp::kScan;

// Every single-key family: strings, keys, hashes, lists, sets, sorted sets,
// hyperloglog, geo, scripting and the commands walnut answers itself.
// `dump_payload` is a DUMP of the string "hello" for RESTORE.
std::vector<Step> single_key_script(const std::string& dump_payload);

// Multi-key commands: untagged keys fragmented over servers, and keys that
// share a server by hash tag.
std::vector<Step> multi_key_script();

}  // namespace walnut::e2e
