// Pub/sub frames and channel placement for the end-to-end suites (see
// redis_pubsub_helpers.h).
#include "tests/e2e/redis_pubsub_helpers.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <stdexcept>

#include "tests/e2e/redis_pool_helpers.h"
#include "tests/e2e/resp_reply.h"

namespace walnut::e2e {

std::string confirm(const std::string& kind, const std::string& name, long long count) {
  return "*3\r\n" + bulk(kind) + bulk(name) + ":" + std::to_string(count) + "\r\n";
}

std::string confirm_none(const std::string& kind, long long count) {
  return "*3\r\n" + bulk(kind) + "$-1\r\n:" + std::to_string(count) + "\r\n";
}

std::string message(const std::string& channel, const std::string& text) {
  return "*3\r\n" + bulk("message") + bulk(channel) + bulk(text);
}

std::string pmessage(const std::string& pattern, const std::string& channel,
                     const std::string& text) {
  return "*4\r\n" + bulk("pmessage") + bulk(pattern) + bulk(channel) + bulk(text);
}

std::string smessage(const std::string& channel, const std::string& text) {
  return "*3\r\n" + bulk("smessage") + bulk(channel) + bulk(text);
}

std::string integer(long long n) { return ":" + std::to_string(n) + "\r\n"; }

std::vector<std::string> read_n(Client& c, size_t n) {
  std::vector<std::string> out;
  for (size_t i = 0; i < n; ++i) {
    out.push_back(c.read_reply());
    if (out.back().empty()) break;  // EOF or timeout: the rest would wait too
  }
  return out;
}

std::vector<std::vector<std::string>> names_by_server(int walnut_port,
                                                      const std::vector<int>& ports,
                                                      const std::string& family,
                                                      size_t per_server) {
  std::vector<std::vector<std::string>> out(ports.size());
  std::vector<std::string> cands;
  Args mset = {"MSET"}, del = {"DEL"};
  for (size_t i = 0; i < 12 * per_server * ports.size() + 30; ++i) {
    cands.push_back(spread_key(family, static_cast<int>(i)));
    mset.insert(mset.end(), {cands.back(), "x"});
    del.push_back(cands.back());
  }
  Client w(walnut_port);
  if (w.call(mset) != "+OK\r\n") ADD_FAILURE() << "MSET through walnut failed";
  std::vector<int> where = locate(ports, cands);
  for (size_t i = 0; i < cands.size(); ++i) {
    if (where[i] >= 0 && out[where[i]].size() < per_server) out[where[i]].push_back(cands[i]);
  }
  if (w.call(del) != integer(static_cast<long long>(cands.size()))) ADD_FAILURE() << "DEL failed";
  return out;
}

long long numsub_on(int port, const std::string& channel) {
  Client c(port);
  Reply r = parse(c.call({"PUBSUB", "NUMSUB", channel}));
  if (r.type != '*' || r.items.size() != 2) return -1;
  return std::atoll(r.items[1].c_str() + 1);
}

PubSubPool::PubSubPool(size_t servers, const std::string& family, const std::string& settings,
                       size_t per_server) {
  for (size_t i = 0; i < servers; ++i) servers_.push_back(std::make_unique<RedisServer>(dir_));
  walnut_ = std::make_unique<Walnut>(dir_, pool_yaml(family, ports(), settings));
  if (per_server == 0) return;
  names_ = names_by_server(walnut_->port(), ports(), family, per_server);
  for (const std::vector<std::string>& on_server : names_) {
    if (on_server.size() < per_server) throw std::runtime_error("too few names of " + family);
  }
}

std::vector<int> PubSubPool::ports() const {
  std::vector<int> out;
  for (const auto& s : servers_) out.push_back(s->port());
  return out;
}

}  // namespace walnut::e2e
