// SIGSTOP/SIGCONT of a test's backend, by pid.
#include "tests/e2e/paused.h"

#include <signal.h>

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

Paused::Paused(pid_t pid) : pid_(pid) {
  ::kill(pid_, SIGSTOP);
  stopped_ = is_stopped(pid_, std::chrono::seconds(2));
}

void Paused::resume() {
  if (pid_ > 0) ::kill(pid_, SIGCONT);
  pid_ = -1;
}

}  // namespace walnut::e2e
