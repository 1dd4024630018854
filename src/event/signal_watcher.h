// SignalWatcher: a signal handled on the loop, not in signal context, at
// most once per loop iteration however many arrive.
//
// A flood of signals (a script sending SIGHUP in a loop) must not starve
// the data path. libevent's own signal events run a handler that writes to
// a socketpair for every delivery, then run the callback once per delivery:
// a flood kept walnut in signal handling and served nothing. Here the
// watched signals are blocked and read from a signalfd, so a delivery costs
// walnut nothing, and the loop runs the callbacks of the signals that came
// at most once every 10 ms (the kernel merges pending signals of one kind
// anyway: "once per signal" was never exact).
#pragma once

#include <functional>

#include "common/non_copyable.h"
#include "event/loop.h"

namespace walnut::event {

class SignalWatcher : private NonCopyable {
 public:
  SignalWatcher() = default;
  ~SignalWatcher() { reset(); }

  // One watcher per signal in the process; all on the same loop.
  void init(Loop& loop, int signo, std::function<void()> cb);
  // Restores the signal's default action.
  void reset();

 private:
  static void on_readable(evutil_socket_t fd, short, void*);
  int signo_ = 0;
  std::function<void()> cb_;
};

}  // namespace walnut::event
