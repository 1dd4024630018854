// Context: what every connection of the process shares: the loop, the mbuf
// and request pools, the request budget, the list of connections with output
// to flush after this loop iteration, and the connections closed during it
// (freed once no callback can still be running on them).
#pragma once

#include <cstdint>
#include <vector>

#include "buffer/mbuf_pool.h"
#include "common/intrusive_list.h"
#include "common/non_copyable.h"
#include "event/loop.h"
#include "proxy/request.h"
#include "proxy/request_budget.h"
#include "proxy/request_pool.h"

namespace walnut::proxy {

class Conn;

class Context : private NonCopyable {
 public:
  Context(event::Loop& loop, uint32_t mbuf_size);
  ~Context();

  event::Loop& loop() { return loop_; }
  buffer::MbufPool& mbufs() { return mbufs_; }
  // Mbufs of kLargeMbufSize, for the payloads that fill them (StreamReader).
  buffer::MbufPool& large_mbufs() { return large_mbufs_; }
  static constexpr uint32_t kLargeMbufSize = 256 * 1024;
  RequestBudget& request_budget() { return request_budget_; }
  RequestPool& requests() { return requests_; }

  // Queues `conn` to flush its output after the current loop iteration.
  void schedule_flush(Conn* conn);
  void cancel_flush(Conn* conn);
  // Queues `conn` to run its read callback again in the next loop pass:
  // TLS holds bytes it read, which the socket will not announce. Not in
  // this pass, so that every other socket is polled first.
  void schedule_reread(Conn* conn);
  void cancel_reread(Conn* conn);
  // Hands a closed connection over to be deleted after the iteration.
  void retire(Conn* conn);
  // Runs after every loop iteration: flushes, then frees retired conns.
  void after_iteration();

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
  const Totals& totals() const { return totals_; }

  // A count of the client requests read, which orders them across clients
  // and connections (Request::read_tick).
  uint64_t next_request_tick() { return ++request_clock_; }
  uint64_t request_clock() const { return request_clock_; }

 private:
  event::Loop& loop_;
  buffer::MbufPool mbufs_;
  buffer::MbufPool large_mbufs_{kLargeMbufSize, 0};  // no floor: kept only under load
  RequestBudget request_budget_;
  RequestPool requests_{request_budget_};
  std::vector<Conn*> to_flush_;
  std::vector<Conn*> to_reread_;
  std::vector<Conn*> retired_;
  Totals totals_;
  uint64_t request_clock_ = 0;
};

}  // namespace walnut::proxy
