// Server: one backend of a pool: its address, up to `server_connections`
// connections shared by every client of the pool (opened when first needed,
// or at start with `preconnect`), and its health: consecutive failures, the
// reconnect backoff, and ejection from the distribution (auto_eject_hosts)
// until a health check says it is back.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_set>
#include <vector>

#include "common/clock.h"
#include "common/non_copyable.h"
#include "config/config.h"
#include "event/loop.h"
#include "net/socket.h"
#include "proto/protocol.h"
#include "proto/redis/sentinel.h"
#include "proxy/server_conn.h"
#include "stats/counters.h"

namespace walnut::proxy {

class Context;
class ServerPool;

class Server final : private ServerConnOwner, private NonCopyable {
 public:
  enum class Role : uint8_t { kMaster, kReplica };

  Server(Context& ctx, ServerPool& pool, const config::ServerSpec& spec, uint32_t index,
         Role role = Role::kMaster);
  ~Server();

  // Resolves the address. A host name that does not resolve is not fatal
  // (walnut starts, the server's keys get the cause, and every connect
  // resolves again); false with `error` only for a unix path too long.
  bool init(std::string* error);

  // A connection to send on, round robin over the slots, connecting an empty
  // slot first. nullptr (with the system's words in `error`) when a new
  // connection fails at once, or while the reconnect backoff after failed
  // connects lasts (then `error` repeats the last failure's words).
  ServerConn* conn(std::string* error);
  // A new connection of `holder`'s alone (a client's transaction, its
  // blocking commands): not shared, not in the slots, closed by the holder
  // (or with the server). nullptr with `error` like conn().
  ServerConn* open_pinned(PinHolder& holder, std::string* error);
  // Opens every slot now (preconnect); failures are logged, not fatal.
  void preconnect();
  // With server_heartbeat: opens every slot, and from then on, each
  // interval, probes every quiet connection and opens again any that
  // closed, so that a dead server is noticed (and a restarted one
  // reconnected) without a client's request paying for it.
  void start_heartbeat();
  void close_all(const std::string& reason);
  // A reload names it again (kept, or back after a reload removed it):
  // `spec` as the new file writes it (the same label and address), as many
  // connection slots as the pool's server_connections say now (a slot
  // beyond them closes once it waits for nothing), and the pool's
  // heartbeat now.
  void reconfigure(const config::ServerSpec& spec);
  // A reload changed its pool in place: the pool's timeout holds for its
  // open connections from now on, and with auto_eject_hosts off it is
  // ejected no more (a walnut started on the new file would route to it).
  void follow_pool_settings();
  // A reload removed it from the configuration: it retires (see retire()).
  void remove() { retire("removed from the configuration"); }
  // Out of the configuration (a master a reload removed) or a replica no
  // master lists: it serves nothing new.
  bool retired() const { return retired_; }
  // Sentinel says the server (a master, by name) is now at host:port: its
  // connections to the old address close, failing what was sent there with
  // the cause, and what was never sent goes to the new address. Its
  // failures and ejection are forgotten: it is another machine.
  void move_to(const std::string& host, int port, const char* why);
  // The replicas of this master now (for read_policy), as Sentinel or the
  // cluster's slot map lists them: a replica not seen before becomes a
  // server of the pool; one no longer listed serves no more reads, and
  // once no master lists it, it retires.
  void set_replicas(const std::vector<redis::sentinel::Replica>& replicas);
  // Where a read-only request for this master goes by `policy`: this
  // master, or one of its replicas that is up, in turn; nullptr (with
  // `error`) only for kReplica when none is up.
  Server* reader(config::ReadPolicy policy, std::string* error);
  bool is_replica() const { return role_ == Role::kReplica; }
  // A read-only request that read_policy sent here (stats: policy_reads).
  void count_policy_read() { ++counters_.policy_reads; }

  bool ejected() const { return ejected_; }
  // Failed since it last answered.
  bool failing() const { return failures_ > 0; }
  // Failing, and failed last within `ms`.
  bool failed_within(uint64_t ms) const {
    return failures_ > 0 && now_ms() - last_failure_ms_ <= ms;
  }
  // A reload replaced its pool: the counts of the server it replaces.
  // Not its ejection: it starts in the pool.
  void inherit_counters(const Server& old) {
    counters_ = old.counters_;
    counters_.server_ejected_at = 0;
  }
  // The counters with the gauges (connections, queues) filled in.
  stats::ServerCounters snapshot() const;

  const config::ServerSpec& spec() const { return spec_; }
  // Where it is now: "host:port" (Sentinel may have moved it since the
  // configuration named it), or the unix path.
  std::string address_text() const;
  const char* role_name() const { return is_replica() ? "replica" : "master"; }
  const std::string& label() const override { return spec_.label; }
  std::shared_ptr<net::TlsContext> tls_context() const override;
  std::string tls_peer_name() const override;
  uint32_t index() const { return index_; }

 private:
  // What its connections need and report (ServerConnOwner).
  const proto::Protocol& protocol() const override;
  const std::vector<std::string>& handshake() const override { return handshake_; }
  int timeout_ms() const override;
  stats::ServerCounters& counters() override { return counters_; }
  void on_reply() override;
  void on_connect_failed(const std::string& cause) override;
  void on_failure(const std::string& cause) override;
  void on_health_check(bool ok) override;
  void on_conn_closed(ServerConn* conn) override;
  bool follows_redirects() const override;
  bool redirected(Request* msg) override;
  bool resends_lost() const override;
  ServerConn* resend_lost_to() override;

  ServerConn* open(std::string* error, PinHolder* holder = nullptr);
  bool backing_off() const { return backoff_until_ != 0 && now_ms() < backoff_until_; }
  // Resolves the address again (a host's address may change, or appear).
  bool resolve(std::string* error);
  void count_failure(const std::string& cause);
  void start_health_check();
  void heartbeat();
  // Sends a health check: its answer clears the failures.
  void probe();
  // How long a probe may wait for its answer in a pool with no timeout.
  static constexpr uint64_t kProbePatienceMs = 1000;
  // Closes every connection (the heartbeat goes on).
  void close_conns(const std::string& reason);
  // A replica no master lists any more (promoted, or gone), or a server a
  // reload removed: its idle connections close now, the busy ones once
  // they have their answers (looked at every kRetireCheckMs), and nothing
  // opens new ones, so that failovers and reloads leave no connections
  // behind. rejoin() when listed (or configured) again.
  void retire(const char* why);
  void rejoin();
  // Closes the connections that wait for nothing (of the slots too when
  // retired, else only those leaving); true when none of those is left.
  bool close_idle_conns();
  // Looks at the leaving connections every kRetireCheckMs until none is.
  void close_leaving();
  static constexpr uint64_t kRetireCheckMs = 1000;

  Context& ctx_;
  ServerPool& pool_;
  config::ServerSpec spec_;
  uint32_t index_;
  net::Address address_;
  bool resolved_ = false;
  bool numeric_host_ = false;  // an IP address, not a name to look up again
  std::vector<ServerConn*> slots_;
  size_t next_slot_ = 0;
  // The clients' own connections: a set, as thousands of subscribers may
  // come and go.
  std::unordered_set<ServerConn*> pinned_;
  // Connections of slots a reload took away, closed once they wait for
  // nothing.
  std::vector<ServerConn*> leaving_;
  event::Timer leaving_timer_;
  const char* retired_why_ = "";

  // Up for reads: a replica that its lister calls usable, and that is not
  // failing here.
  bool serves_reads() const { return listed_usable_ && !ejected_ && !failing(); }

  const Role role_;
  std::vector<std::string> handshake_;
  // A master's replicas (servers of the pool), and the next to read from.
  std::vector<Server*> replicas_;
  size_t next_reader_ = 0;
  bool listed_usable_ = false;  // a replica: usable in its lister's last list
  uint32_t listers_ = 0;        // a replica: the masters that list it now
  Server* master_ = nullptr;    // a replica: the master that listed it last
  bool retired_ = false;        // a replica no master lists, or removed
  bool address_confirmed_ = false;  // Sentinel has given an address
  uint32_t failures_ = 0;       // consecutive
  uint64_t last_failure_ms_ = 0;  // monotonic
  uint32_t backoff_ms_ = 0;     // grows while connects keep failing
  uint64_t backoff_until_ = 0;  // monotonic ms
  std::string last_error_;
  bool ejected_ = false;
  event::Timer retry_timer_;    // the health check of an ejected server
  event::Timer heartbeat_timer_;
  stats::ServerCounters counters_;
};

}  // namespace walnut::proxy
