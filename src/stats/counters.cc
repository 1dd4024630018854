// The stats JSON and the field descriptions.
#include "stats/counters.h"

#include "stats/escape.h"
#include "stats/fields.h"

#include <cstdio>
#include <string_view>

namespace walnut::stats {

namespace {

std::string json_string(std::string_view s) { return escaped(s, Quoting::kJson); }

void number(std::string& out, const char* name, uint64_t value, bool first) {
  if (!first) out += ", ";
  out += '"';
  out += name;
  out += "\":";
  out += std::to_string(value);
}

template <typename Counters, size_t N>
void fields(std::string& out, const Counters& c, const CounterField<Counters> (&table)[N]) {
  for (size_t i = 0; i < N; ++i) number(out, table[i].name, c.*table[i].member, i == 0);
}

template <typename Counters, size_t N>
void describe_fields(std::string& out, const CounterField<Counters> (&table)[N]) {
  char line[160];
  for (const CounterField<Counters>& f : table) {
    std::snprintf(line, sizeof(line), "  %-20s\"%s\"\n", f.name, f.description);
    out += line;
  }
}

}  // namespace

std::string to_json(const Snapshot& s) {
  std::string out = "{\"service\":\"nutcracker\", \"source\":\"" + json_string(s.source) +
                    "\", \"version\":\"" + json_string(s.version) + "\"";
  number(out, "uptime", s.uptime, false);
  number(out, "timestamp", s.timestamp, false);
  number(out, "total_connections", s.total_connections, false);
  number(out, "curr_connections", s.curr_connections, false);
  const ReloadStats& r = s.reloads;
  if (r.ok + r.failed > 0) {  // walnut's own, once a reload was asked for
    number(out, "reloads_ok", r.ok, false);
    number(out, "reloads_failed", r.failed, false);
    number(out, "last_reload", r.last_ok, false);
    out += ", \"config_md5\":\"" + json_string(r.config_md5) + "\"";
  }
  for (const PoolSnapshot& p : s.pools) {
    out += ", \"" + json_string(p.name) + "\": {";
    fields(out, p.counters, kPoolFields);
    if (p.cluster) {
      out += ", ";
      fields(out, p.cluster_counters, kClusterFields);
    }
    for (size_t i = 0; i < p.servers.size(); ++i) {
      out += i == 0 ? ", " : ",";
      out += "\"" + json_string(p.servers[i].name) + "\": {";
      fields(out, p.servers[i].counters, kServerFields);
      if (p.server_details) {
        out += ", \"address\":\"" + json_string(p.servers[i].address) + "\", \"role\":\"" +
               json_string(p.servers[i].role) + "\", ";
        fields(out, p.servers[i].counters, kServerWalnutFields);
      }
      out += "}";
    }
    out += "}";
  }
  out += "}\n";
  return out;
}

std::string describe() {
  std::string out = "pool stats:\n";
  describe_fields(out, kPoolFields);
  out += "\nredis cluster pool stats (walnut):\n";
  describe_fields(out, kClusterFields);
  out += "\nserver stats:\n";
  describe_fields(out, kServerFields);
  out += "\nserver stats of pools with sentinels, read_policy or server_heartbeat (walnut):\n";
  out += "  address             \"where the server is now\"\n";
  out += "  role                \"master or replica\"\n";
  describe_fields(out, kServerWalnutFields);
  return out;
}

}  // namespace walnut::stats
