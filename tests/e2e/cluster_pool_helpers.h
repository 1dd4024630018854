// Helpers for the tests of walnut's Redis Cluster pools: the pool's
// configuration, and what a fake node asks of a request.
#pragma once

#include <string>
#include <vector>

#include "tests/e2e/resp_reply.h"

namespace walnut::e2e {

// A pool "cl" with redis_cluster: true over `seeds` (listening on
// LISTEN_PORT, see Walnut), `extra` settings before the servers.
std::string cluster_yaml(const std::vector<int>& seeds, const std::string& extra = "",
                         int timeout_ms = 3000);

// Whether `request` is the command `name` (upper case), in any case.
bool is_command(const Args& request, const std::string& name);

}  // namespace walnut::e2e
