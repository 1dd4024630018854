// Subscriptions: one client's pub/sub channels, patterns and shard
// channels, subscribed on the client's own server connections (ClientPins).
//
// A channel lives on the server its name hashes to, as a key does: PUBLISH
// is routed there by its channel, so the channel's subscribers must be
// there. A pattern may match channels on any server, so it is subscribed
// on every one. Walnut answers each (un)subscription with Redis's
// confirmation and the client's own count over all servers, once every
// server concerned confirmed its part: a message published after the
// client saw the confirmation reaches it.
//
// The client is subscribed (Redis's subscribed mode) while it has any
// channel, pattern or shard channel; the counts change when walnut takes
// the request, as Redis's do when it runs it.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "common/non_copyable.h"
#include "proto/client_session.h"
#include "proto/protocol.h"
#include "proxy/client_pins.h"
#include "proxy/request.h"

namespace walnut::proxy {

class Context;
class Forwarder;

class Subscriptions final : public JoinOwner, private NonCopyable {
 public:
  Subscriptions(Context& ctx, Forwarder& forwarder, const proto::Protocol& protocol,
                ClientPins& pins, proto::ClientSession& session)
      : ctx_(ctx), forwarder_(forwarder), protocol_(protocol), pins_(pins), session_(session) {}

  // A request classify() marked kSubscription.
  void take(Request* msg);
  // The client's connection to this server closed: true when subscriptions
  // lived there (lost with it, silently for a subscriber: the client must
  // be closed, so that it reconnects and subscribes again).
  bool on_pin_lost(uint32_t server_index);

  // Every server confirmed its part of `parent` (FragmentJoin).
  void fragments_joined(Request* parent) override;

 private:
  using Family = proto::SubscriptionStep::Family;
  // A subscription part not confirmed yet, and the channels it adds that
  // the client did not have: taken back if its server does not confirm.
  struct Pending {
    Request* part;
    uint32_t server;
    Family family;
    std::vector<std::string> fresh;
  };

  std::set<std::string>& names_of(Family family);
  void update_session();
  void undo(const Pending& pending);
  // Redis's count in a confirmation of `family`: shard channels count
  // apart from channels and patterns.
  uint64_t count(Family family) const;
  // True while subscriptions of any family live on the server.
  bool subscribed_on(uint32_t server_index) const;
  // The servers `names` of `family` live on, each with its names; an
  // unsubscription only goes where the client has a connection.
  std::vector<std::vector<std::string>> by_server(Family family, bool subscribe,
                                                  const std::vector<std::string>& names);

  Context& ctx_;
  Forwarder& forwarder_;
  const proto::Protocol& protocol_;
  ClientPins& pins_;
  proto::ClientSession& session_;

  std::set<std::string> channels_;
  std::set<std::string> patterns_;
  std::set<std::string> shard_channels_;
  std::vector<Pending> pending_;
};

}  // namespace walnut::proxy
