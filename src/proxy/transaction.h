// Transaction: one client's MULTI ... EXEC (and WATCH) on a server
// connection of the client's own (ClientPins).
//
// A transaction runs on one server. Walnut answers MULTI itself and learns
// the server from the first command with keys; keyless commands before it
// are answered +QUEUED at once (a client may wait for that before it sends
// more) and follow MULTI there. WATCH picks the server before MULTI does. A command whose keys live on another server, or that walnut refuses
// at queue time, gets an error then, and EXEC fails as Redis's does after an
// error at queue time (EXECABORT), with the server's queue discarded.
//
// Everything the client sends inside MULTI comes here; outside MULTI only
// MULTI, EXEC, DISCARD, WATCH and UNWATCH do.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/non_copyable.h"
#include "proto/client_session.h"
#include "proto/protocol.h"
#include "proxy/client_pins.h"
#include "proxy/request.h"

namespace walnut::proxy {

class Context;
class Forwarder;
class Server;

class Transaction final : private NonCopyable {
 public:
  Transaction(Context& ctx, Forwarder& forwarder, const proto::Protocol& protocol,
              ClientPins& pins, proto::ClientSession& session)
      : ctx_(ctx), forwarder_(forwarder), protocol_(protocol), pins_(pins), session_(session) {}

  // A request classify() marked kTransaction, or any request while in
  // MULTI: true when taken (sent, held or answered). A local answer (kReply)
  // is not taken, but an error among them fails the transaction.
  bool take(proto::Action action, Request* msg);
  // The client leaves: the held copies go with it.
  void forget() { drop_held(); }

  // Between WATCH and the EXEC, DISCARD or UNWATCH that ends it.
  bool watching() const { return state_ == State::kWatching; }

  // The client's connection to this server closed.
  void on_pin_lost(uint32_t server_index);

 private:
  enum class State : uint8_t { kIdle, kWatching, kMulti };

  void multi(Request* msg);
  void exec(Request* msg);
  void discard(Request* msg);
  void watch(Request* msg);
  void unwatch(Request* msg);
  // A command inside MULTI.
  void queue(proto::Action action, Request* msg);
  // The client's connection to the transaction's server, with MULTI and the
  // held commands sent; nullptr with `error` (the held ones answered with
  // it) when it cannot be opened.
  ServerConn* start(std::string* error);
  // Sends `msg` after start(), or answers it with why it cannot go.
  void send_started(Request* msg);
  void send_own(ServerConn* conn, const std::string& request);
  // EXEC will fail: an error at queue time, a lost watch or connection.
  void doom();
  void drop_held();
  // Ends the transaction here and on its server: DISCARD when MULTI went,
  // else UNWATCH (the server may hold its WATCH).
  void abort();
  void answer(Request* msg, const std::string& line);
  void refuse(Request* msg, const std::string& cause);  // an error, then doom()
  void end();  // after EXEC or DISCARD: back to no transaction, no watch

  Context& ctx_;
  Forwarder& forwarder_;
  const proto::Protocol& protocol_;
  ClientPins& pins_;
  proto::ClientSession& session_;

  State state_ = State::kIdle;
  Server* server_ = nullptr;  // where it runs (or watches), once known
  bool multi_sent_ = false;   // the server was sent MULTI
  bool doomed_ = false;       // EXEC will fail: an error at queue time, a lost watch
  // Copies of the keyless commands sent before the server was known (their
  // clients' requests answered +QUEUED), to follow MULTI there.
  std::vector<Request*> held_;
};

}  // namespace walnut::proxy
