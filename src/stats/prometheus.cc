// The stats in Prometheus's text exposition format: every nutcracker counter
// as a labelled series (pool, server), plus request latency histograms and
// requests per command.
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "stats/counters.h"

namespace walnut::stats {

namespace {

// Label values: backslash, double quote and newline escaped.
std::string label(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

struct Family {
  const char* name;
  const char* type;
  const char* help;
};

void header(std::string& out, const Family& f) {
  out += "# HELP ";
  out += f.name;
  out += ' ';
  out += f.help;
  out += "\n# TYPE ";
  out += f.name;
  out += ' ';
  out += f.type;
  out += '\n';
}

void sample(std::string& out, const char* name, const std::string& labels,
            uint64_t value) {
  out += name;
  out += '{';
  out += labels;
  out += "} ";
  out += std::to_string(value);
  out += '\n';
}

std::string seconds(uint64_t us) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.6f", static_cast<double>(us) / 1e6);
  return buf;
}

}  // namespace

std::string to_prometheus(const Snapshot& s) {
  std::string out;
  const Family uptime{"walnut_uptime_seconds", "gauge", "Seconds since walnut started."};
  header(out, uptime);
  out += "walnut_uptime_seconds " + std::to_string(s.uptime) + "\n";
  const Family total{"walnut_connections_total", "counter",
                     "Connections ever opened: listeners, clients and servers."};
  header(out, total);
  out += "walnut_connections_total " + std::to_string(s.total_connections) + "\n";
  const Family curr{"walnut_connections", "gauge", "Connections open now."};
  header(out, curr);
  out += "walnut_connections " + std::to_string(s.curr_connections) + "\n";

  using PoolField = uint64_t PoolCounters::*;
  struct PoolSeries {
    Family family;
    PoolField field;
  };
  const PoolSeries pool_series[] = {
      {{"walnut_client_eof_total", "counter", "EOF on client connections."}, &PoolCounters::client_eof},
      {{"walnut_client_err_total", "counter", "Errors on client connections."}, &PoolCounters::client_err},
      {{"walnut_client_connections", "gauge", "Active client connections."}, &PoolCounters::client_connections},
      {{"walnut_server_ejects_total", "counter", "Times a server was ejected."}, &PoolCounters::server_ejects},
      {{"walnut_forward_error_total", "counter", "Requests that could not be forwarded."}, &PoolCounters::forward_error},
      {{"walnut_fragments_total", "counter", "Parts that split requests were cut into."}, &PoolCounters::fragments},
  };
  for (const PoolSeries& ps : pool_series) {
    header(out, ps.family);
    for (const PoolSnapshot& p : s.pools) {
      sample(out, ps.family.name, "pool=\"" + label(p.name) + "\"", p.counters.*ps.field);
    }
  }

  using ServerField = uint64_t ServerCounters::*;
  struct ServerSeries {
    Family family;
    ServerField field;
  };
  const ServerSeries server_series[] = {
      {{"walnut_server_eof_total", "counter", "EOF on server connections."}, &ServerCounters::server_eof},
      {{"walnut_server_err_total", "counter", "Errors on server connections."}, &ServerCounters::server_err},
      {{"walnut_server_timedout_total", "counter", "Requests that timed out."}, &ServerCounters::server_timedout},
      {{"walnut_server_connections", "gauge", "Active server connections."}, &ServerCounters::server_connections},
      {{"walnut_server_requests_total", "counter", "Requests sent to the server."}, &ServerCounters::requests},
      {{"walnut_server_request_bytes_total", "counter", "Request bytes sent to the server."}, &ServerCounters::request_bytes},
      {{"walnut_server_responses_total", "counter", "Responses from the server."}, &ServerCounters::responses},
      {{"walnut_server_response_bytes_total", "counter", "Response bytes from the server."}, &ServerCounters::response_bytes},
      {{"walnut_server_in_queue", "gauge", "Requests waiting to be written."}, &ServerCounters::in_queue},
      {{"walnut_server_in_queue_bytes", "gauge", "Request bytes waiting to be written."}, &ServerCounters::in_queue_bytes},
      {{"walnut_server_out_queue", "gauge", "Requests written, not yet answered."}, &ServerCounters::out_queue},
      {{"walnut_server_out_queue_bytes", "gauge", "Request bytes written, not yet answered."}, &ServerCounters::out_queue_bytes},
  };
  for (const ServerSeries& ss : server_series) {
    header(out, ss.family);
    for (const PoolSnapshot& p : s.pools) {
      for (const ServerSnapshot& srv : p.servers) {
        sample(out, ss.family.name,
               "pool=\"" + label(p.name) + "\",server=\"" + label(srv.name) + "\"",
               srv.counters.*ss.field);
      }
    }
  }

  const Family ejected{"walnut_server_ejected_at_seconds", "gauge",
                       "When the server was ejected (seconds since the epoch), 0 when in."};
  header(out, ejected);
  for (const PoolSnapshot& p : s.pools) {
    for (const ServerSnapshot& srv : p.servers) {
      out += "walnut_server_ejected_at_seconds{pool=\"" + label(p.name) + "\",server=\"" +
             label(srv.name) + "\"} " + seconds(srv.counters.server_ejected_at) + "\n";
    }
  }

  const Family latency{"walnut_request_duration_seconds", "histogram",
                       "From a request's arrival to its reply being ready."};
  header(out, latency);
  for (const PoolSnapshot& p : s.pools) {
    const Histogram& h = p.metrics.latency;
    std::string pool = "pool=\"" + label(p.name) + "\"";
    uint64_t cumulative = 0;
    for (size_t i = 0; i < Histogram::kBoundsUs.size(); ++i) {
      cumulative += h.buckets[i];
      sample(out, "walnut_request_duration_seconds_bucket",
             pool + ",le=\"" + seconds(Histogram::kBoundsUs[i]) + "\"", cumulative);
    }
    sample(out, "walnut_request_duration_seconds_bucket", pool + ",le=\"+Inf\"", h.count);
    out += "walnut_request_duration_seconds_sum{" + pool + "} " + seconds(h.sum_us) + "\n";
    sample(out, "walnut_request_duration_seconds_count", pool, h.count);
  }

  const Family commands{"walnut_commands_total", "counter", "Requests per command."};
  header(out, commands);
  for (const PoolSnapshot& p : s.pools) {
    for (const auto& [name, count] : p.metrics.commands) {
      sample(out, "walnut_commands_total",
             "pool=\"" + label(p.name) + "\",command=\"" + label(name) + "\"", count);
    }
  }
  return out;
}

}  // namespace walnut::stats
