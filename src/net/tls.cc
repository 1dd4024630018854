// OpenSSL contexts and non-blocking sessions.
#include "net/tls.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <sstream>

#include "net/socket.h"

namespace walnut::net {

namespace {

// The reason of OpenSSL's oldest queued error, and the queue emptied: a
// stale error would be taken for the next call's.
std::string take_ssl_error(const char* fallback) {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return fallback;
  const char* reason = ERR_reason_error_string(code);
  return reason != nullptr ? reason : fallback;
}

// A TLS record starts with its content type; a handshake's first record is
// of type 22. Anything else on a TLS listener is plain text (or noise).
constexpr unsigned char kHandshakeRecord = 0x16;

// Bytes writev() takes in one go: one TLS record's worth of plaintext.
constexpr size_t kTakeBytes = 16 * 1024;

bool parse_protocols(const std::string& text, int* min_version, int* max_version) {
  int lo = 0;
  int hi = 0;
  std::istringstream words(text);
  std::string word;
  while (words >> word) {
    int v = 0;
    if (word == "TLSv1.2") {
      v = TLS1_2_VERSION;
    } else if (word == "TLSv1.3") {
      v = TLS1_3_VERSION;
    } else {
      return false;
    }
    lo = lo == 0 ? v : std::min(lo, v);
    hi = std::max(hi, v);
  }
  if (lo == 0) {  // none named: both
    lo = TLS1_2_VERSION;
    hi = TLS1_3_VERSION;
  }
  *min_version = lo;
  *max_version = hi;
  return true;
}

// Why `path` cannot be read ("" when it can): OpenSSL's own words for a
// missing file are vaguer than the system's.
std::string unreadable(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "r");
  if (f == nullptr) return std::strerror(errno);
  std::fclose(f);
  return "";
}

bool configure(SSL_CTX* ctx, TlsRole role, const TlsSettings& s, TlsSetupError* error) {
  using Setting = TlsSetupError::Setting;
  auto fail = [&](Setting setting, const std::string& what) {
    error->setting = setting;
    error->message = what;
    return false;
  };
  int lo = 0;
  int hi = 0;
  if (!parse_protocols(s.protocols, &lo, &hi)) {
    return fail(Setting::kProtocols, "only TLSv1.2 and TLSv1.3 are offered");
  }
  SSL_CTX_set_min_proto_version(ctx, lo);
  SSL_CTX_set_max_proto_version(ctx, hi);
  if (!s.ciphers.empty() && SSL_CTX_set_cipher_list(ctx, s.ciphers.c_str()) != 1) {
    return fail(Setting::kCiphers, take_ssl_error("no cipher of the list is known"));
  }
  // Writes take what a record holds (and a retry may come from the same
  // bytes at another address); idle connections give their buffers back.
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                            SSL_MODE_RELEASE_BUFFERS);
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
#ifdef SSL_OP_IGNORE_UNEXPECTED_EOF
  // A peer that closes the socket without close_notify, as redis-cli,
  // Redis and most clients do, ends the stream as it does in plain TCP
  // (OpenSSL 3 would call it an error).
  SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
#endif
  // One read takes what the socket has, not one record's header then its body.
  SSL_CTX_set_read_ahead(ctx, 1);
  const auto check_file = [&](Setting setting, const char* what, const std::string& path) {
    const std::string why = unreadable(path);
    return why.empty() || fail(setting, std::string("cannot use ") + what + " '" + path + "': " + why);
  };
  if (!s.cert_file.empty()) {
    if (!check_file(Setting::kCert, "certificate", s.cert_file) ||
        !check_file(Setting::kKey, "key", s.key_file)) {
      return false;
    }
    if (SSL_CTX_use_certificate_chain_file(ctx, s.cert_file.c_str()) != 1) {
      return fail(Setting::kCert,
                  "cannot use certificate '" + s.cert_file + "': " + take_ssl_error("unreadable"));
    }
    // OpenSSL checks that the key is the certificate's ("key values mismatch").
    if (SSL_CTX_use_PrivateKey_file(ctx, s.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
      return fail(Setting::kKey,
                  "cannot use key '" + s.key_file + "': " + take_ssl_error("unreadable"));
    }
  }
  if (!s.ca_file.empty()) {
    if (!check_file(Setting::kCa, "CA certificates", s.ca_file)) return false;
    if (SSL_CTX_load_verify_locations(ctx, s.ca_file.c_str(), nullptr) != 1) {
      return fail(Setting::kCa, "cannot use CA certificates '" + s.ca_file +
                                    "': " + take_ssl_error("unreadable"));
    }
  } else if (role == TlsRole::kClient && s.verify_peer) {
    SSL_CTX_set_default_verify_paths(ctx);
  }
  if (role == TlsRole::kServer) {
    if (s.verify_peer) {
      SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
      STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(s.ca_file.c_str());
      if (names != nullptr) SSL_CTX_set_client_CA_list(ctx, names);
      ERR_clear_error();
    }
    // Resumed sessions must be of this walnut's own contexts.
    static const unsigned char kSessionContext[] = "walnut";
    SSL_CTX_set_session_id_context(ctx, kSessionContext, sizeof(kSessionContext) - 1);
  } else {
    SSL_CTX_set_verify(ctx, s.verify_peer ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, nullptr);
  }
  return true;
}

}  // namespace

bool valid_tls_protocols(const std::string& protocols) {
  int lo = 0;
  int hi = 0;
  return parse_protocols(protocols, &lo, &hi);
}

std::shared_ptr<TlsContext> TlsContext::make(TlsRole role, const TlsSettings& settings,
                                             TlsSetupError* error) {
  ERR_clear_error();
  SSL_CTX* ctx = SSL_CTX_new(role == TlsRole::kServer ? TLS_server_method() : TLS_client_method());
  if (ctx == nullptr) {
    *error = {TlsSetupError::Setting::kOther, take_ssl_error("out of memory")};
    return nullptr;
  }
  if (!configure(ctx, role, settings, error)) {
    SSL_CTX_free(ctx);
    return nullptr;
  }
  return std::shared_ptr<TlsContext>(new TlsContext(ctx, role, settings.verify_peer));
}

TlsContext::~TlsContext() { SSL_CTX_free(ctx_); }

TlsSession::TlsSession(std::shared_ptr<TlsContext> ctx, int fd, const std::string& peer_name)
    : ctx_(std::move(ctx)), fd_(fd) {
  ssl_ = SSL_new(ctx_->get());
  if (ssl_ == nullptr || SSL_set_fd(ssl_, fd) != 1) {
    failed_ = true;
    error_ = take_ssl_error("cannot start a TLS session");
    return;
  }
  if (ctx_->role() == TlsRole::kServer) {
    SSL_set_accept_state(ssl_);
    return;
  }
  SSL_set_connect_state(ssl_);
  if (peer_name.empty()) return;
  if (is_numeric_host(peer_name)) {
    // No SNI for an address (RFC 6066); the certificate must name the IP.
    if (ctx_->verifies_peer()) {
      std::string ip = peer_name;
      if (ip.size() > 2 && ip.front() == '[') ip = ip.substr(1, ip.size() - 2);
      X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_), ip.c_str());
    }
  } else {
    SSL_set_tlsext_host_name(ssl_, peer_name.c_str());
    if (ctx_->verifies_peer()) SSL_set1_host(ssl_, peer_name.c_str());
  }
  ERR_clear_error();
}

TlsSession::~TlsSession() {
  if (ssl_ != nullptr) SSL_free(ssl_);
}

TlsSession::Step TlsSession::fail(const char* what, int ssl_ret) {
  failed_ = true;
  const int code = SSL_get_error(ssl_, ssl_ret);
  const bool verify_failed = !established_ &&
                             ERR_GET_REASON(ERR_peek_error()) == SSL_R_CERTIFICATE_VERIFY_FAILED &&
                             SSL_get_verify_result(ssl_) != X509_V_OK;
  if (code == SSL_ERROR_SYSCALL) {
    ERR_clear_error();
    error_ = std::string(what) + ": " + (errno != 0 ? std::strerror(errno) : "connection closed");
  } else if (verify_failed) {
    ERR_clear_error();
    error_ = std::string(what) + ": certificate verify failed: " +
             X509_verify_cert_error_string(SSL_get_verify_result(ssl_));
  } else {
    error_ = std::string(what) + ": " + take_ssl_error("protocol error");
  }
  return Step::kFailed;
}

TlsSession::Step TlsSession::handshake() {
  if (failed_) return Step::kFailed;
  if (established_) return Step::kDone;
  if (ctx_->role() == TlsRole::kServer && !first_byte_checked_) {
    unsigned char first = 0;
    const ssize_t got = ::recv(fd_, &first, 1, MSG_PEEK);
    if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
      return Step::kWantRead;
    }
    if (got <= 0) {
      failed_ = true;
      closed_before_hello_ = got == 0;
      error_ = got == 0 ? "closed before the TLS handshake" : std::strerror(errno);
      return Step::kFailed;
    }
    first_byte_checked_ = true;
    if (first != kHandshakeRecord) {
      failed_ = true;
      error_ = "plain text on a TLS listener (no TLS handshake)";
      return Step::kFailed;
    }
  }
  ERR_clear_error();
  errno = 0;
  const int ret = SSL_do_handshake(ssl_);
  if (ret == 1) {
    established_ = true;
    return Step::kDone;
  }
  switch (SSL_get_error(ssl_, ret)) {
    case SSL_ERROR_WANT_READ:
      return Step::kWantRead;
    case SSL_ERROR_WANT_WRITE:
      return Step::kWantWrite;
    default:
      return fail("TLS handshake failed", ret);
  }
}

ssize_t TlsSession::read(void* buf, size_t len) {
  read_wants_write_ = false;
  if (failed_) {
    errno = EIO;
    return -1;
  }
  if (ended_) return 0;
  // As many records as fit: one SSL_read gives at most one record, and a
  // short read would stop the caller's reads for this event.
  auto* out = static_cast<char*>(buf);
  size_t total = 0;
  while (total < len) {
    ERR_clear_error();
    errno = 0;
    size_t got = 0;
    const int ret = SSL_read_ex(ssl_, out + total, len - total, &got);
    if (ret == 1) {
      total += got;
      starved_ = false;
      // Nothing more buffered: read ahead took what the socket had, and
      // asking the socket again would cost a read that finds nothing.
      if (SSL_has_pending(ssl_) != 1) break;
      continue;
    }
    const int code = SSL_get_error(ssl_, ret);
    if (code == SSL_ERROR_WANT_READ || code == SSL_ERROR_WANT_WRITE) {
      // OpenSSL needs the socket: what it holds is not a whole record.
      starved_ = true;
      read_wants_write_ = code == SSL_ERROR_WANT_WRITE;
      if (total > 0) return static_cast<ssize_t>(total);
      errno = EAGAIN;
      return -1;
    }
    if (code == SSL_ERROR_ZERO_RETURN || (code == SSL_ERROR_SYSCALL && errno == 0)) {
      // The peer's close_notify, or the socket's end (see
      // SSL_OP_IGNORE_UNEXPECTED_EOF): the end of the stream, after what
      // came before it.
      ERR_clear_error();
      ended_ = true;
      return static_cast<ssize_t>(total);
    }
    const int saved = errno;
    fail("TLS read failed", ret);
    if (total > 0) return static_cast<ssize_t>(total);  // the error comes next call
    errno = saved != 0 ? saved : EIO;
    return -1;
  }
  return static_cast<ssize_t>(total);
}

bool TlsSession::send_taken() {
  while (out_sent_ < out_len_) {
    ERR_clear_error();
    errno = 0;
    size_t wrote = 0;
    const int ret = SSL_write_ex(ssl_, out_.get() + out_sent_, out_len_ - out_sent_, &wrote);
    if (ret == 1) {
      out_sent_ += wrote;
      continue;
    }
    const int code = SSL_get_error(ssl_, ret);
    if (code == SSL_ERROR_WANT_WRITE || code == SSL_ERROR_WANT_READ) {
      errno = EAGAIN;
      return false;
    }
    const int saved = errno;
    fail("TLS write failed", ret);
    errno = saved != 0 ? saved : EIO;
    return false;
  }
  out_len_ = out_sent_ = 0;
  return true;
}

ssize_t TlsSession::writev(const struct iovec* iov, int n) {
  if (failed_) {
    errno = EIO;
    return -1;
  }
  if (!send_taken()) return -1;
  // Small replies are gathered into one record: a record per slice would
  // cost a system call and 22 bytes of framing for every 5-byte "+OK\r\n".
  if (out_ == nullptr) out_ = std::make_unique<char[]>(kTakeBytes);
  size_t taken = 0;
  for (int i = 0; i < n && taken < kTakeBytes; ++i) {
    const size_t part = std::min(iov[i].iov_len, kTakeBytes - taken);
    std::memcpy(out_.get() + taken, iov[i].iov_base, part);
    taken += part;
  }
  out_len_ = taken;
  out_sent_ = 0;
  // Taken either way: what the socket cannot take now goes on the next call.
  if (!send_taken() && failed_) return -1;
  return static_cast<ssize_t>(taken);
}

void TlsSession::say_goodbye() {
  if (ssl_ == nullptr || failed_ || !established_) return;
  ERR_clear_error();
  SSL_shutdown(ssl_);  // one try: the socket is about to close either way
  ERR_clear_error();
}

bool TlsSession::input_pending() const {
  // Bytes of a record not yet whole are no input: OpenSSL waits for the
  // socket, which says when more comes.
  // The end of the stream or an error read after data was returned with
  // the data: the next read gives it, and the socket may never say so.
  return ssl_ != nullptr && (ended_ || failed_ || (!starved_ && SSL_has_pending(ssl_) == 1));
}

std::string TlsSession::describe() const {
  if (ssl_ == nullptr) return "";
  return std::string(SSL_get_version(ssl_)) + " " + SSL_get_cipher_name(ssl_);
}

}  // namespace walnut::net
