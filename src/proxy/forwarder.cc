// Routing, splitting and merging for one pool.
#include "proxy/forwarder.h"

#include "common/dcheck.h"
#include "common/log.h"
#include "proto/command.h"
#include "proto/redis/cluster.h"
#include "proto/scan_cursor.h"
#include "proxy/cluster.h"
#include "proxy/client_pins.h"
#include "proxy/context.h"
#include "proxy/server.h"
#include "proxy/server_conn.h"

namespace walnut::proxy {

Forwarder::Forwarder(Context& ctx, const config::PoolSpec& spec, const proto::Protocol& protocol,
                     const std::vector<std::unique_ptr<Server>>& servers,
                     stats::PoolCounters& counters)
    : ctx_(ctx),
      spec_(spec),
      protocol_(protocol),
      servers_(servers),
      counters_(counters),
      reads_elsewhere_(spec.read_policy != config::ReadPolicy::kMaster) {}

bool Forwarder::init(std::string* error) { return build_router(false, error); }

void Forwarder::rebuild_routes() {
  std::string error;
  if (!build_router(true, &error)) {
    LOG_ERROR("pool '%s': cannot rebuild routes: %s", spec_.name.c_str(), error.c_str());
  }
}

bool Forwarder::build_router(bool live_only, std::string* error) {
  std::vector<dist::ServerWeight> weights;
  for (const auto& s : servers_) {
    if (s->is_replica() || s->retired() || (live_only && s->ejected())) continue;
    weights.push_back(dist::ServerWeight{s->index(), s->label(),
                                         static_cast<uint32_t>(s->spec().weight)});
  }
  any_live_ = !weights.empty();
  if (!any_live_) {
    LOG_WARN("pool '%s': every server is ejected", spec_.name.c_str());
    return true;
  }
  return router_.init(spec_.hash, spec_.distribution, spec_.hash_tag, weights, error);
}

std::string Forwarder::all_ejected() const {
  return "no server left in pool '" + spec_.name + "': every one is ejected";
}

std::string Forwarder::no_server_for(std::string_view key) const {
  return "no server named '" + std::string(router_.routing_part(key)) + "' in pool '" +
         spec_.name + "'";
}

bool Forwarder::route_slots(const Request& msg) {
  key_groups_.clear();
  if (msg.keys.empty()) {
    key_servers_.push_back(cluster_->node_of(0));
    key_groups_.push_back(0);
    return true;
  }
  for (const proto::Span& k : msg.keys) {
    const uint32_t slot =
        redis::cluster::key_slot(msg.request.view(k.offset, k.len, key_scratch_));
    key_groups_.push_back(slot);
    key_servers_.push_back(cluster_->node_of(slot));
  }
  return true;
}

bool Forwarder::route_keys(const Request& msg, std::string* error) {
  key_servers_.clear();
  if (cluster_ != nullptr) return route_slots(msg);
  if (!any_live_) {
    *error = all_ejected();
    return false;
  }
  if (msg.keys.empty()) {
    key_servers_.push_back(router_.route_keyless());
    return true;
  }
  for (const proto::Span& k : msg.keys) {
    std::string_view key = msg.request.view(k.offset, k.len, key_scratch_);
    uint32_t idx = router_.route(key);
    if (idx == Router::kNoServer) {
      *error = no_server_for(key);
      return false;
    }
    key_servers_.push_back(idx);
  }
  return true;
}

Server* Forwarder::route_key(std::string_view key, std::string* error) {
  if (!any_live_) {
    *error = all_ejected();
    return nullptr;
  }
  if (cluster_ != nullptr) return servers_[cluster_->node_of(redis::cluster::key_slot(key))].get();
  const uint32_t idx = router_.route(key);
  if (idx == Router::kNoServer) {
    *error = no_server_for(key);
    return nullptr;
  }
  return servers_[idx].get();
}

Server* Forwarder::route(const Request& msg, std::string* error) {
  if (msg.keys.size() == 1 && any_live_) {
    // One key, nearly every request: no list of servers to fill and compare.
    const proto::Span& k = msg.keys[0];
    return route_key(msg.request.view(k.offset, k.len, key_scratch_), error);
  }
  if (!route_keys(msg, error)) return nullptr;
  if (cluster_ != nullptr) {
    // Redis takes the keys of one command in one slot only.
    for (uint32_t slot : key_groups_) {
      if (slot != key_groups_[0]) {
        *error = redis::cluster::kCrossSlotError;
        return nullptr;
      }
    }
    return servers_[key_servers_[0]].get();
  }
  const uint32_t first = key_servers_[0];
  for (uint32_t i : key_servers_) {
    if (i != first) {
      *error = "keys in request don't hash to the same server";
      return nullptr;
    }
  }
  return servers_[first].get();
}

void Forwarder::forward_other(proto::Action action, Request* msg) {
  switch (action) {
    case proto::Action::kFragment: return forward_split(msg);
    case proto::Action::kAllServers: return forward_everywhere(msg);
    case proto::Action::kCursor: return forward_by_cursor(msg);
    default: return forward_one(msg);
  }
}

// Inlined (GCC's attribute: it declined): every fragment of every split
// request is made here.
[[gnu::always_inline]] inline Request* Forwarder::new_part(Request* parent) {
  Request* part = ctx_.requests().get();
  part->waiter = &parent->join;
  part->pins = parent->pins;
  parent->fragments.push_back(part);
  return part;
}

void Forwarder::forward_one(Request* msg) {
  std::string error;
  Server* server = route(*msg, &error);
  if (server != nullptr && reads_elsewhere_) server = reader_for(*msg, server->index(), &error);
  if (server == nullptr) {
    answer_error(msg, error);
    return;
  }
  send_to(server, msg);
}

Server* Forwarder::reader_for(const Request& msg, uint32_t master, std::string* error) {
  Server* server = servers_[master].get();
  if (!reads_elsewhere_ || msg.reads_master || msg.command == nullptr ||
      !proto::reads_only(*msg.command)) {
    return server;
  }
  Server* reader = server->reader(spec_.read_policy, error);
  if (reader != nullptr) reader->count_policy_read();
  return reader;
}

void Forwarder::forward_split(Request* msg) {
  std::string error;
  if (!route_keys(*msg, &error)) {
    answer_error(msg, error);
    return;
  }
  // Cut by server, or in a cluster by slot.
  const std::vector<uint32_t>& group = cluster_ != nullptr ? key_groups_ : key_servers_;
  bool one_group = true;
  for (uint32_t g : group) one_group = one_group && g == group[0];
  if (one_group) {
    // No split: the server's own reply.
    Server* server = reader_for(*msg, key_servers_[0], &error);
    if (server == nullptr) {
      answer_error(msg, error);
      return;
    }
    send_to(server, msg);
    return;
  }
  // One fragment per group, in order of first appearance; each key
  // remembers its fragment and its place there.
  const size_t groups = cluster_ != nullptr ? redis::cluster::kSlots : servers_.size();
  if (fragment_of_group_.size() < groups) fragment_of_group_.resize(groups, -1);
  server_of_fragment_.clear();
  group_of_fragment_.clear();
  size_t fragments = 0;
  msg->key_places.resize(group.size());
  for (uint32_t k = 0; k < group.size(); ++k) {
    int& f = fragment_of_group_[group[k]];
    if (f < 0) {
      f = static_cast<int>(fragments++);
      if (keys_of_fragment_.size() < fragments) keys_of_fragment_.emplace_back();
      keys_of_fragment_[f].clear();
      server_of_fragment_.push_back(key_servers_[k]);
      group_of_fragment_.push_back(group[k]);
    }
    std::vector<uint32_t>& keys = keys_of_fragment_[f];
    msg->key_places[k] = {static_cast<uint32_t>(f), static_cast<uint32_t>(keys.size())};
    keys.push_back(k);
  }
  for (uint32_t g : group_of_fragment_) fragment_of_group_[g] = -1;
  msg->join.wait_for(this, msg, static_cast<uint32_t>(fragments));
  for (size_t f = 0; f < fragments; ++f) {
    protocol_.build_fragment(*msg, keys_of_fragment_[f], *new_part(msg));
  }
  counters_.fragments += fragments;
  // send_to() may answer a part at once (no connection), which can finish
  // the parent; nothing in it routes again, so the scratch stays valid.
  for (size_t f = 0; f < fragments; ++f) {
    Server* server = reader_for(*msg, server_of_fragment_[f], &error);
    if (server == nullptr) {
      answer_error(msg->fragment(f), error);
      continue;
    }
    send_to(server, msg->fragment(f));
  }
}

const std::vector<uint32_t>& Forwarder::everywhere() {
  if (cluster_ != nullptr) return cluster_->masters();
  return keyspace_;
}

void Forwarder::forward_everywhere(Request* msg) {
  // A copy (into scratch kept for it): a cluster's masters may change while
  // the parts are sent.
  everywhere_scratch_ = everywhere();
  const std::vector<uint32_t>& targets = everywhere_scratch_;
  const size_t n = targets.size();
  if (n == 1 && !protocol_.merges_alone(*msg)) {
    send_to(servers_[targets[0]].get(), msg);  // the server's own reply
    return;
  }
  msg->join.wait_for(this, msg, static_cast<uint32_t>(n));
  for (size_t s = 0; s < n; ++s) protocol_.build_everywhere_part(*msg, *new_part(msg));
  counters_.fragments += n;
  for (size_t s = 0; s < n; ++s) send_to(servers_[targets[s]].get(), msg->fragment(s));
}

void Forwarder::forward_by_cursor(Request* msg) {
  const std::vector<uint32_t>& targets = everywhere();
  const auto n = static_cast<uint32_t>(targets.size());
  if (n == 1) {
    send_to(servers_[targets[0]].get(), msg);
    return;
  }
  const uint32_t server = proto::scan_server(msg->cursor.value, n);
  if (server >= n) {  // not a cursor walnut gave: Redis's answer to one it never gave
    msg->reply.clear();
    protocol_.error_reply(*msg, "invalid cursor");
    deliver(ctx_, msg);
    return;
  }
  msg->cursor.server = server;
  msg->cursor.servers = n;
  msg->join.wait_for(this, msg, 1);
  Request* part = new_part(msg);
  protocol_.build_cursor_part(*msg, proto::scan_server_cursor(msg->cursor.value, n), *part);
  send_to(servers_[targets[server]].get(), part);
}


void Forwarder::forward_blocking(Request* msg, ClientPins& pins) {
  std::string error;
  Server* server = route(*msg, &error);
  if (server == nullptr) {
    answer_error(msg, error);
    return;
  }
  // A redirect of it goes on the client's own connection at the node named.
  msg->pins = &pins;
  send_pinned(*server, msg, pins);
}

bool Forwarder::send_pinned(Server& server, Request* msg, ClientPins& pins) {
  std::string error;
  ServerConn* conn = pins.get(server, &error);
  if (conn == nullptr) {
    answer_error(msg, error);
    return false;
  }
  conn->enqueue(msg);
  return true;
}

void Forwarder::send_to(Server* server, Request* msg) {
  if (msg->pins != nullptr) {
    // The client has connections of its own: to a server it has one to,
    // its requests follow what it sent there before.
    if (ServerConn* own = msg->pins->find(server->index())) {
      own->enqueue(msg);
      return;
    }
  }
  std::string error;
  ServerConn* conn = server->conn(&error);
  if (conn == nullptr) {
    answer_error(msg, error);
    return;
  }
  conn->enqueue(msg);
}

bool Forwarder::may_send_again(const Request& msg, const Server& server) const {
  if (msg.block_ms == 0) return true;
  if (msg.pins == nullptr) return false;  // its client left
  // A block goes on a connection of the client's own there: a new one, or
  // one that took nothing the client sent after the block (a MULTI, a
  // subscription, another block), which the block must not overtake or
  // join.
  const ServerConn* own = msg.pins->find(server.index());
  return own == nullptr || own->took_nothing_since(msg.read_tick);
}

void Forwarder::send_again(Server* server, Request* msg, bool asking) {
  std::string error;
  ServerConn* conn = nullptr;
  if (msg->block_ms == 0) {
    // On a shared connection: the client's own one there may hold its
    // writes until this very request is answered, or carry its open MULTI.
    conn = server->conn(&error);
  } else {
    // A block holds its connection: one of the client's own, as where it
    // went first (see may_send_again).
    WALNUT_DCHECK(msg->pins != nullptr);
    conn = msg->pins->get_again(*server, msg, &error);
  }
  if (conn == nullptr) {
    answer_error(msg, error);
    return;
  }
  if (asking) {
    Request* asking_request = ctx_.requests().get();
    asking_request->kind = RequestKind::asking;
    asking_request->request.append_copy(ctx_.mbufs(), redis::cluster::kAskingRequest);
    conn->enqueue(asking_request);
  }
  conn->enqueue(msg);
}

void Forwarder::answer_error(Request* msg, const std::string& cause) {
  ++counters_.forward_error;
  if (!cause.empty() && cause[0] == '-') {
    protocol_.answer(*msg, cause);
  } else {
    msg->reply.clear();
    protocol_.error_reply(*msg, cause);
  }
  deliver(ctx_, msg);
}

void Forwarder::fragments_joined(Request* parent) {
  protocol_.coalesce(*parent);
  for (size_t f = 0; f < parent->fragments.size(); ++f) ctx_.requests().put(parent->fragment(f));
  parent->fragments.clear();
  deliver(ctx_, parent);
}

}  // namespace walnut::proxy
