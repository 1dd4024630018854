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

#include "event/loop.h"
#include "proto/redis/redis_protocol.h"
#include "proxy/context.h"

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
    ctx_.requests().put(r);
  }
  std::vector<std::string> replies;

 private:
  Context& ctx_;
};

// Stands in for the Server: the connection's whole view of the world above.
class Owner final : public ServerConnOwner {
 public:
  explicit Owner(Context& ctx) : ctx_(ctx), protocol_(std::make_unique<redis::RedisProtocol>(ctx.mbufs())) {}

  // Connections made from now on SELECT `db` first (their set-up).
  void select_db(int db) {
    redis::PoolOptions options;
    options.db = db;
    protocol_ = std::make_unique<redis::RedisProtocol>(ctx_.mbufs(), options);
  }

  const proto::Protocol& protocol() const override { return *protocol_; }
  int timeout_ms() const override { return timeout_ms_; }
  const std::string& label() const override { return label_; }
  stats::ServerCounters& counters() override { return counters_; }
  void on_reply() override { ++replies; }
  void on_connect_failed(const std::string& cause) override { failures.push_back(cause); }
  void on_failure(const std::string& cause) override { failures.push_back(cause); }
  void on_health_check(bool) override {}
  void on_conn_closed(ServerConn*) override { ++closed; }

  int timeout_ms_ = 0;
  int replies = 0;
  int closed = 0;
  std::vector<std::string> failures;

 private:
  Context& ctx_;
  std::unique_ptr<redis::RedisProtocol> protocol_;
  std::string label_ = "test-server";
  stats::ServerCounters counters_;
};

// The client a pinned connection belongs to: hears when it closes, and
// what the connection still held at that moment.
class Holder final : public PinHolder {
 public:
  void on_pin_closed(ServerConn* conn) override {
    closed.push_back(conn);
    if (replies != nullptr) replies_then = replies->size();
  }
  void on_push(ServerConn*, buffer::MbufChain& message) override {
    pushed.push_back(message.to_string());
  }
  std::vector<ServerConn*> closed;
  std::vector<std::string> pushed;
  const std::vector<std::string>* replies = nullptr;
  size_t replies_then = 0;
};

class ServerConnTest : public ::testing::Test {
 protected:
  void start(int timeout_ms, PinHolder* holder = nullptr) {
    owner_.timeout_ms_ = timeout_ms;
    int fds[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds), 0);
    peer_ = fds[1];
    conn_ = new ServerConn(ctx_, owner_, fds[0], holder);  // retired by close()
  }

  void TearDown() override {
    if (conn_ != nullptr) {
      conn_->detach_holder();  // a test's holder is gone by now
      conn_->close("the test is over");
    }
    ctx_.after_iteration();
    if (peer_ >= 0) ::close(peer_);
  }

  void send(const std::string& request, uint64_t block_ms = 0, uint32_t replies = 1,
            Request::Push push = Request::Push::kNone) {
    Request* r = ctx_.requests().get();
    r->block_ms = block_ms;
    r->replies_expected = replies;
    r->push = push;
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

  // A timeout closed the client's own connection: its holder heard of it,
  // and the connection is retired (TearDown must not touch it).
  void expect_closed_by_timeout(const Holder& holder) {
    EXPECT_EQ(holder.closed.size(), 1u) << "a timeout closes a client's own connection";
    conn_ = nullptr;
  }

  // A backend's part for run(): once the backend has received `expected`,
  // it answers `reply`, once.
  std::function<void()> answer_when(const std::string& expected, const std::string& reply) {
    auto answered = std::make_shared<bool>(false);
    return [this, expected, reply, answered] {
      if (!*answered && received() == expected) {
        answer(reply);
        *answered = true;
      }
    };
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
  Owner owner_{ctx_};
  ServerConn* conn_ = nullptr;
  int peer_ = -1;
  std::string received_;
  Collector collector_{ctx_};
};

TEST_F(ServerConnTest, OneRequestOneReplyReachesItsWaiter) {
  start(0);
  send(kPing);
  ASSERT_TRUE(run(answer_when(kPing, "+PONG\r\n"), [&] { return collector_.replies.size() == 1; }))
      << "received: " << received();
  EXPECT_EQ(collector_.replies[0], "+PONG\r\n");
  EXPECT_EQ(owner_.counters().requests, 1u);
  EXPECT_EQ(owner_.counters().responses, 1u);
  EXPECT_EQ(owner_.replies, 1) << "the owner hears that the server works";
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
  EXPECT_EQ(owner_.counters().server_timedout, 1u);
  EXPECT_EQ(owner_.failures, std::vector<std::string>{"Connection timed out"});
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
  EXPECT_EQ(owner_.counters().server_eof, 1u);
  EXPECT_EQ(owner_.closed, 1);
  conn_ = nullptr;  // closed and retired by the failure
}

const char kBlpop[] = "*3\r\n$5\r\nBLPOP\r\n$1\r\nq\r\n$1\r\n1\r\n";

// A client blocking by its own request on its own connection: the pool's
// timeout counts from when its block ends, not from when it was sent.
TEST_F(ServerConnTest, APinnedBlockingRequestMayWaitItsBlockBeforeTheTimeout) {
  Holder holder;
  start(50, &holder);
  send(kBlpop, 300);
  // Three timeouts go by with no reply and no error.
  EXPECT_FALSE(run([] {}, [&] { return !collector_.replies.empty(); }, 150));
  answer("*-1\r\n");
  ASSERT_TRUE(run([] {}, [&] { return collector_.replies.size() == 1; }));
  EXPECT_EQ(collector_.replies[0], "*-1\r\n");
  EXPECT_EQ(owner_.counters().server_timedout, 0u);
}

// A block with no end arms no timer; the request behind it waits as long
// (the server answers it only after); once both are answered, a request
// that gets no reply times out as usual.
TEST_F(ServerConnTest, APinnedRequestBlockingForeverNeverTimesOutNorWhatFollowsIt) {
  Holder holder;
  start(50, &holder);
  send(kBlpop, proto::Msg::kBlockForever);
  send(kPing);
  EXPECT_FALSE(run([] {}, [&] { return !collector_.replies.empty(); }, 200));
  answer("*2\r\n$1\r\nq\r\n$1\r\nv\r\n+PONG\r\n");
  ASSERT_TRUE(run([] {}, [&] { return collector_.replies.size() == 2; }));
  EXPECT_EQ(collector_.replies[0], "*2\r\n$1\r\nq\r\n$1\r\nv\r\n");
  EXPECT_EQ(collector_.replies[1], "+PONG\r\n");
  send(kPing);
  ASSERT_TRUE(run([] {}, [&] { return collector_.replies.size() == 3; }));
  EXPECT_EQ(collector_.replies[2], "-ERR Connection timed out\r\n");
  expect_closed_by_timeout(holder);
}

// Once a block with no end is answered, the request that waited behind it
// counts the pool's timeout from then: a reply that never comes for it is
// a timeout like any other.
TEST_F(ServerConnTest, TheRequestBehindAnEndedForeverBlockGetsADeadline) {
  Holder holder;
  start(50, &holder);
  send(kBlpop, proto::Msg::kBlockForever);
  send(kPing);
  // the block ends; PING gets nothing
  ASSERT_TRUE(run(answer_when(std::string(kBlpop) + kPing, "*2\r\n$1\r\nq\r\n$1\r\nv\r\n"),
                  [&] { return collector_.replies.size() == 2; }));
  EXPECT_EQ(collector_.replies[0], "*2\r\n$1\r\nq\r\n$1\r\nv\r\n");
  EXPECT_EQ(collector_.replies[1], "-ERR Connection timed out\r\n");
  expect_closed_by_timeout(holder);
}

// A client's new own connection holds its requests until the client's
// earlier ones (elsewhere) are answered. Held requests are not the
// server's to answer yet: they do not time out, and the server is not
// charged with a failure, however long the hold; their timeout counts from
// their release.
TEST_F(ServerConnTest, HeldRequestsDoNotTimeOutAndTheirTimeoutStartsAtTheRelease) {
  Holder holder;
  start(50, &holder);
  conn_->hold_writes(true);
  send(kPing);
  EXPECT_FALSE(run([] {}, [&] { return !collector_.replies.empty(); }, 200));
  EXPECT_EQ(received(), "");
  EXPECT_TRUE(owner_.failures.empty());
  EXPECT_EQ(owner_.counters().server_timedout, 0u);
  conn_->hold_writes(false);
  ctx_.after_iteration();  // its flush
  ASSERT_EQ(received(), kPing);
  answer("+PONG\r\n");
  ASSERT_TRUE(run([] {}, [&] { return collector_.replies.size() == 1; }));
  EXPECT_EQ(collector_.replies[0], "+PONG\r\n");
  EXPECT_TRUE(owner_.failures.empty());
}

// walnut's own connection set-up (AUTH, SELECT) is not a client's request:
// it goes out while the client's requests are held, and an answered set-up
// is no failure of the server however long the hold.
TEST_F(ServerConnTest, AHeldConnectionStillSendsItsSetUp) {
  Holder holder;
  owner_.select_db(1);
  start(50, &holder);
  const std::string set_up = owner_.protocol().handshake().at(0);
  conn_->hold_writes(true);
  send(kPing);
  EXPECT_FALSE(run(
      answer_when(set_up, "+OK\r\n"), [&] { return !collector_.replies.empty(); }, 200));
  EXPECT_EQ(received(), set_up) << "the set-up goes out, the held PING waits";
  EXPECT_TRUE(owner_.failures.empty());
  EXPECT_EQ(owner_.closed, 0);
}

// A shared connection does not read block_ms: blocking commands never go
// there, and its requests keep the pool's timeout.
TEST_F(ServerConnTest, ASharedConnectionKeepsThePoolTimeoutWhateverTheRequestSays) {
  start(50);
  send(kBlpop, proto::Msg::kBlockForever);
  ASSERT_TRUE(run([] {}, [&] { return collector_.replies.size() == 1; }));
  EXPECT_EQ(collector_.replies[0], "-ERR Connection timed out\r\n");
}

// The client hears first that its connection is gone (so that its
// transaction knows), then its requests are answered with the cause.
TEST_F(ServerConnTest, APinnedConnectionTellsItsHolderBeforeFailingItsRequests) {
  Holder holder;
  holder.replies = &collector_.replies;
  start(0, &holder);
  send(kPing);
  bool closed = false;
  ASSERT_TRUE(run(
      [&] {
        if (!closed && received() == kPing) {
          ::close(peer_);
          peer_ = -1;
          closed = true;
        }
      },
      [&] { return collector_.replies.size() == 1; }));
  ASSERT_EQ(holder.closed.size(), 1u);
  EXPECT_EQ(holder.closed[0], conn_);
  EXPECT_EQ(holder.replies_then, 0u);
  EXPECT_EQ(collector_.replies[0], "-ERR Connection closed by server\r\n");
  conn_ = nullptr;
}

const char kSubscribeAb[] = "*3\r\n$9\r\nSUBSCRIBE\r\n$1\r\na\r\n$1\r\nb\r\n";
const char kConfirmA[] = "*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n";
const char kConfirmB[] = "*3\r\n$9\r\nsubscribe\r\n$1\r\nb\r\n:2\r\n";
const char kMessage[] = "*3\r\n$7\r\nmessage\r\n$1\r\na\r\n$2\r\nhi\r\n";
const char kPmessage[] = "*4\r\n$8\r\npmessage\r\n$1\r\n*\r\n$1\r\na\r\n$2\r\nhi\r\n";

// A subscription with two channels gets two confirmations, gathered into
// its reply; a message published in between goes to the holder, fed to the
// connection one byte at a time.
TEST_F(ServerConnTest, InPushModeMessagesGoToTheHolderAndConfirmationsPairUp) {
  Holder holder;
  start(0, &holder);
  send(kSubscribeAb, 0, 2, Request::Push::kStarts);
  const std::string from_server = std::string(kConfirmA) + kMessage + kConfirmB + kPmessage;
  size_t fed = 0;
  ASSERT_TRUE(run(
      [&] {
        if (received() == kSubscribeAb && fed < from_server.size()) answer(from_server.substr(fed++, 1));
      },
      [&] { return collector_.replies.size() == 1 && holder.pushed.size() == 2; }))
      << "fed " << fed << " of " << from_server.size();
  EXPECT_EQ(collector_.replies[0], std::string(kConfirmA) + kConfirmB);
  EXPECT_EQ(holder.pushed, (std::vector<std::string>{kMessage, kPmessage}));
}

// An error ends a request that expected several replies: the server sends
// one error for a refused command, not one per channel.
TEST_F(ServerConnTest, AnErrorEndsARequestThatExpectedSeveralReplies) {
  Holder holder;
  start(0, &holder);
  send(kSubscribeAb, 0, 2, Request::Push::kStarts);
  send(kPing);
  bool answered = false;
  ASSERT_TRUE(run(
      [&] {
        if (!answered && received().size() == std::string(kSubscribeAb).size() + 14) {
          answer("-NOPERM no\r\n+PONG\r\n");
          answered = true;
        }
      },
      [&] { return collector_.replies.size() == 2; }));
  EXPECT_EQ(collector_.replies[0], "-NOPERM no\r\n");
  EXPECT_EQ(collector_.replies[1], "+PONG\r\n");
}

// Out of push mode (no subscription), a reply that looks like a message is
// an answer (LRANGE of a list that holds "message", "a", "hi").
TEST_F(ServerConnTest, OutOfPushModeAMessageShapedReplyIsAnAnswer) {
  Holder holder;
  start(0, &holder);
  send("*4\r\n$6\r\nLRANGE\r\n$1\r\nl\r\n$1\r\n0\r\n$2\r\n-1\r\n");
  bool answered = false;
  ASSERT_TRUE(run(
      [&] {
        if (!answered && !received().empty()) {
          answer(kMessage);
          answered = true;
        }
      },
      [&] { return collector_.replies.size() == 1; }));
  EXPECT_EQ(collector_.replies[0], kMessage);
  EXPECT_TRUE(holder.pushed.empty());
}

// Push mode follows the stream: a message-shaped answer to a request sent
// before the subscription, or after the last unsubscription, is an answer.
TEST_F(ServerConnTest, PushModeStartsAndEndsWithTheSubscriptionsReplies) {
  Holder holder;
  start(0, &holder);
  const std::string lrange = "*4\r\n$6\r\nLRANGE\r\n$1\r\nl\r\n$1\r\n0\r\n$2\r\n-1\r\n";
  const std::string unsubscribe = "*2\r\n$11\r\nUNSUBSCRIBE\r\n$1\r\na\r\n";
  const std::string confirm_unsubscribe = "*3\r\n$11\r\nunsubscribe\r\n$1\r\na\r\n:0\r\n";
  send(lrange);
  send(kSubscribeAb, 0, 2, Request::Push::kStarts);
  send(unsubscribe, 0, 1, Request::Push::kEnds);
  send(lrange);
  const std::string wire = lrange + kSubscribeAb + unsubscribe + lrange;
  ASSERT_TRUE(run(answer_when(wire, std::string(kMessage) + kConfirmA + kMessage + kConfirmB +
                                        confirm_unsubscribe + kMessage),
                  [&] { return collector_.replies.size() == 4; }));
  EXPECT_EQ(collector_.replies[0], kMessage) << "the first LRANGE's answer";
  EXPECT_EQ(collector_.replies[1], std::string(kConfirmA) + kConfirmB);
  EXPECT_EQ(collector_.replies[2], confirm_unsubscribe);
  EXPECT_EQ(collector_.replies[3], kMessage) << "the second LRANGE's answer";
  EXPECT_EQ(holder.pushed, std::vector<std::string>{kMessage}) << "only the one between";
}

// A client's own connection carries the client's state (its transaction,
// its blocks, its subscriptions): a timeout there closes it, so that the
// server drops what the client was told failed (a placeholder would let
// the server go on: a BLPOP popping an element for nobody, a command
// queued in MULTI that EXEC still runs). Everything it held gets the
// timeout; the holder hears of it first.
TEST_F(ServerConnTest, ATimeoutOnAClientsOwnConnectionClosesIt) {
  Holder holder;
  start(50, &holder);
  send(kSubscribeAb, 0, 2, Request::Push::kStarts);
  send(kPing);
  ASSERT_TRUE(run([] {}, [&] { return collector_.replies.size() == 2; }));
  EXPECT_EQ(collector_.replies[0], "-ERR Connection timed out\r\n");
  EXPECT_EQ(collector_.replies[1], "-ERR Connection timed out\r\n");
  // The subscription was sent: its late confirmation would subscribe a
  // client that was told it failed.
  EXPECT_EQ(received(), std::string(kSubscribeAb) + kPing);
  EXPECT_EQ(owner_.closed, 1);
  EXPECT_EQ(owner_.counters().server_timedout, 2u);
  expect_closed_by_timeout(holder);
}

// A block that ends early (an element came) lets the server start on what
// follows at once: the pool's timeout for the requests behind it counts
// from then, not from where the block would have ended.
TEST_F(ServerConnTest, ABlockAnsweredEarlyRestartsTheTimeoutOfWhatFollows) {
  Holder holder;
  start(50, &holder);
  send(kBlpop, 5000);
  send(kPing);
  // PING then gets nothing
  ASSERT_TRUE(run(
      answer_when(std::string(kBlpop) + kPing, "*2\r\n$1\r\nq\r\n$1\r\nv\r\n"),
      [&] { return collector_.replies.size() == 2; }, 2000));
  EXPECT_EQ(collector_.replies[1], "-ERR Connection timed out\r\n");
  expect_closed_by_timeout(holder);
}

// The same for a request sent after the block was answered: the timer,
// armed for the block's deadline, follows the new request's.
TEST_F(ServerConnTest, ARequestAfterABlockAnsweredEarlyTimesOutInTime) {
  Holder holder;
  start(50, &holder);
  send(kBlpop, 5000);
  ASSERT_TRUE(run(answer_when(kBlpop, "*-1\r\n"), [&] { return collector_.replies.size() == 1; }));
  send(kPing);
  ASSERT_TRUE(run([] {}, [&] { return collector_.replies.size() == 2; }, 2000));
  EXPECT_EQ(collector_.replies[1], "-ERR Connection timed out\r\n");
  expect_closed_by_timeout(holder);
}

// Redis ends a block when its loop comes round to it, up to 100 ms late
// at its default hz: with a pool timeout shorter than that, a block
// answered that late is still its answer, not a timeout.
TEST_F(ServerConnTest, ABlockEndedALittleLateIsNoTimeout) {
  Holder holder;
  start(20, &holder);
  send(kBlpop, 200);
  // 80 ms past the block and the timeout, as a busy Redis may be.
  event::Timer late;
  late.init(loop_, [&] { answer("*-1\r\n"); });
  late.start(300);
  ASSERT_TRUE(run([] {}, [&] { return collector_.replies.size() == 1; }));
  EXPECT_EQ(collector_.replies[0], "*-1\r\n");
  EXPECT_TRUE(owner_.failures.empty());
}

// Redis's idle `timeout` closes a client's own connection that owes
// nothing: not a failure of the server (one such connection per client
// would eject a healthy server).
TEST_F(ServerConnTest, AnIdleOwnConnectionClosedByTheServerIsNoFailure) {
  Holder holder;
  start(1000, &holder);
  send(kPing);
  ASSERT_TRUE(run(answer_when(kPing, "+PONG\r\n"), [&] { return collector_.replies.size() == 1; }));
  ::close(peer_);
  peer_ = -1;
  ASSERT_TRUE(run([] {}, [&] { return holder.closed.size() == 1; }));
  EXPECT_TRUE(owner_.failures.empty());
  EXPECT_EQ(owner_.counters().server_eof, 1u);
  conn_ = nullptr;  // closed and retired by the EOF
}

}  // namespace
}  // namespace walnut::proxy
