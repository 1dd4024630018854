// soak_client: the checking Redis client scripts/soak drives against walnut
// while it restarts the redis-servers behind it. Plain C++20 and POSIX; it
// links nothing of walnut's. Loopback only.
//
//   soak_client --port PORT [--seconds S] [-c CONNS] [--keys N] [--seed N]
//               [--ack-file PATH] [--relaxed] [--reply-timeout S] [--drain S]
//
// LOAD. Opens CONNS connections (default 8) to 127.0.0.1:PORT. Each one, for
// S seconds (default 60), sends a batch of D pipelined requests (D uniform in
// 1..32; one batch in 8 is written in pieces of 1..256 bytes, 1..8192 when
// over 16 KB) and waits for the D replies before the next batch. The mix:
// SET 32 %, GET 22 %, MGET of 2..8 keys (one in 8 names a key twice) 15 %,
// DEL of 1..3 keys 8 %, INCR 18 %, DEL of a counter 5 %. Connection C touches
// only its own keys: N string keys "soak:R:C:sK" (default 32) and N/4
// counters "soak:R:C:nK" (R: a run id from the seed, so that keys left by an
// earlier run do not matter). A value written is "cC.sSEQ.kKEY." followed by
// padding derived from (C, SEQ), mostly 0..119 bytes, one write in 64 up to
// 64 KB (several of walnut's 16 KB mbufs); SEQ numbers the connection's
// requests. So connection C alone decides what its keys hold, and a value
// read tells which write it comes from.
//
// MODEL. For every key the checker keeps the set of values it may hold now:
// "absent" and/or write SEQs (string keys), "absent" and/or integers
// (counters); initially {absent}. A connection's requests are applied to it
// in order, as their replies arrive. That is the order Redis ran them in:
// replies come back in request order, and all of a key's requests go through
// one client connection and one walnut server connection (scripts/soak sets
// server_connections: 1), which walnut keeps open when a request on it times
// out, so even a timed-out write that Redis runs late runs before anything
// sent after it.
//   - A successful SET, DEL or INCR leaves one possibility: the value
//     written, absent, or the integer returned. A successful GET or MGET
//     leaves the value it saw.
//   - A write with an error reply, or none (lost), may or may not have been
//     applied, whatever the error says: its outcome joins the possibilities
//     (SET adds its SEQ, DEL adds absent, INCR adds v+1 for every possible
//     v, absent+1 being 1) until a success on that key narrows them again.
//   - A restart loses the keys of one server (no persistence), and the
//     checker does not know which keys live there. scripts/soak sends
//     SIGUSR1 before each kill and waits until this process has written the
//     count of kills announced to --ack-file; it sends SIGUSR2 once the
//     server has exited. Every possibility remembers how many kills had
//     completed (SIGUSR2) when the request that produced it was built, which
//     is before Redis ran it. If more kills have been announced since (seen
//     when a later reply for the key is handled, which is after that
//     command ran and so after any kill that could have wiped it was
//     announced), "absent" becomes possible too. So a nil for a key written
//     before the last kill passes; a nil for a key whose last write was built
//     after the last kill completed is a violation. Conservative (any kill
//     counts for every key) but never a false alarm.
//
// CHECKS, per reply:
//   - Its type fits the request: SET +OK, GET a bulk string or nil, MGET an
//     array of as many bulk strings or nils, DEL and INCR an integer, or an
//     error reply to anything. Otherwise "wrong type"; the stream is out of
//     step, so the connection is reopened (its other outstanding requests
//     are abandoned, not counted again).
//   - A value read is a tag of this connection naming the key asked for
//     (position by position in an MGET), with intact padding, and its SEQ is
//     a possibility; a nil only when absent is one. INCR's result minus one
//     (absent for 1) is a possibility. DEL's count lies between the number
//     of its keys that must exist and the number that may. Otherwise "wrong
//     value" (a duplicated, stale, misrouted or misordered reply); the key's
//     model then follows what was seen (so one fault is reported once), but
//     not a value this key was never given.
//   - Bytes with no request outstanding: "reply with none outstanding" (a
//     duplicate); bytes that are not RESP: "malformed". Both reopen the
//     connection.
//   These four make up "duplicated/misordered".
// LOST: requests outstanding when walnut closes or resets the connection,
// outstanding with no byte received for --reply-timeout seconds (default 5;
// scripts/soak gives walnut timeout: 400 ms), or unanswered --drain seconds
// (default 10) after the end. The connection is reopened. Any close or reset
// by walnut, even with nothing outstanding, counts as "dropped by walnut".
// ERRORS are counted by text. Those a backend failure explains ("ERR
// Connection refused", "ERR Connection timed out", "ERR Connection reset by
// peer", "ERR Connection closed by server", "ERR Broken pipe") are expected;
// any other is an "unexpected error".
//
// --relaxed is for pools with auto_eject_hosts: true, where a key moves to
// another server while its own is ejected and back afterwards, so a read may
// legitimately see an older value, or none, left on the other server. Reads
// are still checked for type and tag (this connection, this key, intact
// padding, a SEQ already used), INCR for 1 <= result <= INCRs sent to that
// counter, DEL for 0..keys; what only the strict model rejects is counted as
// "stale reads (relaxed)", not as a violation. "ERR no server left in pool"
// is then expected too. scripts/soak --sentinel uses it as well: a Sentinel
// failover loses what the old master acknowledged after the replica's
// promotion, and a request written to the old master and unanswered gets
// "ERR server '<name>' moved from <old> to <new> (Sentinel failover)".
//
// SIGUSR1: a server is about to be killed; SIGUSR2: it has exited (see
// above). SIGINT/SIGTERM: stop sending, drain, report. Prints a summary (the
// first 40 faults go to stderr with their details) and, last, one line
//   RESULT requests=.. replies=.. ok=.. errors=.. unexpected_errors=.. lost=..
//          duplicated_misordered=.. dropped=.. stale_relaxed=..
// Exit status: 0 when nothing was lost, duplicated, misordered, malformed or
// unexpected and walnut dropped no connection; 1 otherwise; 2 on bad
// arguments; 3 when walnut could not be reached.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace {

volatile sig_atomic_t g_stop = 0;
volatile sig_atomic_t g_announced = 0;  // kills announced by scripts/soak (SIGUSR1)
volatile sig_atomic_t g_completed = 0;  // kills it has completed (SIGUSR2)

void on_stop(int) { g_stop = 1; }
void on_announce(int) { g_announced = g_announced + 1; }
void on_complete(int) { g_completed = g_completed + 1; }

uint32_t kills_now() { return static_cast<uint32_t>(g_announced); }
uint32_t kills_done() { return static_cast<uint32_t>(g_completed); }

uint64_t now_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

struct Options {
  int port = 0;
  int conns = 8;
  double seconds = 60;
  int keys = 32;
  uint64_t seed = 0;
  std::string ack_file;
  bool relaxed = false;
  double reply_timeout = 5;
  double drain = 10;
};

[[noreturn]] void usage_error(const std::string& what) {
  std::fprintf(stderr,
               "soak_client: %s\nusage: soak_client --port PORT [--seconds S] [-c CONNS] [--keys N]"
               " [--seed N] [--ack-file PATH] [--relaxed] [--reply-timeout S] [--drain S]\n",
               what.c_str());
  std::exit(2);
}

double number_arg(const char* name, const char* v, double lo, double hi) {
  char* end = nullptr;
  double d = std::strtod(v, &end);
  if (end == v || *end != '\0' || !(d >= lo && d <= hi)) {
    usage_error(std::string(name) + " wants a number in " + std::to_string(lo) + ".." + std::to_string(hi));
  }
  return d;
}

Options parse_args(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; i++) {
    std::string_view a = argv[i];
    auto value = [&]() -> const char* {
      if (i + 1 >= argc) usage_error(std::string(a) + " needs a value");
      return argv[++i];
    };
    if (a == "--port") {
      o.port = static_cast<int>(number_arg("--port", value(), 1, 65535));
    } else if (a == "--seconds") {
      o.seconds = number_arg("--seconds", value(), 0.1, 86400);
    } else if (a == "-c" || a == "--conns") {
      o.conns = static_cast<int>(number_arg("-c", value(), 1, 256));
    } else if (a == "--keys") {
      o.keys = static_cast<int>(number_arg("--keys", value(), 4, 100000));
    } else if (a == "--seed") {
      o.seed = static_cast<uint64_t>(number_arg("--seed", value(), 1, 1e15));
    } else if (a == "--ack-file") {
      o.ack_file = value();
    } else if (a == "--relaxed") {
      o.relaxed = true;
    } else if (a == "--reply-timeout") {
      o.reply_timeout = number_arg("--reply-timeout", value(), 0.1, 3600);
    } else if (a == "--drain") {
      o.drain = number_arg("--drain", value(), 0.1, 3600);
    } else if (a == "-h" || a == "--help") {
      std::printf("usage: soak_client --port PORT [--seconds S] [-c CONNS] [--keys N] [--seed N]"
                  " [--ack-file PATH] [--relaxed] [--reply-timeout S] [--drain S]\n"
                  "(see the header of tests/soak/soak_client.cc)\n");
      std::exit(0);
    } else {
      usage_error("unknown argument " + std::string(a));
    }
  }
  if (o.port == 0) usage_error("--port is required");
  return o;
}

// ---- values -----------------------------------------------------------------

uint64_t mix(uint64_t x) {  // splitmix64's finaliser
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

constexpr size_t kMaxBig = 65536;

size_t padding_len(int conn, int64_t seq) {
  uint64_t r = mix((static_cast<uint64_t>(conn) << 48) ^ static_cast<uint64_t>(seq));
  if ((r & 63) == 0) return static_cast<size_t>((r >> 8) % kMaxBig);
  return static_cast<size_t>((r >> 8) % 120);
}

char padding_char(int conn, int64_t seq, size_t i) {
  static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  return kAlphabet[(static_cast<uint64_t>(seq) * 7 + i * 13 + static_cast<uint64_t>(conn)) % 36];
}

std::string make_value(int conn, int64_t seq, const std::string& key) {
  std::string v = "c" + std::to_string(conn) + ".s" + std::to_string(seq) + ".k" + key + ".";
  size_t n = padding_len(conn, seq);
  v.reserve(v.size() + n);
  for (size_t i = 0; i < n; i++) v.push_back(padding_char(conn, seq, i));
  return v;
}

struct Tag {
  int conn = -1;
  int64_t seq = -1;
  std::string key;
  bool padding_ok = false;
};

bool parse_int(std::string_view s, int64_t* out) {
  if (s.empty() || s.size() > 18) return false;
  int64_t v = 0;
  for (char ch : s) {
    if (ch < '0' || ch > '9') return false;
    v = v * 10 + (ch - '0');
  }
  *out = v;
  return true;
}

// Parses "cC.sSEQ.kKEY.PADDING"; false when it is not a tag at all.
bool parse_tag(std::string_view v, Tag* t) {
  if (v.size() < 2 || v[0] != 'c') return false;
  size_t d1 = v.find('.');
  if (d1 == std::string_view::npos) return false;
  int64_t c;
  if (!parse_int(v.substr(1, d1 - 1), &c)) return false;
  if (d1 + 1 >= v.size() || v[d1 + 1] != 's') return false;
  size_t d2 = v.find('.', d1 + 1);
  if (d2 == std::string_view::npos) return false;
  if (!parse_int(v.substr(d1 + 2, d2 - d1 - 2), &t->seq)) return false;
  if (d2 + 1 >= v.size() || v[d2 + 1] != 'k') return false;
  size_t d3 = v.find('.', d2 + 1);
  if (d3 == std::string_view::npos) return false;
  t->conn = static_cast<int>(c);
  t->key = std::string(v.substr(d2 + 2, d3 - d2 - 2));
  std::string_view pad = v.substr(d3 + 1);
  t->padding_ok = pad.size() == padding_len(t->conn, t->seq);
  for (size_t i = 0; t->padding_ok && i < pad.size(); i++) {
    t->padding_ok = pad[i] == padding_char(t->conn, t->seq, i);
  }
  return true;
}

// ---- the model of one key ---------------------------------------------------

constexpr uint32_t kNoEpoch = UINT32_MAX;

// What a key may hold now. Epoch: the smallest count of completed kills at
// the build time of any request that produced a present possibility
// (kNoEpoch: none).
struct KeyModel {
  bool counter = false;
  bool absent = true;
  std::vector<int64_t> seqs;                          // string keys
  std::vector<std::pair<int64_t, int64_t>> ranges;    // counters: disjoint, sorted [lo, hi]
  uint32_t epoch = kNoEpoch;
  int64_t incr_sent = 0;  // INCRs ever sent to this counter (relaxed bound)

  bool any_present() const { return counter ? !ranges.empty() : !seqs.empty(); }

  // More kills announced than had completed when a present possibility was
  // produced: it may have been lost since.
  void widen(uint32_t kills) {
    if (any_present() && epoch != kNoEpoch && epoch < kills) absent = true;
  }
  void note_epoch(uint32_t e) { epoch = std::min(epoch, e); }

  void set_absent_only() {
    absent = true;
    seqs.clear();
    ranges.clear();
    epoch = kNoEpoch;
  }
  void set_seq_only(int64_t seq, uint32_t e) {
    absent = false;
    seqs.assign(1, seq);
    epoch = e;
  }
  void set_int_only(int64_t v, uint32_t e) {
    absent = false;
    ranges.assign(1, {v, v});
    epoch = e;
  }
  bool has_seq(int64_t s) const { return std::find(seqs.begin(), seqs.end(), s) != seqs.end(); }
  bool has_int(int64_t v) const {
    for (auto& r : ranges) {
      if (v >= r.first && v <= r.second) return true;
    }
    return false;
  }
  // An INCR with unknown outcome: every v may have become v + 1.
  void incr_unknown(uint32_t e) {
    std::vector<std::pair<int64_t, int64_t>> r = ranges;
    for (auto& x : r) x.second += 1;
    if (absent) r.push_back({1, 1});
    std::sort(r.begin(), r.end());
    ranges.clear();
    for (auto& x : r) {
      if (!ranges.empty() && x.first <= ranges.back().second + 1) {
        ranges.back().second = std::max(ranges.back().second, x.second);
      } else {
        ranges.push_back(x);
      }
    }
    note_epoch(e);
  }
  std::string describe() const {
    std::string s = "{";
    bool first = true;
    auto add = [&](const std::string& x) {
      if (!first) s += ",";
      s += x;
      first = false;
    };
    if (absent) add("absent");
    size_t shown = 0;
    for (int64_t q : seqs) {
      if (++shown > 8) {
        add("... " + std::to_string(seqs.size()) + " seqs");
        break;
      }
      add("s" + std::to_string(q));
    }
    for (auto& r : ranges) add(r.first == r.second ? std::to_string(r.first)
                                                   : std::to_string(r.first) + ".." + std::to_string(r.second));
    return s + "} epoch " + (epoch == kNoEpoch ? std::string("-") : std::to_string(epoch));
  }
};

// ---- replies ----------------------------------------------------------------

struct Reply {
  char type = 0;  // + - : $ *
  bool nil = false;
  std::string str;
  int64_t num = 0;
  std::vector<Reply> elems;
};

// 1: one reply parsed (pos advanced), 0: incomplete, -1: not RESP.
int parse_reply(const std::string& buf, size_t* pos, Reply* r, int depth = 0) {
  size_t p = *pos;
  if (p >= buf.size()) return 0;
  size_t eol = buf.find("\r\n", p);
  if (eol == std::string::npos) return buf.size() - p > 1024 ? -1 : 0;
  char t = buf[p];
  std::string_view line(buf.data() + p + 1, eol - p - 1);
  r->type = t;
  r->nil = false;
  r->elems.clear();
  auto number = [&](int64_t* out) {
    bool neg = !line.empty() && line[0] == '-';
    int64_t v;
    if (!parse_int(neg ? line.substr(1) : line, &v)) return false;
    *out = neg ? -v : v;
    return true;
  };
  switch (t) {
    case '+':
    case '-':
      r->str.assign(line);
      *pos = eol + 2;
      return 1;
    case ':':
      if (!number(&r->num)) return -1;
      *pos = eol + 2;
      return 1;
    case '$': {
      int64_t n;
      if (!number(&n) || n < -1 || n > (int64_t{1} << 29)) return -1;
      if (n == -1) {
        r->nil = true;
        *pos = eol + 2;
        return 1;
      }
      size_t start = eol + 2;
      if (buf.size() < start + static_cast<size_t>(n) + 2) return 0;
      if (buf.compare(start + static_cast<size_t>(n), 2, "\r\n") != 0) return -1;
      r->str.assign(buf, start, static_cast<size_t>(n));
      *pos = start + static_cast<size_t>(n) + 2;
      return 1;
    }
    case '*': {
      int64_t n;
      if (depth > 1 || !number(&n) || n < -1 || n > 100000) return -1;
      if (n == -1) {
        r->nil = true;
        *pos = eol + 2;
        return 1;
      }
      size_t q = eol + 2;
      r->elems.resize(static_cast<size_t>(n));
      for (auto& e : r->elems) {
        int rc = parse_reply(buf, &q, &e, depth + 1);
        if (rc != 1) return rc;
      }
      *pos = q;
      return 1;
    }
    default:
      return -1;
  }
}

std::string printable(std::string_view s, size_t max = 80) {
  std::string o;
  for (char ch : s.substr(0, max)) {
    if (ch >= 32 && ch < 127) {
      o.push_back(ch);
    } else {
      char b[8];
      std::snprintf(b, sizeof b, "\\x%02x", static_cast<unsigned char>(ch));
      o += b;
    }
  }
  if (s.size() > max) o += "...(" + std::to_string(s.size()) + " bytes)";
  return o;
}

std::string describe_reply(const Reply& r) {
  switch (r.type) {
    case '+': return "+" + printable(r.str);
    case '-': return "-" + printable(r.str);
    case ':': return ":" + std::to_string(r.num);
    case '$': return r.nil ? "$nil" : "$\"" + printable(r.str, 60) + "\"";
    case '*': {
      if (r.nil) return "*nil";
      std::string s = "*[";
      for (size_t i = 0; i < r.elems.size() && i < 8; i++) s += (i ? "," : "") + describe_reply(r.elems[i]);
      return s + (r.elems.size() > 8 ? ",...]" : "]");
    }
    default: return "?";
  }
}

// ---- the run ------------------------------------------------------------------

enum class Op { Set, Get, MGet, Del, Incr };

const char* op_name(Op op) {
  switch (op) {
    case Op::Set: return "SET";
    case Op::Get: return "GET";
    case Op::MGet: return "MGET";
    case Op::Del: return "DEL";
    case Op::Incr: return "INCR";
  }
  return "?";
}

struct Request {
  Op op;
  std::vector<int> keys;  // indices into the connection's keys
  int64_t seq;
  uint32_t epoch;  // kills completed when built
  size_t end = 0;  // its end in the batch's bytes
  uint64_t sent_ns = 0;  // when its last byte was written
};

struct Totals {
  uint64_t requests = 0, replies = 0, ok = 0, errors = 0, unexpected_errors = 0;
  uint64_t lost = 0, unexpected_reply = 0, type_mismatch = 0, wrong_value = 0, malformed = 0;
  uint64_t dropped = 0, stalls = 0, reconnects = 0, stale_relaxed = 0, abandoned = 0;
  uint64_t nil_reads = 0, value_reads = 0, big_values = 0;
  uint64_t max_reply_ns = 0, replies_over_1s = 0;
  std::string slowest;
  std::map<std::string, uint64_t> errors_by_text;
  std::map<std::string, uint64_t> lost_by_cause;
  uint64_t violations() const { return unexpected_reply + type_mismatch + wrong_value + malformed; }
};

Totals g_totals;
int g_reports = 0;
constexpr int kMaxReports = 40;

void report(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
void report(const char* fmt, ...) {
  if (++g_reports > kMaxReports) {
    if (g_reports == kMaxReports + 1) std::fprintf(stderr, "soak_client: (further reports left out)\n");
    return;
  }
  va_list ap;
  va_start(ap, fmt);
  std::fprintf(stderr, "soak_client: ");
  std::vfprintf(stderr, fmt, ap);
  std::fprintf(stderr, "\n");
  va_end(ap);
}

bool expected_error(std::string_view text, bool relaxed) {
  static constexpr std::string_view kExpected[] = {
      "ERR Connection refused", "ERR Connection timed out", "ERR Connection reset by peer",
      "ERR Connection closed by server", "ERR Broken pipe",
  };
  for (auto e : kExpected) {
    if (text == e) return true;
  }
  if (!relaxed) return false;
  // Ejection (a key's server out of the ring), or a Sentinel failover: a
  // request written to the old master, unanswered when walnut moved on.
  return text.starts_with("ERR no server left in pool ") ||
         (text.starts_with("ERR server '") && text.ends_with("(Sentinel failover)") &&
          text.find("' moved from ") != std::string_view::npos);
}

class Conn {
 public:
  Conn(const Options& o, int id, uint64_t seed) : o_(o), id_(id), rng_(seed) {
    int nctr = std::max(1, o.keys / 4);
    std::string prefix = "soak:" + std::to_string(mix(o.seed) % 1000000) + ":" + std::to_string(id);
    for (int k = 0; k < o.keys; k++) {
      names_.push_back(prefix + ":s" + std::to_string(k));
      models_.push_back(KeyModel{});
    }
    for (int k = 0; k < nctr; k++) {
      names_.push_back(prefix + ":n" + std::to_string(k));
      KeyModel m;
      m.counter = true;
      models_.push_back(m);
    }
  }
  ~Conn() {
    if (fd_ >= 0) close(fd_);
  }

  // Connects (blocking; loopback). False when walnut cannot be reached.
  bool open_socket() {
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(static_cast<uint16_t>(o_.port));
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    for (int attempt = 0; attempt < 20; attempt++) {
      int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      if (fd < 0) return false;
      if (connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0) {
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
        fd_ = fd;
        in_.clear();
        in_pos_ = 0;
        out_.clear();
        out_pos_ = 0;
        return true;
      }
      int err = errno;
      close(fd);
      if (attempt == 19) {
        std::fprintf(stderr, "soak_client: conn %d: connect 127.0.0.1:%d: %s\n", id_, o_.port, std::strerror(err));
      }
      usleep(100000);
    }
    return false;
  }

  int fd() const { return fd_; }
  bool idle() const { return pending_.empty(); }
  bool wants_write() const { return out_pos_ < out_.size(); }
  uint64_t last_progress() const { return last_progress_; }
  size_t outstanding() const { return pending_.size(); }

  void start_batch() {
    int depth = std::uniform_int_distribution<int>(1, 32)(rng_);
    out_.clear();
    out_pos_ = 0;
    for (int i = 0; i < depth; i++) add_request();
    unsent_ = pending_.size();
    chunk_ = 0;
    if (rng_() % 8 == 0) chunk_ = static_cast<size_t>(1 + rng_() % (out_.size() <= 16384 ? 256 : 8192));
    last_progress_ = now_ns();
  }

  // Writes what it can. False when the connection failed.
  bool on_writable() {
    while (out_pos_ < out_.size()) {
      size_t n = out_.size() - out_pos_;
      if (chunk_ > 0) n = std::min(n, chunk_);
      ssize_t w = send(fd_, out_.data() + out_pos_, n, MSG_NOSIGNAL);
      if (w < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) return true;
        if (errno == EINTR) continue;
        fail_connection(std::string("send to walnut: ") + std::strerror(errno));
        return false;
      }
      out_pos_ += static_cast<size_t>(w);
      uint64_t now = now_ns();
      while (unsent_ > 0 && pending_[pending_.size() - unsent_].end <= out_pos_) {
        pending_[pending_.size() - unsent_].sent_ns = now;
        unsent_--;
      }
      if (chunk_ > 0) return true;  // one piece per turn: the others go first
    }
    return true;
  }

  // Reads and checks what arrived. False when the connection failed.
  bool on_readable() {
    char buf[65536];
    for (;;) {
      ssize_t r = recv(fd_, buf, sizeof buf, 0);
      if (r > 0) {
        in_.append(buf, static_cast<size_t>(r));
        last_progress_ = now_ns();
        if (static_cast<size_t>(r) < sizeof buf) break;
        continue;
      }
      if (r == 0) {
        if (!consume()) return false;
        fail_connection("closed by walnut");
        return false;
      }
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      if (!consume()) return false;
      fail_connection(std::string("recv from walnut: ") + std::strerror(errno));
      return false;
    }
    return consume();
  }

  // Requests outstanding for too long, or at the end: lost.
  void give_up(const char* cause) {
    if (!pending_.empty()) {
      report("conn %d: %zu replies lost (%s); first outstanding: %s seq %" PRId64, id_, pending_.size(), cause,
             op_name(pending_.front().op), pending_.front().seq);
    }
    lose_pending(cause);
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }

  void reopen_if_closed(bool* unreachable) {
    if (fd_ >= 0) return;
    g_totals.reconnects++;
    if (!open_socket()) *unreachable = true;
  }

 private:
  int pick_string() { return static_cast<int>(rng_() % static_cast<uint64_t>(o_.keys)); }
  int pick_counter() {
    return o_.keys + static_cast<int>(rng_() % static_cast<uint64_t>(names_.size() - static_cast<size_t>(o_.keys)));
  }
  std::vector<int> pick_distinct(int n) {
    std::vector<int> ks;
    while (static_cast<int>(ks.size()) < n) {
      int k = pick_string();
      if (std::find(ks.begin(), ks.end(), k) == ks.end()) ks.push_back(k);
    }
    return ks;
  }

  void append_command(const std::vector<std::string_view>& args) {
    out_ += "*" + std::to_string(args.size()) + "\r\n";
    for (auto a : args) {
      out_ += "$" + std::to_string(a.size()) + "\r\n";
      out_.append(a);
      out_ += "\r\n";
    }
  }

  void add_request() {
    Request q;
    q.seq = next_seq_++;
    q.epoch = kills_done();
    unsigned roll = static_cast<unsigned>(rng_() % 100);
    std::vector<std::string_view> args;
    std::string value;
    if (roll < 32) {
      q.op = Op::Set;
      q.keys = {pick_string()};
      value = make_value(id_, q.seq, names_[static_cast<size_t>(q.keys[0])]);
      if (value.size() > 1024) g_totals.big_values++;
      args = {"SET", names_[static_cast<size_t>(q.keys[0])], value};
    } else if (roll < 54) {
      q.op = Op::Get;
      q.keys = {pick_string()};
      args = {"GET", names_[static_cast<size_t>(q.keys[0])]};
    } else if (roll < 69) {
      q.op = Op::MGet;
      q.keys = pick_distinct(2 + static_cast<int>(rng_() % 7));
      if (rng_() % 8 == 0) q.keys.push_back(q.keys[rng_() % q.keys.size()]);  // a key twice
      args = {"MGET"};
      for (int k : q.keys) args.push_back(names_[static_cast<size_t>(k)]);
    } else if (roll < 77) {
      q.op = Op::Del;
      q.keys = pick_distinct(1 + static_cast<int>(rng_() % 3));
      args = {"DEL"};
      for (int k : q.keys) args.push_back(names_[static_cast<size_t>(k)]);
    } else if (roll < 95) {
      q.op = Op::Incr;
      q.keys = {pick_counter()};
      models_[static_cast<size_t>(q.keys[0])].incr_sent++;
      args = {"INCR", names_[static_cast<size_t>(q.keys[0])]};
    } else {
      q.op = Op::Del;
      q.keys = {pick_counter()};
      args = {"DEL", names_[static_cast<size_t>(q.keys[0])]};
    }
    append_command(args);
    q.end = out_.size();
    pending_.push_back(std::move(q));
    g_totals.requests++;
  }

  // Parses and checks every complete reply. False when the connection must
  // be reopened (it is closed already).
  bool consume() {
    for (;;) {
      Reply r;
      size_t pos = in_pos_;
      int rc = parse_reply(in_, &pos, &r);
      if (rc == 0) break;
      if (rc < 0) {
        g_totals.malformed++;
        report("conn %d: malformed reply bytes: \"%s\"", id_, printable(std::string_view(in_).substr(in_pos_)).c_str());
        fail_connection("malformed reply", true);
        return false;
      }
      in_pos_ = pos;
      if (pending_.empty()) {
        g_totals.unexpected_reply++;
        report("conn %d: reply with no request outstanding (duplicated?): %s (last seq %" PRId64 ")", id_,
               describe_reply(r).c_str(), next_seq_ - 1);
        fail_connection("unexpected reply", true);
        return false;
      }
      Request q = std::move(pending_.front());
      pending_.pop_front();
      g_totals.replies++;
      if (q.sent_ns != 0) {
        uint64_t took = now_ns() - q.sent_ns;
        if (took > 1000000000ull) g_totals.replies_over_1s++;
        if (took > g_totals.max_reply_ns) {
          g_totals.max_reply_ns = took;
          g_totals.slowest = std::string(op_name(q.op)) + " " + name(q.keys[0]) + " -> " + describe_reply(r);
          if (g_totals.slowest.size() > 100) g_totals.slowest.resize(100);
        }
      }
      if (!check(q, r)) {
        fail_connection("type mismatch", true);
        return false;
      }
    }
    if (in_pos_ == in_.size()) {
      in_.clear();
      in_pos_ = 0;
    } else if (in_pos_ > (1u << 20)) {
      in_.erase(0, in_pos_);
      in_pos_ = 0;
    }
    return true;
  }

  KeyModel& model(int k) { return models_[static_cast<size_t>(k)]; }
  const std::string& name(int k) const { return names_[static_cast<size_t>(k)]; }

  // The request's outcome is unknown (error reply or no reply).
  void unknown_outcome(const Request& q) {
    uint32_t kills = kills_now();
    switch (q.op) {
      case Op::Set: {
        KeyModel& m = model(q.keys[0]);
        m.widen(kills);
        m.seqs.push_back(q.seq);
        m.note_epoch(q.epoch);
        break;
      }
      case Op::Del:
        for (int k : q.keys) {
          model(k).widen(kills);
          model(k).absent = true;
        }
        break;
      case Op::Incr: {
        KeyModel& m = model(q.keys[0]);
        m.widen(kills);
        m.incr_unknown(q.epoch);
        break;
      }
      case Op::Get:
      case Op::MGet:
        break;
    }
  }

  void type_mismatch(const Request& q, const Reply& r) {
    g_totals.type_mismatch++;
    report("conn %d: %s seq %" PRId64 " (%s...) got a reply of the wrong type: %s", id_, op_name(q.op), q.seq,
           name(q.keys[0]).c_str(), describe_reply(r).c_str());
  }

  void wrong_value(const Request& q, int k, const std::string& what, const KeyModel& before) {
    g_totals.wrong_value++;
    report("conn %d: %s seq %" PRId64 " key %s: %s; possible were %s (kills announced: %u)", id_, op_name(q.op),
           q.seq, name(k).c_str(), what.c_str(), before.describe().c_str(), kills_now());
  }

  // Checks one value read (GET, or one element of MGET) for key k and
  // narrows the model to it.
  void check_read(const Request& q, int k, const Reply& e) {
    KeyModel& m = model(k);
    m.widen(kills_now());
    if (e.nil) {
      g_totals.nil_reads++;
      if (!m.absent) {
        if (o_.relaxed) {
          g_totals.stale_relaxed++;
        } else {
          wrong_value(q, k, "nil", m);
        }
      }
      m.set_absent_only();
      return;
    }
    g_totals.value_reads++;
    Tag t;
    // Not a value this key was ever given (garbage, another key's or
    // connection's, corrupted): reported; the model is left as it was, the
    // key's own value may well be intact.
    if (!parse_tag(e.str, &t)) {
      wrong_value(q, k, "a value that is no tag: \"" + printable(e.str) + "\"", m);
      return;
    }
    if (t.conn != id_ || t.key != name(k) || !t.padding_ok || t.seq >= next_seq_) {
      wrong_value(q, k, "the value of another write: \"" + printable(e.str) + "\"", m);
      return;
    }
    // One of this key's writes, but not one it may hold now (stale,
    // misordered): reported once, the model follows what the server holds.
    if (!m.has_seq(t.seq)) {
      if (o_.relaxed) {
        g_totals.stale_relaxed++;
      } else {
        wrong_value(q, k, "s" + std::to_string(t.seq), m);
      }
    }
    m.set_seq_only(t.seq, q.epoch);
  }

  // False when the reply's type does not fit (the stream is out of step).
  bool check(const Request& q, const Reply& r) {
    if (r.type == '-') {
      g_totals.errors++;
      std::string text = r.str.size() > 120 ? r.str.substr(0, 120) : r.str;
      g_totals.errors_by_text[text]++;
      if (!expected_error(r.str, o_.relaxed)) {
        g_totals.unexpected_errors++;
        report("conn %d: %s seq %" PRId64 " (%s) got an unexpected error: -%s", id_, op_name(q.op), q.seq,
               name(q.keys[0]).c_str(), printable(r.str).c_str());
      }
      unknown_outcome(q);
      return true;
    }
    uint32_t kills = kills_now();
    switch (q.op) {
      case Op::Set:
        if (r.type != '+' || r.str != "OK") break;
        g_totals.ok++;
        model(q.keys[0]).set_seq_only(q.seq, q.epoch);
        return true;
      case Op::Get:
        if (r.type != '$') break;
        g_totals.ok++;
        check_read(q, q.keys[0], r);
        return true;
      case Op::MGet:
        if (r.type != '*' || r.nil || r.elems.size() != q.keys.size()) break;
        for (auto& e : r.elems) {
          if (e.type != '$') {
            type_mismatch(q, r);
            return false;
          }
        }
        g_totals.ok++;
        for (size_t i = 0; i < q.keys.size(); i++) check_read(q, q.keys[i], r.elems[i]);
        return true;
      case Op::Del: {
        if (r.type != ':') break;
        g_totals.ok++;
        int64_t must = 0, may = 0;
        for (int k : q.keys) {
          KeyModel& m = model(k);
          m.widen(kills);
          if (!m.absent) must++;
          if (m.any_present()) may++;
        }
        if (r.num < must || r.num > may) {
          bool relaxed_ok = r.num >= 0 && r.num <= static_cast<int64_t>(q.keys.size());
          if (o_.relaxed && relaxed_ok) {
            g_totals.stale_relaxed++;
          } else {
            wrong_value(q, q.keys[0],
                        "DEL of " + std::to_string(q.keys.size()) + " keys returned " + std::to_string(r.num) +
                            ", expected " + std::to_string(must) + ".." + std::to_string(may),
                        model(q.keys[0]));
          }
        }
        for (int k : q.keys) model(k).set_absent_only();
        return true;
      }
      case Op::Incr: {
        if (r.type != ':') break;
        g_totals.ok++;
        KeyModel& m = model(q.keys[0]);
        m.widen(kills);
        bool fits = r.num == 1 ? m.absent : m.has_int(r.num - 1);
        if (!fits) {
          if (o_.relaxed && r.num >= 1 && r.num <= m.incr_sent) {
            g_totals.stale_relaxed++;
          } else {
            wrong_value(q, q.keys[0], "INCR returned " + std::to_string(r.num), m);
          }
        }
        m.set_int_only(r.num, q.epoch);
        return true;
      }
    }
    type_mismatch(q, r);
    unknown_outcome(q);
    return false;
  }

  // Outstanding requests: lost, or (desync) abandoned after a violation
  // already counted, whose replies can no longer be matched.
  void lose_pending(const std::string& cause, bool desync = false) {
    if (desync) {
      g_totals.abandoned += pending_.size();
    } else if (!pending_.empty()) {
      g_totals.lost += pending_.size();
      g_totals.lost_by_cause[cause] += pending_.size();
    }
    for (const Request& q : pending_) unknown_outcome(q);
    pending_.clear();
    unsent_ = 0;
  }

  // Closes the connection. desync: after a violation already counted, the
  // outstanding requests are abandoned. Otherwise walnut closed or reset the
  // connection (cause says how): counted as dropped, and the outstanding
  // requests are lost (their writes have unknown outcomes).
  void fail_connection(const std::string& cause, bool desync = false) {
    if (!desync) {
      g_totals.dropped++;
      if (pending_.empty()) {
        report("conn %d: %s, nothing outstanding", id_, cause.c_str());
      } else {
        report("conn %d: %s with %zu requests outstanding (first: %s seq %" PRId64 ")", id_, cause.c_str(),
               pending_.size(), op_name(pending_.front().op), pending_.front().seq);
      }
    }
    lose_pending(cause, desync);
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }

  const Options& o_;
  int id_;
  std::mt19937_64 rng_;
  std::vector<std::string> names_;
  std::vector<KeyModel> models_;
  int fd_ = -1;
  std::string out_;
  size_t out_pos_ = 0;
  size_t chunk_ = 0;
  std::string in_;
  size_t in_pos_ = 0;
  std::deque<Request> pending_;
  int64_t next_seq_ = 0;
  size_t unsent_ = 0;  // requests at the end of pending_ not yet written whole
  uint64_t last_progress_ = 0;
};

void write_ack(const std::string& path, uint32_t n) {
  if (path.empty()) return;
  std::string tmp = path + ".tmp";
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return;
  std::string s = std::to_string(n) + "\n";
  ssize_t w = write(fd, s.data(), s.size());
  close(fd);
  if (w == static_cast<ssize_t>(s.size())) rename(tmp.c_str(), path.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  Options o = parse_args(argc, argv);
  signal(SIGPIPE, SIG_IGN);
  struct sigaction sa{};
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: poll returns EINTR
  sa.sa_handler = on_stop;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  sa.sa_handler = on_announce;
  sigaction(SIGUSR1, &sa, nullptr);
  sa.sa_handler = on_complete;
  sigaction(SIGUSR2, &sa, nullptr);
  if (o.seed == 0) o.seed = now_ns() ^ (static_cast<uint64_t>(getpid()) << 32);
  uint32_t acked = 0;
  write_ack(o.ack_file, acked);

  std::vector<std::unique_ptr<Conn>> conns;
  for (int i = 0; i < o.conns; i++) {
    conns.push_back(std::make_unique<Conn>(o, i, mix(o.seed + static_cast<uint64_t>(i))));
    if (!conns.back()->open_socket()) return 3;
  }

  const uint64_t start = now_ns();
  const uint64_t end = start + static_cast<uint64_t>(o.seconds * 1e9);
  const uint64_t reply_timeout = static_cast<uint64_t>(o.reply_timeout * 1e9);
  uint64_t drain_end = 0;
  bool unreachable = false;
  std::vector<pollfd> pfds;
  std::vector<Conn*> polled;
  for (;;) {
    uint32_t k = kills_now();
    if (k != acked) {
      acked = k;
      write_ack(o.ack_file, acked);
    }
    uint64_t now = now_ns();
    bool sending = now < end && !g_stop;
    if (!sending && drain_end == 0) drain_end = now + static_cast<uint64_t>(o.drain * 1e9);
    bool all_idle = true;
    pfds.clear();
    polled.clear();
    for (auto& c : conns) {
      if (c->fd() >= 0 && !c->idle() && now - c->last_progress() > reply_timeout) {
        g_totals.stalls++;
        c->give_up("no reply for --reply-timeout");
      }
      if (!sending && drain_end != 0 && now >= drain_end && !c->idle()) c->give_up("unanswered at the end");
      if (sending) {
        c->reopen_if_closed(&unreachable);
        if (unreachable) break;
        if (c->idle()) c->start_batch();
      }
      if (!c->idle()) all_idle = false;
      if (c->fd() < 0) continue;
      pfds.push_back({c->fd(), static_cast<short>(POLLIN | (c->wants_write() ? POLLOUT : 0)), 0});
      polled.push_back(c.get());
    }
    if (unreachable) break;
    if (!sending && all_idle) break;
    int rc = poll(pfds.data(), pfds.size(), 20);
    if (rc < 0) {
      if (errno == EINTR) continue;
      std::perror("soak_client: poll");
      return 1;
    }
    for (size_t i = 0; i < pfds.size(); i++) {
      Conn* c = polled[i];
      short ev = pfds[i].revents;
      if (ev == 0) continue;
      if ((ev & POLLOUT) && !c->on_writable()) continue;
      if (ev & (POLLIN | POLLERR | POLLHUP)) c->on_readable();
    }
  }
  double secs = static_cast<double>(now_ns() - start) / 1e9;
  conns.clear();  // closes every connection

  const Totals& t = g_totals;
  std::printf("soak_client: %d connections, %.1f s, %u kills announced, %u completed%s\n", o.conns, secs,
              kills_now(), kills_done(),
              o.relaxed ? ", relaxed checking (auto_eject_hosts, failovers)" : "");
  std::printf("  requests sent          %" PRIu64 " (%.0f/s), %" PRIu64 " values over 1 KB\n", t.requests,
              secs > 0 ? static_cast<double>(t.requests) / secs : 0.0, t.big_values);
  std::printf("  replies                %" PRIu64 "\n", t.replies);
  std::printf("  ok replies             %" PRIu64 " (values read %" PRIu64 ", nils read %" PRIu64 ")\n", t.ok,
              t.value_reads, t.nil_reads);
  std::printf("  error replies          %" PRIu64 "\n", t.errors);
  for (auto& [text, n] : t.errors_by_text) {
    std::printf("    %-40s %" PRIu64 "%s\n", ("-" + printable(text, 60)).c_str(), n,
                expected_error(text, o.relaxed) ? "" : "  (unexpected)");
  }
  std::printf("  lost replies           %" PRIu64 "\n", t.lost);
  for (auto& [cause, n] : t.lost_by_cause) std::printf("    %-40s %" PRIu64 "\n", cause.c_str(), n);
  std::printf("  duplicated/misordered  %" PRIu64 " (wrong value %" PRIu64 ", wrong type %" PRIu64
              ", reply with none outstanding %" PRIu64 ", malformed %" PRIu64 ")\n",
              t.violations(), t.wrong_value, t.type_mismatch, t.unexpected_reply, t.malformed);
  if (t.abandoned > 0) std::printf("    (then %" PRIu64 " requests abandoned on reopened connections)\n", t.abandoned);
  std::printf("  unexpected errors      %" PRIu64 "\n", t.unexpected_errors);
  std::printf("  dropped by walnut      %" PRIu64 " (reconnects %" PRIu64 ", stalls %" PRIu64 ")\n", t.dropped,
              t.reconnects, t.stalls);
  if (o.relaxed) std::printf("  stale reads (relaxed)  %" PRIu64 "\n", t.stale_relaxed);
  std::printf("  slowest reply          %.1f ms (%s), %" PRIu64 " over 1 s\n",
              static_cast<double>(t.max_reply_ns) / 1e6, t.slowest.c_str(), t.replies_over_1s);
  std::printf("RESULT requests=%" PRIu64 " replies=%" PRIu64 " ok=%" PRIu64 " errors=%" PRIu64
              " unexpected_errors=%" PRIu64 " lost=%" PRIu64 " duplicated_misordered=%" PRIu64 " dropped=%" PRIu64
              " stale_relaxed=%" PRIu64 "\n",
              t.requests, t.replies, t.ok, t.errors, t.unexpected_errors, t.lost, t.violations(), t.dropped,
              t.stale_relaxed);
  std::fflush(stdout);
  if (unreachable) return 3;
  bool bad = t.lost > 0 || t.violations() > 0 || t.unexpected_errors > 0 || t.dropped > 0;
  return bad ? 1 : 0;
}
