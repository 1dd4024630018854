// Server: one backend of a pool: its address and up to `server_connections`
// connections, shared by every client of the pool and opened when first
// needed (or at start with `preconnect`).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "config/config.h"
#include "net/socket.h"

namespace walnut::proxy {

class ServerConn;
class ServerPool;

class Server {
 public:
  Server(ServerPool& pool, const config::ServerSpec& spec, uint32_t index);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Resolves the address; false with `error` when it cannot be resolved.
  bool init(std::string* error);

  // A connection to send on, round robin over the slots, connecting an empty
  // slot first. nullptr (with the system's words in `error`) when a new
  // connection fails at once.
  ServerConn* conn(std::string* error);
  // Opens every slot now (preconnect); failures are logged, not fatal.
  void preconnect();
  void on_conn_closed(ServerConn* conn);
  void close_all(const std::string& reason);

  ServerPool& pool() { return pool_; }
  const config::ServerSpec& spec() const { return spec_; }
  const std::string& label() const { return spec_.label; }
  uint32_t index() const { return index_; }

 private:
  ServerConn* open(std::string* error);

  ServerPool& pool_;
  config::ServerSpec spec_;
  uint32_t index_;
  net::Address address_;
  std::vector<ServerConn*> slots_;
  size_t next_slot_ = 0;
};

}  // namespace walnut::proxy
