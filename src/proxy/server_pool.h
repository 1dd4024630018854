// ServerPool: one pool of the configuration at run time: its listener, its
// clients, its servers and its protocol; where its requests go is its
// Forwarder's.
#pragma once

#include <ctime>
#include <memory>
#include <string>
#include <vector>

#include "common/non_copyable.h"
#include "config/config.h"
#include "proto/protocol.h"
#include "proxy/accepted_client.h"
#include "proxy/client_conn.h"
#include "proxy/forwarder.h"
#include "proxy/request.h"
#include "proxy/server.h"
#include "stats/counters.h"

namespace walnut::proxy {

class Cluster;
class Context;
class Sentinel;
class Listener;

class ServerPool : private NonCopyable {
 public:
  ServerPool(Context& ctx, const config::PoolSpec& spec);
  ~ServerPool();

  // Resolves servers and builds the router; false with `error` on failure.
  bool init(std::string* error);
  // Opens the listener (and server connections with preconnect).
  bool start(std::string* error);
  // start() in two steps, for a reload, which binds every new address
  // before it changes anything: the bound listening socket, or -1 with
  // `error`; then start on it (or on one handed over).
  int bind_listener(std::string* error) const;
  void start_on(int listen_fd);
  // A reload replaces this pool with one on the same address: the
  // listening socket for it (Listener::hand_over), -1 when there is none.
  int hand_over_listener();
  // A listening socket handed over from the pool this one replaces gets
  // this pool's backlog and unix socket permissions (reuseport stays as
  // it was bound).
  void adopt_listener(int listen_fd) const;
  // Gives the unix socket file the permissions of the configuration.
  void set_socket_permissions() const;
  // A reload changed only what a running pool can take at once (its
  // servers, their weights and names, distribution, hash, hash_tag,
  // timeouts, connection counts, ejection, heartbeat, client_output_limit,
  // a unix socket's permissions: see config::changes_in_place): `next`
  // applies from now on, to the connections kept too (a new timeout counts
  // from now for the requests they hold). A server with the same label and
  // address is kept with its connections and counters; a new one is added;
  // a removed one retires (its connections close once they have their
  // answers).
  void reconfigure(const config::PoolSpec& next);
  // The counters of the pool this one replaces, and of each of its servers
  // with the same label, so that a reload resets no count.
  void inherit_counters(const ServerPool& old);
  // Closes the listener, every client and every server connection.
  void stop();
  // Graceful stop, first step: closes the listener and stops reading from
  // clients; each client is closed once its pending replies are written.
  void drain();
  bool drained() const { return clients_.empty() && accepted_.empty(); }
  // Client connections, those that have sent nothing yet included.
  size_t client_count() const { return clients_.size() + accepted_.size(); }
  // Ready for clients (GET /readyz): listening, with a server of its
  // configuration that is not ejected and has not failed since it last
  // answered (walnut's view: with server_heartbeat it is kept without
  // client traffic). False with the reason.
  bool ready(std::string* why) const;

  void add_client(int fd);
  void on_client_closed(ClientConn* client);
  // An accepted client's socket turned readable: its ClientConn takes
  // over and reads at once; `accepted` is deleted.
  void on_first_bytes(AcceptedClient* accepted);

  const config::PoolSpec& spec() const { return spec_; }
  const proto::Protocol& protocol() const { return *protocol_; }
  Forwarder& forwarder() { return forwarder_; }
  // The Redis Cluster behind the pool; nullptr for a pool of its own servers.
  Cluster* cluster() { return cluster_.get(); }
  size_t server_count() const { return servers_.size(); }
  Server& server(uint32_t index) { return *servers_[index]; }
  // A cluster node the configuration did not name (a master the slot map
  // or a redirect names): a new server of the pool, "host:port" in the stats.
  Server& add_node(const std::string& host, int port);
  // The replica at host:port (found by Sentinel or in a cluster's slot map):
  // the pool's server for it, made the first time, "host:port (replica)" in
  // the stats. It is never in the distribution: only reads go to it.
  Server& replica_at(const std::string& host, int port);
  stats::PoolCounters& counters() { return counters_; }
  stats::PoolMetrics& metrics() { return metrics_; }
  // TLS to the servers; null when the pool has none.
  const std::shared_ptr<net::TlsContext>& server_tls() const { return server_tls_; }
  // A reload found the pool's TLS files changed: new connections use the
  // new certificates, open ones keep theirs. False, with `error`, when a
  // file cannot be used (the pool keeps what it has).
  bool reload_tls(std::string* error);
  // The pool's stats now, servers in nutcracker's order.
  stats::PoolSnapshot snapshot() const;

 private:
  Server& add_server(const std::string& host, int port, Server::Role role);
  Server& add_server(const config::ServerSpec& spec, Server::Role role);
  // Server indices in the file's order: the keyspace for the forwarder.
  void set_keyspace(std::vector<uint32_t> configured);
  // Closes every client that has sent nothing yet.
  void close_accepted(const char* reason);

  Context& ctx_;
  config::PoolSpec spec_;
  std::unique_ptr<proto::Protocol> protocol_;
  std::vector<std::unique_ptr<Server>> servers_;
  stats::PoolCounters counters_;
  Forwarder forwarder_;
  stats::ClusterCounters cluster_counters_;
  std::unique_ptr<Cluster> cluster_;
  std::unique_ptr<Sentinel> sentinel_;
  stats::PoolMetrics metrics_;
  std::shared_ptr<net::TlsContext> listener_tls_;
  std::shared_ptr<net::TlsContext> server_tls_;
  Listener* listener_ = nullptr;
  bool listening_ = false;  // start() ran: new nodes get their heartbeat at once
  const time_t started_ = time(nullptr);
  IntrusiveList<ClientConn, &ClientConn::pool_hook> clients_;
  // Clients that have sent nothing yet (see accepted_client.h).
  IntrusiveList<AcceptedClient, &AcceptedClient::pool_hook> accepted_;
};

}  // namespace walnut::proxy
