// The counters behind the stats port, with nutcracker 0.5.0's names. Plain
// integers: walnut is single-threaded, so counting is one add on the data
// path, with no lock and no atomic.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "stats/metrics.h"

namespace walnut::stats {

struct PoolCounters {
  uint64_t client_eof = 0;
  uint64_t client_err = 0;
  uint64_t client_connections = 0;  // gauge, filled at snapshot time
  uint64_t server_ejects = 0;
  uint64_t forward_error = 0;
  uint64_t fragments = 0;
};

// A Redis Cluster pool's own (walnut-only).
struct ClusterCounters {
  uint64_t moved = 0;
  uint64_t ask = 0;
  uint64_t tryagain = 0;
  uint64_t clusterdown = 0;
  uint64_t refreshes = 0;
  uint64_t refresh_failures = 0;
};

struct ServerCounters {
  uint64_t server_eof = 0;
  uint64_t server_err = 0;
  uint64_t server_timedout = 0;
  uint64_t server_connections = 0;  // gauge
  uint64_t server_ejected_at = 0;   // usec since the epoch; 0 when in
  uint64_t requests = 0;
  uint64_t request_bytes = 0;
  uint64_t responses = 0;
  uint64_t response_bytes = 0;
  uint64_t in_queue = 0;            // gauges from here on
  uint64_t in_queue_bytes = 0;
  uint64_t out_queue = 0;
  uint64_t out_queue_bytes = 0;
  // walnut-only (server_walnut_fields.def)
  uint64_t failovers = 0;
  uint64_t heartbeat_failures = 0;
  uint64_t policy_reads = 0;
};

struct ServerSnapshot {
  std::string name;  // the server's name, else host:port
  ServerCounters counters;
  std::string address;  // where it is now ("host:port", or a unix path)
  std::string role;     // "master" or "replica"
};

struct PoolSnapshot {
  std::string name;
  int64_t started = 0;  // when the pool started, seconds since the epoch
  PoolCounters counters;
  bool cluster = false;  // a Redis Cluster pool: cluster_counters apply
  ClusterCounters cluster_counters;
  // The pool uses Sentinel, replica reads or heartbeats: its servers show
  // their address, role and kServerWalnutFields.
  bool server_details = false;
  PoolMetrics metrics;
  std::vector<ServerSnapshot> servers;
};

// SIGUSR1 reloads: counted from the first one on (before it the JSON is
// nutcracker's).
struct ReloadStats {
  uint64_t ok = 0;
  uint64_t failed = 0;
  uint64_t last_ok = 0;     // seconds since the epoch; 0 for never
  std::string config_md5;   // of the running configuration file, hex
};

struct Snapshot {
  std::string source;   // the host name
  std::string version;
  uint64_t uptime = 0;     // seconds
  uint64_t timestamp = 0;  // seconds since the epoch
  uint64_t total_connections = 0;
  uint64_t curr_connections = 0;
  std::vector<PoolSnapshot> pools;
  ReloadStats reloads;
};

// The stats object exactly as nutcracker 0.5.0 lays it out, field order and
// spacing included, so that scripts that scrape it keep working.
std::string to_json(const Snapshot& snapshot);

// The text of -D, --describe-stats.
std::string describe();

// The same numbers (and the PoolMetrics) in Prometheus's text exposition
// format, version 0.0.4.
std::string to_prometheus(const Snapshot& snapshot);

}  // namespace walnut::stats
