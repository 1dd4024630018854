// mc_load: a small load generator for memcached's ASCII protocol, used by
// scripts/bench (Debian packages no memtier_benchmark, and memcslap prints no
// latency percentiles). Loopback only.
//
// Load mode:
//   mc_load --port PORT [--op get|set] [-c CONNS] [-P PIPELINE] [-n REQUESTS]
//           [--seconds S] [-r KEYSPACE] [-d VALUE_SIZE] [--preload] [--seed N]
// opens CONNS connections to 127.0.0.1:PORT; each keeps PIPELINE requests in
// flight until REQUESTS replies have arrived in total or S seconds have
// passed. Keys are "key:<uniform random in [0,KEYSPACE)>"; a set stores
// VALUE_SIZE bytes with flags 0 and exptime 0. Every request's latency (from
// its write to its complete reply) goes into a histogram. Prints one line:
//   rps=123456 p50_ms=0.210 p99_ms=0.540 requests=200000 errors=0 hits=.. misses=..
// errors counts error replies (ERROR, CLIENT_ERROR, SERVER_ERROR, NOT_STORED,
// ...) and requests lost to a closed connection. --preload first sets every
// key in [0,KEYSPACE) (not measured) so that gets hit; with -n 0 it only
// preloads and prints "preloaded=KEYSPACE". --seed N (N >= 1) repeats a key
// sequence; by default the seed comes from the clock.
//
// Idle mode:
//   mc_load --port PORT --idle N [--hold SECONDS]
// opens N connections (any TCP server, nothing is sent), prints "opened=N"
// once all are connected, holds them for SECONDS (default 60), or until
// SIGINT/SIGTERM, or until stdin reaches end of file when stdin is a pipe,
// then prints "held=N closed_by_peer=K" and closes them.
//
// Exit status: 0 when the run completed (even with errors counted), 1 when
// nothing could be measured or a connection could not be opened, 2 on bad
// arguments.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "load_tool.h"

namespace {

using walnut::bench::g_stop;
using walnut::bench::now_ns;
using walnut::bench::raise_fd_limit;

struct Options {
  int port = 0;
  int conns = 50;
  int pipeline = 1;
  long long requests = 100000;
  double seconds = 60;
  bool op_set = false;
  long long keyspace = 100000;
  int value_size = 32;
  bool preload = false;
  int idle = 0;
  double hold = 60;
  uint64_t seed = 0;  // 0: pick one from the clock
};

// A log-linear latency histogram over nanoseconds: 256 sub-buckets per
// power of two, so a reported percentile is within 0.4% of the true value.
class Histogram {
 public:
  static constexpr int kSubBits = 8;
  static constexpr uint64_t kSub = uint64_t{1} << kSubBits;
  static constexpr uint64_t kHalf = kSub / 2;

  void record(uint64_t ns) {
    counts_[index(ns)]++;
    total_++;
  }
  uint64_t total() const { return total_; }

  // The value (ns) at or below which a fraction p of the recordings lie: the
  // middle of the bucket that holds it.
  double percentile(double p) const {
    if (total_ == 0) return 0;
    uint64_t rank = static_cast<uint64_t>(std::ceil(p * static_cast<double>(total_)));
    rank = std::clamp<uint64_t>(rank, 1, total_);
    uint64_t seen = 0;
    for (size_t i = 0; i < counts_.size(); i++) {
      seen += counts_[i];
      if (seen >= rank) return (static_cast<double>(lower(i)) + static_cast<double>(upper(i))) / 2;
    }
    return static_cast<double>(upper(counts_.size() - 1));
  }

 private:
  static size_t index(uint64_t v) {
    if (v < kSub) return v;
    int msb = 63 - __builtin_clzll(v);
    int shift = msb - (kSubBits - 1);  // >= 1
    uint64_t top = v >> shift;         // in [kHalf, kSub)
    return kSub + static_cast<size_t>(shift - 1) * kHalf + (top - kHalf);
  }
  static uint64_t lower(size_t i) {
    if (i < kSub) return i;
    size_t j = i - kSub;
    int shift = static_cast<int>(j / kHalf) + 1;
    return (j % kHalf + kHalf) << shift;
  }
  static uint64_t upper(size_t i) {
    if (i < kSub) return i;
    size_t j = i - kSub;
    int shift = static_cast<int>(j / kHalf) + 1;
    return ((j % kHalf + kHalf + 1) << shift) - 1;
  }

  std::vector<uint64_t> counts_ = std::vector<uint64_t>(kSub + 64 * kHalf);
  uint64_t total_ = 0;
};


// Opens n non-blocking connections to 127.0.0.1:port and waits (at most
// timeout_s) until every one is established. Returns the descriptors, or an
// empty vector (with a message) when any failed.
std::vector<int> connect_all(int port, int n, double timeout_s) {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(port));
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

  std::vector<int> fds;
  std::vector<pollfd> pending;
  for (int i = 0; i < n; i++) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      std::fprintf(stderr, "mc_load: socket: %s\n", std::strerror(errno));
      for (int f : fds) close(f);
      return {};
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    fds.push_back(fd);
    if (connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0) continue;
    if (errno != EINPROGRESS) {
      std::fprintf(stderr, "mc_load: connect 127.0.0.1:%d: %s\n", port, std::strerror(errno));
      for (int f : fds) close(f);
      return {};
    }
    pending.push_back({fd, POLLOUT, 0});
  }
  uint64_t deadline = now_ns() + static_cast<uint64_t>(timeout_s * 1e9);
  while (!pending.empty()) {
    uint64_t now = now_ns();
    if (now >= deadline || g_stop) {
      std::fprintf(stderr, "mc_load: %zu of %d connections to 127.0.0.1:%d not established\n",
                   pending.size(), n, port);
      for (int f : fds) close(f);
      return {};
    }
    int ms = static_cast<int>(std::min<uint64_t>((deadline - now) / 1000000 + 1, 1000));
    int r = poll(pending.data(), pending.size(), ms);
    if (r < 0 && errno != EINTR) {
      std::fprintf(stderr, "mc_load: poll: %s\n", std::strerror(errno));
      for (int f : fds) close(f);
      return {};
    }
    std::vector<pollfd> still;
    for (const pollfd& p : pending) {
      if (p.revents == 0) {
        still.push_back(p);
        continue;
      }
      int err = 0;
      socklen_t len = sizeof err;
      getsockopt(p.fd, SOL_SOCKET, SO_ERROR, &err, &len);
      if (err != 0) {
        std::fprintf(stderr, "mc_load: connect 127.0.0.1:%d: %s\n", port, std::strerror(err));
        for (int f : fds) close(f);
        return {};
      }
    }
    pending.swap(still);
  }
  return fds;
}

struct Conn {
  int fd = -1;
  bool dead = false;
  std::string out;  // bytes not yet written start at out_off
  size_t out_off = 0;
  std::string in;  // bytes not yet parsed
  std::deque<uint64_t> sent;  // write times of the requests awaiting replies
};

struct Counts {
  uint64_t completed = 0;  // replies received (including error replies)
  uint64_t errors = 0;     // error replies and requests lost with a connection
  uint64_t lost = 0;       // requests lost with a connection
  uint64_t hits = 0;
  uint64_t misses = 0;
  uint64_t first_ns = 0;
  uint64_t last_ns = 0;
};

enum class Reply { kIncomplete, kHit, kMiss, kStored, kError, kBad };

// Parses one reply at the front of in. On success sets used to its length.
Reply parse_reply(std::string_view in, size_t& used) {
  size_t pos = 0;
  bool value = false;
  for (;;) {
    size_t eol = in.find("\r\n", pos);
    if (eol == std::string_view::npos) return Reply::kIncomplete;
    std::string_view line = in.substr(pos, eol - pos);
    size_t next = eol + 2;
    if (line.starts_with("VALUE ")) {
      // VALUE <key> <flags> <bytes> [<cas>]
      size_t p = 6;
      for (int field = 0; field < 2; field++) {
        p = line.find(' ', p);
        if (p == std::string_view::npos) return Reply::kBad;
        p++;
      }
      uint64_t bytes = 0;
      size_t digits = 0;
      while (p < line.size() && line[p] >= '0' && line[p] <= '9' && digits < 12) {
        bytes = bytes * 10 + static_cast<uint64_t>(line[p] - '0');
        p++;
        digits++;
      }
      if (digits == 0 || (p < line.size() && line[p] != ' ')) return Reply::kBad;
      if (in.size() < next + bytes + 2) return Reply::kIncomplete;
      if (in.substr(next + bytes, 2) != "\r\n") return Reply::kBad;
      pos = next + bytes + 2;
      value = true;
      continue;
    }
    used = next;
    if (line == "END") return value ? Reply::kHit : Reply::kMiss;
    if (value) return Reply::kBad;
    if (line == "STORED") return Reply::kStored;
    if (line == "ERROR" || line.starts_with("CLIENT_ERROR") || line.starts_with("SERVER_ERROR") ||
        line == "NOT_STORED" || line == "EXISTS" || line == "NOT_FOUND")
      return Reply::kError;
    return Reply::kBad;
  }
}

class Load {
 public:
  Load(const Options& o, bool preload_run) : o_(o), preload_(preload_run), rng_(o.seed) {
    value_.assign(static_cast<size_t>(o.value_size), 'x');
    if (preload_) {
      target_ = static_cast<uint64_t>(o.keyspace);
      pipeline_ = std::max(o.pipeline, 32);
      set_ = true;
    } else {
      target_ = static_cast<uint64_t>(o.requests);
      pipeline_ = o.pipeline;
      set_ = o.op_set;
    }
  }

  // Returns false when the connections could not be opened.
  bool run(Histogram* hist, Counts& c) {
    std::vector<int> fds = connect_all(o_.port, o_.conns, 10);
    if (fds.empty()) return false;
    conns_.resize(fds.size());
    for (size_t i = 0; i < fds.size(); i++) conns_[i].fd = fds[i];

    uint64_t start = now_ns();
    uint64_t deadline = start + static_cast<uint64_t>(o_.seconds * 1e9);
    c.first_ns = start;
    c.last_ns = start;
    size_t alive = conns_.size();
    std::vector<pollfd> pfds;
    std::vector<size_t> which;
    char buf[65536];
    while (c.completed + c.lost < target_ && alive > 0 && !g_stop) {
      uint64_t now = now_ns();
      if (now >= deadline) break;
      pfds.clear();
      which.clear();
      for (size_t i = 0; i < conns_.size(); i++) {
        Conn& k = conns_[i];
        if (k.dead) continue;
        fill(k);
        if (k.out_off < k.out.size() && !flush(k, c)) {
          alive--;
          continue;
        }
        short ev = POLLIN;
        if (k.out_off < k.out.size()) ev |= POLLOUT;
        pfds.push_back({k.fd, ev, 0});
        which.push_back(i);
      }
      if (pfds.empty()) break;
      int ms = static_cast<int>(std::min<uint64_t>((deadline - now) / 1000000 + 1, 1000));
      int r = poll(pfds.data(), pfds.size(), ms);
      if (r < 0) {
        if (errno == EINTR) continue;
        std::fprintf(stderr, "mc_load: poll: %s\n", std::strerror(errno));
        break;
      }
      for (size_t j = 0; j < pfds.size(); j++) {
        Conn& k = conns_[which[j]];
        if (pfds[j].revents == 0 || k.dead) continue;
        if ((pfds[j].revents & POLLOUT) && !flush(k, c)) {
          alive--;
          continue;
        }
        if (!(pfds[j].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        bool closed = false;
        for (int reads = 0; reads < 16; reads++) {
          ssize_t n = read(k.fd, buf, sizeof buf);
          if (n > 0) {
            k.in.append(buf, static_cast<size_t>(n));
            if (static_cast<size_t>(n) < sizeof buf) break;
            continue;
          }
          if (n < 0 && (errno == EAGAIN || errno == EINTR)) break;
          closed = true;
          break;
        }
        if (!parse(k, hist, c) || closed) {
          if (closed && !k.sent.empty())
            std::fprintf(stderr, "mc_load: connection closed by the server with %zu requests in flight\n",
                         k.sent.size());
          drop(k, c);
          alive--;
        }
      }
    }
    for (Conn& k : conns_)
      if (k.fd >= 0) close(k.fd);
    conns_.clear();
    return true;
  }

 private:
  // Queues requests until the connection has pipeline_ in flight.
  void fill(Conn& k) {
    if (k.sent.size() >= static_cast<size_t>(pipeline_) || issued_ >= target_) return;
    if (k.out_off == k.out.size()) {
      k.out.clear();
      k.out_off = 0;
    }
    char head[96];
    uint64_t t = now_ns();
    while (k.sent.size() < static_cast<size_t>(pipeline_) && issued_ < target_) {
      uint64_t key = preload_ ? issued_ : dist_(rng_);
      int len;
      if (set_)
        len = std::snprintf(head, sizeof head, "set key:%" PRIu64 " 0 0 %d\r\n", key, o_.value_size);
      else
        len = std::snprintf(head, sizeof head, "get key:%" PRIu64 "\r\n", key);
      k.out.append(head, static_cast<size_t>(len));
      if (set_) {
        k.out += value_;
        k.out += "\r\n";
      }
      k.sent.push_back(t);
      issued_++;
    }
  }

  bool flush(Conn& k, Counts& c) {
    while (k.out_off < k.out.size()) {
      ssize_t n = write(k.fd, k.out.data() + k.out_off, k.out.size() - k.out_off);
      if (n > 0) {
        k.out_off += static_cast<size_t>(n);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EAGAIN) return true;
      std::fprintf(stderr, "mc_load: write: %s\n", std::strerror(errno));
      drop(k, c);
      return false;
    }
    return true;
  }

  bool parse(Conn& k, Histogram* hist, Counts& c) {
    size_t off = 0;
    bool ok = true;
    while (off < k.in.size()) {
      size_t used = 0;
      Reply r = parse_reply(std::string_view(k.in).substr(off), used);
      if (r == Reply::kIncomplete) break;
      if (r == Reply::kBad || k.sent.empty()) {
        std::string_view rest = std::string_view(k.in).substr(off, 60);
        size_t eol = rest.find('\r');
        std::fprintf(stderr, "mc_load: unexpected reply: %.*s\n",
                     static_cast<int>(eol == std::string_view::npos ? rest.size() : eol), rest.data());
        ok = false;
        break;
      }
      off += used;
      uint64_t t = now_ns();
      if (hist) hist->record(t - k.sent.front());
      k.sent.pop_front();
      c.completed++;
      c.last_ns = t;
      if (r == Reply::kHit) c.hits++;
      if (r == Reply::kMiss) c.misses++;
      if (r == Reply::kError) c.errors++;
    }
    k.in.erase(0, off);
    return ok;
  }

  void drop(Conn& k, Counts& c) {
    c.lost += k.sent.size();
    c.errors += k.sent.size();
    k.sent.clear();
    close(k.fd);
    k.fd = -1;
    k.dead = true;
  }

  const Options& o_;
  bool preload_;
  bool set_ = false;
  int pipeline_ = 1;
  uint64_t target_ = 0;
  uint64_t issued_ = 0;
  std::string value_;
  std::mt19937_64 rng_;
  std::uniform_int_distribution<uint64_t> dist_{0, static_cast<uint64_t>(o_.keyspace - 1)};
  std::vector<Conn> conns_;
};

int run_idle(const Options& o) {
  std::vector<int> fds = connect_all(o.port, o.idle, 30);
  if (fds.empty()) return 1;
  std::printf("opened=%d\n", o.idle);
  std::fflush(stdout);

  struct stat st;
  bool watch_stdin = fstat(0, &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode));
  std::vector<pollfd> pfds;
  for (int fd : fds) pfds.push_back({fd, POLLIN, 0});
  if (watch_stdin) pfds.push_back({0, POLLIN, 0});
  size_t closed_by_peer = 0;
  uint64_t deadline = now_ns() + static_cast<uint64_t>(o.hold * 1e9);
  char buf[4096];
  while (!g_stop) {
    uint64_t now = now_ns();
    if (now >= deadline) break;
    int ms = static_cast<int>(std::min<uint64_t>((deadline - now) / 1000000 + 1, 1000));
    int r = poll(pfds.data(), pfds.size(), ms);
    if (r < 0) {
      if (errno == EINTR) continue;
      break;
    }
    bool eof = false;
    for (pollfd& p : pfds) {
      if (p.fd < 0 || p.revents == 0) continue;
      ssize_t n = read(p.fd, buf, sizeof buf);
      if (n > 0 || (n < 0 && (errno == EAGAIN || errno == EINTR))) continue;
      if (p.fd == 0) {
        eof = true;
      } else {
        closed_by_peer++;
      }
      p.fd = -1;  // poll ignores negative descriptors
    }
    if (eof) break;
  }
  std::printf("held=%d closed_by_peer=%zu\n", o.idle, closed_by_peer);
  std::fflush(stdout);
  for (int fd : fds) close(fd);
  return 0;
}

[[noreturn]] void usage(int status) {
  std::fprintf(status ? stderr : stdout,
               "usage: mc_load --port PORT [--op get|set] [-c CONNS] [-P PIPELINE] [-n REQUESTS]\n"
               "               [--seconds S] [-r KEYSPACE] [-d VALUE_SIZE] [--preload] [--seed N]\n"
               "       mc_load --port PORT --idle N [--hold SECONDS]\n"
               "Connects to 127.0.0.1:PORT. Load mode speaks memcached's ASCII protocol and\n"
               "prints: rps=.. p50_ms=.. p99_ms=.. requests=.. errors=.. hits=.. misses=..\n"
               "Defaults: --op get -c 50 -P 1 -n 100000 --seconds 60 -r 100000 -d 32.\n"
               "Idle mode opens N silent connections, prints opened=N, holds them for\n"
               "SECONDS (default 60; SIGTERM or end of a piped stdin ends it sooner).\n");
  std::exit(status);
}

long long number(const char* flag, const char* s, long long lo, long long hi) {
  return walnut::bench::whole_number("mc_load", flag, s, lo, hi);
}

double seconds_arg(const char* flag, const char* s) {
  char* end = nullptr;
  double v = std::strtod(s, &end);
  if (end == s || *end != '\0' || !(v > 0) || v > 86400) {
    std::fprintf(stderr, "mc_load: %s wants seconds in (0, 86400], not '%s'\n", flag, s);
    std::exit(2);
  }
  return v;
}

Options parse_args(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; i++) {
    std::string_view a = argv[i];
    if (a == "-h" || a == "--help") usage(0);
    if (a == "--preload") {
      o.preload = true;
      continue;
    }
    if (i + 1 >= argc) {
      std::fprintf(stderr, "mc_load: %s needs a value (or is unknown)\n", argv[i]);
      usage(2);
    }
    const char* v = argv[++i];
    if (a == "-p" || a == "--port") {
      o.port = static_cast<int>(number(argv[i - 1], v, 1, 65535));
    } else if (a == "-c" || a == "--conns") {
      o.conns = static_cast<int>(number(argv[i - 1], v, 1, 10000));
    } else if (a == "-P" || a == "--pipeline") {
      o.pipeline = static_cast<int>(number(argv[i - 1], v, 1, 10000));
    } else if (a == "-n" || a == "--requests") {
      o.requests = number(argv[i - 1], v, 0, 1000000000);
    } else if (a == "--seconds") {
      o.seconds = seconds_arg(argv[i - 1], v);
    } else if (a == "--op") {
      if (std::string_view(v) == "get") {
        o.op_set = false;
      } else if (std::string_view(v) == "set") {
        o.op_set = true;
      } else {
        std::fprintf(stderr, "mc_load: --op is get or set, not '%s'\n", v);
        std::exit(2);
      }
    } else if (a == "-r" || a == "--keyspace") {
      o.keyspace = number(argv[i - 1], v, 1, 1000000000);
    } else if (a == "-d" || a == "--value-size") {
      o.value_size = static_cast<int>(number(argv[i - 1], v, 0, 1000000));
    } else if (a == "--seed") {
      o.seed = static_cast<uint64_t>(number(argv[i - 1], v, 1, 1ll << 62));
    } else if (a == "--idle") {
      o.idle = static_cast<int>(number(argv[i - 1], v, 1, 100000));
    } else if (a == "--hold") {
      o.hold = seconds_arg(argv[i - 1], v);
    } else {
      std::fprintf(stderr, "mc_load: unknown option %s\n", argv[i - 1]);
      usage(2);
    }
  }
  if (o.port == 0) {
    std::fprintf(stderr, "mc_load: --port is required\n");
    usage(2);
  }
  if (o.requests == 0 && !o.preload && o.idle == 0) {
    std::fprintf(stderr, "mc_load: -n 0 only makes sense with --preload\n");
    std::exit(2);
  }
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
  if (o.seed == 0) o.seed = now_ns() ^ (static_cast<uint64_t>(getpid()) << 32);
  raise_fd_limit(static_cast<size_t>(std::max(o.idle, o.conns)) + 64);

  if (o.idle > 0) return run_idle(o);

  if (o.preload) {
    Counts c;
    Load pre(o, true);
    if (!pre.run(nullptr, c)) return 1;
    if (c.completed < static_cast<uint64_t>(o.keyspace) || c.errors != 0) {
      std::fprintf(stderr, "mc_load: preload stored %" PRIu64 " of %lld keys (%" PRIu64 " errors)\n",
                   c.completed - c.errors, o.keyspace, c.errors);
      return 1;
    }
    if (o.requests == 0) {
      std::printf("preloaded=%lld\n", o.keyspace);
      return 0;
    }
  }

  Histogram h;
  Counts c;
  Load load(o, false);
  if (!load.run(&h, c)) return 1;
  double secs = static_cast<double>(c.last_ns - c.first_ns) / 1e9;
  double rps = secs > 0 ? static_cast<double>(c.completed) / secs : 0;
  std::printf("rps=%.0f p50_ms=%.3f p99_ms=%.3f requests=%" PRIu64 " errors=%" PRIu64 " hits=%" PRIu64
              " misses=%" PRIu64 "\n",
              rps, h.percentile(0.50) / 1e6, h.percentile(0.99) / 1e6, c.completed, c.errors, c.hits, c.misses);
  std::fflush(stdout);
  return c.completed > 0 ? 0 : 1;
}
