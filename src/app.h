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
  explicit App(const Options& options);
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
  // GET /healthz, /readyz (503 while shutting down, or while a pool does
  // not listen or has no server up) and /config (passwords masked) on
  // --metrics-addr, for orchestrators and load balancers.
  void add_health_pages(stats::StatsServer& server);
  // The checks of -t beyond the file itself: listen addresses that do not
  // overlap, pools that build (servers resolve, the hash and distribution
  // exist); false with "FILE:LINE: what is wrong", FILE being `file`.
  bool check(const config::Config& config, const std::string& file, std::string* error);
  // The configuration now running, and the MD5 of its file's bytes.
  void take(config::LoadResult&& loaded);

  // Reload (app_reload.cc). SIGUSR1: reads the file again and applies it
  // whole, or, if anything in it is wrong, none of it.
  void reload();
  bool apply_reload(std::string* error);
  // A pool a reload removed or replaced: it stops accepting, its clients
  // get the replies to what they sent (for at most kDrainLimitMs), then it
  // closes.
  void let_go(std::unique_ptr<proxy::ServerPool> pool);
  void sweep_leaving();
  // SIGINT/SIGTERM: stop accepting, deliver the replies in flight (for at
  // most kDrainLimitMs), then stop the loop.
  void begin_shutdown(int signo);
  void check_drained();
  stats::Snapshot snapshot() const;
  // How long replies in flight may take on SIGTERM, or in a pool a reload
  // let go.
  static constexpr uint64_t kDrainLimitMs = 5000;

  Options options_;
  // The file a reload reads: -c made absolute against the directory walnut
  // started in, which -d leaves for "/". Not resolved further: a symbolic
  // link swapped to a new file (a Kubernetes ConfigMap) is followed anew.
  std::string reload_path_;
  config::Config config_;
  event::Loop loop_;
  std::unique_ptr<proxy::Context> ctx_;
  std::vector<std::unique_ptr<proxy::ServerPool>> pools_;
  struct Leaving {
    std::unique_ptr<proxy::ServerPool> pool;
    uint64_t deadline_ms;  // monotonic
  };
  std::vector<Leaving> leaving_;
  event::Timer leaving_timer_;
  stats::ReloadStats reloads_;
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
