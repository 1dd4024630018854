// ReadWatch: one persistent read event, assigned in place.
#include "event/read_watch.h"

#include <new>

namespace walnut::event {

void ReadWatch::start(Loop& loop, int fd, Callback cb, void* arg) {
  cancel();
  if (event_assign(&ev_, loop.base(), fd, EV_READ | EV_PERSIST, cb, arg) != 0 ||
      event_add(&ev_, nullptr) != 0) {
    throw std::bad_alloc();
  }
  armed_ = true;
}

void ReadWatch::cancel() {
  if (!armed_) return;
  event_del(&ev_);
  armed_ = false;
}

}  // namespace walnut::event
