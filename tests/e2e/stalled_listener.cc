// The stalled listener of stalled_listener.h.
#include "tests/e2e/stalled_listener.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

namespace walnut::e2e {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

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

}  // namespace

StalledListener::StalledListener(int target_port) : target_port_(target_port) {
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

StalledListener::~StalledListener() {
  stop_ = true;
  if (relay_.joinable()) relay_.join();
  for (int fd : fillers_) close(fd);
  for (const Pair& p : pairs_) {
    close(p.from);
    close(p.to);
  }
  if (listen_fd_ >= 0) close(listen_fd_);
}

void StalledListener::start(std::chrono::milliseconds release_after) {
  relay_ = std::thread([this, release_after] { run(Clock::now() + release_after); });
}

void StalledListener::run(Clock::time_point release_at) {
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

void StalledListener::accept_one() {
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

bool StalledListener::relay(const pollfd& from, int to, char* buf, size_t size) {
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

}  // namespace walnut::e2e
