#include "tests/e2e/tls_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace walnut::e2e {

namespace {

std::string ssl_error() {
  char text[256] = "unknown error";
  const unsigned long code = ERR_get_error();
  if (code != 0) ERR_error_string_n(code, text, sizeof text);
  ERR_clear_error();
  return text;
}

}  // namespace

TlsClient::TlsClient(int port, const std::string& ca_cert, const std::string& cert,
                     const std::string& key) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  timeval limit{20, 0};
  setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
  setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
  // A small window, so that walnut's writes of large replies find the
  // socket full and TLS must hold what it took.
  const int window = 32 * 1024;
  setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &window, sizeof window);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    error_ = "connect failed";
    return;
  }
  ctx_ = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
  if (SSL_CTX_load_verify_locations(ctx_, ca_cert.c_str(), nullptr) != 1 ||
      (!cert.empty() && (SSL_CTX_use_certificate_file(ctx_, cert.c_str(), SSL_FILETYPE_PEM) != 1 ||
                         SSL_CTX_use_PrivateKey_file(ctx_, key.c_str(), SSL_FILETYPE_PEM) != 1))) {
    error_ = ssl_error();
    return;
  }
  ssl_ = SSL_new(ctx_);
  SSL_set_fd(ssl_, fd_);
  SSL_set1_host(ssl_, "127.0.0.1");
  if (SSL_connect(ssl_) != 1) {
    error_ = ssl_error();
    return;
  }
  connected_ = true;
}

TlsClient::~TlsClient() {
  if (ssl_ != nullptr) SSL_free(ssl_);
  if (ctx_ != nullptr) SSL_CTX_free(ctx_);
  if (fd_ >= 0) ::close(fd_);
}

bool TlsClient::send_raw(const std::string& bytes) {
  size_t sent = 0;
  while (connected_ && sent < bytes.size()) {
    size_t wrote = 0;
    if (SSL_write_ex(ssl_, bytes.data() + sent, bytes.size() - sent, &wrote) != 1) return false;
    sent += wrote;
  }
  return connected_;
}

bool TlsClient::send_on_socket(const std::string& bytes) {
  return ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(bytes.size());
}

void TlsClient::shutdown_write() { ::shutdown(fd_, SHUT_WR); }

bool TlsClient::send_then_close_notify(const std::string& bytes) {
  int on = 1;
  setsockopt(fd_, IPPROTO_TCP, TCP_CORK, &on, sizeof on);
  const bool sent = send_raw(bytes) && SSL_shutdown(ssl_) >= 0;
  int off = 0;
  setsockopt(fd_, IPPROTO_TCP, TCP_CORK, &off, sizeof off);
  return sent;
}

std::string TlsClient::read_bytes(size_t n) {
  std::string out;
  char buf[16384];
  while (connected_ && out.size() < n) {
    size_t got = 0;
    const size_t want = std::min(sizeof buf, n - out.size());
    if (SSL_read_ex(ssl_, buf, want, &got) != 1) break;
    out.append(buf, got);
  }
  return out;
}

bool TlsClient::closed_by_peer() {
  if (!connected_) return false;
  char c;
  size_t got = 0;
  const int ret = SSL_read_ex(ssl_, &c, 1, &got);
  if (ret == 1) return false;
  const int code = SSL_get_error(ssl_, ret);
  ERR_clear_error();
  if (code == SSL_ERROR_SYSCALL && (errno == EAGAIN || errno == EWOULDBLOCK)) return false;
  return code == SSL_ERROR_ZERO_RETURN || code == SSL_ERROR_SYSCALL || code == SSL_ERROR_SSL;
}

}  // namespace walnut::e2e
