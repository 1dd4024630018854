// Helpers for end-to-end fixtures that put walnut in front of real
// redis-servers: pool config text, flushing a server, keys that spread over
// servers, and finding which server holds a key.
#pragma once

#include <string>
#include <vector>

namespace walnut::e2e {

// Pool settings that spread keys over servers (and honour {} hash tags).
const char* const kSharded = "  hash: fnv1a_64\n  distribution: ketama\n  hash_tag: \"{}\"\n";

// A redis pool config listening on LISTEN_PORT (see Walnut), with `extra`
// settings before the server list.
std::string pool_yaml(const std::string& name, const std::vector<int>& ports,
                      const std::string& extra = "");

// FLUSHALL and SCRIPT FLUSH on a server; their raw replies.
std::string flushed(int port);

// A key that varies in front. twemproxy's fnv1a_64 is a 32-bit FNV whose
// multiplier is 0x1b3: keys that differ only in their last bytes hash close
// together and land on one server, so the varying part comes first and a
// fixed tail mixes it.
std::string spread_key(const std::string& family, int i);

// Which of `ports` holds each key (-1: none, -2: more than one), asked
// directly with one MGET per server.
std::vector<int> locate(const std::vector<int>& ports, const std::vector<std::string>& keys);

}  // namespace walnut::e2e
