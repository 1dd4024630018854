// App: owns the loop, the configuration and the pools; decides the order of
// start-up and shut-down.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "event/loop.h"
#include "event/signal_watcher.h"
#include "options.h"
#include "proxy/context.h"
#include "proxy/server_pool.h"
#include "stats/stats_server.h"

namespace walnut {

class App {
 public:
  explicit App(const Options& options) : options_(options) {}
  ~App();

  // Loads and checks the configuration; false with "FILE:LINE: what".
  bool load_config(std::string* error);
  // Builds the pools and opens their listeners; false with the reason.
  bool start(std::string* error);
  // After daemonizing: the loop was made in the parent.
  bool after_fork() { return loop_.reinit_after_fork(); }
  // Runs the loop until SIGINT or SIGTERM.
  int run();

 private:
  void install_signals();
  // SIGINT/SIGTERM: stop accepting, deliver the replies in flight (for at
  // most kDrainLimitMs), then stop the loop.
  void begin_shutdown(int signo);
  void check_drained();
  stats::Snapshot snapshot() const;

  Options options_;
  config::Config config_;
  event::Loop loop_;
  std::unique_ptr<proxy::Context> ctx_;
  std::vector<std::unique_ptr<proxy::ServerPool>> pools_;
  std::vector<std::unique_ptr<event::SignalWatcher>> signals_;
  std::unique_ptr<stats::StatsServer> stats_;
  std::unique_ptr<stats::StatsServer> metrics_;
  event::Timer drain_timer_;
  event::Timer reclaim_timer_;  // gives memory back after bursts
  uint64_t drain_deadline_ = 0;
  bool shutting_down_ = false;
  time_t started_ = 0;
};

}  // namespace walnut
