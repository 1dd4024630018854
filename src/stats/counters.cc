// The stats JSON and the field descriptions.
#include "stats/counters.h"

#include <cstdio>
#include <string_view>

namespace walnut::stats {

namespace {

struct Field {
  const char* name;
  const char* description;
};

constexpr Field kPoolFields[] = {
    {"client_eof", "# eof on client connections"},
    {"client_err", "# errors on client connections"},
    {"client_connections", "# active client connections"},
    {"server_ejects", "# times backend server was ejected"},
    {"forward_error", "# times we encountered a forwarding error"},
    {"fragments", "# fragments created from a multi-vector request"},
};

constexpr Field kServerFields[] = {
    {"server_eof", "# eof on server connections"},
    {"server_err", "# errors on server connections"},
    {"server_timedout", "# timeouts on server connections"},
    {"server_connections", "# active server connections"},
    {"server_ejected_at", "timestamp when server was ejected in usec since epoch"},
    {"requests", "# requests"},
    {"request_bytes", "total request bytes"},
    {"responses", "# responses"},
    {"response_bytes", "total response bytes"},
    {"in_queue", "# requests in incoming queue"},
    {"in_queue_bytes", "current request bytes in incoming queue"},
    {"out_queue", "# requests in outgoing queue"},
    {"out_queue_bytes", "current request bytes in outgoing queue"},
};

// JSON string contents: names come from the configuration file.
std::string escaped(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\u%04x", c);
      out += buf;
    } else {
      out += c;
    }
  }
  return out;
}

void number(std::string& out, const char* name, uint64_t value, bool first) {
  if (!first) out += ", ";
  out += '"';
  out += name;
  out += "\":";
  out += std::to_string(value);
}

void pool_fields(std::string& out, const PoolCounters& c) {
  const uint64_t values[] = {c.client_eof,    c.client_err,    c.client_connections,
                             c.server_ejects, c.forward_error, c.fragments};
  for (size_t i = 0; i < std::size(values); ++i) {
    number(out, kPoolFields[i].name, values[i], i == 0);
  }
}

void server_fields(std::string& out, const ServerCounters& c) {
  const uint64_t values[] = {c.server_eof,     c.server_err,        c.server_timedout,
                             c.server_connections, c.server_ejected_at, c.requests,
                             c.request_bytes,  c.responses,         c.response_bytes,
                             c.in_queue,       c.in_queue_bytes,    c.out_queue,
                             c.out_queue_bytes};
  for (size_t i = 0; i < std::size(values); ++i) {
    number(out, kServerFields[i].name, values[i], i == 0);
  }
}

}  // namespace

std::string to_json(const Snapshot& s) {
  std::string out = "{\"service\":\"nutcracker\", \"source\":\"" + escaped(s.source) +
                    "\", \"version\":\"" + escaped(s.version) + "\"";
  number(out, "uptime", s.uptime, false);
  number(out, "timestamp", s.timestamp, false);
  number(out, "total_connections", s.total_connections, false);
  number(out, "curr_connections", s.curr_connections, false);
  for (const PoolSnapshot& p : s.pools) {
    out += ", \"" + escaped(p.name) + "\": {";
    pool_fields(out, p.counters);
    for (size_t i = 0; i < p.servers.size(); ++i) {
      out += i == 0 ? ", " : ",";
      out += "\"" + escaped(p.servers[i].name) + "\": {";
      server_fields(out, p.servers[i].counters);
      out += "}";
    }
    out += "}";
  }
  out += "}\n";
  return out;
}

std::string describe() {
  std::string out = "pool stats:\n";
  char line[160];
  for (const Field& f : kPoolFields) {
    std::snprintf(line, sizeof(line), "  %-20s\"%s\"\n", f.name, f.description);
    out += line;
  }
  out += "\nserver stats:\n";
  for (const Field& f : kServerFields) {
    std::snprintf(line, sizeof(line), "  %-20s\"%s\"\n", f.name, f.description);
    out += line;
  }
  return out;
}

}  // namespace walnut::stats
