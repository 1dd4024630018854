// Listener: the listening socket of a pool; accepts clients.
#pragma once

#include <string>

#include "event/loop.h"
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
  // Out of file descriptors: stop accepting for a moment instead of spinning
  // on a listener that stays readable.
  void pause_accepting(int err);

  ServerPool& pool_;
  bool is_unix_;
  event::Timer resume_;
};

}  // namespace walnut::proxy
