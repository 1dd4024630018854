// The steps of a client's transaction.
#include "proxy/transaction.h"

#include "proto/command.h"
#include "proxy/context.h"
#include "proxy/forwarder.h"
#include "proxy/server.h"

namespace walnut::proxy {

using proto::Action;
using proto::TransactionStep;

bool Transaction::take(Action action, Request* msg) {
  switch (action) {
    case Action::kTransaction:
      switch (protocol_.transaction_step(*msg)) {
        case TransactionStep::kMulti: multi(msg); break;
        case TransactionStep::kExec: exec(msg); break;
        case TransactionStep::kDiscard: discard(msg); break;
        case TransactionStep::kWatch: watch(msg); break;
        case TransactionStep::kUnwatch: unwatch(msg); break;
      }
      return true;
    case Action::kForward:
    case Action::kFragment:
    case Action::kBlocking:
    case Action::kAllServers:
    case Action::kCursor:
      queue(action, msg);
      return true;
    default:
      if (!msg->reply_is_error) return false;
      if (msg->command != nullptr && msg->command->kind == proto::CommandKind::kTransaction &&
          protocol_.transaction_step(*msg) == TransactionStep::kExec) {
        abort();  // a malformed EXEC ends the transaction (its answer says so)
      } else {
        doom();  // Redis fails EXEC after a command it refused at queue time
      }
      return false;
  }
}

void Transaction::multi(Request* msg) {
  if (state_ == State::kMulti) {
    answer(msg, protocol_.transaction().nested);  // the transaction goes on
    return;
  }
  state_ = State::kMulti;
  session_.in_transaction = true;
  answer(msg, protocol_.transaction().ok);
}

void Transaction::queue(Action action, Request* msg) {
  if (doomed_) {
    // EXEC will fail whatever comes: Redis still queues what it can.
    answer(msg, protocol_.transaction().queued);
    return;
  }
  if ((action == Action::kAllServers || action == Action::kCursor) &&
      forwarder_.everywhere().size() > 1) {
    refuse(msg, "this command spans every server of the pool and cannot run in a transaction");
    return;
  }
  if (msg->keys.empty()) {
    if (server_ == nullptr) {
      // It goes where the first key says, later; the client may wait for
      // this answer before it sends that key, so it gets Redis's now.
      Request* copy = ctx_.requests().get();
      copy->kind = RequestKind::transaction;  // the server's QUEUED is dropped
      copy->request.append(msg->request, 0, msg->request.size());  // shared, not copied
      held_.push_back(copy);
      answer(msg, protocol_.transaction().queued);
      return;
    }
  } else {
    std::string error;
    Server* server = forwarder_.route(*msg, &error);
    if (server == nullptr) {
      refuse(msg, error);
      return;
    }
    if (server_ == nullptr) {
      server_ = server;
    } else if (server != server_) {
      refuse(msg, "keys of one transaction must live on one server: this transaction runs on '" +
                      server_->label() + "', this command's keys live on '" + server->label() +
                      "'");
      return;
    }
  }
  std::string error;
  ServerConn* conn = start(&error);
  if (conn == nullptr) {
    refuse(msg, error);
    return;
  }
  conn->enqueue(msg);
}

ServerConn* Transaction::start(std::string* error) {
  ServerConn* conn = pins_.get(*server_, error);
  if (conn == nullptr) {
    drop_held();
    return nullptr;
  }
  if (!multi_sent_) {
    send_own(conn, protocol_.transaction().multi);
    multi_sent_ = true;
  }
  for (Request* held : held_) conn->enqueue(held);
  held_.clear();
  return conn;
}

void Transaction::exec(Request* msg) {
  if (state_ != State::kMulti) {
    answer(msg, protocol_.transaction().exec_without_multi);
    return;
  }
  if (doomed_) {
    answer(msg, protocol_.transaction().exec_abort);
    abort();
    return;
  }
  std::string error;
  if (server_ == nullptr) server_ = forwarder_.route(*msg, &error);  // keyless: any server
  if (server_ == nullptr) {
    forwarder_.answer_error(msg, error);
  } else {
    send_started(msg);
  }
  end();
}

void Transaction::send_started(Request* msg) {
  std::string error;
  ServerConn* conn = start(&error);
  if (conn == nullptr) {
    forwarder_.answer_error(msg, error);
  } else {
    conn->enqueue(msg);
  }
}

void Transaction::discard(Request* msg) {
  if (state_ != State::kMulti) {
    answer(msg, protocol_.transaction().discard_without_multi);
    return;
  }
  ServerConn* own = server_ == nullptr ? nullptr : pins_.find(server_->index());
  if (!multi_sent_ && own == nullptr) {
    // Nothing reached a server, or what did went with the connection.
    answer(msg, protocol_.transaction().ok);
  } else {
    send_started(msg);  // the server drops its queue and its watches
  }
  end();
}

void Transaction::watch(Request* msg) {
  if (state_ == State::kMulti) {
    answer(msg, protocol_.transaction().watch_in_multi);
    return;
  }
  // A WATCH that did not happen must fail the EXEC it was meant to guard.
  std::string error;
  Server* server = forwarder_.route(*msg, &error);
  if (server == nullptr) {
    refuse(msg, error);
    return;
  }
  if (server_ != nullptr && server != server_) {
    refuse(msg, "keys of one transaction must live on one server: keys already watched live on '" +
                    server_->label() + "', these on '" + server->label() + "'");
    return;
  }
  server_ = server;
  state_ = State::kWatching;
  if (!forwarder_.send_pinned(*server, msg, pins_)) doom();
}

void Transaction::unwatch(Request* msg) {
  if (state_ == State::kMulti) {
    queue(Action::kForward, msg);  // Redis queues it like any command
    return;
  }
  ServerConn* conn = server_ == nullptr ? nullptr : pins_.find(server_->index());
  if (conn != nullptr) {
    conn->enqueue(msg);
  } else {
    answer(msg, protocol_.transaction().ok);
  }
  end();
}

void Transaction::send_own(ServerConn* conn, const std::string& request) {
  Request* own = ctx_.requests().get();
  own->kind = RequestKind::transaction;  // its reply is dropped
  own->request.append_copy(ctx_.mbufs(), request);
  conn->enqueue(own);
}

void Transaction::doom() {
  doomed_ = true;
  drop_held();  // EXEC will fail: they need not reach the server
}

void Transaction::drop_held() {
  for (Request* held : held_) ctx_.requests().put(held);
  held_.clear();
}

void Transaction::abort() {
  // The server drops the queue (DISCARD), or the watches when MULTI never
  // reached it (UNWATCH): a WATCH left there would fail the client's next
  // EXEC, which walnut told nothing is watched.
  ServerConn* own = server_ == nullptr ? nullptr : pins_.find(server_->index());
  if (own != nullptr) {
    send_own(own, multi_sent_ ? protocol_.transaction().discard : protocol_.transaction().unwatch);
  }
  end();
}

void Transaction::answer(Request* msg, const std::string& line) {
  protocol_.answer(*msg, line);
  deliver(ctx_, msg);
}

void Transaction::refuse(Request* msg, const std::string& cause) {
  forwarder_.answer_error(msg, cause);
  doom();
}

void Transaction::end() {
  state_ = State::kIdle;
  server_ = nullptr;
  multi_sent_ = false;
  doomed_ = false;
  drop_held();
  session_.in_transaction = false;
}

void Transaction::on_pin_lost(uint32_t server_index) {
  if (server_ == nullptr || server_->index() != server_index) return;
  // The server dropped the queue or the watches with the connection; the
  // requests in flight were answered with the cause.
  multi_sent_ = false;
  doomed_ = true;
  if (state_ == State::kWatching) state_ = State::kIdle;
}

}  // namespace walnut::proxy
