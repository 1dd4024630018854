// Event dispatch for Conn and the Context's deferred work.
#include "proxy/conn.h"

#include <malloc.h>

#include <algorithm>

#include "common/dcheck.h"
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
  for (Request* m : free_requests_) delete m;
}

Request* Context::new_request() {
  Request* msg;
  if (free_requests_.empty()) {
    msg = new Request();
  } else {
    msg = free_requests_.back();
    free_requests_.pop_back();
  }
  return msg;
}

void Context::free_request(Request* msg) {
  WALNUT_DCHECK(!msg->client_hook.linked() && !msg->server_hook.linked());
  request_budget_.discharge(&msg->budget_charge);
  // Keep a bounded reserve: a burst must not pin its peak forever.
  constexpr size_t kMaxFreeRequests = 4096;
  if (free_requests_.size() >= kMaxFreeRequests) {
    delete msg;
    msg_bytes_released_ += sizeof(Request);
    return;
  }
  msg->recycle();
  free_requests_.push_back(msg);
}

void Context::reclaim_memory() {
  const bool idle = mbufs_.gets() == mbuf_gets_seen_;
  mbuf_gets_seen_ = mbufs_.gets();
  if (idle) {
    mbufs_.trim(0);
    for (Request* m : free_requests_) delete m;
    msg_bytes_released_ += free_requests_.size() * sizeof(Request);
    free_requests_.clear();
    free_requests_.shrink_to_fit();
  }
  // malloc_trim walks the heap: only after a megabyte or more was freed.
  constexpr uint64_t kTrimAfterBytes = 1024 * 1024;
  const uint64_t released = mbufs_.released_bytes() + msg_bytes_released_;
  if (released - released_at_last_trim_ >= kTrimAfterBytes) {
    released_at_last_trim_ = released;
    malloc_trim(0);
  }
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
