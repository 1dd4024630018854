// The sections: Server (what a client checks before it uses a feature),
// Clients, and Stats (walnut's counters, by the names the stats port uses).
#include "proto/redis/info_reply.h"

#include <sys/utsname.h>

#include <algorithm>
#include <cstdlib>

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

std::string info_text(const std::vector<std::string>& sections, const proto::StatLines& stats) {
  struct Section {
    std::string_view name;
    void (*write)(std::string&, const proto::StatLines&);
  };
  static constexpr Section kSections[] = {
      {"server", server_section}, {"clients", clients_section}, {"stats", stats_section}};
  const bool every = sections.empty() ||
                     std::any_of(sections.begin(), sections.end(), [](const std::string& s) {
                       return s == "default" || s == "all" || s == "everything";
                     });
  std::string out;
  for (const Section& s : kSections) {
    if (!every && std::find(sections.begin(), sections.end(), s.name) == sections.end()) continue;
    if (!out.empty()) out += "\r\n";
    s.write(out, stats);
  }
  return out;
}

}  // namespace walnut::redis
