// A small blocking memcached ASCII client for the end-to-end tests, written
// apart from walnut's parsers: it frames each reply by the protocol's own
// rules (VALUE blocks up to the line after them, one VA block, or one line),
// never by knowing which command was sent, so that a misplaced reply shows.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <string>
#include <vector>

namespace walnut::e2e {

class McClient {
 public:
  // `timeout` bounds each read_* call: a reply that never comes fails the
  // test instead of hanging it.
  explicit McClient(int port,
                    std::chrono::milliseconds timeout = std::chrono::seconds(5));
  ~McClient();
  McClient(const McClient&) = delete;
  McClient& operator=(const McClient&) = delete;

  bool connected() const { return fd_ >= 0; }
  // False once a read met EOF or its time limit: later reads then return ""
  // at once, so a silent peer costs one time limit, not one per command.
  bool healthy() const { return fd_ >= 0 && !eof_; }
  bool send_raw(const std::string& bytes);
  // One line with its CRLF; "" on EOF or timeout.
  std::string read_line();
  // Exactly `n` bytes; "" (and unhealthy) on EOF or timeout.
  std::string read_bytes(size_t n);
  // One whole reply, raw; "" when none came. A reply cut short by EOF comes
  // back as far as it got.
  std::string read_reply();
  std::string call(const std::string& request) {
    send_raw(request);
    return read_reply();
  }
  // Lines up to and including "END\r\n" (or a lone error line), raw.
  std::string read_until_end();
  // True when the peer closes the connection within `limit` and no unread
  // byte came before the close.
  bool closed_by_peer(std::chrono::milliseconds limit);
  // True when no byte arrives within `limit` (and none is buffered).
  bool quiet_for(std::chrono::milliseconds limit);
  // Bytes received but not yet read.
  size_t buffered() const { return buf_.size() - pos_; }

 private:
  bool fill(std::chrono::steady_clock::time_point deadline);

  int fd_ = -1;
  std::chrono::milliseconds timeout_;
  std::string buf_;
  size_t pos_ = 0;
  bool eof_ = false;
};

// memcached's "stats" on a connection, by name.
std::map<std::string, std::string> mc_stats(McClient& c);
// One number from mc_stats (-1 when absent).
long long mc_stat(McClient& c, const std::string& name);

// `reply` with each cas unique (the fifth token of a VALUE line, as gets
// and gats send) replaced by "#". A fifth token that is not a number is
// left as it is, so that comparing masked replies still catches it. Data
// blocks are skipped by their announced length, never searched.
std::string mask_cas(const std::string& reply);

// The keys of the VALUE blocks of a retrieval reply, in order.
std::vector<std::string> value_keys(const std::string& reply);

// Which of `ports` (memcached servers, asked directly with one get each)
// holds each key: an index, -1 for none, -2 for more than one.
std::vector<int> mc_locate(const std::vector<int>& ports,
                           const std::vector<std::string>& keys);

// The cas unique of the first VALUE line of a gets/gats reply ("" if none).
std::string first_cas(const std::string& reply);

}  // namespace walnut::e2e
