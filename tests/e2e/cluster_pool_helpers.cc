// Helpers for the tests of walnut's Redis Cluster pools.
#include "tests/e2e/cluster_pool_helpers.h"

#include <cctype>

#include "tests/e2e/redis_pool_helpers.h"

namespace walnut::e2e {

std::string cluster_yaml(const std::vector<int>& seeds, const std::string& extra,
                         int timeout_ms) {
  return pool_yaml("cl", seeds,
                   "  redis_cluster: true\n  timeout: " + std::to_string(timeout_ms) + "\n" + extra);
}

bool is_command(const Args& request, const std::string& name) {
  if (request.empty() || request[0].size() != name.size()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    if (std::toupper(static_cast<unsigned char>(request[0][i])) != name[i]) return false;
  }
  return true;
}

}  // namespace walnut::e2e
