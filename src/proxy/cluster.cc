// A pool's Redis Cluster: its nodes, its slot map, and the redirects.
#include "proxy/cluster.h"

#include <algorithm>

#include "common/clock.h"
#include "common/log.h"
#include "proxy/context.h"
#include "proxy/forwarder.h"
#include "proxy/server.h"
#include "proxy/server_conn.h"
#include "proxy/server_pool.h"

namespace walnut::proxy {

namespace cl = redis::cluster;

Cluster::Cluster(Context& ctx, ServerPool& pool, Forwarder& forwarder,
                 stats::ClusterCounters& counters)
    : ctx_(ctx),
      pool_(pool),
      forwarder_(forwarder),
      spec_(pool.spec()),
      counters_(counters),
      slots_(cl::kSlots, kUnknown) {
  refresh_timer_.init(ctx.loop(), [this] { refresh_now(); });
  retry_timer_.init(ctx.loop(), [this] { retry_parked(); });
  patience_timer_.init(ctx.loop(), [this] { read_timed_out(); });
}

Cluster::~Cluster() { stop(); }

void Cluster::start() {
  for (uint32_t i = 0; i < pool_.server_count(); ++i) {
    const config::ServerSpec& s = pool_.server(i).spec();
    by_address_.emplace(s.host + ":" + std::to_string(s.port), i);
    masters_.push_back(i);  // until a map says which serve slots
  }
  refresh_now();
}

void Cluster::stop() {
  if (stopped_) return;
  stopped_ = true;
  refresh_timer_.stop();
  retry_timer_.stop();
  patience_timer_.stop();
  std::deque<Parked> parked;
  parked.swap(parked_);
  for (Parked& p : parked) {
    p.msg->parked = false;
    forwarder_.answer_error(p.msg, "shutting down");
  }
}

uint32_t Cluster::any_node() const {
  // Round robin over the masters, passing over failing ones while any
  // other is left.
  const std::vector<uint32_t>& nodes = masters_;
  for (size_t tries = 0; tries < nodes.size(); ++tries) {
    const uint32_t n = nodes[next_any_++ % nodes.size()];
    if (!pool_.server(n).failing()) return n;
  }
  return nodes[next_any_++ % nodes.size()];
}

Server& Cluster::node(const cl::Node& named, const Server& from) {
  // Redis names a node whose endpoint it does not know by its port alone:
  // the node that said so knows it at its own address.
  if (!named.host.empty()) return node(named);
  return node(cl::Node{from.spec().host, named.port});
}

Server& Cluster::node(const cl::Node& node) {
  const std::string address = node.address();
  auto it = by_address_.find(address);
  if (it != by_address_.end()) return pool_.server(it->second);
  Server& server = pool_.add_node(node.host, node.port);
  by_address_.emplace(address, server.index());
  LOG_NOTICE("pool '%s': cluster node %s joins as server %u", spec_.name.c_str(),
             address.c_str(), server.index());
  return server;
}

bool Cluster::redirected(Request* msg, Server& from) {
  const cl::Redirect r = cl::parse_redirect(msg->reply.view(
      0, std::min<uint64_t>(msg->reply.size(), kRedirectLineMax), scratch_));
  if (r.kind == cl::RedirectKind::kNone || stopped_) return false;
  if (msg->redirects >= static_cast<uint32_t>(spec_.cluster_max_redirects)) {
    LOG_INFO("pool '%s': a request gave up after %u redirects", spec_.name.c_str(),
             msg->redirects);
    return false;  // the last error is the client's
  }
  ++msg->redirects;
  switch (r.kind) {
    case cl::RedirectKind::kMoved: {
      ++counters_.moved;
      Server& to = node(r.node, from);
      slots_[r.slot] = to.index();
      // The node named knows the change; the one that sent the request
      // there may be the one behind.
      next_ask_ = to.index();
      refresh_soon();
      if (!forwarder_.may_send_again(*msg, to)) return false;  // the client's to follow
      follow(msg, to, false);
      return true;
    }
    case cl::RedirectKind::kAsk: {
      ++counters_.ask;
      Server& to = node(r.node, from);
      if (!forwarder_.may_send_again(*msg, to)) return false;
      follow(msg, to, true);
      return true;
    }
    case cl::RedirectKind::kTryAgain:
    case cl::RedirectKind::kClusterDown: {
      // A block is not parked: while it waited, the client could have sent
      // the node more on its own connection there (even a MULTI), which the
      // block would then land behind.
      if (msg->block_ms != 0) return false;
      // Both pass: a migration ends when its last key moved; a cluster
      // that fails for a moment (a node's heartbeat late on a loaded
      // machine, a failover) is whole again in a moment.
      if (r.kind == cl::RedirectKind::kTryAgain) {
        ++counters_.tryagain;
      } else {
        ++counters_.clusterdown;
      }
      // Doubling, while it lasts.
      const uint64_t pause = kTryAgainPauseMs << std::min(msg->redirects - 1, kTryAgainDoublings);
      msg->parked = true;
      parked_.push_back(Parked{msg, from.index(), msg->sent_asking, now_ms() + pause});
      arm_retry(now_ms() + pause);
      return true;
    }
    case cl::RedirectKind::kNone:
      break;
  }
  return false;
}

void Cluster::follow(Request* msg, Server& to, bool asking) {
  msg->reply.clear();
  msg->reply_is_error = false;
  msg->request_sent = 0;
  msg->sent_asking = asking;
  forwarder_.send_again(&to, msg, asking);
}

void Cluster::retry_parked() {
  const uint64_t now = now_ms();
  uint64_t next_due = UINT64_MAX;
  // Sent in a list of their own: sending may answer one at once, and that
  // may end a client whose other requests wait here.
  std::vector<Parked> due;
  for (auto it = parked_.begin(); it != parked_.end();) {
    if (it->due_ms <= now) {
      due.push_back(*it);
      it = parked_.erase(it);
    } else {
      next_due = std::min(next_due, it->due_ms);
      ++it;
    }
  }
  for (Parked& p : due) {
    p.msg->parked = false;
    // The node that said TRYAGAIN, as it was asked: an importing node
    // takes the slot's keys only after ASKING.
    follow(p.msg, pool_.server(p.server), p.asking);
  }
  if (next_due != UINT64_MAX) arm_retry(next_due);
}

void Cluster::arm_retry(uint64_t due_ms) {
  if (retry_timer_.pending() && retry_due_ms_ <= due_ms) return;  // sooner already
  const uint64_t now = now_ms();
  retry_due_ms_ = due_ms;
  retry_timer_.start(due_ms > now ? due_ms - now : 0);
}

void Cluster::on_node_failed(Server& server) {
  (void)server;
  // A read under way sees the cluster as it is now; one that finds a
  // failing master asks again soon (apply()).
  if (!reading_) refresh_soon();
}

void Cluster::refresh_soon() {
  if (reading_) {
    read_again_ = true;
    return;
  }
  const uint64_t now = now_ms();
  const uint64_t since = now - last_read_ms_;
  schedule_refresh(since >= kMinRefreshGapMs ? 0 : kMinRefreshGapMs - since);
}

void Cluster::schedule_refresh(uint64_t ms) {
  if (stopped_) return;
  const uint64_t due = now_ms() + ms;
  if (refresh_timer_.pending() && refresh_due_ms_ <= due) return;  // sooner already
  refresh_due_ms_ = due;
  refresh_timer_.start(ms);
}

void Cluster::refresh_now() {
  if (stopped_ || reading_) return;
  refresh_timer_.stop();
  reading_ = true;
  read_again_ = false;
  last_read_ms_ = now_ms();
  asked_this_round_ = 0;
  if (!ask_next()) round_failed();
}

bool Cluster::ask_next() {
  const auto count = static_cast<uint32_t>(pool_.server_count());
  while (asked_this_round_ < count) {
    const uint32_t index = next_ask_ % count;
    ++next_ask_;
    ++asked_this_round_;
    std::string error;
    ServerConn* conn = pool_.server(index).conn(&error);
    if (conn == nullptr) {
      last_refresh_error_ = pool_.server(index).label() + ": " + error;
      continue;
    }
    Request* ask = ctx_.requests().get();
    ask->kind = RequestKind::slot_map;
    ask->waiter = this;
    ask->request.append_copy(ctx_.mbufs(), cl::kSlotsRequest);
    asked_ = index;
    out_ = ask;
    conn->enqueue(ask);
    // Without a pool timeout nothing else would end a read from a node
    // that hangs, and no read would follow it.
    if (spec_.timeout <= 0) patience_timer_.start(kReadPatienceMs);
    return true;
  }
  return false;
}

void Cluster::on_reply(Request* msg) {
  const std::string reply = msg->reply.to_string();
  const bool answered = !msg->reply_is_error;
  const bool current = msg == out_;
  ctx_.requests().put(msg);
  if (stopped_ || !current) return;  // a read given up on (read_timed_out)
  out_ = nullptr;
  patience_timer_.stop();
  Server& from = pool_.server(asked_);
  std::vector<cl::SlotRange> ranges;
  std::string error;
  if (answered && cl::parse_slots(reply, from.spec().host, &ranges, &error)) {
    next_ask_ = asked_;  // it answers: ask it first next time
    apply(ranges, from);
    return;
  }
  std::string cause = answered ? error : reply.substr(0, reply.find('\r'));
  last_refresh_error_ = from.label() + ": " + cause;
  LOG_WARN("pool '%s': no slot map from cluster node %s: %s", spec_.name.c_str(),
           from.label().c_str(), cause.c_str());
  if (!ask_next()) round_failed();
}

void Cluster::read_timed_out() {
  const Server& from = pool_.server(asked_);
  last_refresh_error_ = from.label() + ": no answer within " +
                        std::to_string(kReadPatienceMs) + " ms";
  LOG_WARN("pool '%s': no slot map from cluster node %s: no answer within %llu ms",
           spec_.name.c_str(), from.label().c_str(),
           static_cast<unsigned long long>(kReadPatienceMs));
  out_ = nullptr;  // its answer, if it comes, is dropped
  if (!ask_next()) round_failed();
}

void Cluster::round_failed() {
  reading_ = false;
  ++counters_.refresh_failures;
  LOG_WARN("pool '%s': no cluster node gave its slot map (last: %s); asking again in %llu ms",
           spec_.name.c_str(), last_refresh_error_.c_str(),
           static_cast<unsigned long long>(kFailingRefreshMs));
  schedule_refresh(kFailingRefreshMs);
}

void Cluster::learn_replicas(const std::vector<cl::SlotRange>& ranges) {
  // Each master's replicas, once each though it serves several ranges. The
  // map lists a replica only while the cluster does not count it failed.
  std::unordered_map<uint32_t, std::vector<redis::sentinel::Replica>> of_master;
  for (const cl::SlotRange& range : ranges) {
    std::vector<redis::sentinel::Replica>& list = of_master[node(range.master).index()];
    for (const cl::Node& replica : range.replicas) {
      const bool listed = std::any_of(list.begin(), list.end(), [&](const auto& r) {
        return r.node == replica;
      });
      if (!listed) list.push_back({replica, true});
    }
  }
  for (auto& [master, replicas] : of_master) pool_.server(master).set_replicas(replicas);
}

void Cluster::apply(const std::vector<cl::SlotRange>& ranges, const Server& from) {
  reading_ = false;
  ++counters_.refreshes;
  std::vector<uint32_t> slots(cl::kSlots, kUnknown);
  std::vector<uint32_t> masters;
  for (const cl::SlotRange& range : ranges) {
    const uint32_t index = node(range.master).index();
    std::fill(slots.begin() + range.first, slots.begin() + range.last + 1, index);
    if (std::find(masters.begin(), masters.end(), index) == masters.end()) {
      masters.push_back(index);
    }
  }
  uint32_t moved = 0;
  uint32_t unserved = 0;
  for (uint32_t s = 0; s < cl::kSlots; ++s) {
    moved += slots[s] != slots_[s];
    unserved += slots[s] == kUnknown;
  }
  // By server, not by first slot: a SCAN's cursor names a place in this
  // list, which a resharding must not reorder.
  std::sort(masters.begin(), masters.end());
  if (moved != 0) {
    LOG_NOTICE("pool '%s': slot map from %s: %u slots changed node, %zu masters, %u slots "
               "served by none",
               spec_.name.c_str(), from.label().c_str(), moved, masters.size(), unserved);
  }
  slots_.swap(slots);
  if (!masters.empty()) masters_.swap(masters);
  if (spec_.read_policy != config::ReadPolicy::kMaster) learn_replicas(ranges);
  // A master that failed lately may be on its way out; one that failed
  // long ago and was not asked since is no news (the next failure asks).
  bool failing = false;
  for (uint32_t m : masters_) failing = failing || pool_.server(m).failed_within(kFailingWindowMs);
  if (read_again_) {
    refresh_soon();
  } else if (failing) {
    schedule_refresh(kFailingRefreshMs);  // until its replica is promoted
  } else if (spec_.cluster_refresh_interval > 0) {
    schedule_refresh(static_cast<uint64_t>(spec_.cluster_refresh_interval));
  }
}

}  // namespace walnut::proxy
