// What walnut answers or arranges per connection, against real
// redis-servers: local and unsupported commands, redis_auth, redis_db, and
// real client tools (redis-cli, redis-benchmark) through walnut.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "tests/e2e/harness.h"
#include "tests/e2e/redis_pool_helpers.h"
#include "tests/e2e/resp_reply.h"

namespace walnut::e2e {
namespace {

using namespace std::chrono_literals;

// A redis-server that wants a password (the harness's RedisServer has none).
struct PasswordRedis {
  explicit PasswordRedis(const TempDir& dir) : port(free_port()) {
    std::string sub = dir.file("redis-auth-" + std::to_string(port));
    std::filesystem::create_directories(sub);
    process = Process({"/usr/bin/redis-server", "--port", std::to_string(port), "--bind",
                       "127.0.0.1", "--save", "", "--appendonly", "no", "--requirepass",
                       "secret", "--dir", sub, "--daemonize", "no"},
                      sub + "/redis.log");
    if (!wait_for_port(port, 10s)) {
      throw std::runtime_error("redis-server with a password did not start");
    }
  }
  int port;
  Process process;
};

// ---------------------------------------------------------------------------
// 1. Answered by walnut: local and unsupported commands.

class RedisCommandsLocal : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    server_ = new RedisServer(*dir_);
    walnut_ = new Walnut(*dir_, pool_yaml("local", {server_->port()}));
  }
  static void TearDownTestSuite() {
    delete walnut_;
    delete server_;
    delete dir_;
  }
  void SetUp() override { ASSERT_NE(walnut_, nullptr); }
  void TearDown() override {
    EXPECT_TRUE(walnut_->process().running()) << "walnut died: " << walnut_->log();
  }

  static TempDir* dir_;
  static RedisServer* server_;
  static Walnut* walnut_;
};

TempDir* RedisCommandsLocal::dir_ = nullptr;
RedisServer* RedisCommandsLocal::server_ = nullptr;
Walnut* RedisCommandsLocal::walnut_ = nullptr;

TEST_F(RedisCommandsLocal, PingEchoQuit) {
  Client c(walnut_->port());
  EXPECT_EQ(c.call({"PING"}), "+PONG\r\n");
  EXPECT_EQ(c.call({"PING", "hello"}), bulk("hello"));
  EXPECT_EQ(c.call({"ping", "two words"}), bulk("two words"));
  EXPECT_EQ(c.call({"ECHO", "echo me"}), bulk("echo me"));
  EXPECT_EQ(c.call({"QUIT"}), "+OK\r\n");
  EXPECT_TRUE(c.closed_by_peer(5s));
}

TEST_F(RedisCommandsLocal, CommandCountIsForwarded) {
  Client c(walnut_->port());
  Reply r = parse(c.call({"COMMAND", "COUNT"}));
  EXPECT_EQ(r.type, ':') << r.text;
  EXPECT_GT(std::atoll(r.text.c_str()), 100);
  EXPECT_EQ(c.call({"PING"}), "+PONG\r\n");
}

TEST_F(RedisCommandsLocal, EvalWithoutKeysIsAnError) {
  Client c(walnut_->port());
  std::string r = c.call({"EVAL", "return 1", "0"});
  EXPECT_EQ(r.rfind("-ERR ", 0), 0u) << printable(r);
  EXPECT_EQ(c.call({"PING"}), "+PONG\r\n");
}

TEST_F(RedisCommandsLocal, UnsupportedCommandsAreRefusedAndTheConnectionStays) {
  Client c(walnut_->port());
  ASSERT_EQ(c.call({"SET", "keep", "me"}), "+OK\r\n");
  std::vector<Args> refused = {
      {"CLUSTER", "INFO"},  {"SWAPDB", "0", "1"},
      {"CONFIG", "GET", "maxmemory"},
      {"MONITOR"},
      {"SHUTDOWN"},         {"ShutDown", "NOSAVE"},
  };
  for (const Args& cmd : refused) {
    std::string name = cmd[0];
    for (char& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    EXPECT_EQ(c.call(cmd), "-ERR unsupported command '" + name + "'\r\n") << show(cmd);
    EXPECT_EQ(c.call({"PING"}), "+PONG\r\n") << "connection open after " << show(cmd);
  }
  // Without redis_allow_flush, FLUSHALL and FLUSHDB are refused too.
  for (const Args& flush : {Args{"FLUSHALL"}, Args{"FlushAll", "ASYNC"}, Args{"flushdb"}}) {
    EXPECT_EQ(c.call(flush).rfind("-ERR FLUSH", 0), 0u) << show(flush);
    EXPECT_EQ(c.call({"PING"}), "+PONG\r\n") << "connection open after " << show(flush);
  }
  // Neither FLUSHALL nor SHUTDOWN reached the server.
  EXPECT_EQ(c.call({"GET", "keep"}), bulk("me"));
  Client direct(server_->port());
  EXPECT_EQ(direct.call({"GET", "keep"}), bulk("me"));
}

// The HELLO map's value for `field` (raw RESP), from the array `raw`.
std::string hello_field(const std::string& raw, const std::string& field) {
  Reply r = parse(raw);
  for (size_t i = 0; i + 1 < r.items.size(); i += 2) {
    if (parse(r.items[i]).text == field) return r.items[i + 1];
  }
  return "";
}

TEST_F(RedisCommandsLocal, HelloAndClientAnswerForTheCallingConnection) {
  Client a(walnut_->port());
  Client b(walnut_->port());
  const std::string hello = a.call({"HELLO", "2", "SETNAME", "alpha"});
  ASSERT_EQ(parse(hello).type, '*') << printable(hello);
  ASSERT_EQ(parse(hello).items.size(), 14u) << printable(hello);
  EXPECT_EQ(hello_field(hello, "server"), bulk("redis"));
  EXPECT_EQ(hello_field(hello, "proto"), ":2\r\n");
  EXPECT_EQ(hello_field(hello, "id"), a.call({"CLIENT", "ID"}));
  EXPECT_NE(a.call({"CLIENT", "ID"}), b.call({"CLIENT", "ID"})) << "ids are per connection";

  EXPECT_EQ(a.call({"CLIENT", "GETNAME"}), bulk("alpha"));
  EXPECT_EQ(b.call({"CLIENT", "GETNAME"}), "$-1\r\n") << "names are per connection";
  const std::string info = parse(a.call({"CLIENT", "INFO"})).text;
  EXPECT_NE(info.find(" addr=127.0.0.1:"), std::string::npos) << info;
  EXPECT_NE(info.find(" laddr=127.0.0.1:" + std::to_string(walnut_->port()) + " "),
            std::string::npos)
      << info;
  EXPECT_NE(info.find(" name=alpha "), std::string::npos) << info;
  EXPECT_EQ(parse(a.call({"CLIENT", "LIST"})).text,
            info.substr(0, info.find(" cmd=")) + " cmd=client|list" +
                info.substr(info.find(" user=")));

  // The name stays with walnut: the server's connections are shared.
  Client direct(server_->port());
  const std::string server_list = parse(direct.call({"CLIENT", "LIST"})).text;
  EXPECT_EQ(server_list.find("name=alpha"), std::string::npos) << server_list;

  // HELLO 3 is refused with NOPROTO; a client then falls back to RESP2 on
  // the same connection.
  EXPECT_EQ(b.call({"HELLO", "3"}),
            "-NOPROTO unsupported protocol version: walnut speaks RESP2 (HELLO 2)\r\n");
  EXPECT_EQ(b.call({"SET", "hello3", "fell back"}), "+OK\r\n");
  EXPECT_EQ(b.call({"GET", "hello3"}), bulk("fell back"));
}

TEST_F(RedisCommandsLocal, InfoGivesWalnutsOwnNumbersInRedisSections) {
  Client a(walnut_->port());
  Client b(walnut_->port());
  ASSERT_EQ(b.call({"SET", "info-k", "v"}), "+OK\r\n");
  const Reply info = parse(a.call({"INFO"}));
  ASSERT_EQ(info.type, '$') << info.text;
  EXPECT_EQ(info.text.rfind("# Server\r\nredis_version:", 0), 0u) << info.text;
  EXPECT_NE(info.text.find("\r\nconnected_clients:2\r\n"), std::string::npos) << info.text;
  EXPECT_NE(info.text.find("\r\n# Stats\r\n"), std::string::npos) << info.text;
  EXPECT_NE(info.text.find("\r\nprocess_id:" + std::to_string(walnut_->process().pid()) + "\r\n"),
            std::string::npos)
      << info.text;
  const Reply server = parse(a.call({"INFO", "SERVER"}));
  EXPECT_EQ(server.text.rfind("# Server\r\n", 0), 0u) << server.text;
  EXPECT_EQ(server.text.find("# Clients"), std::string::npos) << server.text;
  EXPECT_EQ(a.call({"PING"}), "+PONG\r\n");
}

TEST_F(RedisCommandsLocal, ScanOnAOneServerPoolIsTheServersOwn) {
  Client c(walnut_->port());
  for (int i = 0; i < 40; ++i) ASSERT_EQ(c.call({"SET", "scan1-" + std::to_string(i), "v"}), "+OK\r\n");
  Client direct(server_->port());
  std::string cursor = "0";
  for (int call = 0; call < 3; ++call) {
    const Args scan = {"SCAN", cursor, "COUNT", "5"};
    const std::string got = c.call(scan);
    EXPECT_EQ(got, direct.call(scan)) << show(scan);
    cursor = parse(parse(got).items.at(0)).text;
  }
}

TEST_F(RedisCommandsLocal, WrongArityIsRefusedAndTheConnectionStays) {
  Client c(walnut_->port());
  EXPECT_EQ(c.call({"GET"}), "-ERR wrong number of arguments for 'get' command\r\n");
  EXPECT_EQ(c.call({"PING"}), "+PONG\r\n");
  EXPECT_EQ(c.call({"get", "a", "b"}), "-ERR wrong number of arguments for 'get' command\r\n");
  EXPECT_EQ(c.call({"SET", "k"}), "-ERR wrong number of arguments for 'set' command\r\n");
  EXPECT_EQ(c.call({"SET", "k", "v"}), "+OK\r\n");
  EXPECT_EQ(c.call({"GET", "k"}), bulk("v"));
}

// ---------------------------------------------------------------------------
// 2. redis_auth.

class RedisCommandsAuth : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    locked_ = new PasswordRedis(*dir_);
    open_ = new RedisServer(*dir_);
    walnut_ = new Walnut(*dir_, pool_yaml("locked", {locked_->port}, "  redis_auth: secret\n"));
    plain_ = new Walnut(*dir_, pool_yaml("open", {open_->port()}));
  }
  static void TearDownTestSuite() {
    delete walnut_;
    delete plain_;
    delete locked_;
    delete open_;
    delete dir_;
  }
  void SetUp() override {
    ASSERT_NE(walnut_, nullptr);
    ASSERT_NE(plain_, nullptr);
  }
  void TearDown() override {
    EXPECT_TRUE(walnut_->process().running()) << "walnut died: " << walnut_->log();
    EXPECT_TRUE(plain_->process().running()) << "walnut died: " << plain_->log();
  }

  static TempDir* dir_;
  static PasswordRedis* locked_;
  static RedisServer* open_;
  static Walnut* walnut_;
  static Walnut* plain_;
};

TempDir* RedisCommandsAuth::dir_ = nullptr;
PasswordRedis* RedisCommandsAuth::locked_ = nullptr;
RedisServer* RedisCommandsAuth::open_ = nullptr;
Walnut* RedisCommandsAuth::walnut_ = nullptr;
Walnut* RedisCommandsAuth::plain_ = nullptr;

const char* const kNoAuth = "-NOAUTH Authentication required.\r\n";

TEST_F(RedisCommandsAuth, EveryCommandNeedsAuthFirst) {
  Client c(walnut_->port());
  EXPECT_EQ(c.call({"GET", "k"}), kNoAuth);
  EXPECT_EQ(c.call({"PING"}), kNoAuth);
  EXPECT_EQ(c.call({"SET", "k", "v"}), kNoAuth);
  EXPECT_EQ(c.call({"MGET", "a", "b"}), kNoAuth);
  EXPECT_EQ(c.call({"ECHO", "x"}), kNoAuth);
  Client direct(locked_->port);
  ASSERT_EQ(direct.call({"AUTH", "secret"}), "+OK\r\n");
  EXPECT_EQ(direct.call({"EXISTS", "k"}), ":0\r\n") << "nothing written before AUTH";
}

TEST_F(RedisCommandsAuth, WrongPasswordIsRefused) {
  Client c(walnut_->port());
  EXPECT_EQ(c.call({"AUTH", "wrong"}), "-ERR invalid password\r\n");
  EXPECT_EQ(c.call({"GET", "k"}), kNoAuth) << "still not authenticated";
  EXPECT_EQ(c.call({"AUTH", "bob", "secret"}),
            "-WRONGPASS invalid username-password pair or user is disabled.\r\n")
      << "only the user 'default' exists";
  EXPECT_EQ(c.call({"GET", "k"}), kNoAuth);
}

TEST_F(RedisCommandsAuth, RightPasswordUnlocksTheConnection) {
  Client c(walnut_->port());
  EXPECT_EQ(c.call({"AUTH", "secret"}), "+OK\r\n");
  EXPECT_EQ(c.call({"PING"}), "+PONG\r\n");
  EXPECT_EQ(c.call({"SET", "authed", "yes"}), "+OK\r\n");
  EXPECT_EQ(c.call({"GET", "authed"}), bulk("yes"));
  Client direct(locked_->port);
  ASSERT_EQ(direct.call({"AUTH", "secret"}), "+OK\r\n");
  EXPECT_EQ(direct.call({"GET", "authed"}), bulk("yes"));
  Client fresh(walnut_->port());
  EXPECT_EQ(fresh.call({"GET", "authed"}), kNoAuth) << "authentication is per connection";
  Client user(walnut_->port());
  EXPECT_EQ(user.call({"AUTH", "default", "secret"}), "+OK\r\n");
  EXPECT_EQ(user.call({"GET", "authed"}), bulk("yes"));
}

TEST_F(RedisCommandsAuth, HelloAuthUnlocksTheConnection) {
  Client c(walnut_->port());
  EXPECT_EQ(c.call({"HELLO", "2"}).rfind("-NOAUTH HELLO must be called with the client already "
                                         "authenticated",
                                         0),
            0u);
  EXPECT_EQ(c.call({"HELLO", "2", "AUTH", "default", "wrong"}),
            "-WRONGPASS invalid username-password pair or user is disabled.\r\n");
  EXPECT_EQ(c.call({"GET", "k"}), kNoAuth);
  EXPECT_EQ(parse(c.call({"HELLO", "2", "AUTH", "default", "secret"})).items.size(), 14u);
  EXPECT_EQ(c.call({"SET", "hello-auth", "yes"}), "+OK\r\n");
  EXPECT_EQ(c.call({"GET", "hello-auth"}), bulk("yes"));
}

TEST_F(RedisCommandsAuth, PoolWithoutPasswordRefusesAuth) {
  Client c(plain_->port());
  EXPECT_EQ(c.call({"AUTH", "x"}), "-ERR Client sent AUTH, but no password is set\r\n");
  EXPECT_EQ(c.call({"SET", "k", "v"}), "+OK\r\n");
  EXPECT_EQ(c.call({"GET", "k"}), bulk("v"));
}

// ---------------------------------------------------------------------------
// 3. redis_db.

class RedisCommandsDb : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    server_ = new RedisServer(*dir_);
    locked_ = new PasswordRedis(*dir_);
    db3_ = new Walnut(*dir_, pool_yaml("db3", {server_->port()}, "  redis_db: 3\n"));
    db5_ = new Walnut(*dir_, pool_yaml("db5", {locked_->port},
                                       "  redis_auth: secret\n  redis_db: 5\n"));
  }
  static void TearDownTestSuite() {
    delete db3_;
    delete db5_;
    delete server_;
    delete locked_;
    delete dir_;
  }
  void SetUp() override {
    ASSERT_NE(db3_, nullptr);
    ASSERT_NE(db5_, nullptr);
  }
  void TearDown() override {
    EXPECT_TRUE(db3_->process().running()) << "walnut died: " << db3_->log();
    EXPECT_TRUE(db5_->process().running()) << "walnut died: " << db5_->log();
  }

  static TempDir* dir_;
  static RedisServer* server_;
  static PasswordRedis* locked_;
  static Walnut* db3_;
  static Walnut* db5_;
};

TempDir* RedisCommandsDb::dir_ = nullptr;
RedisServer* RedisCommandsDb::server_ = nullptr;
PasswordRedis* RedisCommandsDb::locked_ = nullptr;
Walnut* RedisCommandsDb::db3_ = nullptr;
Walnut* RedisCommandsDb::db5_ = nullptr;

TEST_F(RedisCommandsDb, WritesLandInTheConfiguredDb) {
  Client c(db3_->port());
  ASSERT_EQ(c.call({"SET", "indb", "three"}), "+OK\r\n");
  EXPECT_EQ(c.call({"GET", "indb"}), bulk("three"));
  Client direct(server_->port());
  EXPECT_EQ(direct.call({"GET", "indb"}), "$-1\r\n") << "not in db 0";
  EXPECT_EQ(direct.call({"SELECT", "3"}), "+OK\r\n");
  EXPECT_EQ(direct.call({"GET", "indb"}), bulk("three"));
  EXPECT_EQ(direct.call({"DBSIZE"}), ":1\r\n");
}

TEST_F(RedisCommandsDb, AuthAndDbTogether) {
  Client c(db5_->port());
  EXPECT_EQ(c.call({"GET", "x"}), kNoAuth);
  ASSERT_EQ(c.call({"AUTH", "secret"}), "+OK\r\n");
  ASSERT_EQ(c.call({"SET", "indb", "five"}), "+OK\r\n");
  EXPECT_EQ(c.call({"GET", "indb"}), bulk("five"));
  Client direct(locked_->port);
  ASSERT_EQ(direct.call({"AUTH", "secret"}), "+OK\r\n");
  EXPECT_EQ(direct.call({"GET", "indb"}), "$-1\r\n") << "not in db 0";
  EXPECT_EQ(direct.call({"SELECT", "5"}), "+OK\r\n");
  EXPECT_EQ(direct.call({"GET", "indb"}), bulk("five"));
}

TEST_F(RedisCommandsDb, ClientSelectOfThePoolDbOnly) {
  Client c(db3_->port());
  ASSERT_EQ(c.call({"SET", "sel", "v"}), "+OK\r\n");
  EXPECT_EQ(c.call({"SELECT", "3"}), "+OK\r\n");
  // The error says what is wrong and how to get db 0.
  EXPECT_EQ(c.call({"SELECT", "0"}),
            "-ERR SELECT 0 refused: this walnut pool serves db 3 only; a pool with "
            "'redis_db: 0' serves db 0\r\n");
  EXPECT_EQ(c.call({"GET", "sel"}), bulk("v")) << "still db 3, connection open";
}

// ---------------------------------------------------------------------------
// 4. Real clients.

class RedisCommandsClients : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    a_ = new RedisServer(*dir_);
    b_ = new RedisServer(*dir_);
    walnut_ = new Walnut(*dir_, pool_yaml("tools", {a_->port(), b_->port()}));
  }
  static void TearDownTestSuite() {
    delete walnut_;
    delete a_;
    delete b_;
    delete dir_;
  }
  void SetUp() override { ASSERT_NE(walnut_, nullptr); }
  void TearDown() override {
    EXPECT_TRUE(walnut_->process().running()) << "walnut died: " << walnut_->log();
  }

  static TempDir* dir_;
  static RedisServer* a_;
  static RedisServer* b_;
  static Walnut* walnut_;
};

TempDir* RedisCommandsClients::dir_ = nullptr;
RedisServer* RedisCommandsClients::a_ = nullptr;
RedisServer* RedisCommandsClients::b_ = nullptr;
Walnut* RedisCommandsClients::walnut_ = nullptr;

TEST_F(RedisCommandsClients, RedisCliSetGetMget) {
  const std::string p = std::to_string(walnut_->port());
  std::string out;
  std::vector<std::string> keys;
  Args mget = {"/usr/bin/redis-cli", "-p", p, "MGET"};
  std::string want;
  for (int i = 0; i < 20; ++i) {
    keys.push_back(spread_key("cli", i));
    ASSERT_EQ(run_command({"/usr/bin/redis-cli", "-p", p, "SET", keys.back(),
                           "val" + std::to_string(i)},
                          &out, 20s),
              0)
        << out;
    EXPECT_EQ(out, "OK\n");
    mget.push_back(keys.back());
    want += "val" + std::to_string(i) + "\n";
  }
  std::vector<int> where = locate({a_->port(), b_->port()}, keys);
  int on_a = static_cast<int>(std::count(where.begin(), where.end(), 0));
  int on_b = static_cast<int>(std::count(where.begin(), where.end(), 1));
  EXPECT_EQ(on_a + on_b, 20);
  EXPECT_GT(on_a, 0);
  EXPECT_GT(on_b, 0);
  ASSERT_EQ(run_command({"/usr/bin/redis-cli", "-p", p, "GET", keys[7]}, &out, 20s), 0) << out;
  EXPECT_EQ(out, "val7\n");
  mget.push_back("missing:cli:key");
  ASSERT_EQ(run_command(mget, &out, 20s), 0) << out;
  EXPECT_EQ(out, want + "\n");
}

TEST_F(RedisCommandsClients, RedisBenchmarkFinishesWithoutErrors) {
  std::string out;
  int rc = run_command({"/usr/bin/redis-benchmark", "-p", std::to_string(walnut_->port()),
                        "-q", "-t", "mset,lpush,lpop,sadd,hset,incr", "-n", "20000"},
                       &out, 120s);
  EXPECT_EQ(rc, 0) << out;
  // Each test ends with "NAME: <rate> requests per second" (MSET says
  // "MSET (10 keys): ..."); progress lines before it end in CR, not LF.
  for (const std::string name : {"MSET (10 keys):", "LPUSH:", "LPOP:", "SADD:", "HSET:", "INCR:"}) {
    bool done = false;
    for (size_t at = out.find(name); at != std::string::npos && !done;
         at = out.find(name, at + 1)) {
      size_t i = at + name.size();
      if (i >= out.size() || out[i] != ' ') continue;
      size_t digits = ++i;
      while (i < out.size() && std::strchr("0123456789.", out[i]) != nullptr && out[i]) ++i;
      done = i > digits && out.compare(i, 20, " requests per second") == 0;
    }
    EXPECT_TRUE(done) << "no final rate for " << name << "\n" << out;
  }
  std::string rest = out;
  size_t warn = rest.find("WARNING: Could not fetch server CONFIG");
  if (warn != std::string::npos) rest.erase(warn, rest.find('\n', warn) - warn);
  EXPECT_EQ(rest.find("rror"), std::string::npos) << out;
}

}  // namespace
}  // namespace walnut::e2e
