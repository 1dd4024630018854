// Cluster: a pool's view of the Redis Cluster behind it (redis_cluster:
// true). It knows the nodes (the seeds of the configuration, then every
// master the slot map names: each a Server of the pool, with its own
// connections and counters), which node serves each of the 16384 slots,
// and follows the cluster as it changes:
//
// - the slot map is read (CLUSTER SLOTS) from any node that answers: at
//   start, every cluster_refresh_interval, and soon after a redirect or a
//   failed node says it changed; one read at a time, at most one per
//   kMinRefreshGapMs;
// - a request answered MOVED goes again to the node named, at once, and
//   that slot is that node's from then on; ASK sends ASKING and the request
//   to the node named, the map unchanged; TRYAGAIN (keys of a slot in the
//   middle of a migration) and CLUSTERDOWN (the cluster failing, often for
//   a moment) send it again after a pause. At most
//   cluster_max_redirects of these per request; then the last error is the
//   client's reply. A request's reply still goes back in its client's order:
//   only its completion is later.
//
// A slot nobody is known to serve goes to any node, whose answer (a MOVED,
// or CLUSTERDOWN) is right where walnut's guess could not be.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/non_copyable.h"
#include "config/config.h"
#include "event/loop.h"
#include "proto/redis/cluster.h"
#include "proxy/request.h"
#include "stats/counters.h"

namespace walnut::proxy {

class Context;
class Forwarder;
class Server;
class ServerPool;

class Cluster final : public ReplyWaiter, private NonCopyable {
 public:
  Cluster(Context& ctx, ServerPool& pool, Forwarder& forwarder, stats::ClusterCounters& counters);
  ~Cluster();

  // Learns the seeds (the pool's servers so far) and reads the slot map.
  void start();
  // Stops asking; requests waiting for a retry get an error.
  void stop();

  // The index of the server of `slot` (any node while nobody is known to
  // serve it).
  uint32_t node_of(uint32_t slot) const {
    const uint32_t n = slots_[slot];
    return n != kUnknown ? n : any_node();
  }
  // The servers that serve slots now (every node before the first map), for
  // commands that go to the whole keyspace.
  const std::vector<uint32_t>& masters() const { return masters_; }

  // `msg` was answered with an error by `from`: true when it was a redirect
  // walnut follows (the request is on its way again, or waits to be);
  // false when the error is the client's reply.
  bool redirected(Request* msg, Server& from);
  // A node's connection failed: the map may have changed (a failover).
  void on_node_failed(Server& server);

  // The reply to a CLUSTER SLOTS walnut sent.
  void on_reply(Request* msg) override;

 private:
  static constexpr uint32_t kUnknown = UINT32_MAX;
  // The least time between two reads of the map (MOVED storms during a
  // resharding ask for many).
  static constexpr uint64_t kMinRefreshGapMs = 100;
  // How soon the map is read again while a master it names is failing, to
  // see its replica promoted.
  static constexpr uint64_t kFailingRefreshMs = 500;
  // How long after its last failure a master counts as failing for that:
  // longer than the longest reconnect backoff (1 s), so that a master that
  // keeps failing under traffic keeps the map read.
  static constexpr uint64_t kFailingWindowMs = 2000;
  // How long a read of the map waits for its node in a pool without a
  // timeout.
  static constexpr uint64_t kReadPatienceMs = 5000;
  // The pause before a TRYAGAIN or CLUSTERDOWN is sent again the first
  // time; it doubles
  // with each redirect the request followed.
  static constexpr uint64_t kTryAgainPauseMs = 20;
  static constexpr uint32_t kTryAgainDoublings = 6;
  // A redirect's line is shorter than this ("-MOVED 16383 " and an address).
  static constexpr uint64_t kRedirectLineMax = 300;

  uint32_t any_node() const;
  // The server at `node`'s address: a known one, or a new one of the pool.
  Server& node(const redis::cluster::Node& node);
  // The node a redirect from `from` names (an empty host: from's).
  Server& node(const redis::cluster::Node& named, const Server& from);
  // Reads the map soon: now, or once the gap since the last read passed;
  // nothing more when a read is under way or due.
  void refresh_soon();
  void refresh_now();
  // No node of this round gave a map: asked again after a pause.
  void round_failed();
  // The node asked did not answer within kReadPatienceMs: the next one is.
  void read_timed_out();
  // Sends CLUSTER SLOTS to the next node that can take it; false when none
  // of this round's could.
  bool ask_next();
  void apply(const std::vector<redis::cluster::SlotRange>& ranges, const Server& from);
  // read_policy: tells each master the replicas the map lists for it.
  void learn_replicas(const std::vector<redis::cluster::SlotRange>& ranges);
  void schedule_refresh(uint64_t ms);
  void follow(Request* msg, Server& to, bool asking);
  void retry_parked();
  // Runs retry_parked() at `due_ms`, unless it runs sooner already.
  void arm_retry(uint64_t due_ms);

  Context& ctx_;
  ServerPool& pool_;
  Forwarder& forwarder_;
  const config::PoolSpec& spec_;
  stats::ClusterCounters& counters_;
  std::vector<uint32_t> slots_;  // server index per slot; kUnknown for none
  std::vector<uint32_t> masters_;
  std::unordered_map<std::string, uint32_t> by_address_;  // "host:port" -> index
  mutable uint32_t next_any_ = 0;

  bool stopped_ = false;
  bool reading_ = false;        // a CLUSTER SLOTS is out
  bool read_again_ = false;     // asked for while one was out
  uint32_t asked_ = 0;          // the node it was sent to
  const Request* out_ = nullptr;  // the read under way; a reply to another is stale
  event::Timer patience_timer_;
  uint64_t refresh_due_ms_ = 0;
  uint64_t last_read_ms_ = 0;   // when the last one was sent
  uint32_t next_ask_ = 0;       // the node to ask first next time
  uint32_t asked_this_round_ = 0;
  std::string last_refresh_error_;
  event::Timer refresh_timer_;

  // Requests answered TRYAGAIN or CLUSTERDOWN, waiting for their pause to
  // pass.
  struct Parked {
    Request* msg;
    uint32_t server;
    bool asking;  // sent there after ASKING
    uint64_t due_ms;
  };
  std::deque<Parked> parked_;
  event::Timer retry_timer_;
  uint64_t retry_due_ms_ = 0;
  std::string scratch_;  // a reply's first line, when it spans mbufs
};

}  // namespace walnut::proxy
