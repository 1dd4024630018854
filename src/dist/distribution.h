// Distributions map a key's hash to one server of a pool, exactly as
// twemproxy (nutcracker 0.5.0) does. A Distribution is built once from the
// list of live servers (and rebuilt when that list changes); pick() allocates
// nothing.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace walnut::dist {

struct ServerWeight {
  uint32_t index = 0;  // what pick() returns: the server's place in its pool
  std::string label;   // name, or host:port: the ketama point key
  uint32_t weight = 1;
};

class Distribution {
 public:
  virtual ~Distribution() = default;
  // The `index` of one of the servers given at build time.
  virtual uint32_t pick(uint32_t hash) const = 0;
};

// twemproxy sorts a pool's servers by label when it loads its config (to
// find duplicates) and keeps that order: its server indexes, and so the
// order of modula's slots and of ketama's tied points, follow it. The order
// is nutcracker's string_compare: shorter labels first, then bytewise.
// Distributions apply it themselves, so callers may pass servers in any
// order and pick() still returns their own `index` values.
bool label_less(std::string_view a, std::string_view b);
// `servers` in that order (stable: equal labels keep theirs).
std::vector<const ServerWeight*> in_label_order(const std::vector<ServerWeight>& servers);

// "ketama", "modula" or "random", built over the live servers given (in any
// order, see label_less); nullptr for an unknown name, an empty list or a zero weight
// (twemproxy's config refuses weight 0).
std::unique_ptr<Distribution> make(std::string_view name,
                                   const std::vector<ServerWeight>& servers);

}  // namespace walnut::dist
