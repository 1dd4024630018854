// Event dispatch for Conn and the Context's deferred work.
#include "proxy/conn.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "common/log.h"
#include "proxy/context.h"

namespace walnut::proxy {

Conn::Conn(Context& ctx, int fd) : ctx_(ctx), fd_(fd) {
  ++ctx.totals().total_connections;
  ++ctx.totals().curr_connections;
}

Conn::Conn(Context& ctx, int fd, CountedAlready) : ctx_(ctx), fd_(fd) {}

// A connection's TLS session and the deadline of its handshake.
struct Conn::Tls {
  Tls(std::shared_ptr<net::TlsContext> context, int fd, const std::string& peer_name)
      : session(std::move(context), fd, peer_name) {}
  net::TlsSession session;
  event::Timer handshake_deadline;
};

Conn::~Conn() = default;

void Conn::watch() {
  watcher_.init(ctx_.loop(), fd_.get(), &Conn::on_event, this);
  watcher_.want_read(true);
}

void Conn::release_socket() {
  closed_ = true;
  --ctx_.totals().curr_connections;
  if (tls_ != nullptr) {
    tls_->handshake_deadline.reset();
    tls_->session.say_goodbye();
  }
  watcher_.reset();
  fd_.reset();
  ctx_.cancel_flush(this);
  ctx_.cancel_reread(this);
  ctx_.retire(this);
}

void Conn::on_event(void* self, short what) {
  auto* conn = static_cast<Conn*>(self);
  if (conn->tls_ == nullptr) {
    if ((what & EV_READ) && !conn->closed_) conn->on_readable();
    if ((what & EV_WRITE) && !conn->closed_) conn->on_writable();
    return;
  }
  if (conn->tls_->session.handshaking()) {
    conn->continue_handshake();
    return;
  }
  // A read that needs the socket writable (a TLS 1.3 key update) goes on
  // when it is.
  const bool read = (what & EV_READ) ||
                    ((what & EV_WRITE) && conn->tls_->session.read_wants_write());
  if (read && !conn->closed_) conn->on_readable();
  if ((what & EV_WRITE) && !conn->closed_) conn->on_writable();
  if (!conn->closed_) conn->come_back_for_tls_input();
}

void Conn::start_tls(std::shared_ptr<net::TlsContext> context, const std::string& peer_name,
                     uint64_t timeout_ms) {
  tls_ = std::make_unique<Tls>(std::move(context), fd_.get(), peer_name);
  if (timeout_ms > 0) {
    tls_->handshake_deadline.init(ctx_.loop(), [this, timeout_ms] {
      on_tls_failed("TLS handshake not done within " + std::to_string(timeout_ms) + " ms");
    });
    tls_->handshake_deadline.start(timeout_ms);
  }
  if (tls_->session.role() == net::TlsRole::kClient) {
    continue_handshake();
  } else {
    watcher_.want_read(true);  // the client's hello makes the socket readable
  }
}

bool Conn::tls_closed_before_hello() const {
  return tls_ != nullptr && tls_->session.closed_before_hello();
}

bool Conn::tls_output_pending() const {
  return tls_ != nullptr && tls_->session.output_pending();
}

bool Conn::tls_needs_writable() const {
  // A read that waits for the socket to be writable, while the conn reads.
  return tls_ != nullptr && (tls_->session.output_pending() ||
                             (tls_->session.read_wants_write() && watcher_.wants_read()));
}

void Conn::continue_handshake() {
  switch (tls_->session.handshake()) {
    case net::TlsSession::Step::kDone:
      tls_->handshake_deadline.reset();
      LOG_INFO("TLS on fd %d: %s", fd(), tls_->session.describe().c_str());
      watcher_.want_write(false);
      watcher_.want_read(true);
      on_tls_ready();
      // Requests may have come with the handshake's last bytes.
      if (!closed_) come_back_for_tls_input();
      return;
    case net::TlsSession::Step::kWantRead:
      watcher_.want_read(true);
      watcher_.want_write(false);
      return;
    case net::TlsSession::Step::kWantWrite:
      watcher_.want_write(true);
      return;
    case net::TlsSession::Step::kFailed:
      tls_->handshake_deadline.reset();
      on_tls_failed(tls_->session.error());
      return;
  }
}

void Conn::come_back_for_tls_input() {
  if (!watcher_.wants_read() || tls_->session.handshaking()) return;
  if (tls_->session.input_pending()) ctx_.schedule_reread(this);
  if (tls_->session.read_wants_write()) watcher_.want_write(true);
}

void Conn::reread_if_tls_input() {
  if (closed_ || tls_ == nullptr) return;
  if (watcher_.wants_read() && tls_->session.input_pending()) watcher_.activate_read();
}

ssize_t Conn::tls_read(void* buf, size_t len) { return tls_->session.read(buf, len); }

std::string Conn::io_error(int err) const {
  if (tls_ != nullptr && !tls_->session.error().empty()) return tls_->session.error();
  return std::strerror(err);
}

ssize_t Conn::tls_writev(const struct iovec* iov, int n) { return tls_->session.writev(iov, n); }

Context::Context(event::Loop& loop, uint32_t mbuf_size)
    : loop_(loop), mbufs_(mbuf_size) {}

Context::~Context() {
  for (Conn* c : retired_) delete c;
}

namespace {

// Puts `conn` on `list` once (`queued` marks it), unless it is closed.
inline void queue_once(std::vector<Conn*>& list, bool& queued, Conn* conn) {
  if (queued || conn->closed()) return;
  queued = true;
  list.push_back(conn);
}

// Takes `conn` off `list` (its slot left empty: the list may be being walked).
void unqueue(std::vector<Conn*>& list, bool& queued, Conn* conn) {
  if (!queued) return;
  queued = false;
  auto it = std::find(list.begin(), list.end(), conn);
  if (it != list.end()) *it = nullptr;
}

}  // namespace

void Context::schedule_flush(Conn* conn) { queue_once(to_flush_, conn->flush_scheduled, conn); }

void Context::cancel_flush(Conn* conn) { unqueue(to_flush_, conn->flush_scheduled, conn); }

void Context::schedule_reread(Conn* conn) { queue_once(to_reread_, conn->reread_scheduled, conn); }

void Context::cancel_reread(Conn* conn) { unqueue(to_reread_, conn->reread_scheduled, conn); }

void Context::retire(Conn* conn) { retired_.push_back(conn); }

void Context::after_iteration() {
  // A flush may schedule more (a failed server conn answers its clients'
  // requests with errors), so drain until nothing new appears.
  for (size_t i = 0; i < to_flush_.size(); ++i) {
    Conn* conn = to_flush_[i];
    if (conn == nullptr) continue;
    conn->flush_scheduled = false;
    to_flush_[i] = nullptr;
    if (!conn->closed()) conn->flush();
  }
  to_flush_.clear();
  // After the flushes, which may change what a conn watches: an activation
  // is for the next pass (libevent polls the other sockets first).
  for (Conn* conn : to_reread_) {
    if (conn == nullptr) continue;
    conn->reread_scheduled = false;
    conn->reread_if_tls_input();
  }
  to_reread_.clear();
  for (Conn* c : retired_) delete c;
  retired_.clear();
}

}  // namespace walnut::proxy
