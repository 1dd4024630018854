// memcached through walnut, differentially: the script of memcache_script.h
// run against memcached directly and through walnut over one server, then
// over three, replies compared byte for byte with cas uniques masked; and
// the script's end state checked to be spread over the three servers.
#include <gtest/gtest.h>

#include <iostream>
#include <set>
#include <string>
#include <vector>

#include "tests/e2e/harness.h"
#include "tests/e2e/memcache_client.h"
#include "tests/e2e/memcache_pool.h"
#include "tests/e2e/memcache_script.h"
#include "tests/e2e/memcached_server.h"

namespace walnut::e2e {
namespace {

TEST(MemcacheDifferential, DirectVsOneServerThenThreeServers) {
  TempDir dir;
  std::vector<McStep> steps = differential_script().steps();
  ASSERT_GE(steps.size(), 150u);

  // One server: every command, byte for byte.
  MemcachedServer direct(dir);
  McPool one(dir, 1);
  RunCounts a = compare_runs(steps, direct.port(), one.port(), "one server");
  std::cout << "[ memcache ] differential, one server: " << a.commands
            << " commands sent, " << a.compared << " replies compared\n";
  EXPECT_EQ(a.commands, static_cast<int>(steps.size()));

  // Three servers: the same data (made by the same script) and every
  // retrieval, multi-key ones split over the servers.
  MemcachedServer reference(dir);
  McPool three(dir, 3, kSpread);
  RunCounts b = compare_runs(steps, reference.port(), three.port(), "three servers");
  std::cout << "[ memcache ] differential, three servers: " << b.commands
            << " commands sent, " << b.compared << " replies compared, of which "
            << b.retrievals << " retrievals\n";
  EXPECT_EQ(b.commands, static_cast<int>(steps.size()));

  // The end state really is spread: every key the reference holds is on
  // exactly one of the three servers, and each server holds some.
  std::vector<std::string> keys = script_keys();
  std::vector<int> ref = mc_locate({reference.port()}, keys);
  std::vector<int> where = mc_locate(three.ports(), keys);
  std::set<int> used;
  for (size_t i = 0; i < keys.size(); ++i) {
    EXPECT_EQ(ref[i], 0) << "the script should leave " << keys[i] << " behind";
    EXPECT_GE(where[i], 0) << keys[i] << " is on " << where[i] << " servers (-1: none, -2: many)";
    used.insert(where[i]);
  }
  EXPECT_EQ(used, (std::set<int>{0, 1, 2})) << "keys not spread over all three servers";
}

}  // namespace
}  // namespace walnut::e2e
