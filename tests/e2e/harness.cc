// Process, port and client plumbing for the end-to-end tests.
#include "tests/e2e/harness.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <gtest/gtest.h>

namespace walnut::e2e {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = std::string(base ? base : "/tmp") + "/walnut-e2e-XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (mkdtemp(buf.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = buf.data();
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

long proc_status_kb(pid_t pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) == 0) return std::stol(line.substr(field.size() + 1));
  }
  return -1;
}

namespace {
// Whether a listener could bind 127.0.0.1:port now (no SO_REUSEADDR: a port
// still in TIME_WAIT counts as taken).
bool bindable(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  bool ok = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  close(fd);
  return ok;
}

// The lowest port the kernel hands out as a connection's local port.
int ephemeral_low() {
  std::ifstream in("/proc/sys/net/ipv4/ip_local_port_range");
  int low = 0;
  return in >> low ? low : 32768;
}
}  // namespace

int listen_on_loopback(int* port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(a);
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&a), len) != 0 || listen(fd, 16) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    if (fd >= 0) close(fd);
    return -1;
  }
  *port = ntohs(a.sin_port);
  return fd;
}

int free_port() {
  // Ports come from below the ephemeral range. A port from inside it (what
  // bind to port 0 gives) may meanwhile become the local port of some
  // outgoing connection, so the process meant to listen there fails to
  // bind; and a connect to it while nobody listens can connect the socket
  // to itself, which looks like a listener that is up. A random start keeps
  // test programs run side by side apart; a port is never given twice.
  static std::set<int> given;
  constexpr int kLowest = 10000;
  const int span = ephemeral_low() - kLowest;
  if (span < 1000) throw std::runtime_error("ephemeral port range leaves no room for test ports");
  static int next = kLowest + static_cast<int>((getpid() * 7919L + time(nullptr)) % span);
  for (int tries = 0; tries < span; ++tries) {
    int port = next;
    next = next + 1 < kLowest + span ? next + 1 : kLowest;
    if (given.count(port) == 0 && bindable(port)) {
      given.insert(port);
      return port;
    }
  }
  throw std::runtime_error("no unused port found");
}

namespace {
// A socket connected to 127.0.0.1:port, or -1.
int connect_loopback(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) return fd;
  close(fd);
  return -1;
}

// connect_loopback(port) until it succeeds or `limit` passes.
int connect_loopback_within(int port, std::chrono::milliseconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  int fd = connect_loopback(port);
  while (fd < 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(20ms);
    fd = connect_loopback(port);
  }
  return fd;
}
}  // namespace

bool wait_for_port(int port, std::chrono::milliseconds limit) {
  int fd = connect_loopback_within(port, limit);
  if (fd < 0) return false;
  close(fd);
  return true;
}

std::string read_stats(int port) {
  int fd = connect_loopback_within(port, 5s);
  std::string out;
  if (fd < 0) return out;
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  char buf[65536];
  for (ssize_t n; (n = recv(fd, buf, sizeof(buf), 0)) > 0;) out.append(buf, static_cast<size_t>(n));
  close(fd);
  return out;
}

namespace {
pid_t spawn(const std::vector<std::string>& argv, int out_fd) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = fork();
  if (pid == 0) {
    if (out_fd >= 0) {
      dup2(out_fd, STDOUT_FILENO);
      dup2(out_fd, STDERR_FILENO);
    }
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, STDIN_FILENO);
    execv(args[0], args.data());
    _exit(127);
  }
  return pid;
}

int wait_pid(pid_t pid, std::chrono::milliseconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    int status = 0;
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) return status;
    if (r < 0) return -1;
    if (std::chrono::steady_clock::now() >= deadline) return -2;
    std::this_thread::sleep_for(5ms);
  }
}
}  // namespace

Process::Process(const std::vector<std::string>& argv,
                 const std::string& log_path) {
  int fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  pid_ = spawn(argv, fd);
  if (fd >= 0) close(fd);
}

Process& Process::operator=(Process&& o) noexcept {
  if (this != &o) {
    stop();
    pid_ = o.pid_;
    o.pid_ = -1;
  }
  return *this;
}

bool Process::running() {
  if (pid_ <= 0) return false;
  int status = 0;
  pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    pid_ = -1;
    return false;
  }
  return true;
}

int Process::stop() {
  if (pid_ <= 0) return -1;
  kill(pid_, SIGTERM);
  int status = wait_pid(pid_, 10s);
  if (status == -2) {
    kill(pid_, SIGKILL);
    status = wait_pid(pid_, 10s);
  }
  pid_ = -1;
  return status;
}

int Process::wait(std::chrono::milliseconds limit) {
  if (pid_ <= 0) return -1;
  int status = wait_pid(pid_, limit);
  if (status == -2) return -1;
  pid_ = -1;
  return status;
}

int run_command(const std::vector<std::string>& argv, std::string* output,
                std::chrono::milliseconds limit) {
  char path[] = "/tmp/walnut-cmd-XXXXXX";
  int fd = mkstemp(path);
  pid_t pid = spawn(argv, fd);
  int status = wait_pid(pid, limit);
  if (status == -2) {
    kill(pid, SIGKILL);
    wait_pid(pid, 10s);
    status = -1;
  }
  *output = read_file(path);
  close(fd);
  unlink(path);
  if (status < 0 || !WIFEXITED(status)) return -1;
  return WEXITSTATUS(status);
}

RedisServer::RedisServer(const TempDir& dir, const std::vector<std::string>& extra_args)
    : RedisServer(dir, free_port(), extra_args) {}

RedisServer::RedisServer(const TempDir& dir, int port, const std::vector<std::string>& extra_args)
    : port_(port), dir_(dir.file("redis-" + std::to_string(port))) {
  fs::create_directories(dir_);
  unix_path_ = dir_ + "/redis.sock";
  argv_ = {"/usr/bin/redis-server", "--port", std::to_string(port_),
           "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
           "--unixsocket", unix_path_, "--unixsocketperm", "700",
           "--dir", dir_, "--daemonize", "no"};
  argv_.insert(argv_.end(), extra_args.begin(), extra_args.end());
  start();
}

void RedisServer::start() {
  process_ = Process(argv_, dir_ + "/redis.log");
  // Given up at once when it exits (a bad argument, its port taken).
  bool listening = false;
  wait_until([&] { return !process_.running() || (listening = wait_for_port(port_, 0ms)); }, 10s);
  if (!listening) {
    const std::string text = log();
    throw std::runtime_error("redis-server did not start on port " + std::to_string(port_) +
                             ": " + text.substr(text.size() > 2000 ? text.size() - 2000 : 0));
  }
}

std::string RedisServer::log() const { return read_file(dir_ + "/redis.log"); }

void RedisServer::crash() {
  if (process_.pid() <= 0) return;
  kill(process_.pid(), SIGKILL);
  process_.wait(10s);
}

void RedisServer::restart() {
  process_.stop();  // nothing to do after a crash()
  start();
}

std::string walnut_binary() {
  // scripts/check points this at the sanitized build for a second pass.
  const char* over = std::getenv("WALNUT_BINARY");
  return over != nullptr && *over != '\0' ? over : std::string(WALNUT_TOP_BUILDDIR) + "/walnut";
}

bool walnut_uses_asan_allocator() {
  const std::string binary = read_file(walnut_binary());
  return binary.find("libasan.so") != std::string::npos;  // linked against it
}

std::string top_srcdir() { return WALNUT_TOP_SRCDIR; }

Walnut::Walnut(const TempDir& dir, const std::string& yaml,
               const std::vector<std::string>& extra_args,
               const std::string& prefix)
    : port_(free_port()) {
  std::string text = yaml;
  for (size_t at; (at = text.find("LISTEN_PORT")) != std::string::npos;) {
    text.replace(at, 11, std::to_string(port_));
  }
  std::string conf = dir.file("walnut-" + std::to_string(port_) + ".yml");
  std::ofstream(conf) << text;
  conf_path_ = conf;
  log_path_ = dir.file("walnut-" + std::to_string(port_) + ".log");
  std::vector<std::string> argv = {walnut_binary(), "-c", conf, "-a", "127.0.0.1", "-s",
                                   std::to_string(free_port())};
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  if (!prefix.empty()) {
    std::string line = prefix + " exec";
    for (const auto& a : argv) line += " '" + a + "'";
    argv = {"/bin/sh", "-c", line};
  }
  for (size_t i = 0; i + 1 < extra_args.size(); ++i) {
    if (extra_args[i] == "-o" || extra_args[i] == "--output") output_path_ = extra_args[i + 1];
  }
  process_ = Process(argv, log_path_);
  if (text.find("127.0.0.1:" + std::to_string(port_)) == std::string::npos) return;
  // One connection that succeeds, no more: tests count walnut's clients.
  // Given up at once when walnut exits (a bad config, a port taken).
  bool listening = false;
  wait_until([&] { return !process_.running() || (listening = wait_for_port(port_, 0ms)); }, 10s);
  if (process_.pid() <= 0) throw std::runtime_error("walnut exited at startup: " + all_logs());
  if (!listening) throw std::runtime_error("walnut did not start: " + all_logs());
}

Walnut::~Walnut() {
  if (process_.pid() <= 0) return;
  int status = process_.stop();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << "walnut did not exit cleanly on SIGTERM (status " << status << "): "
      << all_logs();
  std::string text = log();
  EXPECT_EQ(text.find("Sanitizer"), std::string::npos) << text;
  EXPECT_EQ(text.find("runtime error:"), std::string::npos) << text;
}

std::string Walnut::log() const { return read_file(log_path_); }

std::string Walnut::all_logs() const {
  std::string text = log();
  if (!output_path_.empty()) text += "\n--- its log file " + output_path_ + ":\n" + read_file(output_path_);
  return text;
}

namespace {
int connect_fd(const sockaddr* addr, socklen_t len, int family) {
  int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (connect(fd, addr, len) != 0) {
    close(fd);
    return -1;
  }
  timeval tv{30, 0};  // a test must fail, not hang, when a reply never comes
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  return fd;
}
}  // namespace

Client::Client(int port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  fd_ = connect_fd(reinterpret_cast<sockaddr*>(&addr), sizeof(addr), AF_INET);
  if (fd_ >= 0) {
    int one = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  }
}

Client::Client(const std::string& unix_path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, unix_path.c_str(), sizeof(addr.sun_path) - 1);
  fd_ = connect_fd(reinterpret_cast<sockaddr*>(&addr), sizeof(addr), AF_UNIX);
}

Client::~Client() {
  if (fd_ >= 0) close(fd_);
}

void Client::send_raw(const std::string& bytes) {
  size_t at = 0;
  while (at < bytes.size()) {
    ssize_t n = ::send(fd_, bytes.data() + at, bytes.size() - at, MSG_NOSIGNAL);
    if (n <= 0) {
      if (n < 0 && errno == EINTR) continue;
      return;
    }
    at += static_cast<size_t>(n);
  }
}

std::string encode(const std::vector<std::string>& args) {
  std::string out = "*" + std::to_string(args.size()) + "\r\n";
  for (const auto& a : args) out += bulk(a);
  return out;
}

void Client::send(const std::vector<std::string>& args) { send_raw(encode(args)); }

std::string Client::call(const std::vector<std::string>& args) {
  send(args);
  return read_reply();
}

bool Client::fill() {
  if (eof_) return false;
  if (pos_ > 0 && pos_ == buf_.size()) {
    buf_.clear();
    pos_ = 0;
  }
  char tmp[65536];
  ssize_t n;
  do {
    n = ::recv(fd_, tmp, sizeof(tmp), 0);
  } while (n < 0 && errno == EINTR);
  if (n <= 0) {
    eof_ = true;
    return false;
  }
  buf_.append(tmp, static_cast<size_t>(n));
  return true;
}

std::string Client::line() {
  for (;;) {
    size_t crlf = buf_.find("\r\n", pos_);
    if (crlf != std::string::npos) {
      std::string l = buf_.substr(pos_, crlf + 2 - pos_);
      pos_ = crlf + 2;
      return l;
    }
    if (!fill()) return "";
  }
}

bool Client::read_value(std::string* out) {
  std::string l = line();
  if (l.empty()) return false;
  out->append(l);
  long long n = std::atoll(l.c_str() + 1);
  switch (l[0]) {
    case '+':
    case '-':
    case ':':
      return true;
    case '$': {
      if (n < 0) return true;
      size_t need = static_cast<size_t>(n) + 2;
      while (buf_.size() - pos_ < need) {
        if (!fill()) return false;
      }
      out->append(buf_, pos_, need);
      pos_ += need;
      return true;
    }
    case '*':
      for (long long i = 0; i < n; ++i) {
        if (!read_value(out)) return false;
      }
      return true;
    default:
      return false;
  }
}

std::string Client::read_reply() {
  std::string out;
  if (!read_value(&out)) return "";
  return out;
}

bool Client::closed_by_peer(std::chrono::milliseconds limit) {
  pollfd p{fd_, POLLIN, 0};
  if (pos_ < buf_.size()) return false;  // unread bytes: not closed yet
  if (poll(&p, 1, static_cast<int>(limit.count())) <= 0) return false;
  char c;
  ssize_t n = ::recv(fd_, &c, 1, MSG_DONTWAIT);
  return n == 0 || (n < 0 && errno == ECONNRESET);
}

void Client::shutdown_write() { ::shutdown(fd_, SHUT_WR); }

}  // namespace walnut::e2e
