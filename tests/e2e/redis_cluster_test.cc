// The cluster harness checked against a real Redis Cluster, with no walnut
// in between: that what the tests of walnut's cluster support will take for
// granted (a settled cluster, the slot of a key, who serves it, what a
// migration and a failover look like from outside) holds. And the fake
// cluster node: that a client gets its scripted answers and that it records
// what it was asked.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "tests/e2e/cluster_key_slot.h"
#include "tests/e2e/cluster_slots.h"
#include "tests/e2e/fake_cluster_node.h"
#include "tests/e2e/harness.h"
#include "tests/e2e/redis_cluster.h"
#include "tests/e2e/resp_reply.h"

namespace walnut::e2e {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

long long ms_since(Clock::time_point t0) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count();
}

std::string moved(int slot, int port) { return moved_reply(slot, port); }

// One cluster for the whole suite: starting one takes seconds. The tests
// ask it who serves what each time, since an earlier one may have changed
// it (a failover swaps a master and its replica).
class RedisClusterSmoke : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const auto t0 = Clock::now();
    try {
      cluster_ = new RedisCluster();
    } catch (const std::exception& e) {
      start_error_ = e.what();
    }
    std::cout << "cluster of 6 started and settled in " << ms_since(t0) << " ms\n";
  }
  static void TearDownTestSuite() {
    const auto t0 = Clock::now();
    delete cluster_;
    cluster_ = nullptr;
    std::cout << "cluster stopped in " << ms_since(t0) << " ms\n";
  }
  void SetUp() override { ASSERT_NE(cluster_, nullptr) << start_error_; }

  static RedisCluster* cluster_;
  static std::string start_error_;
};

RedisCluster* RedisClusterSmoke::cluster_ = nullptr;
std::string RedisClusterSmoke::start_error_;

TEST_F(RedisClusterSmoke, EveryNodeIsOkAndEverySlotHasALiveMaster) {
  RedisCluster& c = *cluster_;
  EXPECT_EQ(c.problems(), "");
  ASSERT_EQ(c.ports().size(), 6u);
  EXPECT_EQ(std::set<int>(c.ports().begin(), c.ports().end()).size(), 6u);
  std::set<std::string> ids;
  for (int port : c.ports()) {
    const std::string info = parse(c.call(port, {"CLUSTER", "INFO"})).text;
    EXPECT_NE(info.find("cluster_state:ok\r\n"), std::string::npos) << port << ": " << info;
    EXPECT_EQ(parse(c.call(port, {"CLUSTER", "MYID"})).text, c.node_id(port));
    ids.insert(c.node_id(port));
  }
  EXPECT_EQ(ids.size(), 6u);

  const std::vector<int> masters = c.master_ports();
  ASSERT_EQ(masters.size(), 3u);
  std::set<int> replicas;
  for (int master : masters) {
    const std::vector<int> of_master = c.replica_ports(master);
    EXPECT_EQ(of_master.size(), 1u) << "master " << master;
    replicas.insert(of_master.begin(), of_master.end());
  }
  EXPECT_EQ(replicas.size(), 3u);
  // Every node's own map gives every slot one of the masters.
  for (int port : c.ports()) {
    const std::vector<int> by_slot = c.masters_by_slot(port);
    ASSERT_EQ(by_slot.size(), static_cast<size_t>(kClusterSlots));
    for (int slot = 0; slot < kClusterSlots; ++slot) {
      ASSERT_TRUE(std::count(masters.begin(), masters.end(), by_slot[slot]) == 1)
          << "slot " << slot << " as port " << port << " sees it: " << by_slot[slot];
    }
  }
}

TEST_F(RedisClusterSmoke, ASlotMapWrittenForAFakeReadsBackAsTheRealOne) {
  const std::vector<SlotRange> real = cluster_->slots();
  std::vector<SlotRange> back;
  ASSERT_TRUE(read_cluster_slots(write_cluster_slots(real), &back));
  EXPECT_EQ(back, real);
  ASSERT_TRUE(read_cluster_slots(write_cluster_slots(real, false), &back));
  EXPECT_EQ(back, real);
  EXPECT_EQ(coverage_problem(real), "");
}

TEST(RedisClusterKeySlot, KnownValues) {
  EXPECT_EQ(crc16_xmodem("123456789"), 0x31C3);  // the CRC's published check value
  EXPECT_EQ(key_slot("foo"), 12182);             // as in the Redis Cluster docs
  EXPECT_EQ(key_slot("{user1000}.following"), key_slot("user1000"));
  EXPECT_EQ(hashed_part("foo{}{bar}"), "foo{}{bar}");
  EXPECT_EQ(hashed_part("foo{{bar}}zap"), "{bar");
  EXPECT_EQ(hashed_part("foo{bar}{zap}"), "bar");
  EXPECT_EQ(key_slot(key_in_slot(4321, "k:")), 4321);
}

TEST_F(RedisClusterSmoke, KeySlotAgreesWithClusterKeyslot) {
  // The edges of hash tags first: empty, unclosed, closed before opened,
  // two of them, nested, binary.
  std::vector<std::string> keys = {
      "", "{", "}", "{}", "}{", "{}x", "x{}", "x{}{y}", "{a", "a{", "a{b", "{a}", "{a}b", "b{a}",
      "{a}{b}", "{{a}}", "{}{a}", "a{b}c{d}", std::string("\0{x}", 4),
      std::string("bin\xff\x80{\x01}", 8)};
  for (int i = 0; keys.size() < 200; ++i) {
    keys.push_back("key:" + std::to_string(i));
    keys.push_back("{user" + std::to_string(i % 7) + "}:" + std::to_string(i));
    keys.push_back("{}" + std::to_string(i));
    keys.push_back("{unclosed" + std::to_string(i));
  }
  Client client(cluster_->ports()[0]);
  std::string pipeline;
  for (const std::string& key : keys) pipeline += encode({"CLUSTER", "KEYSLOT", key});
  client.send_raw(pipeline);
  for (const std::string& key : keys) {
    EXPECT_EQ(client.read_reply(), ":" + std::to_string(key_slot(key)) + "\r\n")
        << "key '" << printable(key) << "'";
  }
}

TEST_F(RedisClusterSmoke, SetOnTheRightMasterWorksAndOnAnotherAnswersMoved) {
  RedisCluster& c = *cluster_;
  const std::vector<int> by_slot = c.masters_by_slot();
  const std::vector<int> masters = c.master_ports();
  for (int i = 0; i < 20; ++i) {
    const std::string key = "smoke:" + std::to_string(i);
    const int slot = key_slot(key);
    const int owner = by_slot[slot];
    EXPECT_EQ(c.call(owner, {"SET", key, "v"}), "+OK\r\n") << key;
    EXPECT_EQ(c.call(owner, {"GET", key}), bulk("v")) << key;
    for (int other : masters) {
      if (other == owner) continue;
      EXPECT_EQ(c.call(other, {"SET", key, "w"}), moved(slot, owner)) << key << " on " << other;
    }
    // A replica redirects too, until a client says READONLY.
    for (int replica : c.replica_ports(owner)) {
      EXPECT_EQ(c.call(replica, {"GET", key}), moved(slot, owner)) << key << " on " << replica;
    }
    EXPECT_EQ(c.call(owner, {"DEL", key}), ":1\r\n");
  }
}

// Each key's value names the key: a reply shows which key it came from.
std::string value_of(const std::string& key) { return "value of " + key; }

TEST_F(RedisClusterSmoke, MigrateSlotRoundTripWithAskMidWay) {
  RedisCluster& c = *cluster_;
  const int slot = 1234;
  const std::string tag = "{" + key_in_slot(slot, "migrate:") + "}";
  const int source = c.master_of_slot(slot);
  int target = -1;
  for (int m : c.master_ports()) {
    if (m != source) target = m;
  }
  ASSERT_GT(target, 0);
  std::vector<std::string> keys;
  for (int i = 0; i < 10; ++i) {
    keys.push_back(tag + ":" + std::to_string(i));
    ASSERT_EQ(key_slot(keys.back()), slot);
    ASSERT_EQ(c.call(source, {"SET", keys.back(), value_of(keys.back())}), "+OK\r\n");
  }

  SlotMigration m = c.migrate_slot(slot, source, target);
  m.set_importing();
  m.set_migrating();
  EXPECT_EQ(c.call(source, {"GET", keys[0]}), bulk(value_of(keys[0]))) << "still on the source";
  ASSERT_EQ(m.move_keys(4), 4);
  const std::vector<std::string> left = m.keys_on_source(100);
  ASSERT_EQ(left.size(), 6u);
  std::string gone;
  for (const std::string& k : keys) {
    if (std::find(left.begin(), left.end(), k) == left.end()) gone = k;
  }
  ASSERT_FALSE(gone.empty());
  // Mid-way the source answers for the keys it has and sends the others on.
  EXPECT_EQ(c.call(source, {"GET", left[0]}), bulk(value_of(left[0])));
  EXPECT_EQ(c.call(source, {"GET", gone}), ask_reply(slot, target));
  {
    // The target serves the slot only to a client that said ASKING first.
    Client direct(target);
    EXPECT_EQ(direct.call({"GET", gone}), moved(slot, source));
    EXPECT_EQ(direct.call({"ASKING"}), "+OK\r\n");
    EXPECT_EQ(direct.call({"GET", gone}), bulk(value_of(gone)));
  }

  m.finish();
  for (int port : c.live_ports()) EXPECT_EQ(c.master_of_slot(slot, port), target) << port;
  for (const std::string& k : keys) {
    EXPECT_EQ(c.call(target, {"GET", k}), bulk(value_of(k)));
    EXPECT_EQ(c.call(source, {"GET", k}), moved(slot, target));
  }

  // And back, so the suite's other tests find the slot where it was.
  c.move_slot(slot, target, source);
  EXPECT_EQ(c.master_of_slot(slot), source);
  for (const std::string& k : keys) {
    EXPECT_EQ(c.call(source, {"GET", k}), bulk(value_of(k)));
    EXPECT_EQ(c.call(source, {"DEL", k}), ":1\r\n");
  }
}

TEST_F(RedisClusterSmoke, FailoverMakesTheReplicaMasterOfItsSlots) {
  RedisCluster& c = *cluster_;
  const int master = c.master_ports().front();
  const std::vector<int> replicas = c.replica_ports(master);
  ASSERT_EQ(replicas.size(), 1u);
  const int replica = replicas[0];
  // A key in the master's first slot, to see it kept by the new master.
  int slot = -1;
  for (const SlotRange& r : c.slots()) {
    if (r.master == master) slot = r.first;
  }
  ASSERT_GE(slot, 0);
  const std::string key = "{" + key_in_slot(slot, "failover:") + "}";
  ASSERT_EQ(c.call(master, {"SET", key, "kept"}), "+OK\r\n");
  // Acknowledged by the replica before the failover (WAIT numreplicas timeout).
  ASSERT_EQ(c.call(master, {"WAIT", "1", "5000"}), ":1\r\n");

  const auto t0 = Clock::now();
  c.failover(replica);
  std::cout << "failover settled in " << ms_since(t0) << " ms\n";
  const std::vector<int> masters = c.master_ports();
  EXPECT_EQ(std::count(masters.begin(), masters.end(), replica), 1);
  EXPECT_EQ(std::count(masters.begin(), masters.end(), master), 0);
  EXPECT_EQ(c.replica_ports(replica), std::vector<int>{master});
  EXPECT_EQ(c.problems(), "");
  EXPECT_EQ(c.master_of_slot(slot), replica);
  EXPECT_EQ(c.call(replica, {"GET", key}), bulk("kept"));
  EXPECT_EQ(c.call(replica, {"DEL", key}), ":1\r\n");
}

TEST_F(RedisClusterSmoke, AKilledMasterIsReplacedAndComesBackAsAReplica) {
  RedisCluster& c = *cluster_;
  const int master = c.master_ports().back();
  const std::vector<int> replicas = c.replica_ports(master);
  ASSERT_EQ(replicas.size(), 1u);
  const int replica = replicas[0];

  auto t0 = Clock::now();
  c.kill_node(master);
  EXPECT_NE(c.problems(), "") << "the cluster cannot have noticed yet";
  c.wait_ok();
  std::cout << "a killed master was replaced in " << ms_since(t0) << " ms\n";
  std::vector<int> masters = c.master_ports();
  EXPECT_EQ(std::count(masters.begin(), masters.end(), replica), 1);
  EXPECT_EQ(std::count(masters.begin(), masters.end(), master), 0);

  t0 = Clock::now();
  c.restart_node(master);
  c.wait_ok();
  std::cout << "it rejoined as a replica in " << ms_since(t0) << " ms\n";
  EXPECT_EQ(c.replica_ports(replica), std::vector<int>{master});
  EXPECT_EQ(c.live_ports().size(), 6u);
}

// ---------------------------------------------------------------------------
// The fake node.

TEST(RedisClusterFakeNode, AClientGetsTheScriptedAnswersAndTheRequestsAreRecorded) {
  FakeClusterNode fake;
  ASSERT_GT(fake.port(), 0);
  const int self = fake.port();
  // A slot map with a hole (5001-5999), and every key redirected to itself.
  const std::vector<SlotRange> holes = {{0, 5000, self, {}}, {6000, 16383, self, {}}};
  fake.set_responder([&](const Args& a) -> FakeReply {
    if (a.size() == 2 && a[0] == "CLUSTER" && a[1] == "SLOTS") return write_cluster_slots(holes);
    if (a.size() == 2 && a[0] == "GET") return moved_reply(key_slot(a[1]), self);
    if (a[0] == "PING") return "+PONG\r\n";
    if (a[0] == "QUIT") return {"+OK\r\n", true};
    return "";  // anything else goes unanswered
  });

  Client first(self);
  const std::string slots = first.call({"CLUSTER", "SLOTS"});
  EXPECT_EQ(slots, write_cluster_slots(holes));
  std::vector<SlotRange> read;
  ASSERT_TRUE(read_cluster_slots(slots, &read));
  EXPECT_EQ(coverage_problem(read), "slot 5001 has no master");
  EXPECT_EQ(first.call({"GET", "foo"}), "-MOVED 12182 127.0.0.1:" + std::to_string(self) + "\r\n");
  first.send_raw("PING\r\n");  // inline
  EXPECT_EQ(first.read_reply(), "+PONG\r\n");

  Client second(self);
  // Two requests in one write: both answered, in order.
  second.send_raw(encode({"PING"}) + encode({"GET", "bar"}));
  EXPECT_EQ(second.read_reply(), "+PONG\r\n");
  EXPECT_EQ(second.read_reply(), moved_reply(5061, self));
  EXPECT_EQ(second.call({"QUIT"}), "+OK\r\n");
  EXPECT_TRUE(second.closed_by_peer(5s));

  ASSERT_TRUE(fake.wait_for_requests(6, 5s));
  const std::vector<FakeRequest> got = fake.requests();
  ASSERT_EQ(got.size(), 6u);
  EXPECT_EQ(got[0].connection, 0);
  EXPECT_EQ(got[0].args, (Args{"CLUSTER", "SLOTS"}));
  EXPECT_EQ(got[2].args, (Args{"PING"}));
  EXPECT_EQ(got[4].connection, 1);
  EXPECT_EQ(got[4].args, (Args{"GET", "bar"}));
  EXPECT_EQ(fake.count("get"), 2);
  EXPECT_EQ(fake.accepted(), 2);
}

TEST(RedisClusterFakeNode, TwoFakesRedirectToEachOther) {
  FakeClusterNode a, b;
  ASSERT_GT(a.port(), 0);
  ASSERT_GT(b.port(), 0);
  a.set_responder([&](const Args& r) { return moved_reply(key_slot(r.back()), b.port()); });
  b.set_responder([&](const Args& r) { return moved_reply(key_slot(r.back()), a.port()); });
  // Following the redirections by hand, a bounded number of times.
  int port = a.port();
  for (int hop = 0; hop < 4; ++hop) {
    Client c(port);
    const std::string reply = c.call({"GET", "loop"});
    const int next = port == a.port() ? b.port() : a.port();
    ASSERT_EQ(reply, moved_reply(key_slot("loop"), next));
    port = next;
  }
  EXPECT_EQ(a.count("GET"), 2);
  EXPECT_EQ(b.count("GET"), 2);
}

TEST(RedisClusterFakeNode, GarbageIsAProtocolErrorAndStopRefusesConnects) {
  FakeClusterNode fake([](const Args&) { return "+OK\r\n"; });
  ASSERT_GT(fake.port(), 0);
  Client c(fake.port());
  c.send_raw("*1\r\n:5\r\n");
  EXPECT_EQ(c.read_reply(), "-ERR Protocol error\r\n");
  EXPECT_TRUE(c.closed_by_peer(5s));
  EXPECT_TRUE(fake.requests().empty());
  fake.stop();
  EXPECT_FALSE(Client(fake.port()).connected());
}

}  // namespace
}  // namespace walnut::e2e
