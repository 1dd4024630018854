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
//
// A subscription request succeeds or fails whole, as Redis's ACL check
// of a SUBSCRIBE's channels is all or nothing: a name that routes nowhere
// or a server that cannot be reached fails it before anything is sent; a
// part a server refuses, or does not confirm in time, fails it after.
// Then the client gets the error, the names the request added are taken
// back (SubscribedNames), the servers that took them are told to drop them
// again (walnut's own UNSUBSCRIBE, on the same connection, its replies
// dropped), and the messages they sent for them meanwhile are dropped. A
// part that timed out has closed its connection (ServerConn): its late
// confirmation cannot subscribe anything.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/non_copyable.h"
#include "proto/client_session.h"
#include "proto/protocol.h"
#include "proxy/client_pins.h"
#include "proxy/request.h"
#include "proxy/subscribed_names.h"

namespace walnut::proxy {

class Context;
class Forwarder;

class Subscriptions final : public JoinOwner, public ReplyWaiter, private NonCopyable {
 public:
  // The client's side of taking names back: it drops the messages it
  // queued after `request` that withdrawn() says are for them.
  class Client {
   public:
    virtual void drop_withdrawn_messages(const Request* request) = 0;

   protected:
    ~Client() = default;
  };

  Subscriptions(Context& ctx, Forwarder& forwarder, const proto::Protocol& protocol,
                ClientPins& pins, proto::ClientSession& session, Client& client)
      : ctx_(ctx),
        forwarder_(forwarder),
        protocol_(protocol),
        pins_(pins),
        session_(session),
        client_(client) {}

  // A request classify() marked kSubscription.
  void take(Request* msg);
  // The client's connection to this server closed: true when subscriptions
  // its server had confirmed lived there (lost with it, silently for a
  // subscriber: the client must be closed, so that it reconnects and
  // subscribes again). Those it had not confirmed fail with their requests.
  bool on_pin_lost(uint32_t server_index);

  // A reload changed the pool's ring: true when each channel and shard
  // channel still lives on the server its name routes to now, and each
  // pattern on every server of the keyspace. Else PUBLISH goes where the
  // client does not listen, and it must subscribe again.
  bool live_where_they_route() const;

  // True while names taken back may still have messages on their way: only
  // then does a message need withdrawn().
  bool withdrawing() const { return !withdrawn_.empty(); }
  // True when `message` is for a name taken back from the client.
  bool withdrawn(const buffer::MbufChain& message) const;

  // Every server answered its part of `parent` (FragmentJoin).
  void fragments_joined(Request* parent) override;
  // Walnut's own unsubscription of names taken back was answered.
  void on_reply(Request* own) override;

 private:
  using Family = proto::SubscriptionStep::Family;
  using Parts = std::vector<std::vector<std::string>>;  // names by server index
  // A subscribing request not confirmed yet: what it claims, and the
  // server of each of its parts (in the order of its fragments).
  struct Pending {
    Family family;
    std::vector<SubscribedNames::Claim> claims;
    std::vector<uint32_t> part_servers;
  };

  void subscribe(Request* msg, proto::SubscriptionStep step, const std::vector<std::string>& names);
  void unsubscribe(Request* msg, proto::SubscriptionStep step,
                   const std::vector<std::string>& names);
  // Adds `name` to the part of the server it lived on (every server for a
  // pattern), where the client has a connection.
  void to_where_it_lived(const std::string& name, uint32_t server, Parts* parts) const;
  // Sends each server's part on the client's connection there and joins
  // their confirmations; with no part, walnut's confirmations go at once.
  void send_parts(Request* msg, proto::SubscriptionStep step, const Parts& parts);
  // `pending`'s request failed: its names go, and the servers that took
  // them are told to drop them.
  void take_back(const Pending& pending, const Request* parent);
  void update_session() { session_.subscribed = names_.any(); }
  // The withdrawn_ key of a name.
  static std::string withdrawn_key(Family family, const std::string& name);

  Context& ctx_;
  Forwarder& forwarder_;
  const proto::Protocol& protocol_;
  ClientPins& pins_;
  proto::ClientSession& session_;
  Client& client_;

  SubscribedNames names_;
  std::unordered_map<const Request*, Pending> pending_;  // by the client's request
  // Names being taken back, until their servers confirm they dropped them:
  // the number of walnut's own unsubscriptions on their way for each, and
  // the names of each.
  std::unordered_map<std::string, uint32_t> withdrawn_;
  std::unordered_map<const Request*, std::vector<std::string>> withdrawing_;
};

}  // namespace walnut::proxy
