// Accepting clients.
#include "proxy/listener.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/log.h"
#include "proxy/context.h"
#include "proxy/server_pool.h"

namespace walnut::proxy {

namespace {
constexpr int kMaxAcceptsPerEvent = 64;
constexpr uint64_t kAcceptPauseMs = 100;
}  // namespace

Listener::Listener(Context& ctx, ServerPool& pool, int fd, bool is_unix)
    : Conn(ctx, fd), pool_(pool), is_unix_(is_unix) {
  watch();
  resume_.init(ctx.loop(), [this] {
    if (!closed_) want_read(true);
  });
}

void Listener::pause_accepting(int err) {
  LOG_WARN("accept on pool '%s' failed: %s; pausing accepts for %llu ms",
           pool_.spec().name.c_str(), std::strerror(err),
           static_cast<unsigned long long>(kAcceptPauseMs));
  want_read(false);
  resume_.start(kAcceptPauseMs);
}

void Listener::on_readable() {
  for (int i = 0; i < kMaxAcceptsPerEvent; ++i) {
    int fd = ::accept4(this->fd(), nullptr, nullptr,
                       SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) pause_accepting(errno);
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
  resume_.reset();
  release_socket();
  const config::ListenSpec& l = pool_.spec().listen;
  if (l.is_unix && !keep_path_) ::unlink(l.path.c_str());  // walnut made it; walnut removes it
}

int Listener::hand_over() {
  // The socket itself, not a duplicate: a duplicate needs a free descriptor,
  // which a walnut at its limit of open files does not have.
  const int fd = fd_.release();
  keep_path_ = true;
  close("its address goes to the pool that replaces it");
  return fd;
}

}  // namespace walnut::proxy
