// The numbers come from the pool's snapshot, the same the stats port
// serves; the servers' are summed over the pool.
#include "proxy/pool_stats.h"

#include <unistd.h>

#include <ctime>
#include <string>
#include <utility>
#include <vector>

#include "proxy/context.h"
#include "proxy/server_pool.h"
#include "stats/fields.h"

namespace walnut::proxy {

void answer_stats(Context& ctx, ServerPool& pool, Request* msg) {
  const stats::PoolSnapshot snapshot = pool.snapshot();
  const time_t now = time(nullptr);
  proto::StatLines stats;
  auto add = [&stats](const char* name, uint64_t value) {
    stats.emplace_back(name, std::to_string(value));
  };
  add("pid", static_cast<uint64_t>(getpid()));
  add("uptime", static_cast<uint64_t>(now - snapshot.started));
  add("time", static_cast<uint64_t>(now));
  stats.emplace_back("version", "walnut-" PACKAGE_VERSION);
  add("pointer_size", sizeof(void*) * 8);
  add("curr_connections", snapshot.counters.client_connections);
  add("total_connections", ctx.totals().total_connections);
  for (const auto& f : stats::kPoolFields) {
    if (f.in_memcache_stats) add(f.name, snapshot.counters.*f.member);
  }
  add("servers", snapshot.servers.size());
  for (const auto& f : stats::kServerFields) {
    if (!f.in_memcache_stats) continue;
    uint64_t total = 0;
    for (const stats::ServerSnapshot& s : snapshot.servers) total += s.counters.*f.member;
    add(f.name, total);
  }
  pool.protocol().stats_reply(*msg, stats);
}

}  // namespace walnut::proxy
