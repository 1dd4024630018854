// The differential runner of the end-to-end tests: sends the same commands
// to a redis-server and to walnut and compares the replies, exactly or, where
// Redis's answer is not defined to the byte, by a looser rule.
#pragma once

#include <string>
#include <vector>

#include "tests/e2e/resp_reply.h"

namespace walnut::e2e {

enum class Cmp {
  kExact,   // byte for byte
  kSorted,  // an array whose order is not defined (a set): as a multiset
  kShape,   // random results: same type, same element count, same nullness
  kTtl,     // a time to live: both >= 0, or the same negative code
  kScan,    // [cursor, elements]: same cursor, elements as a multiset
};

struct Step {
  Args args;
  Cmp cmp = Cmp::kExact;
};

// True when `a` and `b` hold the same strings, in any order.
bool same_multiset(std::vector<std::string> a, std::vector<std::string> b);

// Empty when `got` (walnut) agrees with `want` (redis) under `cmp`; else why not.
std::string differ(Cmp cmp, const std::string& want, const std::string& got);

// Sends every step to redis and to walnut, one at a time, and compares the
// replies; returns how many were compared. A walnut connection that stops
// answering is replaced, but not forever.
int compare_runs(const std::vector<Step>& steps, int redis_port, int walnut_port,
                 const std::string& label);

}  // namespace walnut::e2e
