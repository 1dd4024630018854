// The configuration as YAML, and what a reload may change in place.
#include "config/describe.h"

#include <algorithm>
#include <cctype>

namespace walnut::config {

namespace {

// A YAML double-quoted scalar: every string value (and pool name) is
// written this way, so that "{}" (a hash_tag) or a password with ": ", a
// line break or a control character in it reads back as it is.
std::string quoted(const std::string& text) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out = "\"";
  for (size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c == 0x7f) {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else if (c == 0xc2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) == 0x85) {
      out += "\\N";  // U+0085, which YAML would read as a line break
      ++i;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

// A pool name as a key: as it is when plain letters, digits, '_', '-' and
// '.' make it (the usual case), else quoted.
std::string key_name(const std::string& name) {
  const bool plain = !name.empty() && name.front() != '-' && name.front() != '.' &&
                     std::all_of(name.begin(), name.end(), [](char c) {
                       return std::isalnum(static_cast<unsigned char>(c)) || c == '_' ||
                              c == '-' || c == '.';
                     });
  return plain ? name : quoted(name);
}

const char* yes_no(bool value) { return value ? "true" : "false"; }

}  // namespace

std::string describe(const PoolSpec& p, bool mask_secrets) {
  const PoolSpec d;  // the defaults, left out
  std::string out = key_name(p.name) + ":\n";
  const auto key = [&out](const char* name, const std::string& value) {
    out += std::string("  ") + name + ": " + value + "\n";
  };
  const auto number = [&key](const char* name, int value, int fallback) {
    if (value != fallback) key(name, std::to_string(value));
  };
  const auto flag = [&key](const char* name, bool value, bool fallback) {
    if (value != fallback) key(name, yes_no(value));
  };
  const auto secret = [&key, mask_secrets](const char* name, const std::string& value) {
    if (!value.empty()) key(name, quoted(mask_secrets ? "********" : value));
  };
  key("listen", quoted(p.listen.text));
  if (!p.redis_cluster) {  // a cluster places keys by slot, and refuses these
    key("hash", quoted(p.hash));
    if (!p.hash_tag.empty()) key("hash_tag", quoted(p.hash_tag));
    key("distribution", quoted(p.distribution));
  }
  number("timeout", p.timeout, d.timeout);  // none: wait forever
  number("backlog", p.backlog, d.backlog);
  number("client_connections", p.client_connections, d.client_connections);
  number("client_output_limit", p.client_output_limit, d.client_output_limit);
  number("max_request_size", p.max_request_size, d.max_request_size);
  key("redis", yes_no(p.redis));
  if (!p.redis_user.empty()) key("redis_user", quoted(p.redis_user));
  secret("redis_auth", p.redis_auth);
  number("redis_db", p.redis_db, d.redis_db);
  flag("redis_allow_flush", p.redis_allow_flush, d.redis_allow_flush);
  flag("redis_cluster", p.redis_cluster, d.redis_cluster);
  number("cluster_max_redirects", p.cluster_max_redirects, d.cluster_max_redirects);
  number("cluster_refresh_interval", p.cluster_refresh_interval, d.cluster_refresh_interval);
  if (!p.sentinels.empty()) {
    out += "  sentinels:\n";
    for (const SentinelSpec& s : p.sentinels) {
      out += "    - " + quoted(s.text) + "\n";
    }
  }
  secret("sentinel_auth", p.sentinel_auth);
  if (!p.server_auth.empty()) {
    out += "  server_auth:\n";
    for (const ServerAuth& a : p.server_auth) {
      out += "    " + key_name(a.server) + ":\n";
      if (!a.user.empty()) out += "      user: " + quoted(a.user) + "\n";
      out += "      password: " + quoted(mask_secrets ? "********" : a.password) + "\n";
    }
  }
  if (p.read_policy != d.read_policy) key("read_policy", read_policy_name(p.read_policy));
  flag("preconnect", p.preconnect, d.preconnect);
  number("server_heartbeat", p.server_heartbeat, d.server_heartbeat);
  flag("auto_eject_hosts", p.auto_eject_hosts, d.auto_eject_hosts);
  number("server_connections", p.server_connections, d.server_connections);
  number("server_retry_timeout", p.server_retry_timeout, d.server_retry_timeout);
  number("server_failure_limit", p.server_failure_limit, d.server_failure_limit);
  flag("tcpkeepalive", p.tcpkeepalive, d.tcpkeepalive);
  flag("reuseport", p.reuseport, d.reuseport);
  const auto text = [&key](const char* name, const std::string& value) {
    if (!value.empty()) key(name, quoted(value));
  };
  text("tls_cert_file", p.tls_cert_file);
  text("tls_key_file", p.tls_key_file);
  text("tls_ca_cert_file", p.tls_ca_cert_file);
  flag("tls_auth_clients", p.tls_auth_clients, d.tls_auth_clients);
  text("tls_protocols", p.tls_protocols);
  text("tls_ciphers", p.tls_ciphers);
  number("tls_handshake_timeout", p.tls_handshake_timeout, d.tls_handshake_timeout);
  flag("server_tls", p.server_tls, d.server_tls);
  text("server_tls_ca_cert_file", p.server_tls_ca_cert_file);
  text("server_tls_cert_file", p.server_tls_cert_file);
  text("server_tls_key_file", p.server_tls_key_file);
  text("server_tls_server_name", p.server_tls_server_name);
  flag("server_tls_verify", p.server_tls_verify, d.server_tls_verify);
  out += "  servers:\n";
  // As written: the label (and so the ring) depends on how host:port is.
  for (const ServerSpec& s : p.servers) out += "    - " + quoted(s.text) + "\n";
  return out;
}

std::string describe(const Config& config, bool mask_secrets) {
  std::string out;
  for (const PoolSpec& p : config.pools) out += describe(p, mask_secrets);
  return out;
}

bool changes_in_place(const PoolSpec& running, const PoolSpec& next) {
  if (describe(running, false) == describe(next, false)) return true;  // no change
  if (running.redis_cluster || !running.sentinels.empty() || next.redis_cluster ||
      !next.sentinels.empty()) {
    return false;
  }
  // Both with what may change set alike: equal if nothing else differs.
  const auto rest = [](PoolSpec p) {
    const PoolSpec defaults;
    p.servers.clear();
    p.distribution = defaults.distribution;
    p.hash = defaults.hash;
    p.hash_tag = defaults.hash_tag;
    p.timeout = defaults.timeout;
    p.client_connections = defaults.client_connections;
    p.client_output_limit = defaults.client_output_limit;
    p.preconnect = defaults.preconnect;
    p.server_heartbeat = defaults.server_heartbeat;
    p.auto_eject_hosts = defaults.auto_eject_hosts;
    p.server_connections = defaults.server_connections;
    p.server_retry_timeout = defaults.server_retry_timeout;
    p.server_failure_limit = defaults.server_failure_limit;
    p.tcpkeepalive = defaults.tcpkeepalive;
    // TLS's files and settings make contexts that new connections take (a
    // reload re-reads the files either way); only TLS on or off is kept.
    p.tls_cert_file = tls_listener(p) ? "on" : "";
    p.tls_key_file = p.tls_ca_cert_file = p.tls_protocols = p.tls_ciphers = "";
    p.tls_auth_clients = defaults.tls_auth_clients;
    p.tls_handshake_timeout = defaults.tls_handshake_timeout;
    p.server_tls_ca_cert_file = p.server_tls_cert_file = p.server_tls_key_file = "";
    p.server_tls_server_name = "";
    p.server_tls_verify = defaults.server_tls_verify;
    if (p.listen.is_unix) {  // the same path: a chmod
      p.listen.text = p.listen.path;
      p.listen.perm = 0;
    }
    return describe(p, false);
  };
  return rest(running) == rest(next);
}

}  // namespace walnut::config
