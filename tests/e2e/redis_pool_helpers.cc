// Helpers for end-to-end fixtures over real redis-servers (see
// redis_pool_helpers.h).
#include "tests/e2e/redis_pool_helpers.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/e2e/harness.h"
#include "tests/e2e/resp_reply.h"

namespace walnut::e2e {

std::string pool_yaml(const std::string& name, const std::vector<int>& ports,
                      const std::string& extra) {
  std::string y = name + ":\n  listen: 127.0.0.1:LISTEN_PORT\n  redis: true\n" + extra +
                  "  servers:\n";
  for (int p : ports) y += "   - 127.0.0.1:" + std::to_string(p) + ":1\n";
  return y;
}

std::string flushed(int port) {
  Client c(port);
  return c.call({"FLUSHALL"}) + c.call({"SCRIPT", "FLUSH"});
}

std::string spread_key(const std::string& family, int i) {
  return std::to_string(i) + ":" + family + ":key";
}

std::vector<int> locate(const std::vector<int>& ports, const std::vector<std::string>& keys) {
  std::vector<int> where(keys.size(), -1);
  for (size_t s = 0; s < ports.size(); ++s) {
    Client c(ports[s]);
    Args mget = {"MGET"};
    mget.insert(mget.end(), keys.begin(), keys.end());
    Reply r = parse(c.call(mget));
    if (r.type != '*' || r.items.size() != keys.size()) {
      ADD_FAILURE() << "direct MGET failed on server " << s;
      continue;
    }
    for (size_t i = 0; i < keys.size(); ++i) {
      if (r.items[i] == "$-1\r\n") continue;
      where[i] = where[i] == -1 ? static_cast<int>(s) : -2;
    }
  }
  return where;
}

}  // namespace walnut::e2e
