// Redis Cluster's slot of a key, slot map and redirects.
#include "proto/redis/cluster.h"

#include <charconv>

#include "hash/functions.h"
#include "proto/redis/resp_reader.h"

namespace walnut::redis::cluster {

uint32_t key_slot(std::string_view key) {
  const size_t open = key.find('{');
  if (open != std::string_view::npos) {
    const size_t close = key.find('}', open + 1);
    if (close != std::string_view::npos && close > open + 1) {
      key = key.substr(open + 1, close - open - 1);
    }
  }
  // walnut's crc16 keeps twemproxy's unmasked register: its low 16 bits
  // are CRC-16/XMODEM, all the slot needs.
  return hash::crc16(key.data(), key.size()) & (kSlots - 1);
}

namespace {

// One node of a range: [host, port, id, metadata...]. `*known` false for
// one whose address Redis does not know.
bool read_node(RespReader& r, std::string_view asked_host, Node* node, bool* known) {
  int64_t fields = 0;
  if (!r.array(&fields) || fields < 2) return false;
  std::string_view host;
  bool null = false;
  int64_t port = 0;
  if (!r.bulk(&host, &null) || !r.integer(&port) || port < 0 || port > 65535) return false;
  for (int64_t i = 2; i < fields; ++i) {
    if (!r.skip()) return false;
  }
  *known = !null && host != "?";
  node->host = host.empty() ? std::string(asked_host) : std::string(host);
  node->port = static_cast<int>(port);
  return true;
}

bool read_range(RespReader& r, std::string_view asked_host, SlotRange* range, bool* known) {
  int64_t fields = 0;
  int64_t first = 0;
  int64_t last = 0;
  if (!r.array(&fields) || fields < 3 || !r.integer(&first) || !r.integer(&last)) return false;
  if (first < 0 || last < first || last >= kSlots) return false;
  range->first = static_cast<uint32_t>(first);
  range->last = static_cast<uint32_t>(last);
  if (!read_node(r, asked_host, &range->master, known)) return false;
  for (int64_t i = 3; i < fields; ++i) {
    Node replica;
    bool replica_known = false;
    if (!read_node(r, asked_host, &replica, &replica_known)) return false;
    if (replica_known) range->replicas.push_back(std::move(replica));
  }
  return true;
}

}  // namespace

bool parse_slots(std::string_view reply, std::string_view asked_host,
                 std::vector<SlotRange>* ranges, std::string* error) {
  ranges->clear();
  RespReader r(reply);
  int64_t count = 0;
  if (!r.array(&count)) {
    *error = "not a slot map: " + std::string(reply.substr(0, reply.find('\r')));
    return false;
  }
  for (int64_t i = 0; i < count; ++i) {
    SlotRange range;
    bool known = false;
    if (!read_range(r, asked_host, &range, &known)) {
      *error = "malformed slot range " + std::to_string(i + 1) + " of " + std::to_string(count);
      return false;
    }
    if (known) ranges->push_back(std::move(range));
  }
  if (!r.at_end()) {
    *error = "bytes after the slot map";
    return false;
  }
  return true;
}

Redirect parse_redirect(std::string_view reply) {
  Redirect r;
  const size_t eol = reply.find("\r\n");
  if (eol == std::string_view::npos) return r;
  std::string_view line = reply.substr(0, eol);
  if (line.starts_with("-TRYAGAIN")) {
    r.kind = RedirectKind::kTryAgain;
    return r;
  }
  if (line.starts_with("-CLUSTERDOWN")) {
    r.kind = RedirectKind::kClusterDown;
    return r;
  }
  RedirectKind kind = RedirectKind::kNone;
  if (line.starts_with("-MOVED ")) {
    kind = RedirectKind::kMoved;
    line.remove_prefix(7);
  } else if (line.starts_with("-ASK ")) {
    kind = RedirectKind::kAsk;
    line.remove_prefix(5);
  } else {
    return r;
  }
  const size_t space = line.find(' ');
  if (space == std::string_view::npos) return r;
  auto [slot_end, slot_ec] = std::from_chars(line.data(), line.data() + space, r.slot);
  if (slot_ec != std::errc() || slot_end != line.data() + space || r.slot >= kSlots) return r;
  std::string_view address = line.substr(space + 1);
  // The port follows the last ':', so that an IPv6 host keeps its own.
  const size_t colon = address.rfind(':');
  // An empty host (Redis's unknown endpoint) is the answering node's; "?"
  // is a node nobody can reach yet.
  if (colon == std::string_view::npos || address.substr(0, colon) == "?") return r;
  int port = 0;
  std::string_view port_text = address.substr(colon + 1);
  auto [port_end, port_ec] =
      std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_ec != std::errc() || port_end != port_text.data() + port_text.size() || port <= 0 ||
      port > 65535) {
    return r;
  }
  r.node.host = std::string(address.substr(0, colon));
  r.node.port = port;
  r.kind = kind;
  return r;
}

}  // namespace walnut::redis::cluster
