// Transactions (MULTI/EXEC/DISCARD/WATCH/UNWATCH) and blocking commands
// (BLPOP and its kin, XREAD/XREADGROUP BLOCK) through walnut, on real
// redis-servers. Both run on a server connection of the client's own
// (proxy/client_pins.h): a transaction on the one server its keys live on,
// a blocking command on its key's server, so that it blocks nobody else.
//
// Over one server, transactions are checked against a second redis-server
// fed the same commands (the oracle): walnut must answer as Redis does,
// except where it refuses something on purpose (its own error texts). Over
// three servers: which server a transaction runs on, keys that live
// elsewhere, WATCH, and a server that dies under a transaction. Blocking
// commands run on a pool with a short `timeout:`, which must not cut a
// block the client asked for.
//
// Tests that wait for a client to be blocked ask the server (INFO clients'
// blocked_clients) instead of sleeping; where a test does wait, it says why.
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tests/e2e/harness.h"
#include "tests/e2e/paused.h"
#include "tests/e2e/redis_pool_helpers.h"
#include "tests/e2e/resp_reply.h"

namespace walnut::e2e {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

const std::string kExecAbort = "-EXECABORT Transaction discarded because of previous errors.\r\n";
const std::string kOneServerPrefix = "-ERR keys of one transaction must live on one server: ";
const std::string kNotSameServer = "-ERR keys in request don't hash to the same server\r\n";
const std::string kSpansPrefix = "-ERR this command spans every server of the pool";
const std::string kNullArray = "*-1\r\n";

// The pool timeout of the blocking suite: short next to the blocks the tests
// ask for, long enough that no ordinary request meets it on a loaded machine
// (as in timeout_test.cc).
constexpr int kTimeoutMs = 500;

long long ms_since(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t).count();
}

// Sends `cmds` in one write and reads one reply for each.
std::vector<std::string> pipeline(Client& c, const std::vector<Args>& cmds) {
  std::string bytes;
  for (const Args& a : cmds) bytes += encode(a);
  c.send_raw(bytes);
  std::vector<std::string> replies;
  for (size_t i = 0; i < cmds.size(); ++i) replies.push_back(c.read_reply());
  return replies;
}

std::string show_all(const std::vector<Args>& cmds) {
  std::string s;
  for (const Args& a : cmds) s += (s.empty() ? "" : "; ") + show(a);
  return s;
}

// The server's count of clients blocked in a command (-1 when unreadable).
int blocked_clients(int port) {
  Client d(port);
  const std::string info = d.call({"INFO", "clients"});
  const std::string field = "blocked_clients:";
  size_t at = info.find(field);
  return at == std::string::npos ? -1 : std::atoi(info.c_str() + at + field.size());
}

// Waits until the server at `port` has `n` blocked clients.
bool blocked_within(int port, int n, std::chrono::milliseconds limit = 5s) {
  return wait_until([&] { return blocked_clients(port) == n; }, limit);
}

// Keys sorted by the server (index into `ports`) that holds them: written
// through walnut, found directly, then deleted. At most `want` per server.
std::vector<std::vector<std::string>> keys_by_server(int walnut_port, const std::vector<int>& ports,
                                                     const std::string& family, size_t want = 3) {
  std::vector<std::string> cands;
  for (int i = 0; i < 60; ++i) cands.push_back(spread_key(family, i));
  Client w(walnut_port);
  for (const auto& k : cands) w.call({"SET", k, "x"});
  std::vector<int> where = locate(ports, cands);
  std::vector<std::vector<std::string>> by(ports.size());
  for (size_t i = 0; i < cands.size(); ++i) {
    if (where[i] >= 0 && by[where[i]].size() < want) by[where[i]].push_back(cands[i]);
  }
  Args del = {"DEL"};
  del.insert(del.end(), cands.begin(), cands.end());
  w.call(del);
  return by;
}

// A bare loopback connection for the one test that must see whether a reply
// comes at all without waiting Client's 30 s receive timeout for it.
class RawConn {
 public:
  explicit RawConn(int port) : fd_(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<uint16_t>(port));
    if (connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
      close(fd_);
      fd_ = -1;
    }
  }
  ~RawConn() {
    if (fd_ >= 0) close(fd_);
  }
  RawConn(const RawConn&) = delete;
  RawConn& operator=(const RawConn&) = delete;
  bool connected() const { return fd_ >= 0; }
  void send(const Args& args) {
    const std::string bytes = encode(args);
    (void)::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
  }
  // What arrives until `bytes` bytes are in or `limit` passes.
  std::string read(size_t bytes, std::chrono::milliseconds limit) {
    const auto deadline = Clock::now() + limit;
    std::string out;
    while (out.size() < bytes) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      pollfd p{fd_, POLLIN, 0};
      if (left.count() <= 0 || poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
      char buf[4096];
      ssize_t n = recv(fd_, buf, std::min(sizeof(buf), bytes - out.size()), 0);
      if (n <= 0) break;
      out.append(buf, static_cast<size_t>(n));
    }
    return out;
  }

 private:
  int fd_;
};

// ---------------------------------------------------------------------------
// 1. One server: the simplest case, and walnut against a redis-server.

class RedisTransactionOneServer : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    oracle_ = new RedisServer(*dir_);
    server_ = new RedisServer(*dir_);
    walnut_ = new Walnut(*dir_, pool_yaml("tx1", {server_->port()}));
    db3_ = new Walnut(*dir_, pool_yaml("tx1db3", {server_->port()}, "  redis_db: 3\n"));
  }
  static void TearDownTestSuite() {
    delete walnut_;
    delete db3_;
    delete oracle_;
    delete server_;
    delete dir_;
  }
  void SetUp() override {
    ASSERT_NE(walnut_, nullptr);
    ASSERT_EQ(flushed(oracle_->port()), "+OK\r\n+OK\r\n");
    ASSERT_EQ(flushed(server_->port()), "+OK\r\n+OK\r\n");
  }
  void TearDown() override {
    EXPECT_TRUE(walnut_->process().running()) << "walnut died: " << walnut_->log();
  }

  static inline TempDir* dir_ = nullptr;
  static inline RedisServer* oracle_ = nullptr;
  static inline RedisServer* server_ = nullptr;
  static inline Walnut* walnut_ = nullptr;
  static inline Walnut* db3_ = nullptr;  // redis_db: 3, on server_
};

TEST_F(RedisTransactionOneServer, MultiSetGetExecOneCommandAtATime) {
  Client c(walnut_->port());
  EXPECT_EQ(c.call({"MULTI"}), "+OK\r\n");
  EXPECT_EQ(c.call({"SET", "k", "v"}), "+QUEUED\r\n");
  EXPECT_EQ(c.call({"GET", "k"}), "+QUEUED\r\n");
  EXPECT_EQ(c.call({"EXEC"}), "*2\r\n+OK\r\n" + bulk("v"));
  EXPECT_EQ(c.call({"GET", "k"}), bulk("v")) << "after EXEC, back to plain commands";
  Client direct(server_->port());
  EXPECT_EQ(direct.call({"GET", "k"}), bulk("v"));
}

// Each sequence goes in one write to the oracle and to walnut (both servers
// flushed in between), and every reply must be the same bytes; except, where
// `walnut_own` says so, a reply that is walnut's own refusal, which must
// start as given.
TEST_F(RedisTransactionOneServer, SequencesAnswerAsRedisDoes) {
  struct Sequence {
    std::vector<Args> cmds;
    std::map<size_t, std::string> walnut_own = {};
  };
  const std::string incr_script = "return redis.call('incr', KEYS[1])";
  const std::vector<Sequence> sequences = {
      {{{"MULTI"}, {"SET", "a", "1"}, {"GET", "a"}, {"EXEC"}}},
      {{{"MULTI"}, {"EXEC"}}},
      {{{"MULTI"}, {"PING"}, {"ECHO", "hi"}, {"EXEC"}}},
      {{{"MULTI"}, {"PING"}, {"SET", "a", "2"}, {"PING", "x"}, {"GET", "a"}, {"EXEC"}}},
      // An error when EXEC runs (not at queue time) fails that command only.
      {{{"SET", "a", "x"}, {"MULTI"}, {"INCR", "a"}, {"SET", "b", "1"}, {"EXEC"}, {"GET", "b"}}},
      {{{"HSET", "h", "f", "v"}, {"MULTI"}, {"LPUSH", "h", "x"}, {"HGET", "h", "f"}, {"EXEC"}}},
      {{{"MULTI"}, {"SET", "a", "1"}, {"DISCARD"}, {"GET", "a"}}},
      {{{"MULTI"}, {"DISCARD"}}},
      {{{"MULTI"}, {"PING"}, {"DISCARD"}, {"PING"}}},
      {{{"MULTI"}, {"MULTI"}, {"SET", "a", "3"}, {"EXEC"}}},
      {{{"EXEC"}, {"DISCARD"}, {"UNWATCH"}}},
      {{{"MULTI"}, {"SET", "a", "1"}, {"EXEC"}, {"EXEC"}}},
      {{{"MULTI"}, {"WATCH", "a"}, {"SET", "a", "4"}, {"EXEC"}}},
      {{{"MULTI"}, {"UNWATCH"}, {"SET", "a", "4"}, {"EXEC"}}},
      {{{"SET", "a", "1"}, {"WATCH", "a"}, {"MULTI"}, {"INCR", "a"}, {"EXEC"}, {"GET", "a"}}},
      {{{"WATCH", "a"}, {"UNWATCH"}, {"MULTI"}, {"SET", "a", "5"}, {"EXEC"}}},
      {{{"WATCH", "a"}, {"EXEC"}, {"MULTI"}, {"GET", "a"}, {"EXEC"}}},
      // A command refused at queue time (by arity) dooms EXEC.
      {{{"MULTI"}, {"SET", "a", "1"}, {"SET", "a"}, {"GET", "a"}, {"EXEC"}, {"GET", "a"}}},
      {{{"MULTI"}, {"RPUSH", "l", "a", "b", "c"}, {"LRANGE", "l", "0", "-1"}, {"LPOP", "l"},
        {"EXEC"}}},
      // Inside MULTI nothing blocks: an empty list gives null at once.
      {{{"MULTI"}, {"BLPOP", "none", "0"}, {"BRPOP", "none", "1"}, {"EXEC"}}},
      {{{"RPUSH", "l", "a", "b"}, {"MULTI"}, {"BLPOP", "l", "0"}, {"BRPOP", "l", "0"}, {"EXEC"}}},
      {{{"MULTI"}, {"XADD", "s", "1-1", "f", "v"}, {"XREAD", "STREAMS", "s", "0"},
        {"XREAD", "BLOCK", "0", "STREAMS", "s", "0"}, {"EXEC"}}},
      {{{"MULTI"}, {"MSET", "a", "1", "b", "2"}, {"MGET", "a", "b"}, {"DEL", "a", "b"}, {"EXEC"}}},
      // Over one server, commands for every server are the server's own.
      {{{"SET", "a", "1"}, {"MULTI"}, {"DBSIZE"}, {"KEYS", "a*"}, {"SCAN", "0", "COUNT", "100"},
        {"EXEC"}}},
      {{{"MULTI"}, {"EVAL", incr_script, "1", "c"}, {"INCR", "c"}, {"EXEC"}}},
      // Two transactions and the commands around them, in one write.
      {{{"MULTI"}, {"INCR", "c"}, {"EXEC"}, {"GET", "c"}, {"MULTI"}, {"INCRBY", "c", "10"},
        {"PING"}, {"EXEC"}, {"GET", "c"}}},
      // walnut refuses an unknown command itself, in its own words; EXEC
      // fails all the same.
      {{{"MULTI"}, {"SET", "a", "1"}, {"FOO"}, {"EXEC"}, {"GET", "a"}},
       {{2, "-ERR unsupported command 'foo'"}}},
      // The same before any key: the keyless commands held until then get
      // their +QUEUED in their places.
      {{{"MULTI"}, {"PING"}, {"FOO"}, {"PING", "b"}, {"EXEC"}},
       {{2, "-ERR unsupported command 'foo'"}}},
      {{{"MULTI"}, {"PING"}, {"WATCH", "x"}, {"MULTI"}, {"EXEC"}}},
  };
  int compared = 0;
  for (const Sequence& seq : sequences) {
    SCOPED_TRACE(show_all(seq.cmds));
    ASSERT_EQ(flushed(oracle_->port()), "+OK\r\n+OK\r\n");
    ASSERT_EQ(flushed(server_->port()), "+OK\r\n+OK\r\n");
    Client direct(oracle_->port());
    Client through(walnut_->port());
    std::vector<std::string> want = pipeline(direct, seq.cmds);
    std::vector<std::string> got = pipeline(through, seq.cmds);
    for (size_t i = 0; i < seq.cmds.size(); ++i) {
      auto own = seq.walnut_own.find(i);
      if (own != seq.walnut_own.end()) {
        EXPECT_EQ(got[i].rfind(own->second, 0), 0u)
            << show(seq.cmds[i]) << ": " << printable(got[i]);
      } else {
        EXPECT_EQ(got[i], want[i]) << show(seq.cmds[i]) << ": redis " << printable(want[i])
                                   << ", walnut " << printable(got[i]);
      }
      ++compared;
    }
    EXPECT_EQ(through.call({"PING"}), "+PONG\r\n") << "the connection goes on";
  }
  std::cout << "[transactions] compared " << compared << " replies in " << sequences.size()
            << " sequences" << std::endl;
}

// Walnut's answers where Redis has none to compare with: commands walnut
// answers itself cannot take a place in EXEC's reply, so they are refused
// inside MULTI, and EXEC fails as after any error at queue time.
TEST_F(RedisTransactionOneServer, LocalCommandsInsideMultiAreRefusedAndDoomExec) {
  Client c(walnut_->port());
  const std::vector<std::pair<std::string, Args>> local = {
      {"CLIENT", {"CLIENT", "ID"}}, {"INFO", {"INFO"}},       {"HELLO", {"HELLO", "2"}},
      {"SELECT", {"SELECT", "0"}},  {"AUTH", {"AUTH", "pw"}},
  };
  for (const auto& [name, cmd] : local) {
    SCOPED_TRACE(show(cmd));
    std::vector<std::string> r =
        pipeline(c, {{"MULTI"}, {"SET", "a", name}, cmd, {"SET", "b", name}, {"EXEC"}});
    EXPECT_EQ(r[0], "+OK\r\n");
    EXPECT_EQ(r[1], "+QUEUED\r\n");
    EXPECT_EQ(r[2].rfind("-ERR " + name + " inside MULTI is not supported by walnut: ", 0), 0u)
        << printable(r[2]);
    EXPECT_EQ(r[3], "+QUEUED\r\n") << "queued as Redis does after an error";
    EXPECT_EQ(r[4], kExecAbort);
  }
  Client direct(server_->port());
  EXPECT_EQ(direct.call({"DBSIZE"}), ":0\r\n") << "no doomed transaction wrote anything";
  // Outside MULTI the same commands are walnut's own again.
  EXPECT_EQ(c.call({"SELECT", "0"}), "+OK\r\n");
  EXPECT_EQ(c.call({"PING"}), "+PONG\r\n");
}

TEST_F(RedisTransactionOneServer, StepsOutOfPlaceGetRedisErrors) {
  Client c(walnut_->port());
  EXPECT_EQ(c.call({"EXEC"}), "-ERR EXEC without MULTI\r\n");
  EXPECT_EQ(c.call({"DISCARD"}), "-ERR DISCARD without MULTI\r\n");
  EXPECT_EQ(c.call({"UNWATCH"}), "+OK\r\n");
  EXPECT_EQ(c.call({"MULTI"}), "+OK\r\n");
  EXPECT_EQ(c.call({"MULTI"}), "-ERR MULTI calls can not be nested\r\n");
  EXPECT_EQ(c.call({"WATCH", "a"}), "-ERR WATCH inside MULTI is not allowed\r\n");
  EXPECT_EQ(c.call({"SET", "a", "1"}), "+QUEUED\r\n");
  EXPECT_EQ(c.call({"EXEC"}), "*1\r\n+OK\r\n") << "neither error ends the transaction";
  EXPECT_EQ(c.call({"MULTI"}), "+OK\r\n");
  EXPECT_EQ(c.call({"SET", "a", "2"}), "+QUEUED\r\n");
  EXPECT_EQ(c.call({"DISCARD"}), "+OK\r\n");
  EXPECT_EQ(c.call({"GET", "a"}), bulk("1")) << "DISCARD applied nothing";
  EXPECT_EQ(c.call({"EXEC"}), "-ERR EXEC without MULTI\r\n") << "DISCARD ended it";
}

// A transaction that ends in EXECABORT (an error at queue time, a
// malformed EXEC) before MULTI reached the server ends its WATCH there
// too, as on Redis: walnut once left it, and the client's next
// transaction failed (a null EXEC) when another client touched the key.
TEST_F(RedisTransactionOneServer, AbortedTransactionLeavesNoWatchBehind) {
  const std::vector<std::pair<std::string, Args>> endings = {
      {"wk1", {"NOSUCHCMD"}},  // refused at queue time; EXEC then aborts
      {"wk2", {"EXEC", "x"}},  // a malformed EXEC aborts at once
  };
  for (const auto& [key, wrong] : endings) {
    SCOPED_TRACE(show(wrong));
    std::vector<std::string> last;
    for (int port : {walnut_->port(), oracle_->port()}) {
      Client c(port);
      Client other(port);
      c.call({"WATCH", key});
      c.call({"MULTI"});
      c.call(wrong);
      if (wrong[0] != "EXEC") c.call({"EXEC"});
      EXPECT_EQ(other.call({"SET", key, "changed"}), "+OK\r\n");
      EXPECT_EQ(c.call({"MULTI"}), "+OK\r\n");
      EXPECT_EQ(c.call({"SET", key, "mine"}), "+QUEUED\r\n");
      last.push_back(c.call({"EXEC"}));
    }
    EXPECT_EQ(last[1], "*1\r\n+OK\r\n") << "Redis's answer";
    EXPECT_EQ(last[0], last[1]) << "walnut's, then Redis's";
  }
}

// A client's own server connections are set up as the pool's others are
// (here SELECT of the pool's db): its transaction and its block work in that
// db, where its other commands and other clients' are.
TEST_F(RedisTransactionOneServer, OwnConnectionsUseThePoolsDb) {
  Client c(db3_->port());
  Client other(db3_->port());
  EXPECT_EQ(pipeline(c, {{"MULTI"}, {"SET", "k", "v"}, {"EXEC"}}),
            (std::vector<std::string>{"+OK\r\n", "+QUEUED\r\n", "*1\r\n+OK\r\n"}));
  EXPECT_EQ(other.call({"GET", "k"}), bulk("v"));
  c.send({"BLPOP", "q", "0"});
  ASSERT_TRUE(blocked_within(server_->port(), 1));
  EXPECT_EQ(other.call({"RPUSH", "q", "x"}), ":1\r\n");
  EXPECT_EQ(c.read_reply(), "*2\r\n" + bulk("q") + bulk("x"));
  Client direct(server_->port());
  EXPECT_EQ(direct.call({"DBSIZE"}), ":0\r\n") << "nothing in db 0";
  EXPECT_EQ(direct.call({"SELECT", "3"}), "+OK\r\n");
  EXPECT_EQ(direct.call({"GET", "k"}), bulk("v"));
}

// A client that waits for each reply before sending the next command (an
// interactive redis-cli, a synchronous client library) must get PING's
// +QUEUED before it sends anything else.
//
// A keyless command after MULTI, before any command with keys, is answered
// +QUEUED at once: a client that waits for each reply must not wait for a
// command it has not sent (walnut once held the answer until a key came).
TEST_F(RedisTransactionOneServer, KeylessCommandInMultiIsAnsweredBeforeTheNextIsSent) {
  RawConn c(walnut_->port());
  ASSERT_TRUE(c.connected());
  c.send({"MULTI"});
  ASSERT_EQ(c.read(5, 5s), "+OK\r\n");
  c.send({"PING"});
  const std::string queued = "+QUEUED\r\n";
  std::string got = c.read(queued.size(), 2s);
  EXPECT_EQ(got, queued) << "PING inside MULTI got no reply while the client waited for it";
  // Whatever happened above, the transaction completes once a key comes.
  c.send({"SET", "a", "1"});
  c.send({"EXEC"});
  const std::string rest = (got.empty() ? queued : "") + queued + "*2\r\n+PONG\r\n+OK\r\n";
  EXPECT_EQ(c.read(rest.size(), 5s), rest);
}

// ---------------------------------------------------------------------------
// 2. Three servers: where a transaction runs, and keys that live elsewhere.

// Three redis-servers and a sharded walnut pool over them (for the suite),
// with keys known to live on each server (keys_[s]), all flushed before
// each test.
template <typename Suite>
class ShardedSuite : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    for (auto*& s : servers_) s = new RedisServer(*dir_);
    walnut_ = new Walnut(*dir_, pool_yaml(Suite::kPoolName, ports(),
                                          std::string(kSharded) + Suite::kExtra));
    keys_ = keys_by_server(walnut_->port(), ports(), Suite::kPoolName);
  }
  static void TearDownTestSuite() {
    delete walnut_;
    for (auto*& s : servers_) delete s;
    delete dir_;
  }
  void SetUp() override {
    ASSERT_NE(walnut_, nullptr);
    for (int port : ports()) ASSERT_EQ(flushed(port), "+OK\r\n+OK\r\n");
    for (size_t s = 0; s < keys_.size(); ++s) {
      ASSERT_GE(keys_[s].size(), 2u) << "60 keys left server " << s << " without two";
    }
  }
  void TearDown() override {
    EXPECT_TRUE(walnut_->process().running()) << "walnut died: " << walnut_->log();
  }
  static std::vector<int> ports() {
    return {servers_[0]->port(), servers_[1]->port(), servers_[2]->port()};
  }
  // Direct GET of `key` on server `s`.
  static std::string direct_get(int s, const std::string& key) {
    Client d(servers_[s]->port());
    return d.call({"GET", key});
  }
  static long long dbsize(int s) {
    Client d(servers_[s]->port());
    return std::atoll(d.call({"DBSIZE"}).c_str() + 1);
  }

  static inline TempDir* dir_ = nullptr;
  static inline RedisServer* servers_[3] = {nullptr, nullptr, nullptr};
  static inline Walnut* walnut_ = nullptr;
  static inline std::vector<std::vector<std::string>> keys_;
};

class RedisTransactionSharded : public ShardedSuite<RedisTransactionSharded> {
 public:
  static constexpr const char* kPoolName = "txs";
  static constexpr const char* kExtra = "";
};

TEST_F(RedisTransactionSharded, FirstKeyPicksTheServerAndKeylessCommandsFollowIt) {
  const std::string& a = keys_[1][0];
  const std::string& b = keys_[1][1];
  Client c(walnut_->port());
  std::vector<std::string> r =
      pipeline(c, {{"MULTI"}, {"PING"}, {"ECHO", "hi"}, {"SET", a, "1"}, {"PING", "p"},
                   {"SET", b, "2"}, {"MGET", a, b}, {"EXEC"}});
  const std::vector<std::string> want = {
      "+OK\r\n", "+QUEUED\r\n", "+QUEUED\r\n", "+QUEUED\r\n", "+QUEUED\r\n", "+QUEUED\r\n",
      "+QUEUED\r\n",
      "*6\r\n+PONG\r\n" + bulk("hi") + "+OK\r\n" + bulk("p") + "+OK\r\n*2\r\n" + bulk("1") +
          bulk("2")};
  EXPECT_EQ(r, want);
  EXPECT_EQ(direct_get(1, a), bulk("1"));
  EXPECT_EQ(direct_get(1, b), bulk("2"));
  EXPECT_EQ(dbsize(0) + dbsize(2), 0) << "nothing elsewhere";

  // A transaction of keyless commands only runs on some server too.
  r = pipeline(c, {{"MULTI"}, {"PING"}, {"ECHO", "e"}, {"EXEC"}});
  EXPECT_EQ(r, (std::vector<std::string>{"+OK\r\n", "+QUEUED\r\n", "+QUEUED\r\n",
                                         "*2\r\n+PONG\r\n" + bulk("e")}));
  EXPECT_EQ(pipeline(c, {{"MULTI"}, {"EXEC"}}), (std::vector<std::string>{"+OK\r\n", "*0\r\n"}));
}

TEST_F(RedisTransactionSharded, KeysOnAnotherServerDoomTheTransaction) {
  const std::string& a = keys_[0][0];
  const std::string& a2 = keys_[0][1];
  const std::string& b = keys_[2][0];
  Client c(walnut_->port());
  std::vector<std::string> r = pipeline(
      c, {{"MULTI"}, {"SET", a, "1"}, {"SET", b, "2"}, {"SET", a2, "3"}, {"MGET", a, b}, {"EXEC"}});
  EXPECT_EQ(r[0], "+OK\r\n");
  EXPECT_EQ(r[1], "+QUEUED\r\n");
  EXPECT_EQ(r[2].rfind(kOneServerPrefix, 0), 0u) << printable(r[2]);
  EXPECT_NE(r[2].find("'127.0.0.1:" + std::to_string(servers_[0]->port()) + "'"),
            std::string::npos) << "names the transaction's server: " << printable(r[2]);
  EXPECT_EQ(r[3], "+QUEUED\r\n") << "queued as Redis does after an error";
  EXPECT_EQ(r[4], "+QUEUED\r\n") << "once doomed, not refused again: EXEC fails anyway";
  EXPECT_EQ(r[5], kExecAbort);
  EXPECT_EQ(dbsize(0) + dbsize(1) + dbsize(2), 0) << "nothing of it was applied";

  // A multi-key command whose own keys span servers is refused as outside.
  r = pipeline(c, {{"MULTI"}, {"MGET", a, b}, {"SET", a, "1"}, {"EXEC"}});
  EXPECT_EQ(r, (std::vector<std::string>{"+OK\r\n", kNotSameServer, "+QUEUED\r\n", kExecAbort}));

  // The next transaction is a new one, free to run on another server.
  r = pipeline(c, {{"MULTI"}, {"SET", b, "2"}, {"EXEC"}, {"GET", b}, {"GET", a}});
  EXPECT_EQ(r, (std::vector<std::string>{"+OK\r\n", "+QUEUED\r\n", "*1\r\n+OK\r\n", bulk("2"),
                                         "$-1\r\n"}));
  EXPECT_EQ(direct_get(2, b), bulk("2"));
}

TEST_F(RedisTransactionSharded, UnsupportedCommandDoomsExec) {
  const std::string& a = keys_[0][0];
  Client c(walnut_->port());
  std::vector<std::string> r =
      pipeline(c, {{"MULTI"}, {"SET", a, "1"}, {"FOO", "bar"}, {"EXEC"}, {"GET", a}});
  EXPECT_EQ(r[0], "+OK\r\n");
  EXPECT_EQ(r[1], "+QUEUED\r\n");
  EXPECT_EQ(r[2], "-ERR unsupported command 'foo'\r\n");
  EXPECT_EQ(r[3], kExecAbort);
  EXPECT_EQ(r[4], "$-1\r\n") << "the SET was discarded";
}

TEST_F(RedisTransactionSharded, CommandsForEveryServerAreRefusedInsideMulti) {
  const std::string& a = keys_[0][0];
  Client c(walnut_->port());
  for (const Args& everywhere :
       {Args{"DBSIZE"}, Args{"KEYS", "*"}, Args{"SCAN", "0"}, Args{"RANDOMKEY"}}) {
    SCOPED_TRACE(show(everywhere));
    std::vector<std::string> r = pipeline(c, {{"MULTI"}, {"SET", a, "1"}, everywhere, {"EXEC"}});
    EXPECT_EQ(r[0], "+OK\r\n");
    EXPECT_EQ(r[1], "+QUEUED\r\n");
    EXPECT_EQ(r[2].rfind(kSpansPrefix, 0), 0u) << printable(r[2]);
    EXPECT_EQ(r[3], kExecAbort);
  }
  EXPECT_EQ(c.call({"GET", a}), "$-1\r\n");
  EXPECT_EQ(c.call({"DBSIZE"}), ":0\r\n") << "outside MULTI it covers every server again";
}

// WATCH goes to the watched key's server, on the connection the
// transaction then runs on: a write by anyone else in between fails EXEC.
TEST_F(RedisTransactionSharded, WatchedKeyWrittenByAnotherClientFailsExec) {
  const std::string& a = keys_[2][0];
  Client c(walnut_->port());
  Client other(walnut_->port());
  ASSERT_EQ(c.call({"SET", a, "0"}), "+OK\r\n");
  EXPECT_EQ(c.call({"WATCH", a}), "+OK\r\n");
  EXPECT_EQ(other.call({"SET", a, "other"}), "+OK\r\n");
  std::vector<std::string> r = pipeline(c, {{"MULTI"}, {"SET", a, "mine"}, {"EXEC"}, {"GET", a}});
  EXPECT_EQ(r, (std::vector<std::string>{"+OK\r\n", "+QUEUED\r\n", kNullArray, bulk("other")}));
  EXPECT_EQ(direct_get(2, a), bulk("other"));

  // Unwritten, the watch lets EXEC through.
  EXPECT_EQ(c.call({"WATCH", a}), "+OK\r\n");
  r = pipeline(c, {{"MULTI"}, {"SET", a, "mine"}, {"EXEC"}});
  EXPECT_EQ(r, (std::vector<std::string>{"+OK\r\n", "+QUEUED\r\n", "*1\r\n+OK\r\n"}));
  EXPECT_EQ(direct_get(2, a), bulk("mine"));
}

TEST_F(RedisTransactionSharded, WatchPinsTheTransactionToOneServer) {
  const std::string& a = keys_[0][0];
  const std::string& b = keys_[1][0];
  Client c(walnut_->port());
  // Keys of two servers in one WATCH: refused, and the EXEC it guards fails.
  EXPECT_EQ(c.call({"WATCH", a, b}), kNotSameServer);
  std::vector<std::string> r = pipeline(c, {{"MULTI"}, {"SET", a, "1"}, {"EXEC"}});
  EXPECT_EQ(r, (std::vector<std::string>{"+OK\r\n", "+QUEUED\r\n", kExecAbort}));

  // In two WATCHes: the second is refused, the EXEC fails.
  EXPECT_EQ(c.call({"WATCH", a}), "+OK\r\n");
  std::string second = c.call({"WATCH", b});
  EXPECT_EQ(second.rfind(kOneServerPrefix, 0), 0u) << printable(second);
  r = pipeline(c, {{"MULTI"}, {"SET", a, "1"}, {"EXEC"}});
  EXPECT_EQ(r, (std::vector<std::string>{"+OK\r\n", "+QUEUED\r\n", kExecAbort}));

  // WATCH picks the server before MULTI does: a key elsewhere is refused.
  EXPECT_EQ(c.call({"WATCH", a}), "+OK\r\n");
  r = pipeline(c, {{"MULTI"}, {"SET", b, "1"}, {"EXEC"}});
  EXPECT_EQ(r[0], "+OK\r\n");
  EXPECT_EQ(r[1].rfind(kOneServerPrefix, 0), 0u) << printable(r[1]);
  EXPECT_EQ(r[2], kExecAbort);

  // UNWATCH lets go of it.
  EXPECT_EQ(c.call({"WATCH", a}), "+OK\r\n");
  EXPECT_EQ(c.call({"UNWATCH"}), "+OK\r\n");
  r = pipeline(c, {{"MULTI"}, {"SET", b, "1"}, {"EXEC"}});
  EXPECT_EQ(r, (std::vector<std::string>{"+OK\r\n", "+QUEUED\r\n", "*1\r\n+OK\r\n"}));
  EXPECT_EQ(dbsize(0), 0) << "no doomed transaction wrote";
  EXPECT_EQ(direct_get(1, b), bulk("1"));
}

TEST_F(RedisTransactionSharded, PipelinedTransactionsOnSeveralServersReplyInOrder) {
  const std::string& a = keys_[0][0];
  const std::string& b = keys_[1][0];
  const std::string& d = keys_[2][0];
  Client c(walnut_->port());
  std::vector<std::string> r = pipeline(c, {
      {"MULTI"}, {"SET", a, "1"}, {"INCR", a}, {"EXEC"},
      {"GET", b},
      {"MULTI"}, {"SET", b, "2"}, {"EXEC"},
      {"MULTI"}, {"PING"}, {"RPUSH", d, "x", "y"}, {"DISCARD"},
      {"MULTI"}, {"ECHO", "e"}, {"EXEC"},
      {"MGET", a, b, d},
  });
  const std::vector<std::string> want = {
      "+OK\r\n", "+QUEUED\r\n", "+QUEUED\r\n", "*2\r\n+OK\r\n:2\r\n",
      "$-1\r\n",
      "+OK\r\n", "+QUEUED\r\n", "*1\r\n+OK\r\n",
      "+OK\r\n", "+QUEUED\r\n", "+QUEUED\r\n", "+OK\r\n",
      "+OK\r\n", "+QUEUED\r\n", "*1\r\n" + bulk("e"),
      "*3\r\n" + bulk("2") + bulk("2") + "$-1\r\n",
  };
  EXPECT_EQ(r, want);
  EXPECT_EQ(dbsize(2), 0) << "the discarded RPUSH";
}

// The transaction has a server connection to itself: another client's
// command to the same server meanwhile is not caught in it.
TEST_F(RedisTransactionSharded, TransactionRunsOnAConnectionOfItsOwn) {
  const std::string& a = keys_[0][0];
  const std::string& a2 = keys_[0][1];
  Client c(walnut_->port());
  Client other(walnut_->port());
  ASSERT_EQ(c.call({"MULTI"}), "+OK\r\n");
  ASSERT_EQ(c.call({"SET", a, "1"}), "+QUEUED\r\n");
  EXPECT_EQ(other.call({"SET", a2, "x"}), "+OK\r\n") << "not queued in the transaction";
  EXPECT_EQ(other.call({"GET", a}), "$-1\r\n") << "not yet applied";
  EXPECT_EQ(direct_get(0, a2), bulk("x"));
  EXPECT_EQ(c.call({"EXEC"}), "*1\r\n+OK\r\n");
  EXPECT_EQ(other.call({"GET", a}), bulk("1"));
}

// Many clients' transactions at once on the same keys: each EXEC runs
// whole, with nothing of another between its commands (the two counters
// move together), and none is lost.
TEST_F(RedisTransactionSharded, ConcurrentTransactionsRunWhole) {
  const std::string& x = keys_[1][0];
  const std::string& y = keys_[1][1];
  constexpr int kClients = 10, kEach = 20;
  std::vector<std::unique_ptr<Client>> clients;
  std::vector<Args> one = {{"MULTI"}, {"INCR", x}, {"INCR", y}, {"EXEC"}};
  std::string bytes;
  for (int t = 0; t < kEach; ++t) {
    for (const Args& a : one) bytes += encode(a);
  }
  for (int i = 0; i < kClients; ++i) clients.push_back(std::make_unique<Client>(walnut_->port()));
  for (auto& c : clients) c->send_raw(bytes);  // all in flight together
  int execs = 0;
  for (auto& c : clients) {
    for (int t = 0; t < kEach; ++t) {
      ASSERT_EQ(c->read_reply(), "+OK\r\n");
      ASSERT_EQ(c->read_reply(), "+QUEUED\r\n");
      ASSERT_EQ(c->read_reply(), "+QUEUED\r\n");
      Reply r = parse(c->read_reply());
      ASSERT_EQ(r.type, '*');
      ASSERT_EQ(r.items.size(), 2u);
      EXPECT_EQ(r.items[0], r.items[1]) << "another INCR came between";
      ++execs;
    }
  }
  EXPECT_EQ(execs, kClients * kEach);
  const std::string total = bulk(std::to_string(kClients * kEach));
  EXPECT_EQ(direct_get(1, x), total);
  EXPECT_EQ(direct_get(1, y), total);
}

// The transaction's commands and the client's others to the same server
// arrive there in the order the client sent them.
TEST_F(RedisTransactionSharded, TransactionKeepsItsPlaceAmongTheClientsCommands) {
  const std::string& a = keys_[1][0];
  const std::string& b = keys_[2][0];
  for (int round = 0; round < 5; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    Client c(walnut_->port());  // fresh: no connection of its own yet
    std::vector<std::string> r = pipeline(c, {{"SET", a, "5"}, {"SET", b, "7"}, {"MULTI"},
                                              {"INCR", a}, {"EXEC"}, {"GET", a}, {"INCR", b},
                                              {"MULTI"}, {"INCR", a}, {"EXEC"}, {"GET", a}});
    EXPECT_EQ(r, (std::vector<std::string>{"+OK\r\n", "+OK\r\n", "+OK\r\n", "+QUEUED\r\n",
                                           "*1\r\n:6\r\n", bulk("6"), ":8\r\n", "+OK\r\n",
                                           "+QUEUED\r\n", "*1\r\n:7\r\n", bulk("7")}));
  }
}

// The same when the server has a backlog: the client's commands sent
// before its transaction, still on their way on the connection walnut
// shares between clients, reach the server before the transaction's first
// command on the client's new connection of its own.
//
// The client's own connection writes nothing until the client's earlier
// requests to that server (on the shared connection) are answered: with a
// backlog in front of them (200 KB of the client's own SETs, sent while the
// server is paused), SET k 100; then in one write 100 x SET filler <2000
// bytes>, SET k 5, MULTI, INCR k, EXEC, GET k gives EXEC *1 :6 and GET 6,
// as a direct connection does (walnut once gave :101 and 101).
TEST_F(RedisTransactionSharded, TransactionDoesNotOvertakeTheClientsEarlierCommands) {
  const std::string& k = keys_[0][0];
  const std::string& filler = keys_[0][1];
  Client c(walnut_->port());
  ASSERT_EQ(c.call({"SET", k, "100"}), "+OK\r\n");
  std::vector<Args> cmds(100, Args{"SET", filler, std::string(2000, 'x')});
  cmds.insert(cmds.end(), {{"SET", k, "5"}, {"MULTI"}, {"INCR", k}, {"EXEC"}, {"GET", k}});
  std::string bytes;
  for (const Args& a : cmds) bytes += encode(a);
  {
    Paused paused(servers_[0]->process().pid());
    ASSERT_TRUE(paused.stopped());
    c.send_raw(bytes);
    // Time for walnut to pass it all on while the server reads nothing; too
    // little can only hide a regression, not fail a right walnut.
    std::this_thread::sleep_for(200ms);
  }
  std::vector<std::string> r;
  for (size_t i = 0; i < cmds.size(); ++i) r.push_back(c.read_reply());
  const std::vector<std::string> tail(r.end() - 5, r.end());
  EXPECT_EQ(tail, (std::vector<std::string>{"+OK\r\n", "+OK\r\n", "+QUEUED\r\n",
                                            "*1\r\n:6\r\n", bulk("6")}));
  EXPECT_EQ(direct_get(0, k), bulk("6"));
}

// A server dies under a transaction: what was in flight there gets an error,
// EXEC fails as after any error, and nothing else is disturbed.
TEST(RedisTransactionDeadBackend, InFlightCommandsFailAndExecAborts) {
  TempDir dir;
  RedisServer s0(dir), s1(dir), s2(dir);
  const std::vector<int> ports = {s0.port(), s1.port(), s2.port()};
  Walnut w(dir, pool_yaml("txdead", ports, kSharded));
  std::vector<std::vector<std::string>> keys = keys_by_server(w.port(), ports, "txdead");
  for (size_t s = 0; s < 3; ++s) ASSERT_GE(keys[s].size(), 2u) << "server " << s;
  const std::string& a = keys[0][0];
  const std::string& a2 = keys[0][1];
  const std::string& b = keys[1][0];

  Client c(w.port());
  Client other(w.port());
  Client blocked(w.port());
  ASSERT_EQ(other.call({"SET", b, "live"}), "+OK\r\n");
  blocked.send({"BLPOP", a, "0"});
  ASSERT_TRUE(blocked_within(s0.port(), 1));
  ASSERT_EQ(c.call({"MULTI"}), "+OK\r\n");
  ASSERT_EQ(c.call({"SET", a, "1"}), "+QUEUED\r\n");  // the server has the MULTI

  // Stopped first, so that the next command is surely in flight when the
  // server goes.
  const pid_t pid = s0.process().pid();
  ASSERT_EQ(::kill(pid, SIGSTOP), 0);
  ASSERT_TRUE(is_stopped(pid, 2s));
  c.send({"SET", a2, "2"});
  // Written to the server (not read by walnut after it saw the server go,
  // which would queue it in a doomed transaction, as Redis does).
  ASSERT_TRUE(holds_unread_bytes(s0.port(), 5s)) << "the SET never reached the server";
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  ASSERT_GE(s0.process().wait(10s), 0) << "server 0 did not die";

  std::string err = c.read_reply();
  EXPECT_EQ(err.rfind("-ERR ", 0), 0u) << "in-flight SET: " << printable(err);
  EXPECT_EQ(c.call({"EXEC"}), kExecAbort);
  err = blocked.read_reply();
  EXPECT_EQ(err.rfind("-ERR ", 0), 0u) << "the BLPOP blocked there: " << printable(err);
  EXPECT_EQ(blocked.call({"GET", b}), bulk("live"));

  // The client goes on: its other servers answer, the dead one errs, and a
  // new transaction there is refused at its first command.
  EXPECT_EQ(c.call({"GET", b}), bulk("live"));
  err = c.call({"GET", a});
  EXPECT_EQ(err.rfind("-ERR ", 0), 0u) << printable(err);
  std::vector<std::string> r = pipeline(c, {{"MULTI"}, {"SET", a, "1"}, {"EXEC"}});
  EXPECT_EQ(r[0], "+OK\r\n");
  EXPECT_EQ(r[1].rfind("-ERR ", 0), 0u) << printable(r[1]);
  EXPECT_EQ(r[2], kExecAbort);
  r = pipeline(c, {{"MULTI"}, {"INCR", b}, {"SET", b, "tx"}, {"EXEC"}});
  EXPECT_EQ(r[3], "*2\r\n-ERR value is not an integer or out of range\r\n+OK\r\n")
      << "a transaction on a live server runs";

  // Other clients never noticed.
  EXPECT_EQ(other.call({"GET", b}), bulk("tx"));
  EXPECT_EQ(other.call({"SET", keys[2][0], "v"}), "+OK\r\n");
  EXPECT_EQ(other.call({"PING"}), "+PONG\r\n");
}

// DISCARD ends a transaction whatever became of its server: there is
// nothing left there to discard.
//
// With the transaction's server gone, DISCARD answers +OK and opens no new
// connection to send MULTI and DISCARD there (walnut once answered the
// connect's error: MULTI -> +OK, SET k 1 -> -ERR Connection refused,
// DISCARD -> -ERR Connection refused).
TEST(RedisTransactionDeadBackend, DiscardAfterTheServerWentAnswersOk) {
  TempDir dir;
  RedisServer gone(dir);
  Walnut w(dir, pool_yaml("txgone", {gone.port()}));
  gone.process().stop();
  Client c(w.port());
  EXPECT_EQ(c.call({"MULTI"}), "+OK\r\n");
  std::string err = c.call({"SET", "k", "1"});
  EXPECT_EQ(err.rfind("-ERR ", 0), 0u) << printable(err);
  EXPECT_EQ(c.call({"DISCARD"}), "+OK\r\n");
  EXPECT_EQ(c.call({"EXEC"}), "-ERR EXEC without MULTI\r\n") << "the transaction ended";
  EXPECT_EQ(c.call({"PING"}), "+PONG\r\n");
}

// ---------------------------------------------------------------------------
// 3. Blocking commands, on a pool whose timeout is shorter than the blocks.

class RedisBlocking : public ShardedSuite<RedisBlocking> {
 public:
  static constexpr const char* kPoolName = "blk";
  static inline const std::string kExtra = "  timeout: " + std::to_string(kTimeoutMs) + "\n";
};

TEST_F(RedisBlocking, ShortBlpopOnAnIdleConnectionReturnsNull) {
  Client c(walnut_->port());
  EXPECT_EQ(c.call({"BLPOP", keys_[0][0], "0.1"}), kNullArray);
  EXPECT_EQ(c.call({"PING"}), "+PONG\r\n");
}

// The pool's timeout counts from the end of the block the client asked for.
TEST_F(RedisBlocking, BlockLongerThanThePoolTimeoutIsNotCut) {
  Client c(walnut_->port());
  const auto sent = Clock::now();
  EXPECT_EQ(c.call({"BLPOP", keys_[0][0], "1"}), kNullArray) << "not a timeout error";
  const long long waited = ms_since(sent);
  std::cout << "BLPOP 1 answered after " << waited << " ms (pool timeout " << kTimeoutMs
            << " ms)" << std::endl;
  EXPECT_GE(waited, 900) << "answered before Redis's block ended";
}

TEST_F(RedisBlocking, BlockedClientHoldsUpNobodyAndIsWokenByAPush) {
  const int s = 0;
  const std::string& q = keys_[s][0];
  const std::string& k = keys_[s][1];
  Client blocked(walnut_->port());
  Client other(walnut_->port());
  ASSERT_EQ(other.call({"SET", k, "v"}), "+OK\r\n");
  blocked.send({"BLPOP", q, "0"});
  ASSERT_TRUE(blocked_within(servers_[s]->port(), 1)) << "BLPOP never blocked on the server";
  // Same server, another client: answered at once.
  EXPECT_EQ(other.call({"GET", k}), bulk("v"));
  EXPECT_EQ(other.call({"LLEN", q}), ":0\r\n");
  // Longer than the pool's timeout, which must not end a block asked for.
  std::this_thread::sleep_for(std::chrono::milliseconds(2 * kTimeoutMs));
  EXPECT_EQ(blocked_clients(servers_[s]->port()), 1) << "the block was cut";
  EXPECT_EQ(other.call({"RPUSH", q, "e1"}), ":1\r\n");
  EXPECT_EQ(blocked.read_reply(), "*2\r\n" + bulk(q) + bulk("e1"));
  EXPECT_EQ(blocked.call({"GET", k}), bulk("v")) << "the client goes on";
  EXPECT_EQ(other.call({"LLEN", q}), ":0\r\n");
}

// Every blocking command blocks until another client gives it something,
// and returns what Redis returns.
TEST_F(RedisBlocking, EveryBlockingCommandWaitsAndReturnsWhatArrives) {
  const int s = 1;
  const std::string& k = keys_[s][0];
  const std::string& d = keys_[s][1];
  struct Case {
    Args block;
    Args wake;
    std::string want;
  };
  const std::string stream_entry = "*1\r\n*2\r\n" + bulk(k) + "*1\r\n*2\r\n" + bulk("1-1") +
                                   "*2\r\n" + bulk("f") + bulk("v");
  const std::vector<Case> cases = {
      {{"BLPOP", k, "0"}, {"RPUSH", k, "a"}, "*2\r\n" + bulk(k) + bulk("a")},
      {{"BRPOP", d, k, "0"}, {"RPUSH", k, "a", "b"}, "*2\r\n" + bulk(k) + bulk("b")},
      {{"BLMOVE", k, d, "LEFT", "RIGHT", "0"}, {"RPUSH", k, "a"}, bulk("a")},
      {{"BRPOPLPUSH", k, d, "0"}, {"RPUSH", k, "a"}, bulk("a")},
      {{"BLMPOP", "0", "1", k, "LEFT"}, {"RPUSH", k, "a"},
       "*2\r\n" + bulk(k) + "*1\r\n" + bulk("a")},
      {{"BZPOPMIN", k, "0"}, {"ZADD", k, "1", "m"}, "*3\r\n" + bulk(k) + bulk("m") + bulk("1")},
      {{"BZPOPMAX", k, "0"}, {"ZADD", k, "2", "m"}, "*3\r\n" + bulk(k) + bulk("m") + bulk("2")},
      {{"BZMPOP", "0", "1", k, "MIN"}, {"ZADD", k, "3", "m"},
       "*2\r\n" + bulk(k) + "*1\r\n*2\r\n" + bulk("m") + bulk("3")},
      {{"XREAD", "BLOCK", "0", "STREAMS", k, "$"}, {"XADD", k, "1-1", "f", "v"}, stream_entry},
      {{"XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", k, ">"},
       {"XADD", k, "1-1", "f", "v"}, stream_entry},
  };
  Client c(walnut_->port());
  Client other(walnut_->port());
  Client direct(servers_[s]->port());  // for XGROUP, which walnut does not forward
  for (const Case& x : cases) {
    SCOPED_TRACE(show(x.block));
    ASSERT_EQ(other.call({"DEL", k, d}).rfind(":", 0), 0u);
    if (x.block[0] == "XREADGROUP") {
      ASSERT_EQ(direct.call({"XGROUP", "CREATE", k, "g", "$", "MKSTREAM"}), "+OK\r\n");
    }
    c.send(x.block);
    ASSERT_TRUE(blocked_within(servers_[s]->port(), 1)) << "it never blocked";
    other.call(x.wake);
    EXPECT_EQ(c.read_reply(), x.want);
    ASSERT_TRUE(blocked_within(servers_[s]->port(), 0));
  }
  EXPECT_EQ(c.call({"PING"}), "+PONG\r\n");
}

// A block that runs out ends as it does on a direct connection: each
// command goes to walnut and, at the same time, straight to the server
// (the same keys: Redis's null for each, which is not always the obvious
// one).
TEST_F(RedisBlocking, EveryBlockingCommandTimesOutAsOnRedis) {
  const std::string& k = keys_[2][0];
  const std::string& d = keys_[2][1];
  Client c(walnut_->port());
  Client direct(servers_[2]->port());  // also for XGROUP, which walnut does not forward
  ASSERT_EQ(direct.call({"XGROUP", "CREATE", d, "g", "$", "MKSTREAM"}), "+OK\r\n");
  for (const Args& block : std::vector<Args>{
           {"BLPOP", k, "0.05"},
           {"BRPOP", k, "0.05"},
           {"BLMOVE", k, d, "LEFT", "RIGHT", "0.05"},
           {"BRPOPLPUSH", k, d, "0.05"},
           {"BLMPOP", "0.05", "1", k, "LEFT"},
           {"BZPOPMIN", k, "0.05"},
           {"BZPOPMAX", k, "0.05"},
           {"BZMPOP", "0.05", "1", k, "MIN"},
           {"XREAD", "BLOCK", "50", "STREAMS", d, "$"},
           {"XREADGROUP", "GROUP", "g", "c", "BLOCK", "50", "STREAMS", d, ">"},
       }) {
    direct.send(block);
    c.send(block);
    const std::string want = direct.read_reply();
    EXPECT_TRUE(parse(want).null) << show(block) << ": redis " << printable(want);
    EXPECT_EQ(c.read_reply(), want) << show(block);
  }
  EXPECT_EQ(c.call({"PING"}), "+PONG\r\n");
}

// Requests pipelined behind a block that has no end wait with it, as on a
// direct connection, without timing out: to the blocked server (behind the
// block) and to another (delivered in order after it).
TEST_F(RedisBlocking, RequestsBehindAForeverBlockWaitWithoutTimingOut) {
  const std::string& q = keys_[0][0];
  const std::string& k = keys_[0][1];
  const std::string& elsewhere = keys_[1][0];
  Client other(walnut_->port());
  ASSERT_EQ(other.call({"SET", k, "same"}), "+OK\r\n");
  ASSERT_EQ(other.call({"SET", elsewhere, "other"}), "+OK\r\n");
  Client c(walnut_->port());
  c.send_raw(encode({"BLPOP", q, "0"}) + encode({"GET", k}) + encode({"GET", elsewhere}));
  ASSERT_TRUE(blocked_within(servers_[0]->port(), 1));
  // Past the pool's timeout for the GETs, had their clock started when sent.
  std::this_thread::sleep_for(std::chrono::milliseconds(2 * kTimeoutMs));
  EXPECT_EQ(other.call({"RPUSH", q, "x"}), ":1\r\n");
  EXPECT_EQ(c.read_reply(), "*2\r\n" + bulk(q) + bulk("x"));
  EXPECT_EQ(c.read_reply(), bulk("same"));
  EXPECT_EQ(c.read_reply(), bulk("other"));
}

// Two blocks of one client on one server run one after the other there,
// each as long as it asked.
//
// A second block pipelined behind a first on one server starts when the
// first ends, so its deadline is the first's plus its own block: with
// timeout 500, BLPOP q 1; BLPOP q 1 pipelined give *-1 twice, at ~1 s and
// ~2 s (walnut once timed the second out at ~1.5 s and counted the healthy
// server as failed).
TEST_F(RedisBlocking, PipelinedBlocksOnOneServerEachGetTheirWholeBlock) {
  const std::string& q = keys_[2][0];
  Client c(walnut_->port());
  std::vector<std::string> r = pipeline(c, {{"BLPOP", q, "0.7"}, {"BRPOP", q, "0.7"}, {"PING"}});
  EXPECT_EQ(r, (std::vector<std::string>{kNullArray, kNullArray, "+PONG\r\n"}));
}

// A block on a second server, pipelined behind a longer block on a first,
// waits for the first to end before it is sent (the client's order), and
// its block and the pool's timeout count from then: walnut once started
// them when the client sent it, answered it "timed out" while it had not
// been sent, and charged the healthy server with the failure.
TEST_F(RedisBlocking, BlockBehindAnotherServersLongerBlockGetsItsWholeBlock) {
  Client c(walnut_->port());
  std::vector<std::string> r =
      pipeline(c, {{"BLPOP", keys_[0][0], "1.2"}, {"BLPOP", keys_[1][0], "0.3"}, {"PING"}});
  EXPECT_EQ(r, (std::vector<std::string>{kNullArray, kNullArray, "+PONG\r\n"}));
}

// The same for a transaction: its MULTI waits behind the block on another
// server, and is not taken for a set-up that timed out.
TEST_F(RedisBlocking, TransactionBehindAnotherServersLongerBlockRuns) {
  const std::string& k = keys_[1][0];
  Client c(walnut_->port());
  std::vector<std::string> r = pipeline(
      c, {{"BLPOP", keys_[0][0], "1.2"}, {"MULTI"}, {"SET", k, "v"}, {"GET", k}, {"EXEC"}});
  EXPECT_EQ(r, (std::vector<std::string>{kNullArray, "+OK\r\n", "+QUEUED\r\n", "+QUEUED\r\n",
                                         "*2\r\n+OK\r\n" + bulk("v")}));
}

// A block with an end still has a deadline: the pool's timeout after it. A
// server that stops answering (paused) does not keep the client for ever.
TEST_F(RedisBlocking, BlockOnAServerThatStopsAnsweringTimesOut) {
  const std::string& q = keys_[0][0];
  Client c(walnut_->port());
  ASSERT_EQ(c.call({"BLPOP", q, "0.01"}), kNullArray);  // its own connection is open
  const auto sent = Clock::now();
  {
    Paused paused(servers_[0]->process().pid());
    ASSERT_TRUE(paused.stopped());
    EXPECT_EQ(c.call({"BLPOP", q, "1"}), "-ERR Connection timed out\r\n");
  }
  const long long waited = ms_since(sent);
  std::cout << "BLPOP 1 on a paused server: timed out after " << waited << " ms" << std::endl;
  EXPECT_GE(waited, 1000 + kTimeoutMs - 50) << "cut before its block and the timeout passed";
  EXPECT_LT(waited, 10000) << "a generous bound: it must not wait for ever";
  // Resumed, the server must not run the BLPOP the client was told timed
  // out: an element pushed now stays (walnut once kept the connection, and
  // the late BLPOP popped it for nobody).
  Client d(servers_[0]->port());
  ASSERT_EQ(d.call({"LPUSH", q, "precious"}), ":1\r\n");
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(d.call({"LLEN", q}), ":1\r\n") << "the element went to a block nobody waits for";
  ASSERT_EQ(d.call({"DEL", q}), ":1\r\n");
  // The server serves the client again (on a new connection).
  EXPECT_EQ(c.call({"RPUSH", q, "x"}), ":1\r\n");
  EXPECT_EQ(c.call({"BLPOP", q, "1"}), "*2\r\n" + bulk(q) + bulk("x"));
}

// A command queued in MULTI that times out was answered with the timeout:
// EXEC must not run it (nor the rest) behind the client's back. walnut
// once kept the connection, and EXEC answered [OK, OK].
TEST_F(RedisBlocking, CommandTimingOutInsideMultiAbortsTheTransaction) {
  const std::string& a = keys_[1][0];
  const std::string& b = keys_[1][1];
  Client c(walnut_->port());
  ASSERT_EQ(c.call({"MULTI"}), "+OK\r\n");
  ASSERT_EQ(c.call({"SET", a, "1"}), "+QUEUED\r\n");
  {
    Paused paused(servers_[1]->process().pid());
    ASSERT_TRUE(paused.stopped());
    EXPECT_EQ(c.call({"SET", b, "1"}), "-ERR Connection timed out\r\n");
  }
  const std::string exec = c.call({"EXEC"});
  EXPECT_EQ(exec.rfind("-EXECABORT", 0), 0u) << exec;
  EXPECT_EQ(direct_get(1, a), "$-1\r\n");
  EXPECT_EQ(direct_get(1, b), "$-1\r\n");
  EXPECT_EQ(c.call({"SET", a, "2"}), "+OK\r\n") << "the client goes on";
}

TEST_F(RedisBlocking, XreadWithoutBlockIsAPlainRead) {
  const std::string& s1 = keys_[1][0];
  const std::string& s1b = keys_[1][1];
  const std::string& s2 = keys_[2][0];
  Client c(walnut_->port());
  ASSERT_EQ(c.call({"XADD", s1, "1-1", "f", "v"}), bulk("1-1"));
  ASSERT_EQ(c.call({"XADD", s1b, "2-1", "g", "w"}), bulk("2-1"));
  const std::string entry1 = "*2\r\n" + bulk(s1) + "*1\r\n*2\r\n" + bulk("1-1") + "*2\r\n" +
                             bulk("f") + bulk("v");
  const std::string entry1b = "*2\r\n" + bulk(s1b) + "*1\r\n*2\r\n" + bulk("2-1") + "*2\r\n" +
                              bulk("g") + bulk("w");
  EXPECT_EQ(c.call({"XREAD", "STREAMS", s1, "0"}), "*1\r\n" + entry1);
  EXPECT_EQ(c.call({"XREAD", "COUNT", "5", "STREAMS", s1, s1b, "0", "0"}),
            "*2\r\n" + entry1 + entry1b) << "two keys of one server";
  EXPECT_EQ(c.call({"XREAD", "STREAMS", s2, "0"}), kNullArray) << "an empty one elsewhere";
  EXPECT_EQ(c.call({"XREAD", "STREAMS", s1, s2, "0", "0"}), kNotSameServer);
  EXPECT_EQ(c.call({"XREAD", "STREAMS", s1, s1b, "0"}),
            "-ERR Unbalanced 'xread' list of streams: for each stream key an ID or '$' must be "
            "specified.\r\n");
  EXPECT_EQ(c.call({"XREAD", "COUNT", "1", "BLOCK", "10"}), "-ERR syntax error\r\n")
      << "no STREAMS";
  // A key named like a keyword is still a key.
  ASSERT_EQ(c.call({"XADD", "streams", "1-1", "f", "v"}), bulk("1-1"));
  EXPECT_EQ(parse(c.call({"XREAD", "STREAMS", "streams", "0"})).items.size(), 1u);
}

TEST_F(RedisBlocking, KeysOfOneBlockingCommandOnTwoServersAreRefused) {
  const std::string& a = keys_[0][0];
  const std::string& b = keys_[1][0];
  Client c(walnut_->port());
  for (const Args& cross : std::vector<Args>{
           {"BRPOPLPUSH", a, b, "0"},
           {"BLMOVE", a, b, "LEFT", "LEFT", "0"},
           {"BLPOP", a, b, "0"},
           {"BZPOPMIN", b, a, "0"},
           {"BLMPOP", "0", "2", a, b, "LEFT"},
           {"XREAD", "BLOCK", "0", "STREAMS", a, b, "$", "$"},
       }) {
    EXPECT_EQ(c.call(cross), kNotSameServer) << show(cross);
  }
  EXPECT_EQ(c.call({"PING"}), "+PONG\r\n");
  for (int port : ports()) EXPECT_EQ(blocked_clients(port), 0) << "port " << port;
}

TEST_F(RedisBlocking, BlpopInsideMultiDoesNotBlock) {
  const std::string& q = keys_[0][0];
  Client c(walnut_->port());
  std::vector<std::string> r =
      pipeline(c, {{"MULTI"}, {"BLPOP", q, "0"}, {"XREAD", "BLOCK", "0", "STREAMS", q, "$"},
                   {"EXEC"}});
  EXPECT_EQ(r, (std::vector<std::string>{"+OK\r\n", "+QUEUED\r\n", "+QUEUED\r\n",
                                         "*2\r\n*-1\r\n*-1\r\n"}));
}

// A client that leaves while blocked leaves nothing blocked behind it: an
// element pushed afterwards stays in the list.
//
// A client that leaves (EOF) while blocked takes its block with it, as on
// Redis: BLPOP q 0, close, then RPUSH q y by anyone leaves the element in
// the list (walnut once kept the half-closed client's connection blocked,
// and the element went to a client that was gone).
TEST_F(RedisBlocking, ClientLeavingWhileBlockedLeavesNothingBlocked) {
  const std::string& q = keys_[1][0];
  const int port = servers_[1]->port();
  {
    Client gone(walnut_->port());
    gone.send({"BLPOP", q, "0"});
    ASSERT_TRUE(blocked_within(port, 1));
  }
  EXPECT_TRUE(blocked_within(port, 0, 2s)) << "the block outlived its client";
  Client other(walnut_->port());
  EXPECT_EQ(other.call({"RPUSH", q, "y"}), ":1\r\n");
  EXPECT_EQ(other.call({"LLEN", q}), ":1\r\n") << "the element went to a client that left";
  ASSERT_TRUE(blocked_within(port, 0));
}

}  // namespace
}  // namespace walnut::e2e
