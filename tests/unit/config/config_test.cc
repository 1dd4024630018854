// Pool keys: every key with a non-default value, the defaults, and every
// value and pool-level error with its exact "file:line: message".
#include "config/config.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "config_test_util.h"

namespace walnut::config {
namespace {

using testing::fails_with;
using testing::load;
using testing::only_pool;
using testing::pool_yaml;

TEST(ConfigDefaults, AbsentKeysTakeNutcrackerDefaults) {
  PoolSpec p = only_pool(pool_yaml());
  EXPECT_EQ(p.name, "alpha");
  EXPECT_EQ(p.line, 1);
  EXPECT_EQ(p.hash, "fnv1a_64");
  EXPECT_EQ(p.hash_tag, "");
  EXPECT_EQ(p.distribution, "ketama");
  EXPECT_EQ(p.timeout, -1);
  EXPECT_EQ(p.backlog, 512);
  EXPECT_EQ(p.client_connections, 0);
  EXPECT_EQ(p.client_output_limit, 64 * 1024 * 1024);  // walnut's own key
  EXPECT_FALSE(p.redis);
  EXPECT_EQ(p.redis_auth, "");
  EXPECT_EQ(p.redis_db, 0);
  EXPECT_FALSE(p.redis_allow_flush);  // walnut's own key
  EXPECT_FALSE(p.redis_cluster);  // walnut's own key, as the next two
  EXPECT_EQ(p.cluster_max_redirects, 5);
  EXPECT_EQ(p.cluster_refresh_interval, 10000);
  EXPECT_FALSE(p.preconnect);
  EXPECT_FALSE(p.auto_eject_hosts);
  EXPECT_EQ(p.server_connections, 1);
  EXPECT_EQ(p.server_retry_timeout, 30000);
  EXPECT_EQ(p.server_failure_limit, 2);
  EXPECT_FALSE(p.tcpkeepalive);
  EXPECT_FALSE(p.reuseport);
}

TEST(ConfigKeys, EveryKeyWithANonDefaultValue) {
  PoolSpec p = only_pool(
      "beta:\n"
      "  listen: 0.0.0.0:22222\n"
      "  hash: murmur\n"
      "  hash_tag: \"[]\"\n"
      "  distribution: modula\n"
      "  timeout: 400\n"
      "  backlog: 1024\n"
      "  client_connections: 100\n"
      "  redis: true\n"
      "  redis_auth: hunter2\n"
      "  redis_db: 7\n"
      "  redis_allow_flush: true\n"
      "  preconnect: true\n"
      "  auto_eject_hosts: true\n"
      "  server_connections: 3\n"
      "  server_retry_timeout: 2000\n"
      "  server_failure_limit: 5\n"
      "  tcpkeepalive: true\n"
      "  reuseport: true\n"
      "  servers:\n"
      "    - 127.0.0.1:6379:2 one\n");
  EXPECT_EQ(p.name, "beta");
  EXPECT_EQ(p.listen.text, "0.0.0.0:22222");
  EXPECT_EQ(p.listen.host, "0.0.0.0");
  EXPECT_EQ(p.listen.port, 22222);
  EXPECT_EQ(p.hash, "murmur");
  EXPECT_EQ(p.hash_tag, "[]");
  EXPECT_EQ(p.distribution, "modula");
  EXPECT_EQ(p.timeout, 400);
  EXPECT_EQ(p.backlog, 1024);
  EXPECT_EQ(p.client_connections, 100);
  EXPECT_TRUE(p.redis);
  EXPECT_TRUE(p.redis_allow_flush);
  EXPECT_EQ(p.redis_auth, "hunter2");
  EXPECT_EQ(p.redis_db, 7);
  EXPECT_TRUE(p.preconnect);
  EXPECT_TRUE(p.auto_eject_hosts);
  EXPECT_EQ(p.server_connections, 3);
  EXPECT_EQ(p.server_retry_timeout, 2000);
  EXPECT_EQ(p.server_failure_limit, 5);
  EXPECT_TRUE(p.tcpkeepalive);
  EXPECT_TRUE(p.reuseport);
  ASSERT_EQ(p.servers.size(), 1u);
  EXPECT_EQ(p.servers[0].weight, 2);
  EXPECT_EQ(p.servers[0].label, "one");
}

TEST(ConfigKeys, KeysMayComeInAnyOrderAndValuesMayBeQuoted) {
  PoolSpec p = only_pool(
      "alpha:\n"
      "  servers:\n"
      "    - 127.0.0.1:6379:1\n"
      "  redis: \"true\"\n"
      "  timeout: '250'\n"
      "  listen: '127.0.0.1:22121'\n");
  EXPECT_TRUE(p.redis);
  EXPECT_EQ(p.timeout, 250);
  EXPECT_EQ(p.listen.port, 22121);
}

// --- integers -------------------------------------------------------------

class IntegerKey : public ::testing::TestWithParam<const char*> {};

TEST_P(IntegerKey, AcceptsDigitsIncludingLeadingZerosAndIntMax) {
  const std::string key = GetParam();
  for (auto [text, want] : {std::pair{"7", 7}, {"007", 7}, {"2147483647", 2147483647}}) {
    PoolSpec p = only_pool(pool_yaml("  " + key + ": " + text + "\n"));
    int got = key == "timeout"                ? p.timeout
              : key == "backlog"              ? p.backlog
              : key == "client_connections"   ? p.client_connections
              : key == "client_output_limit"  ? p.client_output_limit
              : key == "max_request_size"     ? p.max_request_size
              : key == "redis_db"             ? p.redis_db
              : key == "server_connections"   ? p.server_connections
              : key == "server_retry_timeout" ? p.server_retry_timeout
                                              : p.server_failure_limit;
    EXPECT_EQ(got, want) << key << ": " << text;
  }
}

TEST_P(IntegerKey, RejectsGarbageSignsFractionsAndEmpty) {
  const std::string key = GetParam();
  for (const char* bad : {"abc", "-1", "+1", "1.5", "1e3", "0x10", "~", "12abc"}) {
    EXPECT_TRUE(
        fails_with(pool_yaml("  " + key + ": " + bad + "\n"),
                   "t.yml:5: '" + key + "' must be a non-negative integer, got '" + bad + "'"));
  }
  EXPECT_TRUE(fails_with(pool_yaml("  " + key + ":\n"),
                         "t.yml:5: '" + key + "' must be a non-negative integer, got ''"));
}

TEST_P(IntegerKey, RejectsOverflowInsteadOfWrapping) {
  const std::string key = GetParam();
  for (const char* big : {"2147483648", "4294967296", "99999999999999999999999"}) {
    EXPECT_TRUE(fails_with(pool_yaml("  " + key + ": " + big + "\n"),
                           "t.yml:5: '" + key + "' must be at most 2147483647, got '" + big + "'"));
  }
}

INSTANTIATE_TEST_SUITE_P(Config, IntegerKey,
                         ::testing::Values("timeout", "backlog", "client_connections",
                                           "client_output_limit", "max_request_size",
                                           "redis_db",
                                           "server_connections", "server_retry_timeout",
                                           "server_failure_limit"));

TEST(ConfigKeys, MaxRequestSizeDefaultsToWhatTheServersAcceptAndZeroIsNoLimit) {
  PoolSpec redis = only_pool(pool_yaml("  redis: true\n"));
  EXPECT_EQ(redis.max_request_size, -1);
  EXPECT_EQ(max_request_bytes(redis), 512ull * 1024 * 1024);  // proto-max-bulk-len
  PoolSpec mc = only_pool(pool_yaml(""));
  EXPECT_EQ(max_request_bytes(mc), 1024ull * 1024);  // memcached's item size
  EXPECT_EQ(max_request_bytes(only_pool(pool_yaml("  max_request_size: 4096\n"))), 4096u);
  EXPECT_EQ(max_request_bytes(only_pool(pool_yaml("  max_request_size: 0\n"))), UINT64_MAX);
}

TEST(ConfigKeys, ZeroIsFineExceptForServerConnections) {
  PoolSpec p = only_pool(pool_yaml("  timeout: 0\n  backlog: 0\n  server_failure_limit: 0\n"));
  EXPECT_EQ(p.timeout, 0);
  EXPECT_EQ(p.backlog, 0);
  EXPECT_EQ(p.server_failure_limit, 0);
  EXPECT_TRUE(fails_with(pool_yaml("  server_connections: 0\n"),
                         "t.yml:5: 'server_connections' must be at least 1, got '0'"));
}

// --- booleans -------------------------------------------------------------

class BoolKey : public ::testing::TestWithParam<const char*> {};

bool field(const PoolSpec& p, const std::string& key) {
  if (key == "redis") return p.redis;
  if (key == "preconnect") return p.preconnect;
  if (key == "auto_eject_hosts") return p.auto_eject_hosts;
  if (key == "tcpkeepalive") return p.tcpkeepalive;
  return p.reuseport;
}

TEST_P(BoolKey, AcceptsExactlyTrueAndFalse) {
  const std::string key = GetParam();
  EXPECT_TRUE(field(only_pool(pool_yaml("  " + key + ": true\n")), key));
  EXPECT_FALSE(field(only_pool(pool_yaml("  " + key + ": false\n")), key));
  for (const char* bad : {"yes", "no", "True", "FALSE", "on", "1", "0", "~"}) {
    EXPECT_TRUE(fails_with(pool_yaml("  " + key + ": " + bad + "\n"),
                           "t.yml:5: '" + key + "' must be true or false, got '" + bad + "'"));
  }
}

INSTANTIATE_TEST_SUITE_P(Config, BoolKey,
                         ::testing::Values("redis", "preconnect", "auto_eject_hosts",
                                           "tcpkeepalive", "reuseport"));

// --- names ----------------------------------------------------------------

class HashName : public ::testing::TestWithParam<const char*> {};

TEST_P(HashName, IsAccepted) {
  EXPECT_EQ(only_pool(pool_yaml(std::string("  hash: ") + GetParam() + "\n")).hash, GetParam());
}

INSTANTIATE_TEST_SUITE_P(Config, HashName,
                         ::testing::Values("one_at_a_time", "md5", "crc16", "crc32", "crc32a",
                                           "fnv1_64", "fnv1a_64", "fnv1_32", "fnv1a_32", "hsieh",
                                           "murmur", "jenkins"));

TEST(ConfigKeys, UnknownHashNamesTheChoices) {
  EXPECT_TRUE(fails_with(pool_yaml("  hash: md4\n"),
                         "t.yml:5: 'hash' must be one of one_at_a_time, md5, crc16, crc32, "
                         "crc32a, fnv1_64, fnv1a_64, fnv1_32, fnv1a_32, hsieh, murmur, jenkins, "
                         "got 'md4'"));
  // Names are case-sensitive, as in nutcracker.
  EXPECT_FALSE(load(pool_yaml("  hash: MD5\n")).ok);
}

TEST(ConfigKeys, Distributions) {
  for (const char* d : {"ketama", "modula", "random"}) {
    EXPECT_EQ(only_pool(pool_yaml(std::string("  distribution: ") + d + "\n")).distribution, d);
  }
  EXPECT_TRUE(fails_with(pool_yaml("  distribution: consistent\n"),
                         "t.yml:5: 'distribution' must be one of ketama, modula, random, "
                         "server_name, got 'consistent'"));
}

TEST(ConfigKeys, ServerNameDistributionNeedsEveryServerNamed) {
  PoolSpec p = only_pool(
      "alpha:\n"
      "  listen: 127.0.0.1:22121\n"
      "  distribution: server_name\n"
      "  servers:\n"
      "    - 127.0.0.1:6379:1 a\n"
      "    - /tmp/r.sock:1 b\n");
  EXPECT_EQ(p.distribution, "server_name");
  EXPECT_TRUE(
      fails_with("alpha:\n"
                 "  listen: 127.0.0.1:22121\n"
                 "  distribution: server_name\n"
                 "  servers:\n"
                 "    - 127.0.0.1:6379:1 a\n"
                 "    - 127.0.0.1:6380:1\n",
                 "t.yml:6: distribution server_name requires every server to have a name; "
                 "'127.0.0.1:6380:1' has none"));
}

TEST(ConfigKeys, HashTagIsExactlyTwoBytes) {
  EXPECT_EQ(only_pool(pool_yaml("  hash_tag: \"{}\"\n")).hash_tag, "{}");
  EXPECT_EQ(only_pool(pool_yaml("  hash_tag: ab\n")).hash_tag, "ab");
  EXPECT_TRUE(fails_with(pool_yaml("  hash_tag: \"{\"\n"),
                         "t.yml:5: 'hash_tag' must be exactly 2 characters, got '{'"));
  EXPECT_TRUE(fails_with(pool_yaml("  hash_tag: \"{}}\"\n"),
                         "t.yml:5: 'hash_tag' must be exactly 2 characters, got '{}}'"));
  EXPECT_TRUE(fails_with(pool_yaml("  hash_tag: \"\"\n"),
                         "t.yml:5: 'hash_tag' must be exactly 2 characters, got ''"));
}

TEST(ConfigKeys, RedisAuthNeedsRedisAndAValue) {
  EXPECT_EQ(only_pool(pool_yaml("  redis: true\n  redis_auth: pw\n")).redis_auth, "pw");
  // The order of the two keys does not matter.
  EXPECT_EQ(only_pool(pool_yaml("  redis_auth: pw\n  redis: true\n")).redis_auth, "pw");
  EXPECT_TRUE(fails_with(pool_yaml("  timeout: 1\n  redis_auth: pw\n"),
                         "t.yml:6: 'redis_auth' requires 'redis: true' in pool 'alpha'"));
  EXPECT_TRUE(fails_with(pool_yaml("  redis: false\n  redis_auth: pw\n"),
                         "t.yml:6: 'redis_auth' requires 'redis: true' in pool 'alpha'"));
  EXPECT_TRUE(fails_with(pool_yaml("  redis: true\n  redis_auth: ''\n"),
                         "t.yml:6: 'redis_auth' must not be empty"));
}

TEST(ConfigKeys, RedisUserNeedsRedisAuthAndIsOneWord) {
  const PoolSpec p = only_pool(pool_yaml("  redis: true\n  redis_user: app\n  redis_auth: pw\n"));
  EXPECT_EQ(p.redis_user, "app");
  EXPECT_EQ(p.redis_auth, "pw");
  EXPECT_EQ(only_pool(pool_yaml("  redis: true\n  redis_auth: pw\n")).redis_user, "")
      << "Redis's default user";
  EXPECT_TRUE(fails_with(pool_yaml("  redis: true\n  redis_user: app\n"),
                         "t.yml:6: 'redis_user' requires 'redis_auth' in pool 'alpha'"));
  EXPECT_TRUE(fails_with(pool_yaml("  redis: true\n  redis_auth: pw\n  redis_user: 'a b'\n"),
                         "t.yml:7: 'redis_user' must be one word (an ACL user name), got 'a b'"));
  EXPECT_TRUE(fails_with(pool_yaml("  redis: true\n  redis_auth: pw\n  redis_user: ''\n"),
                         "t.yml:7: 'redis_user' must be one word (an ACL user name), got ''"));
}

TEST(ConfigKeys, TlsKeysNeedTheKeysTheyGoWith) {
  EXPECT_TRUE(fails_with(pool_yaml("  tls_key_file: /k.pem\n"),
                         "t.yml:5: 'tls_key_file' requires 'tls_cert_file' in pool 'alpha'"));
  EXPECT_TRUE(fails_with(pool_yaml("  tls_cert_file: /c.pem\n"),
                         "t.yml:5: 'tls_cert_file' requires 'tls_key_file' in pool 'alpha'"));
  EXPECT_TRUE(
      fails_with(pool_yaml("  tls_cert_file: /c.pem\n  tls_key_file: /k.pem\n"
                           "  tls_auth_clients: true\n"),
                 "t.yml:7: 'tls_auth_clients' requires 'tls_ca_cert_file' in pool 'alpha'"));
  for (const char* key : {"tls_ca_cert_file: /ca.pem", "tls_auth_clients: false",
                          "tls_protocols: TLSv1.3", "tls_ciphers: HIGH",
                          "tls_handshake_timeout: 5000"}) {
    const std::string name = std::string(key).substr(0, std::string(key).find(':'));
    EXPECT_TRUE(fails_with(pool_yaml("  " + std::string(key) + "\n"),
                           "t.yml:5: '" + name + "' requires 'tls_cert_file' in pool 'alpha'"))
        << key;
  }
  for (const char* key : {"server_tls_ca_cert_file: /ca.pem", "server_tls_cert_file: /c.pem",
                          "server_tls_key_file: /k.pem", "server_tls_server_name: cache",
                          "server_tls_verify: true"}) {
    const std::string name = std::string(key).substr(0, std::string(key).find(':'));
    EXPECT_TRUE(fails_with(pool_yaml("  server_tls: false\n  " + std::string(key) + "\n"),
                           "t.yml:6: '" + name + "' requires 'server_tls: true' in pool 'alpha'"))
        << key;
  }
  EXPECT_TRUE(fails_with(pool_yaml("  server_tls: true\n  server_tls_cert_file: /c.pem\n"),
                         "t.yml:6: 'server_tls_cert_file' requires 'server_tls_key_file' in "
                         "pool 'alpha'"));
  EXPECT_TRUE(fails_with(pool_yaml("  server_tls: true\n  server_tls_key_file: /k.pem\n"),
                         "t.yml:6: 'server_tls_key_file' requires 'server_tls_cert_file' in "
                         "pool 'alpha'"));
}

TEST(ConfigKeys, TlsValuesAreChecked) {
  EXPECT_TRUE(fails_with(pool_yaml("  tls_protocols: TLSv1.1 TLSv1.2\n"),
                         "t.yml:5: 'tls_protocols' must name TLSv1.2, TLSv1.3 or both (older "
                         "ones are unsafe), got 'TLSv1.1 TLSv1.2'"));
  EXPECT_TRUE(fails_with(pool_yaml("  tls_cert_file: ''\n"),
                         "t.yml:5: a TLS file must not be empty"));
  EXPECT_TRUE(fails_with(pool_yaml("  tls_handshake_timeout: 0\n"),
                         "t.yml:5: 'tls_handshake_timeout' must be at least 1, got '0'"));
  EXPECT_TRUE(fails_with(pool_yaml("  server_tls: true\n  server_tls_server_name: a b\n"),
                         "t.yml:6: 'server_tls_server_name' must be a host name or address, "
                         "got 'a b'"));
  // A file OpenSSL cannot read is found by the check, at its key's line.
  EXPECT_TRUE(fails_with(pool_yaml("  server_tls: true\n  server_tls_ca_cert_file: "
                                   "/nonexistent/ca.pem\n"),
                         "t.yml:6: cannot use CA certificates '/nonexistent/ca.pem': No such file or "
                         "directory"));
  // Without files: TLS to the servers with the system's CAs.
  const PoolSpec p = only_pool(pool_yaml("  server_tls: true\n  server_tls_server_name: c.example\n"));
  EXPECT_TRUE(p.server_tls);
  EXPECT_TRUE(p.server_tls_verify);
  EXPECT_EQ(p.server_tls_server_name, "c.example");
  EXPECT_FALSE(tls_listener(p));
  EXPECT_EQ(p.tls_handshake_timeout, 10000);
}

TEST(ConfigKeys, ServerAuthGivesServersTheirOwnCredentials) {
  const std::string servers =
      "  servers:\n   - 127.0.0.1:6379:1 one\n   - 127.0.0.1:6380:1\n";
  const auto pool = [&servers](const std::string& extra) {
    return "alpha:\n  listen: 127.0.0.1:22121\n  redis: true\n" + extra + servers;
  };
  const PoolSpec p = only_pool(pool(
      "  server_auth:\n    one: pw-one\n    127.0.0.1:6380:\n      user: app\n"
      "      password: pw-two\n"));
  ASSERT_EQ(p.server_auth.size(), 2u);
  const ServerAuth* one = server_auth_of(p, "one");
  ASSERT_NE(one, nullptr);
  EXPECT_EQ(one->user, "");
  EXPECT_EQ(one->password, "pw-one");
  const ServerAuth* two = server_auth_of(p, "127.0.0.1:6380");
  ASSERT_NE(two, nullptr);
  EXPECT_EQ(two->user, "app");
  EXPECT_EQ(two->password, "pw-two");
  EXPECT_EQ(server_auth_of(p, "127.0.0.1:6379"), nullptr) << "by its name only";

  EXPECT_TRUE(fails_with(pool("  server_auth:\n    three: pw\n"),
                         "t.yml:5: 'server_auth' names 'three', which is no server of pool "
                         "'alpha' (a server's name, or host:port as written)"));
  EXPECT_TRUE(fails_with(pool("  server_auth:\n    one: a\n    one: b\n"),
                         "t.yml:6: 'server_auth' names 'one' twice (first at line 5)"));
  EXPECT_TRUE(fails_with(pool("  server_auth:\n    one:\n      pass: x\n"),
                         "t.yml:6: 'server_auth' of 'one' takes 'user' and 'password', got "
                         "'pass'"));
  EXPECT_TRUE(fails_with(pool("  server_auth:\n    one:\n      user: app\n"),
                         "t.yml:6: 'server_auth' of 'one' has no password"));
  EXPECT_TRUE(fails_with(pool("  server_auth: pw\n"),
                         "t.yml:4: 'server_auth' must be a mapping of server names to passwords"));
  EXPECT_TRUE(fails_with("alpha:\n  listen: 127.0.0.1:22121\n  server_auth:\n    one: pw\n" +
                             servers,
                         "t.yml:3: 'server_auth' requires 'redis: true' in pool 'alpha'"));
}

TEST(ConfigKeys, ScalarKeysRefuseListsAndMappings) {
  EXPECT_TRUE(fails_with(pool_yaml("  hash:\n    - md5\n"),
                         "t.yml:6: 'hash' must be a single value, not a list"));
  EXPECT_TRUE(fails_with(pool_yaml("  timeout:\n    ms: 5\n"),
                         "t.yml:6: 'timeout' must be a single value, not a mapping"));
}

// --- Redis Cluster pools --------------------------------------------------

// A valid Redis Cluster pool; `extra` (lines indented by two spaces) is
// appended inside pool 'alpha', so its first line is line 8.
std::string cluster_yaml(std::string_view extra = {}) {
  std::string yaml =
      "alpha:\n"                     // 1
      "  listen: 127.0.0.1:22121\n"  // 2
      "  redis: true\n"              // 3
      "  redis_cluster: true\n"      // 4
      "  servers:\n"                 // 5
      "    - 127.0.0.1:7000:1\n"     // 6
      "    - 127.0.0.1:7001:1\n";    // 7
  yaml += extra;
  return yaml;
}

// The whole error for `what` refused at `line` of a cluster pool.
std::string refused(int line, const std::string& what, const std::string& why) {
  return "t.yml:" + std::to_string(line) + ": " + what +
         " with 'redis_cluster: true' in pool 'alpha': " + why;
}

// Why each is refused.
const char kBySlot[] = "Redis Cluster places keys by the CRC16 slot of the key or its {hash tag}";
const char kFailovers[] = "the cluster decides where slots go, and walnut follows its failovers";
const char kOneDb[] = "a Redis Cluster has only database 0";
const char kTcpNodes[] = "the nodes of a Redis Cluster are TCP addresses";

TEST(ConfigCluster, EveryClusterKeyWithANonDefaultValue) {
  PoolSpec p =
      only_pool(cluster_yaml("  cluster_max_redirects: 3\n"
                             "  cluster_refresh_interval: 2500\n"
                             "  timeout: 400\n"
                             "  redis_auth: pw\n"
                             "  redis_db: 0\n"
                             "  auto_eject_hosts: false\n"));
  EXPECT_TRUE(p.redis);
  EXPECT_TRUE(p.redis_cluster);
  EXPECT_EQ(p.cluster_max_redirects, 3);
  EXPECT_EQ(p.cluster_refresh_interval, 2500);
  EXPECT_EQ(p.timeout, 400);
  EXPECT_EQ(p.redis_auth, "pw");
  EXPECT_EQ(p.redis_db, 0);
  EXPECT_FALSE(p.auto_eject_hosts);
  PoolSpec d = only_pool(cluster_yaml());
  EXPECT_EQ(d.cluster_max_redirects, 5);
  EXPECT_EQ(d.cluster_refresh_interval, 10000);
}

TEST(ConfigCluster, KeysMayComeInAnyOrder) {
  PoolSpec p = only_pool(
      "alpha:\n"
      "  cluster_refresh_interval: 100\n"
      "  servers:\n"
      "    - 127.0.0.1:7000:1\n"
      "  redis_cluster: true\n"
      "  cluster_max_redirects: 2\n"
      "  listen: 127.0.0.1:22121\n"
      "  redis: true\n");
  EXPECT_TRUE(p.redis_cluster);
  EXPECT_EQ(p.cluster_max_redirects, 2);
  EXPECT_EQ(p.cluster_refresh_interval, 100);
}

TEST(ConfigCluster, RedisClusterIsExactlyTrueOrFalse) {
  // false is a plain pool, and then needs no redis.
  EXPECT_FALSE(only_pool(pool_yaml("  redis_cluster: false\n")).redis_cluster);
  for (const char* bad : {"yes", "True", "1", "~"}) {
    EXPECT_TRUE(fails_with(
        pool_yaml("  redis: true\n  redis_cluster: " + std::string(bad) + "\n"),
        "t.yml:6: 'redis_cluster' must be true or false, got '" + std::string(bad) + "'"));
  }
}

TEST(ConfigCluster, MaxRedirectsIsZeroToOneHundred) {
  EXPECT_EQ(only_pool(cluster_yaml("  cluster_max_redirects: 0\n")).cluster_max_redirects, 0);
  EXPECT_EQ(only_pool(cluster_yaml("  cluster_max_redirects: 100\n")).cluster_max_redirects, 100);
  EXPECT_TRUE(fails_with(cluster_yaml("  cluster_max_redirects: 101\n"),
                         "t.yml:8: 'cluster_max_redirects' must be at most 100, got '101'"));
  EXPECT_TRUE(fails_with(cluster_yaml("  cluster_max_redirects: 2147483648\n"),
                         "t.yml:8: 'cluster_max_redirects' must be at most 100, got '2147483648'"));
  EXPECT_TRUE(fails_with(cluster_yaml("  cluster_max_redirects: -1\n"),
                         "t.yml:8: 'cluster_max_redirects' must be a non-negative integer, "
                         "got '-1'"));
}

TEST(ConfigCluster, RefreshIntervalIsANonNegativeInteger) {
  EXPECT_EQ(only_pool(cluster_yaml("  cluster_refresh_interval: 0\n")).cluster_refresh_interval, 0);
  EXPECT_EQ(
      only_pool(cluster_yaml("  cluster_refresh_interval: 2147483647\n")).cluster_refresh_interval,
      2147483647);
  EXPECT_TRUE(fails_with(cluster_yaml("  cluster_refresh_interval: 1s\n"),
                         "t.yml:8: 'cluster_refresh_interval' must be a non-negative integer, "
                         "got '1s'"));
  EXPECT_TRUE(fails_with(cluster_yaml("  cluster_refresh_interval: 2147483648\n"),
                         "t.yml:8: 'cluster_refresh_interval' must be at most 2147483647, "
                         "got '2147483648'"));
}

TEST(ConfigCluster, NeedsRedis) {
  EXPECT_TRUE(fails_with(pool_yaml("  redis_cluster: true\n"),
                         "t.yml:5: 'redis_cluster' requires 'redis: true' in pool 'alpha'"));
  // Pointed at redis_cluster whether redis comes before or after it.
  EXPECT_TRUE(fails_with(pool_yaml("  redis: false\n  redis_cluster: true\n"),
                         "t.yml:6: 'redis_cluster' requires 'redis: true' in pool 'alpha'"));
  EXPECT_TRUE(fails_with(pool_yaml("  redis_cluster: true\n  redis: false\n"),
                         "t.yml:5: 'redis_cluster' requires 'redis: true' in pool 'alpha'"));
}

TEST(ConfigCluster, ClusterKeysNeedRedisCluster) {
  for (const char* key : {"cluster_max_redirects", "cluster_refresh_interval"}) {
    const std::string error =
        "t.yml:6: '" + std::string(key) + "' requires 'redis_cluster: true' in pool 'alpha'";
    EXPECT_TRUE(fails_with(pool_yaml("  redis: true\n  " + std::string(key) + ": 1\n"), error));
    EXPECT_TRUE(fails_with(
        pool_yaml("  redis_cluster: false\n  " + std::string(key) + ": 1\n  redis: true\n"),
        error));
  }
}

class PlacementKeyInClusterPool : public ::testing::TestWithParam<const char*> {};

// A valid value of each, the cluster's own where it has one (crc16, "{}"):
// refused all the same.
std::string placement_line(const std::string& key) {
  if (key == "hash") return "  hash: crc16\n";
  if (key == "hash_tag") return "  hash_tag: \"{}\"\n";
  return "  distribution: ketama\n";
}

TEST_P(PlacementKeyInClusterPool, IsRefusedAtItsLine) {
  const std::string key = GetParam();
  const std::string line = placement_line(key);
  const std::string what = "'" + key + "' cannot be set";
  EXPECT_TRUE(fails_with(cluster_yaml(line), refused(8, what, kBySlot)));
  // Before redis_cluster in the file, too.
  EXPECT_TRUE(
      fails_with("alpha:\n"
                 "  listen: 127.0.0.1:22121\n" +
                     line +
                     "  redis: true\n"
                     "  redis_cluster: true\n"
                     "  servers:\n"
                     "    - 127.0.0.1:7000:1\n",
                 refused(3, what, kBySlot)));
}

// Every value of these keys is refused, the default included: they mean
// nothing in a cluster pool, and accepting one value would suggest they do.
INSTANTIATE_TEST_SUITE_P(Config, PlacementKeyInClusterPool,
                         ::testing::Values("hash", "distribution", "hash_tag"));

TEST(ConfigCluster, AutoEjectHostsIsRefused) {
  EXPECT_FALSE(only_pool(cluster_yaml("  auto_eject_hosts: false\n")).auto_eject_hosts);
  EXPECT_TRUE(fails_with(cluster_yaml("  auto_eject_hosts: true\n"),
                         refused(8, "'auto_eject_hosts: true' cannot be set", kFailovers)));
}

TEST(ConfigCluster, OnlyDatabaseZero) {
  EXPECT_EQ(only_pool(cluster_yaml("  redis_db: 0\n")).redis_db, 0);
  EXPECT_TRUE(fails_with(cluster_yaml("  redis_db: 3\n"),
                         refused(8, "'redis_db: 3' cannot be set", kOneDb)));
  // The number as read, whatever its spelling.
  EXPECT_TRUE(fails_with(cluster_yaml("  redis_db: 007\n"),
                         refused(8, "'redis_db: 7' cannot be set", kOneDb)));
}

TEST(ConfigCluster, SeedsAreServerEntriesAsInAnyPool) {
  PoolSpec p = only_pool(cluster_yaml());
  ASSERT_EQ(p.servers.size(), 2u);
  EXPECT_EQ(p.servers[0].host, "127.0.0.1");
  EXPECT_EQ(p.servers[0].port, 7000);
  EXPECT_EQ(p.servers[0].line, 6);
  EXPECT_EQ(p.servers[1].port, 7001);
  PoolSpec named = only_pool(cluster_yaml("    - localhost:7002:1 seed-c\n"));
  ASSERT_EQ(named.servers.size(), 3u);
  EXPECT_EQ(named.servers[2].label, "seed-c");
  // The weight is still required, as in every pool.
  EXPECT_TRUE(fails_with(cluster_yaml("    - 127.0.0.1:7002\n"),
                         "t.yml:8: server '127.0.0.1:7002' must be \"host:port:weight [name]\" or "
                         "\"/path:weight [name]\""));
}

TEST(ConfigCluster, UnixSocketSeedsAreRefusedAtTheirLine) {
  EXPECT_TRUE(fails_with(cluster_yaml("    - /tmp/r.sock:1\n    - /tmp/s.sock:1\n"),
                         refused(8, "server '/tmp/r.sock:1' cannot be a unix socket", kTcpNodes)));
  EXPECT_TRUE(
      fails_with("alpha:\n"
                 "  listen: 127.0.0.1:22121\n"
                 "  servers:\n"
                 "    - /tmp/r.sock:1 a\n"
                 "  redis: true\n"
                 "  redis_cluster: true\n",
                 refused(4, "server '/tmp/r.sock:1 a' cannot be a unix socket", kTcpNodes)));
  // A unix listen is the clients' side, and stays allowed.
  EXPECT_TRUE(only_pool("alpha:\n"
                        "  listen: /tmp/walnut.sock\n"
                        "  redis: true\n"
                        "  redis_cluster: true\n"
                        "  servers:\n"
                        "    - 127.0.0.1:7000:1\n")
                  .redis_cluster);
}

TEST(ConfigCluster, TheFirstConflictInTheFileIsReported) {
  // All found after the pool was read; the earliest line wins, whatever
  // the order of the checks.
  EXPECT_TRUE(fails_with(cluster_yaml("  redis_db: 1\n  hash: md5\n"),
                         refused(8, "'redis_db: 1' cannot be set", kOneDb)));
  EXPECT_TRUE(fails_with(cluster_yaml("  hash_tag: \"{}\"\n  hash: md5\n"),
                         refused(8, "'hash_tag' cannot be set", kBySlot)));
  EXPECT_TRUE(
      fails_with("alpha:\n"
                 "  listen: 127.0.0.1:22121\n"
                 "  auto_eject_hosts: true\n"
                 "  redis_cluster: true\n"
                 "  servers:\n"
                 "    - /tmp/r.sock:1\n",
                 refused(3, "'auto_eject_hosts: true' cannot be set", kFailovers)));
  EXPECT_TRUE(
      fails_with("alpha:\n"
                 "  listen: 127.0.0.1:22121\n"
                 "  redis_cluster: true\n"
                 "  distribution: modula\n"
                 "  servers:\n"
                 "    - 127.0.0.1:7000:1\n",
                 "t.yml:3: 'redis_cluster' requires 'redis: true' in pool 'alpha'"));
  EXPECT_TRUE(fails_with(pool_yaml("  cluster_refresh_interval: 1\n  cluster_max_redirects: 1\n"),
                         "t.yml:5: 'cluster_refresh_interval' requires 'redis_cluster: true' "
                         "in pool 'alpha'"));
}

// --- pool-level errors ----------------------------------------------------

TEST(ConfigPool, UnknownKeyNamesKeyAndPool) {
  EXPECT_TRUE(
      fails_with(pool_yaml("  hsah: md5\n"), "t.yml:5: unknown key 'hsah' in pool 'alpha'"));
  // Keys are case-sensitive.
  EXPECT_TRUE(
      fails_with(pool_yaml("  Redis: true\n"), "t.yml:5: unknown key 'Redis' in pool 'alpha'"));
}

TEST(ConfigPool, DuplicateKeyPointsAtTheSecond) {
  EXPECT_TRUE(fails_with(pool_yaml("  timeout: 1\n  hash: md5\n  timeout: 2\n"),
                         "t.yml:7: duplicate key 'timeout' in pool 'alpha' (first at line 5)"));
  EXPECT_TRUE(fails_with(pool_yaml("  listen: 127.0.0.1:22122\n"),
                         "t.yml:5: duplicate key 'listen' in pool 'alpha' (first at line 2)"));
  EXPECT_TRUE(fails_with(pool_yaml("  servers:\n    - 127.0.0.1:6380:1\n"),
                         "t.yml:5: duplicate key 'servers' in pool 'alpha' (first at line 3)"));
}

TEST(ConfigPool, MissingListen) {
  EXPECT_TRUE(
      fails_with("\n"
                 "alpha:\n"
                 "  redis: true\n"
                 "  servers:\n"
                 "    - 127.0.0.1:6379:1\n",
                 "t.yml:2: pool 'alpha' has no 'listen'"));
}

TEST(ConfigPool, MissingOrEmptyServers) {
  EXPECT_TRUE(
      fails_with("alpha:\n  listen: 127.0.0.1:22121\n", "t.yml:1: pool 'alpha' has no 'servers'"));
  EXPECT_TRUE(fails_with("alpha:\n  listen: 127.0.0.1:22121\n  servers:\n",
                         "t.yml:3: 'servers' must be a list of \"host:port:weight [name]\" "
                         "entries"));
  EXPECT_TRUE(fails_with("alpha:\n  listen: 127.0.0.1:22121\n  servers: 127.0.0.1:6379:1\n",
                         "t.yml:3: 'servers' must be a list of \"host:port:weight [name]\" "
                         "entries"));
  EXPECT_TRUE(fails_with("alpha:\n  listen: 127.0.0.1:22121\n  servers:\n    - host: a\n",
                         "t.yml:4: each entry of 'servers' must be a string "
                         "\"host:port:weight [name]\""));
}

TEST(ConfigPool, PoolMustBeAMapping) {
  EXPECT_TRUE(fails_with("alpha: 1\n", "t.yml:1: pool 'alpha' must be a mapping of keys"));
  EXPECT_TRUE(fails_with("alpha:\n", "t.yml:1: pool 'alpha' must be a mapping of keys"));
  EXPECT_TRUE(
      fails_with("alpha:\n  - listen\n", "t.yml:2: pool 'alpha' must be a mapping of keys"));
}

TEST(ConfigPool, KeysMustBePlainNames) {
  EXPECT_TRUE(fails_with(pool_yaml("  ? - a\n  : b\n"),
                         "t.yml:5: keys in pool 'alpha' must be plain names"));
}

TEST(ConfigPool, DuplicatePoolNamePointsAtTheSecond) {
  std::string yaml = pool_yaml() +
                     "alpha:\n"
                     "  listen: 127.0.0.1:22122\n"
                     "  servers:\n"
                     "    - 127.0.0.1:6379:1\n";
  EXPECT_TRUE(fails_with(yaml, "t.yml:5: duplicate pool 'alpha' (first at line 1)"));
}

TEST(ConfigPool, PoolNamesMustBeNonEmptyStrings) {
  EXPECT_TRUE(fails_with("'':\n  listen: 127.0.0.1:22121\n  servers:\n    - a:1:1\n",
                         "t.yml:1: a pool name must not be empty"));
  EXPECT_TRUE(fails_with("? - a\n: b\n", "t.yml:1: a pool name must be a plain string"));
  // Anything else goes, spaces included (nutcracker takes it too).
  EXPECT_EQ(only_pool("my pool:\n  listen: 127.0.0.1:22121\n  servers:\n    - a:1:1\n").name,
            "my pool");
}

TEST(ConfigPool, TwoPoolsMayNotListenOnTheSameAddress) {
  EXPECT_TRUE(fails_with(pool_yaml() + "beta:\n"
                                       "  servers:\n"
                                       "    - 127.0.0.1:6379:1\n"
                                       "  listen: 127.0.0.1:22121\n",
                         "t.yml:8: pools 'alpha' and 'beta' both listen on '127.0.0.1:22121'"));
  // The same unix path with another permission is still the same socket.
  EXPECT_TRUE(
      fails_with("a:\n  listen: /tmp/w.sock 0600\n  servers:\n    - x:1:1\n"
                 "b:\n  listen: /tmp/w.sock 0666\n  servers:\n    - x:1:1\n",
                 "t.yml:6: pools 'a' and 'b' both listen on '/tmp/w.sock 0666'"));
  // Another host on the same port is a different address.
  LoadResult r = load(pool_yaml() + "beta:\n  listen: 127.0.0.2:22121\n  servers:\n    - a:1:1\n");
  EXPECT_TRUE(r.ok) << r.error;
}

TEST(ConfigPool, ManyPoolsComeBackInFileOrder) {
  LoadResult r = load(
      "zulu:\n"
      "  listen: 127.0.0.1:1001\n"
      "  servers:\n"
      "    - 127.0.0.1:6379:1\n"
      "alpha:\n"
      "  listen: 127.0.0.1:1002\n"
      "  redis: true\n"
      "  servers:\n"
      "    - 127.0.0.1:6379:1\n"
      "\n"
      "mike:\n"
      "  listen: /tmp/mike.sock\n"
      "  servers:\n"
      "    - 127.0.0.1:11211:1\n");
  ASSERT_TRUE(r.ok) << r.error;
  ASSERT_EQ(r.config.pools.size(), 3u);
  EXPECT_EQ(r.config.pools[0].name, "zulu");
  EXPECT_EQ(r.config.pools[0].line, 1);
  EXPECT_FALSE(r.config.pools[0].redis);
  EXPECT_EQ(r.config.pools[1].name, "alpha");
  EXPECT_EQ(r.config.pools[1].line, 5);
  EXPECT_TRUE(r.config.pools[1].redis);
  EXPECT_EQ(r.config.pools[2].name, "mike");
  EXPECT_EQ(r.config.pools[2].line, 11);
  EXPECT_TRUE(r.config.pools[2].listen.is_unix);
  EXPECT_EQ(r.config.pools[2].servers[0].line, 14);
}

TEST(ConfigPool, TheFirstErrorInTheFileWins) {
  EXPECT_TRUE(fails_with(pool_yaml("  timeout: x\n  hash: nope\n"),
                         "t.yml:5: 'timeout' must be a non-negative integer, got 'x'"));
  // A bad first pool is reported before a bad second one.
  EXPECT_TRUE(
      fails_with("a:\n  listen: 127.0.0.1:1\n  servers:\n    - x:1:0\n"
                 "b:\n  bogus: 1\n",
                 "t.yml:4: server 'x:1:0' has weight 0; weight must be at least 1"));
}

}  // namespace
}  // namespace walnut::config
