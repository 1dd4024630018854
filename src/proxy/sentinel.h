// Sentinel: a pool's view of the Redis Sentinels that watch its masters
// (`sentinels:`). Each server of the pool is a master by its Sentinel
// name; the address the configuration gives it is a first guess. Sentinel
// says where each master is:
//
// - at start and every kRefreshMs, walnut asks one Sentinel
//   (SENTINEL get-master-addr-by-name, and SENTINEL replicas when the pool
//   reads from replicas), the one that answered last, else the next;
// - it keeps a subscription to +switch-master and +promoted-slave on every
//   Sentinel (the one that leads a failover tells of it first), so that a
//   failover moves the server at once (Server::move_to), not a refresh
//   later; a subscription lost is taken again after the next round that
//   goes well (so at most once a kRefreshMs), and the addresses are asked
//   at once, a message may have been missed (at most once a kRefreshMs
//   too: a Sentinel that confirms and hangs up at once makes no loop);
// - when no Sentinel answers, the last known addresses stay, and the
//   trouble is logged once until one answers again.
//
// Placement hashes the servers' names, so a failover moves no key.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/non_copyable.h"
#include "config/config.h"
#include "event/loop.h"
#include "proto/protocol.h"
#include "proto/redis/sentinel.h"
#include "proxy/request.h"
#include "proxy/sentinel_link.h"

namespace walnut::proxy {

class Context;
class ServerPool;

class Sentinel final : public ReplyWaiter, private SentinelListener, private NonCopyable {
 public:
  Sentinel(Context& ctx, ServerPool& pool);
  ~Sentinel();

  void start();
  void stop();

  // An answer to a question walnut asked.
  void on_reply(Request* msg) override;

 private:
  // How often the addresses are asked when nothing asks sooner: the
  // subscription tells of failovers at once; this catches what it missed.
  static constexpr uint64_t kRefreshMs = 1000;
  // How long a Sentinel may take to answer (at least; more when the pool's
  // timeout is longer).
  static constexpr int kMinTimeoutMs = 1000;
  // How long after a published failover the Sentinels may still disagree.
  static constexpr uint64_t kSettleMs = 10000;

  struct Question {
    uint32_t server;   // the pool's server it is about
    bool replicas;     // SENTINEL replicas, else the master's address
    uint32_t round;    // the round that asked it
  };

  void on_published(const std::string& message) override;
  void on_subscription_lost(SentinelLink& link) override;

  // Asks every master's address (and replicas) of the current Sentinel;
  // when it cannot be asked, the next.
  void ask_round();
  // The round ended: well (every answer came), or badly (then the next
  // Sentinel is asked at once, unless every one was tried).
  void round_done(bool ok);
  // Subscribes on every Sentinel that has no subscription open.
  void subscribe_all();
  // Moves `server` to `node`. What a Sentinel published applies always; an
  // answer to a question does not move a server back to the address a
  // published failover moved it from within kSettleMs: a Sentinel that
  // did not lead the failover names the old master until it hears of it.
  void apply_address(uint32_t server, const redis::sentinel::Node& node, bool published);
  void note_trouble(const std::string& what);
  SentinelLink& current() { return *links_[current_ % links_.size()]; }

  Context& ctx_;
  ServerPool& pool_;
  const config::PoolSpec& spec_;
  std::unique_ptr<proto::Protocol> protocol_;  // the Sentinels' own (their password)
  std::vector<std::unique_ptr<SentinelLink>> links_;
  std::unordered_map<std::string, uint32_t> by_name_;  // master name -> server index

  bool stopped_ = false;
  uint32_t current_ = 0;     // the Sentinel asked now (and next)
  uint32_t round_ = 0;       // counts rounds; a late answer of an old one is dropped
  uint32_t pending_ = 0;     // answers the round still waits for
  bool round_failed_ = false;
  uint32_t tried_in_a_row_ = 0;  // Sentinels that failed one after another
  std::string trouble_;      // logged once; "" while all is well
  std::unordered_map<const Request*, Question> asked_;
  // Per server: the address a published failover moved it from, and when.
  struct Left {
    std::string address;
    uint64_t at_ms = 0;
  };
  std::vector<Left> left_;
  uint64_t lost_asked_ms_ = 0;  // when a lost subscription last asked a round
  uint64_t subscribed_ms_ = 0;  // when subscribe_all last subscribed
  event::Timer refresh_timer_;
};

}  // namespace walnut::proxy
