// Helpers shared by the config tests: a minimal valid pool to add keys to,
// and checks that a load failed with one exact "file:line: message" and left
// no partial Config behind.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "config/config.h"

namespace walnut::config::testing {

// A valid one-pool file; `extra` (lines indented by two spaces) is appended
// inside pool 'alpha', so its first line is line 5.
inline std::string pool_yaml(std::string_view extra = {}) {
  std::string yaml =
      "alpha:\n"                     // 1
      "  listen: 127.0.0.1:22121\n"  // 2
      "  servers:\n"                 // 3
      "    - 127.0.0.1:6379:1\n";    // 4
  yaml += extra;
  return yaml;
}

inline LoadResult load(std::string_view yaml) { return load_string(yaml, "t.yml"); }

// Loads `yaml` as "t.yml" and expects exactly `error`.
inline ::testing::AssertionResult fails_with(std::string_view yaml, std::string_view error) {
  LoadResult r = load(yaml);
  if (r.ok) return ::testing::AssertionFailure() << "loaded fine, expected: " << error;
  if (!r.config.pools.empty()) {
    return ::testing::AssertionFailure()
           << "failed but left " << r.config.pools.size() << " pools behind";
  }
  if (r.error != error) {
    return ::testing::AssertionFailure() << "error was\n  " << r.error << "\nexpected\n  " << error;
  }
  return ::testing::AssertionSuccess();
}

// Loads `yaml` and expects success with exactly one pool, returned.
inline PoolSpec only_pool(std::string_view yaml) {
  LoadResult r = load(yaml);
  EXPECT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.config.pools.size(), 1u);
  return r.config.pools.empty() ? PoolSpec{} : r.config.pools.front();
}

}  // namespace walnut::config::testing
