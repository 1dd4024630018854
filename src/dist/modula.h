// Modula distribution as twemproxy 0.5.0 does it: every live server owns
// `weight` consecutive slots, servers in nutcracker's order (sorted by label,
// see label_less; not the order of the config file), and a key goes to
// slot[hash % number of slots]. Adding or losing a server remaps most keys;
// that is the point of choosing ketama instead.
#pragma once

#include <cstdint>
#include <vector>

#include "dist/distribution.h"

namespace walnut::dist {

class Modula final : public Distribution {
 public:
  // servers must be non-empty with every weight >= 1 (make() checks).
  explicit Modula(const std::vector<ServerWeight>& servers);

  uint32_t pick(uint32_t hash) const override;

  size_t slot_count() const { return slots_.size(); }

 private:
  std::vector<uint32_t> slots_;  // ServerWeight::index per slot
};

}  // namespace walnut::dist
