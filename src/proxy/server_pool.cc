// Routing and forwarding for one pool.
#include "proxy/server_pool.h"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "common/log.h"
#include "net/socket.h"
#include "proto/memcache/memcache_protocol.h"
#include "proto/redis/redis_protocol.h"
#include "proxy/context.h"
#include "proxy/listener.h"
#include "proxy/server_conn.h"

namespace walnut::proxy {

ServerPool::ServerPool(Context& ctx, const config::PoolSpec& spec)
    : ctx_(ctx), spec_(spec) {
  const uint64_t max_request = config::max_request_bytes(spec);
  if (spec.redis) {
    redis::RequestLimits limits;
    limits.max_request = max_request;
    limits.max_inline = static_cast<uint32_t>(std::min<uint64_t>(limits.max_inline, max_request));
    protocol_ = std::make_unique<redis::RedisProtocol>(
        redis::PoolOptions{spec.redis_auth, spec.redis_db}, limits);
  } else {
    memcache::RequestLimits limits;
    limits.max_request = max_request;
    limits.max_line = static_cast<uint32_t>(std::min<uint64_t>(limits.max_line, max_request));
    protocol_ = std::make_unique<memcache::MemcacheProtocol>(limits);
  }
}

ServerPool::~ServerPool() { stop(); }

bool ServerPool::init(std::string* error) {
  for (size_t i = 0; i < spec_.servers.size(); ++i) {
    auto server =
        std::make_unique<Server>(*this, spec_.servers[i], static_cast<uint32_t>(i));
    if (!server->init(error)) return false;
    servers_.push_back(std::move(server));
  }
  std::vector<dist::ServerWeight> weights;
  for (const auto& s : servers_) {
    weights.push_back(dist::ServerWeight{s->index(), s->label(),
                                         static_cast<uint32_t>(s->spec().weight)});
  }
  return router_.init(spec_.hash, spec_.distribution, spec_.hash_tag, weights,
                      error);
}

void ServerPool::rebuild_routes() {
  std::vector<dist::ServerWeight> live;
  for (const auto& s : servers_) {
    if (s->ejected()) continue;
    live.push_back(dist::ServerWeight{s->index(), s->label(),
                                      static_cast<uint32_t>(s->spec().weight)});
  }
  any_live_ = !live.empty();
  if (!any_live_) {
    LOG_WARN("pool '%s': every server is ejected", spec_.name.c_str());
    return;
  }
  std::string error;
  if (!router_.init(spec_.hash, spec_.distribution, spec_.hash_tag, live, &error)) {
    LOG_ERROR("pool '%s': cannot rebuild routes: %s", spec_.name.c_str(),
              error.c_str());
  }
}

bool ServerPool::start(std::string* error) {
  net::Address addr;
  const config::ListenSpec& l = spec_.listen;
  bool resolved = l.is_unix ? net::resolve_unix(l.path, &addr, error)
                            : net::resolve_tcp(l.host, l.port, &addr, error);
  if (!resolved) return false;
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
    return false;
  }
  listener_ = new Listener(ctx_, *this, fd, l.is_unix);
  LOG_NOTICE("pool '%s' listening on %s", spec_.name.c_str(), l.text.c_str());
  if (spec_.preconnect) {
    for (auto& s : servers_) s->preconnect();
  }
  return true;
}

void ServerPool::stop() {
  if (listener_ != nullptr) {
    listener_->close("shutting down");
    listener_ = nullptr;
  }
  while (ClientConn* c = clients_.front()) c->close("shutting down");
  for (auto& s : servers_) s->close_all("shutting down");
}

void ServerPool::drain() {
  if (listener_ != nullptr) {
    listener_->close("shutting down");
    listener_ = nullptr;
  }
  for (ClientConn* c = clients_.front(); c != nullptr; c = clients_.next(c)) {
    c->drain();
  }
}

void ServerPool::add_client(int fd) {
  if (spec_.client_connections > 0 &&
      clients_.size() >= static_cast<size_t>(spec_.client_connections)) {
    // Refused with a reply it can read (twemproxy parses the limit and
    // ignores it).
    proto::Msg msg;
    protocol_->error_reply(msg, "max number of clients reached", ctx_.mbufs());
    std::string text = msg.reply.to_string();
    ssize_t ignored = ::send(fd, text.data(), text.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    (void)ignored;
    ::close(fd);
    LOG_NOTICE("pool '%s': refused a client: max number of clients (%d) reached",
               spec_.name.c_str(), spec_.client_connections);
    return;
  }
  auto* client = new ClientConn(ctx_, *this, fd);
  clients_.push_back(client);
  LOG_INFO("accepted client on fd %d for pool '%s'", fd, spec_.name.c_str());
}

void ServerPool::on_client_closed(ClientConn* client) {
  if (client->pool_hook.linked()) clients_.remove(client);
}

bool ServerPool::route_keys(const proto::Msg& msg, std::string* error) {
  key_servers_.clear();
  if (!any_live_) {
    *error = "no server left in pool '" + spec_.name + "': every one is ejected";
    return false;
  }
  if (msg.keys.empty()) {
    key_servers_.push_back(router_.route_keyless());
    return true;
  }
  for (const proto::Span& k : msg.keys) {
    std::string_view key = msg.request.view(k.offset, k.len, key_scratch_);
    uint32_t idx = router_.route(key);
    if (idx == Router::kNoServer) {
      *error = "no server named '" + std::string(router_.routing_part(key)) +
               "' in pool '" + spec_.name + "'";
      return false;
    }
    key_servers_.push_back(idx);
  }
  return true;
}

Server* ServerPool::route(const proto::Msg& msg, std::string* error) {
  if (!route_keys(msg, error)) return nullptr;
  const uint32_t first = key_servers_[0];
  for (uint32_t i : key_servers_) {
    if (i != first) {
      *error = "keys in request don't hash to the same server";
      return nullptr;
    }
  }
  return servers_[first].get();
}

void ServerPool::forward(proto::Msg* msg) {
  std::string error;
  Server* server = route(*msg, &error);
  if (server == nullptr) {
    answer_error(msg, error);
    return;
  }
  send_to(server, msg);
}

void ServerPool::forward_split(proto::Msg* msg) {
  std::string error;
  if (!route_keys(*msg, &error)) {
    answer_error(msg, error);
    return;
  }
  const std::vector<uint32_t>& idx = key_servers_;
  bool one_server = true;
  for (uint32_t i : idx) one_server = one_server && i == idx[0];
  if (one_server) {
    send_to(servers_[idx[0]].get(), msg);  // no split: the server's own reply
    return;
  }
  // One fragment per server, in order of first appearance; each key
  // remembers its fragment and its place there.
  fragment_of_server_.assign(servers_.size(), -1);
  server_of_fragment_.clear();
  size_t fragments = 0;
  msg->key_places.resize(idx.size());
  for (uint32_t k = 0; k < idx.size(); ++k) {
    int& f = fragment_of_server_[idx[k]];
    if (f < 0) {
      f = static_cast<int>(fragments++);
      if (keys_of_fragment_.size() < fragments) keys_of_fragment_.emplace_back();
      keys_of_fragment_[f].clear();
      server_of_fragment_.push_back(idx[k]);
    }
    std::vector<uint32_t>& keys = keys_of_fragment_[f];
    msg->key_places[k] = {static_cast<uint32_t>(f), static_cast<uint32_t>(keys.size())};
    keys.push_back(k);
  }
  for (size_t f = 0; f < fragments; ++f) {
    proto::Msg* part = ctx_.new_msg();
    part->parent = msg;
    protocol_->build_fragment(*msg, keys_of_fragment_[f], *part, ctx_.mbufs());
    msg->fragments.push_back(part);
  }
  msg->fragments_pending = static_cast<uint32_t>(fragments);
  counters_.fragments += fragments;
  // send_to() may answer a part at once (no connection), which can finish
  // the parent; nothing in it routes again, so the scratch stays valid.
  for (size_t f = 0; f < fragments; ++f) {
    send_to(servers_[server_of_fragment_[f]].get(), msg->fragments[f]);
  }
}

void ServerPool::send_to(Server* server, proto::Msg* msg) {
  std::string error;
  ServerConn* conn = server->conn(&error);
  if (conn == nullptr) {
    answer_error(msg, error);
    return;
  }
  conn->enqueue(msg);
}

stats::PoolSnapshot ServerPool::snapshot() const {
  stats::PoolSnapshot p;
  p.name = spec_.name;
  p.counters = counters_;
  p.counters.client_connections = clients_.size();
  p.metrics = metrics_;
  std::vector<const Server*> order;
  for (const auto& s : servers_) order.push_back(s.get());
  std::stable_sort(order.begin(), order.end(), [](const Server* a, const Server* b) {
    return dist::label_less(a->label(), b->label());
  });
  for (const Server* s : order) p.servers.push_back({s->label(), s->snapshot()});
  return p;
}

void ServerPool::stats_reply(proto::Msg* msg) {
  // memcached's names where walnut's number means the same; walnut's own
  // (those of its stats JSON) otherwise, servers summed over the pool.
  const time_t now = time(nullptr);
  std::vector<std::pair<std::string, std::string>> stats;
  auto add = [&stats](const char* name, uint64_t value) {
    stats.emplace_back(name, std::to_string(value));
  };
  add("pid", static_cast<uint64_t>(getpid()));
  add("uptime", static_cast<uint64_t>(now - started_));
  add("time", static_cast<uint64_t>(now));
  stats.emplace_back("version", "walnut-" PACKAGE_VERSION);
  add("pointer_size", sizeof(void*) * 8);
  add("curr_connections", clients_.size());
  add("total_connections", ctx_.total_connections());
  add("client_eof", counters_.client_eof);
  add("client_err", counters_.client_err);
  add("forward_error", counters_.forward_error);
  add("fragments", counters_.fragments);
  add("server_ejects", counters_.server_ejects);
  add("servers", servers_.size());
  using Counter = uint64_t stats::ServerCounters::*;
  static constexpr std::pair<const char*, Counter> kSummed[] = {
      {"server_connections", &stats::ServerCounters::server_connections},
      {"server_eof", &stats::ServerCounters::server_eof},
      {"server_err", &stats::ServerCounters::server_err},
      {"server_timedout", &stats::ServerCounters::server_timedout},
      {"requests", &stats::ServerCounters::requests},
      {"request_bytes", &stats::ServerCounters::request_bytes},
      {"responses", &stats::ServerCounters::responses},
      {"response_bytes", &stats::ServerCounters::response_bytes},
  };
  std::vector<stats::ServerCounters> each;
  for (const auto& s : servers_) each.push_back(s->snapshot());
  for (const auto& [name, counter] : kSummed) {
    uint64_t total = 0;
    for (const stats::ServerCounters& c : each) total += c.*counter;
    add(name, total);
  }
  protocol_->stats_reply(*msg, stats, ctx_.mbufs());
}

void ServerPool::answer_error(proto::Msg* msg, const std::string& cause) {
  ++counters_.forward_error;
  msg->reply.clear();
  protocol_->error_reply(*msg, cause, ctx_.mbufs());
  finish(msg);
}

void ServerPool::finish(proto::Msg* msg) {
  msg->server = nullptr;
  msg->done = true;
  if (msg->silent) {
    // The server answers (walnut strips "noreply" to keep replies paired
    // with requests); the client asked for nothing, so it gets nothing.
    if (msg->reply_is_error) {
      LOG_INFO("pool '%s': a noreply request failed: %s", spec_.name.c_str(),
               msg->reply.to_string().c_str());
    }
    msg->reply.clear();
  }
  if (msg->parent != nullptr) {
    fragment_done(msg);
  } else if (msg->client != nullptr) {
    msg->client->reply_ready(msg);
  } else {
    ctx_.free_msg(msg);  // its client left, or walnut's own (handshake)
  }
}

void ServerPool::fragment_done(proto::Msg* fragment) {
  proto::Msg* parent = fragment->parent;
  if (--parent->fragments_pending > 0) return;
  protocol_->coalesce(*parent, ctx_.mbufs());
  for (proto::Msg* f : parent->fragments) ctx_.free_msg(f);
  parent->fragments.clear();
  finish(parent);
}

}  // namespace walnut::proxy
