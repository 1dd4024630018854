// What one node of a Redis Cluster says about the cluster (CLUSTER INFO,
// CLUSTER SLOTS, CLUSTER NODES, INFO replication), and whether that is the
// word of a settled cluster: the check RedisCluster::wait_ok() polls.
#pragma once

#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "tests/e2e/cluster_slots.h"
#include "tests/e2e/resp_reply.h"

namespace walnut::e2e {

// One line of CLUSTER NODES: "<id> <ip:port@bus> <flags> <master id> ...".
struct NodeLine {
  std::string id;
  int port = -1;
  std::set<std::string> flags;  // "myself", "master", "slave", "fail?", "fail", ...
  std::string master_id;        // "-" for a master
};

std::vector<NodeLine> read_cluster_nodes(const std::string& text);

// The value of "field:" in an INFO-style text ("" when absent).
std::string info_field(const std::string& text, const std::string& field);

// CLUSTER SLOTS entries ordered by their first slot.
std::vector<SlotRange> by_first_slot(std::vector<SlotRange> ranges);

struct NodeView {
  int port = -1;
  std::string state;  // cluster_state in CLUSTER INFO
  bool slots_readable = false;
  std::vector<SlotRange> slots;  // CLUSTER SLOTS, by_first_slot
  std::vector<NodeLine> nodes;   // CLUSTER NODES
  // Replica port -> its master's port, for the replicas not marked failing.
  std::map<int, int> replica_of;
  std::string role;  // "master" or "slave", from INFO replication
  std::string link;  // master_link_status, a replica's
};

// Sends one command to the node and returns its raw reply.
using NodeCall = std::function<std::string(const Args&)>;

NodeView read_node_view(int port, const NodeCall& call);

// What in `v` is not what a settled cluster's node says ("" when nothing):
// cluster_state ok; a CLUSTER SLOTS that covers every slot, names only nodes
// in `live` and lists each master's replicas, as CLUSTER NODES has them;
// all `total` nodes known, those in `live` as healthy, the others as
// failed; a replica's link to its master up. And the same slots and
// replicas as `reference`, another node's view.
std::string settle_problem(const NodeView& v, const NodeView& reference, const std::set<int>& live,
                           size_t total);

// A slot map for failure messages: " first-last:master/replica...".
std::string describe(const std::vector<SlotRange>& ranges);

}  // namespace walnut::e2e
