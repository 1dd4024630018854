// walnut's (and nutcracker's) stats object, read from the stats port by a
// strict little JSON reader written here, independent of walnut; and waits
// for the counters a test expects, since the port serves the snapshot of the
// last aggregation tick, which on a loaded machine may predate what the test
// just did.
#ifndef WALNUT_TESTS_E2E_STATS_JSON_H_
#define WALNUT_TESTS_E2E_STATS_JSON_H_

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace walnut::e2e {

// A JSON value restricted to what the stats object holds: objects, strings
// and non-negative integers.
struct Json {
  enum Kind { kObject, kString, kNumber } kind = kObject;
  std::string text;
  unsigned long long number = 0;
  std::vector<std::pair<std::string, std::unique_ptr<Json>>> members;

  const Json* get(const std::string& key) const;
};

// The document `text` holds; null when it is anything but such JSON.
std::unique_ptr<Json> parse_stats_json(const std::string& text);

// The number at a path of keys (pool, server, field), 0 when there is none.
unsigned long long number_at(const Json& doc, const std::vector<std::string>& path);

struct StatsSnapshot {
  std::string text;
  std::unique_ptr<Json> doc;  // null when `text` is not JSON
};

// Reads the stats on 127.0.0.1:port until `done` holds of them or 10 s
// passed; returns the last snapshot read, for the test to check exactly.
StatsSnapshot read_stats_until(int port, const std::function<bool(const Json&)>& done);

// read_stats_until the number at `path` is at least `least`; returns it.
unsigned long long await_stat(int port, const std::vector<std::string>& path,
                              unsigned long long least);

}  // namespace walnut::e2e

#endif  // WALNUT_TESTS_E2E_STATS_JSON_H_
