// Distributions by their twemproxy configuration names, and the server
// order they share.
#include <algorithm>
#include <chrono>

#include "dist/distribution.h"
#include "dist/ketama.h"
#include "dist/modula.h"
#include "dist/random.h"

namespace walnut::dist {

bool label_less(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return a.size() < b.size();
  return a < b;  // bytewise as unsigned char, like strncmp
}

std::vector<const ServerWeight*> in_label_order(const std::vector<ServerWeight>& servers) {
  std::vector<const ServerWeight*> ordered;
  ordered.reserve(servers.size());
  for (const ServerWeight& s : servers) ordered.push_back(&s);
  std::stable_sort(ordered.begin(), ordered.end(),
                   [](const ServerWeight* a, const ServerWeight* b) {
                     return label_less(a->label, b->label);
                   });
  return ordered;
}

std::unique_ptr<Distribution> make(std::string_view name,
                                   const std::vector<ServerWeight>& servers) {
  if (servers.empty()) return nullptr;
  // twemproxy's config refuses weight 0; a zero here would leave ketama
  // dividing by a zero total and modula with no slots.
  for (const ServerWeight& s : servers) {
    if (s.weight == 0) return nullptr;
  }
  if (name == "ketama") return std::make_unique<Ketama>(servers);
  if (name == "modula") return std::make_unique<Modula>(servers);
  if (name == "random") {
    // Like nutcracker's srandom(time(NULL)): a fresh sequence per build.
    const auto now = std::chrono::steady_clock::now().time_since_epoch().count();
    return std::make_unique<Random>(servers, static_cast<uint64_t>(now));
  }
  return nullptr;
}

}  // namespace walnut::dist
