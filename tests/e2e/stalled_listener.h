// A loopback listener that leaves connects to it pending: its accept queue
// is filled by connections of its own, so the kernel drops new SYNs (and
// retries them 1 s, 3 s, 7 s after the first). From `release_after` after
// start() a relay thread empties the queue and from then on relays every
// other connection to `target_port`. For tests of what walnut does while a
// connect to a backend has not completed. Everything stops by the
// destructor or 30 s after start(), whichever comes first.
#pragma once

#include <atomic>
#include <chrono>
#include <set>
#include <thread>
#include <vector>

struct pollfd;

namespace walnut::e2e {

class StalledListener {
 public:
  explicit StalledListener(int target_port);
  ~StalledListener();
  StalledListener(const StalledListener&) = delete;
  StalledListener& operator=(const StalledListener&) = delete;

  int port() const { return port_; }
  // True when a connect to port() did not complete: the SYNs are dropped.
  bool stalled() const { return stalled_; }
  int relayed() const { return relayed_; }

  void start(std::chrono::milliseconds release_after);

 private:
  struct Pair {
    int from;  // accepted from walnut
    int to;    // to the real server
  };

  void run(std::chrono::steady_clock::time_point release_at);
  void accept_one();
  // Moves what `from` has to `to`; false when the pair is done.
  static bool relay(const pollfd& from, int to, char* buf, size_t size);

  int target_port_;
  int listen_fd_ = -1;
  int port_ = -1;
  bool stalled_ = false;
  std::vector<int> fillers_;
  std::set<int> filler_ports_;
  std::vector<Pair> pairs_;
  std::atomic<bool> stop_{false};
  std::atomic<int> relayed_{0};
  std::thread relay_;
};

}  // namespace walnut::e2e
