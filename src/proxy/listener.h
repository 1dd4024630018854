// Listener: the listening socket of a pool; accepts clients.
#pragma once

#include <string>

#include "net/socket.h"
#include "proxy/conn.h"

namespace walnut::proxy {

class ServerPool;

class Listener final : public Conn {
 public:
  Listener(Context& ctx, ServerPool& pool, int fd, bool is_unix);

  void on_readable() override;
  void flush() override {}
  void close(const std::string& reason) override;

 private:
  ServerPool& pool_;
  bool is_unix_;
};

}  // namespace walnut::proxy
