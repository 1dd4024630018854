// Opening, finding and closing a client's own server connections.
#include "proxy/client_pins.h"

#include <algorithm>

#include "proxy/server.h"

namespace walnut::proxy {

ServerConn* ClientPins::get(Server& server, std::string* error) {
  return get_behind(server, barrier_, error);
}

ServerConn* ClientPins::get_behind(Server& server, const Request* barrier, std::string* error) {
  const uint32_t i = server.index();
  if (ServerConn* conn = find(i)) return conn;
  ServerConn* conn = server.open_pinned(*this, error);
  if (conn == nullptr) return nullptr;
  if (conns_.size() <= i) conns_.resize(i + 1, nullptr);
  conns_[i] = conn;
  ++open_;
  conn->hold_writes(true);
  gates_.push_back({i, barrier});
  gated_ = true;
  return conn;
}

ServerConn* ClientPins::get_again(Server& server, const Request* request, std::string* error) {
  ServerConn* conn = get_behind(server, request, error);
  // Nothing else may come to open a new gate: every request before this
  // one may be answered already.
  if (gated_) open_gates();
  return conn;
}

void ClientPins::open_gates() {
  for (auto gate = gates_.begin(); gate != gates_.end();) {
    bool earlier_pending = false;
    for (Request* m = queue_->front(); m != nullptr && m != gate->barrier; m = queue_->next(m)) {
      if (!m->done) {
        earlier_pending = true;
        break;
      }
    }
    if (earlier_pending) {
      ++gate;
      continue;
    }
    if (ServerConn* conn = find(gate->server)) conn->hold_writes(false);
    gate = gates_.erase(gate);
  }
  gated_ = !gates_.empty();
}

void ClientPins::close_blocking(const std::string& reason) {
  for (ServerConn* conn : conns_) {
    if (conn != nullptr && conn->blocking()) conn->close(reason);  // tells on_pin_closed
  }
}

void ClientPins::close_all(const std::string& reason) {
  for (ServerConn*& conn : conns_) {
    if (conn == nullptr) continue;
    ServerConn* closing = conn;
    conn = nullptr;
    closing->detach_holder();  // the client is going: nothing to tell it
    closing->close(reason);
  }
  open_ = 0;
  gates_.clear();
  gated_ = false;
}

void ClientPins::on_pin_closed(ServerConn* conn) {
  for (uint32_t i = 0; i < conns_.size(); ++i) {
    if (conns_[i] != conn) continue;
    conns_[i] = nullptr;
    --open_;
    std::erase_if(gates_, [i](const Gate& g) { return g.server == i; });
    gated_ = !gates_.empty();
    if (listener_ != nullptr) listener_->on_pin_lost(i);
    return;
  }
}

void ClientPins::on_push(ServerConn* conn, buffer::MbufChain& message) {
  if (listener_ != nullptr) listener_->on_message(conn, message);
}

}  // namespace walnut::proxy
