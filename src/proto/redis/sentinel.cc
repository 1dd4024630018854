// What walnut asks Redis Sentinel, and how it reads the answers.
#include "proto/redis/sentinel.h"

#include <charconv>

#include "proto/redis/resp_command.h"
#include "proto/redis/resp_reader.h"

namespace walnut::redis::sentinel {

namespace {

bool to_port(std::string_view text, int* port) {
  int value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value <= 0 || value > 65535) {
    return false;
  }
  *port = value;
  return true;
}

// The words of `text` split at single spaces.
std::vector<std::string_view> words(std::string_view text) {
  std::vector<std::string_view> out;
  while (!text.empty()) {
    const size_t space = text.find(' ');
    out.push_back(text.substr(0, space));
    if (space == std::string_view::npos) break;
    text.remove_prefix(space + 1);
  }
  return out;
}

// Whether the comma-separated `flags` hold one that keeps a replica from
// serving.
bool down(std::string_view flags) {
  for (std::string_view flag : {"s_down", "o_down", "disconnected"}) {
    size_t at = flags.find(flag);
    while (at != std::string_view::npos) {
      const bool starts = at == 0 || flags[at - 1] == ',';
      const size_t after = at + flag.size();
      const bool ends = after == flags.size() || flags[after] == ',';
      if (starts && ends) return true;
      at = flags.find(flag, at + 1);
    }
  }
  return false;
}

// One replica's field/value list.
bool read_replica(RespReader& r, Replica* out) {
  int64_t fields = 0;
  if (!r.array(&fields) || fields % 2 != 0) return false;
  std::string_view ip;
  std::string_view port;
  std::string_view flags;
  std::string_view link;
  for (int64_t i = 0; i < fields; i += 2) {
    std::string_view key;
    std::string_view value;
    bool null = false;
    if (!r.bulk(&key, &null) || null) return false;
    if (!r.bulk(&value, &null)) return false;
    if (key == "ip") ip = value;
    if (key == "port") port = value;
    if (key == "flags") flags = value;
    if (key == "master-link-status") link = value;
  }
  if (ip.empty() || !to_port(port, &out->node.port)) return false;
  out->node.host = std::string(ip);
  out->usable = !down(flags) && link == "ok";
  return true;
}

}  // namespace

std::string master_address_request(std::string_view name) {
  return resp_command({"SENTINEL", "get-master-addr-by-name", name});
}

std::string replicas_request(std::string_view name) {
  // REPLICAS since Redis 5; SLAVES, its old name, is still understood.
  return resp_command({"SENTINEL", "replicas", name});
}

std::string subscribe_request() {
  return resp_command({"SUBSCRIBE", kSwitchMasterChannel, kPromotedChannel});
}

AddressAnswer parse_master_address(std::string_view reply, Node* node) {
  RespReader r(reply);
  int64_t count = 0;
  bool null = false;
  if (!r.array_or_null(&count, &null)) return AddressAnswer::kMalformed;
  if (null) return r.at_end() ? AddressAnswer::kUnknown : AddressAnswer::kMalformed;
  std::string_view ip;
  std::string_view port;
  bool null_ip = false;
  bool null_port = false;
  if (count != 2 || !r.bulk(&ip, &null_ip) || !r.bulk(&port, &null_port) || null_ip ||
      null_port || ip.empty() || !r.at_end()) {
    return AddressAnswer::kMalformed;
  }
  Node found;
  if (!to_port(port, &found.port)) return AddressAnswer::kMalformed;
  found.host = std::string(ip);
  *node = std::move(found);
  return AddressAnswer::kAddress;
}

bool parse_replicas(std::string_view reply, std::vector<Replica>* replicas) {
  RespReader r(reply);
  int64_t count = 0;
  if (!r.array(&count)) return false;
  std::vector<Replica> found;
  for (int64_t i = 0; i < count; ++i) {
    Replica replica;
    if (!read_replica(r, &replica)) return false;
    found.push_back(std::move(replica));
  }
  if (!r.at_end()) return false;
  *replicas = std::move(found);
  return true;
}

bool parse_switch_master(std::string_view message, SwitchMaster* out) {
  RespReader r(message);
  int64_t count = 0;
  std::string_view kind;
  std::string_view channel;
  std::string_view payload;
  bool null = false;
  if (!r.array(&count) || count != 3 || !r.bulk(&kind, &null) || null || kind != "message" ||
      !r.bulk(&channel, &null) || null || !r.bulk(&payload, &null) || null || !r.at_end()) {
    return false;
  }
  const std::vector<std::string_view> w = words(payload);
  SwitchMaster found;
  if (channel == kSwitchMasterChannel) {
    if (w.size() != 5 || w[0].empty() || w[1].empty() || w[3].empty() ||
        !to_port(w[2], &found.from.port) || !to_port(w[4], &found.to.port)) {
      return false;
    }
    found.name = std::string(w[0]);
    found.from.host = std::string(w[1]);
    found.to.host = std::string(w[3]);
  } else if (channel == kPromotedChannel) {
    if (w.size() != 8 || w[0] != "slave" || w[2].empty() || w[4] != "@" || w[5].empty() ||
        w[6].empty() || !to_port(w[3], &found.to.port) || !to_port(w[7], &found.from.port)) {
      return false;
    }
    found.name = std::string(w[5]);
    found.to.host = std::string(w[2]);
    found.from.host = std::string(w[6]);
  } else {
    return false;
  }
  *out = std::move(found);
  return true;
}

}  // namespace walnut::redis::sentinel
