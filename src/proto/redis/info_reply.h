// INFO answered by walnut: the pool's own numbers (the same the stats port
// and memcached's "stats" give) laid out in Redis's INFO sections, so that
// monitoring and clients that probe "INFO server" work. The numbers are
// walnut's, not a server's: a pool spreads over several servers, and
// reading one of them would describe a part as the whole.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "proto/protocol.h"

namespace walnut::redis {

// INFO's text for the sections named in `sections` (lower case; empty,
// "default", "all" or "everything" for every section walnut has), from the
// (name, value) pairs `stats`. A section walnut does not have is left out,
// as Redis leaves out one it does not know.
std::string info_text(const std::vector<std::string>& sections, const proto::StatLines& stats);

// True when `sections` ask for Keyspace, which only the servers know.
bool wants_keyspace(const std::vector<std::string>& sections);

// The Keyspace section of a pool: each db's keys and expires added up over
// the servers' "INFO keyspace" texts, its avg_ttl their average weighted by
// expires; dbs in number order.
std::string keyspace_section(const std::vector<std::string>& server_texts);

}  // namespace walnut::redis
