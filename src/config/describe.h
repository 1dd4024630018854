// A configuration written back as YAML (keys at their defaults left out,
// but for listen, hash and distribution (not in a cluster pool), redis and
// servers, which are written as the file wrote them), for GET /config; and the
// comparison a reload makes between a running pool and the same pool in a
// new file. Never names a line: two files that say the same thing
// describe the same.
#pragma once

#include <string>

#include "config/config.h"

namespace walnut::config {

// The pools as YAML that load_string() reads back to the same pools.
// With `mask_secrets`, passwords are written as "********".
std::string describe(const Config& config, bool mask_secrets);
std::string describe(const PoolSpec& pool, bool mask_secrets);

// What a reload can apply to a running pool without closing its clients:
// the two differ at most in servers (their list, weights, names),
// distribution, hash, hash_tag, timeout, client_connections,
// client_output_limit, preconnect, server_heartbeat, auto_eject_hosts,
// server_connections, server_retry_timeout, server_failure_limit,
// tcpkeepalive, the permissions of a unix socket and the settings and files
// of TLS (not whether there is TLS), and neither follows a
// Redis Cluster or Sentinels (whose servers are found at run time), or they
// do not differ at all. Any other change (listen, the protocol, its
// passwords and limits, ...) replaces the pool.
bool changes_in_place(const PoolSpec& running, const PoolSpec& next);

}  // namespace walnut::config
