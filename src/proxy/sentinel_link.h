// SentinelLink: walnut's connections to one Redis Sentinel: a shared one
// for questions (SENTINEL get-master-addr-by-name, SENTINEL replicas), and
// one of its own subscribed to the failover channels, whose messages go to
// the link's listener. Both are ServerConns, so they connect, authenticate
// (sentinel_auth), time out and fail as a server's connections do; the
// link is their owner, with counters of its own that no stats show.
#pragma once

#include <string>

#include "common/non_copyable.h"
#include "config/config.h"
#include "proto/protocol.h"
#include "proxy/request.h"
#include "proxy/server_conn.h"
#include "stats/counters.h"

namespace walnut::proxy {

class Context;

// Told what one Sentinel's subscription hears.
class SentinelLink;

class SentinelListener {
 public:
  // A message published on a subscribed channel (the whole RESP array).
  virtual void on_published(const std::string& message) = 0;
  // The subscription's connection closed after the Sentinel confirmed it
  // (the Sentinel died, or hung and timed out): messages may have been
  // missed.
  virtual void on_subscription_lost(SentinelLink& link) = 0;

 protected:
  ~SentinelListener() = default;
};

class SentinelLink final : private ServerConnOwner, private PinHolder, private NonCopyable {
 public:
  // `protocol` (with the Sentinels' password) outlives the link.
  SentinelLink(Context& ctx, const config::SentinelSpec& spec, const proto::Protocol& protocol,
               int timeout_ms, SentinelListener& listener);
  ~SentinelLink();

  // Sends `request`; its answer (or error) goes to `waiter`, as `kind`.
  // False with `error` when no connection can be had now.
  bool ask(std::string_view request, ReplyWaiter* waiter, std::string* error,
           Request** sent = nullptr);
  // Opens the subscription's connection and subscribes; `request` is the
  // SUBSCRIBE of `channels` channels. False with `error` when no
  // connection can be had.
  bool subscribe(std::string_view request, int channels, std::string* error);
  bool subscribed() const { return sub_ != nullptr; }
  // Sends PING on the subscription's connection, so that a Sentinel that
  // hangs is noticed (its answer times out and closes the connection).
  void probe_subscription();
  void close(const std::string& reason);

  const std::string& label() const override { return spec_.text; }

 private:
  const proto::Protocol& protocol() const override { return protocol_; }
  int timeout_ms() const override { return timeout_ms_; }
  stats::ServerCounters& counters() override { return counters_; }
  void on_reply() override { last_failure_.clear(); }
  void on_connect_failed(const std::string& cause) override;
  void on_failure(const std::string& cause) override;
  void on_health_check(bool) override {}
  void on_conn_closed(ServerConn* conn) override;
  void on_pin_closed(ServerConn* conn) override;
  void on_push(ServerConn* conn, buffer::MbufChain& message) override;

  ServerConn* open(std::string* error, PinHolder* holder);
  // Logs a failure once, until the Sentinel answers again.
  void note_failure(const char* what, const std::string& cause);

  Context& ctx_;
  config::SentinelSpec spec_;
  const proto::Protocol& protocol_;
  const int timeout_ms_;
  SentinelListener& listener_;
  ServerConn* conn_ = nullptr;  // questions
  ServerConn* sub_ = nullptr;   // the subscription
  std::string last_failure_;    // logged; "" while it answers
  stats::ServerCounters counters_;  // the ServerConns count here; unused
};

}  // namespace walnut::proxy
