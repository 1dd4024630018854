// The scripted fake cluster node of fake_cluster_node.h.
#include "tests/e2e/fake_cluster_node.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <exception>
#include <sstream>

#include "tests/e2e/harness.h"

namespace walnut::e2e {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

// Larger lengths are taken for garbage, not waited for.
constexpr long long kMaxArgs = 1 << 20;
constexpr long long kMaxBulk = 64 << 20;

// The line at `at` (no CRLF) and where the next one starts, or false.
bool take_line(const std::string& in, size_t at, std::string* line, size_t* next) {
  const size_t crlf = in.find("\r\n", at);
  if (crlf == std::string::npos) return false;
  *line = in.substr(at, crlf - at);
  *next = crlf + 2;
  return true;
}

// A length after a '*' or '$', or -1 when it is none.
long long length_of(const std::string& line, long long max) {
  if (line.size() < 2 || line.size() > 12) return -1;
  for (size_t i = 1; i < line.size(); ++i) {
    if (!std::isdigit(static_cast<unsigned char>(line[i]))) return -1;
  }
  const long long n = std::atoll(line.c_str() + 1);
  return n <= max ? n : -1;
}

bool send_all(int fd, const std::string& bytes) {
  for (size_t at = 0; at < bytes.size();) {
    const ssize_t n = send(fd, bytes.data() + at, bytes.size() - at, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;  // SO_SNDTIMEO: a client that stopped reading
    at += static_cast<size_t>(n);
  }
  return true;
}

bool same_name(const std::string& a, const std::string& b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

bool take_request(const std::string& in, size_t* at, Args* args, bool* bad) {
  *bad = false;
  args->clear();
  std::string line;
  size_t pos = *at;
  if (!take_line(in, pos, &line, &pos)) return false;
  if (line.empty() || line[0] != '*') {
    // An inline command: words split by spaces.
    std::istringstream words(line);
    for (std::string w; words >> w;) args->push_back(w);
    *at = pos;
    return true;
  }
  const long long count = length_of(line, kMaxArgs);
  if (count < 0) {
    *bad = true;
    return false;
  }
  for (long long i = 0; i < count; ++i) {
    if (!take_line(in, pos, &line, &pos)) return false;
    const long long size = line[0] == '$' ? length_of(line, kMaxBulk) : -1;
    if (size < 0) {
      *bad = true;
      return false;
    }
    if (in.size() < pos + static_cast<size_t>(size) + 2) return false;
    if (in.compare(pos + static_cast<size_t>(size), 2, "\r\n") != 0) {
      *bad = true;
      return false;
    }
    args->push_back(in.substr(pos, static_cast<size_t>(size)));
    pos += static_cast<size_t>(size) + 2;
  }
  *at = pos;
  return true;
}

std::string error_reply(const std::string& text) { return "-" + text + "\r\n"; }

std::string moved_reply(int slot, int port) {
  return error_reply("MOVED " + std::to_string(slot) + " 127.0.0.1:" + std::to_string(port));
}

std::string ask_reply(int slot, int port) {
  return error_reply("ASK " + std::to_string(slot) + " 127.0.0.1:" + std::to_string(port));
}

FakeClusterNode::FakeClusterNode(FakeResponder respond, std::chrono::milliseconds lifetime)
    : responder_(std::move(respond)) {
  listen_fd_ = listen_on_loopback(&port_);
  if (listen_fd_ < 0) {
    port_ = -1;
    return;
  }
  const auto deadline = Clock::now() + lifetime;
  thread_ = std::thread([this, deadline] { run(deadline); });
}

void FakeClusterNode::stop() {
  stop_ = true;
  // The thread closes every socket as it ends.
  if (thread_.joinable()) thread_.join();
}

void FakeClusterNode::set_responder(FakeResponder respond) {
  std::lock_guard<std::mutex> lock(mutex_);
  responder_ = std::move(respond);
}

std::vector<FakeRequest> FakeClusterNode::requests() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return requests_;
}

int FakeClusterNode::count(const std::string& name) const {
  std::lock_guard<std::mutex> lock(mutex_);
  int n = 0;
  for (const FakeRequest& r : requests_) n += !r.args.empty() && same_name(r.args[0], name) ? 1 : 0;
  return n;
}

bool FakeClusterNode::wait_for_requests(size_t n, std::chrono::milliseconds limit) const {
  return wait_until(
      [&] {
        std::lock_guard<std::mutex> lock(mutex_);
        return requests_.size() >= n;
      },
      limit);
}

void FakeClusterNode::run(Clock::time_point deadline) {
  while (!stop_ && Clock::now() < deadline) {
    std::vector<pollfd> fds{{listen_fd_, POLLIN, 0}};
    for (const Connection& c : connections_) fds.push_back({c.fd, POLLIN, 0});
    if (poll(fds.data(), fds.size(), 20) <= 0) continue;
    // fds[i + 1] is connections_[i]: closed ones are dropped only after.
    std::vector<Connection> keep;
    for (size_t i = 0; i < connections_.size(); ++i) {
      Connection& c = connections_[i];
      bool open = true;
      if (fds[i + 1].revents != 0) {
        // Large reads: a request is parsed again from its start on each
        // read until it is whole, and a test may send megabytes.
        std::vector<char>& buf = read_buffer_;
        buf.resize(1 << 20);
        const ssize_t n = read(c.fd, buf.data(), buf.size());
        open = n > 0 || (n < 0 && errno == EINTR);
        if (n > 0) {
          c.in.append(buf.data(), static_cast<size_t>(n));
          open = serve(c);
        }
      }
      if (open) {
        keep.push_back(std::move(c));
      } else {
        close(c.fd);
      }
    }
    connections_ = std::move(keep);
    if (fds[0].revents & POLLIN) {
      const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd >= 0) {
        // A client that stops reading fails a send after 5 s, rather than
        // holding the fake's thread.
        timeval tv{5, 0};
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
        connections_.push_back({fd, accepted_++, ""});
      }
    }
  }
  // Stopped or out of time: a client must then see the node gone, not a
  // connect that is never accepted.
  for (const Connection& c : connections_) close(c.fd);
  connections_.clear();
  close(listen_fd_);
  listen_fd_ = -1;
}

bool FakeClusterNode::serve(Connection& c) {
  size_t at = 0;
  Args args;
  bool bad = false;
  // Each pass takes at least one whole request off c.in: bounded by its size.
  while (take_request(c.in, &at, &args, &bad)) {
    if (args.empty()) continue;  // an empty inline line: Redis ignores it too
    {
      std::lock_guard<std::mutex> lock(mutex_);
      requests_.push_back({c.number, args});
    }
    const FakeReply reply = answer(args);
    if (!reply.bytes.empty() && !send_all(c.fd, reply.bytes)) return false;
    if (reply.close) return false;
  }
  c.in.erase(0, at);
  if (bad) send_all(c.fd, error_reply("ERR Protocol error"));
  return !bad;
}

FakeReply FakeClusterNode::answer(const Args& request) {
  FakeResponder respond;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    respond = responder_;
  }
  if (!respond) return error_reply("ERR fake node has no answer for '" + request[0] + "'");
  // An exception must not end the thread (and the test program with it).
  try {
    return respond(request);
  } catch (const std::exception& e) {
    return error_reply(std::string("ERR fake node's script threw: ") + e.what());
  }
}

}  // namespace walnut::e2e
