// The keys of Sentinel pools, replica reads and heartbeats: sentinels,
// sentinel_auth, read_policy and server_heartbeat, and the checks between
// them.
#include <gtest/gtest.h>

#include <string>

#include "config/address.h"
#include "config/config.h"
#include "tests/unit/config/config_test_util.h"

namespace walnut::config {
namespace {

using testing::fails_with;
using testing::only_pool;

// A Sentinel pool: two named masters; `extra` goes after `redis: true`
// (line 3), so its first line is line 4.
std::string sentinel_yaml(const std::string& extra = "",
                          const std::string& servers = "    - 127.0.0.1:6379:1 alpha-a\n"
                                                       "    - 127.0.0.1:6380:1 alpha-b\n") {
  return "alpha:\n"                     // 1
         "  listen: 127.0.0.1:22121\n"  // 2
         "  redis: true\n" +            // 3
         extra +
         "  sentinels:\n"
         "    - 127.0.0.1:26379\n"
         "    - '[::1]:26380'\n"
         "  servers:\n" +
         servers;
}

TEST(ConfigSentinel, ASentinelPoolReadsEverySentinelAndMaster) {
  PoolSpec p = only_pool(sentinel_yaml("  sentinel_auth: s3cret\n  read_policy: prefer_replica\n"));
  ASSERT_EQ(p.sentinels.size(), 2u);
  EXPECT_EQ(p.sentinels[0].host, "127.0.0.1");
  EXPECT_EQ(p.sentinels[0].port, 26379);
  EXPECT_EQ(p.sentinels[0].text, "127.0.0.1:26379");
  EXPECT_EQ(p.sentinels[0].line, 7);
  EXPECT_EQ(p.sentinels[1].host, "::1");
  EXPECT_EQ(p.sentinels[1].port, 26380);
  EXPECT_EQ(p.sentinel_auth, "s3cret");
  EXPECT_EQ(p.read_policy, ReadPolicy::kPreferReplica);
  ASSERT_EQ(p.servers.size(), 2u);
  EXPECT_EQ(p.servers[0].name, "alpha-a");
}

TEST(ConfigSentinel, DefaultsAreNoSentinelsMasterReadsAndNoHeartbeat) {
  PoolSpec p = only_pool(testing::pool_yaml());
  EXPECT_TRUE(p.sentinels.empty());
  EXPECT_EQ(p.sentinel_auth, "");
  EXPECT_EQ(p.read_policy, ReadPolicy::kMaster);
  EXPECT_EQ(p.server_heartbeat, 0);
}

TEST(ConfigSentinel, EveryReadPolicyByItsName) {
  const std::pair<const char*, ReadPolicy> cases[] = {
      {"master", ReadPolicy::kMaster},
      {"prefer_master", ReadPolicy::kPreferMaster},
      {"replica", ReadPolicy::kReplica},
      {"prefer_replica", ReadPolicy::kPreferReplica},
      {"any", ReadPolicy::kAny}};
  for (const auto& [name, policy] : cases) {
    PoolSpec p = only_pool(sentinel_yaml("  read_policy: " + std::string(name) + "\n"));
    EXPECT_EQ(p.read_policy, policy) << name;
    EXPECT_STREQ(read_policy_name(policy), name);
  }
  EXPECT_TRUE(fails_with(sentinel_yaml("  read_policy: replicas\n"),
                         "t.yml:4: 'read_policy' must be one of master, prefer_master, replica, "
                         "prefer_replica, any, got 'replicas'"));
}

TEST(ConfigSentinel, ReadPolicyNeedsSentinelsOrACluster) {
  EXPECT_TRUE(fails_with(testing::pool_yaml("  redis: true\n  read_policy: replica\n"),
                         "t.yml:6: 'read_policy: replica' requires 'sentinels' or "
                         "'redis_cluster: true' in pool 'alpha': walnut finds the replicas there"));
  // master is what every pool does: allowed anywhere.
  EXPECT_EQ(only_pool(testing::pool_yaml("  read_policy: master\n")).read_policy,
            ReadPolicy::kMaster);
  PoolSpec cluster = only_pool(
      "alpha:\n"
      "  listen: 127.0.0.1:22121\n"
      "  redis: true\n"
      "  redis_cluster: true\n"
      "  read_policy: any\n"
      "  servers:\n"
      "    - 127.0.0.1:7000:1\n");
  EXPECT_EQ(cluster.read_policy, ReadPolicy::kAny);
}

TEST(ConfigSentinel, EveryServerNeedsItsMasterName) {
  EXPECT_TRUE(fails_with(
      sentinel_yaml("", "    - 127.0.0.1:6379:1 alpha-a\n    - 127.0.0.1:6380:1\n"),
      "t.yml:9: server '127.0.0.1:6380:1' has no name; with 'sentinels' every server's name "
      "is the master's name in Sentinel (\"host:port:weight mymaster\")"));
}

TEST(ConfigSentinel, RefusedWithoutRedisWithAClusterOrWithUnixServers) {
  EXPECT_TRUE(fails_with(
      "alpha:\n"
      "  listen: 127.0.0.1:22121\n"
      "  sentinels:\n"
      "    - 127.0.0.1:26379\n"
      "  servers:\n"
      "    - 127.0.0.1:6379:1 m\n",
      "t.yml:3: 'sentinels' requires 'redis: true' in pool 'alpha'"));
  EXPECT_TRUE(fails_with(sentinel_yaml("  redis_cluster: true\n"),
                         "t.yml:5: 'sentinels' with 'redis_cluster: true' in pool 'alpha': a "
                         "Redis Cluster fails over by itself, without Sentinel"));
  EXPECT_TRUE(fails_with(sentinel_yaml("", "    - /tmp/redis.sock:1 m\n"),
                         "t.yml:8: server '/tmp/redis.sock:1 m' cannot be a unix socket in "
                         "pool 'alpha': Sentinel gives TCP addresses"));
}

TEST(ConfigSentinel, BadSentinelEntries) {
  const std::string head =
      "alpha:\n"
      "  listen: 127.0.0.1:22121\n"
      "  redis: true\n"
      "  servers:\n"
      "    - 127.0.0.1:6379:1 m\n"
      "  sentinels:\n";  // entries from line 7
  ListenSpec unused;
  const std::string no_port = parse_listen("127.0.0.1", &unused);
  ASSERT_FALSE(no_port.empty());
  EXPECT_TRUE(fails_with(head + "    - 127.0.0.1\n", "t.yml:7: sentinel '127.0.0.1': " + no_port));
  EXPECT_TRUE(fails_with(head + "    - /tmp/sentinel.sock\n",
                         "t.yml:7: sentinel '/tmp/sentinel.sock': a Sentinel is a TCP address, "
                         "not a unix socket"));
  EXPECT_TRUE(fails_with(head + "    - 127.0.0.1:26379\n    - 127.0.0.1:26379\n",
                         "t.yml:8: sentinel '127.0.0.1:26379' is listed already at line 7"));
  EXPECT_TRUE(fails_with(head.substr(0, head.size() - 13) + "  sentinels: 127.0.0.1:26379\n",
                         "t.yml:6: 'sentinels' must be a list of \"host:port\" entries"));
  EXPECT_TRUE(fails_with(head + "    - a: b\n",
                         "t.yml:7: each entry of 'sentinels' must be a string \"host:port\""));
}

TEST(ConfigSentinel, SentinelAuthNeedsSentinelsAndAValue) {
  EXPECT_TRUE(fails_with(testing::pool_yaml("  redis: true\n  sentinel_auth: pw\n"),
                         "t.yml:6: 'sentinel_auth' requires 'sentinels' in pool 'alpha'"));
  EXPECT_TRUE(fails_with(sentinel_yaml("  sentinel_auth: ''\n"),
                         "t.yml:4: 'sentinel_auth' must not be empty"));
}

TEST(ConfigHeartbeat, MillisecondsOrZero) {
  EXPECT_EQ(only_pool(testing::pool_yaml("  server_heartbeat: 250\n")).server_heartbeat, 250);
  EXPECT_EQ(only_pool(testing::pool_yaml("  server_heartbeat: 0\n")).server_heartbeat, 0);
  EXPECT_TRUE(fails_with(testing::pool_yaml("  server_heartbeat: -1\n"),
                         "t.yml:5: 'server_heartbeat' must be a non-negative integer, got '-1'"));
  EXPECT_TRUE(fails_with(testing::pool_yaml("  server_heartbeat: soon\n"),
                         "t.yml:5: 'server_heartbeat' must be a non-negative integer, got 'soon'"));
}

}  // namespace
}  // namespace walnut::config
