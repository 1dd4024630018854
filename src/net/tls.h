// TLS over a non-blocking socket, with OpenSSL: a context per pool side
// (walnut as the server its clients talk to, or as the client of its
// servers) and a session per connection. Nothing here blocks: every call
// says whether it needs the socket readable or writable to go on.
#pragma once

#include <sys/types.h>
#include <sys/uio.h>

#include <memory>
#include <string>

using SSL_CTX = struct ssl_ctx_st;
using SSL = struct ssl_st;

namespace walnut::net {

enum class TlsRole : uint8_t {
  kServer,  // walnut accepts TLS (a pool's listener)
  kClient,  // walnut connects with TLS (to a pool's servers)
};

// What one side's context is made of; files are PEM.
struct TlsSettings {
  std::string cert_file;  // kServer: required; kClient: an optional client certificate
  std::string key_file;   // with cert_file
  std::string ca_file;    // the CAs the peer's certificate must come from
  // kServer: clients must show a certificate from ca_file. kClient: the
  // server's certificate is checked against ca_file (or the system's CAs)
  // and the expected name.
  bool verify_peer = false;
  std::string protocols;  // "TLSv1.2 TLSv1.3" or a part of it; "" for both
  std::string ciphers;    // OpenSSL's cipher list for TLS 1.2; "" for OpenSSL's default
};

// Which setting a context could not be made of, and why.
struct TlsSetupError {
  enum class Setting : uint8_t { kCert, kKey, kCa, kProtocols, kCiphers, kOther } setting;
  std::string message;
};

// True when `protocols` names only TLSv1.2 and TLSv1.3 (space separated).
bool valid_tls_protocols(const std::string& protocols);

// A shared SSL_CTX: connections keep the context they started with, so a
// reload may swap a pool's context under them.
class TlsContext {
 public:
  // The context, or null with `error` set.
  static std::shared_ptr<TlsContext> make(TlsRole role, const TlsSettings& settings,
                                          TlsSetupError* error);
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  SSL_CTX* get() const { return ctx_; }
  TlsRole role() const { return role_; }
  bool verifies_peer() const { return verify_peer_; }

 private:
  TlsContext(SSL_CTX* ctx, TlsRole role, bool verify_peer)
      : ctx_(ctx), role_(role), verify_peer_(verify_peer) {}
  SSL_CTX* ctx_;
  TlsRole role_;
  bool verify_peer_;
};

// One TLS connection over a connected non-blocking socket it does not own.
class TlsSession {
 public:
  // `peer_name`, for kClient: the name (SNI and the certificate's name) or
  // IP address the server's certificate must show; "" for none.
  TlsSession(std::shared_ptr<TlsContext> ctx, int fd, const std::string& peer_name);
  ~TlsSession();
  TlsSession(const TlsSession&) = delete;
  TlsSession& operator=(const TlsSession&) = delete;

  enum class Step : uint8_t { kDone, kWantRead, kWantWrite, kFailed };
  // Goes on with the handshake. kFailed: error() says why (a plain-text
  // client on a TLS listener, a certificate that failed verification...).
  Step handshake();
  bool handshaking() const { return !established_; }
  TlsRole role() const { return ctx_->role(); }

  // As read(2): bytes read, 0 at the end of the stream, or -1 with errno
  // EAGAIN (nothing yet) or EIO (error() says why).
  ssize_t read(void* buf, size_t len);
  // As writev(2), but what it takes it keeps: bytes taken, or -1 with errno
  // EAGAIN or EIO. Taken bytes that the socket could not take yet wait here
  // (output_pending()) and go first on the next call, which may have n == 0.
  ssize_t writev(const struct iovec* iov, int n);

  // Decrypted or received bytes wait inside the session: the socket will
  // not turn readable for them, so the reader must come back by itself.
  // Not for part of a record, whose rest comes with the socket; but for an
  // end or error that came after bytes a read returned.
  bool input_pending() const;
  bool output_pending() const { return out_sent_ < out_len_; }
  // The last read needs the socket writable to go on (TLS 1.3 key update).
  bool read_wants_write() const { return read_wants_write_; }

  // Tells the peer that walnut closes (close_notify), if the socket takes
  // it now; called before the socket closes.
  void say_goodbye();

  const std::string& error() const { return error_; }
  // The peer closed before it began a handshake (a port probe, a health
  // check that only connects): no error of anybody's.
  bool closed_before_hello() const { return closed_before_hello_; }
  // "TLSv1.3 TLS_AES_256_GCM_SHA384", for logs.
  std::string describe() const;

 private:
  Step fail(const char* what, int ssl_ret);
  // Hands the bytes taken but not yet sent to OpenSSL: true once all went.
  bool send_taken();

  std::shared_ptr<TlsContext> ctx_;
  SSL* ssl_ = nullptr;
  int fd_;
  bool established_ = false;
  bool first_byte_checked_ = false;
  bool read_wants_write_ = false;
  bool starved_ = false;  // the last read wanted bytes the socket had not brought
  bool ended_ = false;    // the stream ended (close_notify or the socket's end)
  bool failed_ = false;
  bool closed_before_hello_ = false;
  std::string error_;
  std::unique_ptr<char[]> out_;  // bytes taken by writev(), not yet sent
  size_t out_len_ = 0;
  size_t out_sent_ = 0;
};

}  // namespace walnut::net
