// A raw non-blocking client on 127.0.0.1: it writes when it likes and reads
// only when told to, which the blocking test client cannot do. For clients
// that leave their replies unread (backpressure).
#pragma once

#include <chrono>
#include <string>

namespace walnut::e2e {

class SlowClient {
 public:
  explicit SlowClient(int port);
  ~SlowClient();
  SlowClient(const SlowClient&) = delete;
  SlowClient& operator=(const SlowClient&) = delete;
  bool connected() const { return connected_; }

  // Writes as much of `out` as the socket takes within `limit`, reading
  // nothing. Returns the bytes written.
  size_t write_for(const std::string& out, std::chrono::milliseconds limit);

  // Writes the rest of `out` and reads until `bytes` have arrived (or the
  // time is up); returns what was read.
  std::string finish(const std::string& out, size_t bytes, std::chrono::milliseconds limit);

  // The next write_for and finish write another `out`, from its start (they
  // keep how much of the one before they wrote).
  void restart_output() { sent_ = 0; }

 private:
  int fd_ = -1;
  bool connected_ = false;
  size_t sent_ = 0;
};

}  // namespace walnut::e2e
