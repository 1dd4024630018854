// Event dispatch for Conn and the Context's deferred work.
#include "proxy/conn.h"

#include <algorithm>

#include "proxy/context.h"

namespace walnut::proxy {

Conn::Conn(Context& ctx, int fd) : ctx_(ctx), fd_(fd) {
  ++ctx.totals().total_connections;
  ++ctx.totals().curr_connections;
}

void Conn::watch() {
  watcher_.init(ctx_.loop(), fd_.get(), &Conn::on_event, this);
  watcher_.want_read(true);
}

void Conn::release_socket() {
  closed_ = true;
  --ctx_.totals().curr_connections;
  watcher_.reset();
  fd_.reset();
  ctx_.cancel_flush(this);
  ctx_.retire(this);
}

void Conn::on_event(void* self, short what) {
  auto* conn = static_cast<Conn*>(self);
  if ((what & EV_READ) && !conn->closed_) conn->on_readable();
  if ((what & EV_WRITE) && !conn->closed_) conn->on_writable();
}

Context::Context(event::Loop& loop, uint32_t mbuf_size)
    : loop_(loop), mbufs_(mbuf_size) {}

Context::~Context() {
  for (Conn* c : retired_) delete c;
}

void Context::schedule_flush(Conn* conn) {
  if (conn->flush_scheduled || conn->closed()) return;
  conn->flush_scheduled = true;
  to_flush_.push_back(conn);
}

void Context::cancel_flush(Conn* conn) {
  if (!conn->flush_scheduled) return;
  conn->flush_scheduled = false;
  auto it = std::find(to_flush_.begin(), to_flush_.end(), conn);
  if (it != to_flush_.end()) *it = nullptr;
}

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
  for (Conn* c : retired_) delete c;
  retired_.clear();
}

}  // namespace walnut::proxy
