// A scripted fake Redis Cluster node, for what a real cluster rarely shows:
// a slot map with holes, a node that redirects to itself, two nodes that
// redirect to each other, a node that never answers or hangs up. It listens
// on 127.0.0.1, serves any number of connections from one thread, reads
// RESP requests (arrays of bulk strings, or inline commands) and answers
// each with what a callback returns for it. Every request is recorded for
// the test to look at. Everything stops by stop(), the destructor, or
// `lifetime` after the start, whichever comes first.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "tests/e2e/resp_reply.h"

namespace walnut::e2e {

// A fake's answer to one request: raw bytes sent as they are ("" sends
// nothing: the request stays unanswered), after which the connection is
// closed when `close` is set.
struct FakeReply {
  FakeReply(std::string raw = "", bool close_after = false)  // NOLINT: implicit on purpose
      : bytes(std::move(raw)), close(close_after) {}
  FakeReply(const char* raw) : bytes(raw) {}  // NOLINT: so a literal is a reply
  std::string bytes;
  bool close = false;
};

// Called on the fake's thread for each request, in the order they came.
using FakeResponder = std::function<FakeReply(const Args& request)>;

struct FakeRequest {
  int connection = 0;  // 0 for the first connection accepted, then 1, ...
  Args args;
};

class FakeClusterNode {
 public:
  // Starts listening and serving at once; port() is known on return, so a
  // responder can be set afterwards that names it (or another fake's).
  explicit FakeClusterNode(FakeResponder respond = nullptr,
                           std::chrono::milliseconds lifetime = std::chrono::seconds(120));
  ~FakeClusterNode() { stop(); }
  FakeClusterNode(const FakeClusterNode&) = delete;
  FakeClusterNode& operator=(const FakeClusterNode&) = delete;

  // -1 when no listening socket could be made.
  int port() const { return port_; }
  // Replaces the callback for the requests that come from now on. Without
  // one, every request gets an error naming it.
  void set_responder(FakeResponder respond);

  // Every request received so far, in order.
  std::vector<FakeRequest> requests() const;
  // How many of them were the command `name` (any case: "get", "GET").
  int count(const std::string& name) const;
  // True once `n` requests have come in, within `limit`.
  bool wait_for_requests(size_t n, std::chrono::milliseconds limit) const;
  int accepted() const { return accepted_; }

  // Closes the listening socket and every connection, then returns: connects
  // are refused from then on, as by a node that went away.
  void stop();

 private:
  struct Connection {
    int fd;
    int number;
    std::string in;
  };

  void run(std::chrono::steady_clock::time_point deadline);
  // Answers the whole requests in c.in; false when the connection is to be
  // closed (the responder said so, a protocol error, a failed send).
  bool serve(Connection& c);
  FakeReply answer(const Args& request);

  int listen_fd_ = -1;
  int port_ = -1;
  std::vector<Connection> connections_;  // the fake's thread only
  std::vector<char> read_buffer_;       // the fake's thread only
  mutable std::mutex mutex_;             // guards responder_ and requests_
  FakeResponder responder_;
  std::vector<FakeRequest> requests_;
  std::atomic<bool> stop_{false};
  std::atomic<int> accepted_{0};
  std::thread thread_;
};

// Replies to script a fake with.
std::string error_reply(const std::string& text);  // "-<text>\r\n"
std::string moved_reply(int slot, int port);       // -MOVED <slot> 127.0.0.1:<port>
std::string ask_reply(int slot, int port);         // -ASK <slot> 127.0.0.1:<port>

// One whole request of `in` from `at` (advanced past it) into *args: true
// when one was there, false when more bytes are needed; *bad set when the
// bytes are no request.
bool take_request(const std::string& in, size_t* at, Args* args, bool* bad);

}  // namespace walnut::e2e
