// The process-wide budget for unfinished requests.
#include "proxy/request_budget.h"

namespace walnut::proxy {

void RequestBudget::resize(Holder& holder, uint64_t bytes) {
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

void RequestBudget::give_back(uint64_t* charge) {
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
