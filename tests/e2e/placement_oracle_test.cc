// The placement oracle: the real nutcracker 0.5.0 and walnut, on the same
// pool definitions over the same redis-servers. Keys written through
// nutcracker must be found through walnut. Sharing the backends keeps the
// server labels (host:port, the ketama point keys) identical for both; a key
// that walnut routes elsewhere reads back nil from a server that never had
// it. Covered: every hash with ketama and with modula, plain and named
// servers, unequal weights, hash tags, binary keys, a unix-socket server and
// pools of 1, 2, 3, 4 and 5 servers; random is checked for an even spread;
// and memcached pools, where nutcracker and walnut speak the ASCII protocol.
#include <gtest/gtest.h>

#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "tests/e2e/harness.h"
#include "tests/e2e/memcache_client.h"
#include "tests/e2e/memcached_server.h"

namespace walnut::e2e {
namespace {

using namespace std::chrono_literals;

const char* const kHashes[] = {"one_at_a_time", "md5",     "crc16",    "crc32",
                               "crc32a",        "fnv1_64", "fnv1a_64", "fnv1_32",
                               "fnv1a_32",      "hsieh",   "murmur",   "jenkins"};

struct PoolCase {
  std::string name;
  std::string hash;
  std::string distribution;
  bool named = false;   // named servers, unequal weights, hash tag
  int servers = 4;      // how many of the redis-servers the pool uses
  bool unix_last = false;  // the last server by its unix socket
  int nutcracker_port = 0;
  int walnut_port = 0;
};

// 2000 keys unique to the pool: plain ones, binary ones (bytes >= 0x80 hash
// differently where twemproxy reads them as signed), hash-tagged ones and
// ones with an empty tag (hashed whole).
std::vector<std::string> keys_for(const std::string& pool) {
  std::vector<std::string> keys;
  for (int i = 0; i < 1400; ++i) keys.push_back(pool + ":key:" + std::to_string(i));
  for (int i = 0; i < 300; ++i) {
    std::string k = pool + ":";
    k += static_cast<char>(0x80 + i % 128);
    k += static_cast<char>(0xff - i % 100);
    k += std::to_string(i);
    keys.push_back(k);
  }
  for (int i = 0; i < 150; ++i) {
    keys.push_back("{t" + std::to_string(i % 23) + "}:" + pool + ":" + std::to_string(i));
    keys.push_back(pool + ":{}" + std::to_string(i));
  }
  return keys;
}

std::string pool_yaml(const PoolCase& c, int listen_port,
                      const std::vector<std::unique_ptr<RedisServer>>& redis) {
  std::string y = c.name + ":\n";
  y += "  listen: 127.0.0.1:" + std::to_string(listen_port) + "\n";
  y += "  redis: true\n";
  y += "  hash: " + c.hash + "\n";
  y += "  distribution: " + c.distribution + "\n";
  if (c.named) y += "  hash_tag: \"{}\"\n";
  y += "  servers:\n";
  // Names of different lengths: nutcracker orders servers by name.
  const char* names[] = {"cache-alpha", "b", "srv-c", "delta-04", "e5"};
  const int weights[] = {1, 2, 3, 5, 1};
  for (int i = 0; i < c.servers; ++i) {
    bool by_unix = c.unix_last && i == c.servers - 1;
    y += by_unix ? "   - " + redis[i]->unix_path() + ":"
                 : "   - 127.0.0.1:" + std::to_string(redis[i]->port()) + ":";
    y += c.named ? std::to_string(weights[i]) + " " + names[i] + "\n" : "1\n";
  }
  return y;
}

std::vector<PoolCase> all_cases() {
  std::vector<PoolCase> cases;
  for (const char* hash : kHashes) {
    for (const char* dist : {"ketama", "modula"}) {
      for (bool named : {false, true}) {
        PoolCase c;
        c.name = std::string(hash) + "_" + dist + (named ? "_named" : "");
        c.hash = hash;
        c.distribution = dist;
        c.named = named;
        cases.push_back(c);
      }
    }
  }
  for (const char* hash : {"fnv1a_64", "md5"}) {
    for (const char* dist : {"ketama", "modula"}) {
      for (int n : {1, 2, 3, 5}) {
        for (bool named : {false, true}) {
          PoolCase c;
          c.name = std::string(hash) + "_" + dist + "_" + std::to_string(n) +
                   (named ? "_named" : "");
          c.hash = hash;
          c.distribution = dist;
          c.servers = n;
          c.named = named;
          cases.push_back(c);
        }
      }
      PoolCase u;
      u.name = std::string(hash) + "_" + dist + "_unix";
      u.hash = hash;
      u.distribution = dist;
      u.servers = 3;
      u.unix_last = true;
      cases.push_back(u);
    }
  }
  return cases;
}

class PlacementOracle : public ::testing::Test {
 protected:
  void SetUp() override {
    for (int i = 0; i < 5; ++i) redis_.push_back(std::make_unique<RedisServer>(dir_));
  }
  // Starts nutcracker and walnut on the same pools and waits for every
  // listener: nutcracker does not always open them in the file's order
  // (pools zeta, alpha, mid open as mid, zeta, alpha), so the last pool
  // listening says nothing of the others.
  void start(std::vector<PoolCase>& cases) {
    std::string nut_yaml, walnut_yaml;
    for (PoolCase& c : cases) {
      c.nutcracker_port = free_port();
      c.walnut_port = free_port();
      nut_yaml += pool_yaml(c, c.nutcracker_port, redis_);
      walnut_yaml += pool_yaml(c, c.walnut_port, redis_);
    }
    std::ofstream(dir_.file("nutcracker.yml")) << nut_yaml;
    std::ofstream(dir_.file("walnut.yml")) << walnut_yaml;
    nutcracker_ = Process({"/usr/sbin/nutcracker", "-c", dir_.file("nutcracker.yml"), "-a", "127.0.0.1", "-s",
                           std::to_string(free_port()), "-o", dir_.file("nutcracker.log")},
                          dir_.file("nutcracker.out"));
    walnut_ = Process({walnut_binary(), "-c", dir_.file("walnut.yml"), "-a", "127.0.0.1", "-s",
                       std::to_string(free_port())},
                      dir_.file("walnut.log"));
    for (const PoolCase& c : cases) {
      ASSERT_TRUE(wait_for_port(c.nutcracker_port, 10s))
          << c.name << ": nutcracker is not listening. " << proxies_state();
      ASSERT_TRUE(wait_for_port(c.walnut_port, 10s))
          << c.name << ": walnut is not listening. " << proxies_state();
    }
  }

  // Whether each proxy still runs, and what it logged: what a failure
  // needs to say to be understood from a CI log alone.
  std::string proxies_state() {
    return std::string("nutcracker ") + (nutcracker_.running() ? "runs" : "exited") +
           ", log:\n" + read_file(dir_.file("nutcracker.log")) + "\nwalnut " +
           (walnut_.running() ? "runs" : "exited") + ", log:\n" +
           read_file(dir_.file("walnut.log"));
  }

  TempDir dir_;
  std::vector<std::unique_ptr<RedisServer>> redis_;
  Process nutcracker_, walnut_;
};

TEST_F(PlacementOracle, WalnutPlacesEveryKeyWhereNutcrackerDoes) {
  std::vector<PoolCase> cases = all_cases();
  start(cases);
  int compared = 0;
  for (const PoolCase& c : cases) {
    std::vector<std::string> keys = keys_for(c.name);
    Client nut(c.nutcracker_port), wal(c.walnut_port);
    ASSERT_TRUE(nut.connected() && wal.connected())
        << c.name << ": nutcracker " << nut.connected() << ", walnut " << wal.connected()
        << ". " << proxies_state();
    std::string sets, gets;
    for (const auto& k : keys) {
      sets += encode({"SET", k, k});
      gets += encode({"GET", k});
    }
    nut.send_raw(sets);
    for (size_t i = 0; i < keys.size(); ++i) {
      std::string reply = nut.read_reply();
      ASSERT_EQ(reply, "+OK\r\n") << c.name << " key " << i << " set through nutcracker. "
                                  << proxies_state();
    }
    wal.send_raw(gets);
    int misplaced = 0;
    std::string first_bad;
    for (const auto& k : keys) {
      if (wal.read_reply() != bulk(k) && misplaced++ == 0) first_bad = k;
    }
    EXPECT_EQ(misplaced, 0) << c.name << ": " << misplaced << " of " << keys.size()
                            << " keys placed differently, e.g. '" << first_bad << "'. "
                            << (misplaced > 0 ? proxies_state() : "");
    ++compared;
  }
  std::cout << "placement oracle: compared " << compared
            << " pool definitions with nutcracker, 2000 keys each\n";
  EXPECT_EQ(compared, 84);  // 12 hashes x 2 x 2, plus 36 size, weight and unix cases
  for (auto& r : redis_) {
    Client direct(r->port());
    EXPECT_NE(direct.call({"DBSIZE"}), ":0\r\n") << "server " << r->port() << " got no key";
  }
  EXPECT_TRUE(walnut_.running());
  EXPECT_TRUE(nutcracker_.running());
}

TEST_F(PlacementOracle, RandomSpreadsEvenlyLikeNutcracker) {
  std::vector<PoolCase> cases(1);
  cases[0].name = "random_pool";
  cases[0].hash = "fnv1a_64";
  cases[0].distribution = "random";
  cases[0].servers = 2;
  start(cases);
  // Both proxies write 2000 keys each; each server should hold about half of
  // each proxy's keys (binomial: 1000 +- 22; allow +-200).
  for (bool through_walnut : {false, true}) {
    Client c(through_walnut ? cases[0].walnut_port : cases[0].nutcracker_port);
    std::string prefix = through_walnut ? "w" : "n";
    std::string sets;
    for (int i = 0; i < 2000; ++i) sets += encode({"SET", prefix + std::to_string(i), "v"});
    c.send_raw(sets);
    for (int i = 0; i < 2000; ++i) ASSERT_EQ(c.read_reply(), "+OK\r\n");
  }
  for (int s = 0; s < 2; ++s) {
    Client direct(redis_[s]->port());
    for (const char* prefix : {"n", "w"}) {
      std::string reply = direct.call({"EVAL",
          "return #redis.call('KEYS', ARGV[1])", "0", std::string(prefix) + "*"});
      ASSERT_EQ(reply[0], ':') << reply;
      long held = std::stol(reply.substr(1));
      EXPECT_GT(held, 800) << prefix << " keys on server " << s;
      EXPECT_LT(held, 1200) << prefix << " keys on server " << s;
    }
  }
}

TEST(PlacementOracleMemcached, WalnutPlacesEveryKeyWhereNutcrackerDoes) {
  TempDir dir;
  std::vector<std::unique_ptr<MemcachedServer>> servers;
  for (int i = 0; i < 3; ++i) servers.push_back(std::make_unique<MemcachedServer>(dir));
  struct Case {
    std::string hash, distribution;
    int nutcracker_port, walnut_port;
  };
  std::vector<Case> cases;
  for (const char* hash : {"md5", "fnv1a_64", "crc32a", "murmur", "one_at_a_time"}) {
    for (const char* dist : {"ketama", "modula"}) {
      cases.push_back({hash, dist, free_port(), free_port()});
    }
  }
  auto yaml = [&](const Case& c, int port) {
    std::string y = "mc_" + c.hash + "_" + c.distribution + ":\n";
    y += "  listen: 127.0.0.1:" + std::to_string(port) + "\n";
    y += "  hash: " + c.hash + "\n  distribution: " + c.distribution + "\n  servers:\n";
    const int weights[] = {1, 2, 3};
    for (int i = 0; i < 3; ++i) {
      y += "   - 127.0.0.1:" + std::to_string(servers[i]->port()) + ":" +
           std::to_string(weights[i]) + "\n";
    }
    return y;
  };
  std::string nut_yaml, walnut_yaml;
  for (const Case& c : cases) {
    nut_yaml += yaml(c, c.nutcracker_port);
    walnut_yaml += yaml(c, c.walnut_port);
  }
  std::ofstream(dir.file("nutcracker.yml")) << nut_yaml;
  std::ofstream(dir.file("walnut.yml")) << walnut_yaml;
  Process nutcracker({"/usr/sbin/nutcracker", "-c", dir.file("nutcracker.yml"), "-a", "127.0.0.1", "-s",
                      std::to_string(free_port()), "-o", dir.file("nutcracker.log")},
                     dir.file("nutcracker.out"));
  Process walnut({walnut_binary(), "-c", dir.file("walnut.yml"), "-a", "127.0.0.1", "-s",
                  std::to_string(free_port())},
                 dir.file("walnut.log"));
  // Every listener: nutcracker does not open them in the file's order.
  for (const Case& c : cases) {
    ASSERT_TRUE(wait_for_port(c.nutcracker_port, 10s)) << read_file(dir.file("nutcracker.log"));
    ASSERT_TRUE(wait_for_port(c.walnut_port, 10s)) << read_file(dir.file("walnut.log"));
  }

  int compared = 0;
  for (const Case& c : cases) {
    McClient nut(c.nutcracker_port), wal(c.walnut_port);
    ASSERT_TRUE(nut.connected() && wal.connected());
    std::vector<std::string> keys;
    for (int i = 0; i < 2000; ++i) {
      keys.push_back(std::to_string(i) + ":" + c.hash + c.distribution);
    }
    std::string sets;
    for (const auto& k : keys) {
      sets += "set " + k + " 0 0 " + std::to_string(k.size()) + "\r\n" + k + "\r\n";
    }
    nut.send_raw(sets);
    for (size_t i = 0; i < keys.size(); ++i) {
      ASSERT_EQ(nut.read_line(), "STORED\r\n") << c.hash << " " << c.distribution << " " << i;
    }
    std::string gets;
    for (const auto& k : keys) gets += "get " + k + "\r\n";
    wal.send_raw(gets);
    int misplaced = 0;
    for (const auto& k : keys) {
      std::string want = "VALUE " + k + " 0 " + std::to_string(k.size()) + "\r\n" + k +
                         "\r\nEND\r\n";
      if (wal.read_reply() != want) ++misplaced;
    }
    EXPECT_EQ(misplaced, 0) << c.hash << " " << c.distribution;
    ++compared;
  }
  std::cout << "placement oracle: compared " << compared
            << " memcached pool definitions with nutcracker, 2000 keys each\n";
  EXPECT_EQ(compared, 10);
  for (auto& s : servers) {
    McClient direct(s->port());
    direct.send_raw("stats\r\n");
    std::string stats = direct.read_until_end();
    ASSERT_NE(stats.find("STAT curr_items "), std::string::npos) << stats;
    EXPECT_EQ(stats.find("STAT curr_items 0\r\n"), std::string::npos)
        << "a memcached got no key";
  }
}

}  // namespace
}  // namespace walnut::e2e
