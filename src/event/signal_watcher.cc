// Signals through a signalfd for signal_watcher.h: the watched signals are
// blocked, so the kernel only marks them pending (a flood costs the sender,
// not walnut: no handler runs, no system call is interrupted), and the loop
// reads them from one descriptor.
#include "event/signal_watcher.h"

#include <sys/signalfd.h>
#include <unistd.h>

#include <csignal>
#include <new>
#include <vector>

namespace walnut::event {

namespace {

sigset_t g_mask;  // the signals routed to g_fd
int g_fd = -1;
::event* g_read_event = nullptr;
// After a round of callbacks the descriptor is not watched for this long:
// a flood then costs at most one round per pause, whatever its rate.
constexpr timeval kPause = {0, 10 * 1000};
::event* g_resume_event = nullptr;
std::vector<SignalWatcher*> g_watchers;

void resume_watching(evutil_socket_t, short, void*) { event_add(g_read_event, nullptr); }

void close_signal_fd() {
  if (g_read_event != nullptr) event_free(g_read_event);
  if (g_resume_event != nullptr) event_free(g_resume_event);
  g_read_event = g_resume_event = nullptr;
  if (g_fd >= 0) close(g_fd);
  g_fd = -1;
}

}  // namespace

void SignalWatcher::init(Loop& loop, int signo, std::function<void()> cb) {
  reset();
  if (g_watchers.empty()) sigemptyset(&g_mask);
  sigaddset(&g_mask, signo);
  sigset_t one;
  sigemptyset(&one);
  sigaddset(&one, signo);
  sigprocmask(SIG_BLOCK, &one, nullptr);
  g_fd = signalfd(g_fd, &g_mask, SFD_NONBLOCK | SFD_CLOEXEC);
  if (g_fd < 0) throw std::bad_alloc();
  if (g_read_event == nullptr) {
    g_read_event = event_new(loop.base(), g_fd, EV_READ | EV_PERSIST, on_readable, nullptr);
    g_resume_event = evtimer_new(loop.base(), resume_watching, nullptr);
    if (g_read_event == nullptr || g_resume_event == nullptr) throw std::bad_alloc();
    event_add(g_read_event, nullptr);
  }
  signo_ = signo;
  cb_ = std::move(cb);
  g_watchers.push_back(this);
}

void SignalWatcher::reset() {
  if (signo_ == 0) return;
  // The signal stays blocked: walnut is on its way out, and one pending now
  // must not kill it with the default action.
  sigdelset(&g_mask, signo_);
  std::erase(g_watchers, this);
  if (g_watchers.empty()) {
    close_signal_fd();
  } else {
    signalfd(g_fd, &g_mask, SFD_NONBLOCK | SFD_CLOEXEC);
  }
  signo_ = 0;
}

void SignalWatcher::on_readable(evutil_socket_t fd, short, void*) {
  bool seen[NSIG] = {};
  signalfd_siginfo info[16];
  for (int round = 0; round < 64; ++round) {  // bounded: the rest waits for the next round
    const ssize_t n = read(fd, info, sizeof info);
    if (n <= 0) break;
    for (size_t i = 0; i < static_cast<size_t>(n) / sizeof info[0]; ++i) {
      if (info[i].ssi_signo < NSIG) seen[info[i].ssi_signo] = true;
    }
  }
  event_del(g_read_event);
  evtimer_add(g_resume_event, &kPause);
  // By index: a callback may stop the loop, never remove a watcher.
  for (size_t i = 0; i < g_watchers.size(); ++i) {
    if (seen[g_watchers[i]->signo_]) g_watchers[i]->cb_();
  }
}

}  // namespace walnut::event
