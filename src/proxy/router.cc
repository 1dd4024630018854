// Routing of one key, as nutcracker 0.5.0 does it.
#include "proxy/router.h"

namespace walnut::proxy {

bool Router::init(const std::string& hash_name, const std::string& distribution,
                  const std::string& hash_tag,
                  const std::vector<dist::ServerWeight>& servers,
                  std::string* error) {
  hash_ = hash::find(hash_name);
  if (hash_ == nullptr) {
    *error = "unknown hash '" + hash_name + "'";
    return false;
  }
  hash_tag_ = hash_tag;
  if (distribution == "server_name") {
    by_name_mode_ = true;
    plain_ = false;
    for (const dist::ServerWeight& s : servers) by_name_.emplace(s.label, s.index);
    single_server_ = servers.empty() ? 0 : servers[0].index;  // for keyless
    return true;
  }
  plain_ = false;
  dist_ = dist::make(distribution, servers);
  if (dist_ == nullptr) {
    *error = "unknown distribution '" + distribution + "' or no servers";
    return false;
  }
  // One server needs no hashing at all (nutcracker skips it too).
  single_ = servers.size() == 1;
  single_server_ = servers.empty() ? 0 : servers[0].index;
  plain_ = !single_ && hash_tag_.size() != 2;
  return true;
}

std::string_view Router::routing_part(std::string_view key) const {
  if (hash_tag_.size() != 2) return key;
  size_t open = key.find(hash_tag_[0]);
  if (open == std::string_view::npos) return key;
  size_t close = key.find(hash_tag_[1], open + 1);
  if (close == std::string_view::npos || close == open + 1) return key;
  return key.substr(open + 1, close - open - 1);
}

uint32_t Router::route_keyless() const {
  return by_name_mode_ ? single_server_ : route({});
}

uint32_t Router::route_by_rules(std::string_view key) const {
  if (by_name_mode_) {
    auto it = by_name_.find(routing_part(key));
    return it == by_name_.end() ? kNoServer : it->second;
  }
  if (single_) return single_server_;
  std::string_view part = routing_part(key);
  // nutcracker gives an empty key the hash 0 rather than hashing it.
  uint32_t h = part.empty() ? 0 : hash_(part.data(), part.size());
  return dist_->pick(h);
}

}  // namespace walnut::proxy
