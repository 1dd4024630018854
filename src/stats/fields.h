// Every counter of a pool and of a server, defined once: its name and
// description in nutcracker's stats JSON and -D, its Prometheus series, and
// the member that holds it. The JSON, -D, /metrics and memcached's "stats"
// are all written from these tables, in this (nutcracker's) order.
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
    {"client_eof", "# eof on client connections", "walnut_client_eof_total", false,
     "EOF on client connections.", &PoolCounters::client_eof, true},
    {"client_err", "# errors on client connections", "walnut_client_err_total", false,
     "Errors on client connections.", &PoolCounters::client_err, true},
    {"client_connections", "# active client connections", "walnut_client_connections", true,
     "Active client connections.", &PoolCounters::client_connections, false},
    {"server_ejects", "# times backend server was ejected", "walnut_server_ejects_total", false,
     "Times a server was ejected.", &PoolCounters::server_ejects, true},
    {"forward_error", "# times we encountered a forwarding error", "walnut_forward_error_total",
     false, "Requests that could not be forwarded.", &PoolCounters::forward_error, true},
    {"fragments", "# fragments created from a multi-vector request", "walnut_fragments_total",
     false, "Parts that split requests were cut into.", &PoolCounters::fragments, true},
};

inline constexpr CounterField<ServerCounters> kServerFields[] = {
    {"server_eof", "# eof on server connections", "walnut_server_eof_total", false,
     "EOF on server connections.", &ServerCounters::server_eof, true},
    {"server_err", "# errors on server connections", "walnut_server_err_total", false,
     "Errors on server connections.", &ServerCounters::server_err, true},
    {"server_timedout", "# timeouts on server connections", "walnut_server_timedout_total", false,
     "Requests that timed out.", &ServerCounters::server_timedout, true},
    {"server_connections", "# active server connections", "walnut_server_connections", true,
     "Active server connections.", &ServerCounters::server_connections, true},
    // In seconds, not microseconds, for Prometheus: written apart.
    {"server_ejected_at", "timestamp when server was ejected in usec since epoch", nullptr, true,
     nullptr, &ServerCounters::server_ejected_at, false},
    {"requests", "# requests", "walnut_server_requests_total", false,
     "Requests sent to the server.", &ServerCounters::requests, true},
    {"request_bytes", "total request bytes", "walnut_server_request_bytes_total", false,
     "Request bytes sent to the server.", &ServerCounters::request_bytes, true},
    {"responses", "# responses", "walnut_server_responses_total", false,
     "Responses from the server.", &ServerCounters::responses, true},
    {"response_bytes", "total response bytes", "walnut_server_response_bytes_total", false,
     "Response bytes from the server.", &ServerCounters::response_bytes, true},
    {"in_queue", "# requests in incoming queue", "walnut_server_in_queue", true,
     "Requests waiting to be written.", &ServerCounters::in_queue, false},
    {"in_queue_bytes", "current request bytes in incoming queue", "walnut_server_in_queue_bytes",
     true, "Request bytes waiting to be written.", &ServerCounters::in_queue_bytes, false},
    {"out_queue", "# requests in outgoing queue", "walnut_server_out_queue", true,
     "Requests written, not yet answered.", &ServerCounters::out_queue, false},
    {"out_queue_bytes", "current request bytes in outgoing queue", "walnut_server_out_queue_bytes",
     true, "Request bytes written, not yet answered.", &ServerCounters::out_queue_bytes, false},
};

}  // namespace walnut::stats
