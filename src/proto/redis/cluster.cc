// Redis Cluster's slot of a key, slot map and redirects.
#include "proto/redis/cluster.h"

#include <charconv>

#include "hash/functions.h"

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

// A cursor over one complete RESP2 reply, reading the few types a slot map
// holds, and skipping any value (a node's metadata, a future field).
class RespReader {
 public:
  explicit RespReader(std::string_view text) : text_(text) {}

  bool array(int64_t* count) { return header('*', count) && *count >= 0; }
  bool integer(int64_t* value) { return header(':', value); }
  // A bulk string; `*null` when it is the null bulk ($-1).
  bool bulk(std::string_view* value, bool* null) {
    int64_t len = 0;
    if (!header('$', &len)) return false;
    *null = len < 0;
    if (*null) return len == -1;
    if (text_.size() - pos_ < static_cast<size_t>(len) + 2) return false;
    *value = text_.substr(pos_, static_cast<size_t>(len));
    pos_ += static_cast<size_t>(len);
    return take_crlf();
  }
  // Skips one value of any type, nested arrays included (bounded by depth).
  bool skip(int depth = 0) {
    if (pos_ >= text_.size() || depth > 8) return false;
    switch (text_[pos_]) {
      case '+':
      case '-': return line(text_[pos_]).data() != nullptr;
      case ':': {
        int64_t v = 0;
        return integer(&v);
      }
      case '$': {
        std::string_view v;
        bool null = false;
        return bulk(&v, &null);
      }
      case '*': {
        int64_t n = 0;
        if (!header('*', &n)) return false;
        for (int64_t i = 0; i < n; ++i) {
          if (!skip(depth + 1)) return false;
        }
        return true;
      }
      default: return false;
    }
  }
  bool at_end() const { return pos_ == text_.size(); }

 private:
  // The rest of a line that opens with `type`, its CRLF taken; null data
  // when there is none.
  std::string_view line(char type) {
    if (pos_ >= text_.size() || text_[pos_] != type) return {};
    const size_t end = text_.find("\r\n", pos_ + 1);
    if (end == std::string_view::npos) return {};
    std::string_view body = text_.substr(pos_ + 1, end - pos_ - 1);
    pos_ = end + 2;
    return body.empty() ? std::string_view("", 0) : body;
  }
  bool header(char type, int64_t* value) {
    std::string_view body = line(type);
    if (body.data() == nullptr || body.empty()) return false;
    auto [end, ec] = std::from_chars(body.data(), body.data() + body.size(), *value);
    return ec == std::errc() && end == body.data() + body.size();
  }
  bool take_crlf() {
    if (text_.substr(pos_, 2) != "\r\n") return false;
    pos_ += 2;
    return true;
  }

  std::string_view text_;
  size_t pos_ = 0;
};

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
