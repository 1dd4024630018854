// A minimal intrusive doubly-linked list for the hot-path queues (a Msg sits
// in its client's queue and in a server connection's queue at once, without
// allocation). An element embeds one ListHook per list it can be on.
#pragma once

#include <cstddef>

#include "common/non_copyable.h"

namespace walnut {

struct ListHook {
  ListHook* prev = nullptr;
  ListHook* next = nullptr;
  void* owner = nullptr;  // the element that embeds this hook
  bool linked() const { return next != nullptr; }
};

template <typename T, ListHook T::*Hook>
class IntrusiveList : private NonCopyable {
 public:
  IntrusiveList() { head_.prev = head_.next = &head_; }

  bool empty() const { return head_.next == &head_; }
  size_t size() const { return size_; }
  T* front() const { return empty() ? nullptr : owner(head_.next); }
  T* back() const { return empty() ? nullptr : owner(head_.prev); }
  T* next(T* item) const {
    ListHook* h = (item->*Hook).next;
    return h == &head_ ? nullptr : owner(h);
  }

  void push_back(T* item) {
    ListHook* h = &(item->*Hook);
    h->owner = item;
    h->prev = head_.prev;
    h->next = &head_;
    head_.prev->next = h;
    head_.prev = h;
    ++size_;
  }
  // Puts `item` right before `pos`, which is on the list.
  void insert_before(T* pos, T* item) {
    ListHook* at = &(pos->*Hook);
    ListHook* h = &(item->*Hook);
    h->owner = item;
    h->prev = at->prev;
    h->next = at;
    at->prev->next = h;
    at->prev = h;
    ++size_;
  }
  // Puts `item` where `pos` is, and takes `pos` off the list.
  void replace(T* pos, T* item) {
    ListHook* old = &(pos->*Hook);
    ListHook* h = &(item->*Hook);
    h->owner = item;
    h->prev = old->prev;
    h->next = old->next;
    old->prev->next = h;
    old->next->prev = h;
    old->prev = old->next = nullptr;
  }
  void remove(T* item) {
    ListHook* h = &(item->*Hook);
    h->prev->next = h->next;
    h->next->prev = h->prev;
    h->prev = h->next = nullptr;
    --size_;
  }
  T* pop_front() {
    T* item = front();
    if (item) remove(item);
    return item;
  }

 private:
  static T* owner(const ListHook* h) { return static_cast<T*>(h->owner); }
  mutable ListHook head_;
  size_t size_ = 0;
};

}  // namespace walnut
