// The server connection on its own, over a socketpair whose other end the
// test plays as the backend: a request goes out and its reply comes back to
// the request's waiter; a request not answered in time gets the timeout and
// its late reply is dropped; a backend that closes fails what it holds. No
// client connection and no listener take part: replies have one way back,
// the request's ReplyWaiter.
#include "proxy/server_conn.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "event/loop.h"
#include "proxy/context.h"
#include "proxy/server.h"
#include "proxy/server_pool.h"

namespace walnut::proxy {
namespace {

const char kPing[] = "*1\r\n$4\r\nPING\r\n";

// Collects the replies delivered to it, in order, and frees each request.
class Collector final : public ReplyWaiter {
 public:
  explicit Collector(Context& ctx) : ctx_(ctx) {}
  void on_reply(Request* r) override {
    EXPECT_TRUE(r->done);
    EXPECT_EQ(r->server, nullptr) << "off its server connection when delivered";
    replies.push_back(r->reply.to_string());
    ctx_.free_request(r);
  }
  std::vector<std::string> replies;

 private:
  Context& ctx_;
};

class ServerConnTest : public ::testing::Test {
 protected:
  void start(int timeout_ms) {
    std::string yaml = "p:\n  listen: 127.0.0.1:1\n  redis: true\n";
    if (timeout_ms > 0) yaml += "  timeout: " + std::to_string(timeout_ms) + "\n";
    yaml += "  servers:\n    - 127.0.0.1:1:1\n";
    config::LoadResult r = config::load_string(yaml, "t.yml");
    ASSERT_TRUE(r.ok) << r.error;
    spec_ = r.config.pools[0];
    pool_ = std::make_unique<ServerPool>(ctx_, spec_);
    server_ = std::make_unique<Server>(*pool_, spec_.servers[0], 0);
    int fds[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds), 0);
    peer_ = fds[1];
    conn_ = new ServerConn(ctx_, *server_, fds[0]);  // retired by close()
  }

  void TearDown() override {
    if (conn_ != nullptr) conn_->close("the test is over");
    ctx_.after_iteration();
    if (peer_ >= 0) ::close(peer_);
  }

  void send(const std::string& request) {
    Request* r = ctx_.new_request();
    r->request.append_copy(ctx_.mbufs(), request);
    r->waiter = &collector_;
    conn_->enqueue(r);
  }

  // What the backend received so far.
  const std::string& received() {
    char buf[4096];
    ssize_t n;
    while ((n = ::read(peer_, buf, sizeof buf)) > 0) received_.append(buf, static_cast<size_t>(n));
    return received_;
  }
  void answer(const std::string& reply) {
    ASSERT_EQ(::write(peer_, reply.data(), reply.size()), static_cast<ssize_t>(reply.size()));
  }

  // Runs the loop until `done` says so after an iteration, for at most
  // `limit_ms`; `step` runs after every iteration first (the backend's part).
  bool run(const std::function<void()>& step, const std::function<bool()>& done,
           uint64_t limit_ms = 3000) {
    bool finished = false;
    event::Timer guard;
    guard.init(loop_, [this] { loop_.stop(); });
    guard.start(limit_ms);
    loop_.run([&] {
      ctx_.after_iteration();
      step();
      if (done()) {
        finished = true;
        loop_.stop();
      }
    });
    return finished;
  }

  event::Loop loop_;
  Context ctx_{loop_, 16384};
  config::PoolSpec spec_;
  std::unique_ptr<ServerPool> pool_;
  std::unique_ptr<Server> server_;
  ServerConn* conn_ = nullptr;
  int peer_ = -1;
  std::string received_;
  Collector collector_{ctx_};
};

TEST_F(ServerConnTest, OneRequestOneReplyReachesItsWaiter) {
  start(0);
  send(kPing);
  bool answered = false;
  ASSERT_TRUE(run(
      [&] {
        if (!answered && received() == kPing) {
          answer("+PONG\r\n");
          answered = true;
        }
      },
      [&] { return collector_.replies.size() == 1; }))
      << "received: " << received();
  EXPECT_EQ(collector_.replies[0], "+PONG\r\n");
  EXPECT_EQ(server_->counters().requests, 1u);
  EXPECT_EQ(server_->counters().responses, 1u);
}

TEST_F(ServerConnTest, PipelinedRepliesPairInOrder) {
  start(0);
  send("*2\r\n$3\r\nGET\r\n$1\r\na\r\n");
  send("*2\r\n$3\r\nGET\r\n$1\r\nb\r\n");
  bool answered = false;
  ASSERT_TRUE(run(
      [&] {
        if (!answered && received().size() == 2 * std::string("*2\r\n$3\r\nGET\r\n$1\r\na\r\n").size()) {
          answer("$1\r\nA\r\n$-1\r\n");  // both in one write
          answered = true;
        }
      },
      [&] { return collector_.replies.size() == 2; }));
  EXPECT_EQ(collector_.replies[0], "$1\r\nA\r\n");
  EXPECT_EQ(collector_.replies[1], "$-1\r\n");
}

TEST_F(ServerConnTest, ATimedOutRequestGetsTheTimeoutAndItsLateReplyIsDropped) {
  start(100);
  send(kPing);
  ASSERT_TRUE(run([] {}, [&] { return collector_.replies.size() == 1; }));
  EXPECT_EQ(collector_.replies[0], "-ERR Connection timed out\r\n");
  EXPECT_EQ(server_->counters().server_timedout, 1u);
  // The late reply pairs with the placeholder; the next request gets its own.
  answer("+PONG\r\n");
  send("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n");
  bool answered = false;
  ASSERT_TRUE(run(
      [&] {
        if (!answered && received().size() > std::string(kPing).size()) {
          answer("$1\r\nv\r\n");
          answered = true;
        }
      },
      [&] { return collector_.replies.size() == 2; }));
  EXPECT_EQ(collector_.replies[1], "$1\r\nv\r\n");
}

TEST_F(ServerConnTest, ABackendThatClosesFailsWhatTheConnectionHolds) {
  start(0);
  send(kPing);
  send(kPing);
  bool closed = false;
  ASSERT_TRUE(run(
      [&] {
        if (!closed && received().size() == 2 * std::string(kPing).size()) {
          ::close(peer_);
          peer_ = -1;
          closed = true;
        }
      },
      [&] { return collector_.replies.size() == 2; }));
  EXPECT_EQ(collector_.replies[0], "-ERR Connection closed by server\r\n");
  EXPECT_EQ(collector_.replies[1], "-ERR Connection closed by server\r\n");
  EXPECT_EQ(server_->counters().server_eof, 1u);
  conn_ = nullptr;  // closed and retired by the failure
}

}  // namespace
}  // namespace walnut::proxy
