// Connections to one Redis Sentinel.
#include "proxy/sentinel_link.h"

#include <cerrno>
#include <cstring>

#include "common/log.h"
#include "net/socket.h"
#include "proxy/context.h"

namespace walnut::proxy {

SentinelLink::SentinelLink(Context& ctx, const config::SentinelSpec& spec,
                           const proto::Protocol& protocol, int timeout_ms,
                           SentinelListener& listener)
    : ctx_(ctx), spec_(spec), protocol_(protocol), timeout_ms_(timeout_ms), listener_(listener) {}

SentinelLink::~SentinelLink() { close("shutting down"); }

ServerConn* SentinelLink::open(std::string* error, PinHolder* holder) {
  net::Address address;
  if (!net::resolve_tcp(spec_.host, spec_.port, &address, error)) return nullptr;
  const int fd = net::connect_to(address);
  if (fd < 0) {
    *error = std::strerror(errno);
    return nullptr;
  }
  LOG_INFO("connecting to sentinel '%s' on fd %d", spec_.text.c_str(), fd);
  return new ServerConn(ctx_, *this, fd, holder);
}

bool SentinelLink::ask(std::string_view request, ReplyWaiter* waiter, std::string* error,
                       Request** sent) {
  if (conn_ == nullptr) conn_ = open(error, nullptr);
  if (conn_ == nullptr) return false;
  Request* m = ctx_.requests().get();
  m->kind = RequestKind::sentinel;
  m->waiter = waiter;
  m->request.append_copy(ctx_.mbufs(), request);
  if (sent != nullptr) *sent = m;
  conn_->enqueue(m);
  return true;
}

bool SentinelLink::subscribe(std::string_view request, int channels, std::string* error) {
  if (sub_ != nullptr) return true;
  sub_ = open(error, this);
  if (sub_ == nullptr) return false;
  Request* m = ctx_.requests().get();
  m->kind = RequestKind::sentinel;
  m->push = Request::Push::kStarts;  // its messages come as pushes from here on
  m->replies_expected = static_cast<uint32_t>(channels);  // a confirmation each
  m->request.append_copy(ctx_.mbufs(), request);
  sub_->enqueue(m);
  return true;
}

void SentinelLink::probe_subscription() {
  if (sub_ == nullptr) return;
  Request* m = ctx_.requests().get();
  m->kind = RequestKind::sentinel;
  m->request.append_copy(ctx_.mbufs(), protocol_.health_check());
  sub_->enqueue(m);
}

void SentinelLink::note_failure(const char* what, const std::string& cause) {
  // Asked every second while it is down: one line, not one a second.
  if (cause == last_failure_) return;
  last_failure_ = cause;
  LOG_WARN("%s '%s' failed: %s", what, spec_.text.c_str(), cause.c_str());
}

void SentinelLink::on_connect_failed(const std::string& cause) {
  note_failure("connect to sentinel", cause);
}

void SentinelLink::on_failure(const std::string& cause) { note_failure("sentinel", cause); }

void SentinelLink::on_conn_closed(ServerConn* conn) {
  if (conn == conn_) conn_ = nullptr;
  if (conn == sub_) sub_ = nullptr;
}

void SentinelLink::on_pin_closed(ServerConn* conn) {
  if (conn != sub_) return;
  sub_ = nullptr;
  // A subscription that was never confirmed heard nothing, so missed
  // nothing: the next round tries it again (its failure was logged).
  if (conn->push_mode()) listener_.on_subscription_lost(*this);
}

void SentinelLink::on_push(ServerConn*, buffer::MbufChain& message) {
  listener_.on_published(message.to_string());
}

void SentinelLink::close(const std::string& reason) {
  // Taken first: closing calls back on_conn_closed and on_pin_closed.
  ServerConn* conn = conn_;
  ServerConn* sub = sub_;
  conn_ = nullptr;
  sub_ = nullptr;
  if (conn != nullptr && !conn->closed()) conn->close(reason);
  if (sub != nullptr) {
    sub->detach_holder();  // closed by us: no loss to report
    if (!sub->closed()) sub->close(reason);
  }
}

}  // namespace walnut::proxy
