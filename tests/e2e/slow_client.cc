#include "tests/e2e/slow_client.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace walnut::e2e {

SlowClient::SlowClient(int port) {
  fd_ = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  fcntl(fd_, F_SETFL, fcntl(fd_, F_GETFL) | O_NONBLOCK);
}

SlowClient::~SlowClient() { close(fd_); }

size_t SlowClient::write_for(const std::string& out, std::chrono::milliseconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (sent_ < out.size() && std::chrono::steady_clock::now() < deadline) {
    ssize_t n = send(fd_, out.data() + sent_, out.size() - sent_, MSG_NOSIGNAL);
    if (n > 0) {
      sent_ += static_cast<size_t>(n);
    } else {
      pollfd p{fd_, POLLOUT, 0};
      poll(&p, 1, 20);
    }
  }
  return sent_;
}

std::string SlowClient::finish(const std::string& out, size_t bytes,
                               std::chrono::milliseconds limit) {
  std::string in;
  auto deadline = std::chrono::steady_clock::now() + limit;
  char buf[65536];
  while (in.size() < bytes && std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd_, static_cast<short>(POLLIN | (sent_ < out.size() ? POLLOUT : 0)), 0};
    if (poll(&p, 1, 100) <= 0) continue;
    if (p.revents & POLLOUT) {
      ssize_t n = send(fd_, out.data() + sent_, out.size() - sent_, MSG_NOSIGNAL);
      if (n > 0) sent_ += static_cast<size_t>(n);
    }
    if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t n = recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) break;
      in.append(buf, static_cast<size_t>(n));
    }
  }
  return in;
}

}  // namespace walnut::e2e
