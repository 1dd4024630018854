// Signals and daemon mode: a graceful SIGTERM that delivers the replies in
// flight, SIGHUP log reopening, SIGTTIN/SIGTTOU log levels, -d with -p; and
// a flood of signals, which must not stop walnut serving.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>

#include "tests/e2e/harness.h"
#include "tests/e2e/stats_json.h"

namespace walnut::e2e {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

std::string pool_over(const RedisServer& r, const std::string& listen = "127.0.0.1:LISTEN_PORT") {
  return "alpha:\n  listen: " + listen + "\n  redis: true\n  servers:\n   - 127.0.0.1:" +
         std::to_string(r.port()) + ":1\n";
}

// How long a test waits for what a signal changes.
constexpr std::chrono::milliseconds kWait = 5s;

TEST(Signals, SigtermDeliversRepliesInFlightThenExits) {
  TempDir dir;
  RedisServer r(dir);
  std::string pid_file = dir.file("walnut.pid");
  std::string sock = dir.file("walnut.sock");
  int stats_port = free_port();
  Walnut w(dir, pool_over(r) + "beta:\n  listen: " + sock + "\n  redis: true\n  servers:\n   - 127.0.0.1:" +
                    std::to_string(r.port()) + ":1\n",
           {"-p", pid_file, "-s", std::to_string(stats_port), "-i", "10"});
  ASSERT_TRUE(wait_until([&] { return fs::exists(sock); }, kWait));
  Client c(w.port());
  ASSERT_EQ(c.call({"SET", "k", "v"}), "+OK\r\n");
  kill(r.process().pid(), SIGSTOP);  // replies now wait in the server
  std::string pipeline;
  for (int i = 0; i < 100; ++i) pipeline += encode({"GET", "k"});
  c.send_raw(pipeline);
  // On SIGTERM walnut stops reading from clients: first let it read all 100
  // GETs, which it forwards (after the SET) to the stopped server. Asserted
  // below, once the server runs again.
  const std::string server = "127.0.0.1:" + std::to_string(r.port());
  bool all_read = await_stat(stats_port, {"alpha", server, "requests"}, 101) >= 101;
  kill(w.process().pid(), SIGTERM);
  std::this_thread::sleep_for(200ms);
  kill(r.process().pid(), SIGCONT);
  ASSERT_TRUE(all_read) << "walnut did not read the 100 GETs";
  for (int i = 0; i < 100; ++i) ASSERT_EQ(c.read_reply(), bulk("v")) << i;
  EXPECT_TRUE(c.closed_by_peer(5s));
  int status = w.process().wait(10s);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  EXPECT_FALSE(fs::exists(pid_file)) << "pid file removed";
  EXPECT_FALSE(fs::exists(sock)) << "unix socket removed";
  std::string log = w.log();
  EXPECT_NE(log.find("signal 15 (SIGTERM) received"), std::string::npos) << log;
}

TEST(Signals, SighupRecreatesADeletedLogFile) {
  TempDir dir;
  RedisServer r(dir);
  std::string log_file = dir.file("out.log");
  Walnut w(dir, pool_over(r), {"-o", log_file});
  ASSERT_TRUE(wait_until([&] { return fs::exists(log_file); }, kWait));
  fs::remove(log_file);
  kill(w.process().pid(), SIGHUP);
  ASSERT_TRUE(wait_until([&] { return fs::exists(log_file); }, kWait)) << "recreated";
  EXPECT_TRUE(wait_until([&] {
    return read_file(log_file).find("signal 1 (SIGHUP) received, reopening log file") !=
           std::string::npos;
  }, kWait));
}

TEST(Signals, TtinAndTtouChangeWhatIsLogged) {
  TempDir dir;
  RedisServer r(dir);
  std::string log_file = dir.file("out.log");
  Walnut w(dir, pool_over(r), {"-o", log_file, "-v", "5"});
  { Client quiet(w.port()); ASSERT_EQ(quiet.call({"PING"}), "+PONG\r\n"); }
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(read_file(log_file).find("accepted client"), std::string::npos)
      << "connections are logged at level 6 (info), not at 5";
  kill(w.process().pid(), SIGTTIN);
  ASSERT_TRUE(wait_until([&] { return read_file(log_file).find("log level up to 6") != std::string::npos; }, kWait));
  { Client loud(w.port()); ASSERT_EQ(loud.call({"PING"}), "+PONG\r\n"); }
  EXPECT_TRUE(wait_until([&] { return read_file(log_file).find("accepted client") != std::string::npos; }, kWait));
  kill(w.process().pid(), SIGTTOU);
  ASSERT_TRUE(wait_until([&] { return read_file(log_file).find("log level down to 5") != std::string::npos; }, kWait));
  size_t accepted = 0;
  std::string before = read_file(log_file);
  for (size_t at = 0; (at = before.find("accepted client", at)) != std::string::npos; ++at) ++accepted;
  { Client quiet(w.port()); ASSERT_EQ(quiet.call({"PING"}), "+PONG\r\n"); }
  std::this_thread::sleep_for(100ms);
  std::string after = read_file(log_file);
  size_t accepted_after = 0;
  for (size_t at = 0; (at = after.find("accepted client", at)) != std::string::npos; ++at) ++accepted_after;
  EXPECT_EQ(accepted_after, accepted) << "back at level 5: not logged";
}

TEST(Signals, AFloodOfSignalsDoesNotStopWalnutServing) {
  TempDir dir;
  RedisServer r(dir);
  Walnut w(dir, pool_over(r), {"-o", dir.file("walnut.log")});
  Client c(w.port());
  ASSERT_EQ(c.call({"SET", "k", "v"}), "+OK\r\n");
  // SIGHUP, SIGTTIN and SIGTTOU as fast as kill() goes, until the client
  // is done or 20 s have passed. walnut used to serve nothing at all while
  // a flood lasted.
  const pid_t pid = w.process().pid();
  std::atomic<bool> stop{false};
  std::atomic<long> sent{0};
  std::thread flood([&] {
    const int kinds[] = {SIGHUP, SIGTTIN, SIGTTOU};
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    for (long n = 0; !stop && std::chrono::steady_clock::now() < deadline;) {
      for (int i = 0; i < 1000; ++i, ++n) ::kill(pid, kinds[n % 3]);
      sent = n;
    }
  });
  constexpr int kRequests = 2000;
  int served = 0;
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < kRequests; ++i) {
    if (c.call({"GET", "k"}) != bulk("v")) break;
    ++served;
  }
  const bool flood_still_running = sent > 0 && !stop && flood.joinable();
  const long sent_by_then = sent;
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - t0);
  stop = true;
  flood.join();
  std::cout << served << " requests served in " << took.count() << " ms while "
            << sent_by_then << " signals were sent\n";
  EXPECT_EQ(served, kRequests);
  EXPECT_TRUE(flood_still_running);
  EXPECT_LT(took, 20s) << "the requests were served only once the flood was over";
  // What kept walnut from serving was handling every delivery (a log reopen
  // and a line each): now a burst is handled at most once every 10 ms.
  size_t handled = 0;
  const std::string log = read_file(dir.file("walnut.log"));
  for (size_t at = log.find("(SIGHUP) received"); at != std::string::npos;
       at = log.find("(SIGHUP) received", at + 1)) {
    ++handled;
  }
  const auto flood_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - t0);
  std::cout << "SIGHUP handled " << handled << " times in " << flood_ms.count() << " ms\n";
  EXPECT_LE(handled, static_cast<size_t>(flood_ms.count() / 10 + 10));
  // And the signals still do their work afterwards.
  EXPECT_EQ(c.call({"GET", "k"}), bulk("v"));
}

TEST(Signals, DaemonWritesItsPidAndRemovesItOnSigterm) {
  TempDir dir;
  RedisServer r(dir);
  int port = free_port();
  std::string conf = dir.file("d.yml");
  std::ofstream(conf) << pool_over(r, "127.0.0.1:" + std::to_string(port));
  std::string pid_file = dir.file("d.pid");
  std::string out;
  ASSERT_EQ(run_command({walnut_binary(), "-d", "-c", conf, "-p", pid_file, "-o",
                         dir.file("d.log"), "-a", "127.0.0.1", "-s", std::to_string(free_port())},
                        &out, 10s),
            0)
      << out;
  ASSERT_TRUE(wait_until([&] { return !read_file(pid_file).empty(); }, kWait)) << read_file(dir.file("d.log"));
  pid_t pid = static_cast<pid_t>(std::stol(read_file(pid_file)));
  ASSERT_GT(pid, 1);
  EXPECT_EQ(kill(pid, 0), 0) << "the daemon runs";
  ASSERT_TRUE(wait_for_port(port, 5s));
  {
    Client c(port);
    EXPECT_EQ(c.call({"PING"}), "+PONG\r\n");
  }
  kill(pid, SIGTERM);
  EXPECT_TRUE(wait_until([&] { return kill(pid, 0) != 0; }, kWait)) << "the daemon stopped";
  EXPECT_FALSE(fs::exists(pid_file));
}

TEST(Signals, SegfaultLogsABacktraceAndDiesOfIt) {
  TempDir dir;
  RedisServer r(dir);
  int port = free_port();
  std::string conf = dir.file("s.yml");
  std::ofstream(conf) << pool_over(r, "127.0.0.1:" + std::to_string(port));
  std::string log_file = dir.file("s.log");
  Process p({walnut_binary(), "-c", conf, "-o", log_file, "-a", "127.0.0.1", "-s",
             std::to_string(free_port())},
            dir.file("s.out"));
  ASSERT_TRUE(wait_for_port(port, 5s));
  kill(p.pid(), SIGSEGV);
  int status = p.wait(10s);
  std::string log = read_file(log_file) + read_file(dir.file("s.out"));
  if (log.find("AddressSanitizer") != std::string::npos) {
    SUCCEED() << "sanitized build: the sanitizer reports the crash itself";
    return;
  }
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV) << status;
  EXPECT_NE(log.find("signal 11 (SIGSEGV) received, backtrace:"), std::string::npos) << log;
}

}  // namespace
}  // namespace walnut::e2e
