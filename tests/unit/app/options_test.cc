// Command-line parsing: nutcracker's flags, defaults, ranges and messages.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "options.h"

namespace walnut {
namespace {

bool parse(std::vector<std::string> args, Options* out, std::string* error) {
  args.insert(args.begin(), "walnut");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  return parse_options(static_cast<int>(args.size()), argv.data(), out, error);
}

TEST(Options, DefaultsMatchNutcracker) {
  Options o;
  std::string error;
  ASSERT_TRUE(parse({}, &o, &error)) << error;
  EXPECT_EQ(o.verbosity, 5);
  EXPECT_EQ(o.stats_port, 22222);
  EXPECT_EQ(o.stats_addr, "0.0.0.0");
  EXPECT_EQ(o.stats_interval, 30000);
  EXPECT_EQ(o.mbuf_size, 16384u);
  EXPECT_EQ(o.conf_file, "conf/walnut.yml");
  EXPECT_TRUE(o.output.empty());
  EXPECT_TRUE(o.pid_file.empty());
  EXPECT_FALSE(o.daemonize || o.test_conf || o.help || o.version);
}

TEST(Options, RequestBufferLimitTakesBytesAndZero) {
  Options o;
  std::string error;
  EXPECT_EQ(o.request_buffer_limit, 256ull * 1024 * 1024);
  ASSERT_TRUE(parse({"--request-buffer-limit=4194304"}, &o, &error)) << error;
  EXPECT_EQ(o.request_buffer_limit, 4194304u);
  ASSERT_TRUE(parse({"--request-buffer-limit", "0"}, &o, &error)) << error;
  EXPECT_EQ(o.request_buffer_limit, 0u);
  EXPECT_FALSE(parse({"--request-buffer-limit=lots"}, &o, &error));
  EXPECT_EQ(error, "option --request-buffer-limit requires a number of bytes, got 'lots'");
}

TEST(Options, ShortAndLongFormsSetEveryField) {
  Options o;
  std::string error;
  ASSERT_TRUE(parse({"-t", "-d", "-v", "7", "-o", "/tmp/x.log", "-c", "a.yml",
                     "-s", "2000", "-a", "127.0.0.1", "-i", "100", "-p",
                     "/tmp/w.pid", "-m", "512"},
                    &o, &error))
      << error;
  EXPECT_TRUE(o.test_conf);
  EXPECT_TRUE(o.daemonize);
  EXPECT_EQ(o.verbosity, 7);
  EXPECT_EQ(o.output, "/tmp/x.log");
  EXPECT_EQ(o.conf_file, "a.yml");
  EXPECT_EQ(o.stats_port, 2000);
  EXPECT_EQ(o.stats_addr, "127.0.0.1");
  EXPECT_EQ(o.stats_interval, 100);
  EXPECT_EQ(o.pid_file, "/tmp/w.pid");
  EXPECT_EQ(o.mbuf_size, 512u);

  Options l;
  ASSERT_TRUE(parse({"--test-conf", "--verbose=11", "--conf-file=b.yml",
                     "--stats-port=3000", "--mbuf-size=16777216",
                     "--describe-stats", "--version", "--help"},
                    &l, &error))
      << error;
  EXPECT_TRUE(l.test_conf && l.describe_stats && l.version && l.help);
  EXPECT_EQ(l.verbosity, 11);
  EXPECT_EQ(l.conf_file, "b.yml");
  EXPECT_EQ(l.stats_port, 3000);
  EXPECT_EQ(l.mbuf_size, 16777216u);
}

// nutcracker clamps -v silently; walnut clamps too (a nutcracker command
// line still starts) but says what it used.
TEST(Options, VerbosityAboveTheHighestLevelIsClampedWithAWarning) {
  Options o;
  std::string error;
  ASSERT_TRUE(parse({"-v", "11"}, &o, &error)) << error;
  EXPECT_TRUE(o.warnings.empty());
  ASSERT_TRUE(parse({"-v", "99"}, &o, &error)) << error;
  EXPECT_EQ(o.verbosity, 11);
  ASSERT_EQ(o.warnings.size(), 1u);
  EXPECT_EQ(o.warnings[0], "-v 99 is above the highest log level, 11; logging at 11");
}

TEST(Options, BadValuesAreRefusedWithNutcrackersWords) {
  struct Case {
    std::vector<std::string> args;
    std::string message;
  } cases[] = {
      {{"-v", "abc"}, "option -v requires a number"},
      {{"-s", "0"}, "option -s value 0 is not a valid port"},
      {{"-s", "65536"}, "option -s value 65536 is not a valid port"},
      {{"-s", "x"}, "option -s requires a number"},
      {{"-i", "-5"}, "option -i requires a number"},
      {{"-m", "511"}, "mbuf chunk size must be between 512 and 16777216 bytes"},
      {{"-m", "16777217"},
       "mbuf chunk size must be between 512 and 16777216 bytes"},
      {{"-x"}, "invalid option -- 'x'"},
      {{"-c"}, "option -c requires an argument"},
      {{"stray"}, "unexpected argument 'stray'"},
  };
  for (const Case& c : cases) {
    Options o;
    std::string error;
    EXPECT_FALSE(parse(c.args, &o, &error)) << c.args[0];
    EXPECT_EQ(error, c.message);
  }
}

TEST(Options, UsageListsEveryFlag) {
  std::string u = usage();
  for (const char* flag : {"--help", "--version", "--test-conf", "--daemonize",
                           "--describe-stats", "--verbose", "--output",
                           "--conf-file", "--stats-port", "--stats-addr",
                           "--stats-interval", "--pid-file", "--mbuf-size"}) {
    EXPECT_NE(u.find(flag), std::string::npos) << flag;
  }
}

}  // namespace
}  // namespace walnut
