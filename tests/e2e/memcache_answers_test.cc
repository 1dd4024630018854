// memcached clients talking to walnut itself: `version` and `stats` answered
// in forms the real clients parse (libmemcached's memcping and memcstat),
// and a line from a backend that is no memcached reply refused instead of
// being handed to a client as its answer.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "tests/e2e/harness.h"
#include "tests/e2e/memcache_client.h"
#include "tests/e2e/memcached_server.h"

namespace walnut::e2e {
namespace {

using namespace std::chrono_literals;

TEST(MemcacheAnswers, MemcpingAndMemcstatWorkThroughWalnut) {
  TempDir dir;
  MemcachedServer mc(dir);
  Walnut w(dir, memcache_pool_yaml("answers", {mc.port()}));
  const std::string server = "--servers=127.0.0.1:" + std::to_string(w.port());
  std::string out;
  EXPECT_EQ(run_command({"/usr/bin/memcping", server}, &out, 20s), 0) << out;
  EXPECT_EQ(run_command({"/usr/bin/memcstat", server}, &out, 20s), 0) << out;
  EXPECT_NE(out.find("pid: " + std::to_string(w.process().pid())), std::string::npos) << out;
  EXPECT_NE(out.find("version: walnut-"), std::string::npos) << out;
}

// "STAT name value" lines of a stats reply, by name.
std::string stat_of(const std::string& reply, const std::string& name) {
  const std::string head = "STAT " + name + " ";
  size_t at = reply.find(head);
  if (at == std::string::npos) return "";
  at += head.size();
  return reply.substr(at, reply.find("\r\n", at) - at);
}

TEST(MemcacheAnswers, StatsIsWalnutsCountersInMemcachedsForm) {
  TempDir dir;
  MemcachedServer mc(dir);
  Walnut w(dir, memcache_pool_yaml("answers", {mc.port()}));
  McClient c(w.port()), other(w.port());
  ASSERT_EQ(c.call("set k 0 0 1\r\nv\r\n"), "STORED\r\n");
  ASSERT_EQ(c.call("get k\r\n"), "VALUE k 0 1\r\nv\r\nEND\r\n");
  c.send_raw("stats\r\n");
  const std::string stats = c.read_until_end();
  // Every line a STAT line, then END: what clients read up to.
  ASSERT_GE(stats.size(), 5u);
  EXPECT_EQ(stats.substr(stats.size() - 5), "END\r\n") << stats;
  for (size_t at = 0; at < stats.size() - 5; at = stats.find("\r\n", at) + 2) {
    EXPECT_EQ(stats.compare(at, 5, "STAT "), 0) << stats.substr(at, 40);
  }
  EXPECT_EQ(stat_of(stats, "pid"), std::to_string(w.process().pid()));
  EXPECT_EQ(stat_of(stats, "curr_connections"), "2");
  EXPECT_EQ(stat_of(stats, "requests"), "2") << "the set and the get reached the server";
  EXPECT_EQ(stat_of(stats, "responses"), "2");
  EXPECT_EQ(c.call("stats slabs\r\n"), "ERROR\r\n") << "walnut keeps no slab stats";
  EXPECT_EQ(c.call("version\r\n"), "VERSION 1.6.10 walnut-" PACKAGE_VERSION "\r\n");
}

// A fake memcached for what a real one does not do: on its first
// connection it answers the first request with a line that is no reply;
// every other request gets "END". Stops with the object, or after 60 s.
class GarbageServer {
 public:
  GarbageServer() {
    listen_fd_ = listen_on_loopback(&port_);
    if (listen_fd_ >= 0) thread_ = std::thread([this] { run(); });
  }
  ~GarbageServer() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    for (int fd : conns_) close(fd);
    if (listen_fd_ >= 0) close(listen_fd_);
  }
  GarbageServer(const GarbageServer&) = delete;
  GarbageServer& operator=(const GarbageServer&) = delete;

  int port() const { return port_; }
  int accepted() const { return accepted_; }

 private:
  void run() {
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    bool garbage_sent = false;
    while (!stop_ && std::chrono::steady_clock::now() < deadline) {
      std::vector<pollfd> fds{{listen_fd_, POLLIN, 0}};
      for (int fd : conns_) fds.push_back({fd, POLLIN, 0});
      if (poll(fds.data(), fds.size(), 20) <= 0) continue;
      for (size_t i = 1; i < fds.size(); ++i) {
        if (fds[i].revents == 0) continue;
        char buf[4096];
        const ssize_t n = read(fds[i].fd, buf, sizeof buf);
        if (n <= 0) continue;  // walnut closed it: no more replies there
        // One request a line ("get k\r\n"): one reply each.
        for (ssize_t j = 0; j < n; ++j) {
          if (buf[j] != '\n') continue;
          const bool garbage = i == 1 && !garbage_sent;
          garbage_sent = garbage_sent || garbage;
          const std::string reply = garbage ? "WHATEVER 1 2 3\r\n" : "END\r\n";
          if (send(fds[i].fd, reply.data(), reply.size(), MSG_NOSIGNAL) < 0) break;
        }
      }
      if (fds[0].revents & POLLIN) {
        const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd >= 0) {
          conns_.push_back(fd);
          ++accepted_;
        }
      }
    }
  }

  int listen_fd_ = -1;
  int port_ = -1;
  std::vector<int> conns_;
  std::atomic<bool> stop_{false};
  std::atomic<int> accepted_{0};
  std::thread thread_;
};

TEST(MemcacheAnswers, ALineThatIsNoReplyIsRefusedAndTheConnectionReplaced) {
  TempDir dir;
  GarbageServer fake;
  ASSERT_GT(fake.port(), 0);
  Walnut w(dir, memcache_pool_yaml("garbage", {fake.port()}));
  McClient c(w.port());
  EXPECT_EQ(c.call("get k\r\n"),
            "SERVER_ERROR Protocol error from server: not a memcached reply\r\n");
  EXPECT_EQ(c.call("get k\r\n"), "END\r\n") << "a fresh connection serves";
  EXPECT_EQ(fake.accepted(), 2);
}

}  // namespace
}  // namespace walnut::e2e
