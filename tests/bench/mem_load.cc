// mem_load: the two loads of scripts/bench --memory, which measures how much
// memory a Redis proxy takes when clients misbehave. It speaks just enough
// RESP for them; the bench watches the proxy's /proc while it runs (this tool
// knows nothing of the proxy's memory). Loopback only. Every wait is bounded
// by --limit: nothing here may hang the bench.
//
// Unread mode:
//   mem_load --port PORT --unread N [--key KEY] [--limit S]
// opens one connection and pipelines N "GET KEY" (default key "big") as fast
// as the proxy takes them, and never reads a byte of the replies. Prints
// "sending" once the first bytes are written and "all_sent" once all N are.
// Holds the connection until SIGINT/SIGTERM or S seconds (default 120), then
// prints
//   sent=K of=N closed_by_peer=0|1
// (K: requests written whole) and closes.
//
// Uploads mode:
//   mem_load --port PORT --uploads C [--size V] [--keys K] [--limit S]
// opens C connections at once (non-blocking, one thread, poll); each sends
// one "SET upload:<i mod K> <V bytes>" (default V 64 MiB, K 4: Redis frees
// the value a later SET replaces, so it never holds more than K values) and
// reads its reply, then closes. All values come from one shared buffer.
// Stops at S seconds (default 300) or SIGINT/SIGTERM. Prints
//   ok=.. errors=.. closed=.. refused=.. unfinished=.. seconds=.. sent_mb=..
// ok: +OK replies; errors: error replies (the first is printed to stderr);
// closed: connections closed by the proxy before their reply; refused:
// connections not established; unfinished: still going at the stop;
// seconds: from the first connect to the last reply or close.
//
// Exit status: 0 when the load ran (whatever the proxy did with it), 1 when
// it could not start, 2 on bad arguments.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "load_tool.h"

namespace {

using walnut::bench::g_stop;
using walnut::bench::now_ns;
using walnut::bench::raise_fd_limit;

// Milliseconds until deadline for poll, at most 200 so that a signal or a
// clock past the deadline is noticed soon.
int poll_ms(uint64_t deadline) {
  uint64_t now = now_ns();
  if (now >= deadline) return 0;
  return static_cast<int>(std::min<uint64_t>((deadline - now) / 1000000 + 1, 200));
}

struct Options {
  int port = 0;
  long long unread = 0;
  std::string key = "big";
  int uploads = 0;
  long long size = 64ll << 20;
  int keys = 4;
  double limit = 0;  // 0: the mode's default
};

// A non-blocking connect to 127.0.0.1:port; -1 when it failed at once.
int start_connect(int port) {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(port));
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0 || errno == EINPROGRESS) return fd;
  close(fd);
  return -1;
}

bool connect_failed(int fd) {
  int err = 0;
  socklen_t len = sizeof err;
  return getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0;
}

std::string bulk(std::string_view s) {
  return "$" + std::to_string(s.size()) + "\r\n" + std::string(s) + "\r\n";
}

// --- unread ----------------------------------------------------------------

int run_unread(const Options& o) {
  std::string one = "*2\r\n$3\r\nGET\r\n" + bulk(o.key);
  std::string all;
  all.reserve(one.size() * static_cast<size_t>(o.unread));
  for (long long i = 0; i < o.unread; i++) all += one;

  int fd = start_connect(o.port);
  if (fd < 0) {
    std::fprintf(stderr, "mem_load: connect 127.0.0.1:%d: %s\n", o.port, std::strerror(errno));
    return 1;
  }
  uint64_t deadline = now_ns() + static_cast<uint64_t>(o.limit * 1e9);
  size_t off = 0;
  bool connected = false, said_sending = false, said_all = false, closed_by_peer = false;
  while (!g_stop && now_ns() < deadline) {
    // POLLRDHUP, not POLLIN, notices a close: the replies are never read.
    short ev = static_cast<short>(POLLRDHUP | (off < all.size() || !connected ? POLLOUT : 0));
    pollfd p = {fd, ev, 0};
    int r = poll(&p, 1, poll_ms(deadline));
    if (r < 0 && errno != EINTR) break;
    if (r <= 0) continue;
    if (!connected) {
      if (connect_failed(fd)) {
        std::fprintf(stderr, "mem_load: connect 127.0.0.1:%d failed\n", o.port);
        close(fd);
        return 1;
      }
      connected = true;
    }
    if (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) {
      closed_by_peer = true;
      break;
    }
    if (!(p.revents & POLLOUT)) continue;
    while (off < all.size()) {
      ssize_t n = write(fd, all.data() + off, all.size() - off);
      if (n > 0) {
        off += static_cast<size_t>(n);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EAGAIN) break;
      closed_by_peer = true;
      break;
    }
    if (closed_by_peer) break;
    if (off > 0 && !said_sending) {
      std::printf("sending\n");
      std::fflush(stdout);
      said_sending = true;
    }
    if (off == all.size() && !said_all) {
      said_all = true;
      std::printf("all_sent\n");
      std::fflush(stdout);
    }
  }
  std::printf("sent=%zu of=%lld closed_by_peer=%d\n", off / one.size(), o.unread, closed_by_peer ? 1 : 0);
  std::fflush(stdout);
  close(fd);
  return 0;
}

// --- uploads ---------------------------------------------------------------

struct Upload {
  enum State { kConnecting, kSending, kReading, kDone };
  int fd = -1;
  State state = kConnecting;
  std::string head;  // "*3 SET key $V" up to the value
  uint64_t off = 0;  // bytes of head + value + "\r\n" written
  std::string reply;
};

struct Tally {
  uint64_t ok = 0, errors = 0, closed = 0, refused = 0;
  uint64_t sent = 0;  // bytes written, all connections
  uint64_t start_ns = 0, last_ns = 0;
  std::string first_error;
};

class Uploads {
 public:
  explicit Uploads(const Options& o) : o_(o), value_(static_cast<size_t>(o.size), 'x') {}

  Tally run() {
    Tally t;
    t.start_ns = t.last_ns = now_ns();
    uint64_t deadline = t.start_ns + static_cast<uint64_t>(o_.limit * 1e9);
    ups_.resize(static_cast<size_t>(o_.uploads));
    for (size_t i = 0; i < ups_.size(); i++) {
      Upload& u = ups_[i];
      std::string key = "upload:" + std::to_string(i % static_cast<size_t>(o_.keys));
      u.head = "*3\r\n$3\r\nSET\r\n" + bulk(key) + "$" + std::to_string(o_.size) + "\r\n";
      u.fd = start_connect(o_.port);
      if (u.fd < 0) finish(u, t, &t.refused);
    }
    std::vector<pollfd> pfds;
    std::vector<size_t> which;
    char buf[4096];
    while (!g_stop && now_ns() < deadline) {
      pfds.clear();
      which.clear();
      for (size_t i = 0; i < ups_.size(); i++) {
        const Upload& u = ups_[i];
        if (u.state == Upload::kDone) continue;
        short ev = u.state == Upload::kReading ? POLLIN : POLLOUT;
        pfds.push_back({u.fd, ev, 0});
        which.push_back(i);
      }
      if (pfds.empty()) break;
      int r = poll(pfds.data(), pfds.size(), poll_ms(deadline));
      if (r < 0 && errno != EINTR) {
        std::fprintf(stderr, "mem_load: poll: %s\n", std::strerror(errno));
        break;
      }
      if (r <= 0) continue;
      for (size_t j = 0; j < pfds.size(); j++) {
        if (pfds[j].revents == 0) continue;
        Upload& u = ups_[which[j]];
        if (u.state == Upload::kConnecting) {
          if (connect_failed(u.fd)) {
            finish(u, t, &t.refused);
            continue;
          }
          u.state = Upload::kSending;
        }
        if (u.state == Upload::kSending) {
          send(u, t);
        } else if (u.state == Upload::kReading) {
          receive(u, t, buf, sizeof buf);
        }
      }
    }
    return t;
  }

  uint64_t unfinished() const {
    return static_cast<uint64_t>(
        std::count_if(ups_.begin(), ups_.end(), [](const Upload& u) { return u.state != Upload::kDone; }));
  }

 private:
  void finish(Upload& u, Tally& t, uint64_t* counter) {
    if (u.fd >= 0) close(u.fd);
    u.fd = -1;
    u.state = Upload::kDone;
    u.reply = std::string();
    if (counter) (*counter)++;
    t.last_ns = now_ns();
  }

  // Writes what the socket takes of head, value and "\r\n" (from the one
  // shared value buffer: a thousand copies of 64 MiB would not fit).
  void send(Upload& u, Tally& t) {
    const uint64_t head = u.head.size(), total = head + value_.size() + 2;
    while (u.off < total) {
      iovec iov[3];
      int n = 0;
      uint64_t off = u.off;
      if (off < head) {
        iov[n++] = {u.head.data() + off, head - off};
        off = head;
      }
      if (off < head + value_.size()) {
        iov[n++] = {value_.data() + (off - head), value_.size() - (off - head)};
        off = head + value_.size();
      }
      static char crlf[] = {'\r', '\n'};
      iov[n++] = {crlf + (off - head - value_.size()), 2 - (off - head - value_.size())};
      ssize_t w = writev(u.fd, iov, n);
      if (w > 0) {
        u.off += static_cast<uint64_t>(w);
        t.sent += static_cast<uint64_t>(w);
        continue;
      }
      if (w < 0 && errno == EINTR) continue;
      if (w < 0 && errno == EAGAIN) return;
      finish(u, t, &t.closed);  // EPIPE, ECONNRESET: the proxy gave up on it
      return;
    }
    u.state = Upload::kReading;
  }

  void receive(Upload& u, Tally& t, char* buf, size_t cap) {
    for (;;) {
      ssize_t n = read(u.fd, buf, cap);
      if (n > 0) {
        u.reply.append(buf, static_cast<size_t>(n));
        size_t eol = u.reply.find("\r\n");
        if (eol == std::string::npos) {
          if (u.reply.size() > 4096) break;  // not a status line: count it as an error
          continue;
        }
        if (u.reply.starts_with("+OK\r\n")) {
          finish(u, t, &t.ok);
          return;
        }
        break;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EAGAIN) return;
      finish(u, t, &t.closed);
      return;
    }
    if (t.first_error.empty()) t.first_error = u.reply.substr(0, std::min<size_t>(u.reply.find("\r\n"), 200));
    finish(u, t, &t.errors);
  }

  const Options& o_;
  std::string value_;
  std::vector<Upload> ups_;
};

int run_uploads(const Options& o) {
  Uploads up(o);
  Tally t = up.run();
  if (!t.first_error.empty()) std::fprintf(stderr, "mem_load: first error reply: %s\n", t.first_error.c_str());
  std::printf("ok=%" PRIu64 " errors=%" PRIu64 " closed=%" PRIu64 " refused=%" PRIu64 " unfinished=%" PRIu64
              " seconds=%.1f sent_mb=%.0f\n",
              t.ok, t.errors, t.closed, t.refused, up.unfinished(), static_cast<double>(t.last_ns - t.start_ns) / 1e9,
              static_cast<double>(t.sent) / 1e6);
  std::fflush(stdout);
  return 0;
}

// --- arguments -------------------------------------------------------------

[[noreturn]] void usage(int status) {
  std::fprintf(status ? stderr : stdout,
               "usage: mem_load --port PORT --unread N [--key KEY] [--limit S]\n"
               "       mem_load --port PORT --uploads C [--size V] [--keys K] [--limit S]\n"
               "Connects to a Redis proxy on 127.0.0.1:PORT. --unread pipelines N GET KEY\n"
               "(default big) and never reads; it holds the connection until SIGTERM or S\n"
               "seconds (default 120), then prints sent=K of=N closed_by_peer=..\n"
               "--uploads sends C SETs of V bytes (default 67108864) at once over C connections,\n"
               "keys upload:0..K-1 (default K 4), for at most S seconds (default 300), and prints\n"
               "ok=.. errors=.. closed=.. refused=.. unfinished=.. seconds=.. sent_mb=..\n");
  std::exit(status);
}

long long number(const char* flag, const char* s, long long lo, long long hi) {
  return walnut::bench::whole_number("mem_load", flag, s, lo, hi);
}

Options parse_args(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; i++) {
    std::string_view a = argv[i];
    if (a == "-h" || a == "--help") usage(0);
    if (i + 1 >= argc) {
      std::fprintf(stderr, "mem_load: %s needs a value (or is unknown)\n", argv[i]);
      usage(2);
    }
    const char* v = argv[++i];
    if (a == "-p" || a == "--port") {
      o.port = static_cast<int>(number(argv[i - 1], v, 1, 65535));
    } else if (a == "--unread") {
      o.unread = number(argv[i - 1], v, 1, 10000000);
    } else if (a == "--key") {
      o.key = v;
    } else if (a == "--uploads") {
      o.uploads = static_cast<int>(number(argv[i - 1], v, 1, 20000));
    } else if (a == "--size") {
      o.size = number(argv[i - 1], v, 0, 1ll << 32);
    } else if (a == "--keys") {
      o.keys = static_cast<int>(number(argv[i - 1], v, 1, 1000000));
    } else if (a == "--limit") {
      o.limit = static_cast<double>(number(argv[i - 1], v, 1, 86400));
    } else {
      std::fprintf(stderr, "mem_load: unknown option %s\n", argv[i - 1]);
      usage(2);
    }
  }
  if (o.port == 0 || (o.unread == 0) == (o.uploads == 0)) {
    std::fprintf(stderr, "mem_load: --port and one of --unread, --uploads are required\n");
    usage(2);
  }
  if (o.limit == 0) o.limit = o.unread ? 120 : 300;
  return o;
}


}  // namespace

int main(int argc, char** argv) {
  Options o = parse_args(argc, argv);
  signal(SIGPIPE, SIG_IGN);
  struct sigaction sa{};
  sa.sa_handler = walnut::bench::on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: poll returns EINTR
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  raise_fd_limit(static_cast<size_t>(o.uploads) + 64);
  return o.unread ? run_unread(o) : run_uploads(o);
}
