// ClientPins: a client's own server connections, at most one per server,
// for what cannot share a connection with other clients: its transaction
// (MULTI ... EXEC, WATCH), its blocking commands (BLPOP, XREAD BLOCK) and
// its subscriptions (SUBSCRIBE and the like: see subscriptions.h).
//
// Once a client has its own connection to a server, every request of it to
// that server goes there (Request::pins), behind what it sent there before,
// so that its commands reach the server in the order it sent them, as on a
// direct connection. They stay open until the client leaves: a client that
// blocked or ran a transaction once tends to do it again.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/non_copyable.h"
#include "proxy/server_conn.h"

namespace walnut::proxy {

class Server;

class ClientPins final : public PinHolder, private NonCopyable {
 public:
  // The client: told when one of the connections closes (the server failed
  // or left), and given the messages published to its subscriptions.
  class Listener {
   public:
    virtual void on_pin_lost(uint32_t server_index) = 0;
    // `from`: the connection it came on, whose replies it must not overtake.
    virtual void on_message(ServerConn* from, buffer::MbufChain& message) = 0;

   protected:
    ~Listener() = default;
  };

  // Who hears, and the client's queue of requests, which the gates read
  // (set once, by the client that owns them).
  void listen(Listener* listener, const ClientQueue* queue) {
    listener_ = listener;
    queue_ = queue;
  }

  bool any() const { return open_ > 0; }
  // The client's connection to the server with this index, or nullptr.
  ServerConn* find(uint32_t server_index) const {
    return server_index < conns_.size() ? conns_[server_index] : nullptr;
  }
  // The client's connection to `server`, opened when it has none; nullptr
  // with `error` when it cannot be. A new one holds its writes until every
  // request the client sent before the barrier (see below) is answered.
  ServerConn* get(Server& server, std::string* error);
  // The same for `request`, sent again after a redirect: a connection
  // opened for it waits for what the client sent before `request`.
  ServerConn* get_again(Server& server, const Request* request, std::string* error);
  // The request the client is sending now: a connection opened for it
  // waits for the requests before it (they may be on shared connections to
  // the same server).
  void set_barrier(const Request* request) { barrier_ = request; }
  bool gated() const { return gated_; }
  // Lets the held connections write once everything before their barrier
  // in the client's queue is answered.
  void open_gates();
  // The client is gone (EOF): closes the connections where a request may
  // block, which would otherwise take what is pushed for a client that
  // will never read it.
  void close_blocking(const std::string& reason);
  // The client leaves: closes them all (their requests' waiters are gone).
  void close_all(const std::string& reason);

  void on_pin_closed(ServerConn* conn) override;
  void on_push(ServerConn* conn, buffer::MbufChain& message) override;

 private:
  // get() for a connection that, when opened now, waits for what the
  // client sent before `barrier`.
  ServerConn* get_behind(Server& server, const Request* barrier, std::string* error);

  Listener* listener_ = nullptr;
  const ClientQueue* queue_ = nullptr;
  std::vector<ServerConn*> conns_;  // by server index; nullptr for none
  uint32_t open_ = 0;
  const Request* barrier_ = nullptr;
  struct Gate {
    uint32_t server;
    const Request* barrier;
  };
  std::vector<Gate> gates_;
  bool gated_ = false;  // !gates_.empty(), read after every reply
};

}  // namespace walnut::proxy
