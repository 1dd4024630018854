// Handlers of a backend connection: connect, write requests, read and pair
// responses, fail what it holds when it dies.
#include "proxy/server_conn.h"

#include <sys/uio.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "common/clock.h"
#include "common/dcheck.h"
#include "common/log.h"
#include "proxy/context.h"

namespace walnut::proxy {

ServerConn::ServerConn(Context& ctx, ServerConnOwner& server, int fd, PinHolder* holder)
    : Conn(ctx, fd),
      server_(server),
      counters_(server.counters()),
      holder_(holder),
      pinned_(holder != nullptr),
      follows_redirects_(server.follows_redirects()),
      keeps_sent_bytes_(follows_redirects_ || server.resends_lost()),
      reader_(ctx.mbufs(), ctx.large_mbufs()),
      parser_(server.protocol().new_response_parser()),
      timeout_ms_(server.timeout_ms()) {
  // Opened for what was read last: a block read before it may not join it
  // (took_nothing_since), even while nothing is queued yet (a subscription
  // that failed at another server leaves its connections open and empty,
  // held for what the client sent before it, the block among them).
  if (pinned_) last_enqueue_tick_ = ctx.request_clock();
  timer_.init(ctx.loop(), [this] { on_timer(); });
  watch();
  want_write(true);  // tells us when the connect completes
  // AUTH and SELECT go first; their replies are read and dropped.
  for (const std::string& request : server.handshake()) {
    Request* m = ctx.requests().get();
    m->kind = RequestKind::setup;
    m->request.append_copy(ctx.mbufs(), request);
    enqueue(m);
  }
}

// Inlined into enqueue (forced: GCC would not on its own), which every
// request goes through.
[[gnu::always_inline]] inline void ServerConn::enqueue_counted(Request* msg) {
  msg->server = this;
  if (writes_held_ && msg->kind != RequestKind::setup) {
    // Not the server's to answer yet: no deadline until released.
    held_.push_back(msg);
    return;
  }
  if (timeout_ms_ <= 0) {
    to_send_.push_back(msg);
  } else {
    // The deadline from the requests before it, then queued, so that the
    // timer sees it: a request on an idle connection is the one that arms
    // it. A pending timer is due no later than this deadline, which is the
    // latest of all.
    uint64_t now = now_ms();
    msg->deadline = pinned_ ? pinned_deadline(*msg, last_queued(), now)
                            : now + static_cast<uint64_t>(timeout_ms_);
    to_send_.push_back(msg);
    if (!timer_.pending()) arm_timer(now);
  }
  if (!connecting_) ctx_.schedule_flush(this);
}

void ServerConn::enqueue(Request* msg) {
  WALNUT_DCHECK(!msg->server_hook.linked() && msg->server == nullptr);
  if (pinned_) last_enqueue_tick_ = ctx_.request_clock();
  if (!msg->internal()) {  // walnut's own requests are not the clients'
    stats::ServerCounters& c = counters_;
    ++c.requests;
    c.request_bytes += msg->request.size();
  }
  enqueue_counted(msg);
}

void ServerConn::enqueue_again(Request* msg) {
  WALNUT_DCHECK(!msg->server_hook.linked() && msg->server == nullptr);
  msg->deadline = Request::kNoDeadline;
  enqueue_counted(msg);
}

void ServerConn::take_unsent(std::vector<Request*>* out) {
  Request* m = to_send_.front();
  while (m != nullptr) {
    Request* next = to_send_.next(m);
    if (m->kind == RequestKind::client && m->request_sent == 0) {
      to_send_.remove(m);
      m->server = nullptr;
      out->push_back(m);
    }
    m = next;
  }
}

const Request* ServerConn::last_queued() const {
  return !to_send_.empty() ? to_send_.back() : awaiting_.back();
}

uint64_t ServerConn::pinned_deadline(const Request& msg, const Request* before,
                                     uint64_t now) const {
  // The server answers a request once those before it on this connection
  // are answered, and a blocking one only after its own block (BLPOP's
  // timeout): the pool's timeout counts from then. So the deadline is the
  // one before it (or now plus the timeout) plus its block (and Redis's
  // lateness in ending a block), and deadlines still grow in queue order
  // (arm_timer relies on it).
  const uint64_t base = std::max(now + static_cast<uint64_t>(timeout_ms_),
                                 before != nullptr ? before->deadline : 0);
  if (msg.block_ms == 0) return base;
  if (base == Request::kNoDeadline || msg.block_ms == proto::Msg::kBlockForever ||
      msg.block_ms >= Request::kNoDeadline - base - kBlockExpirySlackMs) {
    return Request::kNoDeadline;
  }
  return base + msg.block_ms + kBlockExpirySlackMs;
}

void ServerConn::add_queue_stats(stats::ServerCounters* c) const {
  for (const ServerQueue* q : {&to_send_, &held_}) {
    for (Request* m = q->front(); m != nullptr; m = q->next(m)) {
      if (m->internal()) continue;
      ++c->in_queue;
      c->in_queue_bytes += m->request.size() - m->request_sent;
    }
  }
  for (Request* m = awaiting_.front(); m != nullptr; m = awaiting_.next(m)) {
    if (m->internal()) continue;
    ++c->out_queue;
    c->out_queue_bytes += m->request.size();
  }
}

void ServerConn::send_health_check(uint64_t patience_ms) {
  Request* m = ctx_.requests().get();
  m->kind = RequestKind::health_check;
  m->request.append_copy(ctx_.mbufs(), server_.protocol().health_check());
  enqueue(m);
  if (timeout_ms_ <= 0 && patience_ms > 0 && !writes_held_) {
    // No timeout to give it: the patience is its deadline, and that of the
    // connect and set-up before it on a fresh connection. A probe goes
    // only on a quiet or a fresh connection, so nothing else is queued and
    // deadlines still grow in queue order (arm_timer relies on it).
    const uint64_t now = now_ms();
    for (ServerQueue* q : {&awaiting_, &to_send_}) {
      for (Request* r = q->front(); r != nullptr; r = q->next(r)) {
        if (r->deadline == Request::kNoDeadline) r->deadline = now + patience_ms;
      }
    }
    arm_timer(now);
  }
}

void ServerConn::set_timeout(int timeout_ms) {
  if (timeout_ms == timeout_ms_) return;
  timeout_ms_ = timeout_ms;
  if (timeout_ms_ > 0) {
    restart_deadlines(now_ms());  // still growing in queue order
    return;
  }
  for (ServerQueue* q : {&awaiting_, &to_send_}) {
    for (Request* m = q->front(); m != nullptr; m = q->next(m)) {
      if (m->kind != RequestKind::health_check) m->deadline = Request::kNoDeadline;
    }
  }
  timer_.stop();
  arm_timer(now_ms());
}

bool ServerConn::quiet_since_last_look() {
  const bool quiet = idle() && reads_ == reads_at_last_look_;
  reads_at_last_look_ = reads_;
  return quiet;
}

// Requests on one connection share the pool's timeout, so their deadlines
// grow in queue order (older requests sit in awaiting_, newer ones in
// to_send_) and the first request that is not a placeholder is the next to
// expire. Placeholders stand where expired requests stood, all before it;
// their own deadlines (when the connection is given up on) come later than
// their requests' did, so each of them may be next.
void ServerConn::arm_timer(uint64_t now) {
  uint64_t next = Request::kNoDeadline;
  bool found_request = false;
  for (ServerQueue* q : {&awaiting_, &to_send_}) {
    for (Request* m = q->front(); m != nullptr && !found_request; m = q->next(m)) {
      next = std::min(next, m->deadline);
      found_request = m->kind != RequestKind::placeholder;
    }
  }
  if (next != Request::kNoDeadline) timer_.start(next > now ? next - now : 0);
}

namespace {
// A server that keeps not answering leaves placeholders behind; past this
// many the connection is taken as dead and closed (a new one is opened for
// the next request).
constexpr size_t kMaxPlaceholders = 1024;
}  // namespace

void ServerConn::on_timer() {
  const uint64_t now = now_ms();
  int expired = 0;
  for (ServerQueue* q : {&awaiting_, &to_send_}) {
    Request* m = q->front();
    while (m != nullptr) {
      Request* next = q->next(m);
      if (m->kind == RequestKind::placeholder) {
        if (m->deadline <= now && !still_reading(m, now)) {
          LOG_WARN("server '%s' sent nothing on fd %d for %d ms with a reply owed: "
                   "giving the connection up",
                   server_.label().c_str(), fd(), timeout_ms_);
          // Whatever is still queued gets the timeout too, before its own
          // deadline: count it as timed out, as its client sees it.
          count_timeouts(Request::kNoDeadline);
          fail_connection("Connection timed out");
          return;
        }
      } else if (m->deadline > now) {
        break;  // the requests after it are due later still
      } else if (m->kind == RequestKind::health_check && timeout_ms_ <= 0 && !connecting_ &&
                 clients_wait()) {
        // A probe's patience ran out in a pool with no timeout, and clients'
        // requests came behind it: they may wait as long as the server
        // takes, so the probe alone fails (counted against the server) and
        // stays as a placeholder, with no deadline, for its late answer.
        m->kind = RequestKind::placeholder;
        ++placeholders_;
        m->deadline = Request::kNoDeadline;
        server_.on_health_check(false);
      } else if (connecting_ || m->kind == RequestKind::setup ||
                 m->kind == RequestKind::health_check || pinned_) {
        // A connect that did not complete in time, walnut's own set-up
        // (AUTH, SELECT) or health check not answered in time, or a
        // client's own connection: the connection is no good. Closing it
        // answers everything queued with the timeout, and the next request
        // opens a fresh one that redoes the set-up. A client's own
        // connection carries its state (a transaction, a block, its
        // subscriptions), which a placeholder would leave running on the
        // server behind the client's back: a BLPOP that pops an element
        // for nobody, a command queued in MULTI that EXEC runs although
        // the client was told it failed, a subscription it was told failed.
        // Closed, the server drops them all, and the client hears of it
        // (ClientPins). walnut's other own requests (a cluster's ASKING and
        // CLUSTER SLOTS) time out as a client's do, on a connection that
        // stays.
        count_timeouts(now);
        fail_connection("Connection timed out");
        return;
      } else {
        if (!m->internal()) ++counters_.server_timedout;
        time_out(*q, m, now);
        ++expired;
      }
      m = next;
    }
    if (m != nullptr) break;
  }
  if (expired > 0) server_.on_failure("Connection timed out");
  if (placeholders_ > kMaxPlaceholders) {
    // Everything still queued is answered with the timeout as well, before
    // its own deadline: count it as timed out, as its client sees it.
    count_timeouts(Request::kNoDeadline);
    fail_connection("Connection timed out");
    return;
  }
  if (!closed_) arm_timer(now);
}

bool ServerConn::clients_wait() const {
  for (const ServerQueue* q : {&awaiting_, &to_send_}) {
    for (Request* m = q->front(); m != nullptr; m = q->next(m)) {
      if (!m->internal()) return true;
    }
  }
  return false;
}

bool ServerConn::still_reading(Request* placeholder, uint64_t now) {
  if (placeholder->server_reads == reads_) return false;
  // Bytes came (a long reply on its way, a busy server catching up): wait
  // another timeout for the late reply.
  placeholder->server_reads = reads_;
  placeholder->deadline = now + static_cast<uint64_t>(timeout_ms_);
  return true;
}

void ServerConn::count_timeouts(uint64_t now) {
  for (ServerQueue* q : {&awaiting_, &to_send_}) {
    for (Request* m = q->front(); m != nullptr; m = q->next(m)) {
      if (!m->internal() && m->deadline <= now) ++counters_.server_timedout;
    }
  }
}

void ServerConn::time_out(ServerQueue& queue, Request* msg, uint64_t now) {
  if (&queue == &to_send_ && msg->request_sent == 0) {
    to_send_.remove(msg);  // never sent: no reply will come for it
  } else {
    // Partly sent or awaiting its reply: a placeholder finishes the request
    // on the wire and swallows the late reply, if the connection shows
    // signs of life within another timeout.
    Request* placeholder = ctx_.requests().get();
    placeholder->kind = RequestKind::placeholder;
    ++placeholders_;
    placeholder->server = this;
    placeholder->request = std::move(msg->request);
    placeholder->request_sent = msg->request_sent;
    placeholder->replies_expected = msg->replies_expected;  // as many late replies
    placeholder->push = msg->push;  // an unsubscription's still ends push mode
    placeholder->deadline = now + static_cast<uint64_t>(timeout_ms_);
    placeholder->server_reads = reads_;
    queue.replace(msg, placeholder);
  }
  fail(msg, "Connection timed out");
}

void ServerConn::on_writable() {
  if (connecting_) {
    int err = net::connect_result(fd());
    if (err != 0) {
      fail_connection(std::strerror(err));
      return;
    }
    if (std::shared_ptr<net::TlsContext> tls = server_.tls_context()) {
      // Still connecting until the handshake is done (on_tls_ready): the
      // set-up and requests wait, and its deadlines are the connect's.
      LOG_INFO("connected to server '%s' on fd %d; TLS handshake", server_.label().c_str(),
               fd());
      start_tls(std::move(tls), server_.tls_peer_name(), 0);
      return;
    }
    connecting_ = false;
    LOG_INFO("connected to server '%s' on fd %d", server_.label().c_str(),
             fd());
    want_write(false);
  }
  flush();
}

void ServerConn::on_tls_ready() {
  connecting_ = false;
  flush();
}

void ServerConn::on_tls_failed(const std::string& why) { fail_connection(why); }

void ServerConn::hold_writes(bool on) {
  writes_held_ = on;
  if (on || closed_) return;
  // Queued in their order, each with its deadline from now on, as if the
  // client had sent them now.
  while (Request* m = held_.pop_front()) enqueue_counted(m);
}

bool ServerConn::blocking() const {
  for (const ServerQueue* q : {&awaiting_, &to_send_, &held_}) {
    for (Request* m = q->front(); m != nullptr; m = q->next(m)) {
      if (m->block_ms != 0) return true;
    }
  }
  return false;
}

void ServerConn::flush() {
  if (connecting_ || closed_) return;
  if (tls_output_pending() && write_some(nullptr, 0) < 0) {
    // What TLS took earlier goes first.
    if (errno == EAGAIN) {
      want_write(true);
    } else {
      fail_connection(io_error(errno));
    }
    return;
  }
  struct iovec iov[kMaxIov];
  // Bounded: each round writes up to kMaxIov slices.
  for (int round = 0; round < 64 && !to_send_.empty(); ++round) {
    int n = 0;
    uint64_t budget = kMaxWriteBytes;
    for (Request* m = to_send_.front(); m != nullptr && n < kMaxIov && budget > 0;
         m = to_send_.next(m)) {
      n += m->request.gather(iov + n, kMaxIov - n, m->request_sent, &budget);
    }
    ssize_t written = write_some(iov, n);
    if (written < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
        want_write(true);
        return;
      }
      fail_connection(io_error(errno));
      return;
    }
    uint64_t left = static_cast<uint64_t>(written);
    while (Request* m = to_send_.front()) {
      uint64_t remaining = m->request.size() - m->request_sent;
      if (left < remaining) {
        m->request_sent += left;
        break;
      }
      left -= remaining;
      m->request_sent = m->request.size();
      if (m->budget_charge != 0 && !keeps_sent_bytes_) {
        // A large request's bytes are not needed once written: give them
        // back now, not when its reply comes. One that may be redirected
        // keeps them, and its charge, until it is done.
        ctx_.request_budget().discharge(&m->budget_charge);
        m->request.clear();
      }
      to_send_.remove(m);
      // A placeholder only pairs with the late reply: its bytes can go.
      if (m->kind == RequestKind::placeholder) m->request.clear();
      awaiting_.push_back(m);
    }
    if (!to_send_.empty() && to_send_.front()->request_sent > 0 &&
        socket_full_after_short_write()) {
      want_write(true);
      return;
    }
  }
  want_write(!to_send_.empty());
}

void ServerConn::on_readable() {
  const auto always = [] { return true; };  // a server's replies are never held back
  const auto parse = [this] {
    ++reads_;
    return read_responses();
  };
  const auto read = [this](void* buf, size_t len) { return read_some(buf, len); };
  switch (reader_.read_all(read, kMaxReadsPerEvent, always, parse)) {
    case StreamReader::ReadStatus::kEof:
      fail_connection("Connection closed by server", true);
      return;
    case StreamReader::ReadStatus::kError:
      fail_connection(io_error(errno));
      return;
    case StreamReader::ReadStatus::kDrained:
    case StreamReader::ReadStatus::kFull:
      reader_.release_if_idle();
      return;
    case StreamReader::ReadStatus::kAgain:
    case StreamReader::ReadStatus::kStopped:
      return;
  }
}

bool ServerConn::may_redirect(const Request& m) const {
  // On a client's own connection: not what must stay where it is (a
  // transaction, a subscription). A block goes on to the client's own
  // connection at the other node (Forwarder::send_again).
  return !pinned_ || (!m.bound_to_server && m.push == Request::Push::kNone &&
                      m.replies_expected == 1);
}

// Inline: the shared path reads every reply through it.
inline void ServerConn::answered(Request* m) {
  server_.on_reply();
  if (!m->internal()) {
    stats::ServerCounters& c = counters_;
    ++c.responses;
    c.response_bytes += m->reply.size();
    if (m->reply_is_error && follows_redirects_ && may_redirect(*m)) {
      m->server = nullptr;
      if (server_.redirected(m)) return;
    }
  } else if (m->reply_is_error && m->kind == RequestKind::setup) {
    log_refused_setup(*m);
  }
  complete(m);
}

bool ServerConn::read_responses() {
  bool unexpected = false;
  bool ok = reader_.parse(*parser_, [&](buffer::MbufChain& chain) {
    // A client's own connection (push mode, several replies to one
    // request) apart, so that a shared one pays one test for it.
    if (pinned_) return pinned_reply(chain, &unexpected);
    Request* m = awaiting_.pop_front();
    if (m == nullptr) {
      unexpected = true;
      return false;
    }
    m->reply = std::move(chain);
    m->reply_is_error = parser_->is_error_reply();
    parser_->reset();
    answered(m);
    return true;
  });
  if (!ok) {
    LOG_WARN("server '%s' sent a malformed response: %s",
             server_.label().c_str(), std::string(parser_->error()).c_str());
    fail_connection("Protocol error from server: " + std::string(parser_->error()));
    return false;
  }
  if (unexpected) {
    LOG_WARN("server '%s' sent a response nobody asked for",
             server_.label().c_str());
    fail_connection("Unexpected response from server");
    return false;
  }
  return true;
}


bool ServerConn::pinned_reply(buffer::MbufChain& chain, bool* unexpected) {
  if (push_mode_ && server_.protocol().is_push_message(chain)) {
    parser_->reset();
    if (holder_ != nullptr) holder_->on_push(this, chain);
    return true;
  }
  Request* m = awaiting_.front();
  if (m == nullptr) {
    *unexpected = true;
    return false;
  }
  const bool is_error = parser_->is_error_reply();
  parser_->reset();
  if (m->push == Request::Push::kStarts && !is_error) push_mode_ = true;
  if (m->replies_expected > 1 && !is_error) {
    --m->replies_expected;  // one of several: gathered, the request waits on
    m->reply.append(chain, 0, chain.size());
    return true;
  }
  awaiting_.pop_front();
  if (m->push == Request::Push::kEnds) push_mode_ = false;
  if (m->reply.empty() || is_error) {
    m->reply = std::move(chain);  // an error ends the request whole
  } else {
    m->reply.append(chain, 0, chain.size());
  }
  m->reply_is_error = is_error;
  const bool blocked = m->block_ms != 0;
  answered(m);
  if (blocked && timeout_ms_ > 0) restart_deadlines(now_ms());
  return true;
}

void ServerConn::restart_deadlines(uint64_t now) {
  // The requests behind a block were given deadlines as if it took all its
  // time (or none, behind a block with no end); it ended now, so the server
  // starts on them now: their deadlines count from here, and the timer,
  // armed for the block's, follows.
  const Request* before = nullptr;
  for (ServerQueue* q : {&awaiting_, &to_send_}) {
    for (Request* m = q->front(); m != nullptr; m = q->next(m)) {
      m->deadline = pinned_deadline(*m, before, now);
      before = m;
    }
  }
  if (before == nullptr) {
    timer_.stop();  // nothing left to time
  } else {
    arm_timer(now);
  }
}

void ServerConn::log_refused_setup(const Request& msg) {
  std::string text = msg.reply.to_string();
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  LOG_WARN("server '%s' refused walnut's connection set-up: %s",
           server_.label().c_str(), text.c_str());
}

void ServerConn::complete(Request* msg) {
  if (msg->kind == RequestKind::placeholder) --placeholders_;
  if (msg->kind == RequestKind::health_check) server_.on_health_check(!msg->reply_is_error);
  msg->server = nullptr;
  deliver(ctx_, msg);
}

void ServerConn::fail(Request* msg, const std::string& cause) {
  msg->reply.clear();
  server_.protocol().error_reply(*msg, cause);
  complete(msg);
}

void ServerConn::fail_connection(const std::string& cause, bool eof) {
  if (closed_) return;
  if (eof) {
    ++counters_.server_eof;
  } else {
    ++counters_.server_err;
  }
  if (connecting_) {
    server_.on_connect_failed(cause);
  } else if (!(eof && pinned_ && !push_mode_ && awaiting_.empty() && to_send_.empty() &&
               held_.empty())) {
    // A client's own connection that owes nothing and is closed by the
    // server (Redis's idle `timeout`) is no failure of the server: with one
    // such connection per client, counting them would eject a healthy one.
    server_.on_failure(cause);
  }
  if (!pinned_) resend_lost();
  close(cause);
}

void ServerConn::resend_lost() {
  ServerConn* other = nullptr;
  for (ServerQueue* q : {&awaiting_, &to_send_}) {
    Request* m = q->front();
    while (m != nullptr) {
      Request* next = q->next(m);
      if (!m->internal()) {
        if (other == nullptr) other = server_.resend_lost_to();
        if (other == nullptr) return;
        WALNUT_DCHECK(!m->request.empty());  // kept: keeps_sent_bytes_
        q->remove(m);
        m->server = nullptr;
        m->request_sent = 0;
        other->enqueue_again(m);
      }
      m = next;
    }
  }
}

namespace {
std::string count_of(size_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}
}  // namespace

void ServerConn::close(const std::string& reason) {
  if (closed_) return;
  timer_.reset();
  // One line for the connection, however many requests it held.
  size_t requests = 0;
  for (ServerQueue* q : {&awaiting_, &to_send_, &held_}) {
    for (Request* m = q->front(); m != nullptr; m = q->next(m)) {
      if (!m->internal()) ++requests;
    }
  }
  LOG_INFO("closing server '%s' connection on fd %d: %s; %s failed with it, %s no "
           "longer awaited",
           server_.label().c_str(), fd(), reason.c_str(),
           count_of(requests, "request", "requests").c_str(),
           count_of(placeholders_, "late reply", "late replies").c_str());
  release_socket();
  reader_.release();
  if (holder_ != nullptr) {
    PinHolder* holder = holder_;
    holder_ = nullptr;
    holder->on_pin_closed(this);
  }
  server_.on_conn_closed(this);
  while (Request* m = awaiting_.pop_front()) fail(m, reason);
  while (Request* m = to_send_.pop_front()) fail(m, reason);
  while (Request* m = held_.pop_front()) fail(m, reason);
}

}  // namespace walnut::proxy
