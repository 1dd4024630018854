// walnut in front of masters that Redis Sentinel watches (`sentinels:`):
// the master found by its name whatever the file guessed, a failover
// followed under a checked write load, a killed master's promotion
// followed, read_policy sending reads to the replica, and Sentinels that
// do not answer. One real setup (a master, a replica, three Sentinels) is
// shared by the suite; each test asks it how things are now.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tests/e2e/harness.h"
#include "tests/e2e/resp_reply.h"
#include "tests/e2e/sentinel_group.h"
#include "tests/e2e/stats_json.h"

namespace walnut::e2e {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

long long ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(b - a).count();
}

// How many times `command` ran on the Redis at `port` since its stats were
// last reset (INFO commandstats).
long long calls_of(SentinelGroup& group, int port, const std::string& command) {
  const std::string info = parse(group.call(port, {"INFO", "commandstats"})).text;
  const std::string key = "cmdstat_" + command + ":calls=";
  const size_t at = info.find(key);
  return at == std::string::npos ? 0 : std::stoll(info.substr(at + key.size()));
}

class SentinelProxy : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { group_ = new SentinelGroup(); }
  static void TearDownTestSuite() {
    delete group_;
    group_ = nullptr;
  }
  void SetUp() override { group_->wait_settled(); }

  // A pool on the group's master, by its name, with `extra` keys; the
  // server line's address is `guess_port` (a first guess only).
  static std::string pool(int guess_port, const std::string& extra = "",
                          const std::string& sentinels = "") {
    return "watched:\n"
           "  listen: 127.0.0.1:LISTEN_PORT\n"
           "  redis: true\n"
           "  timeout: 1000\n" +
           extra + (sentinels.empty() ? group_->sentinels_yaml() : sentinels) +
           "  servers:\n"
           "    - 127.0.0.1:" +
           std::to_string(guess_port) + ":1 " + group_->name() + "\n";
  }

  static std::vector<std::string> stats_args(int stats_port) {
    return {"-s", std::to_string(stats_port), "-i", "10"};
  }

  // The stats name of the replica on `port`.
  static std::string replica_name(int port) {
    return "127.0.0.1:" + std::to_string(port) + " (replica)";
  }

  // walnut on the group's master with `read_policy: <policy>` (and
  // `extra` keys), stats on, once it knows the first replica.
  struct ReadingWalnut {
    explicit ReadingWalnut(const std::string& policy, const std::string& extra = "")
        : walnut(dir, pool(group_->master_port(), "  read_policy: " + policy + "\n" + extra),
                 stats_args(stats_port)) {
      read_stats_until(stats_port, [&](const Json& doc) {
        return doc.get("watched") != nullptr &&
               doc.get("watched")->get(replica_name(group_->replica_ports().at(0))) != nullptr;
      });
    }
    int port() const { return walnut.port(); }

    const int stats_port = free_port();
    TempDir dir;
    Walnut walnut;
  };

  static SentinelGroup* group_;
};

SentinelGroup* SentinelProxy::group_ = nullptr;

TEST_F(SentinelProxy, TheMasterIsFoundByNameWhateverTheFileGuessed) {
  const int master = group_->master_port();
  const int replica = group_->replica_ports().at(0);
  const int stats_port = free_port();
  TempDir dir;
  // The file names the replica: Sentinel corrects it.
  Walnut walnut(dir, pool(replica), stats_args(stats_port));
  StatsSnapshot s = read_stats_until(stats_port, [&](const Json& doc) {
    const Json* server = doc.get("watched") ? doc.get("watched")->get(group_->name()) : nullptr;
    return server != nullptr && server->get("address") != nullptr &&
           server->get("address")->text == "127.0.0.1:" + std::to_string(master);
  });
  ASSERT_NE(s.doc, nullptr);
  const Json* server = s.doc->get("watched")->get(group_->name());
  ASSERT_NE(server, nullptr) << s.text;
  EXPECT_EQ(server->get("address")->text, "127.0.0.1:" + std::to_string(master)) << s.text;
  EXPECT_EQ(server->get("role")->text, "master");
  EXPECT_EQ(number_at(*s.doc, {"watched", group_->name(), "failovers"}), 0u)
      << "correcting the file's guess is no failover";

  Client c(walnut.port());
  EXPECT_EQ(c.call({"SET", "found-by-name", "yes"}), "+OK\r\n");
  EXPECT_EQ(group_->call(master, {"GET", "found-by-name"}), "$3\r\nyes\r\n");
}

// A write loop through walnut: SET w:<i> <i> one after another on one
// connection (a new one when walnut closes it), noting which were
// acknowledged and when the last error was.
class WriteLoop {
 public:
  explicit WriteLoop(int port) : port_(port), thread_([this] { run(); }) {}
  ~WriteLoop() { stop(); }
  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  const std::map<int, bool>& acknowledged() const { return acked_; }
  const std::vector<std::string>& errors() const { return errors_; }
  Clock::time_point last_error() const { return last_error_; }
  int sent() const { return sent_; }

 private:
  void run() {
    auto c = std::make_unique<Client>(port_);
    const auto t0 = Clock::now();
    // About a thousand a second: enough to see a failover's every moment,
    // few enough to check each one after.
    for (int i = 0; !stop_ && i < 100000 && Clock::now() - t0 < 120s; ++i) {
      std::this_thread::sleep_for(1ms);
      const std::string r = c->call({"SET", "w:" + std::to_string(i), std::to_string(i)});
      ++sent_;
      if (r == "+OK\r\n") {
        acked_[i] = true;
      } else {
        errors_.push_back(r.empty() ? "(connection closed)" : printable(r));
        last_error_ = Clock::now();
        if (r.empty()) c = std::make_unique<Client>(port_);
        std::this_thread::sleep_for(5ms);
      }
    }
  }

  int port_;
  std::atomic<bool> stop_{false};
  std::map<int, bool> acked_;
  std::vector<std::string> errors_;
  Clock::time_point last_error_{};
  int sent_ = 0;
  std::thread thread_;
};

TEST_F(SentinelProxy, AFailoverUnderWriteLoadIsFollowedWithinTwoSeconds) {
  const int stats_port = free_port();
  TempDir dir;
  Walnut walnut(dir, pool(group_->master_port()), stats_args(stats_port));
  {
    Client c(walnut.port());
    ASSERT_EQ(c.call({"SET", "before", "failover"}), "+OK\r\n");
  }
  WriteLoop writes(walnut.port());
  std::this_thread::sleep_for(300ms);
  const int old_master = group_->master_port();
  const auto asked = Clock::now();
  const int new_master = group_->failover();
  const auto switched = Clock::now();
  std::cout << "  [failover] settled " << ms_between(asked, switched) << " ms after SENTINEL FAILOVER\n";
  // Writes keep going a while on the new master.
  std::this_thread::sleep_for(1500ms);
  writes.stop();

  ASSERT_NE(new_master, old_master);
  EXPECT_GT(writes.sent(), 100) << "the write loop ran";
  if (!writes.errors().empty()) {
    std::cout << "  [failover] " << writes.errors().size() << " errors, first: "
              << writes.errors().front() << "\n";
    EXPECT_LE(ms_between(switched, writes.last_error()), 2000)
        << "writes succeed again within 2 s of the switch; last error: " << writes.errors().back();
  }
  // Every acknowledged write Redis kept holds its own value; count those it
  // did not keep (acknowledged by the old master in the moment before the
  // switch, the loss Redis's asynchronous replication allows).
  Client check(walnut.port());
  int wrong = 0;
  int lost = 0;
  for (const auto& [i, ok] : writes.acknowledged()) {
    const std::string r = check.call({"GET", "w:" + std::to_string(i)});
    if (r == "$-1\r\n") {
      ++lost;
    } else if (r != bulk(std::to_string(i))) {
      ++wrong;
    }
  }
  std::cout << "  [failover] " << writes.acknowledged().size() << " writes acknowledged, "
            << lost << " not kept by Redis, " << wrong << " wrong\n";
  EXPECT_EQ(wrong, 0);
  EXPECT_EQ(check.call({"GET", "before"}), "$8\r\nfailover\r\n");
  // Served by the new master now.
  EXPECT_EQ(check.call({"SET", "after", "failover"}), "+OK\r\n");
  EXPECT_EQ(group_->call(new_master, {"GET", "after"}), "$8\r\nfailover\r\n");
  EXPECT_GE(await_stat(stats_port, {"watched", group_->name(), "failovers"}, 1), 1u);
}

TEST_F(SentinelProxy, AKilledMastersPromotionIsFollowed) {
  TempDir dir;
  Walnut walnut(dir, pool(group_->master_port()));
  Client c(walnut.port());
  ASSERT_EQ(c.call({"SET", "survives", "kill"}), "+OK\r\n");
  ASSERT_EQ(group_->call(group_->master_port(), {"WAIT", "1", "2000"}), ":1\r\n");

  const int killed = group_->kill_master();
  const auto t0 = Clock::now();
  const int promoted = group_->wait_for_promotion(killed);
  const auto promoted_at = Clock::now();
  std::cout << "  [kill] promoted after " << ms_between(t0, promoted_at) << " ms\n";
  // walnut follows: a write succeeds within a few seconds of the promotion.
  std::string r;
  auto client = std::make_unique<Client>(walnut.port());
  for (int tries = 0; tries < 100 && Clock::now() - promoted_at < 5s; ++tries) {
    r = client->call({"SET", "after", "kill"});
    if (r == "+OK\r\n") break;
    EXPECT_TRUE(r.empty() || r.rfind("-ERR", 0) == 0) << printable(r);
    if (r.empty()) client = std::make_unique<Client>(walnut.port());
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_EQ(r, "+OK\r\n");
  EXPECT_EQ(group_->call(promoted, {"GET", "after"}), "$4\r\nkill\r\n");
  EXPECT_EQ(client->call({"GET", "survives"}), "$4\r\nkill\r\n");

  group_->restart_data_node(killed);  // back as a replica, for the next tests
}

TEST_F(SentinelProxy, ReadPolicyReplicaSendsReadsToTheReplica) {
  const int master = group_->master_port();
  const int replica = group_->replica_ports().at(0);
  ReadingWalnut walnut("replica");
  const std::string replica_stats = replica_name(replica);
  Client c(walnut.port());
  ASSERT_EQ(c.call({"SET", "read-me", "1"}), "+OK\r\n");
  ASSERT_EQ(group_->call(master, {"WAIT", "1", "2000"}), ":1\r\n");
  for (int port : {master, replica}) group_->call(port, {"CONFIG", "RESETSTAT"});

  for (int i = 0; i < 50; ++i) EXPECT_EQ(c.call({"GET", "read-me"}), "$1\r\n1\r\n");
  EXPECT_EQ(c.call({"MGET", "read-me", "nope"}), "*2\r\n$1\r\n1\r\n$-1\r\n");
  EXPECT_EQ(c.call({"SET", "written", "2"}), "+OK\r\n");

  EXPECT_EQ(calls_of(*group_, replica, "get"), 50);
  EXPECT_EQ(calls_of(*group_, replica, "mget"), 1);
  EXPECT_EQ(calls_of(*group_, master, "get"), 0);
  EXPECT_EQ(calls_of(*group_, master, "mget"), 0);
  EXPECT_EQ(calls_of(*group_, master, "set"), 1) << "writes go to the master";
  EXPECT_GE(await_stat(walnut.stats_port, {"watched", replica_stats, "requests"}, 51), 51u);
  // The reads read_policy sent, per server.
  StatsSnapshot s = read_stats_until(walnut.stats_port, [&](const Json& doc) {
    return number_at(doc, {"watched", replica_stats, "policy_reads"}) >= 51;
  });
  ASSERT_NE(s.doc, nullptr);
  EXPECT_EQ(number_at(*s.doc, {"watched", replica_stats, "policy_reads"}), 51u);
  EXPECT_EQ(number_at(*s.doc, {"watched", group_->name(), "policy_reads"}), 0u);
  EXPECT_NE(s.doc->get("watched")->get(group_->name())->get("policy_reads"), nullptr);
}

TEST_F(SentinelProxy, ReadsFollowAFailoverAndThePromotedReplicaLeavesNoConnection) {
  const int old_master = group_->master_port();
  const int old_replica = group_->replica_ports().at(0);
  ReadingWalnut walnut("replica", "  server_heartbeat: 200\n");
  const std::vector<std::string> promoted_stats = {"watched", replica_name(old_replica),
                                                   "server_connections"};
  Client c(walnut.port());
  ASSERT_EQ(c.call({"SET", "follow", "1"}), "+OK\r\n");
  ASSERT_EQ(group_->call(old_master, {"WAIT", "1", "2000"}), ":1\r\n");
  EXPECT_EQ(c.call({"GET", "follow"}), "$1\r\n1\r\n");
  EXPECT_EQ(await_stat(walnut.stats_port, promoted_stats, 1), 1u);

  ASSERT_EQ(group_->failover(), old_replica);
  // The old master, a replica now, serves the reads once Sentinel lists it.
  EXPECT_TRUE(wait_until(
      [&] {
        group_->call(old_master, {"CONFIG", "RESETSTAT"});
        c.call({"GET", "follow"});
        return calls_of(*group_, old_master, "get") == 1;
      },
      10s))
      << "reads go to the new replica";
  // The promoted replica is a master only: walnut keeps no replica's
  // connection to it (nor opens one with the heartbeat).
  StatsSnapshot s = read_stats_until(walnut.stats_port, [&](const Json& doc) {
    return number_at(doc, promoted_stats) == 0;
  });
  ASSERT_NE(s.doc, nullptr);
  EXPECT_EQ(number_at(*s.doc, promoted_stats), 0u);
  std::this_thread::sleep_for(500ms);  // heartbeats came and went
  EXPECT_EQ(await_stat(walnut.stats_port, {"watched", group_->name(), "server_connections"}, 1), 1u);
  s = read_stats_until(walnut.stats_port, [](const Json&) { return true; });
  ASSERT_NE(s.doc, nullptr);
  EXPECT_EQ(number_at(*s.doc, promoted_stats), 0u);
}

TEST_F(SentinelProxy, ReadsOfAClientThatWatchesGoToTheMaster) {
  // WATCH guards a read-then-write: a read from a replica that lags would
  // let EXEC write over a value the client never saw.
  const int master = group_->master_port();
  const int replica = group_->replica_ports().at(0);
  ReadingWalnut walnut("replica");
  Client c(walnut.port());
  ASSERT_EQ(c.call({"SET", "watched-key", "1"}), "+OK\r\n");
  ASSERT_EQ(group_->call(master, {"WAIT", "1", "2000"}), ":1\r\n");
  for (int port : {master, replica}) group_->call(port, {"CONFIG", "RESETSTAT"});

  ASSERT_EQ(c.call({"WATCH", "watched-key"}), "+OK\r\n");
  EXPECT_EQ(c.call({"GET", "watched-key"}), "$1\r\n1\r\n");
  EXPECT_EQ(c.call({"MGET", "watched-key", "other"}), "*2\r\n$1\r\n1\r\n$-1\r\n");
  ASSERT_EQ(c.call({"MULTI"}), "+OK\r\n");
  ASSERT_EQ(c.call({"SET", "watched-key", "2"}), "+QUEUED\r\n");
  ASSERT_EQ(c.call({"EXEC"}), "*1\r\n+OK\r\n");
  EXPECT_EQ(calls_of(*group_, master, "get"), 1);
  EXPECT_EQ(calls_of(*group_, master, "mget"), 1);
  EXPECT_EQ(calls_of(*group_, replica, "get"), 0);
  EXPECT_EQ(calls_of(*group_, replica, "mget"), 0);

  // The watch ended with EXEC: reads go by the policy again.
  c.call({"GET", "watched-key"});
  EXPECT_EQ(calls_of(*group_, replica, "get"), 1);
  EXPECT_EQ(calls_of(*group_, master, "get"), 1);
}

TEST_F(SentinelProxy, AWholeKeyspaceCommandRunsInATransactionOfTheOneMaster) {
  // The replicas walnut found are no servers of the keyspace: a pool of one
  // master runs DBSIZE inside MULTI as a pool of one server does.
  ReadingWalnut walnut("replica");
  Client c(walnut.port());
  ASSERT_EQ(c.call({"MULTI"}), "+OK\r\n");
  EXPECT_EQ(c.call({"DBSIZE"}), "+QUEUED\r\n");
  const std::string exec = c.call({"EXEC"});
  EXPECT_EQ(exec.rfind("*1\r\n:", 0), 0u) << printable(exec);
}

TEST_F(SentinelProxy, APatternSubscriptionHearsEachMessageOnce) {
  // Replicas hear what their master publishes (PUBLISH is replicated): a
  // pattern subscribed on them too would hear each message twice.
  const int master = group_->master_port();
  ReadingWalnut walnut("replica");
  Client sub(walnut.port());
  ASSERT_EQ(sub.call({"PSUBSCRIBE", "news.*"}), "*3\r\n$10\r\npsubscribe\r\n$6\r\nnews.*\r\n:1\r\n");
  EXPECT_EQ(group_->call(master, {"PUBLISH", "news.1", "first"}), ":1\r\n");
  EXPECT_EQ(group_->call(master, {"PUBLISH", "news.2", "second"}), ":1\r\n");
  const std::string first = sub.read_reply();
  const std::string second = sub.read_reply();
  EXPECT_EQ(first, "*4\r\n$8\r\npmessage\r\n$6\r\nnews.*\r\n$6\r\nnews.1\r\n$5\r\nfirst\r\n");
  EXPECT_EQ(second, "*4\r\n$8\r\npmessage\r\n$6\r\nnews.*\r\n$6\r\nnews.2\r\n$6\r\nsecond\r\n");
}

TEST_F(SentinelProxy, ReadPolicyMasterAndPreferMasterReadFromTheMaster) {
  for (const char* policy : {"master", "prefer_master"}) {
    const int master = group_->master_port();
    const int replica = group_->replica_ports().at(0);
    TempDir dir;
    Walnut walnut(dir, pool(master, std::string("  read_policy: ") + policy + "\n"));
    Client c(walnut.port());
    ASSERT_EQ(c.call({"SET", "read-me", "1"}), "+OK\r\n");
    std::this_thread::sleep_for(300ms);  // the replicas are known
    for (int port : {master, replica}) group_->call(port, {"CONFIG", "RESETSTAT"});
    for (int i = 0; i < 20; ++i) EXPECT_EQ(c.call({"GET", "read-me"}), "$1\r\n1\r\n");
    EXPECT_EQ(calls_of(*group_, master, "get"), 20) << policy;
    EXPECT_EQ(calls_of(*group_, replica, "get"), 0) << policy;
  }
}

TEST_F(SentinelProxy, ReadPolicyAnySpreadsReadsOverMasterAndReplica) {
  const int master = group_->master_port();
  const int replica = group_->replica_ports().at(0);
  ReadingWalnut walnut("any");
  const std::string replica_stats = replica_name(replica);
  Client c(walnut.port());
  ASSERT_EQ(c.call({"SET", "anywhere", "1"}), "+OK\r\n");
  ASSERT_EQ(group_->call(master, {"WAIT", "1", "2000"}), ":1\r\n");
  for (int port : {master, replica}) group_->call(port, {"CONFIG", "RESETSTAT"});
  for (int i = 0; i < 40; ++i) EXPECT_EQ(c.call({"GET", "anywhere"}), "$1\r\n1\r\n");
  // In turn: half each.
  EXPECT_EQ(calls_of(*group_, master, "get"), 20);
  EXPECT_EQ(calls_of(*group_, replica, "get"), 20);
  StatsSnapshot s = read_stats_until(walnut.stats_port, [&](const Json& doc) {
    return number_at(doc, {"watched", group_->name(), "policy_reads"}) >= 20 &&
           number_at(doc, {"watched", replica_name(replica), "policy_reads"}) >= 20;
  });
  ASSERT_NE(s.doc, nullptr);
  EXPECT_EQ(number_at(*s.doc, {"watched", group_->name(), "policy_reads"}), 20u);
  EXPECT_EQ(number_at(*s.doc, {"watched", replica_name(replica), "policy_reads"}), 20u);
}

TEST_F(SentinelProxy, PreferReplicaReadsFromTheMasterWhileTheReplicaIsDown) {
  const int master = group_->master_port();
  const int replica = group_->replica_ports().at(0);
  ReadingWalnut walnut("prefer_replica");
  const std::string replica_stats = replica_name(replica);
  Client c(walnut.port());
  ASSERT_EQ(c.call({"SET", "prefer", "1"}), "+OK\r\n");
  ASSERT_EQ(group_->call(master, {"WAIT", "1", "2000"}), ":1\r\n");
  EXPECT_EQ(c.call({"GET", "prefer"}), "$1\r\n1\r\n");
  EXPECT_GE(await_stat(walnut.stats_port, {"watched", replica_stats, "responses"}, 1), 1u);

  // A read the replica had when it died is answered by the master; so are
  // the reads after it, with no error.
  // So is a large one (an MGET of about 100 kB, past the size whose bytes
  // walnut gives back once written).
  Args mget = {"MGET", "prefer"};
  std::string nils;
  for (int i = 0; i < 3000; ++i) {
    mget.push_back("prefer-missing-key:" + std::to_string(i));
    nils += "$-1\r\n";
  }
  group_->pause_data_node(replica, true);
  c.send({"GET", "prefer"});
  c.send(mget);
  std::this_thread::sleep_for(200ms);  // written, never to be answered
  group_->kill_data_node(replica);
  EXPECT_EQ(c.read_reply(), "$1\r\n1\r\n");
  const std::string large = c.read_reply();
  EXPECT_EQ(large, "*3001\r\n$1\r\n1\r\n" + nils) << printable(large.substr(0, 200));
  group_->call(master, {"CONFIG", "RESETSTAT"});
  for (int i = 0; i < 20; ++i) EXPECT_EQ(c.call({"GET", "prefer"}), "$1\r\n1\r\n") << i;
  EXPECT_EQ(calls_of(*group_, master, "get"), 20);

  // Back (and listed usable by Sentinel again): reads are the replica's.
  group_->restart_data_node(replica);
  group_->wait_settled();
  EXPECT_TRUE(wait_until(
      [&] {
        group_->call(replica, {"CONFIG", "RESETSTAT"});
        EXPECT_EQ(c.call({"GET", "prefer"}), "$1\r\n1\r\n");
        return calls_of(*group_, replica, "get") == 1;
      },
      10s))
      << "reads went back to the restarted replica";
}

TEST_F(SentinelProxy, ASentinelThatIsDownIsPassedOver) {
  // The first Sentinel listed does not exist: the others answer.
  std::string sentinels = "  sentinels:\n    - 127.0.0.1:" + std::to_string(free_port()) + "\n";
  for (int port : group_->sentinel_ports()) {
    sentinels += "    - 127.0.0.1:" + std::to_string(port) + "\n";
  }
  const int master = group_->master_port();
  const int replica = group_->replica_ports().at(0);
  TempDir dir;
  Walnut walnut(dir, pool(replica, "", sentinels));
  Client c(walnut.port());
  std::string r;
  wait_until(
      [&] {
        r = c.call({"SET", "passed-over", "1"});
        return r == "+OK\r\n";
      },
      10s);
  EXPECT_EQ(r, "+OK\r\n") << "the guess was the replica; Sentinel names the master";
  EXPECT_EQ(group_->call(master, {"GET", "passed-over"}), "$1\r\n1\r\n");
}

TEST_F(SentinelProxy, WithEverySentinelDownTheLastAddressStays) {
  const int master = group_->master_port();
  TempDir dir;
  Walnut walnut(dir, pool(master));
  Client c(walnut.port());
  ASSERT_EQ(c.call({"SET", "k", "1"}), "+OK\r\n");
  const std::vector<int> sentinels = group_->sentinel_ports();
  for (int port : sentinels) group_->kill_sentinel(port);
  std::this_thread::sleep_for(2500ms);  // a few rounds with nobody answering
  for (int i = 0; i < 10; ++i) EXPECT_EQ(c.call({"GET", "k"}), "$1\r\n1\r\n");
  for (int port : sentinels) group_->restart_sentinel(port);
  EXPECT_NE(walnut.log().find("keeping the last known addresses"), std::string::npos)
      << walnut.log();
}

}  // namespace
}  // namespace walnut::e2e
