// Context: what every connection of the process shares: the loop, the mbuf
// pool, the pool of Requests, the list of connections with output to flush after
// this loop iteration, and the connections closed during it (freed once no
// callback can still be running on them).
#pragma once

#include <cstdint>
#include <vector>

#include "buffer/mbuf_pool.h"
#include "common/intrusive_list.h"
#include "event/loop.h"
#include "proxy/request.h"
#include "proxy/request_budget.h"

namespace walnut::proxy {

class Conn;

class Context {
 public:
  Context(event::Loop& loop, uint32_t mbuf_size);
  ~Context();
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  event::Loop& loop() { return loop_; }
  buffer::MbufPool& mbufs() { return mbufs_; }
  RequestBudget& request_budget() { return request_budget_; }

  Request* new_request();
  void free_request(Request* msg);

  // Queues `conn` to flush its output after the current loop iteration.
  void schedule_flush(Conn* conn);
  void cancel_flush(Conn* conn);
  // Hands a closed connection over to be deleted after the iteration.
  void retire(Conn* conn);
  // Runs after every loop iteration: flushes, then frees retired conns.
  void after_iteration();

  // Gives memory back after a burst; App calls it about once a second.
  // When no mbuf was asked for since the last call (idle), the mbuf and
  // message reserves are freed; whenever enough was freed since the last
  // time, the allocator is asked to return its free pages to the system
  // (glibc keeps freed small blocks in the heap, so a burst's peak would
  // otherwise stay resident).
  void reclaim_memory();

  // What the whole process counts, for the stats.
  struct Totals {
    // Connections of every kind (listeners, clients, servers).
    uint64_t total_connections = 0;
    uint64_t curr_connections = 0;
    // Latency and per-command counts cost a clock read per request: only
    // when someone asked for them (--metrics-addr).
    bool metrics = false;
  };
  Totals& totals() { return totals_; }

 private:
  event::Loop& loop_;
  buffer::MbufPool mbufs_;
  RequestBudget request_budget_;
  std::vector<Request*> free_requests_;
  uint64_t msg_bytes_released_ = 0;
  uint64_t mbuf_gets_seen_ = 0;
  uint64_t released_at_last_trim_ = 0;
  std::vector<Conn*> to_flush_;
  std::vector<Conn*> retired_;
  Totals totals_;
};

}  // namespace walnut::proxy
