// Regression: a server connection whose connect stays pending past the
// pool's timeout must not be kept once its set-up (SELECT) has timed out.
// walnut used to drop the unsent SELECT and keep the connection; when the
// connect completed, clients' writes went out in db 0. A pending connect is
// made on loopback with a listener whose accept queue is full (the kernel
// drops further SYNs until the queue drains).
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <iostream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/e2e/harness.h"
#include "tests/e2e/redis_pool_helpers.h"

namespace walnut::e2e {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

long long ms_since(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t).count();
}

sockaddr_in loopback(int port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

int local_port(int fd) {
  sockaddr_in a{};
  socklen_t len = sizeof(a);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) return -1;
  return ntohs(a.sin_port);
}

// A non-blocking connect to 127.0.0.1:port; true in *done when it completed
// within `wait`. The fd is returned either way (-1 on failure to start).
int connect_pending(int port, std::chrono::milliseconds wait, bool* done) {
  *done = false;
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in a = loopback(port);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0) {
    *done = true;
    return fd;
  }
  if (errno != EINPROGRESS) {
    close(fd);
    return -1;
  }
  pollfd p{fd, POLLOUT, 0};
  *done = poll(&p, 1, static_cast<int>(wait.count())) > 0;
  return fd;
}

// A listener on 127.0.0.1 that stalls connects: its accept queue is filled
// by connections of its own, so the kernel drops new SYNs and connects to it
// stay pending. `release_after` from start(), a relay thread empties the
// queue and from then on relays every other connection to `target_port`.
// Everything stops by the destructor or after 30 s, whichever comes first.
class StalledListener {
 public:
  explicit StalledListener(int target_port) : target_port_(target_port) {
    listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a = loopback(0);
    if (listen_fd_ < 0 || bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0 ||
        listen(listen_fd_, 0) != 0) {
      return;
    }
    port_ = local_port(listen_fd_);
    // Backlog 0 admits one connection; a few more make sure it is full.
    for (int i = 0; i < 3; ++i) {
      bool done = false;
      int fd = connect_pending(port_, 100ms, &done);
      if (fd < 0) return;
      fillers_.push_back(fd);
      filler_ports_.insert(local_port(fd));
    }
    // A further SYN must now be dropped: this connect stays in progress.
    bool done = false;
    int probe = connect_pending(port_, 300ms, &done);
    if (probe < 0) return;
    fillers_.push_back(probe);
    filler_ports_.insert(local_port(probe));
    stalled_ = !done;
  }

  ~StalledListener() {
    stop_ = true;
    if (relay_.joinable()) relay_.join();
    for (int fd : fillers_) close(fd);
    for (const Pair& p : pairs_) {
      close(p.from);
      close(p.to);
    }
    if (listen_fd_ >= 0) close(listen_fd_);
  }
  StalledListener(const StalledListener&) = delete;
  StalledListener& operator=(const StalledListener&) = delete;

  int port() const { return port_; }
  bool stalled() const { return stalled_; }
  int relayed() const { return relayed_; }

  void start(std::chrono::milliseconds release_after) {
    relay_ = std::thread([this, release_after] { run(Clock::now() + release_after); });
  }

 private:
  struct Pair {
    int from;  // accepted from walnut
    int to;    // to the real server
  };

  void run(Clock::time_point release_at) {
    const auto deadline = Clock::now() + 30s;
    bool released = false;
    char buf[16384];
    while (!stop_ && Clock::now() < deadline) {
      if (!released && Clock::now() >= release_at) {
        // Closing the clients first stops the pending ones retrying their
        // SYNs; the one in the queue is accepted (and closed) below.
        for (int fd : fillers_) close(fd);
        fillers_.clear();
        released = true;
      }
      std::vector<pollfd> fds;
      if (released) fds.push_back({listen_fd_, POLLIN, 0});
      for (const Pair& p : pairs_) {
        fds.push_back({p.from, POLLIN, 0});
        fds.push_back({p.to, POLLIN, 0});
      }
      if (fds.empty()) {
        std::this_thread::sleep_for(5ms);
        continue;
      }
      if (poll(fds.data(), fds.size(), 20) <= 0) continue;
      // The pairs polled are the ones that existed when fds was built; a
      // connection accepted now joins them afterwards.
      size_t i = released ? 1 : 0;
      std::vector<Pair> keep;
      for (const Pair& p : pairs_) {
        bool ok = relay(fds[i], p.to, buf, sizeof(buf)) &&
                  relay(fds[i + 1], p.from, buf, sizeof(buf));
        i += 2;
        if (ok) {
          keep.push_back(p);
        } else {
          close(p.from);
          close(p.to);
        }
      }
      pairs_ = std::move(keep);
      if (released && (fds[0].revents & POLLIN)) accept_one();
    }
  }

  void accept_one() {
    sockaddr_in peer{};
    socklen_t len = sizeof(peer);
    int fd = accept4(listen_fd_, reinterpret_cast<sockaddr*>(&peer), &len, SOCK_CLOEXEC);
    if (fd < 0) return;
    if (filler_ports_.count(ntohs(peer.sin_port)) != 0) {
      close(fd);
      return;
    }
    int to = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a = loopback(target_port_);
    if (to < 0 || connect(to, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
      if (to >= 0) close(to);
      close(fd);
      return;
    }
    pairs_.push_back({fd, to});
    ++relayed_;
  }

  // Moves what `from` has to `to`; false when the pair is done.
  static bool relay(const pollfd& from, int to, char* buf, size_t size) {
    if (from.revents == 0) return true;
    ssize_t n = read(from.fd, buf, size);
    if (n <= 0) return false;
    for (ssize_t off = 0; off < n;) {
      ssize_t w = send(to, buf + off, static_cast<size_t>(n - off), MSG_NOSIGNAL);
      if (w <= 0) return false;
      off += w;
    }
    return true;
  }

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

TEST(HandshakeTimeout, ConnectPendingPastTimeoutRedoesSelectOnFreshConnection) {
  const auto t_start = Clock::now();
  TempDir dir;
  RedisServer redis(dir);
  StalledListener stalled(redis.port());
  ASSERT_GT(stalled.port(), 0);
  ASSERT_TRUE(stalled.stalled()) << "the accept queue did not fill: a connect completed";
  // A timeout long enough for any request through the relay on a stalled
  // machine, and the release well after it. Until the release every connect
  // stays pending: the kernel drops its SYNs (and retries them 1 s, 3 s,
  // 7 s after the first).
  Walnut w(dir, pool_yaml("handshake", {stalled.port()}, "  redis_db: 3\n  timeout: 1000\n"));
  const std::string timed_out = "-ERR Connection timed out\r\n";

  Client c(w.port());
  ASSERT_TRUE(c.connected());
  stalled.start(2000ms);
  // The connect is still pending when the timeout comes (the SYN was
  // dropped), and with it SELECT 3, queued ahead of this request.
  auto t0 = Clock::now();
  EXPECT_EQ(c.call({"SET", "early", "1"}), timed_out);
  EXPECT_LT(ms_since(t0), 2000) << "answered only after the queue was released";

  // Once the listener accepts again, a request gets through; it must go out
  // after SELECT 3 on the connection that carries it.
  std::string r;
  int tries = 0;
  while (ms_since(t0) < 10000 && ++tries < 200) {
    r = c.call({"SET", "k", "v"});
    if (r == "+OK\r\n") break;
    // While the listener recovers, a connection may also be refused, reset
    // or closed (the kernel's queue handling varies with load); what matters
    // is that each request gets one error naming a connection failure.
    EXPECT_EQ(r.rfind("-ERR Connection ", 0), 0u) << r;
    if (r.empty()) break;
    std::this_thread::sleep_for(20ms);
  }
  ASSERT_EQ(r, "+OK\r\n") << "no request got through in " << ms_since(t0) << " ms\n"
                           << w.log();
  std::cout << "SET went through " << ms_since(t0) << " ms after the first request, on try "
            << tries << "; " << stalled.relayed() << " connection(s) relayed\n";
  EXPECT_EQ(c.call({"GET", "k"}), bulk("v")) << "walnut reads its own write";

  Client direct(redis.port());
  ASSERT_EQ(direct.call({"SELECT", "3"}), "+OK\r\n");
  EXPECT_EQ(direct.call({"GET", "k"}), bulk("v")) << "the write must land in redis_db 3";
  ASSERT_EQ(direct.call({"SELECT", "0"}), "+OK\r\n");
  EXPECT_EQ(direct.call({"GET", "k"}), "$-1\r\n")
      << "the write went to db 0: the request went out without SELECT";
  EXPECT_EQ(direct.call({"DBSIZE"}), ":0\r\n") << "nothing at all in db 0";
  EXPECT_LT(ms_since(t_start), 30000);
}

}  // namespace
}  // namespace walnut::e2e
