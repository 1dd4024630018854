// describe(): the configuration written back as YAML (GET /config), which
// load_string() reads back to the same pools, with passwords masked on
// request and keys at their defaults left out; and changes_in_place(), what
// a reload may apply to a running pool without closing its clients.
#include "config/describe.h"

#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "config/config.h"
#include "tests/unit/config/config_test_util.h"

namespace walnut::config {
namespace {

using testing::load;
using testing::only_pool;

// Loads `yaml` and expects it to be valid.
Config loaded(const std::string& yaml) {
  LoadResult r = load(yaml);
  EXPECT_TRUE(r.ok) << r.error << "\n" << yaml;
  return r.config;
}

// Every field the file sets (not the lines, the file name or the text as
// written) is the same in `a` and `b`; else the first that differs.
::testing::AssertionResult same_pool(const PoolSpec& a, const PoolSpec& b) {
  const auto differs = [&](const char* what) {
    return ::testing::AssertionFailure() << "pool '" << a.name << "': " << what << " differs";
  };
  if (a.name != b.name) return differs("the name");
  if (a.listen.text != b.listen.text || a.listen.is_unix != b.listen.is_unix ||
      a.listen.host != b.listen.host || a.listen.port != b.listen.port ||
      a.listen.path != b.listen.path || a.listen.perm != b.listen.perm) {
    return differs("listen");
  }
  if (a.hash != b.hash) return differs("hash");
  if (a.hash_tag != b.hash_tag) return differs("hash_tag");
  if (a.distribution != b.distribution) return differs("distribution");
  if (a.timeout != b.timeout) return differs("timeout");
  if (a.backlog != b.backlog) return differs("backlog");
  if (a.client_connections != b.client_connections) return differs("client_connections");
  if (a.client_output_limit != b.client_output_limit) return differs("client_output_limit");
  if (a.max_request_size != b.max_request_size) return differs("max_request_size");
  if (a.redis != b.redis) return differs("redis");
  if (a.redis_auth != b.redis_auth) return differs("redis_auth");
  if (a.redis_user != b.redis_user) return differs("redis_user");
  if (a.redis_db != b.redis_db) return differs("redis_db");
  if (a.redis_allow_flush != b.redis_allow_flush) return differs("redis_allow_flush");
  if (a.redis_cluster != b.redis_cluster) return differs("redis_cluster");
  if (a.cluster_max_redirects != b.cluster_max_redirects) return differs("cluster_max_redirects");
  if (a.cluster_refresh_interval != b.cluster_refresh_interval) {
    return differs("cluster_refresh_interval");
  }
  if (a.sentinels.size() != b.sentinels.size()) return differs("the number of sentinels");
  for (size_t i = 0; i < a.sentinels.size(); ++i) {
    if (a.sentinels[i].host != b.sentinels[i].host || a.sentinels[i].port != b.sentinels[i].port) {
      return differs("a sentinel");
    }
  }
  if (a.sentinel_auth != b.sentinel_auth) return differs("sentinel_auth");
  if (a.server_auth.size() != b.server_auth.size()) return differs("the number of server_auth");
  for (size_t i = 0; i < a.server_auth.size(); ++i) {
    const ServerAuth& x = a.server_auth[i];
    const ServerAuth& y = b.server_auth[i];
    if (x.server != y.server || x.user != y.user || x.password != y.password) {
      return differs("a server_auth");
    }
  }
  if (a.read_policy != b.read_policy) return differs("read_policy");
  if (a.preconnect != b.preconnect) return differs("preconnect");
  if (a.server_heartbeat != b.server_heartbeat) return differs("server_heartbeat");
  if (a.auto_eject_hosts != b.auto_eject_hosts) return differs("auto_eject_hosts");
  if (a.server_connections != b.server_connections) return differs("server_connections");
  if (a.server_retry_timeout != b.server_retry_timeout) return differs("server_retry_timeout");
  if (a.server_failure_limit != b.server_failure_limit) return differs("server_failure_limit");
  if (a.tcpkeepalive != b.tcpkeepalive) return differs("tcpkeepalive");
  if (a.reuseport != b.reuseport) return differs("reuseport");
  if (a.tls_cert_file != b.tls_cert_file || a.tls_key_file != b.tls_key_file ||
      a.tls_ca_cert_file != b.tls_ca_cert_file || a.tls_auth_clients != b.tls_auth_clients ||
      a.tls_protocols != b.tls_protocols || a.tls_ciphers != b.tls_ciphers ||
      a.tls_handshake_timeout != b.tls_handshake_timeout) {
    return differs("the listener's TLS");
  }
  if (a.server_tls != b.server_tls || a.server_tls_ca_cert_file != b.server_tls_ca_cert_file ||
      a.server_tls_cert_file != b.server_tls_cert_file ||
      a.server_tls_key_file != b.server_tls_key_file ||
      a.server_tls_server_name != b.server_tls_server_name ||
      a.server_tls_verify != b.server_tls_verify) {
    return differs("the servers' TLS");
  }
  if (a.servers.size() != b.servers.size()) return differs("the number of servers");
  for (size_t i = 0; i < a.servers.size(); ++i) {
    const ServerSpec& s = a.servers[i];
    const ServerSpec& t = b.servers[i];
    if (s.is_unix != t.is_unix || s.host != t.host || s.port != t.port || s.path != t.path) {
      return differs(("the address of server " + s.text).c_str());
    }
    if (s.weight != t.weight) return differs(("the weight of server " + s.text).c_str());
    if (s.name != t.name) return differs(("the name of server " + s.text).c_str());
    if (s.label != t.label) {
      return differs(("the label of server " + s.text + " ('" + s.label + "' became '" + t.label +
                      "')")
                         .c_str());
    }
  }
  return ::testing::AssertionSuccess();
}

// `yaml` is valid; its description reads back to the same pools, whose
// description is the same text, byte for byte.
::testing::AssertionResult reads_back(const std::string& yaml) {
  LoadResult first = load(yaml);
  if (!first.ok) return ::testing::AssertionFailure() << "the input does not load: " << first.error;
  const std::string text = describe(first.config, false);
  LoadResult again = load_string(text, "described.yml");
  if (!again.ok) {
    return ::testing::AssertionFailure() << "the description does not load: " << again.error
                                         << "\n" << text;
  }
  const std::string text_again = describe(again.config, false);
  if (text_again != text) {
    return ::testing::AssertionFailure() << "described\n" << text << "read back and described\n"
                                         << text_again;
  }
  if (first.config.pools.size() != again.config.pools.size()) {
    return ::testing::AssertionFailure() << first.config.pools.size() << " pools became "
                                         << again.config.pools.size();
  }
  for (size_t i = 0; i < first.config.pools.size(); ++i) {
    ::testing::AssertionResult same = same_pool(first.config.pools[i], again.config.pools[i]);
    if (!same) return same << "\n" << text;
  }
  return ::testing::AssertionSuccess();
}

// --- round trip --------------------------------------------------------------

struct RoundTrip {
  const char* name;  // the test's name
  std::string yaml;
  // Lines the description must hold: the input really sets what it is
  // about, and describe() writes it.
  std::vector<std::string> lines;
};

const RoundTrip kRoundTrips[] = {
    {"PlainRedisPool",
     "alpha:\n"
     "  listen: 127.0.0.1:22121\n"
     "  redis: true\n"
     "  servers:\n"
     "    - 127.0.0.1:6379:1\n",
     {"  redis: true\n", "    - \"127.0.0.1:6379:1\"\n"}},
    {"MemcachedPool",
     "beta:\n"
     "  listen: 0.0.0.0:22122\n"
     "  hash: md5\n"
     "  distribution: modula\n"
     "  timeout: 400\n"
     "  auto_eject_hosts: true\n"
     "  server_retry_timeout: 2000\n"
     "  server_failure_limit: 1\n"
     "  servers:\n"
     "    - 127.0.0.1:11211:1\n"
     "    - 127.0.0.1:11212:1\n",
     {"  redis: false\n", "  hash: \"md5\"\n", "  distribution: \"modula\"\n",
      "  auto_eject_hosts: true\n", "  server_retry_timeout: 2000\n",
      "  server_failure_limit: 1\n", "    - \"127.0.0.1:11211:1\"\n"}},
    {"HashTagOfBraces",
     "gamma:\n"
     "  listen: 127.0.0.1:22123\n"
     "  hash: murmur\n"
     "  hash_tag: \"{}\"\n"
     "  redis: true\n"
     "  servers:\n"
     "    - 10.0.0.1:6379:1\n",
     {"  hash_tag: \"{}\"\n"}},
    {"PasswordWithQuoteBackslashColonAndHash",
     "delta:\n"
     "  listen: 127.0.0.1:22124\n"
     "  redis: true\n"
     "  redis_auth: 'pa\"ss\\word: x #y'\n"
     "  redis_db: 3\n"
     "  servers:\n"
     "    - 127.0.0.1:6379:1\n",
     {"  redis_auth: \"pa\\\"ss\\\\word: x #y\"\n", "  redis_db: 3\n"}},
    {"AclUser",
     "delta:\n"
     "  listen: 127.0.0.1:22124\n"
     "  redis: true\n"
     "  redis_user: app-rw\n"
     "  redis_auth: pw\n"
     "  servers:\n"
     "    - 127.0.0.1:6379:1\n",
     {"  redis_user: \"app-rw\"\n", "  redis_auth: \"pw\"\n"}},
    {"ServerAuth",
     "delta:\n"
     "  listen: 127.0.0.1:22124\n"
     "  redis: true\n"
     "  server_auth:\n"
     "    one: 'p w:1'\n"
     "    127.0.0.1:6380:\n"
     "      user: app\n"
     "      password: pw2\n"
     "  servers:\n"
     "    - 127.0.0.1:6379:1 one\n"
     "    - 127.0.0.1:6380:1\n",
     {"  server_auth:\n    one:\n      password: \"p w:1\"\n",
      "    \"127.0.0.1:6380\":\n      user: \"app\"\n      password: \"pw2\"\n"}},
    {"TlsToTheServers",
     "delta:\n"
     "  listen: 127.0.0.1:22124\n"
     "  redis: true\n"
     "  server_tls: true\n"
     "  server_tls_server_name: cache.example\n"
     "  server_tls_verify: false\n"
     "  servers:\n"
     "    - 127.0.0.1:6379:1\n",
     {"  server_tls: true\n", "  server_tls_server_name: \"cache.example\"\n",
      "  server_tls_verify: false\n"}},
    {"UnixSocketListenAndServers",
     "epsilon:\n"
     "  listen: /tmp/x.sock 0666\n"
     "  redis: true\n"
     "  servers:\n"
     "    - /tmp/r.sock:1 name\n"
     "    - /tmp/s.sock:2\n",
     {"  listen: \"/tmp/x.sock 0666\"\n", "    - \"/tmp/r.sock:1 name\"\n",
      "    - \"/tmp/s.sock:2\"\n"}},
    {"ServerNamesWeightsAndTimeout",
     "zeta:\n"
     "  listen: 127.0.0.1:22125\n"
     "  distribution: server_name\n"
     "  timeout: 250\n"
     "  servers:\n"
     "    - 127.0.0.1:6379:3 one\n"
     "    - 127.0.0.1:6380:1 two\n"
     "    - cache.example.com:11211:10 three\n",
     {"  timeout: 250\n", "  distribution: \"server_name\"\n", "    - \"127.0.0.1:6379:3 one\"\n",
      "    - \"cache.example.com:11211:10 three\"\n"}},
    {"EveryWalnutOnlyKeyAndEveryOtherNumber",
     "eta:\n"
     "  listen: 127.0.0.1:22126\n"
     "  backlog: 1024\n"
     "  client_connections: 100\n"
     "  client_output_limit: 1048576\n"
     "  max_request_size: 65536\n"
     "  redis: true\n"
     "  redis_allow_flush: true\n"
     "  preconnect: true\n"
     "  server_heartbeat: 1000\n"
     "  server_connections: 2\n"
     "  tcpkeepalive: true\n"
     "  reuseport: true\n"
     "  servers:\n"
     "    - 127.0.0.1:6379:1\n",
     {"  backlog: 1024\n", "  client_connections: 100\n", "  client_output_limit: 1048576\n",
      "  max_request_size: 65536\n", "  redis_allow_flush: true\n", "  preconnect: true\n",
      "  server_heartbeat: 1000\n", "  server_connections: 2\n", "  tcpkeepalive: true\n",
      "  reuseport: true\n"}},
    {"ZeroTimeoutAndNoLimits",
     "theta:\n"
     "  listen: 127.0.0.1:22127\n"
     "  timeout: 0\n"
     "  client_output_limit: 0\n"
     "  max_request_size: 0\n"
     "  servers:\n"
     "    - 127.0.0.1:11211:1\n",
     {"  timeout: 0\n", "  client_output_limit: 0\n", "  max_request_size: 0\n"}},
    {"SentinelPool",
     "kappa:\n"
     "  listen: 127.0.0.1:22129\n"
     "  redis: true\n"
     "  redis_auth: master-secret\n"
     "  sentinels:\n"
     "    - 127.0.0.1:26379\n"
     "    - 10.0.0.2:26380\n"
     "  sentinel_auth: sentinel-secret\n"
     "  read_policy: prefer_replica\n"
     "  servers:\n"
     "    - 127.0.0.1:6379:1 mymaster\n"
     "    - 127.0.0.1:6380:1 othermaster\n",
     {"  sentinels:\n    - \"127.0.0.1:26379\"\n    - \"10.0.0.2:26380\"\n",
      "  sentinel_auth: \"sentinel-secret\"\n", "  read_policy: prefer_replica\n",
      "    - \"127.0.0.1:6379:1 mymaster\"\n"}},
    {"SeveralPoolsInFileOrder",
     "web:\n"
     "  listen: 127.0.0.1:22130\n"
     "  servers:\n"
     "    - 127.0.0.1:11211:1\n"
     "sessions:\n"
     "  listen: 127.0.0.1:22131\n"
     "  redis: true\n"
     "  servers:\n"
     "    - 127.0.0.1:6379:1\n",
     {"web:\n", "sessions:\n"}},
};

// The input of the round trip named `name`.
std::string round_trip(const std::string& name) {
  for (const RoundTrip& r : kRoundTrips) {
    if (r.name == name) return r.yaml;
  }
  ADD_FAILURE() << "no round trip named " << name;
  return "";
}

void PrintTo(const RoundTrip& r, std::ostream* os) { *os << r.name; }

class DescribeRoundTrip : public ::testing::TestWithParam<RoundTrip> {};

TEST_P(DescribeRoundTrip, ReadsBackToTheSameConfiguration) {
  EXPECT_TRUE(reads_back(GetParam().yaml));
}

TEST_P(DescribeRoundTrip, WritesWhatTheFileSets) {
  const std::string text = describe(loaded(GetParam().yaml), false);
  for (const std::string& line : GetParam().lines) {
    EXPECT_NE(text.find(line), std::string::npos) << "no\n" << line << "in\n" << text;
  }
}

INSTANTIATE_TEST_SUITE_P(Describe, DescribeRoundTrip, ::testing::ValuesIn(kRoundTrips),
                         [](const ::testing::TestParamInfo<RoundTrip>& info) {
                           return std::string(info.param.name);
                         });

// Not among the round trips: see DescribeEdges.AClusterPoolReadsBack.
const char kClusterPool[] =
    "iota:\n"
    "  listen: 127.0.0.1:22128\n"
    "  redis: true\n"
    "  redis_cluster: true\n"
    "  cluster_max_redirects: 8\n"
    "  cluster_refresh_interval: 0\n"
    "  read_policy: any\n"
    "  servers:\n"
    "    - 127.0.0.1:7000:1\n"
    "    - 127.0.0.1:7001:1\n";

TEST(Describe, WritesTheKeysOfAClusterPool) {
  const std::string text = describe(loaded(kClusterPool), false);
  for (const char* line : {"  redis_cluster: true\n", "  cluster_max_redirects: 8\n",
                           "  cluster_refresh_interval: 0\n", "  read_policy: any\n",
                           "    - \"127.0.0.1:7001:1\"\n"}) {
    EXPECT_NE(text.find(line), std::string::npos) << "no\n" << line << "in\n" << text;
  }
}

TEST(Describe, WritesPoolsInFileOrder) {
  const std::string text = describe(loaded(round_trip("SeveralPoolsInFileOrder")), false);
  ASSERT_NE(text.find("sessions:\n"), std::string::npos);
  EXPECT_EQ(text.find("web:\n"), 0u);
  EXPECT_GT(text.find("sessions:\n"), text.find("web:\n"));
}

TEST(Describe, WritesOnePoolAsTheConfigurationWritesIt) {
  Config config = loaded(round_trip("SentinelPool"));
  ASSERT_EQ(config.pools.size(), 1u);
  EXPECT_EQ(describe(config.pools[0], false), describe(config, false));
  EXPECT_EQ(describe(config.pools[0], true), describe(config, true));
}

// --- masking -----------------------------------------------------------------

const char kSecretPool[] =
    "alpha:\n"
    "  listen: 127.0.0.1:22121\n"
    "  redis: true\n"
    "  redis_auth: 'redis-pw: \"1\" #x'\n"
    "  sentinels:\n"
    "    - 127.0.0.1:26379\n"
    "  sentinel_auth: sentinel-pw-2\n"
    "  server_auth:\n"
    "    mymaster: server-pw-3\n"
    "  servers:\n"
    "    - 127.0.0.1:6379:1 mymaster\n";

TEST(DescribeMasking, WritesStarsInsteadOfEveryPassword) {
  const std::string text = describe(loaded(kSecretPool), true);
  EXPECT_NE(text.find("  redis_auth: \"********\"\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  sentinel_auth: \"********\"\n"), std::string::npos) << text;
  EXPECT_NE(text.find("    mymaster:\n      password: \"********\"\n"), std::string::npos)
      << text;
}

TEST(DescribeMasking, NeverWritesThePasswords) {
  const std::string text = describe(loaded(kSecretPool), true);
  EXPECT_EQ(text.find("redis-pw"), std::string::npos) << text;
  EXPECT_EQ(text.find("sentinel-pw-2"), std::string::npos) << text;
  EXPECT_EQ(text.find("server-pw-3"), std::string::npos) << text;
}

TEST(DescribeMasking, ChangesNothingButThePasswords) {
  const Config config = loaded(kSecretPool);
  std::string unmasked = describe(config, false);
  const std::string redis_pw = "\"redis-pw: \\\"1\\\" #x\"";
  const std::string sentinel_pw = "\"sentinel-pw-2\"";
  const std::string server_pw = "\"server-pw-3\"";
  for (const std::string& pw : {redis_pw, sentinel_pw, server_pw}) {
    ASSERT_NE(unmasked.find(pw), std::string::npos) << unmasked;
    unmasked.replace(unmasked.find(pw), pw.size(), "\"********\"");
  }
  EXPECT_EQ(describe(config, true), unmasked);
}

TEST(DescribeMasking, UnmaskedWritesEveryPassword) {
  const std::string text = describe(loaded(kSecretPool), false);
  EXPECT_NE(text.find("  redis_auth: \"redis-pw: \\\"1\\\" #x\"\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  sentinel_auth: \"sentinel-pw-2\"\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("********"), std::string::npos) << text;
}

TEST(DescribeMasking, APoolWithoutPasswordsHasNoPasswordLines) {
  const Config config = loaded(
      "alpha:\n"
      "  listen: 127.0.0.1:22121\n"
      "  redis: true\n"
      "  servers:\n"
      "    - 127.0.0.1:6379:1\n");
  const std::string text = describe(config, true);
  EXPECT_EQ(text.find("auth"), std::string::npos) << text;
  EXPECT_EQ(text.find("********"), std::string::npos) << text;
  EXPECT_EQ(text, describe(config, false));
}

// --- defaults ----------------------------------------------------------------

const char kMinimalDescription[] =
    "alpha:\n"
    "  listen: \"127.0.0.1:22121\"\n"
    "  hash: \"fnv1a_64\"\n"
    "  distribution: \"ketama\"\n"
    "  redis: false\n"
    "  servers:\n"
    "    - \"127.0.0.1:6379:1\"\n";

TEST(DescribeDefaults, AMinimalPoolHasOnlyListenHashDistributionRedisAndServers) {
  EXPECT_EQ(describe(loaded(testing::pool_yaml()), false), kMinimalDescription);
}

TEST(DescribeDefaults, KeysWrittenWithTheirDefaultValueAreLeftOut) {
  const std::string text = describe(loaded(testing::pool_yaml(
                                        "  hash: fnv1a_64\n"
                                        "  distribution: ketama\n"
                                        "  backlog: 512\n"
                                        "  client_connections: 0\n"
                                        "  client_output_limit: 67108864\n"
                                        "  redis: false\n"
                                        "  redis_db: 0\n"
                                        "  redis_allow_flush: false\n"
                                        "  redis_cluster: false\n"
                                        "  read_policy: master\n"
                                        "  preconnect: false\n"
                                        "  server_heartbeat: 0\n"
                                        "  auto_eject_hosts: false\n"
                                        "  server_connections: 1\n"
                                        "  server_retry_timeout: 30000\n"
                                        "  server_failure_limit: 2\n"
                                        "  tcpkeepalive: false\n"
                                        "  reuseport: false\n")),
                                    false);
  EXPECT_EQ(text, kMinimalDescription);
}

TEST(DescribeDefaults, AClusterPoolAtItsDefaultsLeavesOutTheClusterNumbers) {
  const std::string text = describe(loaded(
                                        "alpha:\n"
                                        "  listen: 127.0.0.1:22121\n"
                                        "  redis: true\n"
                                        "  redis_cluster: true\n"
                                        "  servers:\n"
                                        "    - 127.0.0.1:7000:1\n"),
                                    false);
  EXPECT_NE(text.find("  redis_cluster: true\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("cluster_max_redirects"), std::string::npos) << text;
  EXPECT_EQ(text.find("cluster_refresh_interval"), std::string::npos) << text;
  EXPECT_EQ(text.find("read_policy"), std::string::npos) << text;
}

// --- where a pool is written -------------------------------------------------

// The same pool at line 1 of "a.yml", and at line 6 of "b.yml" after a
// comment and another pool.
const char kPoolAtTheTop[] =
    "alpha:\n"
    "  listen: 127.0.0.1:22121\n"
    "  redis: true\n"
    "  timeout: 400\n"
    "  servers:\n"
    "    - 127.0.0.1:6379:1 one\n";
const char kPoolFurtherDown[] =
    "# the cache\n"
    "other:\n"
    "  listen: 127.0.0.1:22999\n"
    "  servers:\n"
    "    - 127.0.0.1:11211:1\n"
    "\n"
    "alpha:\n"
    "  listen: 127.0.0.1:22121\n"
    "  redis: true\n"
    "  timeout: 400\n"
    "  servers:\n"
    "    - 127.0.0.1:6379:1 one\n";

TEST(DescribeLines, ThePoolsLineAndFileAreNoChange) {
  LoadResult a = load_string(kPoolAtTheTop, "a.yml");
  LoadResult b = load_string(kPoolFurtherDown, "b.yml");
  ASSERT_TRUE(a.ok) << a.error;
  ASSERT_TRUE(b.ok) << b.error;
  ASSERT_EQ(a.config.pools.size(), 1u);
  ASSERT_EQ(b.config.pools.size(), 2u);
  const PoolSpec& running = a.config.pools[0];
  const PoolSpec& next = b.config.pools[1];
  // The two differ in where they are written, and only there.
  ASSERT_NE(running.file, next.file);
  ASSERT_NE(running.line, next.line);
  ASSERT_NE(running.listen.line, next.listen.line);
  ASSERT_NE(running.servers[0].line, next.servers[0].line);
  EXPECT_EQ(describe(running, false), describe(next, false));
  EXPECT_TRUE(changes_in_place(running, next));
  EXPECT_TRUE(changes_in_place(next, running));
}

// --- changes_in_place --------------------------------------------------------

// A pool of two named servers; `extra` goes after `redis: true`.
std::string redis_pool(const std::string& extra = "",
                       const std::string& servers = "    - 127.0.0.1:6379:1 one\n"
                                                    "    - 127.0.0.1:6380:1 two\n",
                       const std::string& listen = "127.0.0.1:22121") {
  return "alpha:\n"
         "  listen: " + listen + "\n"
         "  redis: true\n" + extra + "  servers:\n" + servers;
}

struct Change {
  const char* name;  // what differs
  std::string running;
  std::string next;
};

void PrintTo(const Change& c, std::ostream* os) { *os << c.name; }

std::string change_name(const ::testing::TestParamInfo<Change>& info) { return info.param.name; }

TEST(ChangesInPlace, HoldsForIdenticalPools) {
  const PoolSpec plain = only_pool(redis_pool());
  EXPECT_TRUE(changes_in_place(plain, plain));
  const std::string full = round_trip("EveryWalnutOnlyKeyAndEveryOtherNumber");
  EXPECT_TRUE(changes_in_place(only_pool(full), only_pool(full)));
  const std::string secret = round_trip("PasswordWithQuoteBackslashColonAndHash");
  EXPECT_TRUE(changes_in_place(only_pool(secret), only_pool(secret)));
  const std::string unix_sockets = round_trip("UnixSocketListenAndServers");
  EXPECT_TRUE(changes_in_place(only_pool(unix_sockets), only_pool(unix_sockets)));
}

const Change kInPlace[] = {
    {"ServersList", redis_pool(),
     redis_pool("", "    - 127.0.0.1:6379:1 one\n"
                    "    - 127.0.0.1:6380:1 two\n"
                    "    - 127.0.0.1:6381:1 three\n")},
    {"ServerAddress", redis_pool(),
     redis_pool("", "    - 127.0.0.1:6379:1 one\n"
                    "    - 10.0.0.9:6390:1 two\n")},
    {"Weight", redis_pool(),
     redis_pool("", "    - 127.0.0.1:6379:5 one\n"
                    "    - 127.0.0.1:6380:1 two\n")},
    {"ServerName", redis_pool(),
     redis_pool("", "    - 127.0.0.1:6379:1 uno\n"
                    "    - 127.0.0.1:6380:1 two\n")},
    {"Distribution", redis_pool(), redis_pool("  distribution: modula\n")},
    {"Hash", redis_pool(), redis_pool("  hash: murmur\n")},
    {"HashTag", redis_pool(), redis_pool("  hash_tag: \"{}\"\n")},
    {"Timeout", redis_pool("  timeout: 400\n"), redis_pool("  timeout: 500\n")},
    {"ClientConnections", redis_pool(), redis_pool("  client_connections: 100\n")},
    {"ClientOutputLimit", redis_pool(), redis_pool("  client_output_limit: 1048576\n")},
    {"Preconnect", redis_pool(), redis_pool("  preconnect: true\n")},
    {"ServerHeartbeat", redis_pool(), redis_pool("  server_heartbeat: 1000\n")},
    {"AutoEjectHosts", redis_pool(), redis_pool("  auto_eject_hosts: true\n")},
    {"ServerConnections", redis_pool(), redis_pool("  server_connections: 4\n")},
    {"ServerRetryTimeout", redis_pool(), redis_pool("  server_retry_timeout: 2000\n")},
    {"ServerFailureLimit", redis_pool(), redis_pool("  server_failure_limit: 5\n")},
    {"Tcpkeepalive", redis_pool(), redis_pool("  tcpkeepalive: true\n")},
    // The same socket file: a chmod.
    {"ListenPermission",
     redis_pool("", "    - 127.0.0.1:6379:1 one\n", "/tmp/x.sock 0666"),
     redis_pool("", "    - 127.0.0.1:6379:1 one\n", "/tmp/x.sock 0600")},
    {"ListenPermissionAdded",
     redis_pool("", "    - 127.0.0.1:6379:1 one\n", "/tmp/x.sock"),
     redis_pool("", "    - 127.0.0.1:6379:1 one\n", "/tmp/x.sock 0600")},
    // TLS contexts are rebuilt on every reload: what makes them may change.
    {"ServerTlsServerName", redis_pool("  server_tls: true\n"),
     redis_pool("  server_tls: true\n  server_tls_server_name: cache.example\n")},
    {"ServerTlsVerify", redis_pool("  server_tls: true\n"),
     redis_pool("  server_tls: true\n  server_tls_verify: false\n")},
};

class InPlaceChange : public ::testing::TestWithParam<Change> {};

TEST_P(InPlaceChange, IsAppliedToTheRunningPool) {
  const PoolSpec running = only_pool(GetParam().running);
  const PoolSpec next = only_pool(GetParam().next);
  // It is a change: the reload tells the running pool.
  ASSERT_NE(describe(running, false), describe(next, false));
  EXPECT_TRUE(changes_in_place(running, next));
  EXPECT_TRUE(changes_in_place(next, running));
}

INSTANTIATE_TEST_SUITE_P(ChangesInPlace, InPlaceChange, ::testing::ValuesIn(kInPlace),
                         change_name);

TEST(ChangesInPlace, HoldsForManyInPlaceChangesAtOnce) {
  const PoolSpec running = only_pool(redis_pool());
  const PoolSpec next = only_pool(redis_pool(
      "  hash: murmur\n  distribution: random\n  timeout: 100\n  server_connections: 2\n"
      "  auto_eject_hosts: true\n  tcpkeepalive: true\n",
      "    - 127.0.0.1:6390:2 three\n"));
  EXPECT_TRUE(changes_in_place(running, next));
}

const Change kReplacing[] = {
    {"ListenPort", redis_pool(), redis_pool("", "    - 127.0.0.1:6379:1 one\n"
                                                "    - 127.0.0.1:6380:1 two\n",
                                            "127.0.0.1:22122")},
    {"ListenHost", redis_pool(), redis_pool("", "    - 127.0.0.1:6379:1 one\n"
                                                "    - 127.0.0.1:6380:1 two\n",
                                            "0.0.0.0:22121")},
    {"ListenPath",
     redis_pool("", "    - 127.0.0.1:6379:1 one\n", "/tmp/x.sock 0666"),
     redis_pool("", "    - 127.0.0.1:6379:1 one\n", "/tmp/y.sock 0666")},
    {"Redis",
     "alpha:\n  listen: 127.0.0.1:22121\n  servers:\n    - 127.0.0.1:6379:1 one\n",
     "alpha:\n  listen: 127.0.0.1:22121\n  redis: true\n  servers:\n    - 127.0.0.1:6379:1 one\n"},
    {"RedisAuthAdded", redis_pool(), redis_pool("  redis_auth: pw\n")},
    {"RedisAuthChanged", redis_pool("  redis_auth: pw\n"), redis_pool("  redis_auth: pw2\n")},
    {"RedisDb", redis_pool(), redis_pool("  redis_db: 3\n")},
    {"RedisUser", redis_pool("  redis_auth: pw\n"),
     redis_pool("  redis_user: app\n  redis_auth: pw\n")},
    {"RedisAllowFlush", redis_pool(), redis_pool("  redis_allow_flush: true\n")},
    {"MaxRequestSize", redis_pool(), redis_pool("  max_request_size: 4096\n")},
    {"MaxRequestSizeNoLimit", redis_pool("  max_request_size: 4096\n"),
     redis_pool("  max_request_size: 0\n")},
    {"Backlog", redis_pool(), redis_pool("  backlog: 1024\n")},
    {"Reuseport", redis_pool(), redis_pool("  reuseport: true\n")},
    {"ServerTlsTurnedOn", redis_pool(), redis_pool("  server_tls: true\n")},
    {"ServerAuthAdded", redis_pool(), redis_pool("  server_auth:\n    one: pw\n")},
    {"ServerAuthChanged", redis_pool("  server_auth:\n    one: pw\n"),
     redis_pool("  server_auth:\n    one: pw2\n")},
};

class ReplacingChange : public ::testing::TestWithParam<Change> {};

TEST_P(ReplacingChange, ReplacesThePool) {
  const PoolSpec running = only_pool(GetParam().running);
  const PoolSpec next = only_pool(GetParam().next);
  EXPECT_FALSE(changes_in_place(running, next));
  EXPECT_FALSE(changes_in_place(next, running));
}

TEST_P(ReplacingChange, StillReplacesThePoolAlongsideAnInPlaceChange) {
  PoolSpec running = only_pool(GetParam().running);
  PoolSpec next = only_pool(GetParam().next);
  next.timeout = 1234;  // and the servers of `running`, as the base case
  next.servers = running.servers;
  next.servers[0].weight = 9;
  EXPECT_FALSE(changes_in_place(running, next));
}

INSTANTIATE_TEST_SUITE_P(ChangesInPlace, ReplacingChange, ::testing::ValuesIn(kReplacing),
                         change_name);

// A Redis Cluster's or the Sentinels' servers are found at run time: no
// change to such a pool is applied in place, not even to its servers.

std::string cluster_pool(const std::string& servers = "    - 127.0.0.1:7000:1\n") {
  return "alpha:\n"
         "  listen: 127.0.0.1:22121\n"
         "  redis: true\n"
         "  redis_cluster: true\n"
         "  servers:\n" + servers;
}

std::string sentinel_pool(const std::string& servers = "    - 127.0.0.1:6379:1 mymaster\n") {
  return "alpha:\n"
         "  listen: 127.0.0.1:22121\n"
         "  redis: true\n"
         "  sentinels:\n"
         "    - 127.0.0.1:26379\n"
         "  servers:\n" + servers;
}

// A cluster's or Sentinels' pool finds its servers at run time: any change
// replaces it, even one a plain pool takes in place.
TEST(ChangesInPlace, NeverForAClusterOrSentinelPoolEvenWhenOnlyItsServersChange) {
  const std::pair<PoolSpec, PoolSpec> pairs[] = {
      {only_pool(cluster_pool()),
       only_pool(cluster_pool("    - 127.0.0.1:7000:1\n    - 127.0.0.1:7001:1\n"))},
      {only_pool(sentinel_pool()),
       only_pool(sentinel_pool("    - 127.0.0.1:6379:1 mymaster\n    - 127.0.0.1:6380:1 other\n"))},
  };
  for (const auto& [running, next] : pairs) {
    EXPECT_FALSE(changes_in_place(running, next)) << describe(running, false);
    EXPECT_FALSE(changes_in_place(next, running)) << describe(running, false);
  }
}

TEST(ChangesInPlace, NeverForAClusterOrSentinelPoolWhoseTimeoutChanges) {
  for (const PoolSpec& running : {only_pool(cluster_pool()), only_pool(sentinel_pool())}) {
    PoolSpec next = running;
    next.timeout = 400;
    EXPECT_FALSE(changes_in_place(running, next)) << describe(running, false);
  }
}

TEST(ChangesInPlace, NeverWhenOnlyOneOfThePoolsFollowsAClusterOrSentinels) {
  const PoolSpec plain = only_pool(redis_pool("", "    - 127.0.0.1:7000:1\n"));
  const PoolSpec cluster = only_pool(cluster_pool("    - 127.0.0.1:7000:1\n"));
  EXPECT_FALSE(changes_in_place(plain, cluster));
  EXPECT_FALSE(changes_in_place(cluster, plain));
  const PoolSpec named = only_pool(redis_pool("", "    - 127.0.0.1:6379:1 mymaster\n"));
  const PoolSpec sentinel = only_pool(sentinel_pool("    - 127.0.0.1:6379:1 mymaster\n"));
  EXPECT_FALSE(changes_in_place(named, sentinel));
  EXPECT_FALSE(changes_in_place(sentinel, named));
}

TEST(ChangesInPlace, HoldsForAnUnchangedClusterOrSentinelPool) {
  const PoolSpec cluster = only_pool(cluster_pool("    - 127.0.0.1:7000:1\n"));
  EXPECT_TRUE(changes_in_place(cluster, cluster));
  const PoolSpec sentinel = only_pool(sentinel_pool());
  EXPECT_TRUE(changes_in_place(sentinel, sentinel));
}

// --- edges, each once a defect ----------------------------------------------

// The loader refuses hash and distribution in a redis_cluster pool, so a
// description that wrote them would not load.
TEST(DescribeEdges, AClusterPoolReadsBack) {
  EXPECT_TRUE(reads_back(kClusterPool));
  EXPECT_TRUE(reads_back(
      "alpha:\n  listen: 127.0.0.1:22121\n  redis: true\n  redis_cluster: true\n"
      "  servers:\n    - 127.0.0.1:7000:1\n"));
}

// An unnamed server's label is its "host:port" as written, and ketama hashes
// it: written from the parsed host and port, "[::1]:6379" and
// "127.0.0.1:06379" would come back with another label and other keys.
TEST(DescribeEdges, AnUnnamedServerKeepsItsLabel) {
  EXPECT_TRUE(reads_back(testing::pool_yaml("") +
                         "    - '[::1]:6380:1'\n"
                         "    - 127.0.0.1:06381:1\n"));
}

// A password with a line break (written "\n" or "\r" in a double-quoted
// YAML value), written raw, would be folded into a space by YAML; a raw
// control character makes a file unreadable; U+0085 is a line break too.
TEST(DescribeEdges, APasswordWithALineBreakOrControlCharacterReadsBack) {
  EXPECT_TRUE(reads_back(redis_pool("  redis_auth: \"a\\nb\"\n")));
  EXPECT_TRUE(reads_back(redis_pool("  redis_auth: \"a\\rb\"\n")));
  EXPECT_TRUE(reads_back(redis_pool("  redis_auth: \"a\\x01b\"\n")));
  EXPECT_TRUE(reads_back(redis_pool("  redis_auth: \"a\\x85b\"\n")));
}

// A pool name with ": ", a leading '#' or a leading '"' reads back only
// quoted.
TEST(DescribeEdges, APoolNameThatNeedsQuotesReadsBack) {
  for (const char* name : {"'a: b'", "'#a'", "'\"a'"}) {
    EXPECT_TRUE(reads_back(std::string(name) +
                           ":\n  listen: 127.0.0.1:22121\n  servers:\n    - 127.0.0.1:6379:1\n"))
        << name;
  }
}

}  // namespace
}  // namespace walnut::config
