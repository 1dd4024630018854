// Modula distribution: see modula.h. Kept separate from ketama because it
// shares nothing with it but the interface.
#include "dist/modula.h"

#include <algorithm>

namespace walnut::dist {

Modula::Modula(const std::vector<ServerWeight>& servers) {
  // Slots follow nutcracker's server order, not the caller's: nutcracker
  // sorts its servers by label at config load (see label_less), so with
  // servers "b" and "a" slot 0 belongs to "a".
  const std::vector<const ServerWeight*> ordered = in_label_order(servers);

  size_t total = 0;
  for (const ServerWeight& s : servers) total += s.weight;
  slots_.reserve(total);
  for (const ServerWeight* s : ordered) slots_.insert(slots_.end(), s->weight, s->index);
}

uint32_t Modula::pick(uint32_t hash) const {
  if (slots_.empty()) return 0;  // make() never builds this
  return slots_[hash % slots_.size()];
}

}  // namespace walnut::dist
