// The reserve of blank Requests.
#include "proxy/request_pool.h"

#include "common/dcheck.h"

namespace walnut::proxy {

namespace {

// Enough for a deep pipeline on many clients; beyond it a burst's requests
// go back to the allocator at once.
constexpr size_t kMaxFree = 4096;

}  // namespace

RequestPool::~RequestPool() { trim(); }

Request* RequestPool::get() {
  if (free_.empty()) return new Request();
  Request* request = free_.back();
  free_.pop_back();
  return request;
}

void RequestPool::put(Request* request) {
  WALNUT_DCHECK(!request->client_hook.linked() && !request->server_hook.linked());
  budget_.discharge(&request->budget_charge);
  if (free_.size() >= kMaxFree) {
    delete request;
    released_bytes_ += sizeof(Request);
    return;
  }
  request->recycle();
  free_.push_back(request);
}

void RequestPool::trim() {
  for (Request* request : free_) delete request;
  released_bytes_ += free_.size() * sizeof(Request);
  free_.clear();
  free_.shrink_to_fit();
}

}  // namespace walnut::proxy
