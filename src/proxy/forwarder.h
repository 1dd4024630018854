// Forwarder: where a pool's requests go. Routes each request by its keys
// over the servers not ejected, sends it whole when its keys share a server,
// else splits it into one fragment per server and, once every fragment has
// its reply, merges them (proto's coalesce) into the request's reply. A
// request that cannot go anywhere is answered with an error naming why.
//
// It owns the router and the scratch space routing reuses between requests,
// so that routing allocates nothing in the steady state. The servers are the
// pool's; the forwarder only picks among them.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/non_copyable.h"
#include "config/config.h"
#include "proto/protocol.h"
#include "proxy/request.h"
#include "proxy/router.h"
#include "stats/counters.h"

namespace walnut::proxy {

class Cluster;
class Context;
class Server;

class Forwarder final : public JoinOwner, private NonCopyable {
 public:
  Forwarder(Context& ctx, const config::PoolSpec& spec, const proto::Protocol& protocol,
            const std::vector<std::unique_ptr<Server>>& servers, stats::PoolCounters& counters);

  // Builds the routes over every server; false with `error` for an unknown
  // hash or distribution.
  bool init(std::string* error);
  // Rebuilds the routes over the servers not ejected, as nutcracker
  // rebuilds its ring.
  void rebuild_routes();
  // Routes by a Redis Cluster's slot map instead: a key goes to its slot's
  // master, a split request is cut per slot (Redis takes keys of one slot
  // only), and the whole keyspace is the cluster's masters.
  void use_cluster(Cluster* cluster) { cluster_ = cluster; }
  bool in_cluster() const { return cluster_ != nullptr; }

  // Sends a request where classify()'s `action` (kForward, kFragment,
  // kAllServers or kCursor) says, or answers it with an error.
  void forward(proto::Action action, Request* msg) {
    // The common case without a second call. A split request of one key
    // (a memcache get, MGET k) is not split: its server's own reply.
    if (action == proto::Action::kForward ||
        (action == proto::Action::kFragment && msg->keys.size() == 1)) {
      return forward_one(msg);
    }
    forward_other(action, msg);
  }
  // Every fragment of `parent` has its reply (FragmentJoin calls this).
  void fragments_joined(Request* parent) override;

  // A request that may block (kBlocking): on the client's own connection to
  // the server of its keys.
  void forward_blocking(Request* msg, ClientPins& pins);
  // The one server of every key of `msg` (any server for a keyless one), or
  // nullptr with `error` naming why there is none.
  Server* route(const Request& msg, std::string* error);
  // Sends `msg` on the client's own connection to `server`, opening it when
  // needed; false (and `msg` answered with the cause) when it cannot be.
  bool send_pinned(Server& server, Request* msg, ClientPins& pins);
  // Answers `msg` with an error naming `cause`, counted as a forward error.
  // A cause that opens like an error reply is the whole line (Redis
  // Cluster's CROSSSLOT).
  void answer_error(Request* msg, const std::string& cause);
  // Sends `msg` to `server`: on the client's own connection there when it
  // has one (behind what the client sent there before), else on a shared
  // one.
  void send_to(Server* server, Request* msg);
  // Sends a redirected `msg` again, to `server`: on a shared connection, or
  // a block on the client's own connection there; with `asking`, ASKING
  // first, back to back on that connection (an ASK redirect: the node takes
  // the request for a slot it imports).
  void send_again(Server* server, Request* msg, bool asking);
  // Whether send_again() can send `msg` to `server`: a block only where
  // its client has no connection of its own yet, or one that took nothing
  // since the block.
  bool may_send_again(const Request& msg, const Server& server) const;
  // Every server, replicas walnut found included: for what is indexed by
  // server. What concerns the keyspace counts everywhere() instead.
  size_t server_count() const { return servers_.size(); }
  // The servers that hold the keyspace, where a command for all of it goes:
  // the configured ones (replicas are not), or a cluster's masters.
  const std::vector<uint32_t>& everywhere();
  // The configured servers, in the file's order (replicas, which hold no
  // keys of their own, and servers a reload removed are not).
  void set_keyspace(std::vector<uint32_t> servers) { keyspace_ = std::move(servers); }
  Server& server(size_t index) const { return *servers_[index]; }
  // The server of one key (a pub/sub channel), or nullptr with `error`.
  Server* route_key(std::string_view key, std::string* error);

 private:
  void forward_other(proto::Action action, Request* msg);
  // To the one server of its keys.
  void forward_one(Request* msg);
  // A multi-key request: whole when its keys share a server, else as one
  // fragment per server.
  void forward_split(Request* msg);
  // Sends `msg` whole to every server of the pool (ejected ones too: their
  // part fails, and so the whole reply, rather than count part of the
  // keyspace as all of it); the protocol merges the replies.
  void forward_everywhere(Request* msg);
  // SCAN: to the server msg->cursor names, with that server's own cursor
  // (proto/scan_cursor.h); one server's pool passes it through unchanged.
  void forward_by_cursor(Request* msg);
  // Fills key_servers_ with the server index of every key of `msg`; false
  // with `error` when none can be picked.
  bool route_keys(const Request& msg, std::string* error);
  // Why a key has no server: every server is ejected, or (server_name)
  // no server has the name it gives.
  std::string all_ejected() const;
  std::string no_server_for(std::string_view key) const;
  // Fills key_servers_ and key_groups_ (the slot of each key) by the
  // cluster's map.
  bool route_slots(const Request& msg);
  // Where a request (or a part of it) for the master `master` goes: there,
  // or for a read-only command by the pool's read_policy to a replica;
  // nullptr with `error` when the policy finds none.
  Server* reader_for(const Request& msg, uint32_t master, std::string* error);
  // A fragment of `parent`, to be filled in, answered to its join.
  Request* new_part(Request* parent);
  bool build_router(bool live_only, std::string* error);

  Context& ctx_;
  const config::PoolSpec& spec_;
  const proto::Protocol& protocol_;
  const std::vector<std::unique_ptr<Server>>& servers_;
  stats::PoolCounters& counters_;
  Router router_;
  bool any_live_ = true;  // false while every server is ejected
  const bool reads_elsewhere_;  // a read_policy other than master

  Cluster* cluster_ = nullptr;
  std::vector<uint32_t> key_servers_;
  // What a split request is cut by, per key: its server, or in a cluster
  // its slot.
  std::vector<uint32_t> key_groups_;
  std::vector<uint32_t> keyspace_;  // for everywhere()
  std::vector<uint32_t> everywhere_scratch_;
  std::string key_scratch_;
  // The fragment of each group, -1 for none yet: reset after each split
  // where it was set, as a cluster has 16384 groups.
  std::vector<int> fragment_of_group_;
  std::vector<std::vector<uint32_t>> keys_of_fragment_;
  std::vector<uint32_t> server_of_fragment_;
  std::vector<uint32_t> group_of_fragment_;
};

}  // namespace walnut::proxy
