// A small blocking memcached ASCII client (see memcache_client.h).
#include "tests/e2e/memcache_client.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <sstream>
#include <vector>

namespace walnut::e2e {

namespace {

std::vector<std::string> split_spaces(const std::string& line) {
  std::vector<std::string> out;
  std::istringstream in(line);
  for (std::string t; in >> t;) out.push_back(t);
  return out;
}

bool all_digits(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

bool starts_with(const std::string& s, const char* prefix) {
  return s.rfind(prefix, 0) == 0;
}

// The data length a VALUE line ("VALUE key flags bytes [cas]") or a VA line
// ("VA bytes flags...") announces; -1 when it announces none.
long long announced_length(const std::string& line) {
  std::vector<std::string> t = split_spaces(line);
  if (starts_with(line, "VALUE ") && t.size() >= 4 && all_digits(t[3])) {
    return std::atoll(t[3].c_str());
  }
  if (starts_with(line, "VA ") && t.size() >= 2 && all_digits(t[1])) {
    return std::atoll(t[1].c_str());
  }
  return -1;
}

}  // namespace

McClient::McClient(int port, std::chrono::milliseconds timeout)
    : timeout_(timeout) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  timeval tv{10, 0};  // a peer that stops reading must not hang a send
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  fd_ = fd;
}

McClient::~McClient() {
  if (fd_ >= 0) close(fd_);
}

bool McClient::send_raw(const std::string& bytes) {
  if (fd_ < 0) return false;
  size_t at = 0;
  while (at < bytes.size()) {
    ssize_t n = ::send(fd_, bytes.data() + at, bytes.size() - at, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    at += static_cast<size_t>(n);
  }
  return true;
}

bool McClient::fill(std::chrono::steady_clock::time_point deadline) {
  if (fd_ < 0 || eof_) return false;
  if (pos_ > 0 && pos_ == buf_.size()) {
    buf_.clear();
    pos_ = 0;
  }
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      eof_ = true;  // timed out: treat as gone (see healthy())
      return false;
    }
    pollfd p{fd_, POLLIN, 0};
    int r = poll(&p, 1, static_cast<int>(left.count()));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) continue;  // the deadline check above ends the wait
    char tmp[65536];
    ssize_t n = ::recv(fd_, tmp, sizeof(tmp), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      eof_ = true;
      return false;
    }
    buf_.append(tmp, static_cast<size_t>(n));
    return true;
  }
}

std::string McClient::read_line() {
  auto deadline = std::chrono::steady_clock::now() + timeout_;
  for (;;) {
    size_t crlf = buf_.find("\r\n", pos_);
    if (crlf != std::string::npos) {
      std::string l = buf_.substr(pos_, crlf + 2 - pos_);
      pos_ = crlf + 2;
      return l;
    }
    if (!fill(deadline)) return "";
  }
}

std::string McClient::read_bytes(size_t n) {
  auto deadline = std::chrono::steady_clock::now() + timeout_;
  while (buf_.size() - pos_ < n) {
    if (!fill(deadline)) return "";
  }
  std::string out = buf_.substr(pos_, n);
  pos_ += n;
  return out;
}

std::string McClient::read_reply() {
  std::string out = read_line();
  if (out.empty()) return out;
  std::string line = out;
  for (;;) {
    long long len = announced_length(line);
    if (len < 0) return out;  // a one-line reply, or the line after VALUEs
    std::string data = read_bytes(static_cast<size_t>(len) + 2);
    if (data.empty()) return out;
    out += data;
    if (starts_with(line, "VA ")) return out;  // one block, no END
    line = read_line();
    if (line.empty()) return out;
    out += line;
  }
}

std::string McClient::read_until_end() {
  std::string out;
  for (;;) {
    std::string l = read_line();
    out += l;
    if (l.empty() || l == "END\r\n" || starts_with(l, "ERROR") ||
        starts_with(l, "CLIENT_ERROR") || starts_with(l, "SERVER_ERROR")) {
      return out;
    }
  }
}

bool McClient::closed_by_peer(std::chrono::milliseconds limit) {
  if (fd_ < 0 || buffered() > 0) return false;
  if (eof_) return true;
  pollfd p{fd_, POLLIN, 0};
  if (poll(&p, 1, static_cast<int>(limit.count())) <= 0) return false;
  char c;
  ssize_t n = ::recv(fd_, &c, 1, MSG_DONTWAIT);
  return n == 0 || (n < 0 && errno == ECONNRESET);
}

bool McClient::quiet_for(std::chrono::milliseconds limit) {
  if (fd_ < 0 || buffered() > 0) return false;
  pollfd p{fd_, POLLIN, 0};
  return poll(&p, 1, static_cast<int>(limit.count())) == 0;
}

std::map<std::string, std::string> mc_stats(McClient& c) {
  std::map<std::string, std::string> out;
  c.send_raw("stats\r\n");
  std::istringstream in(c.read_until_end());
  for (std::string line; std::getline(in, line);) {
    std::vector<std::string> t = split_spaces(line);
    if (t.size() == 3 && t[0] == "STAT") out[t[1]] = t[2];
  }
  return out;
}

long long mc_stat(McClient& c, const std::string& name) {
  auto all = mc_stats(c);
  auto it = all.find(name);
  return it == all.end() ? -1 : std::atoll(it->second.c_str());
}

std::string mask_cas(const std::string& reply) {
  std::string out;
  size_t pos = 0;
  while (pos < reply.size()) {
    size_t crlf = reply.find("\r\n", pos);
    if (crlf == std::string::npos) {
      out += reply.substr(pos);
      break;
    }
    std::string line = reply.substr(pos, crlf - pos);
    pos = crlf + 2;
    long long len = announced_length(line + "\r\n");
    if (starts_with(line, "VALUE ")) {
      std::vector<std::string> t = split_spaces(line);
      if (t.size() == 5 && all_digits(t[4])) {
        line = t[0] + " " + t[1] + " " + t[2] + " " + t[3] + " #";
      }
    }
    out += line + "\r\n";
    if (len >= 0) {
      size_t n = std::min(reply.size() - pos, static_cast<size_t>(len) + 2);
      out += reply.substr(pos, n);
      pos += n;
    }
  }
  return out;
}

std::vector<std::string> value_keys(const std::string& reply) {
  std::vector<std::string> keys;
  size_t pos = 0;
  while (pos < reply.size()) {
    size_t crlf = reply.find("\r\n", pos);
    if (crlf == std::string::npos) break;
    std::string line = reply.substr(pos, crlf + 2 - pos);
    pos = crlf + 2;
    long long len = announced_length(line);
    if (starts_with(line, "VALUE ")) keys.push_back(split_spaces(line)[1]);
    if (len >= 0) pos += static_cast<size_t>(len) + 2;
  }
  return keys;
}

std::vector<int> mc_locate(const std::vector<int>& ports,
                           const std::vector<std::string>& keys) {
  std::vector<int> where(keys.size(), -1);
  for (size_t s = 0; s < ports.size(); ++s) {
    McClient c(ports[s]);
    std::string line = "get";
    for (const auto& k : keys) line += " " + k;
    std::vector<std::string> found = value_keys(c.call(line + "\r\n"));
    // memcached answers hits in request order: walk both lists together.
    size_t f = 0;
    for (size_t i = 0; i < keys.size() && f < found.size(); ++i) {
      if (keys[i] != found[f]) continue;
      ++f;
      where[i] = where[i] == -1 ? static_cast<int>(s) : -2;
    }
  }
  return where;
}

std::string first_cas(const std::string& reply) {
  size_t crlf = reply.find("\r\n");
  if (!starts_with(reply, "VALUE ") || crlf == std::string::npos) return "";
  std::vector<std::string> t = split_spaces(reply.substr(0, crlf));
  return t.size() == 5 && all_digits(t[4]) ? t[4] : "";
}

}  // namespace walnut::e2e
