// One pool at run time: its protocol, servers, listener and clients.
#include "proxy/server_pool.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "common/log.h"
#include "config/tls_settings.h"
#include "net/socket.h"
#include "proto/memcache/memcache_protocol.h"
#include "proto/redis/redis_protocol.h"
#include "proxy/cluster.h"
#include "proxy/context.h"
#include "proxy/listener.h"
#include "proxy/sentinel.h"
#include "proxy/server_conn.h"

namespace walnut::proxy {

namespace {

// The pool's protocol, writing its replies and fragments into `mbufs`.
std::unique_ptr<proto::Protocol> make_protocol(const config::PoolSpec& spec,
                                              buffer::MbufPool& mbufs) {
  const uint64_t max_request = config::max_request_bytes(spec);
  if (spec.redis) {
    redis::RequestLimits limits;
    limits.max_request = max_request;
    limits.max_inline = static_cast<uint32_t>(std::min<uint64_t>(limits.max_inline, max_request));
    return std::make_unique<redis::RedisProtocol>(
        mbufs,
        redis::PoolOptions{.auth = spec.redis_auth,
                           .db = spec.redis_db,
                           .allow_flush = spec.redis_allow_flush,
                           .user = spec.redis_user},
        limits);
  }
  memcache::RequestLimits limits;
  limits.max_request = max_request;
  limits.max_line = static_cast<uint32_t>(std::min<uint64_t>(limits.max_line, max_request));
  return std::make_unique<memcache::MemcacheProtocol>(mbufs, limits);
}

}  // namespace

ServerPool::ServerPool(Context& ctx, const config::PoolSpec& spec)
    : ctx_(ctx),
      spec_(spec),
      protocol_(make_protocol(spec_, ctx_.mbufs())),
      forwarder_(ctx, spec_, *protocol_, servers_, counters_) {}

ServerPool::~ServerPool() { stop(); }

bool ServerPool::reload_tls(std::string* error) {
  net::TlsSetupError failed{};
  std::shared_ptr<net::TlsContext> listener;
  std::shared_ptr<net::TlsContext> servers;
  if (config::tls_listener(spec_)) {
    listener = net::TlsContext::make(net::TlsRole::kServer, config::listener_tls(spec_), &failed);
    if (listener == nullptr) {
      *error = "pool '" + spec_.name + "': " + failed.message;
      return false;
    }
  }
  if (spec_.server_tls) {
    servers = net::TlsContext::make(net::TlsRole::kClient, config::server_tls(spec_), &failed);
    if (servers == nullptr) {
      *error = "pool '" + spec_.name + "': " + failed.message;
      return false;
    }
  }
  listener_tls_ = std::move(listener);
  server_tls_ = std::move(servers);
  return true;
}

bool ServerPool::init(std::string* error) {
  // The files were checked with the configuration, but may have changed
  // since.
  if (!reload_tls(error)) return false;
  for (size_t i = 0; i < spec_.servers.size(); ++i) {
    auto server =
        std::make_unique<Server>(ctx_, *this, spec_.servers[i], static_cast<uint32_t>(i));
    if (!server->init(error)) return false;
    servers_.push_back(std::move(server));
  }
  if (spec_.redis_cluster) {
    cluster_ = std::make_unique<Cluster>(ctx_, *this, forwarder_, cluster_counters_);
    forwarder_.use_cluster(cluster_.get());
  }
  if (!spec_.sentinels.empty()) sentinel_ = std::make_unique<Sentinel>(ctx_, *this);
  std::vector<uint32_t> configured;
  for (const auto& server : servers_) configured.push_back(server->index());
  forwarder_.set_keyspace(std::move(configured));
  return forwarder_.init(error);
}

void ServerPool::set_keyspace(std::vector<uint32_t> configured) {
  forwarder_.set_keyspace(std::move(configured));
}

Server& ServerPool::add_node(const std::string& host, int port) {
  return add_server(host, port, Server::Role::kMaster);
}

Server& ServerPool::replica_at(const std::string& host, int port) {
  for (const auto& s : servers_) {
    if (s->is_replica() && s->spec().host == host && s->spec().port == port) return *s;
  }
  return add_server(host, port, Server::Role::kReplica);
}

Server& ServerPool::add_server(const std::string& host, int port, Server::Role role) {
  config::ServerSpec spec;
  spec.host = host;
  spec.port = port;
  spec.text = host + ":" + std::to_string(port);
  spec.label = role == Server::Role::kReplica ? spec.text + " (replica)" : spec.text;
  return add_server(spec, role);
}

Server& ServerPool::add_server(const config::ServerSpec& spec, Server::Role role) {
  const auto index = static_cast<uint32_t>(servers_.size());
  auto server = std::make_unique<Server>(ctx_, *this, spec, index, role);
  std::string error;
  server->init(&error);  // fails only for a unix path too long, which -t checks
  if (listening_) server->start_heartbeat();
  servers_.push_back(std::move(server));
  return *servers_.back();
}

bool ServerPool::start(std::string* error) {
  const int fd = bind_listener(error);
  if (fd < 0) return false;
  start_on(fd);
  return true;
}

int ServerPool::bind_listener(std::string* error) const {
  net::Address addr;
  const config::ListenSpec& l = spec_.listen;
  bool resolved = l.is_unix ? net::resolve_unix(l.path, &addr, error)
                            : net::resolve_tcp(l.host, l.port, &addr, error);
  if (!resolved) return -1;
  net::ListenOptions opts;
  opts.backlog = spec_.backlog;
  opts.reuseport = spec_.reuseport;
  opts.unix_perm = l.perm;
  int fd = net::listen_on(addr, opts);
  if (fd < 0) {
    *error = "cannot listen on '" + l.text + "': " + std::strerror(errno);
    // The config was checked for pools that clash with each other, so the
    // port is taken by someone else: an earlier walnut, or another server.
    if (errno == EADDRINUSE) *error += "; another process listens there";
  }
  return fd;
}

void ServerPool::start_on(int listen_fd) {
  listener_ = new Listener(ctx_, *this, listen_fd, spec_.listen.is_unix);
  LOG_NOTICE("pool '%s' listening on %s", spec_.name.c_str(), spec_.listen.text.c_str());
  for (auto& s : servers_) {
    if (spec_.preconnect) s->preconnect();
    s->start_heartbeat();
  }
  listening_ = true;
  if (cluster_ != nullptr) cluster_->start();
  if (sentinel_ != nullptr) sentinel_->start();
}

void ServerPool::set_socket_permissions() const {
  const config::ListenSpec& l = spec_.listen;
  if (!l.is_unix || l.perm == 0) return;  // 0: left as created
  if (::chmod(l.path.c_str(), l.perm) != 0) {
    LOG_WARN("pool '%s': cannot change the permissions of '%s' to %04o: %s",
             spec_.name.c_str(), l.path.c_str(), static_cast<unsigned>(l.perm),
             std::strerror(errno));
  }
}

void ServerPool::adopt_listener(int listen_fd) const {
  // listen() again on a listening socket sets its backlog anew (Linux).
  if (::listen(listen_fd, spec_.backlog) != 0) {
    LOG_WARN("pool '%s': cannot set the backlog to %d: %s", spec_.name.c_str(), spec_.backlog,
             std::strerror(errno));
  }
  set_socket_permissions();
}

int ServerPool::hand_over_listener() {
  if (listener_ == nullptr) return -1;
  const int fd = listener_->hand_over();
  listener_ = nullptr;
  return fd;
}

namespace {
bool same_address(const config::ServerSpec& a, const config::ServerSpec& b) {
  return a.is_unix == b.is_unix && a.host == b.host && a.port == b.port && a.path == b.path;
}
}  // namespace

void ServerPool::reconfigure(const config::PoolSpec& next) {
  const bool new_permissions = next.listen.perm != spec_.listen.perm;
  spec_ = next;  // what the forwarder and every server read from now on
  if (new_permissions) set_socket_permissions();
  std::vector<bool> kept(servers_.size(), false);
  std::vector<uint32_t> configured;
  for (const config::ServerSpec& wanted : spec_.servers) {
    Server* match = nullptr;
    for (const auto& s : servers_) {
      if (!s->is_replica() && !kept[s->index()] && s->label() == wanted.label &&
          same_address(s->spec(), wanted)) {
        match = s.get();
        break;
      }
    }
    if (match == nullptr) {
      match = &add_server(wanted, Server::Role::kMaster);
      kept.push_back(false);
      LOG_NOTICE("pool '%s': server '%s' added", spec_.name.c_str(), match->label().c_str());
    } else {
      match->reconfigure(wanted);
    }
    kept[match->index()] = true;
    if (spec_.preconnect) match->preconnect();
    configured.push_back(match->index());
  }
  for (const auto& s : servers_) {
    s->follow_pool_settings();  // removed ones too: their connections drain under them
    if (kept[s->index()] || s->retired()) continue;
    LOG_NOTICE("pool '%s': server '%s' removed", spec_.name.c_str(), s->label().c_str());
    s->remove();
  }
  forwarder_.set_keyspace(std::move(configured));
  forwarder_.rebuild_routes();  // the new ring at once (ejected servers stay out)
  const auto output_limit = static_cast<uint64_t>(spec_.client_output_limit);
  for (ClientConn* c = clients_.front(); c != nullptr; c = clients_.next(c)) {
    c->set_output_limit(output_limit);
    c->on_ring_changed();
  }
}

void ServerPool::inherit_counters(const ServerPool& old) {
  counters_ = old.counters_;
  metrics_ = old.metrics_;
  for (const auto& s : servers_) {
    for (const auto& before : old.servers_) {
      if (before->label() == s->label()) s->inherit_counters(*before);
    }
  }
}

void ServerPool::stop() {
  if (cluster_ != nullptr) cluster_->stop();
  if (sentinel_ != nullptr) sentinel_->stop();
  if (listener_ != nullptr) {
    listener_->close("shutting down");
    listener_ = nullptr;
  }
  while (ClientConn* c = clients_.front()) c->close("shutting down");
  close_accepted("shutting down");
  for (auto& s : servers_) s->close_all("shutting down");
}

void ServerPool::close_accepted(const char* reason) {
  while (AcceptedClient* a = accepted_.front()) {
    LOG_INFO("closing client on fd %d: %s", a->fd(), reason);
    accepted_.remove(a);
    delete a;
  }
}

void ServerPool::drain() {
  if (listener_ != nullptr) {
    listener_->close("shutting down");
    listener_ = nullptr;
  }
  for (ClientConn* c = clients_.front(); c != nullptr; c = clients_.next(c)) {
    c->drain();
  }
  // Nothing sent, nothing owed: closed now, as an idle ClientConn is at
  // its next flush.
  close_accepted("shutting down");
}

bool ServerPool::ready(std::string* why) const {
  if (listener_ == nullptr) {
    *why = "pool '" + spec_.name + "' does not listen";
    return false;
  }
  for (const auto& s : servers_) {
    if (!s->is_replica() && !s->retired() && !s->ejected() && !s->failing()) return true;
  }
  *why = "pool '" + spec_.name + "' has no server up (each ejected or failing)";
  return false;
}

void ServerPool::add_client(int fd) {
  if (spec_.client_connections > 0 &&
      client_count() >= static_cast<size_t>(spec_.client_connections)) {
    // Refused with a reply it can read (twemproxy parses the limit and
    // ignores it).
    proto::Msg msg;
    // (In plain text: to a TLS client, noise; it sees the connection close.)
    protocol_->error_reply(msg, "max number of clients reached");
    std::string text = msg.reply.to_string();
    ssize_t ignored = ::send(fd, text.data(), text.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    (void)ignored;
    ::close(fd);
    LOG_NOTICE("pool '%s': refused a client: max number of clients (%d) reached",
               spec_.name.c_str(), spec_.client_connections);
    return;
  }
  if (listener_tls_ != nullptr) {
    // The handshake starts now: a ClientConn from the first.
    auto* client = new ClientConn(ctx_, *this, fd);
    client->start_tls(listener_tls_);
    clients_.push_back(client);
  } else {
    accepted_.push_back(new AcceptedClient(ctx_, *this, fd));
  }
  LOG_INFO("accepted client on fd %d for pool '%s'", fd, spec_.name.c_str());
}

void ServerPool::on_first_bytes(AcceptedClient* accepted) {
  // The ClientConn watches the fd before the accepted client stops: libevent
  // then keeps it in epoll as it is, with no system call.
  auto* client = new ClientConn(ctx_, *this, accepted->fd(), accepted->arrival());
  accepted_.remove(accepted);
  accepted->give_up_fd();
  delete accepted;
  clients_.push_back(client);
  client->on_readable();
}

void ServerPool::on_client_closed(ClientConn* client) {
  if (client->pool_hook.linked()) clients_.remove(client);
}

stats::PoolSnapshot ServerPool::snapshot() const {
  stats::PoolSnapshot p;
  p.name = spec_.name;
  p.counters = counters_;
  p.counters.client_connections = client_count();
  p.cluster = cluster_ != nullptr;
  p.cluster_counters = cluster_counters_;
  p.started = started_;
  p.metrics = metrics_;
  std::vector<const Server*> order;
  for (const auto& s : servers_) order.push_back(s.get());
  std::stable_sort(order.begin(), order.end(), [](const Server* a, const Server* b) {
    return dist::label_less(a->label(), b->label());
  });
  p.server_details = spec_.server_heartbeat > 0 || !spec_.sentinels.empty() ||
                     spec_.read_policy != config::ReadPolicy::kMaster;
  for (const Server* s : order) {
    if (s->retired() && !s->is_replica()) continue;  // a reload removed it
    p.servers.push_back({s->label(), s->snapshot(), s->address_text(), s->role_name()});
  }
  return p;
}

}  // namespace walnut::proxy
