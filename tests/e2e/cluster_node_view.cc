// What one cluster node says, and whether it is settled (see
// cluster_node_view.h).
#include "tests/e2e/cluster_node_view.h"

#include <algorithm>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

namespace walnut::e2e {

namespace {

// "fail?": this node suspects it; "fail": enough masters agreed.
bool failing(const NodeLine& n) {
  return n.flags.count("fail") != 0 || n.flags.count("fail?") != 0;
}

bool healthy(const NodeLine& n) {
  return !failing(n) && n.flags.count("handshake") == 0 && n.flags.count("noaddr") == 0;
}

std::string problem_with_nodes(const NodeView& v, const std::set<int>& live, size_t total) {
  if (v.nodes.size() != total) {
    return "knows " + std::to_string(v.nodes.size()) + " nodes of " + std::to_string(total);
  }
  for (const NodeLine& n : v.nodes) {
    const bool is_live = live.count(n.port) != 0;
    if (is_live && !healthy(n)) {
      return "sees live node " + std::to_string(n.port) + " as not healthy";
    }
    if (!is_live && n.flags.count("fail") == 0) {
      return "does not see killed node " + std::to_string(n.port) + " as failed";
    }
  }
  return "";
}

std::string problem_with_slots(const NodeView& v, const std::set<int>& live) {
  if (!v.slots_readable) return "no CLUSTER SLOTS";
  if (std::string gap = coverage_problem(v.slots); !gap.empty()) return gap;
  for (const SlotRange& r : v.slots) {
    if (live.count(r.master) == 0) {
      return "killed node " + std::to_string(r.master) + " serves slots";
    }
    // Redis 7 leaves out of CLUSTER SLOTS a replica that has not yet
    // reported a replication offset: it shows up after its master's next
    // ping down the replication link (see repl-ping-replica-period).
    std::vector<int> replicas;
    for (const auto& [replica, master] : v.replica_of) {
      if (master == r.master && live.count(replica) != 0) replicas.push_back(replica);
    }
    if (r.replicas != replicas) {
      return "CLUSTER SLOTS lists other replicas of " + std::to_string(r.master) +
             " than CLUSTER NODES:" + describe({r});
    }
  }
  return "";
}

std::string problem_with_role(const NodeView& v) {
  const bool replica_by_nodes = v.replica_of.count(v.port) != 0;
  if (v.role == "slave") {
    if (!replica_by_nodes) return "a replica that CLUSTER NODES calls no replica";
    if (v.link != "up") {
      return "replica's master_link_status " + (v.link.empty() ? "unknown" : v.link);
    }
  } else if (v.role != "master" || replica_by_nodes) {
    return "role " + (v.role.empty() ? "unknown" : v.role) + " not as in CLUSTER NODES";
  }
  return "";
}

}  // namespace

std::vector<NodeLine> read_cluster_nodes(const std::string& text) {
  std::vector<NodeLine> out;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream fields(line);
    NodeLine n;
    std::string address, flags;
    if (!(fields >> n.id >> address >> flags >> n.master_id)) continue;
    const size_t colon = address.rfind(':', address.find('@'));
    if (colon != std::string::npos) n.port = std::atoi(address.c_str() + colon + 1);
    std::istringstream each(flags);
    for (std::string flag; std::getline(each, flag, ',');) n.flags.insert(flag);
    out.push_back(n);
  }
  return out;
}

std::string info_field(const std::string& text, const std::string& field) {
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.rfind(field + ":", 0) == 0) return line.substr(field.size() + 1);
  }
  return "";
}

std::vector<SlotRange> by_first_slot(std::vector<SlotRange> ranges) {
  std::sort(ranges.begin(), ranges.end(),
            [](const SlotRange& a, const SlotRange& b) { return a.first < b.first; });
  return ranges;
}

NodeView read_node_view(int port, const NodeCall& call) {
  NodeView v;
  v.port = port;
  v.state = info_field(parse(call({"CLUSTER", "INFO"})).text, "cluster_state");
  v.slots_readable = read_cluster_slots(call({"CLUSTER", "SLOTS"}), &v.slots);
  v.slots = by_first_slot(v.slots);
  v.nodes = read_cluster_nodes(parse(call({"CLUSTER", "NODES"})).text);
  std::map<std::string, int> port_of;
  for (const NodeLine& n : v.nodes) port_of[n.id] = n.port;
  for (const NodeLine& n : v.nodes) {
    if (n.flags.count("slave") != 0 && !failing(n) && port_of.count(n.master_id) != 0) {
      v.replica_of[n.port] = port_of[n.master_id];
    }
  }
  const std::string info = parse(call({"INFO", "replication"})).text;
  v.role = info_field(info, "role");
  v.link = info_field(info, "master_link_status");
  return v;
}

std::string settle_problem(const NodeView& v, const NodeView& reference, const std::set<int>& live,
                           size_t total) {
  if (v.state != "ok") return "cluster_state " + (v.state.empty() ? "unknown" : v.state);
  if (std::string p = problem_with_slots(v, live); !p.empty()) return p;
  if (v.slots != reference.slots) {
    return "CLUSTER SLOTS" + describe(v.slots) + " differs from" + describe(reference.slots) +
           " (port " + std::to_string(reference.port) + "'s)";
  }
  if (v.replica_of != reference.replica_of) {
    return "CLUSTER NODES has other replicas than port " + std::to_string(reference.port) + "'s";
  }
  if (std::string p = problem_with_nodes(v, live, total); !p.empty()) return p;
  return problem_with_role(v);
}

std::string describe(const std::vector<SlotRange>& ranges) {
  std::string out;
  for (const SlotRange& r : ranges) {
    out += " " + std::to_string(r.first) + "-" + std::to_string(r.last) + ":" +
           std::to_string(r.master);
    for (int replica : r.replicas) out += "/" + std::to_string(replica);
  }
  return out;
}

}  // namespace walnut::e2e
