// CLUSTER SLOTS replies, read and written: the real cluster's are read to
// learn who serves which slot, and the fake nodes' are written to script a
// slot map a real cluster would not show (holes, overlaps, a node that
// names itself for a slot it does not serve). Loopback addresses only.
#pragma once

#include <string>
#include <vector>

namespace walnut::e2e {

// One entry of CLUSTER SLOTS: slots first..last (inclusive) and the ports
// of the nodes serving them on 127.0.0.1.
struct SlotRange {
  int first = 0;
  int last = 0;
  int master = -1;
  std::vector<int> replicas;
  bool operator==(const SlotRange&) const = default;
};

// The entries of a CLUSTER SLOTS reply (raw RESP bytes) in its order, with
// each one's replicas sorted; false when `raw` is not such a reply.
bool read_cluster_slots(const std::string& raw, std::vector<SlotRange>* out);

// A 40-character node id made from a port, for fake nodes.
std::string fake_node_id(int port);

// A CLUSTER SLOTS reply for `ranges`, in their order, with ids from
// fake_node_id. Each node is [ip, port, id] as Redis 6 sends it, or with
// Redis 7's fourth element (an empty array of extra networking metadata)
// when `redis7_metadata` is set.
std::string write_cluster_slots(const std::vector<SlotRange>& ranges, bool redis7_metadata = true);

// The master port of every slot (-1 where no entry covers it; where
// entries overlap, the last one wins): a vector of 16384.
std::vector<int> masters_by_slot(const std::vector<SlotRange>& ranges);

// What is wrong with `ranges` as a full slot map: "" when they cover every
// slot exactly once; otherwise a description of the first hole or overlap.
std::string coverage_problem(const std::vector<SlotRange>& ranges);

}  // namespace walnut::e2e
