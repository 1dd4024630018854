// Sockets: address resolution, listening (tcp and unix), non-blocking
// connects and socket options. Plain functions over fds; callers own the fds
// (see Fd for RAII). Errors come back as errno values, never exceptions.
#pragma once

#include <sys/socket.h>
#include <sys/types.h>

#include <string>

namespace walnut::net {

// Owns one file descriptor.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() { reset(); }
  Fd(Fd&& o) noexcept : fd_(o.release()) {}
  Fd& operator=(Fd&& o) noexcept {
    if (this != &o) reset(o.release());
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void reset(int fd = -1);

 private:
  int fd_ = -1;
};

struct Address {
  sockaddr_storage storage{};
  socklen_t len = 0;
  std::string text;  // "host:port" or the unix path, for logs
  int family() const { return storage.ss_family; }
};

// True for an IPv4 or IPv6 address (brackets allowed), false for a name.
bool is_numeric_host(const std::string& host);

// Resolves host:port (first result, as nutcracker does) or a unix path.
// Returns 0 or an error description in `error`.
bool resolve_tcp(const std::string& host, int port, Address* out,
                 std::string* error);
bool resolve_unix(const std::string& path, Address* out, std::string* error);

struct ListenOptions {
  int backlog = 512;
  bool reuseport = false;
  mode_t unix_perm = 0;  // 0: leave the socket file's mode as created
};

// A listening, non-blocking socket, or -1 with errno set.
int listen_on(const Address& addr, const ListenOptions& opts);

// Starts a non-blocking connect. Returns the fd (connected or in progress) or
// -1 with errno set.
int connect_to(const Address& addr);
// After a connect in progress became writable: 0, or the connect's errno.
int connect_result(int fd);

// A connected socket's two ends as Redis writes them in CLIENT LIST:
// "ip:port", "[v6]:port", or "path:0" on a unix socket (whose client end has
// no name: both ends show the listener's path); "?:0" if the kernel will not
// say.
std::string peer_text(int fd);
std::string local_text(int fd);

bool set_nonblocking(int fd);
void set_tcp_nodelay(int fd);
void set_keepalive(int fd);

}  // namespace walnut::net
