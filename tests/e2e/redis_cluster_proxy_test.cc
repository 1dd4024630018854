// walnut in front of a real Redis Cluster (redis_cluster: true): every key
// on its slot's master, split requests over every master, Redis's own
// CROSSSLOT, and the cluster changing under a client that sees one Redis:
// a slot moved behind walnut's back (MOVED), a slot migration read half-way
// (ASK), a manual failover under writes, a master killed. The cluster is
// started once for the suite and its tests take it as it is now (an earlier
// test may have moved slots or swapped masters); each test starts its own
// walnut, so its counters start at zero.
#include <gtest/gtest.h>

#include <atomic>
#include <cctype>
#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/e2e/cluster_key_slot.h"
#include "tests/e2e/cluster_pool_helpers.h"
#include "tests/e2e/cluster_slots.h"
#include "tests/e2e/fake_cluster_node.h"
#include "tests/e2e/harness.h"
#include "tests/e2e/redis_cluster.h"
#include "tests/e2e/redis_pool_helpers.h"
#include "tests/e2e/stats_json.h"

namespace walnut::e2e {
namespace {

using namespace std::chrono_literals;


bool is_error(const std::string& reply) { return reply.empty() || reply[0] == '-'; }

class ClusterProxy : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    RedisClusterOptions options;
    // The other masters keep serving while one is down, as a user who
    // wants one failed node to cost only its own keys sets it.
    options.extra_args = {"--cluster-require-full-coverage", "no"};
    cluster_ = new RedisCluster(options);
  }
  static void TearDownTestSuite() {
    delete cluster_;
    cluster_ = nullptr;
  }

  void SetUp() override {
    cluster_->wait_ok();
    stats_port_ = free_port();
    // One seed: walnut finds the other masters in the slot map.
    walnut_ = std::make_unique<Walnut>(dir_, cluster_yaml({cluster_->master_ports()[0]}),
                                       std::vector<std::string>{"-s", std::to_string(stats_port_),
                                                                "-i", "50"});
  }

  // A master other than the one at `port`.
  static int other_master(int port) {
    int other = -1;
    for (int p : cluster_->master_ports()) {
      if (p != port) other = p;
    }
    return other;
  }
  // A key `prefix`:<n> that the master at `port` holds, or "".
  static std::string key_held_by(int port, const std::string& prefix) {
    for (int i = 0; i < 10000; ++i) {
      std::string k = prefix + ":" + std::to_string(i);
      if (cluster_->master_of_slot(key_slot(k)) == port) return k;
    }
    return "";
  }

  unsigned long long stat(const std::string& field, unsigned long long least) {
    return await_stat(stats_port_, {"cl", field}, least);
  }

  static RedisCluster* cluster_;
  TempDir dir_;
  int stats_port_ = 0;
  std::unique_ptr<Walnut> walnut_;
};

RedisCluster* ClusterProxy::cluster_ = nullptr;

TEST_F(ClusterProxy, OneSetAndGet) {
  Client c(walnut_->port());
  ASSERT_EQ(c.call({"SET", "one", "1"}), "+OK\r\n");
  EXPECT_EQ(c.call({"GET", "one"}), bulk("1"));
  EXPECT_EQ(cluster_->call(cluster_->master_of_slot(key_slot("one")), {"GET", "one"}), bulk("1"));
}

TEST_F(ClusterProxy, EveryKeyOnItsSlotsMaster) {
  Client c(walnut_->port());
  constexpr int kKeys = 300;
  for (int i = 0; i < kKeys; ++i) {
    const std::string key = "place:" + std::to_string(i);
    ASSERT_EQ(c.call({"SET", key, "v" + std::to_string(i)}), "+OK\r\n") << key;
  }
  const std::vector<int> masters = cluster_->masters_by_slot();
  for (int i = 0; i < kKeys; ++i) {
    const std::string key = "place:" + std::to_string(i);
    const int master = masters[key_slot(key)];
    EXPECT_EQ(cluster_->call(master, {"GET", key}), bulk("v" + std::to_string(i))) << key;
    EXPECT_EQ(c.call({"GET", key}), bulk("v" + std::to_string(i))) << key;
  }
  // Keys were routed, not redirected: walnut knew the map.
  const auto snapshot = read_stats_until(stats_port_, [](const Json&) { return true; });
  ASSERT_NE(snapshot.doc, nullptr) << snapshot.text;
  EXPECT_EQ(number_at(*snapshot.doc, {"cl", "cluster_moved"}), 0u) << snapshot.text;
  EXPECT_GE(number_at(*snapshot.doc, {"cl", "cluster_refreshes"}), 1u) << snapshot.text;
}

TEST_F(ClusterProxy, MultiKeyCommandsSpanEveryMaster) {
  Client c(walnut_->port());
  std::vector<std::string> mset = {"MSET"};
  std::vector<std::string> mget = {"MGET"};
  std::string want = "*31\r\n";
  std::set<int> masters;
  for (int i = 0; i < 30; ++i) {
    const std::string key = "multi:" + std::to_string(i);
    mset.push_back(key);
    mset.push_back(std::to_string(i));
    mget.push_back(key);
    want += bulk(std::to_string(i));
    masters.insert(cluster_->master_of_slot(key_slot(key)));
  }
  ASSERT_EQ(masters.size(), cluster_->master_ports().size()) << "the keys span every master";
  mget.push_back("multi:none");
  want += "$-1\r\n";
  ASSERT_EQ(c.call(mset), "+OK\r\n");
  EXPECT_EQ(c.call(mget), want);
  EXPECT_EQ(c.call({"EXISTS", "multi:1", "multi:2", "multi:none", "multi:3"}), ":3\r\n");
  EXPECT_EQ(c.call({"DEL", "multi:1", "multi:2", "multi:none", "multi:3"}), ":3\r\n");
  EXPECT_EQ(c.call({"MGET", "multi:1", "multi:4"}), "*2\r\n$-1\r\n" + bulk("4"));
}

TEST_F(ClusterProxy, KeysOfSeveralSlotsInOneCommandAreCrossSlot) {
  Client c(walnut_->port());
  ASSERT_NE(key_slot("a"), key_slot("b"));
  EXPECT_EQ(c.call({"RENAME", "a", "b"}),
            "-CROSSSLOT Keys in request don't hash to the same slot\r\n");
  EXPECT_EQ(c.call({"SUNIONSTORE", "a", "b", "c"}),
            "-CROSSSLOT Keys in request don't hash to the same slot\r\n");
  // One slot by a hash tag: Redis's own answer.
  ASSERT_EQ(c.call({"SET", "{t}a", "1"}), "+OK\r\n");
  EXPECT_EQ(c.call({"RENAME", "{t}a", "{t}b"}), "+OK\r\n");
  EXPECT_EQ(c.call({"GET", "{t}b"}), bulk("1"));
  // Even when both slots are on one master: Redis refuses that too.
  std::string other;
  const int master = cluster_->master_of_slot(key_slot("a"));
  for (int i = 0; other.empty() && i < 1000; ++i) {
    const std::string k = "same-master:" + std::to_string(i);
    if (key_slot(k) != key_slot("a") && cluster_->master_of_slot(key_slot(k)) == master) other = k;
  }
  ASSERT_FALSE(other.empty());
  EXPECT_EQ(c.call({"RENAME", "a", other}),
            "-CROSSSLOT Keys in request don't hash to the same slot\r\n");
}

TEST_F(ClusterProxy, WholeKeyspaceCommandsAskEveryMaster) {
  Client c(walnut_->port());
  for (int port : cluster_->master_ports()) cluster_->call(port, {"FLUSHALL"});
  for (int i = 0; i < 20; ++i) ASSERT_EQ(c.call({"SET", "ks:" + std::to_string(i), "x"}), "+OK\r\n");
  EXPECT_EQ(c.call({"DBSIZE"}), ":20\r\n");
  // SCAN walks every master.
  std::set<std::string> seen;
  std::string cursor = "0";
  for (int round = 0; round < 100; ++round) {
    const std::string reply = c.call({"SCAN", cursor, "COUNT", "100"});
    ASSERT_EQ(reply.rfind("*2\r\n", 0), 0u) << reply;
    size_t at = reply.find("\r\n", 4);
    const size_t len_start = 5;  // "*2\r\n$"
    const int len = std::stoi(reply.substr(len_start, at - len_start));
    cursor = reply.substr(at + 2, static_cast<size_t>(len));
    for (int i = 0; i < 20; ++i) {
      const std::string k = "ks:" + std::to_string(i);
      if (reply.find(bulk(k)) != std::string::npos) seen.insert(k);
    }
    if (cursor == "0") break;
  }
  EXPECT_EQ(cursor, "0");
  EXPECT_EQ(seen.size(), 20u);
}

TEST_F(ClusterProxy, PatternSubscriptionHearsEachMessageOnce) {
  Client sub(walnut_->port());
  ASSERT_EQ(sub.call({"PSUBSCRIBE", "news.*"}),
            "*3\r\n" + bulk("psubscribe") + bulk("news.*") + ":1\r\n");
  Client pub(walnut_->port());
  ASSERT_EQ(pub.call({"PUBLISH", "news.today", "hello"}).rfind(":", 0), 0u);
  EXPECT_EQ(sub.read_reply(),
            "*4\r\n" + bulk("pmessage") + bulk("news.*") + bulk("news.today") + bulk("hello"));
  // Every node hears every message: a pattern on each would repeat it.
  ASSERT_EQ(pub.call({"PUBLISH", "news.today", "again"}).rfind(":", 0), 0u);
  EXPECT_EQ(sub.read_reply(),
            "*4\r\n" + bulk("pmessage") + bulk("news.*") + bulk("news.today") + bulk("again"));
}

TEST_F(ClusterProxy, SlotMovedBehindWalnutIsFollowed) {
  Client c(walnut_->port());
  const std::string key = "moving";
  ASSERT_EQ(c.call({"SET", key, "here"}), "+OK\r\n");
  const int slot = key_slot(key);
  const int from = cluster_->master_of_slot(slot);
  int to = -1;
  for (int port : cluster_->master_ports()) {
    if (port != from) to = port;
  }
  cluster_->move_slot(slot, from, to);
  EXPECT_EQ(c.call({"GET", key}), bulk("here"));  // MOVED, followed at once
  EXPECT_EQ(c.call({"SET", key, "there"}), "+OK\r\n");
  EXPECT_EQ(cluster_->call(to, {"GET", key}), bulk("there"));
  EXPECT_GE(stat("cluster_moved", 1), 1u);
  EXPECT_GE(stat("cluster_refreshes", 2), 2u);  // the MOVED asked for a fresh map
}

TEST_F(ClusterProxy, SlotMigrationReadHalfWayWithoutErrors) {
  Client c(walnut_->port());
  const int slot = key_slot("mig");
  constexpr int kKeys = 40;
  const auto key = [](int i) { return "{mig}" + std::to_string(i); };
  for (int i = 0; i < kKeys; ++i) ASSERT_EQ(c.call({"SET", key(i), std::to_string(i)}), "+OK\r\n");
  const int from = cluster_->master_of_slot(slot);
  int to = -1;
  for (int port : cluster_->master_ports()) {
    if (port != from) to = port;
  }
  int errors = 0;
  const auto read_all = [&](const char* when) {
    for (int i = 0; i < kKeys; ++i) {
      const std::string reply = c.call({"GET", key(i)});
      EXPECT_EQ(reply, bulk(std::to_string(i))) << when << " " << key(i);
      errors += is_error(reply);
    }
  };
  SlotMigration m = cluster_->migrate_slot(slot, from, to);
  m.set_importing();
  read_all("importing");
  m.set_migrating();
  read_all("migrating");
  ASSERT_EQ(m.move_keys(kKeys / 2), kKeys / 2);
  read_all("half moved");  // the moved half by ASK
  // A new key of the slot goes to the target (ASK), the map unchanged.
  ASSERT_EQ(c.call({"SET", "{mig}new", "n"}), "+OK\r\n");
  EXPECT_EQ(c.call({"GET", "{mig}new"}), bulk("n"));
  m.finish();
  read_all("finished");  // MOVED, then the new map
  EXPECT_EQ(cluster_->call(to, {"GET", key(0)}), bulk("0"));
  EXPECT_EQ(errors, 0);
  EXPECT_GE(stat("cluster_ask", 1), 1u);
  EXPECT_GE(stat("cluster_moved", 1), 1u);
}

TEST_F(ClusterProxy, ManualFailoverUnderWritesIsInvisible) {
  const std::string key = "fo:0";
  const int master = cluster_->master_of_slot(key_slot(key));
  const std::vector<int> replicas = cluster_->replica_ports(master);
  ASSERT_FALSE(replicas.empty());
  std::atomic<bool> stop{false};
  std::atomic<int> writes{0};
  std::vector<std::string> problems;
  std::thread writer([&] {
    Client c(walnut_->port());
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    for (int i = 0; !stop && std::chrono::steady_clock::now() < deadline; ++i) {
      // Keys over every master, the failing one's among them.
      const std::string k = "fo:" + std::to_string(i % 50);
      const std::string v = std::to_string(i);
      const std::string set = c.call({"SET", k, v});
      const std::string get = c.call({"GET", k});
      if (set != "+OK\r\n" || get != bulk(v)) {
        if (problems.size() < 10) problems.push_back(k + ": " + set + " / " + get);
      } else {
        ++writes;
      }
    }
  });
  ASSERT_TRUE(wait_until([&] { return writes > 100; }, 20s));
  cluster_->failover(replicas[0]);
  const int before = writes;
  EXPECT_TRUE(wait_until([&] { return writes > before + 100; }, 20s));
  stop = true;
  writer.join();
  EXPECT_TRUE(problems.empty()) << problems.size() << " problems, first: " << problems[0];
  EXPECT_EQ(cluster_->master_of_slot(key_slot(key)), replicas[0]);
}

TEST_F(ClusterProxy, LargeRequestRedirectedWhole) {
  // A large request's bytes are given back once written, elsewhere; one
  // that may be redirected keeps them until it is answered.
  Client c(walnut_->port());
  const std::string key = "large-moving";
  ASSERT_EQ(c.call({"SET", key, "small"}), "+OK\r\n");
  const int slot = key_slot(key);
  const int from = cluster_->master_of_slot(slot);
  int to = -1;
  for (int port : cluster_->master_ports()) {
    if (port != from) to = port;
  }
  cluster_->move_slot(slot, from, to);
  std::string big(1 << 20, 'x');
  for (size_t i = 0; i < big.size(); i += 4096) big[i] = static_cast<char>('a' + i / 4096 % 26);
  EXPECT_EQ(c.call({"SET", key, big}), "+OK\r\n");  // MOVED, sent again whole
  EXPECT_EQ(cluster_->call(to, {"GET", key}), bulk(big));
  EXPECT_EQ(c.call({"GET", key}), bulk(big));
}

TEST_F(ClusterProxy, RedirectsFollowedOnAClientsOwnConnection) {
  // After a block, the client's requests to that node go on its own
  // connection there (so that they keep their order); a plain one of them
  // is still followed when its slot moved.
  Client c(walnut_->port());
  ASSERT_EQ(c.call({"BLPOP", "{own}q", "0.1"}), "*-1\r\n");
  const int node = cluster_->master_of_slot(key_slot("own"));
  std::string key;
  for (int i = 0; key.empty() && i < 10000; ++i) {
    const std::string k = "own-moving:" + std::to_string(i);
    if (key_slot(k) != key_slot("own") && cluster_->master_of_slot(key_slot(k)) == node) key = k;
  }
  ASSERT_FALSE(key.empty());
  ASSERT_EQ(c.call({"SET", key, "v"}), "+OK\r\n");
  int to = -1;
  for (int port : cluster_->master_ports()) {
    if (port != node) to = port;
  }
  cluster_->move_slot(key_slot(key), node, to);
  EXPECT_EQ(c.call({"GET", key}), bulk("v"));
}

TEST_F(ClusterProxy, BlockOfAMovedSlotIsFollowedOnTheClientsOwnConnection) {
  // The simplest case: one client, one BLPOP, its slot moved behind
  // walnut's back. The MOVED comes on the client's own connection; the
  // block goes on to a connection of the client's own at the new master,
  // where it blocks without holding up anyone else's requests there.
  Client c(walnut_->port());
  const std::string key = "{block-moved}q";
  ASSERT_EQ(c.call({"DEL", key}).substr(0, 1), ":");  // walnut has its map
  const int slot = key_slot(key);
  const int from = cluster_->master_of_slot(slot);
  const int to = other_master(from);
  cluster_->move_slot(slot, from, to);
  c.send({"BLPOP", key, "10"});
  EXPECT_TRUE(wait_until(
      [&] {
        return cluster_->call(to, {"INFO", "clients"}).find("blocked_clients:1\r\n") !=
               std::string::npos;
      },
      5s))
      << "the block never reached the new master";
  EXPECT_GE(stat("cluster_moved", 1), 1u);
  Client other(walnut_->port());
  EXPECT_EQ(other.call({"SET", "{block-moved}x", "1"}), "+OK\r\n");  // the same node, not held
  ASSERT_EQ(cluster_->call(to, {"RPUSH", key, "v"}), ":1\r\n");
  EXPECT_EQ(c.read_reply(), "*2\r\n" + bulk(key) + bulk("v"));
  // What the client sends there next goes behind the block, and is answered.
  EXPECT_EQ(c.call({"LPUSH", key, "w"}), ":1\r\n");
  EXPECT_EQ(cluster_->call(to, {"LPOP", key}), bulk("w"));
}

TEST_F(ClusterProxy, BlockMovedBehindWhatItsClientSentLaterIsTheClientsToFollow) {
  // The client's own connection at the new master took what the client
  // sent after the block (here a MULTI and a SET, queued there): the block
  // must not join the transaction, so the client gets the MOVED, as from
  // Redis itself. Its other replies are untouched.
  Client c(walnut_->port());
  const std::string key = "{block-later}q";
  ASSERT_EQ(c.call({"DEL", key}).substr(0, 1), ":");
  const int slot = key_slot(key);
  const int from = cluster_->master_of_slot(slot);
  const int to = other_master(from);
  const std::string there = key_held_by(to, "block-later");  // another slot on `to`
  ASSERT_FALSE(there.empty());
  ASSERT_EQ(c.call({"BLPOP", there, "0.05"}), "*-1\r\n");  // its own connection at `to`
  cluster_->move_slot(slot, from, to);
  // One write: walnut reads all three before the old master's MOVED comes
  // back, by when the MULTI and the SET went to `to`.
  c.send_raw(encode({"BLPOP", key, "0.05"}) + encode({"MULTI"}) + encode({"SET", there, "1"}));
  const std::string block = c.read_reply();
  EXPECT_EQ(block.substr(0, 7), "-MOVED ") << "not inside the transaction: " << block;
  EXPECT_EQ(c.read_reply(), "+OK\r\n");
  EXPECT_EQ(c.read_reply(), "+QUEUED\r\n");
  EXPECT_EQ(c.call({"EXEC"}), "*1\r\n+OK\r\n");
  // And the client goes on: a block of that slot now is served there.
  EXPECT_EQ(c.call({"BLPOP", key, "0.05"}), "*-1\r\n");
}

TEST_F(ClusterProxy, BlockOfAMigratingSlotIsFollowedWithAsking) {
  // The slot's keys half-way to another master: the source answers ASK for
  // a key it no longer has, and the block goes to the target after ASKING,
  // both on the client's own connection there.
  Client c(walnut_->port());
  const std::string key = "{block-asked}q";
  ASSERT_EQ(c.call({"DEL", key}).substr(0, 1), ":");
  const int slot = key_slot(key);
  const int from = cluster_->master_of_slot(slot);
  const int to = other_master(from);
  SlotMigration m = cluster_->migrate_slot(slot, from, to);
  m.set_importing();
  m.set_migrating();
  EXPECT_EQ(c.call({"BLPOP", key, "0.1"}), "*-1\r\n");  // timed out at the target
  EXPECT_GE(stat("cluster_ask", 1), 1u);
  m.finish();
  EXPECT_EQ(c.call({"BLPOP", key, "0.1"}), "*-1\r\n");  // MOVED now, followed
}

// Last: it takes a master away for a while.
TEST_F(ClusterProxy, KilledMasterCostsOnlyItsKeysUntilItsReplicaTakesOver) {
  Client c(walnut_->port());
  const std::string dying_key = "kill:0";
  const int master = cluster_->master_of_slot(key_slot(dying_key));
  std::string living_key;
  for (int i = 1; living_key.empty() && i < 1000; ++i) {
    const std::string k = "kill:" + std::to_string(i);
    if (cluster_->master_of_slot(key_slot(k)) != master) living_key = k;
  }
  ASSERT_EQ(c.call({"SET", dying_key, "d"}), "+OK\r\n");
  ASSERT_EQ(c.call({"SET", living_key, "l"}), "+OK\r\n");
  ASSERT_EQ(cluster_->call(master, {"WAIT", "1", "2000"}), ":1\r\n");  // on its replica too
  const auto killed_at = std::chrono::steady_clock::now();
  cluster_->kill_node(master);
  int living_errors = 0;
  int dying_errors = 0;
  std::string first_error;
  auto last_error_at = killed_at;
  bool recovered = false;
  const auto deadline = killed_at + 30s;
  while (!recovered && std::chrono::steady_clock::now() < deadline) {
    const std::string living = c.call({"GET", living_key});
    living_errors += living != bulk("l");
    const std::string dying = c.call({"GET", dying_key});
    if (dying == bulk("d")) {
      recovered = true;
    } else {
      ++dying_errors;
      last_error_at = std::chrono::steady_clock::now();
      if (first_error.empty()) first_error = dying;
      EXPECT_TRUE(is_error(dying) && dying.size() > 3) << "an error naming its cause: " << dying;
    }
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_TRUE(recovered) << "the replica's promotion was not followed; first error: "
                         << first_error;
  EXPECT_EQ(living_errors, 0) << "keys of the other masters are not affected";
  // The errors last as long as the cluster takes to promote the replica:
  // the node timeout (2 s) and an election, not more.
  EXPECT_LT(last_error_at - killed_at, 12s) << dying_errors << " errors, first: " << first_error;
  cluster_->restart_node(master);
  cluster_->wait_ok();
}


// Fake nodes, for what a real cluster rarely shows.
namespace fake {

// Every slot on the node at `port`.
std::string whole_map(int port) { return write_cluster_slots({SlotRange{0, 16383, port, {}}}); }

std::string value(const std::string& v) { return bulk(v); }

}  // namespace fake

TEST(ClusterFakeNodes, RedirectLoopEndsWithTheLastRedirect) {
  FakeClusterNode a;
  FakeClusterNode b;
  const auto bounce_to = [](FakeClusterNode& owner, FakeClusterNode& other) {
    owner.set_responder([&owner, &other](const Args& r) -> FakeReply {
      if (is_command(r, "CLUSTER")) return fake::whole_map(owner.port());
      return moved_reply(key_slot(r[1]), other.port());
    });
  };
  bounce_to(a, b);
  bounce_to(b, a);
  TempDir dir;
  Walnut w(dir, cluster_yaml({a.port()}, "  cluster_max_redirects: 3\n"));
  Client c(w.port());
  // Sent to a, then b, a, b: the fourth answer is the client's.
  EXPECT_EQ(c.call({"GET", "k"}), moved_reply(key_slot("k"), a.port()));
  EXPECT_EQ(a.count("GET") + b.count("GET"), 4);
}

TEST(ClusterFakeNodes, NodeRedirectingToItselfIsBounded) {
  FakeClusterNode a;
  a.set_responder([&a](const Args& r) -> FakeReply {
    if (is_command(r, "CLUSTER")) return fake::whole_map(a.port());
    return moved_reply(key_slot(r[1]), a.port());
  });
  TempDir dir;
  Walnut w(dir, cluster_yaml({a.port()}));
  Client c(w.port());
  EXPECT_EQ(c.call({"GET", "k"}), moved_reply(key_slot("k"), a.port()));
  EXPECT_EQ(a.count("GET"), 6);  // the first send and the default 5 redirects
  EXPECT_EQ(c.call({"PING"}), "+PONG\r\n");  // and the client goes on
}

TEST(ClusterFakeNodes, SlotNobodyServesIsTheNodesToAnswer) {
  const std::string low = key_in_slot(100, "low");
  const std::string high = key_in_slot(9000, "high");
  FakeClusterNode a;
  a.set_responder([&a, &low](const Args& r) -> FakeReply {
    if (is_command(r, "CLUSTER")) return write_cluster_slots({SlotRange{0, 8000, a.port(), {}}});
    if (r.size() > 1 && r[1] == low) return fake::value("v");
    return error_reply("CLUSTERDOWN Hash slot not served");
  });
  TempDir dir;
  Walnut w(dir, cluster_yaml({a.port()}));
  Client c(w.port());
  EXPECT_EQ(c.call({"GET", low}), fake::value("v"));
  EXPECT_EQ(c.call({"GET", high}), "-CLUSTERDOWN Hash slot not served\r\n");
  // A hole is the cluster's state, not news: it asks for no fresh map.
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(a.count("CLUSTER"), 1);
}

TEST(ClusterFakeNodes, AskSendsAskingThenTheRequestAndKeepsTheMap) {
  FakeClusterNode a;
  FakeClusterNode b;
  a.set_responder([&a, &b](const Args& r) -> FakeReply {
    if (is_command(r, "CLUSTER")) return fake::whole_map(a.port());
    return ask_reply(key_slot(r[1]), b.port());
  });
  b.set_responder([](const Args& r) -> FakeReply {
    if (is_command(r, "ASKING")) return "+OK\r\n";
    return fake::value("from-b");
  });
  TempDir dir;
  Walnut w(dir, cluster_yaml({a.port()}));
  Client c(w.port());
  EXPECT_EQ(c.call({"GET", "k"}), fake::value("from-b"));
  EXPECT_EQ(c.call({"GET", "k"}), fake::value("from-b"));
  EXPECT_EQ(a.count("GET"), 2) << "an ASK changes no map: each GET went to a first";
  const std::vector<FakeRequest> at_b = b.requests();
  ASSERT_EQ(at_b.size(), 4u);
  for (size_t i = 0; i < at_b.size(); i += 2) {
    EXPECT_EQ(at_b[i].args, (Args{"ASKING"}));
    EXPECT_EQ(at_b[i + 1].args, (Args{"GET", "k"}));
    EXPECT_EQ(at_b[i].connection, at_b[i + 1].connection) << "on one connection";
  }
}

// A node answers GET with `error` `times` times, then with a value: walnut
// sends the GET again after a pause each time, counted in `counter`.
void expect_sent_again(const std::string& error, int times, const std::string& counter) {
  FakeClusterNode a;
  std::atomic<int> gets{0};
  a.set_responder([&a, &gets, &error, times](const Args& r) -> FakeReply {
    if (is_command(r, "CLUSTER")) return fake::whole_map(a.port());
    if (++gets <= times) return error_reply(error);
    return fake::value("v");
  });
  TempDir dir;
  const int stats_port = free_port();
  Walnut w(dir, cluster_yaml({a.port()}), {"-s", std::to_string(stats_port), "-i", "50"});
  Client c(w.port());
  EXPECT_EQ(c.call({"GET", "k"}), fake::value("v"));
  EXPECT_EQ(gets, times + 1);
  EXPECT_EQ(await_stat(stats_port, {"cl", counter}, static_cast<unsigned>(times)),
            static_cast<unsigned long long>(times));
}

TEST(ClusterFakeNodes, TryAgainIsSentAgainAfterAPause) {
  expect_sent_again("TRYAGAIN Multiple keys request during rehashing of slot", 2,
                    "cluster_tryagain");
}

TEST(ClusterFakeNodes, ClusterDownForAMomentIsSentAgain) {
  // A cluster fails for a moment (a heartbeat late on a loaded machine, a
  // failover): its nodes answer CLUSTERDOWN until it is whole again.
  expect_sent_again("CLUSTERDOWN The cluster is down", 3, "cluster_clusterdown");
}

TEST(ClusterFakeNodes, RedirectedRepliesKeepTheClientsOrder) {
  FakeClusterNode a;
  FakeClusterNode b;
  a.set_responder([&a, &b](const Args& r) -> FakeReply {
    if (is_command(r, "CLUSTER")) return fake::whole_map(a.port());
    if (r[1] == "first") return moved_reply(key_slot("first"), b.port());
    return fake::value("a:" + r[1]);
  });
  b.set_responder([&a](const Args& r) -> FakeReply {
    if (is_command(r, "CLUSTER")) return fake::whole_map(a.port());
    return fake::value("b:" + r[1]);
  });
  TempDir dir;
  Walnut w(dir, cluster_yaml({a.port()}));
  Client c(w.port());
  c.send_raw(encode({"GET", "first"}) + encode({"GET", "second"}) + encode({"GET", "third"}));
  EXPECT_EQ(c.read_reply(), fake::value("b:first"));
  EXPECT_EQ(c.read_reply(), fake::value("a:second"));
  EXPECT_EQ(c.read_reply(), fake::value("a:third"));
}

TEST(ClusterFakeNodes, NoNodeReachableAnswersWithTheCause) {
  TempDir dir;
  const int stats_port = free_port();
  Walnut w(dir, cluster_yaml({free_port()}), {"-s", std::to_string(stats_port), "-i", "50"});
  Client c(w.port());
  const std::string reply = c.call({"GET", "k"});
  EXPECT_EQ(reply, "-ERR Connection refused\r\n");
  EXPECT_GE(await_stat(stats_port, {"cl", "cluster_refresh_failures"}, 1), 1u);
}

TEST(ClusterFakeNodes, FragmentOfASplitRequestFollowsItsSlot) {
  // MGET of keys in two slots: two fragments; the node moved one slot.
  FakeClusterNode a;
  FakeClusterNode b;
  const std::string stays = key_in_slot(10, "stays");
  const std::string moves = key_in_slot(20, "moves");
  a.set_responder([&](const Args& r) -> FakeReply {
    if (is_command(r, "CLUSTER")) return fake::whole_map(a.port());
    if (r[1] == moves) return moved_reply(20, b.port());
    return "*1\r\n" + fake::value("a:" + r[1]);
  });
  b.set_responder([&](const Args& r) -> FakeReply {
    if (is_command(r, "CLUSTER")) return fake::whole_map(a.port());
    return "*1\r\n" + fake::value("b:" + r[1]);
  });
  TempDir dir;
  Walnut w(dir, cluster_yaml({a.port()}));
  Client c(w.port());
  EXPECT_EQ(c.call({"MGET", moves, stays}),
            "*2\r\n" + fake::value("b:" + moves) + fake::value("a:" + stays));
  EXPECT_EQ(b.count("MGET"), 1);
  EXPECT_EQ(a.count("MGET"), 2);
}

TEST(ClusterFakeNodes, SeedThatNeverAnswersIsPassedOver) {
  FakeClusterNode hangs;
  hangs.set_responder([](const Args&) -> FakeReply { return ""; });  // never answers
  FakeClusterNode b;
  b.set_responder([&b](const Args& r) -> FakeReply {
    if (is_command(r, "CLUSTER")) return fake::whole_map(b.port());
    return fake::value("b");
  });
  TempDir dir;
  const int stats_port = free_port();
  Walnut w(dir, cluster_yaml({hangs.port(), b.port()}, "", 200),
           {"-s", std::to_string(stats_port), "-i", "50"});
  EXPECT_GE(await_stat(stats_port, {"cl", "cluster_refreshes"}, 1), 1u);
  Client c(w.port());
  EXPECT_EQ(c.call({"GET", "k"}), fake::value("b"));
}

TEST(ClusterFakeNodes, MetricsCountRedirectsPerPool) {
  FakeClusterNode a;
  FakeClusterNode b;
  a.set_responder([&](const Args& r) -> FakeReply {
    if (is_command(r, "CLUSTER")) return fake::whole_map(a.port());
    return moved_reply(key_slot(r[1]), b.port());
  });
  b.set_responder([&](const Args& r) -> FakeReply {
    if (is_command(r, "CLUSTER")) return fake::whole_map(a.port());  // stale on purpose
    if (is_command(r, "ASKING")) return "+OK\r\n";
    return fake::value("b");
  });
  TempDir dir;
  const int metrics_port = free_port();
  Walnut w(dir, cluster_yaml({a.port()}),
           {"--metrics-addr=127.0.0.1:" + std::to_string(metrics_port)});
  Client c(w.port());
  EXPECT_EQ(c.call({"GET", "k"}), fake::value("b"));
  std::string text;
  ASSERT_EQ(run_command({"/usr/bin/curl", "-sS", "-f", "-m", "5",
                         "http://127.0.0.1:" + std::to_string(metrics_port) + "/metrics"},
                        &text, 10s),
            0)
      << text;
  EXPECT_NE(text.find("walnut_cluster_moved_total{pool=\"cl\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("walnut_cluster_ask_total{pool=\"cl\"} 0\n"), std::string::npos) << text;
  EXPECT_NE(text.find("walnut_cluster_refreshes_total{pool=\"cl\"} "), std::string::npos);
  // Every node is a server, labelled by its address.
  EXPECT_NE(text.find("server=\"127.0.0.1:" + std::to_string(b.port()) + "\""), std::string::npos);
}

TEST(ClusterFakeNodes, TransactionsStayWhereTheyBegan) {
  // A MOVED for a command queued in MULTI is the client's, as Redis sent
  // it: sent elsewhere, the command would run outside the transaction.
  FakeClusterNode a;
  FakeClusterNode b;
  a.set_responder([&](const Args& r) -> FakeReply {
    if (is_command(r, "CLUSTER")) return fake::whole_map(a.port());
    if (is_command(r, "MULTI")) return "+OK\r\n";
    if (is_command(r, "EXEC")) return error_reply("EXECABORT Transaction discarded because of previous errors.");
    return moved_reply(key_slot(r[1]), b.port());
  });
  b.set_responder([](const Args&) -> FakeReply { return fake::value("b"); });
  TempDir dir;
  Walnut w(dir, cluster_yaml({a.port()}));
  Client c(w.port());
  ASSERT_EQ(c.call({"MULTI"}), "+OK\r\n");
  EXPECT_EQ(c.call({"GET", "k"}), moved_reply(key_slot("k"), b.port()));
  EXPECT_EQ(c.call({"EXEC"}).rfind("-EXECABORT", 0), 0u);
  EXPECT_EQ(b.requests().size(), 0u);
}

// read_policy: replica in a cluster pool: the replicas come from the slot
// map, walnut sends them READONLY first (without it a replica answers
// MOVED, and the values read would not be these), and reads (GET, MGET
// parts) are theirs, writes the masters'.
TEST_F(ClusterProxy, ReadPolicyReplicaReadsFromTheSlotMapsReplicas) {
  TempDir dir;
  Walnut walnut(dir, cluster_yaml({cluster_->master_ports()[0]}, "  read_policy: replica\n"));
  Client c(walnut.port());
  std::vector<std::string> keys;
  for (int i = 0; i < 30; ++i) keys.push_back("replica-read:" + std::to_string(i));
  for (const std::string& k : keys) ASSERT_EQ(c.call({"SET", k, k}), "+OK\r\n") << k;
  const std::vector<int> masters = cluster_->master_ports();
  std::vector<int> replicas;
  for (int m : masters) {
    EXPECT_EQ(cluster_->call(m, {"WAIT", "1", "2000"}), ":1\r\n") << "replicated: " << m;
    for (int r : cluster_->replica_ports(m)) replicas.push_back(r);
  }
  ASSERT_EQ(replicas.size(), masters.size());
  for (int port : cluster_->ports()) cluster_->call(port, {"CONFIG", "RESETSTAT"});

  for (const std::string& k : keys) EXPECT_EQ(c.call({"GET", k}), bulk(k)) << k;
  Args mget{"MGET"};
  std::string expected = "*" + std::to_string(keys.size()) + "\r\n";
  for (const std::string& k : keys) {
    mget.push_back(k);
    expected += bulk(k);
  }
  EXPECT_EQ(c.call(mget), expected);
  EXPECT_EQ(c.call({"SET", "replica-read:written", "1"}), "+OK\r\n");

  const auto calls = [&](int port, const std::string& command) {
    const std::string info = parse(cluster_->call(port, {"INFO", "commandstats"})).text;
    const std::string key = "cmdstat_" + command + ":calls=";
    const size_t at = info.find(key);
    return at == std::string::npos ? 0LL : std::stoll(info.substr(at + key.size()));
  };
  long long replica_gets = 0;
  long long replica_mgets = 0;
  for (int r : replicas) {
    replica_gets += calls(r, "get");
    replica_mgets += calls(r, "mget");
  }
  long long master_reads = 0;
  long long master_sets = 0;
  for (int m : masters) {
    master_reads += calls(m, "get") + calls(m, "mget");
    master_sets += calls(m, "set");
  }
  EXPECT_EQ(replica_gets, 30);
  EXPECT_GE(replica_mgets, 1) << "the MGET's parts went to replicas";
  EXPECT_EQ(master_reads, 0);
  EXPECT_EQ(master_sets, 1) << "the write went to its master";
}

}  // namespace
}  // namespace walnut::e2e
