// SIGSTOP/SIGCONT of a test's backend, by pid.
#include "tests/e2e/paused.h"

#include <signal.h>

#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "tests/e2e/harness.h"

namespace walnut::e2e {

bool is_stopped(pid_t pid, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  do {
    std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
    size_t paren = stat.rfind(')');
    if (paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] == 'T') {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  } while (std::chrono::steady_clock::now() < deadline);
  return false;
}

namespace {

// The bytes waiting unread on the established connections whose local end
// is 127.0.0.1:`port` (/proc/net/tcp: hex addresses, tx:rx queues).
long long unread_on(int port) {
  std::ifstream tcp("/proc/net/tcp");
  std::string line;
  std::getline(tcp, line);  // the header
  long long unread = 0;
  while (std::getline(tcp, line)) {
    std::istringstream fields(line);
    std::string slot, local, remote, state, queues;
    fields >> slot >> local >> remote >> state >> queues;
    const size_t colon = local.find(':');
    const size_t rx = queues.find(':');
    if (colon == std::string::npos || rx == std::string::npos || state != "01" ||
        std::stoi(local.substr(colon + 1), nullptr, 16) != port) {
      continue;
    }
    unread += std::stoll(queues.substr(rx + 1), nullptr, 16);
  }
  return unread;
}

}  // namespace

bool holds_unread_bytes(int port, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  do {
    if (unread_on(port) > 0) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  } while (std::chrono::steady_clock::now() < deadline);
  return false;
}

Paused::Paused(pid_t pid) : pid_(pid) {
  ::kill(pid_, SIGSTOP);
  stopped_ = is_stopped(pid_, std::chrono::seconds(2));
}

void Paused::resume() {
  if (pid_ > 0) ::kill(pid_, SIGCONT);
  pid_ = -1;
}

}  // namespace walnut::e2e
