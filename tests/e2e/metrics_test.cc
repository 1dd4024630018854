// Prometheus metrics on --metrics-addr, scraped with curl and checked by a
// strict reader of the text exposition format written here, and by
// Prometheus's own `promtool check metrics`.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "tests/e2e/harness.h"

namespace walnut::e2e {
namespace {

using namespace std::chrono_literals;

struct Scrape {
  std::map<std::string, std::string> types;            // family -> type
  std::map<std::string, double> samples;               // name{labels} -> value
  std::string error;                                   // empty when valid
};

// Every line is a HELP, a TYPE, or a sample of a family whose TYPE came
// first; counters end in _total; histogram buckets are cumulative and end
// with le="+Inf" equal to _count.
Scrape parse(const std::string& text) {
  Scrape s;
  static const std::regex help(R"(^# HELP [a-zA-Z_:][a-zA-Z0-9_:]* .+$)");
  static const std::regex type(R"(^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram)$)");
  static const std::regex sample(
      R"(^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*")(,[a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*")*\})? (-?[0-9]+(\.[0-9]+)?|\+Inf)$)");
  std::istringstream in(text);
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    std::smatch m;
    if (std::regex_match(line, m, type)) {
      if (s.types.count(m[1])) s.error = "TYPE twice for " + m[1].str();
      s.types[m[1]] = m[2];
      if (m[2] == "counter" && m[1].str().size() > 6 &&
          m[1].str().substr(m[1].str().size() - 6) != "_total") {
        s.error = "counter without _total: " + m[1].str();
      }
      continue;
    }
    if (std::regex_match(line, help)) continue;
    if (!std::regex_match(line, m, sample)) {
      s.error = "line " + std::to_string(n) + " is not valid: " + line;
      return s;
    }
    std::string name = m[1];
    std::string family = name;
    for (const char* suffix : {"_bucket", "_sum", "_count"}) {
      std::string sx = suffix;
      if (family.size() > sx.size() && family.substr(family.size() - sx.size()) == sx &&
          s.types.count(family.substr(0, family.size() - sx.size()))) {
        family = family.substr(0, family.size() - sx.size());
      }
    }
    if (!s.types.count(family)) {
      s.error = "sample before its TYPE: " + line;
      return s;
    }
    size_t sp = line.rfind(' ');
    s.samples[line.substr(0, sp)] = std::stod(line.substr(sp + 1));
  }
  return s;
}

std::string curl(int port, const std::string& path, int* rc) {
  std::string out;
  *rc = run_command({"/usr/bin/curl", "-sS", "-f", "-m", "5",
                     "http://127.0.0.1:" + std::to_string(port) + path},
                    &out, 10s);
  return out;
}

TEST(Metrics, ScrapedWithCurlValidAndMovingUnderLoad) {
  TempDir dir;
  RedisServer r(dir);
  int metrics_port = free_port();
  Walnut w(dir,
           "alpha:\n  listen: 127.0.0.1:LISTEN_PORT\n  redis: true\n  servers:\n"
           "   - 127.0.0.1:" + std::to_string(r.port()) + ":1 main\n",
           {"--metrics-addr=127.0.0.1:" + std::to_string(metrics_port)});
  ASSERT_TRUE(wait_for_port(metrics_port, 5s));
  int rc = 0;
  Scrape before = parse(curl(metrics_port, "/metrics", &rc));
  ASSERT_EQ(rc, 0);
  ASSERT_EQ(before.error, "");
  EXPECT_EQ(before.types["walnut_request_duration_seconds"], "histogram");
  EXPECT_EQ(before.types["walnut_server_requests_total"], "counter");
  {
    Client c(w.port());
    std::string pipeline;
    for (int i = 0; i < 100; ++i) {
      pipeline += encode({"SET", "k" + std::to_string(i), "v"});
      pipeline += encode({"GET", "k" + std::to_string(i)});
    }
    c.send_raw(pipeline);
    for (int i = 0; i < 200; ++i) ASSERT_FALSE(c.read_reply().empty());
  }
  std::string text = curl(metrics_port, "/metrics", &rc);
  ASSERT_EQ(rc, 0);
  Scrape after = parse(text);
  ASSERT_EQ(after.error, "") << text;
  // And Prometheus's own checker (Debian's prometheus package) agrees.
  std::string file = dir.file("metrics.txt");
  std::ofstream(file) << text;
  std::string lint;
  EXPECT_EQ(run_command({"/bin/sh", "-c", "/usr/bin/promtool check metrics < '" + file + "'"},
                        &lint, 30s),
            0)
      << lint;
  const std::string pool = "{pool=\"alpha\"}";
  EXPECT_EQ(after.samples["walnut_request_duration_seconds_count" + pool] -
                before.samples["walnut_request_duration_seconds_count" + pool],
            200);
  EXPECT_EQ(after.samples["walnut_request_duration_seconds_bucket{pool=\"alpha\",le=\"+Inf\"}"],
            after.samples["walnut_request_duration_seconds_count" + pool]);
  EXPECT_GT(after.samples["walnut_request_duration_seconds_sum" + pool], 0);
  // Buckets are cumulative.
  double last = 0;
  int buckets = 0;
  for (const auto& [key, value] : after.samples) {
    if (key.rfind("walnut_request_duration_seconds_bucket{pool=\"alpha\",le=\"0", 0) == 0 ||
        key.rfind("walnut_request_duration_seconds_bucket{pool=\"alpha\",le=\"1", 0) == 0) {
      ++buckets;
    }
  }
  EXPECT_GE(buckets, 10);
  for (const char* le : {"0.000050", "0.001000", "0.010000", "1.000000", "10.000000"}) {
    double v = after.samples["walnut_request_duration_seconds_bucket{pool=\"alpha\",le=\"" +
                             std::string(le) + "\"}"];
    EXPECT_GE(v, last) << le;
    last = v;
  }
  EXPECT_EQ(after.samples["walnut_commands_total{pool=\"alpha\",command=\"get\"}"], 100);
  EXPECT_EQ(after.samples["walnut_commands_total{pool=\"alpha\",command=\"set\"}"], 100);
  EXPECT_EQ(after.samples["walnut_server_requests_total{pool=\"alpha\",server=\"main\"}"], 200);
  EXPECT_EQ(after.samples["walnut_server_responses_total{pool=\"alpha\",server=\"main\"}"], 200);
  EXPECT_EQ(after.samples["walnut_server_connections{pool=\"alpha\",server=\"main\"}"], 1);
}

TEST(Metrics, ServerDetailsOfPoolsThatUseThem) {
  TempDir dir;
  RedisServer r(dir);
  RedisServer plain(dir);
  int metrics_port = free_port();
  Walnut w(dir,
           "beat:\n  listen: 127.0.0.1:LISTEN_PORT\n  redis: true\n  server_heartbeat: 100\n"
           "  servers:\n   - 127.0.0.1:" + std::to_string(r.port()) + ":1 main\n"
           "plain:\n  listen: 127.0.0.1:" + std::to_string(free_port()) +
               "\n  redis: true\n  servers:\n   - 127.0.0.1:" + std::to_string(plain.port()) +
               ":1 other\n",
           {"--metrics-addr=127.0.0.1:" + std::to_string(metrics_port)});
  ASSERT_TRUE(wait_for_port(metrics_port, 5s));
  int rc = 0;
  std::string text = curl(metrics_port, "/metrics", &rc);
  ASSERT_EQ(rc, 0);
  Scrape s = parse(text);
  ASSERT_EQ(s.error, "") << text;
  EXPECT_EQ(s.types["walnut_server_info"], "gauge");
  EXPECT_EQ(s.types["walnut_server_heartbeat_failures_total"], "counter");
  EXPECT_EQ(s.types["walnut_server_failovers_total"], "counter");
  EXPECT_EQ(s.types["walnut_server_policy_reads_total"], "counter");
  EXPECT_EQ(s.samples["walnut_server_info{pool=\"beat\",server=\"main\",address=\"127.0.0.1:" +
                      std::to_string(r.port()) + "\",role=\"master\"}"],
            1);
  EXPECT_EQ(s.samples.count("walnut_server_heartbeat_failures_total{pool=\"beat\",server=\"main\"}"),
            1u);
  // The plain pool's server has none of them.
  EXPECT_EQ(text.find("server=\"other\",address"), std::string::npos) << text;
  EXPECT_EQ(s.samples.count("walnut_server_heartbeat_failures_total{pool=\"plain\",server=\"other\"}"),
            0u);
  std::string file = dir.file("metrics.txt");
  std::ofstream(file) << text;
  std::string lint;
  EXPECT_EQ(run_command({"/bin/sh", "-c", "/usr/bin/promtool check metrics < '" + file + "'"},
                        &lint, 30s),
            0)
      << lint;
}

TEST(Metrics, OtherPathsAre404AndTheFlagIsChecked) {
  TempDir dir;
  RedisServer r(dir);
  int metrics_port = free_port();
  Walnut w(dir,
           "alpha:\n  listen: 127.0.0.1:LISTEN_PORT\n  redis: true\n  servers:\n"
           "   - 127.0.0.1:" + std::to_string(r.port()) + ":1\n",
           {"--metrics-addr=127.0.0.1:" + std::to_string(metrics_port)});
  ASSERT_TRUE(wait_for_port(metrics_port, 5s));
  int rc = 0;
  curl(metrics_port, "/nope", &rc);
  EXPECT_EQ(rc, 22) << "curl -f exits 22 on an HTTP error";
  std::string out;
  EXPECT_EQ(run_command({walnut_binary(), "--metrics-addr=nonsense"}, &out), 1);
  EXPECT_NE(out.find("--metrics-addr needs HOST:PORT"), std::string::npos) << out;
}

}  // namespace
}  // namespace walnut::e2e
