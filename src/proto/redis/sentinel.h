// Redis Sentinel's words, as bytes: what walnut asks a Sentinel (the
// address of a master, its replicas, the +switch-master channel) and how
// it reads the answers. Pure functions over complete replies: the response
// parser has already framed them.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "proto/redis/cluster.h"

namespace walnut::redis::sentinel {

using cluster::Node;

// SENTINEL get-master-addr-by-name <name>
std::string master_address_request(std::string_view name);
// SENTINEL replicas <name>
std::string replicas_request(std::string_view name);
// SUBSCRIBE +switch-master +promoted-slave: Sentinel publishes every
// failover on the first once it is over, and the Sentinel that leads one
// publishes the promotion of the replica on the second, up to a second
// sooner (the old master takes writes until then, which its demotion
// loses).
inline constexpr std::string_view kSwitchMasterChannel = "+switch-master";
inline constexpr std::string_view kPromotedChannel = "+promoted-slave";
inline constexpr int kSubscribedChannels = 2;
std::string subscribe_request();

enum class AddressAnswer : uint8_t {
  kAddress,  // `*node` holds it
  kUnknown,  // the Sentinel monitors no master of that name (a null array)
  kMalformed,
};
// Reads the answer to master_address_request: [ip, port].
AddressAnswer parse_master_address(std::string_view reply, Node* node);

struct Replica {
  Node node;
  // Serving reads: not down in the Sentinel's eyes (s_down, o_down,
  // disconnected) and linked to its master (master-link-status ok).
  bool usable = false;
};
// Reads the answer to replicas_request: an array of field/value lists. False
// for anything else.
bool parse_replicas(std::string_view reply, std::vector<Replica>* replicas);

struct SwitchMaster {
  std::string name;
  Node from;
  Node to;
};
// Reads a message published on either channel:
// ["message", "+switch-master", "<name> <old-ip> <old-port> <new-ip> <new-port>"]
// ["message", "+promoted-slave",
//  "slave <ip>:<port> <ip> <port> @ <name> <old-ip> <old-port>"].
// False for any other message (or a subscription's confirmation).
bool parse_switch_master(std::string_view message, SwitchMaster* out);

}  // namespace walnut::redis::sentinel
