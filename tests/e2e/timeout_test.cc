// Every request has a deadline: the pool's `timeout` holds for the simplest
// case (one request on an idle connection) as much as for pipelines, for a
// fragment of a multi-key request, for memcached, while the connect is
// pending, behind walnut's own set-up (SELECT), and behind requests that
// already timed out. And a connection that stops answering (a backend that
// sent half a reply and then nothing) is replaced, not kept broken.
//
// The bounds on elapsed time guard against a hang, the failure these tests
// are about (a request that waited for ever); what each case took is
// printed.
#include <arpa/inet.h>
#include <signal.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tests/e2e/harness.h"
#include "tests/e2e/memcache_client.h"
#include "tests/e2e/memcached_server.h"
#include "tests/e2e/paused.h"
#include "tests/e2e/redis_pool_helpers.h"
#include "tests/e2e/stalled_listener.h"

namespace walnut::e2e {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// Long enough that no ordinary request meets it on a loaded machine.
constexpr int kTimeoutMs = 500;
const std::string kTimeout = "  timeout: " + std::to_string(kTimeoutMs) + "\n";
const std::string kTimedOut = "-ERR Connection timed out\r\n";

long long ms_since(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t).count();
}

// Checks that a timed-out reply came no earlier than the timeout and well
// before twice it, and says how long it took.
void expect_timed_out_in_time(const std::string& what, Clock::time_point sent,
                              long long min_ms = kTimeoutMs - 20) {
  long long waited = ms_since(sent);
  std::cout << what << ": timed out after " << waited << " ms (timeout " << kTimeoutMs
            << " ms)\n";
  EXPECT_GE(waited, min_ms) << what << ": answered before the timeout";
  EXPECT_LT(waited, 2 * kTimeoutMs) << what << ": the timeout came late";
}

// One redis-server behind walnut, and a client whose SET left walnut's
// server connection open and idle; then the server is stopped.
struct IdleThenStopped {
  explicit IdleThenStopped(const std::vector<std::string>& walnut_args = {})
      : redis(dir),
        w(dir, pool_yaml("idle", {redis.port()}, kTimeout), walnut_args),
        c(w.port()) {
    set_ok = c.call({"SET", "a", "1"}) == "+OK\r\n";
    pause = std::make_unique<Paused>(redis.process().pid());
  }
  bool ready() const { return set_ok && pause->stopped(); }

  TempDir dir;
  RedisServer redis;
  Walnut w;
  Client c;
  bool set_ok = false;
  std::unique_ptr<Paused> pause;
};

// --- The matrix: one request, one connection, first ---

TEST(Timeout, SingleRequestOnAnIdleConnection) {
  IdleThenStopped t;
  ASSERT_TRUE(t.ready());
  auto t0 = Clock::now();
  EXPECT_EQ(t.c.call({"GET", "a"}), kTimedOut);
  expect_timed_out_in_time("one GET on an idle connection", t0);
  t.pause->resume();
  EXPECT_EQ(t.c.call({"GET", "a"}), bulk("1")) << "the connection is usable again";
}

TEST(Timeout, PipelineTimesOutTogether) {
  IdleThenStopped t;
  ASSERT_TRUE(t.ready());
  Client& c = t.c;
  auto t0 = Clock::now();
  c.send_raw(encode({"GET", "a"}) + encode({"SET", "b", "2"}) + encode({"GET", "b"}));
  EXPECT_EQ(c.read_reply(), kTimedOut);
  EXPECT_EQ(c.read_reply(), kTimedOut);
  EXPECT_EQ(c.read_reply(), kTimedOut);
  expect_timed_out_in_time("a pipeline of three", t0);
}

TEST(Timeout, FragmentOfAnMgetOnAStoppedServer) {
  TempDir dir;
  RedisServer r0(dir), r1(dir);
  std::vector<int> ports = {r0.port(), r1.port()};
  Walnut w(dir, pool_yaml("frag", ports, kSharded + kTimeout));
  Client c(w.port());
  // One key on each server (found by asking the servers directly).
  std::vector<std::string> keys;
  for (int i = 0; i < 40; ++i) keys.push_back(spread_key("f", i));
  for (const auto& k : keys) ASSERT_EQ(c.call({"SET", k, k}), "+OK\r\n");
  std::vector<int> where = locate(ports, keys);
  std::string on0, on1;
  for (size_t i = 0; i < keys.size(); ++i) {
    if (where[i] == 0 && on0.empty()) on0 = keys[i];
    if (where[i] == 1 && on1.empty()) on1 = keys[i];
  }
  ASSERT_FALSE(on0.empty());
  ASSERT_FALSE(on1.empty());
  ASSERT_EQ(c.call({"MGET", on0, on1}), "*2\r\n" + bulk(on0) + bulk(on1));

  Paused pause(r0.process().pid());
  ASSERT_TRUE(pause.stopped());
  auto t0 = Clock::now();
  EXPECT_EQ(c.call({"MGET", on0, on1}), kTimedOut);
  expect_timed_out_in_time("an MGET with a fragment on the stopped server", t0);
  EXPECT_EQ(c.call({"GET", on1}), bulk(on1)) << "the other server is unaffected";
}

TEST(Timeout, MemcachedSingleRequestOnAnIdleConnection) {
  TempDir dir;
  MemcachedServer mc(dir);
  Walnut w(dir, memcache_pool_yaml("mcsingle", {mc.port()}, kTimeout));
  McClient c(w.port(), 10s);
  ASSERT_EQ(c.call("set a 0 0 1\r\n1\r\n"), "STORED\r\n");
  Paused pause(mc.process().pid());
  ASSERT_TRUE(pause.stopped());
  auto t0 = Clock::now();
  EXPECT_EQ(c.call("get a\r\n"), "SERVER_ERROR Connection timed out\r\n");
  expect_timed_out_in_time("one memcached get on an idle connection", t0);
}

TEST(Timeout, SingleRequestWhileTheConnectIsPending) {
  TempDir dir;
  RedisServer redis(dir);
  StalledListener stalled(redis.port());  // never released: SYNs stay dropped
  ASSERT_GT(stalled.port(), 0);
  ASSERT_TRUE(stalled.stalled()) << "the accept queue did not fill: a connect completed";
  Walnut w(dir, pool_yaml("connecting", {stalled.port()}, kTimeout));
  Client c(w.port());
  auto t0 = Clock::now();
  EXPECT_EQ(c.call({"SET", "a", "1"}), kTimedOut);
  expect_timed_out_in_time("one SET while the connect is pending", t0);
}

TEST(Timeout, SingleRequestBehindTheSelectHandshake) {
  TempDir dir;
  RedisServer redis(dir);
  Walnut w(dir, pool_yaml("handshake", {redis.port()}, "  redis_db: 1\n" + kTimeout));
  // Stopped before walnut's first connection: the kernel still completes
  // the connect, and SELECT 1 then waits for an answer that does not come.
  Paused pause(redis.process().pid());
  ASSERT_TRUE(pause.stopped());
  Client c(w.port());
  auto t0 = Clock::now();
  EXPECT_EQ(c.call({"SET", "a", "1"}), kTimedOut);
  expect_timed_out_in_time("one SET behind SELECT", t0);
  pause.resume();
  // A fresh connection redoes SELECT 1 before the request.
  std::string r;
  for (int i = 0; i < 50 && r != "+OK\r\n"; ++i) {
    r = c.call({"SET", "a", "1"});
    if (r != "+OK\r\n") std::this_thread::sleep_for(50ms);
  }
  ASSERT_EQ(r, "+OK\r\n");
  Client direct(redis.port());
  ASSERT_EQ(direct.call({"SELECT", "1"}), "+OK\r\n");
  EXPECT_EQ(direct.call({"GET", "a"}), bulk("1")) << "the write must land in db 1";
}

TEST(Timeout, RequestArrivingBehindOnlyTimedOutRequests) {
  IdleThenStopped t;
  ASSERT_TRUE(t.ready());
  Client& c = t.c;
  auto t0 = Clock::now();
  EXPECT_EQ(c.call({"GET", "a"}), kTimedOut);
  expect_timed_out_in_time("the first GET", t0);
  // The connection now holds only the first GET's stand-in (its late reply
  // is still owed); this request must get a deadline all the same. It may
  // be answered before its own timeout: the connection, silent for twice
  // the timeout, is given up on.
  t0 = Clock::now();
  EXPECT_EQ(c.call({"GET", "a"}), kTimedOut);
  expect_timed_out_in_time("a GET behind a timed-out one", t0, 0);
}

// --- A connection that went silent mid-reply ---

// A fake redis for what a real one does not do: on its first connection it
// answers the first request with half a reply ("$5\r\nhe") and then reads
// and never writes again (a vanished host, a dropped firewall state); or,
// with `trickle`, sends the rest of that reply a byte every 300 ms (a long
// reply on a congested link) and then answers as usual. Every request
// otherwise gets "hello". Stops with the object, or 60 s after it started.
class HalfReplyServer {
 public:
  explicit HalfReplyServer(bool trickle = false) : trickle_(trickle) {
    listen_fd_ = listen_on_loopback(&port_);
    if (listen_fd_ >= 0) thread_ = std::thread([this] { run(); });
  }
  ~HalfReplyServer() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    for (Conn& c : conns_) {
      if (c.fd >= 0) close(c.fd);
    }
    if (listen_fd_ >= 0) close(listen_fd_);
  }
  HalfReplyServer(const HalfReplyServer&) = delete;
  HalfReplyServer& operator=(const HalfReplyServer&) = delete;

  int port() const { return port_; }
  int accepted() const { return accepted_; }
  int closed_by_walnut() const { return closed_; }

 private:
  struct Conn {
    int fd;
    bool black_hole;  // the first connection, until its trickle ends
    std::string in;
    int owed = 0;     // requests behind the half reply, not answered yet
  };

  void run() {
    const auto deadline = Clock::now() + 60s;
    while (!stop_ && Clock::now() < deadline) {
      std::vector<pollfd> fds{{listen_fd_, POLLIN, 0}};
      for (const Conn& c : conns_) fds.push_back({c.fd, POLLIN, 0});
      if (trickle_) send_trickle();
      if (poll(fds.data(), fds.size(), 20) <= 0) continue;
      for (size_t i = 1; i < fds.size(); ++i) {
        if (fds[i].revents != 0) serve(conns_[i - 1]);
      }
      if (fds[0].revents & POLLIN) {
        int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd >= 0) conns_.push_back({fd, accepted_++ == 0, "", 0});
      }
      std::erase_if(conns_, [](const Conn& c) { return c.fd < 0; });
    }
  }

  void serve(Conn& c) {
    char buf[4096];
    ssize_t n = read(c.fd, buf, sizeof(buf));
    if (n <= 0) {
      close(c.fd);
      c.fd = -1;
      ++closed_;
      return;
    }
    c.in.append(buf, static_cast<size_t>(n));
    for (int requests = complete_requests(&c.in); requests > 0; --requests) {
      if (!c.black_hole) {
        send_all(c.fd, "$5\r\nhello\r\n");
      } else if (!half_sent_) {
        send_all(c.fd, "$5\r\nhe");
        half_sent_ = true;
        last_trickle_ = Clock::now();
      } else {
        ++c.owed;
      }
    }
  }

  // The rest of the half reply, a byte at a time; then what was owed.
  void send_trickle() {
    if (!half_sent_ || conns_.empty() || !conns_[0].black_hole || conns_[0].fd < 0) return;
    if (Clock::now() - last_trickle_ < 300ms) return;
    Conn& c = conns_[0];
    const std::string rest = "llo\r\n";
    send_all(c.fd, rest.substr(trickled_++, 1));
    last_trickle_ = Clock::now();
    if (trickled_ < rest.size()) return;
    for (; c.owed > 0; --c.owed) send_all(c.fd, "$5\r\nhello\r\n");
    c.black_hole = false;
  }

  // Removes whole RESP requests (arrays of bulk strings) from the front of
  // `in`; how many.
  static int complete_requests(std::string* in) {
    int count = 0;
    size_t pos = 0;
    for (;;) {
      size_t p = pos;
      long n = 0;
      if (!number_line(*in, '*', &p, &n)) break;
      bool whole = true;
      for (long i = 0; i < n && whole; ++i) {
        long len = 0;
        whole = number_line(*in, '$', &p, &len) && in->size() >= p + len + 2;
        p += whole ? len + 2 : 0;
      }
      if (!whole) break;
      pos = p;
      ++count;
    }
    in->erase(0, pos);
    return count;
  }

  static bool number_line(const std::string& s, char type, size_t* p, long* n) {
    size_t end = s.find("\r\n", *p);
    if (*p >= s.size() || s[*p] != type || end == std::string::npos) return false;
    *n = std::stol(s.substr(*p + 1, end - *p - 1));
    *p = end + 2;
    return true;
  }

  static void send_all(int fd, const std::string& s) {
    for (size_t off = 0; off < s.size();) {
      ssize_t w = send(fd, s.data() + off, s.size() - off, MSG_NOSIGNAL);
      if (w <= 0) return;
      off += static_cast<size_t>(w);
    }
  }

  const bool trickle_;
  int listen_fd_ = -1;
  int port_ = -1;
  std::vector<Conn> conns_;
  bool half_sent_ = false;
  size_t trickled_ = 0;
  Clock::time_point last_trickle_;
  std::atomic<bool> stop_{false};
  std::atomic<int> accepted_{0};
  std::atomic<int> closed_{0};
  std::thread thread_;
};

TEST(BlackHole, ConnectionSilentMidReplyIsReplacedAfterOneTimeout) {
  TempDir dir;
  HalfReplyServer fake;
  ASSERT_GT(fake.port(), 0);
  Walnut w(dir, pool_yaml("blackhole", {fake.port()}, kTimeout), {"-v", "6"});
  Client c(w.port());
  auto t0 = Clock::now();
  EXPECT_EQ(c.call({"GET", "k"}), kTimedOut);
  expect_timed_out_in_time("the GET that got half a reply", t0);
  // Nothing more comes on that connection: walnut gives it up by itself,
  // without waiting for more requests to fail on it.
  ASSERT_TRUE(wait_until([&] { return fake.closed_by_walnut() >= 1; }, 10s))
      << "walnut kept the silent connection\n" << w.log();
  std::cout << "silent connection closed " << ms_since(t0) << " ms after the request\n";
  EXPECT_LT(ms_since(t0), 4 * kTimeoutMs);
  EXPECT_EQ(c.call({"GET", "k"}), bulk("hello")) << "a fresh connection serves";
  EXPECT_EQ(fake.accepted(), 2);
  // One line for the close, naming what it dropped; the request that timed
  // out is not reported as walnut's own set-up being refused.
  std::string log = w.log();
  EXPECT_EQ(log.find("refused walnut's connection set-up"), std::string::npos) << log;
  EXPECT_NE(log.find("1 late reply no longer awaited"), std::string::npos) << log;
}

TEST(BlackHole, SteadyTrafficFailsForAtMostTwoTimeouts) {
  TempDir dir;
  HalfReplyServer fake;
  ASSERT_GT(fake.port(), 0);
  Walnut w(dir, pool_yaml("blackhole", {fake.port()}, kTimeout));
  Client c(w.port());
  // One request after another, as an application would send them; before
  // a rule for silent connections each one timed out, for 1,024 requests.
  int failed = 0;
  std::string r;
  auto t0 = Clock::now();
  for (int i = 0; i < 40 && ms_since(t0) < 20000; ++i) {
    r = c.call({"GET", "k" + std::to_string(i)});
    if (r == bulk("hello")) break;
    EXPECT_EQ(r, kTimedOut) << "request " << i;
    if (r.empty()) break;
    ++failed;
  }
  std::cout << failed << " request(s) failed before a fresh connection served, after "
            << ms_since(t0) << " ms\n";
  ASSERT_EQ(r, bulk("hello"));
  EXPECT_LE(failed, 2);
  EXPECT_EQ(fake.accepted(), 2);
}

TEST(BlackHole, ConnectionThatKeepsSendingIsKeptUntilTheLateReplyEnds) {
  TempDir dir;
  HalfReplyServer fake(/*trickle=*/true);
  ASSERT_GT(fake.port(), 0);
  Walnut w(dir, pool_yaml("trickle", {fake.port()}, kTimeout));
  Client c(w.port());
  auto t0 = Clock::now();
  EXPECT_EQ(c.call({"GET", "k"}), kTimedOut);
  expect_timed_out_in_time("the GET whose reply trickles", t0);
  // The rest of that reply takes 1.5 s, longer than two timeouts, but bytes
  // keep coming: the connection is slow, not silent, and is kept. Once the
  // late reply is complete, requests on it are served again.
  std::string r;
  for (int i = 0; i < 40 && ms_since(t0) < 20000 && r != bulk("hello"); ++i) {
    r = c.call({"GET", "k" + std::to_string(i)});
    EXPECT_TRUE(r == bulk("hello") || r == kTimedOut) << r;
    if (r.empty()) break;
  }
  std::cout << "served again " << ms_since(t0) << " ms after the first request\n";
  EXPECT_EQ(r, bulk("hello"));
  EXPECT_EQ(fake.accepted(), 1) << "walnut gave up a connection that was still sending";
}

TEST(Timeout, LateReplyWithinItsPatienceIsSwallowedOnTheSameConnection) {
  TempDir dir;
  RedisServer redis(dir);
  Walnut w(dir, pool_yaml("late", {redis.port()}, kTimeout));
  Client c(w.port()), direct(redis.port());
  ASSERT_EQ(c.call({"SET", "a", "1"}), "+OK\r\n");
  auto connections = [&] {
    std::string info = direct.call({"INFO", "stats"});
    size_t at = info.find("total_connections_received:");
    return at == std::string::npos ? -1 : std::stol(info.substr(at + 27));
  };
  const long before = connections();
  {
    Paused pause(redis.process().pid());
    ASSERT_TRUE(pause.stopped());
    auto t0 = Clock::now();
    EXPECT_EQ(c.call({"GET", "a"}), kTimedOut);
    expect_timed_out_in_time("the GET to the stopped server", t0);
  }  // resumed within the second timeout: the late reply comes in time
  EXPECT_EQ(c.call({"SET", "a", "2"}), "+OK\r\n");
  EXPECT_EQ(c.call({"GET", "a"}), bulk("2"));
  EXPECT_EQ(connections(), before) << "walnut opened a new connection";
}

TEST(Timeout, RequestsDroppedWithAConnectionAreLoggedOnce) {
  IdleThenStopped t({"-v", "6"});
  ASSERT_TRUE(t.ready());
  Client& c = t.c;
  Walnut& w = t.w;
  std::string pipeline;
  for (int i = 0; i < 20; ++i) pipeline += encode({"GET", "a"});
  c.send_raw(pipeline);
  for (int i = 0; i < 20; ++i) ASSERT_EQ(c.read_reply(), kTimedOut) << i;
  // The server dies while walnut still waits for the 20 late replies.
  ::kill(t.redis.process().pid(), SIGKILL);
  ASSERT_TRUE(wait_until([&] { return w.log().find("20 late replies") != std::string::npos; },
                         10s))
      << w.log();
  std::string log = w.log();
  EXPECT_EQ(log.find("refused walnut's connection set-up"), std::string::npos)
      << "a timed-out request is not walnut's set-up\n" << log;
  size_t closes = 0;
  for (size_t at = log.find("closing server"); at != std::string::npos;
       at = log.find("closing server", at + 1)) {
    ++closes;
  }
  EXPECT_EQ(closes, 1u) << log;
}

}  // namespace
}  // namespace walnut::e2e
