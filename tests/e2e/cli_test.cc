// The walnut binary's command line: -V, -h, -t on good and bad files, bad
// flags, bad configs at start-up, and the pid file.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "tests/e2e/harness.h"

namespace walnut::e2e {
namespace {

using namespace std::chrono_literals;

std::string write_file(const TempDir& dir, const std::string& name,
                       const std::string& text) {
  std::string path = dir.file(name);
  std::ofstream(path) << text;
  return path;
}

TEST(Cli, VersionAndHelp) {
  std::string out;
  EXPECT_EQ(run_command({walnut_binary(), "-V"}, &out), 0);
  EXPECT_EQ(out.rfind("This is walnut-", 0), 0u) << out;
  EXPECT_EQ(run_command({walnut_binary(), "--help"}, &out), 0);
  EXPECT_NE(out.find("Usage: walnut"), std::string::npos) << out;
}

TEST(Cli, BadFlagPrintsUsageAndExits1) {
  std::string out;
  EXPECT_EQ(run_command({walnut_binary(), "-m", "100"}, &out), 1);
  EXPECT_NE(out.find("mbuf chunk size must be between 512 and 16777216 bytes"),
            std::string::npos) << out;
  EXPECT_NE(out.find("Usage: walnut"), std::string::npos);
  EXPECT_EQ(run_command({walnut_binary(), "--no-such-flag"}, &out), 1);
  EXPECT_NE(out.find("Usage: walnut"), std::string::npos) << out;
}

TEST(Cli, TestConfReportsOkOrInvalidWithTheReason) {
  TempDir dir;
  std::string good = write_file(dir, "good.yml",
                                "alpha:\n"
                                "  listen: 127.0.0.1:22121\n"
                                "  redis: true\n"
                                "  servers:\n"
                                "   - 127.0.0.1:11211:1\n");
  std::string out;
  EXPECT_EQ(run_command({walnut_binary(), "-t", "-c", good}, &out), 0);
  EXPECT_EQ(out, "walnut: configuration file '" + good + "' syntax is ok\n");

  std::string bad = write_file(dir, "bad.yml",
                               "alpha:\n"
                               "  listen: 127.0.0.1:22121\n"
                               "  hsah: fnv1a_64\n"
                               "  servers:\n"
                               "   - 127.0.0.1:11211:1\n");
  EXPECT_EQ(run_command({walnut_binary(), "-t", "-c", bad}, &out), 1);
  EXPECT_EQ(out.rfind("walnut: configuration file '" + bad + "' syntax is invalid\n", 0), 0u) << out;
  EXPECT_NE(out.find(bad + ":3: "), std::string::npos) << "names the line: " << out;
  EXPECT_NE(out.find("hsah"), std::string::npos) << out;
}

// The kernel would refuse the second bind: -t says so, and so does start-up,
// before anything listens (before, -t said ok and start-up failed with
// "Address already in use").
TEST(Cli, TwoPoolsOnOneAddressWrittenTwoWaysAreRefusedByTestConf) {
  TempDir dir;
  std::string conf = write_file(dir, "twice.yml",
                                "alpha:\n"
                                "  listen: 127.0.0.1:24121\n"
                                "  servers:\n"
                                "   - 127.0.0.1:11211:1\n"
                                "beta:\n"
                                "  listen: localhost:24121\n"
                                "  servers:\n"
                                "   - 127.0.0.1:11212:1\n");
  const std::string why = conf +
                          ":6: pool 'alpha' ('127.0.0.1:24121') and pool 'beta' ('localhost:24121') "
                          "both listen on 127.0.0.1:24121; give each pool its own port\n";
  std::string out;
  EXPECT_EQ(run_command({walnut_binary(), "-t", "-c", conf}, &out), 1);
  EXPECT_EQ(out, "walnut: configuration file '" + conf + "' syntax is invalid\n" + why);
  EXPECT_EQ(run_command({walnut_binary(), "-c", conf}, &out, 10s), 1);
  EXPECT_EQ(out, why);
}

// Before, the pool took the port and the stats server failed with
// "Address already in use", as if another program held it.
TEST(Cli, APoolOnTheStatsPortIsRefusedAtStart) {
  TempDir dir;
  std::string conf = write_file(dir, "stats.yml",
                                "alpha:\n"
                                "  listen: 127.0.0.1:24123\n"
                                "  servers:\n"
                                "   - 127.0.0.1:11211:1\n");
  std::string out;
  EXPECT_EQ(run_command({walnut_binary(), "-c", conf, "-a", "127.0.0.1", "-s", "24123"}, &out, 10s),
            1);
  EXPECT_NE(out.find(conf + ":2: the stats server ('-a 127.0.0.1 -s 24123') and pool 'alpha' "
                            "('127.0.0.1:24123') both listen on 127.0.0.1:24123; move one of them"),
            std::string::npos)
      << out;
}

// nutcracker clamps -v to its highest level without a word; walnut clamps
// too, so that a nutcracker command line starts, and says so.
TEST(Cli, VerbosityAboveTheHighestLevelIsClampedAndSaid) {
  std::string out;
  EXPECT_EQ(run_command({walnut_binary(), "-v", "99", "-V"}, &out), 0);
  EXPECT_EQ(out,
            "walnut: -v 99 is above the highest log level, 11; logging at 11\n"
            "This is walnut-" PACKAGE_VERSION "\n");
}

TEST(Cli, BadConfigNeverStarts) {
  TempDir dir;
  std::string bad = write_file(dir, "bad.yml",
                               "alpha:\n"
                               "  listen: 127.0.0.1:22121\n"
                               "  servers:\n"
                               "   - 127.0.0.1:11211:0\n");
  std::string out;
  EXPECT_EQ(run_command({walnut_binary(), "-c", bad}, &out, 10s), 1);
  EXPECT_EQ(out.rfind(bad + ":4: ", 0), 0u) << out;
  EXPECT_EQ(run_command({walnut_binary(), "-c", dir.file("missing.yml")}, &out, 10s), 1);
  EXPECT_NE(out.find("missing.yml"), std::string::npos) << out;
}

TEST(Cli, ListenFailureIsReportedAndExits1) {
  TempDir dir;
  RedisServer busy(dir);  // its port is taken
  std::string conf = write_file(dir, "busy.yml",
                                "alpha:\n"
                                "  listen: 127.0.0.1:" + std::to_string(busy.port()) + "\n"
                                "  redis: true\n"
                                "  servers:\n"
                                "   - 127.0.0.1:1:1\n");
  std::string out;
  EXPECT_EQ(run_command({walnut_binary(), "-c", conf}, &out, 10s), 1);
  EXPECT_NE(out.find("Address already in use; another process listens there"),
            std::string::npos)
      << out;
}

TEST(Cli, PidFileWrittenAndRemovedOnSigterm) {
  TempDir dir;
  RedisServer r(dir);
  std::string pid_file = dir.file("walnut.pid");
  Walnut w(dir,
           "alpha:\n"
           "  listen: 127.0.0.1:LISTEN_PORT\n"
           "  redis: true\n"
           "  servers:\n"
           "   - 127.0.0.1:" + std::to_string(r.port()) + ":1\n",
           {"-p", pid_file});
  std::string text;
  std::ifstream(pid_file) >> text;
  EXPECT_EQ(text, std::to_string(w.process().pid()));
  int status = w.process().stop();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  EXPECT_FALSE(std::filesystem::exists(pid_file));
}

TEST(Cli, EveryShippedConfigPassesTestConf) {
  int seen = 0;
  for (const auto& entry : std::filesystem::directory_iterator(top_srcdir() + "/conf")) {
    if (entry.path().extension() != ".yml") continue;
    std::string out;
    EXPECT_EQ(run_command({walnut_binary(), "-t", "-c", entry.path().string()}, &out), 0)
        << out;
    ++seen;
  }
  EXPECT_GE(seen, 1);
}

}  // namespace
}  // namespace walnut::e2e
