// Router: key -> server, the one routing interface the proxy calls once per
// key. It applies the pool's hash_tag, hash function and distribution, as
// twemproxy does, over the servers currently in the distribution; or, with
// walnut's `distribution: server_name`, looks the key up by server name.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <string_view>
#include <vector>

#include "dist/distribution.h"
#include "hash/hash.h"

namespace walnut::proxy {

class Router {
 public:
  // Builds the router; false (with `error`) for an unknown hash or
  // distribution name.
  bool init(const std::string& hash_name, const std::string& distribution,
            const std::string& hash_tag,
            const std::vector<dist::ServerWeight>& servers, std::string* error);

  // The part of `key` that is hashed: the hash-tag content when the key
  // holds a complete, non-empty tag, else the whole key.
  std::string_view routing_part(std::string_view key) const;
  static constexpr uint32_t kNoServer = UINT32_MAX;
  // The index of the server for `key`; kNoServer when the distribution is
  // server_name and the key names no server.
  uint32_t route(std::string_view key) const {
    // The usual pool (several servers, no hash tag): inline, one hash and
    // one pick.
    if (plain_) return dist_->pick(key.empty() ? 0 : hash_(key.data(), key.size()));
    return route_by_rules(key);
  }
  // The server for a request without keys (COMMAND): where the empty key
  // goes, or the first server when keys name their servers.
  uint32_t route_keyless() const;

 private:
  hash::HashFn hash_ = nullptr;
  std::unique_ptr<dist::Distribution> dist_;
  // distribution server_name: the routing part of a key is a server's name.
  // Transparent hashing lets a string_view look up without a copy.
  struct NameHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const {
      return std::hash<std::string_view>{}(s);
    }
  };
  std::unordered_map<std::string, uint32_t, NameHash, std::equal_to<>> by_name_;
  bool by_name_mode_ = false;
  std::string hash_tag_;
  uint32_t single_server_ = 0;
  bool single_ = false;
  // Neither server names, nor a single server, nor a hash tag.
  bool plain_ = false;

  uint32_t route_by_rules(std::string_view key) const;
};

}  // namespace walnut::proxy
