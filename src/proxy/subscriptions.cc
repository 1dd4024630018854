// A client's (un)subscriptions, spread over servers and confirmed together.
#include "proxy/subscriptions.h"

#include <algorithm>

#include "common/log.h"
#include "proxy/context.h"
#include "proxy/forwarder.h"
#include "proxy/server.h"

namespace walnut::proxy {

std::set<std::string>& Subscriptions::names_of(Family family) {
  switch (family) {
    case Family::kPattern: return patterns_;
    case Family::kShard: return shard_channels_;
    case Family::kChannel: break;
  }
  return channels_;
}

uint64_t Subscriptions::count(Family family) const {
  if (family == Family::kShard) return shard_channels_.size();
  return channels_.size() + patterns_.size();
}

void Subscriptions::update_session() {
  session_.subscribed = !channels_.empty() || !patterns_.empty() || !shard_channels_.empty();
}

void Subscriptions::take(Request* msg) {
  const proto::SubscriptionStep step = protocol_.subscription_step(*msg);
  std::set<std::string>& names = names_of(step.family);
  std::vector<std::string> args;
  std::string scratch;
  for (const proto::Span& k : msg->keys) args.emplace_back(msg->request.view(k.offset, k.len, scratch));
  // UNSUBSCRIBE with no names: every one of the family.
  if (!step.subscribe && args.empty()) args.assign(names.begin(), names.end());

  // Redis's confirmations, one per name with the count after it, made now
  // and held back until the servers confirmed.
  const std::set<std::string> before = names;  // if a server cannot be reached
  msg->reply.clear();
  if (args.empty()) {
    protocol_.subscription_reply(*msg, step, nullptr, count(step.family));
  }
  for (const std::string& name : args) {
    if (step.subscribe) {
      names.insert(name);
    } else {
      names.erase(name);
    }
    protocol_.subscription_reply(*msg, step, &name, count(step.family));
  }
  update_session();

  std::vector<std::vector<std::string>> parts = by_server(step.family, step.subscribe, args);
  std::vector<ServerConn*> conns(parts.size(), nullptr);
  uint32_t sent = 0;
  for (uint32_t s = 0; s < parts.size(); ++s) {
    if (parts[s].empty()) continue;
    std::string error;
    if (!step.subscribe) {
      conns[s] = pins_.find(s);
    } else if ((conns[s] = pins_.get(forwarder_.server(s), &error)) == nullptr) {
      // Nothing is sent: the client gets the error, subscribed as before.
      names = before;
      update_session();
      forwarder_.answer_error(msg, error);
      return;
    }
    ++sent;
  }
  if (sent == 0) {  // nothing to ask a server: the confirmations are walnut's
    deliver(ctx_, msg);
    return;
  }
  // Every part is made before any is sent: one answered at once (its
  // connection failing) must find the join counting all of them.
  msg->join.wait_for(this, msg, sent);
  for (uint32_t s = 0; s < parts.size(); ++s) {
    if (conns[s] == nullptr) continue;
    Request* part = ctx_.requests().get();
    part->waiter = &msg->join;
    part->replies_expected = static_cast<uint32_t>(parts[s].size());  // one confirmation each
    if (step.subscribe) {
      part->push = Request::Push::kStarts;
    } else if (!subscribed_on(s)) {
      part->push = Request::Push::kEnds;  // the server's last subscription goes
    }
    protocol_.subscription_request(step, parts[s], *part);
    msg->fragments.push_back(part);
    if (step.subscribe && step.family != Family::kPattern) {
      // What is new here is undone if this server does not confirm it.
      Pending pending{part, s, step.family, {}};
      for (const std::string& name : parts[s]) {
        if (before.count(name) == 0) pending.fresh.push_back(name);
      }
      if (!pending.fresh.empty()) pending_.push_back(std::move(pending));
    }
  }
  size_t f = 0;
  for (uint32_t s = 0; s < parts.size(); ++s) {
    if (conns[s] != nullptr) conns[s]->enqueue(msg->fragment(f++));
  }
}

std::vector<std::vector<std::string>> Subscriptions::by_server(
    Family family, bool subscribe, const std::vector<std::string>& names) {
  std::vector<std::vector<std::string>> parts(forwarder_.server_count());
  for (const std::string& name : names) {
    if (family == Family::kPattern) {
      for (uint32_t s = 0; s < parts.size(); ++s) parts[s].push_back(name);
      continue;
    }
    std::string error;
    if (Server* server = forwarder_.route_key(name, &error)) {
      parts[server->index()].push_back(name);
    } else {
      LOG_INFO("channel '%s' has no server: %s", name.c_str(), error.c_str());
    }
  }
  if (!subscribe) {
    // Where the client has no connection it has no subscription.
    for (uint32_t s = 0; s < parts.size(); ++s) {
      if (pins_.find(s) == nullptr) parts[s].clear();
    }
  }
  return parts;
}

void Subscriptions::undo(const Pending& pending) {
  std::set<std::string>& names = names_of(pending.family);
  for (const std::string& name : pending.fresh) names.erase(name);
  update_session();
}

void Subscriptions::fragments_joined(Request* parent) {
  // A part that failed fails the whole request, and what it would have
  // added is not there; else the confirmations made when it was taken
  // stand.
  for (size_t f = 0; f < parent->fragments.size(); ++f) {
    Request* part = parent->fragment(f);
    auto it = std::find_if(pending_.begin(), pending_.end(),
                           [part](const Pending& p) { return p.part == part; });
    if (it != pending_.end()) {
      if (part->reply_is_error) undo(*it);
      pending_.erase(it);
    }
    if (part->reply_is_error && !parent->reply_is_error) {
      parent->reply.clear();
      parent->reply.append(part->reply, 0, part->reply.size());
      parent->reply_is_error = true;
    }
  }
  for (size_t f = 0; f < parent->fragments.size(); ++f) ctx_.requests().put(parent->fragment(f));
  parent->fragments.clear();
  deliver(ctx_, parent);
}

bool Subscriptions::subscribed_on(uint32_t server_index) const {
  if (!patterns_.empty()) return true;
  for (const auto* names : {&channels_, &shard_channels_}) {
    for (const std::string& name : *names) {
      std::string error;
      Server* server = forwarder_.route_key(name, &error);
      if (server != nullptr && server->index() == server_index) return true;
    }
  }
  return false;
}

bool Subscriptions::on_pin_lost(uint32_t server_index) {
  // Subscriptions still unconfirmed there fail with the connection: only
  // those the server had confirmed are lost.
  for (auto it = pending_.begin(); it != pending_.end();) {
    if (it->server == server_index) {
      undo(*it);
      it = pending_.erase(it);
    } else {
      ++it;
    }
  }
  return subscribed_on(server_index);
}

}  // namespace walnut::proxy
