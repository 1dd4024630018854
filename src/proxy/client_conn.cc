// Handlers of a client connection: read and parse requests, hand them to the
// pool, write replies in order.
#include "proxy/client_conn.h"

#include <sys/uio.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "common/clock.h"
#include "common/dcheck.h"
#include "common/log.h"
#include "net/socket.h"
#include "proto/command.h"
#include "proxy/context.h"
#include "proxy/message_place.h"
#include "proxy/pool_stats.h"
#include "proxy/server_pool.h"

namespace walnut::proxy {

namespace {
// What a queued request costs besides its reply's bytes: the Msg, its
// vectors and the slices of the read buffer it pins (an estimate; the limit
// is about orders of magnitude, not bytes).
constexpr uint64_t kMsgCost = 512;
// Until a client's replies say how large they are, each one on its way
// counts as this fraction of client_output_limit: at most this many
// requests go out at first, however large their replies turn out to be.
constexpr uint64_t kFirstWindow = 256;
}  // namespace

ClientConn::ClientConn(Context& ctx, ServerPool& pool, int fd)
    : Conn(ctx, fd),
      pool_(pool),
      reader_(ctx.mbufs(), ctx.large_mbufs()),
      output_limit_(static_cast<uint64_t>(pool.spec().client_output_limit)),
      reply_estimate_(output_limit_ / kFirstWindow) {
  // Every connection counts once in total_connections: its value now is
  // unique, like Redis's client ids.
  start_session({ctx.totals().total_connections, now_ms()});
}

ClientConn::ClientConn(Context& ctx, ServerPool& pool, int fd, const Arrival& arrival)
    : Conn(ctx, fd, CountedAlready{}),
      pool_(pool),
      reader_(ctx.mbufs(), ctx.large_mbufs()),
      output_limit_(static_cast<uint64_t>(pool.spec().client_output_limit)),
      reply_estimate_(output_limit_ / kFirstWindow) {
  start_session(arrival);
}

void ClientConn::start_session(const Arrival& arrival) {
  session_.id = arrival.id;
  session_.fd = fd();
  session_.peer_text = net::peer_text;
  session_.local_text = net::local_text;
  session_.connected_ms = arrival.connected_ms;
  watch();
}

ClientPins& ClientConn::pins() {
  if (pins_ == nullptr) {
    pins_ = std::make_unique<ClientPins>();
    pins_->listen(this, &queue_);
    // Made while the newest request is dispatched: a connection opened for
    // it waits for what came before (see dispatch()).
    pins_->set_barrier(queue_.back());
  }
  return *pins_;
}

Transaction& ClientConn::transaction() {
  if (transaction_ == nullptr) {
    transaction_ = std::make_unique<Transaction>(ctx_, pool_.forwarder(), pool_.protocol(), pins(),
                                                 session_);
  }
  return *transaction_;
}

Subscriptions& ClientConn::subscriptions() {
  if (subscriptions_ == nullptr) {
    // The base is private: converted here, where it is accessible.
    Subscriptions::Client& client = *this;
    subscriptions_ = std::make_unique<Subscriptions>(ctx_, pool_.forwarder(), pool_.protocol(),
                                                     pins(), session_, client);
  }
  return *subscriptions_;
}

void ClientConn::start_tls(std::shared_ptr<net::TlsContext> context) {
  Conn::start_tls(std::move(context), "",
                  static_cast<uint64_t>(pool_.spec().tls_handshake_timeout));
}

void ClientConn::on_tls_failed(const std::string& why) {
  if (tls_closed_before_hello()) {
    close(why);
    return;
  }
  // Worth more than the usual closing line: a client that cannot talk to
  // walnut at all (plain text, an old protocol, a certificate refused).
  LOG_NOTICE("client on fd %d of pool '%s' failed its TLS handshake: %s", fd(),
             pool_.spec().name.c_str(), why.c_str());
  ++pool_.counters().client_err;
  close("TLS handshake failed");
}

uint64_t ClientConn::held_bytes() const {
  return queue_.size() * kMsgCost + reply_bytes_ + replies_pending_ * reply_estimate_;
}

void ClientConn::learn_reply_size(uint64_t bytes) {
  // Up at once to a larger reply, down slowly: one large reply among small
  // ones keeps the estimate up for a while, so that alternating sizes
  // cannot slip many large replies under it.
  reply_estimate_ = std::max(bytes, reply_estimate_ - reply_estimate_ / 16);
}

void ClientConn::pause_if_over_limit() {
  // After every request: the common case must cost a compare or two.
  if (paused_ || output_limit_ == 0 || held_bytes() <= output_limit_) return;
  pause();
}

void ClientConn::pause() {
  paused_ = true;
  update_read_interest();
  if (pause_logged_) return;  // once per connection: it may pause often
  pause_logged_ = true;
  LOG_NOTICE("client on fd %d: %llu bytes of replies held or on their way, over "
           "client_output_limit; not reading from it until it takes its replies",
           fd(), static_cast<unsigned long long>(held_bytes()));
}

void ClientConn::set_output_limit(uint64_t limit) {
  output_limit_ = limit;
  // Until its replies say how large they are, as for a client that
  // connects now.
  if (reply_estimate_ == 0) reply_estimate_ = limit / kFirstWindow;
  resume_if_under_limit();
  pause_if_over_limit();
}

void ClientConn::resume_if_under_limit() {
  if (!paused_ || (output_limit_ != 0 && held_bytes() > output_limit_ / 2)) return;
  paused_ = false;
  if (!reading_) return;
  update_read_interest();
  if (reader_.has_unparsed()) {
    // Requests read before the pause wait in the buffer: parse them on the
    // next flush (not here, inside a write or a server's reply).
    parse_pending_ = true;
    ctx_.schedule_flush(this);
  }
}

void ClientConn::on_readable() {
  // What a pause left unparsed goes first: a read must find it parsed.
  if (reading_ && reader_.has_unparsed() && !parse_input()) return;
  const auto read = [this](void* buf, size_t len) { return read_some(buf, len); };
  const StreamReader::ReadStatus status = reader_.read_all(
      read, kMaxReadsPerEvent, [this] { return ready_to_read(); }, [this] { return parse_input(); });
  if (status == StreamReader::ReadStatus::kEof) {
    // The client may still wait for replies (a half-closed socket):
    // deliver them, then close.
    ++pool_.counters().client_eof;
    stop_reading();
    // Its blocking commands end with it, as they do when a client leaves
    // Redis: a blocked one must not take an element nobody will read.
    if (pins_ != nullptr && pins_->any()) pins_->close_blocking("its client left while blocked");
    // TLS may still hold replies' bytes: flush() closes once they went.
    if (queue_.empty() && !tls_output_pending()) close("client closed the connection");
  } else if (status == StreamReader::ReadStatus::kError) {
    ++pool_.counters().client_err;
    close(io_error(errno));
  }
}

bool ClientConn::ready_to_read() {
  if (!reading_) return false;
  pause_if_over_limit();
  if (paused_) return false;
  if (!ctx_.request_budget().may_read(*this)) {
    // In the middle of a large request while all clients' unfinished
    // requests are over --request-buffer-limit: wait for older ones.
    ctx_.request_budget().wait(*this);
    update_read_interest();
    return false;
  }
  return true;
}

bool ClientConn::parse_input() {
  // Made on the first bytes: a connection that never sends costs less.
  if (parser_ == nullptr) parser_ = pool_.protocol().new_request_parser();
  bool ok = reader_.parse(*parser_, [this](buffer::MbufChain& chain) {
    return on_request(chain);
  });
  if (!ok) {
    on_protocol_error();
    return false;
  }
  ctx_.request_budget().update(*this, reader_.mid_message() ? reader_.unfinished_bytes() : 0);
  return reading_ && !paused_;
}

bool ClientConn::on_request(buffer::MbufChain& chain) {
  Request* msg = ctx_.requests().get();
  msg->read_tick = ctx_.next_request_tick();
  msg->request = std::move(chain);
  parser_->take_tokens(msg->tokens);
  parser_->reset();
  msg->waiter = this;
  queue_.push_back(msg);
  ++replies_pending_;
  ctx_.request_budget().charge(msg->request.size(), &msg->budget_charge);
  if (ctx_.totals().metrics) msg->arrived_us = monotonic_us();

  proto::Action action = pool_.protocol().classify(*msg, session_);
  if (ctx_.totals().metrics && msg->command != nullptr) ++pool_.metrics().commands[msg->command->name];
  if ((action == proto::Action::kForward || action == proto::Action::kFragment) &&
      !session_.in_transaction) {
    // The common cases, straight to their servers. A client with
    // connections of its own may be watching keys (one test covers both).
    if (pins_ != nullptr && pins_->any()) {
      msg->pins = pins_.get();
      msg->reads_master = watching();
    }
    pool_.forwarder().forward(action, msg);
  } else {
    dispatch(action, msg);
  }
  // Forwarding stops, not only reading: the requests already read wait in
  // the buffer, so their replies cannot pile up past the limit.
  pause_if_over_limit();
  return reading_ && !paused_;
}

void ClientConn::dispatch(proto::Action action, Request* msg) {
  if (pins_ != nullptr) {
    if (pins_->any()) msg->pins = pins_.get();
    pins_->set_barrier(msg);  // a connection of its own opened now waits for what came before
  }
  msg->reads_master = watching();
  // Inside MULTI every request belongs to the transaction.
  if (session_.in_transaction || action == proto::Action::kTransaction) {
    msg->bound_to_server = true;
    if (transaction().take(action, msg)) {
      if (pins_ != nullptr && pins_->gated()) pins_->open_gates();
      return;
    }
    msg->bound_to_server = false;
  }
  answer_or_send(action, msg);
  if (pins_ != nullptr && pins_->gated()) pins_->open_gates();
}

void ClientConn::answer_or_send(proto::Action action, Request* msg) {
  switch (action) {
    case proto::Action::kDiscard:
      queue_.remove(msg);
      --replies_pending_;
      ctx_.requests().put(msg);
      break;
    case proto::Action::kReply:
      msg->done = true;
      reply_ready(msg);
      break;
    case proto::Action::kStats:
      answer_stats(ctx_, pool_, msg);
      if (pool_.protocol().stats_need_servers(*msg)) {
        pool_.forwarder().forward(proto::Action::kAllServers, msg);  // INFO's Keyspace
        break;
      }
      msg->done = true;
      reply_ready(msg);
      break;
    case proto::Action::kReplyClose:
      msg->done = true;
      msg->close_after = true;
      stop_reading();
      reply_ready(msg);
      break;
    case proto::Action::kForward:
    case proto::Action::kFragment:
    case proto::Action::kAllServers:
    case proto::Action::kCursor:
      pool_.forwarder().forward(action, msg);
      break;
    case proto::Action::kBlocking:
      pool_.forwarder().forward_blocking(msg, pins());
      break;
    case proto::Action::kSubscription:
      subscriptions().take(msg);
      break;
    case proto::Action::kTransaction:
      break;  // taken by the transaction
  }
}

void ClientConn::on_pin_lost(uint32_t server_index) {
  if (transaction_ != nullptr) transaction_->on_pin_lost(server_index);
  if (subscriptions_ != nullptr && subscriptions_->on_pin_lost(server_index) && reading_) {
    // Its subscriptions there are gone: closed once its replies are out,
    // it reconnects and subscribes again, as after a direct connection.
    LOG_INFO("client on fd %d: lost its subscriptions with a server connection; closing it",
             fd());
    drain();
  }
}

void ClientConn::on_ring_changed() {
  if (!reading_ || subscriptions_ == nullptr || subscriptions_->live_where_they_route()) return;
  LOG_INFO("client on fd %d: its subscriptions route elsewhere after a reload; closing it", fd());
  drain();
}

void ClientConn::on_message(ServerConn* from, buffer::MbufChain& message) {
  if (closed_) return;
  // For a subscription the client was told failed: it never had it.
  if (subscriptions_ != nullptr && subscriptions_->withdrawing() &&
      subscriptions_->withdrawn(message)) {
    return;
  }
  // A reply nobody asked for, in its turn among the replies: before those
  // its server has not sent yet (message_place.h). With no reply pending,
  // at the end at once.
  Request* m = ctx_.requests().get();
  m->kind = RequestKind::message;
  m->reply = std::move(message);
  Request* before = replies_pending_ > 0 ? message_place(queue_, from) : nullptr;
  if (before != nullptr) {
    queue_.insert_before(before, m);
  } else {
    queue_.push_back(m);
  }
  ++replies_pending_;
  m->done = true;
  reply_ready(m);
  if (output_limit_ != 0 && held_bytes() > output_limit_ && !overflowed_) {
    // Messages come whether the client reads or not: like Redis with a
    // subscriber over its output buffer limit, walnut lets it go (at the
    // next flush: this runs inside its server connection's read).
    LOG_NOTICE("client on fd %d: %llu bytes of published messages not taken, over "
               "client_output_limit; closing it",
               fd(), static_cast<unsigned long long>(held_bytes()));
    overflowed_ = true;
    stop_reading();
    ctx_.schedule_flush(this);
  }
}

void ClientConn::drop_withdrawn_messages(const Request* request) {
  // Behind `request`, not answered yet: none of them was written. A client
  // closing has emptied its queue already.
  if (closed_ || !request->client_hook.linked()) return;
  Request* m = queue_.next(const_cast<Request*>(request));
  while (m != nullptr) {
    Request* next = queue_.next(m);
    if (m->kind == RequestKind::message && subscriptions_->withdrawn(m->reply)) {
      queue_.remove(m);
      reply_bytes_ -= m->reply.size();
      ctx_.requests().put(m);
    }
    m = next;
  }
}

void ClientConn::on_protocol_error() {
  ++pool_.counters().client_err;
  LOG_INFO("client on fd %d sent malformed input: %s", fd(),
           std::string(parser_->error()).c_str());
  Request* msg = ctx_.requests().get();
  pool_.protocol().protocol_error_reply(*msg, parser_->error());
  msg->done = true;
  msg->close_after = true;
  queue_.push_back(msg);
  ++replies_pending_;
  stop_reading();
  reply_ready(msg);
}

void ClientConn::drain() {
  stop_reading();
  ctx_.schedule_flush(this);  // an idle client closes at its next flush
}

void ClientConn::stop_reading() {
  // The read buffer stays until close: this may run inside reader_.parse().
  reading_ = false;
  update_read_interest();
}

void ClientConn::update_read_interest() {
  want_read(reading_ && !paused_ && !waiting_for_budget());
}

void ClientConn::budget_available() { update_read_interest(); }

void ClientConn::on_reply(Request* msg) {
  if (msg->silent) {
    // The server answers (walnut strips "noreply" to keep replies paired
    // with requests); the client asked for nothing, so it gets nothing.
    if (msg->reply_is_error) {
      LOG_INFO("pool '%s': a noreply request failed: %s", pool_.spec().name.c_str(),
               msg->reply.to_string().c_str());
    }
    msg->reply.clear();
  }
  reply_ready(msg);
}

void ClientConn::reply_ready(Request* msg) {
  WALNUT_DCHECK(replies_pending_ > 0 && msg->client_hook.linked());
  --replies_pending_;
  reply_bytes_ += msg->reply.size();
  learn_reply_size(msg->reply.size());
  if (paused_) resume_if_under_limit();
  if (msg->arrived_us != 0) pool_.metrics().latency.observe(monotonic_us() - msg->arrived_us);
  if (pins_ != nullptr && pins_->gated()) pins_->open_gates();
  Request* head = queue_.front();
  if (head != nullptr && head->done) ctx_.schedule_flush(this);
}

void ClientConn::flush() {
  if (overflowed_) {
    close("subscriber over client_output_limit");
    return;
  }
  if (parse_pending_) {
    parse_pending_ = false;
    on_readable();
    if (closed_) return;
  }
  // Bounded: each round writes up to kMaxIov slices of ready replies.
  for (int round = 0; round < 64; ++round) {
    if (!write_replies()) return;
    Request* head = queue_.front();
    if (head == nullptr || !head->done) break;
    if (head->reply_sent > 0 && socket_full_after_short_write()) return;  // wait for writable
  }
  Request* head = queue_.front();
  if (head != nullptr && head->done) {
    want_write(true);  // the round limit hit with replies still ready
    return;
  }
  if (head == nullptr && !reading_) {
    if (tls_output_pending()) return;  // closed once TLS sent the last bytes
    close("client closed the connection");
    return;
  }
  reader_.release_if_idle();
}

bool ClientConn::write_replies() {
  struct iovec iov[kMaxIov];
  int n = 0;
  uint64_t budget = kMaxWriteBytes;
  for (Request* m = queue_.front(); m != nullptr && m->done && n < kMaxIov && budget > 0;
       m = queue_.next(m)) {
    n += m->reply.gather(iov + n, kMaxIov - n, m->reply_sent, &budget);
  }
  ssize_t written = 0;
  if (n > 0 || tls_output_pending()) {
    written = write_some(iov, n);
    if (written < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
        want_write(true);
        return false;
      }
      ++pool_.counters().client_err;
      close(io_error(errno));
      return false;
    }
  }
  uint64_t left = static_cast<uint64_t>(written);
  while (Request* m = queue_.front()) {
    if (!m->done) break;
    uint64_t remaining = m->reply.size() - m->reply_sent;
    if (left < remaining) {
      m->reply_sent += left;
      want_write(true);
      return true;
    }
    left -= remaining;
    queue_.remove(m);
    reply_bytes_ -= m->reply.size();
    bool close_now = m->close_after;
    ctx_.requests().put(m);
    if (close_now) {
      if (tls_output_pending()) {
        // TLS holds the reply's last bytes: flush() closes once they went.
        stop_reading();
        want_write(true);
        return false;
      }
      close("closing after the last reply");
      return false;
    }
    if (left == 0 && queue_.front() != nullptr &&
        queue_.front()->reply.size() > 0) {
      break;
    }
  }
  want_write(false);
  resume_if_under_limit();
  return true;
}

void ClientConn::close(const std::string& reason) {
  if (closed_) return;
  LOG_INFO("closing client on fd %d: %s", fd(), reason.c_str());
  release_socket();
  reader_.release();
  ctx_.request_budget().release(*this);
  while (Request* m = queue_.pop_front()) {
    if (m->server != nullptr || m->parked || m->join.waiting()) {
      m->waiter = nullptr;  // dropped when its reply (or last part) comes
      // Its own connections go with it: a redirect of it, or of a part,
      // must not look for them.
      m->pins = nullptr;
      for (size_t f = 0; f < m->fragments.size(); ++f) m->fragment(f)->pins = nullptr;
    } else {
      ctx_.requests().put(m);
    }
  }
  if (transaction_ != nullptr) transaction_->forget();
  if (pins_ != nullptr) pins_->close_all("its client left");  // its subscriptions end with them
  pool_.on_client_closed(this);
}

}  // namespace walnut::proxy
