// SubscribedNames: one client's channels, patterns and shard channels, each
// with the server it lives on and whether a request naming it still waits
// for its servers' confirmation.
//
// A channel (or shard channel) lives on the server its name routed to when
// it was subscribed, and stays there: its unsubscription goes there, even
// after an ejection changed where the name routes now. A pattern lives on
// every server. A count per server answers "anything left there?" in one
// look, however many names the client has.
//
// Walnut counts a name when it takes the request (Redis's counts change
// when it runs the command), before the servers confirm it. Until they do,
// the request holds a claim on each name it added (or named again while
// another claim was open): when the request fails, its names are taken
// back, unless a request naming them was confirmed meanwhile.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "proto/protocol.h"

namespace walnut::proxy {

class SubscribedNames {
 public:
  using Family = proto::SubscriptionStep::Family;
  // Where a pattern lives.
  static constexpr uint32_t kEveryServer = UINT32_MAX;

  // A request's claim on a name, settled when its servers answered.
  struct Claim {
    std::string name;
    uint64_t generation;  // tells the name's subscription from a later one
  };
  // A name and the server it lived on.
  struct Placed {
    std::string name;
    uint32_t server;
  };

  // The server `name` of `family` lives on, or nullopt when the client does
  // not have it.
  std::optional<uint32_t> server_of(Family family, const std::string& name) const;
  // Counts `name` on `server` (for a new one: kEveryServer for a pattern);
  // appends to `claims` when the request must confirm it.
  void add(Family family, const std::string& name, uint32_t server, std::vector<Claim>* claims);
  // Forgets `name`: the server it lived on, or nullopt when not had.
  std::optional<uint32_t> remove(Family family, const std::string& name);
  // The request that made `claims` was confirmed.
  void confirm(Family family, const std::vector<Claim>& claims);
  // It failed: the names only it held are forgotten, appended to `taken`.
  void take_back(Family family, const std::vector<Claim>& claims, std::vector<Placed>* taken);

  // Redis's count in a confirmation of `family`: shard channels count
  // apart from channels and patterns.
  uint64_t count(Family family) const;
  // True while the client has any name (Redis's subscribed mode).
  bool any() const { return !channels_.empty() || !patterns_.empty() || !shards_.empty(); }
  // True while a name of any family lives on the server.
  bool on(uint32_t server) const {
    return !patterns_.empty() || (server < per_server_.size() && per_server_[server] > 0);
  }
  // True when a name living on the server was confirmed there (walks them
  // all: for a lost connection, not for every request).
  bool confirmed_on(uint32_t server) const;
  // Every name of `family`.
  std::vector<std::string> all(Family family) const;

 private:
  struct Held {
    uint32_t server;
    uint32_t claims;  // requests naming it whose confirmation is still due
    bool confirmed;   // a request naming it was confirmed
    uint64_t generation;
  };
  using Names = std::unordered_map<std::string, Held>;
  Names& names_of(Family family);
  const Names& names_of(Family family) const;
  // The held name a claim is on, or nullptr when it went since.
  Held* claimed(Names& names, const Claim& claim);
  void count_on(uint32_t server, bool more);

  Names channels_;
  Names patterns_;
  Names shards_;
  std::vector<uint32_t> per_server_;  // channels and shard channels on each
  uint64_t generations_ = 0;
};

}  // namespace walnut::proxy
