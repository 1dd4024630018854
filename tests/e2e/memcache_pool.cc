// McPool (see memcache_pool.h): start the servers, then walnut in front of
// them; on the way down, check that walnut is still alive and stop it first.
#include "tests/e2e/memcache_pool.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

namespace walnut::e2e {

McPool::McPool(const TempDir& dir, int servers, const std::string& extra_yaml,
               const std::vector<std::string>& mc_args) {
  for (int i = 0; i < servers; ++i) {
    backends.push_back(std::make_unique<MemcachedServer>(dir, mc_args));
  }
  walnut = std::make_unique<Walnut>(
      dir, memcache_pool_yaml("mc", ports(), extra_yaml));
}

McPool::~McPool() {
  if (walnut) {
    EXPECT_TRUE(walnut->process().running()) << "walnut died: " << walnut->log();
  }
  walnut.reset();  // first, so that its clean exit is checked while servers live
}

std::vector<int> McPool::ports() const {
  std::vector<int> p;
  for (const auto& b : backends) p.push_back(b->port());
  return p;
}

}  // namespace walnut::e2e
