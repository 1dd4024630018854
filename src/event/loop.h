// RAII over libevent: the one event loop, fd watchers and timers (signals:
// signal_watcher.h).
//
// The loop runs libevent one iteration at a time and, after each iteration,
// calls the after-iteration hook. The proxy uses that hook to flush every
// connection that gained output during the iteration with one writev each,
// so that requests from many clients to one server leave together.
#pragma once

#include <event2/event.h>

#include <cstdint>
#include <functional>

#include "common/non_copyable.h"

namespace walnut::event {

class Loop : private NonCopyable {
 public:
  Loop();
  ~Loop();

  event_base* base() { return base_; }
  // After fork() (daemonizing), as libevent requires of the child.
  bool reinit_after_fork() { return event_reinit(base_) == 0; }

  // Runs until stop(); `after_iteration` runs after each batch of callbacks.
  // A later call runs again.
  int run(const std::function<void()>& after_iteration);
  void stop() { stopping_ = true; event_base_loopbreak(base_); }

 private:
  event_base* base_;
  bool stopping_ = false;
};

// Watches one fd for readability and, on demand, writability. The callback
// receives the libevent flags (EV_READ / EV_WRITE).
class IoWatcher : private NonCopyable {
 public:
  using Callback = void (*)(void* ctx, short what);
  IoWatcher() = default;
  ~IoWatcher() { reset(); }

  void init(Loop& loop, int fd, Callback cb, void* ctx);
  void reset();  // drops both events; the fd is not closed
  void want_read(bool on);
  void want_write(bool on);
  bool wants_write() const { return write_on_; }
  bool wants_read() const { return read_on_; }
  // Runs the read callback in this loop iteration, as if the fd had turned
  // readable: for bytes that wait in a buffer above the socket (TLS).
  void activate_read();

 private:
  static void on_event(evutil_socket_t fd, short what, void* arg);
  void update();  // applies read_on_ and write_on_ to the event
  ::event* ev_ = nullptr;
  bool read_on_ = false;
  bool write_on_ = false;
  bool activated_ = false;  // activate_read() ran; its callback has not yet
  Callback cb_ = nullptr;
  void* ctx_ = nullptr;
};

// A one-shot or repeating timer.
class Timer : private NonCopyable {
 public:
  Timer() = default;
  ~Timer() { reset(); }

  void init(Loop& loop, std::function<void()> cb);
  void start(uint64_t ms, bool repeat = false);
  void stop();
  void reset();
  bool pending() const;

 private:
  static void on_timer(evutil_socket_t, short, void* arg);
  ::event* ev_ = nullptr;
  std::function<void()> cb_;
};

}  // namespace walnut::event
