// Socket system calls for socket.h.
#include "net/socket.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace walnut::net {

void Fd::reset(int fd) {
  int saved = errno;  // a failure path closes its fd after errno was set
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
  errno = saved;
}

bool is_numeric_host(const std::string& host) {
  std::string h = host;
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  in6_addr buf;
  return inet_pton(AF_INET, h.c_str(), &buf) == 1 || inet_pton(AF_INET6, h.c_str(), &buf) == 1;
}

bool resolve_tcp(const std::string& host, int port, Address* out,
                 std::string* error) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV | AI_ADDRCONFIG;
  std::string h = host;
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') {
    h = h.substr(1, h.size() - 2);
  }
  std::string service = std::to_string(port);
  addrinfo* res = nullptr;
  int rc = getaddrinfo(h.c_str(), service.c_str(), &hints, &res);
  if (rc == EAI_ADDRFAMILY || rc == EAI_NONAME) {
    hints.ai_flags &= ~AI_ADDRCONFIG;  // loopback-only hosts have no "config"
    rc = getaddrinfo(h.c_str(), service.c_str(), &hints, &res);
  }
  if (rc != 0 || res == nullptr) {
    *error = "cannot resolve '" + host + "': " + gai_strerror(rc);
    return false;
  }
  std::memcpy(&out->storage, res->ai_addr, res->ai_addrlen);
  out->len = res->ai_addrlen;
  out->text = host + ":" + service;
  freeaddrinfo(res);
  return true;
}

bool resolve_unix(const std::string& path, Address* out, std::string* error) {
  sockaddr_un un{};
  if (path.size() >= sizeof(un.sun_path)) {
    *error = "unix socket path too long: '" + path + "'";
    return false;
  }
  un.sun_family = AF_UNIX;
  std::memcpy(un.sun_path, path.c_str(), path.size() + 1);
  std::memcpy(&out->storage, &un, sizeof(un));
  out->len = sizeof(un);
  out->text = path;
  return true;
}

bool set_nonblocking(int fd) {
  int flags = fcntl(fd, F_GETFL, 0);
  return flags >= 0 && fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0;
}

void set_tcp_nodelay(int fd) {
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

void set_keepalive(int fd) {
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
}

int listen_on(const Address& addr, const ListenOptions& opts) {
  int fd = socket(addr.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  Fd guard(fd);
  int one = 1;
  if (addr.family() == AF_UNIX) {
    const auto* un = reinterpret_cast<const sockaddr_un*>(&addr.storage);
    ::unlink(un->sun_path);  // a stale socket file from an earlier run
  } else {
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (opts.reuseport &&
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0) {
      return -1;
    }
  }
  if (bind(fd, reinterpret_cast<const sockaddr*>(&addr.storage), addr.len) != 0)
    return -1;
  if (addr.family() == AF_UNIX && opts.unix_perm != 0) {
    const auto* un = reinterpret_cast<const sockaddr_un*>(&addr.storage);
    if (chmod(un->sun_path, opts.unix_perm) != 0) return -1;
  }
  if (listen(fd, opts.backlog) != 0) return -1;
  return guard.release();
}

int connect_to(const Address& addr) {
  int fd = socket(addr.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  Fd guard(fd);
  if (addr.family() != AF_UNIX) set_tcp_nodelay(fd);
  if (connect(fd, reinterpret_cast<const sockaddr*>(&addr.storage), addr.len) !=
          0 &&
      errno != EINPROGRESS) {
    return -1;
  }
  return guard.release();
}

int connect_result(int fd) {
  int err = 0;
  socklen_t len = sizeof(err);
  if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) return errno;
  return err;
}

namespace {

std::string end_text(int fd, bool peer) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  auto* sa = reinterpret_cast<sockaddr*>(&ss);
  if ((peer ? getpeername(fd, sa, &len) : getsockname(fd, sa, &len)) != 0) return "?:0";
  char buf[INET6_ADDRSTRLEN] = "";
  switch (ss.ss_family) {
    case AF_INET: {
      const auto* in = reinterpret_cast<const sockaddr_in*>(&ss);
      inet_ntop(AF_INET, &in->sin_addr, buf, sizeof buf);
      return std::string(buf) + ":" + std::to_string(ntohs(in->sin_port));
    }
    case AF_INET6: {
      const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&ss);
      inet_ntop(AF_INET6, &in6->sin6_addr, buf, sizeof buf);
      return "[" + std::string(buf) + "]:" + std::to_string(ntohs(in6->sin6_port));
    }
    case AF_UNIX:
      if (peer) return end_text(fd, false);
      return std::string(reinterpret_cast<const sockaddr_un*>(&ss)->sun_path) + ":0";
    default:
      return "?:0";
  }
}

}  // namespace

std::string peer_text(int fd) { return end_text(fd, true); }
std::string local_text(int fd) { return end_text(fd, false); }

}  // namespace walnut::net
