// A real memcached for the end-to-end tests (see memcached_server.h).
#include "tests/e2e/memcached_server.h"

#include <unistd.h>

#include <stdexcept>

namespace walnut::e2e {

using namespace std::chrono_literals;

MemcachedServer::MemcachedServer(const TempDir& dir,
                                 const std::vector<std::string>& extra)
    : port_(free_port()) {
  log_path_ = dir.file("memcached-" + std::to_string(port_) + ".log");
  std::vector<std::string> argv = {"/usr/bin/memcached", "-l", "127.0.0.1",
                                   "-p", std::to_string(port_), "-U", "0",
                                   "-t", "1", "-m", "64"};
  // memcached refuses to run as root unless told which user to be.
  if (geteuid() == 0) {
    argv.push_back("-u");
    argv.push_back("root");
  }
  argv.insert(argv.end(), extra.begin(), extra.end());
  process_ = Process(argv, log_path_);
  if (!wait_for_port(port_, 10s)) {
    throw std::runtime_error("memcached did not start on port " +
                             std::to_string(port_) + ": " + log());
  }
}

std::string memcache_pool_yaml(const std::string& name,
                               const std::vector<int>& ports,
                               const std::string& extra) {
  std::string y = name + ":\n  listen: 127.0.0.1:LISTEN_PORT\n  redis: false\n" +
                  extra + "  servers:\n";
  for (int p : ports) y += "   - 127.0.0.1:" + std::to_string(p) + ":1\n";
  return y;
}

}  // namespace walnut::e2e
