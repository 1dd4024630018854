// The TLS keys' rules and settings.
#include "config/tls_settings.h"

#include <initializer_list>

namespace walnut::config {

net::TlsSettings listener_tls(const PoolSpec& pool) {
  net::TlsSettings s;
  s.cert_file = pool.tls_cert_file;
  s.key_file = pool.tls_key_file;
  s.ca_file = pool.tls_ca_cert_file;
  s.verify_peer = pool.tls_auth_clients;
  s.protocols = pool.tls_protocols;
  s.ciphers = pool.tls_ciphers;
  return s;
}

net::TlsSettings server_tls(const PoolSpec& pool) {
  net::TlsSettings s;
  s.cert_file = pool.server_tls_cert_file;
  s.key_file = pool.server_tls_key_file;
  s.ca_file = pool.server_tls_ca_cert_file;
  s.verify_peer = pool.server_tls_verify;
  return s;
}

namespace {

std::string quoted(std::string_view s) { return "'" + std::string(s) + "'"; }

TlsKeyProblem needs(std::string_view key, std::string_view setting, const PoolSpec& pool) {
  return {std::string(key),
          quoted(key) + " requires " + quoted(setting) + " in pool " + quoted(pool.name)};
}

// The key a context's failed setting was written as.
std::string key_of(net::TlsSetupError::Setting setting, bool listener) {
  using Setting = net::TlsSetupError::Setting;
  switch (setting) {
    case Setting::kCert:
      return listener ? "tls_cert_file" : "server_tls_cert_file";
    case Setting::kKey:
      return listener ? "tls_key_file" : "server_tls_key_file";
    case Setting::kCa:
      return listener ? "tls_ca_cert_file" : "server_tls_ca_cert_file";
    case Setting::kProtocols:
      return "tls_protocols";
    case Setting::kCiphers:
      return "tls_ciphers";
    case Setting::kOther:
      break;
  }
  return listener ? "tls_cert_file" : "server_tls";
}

TlsKeyProblem check_rules(const PoolSpec& pool,
                          const std::function<bool(std::string_view)>& has_key) {
  for (std::string_view key : {"tls_key_file", "tls_ca_cert_file", "tls_auth_clients",
                               "tls_protocols", "tls_ciphers", "tls_handshake_timeout"}) {
    if (has_key(key) && !tls_listener(pool)) return needs(key, "tls_cert_file", pool);
  }
  if (tls_listener(pool) && pool.tls_key_file.empty()) {
    return needs("tls_cert_file", "tls_key_file", pool);
  }
  if (pool.tls_auth_clients && pool.tls_ca_cert_file.empty()) {
    return needs("tls_auth_clients", "tls_ca_cert_file", pool);
  }
  for (std::string_view key : {"server_tls_ca_cert_file", "server_tls_cert_file",
                               "server_tls_key_file", "server_tls_server_name",
                               "server_tls_verify"}) {
    if (has_key(key) && !pool.server_tls) return needs(key, "server_tls: true", pool);
  }
  if (!pool.server_tls_cert_file.empty() && pool.server_tls_key_file.empty()) {
    return needs("server_tls_cert_file", "server_tls_key_file", pool);
  }
  if (!pool.server_tls_key_file.empty() && pool.server_tls_cert_file.empty()) {
    return needs("server_tls_key_file", "server_tls_cert_file", pool);
  }
  return {};
}

}  // namespace

TlsKeyProblem check_tls_keys(const PoolSpec& pool,
                             const std::function<bool(std::string_view)>& has_key) {
  if (TlsKeyProblem p = check_rules(pool, has_key); !p.key.empty()) return p;
  net::TlsSetupError error{};
  if (tls_listener(pool) &&
      !net::TlsContext::make(net::TlsRole::kServer, listener_tls(pool), &error)) {
    return {key_of(error.setting, true), error.message};
  }
  if (pool.server_tls &&
      !net::TlsContext::make(net::TlsRole::kClient, server_tls(pool), &error)) {
    return {key_of(error.setting, false), error.message};
  }
  return {};
}

}  // namespace walnut::config
