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
  // A reload gives the address to the pool that replaces this one: its
  // listening socket (clients waiting in its backlog stay there), and this
  // listener closes, leaving a unix socket's path in place.
  int hand_over();

 private:
  // Out of file descriptors: stop accepting for a moment instead of spinning
  // on a listener that stays readable.
  void pause_accepting(int err);

  ServerPool& pool_;
  bool is_unix_;
  bool keep_path_ = false;  // handed over: the path is the next listener's
  event::Timer resume_;
};

}  // namespace walnut::proxy
