// The process-wide budget for unfinished requests.
#include "proxy/request_budget.h"

namespace walnut::proxy {

void RequestBudget::update(Holder& holder, uint64_t bytes) {
  if (bytes == holder.bytes_) return;  // the usual case: nothing under way
  const bool gave_back = bytes < holder.bytes_;
  held_ = held_ - holder.bytes_ + bytes;
  holder.bytes_ = bytes;
  if (bytes > kLargeRequest) {
    if (!holder.hook_.linked()) line_.push_back(&holder);
  } else if (holder.hook_.linked()) {
    line_.remove(&holder);
  }
  if (gave_back && waiting_ > 0) wake();
}

bool RequestBudget::may_read(const Holder& holder) const {
  return limit_ == 0 || held_ + forwarded_ <= limit_ || !holder.hook_.linked() ||
         (line_.front() == &holder && forwarded_ < limit_);
}

void RequestBudget::charge(uint64_t bytes, uint64_t* charge) {
  if (bytes <= kLargeRequest) return;
  *charge = bytes;
  forwarded_ += bytes;
}

void RequestBudget::discharge(uint64_t* charge) {
  if (*charge == 0) return;
  forwarded_ -= *charge;
  *charge = 0;
  if (waiting_ > 0) wake();
}

void RequestBudget::wait(Holder& holder) {
  if (holder.waiting_) return;
  holder.waiting_ = true;
  ++waiting_;
}

void RequestBudget::release(Holder& holder) {
  if (holder.waiting_) {
    holder.waiting_ = false;
    --waiting_;
  }
  update(holder, 0);
}

void RequestBudget::wake() {
  // In line order: the oldest large request first.
  for (Holder* h = line_.front(); h != nullptr && waiting_ > 0;) {
    Holder* next = line_.next(h);
    if (h->waiting_ && may_read(*h)) {
      h->waiting_ = false;
      --waiting_;
      h->budget_available();
    }
    h = next;
  }
}

}  // namespace walnut::proxy
