// Accepting clients.
#include "proxy/listener.h"

#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "common/log.h"
#include "proxy/server_pool.h"

namespace walnut::proxy {

namespace {
constexpr int kMaxAcceptsPerEvent = 64;
}

Listener::Listener(Context& ctx, ServerPool& pool, int fd, bool is_unix)
    : Conn(ctx, fd), pool_(pool), is_unix_(is_unix) {
  watch();
}

void Listener::on_readable() {
  for (int i = 0; i < kMaxAcceptsPerEvent; ++i) {
    int fd = ::accept4(this->fd(), nullptr, nullptr,
                       SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) {
        LOG_WARN("accept on pool '%s' failed: %s", pool_.spec().name.c_str(),
                 std::strerror(errno));
      }
      return;
    }
    if (!is_unix_) {
      net::set_tcp_nodelay(fd);
      if (pool_.spec().tcpkeepalive) net::set_keepalive(fd);
    }
    pool_.add_client(fd);
  }
}

void Listener::close(const std::string& reason) {
  if (closed_) return;
  LOG_INFO("closing listener of pool '%s': %s", pool_.spec().name.c_str(),
           reason.c_str());
  release_socket();
}

}  // namespace walnut::proxy
