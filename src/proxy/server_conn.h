// ServerConn: one connection to a backend, shared by many clients, or one
// client's own (pinned, see client_pins.h).
//
// Requests wait in `to_send_` until written (many clients' requests leave in
// one writev), then in `awaiting_` until their response arrives; responses
// pair with requests strictly first-in first-out. When the connection fails,
// every request it holds is answered with an error naming the cause.
//
// Every request has a deadline from the moment it is queued (on a client's
// own connection, from when the server can start on it: see hold_writes and
// pinned_deadline). A request not answered within the pool's timeout gets
// an error at once, and a
// placeholder takes its place in the queue: the late reply, when it comes,
// pairs with the placeholder and is dropped, so a connection to a slow
// server stays in step and usable. A connection that is dead (reset,
// closed, unreadable) is closed; so is one that owes a late reply and has
// sent nothing at all for a further timeout (a server that sent half a
// reply and vanished): waiting longer on it would fail every request sent
// there, where a fresh connection may work. A subscription that times out
// closes its connection at once: the server may still take it when it
// catches up, for a client that was told it failed.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "proxy/request.h"
#include "proto/parse.h"
#include "proto/protocol.h"
#include "proxy/conn.h"
#include "proxy/stream_reader.h"
#include "stats/counters.h"

namespace walnut::proxy {

// What a server connection needs of the server it belongs to, and what it
// tells it: the only thing it knows of the world above it. Server is the
// one owner in walnut; a test can be another.
class ServerConnOwner {
 public:
  virtual const proto::Protocol& protocol() const = 0;
  // What every new connection sends first (AUTH, SELECT; READONLY to a
  // cluster's replica), its answers read and dropped.
  virtual const std::vector<std::string>& handshake() const { return protocol().handshake(); }
  virtual int timeout_ms() const = 0;  // <= 0 for none
  virtual const std::string& label() const = 0;  // for the log
  virtual stats::ServerCounters& counters() = 0;
  // TLS to the server: the context (null for plain TCP) and the name its
  // certificate must show (see net::TlsSession).
  virtual std::shared_ptr<net::TlsContext> tls_context() const { return nullptr; }
  virtual std::string tls_peer_name() const { return ""; }

  virtual void on_reply() = 0;  // a reply arrived: the server works
  virtual void on_connect_failed(const std::string& cause) = 0;
  virtual void on_failure(const std::string& cause) = 0;  // a timeout, a dead connection
  virtual void on_health_check(bool ok) = 0;
  virtual void on_conn_closed(ServerConn* conn) = 0;
  // Whether a client's request answered with an error may be sent on
  // elsewhere (a Redis Cluster's redirects): then its bytes are kept until
  // it is done, and redirected() sees each such answer first.
  virtual bool follows_redirects() const { return false; }
  // `msg` (a client's, on a shared connection) was answered with an error:
  // true when the owner took it to send on, rather than it being done.
  virtual bool redirected(Request* msg) {
    (void)msg;
    return false;
  }
  // Whether a failed shared connection's requests may be sent again
  // elsewhere (a replica's reads, to its master): then their bytes are
  // kept until they are done, and resend_lost_to() is asked where.
  virtual bool resends_lost() const { return false; }
  // Where a failed shared connection's client requests are sent again
  // rather than failed with it, or nullptr.
  virtual ServerConn* resend_lost_to() { return nullptr; }

 protected:
  ~ServerConnOwner() = default;
};

// The client a pinned connection belongs to (see ClientPins): told when
// the connection closes, before its requests are failed.
class PinHolder {
 public:
  virtual void on_pin_closed(ServerConn* conn) = 0;
  // A message published to the client's subscriptions (push mode).
  virtual void on_push(ServerConn* conn, buffer::MbufChain& message) = 0;

 protected:
  ~PinHolder() = default;
};

class ServerConn final : public Conn {
 public:
  // `fd` is connected or connecting (non-blocking connect in progress).
  // With a `holder`, the connection is that client's alone (pinned): its
  // transaction, its blocking commands. Each request on it may then wait
  // as long as it says it may block on top of the pool's timeout, and the
  // requests behind it as long as it.
  ServerConn(Context& ctx, ServerConnOwner& server, int fd, PinHolder* holder = nullptr);

  bool pinned() const { return pinned_; }
  // A client's own connection opened before the request read at `tick`
  // (Request::read_tick), that took nothing since and holds no
  // subscriptions: one a redirected block of that client may join
  // (Forwarder::may_send_again).
  bool took_nothing_since(uint64_t tick) const { return last_enqueue_tick_ < tick && !push_mode_; }
  // Subscribed: the server confirmed a subscription, and what it sends
  // from then on may be published messages.
  bool push_mode() const { return push_mode_; }
  // A new pinned connection holds the client's requests until the client's
  // earlier requests to the server (on shared connections) are answered, so
  // that nothing sent here overtakes them. Held requests have no deadline:
  // their timeout counts from their release. walnut's own set-up (AUTH,
  // SELECT) is not held.
  void hold_writes(bool on);
  // True while a request that may block is queued here.
  bool blocking() const;

  // The holder is going away (closing this connection itself).
  void detach_holder() { holder_ = nullptr; }

  void enqueue(Request* msg);
  // A request taken off another connection of the same server (counted in
  // its stats already), queued here as if it had come now.
  void enqueue_again(Request* msg);
  // Takes off this connection the clients' requests not a byte of which
  // was written yet, in their order, to be sent elsewhere.
  void take_unsent(std::vector<Request*>* out);
  // Queues walnut's probe of the server (of an ejected one, or a
  // heartbeat). In a pool with no timeout, `patience_ms` (0: none) is how
  // long its answer (and the connect and set-up before it, on a fresh
  // connection) may take before the connection is given up; when clients'
  // requests came behind it meanwhile, only the probe fails (they wait as
  // long as the server takes, as the pool says).
  void send_health_check(uint64_t patience_ms = 0);
  // A reload changed the pool's timeout: what is queued counts the new one
  // from now; with none, it waits as long as the server takes (a probe
  // keeps its patience).
  void set_timeout(int timeout_ms);
  // True when nothing is queued here and nothing was read since the last
  // time this was asked: a connection the heartbeat should probe.
  bool quiet_since_last_look();
  // Connected, with nothing to send and no answer owed.
  bool idle() const {
    return !connecting_ && to_send_.empty() && awaiting_.empty() && held_.empty();
  }
  // Adds the queue gauges (requests and bytes waiting to be written, and
  // written but not answered) of client requests to `c`.
  void add_queue_stats(stats::ServerCounters* c) const;

  void on_readable() override;
  void on_writable() override;
  void flush() override;
  void close(const std::string& reason) override;
  void on_tls_ready() override;
  void on_tls_failed(const std::string& why) override;

 private:
  // Queues `msg`, counted in the stats already, behind the others (or with
  // the held ones).
  void enqueue_counted(Request* msg);
  bool read_responses();  // false once the connection was closed
  // One reply on a pinned connection: a published message for the holder,
  // one of several replies to a request, or a request's (last) reply.
  bool pinned_reply(buffer::MbufChain& chain, bool* unexpected);
  // `m` has its reply: counted, then completed.
  void answered(Request* m);
  // Whether `m`, answered with an error, may be sent elsewhere (its owner
  // decides whether it is).
  bool may_redirect(const Request& m) const;
  void complete(Request* msg);
  void log_refused_setup(const Request& msg);
  void fail(Request* msg, const std::string& cause);
  // Closes the connection for an error (or the server's EOF), telling its
  // server.
  void fail_connection(const std::string& cause, bool eof = false);
  // Before a failed connection closes: the clients' requests its owner
  // sends elsewhere (resend_lost_to) go there, in their order.
  void resend_lost();
  void on_timer();
  // Answers `msg` with a timeout error and leaves a placeholder (when a
  // reply may still come) in its place in `queue`.
  void time_out(ServerQueue& queue, Request* msg, uint64_t now);
  // A placeholder's patience ran out: true (and a further timeout of
  // patience) when the connection read something since it was last asked.
  bool still_reading(Request* placeholder, uint64_t now);
  // True when a client's request is queued here.
  bool clients_wait() const;
  void arm_timer(uint64_t now);
  // Counts as timed out every client request due at or before `now`.
  void count_timeouts(uint64_t now);

  // Redis ends a block when its cron or event loop comes round to it, up
  // to 1000/hz ms (100 ms by default) after the block's own end: a block's
  // deadline allows for that on top of the pool's timeout, which may be
  // shorter.
  static constexpr uint64_t kBlockExpirySlackMs = 200;
  // A pinned connection's deadline for `msg`, queued at `now` behind
  // `before` (nullptr: nothing before it).
  uint64_t pinned_deadline(const Request& msg, const Request* before, uint64_t now) const;
  const Request* last_queued() const;  // in to_send_ or else awaiting_
  // A block was answered (or the timeout changed): the requests behind it
  // get deadlines from now.
  void restart_deadlines(uint64_t now);

  ServerConnOwner& server_;
  stats::ServerCounters& counters_;  // the owner's, asked for once
  PinHolder* holder_;
  const bool pinned_;
  const bool follows_redirects_;  // the owner's, asked for once
  // A request may be sent elsewhere after it was written (a redirect, a
  // lost connection's resend): its bytes stay until it is done.
  const bool keeps_sent_bytes_;
  // Push mode, while the server holds subscriptions of this (pinned)
  // connection: a published message goes to the holder, answers still pair
  // with requests. Set and cleared by the replies to subscription parts
  // (Request::push), in the stream's order, so that no earlier answer is
  // taken for a message.
  bool push_mode_ = false;
  uint64_t last_enqueue_tick_ = 0;  // Context::request_clock() at open, then at each enqueue; pinned only
  bool writes_held_ = false;
  bool connecting_ = true;
  ServerQueue held_;  // the client's requests while writes are held
  ServerQueue to_send_;
  ServerQueue awaiting_;
  StreamReader reader_;
  std::unique_ptr<proto::ResponseParser> parser_;
  int timeout_ms_;  // the pool's timeout; <= 0 for none
  size_t placeholders_ = 0;
  uint64_t reads_ = 0;  // reads that brought bytes: tells slow from silent
  uint64_t reads_at_last_look_ = 0;  // see quiet_since_last_look
  event::Timer timer_;
};

}  // namespace walnut::proxy
