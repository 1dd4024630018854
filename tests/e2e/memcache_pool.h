// The fixture of the memcached end-to-end tests: memcached servers behind one
// walnut pool, and the waits and pool settings the tests share.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "tests/e2e/harness.h"
#include "tests/e2e/memcached_server.h"

namespace walnut::e2e {

// How long a reply may take over loopback before the test calls it lost.
// Generous for a local memcached; short enough that a walnut that stops
// answering fails the file quickly (a client that timed out answers "" at
// once afterwards, and the tests stop at the first lost connection).
inline constexpr std::chrono::seconds kWait{2};
inline constexpr std::chrono::seconds kBigWait{3};  // a megabyte each way

// Pool settings that spread keys over servers. md5 rather than fnv1a_64:
// twemproxy's fnv1a_64 barely mixes the tail of short keys.
inline const char* const kSpread = "  hash: md5\n  distribution: ketama\n";

// memcached servers (each with `mc_args`) behind one walnut pool.
struct McPool {
  McPool(const TempDir& dir, int servers, const std::string& extra_yaml = "",
         const std::vector<std::string>& mc_args = {});
  ~McPool();
  std::vector<int> ports() const;
  int port() const { return walnut->port(); }

  std::vector<std::unique_ptr<MemcachedServer>> backends;
  std::unique_ptr<Walnut> walnut;
};

}  // namespace walnut::e2e
