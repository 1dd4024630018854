// ServerPool: one pool of the configuration at run time: its listener, its
// clients, its servers, its router and its protocol. Requests of the pool's
// clients are routed and forwarded here.
#pragma once

#include <ctime>
#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "proto/msg.h"
#include "proto/protocol.h"
#include "proxy/client_conn.h"
#include "proxy/router.h"
#include "proxy/server.h"
#include "stats/counters.h"

namespace walnut::proxy {

class Context;
class Listener;

class ServerPool {
 public:
  ServerPool(Context& ctx, const config::PoolSpec& spec);
  ~ServerPool();
  ServerPool(const ServerPool&) = delete;
  ServerPool& operator=(const ServerPool&) = delete;

  // Resolves servers and builds the router; false with `error` on failure.
  bool init(std::string* error);
  // Opens the listener (and server connections with preconnect).
  bool start(std::string* error);
  // Closes the listener, every client and every server connection.
  void stop();
  // Graceful stop, first step: closes the listener and stops reading from
  // clients; each client is closed once its pending replies are written.
  void drain();
  bool drained() const { return clients_.empty(); }

  // Rebuilds the distribution over the servers not ejected, as nutcracker
  // rebuilds its ring.
  void rebuild_routes();

  void add_client(int fd);
  void on_client_closed(ClientConn* client);
  // Routes a request to its server and queues it there, or answers it with
  // an error that names the cause.
  void forward(proto::Msg* msg);
  // Routes a multi-key request: whole when its keys share a server, else as
  // one fragment per server.
  void forward_split(proto::Msg* msg);
  // A fragment got its reply; the last one completes its parent.
  void fragment_done(proto::Msg* fragment);
  // Answers `msg` with walnut's own statistics of this pool (memcached's
  // "stats"), in the protocol's form.
  void stats_reply(proto::Msg* msg);
  // `msg` has its reply (from a server, or an error): hand it to its client,
  // its parent, or drop it when nobody waits any more.
  void finish(proto::Msg* msg);

  Context& context() { return ctx_; }
  const config::PoolSpec& spec() const { return spec_; }
  const proto::Protocol& protocol() const { return *protocol_; }
  size_t client_count() const { return clients_.size(); }
  stats::PoolCounters& counters() { return counters_; }
  stats::PoolMetrics& metrics() { return metrics_; }
  // The pool's stats now, servers in nutcracker's order.
  stats::PoolSnapshot snapshot() const;

 private:
  Server* route(const proto::Msg& msg, std::string* error);
  // Fills key_servers_ with the server index of every key of `msg`; false
  // with `error` when a key names no server (distribution server_name).
  bool route_keys(const proto::Msg& msg, std::string* error);
  void send_to(Server* server, proto::Msg* msg);
  void answer_error(proto::Msg* msg, const std::string& cause);

  // Scratch space of route_keys() and forward_split(), kept between
  // requests so that routing allocates nothing in the steady state.
  std::vector<uint32_t> key_servers_;
  std::string key_scratch_;
  std::vector<int> fragment_of_server_;
  std::vector<std::vector<uint32_t>> keys_of_fragment_;
  std::vector<uint32_t> server_of_fragment_;

  Context& ctx_;
  config::PoolSpec spec_;
  std::unique_ptr<proto::Protocol> protocol_;
  std::vector<std::unique_ptr<Server>> servers_;
  Router router_;
  bool any_live_ = true;  // false while every server is ejected
  stats::PoolCounters counters_;
  stats::PoolMetrics metrics_;
  Listener* listener_ = nullptr;
  const time_t started_ = time(nullptr);
  IntrusiveList<ClientConn, &ClientConn::pool_hook> clients_;
};

}  // namespace walnut::proxy
