// A blocking TLS client for the tests (OpenSSL, as walnut's own TLS is, but
// none of walnut's code): for what redis-cli cannot do, such as a deep
// pipeline whose replies are checked byte for byte.
#pragma once

#include <string>

using SSL_CTX = struct ssl_ctx_st;
using SSL = struct ssl_st;

namespace walnut::e2e {

class TlsClient {
 public:
  // Connects to 127.0.0.1:port and shakes hands, trusting `ca_cert` and
  // showing the client certificate when `cert` is given. Reads and writes
  // give up after 20 s. Its receive window is small (32 kB).
  TlsClient(int port, const std::string& ca_cert, const std::string& cert = "",
            const std::string& key = "");
  ~TlsClient();
  TlsClient(const TlsClient&) = delete;
  TlsClient& operator=(const TlsClient&) = delete;

  // True once the handshake succeeded; error() says why not.
  bool connected() const { return connected_; }
  const std::string& error() const { return error_; }

  bool send_raw(const std::string& bytes);
  // Bytes straight onto the socket, under TLS (a record cut short).
  bool send_on_socket(const std::string& bytes);
  // The socket's write side closed, without TLS's close_notify (as most
  // clients end).
  void shutdown_write();
  // `bytes`, then TLS's close_notify, in one TCP segment; the socket stays
  // open.
  bool send_then_close_notify(const std::string& bytes);
  // Exactly n bytes, or fewer when the connection ended or timed out.
  std::string read_bytes(size_t n);
  // True when walnut closed the connection (TLS's close or the socket's).
  bool closed_by_peer();

 private:
  int fd_ = -1;
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  bool connected_ = false;
  std::string error_;
};

}  // namespace walnut::e2e
