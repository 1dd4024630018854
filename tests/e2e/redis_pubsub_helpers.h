// What the pub/sub end-to-end suites share: Redis's RESP2 pub/sub frames,
// reading several replies, and names of channels that walnut places on a
// chosen server.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "tests/e2e/harness.h"

namespace walnut::e2e {

// A (un)subscription's confirmation: `kind` is the command's name in lower
// case, `count` the client's subscriptions of that family afterwards.
std::string confirm(const std::string& kind, const std::string& name, long long count);
// UNSUBSCRIBE (or PUNSUBSCRIBE, SUNSUBSCRIBE) with no names, when the
// client had none of that family.
std::string confirm_none(const std::string& kind, long long count);
std::string message(const std::string& channel, const std::string& text);
std::string pmessage(const std::string& pattern, const std::string& channel,
                     const std::string& text);
std::string smessage(const std::string& channel, const std::string& text);
std::string integer(long long n);

// The `n` replies a client reads next (fewer when one does not come).
std::vector<std::string> read_n(Client& c, size_t n);

// Names that walnut places on each server of `ports`, `per_server` for each:
// a channel lives where a key of its name would, so candidates are written
// through walnut as keys, found directly on the servers, and deleted.
std::vector<std::vector<std::string>> names_by_server(int walnut_port,
                                                      const std::vector<int>& ports,
                                                      const std::string& family,
                                                      size_t per_server);

// A channel's subscriber count on one server, asked directly (-1 when the
// answer is not one).
long long numsub_on(int port, const std::string& channel);

// Redis-servers behind one walnut (a pool with `settings`), and
// `per_server` channel names of `family` that walnut places on each
// (throws when it finds too few).
class PubSubPool {
 public:
  PubSubPool(size_t servers, const std::string& family, const std::string& settings,
             size_t per_server);
  int port() const { return walnut_->port(); }
  Walnut& walnut() { return *walnut_; }
  RedisServer& server(size_t i) { return *servers_[i]; }
  std::vector<int> ports() const;
  // The i-th name that lives on `server`.
  const std::string& name(size_t server, size_t i = 0) const { return names_[server][i]; }

 private:
  TempDir dir_;
  std::vector<std::unique_ptr<RedisServer>> servers_;
  std::unique_ptr<Walnut> walnut_;
  std::vector<std::vector<std::string>> names_;
};

}  // namespace walnut::e2e
