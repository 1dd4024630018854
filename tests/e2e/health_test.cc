// The orchestration pages on --metrics-addr: /healthz (the process serves),
// /readyz (every pool listens and has a server up; 503 while shutting down)
// and /config (the configuration in use, passwords masked), read over HTTP
// by a plain socket client so that the status line itself is checked.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>

#include "tests/e2e/harness.h"

namespace walnut::e2e {
namespace {

using namespace std::chrono_literals;

struct HttpAnswer {
  int status = 0;  // 0: no answer
  std::string body;
};

// GET `path` on 127.0.0.1:port; the whole answer read until walnut closes.
HttpAnswer http_get(int port, const std::string& path) {
  HttpAnswer a;
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return a;
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(port));
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0) {
    ::close(fd);
    return a;
  }
  const std::string request = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request.size())) {
    ::close(fd);
    return a;
  }
  std::string all;
  char buf[4096];
  for (int reads = 0; reads < 1000; ++reads) {
    ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) break;
    all.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  if (all.rfind("HTTP/1.1 ", 0) != 0 || all.size() < 12) return a;
  a.status = std::stoi(all.substr(9, 3));
  const size_t body = all.find("\r\n\r\n");
  if (body != std::string::npos) a.body = all.substr(body + 4);
  return a;
}

std::string pool(const std::string& name, const std::string& listen, int server_port,
                 const std::string& extra = "") {
  return name + ":\n  listen: " + listen + "\n  redis: true\n" + extra + "  servers:\n   - 127.0.0.1:" +
         std::to_string(server_port) + ":1\n";
}

// Polls `path` until its status is `status` (at most `limit`); the last answer.
HttpAnswer await_status(int port, const std::string& path, int status,
                        std::chrono::milliseconds limit = 10s) {
  HttpAnswer a;
  wait_until([&] { return (a = http_get(port, path)).status == status; }, limit);
  return a;
}

// walnut with one pool over one redis-server, its pages on `metrics`.
struct OnePool {
  TempDir dir;
  RedisServer redis{dir};
  int metrics = free_port();
  Walnut walnut{dir, pool("alpha", "127.0.0.1:LISTEN_PORT", redis.port()),
                {"--metrics-addr", "127.0.0.1:" + std::to_string(metrics)}};
  OnePool() {
    if (!wait_for_port(metrics, 5s)) throw std::runtime_error("no metrics listener");
  }
};

TEST(Health, HealthzAnswersOkWhileTheProcessServes) {
  OnePool p;
  const int metrics = p.metrics;
  HttpAnswer a = http_get(metrics, "/healthz");
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(a.body, "ok\n");
  EXPECT_EQ(http_get(metrics, "/healthz?verbose=1").status, 200);
  EXPECT_EQ(http_get(metrics, "/healthzz").status, 404);
}

TEST(Health, ReadyzFollowsWhetherEveryPoolHasAServerUp) {
  TempDir dir;
  RedisServer r(dir);
  const int later = free_port();  // nothing listens there yet
  const int metrics = free_port();
  // With a heartbeat walnut learns that a server is down without a client.
  Walnut w(dir,
           pool("alpha", "127.0.0.1:LISTEN_PORT", r.port()) +
               pool("beta", "127.0.0.1:" + std::to_string(free_port()), later,
                    "  server_heartbeat: 100\n  timeout: 200\n"),
           {"--metrics-addr", "127.0.0.1:" + std::to_string(metrics)});
  ASSERT_TRUE(wait_for_port(metrics, 5s));
  HttpAnswer a = await_status(metrics, "/readyz", 503);
  ASSERT_EQ(a.status, 503) << a.body;
  EXPECT_NE(a.body.find("pool 'beta' has no server up"), std::string::npos) << a.body;
  EXPECT_EQ(a.body.find("alpha"), std::string::npos) << a.body;
  EXPECT_EQ(http_get(metrics, "/healthz").status, 200) << "alive, though not ready";

  // The server comes up: the heartbeat reconnects, and walnut is ready.
  RedisServer back(dir, later, {});
  a = await_status(metrics, "/readyz", 200);
  EXPECT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(a.body, "ready\n");
}

TEST(Health, ReadyzIs503WhileShuttingDown) {
  OnePool p;
  const int metrics = p.metrics;
  RedisServer& r = p.redis;
  Walnut& w = p.walnut;
  ASSERT_EQ(http_get(metrics, "/readyz").status, 200);
  Client c(w.port());
  ASSERT_EQ(c.call({"SET", "k", "v"}), "+OK\r\n");
  // A reply in flight keeps walnut draining after SIGTERM.
  ASSERT_EQ(kill(r.process().pid(), SIGSTOP), 0);
  c.send({"GET", "k"});
  std::this_thread::sleep_for(200ms);  // forwarded to the stopped server
  ASSERT_EQ(kill(w.process().pid(), SIGTERM), 0);
  HttpAnswer a = await_status(metrics, "/readyz", 503, 3s);
  EXPECT_EQ(a.status, 503);
  EXPECT_EQ(a.body, "shutting down\n");
  EXPECT_EQ(http_get(metrics, "/healthz").status, 200);
  ASSERT_EQ(kill(r.process().pid(), SIGCONT), 0);
  EXPECT_EQ(c.read_reply(), "$1\r\nv\r\n") << "the reply in flight is delivered";
  EXPECT_EQ(w.process().wait(10s), 0) << w.log();
}

TEST(Health, ConfigShowsTheConfigurationInUseWithPasswordsMasked) {
  TempDir dir;
  RedisServer r(dir, {"--requirepass", "s3cret-pass"});
  const int metrics = free_port();
  Walnut w(dir,
           pool("alpha", "127.0.0.1:LISTEN_PORT", r.port(),
                "  redis_auth: s3cret-pass\n  timeout: 400\n  hash_tag: \"{}\"\n"),
           {"--metrics-addr", "127.0.0.1:" + std::to_string(metrics)});
  ASSERT_TRUE(wait_for_port(metrics, 5s));
  HttpAnswer a = http_get(metrics, "/config");
  ASSERT_EQ(a.status, 200);
  EXPECT_EQ(a.body.find("s3cret-pass"), std::string::npos) << a.body;
  EXPECT_NE(a.body.find("  redis_auth: \"********\"\n"), std::string::npos) << a.body;
  EXPECT_NE(a.body.find("alpha:\n  listen: \"127.0.0.1:" + std::to_string(w.port()) + "\"\n"),
            std::string::npos)
      << a.body;
  EXPECT_NE(a.body.find("  timeout: 400\n"), std::string::npos) << a.body;
  EXPECT_NE(a.body.find("  hash_tag: \"{}\"\n"), std::string::npos) << a.body;
  EXPECT_NE(a.body.find("    - \"127.0.0.1:" + std::to_string(r.port()) + ":1\"\n"),
            std::string::npos)
      << a.body;
  const std::string first_md5 = a.body.substr(0, a.body.find('\n'));
  EXPECT_EQ(first_md5.rfind("# md5 of ", 0), 0u) << first_md5;

  // After a reload, the new configuration and its file's MD5.
  std::string text = read_file(w.conf_path());
  const size_t at = text.find("timeout: 400");
  ASSERT_NE(at, std::string::npos);
  text.replace(at, 12, "timeout: 700");
  {
    std::ofstream(w.conf_path() + ".next") << text;
  }
  ASSERT_EQ(std::rename((w.conf_path() + ".next").c_str(), w.conf_path().c_str()), 0);
  ASSERT_EQ(kill(w.process().pid(), SIGUSR1), 0);
  ASSERT_TRUE(wait_until([&] { return http_get(metrics, "/config").body.find("timeout: 700") !=
                                      std::string::npos; },
                         10s))
      << w.log();
  a = http_get(metrics, "/config");
  EXPECT_EQ(a.body.find("timeout: 400"), std::string::npos) << a.body;
  EXPECT_NE(a.body.substr(0, a.body.find('\n')), first_md5) << a.body;
  EXPECT_EQ(a.body.find("s3cret-pass"), std::string::npos) << a.body;
}

}  // namespace
}  // namespace walnut::e2e
