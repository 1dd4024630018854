// Redis command coverage through walnut, checked against real redis-servers:
// a differential script of every command family (direct vs. through walnut,
// over one server and over three), multi-key fragmentation and a dead
// backend, and keys that must share a server. The oracle is always a
// redis-server fed the same commands: a reply is right when it is what Redis
// itself answers. Local commands, redis_auth, redis_db and real client tools
// are in redis_session_test.cc.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <set>
#include <string>
#include <vector>

#include "tests/e2e/harness.h"
#include "tests/e2e/redis_command_script.h"
#include "tests/e2e/redis_differential.h"
#include "tests/e2e/redis_pool_helpers.h"
#include "tests/e2e/resp_reply.h"
#include "tests/e2e/sha1.h"

namespace walnut::e2e {
namespace {

// ---------------------------------------------------------------------------
// 1. Differential: direct redis vs. walnut over one server and over three.

class RedisCommandsDifferential : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    direct_ = new RedisServer(*dir_);
    single_ = new RedisServer(*dir_);
    for (auto*& s : three_) s = new RedisServer(*dir_);
    walnut1_ = new Walnut(*dir_, pool_yaml("one", {single_->port()}));
    walnut3_ = new Walnut(*dir_, pool_yaml("three",
                                           {three_[0]->port(), three_[1]->port(),
                                            three_[2]->port()},
                                           kSharded));
  }
  static void TearDownTestSuite() {
    delete walnut1_;
    delete walnut3_;
    delete direct_;
    delete single_;
    for (auto*& s : three_) delete s;
    delete dir_;
  }
  void SetUp() override {
    ASSERT_NE(walnut1_, nullptr);
    ASSERT_NE(walnut3_, nullptr);
    for (int port : {direct_->port(), single_->port(), three_[0]->port(),
                     three_[1]->port(), three_[2]->port()}) {
      ASSERT_EQ(flushed(port), "+OK\r\n+OK\r\n");
    }
  }
  void TearDown() override {
    EXPECT_TRUE(walnut1_->process().running()) << "walnut died: " << walnut1_->log();
    EXPECT_TRUE(walnut3_->process().running()) << "walnut died: " << walnut3_->log();
  }
  static long long dbsize(int port) {
    Client c(port);
    return std::atoll(c.call({"DBSIZE"}).c_str() + 1);
  }

  static TempDir* dir_;
  static RedisServer* direct_;
  static RedisServer* single_;
  static RedisServer* three_[3];
  static Walnut* walnut1_;
  static Walnut* walnut3_;
};

TempDir* RedisCommandsDifferential::dir_ = nullptr;
RedisServer* RedisCommandsDifferential::direct_ = nullptr;
RedisServer* RedisCommandsDifferential::single_ = nullptr;
RedisServer* RedisCommandsDifferential::three_[3] = {nullptr, nullptr, nullptr};
Walnut* RedisCommandsDifferential::walnut1_ = nullptr;
Walnut* RedisCommandsDifferential::walnut3_ = nullptr;

TEST_F(RedisCommandsDifferential, EveryCommandFamilyMatchesRedisOverOneServer) {
  // A DUMP payload to RESTORE, made by a third redis-server of the same
  // version, so that neither compared server has seen it.
  std::string payload;
  {
    Client scratch(three_[0]->port());
    ASSERT_EQ(scratch.call({"SET", "dump:src", "hello"}), "+OK\r\n");
    Reply dumped = parse(scratch.call({"DUMP", "dump:src"}));
    ASSERT_EQ(dumped.type, '$');
    payload = dumped.text;
    ASSERT_EQ(scratch.call({"FLUSHALL"}), "+OK\r\n");
  }
  std::vector<Step> script = single_key_script(payload);
  std::vector<Step> multi = multi_key_script();
  script.insert(script.end(), multi.begin(), multi.end());
  ASSERT_GE(script.size(), 300u);

  int compared = compare_runs(script, direct_->port(), walnut1_->port(), "one server");
  std::cout << "[differential] compared " << compared << " commands over a one-server pool"
            << std::endl;
  EXPECT_EQ(compared, static_cast<int>(script.size()));
  EXPECT_EQ(dbsize(single_->port()), dbsize(direct_->port())) << "same keys left behind";

  // The script's shas were computed here: Redis must agree with them.
  Client direct(direct_->port());
  EXPECT_EQ(direct.call({"SCRIPT", "LOAD", kScript1}), bulk(sha1_hex(kScript1)));
  EXPECT_EQ(direct.call({"SCRIPT", "LOAD", kScript2}), bulk(sha1_hex(kScript2)));
}

TEST_F(RedisCommandsDifferential, MultiKeyCommandsMatchRedisOverThreeServers) {
  std::vector<Step> script = multi_key_script();
  // First make sure the script's untagged keys really are spread: write
  // them through walnut, find them directly, then start afresh.
  std::vector<std::string> untagged;
  for (const Step& st : script) {
    if (st.args[0] != "MSET") continue;
    for (size_t i = 1; i < st.args.size(); i += 2) {
      if (st.args[i].find('{') == std::string::npos) untagged.push_back(st.args[i]);
    }
  }
  ASSERT_GE(untagged.size(), 30u);
  {
    Client w(walnut3_->port());
    for (const auto& k : untagged) ASSERT_EQ(w.call({"SET", k, "x"}), "+OK\r\n") << k;
    std::vector<int> where = locate({three_[0]->port(), three_[1]->port(), three_[2]->port()},
                                    untagged);
    for (int s = 0; s < 3; ++s) {
      EXPECT_NE(std::count(where.begin(), where.end(), s), 0) << "no key on server " << s;
    }
    for (RedisServer* s : three_) ASSERT_EQ(flushed(s->port()), "+OK\r\n+OK\r\n");
  }
  int compared = compare_runs(script, direct_->port(), walnut3_->port(), "three servers");
  std::cout << "[differential] compared " << compared
            << " multi-key commands over a three-server pool" << std::endl;
  EXPECT_EQ(compared, static_cast<int>(script.size()));
  long long spread = 0;
  for (RedisServer* s : three_) spread += dbsize(s->port());
  EXPECT_EQ(spread, dbsize(direct_->port())) << "each key on exactly one server";
}

// ---------------------------------------------------------------------------
// 2. Fragmentation over three servers, against one redis-server as oracle.

// walnut on three redis-servers (kSharded), and one more redis-server as the
// oracle; one set per suite (`Suite` names it and gives its pool name), all
// flushed before each test.
template <typename Suite>
class ThreeServerSuite : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    oracle_ = new RedisServer(*dir_);
    for (auto*& s : servers_) s = new RedisServer(*dir_);
    walnut_ = new Walnut(*dir_, pool_yaml(Suite::kPoolName, ports(), kSharded));
  }
  static void TearDownTestSuite() {
    delete walnut_;
    delete oracle_;
    for (auto*& s : servers_) delete s;
    delete dir_;
  }
  void SetUp() override {
    ASSERT_NE(walnut_, nullptr);
    for (int port : {oracle_->port(), servers_[0]->port(), servers_[1]->port(),
                     servers_[2]->port()}) {
      ASSERT_EQ(flushed(port), "+OK\r\n+OK\r\n");
    }
  }
  void TearDown() override {
    EXPECT_TRUE(walnut_->process().running()) << "walnut died: " << walnut_->log();
  }
  static std::vector<int> ports() {
    return {servers_[0]->port(), servers_[1]->port(), servers_[2]->port()};
  }

  static inline TempDir* dir_ = nullptr;
  static inline RedisServer* oracle_ = nullptr;
  static inline RedisServer* servers_[3] = {nullptr, nullptr, nullptr};
  static inline Walnut* walnut_ = nullptr;
};

class RedisCommandsFragmentation : public ThreeServerSuite<RedisCommandsFragmentation> {
 public:
  static constexpr const char* kPoolName = "frag";
};

TEST_F(RedisCommandsFragmentation, DuplicateAndMissingKeysAnswerAsOneRedis) {
  // Two keys on different servers.
  std::vector<std::string> cands;
  for (int i = 0; i < 40; ++i) cands.push_back(spread_key("dup", i));
  Client w(walnut_->port());
  for (const auto& k : cands) ASSERT_EQ(w.call({"SET", k, "v:" + k}), "+OK\r\n");
  std::vector<int> where = locate({servers_[0]->port(), servers_[1]->port(),
                                   servers_[2]->port()}, cands);
  std::string a = cands[0], b;
  for (size_t i = 1; i < cands.size() && b.empty(); ++i) {
    if (where[i] >= 0 && where[i] != where[0]) b = cands[i];
  }
  ASSERT_FALSE(b.empty()) << "40 keys all on one server";
  Args cleanup = {"DEL"};
  cleanup.insert(cleanup.end(), cands.begin(), cands.end());
  EXPECT_EQ(w.call(cleanup), ":40\r\n");

  ASSERT_EQ(w.call({"SET", a, "1"}), "+OK\r\n");
  ASSERT_EQ(w.call({"SET", b, "2"}), "+OK\r\n");
  EXPECT_EQ(w.call({"MGET", a, b, a}), "*3\r\n" + bulk("1") + bulk("2") + bulk("1"));
  EXPECT_EQ(w.call({"MGET", a, "dup:none", b}), "*3\r\n" + bulk("1") + "$-1\r\n" + bulk("2"));
  EXPECT_EQ(w.call({"EXISTS", a, a}), ":2\r\n");
  EXPECT_EQ(w.call({"EXISTS", a, b, "dup:none", b}), ":3\r\n");
  EXPECT_EQ(w.call({"TOUCH", b, a, b}), ":3\r\n");
  EXPECT_EQ(w.call({"DEL", a, a}), ":1\r\n");
  EXPECT_EQ(w.call({"MGET", a, b}), "*2\r\n$-1\r\n" + bulk("2"));
  EXPECT_EQ(w.call({"MSET", a, "x", b, "y", a, "z"}), "+OK\r\n");
  EXPECT_EQ(w.call({"MGET", b, a}), "*2\r\n" + bulk("y") + bulk("z"));
  EXPECT_EQ(w.call({"UNLINK", b, a, b, "dup:none"}), ":2\r\n");
  EXPECT_EQ(w.call({"MGET", a, b}), "*2\r\n$-1\r\n$-1\r\n");
}

TEST_F(RedisCommandsFragmentation, OneTwoHundredAndThousandKeysMatchOneRedis) {
  const std::vector<int> ports = {servers_[0]->port(), servers_[1]->port(),
                                  servers_[2]->port()};
  int total = 0;
  for (int n : {1, 2, 100, 1000}) {
    SCOPED_TRACE("keys: " + std::to_string(n));
    std::string p = "f" + std::to_string(n);
    std::vector<std::string> keys;
    for (int i = 0; i < n; ++i) keys.push_back(spread_key(p, i));
    const std::string& first = keys.front();
    const std::string& last = keys.back();

    Args mset = {"MSET"};
    for (int i = 0; i < n; ++i) mset.insert(mset.end(), {keys[i], "value-" + std::to_string(i)});
    total += compare_runs(std::vector<Step>{Step{mset}}, oracle_->port(), walnut_->port(), "MSET");

    // Every key on exactly one server, and bigger batches on all three.
    std::vector<int> where = locate(ports, keys);
    int per_server[3] = {0, 0, 0};
    for (size_t i = 0; i < keys.size(); ++i) {
      ASSERT_GE(where[i], 0) << keys[i] << (where[i] == -2 ? " on several servers" : " nowhere");
      ++per_server[where[i]];
    }
    if (n >= 100) {
      for (int s = 0; s < 3; ++s) EXPECT_GT(per_server[s], n / 10) << "server " << s;
    }

    Args mget = {"MGET"}, exists = {"EXISTS"}, touch = {"TOUCH"}, del = {"DEL"},
         unlink = {"UNLINK"};
    for (int i = 0; i < n; ++i) {
      mget.push_back(keys[i]);
      if (i % 7 == 3) mget.push_back(spread_key(p + "missing", i));
      exists.push_back(keys[i]);
      touch.push_back(keys[i]);
      if (i % 2 == 0) del.push_back(keys[i]);
      unlink.push_back(keys[i]);
    }
    for (Args* a : {&mget, &exists, &touch, &del, &unlink}) {
      a->insert(a->end(), {first, spread_key(p + "missing", -1), last, first});
    }
    std::vector<Step> steps = {{mget}, {exists}, {touch}, {del},  {mget},
                               {exists}, {unlink}, {mget},  {exists}};
    total += compare_runs(steps, oracle_->port(), walnut_->port(), "fragmented");
  }
  std::cout << "[fragmentation] compared " << total << " commands" << std::endl;
  Client w(walnut_->port());
  EXPECT_EQ(w.call({"PING"}), "+PONG\r\n");
}

// Three fresh redis-servers and a sharded walnut pool over them, for one test.
struct ThreeServerPool {
  explicit ThreeServerPool(const std::string& name, const std::string& extra = "")
      : s0(dir), s1(dir), s2(dir), ports{s0.port(), s1.port(), s2.port()},
        walnut(dir, pool_yaml(name, ports, kSharded + extra)) {}
  TempDir dir;
  RedisServer s0, s1, s2;
  std::vector<int> ports;
  Walnut walnut;
};

TEST_F(RedisCommandsFragmentation, DeadBackendFailsTheWholeRequestWithOneError) {
  ThreeServerPool pool("dead");
  const std::vector<int>& ports = pool.ports;
  Walnut& w = pool.walnut;
  Client c(w.port());
  std::vector<std::string> keys;
  Args mset = {"MSET"}, mget_all = {"MGET"};
  for (int i = 0; i < 60; ++i) {
    keys.push_back(spread_key("dead", i));
    mset.insert(mset.end(), {keys.back(), "v" + std::to_string(i)});
    mget_all.push_back(keys.back());
  }
  ASSERT_EQ(c.call(mset), "+OK\r\n");
  std::vector<int> where = locate(ports, keys);
  Args mget_live = {"MGET"};
  std::string want_live, live_key, live_value;
  int on_dead = 0, live = 0;
  for (size_t i = 0; i < keys.size(); ++i) {
    ASSERT_GE(where[i], 0) << keys[i];
    if (where[i] == 0) {
      ++on_dead;
    } else {
      ++live;
      mget_live.push_back(keys[i]);
      want_live += bulk("v" + std::to_string(i));
      live_key = keys[i];
      live_value = "v" + std::to_string(i);
    }
  }
  ASSERT_GT(on_dead, 0);
  ASSERT_GT(live, 0);
  std::set<int> live_servers(where.begin(), where.end());
  ASSERT_EQ(live_servers.size(), 3u) << "60 keys should reach all three servers";

  pool.s0.process().stop();

  // One error for the whole request, answered before the PING behind it.
  c.send_raw(encode(mget_all) + encode({"PING"}));
  std::string err = c.read_reply();
  EXPECT_EQ(err.rfind("-ERR ", 0), 0u) << printable(err);
  EXPECT_EQ(err.find("\r\n"), err.size() - 2) << "one error line: " << printable(err);
  EXPECT_EQ(c.read_reply(), "+PONG\r\n") << "connection usable after the error";
  err = c.call(mget_all);
  EXPECT_EQ(err.rfind("-ERR ", 0), 0u) << "again: " << printable(err);
  EXPECT_EQ(c.call({"PING"}), "+PONG\r\n");

  Client other(w.port());
  EXPECT_EQ(other.call(mget_live), "*" + std::to_string(live) + "\r\n" + want_live);
  EXPECT_EQ(other.call({"GET", live_key}), bulk(live_value));
  EXPECT_EQ(c.call(mget_live), "*" + std::to_string(live) + "\r\n" + want_live)
      << "the first client too";

  // A command sent to every server fails whole too: a count or key list of
  // two servers out of three would be a wrong answer.
  for (const Args& everywhere : {Args{"DBSIZE"}, Args{"KEYS", "*"}, Args{"RANDOMKEY"}}) {
    err = c.call(everywhere);
    EXPECT_EQ(err.rfind("-ERR ", 0), 0u) << show(everywhere) << ": " << printable(err);
    EXPECT_EQ(err.find("\r\n"), err.size() - 2) << show(everywhere) << ": " << printable(err);
  }
  EXPECT_EQ(c.call({"PING"}), "+PONG\r\n");
}

TEST_F(RedisCommandsFragmentation, DbsizeKeysAndRandomkeyCoverEveryServer) {
  ThreeServerPool pool("all");
  const std::vector<int>& ports = pool.ports;
  Client c(pool.walnut.port());
  EXPECT_EQ(c.call({"DBSIZE"}), ":0\r\n");
  EXPECT_EQ(c.call({"KEYS", "*"}), "*0\r\n");
  EXPECT_EQ(c.call({"RANDOMKEY"}), "$-1\r\n");

  std::vector<std::string> keys;
  for (int i = 0; i < 30; ++i) {
    keys.push_back(spread_key("all", i));
    ASSERT_EQ(c.call({"SET", keys.back(), "v"}), "+OK\r\n");
  }
  std::vector<int> where = locate(ports, keys);
  ASSERT_EQ(std::set<int>(where.begin(), where.end()).size(), 3u);
  EXPECT_EQ(c.call({"DBSIZE"}), ":30\r\n");
  Reply all = parse(c.call({"KEYS", "*"}));
  ASSERT_EQ(all.type, '*');
  std::vector<std::string> got;
  for (const std::string& item : all.items) got.push_back(parse(item).text);
  EXPECT_TRUE(same_multiset(got, keys));

  // FLUSHDB and FLUSHALL would empty every server: refused, nothing flushed.
  EXPECT_EQ(c.call({"FLUSHDB"}),
            "-ERR FLUSHDB refused: it would empty every server of this walnut pool; "
            "'redis_allow_flush: true' on the pool allows it\r\n");
  EXPECT_EQ(c.call({"FLUSHALL", "ASYNC"}).rfind("-ERR FLUSHALL refused: ", 0), 0u);
  EXPECT_EQ(c.call({"DBSIZE"}), ":30\r\n");

  // RANDOMKEY finds the keys of a server even when the others have none.
  Client only(pool.s2.port());
  for (int i = 0; i < 30; ++i) {
    if (where[i] != 2) {
      ASSERT_EQ(c.call({"DEL", keys[i]}), ":1\r\n");
    }
  }
  for (int round = 0; round < 6; ++round) {
    Reply key = parse(c.call({"RANDOMKEY"}));
    ASSERT_EQ(key.type, '$');
    ASSERT_FALSE(key.null) << "round " << round;
    EXPECT_EQ(only.call({"EXISTS", key.text}), ":1\r\n") << key.text;
  }
}

// Every key once, from a SCAN that walks the servers one after another
// with the cursors walnut gives.
TEST_F(RedisCommandsFragmentation, ScanWalksEveryServerWithOneCursor) {
  ThreeServerPool pool("scan");
  Client c(pool.walnut.port());
  std::vector<std::string> keys;
  for (int i = 0; i < 200; ++i) {
    keys.push_back(spread_key(i % 2 == 0 ? "scan-even" : "scan-odd", i));
    ASSERT_EQ(c.call({"SET", keys.back(), "v"}), "+OK\r\n");
  }
  std::vector<int> where = locate(pool.ports, keys);
  ASSERT_EQ(std::set<int>(where.begin(), where.end()).size(), 3u);

  auto scan_all = [&c](const Args& options, int* calls) {
    std::vector<std::string> seen;
    std::string cursor = "0";
    *calls = 0;
    do {
      Args scan = {"SCAN", cursor};
      scan.insert(scan.end(), options.begin(), options.end());
      Reply r = parse(c.call(scan));
      if (r.type != '*' || r.items.size() != 2) {
        ADD_FAILURE() << show(scan) << ": " << r.text;
        break;
      }
      cursor = parse(r.items[0]).text;
      for (const std::string& item : parse(r.items[1]).items) seen.push_back(parse(item).text);
    } while (cursor != "0" && ++*calls < 1000);
    return seen;
  };
  int calls = 0;
  EXPECT_TRUE(same_multiset(scan_all({"COUNT", "7"}, &calls), keys));
  EXPECT_GT(calls, 3) << "several calls per server at COUNT 7";
  std::vector<std::string> even;
  for (size_t i = 0; i < keys.size(); i += 2) even.push_back(keys[i]);
  EXPECT_TRUE(same_multiset(scan_all({"MATCH", "*scan-even*", "COUNT", "50"}, &calls), even));

  EXPECT_EQ(c.call({"SCAN", "3"}), "-ERR invalid cursor\r\n") << "server 3 of three";
  EXPECT_EQ(c.call({"SCAN", "x"}), "-ERR invalid cursor\r\n");
  EXPECT_EQ(c.call({"PING"}), "+PONG\r\n");
}

TEST_F(RedisCommandsFragmentation, FlushGoesToEveryServerWhenThePoolAllowsIt) {
  ThreeServerPool pool("flush", "  redis_allow_flush: true\n");
  Client c(pool.walnut.port());
  for (const Args& flush : {Args{"FLUSHDB"}, Args{"FLUSHALL", "SYNC"}}) {
    for (int i = 0; i < 30; ++i) ASSERT_EQ(c.call({"SET", spread_key("f", i), "v"}), "+OK\r\n");
    ASSERT_EQ(c.call({"DBSIZE"}), ":30\r\n");
    EXPECT_EQ(c.call(flush), "+OK\r\n") << show(flush);
    for (int port : pool.ports) {
      Client direct(port);
      EXPECT_EQ(direct.call({"DBSIZE"}), ":0\r\n") << show(flush) << " on port " << port;
    }
  }
}

// ---------------------------------------------------------------------------
// 3. Commands whose keys must share a server.

class RedisCommandsSameServer : public ThreeServerSuite<RedisCommandsSameServer> {
 public:
  static constexpr const char* kPoolName = "same";
};

TEST_F(RedisCommandsSameServer, KeysOnDifferentServersAreRefused) {
  // k1 and k1b on one server, k2 on another: found by writing through walnut.
  std::vector<std::string> cands;
  for (int i = 0; i < 60; ++i) cands.push_back(spread_key("cand", i));
  {
    Client w(walnut_->port());
    for (const auto& k : cands) ASSERT_EQ(w.call({"SET", k, "1"}), "+OK\r\n");
  }
  std::vector<int> where = locate(ports(), cands);
  std::string k1 = cands[0], k1b, k2;
  for (size_t i = 1; i < cands.size(); ++i) {
    if (where[i] == where[0] && k1b.empty()) k1b = cands[i];
    if (where[i] >= 0 && where[i] != where[0] && k2.empty()) k2 = cands[i];
  }
  ASSERT_FALSE(k1b.empty() || k2.empty()) << "could not find keys on two servers";
  for (int p : ports()) ASSERT_EQ(flushed(p), "+OK\r\n+OK\r\n");

  const std::string kErr = "-ERR keys in request don't hash to the same server\r\n";
  std::vector<Args> cross = {
      {"SINTER", k1, k2},
      {"SUNION", k1, k2},
      {"SDIFF", k1, k2},
      {"SINTER", k1, k1b, k2},
      {"SUNION", k2, k1, k1b},
      {"SINTERSTORE", k1, k2},
      {"SINTERSTORE", k1, k1b, k2},
      {"SMOVE", k1, k2, "m"},
      {"RPOPLPUSH", k1, k2},
      {"LMOVE", k1, k2, "LEFT", "RIGHT"},
      {"ZUNIONSTORE", k1, "2", k1, k2},
      {"ZUNIONSTORE", k1, "1", k2},
      {"ZUNIONSTORE", k1, "2", k1b, k2},
      {"ZINTERSTORE", k1, "2", k1, k2},
      {"ZINTERSTORE", k2, "1", k1},
      {"PFMERGE", k1, k2},
      {"PFCOUNT", k1, k2},
      {"RENAME", k1, k2},
      {"MSETNX", k1, "v", k2, "v"},
      {"MSETNX", k1, "v", k1b, "v", k2, "v"},
      {"EVAL", "return redis.call('set', KEYS[1], 'x')", "2", k1, k2},
  };
  Client c(walnut_->port());
  for (const Args& cmd : cross) {
    EXPECT_EQ(c.call(cmd), kErr) << show(cmd);
    EXPECT_EQ(c.call({"PING"}), "+PONG\r\n") << "connection open after " << show(cmd);
  }
  // Pipelined, the errors keep their places among other replies.
  c.send_raw(encode({"SET", k1, "a"}) + encode({"SUNION", k1, k2}) + encode({"GET", k1}));
  EXPECT_EQ(c.read_reply(), "+OK\r\n");
  EXPECT_EQ(c.read_reply(), kErr);
  EXPECT_EQ(c.read_reply(), bulk("a"));
  EXPECT_EQ(c.call({"DEL", k1}), ":1\r\n");
  // Nothing reached a server.
  for (int p : ports()) {
    Client d(p);
    EXPECT_EQ(d.call({"DBSIZE"}), ":0\r\n") << "a refused command wrote to server " << p;
  }
}

TEST_F(RedisCommandsSameServer, TaggedKeysWorkAndMatchRedis) {
  Script x;
  x({"SADD", "{t}s1", "a", "b", "c"});
  x({"SADD", "{t}s2", "b", "c", "d"});
  x({"SINTER", "{t}s1", "{t}s2"}, kSorted);
  x({"SUNION", "{t}s1", "{t}s2"}, kSorted);
  x({"SDIFF", "{t}s1", "{t}s2"}, kSorted);
  x({"SINTERSTORE", "{t}si", "{t}s1", "{t}s2"});
  x({"SMEMBERS", "{t}si"}, kSorted);
  x({"SMOVE", "{t}s1", "{t}s2", "a"});
  x({"SMEMBERS", "{t}s2"}, kSorted);
  x({"RPUSH", "{t}l1", "1", "2", "3"});
  x({"RPOPLPUSH", "{t}l1", "{t}l2"});
  x({"LMOVE", "{t}l1", "{t}l2", "LEFT", "RIGHT"});
  x({"LRANGE", "{t}l2", "0", "-1"});
  x({"ZADD", "{t}z1", "1", "a", "2", "b"});
  x({"ZADD", "{t}z2", "3", "b", "4", "c"});
  x({"ZUNIONSTORE", "{t}zu", "2", "{t}z1", "{t}z2"});
  x({"ZRANGE", "{t}zu", "0", "-1", "WITHSCORES"});
  x({"ZINTERSTORE", "{t}zi", "2", "{t}z1", "{t}z2"});
  x({"ZRANGE", "{t}zi", "0", "-1", "WITHSCORES"});
  x({"PFADD", "{t}h1", "a", "b"});
  x({"PFADD", "{t}h2", "b", "c", "d"});
  x({"PFCOUNT", "{t}h1", "{t}h2"});
  x({"PFMERGE", "{t}hm", "{t}h1", "{t}h2"});
  x({"PFCOUNT", "{t}hm"});
  x({"SET", "{t}r1", "v"});
  x({"RENAME", "{t}r1", "{t}r2"});
  x({"GET", "{t}r2"});
  x({"MSETNX", "{t}m1", "1", "{t}m2", "2"});
  x({"MSETNX", "{t}m2", "3", "{t}m3", "4"});
  x({"MGET", "{t}m1", "{t}m2", "{t}m3"});
  x({"EVAL", kScript2, "2", "{t}e1", "{t}e2", "x", "y"});
  x({"MGET", "{t}e1", "{t}e2"});
  int n = compare_runs(x.steps, oracle_->port(), walnut_->port(), "tagged");
  EXPECT_EQ(n, static_cast<int>(x.steps.size()));
  // All of it on one server.
  int holding = 0;
  for (int p : ports()) {
    Client d(p);
    holding += d.call({"DBSIZE"}) != ":0\r\n";
  }
  EXPECT_EQ(holding, 1);
}

}  // namespace
}  // namespace walnut::e2e
