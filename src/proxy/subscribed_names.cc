// A client's subscribed names, where each lives, and their claims.
#include "proxy/subscribed_names.h"

namespace walnut::proxy {

SubscribedNames::Names& SubscribedNames::names_of(Family family) {
  switch (family) {
    case Family::kPattern: return patterns_;
    case Family::kShard: return shards_;
    case Family::kChannel: break;
  }
  return channels_;
}

const SubscribedNames::Names& SubscribedNames::names_of(Family family) const {
  return const_cast<SubscribedNames*>(this)->names_of(family);
}

void SubscribedNames::count_on(uint32_t server, bool more) {
  if (server == kEveryServer) return;  // patterns count by their set
  if (per_server_.size() <= server) per_server_.resize(server + 1, 0);
  if (more) {
    ++per_server_[server];
  } else {
    --per_server_[server];
  }
}

std::optional<uint32_t> SubscribedNames::server_of(Family family, const std::string& name) const {
  const Names& names = names_of(family);
  auto it = names.find(name);
  if (it == names.end()) return std::nullopt;
  return it->second.server;
}

void SubscribedNames::add(Family family, const std::string& name, uint32_t server,
                          std::vector<Claim>* claims) {
  auto [it, fresh] = names_of(family).try_emplace(name, Held{server, 0, false, 0});
  Held& held = it->second;
  if (fresh) {
    held.generation = ++generations_;
    count_on(server, true);
  } else if (held.claims == 0) {
    return;  // confirmed before: this request cannot take it back
  }
  ++held.claims;
  claims->push_back({name, held.generation});
}

std::optional<uint32_t> SubscribedNames::remove(Family family, const std::string& name) {
  Names& names = names_of(family);
  auto it = names.find(name);
  if (it == names.end()) return std::nullopt;
  const uint32_t server = it->second.server;
  count_on(server, false);
  names.erase(it);  // open claims on it find it gone (claimed())
  return server;
}

SubscribedNames::Held* SubscribedNames::claimed(Names& names, const Claim& claim) {
  auto it = names.find(claim.name);
  if (it == names.end() || it->second.generation != claim.generation) return nullptr;
  return &it->second;
}

void SubscribedNames::confirm(Family family, const std::vector<Claim>& claims) {
  Names& names = names_of(family);
  for (const Claim& claim : claims) {
    if (Held* held = claimed(names, claim)) {
      --held->claims;
      held->confirmed = true;
    }
  }
}

void SubscribedNames::take_back(Family family, const std::vector<Claim>& claims,
                                std::vector<Placed>* taken) {
  Names& names = names_of(family);
  for (const Claim& claim : claims) {
    Held* held = claimed(names, claim);
    if (held == nullptr) continue;
    if (--held->claims > 0 || held->confirmed) continue;  // another request holds it
    taken->push_back({claim.name, held->server});
    remove(family, claim.name);
  }
}

uint64_t SubscribedNames::count(Family family) const {
  if (family == Family::kShard) return shards_.size();
  return channels_.size() + patterns_.size();
}

bool SubscribedNames::confirmed_on(uint32_t server) const {
  for (const auto& [name, held] : patterns_) {
    if (held.confirmed) return true;
  }
  for (const Names* names : {&channels_, &shards_}) {
    for (const auto& [name, held] : *names) {
      if (held.server == server && held.confirmed) return true;
    }
  }
  return false;
}

std::vector<std::string> SubscribedNames::all(Family family) const {
  std::vector<std::string> out;
  for (const auto& [name, held] : names_of(family)) out.push_back(name);
  return out;
}

}  // namespace walnut::proxy
