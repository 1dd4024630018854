// The differential runner of the end-to-end tests (see redis_differential.h).
#include "tests/e2e/redis_differential.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "tests/e2e/harness.h"

namespace walnut::e2e {

bool same_multiset(std::vector<std::string> a, std::vector<std::string> b) {
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  return a == b;
}

std::string differ(Cmp cmp, const std::string& want, const std::string& got) {
  if (want == got) return "";
  Reply w = parse(want), g = parse(got);
  if (w.type == 0) return "unparsable redis reply";
  if (g.type == 0) return "unparsable walnut reply";
  if (w.type != g.type) return "different reply types";
  // Errors, statuses and nulls are never random.
  if (w.type == '-' || w.type == '+' || w.null || g.null) return "different replies";
  switch (cmp) {
    case Cmp::kExact:
      return "different replies";
    case Cmp::kSorted:
      if (w.type == '*' && same_multiset(w.items, g.items)) return "";
      return "different elements";
    case Cmp::kShape:
      if (w.type == '*' && w.items.size() != g.items.size()) return "different element counts";
      return "";
    case Cmp::kTtl: {
      if (w.type != ':') return "different replies";
      long long a = std::atoll(w.text.c_str()), b = std::atoll(g.text.c_str());
      if (a >= 0 && b >= 0) return "";
      return "different ttl codes";
    }
    case Cmp::kScan: {
      if (w.type != '*' || w.items.size() != 2 || g.items.size() != 2) return "not a scan reply";
      if (w.items[0] != g.items[0]) return "different cursors";
      Reply we = parse(w.items[1]), ge = parse(g.items[1]);
      if (we.type == '*' && ge.type == '*' && same_multiset(we.items, ge.items)) return "";
      return "different scan elements";
    }
  }
  return "different replies";
}

int compare_runs(const std::vector<Step>& steps, int redis_port, int walnut_port,
                 const std::string& label) {
  Client redis(redis_port);
  auto proxy = std::make_unique<Client>(walnut_port);
  EXPECT_TRUE(redis.connected() && proxy->connected()) << label;
  int compared = 0, mismatches = 0, lost = 0;
  for (const Step& s : steps) {
    std::string want = redis.call(s.args);
    std::string got = proxy->call(s.args);
    ++compared;
    EXPECT_FALSE(want.empty()) << label << ": redis gave no reply to " << show(s.args);
    std::string why = differ(s.cmp, want, got);
    if (!why.empty() && ++mismatches <= 60) {
      ADD_FAILURE() << label << ": " << why << " for " << show(s.args)
                    << "\n  redis:  " << printable(want) << "\n  walnut: " << printable(got);
    }
    if (got.empty()) {
      if (++lost >= 3) {
        ADD_FAILURE() << label << ": walnut stopped answering; giving up after "
                      << compared << " commands";
        break;
      }
      proxy = std::make_unique<Client>(walnut_port);
    }
  }
  EXPECT_EQ(mismatches, 0) << label << ": replies that differ from Redis's";
  return compared;
}

}  // namespace walnut::e2e
