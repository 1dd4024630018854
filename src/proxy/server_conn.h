// ServerConn: one connection to a backend, shared by many clients.
//
// Requests wait in `to_send_` until written (many clients' requests leave in
// one writev), then in `awaiting_` until their response arrives; responses
// pair with requests strictly first-in first-out. When the connection fails,
// every request it holds is answered with an error naming the cause.
#pragma once

#include <memory>
#include <string>

#include "proto/msg.h"
#include "proto/parse.h"
#include "proxy/conn.h"
#include "proxy/stream_reader.h"

namespace walnut::proxy {

class Server;

class ServerConn final : public Conn {
 public:
  // `fd` is connected or connecting (non-blocking connect in progress).
  ServerConn(Context& ctx, Server& server, int fd);

  void enqueue(proto::Msg* msg);

  void on_readable() override;
  void on_writable() override;
  void flush() override;
  void close(const std::string& reason) override;

 private:
  bool read_responses();  // false once the connection was closed
  void complete(proto::Msg* msg);
  void fail(proto::Msg* msg, const std::string& cause);

  Server& server_;
  bool connecting_ = true;
  proto::ServerQueue to_send_;
  proto::ServerQueue awaiting_;
  StreamReader reader_;
  std::unique_ptr<proto::ResponseParser> parser_;
};

}  // namespace walnut::proxy
