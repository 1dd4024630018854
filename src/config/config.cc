// The rules of walnut's configuration: which keys a pool may have, what each
// value must look like, and the checks that span keys or pools. YAML itself is
// yaml_tree's job; addresses are address.cc's; scalar values are values.cc's.
//
// Errors stop at the first problem, in file order, and are reported as
// "FILE:LINE: message" with no partial Config: a half-read config that starts
// proxying would be worse than none.
#include "config/config.h"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <functional>
#include <map>
#include <new>
#include <utility>
#include <vector>

#include "config/address.h"
#include "config/tls_settings.h"
#include "config/values.h"
#include "config/yaml_hints.h"
#include "config/yaml_tree.h"

namespace walnut::config {

namespace {

// One problem at one line; empty message means none.
struct Problem {
  int line = 0;
  std::string message;
  explicit operator bool() const { return !message.empty(); }
};

std::string quoted(std::string_view s) { return "'" + std::string(s) + "'"; }

// A value refused because YAML joined it from several lines was almost
// always meant as several entries: say so, or the message about its weight
// or port hides the real mistake, the indentation.
Problem explain_continuation(Problem p, const YamlNode& value) {
  if (p && value.is_scalar() && value.end_line > value.line) {
    p.message += "; " + continued_value_hint(value.line, value.end_line);
  }
  return p;
}

// Bookkeeping for the cross-key checks, which need lines that PoolSpec does
// not keep.
struct PoolState {
  // key -> line of every key of the pool, so that a check between keys can
  // point at either, whichever order the file wrote them in.
  std::map<std::string, int, std::less<>> seen_keys;
  int listen_line = 0;
  int redis_auth_line = 0;
  int redis_user_line = 0;
  bool has_listen = false;
  bool has_servers = false;
};

enum class KeyType { non_negative, positive, boolean, custom };

using CustomSetter = Problem (*)(PoolSpec&, PoolState&, const YamlNode& value);

struct KeyRule {
  std::string_view name;
  KeyType type;
  int PoolSpec::*int_field = nullptr;
  bool PoolSpec::*bool_field = nullptr;
  CustomSetter custom = nullptr;
  int max = INT_MAX;  // integer keys only
};

// One request following redirects forever would hang its client on a
// cluster whose nodes disagree about a slot; past a handful of hops the
// cluster is broken, and a larger limit only delays the error.
constexpr int kMaxClusterRedirects = 100;

Problem set_listen(PoolSpec& pool, PoolState& state, const YamlNode& v) {
  std::string err = parse_listen(v.value, &pool.listen);
  if (!err.empty()) return {v.line, std::move(err)};
  pool.listen.line = v.line;
  state.has_listen = true;
  state.listen_line = v.line;
  return {};
}

Problem set_hash(PoolSpec& pool, PoolState&, const YamlNode& v) {
  if (!is_hash_name(v.value)) {
    return {v.line, "'hash' must be one of " + hash_names_text() + ", got " + quoted(v.value)};
  }
  pool.hash = v.value;
  return {};
}

Problem set_hash_tag(PoolSpec& pool, PoolState&, const YamlNode& v) {
  // Two bytes, as nutcracker: the opening and closing delimiter.
  if (v.value.size() != 2) {
    return {v.line, "'hash_tag' must be exactly 2 characters, got " + quoted(v.value)};
  }
  pool.hash_tag = v.value;
  return {};
}

Problem set_distribution(PoolSpec& pool, PoolState&, const YamlNode& v) {
  if (!is_distribution_name(v.value)) {
    return {v.line, "'distribution' must be one of " + distribution_names_text() + ", got " +
                        quoted(v.value)};
  }
  pool.distribution = v.value;
  return {};
}

Problem set_redis_auth(PoolSpec& pool, PoolState& state, const YamlNode& v) {
  if (v.value.empty()) return {v.line, "'redis_auth' must not be empty"};
  pool.redis_auth = v.value;
  state.redis_auth_line = v.line;
  return {};
}

Problem set_redis_user(PoolSpec& pool, PoolState& state, const YamlNode& v) {
  // Redis's ACL names are words: AUTH and HELLO separate them by spaces.
  const bool word = !v.value.empty() && std::all_of(v.value.begin(), v.value.end(), [](char c) {
    return c > ' ' && c != 0x7f;
  });
  if (!word) {
    return {v.line, "'redis_user' must be one word (an ACL user name), got " + quoted(v.value)};
  }
  pool.redis_user = v.value;
  state.redis_user_line = v.line;
  return {};
}

Problem set_servers(PoolSpec& pool, PoolState& state, const YamlNode& v) {
  if (!v.is_sequence() || v.children.empty()) {
    return {v.line, "'servers' must be a list of \"host:port:weight [name]\" entries"};
  }
  std::map<std::string, int> labels;  // label -> line, to refuse duplicates
  for (const YamlNode& item : v.children) {
    if (!item.is_scalar()) {
      return {item.line, "each entry of 'servers' must be a string \"host:port:weight [name]\""};
    }
    ServerSpec server;
    std::string err = parse_server(item.value, &server);
    if (!err.empty()) return explain_continuation({item.line, std::move(err)}, item);
    server.line = item.line;
    // nutcracker refuses two servers with the same label (name, or host:port
    // when unnamed): their stats and ketama points would collide.
    auto [it, inserted] = labels.emplace(server.label, item.line);
    if (!inserted) {
      return {item.line, "server " + quoted(server.text) + " has the same name " +
                             quoted(server.label) + " as the server at line " +
                             std::to_string(it->second)};
    }
    pool.servers.push_back(std::move(server));
  }
  state.has_servers = true;
  return {};
}

Problem set_sentinels(PoolSpec& pool, PoolState&, const YamlNode& v) {
  if (!v.is_sequence() || v.children.empty()) {
    return {v.line, "'sentinels' must be a list of \"host:port\" entries"};
  }
  for (const YamlNode& item : v.children) {
    if (!item.is_scalar()) {
      return {item.line, "each entry of 'sentinels' must be a string \"host:port\""};
    }
    ListenSpec address;
    std::string err = parse_listen(item.value, &address);
    if (err.empty() && address.is_unix) err = "a Sentinel is a TCP address, not a unix socket";
    if (!err.empty()) {
      return {item.line, "sentinel " + quoted(item.value) + ": " + std::move(err)};
    }
    for (const SentinelSpec& earlier : pool.sentinels) {
      if (earlier.host == address.host && earlier.port == address.port) {
        return {item.line, "sentinel " + quoted(item.value) + " is listed already at line " +
                               std::to_string(earlier.line)};
      }
    }
    pool.sentinels.push_back({item.value, item.line, address.host, address.port});
  }
  return {};
}

// One entry of server_auth: "password", or a mapping of `password` and
// an optional `user`.
Problem read_server_auth(const YamlNode& key, const YamlNode& value, ServerAuth* out) {
  out->server = key.value;
  out->line = key.line;
  const std::string where = "'server_auth' of " + quoted(key.value);
  if (value.is_scalar()) {
    out->password = value.value;
  } else if (value.is_mapping()) {
    for (size_t i = 0; i < value.pair_count(); ++i) {
      const YamlNode& k = value.key_at(i);
      const YamlNode& v = value.value_at(i);
      std::string* field = k.value == "user"       ? &out->user
                           : k.value == "password" ? &out->password
                                                   : nullptr;
      if (field == nullptr || !v.is_scalar()) {
        return {k.line, where + " takes 'user' and 'password', got " + quoted(k.value)};
      }
      *field = v.value;
    }
  } else {
    return {value.line, where + " must be a password or a mapping of user and password"};
  }
  if (out->password.empty()) return {value.line, where + " has no password"};
  if (out->user.find_first_of(" \t") != std::string::npos) {
    return {value.line, where + ": the user must be one word, got " + quoted(out->user)};
  }
  return {};
}

Problem set_server_auth(PoolSpec& pool, PoolState&, const YamlNode& v) {
  if (!v.is_mapping() || v.pair_count() == 0) {
    return {v.line, "'server_auth' must be a mapping of server names to passwords"};
  }
  for (size_t i = 0; i < v.pair_count(); ++i) {
    ServerAuth entry;
    if (Problem p = read_server_auth(v.key_at(i), v.value_at(i), &entry)) return p;
    for (const ServerAuth& earlier : pool.server_auth) {
      if (earlier.server == entry.server) {
        return {entry.line, "'server_auth' names " + quoted(entry.server) +
                                " twice (first at line " + std::to_string(earlier.line) + ")"};
      }
    }
    pool.server_auth.push_back(std::move(entry));
  }
  return {};
}

Problem set_sentinel_auth(PoolSpec& pool, PoolState&, const YamlNode& v) {
  if (v.value.empty()) return {v.line, "'sentinel_auth' must not be empty"};
  pool.sentinel_auth = v.value;
  return {};
}

// A file a TLS key names: any path; OpenSSL reads it when the pool is
// checked (check_tls_keys).
template <std::string PoolSpec::*Field>
Problem set_path(PoolSpec& pool, PoolState&, const YamlNode& v) {
  if (v.value.empty()) return {v.line, "a TLS file must not be empty"};
  pool.*Field = v.value;
  return {};
}

Problem set_tls_protocols(PoolSpec& pool, PoolState&, const YamlNode& v) {
  if (!net::valid_tls_protocols(v.value)) {
    return {v.line, "'tls_protocols' must name TLSv1.2, TLSv1.3 or both (older ones are unsafe), got " +
                        quoted(v.value)};
  }
  pool.tls_protocols = v.value;
  return {};
}

Problem set_tls_ciphers(PoolSpec& pool, PoolState&, const YamlNode& v) {
  if (v.value.empty()) return {v.line, "'tls_ciphers' must not be empty"};
  pool.tls_ciphers = v.value;
  return {};
}

Problem set_server_tls_server_name(PoolSpec& pool, PoolState&, const YamlNode& v) {
  if (v.value.empty() || v.value.find_first_of(" \t/") != std::string::npos) {
    return {v.line, "'server_tls_server_name' must be a host name or address, got " +
                        quoted(v.value)};
  }
  pool.server_tls_server_name = v.value;
  return {};
}

constexpr ReadPolicy kReadPolicies[] = {ReadPolicy::kMaster, ReadPolicy::kPreferMaster,
                                        ReadPolicy::kReplica, ReadPolicy::kPreferReplica,
                                        ReadPolicy::kAny};

Problem set_read_policy(PoolSpec& pool, PoolState&, const YamlNode& v) {
  std::string names;
  for (ReadPolicy policy : kReadPolicies) {
    if (v.value == read_policy_name(policy)) {
      pool.read_policy = policy;
      return {};
    }
    names += names.empty() ? "" : ", ";
    names += read_policy_name(policy);
  }
  return {v.line, "'read_policy' must be one of " + names + ", got " + quoted(v.value)};
}

// Every key a pool may have, in nutcracker's documentation order.
const KeyRule kRules[] = {
    {"listen", KeyType::custom, nullptr, nullptr, set_listen},
    {"hash", KeyType::custom, nullptr, nullptr, set_hash},
    {"hash_tag", KeyType::custom, nullptr, nullptr, set_hash_tag},
    {"distribution", KeyType::custom, nullptr, nullptr, set_distribution},
    {"timeout", KeyType::non_negative, &PoolSpec::timeout},
    {"backlog", KeyType::non_negative, &PoolSpec::backlog},
    {"client_connections", KeyType::non_negative, &PoolSpec::client_connections},
    {"client_output_limit", KeyType::non_negative, &PoolSpec::client_output_limit},
    {"max_request_size", KeyType::non_negative, &PoolSpec::max_request_size},
    {"redis", KeyType::boolean, nullptr, &PoolSpec::redis},
    {"redis_auth", KeyType::custom, nullptr, nullptr, set_redis_auth},
    {"redis_user", KeyType::custom, nullptr, nullptr, set_redis_user},
    {"redis_db", KeyType::non_negative, &PoolSpec::redis_db},
    {"redis_allow_flush", KeyType::boolean, nullptr, &PoolSpec::redis_allow_flush},
    {"redis_cluster", KeyType::boolean, nullptr, &PoolSpec::redis_cluster},
    {"cluster_max_redirects", KeyType::non_negative, &PoolSpec::cluster_max_redirects, nullptr,
     nullptr, kMaxClusterRedirects},
    {"cluster_refresh_interval", KeyType::non_negative, &PoolSpec::cluster_refresh_interval},
    {"sentinels", KeyType::custom, nullptr, nullptr, set_sentinels},
    {"sentinel_auth", KeyType::custom, nullptr, nullptr, set_sentinel_auth},
    {"server_auth", KeyType::custom, nullptr, nullptr, set_server_auth},
    {"read_policy", KeyType::custom, nullptr, nullptr, set_read_policy},
    {"preconnect", KeyType::boolean, nullptr, &PoolSpec::preconnect},
    {"server_heartbeat", KeyType::non_negative, &PoolSpec::server_heartbeat},
    {"auto_eject_hosts", KeyType::boolean, nullptr, &PoolSpec::auto_eject_hosts},
    {"server_connections", KeyType::positive, &PoolSpec::server_connections},
    {"server_retry_timeout", KeyType::non_negative, &PoolSpec::server_retry_timeout},
    {"server_failure_limit", KeyType::non_negative, &PoolSpec::server_failure_limit},
    {"tcpkeepalive", KeyType::boolean, nullptr, &PoolSpec::tcpkeepalive},
    {"reuseport", KeyType::boolean, nullptr, &PoolSpec::reuseport},
    {"tls_cert_file", KeyType::custom, nullptr, nullptr, set_path<&PoolSpec::tls_cert_file>},
    {"tls_key_file", KeyType::custom, nullptr, nullptr, set_path<&PoolSpec::tls_key_file>},
    {"tls_ca_cert_file", KeyType::custom, nullptr, nullptr, set_path<&PoolSpec::tls_ca_cert_file>},
    {"tls_auth_clients", KeyType::boolean, nullptr, &PoolSpec::tls_auth_clients},
    {"tls_protocols", KeyType::custom, nullptr, nullptr, set_tls_protocols},
    {"tls_ciphers", KeyType::custom, nullptr, nullptr, set_tls_ciphers},
    {"tls_handshake_timeout", KeyType::positive, &PoolSpec::tls_handshake_timeout},
    {"server_tls", KeyType::boolean, nullptr, &PoolSpec::server_tls},
    {"server_tls_ca_cert_file", KeyType::custom, nullptr, nullptr,
     set_path<&PoolSpec::server_tls_ca_cert_file>},
    {"server_tls_cert_file", KeyType::custom, nullptr, nullptr,
     set_path<&PoolSpec::server_tls_cert_file>},
    {"server_tls_key_file", KeyType::custom, nullptr, nullptr,
     set_path<&PoolSpec::server_tls_key_file>},
    {"server_tls_server_name", KeyType::custom, nullptr, nullptr, set_server_tls_server_name},
    {"server_tls_verify", KeyType::boolean, nullptr, &PoolSpec::server_tls_verify},
    {"servers", KeyType::custom, nullptr, nullptr, set_servers},
};

const KeyRule* find_rule(std::string_view name) {
  for (const KeyRule& rule : kRules) {
    if (rule.name == name) return &rule;
  }
  return nullptr;
}

Problem apply_rule(const KeyRule& rule, PoolSpec& pool, PoolState& state, const YamlNode& key,
                   const YamlNode& value) {
  const std::string name = quoted(rule.name);
  // Only `servers` and `sentinels` take a list, and `server_auth` a
  // mapping; everything else is one
  // scalar.
  if (rule.name != "servers" && rule.name != "sentinels" && rule.name != "server_auth" &&
      !value.is_scalar()) {
    return {value.line,
            name + " must be a single value, not a " + (value.is_sequence() ? "list" : "mapping")};
  }
  switch (rule.type) {
    case KeyType::non_negative:
    case KeyType::positive: {
      int n = 0;
      IntParse parsed = parse_non_negative_int(value.value, &n);
      // Past the key's own limit is refused as past INT_MAX is.
      if (parsed == IntParse::ok && n > rule.max) parsed = IntParse::too_large;
      switch (parsed) {
        case IntParse::ok:
          break;
        case IntParse::not_a_number:
          return {value.line, name + " must be a non-negative integer, got " + quoted(value.value)};
        case IntParse::too_large:
          return {value.line, name + " must be at most " + std::to_string(rule.max) + ", got " +
                                  quoted(value.value)};
      }
      if (rule.type == KeyType::positive && n == 0) {
        return {value.line, name + " must be at least 1, got " + quoted(value.value)};
      }
      pool.*rule.int_field = n;
      return {};
    }
    case KeyType::boolean:
      if (!parse_bool(value.value, &(pool.*rule.bool_field))) {
        return {value.line, name + " must be true or false, got " + quoted(value.value)};
      }
      return {};
    case KeyType::custom:
      return rule.custom(pool, state, value);
  }
  return {key.line, "internal error: unhandled key " + name};
}

// The line of `key` in the pool; 0 when the pool does not have it.
int line_of(const PoolState& state, std::string_view key) {
  auto it = state.seen_keys.find(key);
  return it == state.seen_keys.end() ? 0 : it->second;
}

// Of the problems one check found, the one the file shows first: the checks
// between keys run after the whole pool was read, and should still report
// as a reader of the file meets the problems.
Problem first_in_file(std::vector<Problem> found) {
  Problem first;
  for (Problem& p : found) {
    if (p && (!first || p.line < first.line)) first = std::move(p);
  }
  return first;
}

// `key` at `line` means nothing without `setting` (e.g. "redis: true").
Problem needs_setting(int line, std::string_view key, std::string_view setting,
                      const std::string& pool_name) {
  return {line, quoted(key) + " requires " + quoted(setting) + " in pool " + pool_name};
}

// `what` at `line` cannot be in a Redis Cluster pool, for the reason `why`.
Problem refused_in_cluster(int line, const std::string& what, const std::string& pool_name,
                           std::string_view why) {
  return {line,
          what + " with 'redis_cluster: true' in pool " + pool_name + ": " + std::string(why)};
}

// The cluster's own keys in a pool that is no cluster are a mistake (a
// forgotten redis_cluster, or keys left behind), not something to ignore.
Problem check_cluster_keys_need_cluster(const PoolState& state, const std::string& pool_name) {
  std::vector<Problem> found;
  for (std::string_view key : {"cluster_max_redirects", "cluster_refresh_interval"}) {
    if (int line = line_of(state, key)) {
      found.push_back(needs_setting(line, key, "redis_cluster: true", pool_name));
    }
  }
  return first_in_file(std::move(found));
}

// The first unix socket among the servers, or nullptr.
const ServerSpec* first_unix_server(const PoolSpec& pool) {
  for (const ServerSpec& s : pool.servers) {
    if (s.is_unix) return &s;
  }
  return nullptr;
}

// A Redis Cluster decides where every key lives and which node serves it:
// the pool's own placement and ejection would fight it, and it has one db.
Problem check_cluster_pool(const PoolSpec& pool, const PoolState& state) {
  const std::string name = quoted(pool.name);
  std::vector<Problem> found;
  if (!pool.redis) {
    found.push_back(
        needs_setting(line_of(state, "redis_cluster"), "redis_cluster", "redis: true", name));
  }
  for (std::string_view key : {"hash", "distribution", "hash_tag"}) {
    if (int line = line_of(state, key)) {
      found.push_back(refused_in_cluster(
          line, quoted(key) + " cannot be set", name,
          "Redis Cluster places keys by the CRC16 slot of the key or its {hash tag}"));
    }
  }
  if (pool.auto_eject_hosts) {
    found.push_back(refused_in_cluster(
        line_of(state, "auto_eject_hosts"), "'auto_eject_hosts: true' cannot be set", name,
        "the cluster decides where slots go, and walnut follows its failovers"));
  }
  if (pool.redis_db != 0) {
    found.push_back(
        refused_in_cluster(line_of(state, "redis_db"),
                           quoted("redis_db: " + std::to_string(pool.redis_db)) + " cannot be set",
                           name, "a Redis Cluster has only database 0"));
  }
  if (const ServerSpec* s = first_unix_server(pool)) {
    found.push_back(refused_in_cluster(s->line,
                                       "server " + quoted(s->text) + " cannot be a unix socket",
                                       name, "the nodes of a Redis Cluster are TCP addresses"));
  }
  return first_in_file(std::move(found));
}

// A pool of Sentinel masters: each server is a master's name, at an
// address Sentinel decides.
Problem check_sentinel_pool(const PoolSpec& pool, const PoolState& state) {
  const std::string name = quoted(pool.name);
  const int line = line_of(state, "sentinels");
  if (!pool.redis) return needs_setting(line, "sentinels", "redis: true", name);
  if (pool.redis_cluster) {
    return {line, "'sentinels' with 'redis_cluster: true' in pool " + name +
                      ": a Redis Cluster fails over by itself, without Sentinel"};
  }
  for (const ServerSpec& s : pool.servers) {
    if (s.is_unix) {
      return {s.line, "server " + quoted(s.text) + " cannot be a unix socket in pool " + name +
                          ": Sentinel gives TCP addresses"};
    }
    if (s.name.empty()) {
      return {s.line, "server " + quoted(s.text) + " has no name; with 'sentinels' every "
                      "server's name is the master's name in Sentinel (\"host:port:weight "
                      "mymaster\")"};
    }
  }
  return {};
}

// Every entry of server_auth names a server of the pool, which is Redis.
Problem check_server_auth(const PoolSpec& pool, const PoolState& state) {
  if (pool.server_auth.empty()) return {};
  if (!pool.redis) {
    return needs_setting(line_of(state, "server_auth"), "server_auth", "redis: true",
                         quoted(pool.name));
  }
  for (const ServerAuth& a : pool.server_auth) {
    const bool found = std::any_of(pool.servers.begin(), pool.servers.end(),
                                   [&a](const ServerSpec& s) { return s.label == a.server; });
    if (!found) {
      return {a.line, "'server_auth' names " + quoted(a.server) + ", which is no server of pool " +
                          quoted(pool.name) + " (a server's name, or host:port as written)"};
    }
  }
  return {};
}

// The keys that mean something only with others.
Problem check_replica_keys(const PoolSpec& pool, const PoolState& state) {
  const std::string name = quoted(pool.name);
  if (int line = line_of(state, "sentinel_auth"); line != 0 && pool.sentinels.empty()) {
    return needs_setting(line, "sentinel_auth", "sentinels", name);
  }
  if (pool.read_policy != ReadPolicy::kMaster && pool.sentinels.empty() && !pool.redis_cluster) {
    return {line_of(state, "read_policy"),
            "'read_policy: " + std::string(read_policy_name(pool.read_policy)) +
                "' requires 'sentinels' or 'redis_cluster: true' in pool " + name +
                ": walnut finds the replicas there"};
  }
  return {};
}

// Checks that need the whole pool.
Problem check_pool(const PoolSpec& pool, const PoolState& state) {
  const std::string name = quoted(pool.name);
  if (!state.has_listen) return {pool.line, "pool " + name + " has no 'listen'"};
  if (!state.has_servers) return {pool.line, "pool " + name + " has no 'servers'"};
  if (!pool.redis_auth.empty() && !pool.redis) {
    return needs_setting(state.redis_auth_line, "redis_auth", "redis: true", name);
  }
  if (!pool.redis_user.empty() && pool.redis_auth.empty()) {
    return needs_setting(state.redis_user_line, "redis_user", "redis_auth", name);
  }
  if (Problem p = pool.redis_cluster ? check_cluster_pool(pool, state)
                                     : check_cluster_keys_need_cluster(state, name)) {
    return p;
  }
  if (!pool.sentinels.empty()) {
    if (Problem p = check_sentinel_pool(pool, state)) return p;
  }
  if (Problem p = check_replica_keys(pool, state)) return p;
  if (Problem p = check_server_auth(pool, state)) return p;
  const TlsKeyProblem tls = check_tls_keys(
      pool, [&state](std::string_view key) { return line_of(state, key) != 0; });
  if (!tls.key.empty()) return {line_of(state, tls.key), tls.message};
  if (pool.distribution == "server_name") {
    for (const ServerSpec& s : pool.servers) {
      if (s.name.empty()) {
        return {s.line, "distribution server_name requires every server to have a name; " +
                            quoted(s.text) + " has none"};
      }
    }
  }
  return {};
}

Problem read_pool(const YamlNode& key, const YamlNode& value, PoolSpec* out, int* listen_line) {
  PoolSpec pool;
  pool.name = key.value;
  pool.line = key.line;
  const std::string name = quoted(pool.name);
  if (!value.is_mapping()) return {value.line, "pool " + name + " must be a mapping of keys"};

  PoolState state;
  for (size_t i = 0; i < value.pair_count(); ++i) {
    const YamlNode& k = value.key_at(i);
    const YamlNode& v = value.value_at(i);
    if (!k.is_scalar()) return {k.line, "keys in pool " + name + " must be plain names"};
    const KeyRule* rule = find_rule(k.value);
    if (!rule) return {k.line, "unknown key " + quoted(k.value) + " in pool " + name};
    auto [it, inserted] = state.seen_keys.emplace(k.value, k.line);
    if (!inserted) {
      return {k.line, "duplicate key " + quoted(k.value) + " in pool " + name + " (first at line " +
                          std::to_string(it->second) + ")"};
    }
    if (Problem p = apply_rule(*rule, pool, state, k, v)) return explain_continuation(p, v);
  }
  if (Problem p = check_pool(pool, state)) return p;
  *listen_line = state.listen_line;
  *out = std::move(pool);
  return {};
}

bool same_address(const ListenSpec& a, const ListenSpec& b) {
  if (a.is_unix != b.is_unix) return false;
  if (a.is_unix) return a.path == b.path;
  return a.host == b.host && a.port == b.port;
}

Problem read_config(std::string_view yaml, Config* out) {
  YamlResult doc = parse_yaml(yaml);
  if (!doc.ok) return {doc.error_line, std::move(doc.error)};
  if (doc.empty) return {1, "the file has no pools"};
  const YamlNode& root = doc.root;
  if (!root.is_mapping()) {
    return {root.line, "the top level must be a mapping of pool names to pools"};
  }

  Config config;
  std::map<std::string, int> pool_lines;  // name -> line, to refuse duplicates
  for (size_t i = 0; i < root.pair_count(); ++i) {
    const YamlNode& key = root.key_at(i);
    if (!key.is_scalar()) return {key.line, "a pool name must be a plain string"};
    if (key.value.empty()) return {key.line, "a pool name must not be empty"};
    auto [it, inserted] = pool_lines.emplace(key.value, key.line);
    if (!inserted) {
      return {key.line, "duplicate pool " + quoted(key.value) + " (first at line " +
                            std::to_string(it->second) + ")"};
    }
    PoolSpec pool;
    int listen_line = 0;
    if (Problem p = read_pool(key, root.value_at(i), &pool, &listen_line)) return p;
    // nutcracker compares the listen strings; comparing the parsed address
    // also catches one unix path given twice with different permissions.
    for (const PoolSpec& earlier : config.pools) {
      if (same_address(earlier.listen, pool.listen)) {
        return {listen_line, "pools " + quoted(earlier.name) + " and " + quoted(pool.name) +
                                 " both listen on " + quoted(pool.listen.text)};
      }
    }
    config.pools.push_back(std::move(pool));
  }
  *out = std::move(config);
  return {};
}

LoadResult failure(std::string message) {
  LoadResult r;
  r.ok = false;
  r.error = std::move(message);
  return r;
}

// Reads the whole file, keeping errno for the message when it cannot.
bool read_whole_file(const std::string& path, std::string* text, int* err) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) {
    *err = errno;
    return false;
  }
  char buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) text->append(buf, n);
  const bool failed = std::ferror(f) != 0;
  *err = errno;
  std::fclose(f);
  return !failed;
}

}  // namespace

LoadResult load_string(std::string_view yaml, std::string_view file_name) {
  try {
    LoadResult result;
    if (Problem p = read_config(yaml, &result.config)) {
      return failure(std::string(file_name) + ":" + std::to_string(p.line) + ": " + p.message);
    }
    for (PoolSpec& pool : result.config.pools) pool.file = file_name;
    result.ok = true;
    return result;
  } catch (const std::bad_alloc&) {
    return failure(std::string(file_name) + ": out of memory");
  } catch (...) {
    return failure(std::string(file_name) + ": internal error while reading the config");
  }
}

LoadResult load_file(const std::string& path) {
  try {
    std::string text;
    int err = 0;
    if (!read_whole_file(path, &text, &err)) {
      return failure(path + ": cannot read: " + std::strerror(err));
    }
    LoadResult r = load_string(text, path);
    r.text = std::move(text);
    return r;
  } catch (...) {
    return failure(path + ": out of memory");
  }
}

const char* read_policy_name(ReadPolicy policy) {
  switch (policy) {
    case ReadPolicy::kMaster: return "master";
    case ReadPolicy::kPreferMaster: return "prefer_master";
    case ReadPolicy::kReplica: return "replica";
    case ReadPolicy::kPreferReplica: return "prefer_replica";
    case ReadPolicy::kAny: return "any";
  }
  return "master";
}

const ServerAuth* server_auth_of(const PoolSpec& pool, const std::string& label) {
  for (const ServerAuth& a : pool.server_auth) {
    if (a.server == label) return &a;
  }
  return nullptr;
}

uint64_t max_request_bytes(const PoolSpec& pool) {
  if (pool.max_request_size == 0) return UINT64_MAX;
  if (pool.max_request_size > 0) return static_cast<uint64_t>(pool.max_request_size);
  return pool.redis ? 512ull * 1024 * 1024 : 1024ull * 1024;
}

}  // namespace walnut::config
