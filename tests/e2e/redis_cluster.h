// A real Redis Cluster for the end-to-end tests: redis-servers on free
// loopback ports, joined by redis-cli --cluster create, and the moves a test
// makes on it (a slot migration step by step, a failover, a node killed and
// restarted). Starting one takes a few seconds, so a suite starts it once
// (in SetUpTestSuite) and its tests share it: every question here is asked
// of the cluster as it is now, never remembered from its start, because an
// earlier test may have moved slots or swapped a master and its replica.
//
// Failures (a node that does not start, a cluster that does not settle
// within the limit) throw std::runtime_error saying what was wrong, which
// fails the test that called.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "tests/e2e/cluster_slots.h"
#include "tests/e2e/harness.h"
#include "tests/e2e/resp_reply.h"

namespace walnut::e2e {

struct RedisClusterOptions {
  int masters = 3;
  int replicas_per_master = 1;
  // --cluster-node-timeout: how long a node may be silent before the others
  // count it as failing, and so how long a failover after kill_node takes.
  std::chrono::milliseconds node_timeout{2000};
  // How long start-up, wait_ok(), failover() and a migration's finish() may
  // take before they give up.
  std::chrono::milliseconds limit{60000};
  // More redis-server arguments for every node (after the harness's own).
  std::vector<std::string> extra_args;
};

class SlotMigration;

class RedisCluster {
 public:
  // Starts the nodes, creates the cluster and waits until wait_ok().
  explicit RedisCluster(const RedisClusterOptions& options = {});
  // Stops every node by pid.
  ~RedisCluster();
  RedisCluster(const RedisCluster&) = delete;
  RedisCluster& operator=(const RedisCluster&) = delete;

  // Every node's port, in start order, killed ones included.
  const std::vector<int>& ports() const { return ports_; }
  // The nodes not killed by kill_node (and not restarted since).
  std::vector<int> live_ports() const;
  RedisServer& server(int port);

  // One command on a node, over a connection kept for it (made again when
  // the node was restarted); its raw reply, "" when the node is down.
  std::string call(int port, const Args& args);

  // The slot map as the node on `asked_port` sees it now (0: the first live
  // node). Throws when its CLUSTER SLOTS reply cannot be read.
  std::vector<SlotRange> slots(int asked_port = 0);
  // The master port of each of the 16384 slots (-1: none), as `asked_port`
  // sees it.
  std::vector<int> masters_by_slot(int asked_port = 0);
  int master_of_slot(int slot, int asked_port = 0);
  // The ports of the masters that serve at least one slot, ascending.
  std::vector<int> master_ports(int asked_port = 0);
  // The ports of the replicas of a master, ascending, as the master sees
  // them in CLUSTER NODES (or the first live node, when the master is
  // down); replicas marked failing are left out.
  std::vector<int> replica_ports(int master_port);
  // A node's id (CLUSTER MYID, asked at start: a node keeps its id across a
  // restart, in its nodes.conf).
  const std::string& node_id(int port) const;

  // What keeps the cluster from being settled now, "" when nothing does:
  // every live node reports cluster_state:ok, knows every node, sees every
  // live one as healthy and every killed one as failed, and has the same
  // CLUSTER SLOTS and CLUSTER NODES replicas as the others, covering all
  // 16384 slots with live nodes only; every live replica's link to its
  // master is up (see settle_problem in cluster_node_view.h).
  std::string problems();
  // Polls problems() until it is "" (throws with the last problems after
  // the options' limit, or `limit` when given).
  void wait_ok(std::chrono::milliseconds limit = std::chrono::milliseconds(0));

  // A migration of `slot` from one master to another, its steps left to
  // the caller (see SlotMigration).
  SlotMigration migrate_slot(int slot, int from_port, int to_port);
  // The whole migration at once, every key moved.
  void move_slot(int slot, int from_port, int to_port);

  // CLUSTER FAILOVER on a replica (with `option` "FORCE" or "TAKEOVER" when
  // not ""), then waits until it is master and the cluster is settled.
  void failover(int replica_port, const std::string& option = "");

  // SIGKILL by pid: a crash. Waits for nothing; wait_ok() then waits until
  // the others have marked the node failed (and promoted a replica of a
  // master).
  void kill_node(int port);
  // Starts a killed node again as the same node (same port, id, nodes.conf).
  // Waits only until it listens; wait_ok() then waits until it has rejoined.
  void restart_node(int port);

 private:
  bool live(int port) const { return killed_.count(port) == 0; }
  int first_live() const;
  std::chrono::milliseconds limit_or_default(std::chrono::milliseconds limit) const;

  RedisClusterOptions options_;
  TempDir dir_;  // declared before servers_: removed after the nodes stopped
  std::vector<int> ports_;
  std::map<int, std::unique_ptr<RedisServer>> servers_;
  std::map<int, std::string> ids_;
  std::map<int, std::unique_ptr<Client>> connections_;
  std::set<int> killed_;
};

// A slot's migration from one master (the source) to another (the target),
// in the steps Redis Cluster takes, for a test to interleave requests
// between them:
//   set_importing()  the target takes the slot's keys from the source, and
//                    requests for them from clients that sent ASKING;
//   set_migrating()  the source answers -ASK for the slot's keys it no
//                    longer has;
//   move_keys(n)     MIGRATE moves up to n of the slot's keys (repeatable);
//   assign_on(port)  one node learns that the target owns the slot;
//   finish()         moves the keys left, assigns the slot on the target,
//                    the source and every other master, and waits until
//                    every node agrees.
class SlotMigration {
 public:
  SlotMigration(RedisCluster& cluster, int slot, int from_port, int to_port);
  int slot() const { return slot_; }
  int from_port() const { return from_; }
  int to_port() const { return to_; }

  // CLUSTER SETSLOT <slot> IMPORTING <source id>, on the target.
  void set_importing();
  // CLUSTER SETSLOT <slot> MIGRATING <target id>, on the source.
  void set_migrating();
  // Up to `count` of the slot's keys still on the source (GETKEYSINSLOT).
  std::vector<std::string> keys_on_source(int count);
  // MIGRATEs up to `count` of those keys to the target in one command; how
  // many it moved.
  int move_keys(int count);
  // CLUSTER SETSLOT <slot> NODE <target id>, on one node.
  void assign_on(int port);
  void finish();

 private:
  // Throws unless `reply` is +OK.
  void expect_ok(const std::string& what, const std::string& reply) const;

  RedisCluster& cluster_;
  int slot_;
  int from_;
  int to_;
};

}  // namespace walnut::e2e
