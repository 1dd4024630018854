// The sections: Server (what a client checks before it uses a feature),
// Clients, and Stats (walnut's counters, by the names the stats port uses).
#include "proto/redis/info_reply.h"

#include <sys/utsname.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <map>

#include "proto/redis/connection_commands.h"

namespace walnut::redis {

namespace {

std::string_view find(const proto::StatLines& stats, std::string_view name) {
  for (const auto& [n, v] : stats) {
    if (n == name) return v;
  }
  return "0";
}

std::string os_text() {
  struct utsname u {};
  if (uname(&u) != 0) return "unknown";
  return std::string(u.sysname) + " " + u.release + " " + u.machine;
}

void line(std::string& out, std::string_view name, std::string_view value) {
  out += name;
  out += ':';
  out += value;
  out += "\r\n";
}

void server_section(std::string& out, const proto::StatLines& stats) {
  std::string_view version = find(stats, "version");
  if (version.starts_with("walnut-")) version.remove_prefix(7);
  const unsigned long long uptime = std::strtoull(std::string(find(stats, "uptime")).c_str(),
                                                  nullptr, 10);
  out += "# Server\r\n";
  line(out, "redis_version", kRedisVersion);
  line(out, "walnut_version", version);
  line(out, "redis_mode", "standalone");
  line(out, "os", os_text());
  line(out, "arch_bits", find(stats, "pointer_size"));
  line(out, "process_id", find(stats, "pid"));
  line(out, "uptime_in_seconds", std::to_string(uptime));
  line(out, "uptime_in_days", std::to_string(uptime / 86400));
}

void clients_section(std::string& out, const proto::StatLines& stats) {
  out += "# Clients\r\n";
  line(out, "connected_clients", find(stats, "curr_connections"));
  line(out, "blocked_clients", "0");  // walnut runs no blocking command yet
}

// Everything else the pool counts, under the stats port's names.
void stats_section(std::string& out, const proto::StatLines& stats) {
  static constexpr std::string_view kShownElsewhere[] = {
      "pid", "uptime", "time", "version", "pointer_size", "curr_connections"};
  out += "# Stats\r\n";
  for (const auto& [name, value] : stats) {
    if (std::find(std::begin(kShownElsewhere), std::end(kShownElsewhere), name) ==
        std::end(kShownElsewhere)) {
      line(out, name, value);
    }
  }
}

}  // namespace

namespace {
bool every_section(const std::vector<std::string>& sections) {
  return sections.empty() ||
         std::any_of(sections.begin(), sections.end(), [](const std::string& s) {
           return s == "default" || s == "all" || s == "everything";
         });
}
}  // namespace

bool wants_keyspace(const std::vector<std::string>& sections) {
  return every_section(sections) ||
         std::find(sections.begin(), sections.end(), "keyspace") != sections.end();
}

std::string keyspace_section(const std::vector<std::string>& server_texts) {
  struct Db {
    uint64_t keys = 0, expires = 0;
    double ttl_weighted = 0;  // a sum of TTLs can pass 2^64
  };
  std::map<uint64_t, Db> dbs;
  for (const std::string& text : server_texts) {
    // Lines "db<n>:keys=<k>,expires=<e>,avg_ttl=<t>"; others are skipped.
    size_t at = 0;
    while (at < text.size()) {
      size_t end = text.find("\r\n", at);
      if (end == std::string::npos) end = text.size();
      const std::string_view line(text.data() + at, end - at);
      at = end + 2;
      uint64_t db = 0, keys = 0, expires = 0, ttl = 0;
      if (std::sscanf(std::string(line).c_str(), "db%" SCNu64 ":keys=%" SCNu64 ",expires=%" SCNu64
                                                 ",avg_ttl=%" SCNu64,
                      &db, &keys, &expires, &ttl) < 3) {
        continue;
      }
      Db& d = dbs[db];
      d.keys += keys;
      d.expires += expires;
      d.ttl_weighted += static_cast<double>(ttl) * static_cast<double>(expires);
    }
  }
  std::string out = "# Keyspace\r\n";
  for (const auto& [db, d] : dbs) {
    const auto avg = static_cast<uint64_t>(d.expires == 0 ? 0 : d.ttl_weighted / d.expires);
    out += "db" + std::to_string(db) + ":keys=" + std::to_string(d.keys) +
           ",expires=" + std::to_string(d.expires) + ",avg_ttl=" + std::to_string(avg) + "\r\n";
  }
  return out;
}

std::string info_text(const std::vector<std::string>& sections, const proto::StatLines& stats) {
  struct Section {
    std::string_view name;
    void (*write)(std::string&, const proto::StatLines&);
  };
  static constexpr Section kSections[] = {
      {"server", server_section}, {"clients", clients_section}, {"stats", stats_section}};
  const bool every = every_section(sections);
  std::string out;
  for (const Section& s : kSections) {
    if (!every && std::find(sections.begin(), sections.end(), s.name) == sections.end()) continue;
    if (!out.empty()) out += "\r\n";
    s.write(out, stats);
  }
  return out;
}

}  // namespace walnut::redis
