// Pausing a backend: SIGSTOP keeps its sockets open and its kernel buffers
// filling, so to walnut it looks like a server that stopped answering (a
// slow script, a frozen host), not one that went away.
#pragma once

#include <sys/types.h>

#include <chrono>

namespace walnut::e2e {

// True once /proc says the process is stopped (state T), within `limit`.
bool is_stopped(pid_t pid, std::chrono::milliseconds limit);

// True once the kernel holds bytes, unread, on a connection to the process
// listening on 127.0.0.1:`port`, within `limit`: what a stopped server was
// sent is surely in flight.
bool holds_unread_bytes(int port, std::chrono::milliseconds limit);

// SIGSTOPs a process; SIGCONTs it on resume() or when the test ends however
// it ends (declare it after the servers, so it runs before they are stopped).
class Paused {
 public:
  explicit Paused(pid_t pid);
  ~Paused() { resume(); }
  Paused(const Paused&) = delete;
  Paused& operator=(const Paused&) = delete;
  void resume();
  bool stopped() const { return stopped_; }

 private:
  pid_t pid_;
  bool stopped_ = false;
};

}  // namespace walnut::e2e
