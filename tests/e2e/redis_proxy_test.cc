// walnut in front of two real redis-servers: placement over both, ordered
// pipelines, large values, many clients, malformed input, dead backends, and
// real client tools (redis-cli, redis-benchmark).
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/e2e/harness.h"

namespace walnut::e2e {
namespace {

using namespace std::chrono_literals;

class RedisProxy : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    a_ = new RedisServer(*dir_);
    b_ = new RedisServer(*dir_);
    walnut_ = new Walnut(*dir_, yaml());
  }
  static void TearDownTestSuite() {
    delete walnut_;
    delete a_;
    delete b_;
    delete dir_;
  }
  void SetUp() override {
    ASSERT_TRUE(walnut_->process().running()) << walnut_->log();
    for (RedisServer* s : {a_, b_}) {
      Client c(s->port());
      ASSERT_EQ(c.call({"FLUSHALL"}), "+OK\r\n");
    }
  }
  void TearDown() override {
    EXPECT_TRUE(walnut_->process().running()) << "walnut died: " << walnut_->log();
  }
  static std::string yaml() {
    return "alpha:\n"
           "  listen: 127.0.0.1:LISTEN_PORT\n"
           "  redis: true\n"
           "  hash: fnv1a_64\n"
           "  distribution: ketama\n"
           "  hash_tag: \"{}\"\n"
           "  servers:\n"
           "   - 127.0.0.1:" + std::to_string(a_->port()) + ":1\n"
           "   - 127.0.0.1:" + std::to_string(b_->port()) + ":1\n";
  }
  static int port() { return walnut_->port(); }

  static TempDir* dir_;
  static RedisServer* a_;
  static RedisServer* b_;
  static Walnut* walnut_;
};

TempDir* RedisProxy::dir_ = nullptr;
RedisServer* RedisProxy::a_ = nullptr;
RedisServer* RedisProxy::b_ = nullptr;
Walnut* RedisProxy::walnut_ = nullptr;

TEST_F(RedisProxy, KeysSpreadOverBothServersAndReadBackDirectly) {
  Client c(port());
  ASSERT_TRUE(c.connected());
  const int kKeys = 2000;
  std::string pipeline;
  for (int i = 0; i < kKeys; ++i) {
    pipeline += encode({"SET", "key:" + std::to_string(i), "value-" + std::to_string(i)});
  }
  c.send_raw(pipeline);
  for (int i = 0; i < kKeys; ++i) ASSERT_EQ(c.read_reply(), "+OK\r\n") << i;

  Client da(a_->port()), db(b_->port());
  int on_a = 0, on_b = 0;
  for (int i = 0; i < kKeys; ++i) {
    std::string key = "key:" + std::to_string(i);
    std::string want = bulk("value-" + std::to_string(i));
    std::string ra = da.call({"GET", key});
    std::string rb = db.call({"GET", key});
    bool in_a = ra == want, in_b = rb == want;
    EXPECT_TRUE(in_a != in_b) << key << " must be on exactly one server: "
                              << ra << " / " << rb;
    on_a += in_a;
    on_b += in_b;
  }
  EXPECT_EQ(on_a + on_b, kKeys);
  EXPECT_GT(on_a, kKeys / 5) << "ketama spreads keys over both servers";
  EXPECT_GT(on_b, kKeys / 5);
  EXPECT_EQ(da.call({"DBSIZE"}), ":" + std::to_string(on_a) + "\r\n");
  EXPECT_EQ(db.call({"DBSIZE"}), ":" + std::to_string(on_b) + "\r\n");
  // And back through walnut.
  for (int i = 0; i < kKeys; i += 97) {
    EXPECT_EQ(c.call({"GET", "key:" + std::to_string(i)}),
              bulk("value-" + std::to_string(i)));
  }
}

TEST_F(RedisProxy, PipelineOf1000RepliesInOrder) {
  Client c(port());
  std::string pipeline;
  for (int i = 0; i < 1000; ++i) {
    // Alternate servers and reply kinds so that order is really tested.
    std::string key = "p:" + std::to_string(i % 37);
    if (i % 3 == 0) pipeline += encode({"INCR", key});
    else if (i % 3 == 1) pipeline += encode({"GET", key});
    else pipeline += encode({"ECHO", "e" + std::to_string(i)});
  }
  c.send_raw(pipeline);
  std::vector<long long> counters(37, 0);
  for (int i = 0; i < 1000; ++i) {
    std::string key_reply = c.read_reply();
    int k = i % 37;
    if (i % 3 == 0) {
      ++counters[k];
      ASSERT_EQ(key_reply, ":" + std::to_string(counters[k]) + "\r\n") << i;
    } else if (i % 3 == 1) {
      std::string v = std::to_string(counters[k]);
      ASSERT_EQ(key_reply, counters[k] ? bulk(v) : "$-1\r\n") << i;
    } else {
      ASSERT_EQ(key_reply, bulk("e" + std::to_string(i))) << i;
    }
  }
}

TEST_F(RedisProxy, SixteenMegabyteValueRoundTrips) {
  std::string value(16 * 1024 * 1024, '\0');
  for (size_t i = 0; i < value.size(); ++i) value[i] = static_cast<char>('A' + (i * 7) % 61);
  Client c(port());
  ASSERT_EQ(c.call({"SET", "big", value}), "+OK\r\n");
  EXPECT_EQ(c.call({"STRLEN", "big"}), ":16777216\r\n");
  std::string reply = c.call({"GET", "big"});
  EXPECT_TRUE(reply == bulk(value)) << "reply of " << reply.size() << " bytes differs";
  EXPECT_EQ(c.call({"PING"}), "+PONG\r\n") << "connection still in sync";
}

TEST_F(RedisProxy, HundredConcurrentClients) {
  const int kClients = 100, kOps = 50;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kClients; ++t) {
    threads.emplace_back([t, &failures] {
      Client c(port());
      if (!c.connected()) {
        ++failures;
        return;
      }
      std::string pipeline;
      for (int i = 0; i < kOps; ++i) {
        std::string key = "c" + std::to_string(t) + ":" + std::to_string(i);
        pipeline += encode({"SET", key, key + "-v"});
        pipeline += encode({"GET", key});
      }
      c.send_raw(pipeline);
      for (int i = 0; i < kOps; ++i) {
        std::string key = "c" + std::to_string(t) + ":" + std::to_string(i);
        if (c.read_reply() != "+OK\r\n") ++failures;
        if (c.read_reply() != bulk(key + "-v")) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
}

TEST_F(RedisProxy, MalformedInputGetsAnErrorAfterEarlierReplies) {
  Client c(port());
  Client other(port());
  c.send_raw(encode({"SET", "m", "1"}) + encode({"GET", "m"}) + "*3\r\n*abcde\r\n");
  EXPECT_EQ(c.read_reply(), "+OK\r\n");
  EXPECT_EQ(c.read_reply(), bulk("1"));
  std::string err = c.read_reply();
  EXPECT_EQ(err.rfind("-ERR Protocol error: ", 0), 0u) << err;
  EXPECT_TRUE(c.closed_by_peer(5s));
  EXPECT_EQ(other.call({"GET", "m"}), bulk("1")) << "other clients unaffected";
}

TEST_F(RedisProxy, MalformedBulkLengthsAreRefused) {
  for (const std::string bad : {"*1\r\n$-3\r\n", "*1\r\n$99999999999999999999\r\n",
                                "*1\r\n$3\r\nabcX\r\n", "*1x\r\n"}) {
    Client c(port());
    c.send_raw(bad);
    std::string err = c.read_reply();
    EXPECT_EQ(err.rfind("-ERR Protocol error: ", 0), 0u) << bad << " -> " << err;
    EXPECT_TRUE(c.closed_by_peer(5s)) << bad;
  }
}

TEST_F(RedisProxy, QuitRepliesOkThenCloses) {
  Client c(port());
  c.send_raw(encode({"SET", "q", "1"}) + encode({"QUIT"}) + encode({"GET", "q"}));
  EXPECT_EQ(c.read_reply(), "+OK\r\n");
  EXPECT_EQ(c.read_reply(), "+OK\r\n");
  EXPECT_TRUE(c.closed_by_peer(5s)) << "nothing after QUIT is answered";
}

TEST_F(RedisProxy, HalfClosedClientStillGetsEveryReply) {
  Client c(port());
  std::string pipeline;
  for (int i = 0; i < 200; ++i) pipeline += encode({"ECHO", std::to_string(i)});
  pipeline += encode({"SET", "h", "v"}) + encode({"GET", "h"});
  c.send_raw(pipeline);
  c.shutdown_write();
  for (int i = 0; i < 200; ++i) ASSERT_EQ(c.read_reply(), bulk(std::to_string(i)));
  EXPECT_EQ(c.read_reply(), "+OK\r\n");
  EXPECT_EQ(c.read_reply(), bulk("v"));
  EXPECT_TRUE(c.closed_by_peer(5s));
}

TEST_F(RedisProxy, InlineCommandsAndUnsupportedCommands) {
  Client c(port());
  c.send_raw("SET inl value\r\nGET inl\r\nPING\r\n");
  EXPECT_EQ(c.read_reply(), "+OK\r\n");
  EXPECT_EQ(c.read_reply(), bulk("value"));
  EXPECT_EQ(c.read_reply(), "+PONG\r\n");
  EXPECT_EQ(c.call({"MONITOR"}), "-ERR unsupported command 'monitor'\r\n");
  EXPECT_EQ(c.call({"GET"}), "-ERR wrong number of arguments for 'get' command\r\n");
  EXPECT_EQ(c.call({"GET", "inl"}), bulk("value")) << "connection stays open";
}

TEST_F(RedisProxy, RepliesMatchRedisDirectly) {
  // The same commands against walnut and straight at the server that owns
  // the key: replies must be byte for byte equal.
  std::vector<std::vector<std::string>> script = {
      {"SET", "{d}s", "hello"}, {"APPEND", "{d}s", " world"}, {"GET", "{d}s"},
      {"STRLEN", "{d}s"}, {"GETRANGE", "{d}s", "0", "4"}, {"INCR", "{d}n"},
      {"INCRBY", "{d}n", "41"}, {"INCRBYFLOAT", "{d}n", "0.5"},
      {"HSET", "{d}h", "f1", "v1", "f2", "v2"}, {"HGETALL", "{d}h"},
      {"HGET", "{d}h", "nope"}, {"LPUSH", "{d}l", "a", "b", "c"},
      {"LRANGE", "{d}l", "0", "-1"}, {"SADD", "{d}set", "x"},
      {"SISMEMBER", "{d}set", "x"}, {"ZADD", "{d}z", "1", "one", "2", "two"},
      {"ZRANGE", "{d}z", "0", "-1", "WITHSCORES"}, {"EXPIRE", "{d}s", "100"},
      {"TTL", "{d}s"}, {"TYPE", "{d}h"}, {"GET", "{d}missing"},
      {"INCR", "{d}s"}, {"HGET", "{d}s", "f"}, {"DEL", "{d}s", "{d}n"},
      {"EXISTS", "{d}h", "{d}l", "{d}none"},
  };
  Client through(port());
  std::vector<std::string> via_walnut;
  for (const auto& cmd : script) via_walnut.push_back(through.call(cmd));
  // Find the server that holds the tagged keys and replay there.
  Client da(a_->port()), db(b_->port());
  bool on_a = da.call({"EXISTS", "{d}h"}) == ":1\r\n";
  Client& direct = on_a ? da : db;
  ASSERT_EQ(direct.call({"FLUSHALL"}), "+OK\r\n");
  for (size_t i = 0; i < script.size(); ++i) {
    std::string want = direct.call(script[i]);
    if (script[i][0] == "TTL") continue;  // a second may have passed
    EXPECT_EQ(via_walnut[i], want) << script[i][0];
  }
}

TEST_F(RedisProxy, RedisCliWorksThroughWalnut) {
  std::string out;
  std::string p = std::to_string(port());
  ASSERT_EQ(run_command({"/usr/bin/redis-cli", "-p", p, "SET", "cli", "works"}, &out), 0) << out;
  EXPECT_EQ(out, "OK\n");
  ASSERT_EQ(run_command({"/usr/bin/redis-cli", "-p", p, "GET", "cli"}, &out), 0) << out;
  EXPECT_EQ(out, "works\n");
  ASSERT_EQ(run_command({"/usr/bin/redis-cli", "-p", p, "PING"}, &out), 0) << out;
  EXPECT_EQ(out, "PONG\n");
}

TEST_F(RedisProxy, RedisBenchmarkFinishesWithoutErrors) {
  std::string out;
  int rc = run_command({"/usr/bin/redis-benchmark", "-p", std::to_string(port()),
                        "-q", "-t", "set,get", "-P", "16", "-n", "100000"},
                       &out, 300s);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("SET:"), std::string::npos) << out;
  EXPECT_NE(out.find("GET:"), std::string::npos) << out;
  // redis-benchmark warns once when CONFIG is refused (as with nutcracker);
  // any other error is a failure.
  std::string rest = out;
  size_t warn = rest.find("WARNING: Could not fetch server CONFIG");
  if (warn != std::string::npos) rest.erase(warn, rest.find('\n', warn) - warn);
  EXPECT_EQ(rest.find("rror"), std::string::npos) << out;
}

TEST_F(RedisProxy, DeadBackendFailsOnlyItsOwnRequests) {
  TempDir dir;
  RedisServer live(dir);
  int dead_port = free_port();  // nothing listens here
  Walnut w(dir,
           "beta:\n"
           "  listen: 127.0.0.1:LISTEN_PORT\n"
           "  redis: true\n"
           "  distribution: modula\n"
           "  servers:\n"
           "   - 127.0.0.1:" + std::to_string(live.port()) + ":1\n"
           "   - 127.0.0.1:" + std::to_string(dead_port) + ":1\n");
  Client c(w.port());
  int ok = 0, refused = 0;
  std::string pipeline;
  for (int i = 0; i < 100; ++i) pipeline += encode({"SET", "k" + std::to_string(i), "v"});
  c.send_raw(pipeline);
  for (int i = 0; i < 100; ++i) {
    std::string r = c.read_reply();
    if (r == "+OK\r\n") ++ok;
    else if (r == "-ERR Connection refused\r\n") ++refused;
    else ADD_FAILURE() << "unexpected reply " << r;
  }
  EXPECT_GT(ok, 0);
  EXPECT_GT(refused, 0);
  EXPECT_EQ(ok + refused, 100);
  Client direct(live.port());
  EXPECT_EQ(direct.call({"DBSIZE"}), ":" + std::to_string(ok) + "\r\n");
  EXPECT_EQ(c.call({"PING"}), "+PONG\r\n");
}

TEST_F(RedisProxy, ServerNameDistributionRoutesByTheNameInTheKey) {
  TempDir dir;
  RedisServer one(dir), two(dir);
  Walnut w(dir,
           "named:\n"
           "  listen: 127.0.0.1:LISTEN_PORT\n"
           "  redis: true\n"
           "  hash_tag: \"{}\"\n"
           "  distribution: server_name\n"
           "  servers:\n"
           "   - 127.0.0.1:" + std::to_string(one.port()) + ":1 first\n"
           "   - 127.0.0.1:" + std::to_string(two.port()) + ":1 second\n");
  Client c(w.port());
  EXPECT_EQ(c.call({"SET", "{first}:a", "1"}), "+OK\r\n");
  EXPECT_EQ(c.call({"SET", "{second}:b", "2"}), "+OK\r\n");
  EXPECT_EQ(c.call({"SET", "second", "3"}), "+OK\r\n") << "untagged: whole key";
  EXPECT_EQ(c.call({"SET", "{third}:c", "4"}),
            "-ERR no server named 'third' in pool 'named'\r\n");
  EXPECT_EQ(c.call({"PING"}), "+PONG\r\n") << "connection stays open";
  Client d1(one.port()), d2(two.port());
  EXPECT_EQ(d1.call({"GET", "{first}:a"}), bulk("1"));
  EXPECT_EQ(d2.call({"GET", "{second}:b"}), bulk("2"));
  EXPECT_EQ(d2.call({"GET", "second"}), bulk("3"));
  EXPECT_EQ(d1.call({"DBSIZE"}), ":1\r\n");
}

TEST_F(RedisProxy, HugeBurstOfLocalRepliesIsDeliveredInFull) {
  // Big mbufs let one read bring more requests than one flush round writes:
  // the rest must still go out (a flush once stopped there and hung).
  TempDir dir;
  Walnut w(dir,
           "local:\n"
           "  listen: 127.0.0.1:LISTEN_PORT\n"
           "  redis: true\n"
           "  servers:\n"
           "   - 127.0.0.1:" + std::to_string(a_->port()) + ":1\n",
           {"-m", "4194304"});
  Client c(w.port());
  const int kPings = 200000;
  std::string burst;
  for (int i = 0; i < kPings; ++i) burst += "PING\r\n";
  std::thread sender([&] { c.send_raw(burst); });
  int got = 0;
  while (got < kPings && c.read_reply() == "+PONG\r\n") ++got;
  sender.join();
  EXPECT_EQ(got, kPings);
}

TEST_F(RedisProxy, OutOfFileDescriptorsPausesAcceptingWithoutSpinning) {
  TempDir dir;
  Walnut w(dir,
           "tight:\n"
           "  listen: 127.0.0.1:LISTEN_PORT\n"
           "  redis: true\n"
           "  servers:\n"
           "   - 127.0.0.1:" + std::to_string(a_->port()) + ":1\n",
           {}, "ulimit -n 16;");
  Client first(w.port());
  ASSERT_EQ(first.call({"SET", "fd", "1"}), "+OK\r\n");
  std::vector<std::unique_ptr<Client>> crowd;
  for (int i = 0; i < 30; ++i) crowd.push_back(std::make_unique<Client>(w.port()));
  auto warnings = [&w] {
    const std::string log = w.log();
    size_t n = 0;
    for (size_t at = 0; (at = log.find("pausing accepts", at)) != std::string::npos; ++at) ++n;
    return n;
  };
  ASSERT_TRUE(wait_until([&] { return warnings() >= 1; }, 10s)) << w.log();
  // Each warning starts a 100 ms pause; an accept that spun on EMFILE would
  // log thousands a second.
  const size_t before = warnings();
  const auto t0 = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(1s);
  const size_t during = warnings() - before;
  const auto window = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - t0);
  EXPECT_LE(during, static_cast<size_t>(window.count() / 100 + 3))
      << "accept must not spin on EMFILE: " << during << " warnings in " << window.count() << " ms";
  EXPECT_EQ(first.call({"GET", "fd"}), bulk("1")) << "served clients unaffected";
  crowd.clear();  // frees descriptors: walnut accepts again
  std::this_thread::sleep_for(300ms);
  Client late(w.port());
  EXPECT_EQ(late.call({"GET", "fd"}), bulk("1"));
}

TEST_F(RedisProxy, ServesAUnixSocket) {
  TempDir dir;
  RedisServer live(dir);
  std::string sock = dir.file("walnut.sock");
  Walnut w(dir,
           "gamma:\n"
           "  listen: " + sock + " 0600\n"
           "  redis: true\n"
           "  servers:\n"
           "   - 127.0.0.1:" + std::to_string(live.port()) + ":1\n");
  std::unique_ptr<Client> c;
  for (int i = 0; i < 200 && !(c && c->connected()); ++i) {
    std::this_thread::sleep_for(20ms);
    c = std::make_unique<Client>(sock);
  }
  ASSERT_TRUE(c->connected()) << w.log();
  EXPECT_EQ(c->call({"SET", "u", "1"}), "+OK\r\n");
  EXPECT_EQ(c->call({"GET", "u"}), bulk("1"));
}

}  // namespace
}  // namespace walnut::e2e
