// Every counter of a pool and of a server, defined once: its name and
// description in nutcracker's stats JSON and -D, its Prometheus series, and
// the member that holds it. The JSON, -D, /metrics and memcached's "stats"
// are all written from these tables, in their (nutcracker's) order. The rows
// are data, one a line, in pool_fields.def and server_fields.def.
#pragma once

#include <cstdint>

#include "stats/counters.h"

namespace walnut::stats {

template <typename Counters>
struct CounterField {
  const char* name;         // nutcracker's, in the JSON and -D
  const char* description;  // nutcracker's, in -D
  const char* series;       // Prometheus name; nullptr: written apart
  bool gauge;               // a level now, not a count since start
  const char* help;         // Prometheus HELP
  uint64_t Counters::*member;
  bool in_memcache_stats;   // summed over the pool's servers in "stats"
};

inline constexpr CounterField<PoolCounters> kPoolFields[] = {
#include "stats/pool_fields.def"
};

inline constexpr CounterField<ClusterCounters> kClusterFields[] = {
#include "stats/cluster_fields.def"
};

inline constexpr CounterField<ServerCounters> kServerFields[] = {
#include "stats/server_fields.def"
};

inline constexpr CounterField<ServerCounters> kServerWalnutFields[] = {
#include "stats/server_walnut_fields.def"
};

}  // namespace walnut::stats
