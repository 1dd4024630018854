// walnut's configuration: twemproxy's YAML (one or more server pools, each a
// top-level key), read into plain structs. This room knows YAML and the rules
// for every key; it knows nothing of sockets or the event loop.
//
// Every error is reported as "FILE:LINE: what is wrong" so that a user can go
// straight to the line; a bad file never yields a partial Config.
#pragma once

#include <sys/types.h>

#include <cstdint>

#include <string>
#include <string_view>
#include <vector>

namespace walnut::config {

// Where a pool listens: "host:port", or a unix socket path with an optional
// octal permission ("/tmp/walnut.sock 0666").
struct ListenSpec {
  std::string text;  // as written in the file
  int line = 0;      // line of `listen`, for later error messages
  bool is_unix = false;
  std::string host;  // tcp only
  int port = 0;      // tcp only
  std::string path;  // unix only
  mode_t perm = 0;   // unix only; 0 means "leave as created"
};

// One entry of `servers`: "host:port:weight [name]" or "/path:weight [name]".
struct ServerSpec {
  std::string text;  // as written in the file
  int line = 0;      // line of the entry, for later error messages
  bool is_unix = false;
  std::string host;  // tcp only
  int port = 0;      // tcp only
  std::string path;  // unix only
  int weight = 1;
  std::string name;  // the optional name; empty when not given
  // The name used for stats and ketama points, byte for byte nutcracker's:
  // `name` when given; otherwise "host:port" as written, except that port
  // 11211 is left out ("host"), and a unix server is "/path:" (with the colon).
  std::string label;
};

// One entry of `sentinels`: "host:port" of a Redis Sentinel.
struct SentinelSpec {
  std::string text;  // as written in the file
  int line = 0;
  std::string host;
  int port = 0;
};

// A server's own credentials (`server_auth`, walnut-only): its connections
// authenticate with them instead of the pool's redis_auth. Clients still
// log in with the pool's.
struct ServerAuth {
  std::string server;  // the server's name, or host:port as written
  std::string user;    // "" for the pool's redis_user (Redis's default when none)
  std::string password;
  int line = 0;
};

// Where a pool's read-only commands go (`read_policy`, Envoy's names): to
// the master always, to the master unless it is down, to a replica always,
// to a replica unless none is up, or to any of them in turn.
enum class ReadPolicy : uint8_t { kMaster, kPreferMaster, kReplica, kPreferReplica, kAny };

struct PoolSpec {
  std::string name;
  std::string file;  // the configuration file, for messages that name a line
  int line = 0;
  ListenSpec listen;
  std::string hash = "fnv1a_64";
  std::string hash_tag;  // empty, or exactly two characters
  std::string distribution = "ketama";
  int timeout = -1;  // ms; -1 means wait forever
  int backlog = 512;
  int client_connections = 0;  // 0 means no limit
  // Bytes walnut may hold for one client (its queued requests and unwritten
  // replies) before it stops reading from it; 0 means no limit (walnut-only).
  int client_output_limit = 64 * 1024 * 1024;
  // The largest request walnut accepts, in bytes; -1 (unset) for the
  // protocol's default, 0 for no limit (walnut-only; see max_request_bytes).
  int max_request_size = -1;
  bool redis = false;
  std::string redis_auth;
  // The ACL user of redis_auth: servers get AUTH redis_user redis_auth, and
  // clients may name it in AUTH and HELLO; "" for Redis's "default" user
  // (walnut-only).
  std::string redis_user;
  int redis_db = 0;
  // FLUSHDB and FLUSHALL empty every server of the pool: refused unless
  // the pool says so (walnut-only).
  bool redis_allow_flush = false;
  // A Redis Cluster behind the pool (walnut-only): `servers` are seed
  // nodes, keys go by their CRC16 slot to the slot's master, MOVED and ASK
  // are followed.
  bool redis_cluster = false;
  // Redirects (MOVED, ASK, TRYAGAIN) one request may follow before the last
  // one's error goes to the client.
  int cluster_max_redirects = 5;
  // ms between reads of the slot map when nothing asks for one sooner; 0 for
  // only when a redirect or a failed node asks.
  int cluster_refresh_interval = 10000;
  // Redis Sentinels that know the pool's masters (walnut-only). Each server
  // is then a Sentinel master name (the server's name); its address is a
  // first guess, replaced by what the Sentinels say, and followed across
  // failovers.
  std::vector<SentinelSpec> sentinels;
  std::string sentinel_auth;  // the Sentinels' password, when they have one
  std::vector<ServerAuth> server_auth;  // in file order, each naming a server
  ReadPolicy read_policy = ReadPolicy::kMaster;
  bool preconnect = false;
  // ms between heartbeats (walnut-only): every idle server connection is
  // sent a PING (memcached: version) this often, and a connection that
  // closed is opened again in the background; 0 for none.
  int server_heartbeat = 0;
  bool auto_eject_hosts = false;
  int server_connections = 1;
  int server_retry_timeout = 30000;  // ms
  int server_failure_limit = 2;
  bool tcpkeepalive = false;
  bool reuseport = false;
  // TLS for clients (walnut-only): with tls_cert_file the listener speaks
  // TLS only. tls_auth_clients asks every client for a certificate from
  // tls_ca_cert_file. tls_protocols: "TLSv1.2 TLSv1.3" or a part of it
  // ("" for both); tls_ciphers: OpenSSL's list for TLS 1.2 ("" for its
  // default). A client's handshake must end within tls_handshake_timeout ms.
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string tls_ca_cert_file;
  bool tls_auth_clients = false;
  std::string tls_protocols;
  std::string tls_ciphers;
  int tls_handshake_timeout = 10000;
  // TLS to the servers (walnut-only). Their certificates are verified
  // (against server_tls_ca_cert_file, else the system's CAs) unless
  // server_tls_verify is off, and must name server_tls_server_name (also
  // sent as SNI), else the server's host as the servers list writes it.
  bool server_tls = false;
  std::string server_tls_ca_cert_file;
  std::string server_tls_cert_file;  // a client certificate, for servers that ask
  std::string server_tls_key_file;
  std::string server_tls_server_name;
  bool server_tls_verify = true;
  // In file order. nutcracker sorts them by label before building its
  // distribution; the dist room does that (see dist::label_less).
  std::vector<ServerSpec> servers;
};

struct Config {
  std::vector<PoolSpec> pools;  // in file order
};

struct LoadResult {
  bool ok = false;
  std::string error;  // "FILE:LINE: what is wrong" when !ok
  Config config;
  std::string text;  // the file as read (load_file)
};

// The largest request a pool accepts: its max_request_size, or by default
// what its servers accept by default (Redis's proto-max-bulk-len, 512 MiB;
// memcached's item size, 1 MiB); UINT64_MAX for no limit.
uint64_t max_request_bytes(const PoolSpec& pool);

// read_policy's value as written in the file ("prefer_replica").
const char* read_policy_name(ReadPolicy policy);

// The credentials of the server with `label` (see ServerSpec); nullptr
// when it has none of its own.
const ServerAuth* server_auth_of(const PoolSpec& pool, const std::string& label);

// Whether the pool's listener speaks TLS.
inline bool tls_listener(const PoolSpec& pool) { return !pool.tls_cert_file.empty(); }

// Reads and validates a configuration file.
LoadResult load_file(const std::string& path);
// Same, from text in memory; `file_name` is used in error messages.
LoadResult load_string(std::string_view yaml, std::string_view file_name);

}  // namespace walnut::config
