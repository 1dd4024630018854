// A client's (un)subscriptions, spread over servers and confirmed together.
#include "proxy/subscriptions.h"

#include "proxy/context.h"
#include "proxy/forwarder.h"
#include "proxy/server.h"

namespace walnut::proxy {

void Subscriptions::take(Request* msg) {
  const proto::SubscriptionStep step = protocol_.subscription_step(*msg);
  std::vector<std::string> names;
  std::string scratch;
  for (const proto::Span& k : msg->keys) names.emplace_back(msg->request.view(k.offset, k.len, scratch));
  // Redis's confirmations, one per name with the count after it, made now
  // and held back until the servers confirmed.
  msg->reply.clear();
  if (step.subscribe) {
    subscribe(msg, step, names);
    return;
  }
  // UNSUBSCRIBE with no names: every one of the family.
  if (names.empty()) names = names_.all(step.family);
  unsubscribe(msg, step, names);
}

void Subscriptions::subscribe(Request* msg, proto::SubscriptionStep step,
                              const std::vector<std::string>& names) {
  // Where each name goes, found before anything changes: one that routes
  // nowhere, or a server that cannot be reached, fails the request whole
  // with nothing sent and the client subscribed as before. A name the
  // client has goes where it lives, wherever it routes now.
  Parts parts(forwarder_.server_count());
  std::vector<uint32_t> where(names.size(), SubscribedNames::kEveryServer);
  for (size_t i = 0; i < names.size(); ++i) {
    // Every node of a Redis Cluster hears every message: a pattern there
    // goes to one node, as a channel does, or its messages would come once
    // per node.
    if (step.family == Family::kPattern && !forwarder_.in_cluster()) {
      // Every server of the keyspace, not its replicas: they hear what
      // their master publishes.
      for (uint32_t s : forwarder_.everywhere()) parts[s].push_back(names[i]);
      continue;
    }
    if (std::optional<uint32_t> lives = names_.server_of(step.family, names[i])) {
      where[i] = *lives;
    } else {
      std::string error;
      Server* server = forwarder_.route_key(names[i], &error);
      if (server == nullptr) {
        forwarder_.answer_error(msg, error);
        return;
      }
      where[i] = server->index();
    }
    parts[where[i]].push_back(names[i]);
  }
  Pending pending{step.family, {}, {}};
  for (uint32_t s = 0; s < parts.size(); ++s) {
    if (parts[s].empty()) continue;
    std::string error;
    if (pins_.get(forwarder_.server(s), &error) == nullptr) {
      forwarder_.answer_error(msg, error);
      return;
    }
    pending.part_servers.push_back(s);
  }
  for (size_t i = 0; i < names.size(); ++i) {
    names_.add(step.family, names[i], where[i], &pending.claims);
    protocol_.subscription_reply(*msg, step, &names[i], names_.count(step.family));
  }
  update_session();
  if (!pending.claims.empty()) pending_.emplace(msg, std::move(pending));
  send_parts(msg, step, parts);
}

void Subscriptions::unsubscribe(Request* msg, proto::SubscriptionStep step,
                                const std::vector<std::string>& names) {
  if (names.empty()) protocol_.subscription_reply(*msg, step, nullptr, names_.count(step.family));
  // Each name to where it was subscribed, on the client's connection there;
  // a name the client does not have goes nowhere.
  Parts parts(forwarder_.server_count());
  for (const std::string& name : names) {
    if (const std::optional<uint32_t> lived = names_.remove(step.family, name)) {
      to_where_it_lived(name, *lived, &parts);
    }
    protocol_.subscription_reply(*msg, step, &name, names_.count(step.family));
  }
  update_session();
  send_parts(msg, step, parts);
}

bool Subscriptions::live_where_they_route() const {
  if (!names_.any()) return true;
  if (!forwarder_.in_cluster() && !names_.all(Family::kPattern).empty()) {
    for (uint32_t s : forwarder_.everywhere()) {
      if (pins_.find(s) == nullptr) return false;  // a server added: it lacks them
    }
  }
  for (Family family : {Family::kChannel, Family::kShard}) {
    for (const std::string& name : names_.all(family)) {
      std::string error;
      const Server* routed = forwarder_.route_key(name, &error);
      if (routed == nullptr || names_.server_of(family, name) != routed->index()) return false;
    }
  }
  return true;
}

void Subscriptions::to_where_it_lived(const std::string& name, uint32_t server,
                                      Parts* parts) const {
  // What the client has, it has on its own connections: where it has none
  // (any more), nothing of it is left.
  for (uint32_t s = 0; s < parts->size(); ++s) {
    if ((server == s || server == SubscribedNames::kEveryServer) && pins_.find(s) != nullptr) {
      (*parts)[s].push_back(name);
    }
  }
}

void Subscriptions::send_parts(Request* msg, proto::SubscriptionStep step, const Parts& parts) {
  uint32_t sent = 0;
  for (const std::vector<std::string>& part : parts) sent += part.empty() ? 0 : 1;
  if (sent == 0) {  // nothing to ask a server: the confirmations are walnut's
    fragments_joined(msg);
    return;
  }
  // Every part is made before any is sent: one answered at once (its
  // connection failing) must find the join counting all of them.
  msg->join.wait_for(this, msg, sent);
  for (uint32_t s = 0; s < parts.size(); ++s) {
    if (parts[s].empty()) continue;
    Request* part = ctx_.requests().get();
    part->waiter = &msg->join;
    part->bound_to_server = true;
    part->replies_expected = static_cast<uint32_t>(parts[s].size());  // one confirmation each
    if (step.subscribe) {
      part->push = Request::Push::kStarts;
    } else if (!names_.on(s)) {
      part->push = Request::Push::kEnds;  // the server's last subscription goes
    }
    protocol_.subscription_request(step, parts[s], *part);
    msg->fragments.push_back(part);
  }
  size_t f = 0;
  for (uint32_t s = 0; s < parts.size(); ++s) {
    if (!parts[s].empty()) pins_.find(s)->enqueue(msg->fragment(f++));
  }
}

void Subscriptions::fragments_joined(Request* parent) {
  // A part that failed fails the whole request: its error is the reply.
  // Else the confirmations made when it was taken stand.
  const Request* failed = nullptr;
  for (size_t f = 0; f < parent->fragments.size() && failed == nullptr; ++f) {
    if (parent->fragment(f)->reply_is_error) failed = parent->fragment(f);
  }
  if (failed != nullptr) {
    parent->reply.clear();
    parent->reply.append(failed->reply, 0, failed->reply.size());
    parent->reply_is_error = true;
  }
  if (auto it = pending_.find(parent); it != pending_.end()) {
    if (failed == nullptr) {
      names_.confirm(it->second.family, it->second.claims);
    } else {
      take_back(it->second, parent);
    }
    pending_.erase(it);
  }
  for (size_t f = 0; f < parent->fragments.size(); ++f) ctx_.requests().put(parent->fragment(f));
  parent->fragments.clear();
  deliver(ctx_, parent);
}

void Subscriptions::take_back(const Pending& pending, const Request* parent) {
  std::vector<SubscribedNames::Placed> taken;
  names_.take_back(pending.family, pending.claims, &taken);
  update_session();
  if (taken.empty()) return;
  // Told to every server the names lived on: one that refused its part
  // drops nothing, harmlessly.
  Parts parts(forwarder_.server_count());
  for (const SubscribedNames::Placed& name : taken) to_where_it_lived(name.name, name.server, &parts);
  const proto::SubscriptionStep step{pending.family, false};
  for (uint32_t s = 0; s < parts.size(); ++s) {
    if (parts[s].empty()) continue;
    Request* own = ctx_.requests().get();
    own->kind = RequestKind::take_back;
    own->waiter = this;
    own->replies_expected = static_cast<uint32_t>(parts[s].size());
    if (!names_.on(s)) own->push = Request::Push::kEnds;
    protocol_.subscription_request(step, parts[s], *own);
    std::vector<std::string>& keys = withdrawing_[own];
    for (const std::string& name : parts[s]) {
      keys.push_back(withdrawn_key(pending.family, name));
      ++withdrawn_[keys.back()];
    }
    pins_.find(s)->enqueue(own);
  }
  // What the servers sent for them since they confirmed is queued behind
  // the request (which was not answered yet): it goes too.
  if (withdrawing()) client_.drop_withdrawn_messages(parent);
}

void Subscriptions::on_reply(Request* own) {
  // Dropped on the server (or its connection went, and the names with it):
  // no message for them comes after this.
  if (auto it = withdrawing_.find(own); it != withdrawing_.end()) {
    for (const std::string& key : it->second) {
      auto w = withdrawn_.find(key);
      if (w != withdrawn_.end() && --w->second == 0) withdrawn_.erase(w);
    }
    withdrawing_.erase(it);
  }
  ctx_.requests().put(own);
}

std::string Subscriptions::withdrawn_key(Family family, const std::string& name) {
  return static_cast<char>('0' + static_cast<int>(family)) + name;
}

bool Subscriptions::withdrawn(const buffer::MbufChain& message) const {
  Family family;
  std::string name;
  if (!protocol_.push_subject(message, &family, &name)) return false;
  return withdrawn_.count(withdrawn_key(family, name)) > 0;
}

bool Subscriptions::on_pin_lost(uint32_t server_index) {
  if (names_.confirmed_on(server_index)) return true;
  // A part the server confirmed, of a request still waiting on others: the
  // request may yet succeed, without what was subscribed there.
  for (const auto& [parent, pending] : pending_) {
    for (size_t f = 0; f < parent->fragments.size(); ++f) {
      const Request* part = parent->fragment(f);
      if (pending.part_servers[f] == server_index && part->done && !part->reply_is_error) {
        return true;
      }
    }
  }
  return false;
}

}  // namespace walnut::proxy
