// Real files: every file under conf/ must load, load_file's own errors, and
// nutcracker 0.5.0 as an oracle: files that it rejects walnut rejects too,
// files it accepts walnut accepts too, and the few deliberate differences are
// pinned down so that the README's list of them stays true.
//
// The nutcracker checks run /usr/sbin/nutcracker -t when it is installed and
// are skipped otherwise.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "config/config.h"

#ifndef WALNUT_TOP_SRCDIR
#error "build with -DWALNUT_TOP_SRCDIR=\"/path/to/source\""
#endif

namespace walnut::config {
namespace {

namespace fs = std::filesystem;

constexpr const char* kNutcracker = "/usr/sbin/nutcracker";

// Files that use walnut's additions say so on a line of their own; nutcracker
// must reject exactly those.
constexpr const char* kWalnutOnlyMarker = "# walnut-only:";

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<fs::path> conf_files() {
  std::vector<fs::path> files;
  for (const auto& entry : fs::recursive_directory_iterator(fs::path(WALNUT_TOP_SRCDIR) / "conf")) {
    if (entry.is_regular_file()) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

bool walnut_only(const fs::path& path) {
  const std::string text = read_text(path);
  return text.rfind(kWalnutOnlyMarker, 0) == 0 ||
         text.find(std::string("\n") + kWalnutOnlyMarker) != std::string::npos;
}

bool have_nutcracker() { return access(kNutcracker, X_OK) == 0; }

// nutcracker's verdict on a file: true when `-t` says the syntax is ok.
bool nutcracker_accepts(const fs::path& path) {
  pid_t pid = fork();
  if (pid == 0) {
    // nutcracker prints its verdict; the exit status is enough.
    int devnull = open("/dev/null", O_WRONLY);
    if (devnull >= 0) {
      dup2(devnull, STDOUT_FILENO);
      dup2(devnull, STDERR_FILENO);
    }
    execl(kNutcracker, kNutcracker, "-t", "-c", path.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  int status = 0;
  if (pid < 0 || waitpid(pid, &status, 0) != pid) {
    ADD_FAILURE() << "could not run " << kNutcracker;
    return false;
  }
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) != 127) << "nutcracker did not run";
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

// Writes `yaml` to a fresh temporary file and returns its path.
fs::path temp_file(const std::string& yaml) {
  static int counter = 0;
  fs::path path = fs::path(::testing::TempDir()) / ("walnut_config_" + std::to_string(getpid()) +
                                                    "_" + std::to_string(++counter) + ".yml");
  std::ofstream(path, std::ios::binary) << yaml;
  return path;
}

TEST(ConfigFiles, EveryFileUnderConfLoads) {
  std::vector<fs::path> files = conf_files();
  ASSERT_GE(files.size(), 3u) << "conf/ looks empty";
  for (const fs::path& file : files) {
    LoadResult r = load_file(file.string());
    EXPECT_TRUE(r.ok) << file << ": " << r.error;
    EXPECT_FALSE(r.config.pools.empty()) << file;
  }
}

TEST(ConfigFiles, NutcrackerAgreesOnEveryFileUnderConf) {
  if (!have_nutcracker()) GTEST_SKIP() << kNutcracker << " is not installed";
  for (const fs::path& file : conf_files()) {
    if (walnut_only(file)) {
      EXPECT_FALSE(nutcracker_accepts(file)) << file << " is marked walnut-only";
    } else {
      EXPECT_TRUE(nutcracker_accepts(file)) << file;
    }
  }
}

TEST(ConfigFiles, DefaultConfigIsWhatTheDocsSay) {
  LoadResult r = load_file(std::string(WALNUT_TOP_SRCDIR) + "/conf/walnut.yml");
  ASSERT_TRUE(r.ok) << r.error;
  ASSERT_EQ(r.config.pools.size(), 2u);
  const PoolSpec& alpha = r.config.pools[0];
  EXPECT_EQ(alpha.name, "alpha");
  EXPECT_EQ(alpha.listen.host, "127.0.0.1");
  EXPECT_EQ(alpha.listen.port, 22121);
  EXPECT_TRUE(alpha.redis);
  EXPECT_EQ(alpha.distribution, "ketama");
  EXPECT_EQ(alpha.hash, "fnv1a_64");
  EXPECT_EQ(alpha.hash_tag, "{}");
  ASSERT_EQ(alpha.servers.size(), 2u);
  EXPECT_EQ(alpha.servers[0].label, "127.0.0.1:26379");
  EXPECT_EQ(alpha.servers[1].label, "127.0.0.1:26380");
  const PoolSpec& beta = r.config.pools[1];
  EXPECT_EQ(beta.name, "beta");
  EXPECT_FALSE(beta.redis);
  EXPECT_EQ(beta.listen.port, 22122);
  ASSERT_EQ(beta.servers.size(), 1u);
  EXPECT_EQ(beta.servers[0].label, "127.0.0.1:21211");
}

TEST(ConfigFiles, ClusterExampleIsWhatItsCommentsSay) {
  LoadResult r = load_file(std::string(WALNUT_TOP_SRCDIR) + "/conf/cluster.yml");
  ASSERT_TRUE(r.ok) << r.error;
  ASSERT_EQ(r.config.pools.size(), 1u);
  const PoolSpec& cluster = r.config.pools[0];
  EXPECT_EQ(cluster.name, "cluster");
  EXPECT_EQ(cluster.listen.host, "127.0.0.1");
  EXPECT_EQ(cluster.listen.port, 22122);
  EXPECT_TRUE(cluster.redis);
  EXPECT_TRUE(cluster.redis_cluster);
  EXPECT_GE(cluster.timeout, 1);
  ASSERT_EQ(cluster.servers.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(cluster.servers[i].host, "127.0.0.1");
    EXPECT_EQ(cluster.servers[i].port, 7000 + i);
    EXPECT_EQ(cluster.servers[i].weight, 1);
  }
}

TEST(ConfigFiles, LoadFileNamesTheFileInErrors) {
  fs::path path = temp_file("alpha:\n  listen: 127.0.0.1:22121\n  hsah: md5\n");
  LoadResult r = load_file(path.string());
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error, path.string() + ":3: unknown key 'hsah' in pool 'alpha'");
  fs::remove(path);
}

TEST(ConfigFiles, UnreadableFiles) {
  LoadResult missing = load_file("/nonexistent/walnut.yml");
  EXPECT_FALSE(missing.ok);
  EXPECT_EQ(missing.error, "/nonexistent/walnut.yml: cannot read: No such file or directory");
  LoadResult dir = load_file(::testing::TempDir());
  EXPECT_FALSE(dir.ok);
  EXPECT_EQ(dir.error, ::testing::TempDir() + ": cannot read: Is a directory");
}

// --- nutcracker as the oracle ---------------------------------------------

struct Case {
  const char* what;
  const char* yaml;
};

std::ostream& operator<<(std::ostream& os, const Case& c) { return os << c.what; }

#define POOL_HEAD "alpha:\n  listen: 127.0.0.1:22121\n"
#define ONE_SERVER "  servers:\n    - 127.0.0.1:6379:1\n"

const Case kBothReject[] = {
    {"empty file", ""},
    {"unknown key", POOL_HEAD ONE_SERVER "  hsah: md5\n"},
    {"duplicate key", POOL_HEAD ONE_SERVER "  timeout: 1\n  timeout: 2\n"},
    {"duplicate pool", POOL_HEAD ONE_SERVER "alpha:\n  listen: 127.0.0.1:22122\n" ONE_SERVER},
    {"same listen twice", POOL_HEAD ONE_SERVER "beta:\n  listen: 127.0.0.1:22121\n" ONE_SERVER},
    {"missing listen", "alpha:\n" ONE_SERVER},
    {"missing servers", POOL_HEAD},
    {"pool is a scalar", "alpha: 1\n"},
    {"weight 0", POOL_HEAD "  servers:\n    - 127.0.0.1:6379:0\n"},
    {"no weight", POOL_HEAD "  servers:\n    - 127.0.0.1:6379\n"},
    {"server port 0", POOL_HEAD "  servers:\n    - 127.0.0.1:0:1\n"},
    {"duplicate server", POOL_HEAD "  servers:\n    - 127.0.0.1:6379:1\n    - 127.0.0.1:6379:2\n"},
    {"duplicate name", POOL_HEAD "  servers:\n    - 127.0.0.1:6379:1 a\n    - 127.0.0.2:6379:1 a\n"},
    {"unix path with colon", POOL_HEAD "  servers:\n    - /tmp/a:b.sock:1\n"},
    {"bad hash", POOL_HEAD ONE_SERVER "  hash: md4\n"},
    {"bad distribution", POOL_HEAD ONE_SERVER "  distribution: consistent\n"},
    {"hash_tag of 1", POOL_HEAD ONE_SERVER "  hash_tag: \"{\"\n"},
    {"hash_tag of 3", POOL_HEAD ONE_SERVER "  hash_tag: \"{}}\"\n"},
    {"bool yes", POOL_HEAD ONE_SERVER "  redis: yes\n"},
    {"negative timeout", POOL_HEAD ONE_SERVER "  timeout: -1\n"},
    {"empty timeout", POOL_HEAD ONE_SERVER "  timeout:\n"},
    {"server_connections 0", POOL_HEAD ONE_SERVER "  server_connections: 0\n"},
    {"redis_auth without redis", POOL_HEAD ONE_SERVER "  redis_auth: pw\n"},
    {"listen without port", "alpha:\n  listen: 127.0.0.1\n" ONE_SERVER},
    {"listen port 65536", "alpha:\n  listen: 127.0.0.1:65536\n" ONE_SERVER},
    {"listen without host", "alpha:\n  listen: ':22121'\n" ONE_SERVER},
    {"listen perm too big", "alpha:\n  listen: /tmp/w.sock 01777\n" ONE_SERVER},
    {"document start", "---\n" POOL_HEAD ONE_SERVER},
    {"flow list", POOL_HEAD "  servers: [127.0.0.1:6379:1]\n"},
    {"anchor", POOL_HEAD ONE_SERVER "  hash: &h md5\n"},
    {"syntax error", POOL_HEAD "   bad: x\n" ONE_SERVER},
    {"nested mapping", POOL_HEAD ONE_SERVER "  hash:\n    a: b\n"},
};

const Case kBothAccept[] = {
    {"minimal", POOL_HEAD ONE_SERVER},
    {"servers before listen", "alpha:\n" ONE_SERVER "  listen: 127.0.0.1:22121\n"},
    {"quoted true and number", POOL_HEAD ONE_SERVER "  redis: \"true\"\n  timeout: '5'\n"},
    {"leading zeros", POOL_HEAD "  timeout: 007\n  servers:\n    - 127.0.0.1:06379:007\n"},
    {"unbracketed ipv6 server", POOL_HEAD "  servers:\n    - ::1:6379:1\n"},
    {"unix listen and servers",
     "alpha:\n  listen: /tmp/w.sock 0666\n  servers:\n"
     "    - /tmp/r.sock:1\n    - /tmp/s.sock:2 s\n"},
    {"same address, two names", POOL_HEAD "  servers:\n    - 127.0.0.1:6379:1 a\n"
                                          "    - 127.0.0.1:6379:1 b\n"},
    {"redis_db on memcache", POOL_HEAD ONE_SERVER "  redis_db: 3\n"},
    {"zero timeouts", POOL_HEAD ONE_SERVER "  timeout: 0\n  server_retry_timeout: 0\n"},
    {"unresolvable server", POOL_HEAD "  servers:\n    - no-such-host.invalid:6379:1\n"},
    {"crlf", "alpha:\r\n  listen: 127.0.0.1:22121\r\n  servers:\r\n    - 127.0.0.1:6379:1\r\n"},
};

// Deliberate differences, each with the side that accepts. See the README.
const Case kOnlyWalnutAccepts[] = {
    {"distribution server_name", POOL_HEAD "  distribution: server_name\n  servers:\n"
                                           "    - 127.0.0.1:6379:1 a\n"},
    {"reuseport", POOL_HEAD ONE_SERVER "  reuseport: true\n"},
    {"redis_allow_flush", POOL_HEAD ONE_SERVER "  redis: true\n  redis_allow_flush: true\n"},
    {"redis_cluster", POOL_HEAD ONE_SERVER "  redis: true\n  redis_cluster: true\n"
                                           "  cluster_max_redirects: 5\n"
                                           "  cluster_refresh_interval: 10000\n"},
    {"bracketed ipv6 listen", "alpha:\n  listen: '[::1]:22121'\n" ONE_SERVER},
    // nutcracker resolves listen hosts while reading the file; walnut's config
    // resolves nothing, and the name fails later, when walnut starts.
    {"unresolvable listen host", "alpha:\n  listen: no-such-host.invalid:22121\n" ONE_SERVER},
};

const Case kOnlyNutcrackerAccepts[] = {
    {"overflowing timeout", POOL_HEAD ONE_SERVER "  timeout: 99999999999\n"},
    {"overflowing weight", POOL_HEAD "  servers:\n    - 127.0.0.1:6379:99999999999\n"},
    {"non-octal permission", "alpha:\n  listen: /tmp/w.sock 0999\n" ONE_SERVER},
    {"word permission", "alpha:\n  listen: /tmp/w.sock rw\n" ONE_SERVER},
    {"server without host", POOL_HEAD "  servers:\n    - ':6379:1'\n"},
    {"server with unbalanced bracket", POOL_HEAD "  servers:\n    - '127.0.0.1]:6379:1'\n"},
    {"server with empty name", POOL_HEAD "  servers:\n    - '127.0.0.1:6379:1 '\n"},
    {"one unix path, two permissions",
     "a:\n  listen: /tmp/w.sock 0600\n" ONE_SERVER "b:\n  listen: /tmp/w.sock 0666\n" ONE_SERVER},
};

class BothReject : public ::testing::TestWithParam<Case> {};
class BothAccept : public ::testing::TestWithParam<Case> {};
class OnlyWalnutAccepts : public ::testing::TestWithParam<Case> {};
class OnlyNutcrackerAccepts : public ::testing::TestWithParam<Case> {};

void check(const Case& c, bool walnut_should, bool nutcracker_should) {
  LoadResult r = load_string(c.yaml, "t.yml");
  EXPECT_EQ(r.ok, walnut_should) << r.error;
  if (!have_nutcracker()) GTEST_SKIP() << kNutcracker << " is not installed";
  fs::path path = temp_file(c.yaml);
  EXPECT_EQ(nutcracker_accepts(path), nutcracker_should);
  fs::remove(path);
}

TEST_P(BothReject, Case) { check(GetParam(), false, false); }
TEST_P(BothAccept, Case) { check(GetParam(), true, true); }
TEST_P(OnlyWalnutAccepts, Case) { check(GetParam(), true, false); }
TEST_P(OnlyNutcrackerAccepts, Case) { check(GetParam(), false, true); }

// "duplicate key" -> "duplicate_key", so failures name the case.
std::string case_name(const ::testing::TestParamInfo<Case>& info) {
  std::string name;
  for (const char* p = info.param.what; *p; ++p) {
    name += std::isalnum(static_cast<unsigned char>(*p)) ? *p : '_';
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(Config, BothReject, ::testing::ValuesIn(kBothReject), case_name);
INSTANTIATE_TEST_SUITE_P(Config, BothAccept, ::testing::ValuesIn(kBothAccept), case_name);
INSTANTIATE_TEST_SUITE_P(Config, OnlyWalnutAccepts, ::testing::ValuesIn(kOnlyWalnutAccepts),
                         case_name);
INSTANTIATE_TEST_SUITE_P(Config, OnlyNutcrackerAccepts, ::testing::ValuesIn(kOnlyNutcrackerAccepts),
                         case_name);

}  // namespace
}  // namespace walnut::config
