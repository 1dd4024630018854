// End-to-end test harness: real processes (redis-server, walnut) on free
// loopback ports in a throwaway directory, stopped by pid; and a small
// blocking RESP client written independently of walnut's parsers, so that a
// parser bug cannot hide itself.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

namespace walnut::e2e {

// A fresh directory under $TMPDIR, removed with everything in it.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// The whole of a file ("" when it cannot be read).
std::string read_file(const std::string& path);

// A field of /proc/PID/status in KB ("VmRSS", "VmHWM"), or -1.
long proc_status_kb(pid_t pid, const std::string& field);

// A port nobody listens on right now (bound and released on 127.0.0.1).
int free_port();
// A listening socket on 127.0.0.1, on a port the kernel picks (in *port):
// for the fake servers of edge cases a real one will not produce. -1 on
// failure.
int listen_on_loopback(int* port);
// True once something accepts connections on 127.0.0.1:port.
bool wait_for_port(int port, std::chrono::milliseconds limit);
// All that walnut's (or nutcracker's) stats port on 127.0.0.1:port sends
// for one connection: its JSON ("" when nothing listens there within 5 s).
std::string read_stats(int port);

// Polls `done` every 20 ms until it returns true (then true) or `limit`
// passes (then false): what a test waits for on a loaded machine, instead
// of sleeping a fixed time and hoping.
template <typename Predicate>
bool wait_until(Predicate done, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

// A child process, stopped (SIGTERM, then SIGKILL) by pid when destroyed.
class Process {
 public:
  Process() = default;
  // Starts argv[0] (a path) with stdout and stderr to `log_path`.
  Process(const std::vector<std::string>& argv, const std::string& log_path);
  ~Process() { stop(); }
  Process(Process&& o) noexcept : pid_(o.pid_) { o.pid_ = -1; }
  Process& operator=(Process&& o) noexcept;

  pid_t pid() const { return pid_; }
  bool running();
  // Stops the process; returns its exit status (as from waitpid) or -1.
  int stop();
  // Waits for a process that should exit by itself; -1 on timeout.
  int wait(std::chrono::milliseconds limit);

 private:
  pid_t pid_ = -1;
};

// Runs a command to completion; returns its exit code and fills `output`
// with stdout and stderr together. Gives up (kills it) after `limit`.
int run_command(const std::vector<std::string>& argv, std::string* output,
                std::chrono::milliseconds limit = std::chrono::seconds(60));

// A redis-server on a free port (and a unix socket beside it), no
// persistence, in its own directory. `extra_args` go after the usual ones
// (a later setting wins in Redis), e.g. to make it a cluster node.
class RedisServer {
 public:
  explicit RedisServer(const TempDir& dir, const std::vector<std::string>& extra_args = {});
  // On a port the caller chose, for arguments that must name the port.
  RedisServer(const TempDir& dir, int port, const std::vector<std::string>& extra_args);
  int port() const { return port_; }
  const std::string& unix_path() const { return unix_path_; }
  // Its own directory (its --dir), where its log is too.
  const std::string& dir() const { return dir_; }
  std::string log() const;
  Process& process() { return process_; }

  // SIGKILL by pid, reaped: a crash, nothing written on the way out.
  void crash();
  // Starts it again as it was first started (same port, directory and
  // arguments), after a crash() or process().stop().
  void restart();

 private:
  void start();

  int port_;
  std::string dir_;
  std::string unix_path_;
  std::vector<std::string> argv_;
  Process process_;
};

// The walnut binary under test.
std::string walnut_binary();
// Whether the walnut under test was built with AddressSanitizer, whose own
// allocator keeps freed memory in quarantine: its resident memory says
// little about walnut's own.
bool walnut_uses_asan_allocator();
std::string top_srcdir();

// walnut on a config written from `yaml` (which may use the words
// LISTEN_PORT, which is replaced by a free port).
class Walnut {
 public:
  // `prefix` runs before walnut in the same shell (e.g. "ulimit -n 32;").
  Walnut(const TempDir& dir, const std::string& yaml,
         const std::vector<std::string>& extra_args = {},
         const std::string& prefix = "");
  // Stops walnut with SIGTERM and fails the current test unless it exits 0
  // with no sanitizer report in its log.
  ~Walnut();
  int port() const { return port_; }
  // The configuration file it was started with (-c), for a reload to rewrite.
  const std::string& conf_path() const { return conf_path_; }
  Process& process() { return process_; }
  // What walnut wrote to stdout and stderr.
  std::string log() const;

 private:
  // log(), and the file of its -o option if it had one.
  std::string all_logs() const;

  int port_;
  std::string conf_path_;
  std::string log_path_;
  std::string output_path_;  // -o's, or ""
  Process process_;
};

// A blocking client on 127.0.0.1 (or a unix socket path).
class Client {
 public:
  explicit Client(int port);
  explicit Client(const std::string& unix_path);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  bool connected() const { return fd_ >= 0; }
  void send_raw(const std::string& bytes);
  // Sends a command as a RESP array of bulk strings.
  void send(const std::vector<std::string>& args);
  // Reads one whole reply and returns its raw bytes ("" on EOF or timeout).
  std::string read_reply();
  // Sends and reads one reply.
  std::string call(const std::vector<std::string>& args);
  // True when the peer closed the connection (reads EOF within `limit`).
  bool closed_by_peer(std::chrono::milliseconds limit);
  void shutdown_write();

 private:
  bool fill();  // reads more into buf_; false on EOF/error/timeout
  std::string line();
  bool read_value(std::string* out);

  int fd_ = -1;
  std::string buf_;
  size_t pos_ = 0;
  bool eof_ = false;
};

std::string encode(const std::vector<std::string>& args);
inline std::string bulk(const std::string& s) {
  return "$" + std::to_string(s.size()) + "\r\n" + s + "\r\n";
}

}  // namespace walnut::e2e
