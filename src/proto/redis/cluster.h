// Redis Cluster's words, as bytes: the slot of a key, the slot map a node
// gives (CLUSTER SLOTS), the redirects it answers with (MOVED, ASK,
// TRYAGAIN), and the requests and errors walnut says itself. Pure
// functions over complete replies: the response parser has already framed
// them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace walnut::redis::cluster {

constexpr uint32_t kSlots = 16384;

// The slot of `key`: CRC16 (XMODEM) of its hash tag, the bytes between the
// first '{' and the first '}' after it when there are any, else of the
// whole key; modulo 16384.
uint32_t key_slot(std::string_view key);

struct Node {
  std::string host;
  int port = 0;
  // "host:port", the node's name in redirects, logs and stats ("[::1]:7000"
  // is written "::1:7000", as Redis writes it).
  std::string address() const { return host + ":" + std::to_string(port); }
  bool operator==(const Node&) const = default;
};

struct SlotRange {
  uint32_t first = 0;
  uint32_t last = 0;  // inclusive
  Node master;
  std::vector<Node> replicas;
};

// Reads a whole CLUSTER SLOTS reply. A node written with an empty host is
// the node that was asked (`asked_host`); a range whose master's address is
// unknown (null, or "?") is left out, as a slot nobody serves. False with
// `error` for anything that is not a slot map.
bool parse_slots(std::string_view reply, std::string_view asked_host,
                 std::vector<SlotRange>* ranges, std::string* error);

enum class RedirectKind : uint8_t { kNone, kMoved, kAsk, kTryAgain, kClusterDown };

struct Redirect {
  RedirectKind kind = RedirectKind::kNone;
  uint32_t slot = 0;
  Node node;  // MOVED and ASK
};

// What an error reply asks: "-MOVED <slot> <host>:<port>", "-ASK ...",
// "-TRYAGAIN ...", "-CLUSTERDOWN ..." (the node sees the cluster failing, or
// nobody serving the slot: often for a moment); kNone for any other reply,
// or one that is malformed. An
// empty host (":7000": Redis does not know the node's endpoint) is left
// empty, for the caller to read as the answering node's.
Redirect parse_redirect(std::string_view reply);

// The requests walnut sends itself.
inline constexpr std::string_view kSlotsRequest = "*2\r\n$7\r\nCLUSTER\r\n$5\r\nSLOTS\r\n";
inline constexpr std::string_view kAskingRequest = "*1\r\n$6\r\nASKING\r\n";
// Sent first on every connection to a replica walnut reads from.
inline constexpr std::string_view kReadOnlyRequest = "*1\r\n$8\r\nREADONLY\r\n";
// Redis Cluster's own answer to keys of several slots in a command that
// needs them in one.
inline constexpr std::string_view kCrossSlotError =
    "-CROSSSLOT Keys in request don't hash to the same slot\r\n";

}  // namespace walnut::redis::cluster
