// CLUSTER SLOTS replies, read and written (see cluster_slots.h).
#include "tests/e2e/cluster_slots.h"

#include <algorithm>
#include <cstdlib>
#include <string>
#include <vector>

#include "tests/e2e/cluster_key_slot.h"
#include "tests/e2e/harness.h"
#include "tests/e2e/resp_reply.h"

namespace walnut::e2e {

namespace {

// The integer of a raw ":n\r\n", or false.
bool read_integer(const std::string& raw, int* out) {
  const Reply r = parse(raw);
  if (r.type != ':') return false;
  *out = std::atoi(r.text.c_str());
  return true;
}

// The port of a raw node entry [ip, port, id, ...], or false.
bool read_node_port(const std::string& raw, int* port) {
  const Reply node = parse(raw);
  return node.type == '*' && node.items.size() >= 2 && read_integer(node.items[1], port);
}

std::string integer_reply(int n) { return ":" + std::to_string(n) + "\r\n"; }

std::string node_entry(int port, bool redis7_metadata) {
  std::string out = redis7_metadata ? "*4\r\n" : "*3\r\n";
  out += bulk("127.0.0.1") + integer_reply(port) + bulk(fake_node_id(port));
  if (redis7_metadata) out += "*0\r\n";
  return out;
}

}  // namespace

bool read_cluster_slots(const std::string& raw, std::vector<SlotRange>* out) {
  const Reply all = parse(raw);
  if (all.type != '*') return false;
  out->clear();
  for (const std::string& item : all.items) {
    const Reply entry = parse(item);
    SlotRange range;
    if (entry.type != '*' || entry.items.size() < 3 ||
        !read_integer(entry.items[0], &range.first) || !read_integer(entry.items[1], &range.last) ||
        !read_node_port(entry.items[2], &range.master)) {
      return false;
    }
    for (size_t i = 3; i < entry.items.size(); ++i) {
      int port = -1;
      if (!read_node_port(entry.items[i], &port)) return false;
      range.replicas.push_back(port);
    }
    // Redis lists the replicas in no promised order.
    std::sort(range.replicas.begin(), range.replicas.end());
    out->push_back(range);
  }
  return true;
}

std::string fake_node_id(int port) {
  std::string digits = std::to_string(port);
  return std::string(40 - digits.size(), 'f') + digits;
}

std::string write_cluster_slots(const std::vector<SlotRange>& ranges, bool redis7_metadata) {
  std::string out = "*" + std::to_string(ranges.size()) + "\r\n";
  for (const SlotRange& r : ranges) {
    out += "*" + std::to_string(3 + r.replicas.size()) + "\r\n";
    out += integer_reply(r.first) + integer_reply(r.last) + node_entry(r.master, redis7_metadata);
    for (int port : r.replicas) out += node_entry(port, redis7_metadata);
  }
  return out;
}

std::vector<int> masters_by_slot(const std::vector<SlotRange>& ranges) {
  std::vector<int> masters(kClusterSlots, -1);
  for (const SlotRange& r : ranges) {
    for (int slot = std::max(r.first, 0); slot <= r.last && slot < kClusterSlots; ++slot) {
      masters[slot] = r.master;
    }
  }
  return masters;
}

std::string coverage_problem(const std::vector<SlotRange>& ranges) {
  std::vector<int> owners(kClusterSlots, 0);
  for (const SlotRange& r : ranges) {
    if (r.first < 0 || r.last >= kClusterSlots || r.first > r.last) {
      return "bad range " + std::to_string(r.first) + "-" + std::to_string(r.last);
    }
    for (int slot = r.first; slot <= r.last; ++slot) ++owners[slot];
  }
  for (int slot = 0; slot < kClusterSlots; ++slot) {
    if (owners[slot] == 0) return "slot " + std::to_string(slot) + " has no master";
    if (owners[slot] > 1) return "slot " + std::to_string(slot) + " is in more than one range";
  }
  return "";
}

}  // namespace walnut::e2e
