// libevent plumbing for loop.h.
#include "event/loop.h"

#include <new>
#include <utility>

namespace walnut::event {

Loop::Loop() : base_(event_base_new()) {
  if (base_ == nullptr) throw std::bad_alloc();
}

Loop::~Loop() { event_base_free(base_); }

int Loop::run(const std::function<void()>& after_iteration) {
  while (!stopping_) {
    int rc = event_base_loop(base_, EVLOOP_ONCE);
    if (rc < 0) return rc;
    if (rc == 1) return 0;  // nothing left to watch
    after_iteration();
  }
  stopping_ = false;  // a later run() runs again (tests drive it in phases)
  return 0;
}

void IoWatcher::init(Loop& loop, int fd, Callback cb, void* ctx) {
  reset();
  cb_ = cb;
  ctx_ = ctx;
  // One event for both directions (its interest is changed in place): an
  // event costs about 150 bytes, and thousands of idle connections add up.
  ev_ = event_new(loop.base(), fd, EV_PERSIST, on_event, this);
  if (ev_ == nullptr) throw std::bad_alloc();
}

void IoWatcher::reset() {
  if (ev_) event_free(ev_);
  ev_ = nullptr;
  read_on_ = write_on_ = activated_ = false;
}

void IoWatcher::want_read(bool on) {
  if (ev_ == nullptr || on == read_on_) return;
  read_on_ = on;
  update();
}

void IoWatcher::want_write(bool on) {
  if (ev_ == nullptr || on == write_on_) return;
  write_on_ = on;
  update();
}

void IoWatcher::activate_read() {
  if (ev_ == nullptr || !read_on_) return;
  activated_ = true;
  event_active(ev_, EV_READ, 0);
}

void IoWatcher::update() {
  // Only a non-pending event may be re-assigned. libevent folds the delete
  // and the add into one epoll_ctl.
  event_del(ev_);
  const short what = static_cast<short>((read_on_ ? EV_READ : 0) | (write_on_ ? EV_WRITE : 0));
  if (what == 0) return;
  event_assign(ev_, event_get_base(ev_), event_get_fd(ev_), what | EV_PERSIST, on_event, this);
  event_add(ev_, nullptr);
  // event_del dropped an activation not yet run: keep it.
  if (activated_ && read_on_) event_active(ev_, EV_READ, 0);
}

void IoWatcher::on_event(evutil_socket_t, short what, void* arg) {
  auto* self = static_cast<IoWatcher*>(arg);
  self->activated_ = false;
  self->cb_(self->ctx_, what);
}

void Timer::init(Loop& loop, std::function<void()> cb) {
  reset();
  cb_ = std::move(cb);
  ev_ = event_new(loop.base(), -1, 0, on_timer, this);
  if (ev_ == nullptr) throw std::bad_alloc();
}

void Timer::start(uint64_t ms, bool repeat) {
  if (ev_ == nullptr) return;
  event_del(ev_);
  event_assign(ev_, event_get_base(ev_), -1, repeat ? EV_PERSIST : 0, on_timer,
               this);
  struct timeval tv;
  tv.tv_sec = static_cast<time_t>(ms / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms % 1000) * 1000);
  event_add(ev_, &tv);
}

void Timer::stop() {
  if (ev_) event_del(ev_);
}

void Timer::reset() {
  if (ev_) event_free(ev_);
  ev_ = nullptr;
}

bool Timer::pending() const {
  return ev_ != nullptr && event_pending(ev_, EV_TIMEOUT, nullptr);
}

void Timer::on_timer(evutil_socket_t, short, void* arg) {
  auto* self = static_cast<Timer*>(arg);
  self->cb_();
}

}  // namespace walnut::event
