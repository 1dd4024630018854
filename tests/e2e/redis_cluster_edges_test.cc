// Redis Cluster pools at their edges: a redirect for a client with
// connections of its own (held, in a transaction, gone), a block redirected
// to a node where its client's connection is held for it, TRYAGAIN from an
// importing node, large uploads under the request budget, an idle failed
// master, a MOVED naming no host, SCAN across a resharding. The client
// that leaves mid-redirect shows its fault best as a sanitizer report, with
// WALNUT_BINARY pointing at an --enable-sanitizers build.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
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


// A raw client: replies read with a short limit, and a close that resets
// the connection (SO_LINGER 0), so that walnut sees a read error and closes
// the client at once, with its requests still out.
class RawClient {
 public:
  explicit RawClient(int port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }
  ~RawClient() {
    if (fd_ >= 0) ::close(fd_);
  }
  void send_raw(const std::string& bytes) {
    size_t off = 0;
    while (off < bytes.size()) {
      ssize_t n = ::send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return;
      off += static_cast<size_t>(n);
    }
  }
  // Whatever arrives within `limit` (until `want` bytes came).
  std::string read_for(std::chrono::milliseconds limit, size_t want = SIZE_MAX) {
    std::string out;
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (out.size() < want) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
      char buf[4096];
      ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
      if (n <= 0) break;
      out.append(buf, static_cast<size_t>(n));
    }
    return out;
  }
  // Shuts the sending side: a send blocked in another thread returns.
  void stop_sending() { ::shutdown(fd_, SHUT_WR); }
  void reset() {
    linger l{1, 0};
    setsockopt(fd_, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
    ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

// Two fake nodes: a serves slots 0..8191, b 8192..16383.
struct TwoNodes {
  FakeClusterNode a;
  FakeClusterNode b;
  std::string map() const {
    return write_cluster_slots({SlotRange{0, 8191, a.port(), {}}, SlotRange{8192, 16383, b.port(), {}}});
  }
};

// A request redirected onto the client's own connection to the node
// named, while that connection holds its writes for the client's earlier
// requests (a BLPOP opened it just now): the redirected request is one of
// those earlier requests, so the gate waits for it and it waits behind the
// gate. Both the GET and the BLPOP hang forever (held requests have no
// deadline).
TEST(ClusterEdges, RedirectSkipsTheClientsHeldOwnConnection) {
  TwoNodes n;
  const std::string ka = key_in_slot(100, "ka");    // on a by the map
  const std::string qa = key_in_slot(101, "qa");    // on a
  const std::string qb = key_in_slot(9000, "qb");   // on b
  n.a.set_responder([&](const Args& r) -> FakeReply {
    if (is_command(r, "CLUSTER")) return n.map();
    if (is_command(r, "BLPOP")) return "*-1\r\n";
    if (is_command(r, "GET") && r[1] == ka) return moved_reply(key_slot(ka), n.b.port());
    // b's keys, as a real node answers them: a request that came before
    // walnut had the map (a slow start) is sent on to b.
    if (r.size() > 1 && key_slot(r[1]) >= 8192) return moved_reply(key_slot(r[1]), n.b.port());
    return bulk("a:" + r[1]);
  });
  n.b.set_responder([&](const Args& r) -> FakeReply {
    if (is_command(r, "CLUSTER")) return n.map();
    if (is_command(r, "BLPOP")) return "*-1\r\n";
    return bulk("b:" + r[1]);
  });
  TempDir dir;
  Walnut w(dir, cluster_yaml({n.a.port()}, "  cluster_refresh_interval: 0\n"));
  Client c(w.port());
  ASSERT_EQ(c.call({"GET", qb}), bulk("b:" + qb));  // the map is known
  ASSERT_EQ(c.call({"BLPOP", qa, "1"}), "*-1\r\n");  // the client now has its own connection to a
  RawClient raw(w.port());
  ASSERT_EQ(raw.read_for(10ms), "");
  raw.send_raw(encode({"BLPOP", qa, "1"}));
  ASSERT_EQ(raw.read_for(2s, 5), "*-1\r\n");
  // GET ka: on its own connection to a, MOVED to b; BLPOP qb: opens its own
  // connection to b, held until the GET is answered.
  raw.send_raw(encode({"GET", ka}) + encode({"BLPOP", qb, "1"}));
  const std::string want = bulk("b:" + ka) + "*-1\r\n";
  EXPECT_EQ(raw.read_for(3s, want.size()), want) << "b saw " << n.b.requests().size() << " requests";
}

// A block answered MOVED names a node where the client has a connection of
// its own that a later request opened and left empty: a SUBSCRIBE to two
// nodes, the second backing off, opens the first and fails. That
// connection holds its writes until everything before the SUBSCRIBE is
// answered, the block among them: the block must not join it, or each
// waits for the other (held requests have no deadline). The client gets
// the MOVED instead, then the SUBSCRIBE's error.
TEST(ClusterEdges, BlockIsNotFollowedOntoAConnectionHeldForItself) {
  FakeClusterNode a;
  FakeClusterNode b;
  FakeClusterNode c;
  const std::string map = write_cluster_slots({SlotRange{0, 5460, a.port(), {}},
                                               SlotRange{5461, 10922, b.port(), {}},
                                               SlotRange{10923, 16383, c.port(), {}}});
  const std::string qa = key_in_slot(100, "qa");      // on a by the map, MOVED to b
  const std::string chb = key_in_slot(6000, "chb");   // a channel on b
  const std::string chc = key_in_slot(12000, "chc");  // a channel on c
  const std::string kc = key_in_slot(12001, "kc");
  const auto node = [&](const char* name) {
    return [&, name](const Args& r) -> FakeReply {
      if (is_command(r, "CLUSTER")) return map;
      if (is_command(r, "BLPOP")) return moved_reply(key_slot(qa), b.port());
      return bulk(std::string(name) + ":" + r[1]);
    };
  };
  a.set_responder(node("a"));
  b.set_responder(node("b"));
  c.set_responder(node("c"));
  TempDir dir;
  Walnut w(dir, cluster_yaml({a.port()}, "  cluster_refresh_interval: 0\n"));
  Client probe(w.port());
  ASSERT_TRUE(wait_until([&] { return probe.call({"GET", kc}) == bulk("c:" + kc); }, 5s))
      << "walnut never read the map";
  c.stop();
  // Failed connects back c off, for longer each time (up to a second).
  for (int i = 0; i < 6; ++i) ASSERT_EQ(probe.call({"GET", kc}).substr(0, 1), "-");
  RawClient raw(w.port());
  raw.send_raw(encode({"BLPOP", qa, "5"}) + encode({"SUBSCRIBE", chb, chc}));
  std::string replies;  // two error lines are due
  const auto deadline = std::chrono::steady_clock::now() + 3s;
  while (std::count(replies.begin(), replies.end(), '\n') < 2 &&
         std::chrono::steady_clock::now() < deadline) {
    replies += raw.read_for(100ms);
  }
  EXPECT_EQ(replies.substr(0, 7), "-MOVED ") << "the block waits on: " << replies;
  EXPECT_NE(replies.find("\r\n-"), std::string::npos) << "no error for the SUBSCRIBE: " << replies;
}

// A client with its own connections resets its connection while a
// request of it is out on a shared connection; the request is then
// redirected: Cluster::follow -> Forwarder::send_to -> conn_for reads
// msg->pins, the ClientPins of the ClientConn deleted meanwhile.
// Shows as a heap-use-after-free with WALNUT_BINARY=<sanitized walnut>.
TEST(ClusterEdges, RedirectAfterItsClientLeftIsDropped) {
  TwoNodes n;
  const std::string qa = key_in_slot(101, "qa");   // on a
  const std::string kb = key_in_slot(9000, "kb");  // on b by the map, MOVED to a late
  n.a.set_responder([&](const Args& r) -> FakeReply {
    if (is_command(r, "CLUSTER")) return n.map();
    if (is_command(r, "BLPOP")) return "*-1\r\n";
    return bulk("a:" + r[1]);
  });
  n.b.set_responder([&](const Args& r) -> FakeReply {
    if (is_command(r, "CLUSTER")) return n.map();
    if (is_command(r, "GET") && r[1] == kb) {
      std::this_thread::sleep_for(300ms);  // the client leaves meanwhile
      return moved_reply(key_slot(kb), n.a.port());
    }
    return bulk("b:" + r[1]);
  });
  TempDir dir;
  Walnut w(dir, cluster_yaml({n.a.port()}, "  cluster_refresh_interval: 0\n"));
  {
    Client probe(w.port());
    ASSERT_EQ(probe.call({"GET", "x" + qa}).substr(0, 1), "$");
  }
  for (int round = 0; round < 3; ++round) {
    RawClient raw(w.port());
    raw.send_raw(encode({"BLPOP", qa, "1"}));
    ASSERT_EQ(raw.read_for(2s, 5), "*-1\r\n");  // its own connection to a
    raw.send_raw(encode({"GET", kb}));           // out on b's shared connection
    std::this_thread::sleep_for(50ms);
    raw.reset();
    std::this_thread::sleep_for(500ms);  // b's MOVED: followed for nobody
  }
  Client after(w.port());
  EXPECT_EQ(after.call({"GET", qa}), bulk("a:" + qa)) << "walnut still serves";
}

// The same for a request parked after a TRYAGAIN: retry_parked ->
// follow -> conn_for reads the freed pins.
TEST(ClusterEdges, ParkedRequestOfAClientThatLeftIsDropped) {
  TwoNodes n;
  const std::string qa = key_in_slot(101, "qa");
  const std::string kb = key_in_slot(9000, "kb");
  n.a.set_responder([&](const Args& r) -> FakeReply {
    if (is_command(r, "CLUSTER")) return n.map();
    if (is_command(r, "BLPOP")) return "*-1\r\n";
    // b's keys, as a real node answers them: a request that came before
    // walnut had the map (a slow start) is sent on to b.
    if (r.size() > 1 && key_slot(r[1]) >= 8192) return moved_reply(key_slot(r[1]), n.b.port());
    return bulk("a:" + r[1]);
  });
  n.b.set_responder([&](const Args& r) -> FakeReply {
    if (is_command(r, "CLUSTER")) return n.map();
    if (is_command(r, "MGET")) return error_reply("TRYAGAIN Multiple keys request during rehashing of slot");
    return bulk("b:" + r[1]);
  });
  TempDir dir;
  Walnut w(dir, cluster_yaml({n.a.port()}, "  cluster_refresh_interval: 0\n"));
  {
    Client probe(w.port());
    ASSERT_EQ(probe.call({"GET", kb}), bulk("b:" + kb));
  }
  for (int round = 0; round < 3; ++round) {
    RawClient raw(w.port());
    raw.send_raw(encode({"BLPOP", qa, "1"}));
    ASSERT_EQ(raw.read_for(2s, 5), "*-1\r\n");
    raw.send_raw(encode({"MGET", "{" + kb + "}1", "{" + kb + "}2"}));  // parked, doubling pauses
    std::this_thread::sleep_for(30ms);
    raw.reset();
    std::this_thread::sleep_for(1500ms);  // its retries run for nobody
  }
  Client after(w.port());
  EXPECT_EQ(after.call({"GET", qa}), bulk("a:" + qa)) << "walnut still serves";
}

// TRYAGAIN from the importing node (a multi-key request sent there with
// ASKING, some of its keys not there): walnut sends it again to that node
// without ASKING, which answers MOVED back to the source; the redirects run
// out in a loop ASK -> TRYAGAIN -> MOVED, and the client is given a -MOVED
// (or -ASK), which a client that knows nothing of clusters cannot follow.
// Redis's own last word there is TRYAGAIN (what a cluster client gets).
TEST(ClusterEdges, TryAgainFromTheImportingNodeIsRetriedWithAsking) {
  TwoNodes n;
  const std::string tag = key_in_slot(100, "t");
  const std::string k1 = "{" + tag + "}1";
  const std::string k2 = "{" + tag + "}2";
  std::atomic<bool> asked{false};
  n.a.set_responder([&](const Args& r) -> FakeReply {
    if (is_command(r, "CLUSTER")) return n.map();
    if (is_command(r, "MGET")) return ask_reply(key_slot(k1), n.b.port());  // migrating: k1 moved
    return bulk("a:" + r[1]);
  });
  n.b.set_responder([&](const Args& r) -> FakeReply {
    if (is_command(r, "CLUSTER")) return n.map();
    if (is_command(r, "ASKING")) {
      asked = true;
      return "+OK\r\n";
    }
    const bool was_asked = asked.exchange(false);
    if (is_command(r, "MGET")) {
      // importing: k2 is not here yet
      if (was_asked) return error_reply("TRYAGAIN Multiple keys request during rehashing of slot");
      return moved_reply(key_slot(k1), n.a.port());
    }
    return bulk("b:" + r[1]);
  });
  TempDir dir;
  Walnut w(dir, cluster_yaml({n.a.port()}, "  cluster_refresh_interval: 0\n"));
  Client c(w.port());
  const std::string reply = c.call({"MGET", k1, k2});
  int mget_without_asking = 0;
  std::string previous;
  for (const FakeRequest& r : n.b.requests()) {
    if (is_command(r.args, "MGET") && previous != "ASKING") ++mget_without_asking;
    previous = r.args.empty() ? "" : r.args[0];
  }
  EXPECT_EQ(mget_without_asking, 0) << "a TRYAGAIN from the importing node sent back there without ASKING";
  EXPECT_EQ(reply.rfind("-TRYAGAIN", 0), 0u) << "the client got: " << reply;
}

// --request-buffer-limit: a large request, once written, is discharged
// from the budget (request_budget.h: "so a slow server cannot make walnut
// hold upload after upload"), but in a cluster pool its bytes are kept
// until it is answered (follows_redirects_). A node that reads and does not
// answer yet makes walnut hold every upload, past the limit: compared here
// with the same pool without redis_cluster.
long held_kb_after_uploads(bool cluster) {
  FakeClusterNode node;
  node.set_responder([&node](const Args& r) -> FakeReply {
    if (is_command(r, "CLUSTER")) {
      return write_cluster_slots({SlotRange{0, 16383, node.port(), {}}});
    }
    if (is_command(r, "GET")) return "$-1\r\n";
    return "";  // a slow node: it read the SET, its answer is not there yet
  });
  TempDir dir;
  const std::string extra = cluster ? "  redis_cluster: true\n" : "";
  Walnut w(dir,
           pool_yaml("cl", {node.port()}, extra + "  timeout: 3500\n"),
           {"--request-buffer-limit=" + std::to_string(8 << 20)});
  {
    Client probe(w.port());
    if (probe.call({"GET", "x"}) != "$-1\r\n") return -1;
  }
  const long before = proc_status_kb(w.process().pid(), "VmRSS");
  const std::string big(4 << 20, 'x');
  std::vector<std::unique_ptr<RawClient>> clients;
  std::vector<std::thread> senders;  // walnut may not read them all: sends block
  for (int i = 0; i < 24; ++i) {  // 96 MB of uploads
    clients.push_back(std::make_unique<RawClient>(w.port()));
    RawClient* client = clients.back().get();
    senders.emplace_back([client, i, &big] {
      client->send_raw(encode({"SET", "big" + std::to_string(i), big}));
    });
  }
  std::this_thread::sleep_for(3s);
  const long held = proc_status_kb(w.process().pid(), "VmRSS") - before;
  for (auto& client : clients) client->stop_sending();  // ends a blocked send
  for (std::thread& t : senders) t.join();
  for (auto& client : clients) client->reset();  // gone, walnut drops their uploads
  return held;
}

TEST(ClusterEdges, LargeUploadsToASlowNodeStayWithinTheRequestBudget) {
  if (walnut_uses_asan_allocator()) GTEST_SKIP() << "resident memory says little under ASan";
  const long plain = held_kb_after_uploads(false);
  const long cluster = held_kb_after_uploads(true);
  ASSERT_GE(plain, 0);
  ASSERT_GE(cluster, 0);
  // Kept charged, the uploads written and not answered stop the others at
  // the limit, give or take what each had read before it was stopped; held
  // uncharged, all 96 MB stayed.
  EXPECT_LT(cluster, plain + 64 * 1024)
      << "walnut held " << cluster / 1024 << " MB more in the cluster pool, "
      << plain / 1024 << " MB more in the plain one (limit 8 MB)";
}

// One failure of a master (its connection closed once) has walnut read the
// map every 500 ms for a while, to see a replica promoted; with no more
// failures (nobody sends it anything) that stops, whatever
// cluster_refresh_interval says (0 here: "only when needed").
TEST(ClusterEdges, OneFailureOfAnIdleMasterStopsPollingTheMap) {
  TwoNodes n;
  const std::string kb = key_in_slot(9000, "kb");
  n.a.set_responder([&](const Args& r) -> FakeReply {
    if (is_command(r, "CLUSTER")) return n.map();
    return bulk("a:" + r[1]);
  });
  std::atomic<bool> fail_once{true};
  n.b.set_responder([&](const Args& r) -> FakeReply {
    if (is_command(r, "CLUSTER")) return n.map();
    if (fail_once.exchange(false)) return FakeReply("", true);  // hangs up once
    return bulk("b:" + r[1]);
  });
  TempDir dir;
  Walnut w(dir, cluster_yaml({n.a.port()}, "  cluster_refresh_interval: 0\n"));
  Client c(w.port());
  ASSERT_EQ(c.call({"GET", key_in_slot(100, "ka")}).substr(0, 1), "$");  // the map is known
  EXPECT_EQ(c.call({"GET", kb}).substr(0, 1), "-");  // b hung up: one failure
  std::this_thread::sleep_for(2500ms);  // past the 2 s a failure counts for
  const int before = n.a.count("CLUSTER");
  std::this_thread::sleep_for(3s);  // nobody sends b anything; b is healthy
  const int reads = n.a.count("CLUSTER") - before;
  EXPECT_LE(reads, 1) << reads << " slot map reads in 3 s of an idle, healthy cluster";
}

// Against a real Redis Cluster.
class ClusterEdgesReal : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    RedisClusterOptions options;
    options.replicas_per_master = 0;
    options.extra_args = {"--cluster-require-full-coverage", "no"};
    cluster_ = new RedisCluster(options);
  }
  static void TearDownTestSuite() {
    delete cluster_;
    cluster_ = nullptr;
  }
  void SetUp() override { cluster_->wait_ok(); }

  int other_master(int port) {
    for (int p : cluster_->master_ports()) {
      if (p != port) return p;
    }
    return -1;
  }

  static RedisCluster* cluster_;
  TempDir dir_;
};

RedisCluster* ClusterEdgesReal::cluster_ = nullptr;

// On a real cluster: MGET of two keys of a slot half-way through
// its migration, one key moved, the other on no node (a MGET of a key that
// does not exist is ordinary).
TEST_F(ClusterEdgesReal, MgetDuringMigrationEndsInTryAgainNotARedirect) {
  const std::string tag = "trymig";
  const std::string moved = "{" + tag + "}moved";
  const std::string missing = "{" + tag + "}missing";
  const int slot = key_slot(moved);
  const int from = cluster_->master_of_slot(slot);
  const int to = other_master(from);
  ASSERT_EQ(cluster_->call(from, {"SET", moved, "m"}), "+OK\r\n");
  Walnut w(dir_, cluster_yaml({from}, "  cluster_refresh_interval: 0\n"));
  Client c(w.port());
  ASSERT_EQ(c.call({"GET", moved}), bulk("m"));
  SlotMigration m = cluster_->migrate_slot(slot, from, to);
  m.set_importing();
  m.set_migrating();
  ASSERT_EQ(m.move_keys(10), 1);
  // A cluster client: MGET at the source -> ASK; ASKING + MGET at the
  // target -> TRYAGAIN (the missing key is on neither).
  const std::string direct_source = cluster_->call(from, {"MGET", moved, missing});
  const std::string reply = c.call({"MGET", moved, missing});
  m.finish();
  EXPECT_EQ(direct_source.rfind("-ASK ", 0), 0u) << direct_source;
  EXPECT_TRUE(reply.rfind("-TRYAGAIN", 0) == 0 || reply == "*2\r\n" + bulk("m") + "$-1\r\n")
      << "walnut answered: " << reply;
  EXPECT_EQ(reply.rfind("-MOVED", 0), std::string::npos) << reply;
  EXPECT_EQ(reply.rfind("-ASK", 0), std::string::npos) << reply;
}

// cluster-preferred-endpoint-type unknown-endpoint (Redis 7): redirects
// name no host, "-MOVED <slot> :<port>", meaning "the host you asked, this
// port". walnut takes it for no redirect and gives it to the client.
TEST_F(ClusterEdgesReal, MovedWithAnEmptyEndpointIsFollowed) {
  for (int p : cluster_->live_ports()) {
    ASSERT_EQ(cluster_->call(p, {"CONFIG", "SET", "cluster-preferred-endpoint-type",
                                 "unknown-endpoint"}),
              "+OK\r\n");
  }
  const std::string key = "empty-endpoint";
  const int slot = key_slot(key);
  const int from = cluster_->master_of_slot(slot);
  const int to = other_master(from);
  ASSERT_EQ(cluster_->call(from, {"SET", key, "v"}), "+OK\r\n");
  Walnut w(dir_, cluster_yaml({from}, "  cluster_refresh_interval: 0\n"));
  Client c(w.port());
  ASSERT_EQ(c.call({"GET", key}), bulk("v"));  // the map (hosts "" there) is read
  cluster_->move_slot(slot, from, to);
  const std::string direct = cluster_->call(from, {"GET", key});
  const std::string reply = c.call({"GET", key});
  for (int p : cluster_->live_ports()) {
    cluster_->call(p, {"CONFIG", "SET", "cluster-preferred-endpoint-type", "ip"});
  }
  EXPECT_EQ(direct, "-MOVED " + std::to_string(slot) + " :" + std::to_string(to) + "\r\n");
  EXPECT_EQ(reply, bulk("v")) << "walnut answered: " << reply;
}

// On a real cluster: a slot moved behind walnut's back; the
// client's GET of it (sent before MULTI) is MOVED into its transaction.
TEST_F(ClusterEdgesReal, MovedRequestStaysOutOfTheClientsTransaction) {
  const std::string q = "txq";  // the transaction's node: q's master
  const int node = cluster_->master_of_slot(key_slot(q));
  const int other = other_master(node);
  std::string key;  // a key on `other` now, to be moved to `node`
  for (int i = 0; key.empty() && i < 100000; ++i) {
    const std::string k = "txmoving:" + std::to_string(i);
    if (cluster_->master_of_slot(key_slot(k)) == other) key = k;
  }
  ASSERT_FALSE(key.empty());
  ASSERT_EQ(cluster_->call(other, {"SET", key, "v"}), "+OK\r\n");
  Walnut w(dir_, cluster_yaml({node}, "  cluster_refresh_interval: 0\n"));
  Client c(w.port());
  ASSERT_EQ(c.call({"GET", key}), bulk("v"));
  ASSERT_EQ(c.call({"BLPOP", "{" + q + "}list", "0.01"}), "*-1\r\n");  // its own connection to node
  cluster_->move_slot(key_slot(key), other, node);
  c.send_raw(encode({"GET", key}) + encode({"MULTI"}) + encode({"SET", "{" + q + "}x", "1"}));
  std::this_thread::sleep_for(300ms);
  c.send_raw(encode({"EXEC"}));
  EXPECT_EQ(c.read_reply(), bulk("v")) << "the GET's reply";
  EXPECT_EQ(c.read_reply(), "+OK\r\n");
  EXPECT_EQ(c.read_reply(), "+QUEUED\r\n");
  EXPECT_EQ(c.read_reply(), "*1\r\n+OK\r\n") << "EXEC of the one command the client queued";
}

// SCAN's cursor names a master by its place in Cluster::masters(),
// which is the order of the masters' first slot ranges in the map. Moving
// one slot (slot 0 here, as redis-cli --cluster reshard moves a source's
// first slots) reorders them: a SCAN under way continues on another node
// with the first node's cursor, and keys present all along are never
// returned.
TEST_F(ClusterEdgesReal, ScanUnderWaySeesEveryKeyAcrossAReshard) {
  Walnut w(dir_, cluster_yaml({cluster_->master_ports()[0]}, "  cluster_refresh_interval: 200\n"));
  Client c(w.port());
  for (int p : cluster_->master_ports()) cluster_->call(p, {"FLUSHALL"});
  constexpr int kKeys = 900;
  for (int i = 0; i < kKeys; ++i) {
    ASSERT_EQ(c.call({"SET", "scan:" + std::to_string(i), "x"}), "+OK\r\n");
  }
  const int first_owner = cluster_->master_of_slot(0);
  const int last_owner = cluster_->master_of_slot(16383);
  ASSERT_NE(first_owner, last_owner);
  std::set<std::string> seen;
  std::string cursor = "0";
  const auto scan_once = [&] {
    const std::string reply = c.call({"SCAN", cursor, "COUNT", "50"});
    if (reply.rfind("*2\r\n", 0) != 0) return false;
    const size_t at = reply.find("\r\n", 4);
    const int len = std::stoi(reply.substr(5, at - 5));
    cursor = reply.substr(at + 2, static_cast<size_t>(len));
    for (size_t pos = reply.find("scan:"); pos != std::string::npos; pos = reply.find("scan:", pos + 1)) {
      const size_t end = reply.find("\r\n", pos);
      seen.insert(reply.substr(pos, end - pos));
    }
    return true;
  };
  ASSERT_TRUE(scan_once());
  ASSERT_TRUE(scan_once());
  ASSERT_NE(cursor, "0");
  // Slot 0 (no key of ours) to the master of the last slots.
  cluster_->move_slot(0, first_owner, last_owner);
  std::this_thread::sleep_for(1s);  // walnut reads the new map
  for (int round = 0; round < 1000 && cursor != "0"; ++round) ASSERT_TRUE(scan_once()) << cursor;
  cluster_->move_slot(0, last_owner, first_owner);
  EXPECT_EQ(seen.size(), static_cast<size_t>(kKeys)) << "keys present all along, never returned";
}

}  // namespace
}  // namespace walnut::e2e
