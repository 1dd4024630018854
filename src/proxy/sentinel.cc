// Following a pool's masters through Redis Sentinel.
#include "proxy/sentinel.h"

#include <algorithm>

#include "common/clock.h"
#include "common/log.h"
#include "proto/redis/redis_protocol.h"
#include "proxy/context.h"
#include "proxy/server.h"
#include "proxy/server_pool.h"

namespace walnut::proxy {

namespace se = redis::sentinel;

Sentinel::Sentinel(Context& ctx, ServerPool& pool)
    : ctx_(ctx),
      pool_(pool),
      spec_(pool.spec()),
      protocol_(std::make_unique<redis::RedisProtocol>(
          ctx.mbufs(), redis::PoolOptions{.auth = spec_.sentinel_auth})) {
  const int timeout = std::max(spec_.timeout, kMinTimeoutMs);
  SentinelListener& listener = *this;
  for (const config::SentinelSpec& s : spec_.sentinels) {
    links_.push_back(std::make_unique<SentinelLink>(ctx, s, *protocol_, timeout, listener));
  }
  refresh_timer_.init(ctx.loop(), [this] { ask_round(); });
}

Sentinel::~Sentinel() { stop(); }

void Sentinel::start() {
  for (uint32_t i = 0; i < spec_.servers.size(); ++i) by_name_[spec_.servers[i].name] = i;
  left_.resize(spec_.servers.size());
  ask_round();
}

void Sentinel::stop() {
  if (stopped_) return;
  stopped_ = true;
  refresh_timer_.stop();
  for (auto& link : links_) link->close("shutting down");
  asked_.clear();
}

void Sentinel::ask_round() {
  if (stopped_ || pending_ > 0) return;  // one round at a time
  refresh_timer_.stop();
  ++round_;
  round_failed_ = false;
  // A Sentinel that cannot even be connected to is passed over at once.
  for (size_t tries = 0; tries < links_.size(); ++tries) {
    SentinelLink& link = current();
    std::string error;
    bool sent = true;
    for (uint32_t i = 0; i < spec_.servers.size() && sent; ++i) {
      for (bool replicas : {false, true}) {
        if (replicas && spec_.read_policy == config::ReadPolicy::kMaster) continue;
        const std::string& name = spec_.servers[i].name;
        const std::string request =
            replicas ? se::replicas_request(name) : se::master_address_request(name);
        Request* asked = nullptr;
        if (!link.ask(request, this, &error, &asked)) {
          sent = false;
          break;
        }
        asked_[asked] = Question{i, replicas, round_};
        ++pending_;
      }
    }
    if (sent) {
      // A hung Sentinel's subscription times out.
      for (auto& each : links_) each->probe_subscription();
      return;
    }
    if (pending_ > 0) {
      // Some were asked before its connection failed: they fail with it,
      // and the round moves on when they do.
      round_failed_ = true;
      return;
    }
    note_trouble("sentinel '" + link.label() + "': " + error);
    ++current_;
  }
  note_trouble("no sentinel could be reached");
  refresh_timer_.start(kRefreshMs);
}

void Sentinel::on_reply(Request* msg) {
  auto it = asked_.find(msg);
  const std::string reply = msg->reply.to_string();
  const bool is_error = msg->reply_is_error;
  ctx_.requests().put(msg);
  if (it == asked_.end()) return;  // asked before a stop
  const Question q = it->second;
  asked_.erase(it);
  if (stopped_ || q.round != round_) return;
  --pending_;
  const std::string& name = spec_.servers[q.server].name;
  const std::string from = "sentinel '" + current().label() + "'";
  std::string line = reply.substr(0, reply.find("\r\n"));
  if (is_error) {
    round_failed_ = true;
    note_trouble(from + ": " + (line.empty() ? line : line.substr(1)));
  } else if (!q.replicas) {
    se::Node node;
    switch (se::parse_master_address(reply, &node)) {
      case se::AddressAnswer::kAddress:
        apply_address(q.server, node, false);
        break;
      case se::AddressAnswer::kUnknown:
        round_failed_ = true;
        note_trouble(from + " knows no master named '" + name + "'");
        break;
      case se::AddressAnswer::kMalformed:
        round_failed_ = true;
        note_trouble(from + " gave an address of '" + name + "' walnut cannot read: " + line);
        break;
    }
  } else {
    std::vector<se::Replica> replicas;
    if (se::parse_replicas(reply, &replicas)) {
      pool_.server(q.server).set_replicas(replicas);
    } else {
      round_failed_ = true;
      note_trouble(from + " gave replicas of '" + name + "' walnut cannot read");
    }
  }
  if (pending_ == 0) round_done(!round_failed_);
}

void Sentinel::round_done(bool ok) {
  if (ok) {
    if (!trouble_.empty()) {
      LOG_NOTICE("pool '%s': sentinel '%s' answers again", spec_.name.c_str(),
                 current().label().c_str());
      trouble_.clear();
    }
    tried_in_a_row_ = 0;
    subscribe_all();
    refresh_timer_.start(kRefreshMs);
    return;
  }
  // The next Sentinel at once, until each was tried; then after a pause.
  ++current_;
  if (++tried_in_a_row_ < links_.size()) {
    ask_round();
    return;
  }
  tried_in_a_row_ = 0;
  refresh_timer_.start(kRefreshMs);
}

void Sentinel::subscribe_all() {
  // Once a refresh (half of kRefreshMs, as the refresh timer may fire a
  // little early): a Sentinel whose subscriptions break is not connected
  // to again at every round a loss brings.
  const uint64_t now = now_ms();
  if (subscribed_ms_ != 0 && now - subscribed_ms_ < kRefreshMs / 2) return;
  subscribed_ms_ = now;
  for (auto& link : links_) {
    std::string error;
    // A Sentinel that cannot be reached now is tried again next round; its
    // link logs the failure once.
    link->subscribe(se::subscribe_request(), se::kSubscribedChannels, &error);
  }
}

void Sentinel::on_published(const std::string& message) {
  se::SwitchMaster change;
  if (stopped_ || !se::parse_switch_master(message, &change)) return;
  auto it = by_name_.find(change.name);
  if (it == by_name_.end()) return;  // a master of another pool
  apply_address(it->second, change.to, true);
  ask_round();  // its replicas changed too
}

void Sentinel::on_subscription_lost(SentinelLink& link) {
  if (stopped_) return;
  LOG_WARN("pool '%s': lost the subscription on sentinel '%s'; asking the sentinels again",
           spec_.name.c_str(), link.label().c_str());
  // That Sentinel is in trouble: the next one is asked, and what the
  // subscription may have missed is asked now, unless a loss asked within
  // the last kRefreshMs (the refresh comes soon anyway).
  if (&current() == &link) ++current_;
  const uint64_t now = now_ms();
  if (lost_asked_ms_ != 0 && now - lost_asked_ms_ < kRefreshMs) return;
  lost_asked_ms_ = now;
  ask_round();
}

void Sentinel::apply_address(uint32_t server, const se::Node& node, bool published) {
  Server& s = pool_.server(server);
  Left& left = left_[server];
  const uint64_t now = now_ms();
  if (!published && node.address() == left.address && now - left.at_ms < kSettleMs) return;
  const std::string before = s.address_text();
  s.move_to(node.host, node.port, published ? "Sentinel failover" : "as Sentinel says");
  if (published && s.address_text() != before) left = Left{before, now};
}

void Sentinel::note_trouble(const std::string& what) {
  if (what == trouble_) return;
  trouble_ = what;
  LOG_WARN("pool '%s': %s; keeping the last known addresses", spec_.name.c_str(), what.c_str());
}

}  // namespace walnut::proxy
