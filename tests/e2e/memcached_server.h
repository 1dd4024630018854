// A real memcached for the end-to-end tests, on a free loopback port and
// stopped by pid; and the walnut pool config that fronts memcached servers.
#pragma once

#include <string>
#include <vector>

#include "tests/e2e/harness.h"

namespace walnut::e2e {

class MemcachedServer {
 public:
  // TCP only (-U 0), one worker thread, 64 MB; `extra` adds flags such as
  // {"-I", "2m"} for items over memcached's default 1 MB limit.
  explicit MemcachedServer(const TempDir& dir,
                           const std::vector<std::string>& extra = {});
  int port() const { return port_; }
  Process& process() { return process_; }
  std::string log() const { return read_file(log_path_); }

 private:
  int port_;
  std::string log_path_;
  Process process_;
};

// A memcache pool (redis: false) listening on LISTEN_PORT (see Walnut), with
// `extra` settings (e.g. "  hash: md5\n") before the server list.
std::string memcache_pool_yaml(const std::string& name,
                               const std::vector<int>& ports,
                               const std::string& extra = "");

}  // namespace walnut::e2e
