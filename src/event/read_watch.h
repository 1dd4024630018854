// ReadWatch: calls back while an fd is readable (bytes, or the peer hanging
// up), until cancelled, with libevent's event held inside the object rather
// than allocated apart: for sockets that may wait long and should cost
// little while they do (a client connection that has sent nothing yet).
// Persistent, so that handing the fd to another watcher inside the callback
// (which adds its own event, then cancels this one) changes nothing in the
// kernel's epoll set.
#pragma once

#include <event2/event.h>
#include <event2/event_struct.h>

#include "common/non_copyable.h"
#include "event/loop.h"

namespace walnut::event {

class ReadWatch : private NonCopyable {
 public:
  // libevent's own callback: `arg` is what start() was given.
  using Callback = event_callback_fn;

  ReadWatch() = default;
  ~ReadWatch() { cancel(); }

  // Watches `fd`: `cb(fd, EV_READ, arg)` each time the loop finds it
  // readable, until cancel(). The object must stay where it is meanwhile.
  // The callback may cancel the watch or destroy it: libevent touches the
  // event no more after calling it.
  void start(Loop& loop, int fd, Callback cb, void* arg);
  void cancel();
  bool armed() const { return armed_; }

 private:
  ::event ev_{};
  bool armed_ = false;
};

}  // namespace walnut::event
