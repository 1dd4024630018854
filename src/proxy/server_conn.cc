// Handlers of a backend connection: connect, write requests, read and pair
// responses, fail what it holds when it dies.
#include "proxy/server_conn.h"

#include <sys/uio.h>

#include <cerrno>
#include <cstring>

#include "common/log.h"
#include "proxy/client_conn.h"
#include "proxy/context.h"
#include "proxy/server.h"
#include "proxy/server_pool.h"

namespace walnut::proxy {

ServerConn::ServerConn(Context& ctx, Server& server, int fd)
    : Conn(ctx, fd),
      server_(server),
      reader_(ctx.mbufs()),
      parser_(server.pool().protocol().new_response_parser()) {
  watch();
  want_write(true);  // tells us when the connect completes
  // AUTH and SELECT go first; their replies are read and dropped.
  for (const std::string& request : server.pool().protocol().handshake()) {
    proto::Msg* m = ctx.new_msg();
    m->internal = true;
    m->request.append_copy(ctx.mbufs(), request);
    enqueue(m);
  }
}

void ServerConn::enqueue(proto::Msg* msg) {
  msg->server = this;
  to_send_.push_back(msg);
  if (!connecting_) ctx_.schedule_flush(this);
}

void ServerConn::on_writable() {
  if (connecting_) {
    int err = net::connect_result(fd());
    if (err != 0) {
      close(std::strerror(err));
      return;
    }
    connecting_ = false;
    LOG_INFO("connected to server '%s' on fd %d", server_.label().c_str(),
             fd());
    want_write(false);
  }
  flush();
}

void ServerConn::flush() {
  if (connecting_ || closed_) return;
  struct iovec iov[kMaxIov];
  // Bounded: each round writes up to kMaxIov slices.
  for (int round = 0; round < 64 && !to_send_.empty(); ++round) {
    int n = 0;
    for (proto::Msg* m = to_send_.front(); m != nullptr && n < kMaxIov;
         m = to_send_.next(m)) {
      n += m->request.gather(iov + n, kMaxIov - n, m->request_sent);
    }
    ssize_t written = ::writev(fd(), iov, n);
    if (written < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
        want_write(true);
        return;
      }
      close(std::strerror(errno));
      return;
    }
    uint64_t left = static_cast<uint64_t>(written);
    while (proto::Msg* m = to_send_.front()) {
      uint64_t remaining = m->request.size() - m->request_sent;
      if (left < remaining) {
        m->request_sent += left;
        break;
      }
      left -= remaining;
      m->request_sent = m->request.size();
      to_send_.remove(m);
      awaiting_.push_back(m);
    }
    if (!to_send_.empty() && to_send_.front()->request_sent > 0) {
      // A short write: the socket buffer is full.
      want_write(true);
      return;
    }
  }
  want_write(!to_send_.empty());
}

void ServerConn::on_readable() {
  for (int i = 0; i < kMaxReadsPerEvent; ++i) {
    ssize_t n = 0;
    StreamReader::ReadStatus status = reader_.read_from(fd(), &n);
    switch (status) {
      case StreamReader::ReadStatus::kAgain:
        return;
      case StreamReader::ReadStatus::kEof:
        close("Connection closed by server");
        return;
      case StreamReader::ReadStatus::kError:
        close(std::strerror(errno));
        return;
      case StreamReader::ReadStatus::kData:
      case StreamReader::ReadStatus::kFull:
        break;
    }
    if (!read_responses()) return;
    if (status == StreamReader::ReadStatus::kData) break;
  }
  reader_.release_if_idle();
}

bool ServerConn::read_responses() {
  bool unexpected = false;
  bool ok = reader_.parse(*parser_, [&](buffer::MbufChain& chain) {
    proto::Msg* m = awaiting_.pop_front();
    if (m == nullptr) {
      unexpected = true;
      return false;
    }
    m->reply = std::move(chain);
    m->reply_is_error = parser_->is_error_reply();
    parser_->reset();
    complete(m);
    return true;
  });
  if (!ok) {
    LOG_WARN("server '%s' sent a malformed response: %s",
             server_.label().c_str(), std::string(parser_->error()).c_str());
    close("Protocol error from server: " + std::string(parser_->error()));
    return false;
  }
  if (unexpected) {
    LOG_WARN("server '%s' sent a response nobody asked for",
             server_.label().c_str());
    close("Unexpected response from server");
    return false;
  }
  return true;
}

void ServerConn::complete(proto::Msg* msg) {
  if (msg->internal && msg->reply_is_error) {
    std::string text = msg->reply.to_string();
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    LOG_WARN("server '%s' refused walnut's connection set-up: %s",
             server_.label().c_str(), text.c_str());
  }
  server_.pool().finish(msg);
}

void ServerConn::fail(proto::Msg* msg, const std::string& cause) {
  msg->reply.clear();
  server_.pool().protocol().error_reply(*msg, cause, ctx_.mbufs());
  complete(msg);
}

void ServerConn::close(const std::string& reason) {
  if (closed_) return;
  LOG_INFO("closing server '%s' connection on fd %d: %s",
           server_.label().c_str(), fd(), reason.c_str());
  release_socket();
  reader_.release();
  server_.on_conn_closed(this);
  while (proto::Msg* m = awaiting_.pop_front()) fail(m, reason);
  while (proto::Msg* m = to_send_.pop_front()) fail(m, reason);
}

}  // namespace walnut::proxy
