// Connection slots of one backend server.
#include "proxy/server.h"

#include <cerrno>
#include <sys/time.h>

#include <algorithm>
#include <cstring>

#include "common/clock.h"
#include "common/log.h"
#include "proto/redis/redis_protocol.h"
#include "proxy/cluster.h"
#include "proxy/context.h"
#include "proxy/server_conn.h"
#include "proxy/server_pool.h"

namespace walnut::proxy {

namespace {
// Reconnect backoff while connects keep failing: doubling, bounded.
constexpr uint32_t kFirstBackoffMs = 50;
constexpr uint32_t kMaxBackoffMs = 1000;
}  // namespace

Server::Server(Context& ctx, ServerPool& pool, const config::ServerSpec& spec,
               uint32_t index, Role role)
    : ctx_(ctx), pool_(pool), spec_(spec), index_(index), role_(role) {
  handshake_ = pool.protocol().handshake();
  if (const config::ServerAuth* own = config::server_auth_of(pool.spec(), spec_.label)) {
    // Its own credentials, in place of the pool's (server_auth).
    const std::string& user = own->user.empty() ? pool.spec().redis_user : own->user;
    handshake_ = redis::handshake_for(
        {.auth = own->password, .db = pool.spec().redis_db, .user = user});
  }
  // A cluster's replica answers reads of its master's slots only after
  // READONLY (else it redirects them to the master).
  if (role_ == Role::kReplica && pool.spec().redis_cluster) {
    handshake_.emplace_back(redis::cluster::kReadOnlyRequest);
  }
  int n = pool.spec().server_connections;
  slots_.assign(n > 0 ? static_cast<size_t>(n) : 1, nullptr);
  retry_timer_.init(ctx.loop(), [this] { start_health_check(); });
  heartbeat_timer_.init(ctx.loop(), [this] { heartbeat(); });
  leaving_timer_.init(ctx.loop(), [this] { close_leaving(); });
}

Server::~Server() { close_all("shutting down"); }

const proto::Protocol& Server::protocol() const { return pool_.protocol(); }

int Server::timeout_ms() const { return pool_.spec().timeout; }

bool Server::init(std::string* error) {
  if (spec_.is_unix) return net::resolve_unix(spec_.path, &address_, error);
  numeric_host_ = net::is_numeric_host(spec_.host);
  std::string why;
  if (!resolve(&why)) {
    const config::PoolSpec& p = pool_.spec();
    LOG_WARN("%s:%d: server '%s' of pool '%s': %s; starting without it: its keys get "
             "this error until it resolves (tried again on every connect)",
             p.file.c_str(), spec_.line, spec_.text.c_str(), p.name.c_str(), why.c_str());
    last_error_ = why;
  }
  return true;
}

bool Server::resolve(std::string* error) {
  // A unix path or a numeric address never changes: resolved once, at init
  // (getaddrinfo asks the kernel for the interfaces even for those, and a
  // refused server is reconnected many times a second).
  if (spec_.is_unix || (resolved_ && numeric_host_)) return true;
  net::Address fresh;
  if (net::resolve_tcp(spec_.host, spec_.port, &fresh, error)) {
    address_ = fresh;
    resolved_ = true;
    return true;
  }
  // A name that resolved before and does not now (its DNS briefly away):
  // the last address it had is the best guess.
  return resolved_;
}

ServerConn* Server::conn(std::string* error) {
  // Round robin over the slots. An open connection is used as it is; an
  // empty slot is connected, unless connects are backing off after failing
  // (then the request fails at once with the last failure's words; only
  // real connect attempts count as failures).
  bool backing_off = this->backing_off();
  for (size_t tries = 0; tries < slots_.size(); ++tries) {
    size_t i = next_slot_;
    next_slot_ = (next_slot_ + 1) % slots_.size();
    if (slots_[i] != nullptr) return slots_[i];
    if (backing_off) continue;
    slots_[i] = open(error);
    if (slots_[i] != nullptr) return slots_[i];
    backing_off = true;  // open() failed at once and set the backoff
  }
  *error = last_error_.empty() ? "Connection refused" : last_error_;
  return nullptr;
}

ServerConn* Server::open_pinned(PinHolder& holder, std::string* error) {
  if (backing_off()) {
    *error = last_error_.empty() ? "Connection refused" : last_error_;
    return nullptr;
  }
  ServerConn* conn = open(error, &holder);
  if (conn != nullptr) pinned_.insert(conn);
  return conn;
}

ServerConn* Server::open(std::string* error, PinHolder* holder) {
  // Every connect resolves the name again, as twemproxy does: a server
  // that moved (or did not resolve at start) is found where it is now.
  if (!resolve(error)) {
    on_connect_failed(*error);
    return nullptr;
  }
  int fd = net::connect_to(address_);
  if (fd < 0) {
    *error = std::strerror(errno);
    on_connect_failed(*error);
    return nullptr;
  }
  if (!spec_.is_unix && pool_.spec().tcpkeepalive) net::set_keepalive(fd);
  LOG_INFO("connecting to server '%s' on fd %d", label().c_str(), fd);
  return new ServerConn(ctx_, *this, fd, holder);
}

void Server::preconnect() {
  for (auto& slot : slots_) {
    if (slot != nullptr) continue;
    std::string error;
    slot = open(&error);
  }
}

void Server::start_heartbeat() {
  if (pool_.spec().server_heartbeat <= 0) return;
  preconnect();
  heartbeat_timer_.start(static_cast<uint64_t>(pool_.spec().server_heartbeat));
}

void Server::heartbeat() {
  if (retired_) {
    if (!close_idle_conns()) heartbeat_timer_.start(kRetireCheckMs);
    return;
  }
  const auto interval = static_cast<uint64_t>(pool_.spec().server_heartbeat);
  // An ejected server has its health check instead, which brings it back.
  if (!ejected_) {
    for (auto& slot : slots_) {
      if (slot == nullptr) {
        if (backing_off()) continue;
        std::string error;
        slot = open(&error);
        if (slot == nullptr) {
          ++counters_.heartbeat_failures;
          continue;
        }
        // Probed at once: a server may take connections and answer none
        // (stopped, or its listen queue taken by the kernel); a connect that
        // fails later fails the probe with it.
        slot->send_health_check(interval);
      } else if (slot->quiet_since_last_look()) {
        // In a pool with no timeout the probe may take one interval.
        slot->send_health_check(interval);
      }
    }
  }
  heartbeat_timer_.start(interval);
}

void Server::on_conn_closed(ServerConn* conn) {
  if (conn->pinned()) {
    pinned_.erase(conn);
    return;
  }
  std::erase(leaving_, conn);
  for (auto& slot : slots_) {
    if (slot == conn) slot = nullptr;
  }
}

void Server::on_reply() {
  failures_ = 0;
  backoff_ms_ = 0;
  backoff_until_ = 0;
}

void Server::on_connect_failed(const std::string& cause) {
  LOG_WARN("connect to server '%s' failed: %s", label().c_str(), cause.c_str());
  backoff_ms_ = backoff_ms_ == 0 ? kFirstBackoffMs
                                 : std::min(backoff_ms_ * 2, kMaxBackoffMs);
  backoff_until_ = now_ms() + backoff_ms_;
  count_failure(cause);
}

void Server::on_failure(const std::string& cause) {
  LOG_WARN("server '%s' failed: %s", label().c_str(), cause.c_str());
  count_failure(cause);
}

bool Server::follows_redirects() const { return pool_.cluster() != nullptr; }

bool Server::redirected(Request* msg) { return pool_.cluster()->redirected(msg, *this); }

void Server::count_failure(const std::string& cause) {
  last_error_ = cause;
  ++failures_;
  last_failure_ms_ = now_ms();
  if (Cluster* cluster = pool_.cluster()) cluster->on_node_failed(*this);
  const config::PoolSpec& p = pool_.spec();
  // A retired server is in no ring to be ejected from, and a health check
  // would bring its connections back.
  if (p.auto_eject_hosts && !ejected_ && !retired_ &&
      failures_ >= static_cast<uint32_t>(p.server_failure_limit)) {
    ejected_ = true;
    ++pool_.counters().server_ejects;
    struct timeval tv;
    gettimeofday(&tv, nullptr);
    counters_.server_ejected_at =
        static_cast<uint64_t>(tv.tv_sec) * 1000000 + static_cast<uint64_t>(tv.tv_usec);
    LOG_NOTICE("ejecting server '%s' from pool '%s' after %u failures (%s); "
               "health check in %d ms",
               label().c_str(), p.name.c_str(), failures_, cause.c_str(),
               p.server_retry_timeout);
    pool_.forwarder().rebuild_routes();
    retry_timer_.start(static_cast<uint64_t>(p.server_retry_timeout));
  }
}

void Server::start_health_check() {
  if (retired_) return;  // rejoin() starts it again
  // Back only once it answers: twemproxy re-adds an ejected server blindly.
  backoff_until_ = 0;
  std::string error;
  ServerConn* c = conn(&error);
  if (c == nullptr) {
    on_health_check(false);
    return;
  }
  c->send_health_check();
}

void Server::on_health_check(bool ok) {
  if (!ejected_) {
    // A heartbeat: its failure closed the connection and counted against
    // the server already (or the server refused a PING).
    if (!ok) {
      ++counters_.heartbeat_failures;
      LOG_WARN("server '%s' failed its heartbeat", label().c_str());
    }
    return;
  }
  const config::PoolSpec& p = pool_.spec();
  if (!ok) {
    LOG_INFO("server '%s' still failing its health check; next in %d ms",
             label().c_str(), p.server_retry_timeout);
    retry_timer_.start(static_cast<uint64_t>(p.server_retry_timeout));
    return;
  }
  LOG_NOTICE("server '%s' passed its health check: back in pool '%s'",
             label().c_str(), p.name.c_str());
  ejected_ = false;
  counters_.server_ejected_at = 0;
  on_reply();
  pool_.forwarder().rebuild_routes();
}

std::string Server::address_text() const {
  if (spec_.is_unix) return spec_.path;
  return spec_.host + ":" + std::to_string(spec_.port);
}

stats::ServerCounters Server::snapshot() const {
  stats::ServerCounters c = counters_;
  const auto count = [&c](const ServerConn* conn) {
    if (conn == nullptr || conn->closed()) return;
    ++c.server_connections;
    conn->add_queue_stats(&c);
  };
  for (const ServerConn* conn : slots_) count(conn);
  for (const ServerConn* conn : pinned_) count(conn);
  for (const ServerConn* conn : leaving_) count(conn);
  return c;
}

std::shared_ptr<net::TlsContext> Server::tls_context() const { return pool_.server_tls(); }

std::string Server::tls_peer_name() const {
  const std::string& name = pool_.spec().server_tls_server_name;
  if (!name.empty()) return name;
  return spec_.is_unix ? "" : spec_.host;  // where it is now: Sentinel may have moved it
}

void Server::move_to(const std::string& host, int port, const char* why) {
  const bool first = !address_confirmed_;
  address_confirmed_ = true;
  if (spec_.host == host && spec_.port == port) return;
  const std::string old = address_text();
  const std::string to = host + ":" + std::to_string(port);
  LOG_NOTICE("pool '%s': server '%s' moves from %s to %s (%s)", pool_.spec().name.c_str(),
             label().c_str(), old.c_str(), to.c_str(), why);
  // A change Sentinel reports once it gave an address is a failover; the
  // first answer only corrects the configuration's guess.
  if (!first) ++counters_.failovers;
  std::vector<Request*> unsent;
  for (ServerConn* conn : slots_) {
    if (conn != nullptr) conn->take_unsent(&unsent);
  }
  close_conns("server '" + label() + "' moved from " + old + " to " + to + " (" + why + ")");
  spec_.host = host;
  spec_.port = port;
  numeric_host_ = net::is_numeric_host(host);
  resolved_ = false;
  std::string error;
  resolve(&error);
  failures_ = 0;
  backoff_ms_ = 0;
  backoff_until_ = 0;
  last_error_.clear();
  if (ejected_) {
    ejected_ = false;
    counters_.server_ejected_at = 0;
    retry_timer_.stop();
    pool_.forwarder().rebuild_routes();
  }
  for (Request* m : unsent) {
    ServerConn* conn = this->conn(&error);
    if (conn != nullptr) {
      conn->enqueue_again(m);
    } else {
      m->reply.clear();
      pool_.protocol().error_reply(*m, error);
      deliver(ctx_, m);
    }
  }
}

void Server::set_replicas(const std::vector<redis::sentinel::Replica>& replicas) {
  // A replica may be another master's after a failover: the list is
  // replaced whole, and each replica is one server of the pool, found by
  // its address.
  std::vector<Server*> now;
  for (const redis::sentinel::Replica& listed : replicas) {
    Server& replica = pool_.replica_at(listed.node.host, listed.node.port);
    if (replica.listed_usable_ != listed.usable) {
      LOG_NOTICE("pool '%s': replica %s of '%s' %s", pool_.spec().name.c_str(),
                 listed.node.address().c_str(), label().c_str(),
                 listed.usable ? "serves reads" : "is down or not linked to its master");
    }
    replica.listed_usable_ = listed.usable;
    // No reads go to a replica that failed, so no reply would ever show it
    // back: a probe does, once its lister counts it up again.
    if (listed.usable && replica.failing()) replica.probe();
    now.push_back(&replica);
    replica.master_ = this;
    if (std::find(replicas_.begin(), replicas_.end(), &replica) == replicas_.end() &&
        replica.listers_++ == 0) {
      replica.rejoin();
    }
  }
  for (Server* r : replicas_) {
    if (std::find(now.begin(), now.end(), r) != now.end()) continue;
    r->listed_usable_ = false;
    if (r->master_ == this) r->master_ = nullptr;
    if (--r->listers_ == 0) r->retire("no longer a replica of the pool's masters");
  }
  replicas_ = std::move(now);
}

bool Server::resends_lost() const {
  // A replica's connection lost reads (the replica died, or Sentinel, as it
  // reconfigures a replica, closed its clients): they are reads, so its
  // master answers them as well, unless the policy keeps reads off it.
  return is_replica() && pool_.spec().read_policy != config::ReadPolicy::kReplica;
}

ServerConn* Server::resend_lost_to() {
  if (!resends_lost() || master_ == nullptr) return nullptr;
  std::string error;
  return master_->conn(&error);  // nullptr: they fail with the replica's cause
}

void Server::retire(const char* why) {
  LOG_INFO("pool '%s': %s retires: %s", pool_.spec().name.c_str(), label().c_str(), why);
  retired_ = true;
  retired_why_ = why;
  heartbeat_timer_.stop();
  retry_timer_.stop();  // its health check would open a connection again
  if (!close_idle_conns()) heartbeat_timer_.start(kRetireCheckMs);
}

void Server::rejoin() {
  if (!retired_) return;
  retired_ = false;
  heartbeat_timer_.stop();
  start_heartbeat();
  // Ejected when it retired: its health check, stopped then, brings it back.
  if (ejected_) retry_timer_.start(static_cast<uint64_t>(pool_.spec().server_retry_timeout));
}

bool Server::close_idle_conns() {
  bool none_left = true;
  const auto close_if_idle = [&](ServerConn*& conn, const char* why) {
    if (conn == nullptr) return;
    if (!conn->idle()) {
      none_left = false;
      return;
    }
    ServerConn* closing = conn;
    conn = nullptr;
    closing->close(why);
  };
  if (retired_) {
    for (auto& slot : slots_) close_if_idle(slot, retired_why_);
  }
  for (auto& conn : leaving_) close_if_idle(conn, "its slot was taken away by a reload");
  std::erase(leaving_, nullptr);
  return none_left;
}

void Server::close_leaving() {
  if (!close_idle_conns() && !leaving_.empty()) leaving_timer_.start(kRetireCheckMs);
}

void Server::reconfigure(const config::ServerSpec& spec) {
  spec_ = spec;
  const int n = pool_.spec().server_connections;
  const size_t want = n > 0 ? static_cast<size_t>(n) : 1;
  while (slots_.size() > want) {
    if (slots_.back() != nullptr) leaving_.push_back(slots_.back());
    slots_.pop_back();
  }
  slots_.resize(want, nullptr);
  next_slot_ %= slots_.size();
  close_leaving();
  if (retired_) {
    rejoin();
    return;
  }
  heartbeat_timer_.stop();  // at the pool's interval now, or none
  start_heartbeat();
}

void Server::follow_pool_settings() {
  const config::PoolSpec& p = pool_.spec();
  for (ServerConn* conn : slots_) {
    if (conn != nullptr) conn->set_timeout(p.timeout);
  }
  for (ServerConn* conn : leaving_) conn->set_timeout(p.timeout);
  for (ServerConn* conn : pinned_) conn->set_timeout(p.timeout);
  if (ejected_ && !p.auto_eject_hosts) {
    LOG_NOTICE("server '%s' back in pool '%s': auto_eject_hosts is off now", label().c_str(),
               p.name.c_str());
    ejected_ = false;
    counters_.server_ejected_at = 0;
    retry_timer_.stop();
  }
}

void Server::probe() {
  std::string error;
  ServerConn* c = conn(&error);  // nullptr while the reconnect backs off
  if (c != nullptr) c->send_health_check(kProbePatienceMs);
}

Server* Server::reader(config::ReadPolicy policy, std::string* error) {
  using config::ReadPolicy;
  if (policy == ReadPolicy::kMaster) return this;
  if (policy == ReadPolicy::kPreferMaster && !ejected_ && !failing()) return this;
  // The replicas that are up, in turn (with the master among them for kAny).
  const size_t n = replicas_.size();
  const size_t choices = n + (policy == ReadPolicy::kAny ? 1 : 0);
  for (size_t tries = 0; tries < choices; ++tries) {
    const size_t i = next_reader_++ % choices;
    if (i == n) {
      if (!ejected_ && !failing()) return this;
      continue;
    }
    if (replicas_[i]->serves_reads()) return replicas_[i];
  }
  if (policy == ReadPolicy::kReplica) {
    *error = "no replica of '" + label() + "' is up for reads (read_policy: replica)";
    return nullptr;
  }
  return this;  // prefer_replica, any, or prefer_master with no replica up
}

void Server::close_all(const std::string& reason) {
  heartbeat_timer_.stop();  // or it would open them again
  close_conns(reason);
}

void Server::close_conns(const std::string& reason) {
  leaving_timer_.stop();
  while (!leaving_.empty()) {
    ServerConn* conn = leaving_.back();
    leaving_.pop_back();
    if (!conn->closed()) conn->close(reason);
  }
  for (auto& slot : slots_) {
    ServerConn* conn = slot;
    slot = nullptr;
    if (conn != nullptr && !conn->closed()) conn->close(reason);
  }
  while (!pinned_.empty()) {
    ServerConn* conn = *pinned_.begin();
    pinned_.erase(pinned_.begin());
    if (!conn->closed()) conn->close(reason);
  }
}

}  // namespace walnut::proxy
