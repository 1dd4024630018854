// ClientPins: a client's own server connections, at most one per server,
// for what cannot share a connection with other clients: its transaction
// (MULTI ... EXEC, WATCH) and its blocking commands (BLPOP, XREAD BLOCK).
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
    virtual void on_message(buffer::MbufChain& message) = 0;

   protected:
    ~Listener() = default;
  };

  // Who hears (set once, by the client that owns them).
  void listen(Listener* listener) { listener_ = listener; }

  bool any() const { return open_ > 0; }
  // The client's connection to the server with this index, or nullptr.
  ServerConn* find(uint32_t server_index) const {
    return server_index < conns_.size() ? conns_[server_index] : nullptr;
  }
  // The client's connection to `server`, opened when it has none; nullptr
  // with `error` when it cannot be.
  ServerConn* get(Server& server, std::string* error);
  // The client leaves: closes them all (their requests' waiters are gone).
  void close_all(const std::string& reason);

  void on_pin_closed(ServerConn* conn) override;
  void on_push(ServerConn* conn, buffer::MbufChain& message) override;

 private:
  Listener* listener_ = nullptr;
  std::vector<ServerConn*> conns_;  // by server index; nullptr for none
  uint32_t open_ = 0;
};

}  // namespace walnut::proxy
