// The stats in Prometheus's text exposition format: every nutcracker counter
// as a labelled series (pool, server), plus request latency histograms and
// requests per command.
#include <algorithm>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "stats/counters.h"
#include "stats/escape.h"
#include "stats/fields.h"

namespace walnut::stats {

namespace {

std::string label(std::string_view v) { return escaped(v, Quoting::kPrometheus); }

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

template <typename Counters>
Family family_of(const CounterField<Counters>& f) {
  return {f.series, f.gauge ? "gauge" : "counter", f.help};
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
  const Family reloads{"walnut_reloads_total", "counter",
                       "Reloads of the configuration file (SIGUSR1), by result."};
  header(out, reloads);
  out += "walnut_reloads_total{result=\"ok\"} " + std::to_string(s.reloads.ok) + "\n";
  out += "walnut_reloads_total{result=\"failed\"} " + std::to_string(s.reloads.failed) + "\n";
  const Family last{"walnut_last_reload_success_timestamp_seconds", "gauge",
                    "When the last reload succeeded (0: none since start)."};
  header(out, last);
  out += "walnut_last_reload_success_timestamp_seconds " + std::to_string(s.reloads.last_ok) + "\n";
  const Family conf{"walnut_config_info", "gauge",
                    "The running configuration: the MD5 of its file."};
  header(out, conf);
  out += "walnut_config_info{md5=\"" + label(s.reloads.config_md5) + "\"} 1\n";

  for (const CounterField<PoolCounters>& f : kPoolFields) {
    header(out, family_of(f));
    for (const PoolSnapshot& p : s.pools) {
      sample(out, f.series, "pool=\"" + label(p.name) + "\"", p.counters.*f.member);
    }
  }
  const bool any_cluster =
      std::any_of(s.pools.begin(), s.pools.end(), [](const PoolSnapshot& p) { return p.cluster; });
  for (const CounterField<ClusterCounters>& f : kClusterFields) {
    if (!any_cluster) break;
    header(out, family_of(f));
    for (const PoolSnapshot& p : s.pools) {
      if (!p.cluster) continue;
      sample(out, f.series, "pool=\"" + label(p.name) + "\"", p.cluster_counters.*f.member);
    }
  }
  for (const CounterField<ServerCounters>& f : kServerFields) {
    if (f.series == nullptr) continue;
    header(out, family_of(f));
    for (const PoolSnapshot& p : s.pools) {
      for (const ServerSnapshot& srv : p.servers) {
        sample(out, f.series, "pool=\"" + label(p.name) + "\",server=\"" + label(srv.name) + "\"",
               srv.counters.*f.member);
      }
    }
  }

  const bool any_details = std::any_of(s.pools.begin(), s.pools.end(),
                                      [](const PoolSnapshot& p) { return p.server_details; });
  if (any_details) {
    const Family info{"walnut_server_info", "gauge",
                      "A server's address and role now (1 per server)."};
    header(out, info);
    for (const PoolSnapshot& p : s.pools) {
      if (!p.server_details) continue;
      for (const ServerSnapshot& srv : p.servers) {
        sample(out, "walnut_server_info",
               "pool=\"" + label(p.name) + "\",server=\"" + label(srv.name) + "\",address=\"" +
                   label(srv.address) + "\",role=\"" + label(srv.role) + "\"",
               1);
      }
    }
    for (const CounterField<ServerCounters>& f : kServerWalnutFields) {
      header(out, family_of(f));
      for (const PoolSnapshot& p : s.pools) {
        if (!p.server_details) continue;
        for (const ServerSnapshot& srv : p.servers) {
          sample(out, f.series,
                 "pool=\"" + label(p.name) + "\",server=\"" + label(srv.name) + "\"",
                 srv.counters.*f.member);
        }
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
