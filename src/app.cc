// Start-up and shut-down order: config, pools (servers resolved, routers
// built), listeners, signals, loop; on the way out, pools close every
// connection before the context that holds their buffers goes.
#include "app.h"

#include <unistd.h>

#include <csignal>
#include <ctime>

#include "common/log.h"

namespace walnut {

App::~App() {
  stats_.reset();
  signals_.clear();
  pools_.clear();
  if (ctx_) ctx_->after_iteration();  // frees the connections closed above
}

bool App::load_config(std::string* error) {
  config::LoadResult r = config::load_file(options_.conf_file);
  if (!r.ok) {
    *error = r.error;
    return false;
  }
  config_ = std::move(r.config);
  // Building the pools checks what the file alone cannot (names resolve,
  // the hash and distribution exist).
  proxy::Context probe(loop_, options_.mbuf_size);
  for (const config::PoolSpec& spec : config_.pools) {
    proxy::ServerPool pool(probe, spec);
    if (!pool.init(error)) {
      *error = options_.conf_file + ":" + std::to_string(spec.line) +
               ": pool '" + spec.name + "': " + *error;
      return false;
    }
  }
  return true;
}

bool App::start(std::string* error) {
  ctx_ = std::make_unique<proxy::Context>(loop_, options_.mbuf_size);
  for (const config::PoolSpec& spec : config_.pools) {
    auto pool = std::make_unique<proxy::ServerPool>(*ctx_, spec);
    if (!pool->init(error) || !pool->start(error)) {
      *error = "pool '" + spec.name + "': " + *error;
      return false;
    }
    pools_.push_back(std::move(pool));
  }
  started_ = time(nullptr);
  stats_ = std::make_unique<stats::StatsServer>(
      loop_, [this] { return snapshot(); },
      static_cast<uint64_t>(options_.stats_interval));
  if (!stats_->start(options_.stats_addr, options_.stats_port, error)) return false;
  install_signals();
  return true;
}

stats::Snapshot App::snapshot() const {
  stats::Snapshot s;
  char host[256] = "";
  gethostname(host, sizeof(host) - 1);
  s.source = host;
  s.version = PACKAGE_VERSION;
  time_t now = time(nullptr);
  s.uptime = static_cast<uint64_t>(now - started_);
  s.timestamp = static_cast<uint64_t>(now);
  s.total_connections = ctx_->total_connections();
  s.curr_connections = ctx_->curr_connections();
  for (const auto& pool : pools_) s.pools.push_back(pool->snapshot());
  return s;
}

void App::install_signals() {
  std::signal(SIGPIPE, SIG_IGN);
  auto add = [this](int signo, std::function<void()> cb) {
    auto w = std::make_unique<event::SignalWatcher>();
    w->init(loop_, signo, std::move(cb));
    signals_.push_back(std::move(w));
  };
  auto stop = [this] {
    LOG_NOTICE("signal received: shutting down");
    loop_.stop();
  };
  add(SIGINT, stop);
  add(SIGTERM, stop);
  add(SIGHUP, [] {
    LOG_NOTICE("SIGHUP: reopening the log file");
    log::reopen();
  });
  add(SIGTTIN, [] {
    log::set_level(log::g_level + 1);
    LOG_NOTICE("SIGTTIN: log level up to %d", log::g_level);
  });
  add(SIGTTOU, [] {
    log::set_level(log::g_level - 1);
    LOG_NOTICE("SIGTTOU: log level down to %d", log::g_level);
  });
}

int App::run() {
  LOG_NOTICE("walnut %s started, pid %d", PACKAGE_VERSION,
             static_cast<int>(getpid()));
  int rc = loop_.run([this] { ctx_->after_iteration(); });
  for (auto& pool : pools_) pool->stop();
  ctx_->after_iteration();
  LOG_NOTICE("walnut stopped");
  return rc == 0 ? 0 : 1;
}

}  // namespace walnut
