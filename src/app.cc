// Start-up and shut-down order: config, pools (servers resolved, routers
// built), listeners, signals, loop; on the way out, pools close every
// connection before the context that holds their buffers goes.
#include "app.h"

#include <execinfo.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <ctime>

#include "common/clock.h"
#include "common/log.h"
#include "config/describe.h"
#include "hash/md5.h"
#include "listen_addresses.h"
#include "proxy/memory_reclaimer.h"

namespace walnut {

App::App(const Options& options) : options_(options), reload_path_(options.conf_file) {
  char cwd[4096];
  if (!reload_path_.empty() && reload_path_.front() != '/' && getcwd(cwd, sizeof(cwd)) != nullptr) {
    reload_path_ = std::string(cwd) + "/" + reload_path_;
  }
}

App::~App() {
  drain_timer_.reset();
  reclaim_timer_.reset();
  leaving_timer_.reset();
  leaving_.clear();
  metrics_.reset();
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
  if (!check(r.config, options_.conf_file, error)) return false;
  take(std::move(r));
  return true;
}

bool App::check(const config::Config& config, const std::string& file, std::string* error) {
  // The stats server's address comes from the flags, not the file: -t
  // (which may be given other flags than the real run) leaves it out.
  // Otherwise a pool on it would take the port first, and the stats server
  // would fail with "in use" as if another program held it.
  std::vector<OtherListener> others;
  if (!options_.test_conf) {
    others.push_back({"the stats server",
                      "-a " + options_.stats_addr + " -s " + std::to_string(options_.stats_port),
                      options_.stats_addr, options_.stats_port});
  }
  if (!check_listen_addresses(config, file, others, error)) return false;
  // Building the pools checks what the file alone cannot (names resolve,
  // the hash and distribution exist).
  proxy::Context probe(loop_, options_.mbuf_size);
  for (const config::PoolSpec& spec : config.pools) {
    proxy::ServerPool pool(probe, spec);
    if (!pool.init(error)) {
      *error = file + ":" + std::to_string(spec.line) + ": pool '" + spec.name + "': " + *error;
      return false;
    }
  }
  return true;
}

void App::take(config::LoadResult&& loaded) {
  config_ = std::move(loaded.config);
  uint8_t digest[16];
  hash::md5_digest(loaded.text.data(), loaded.text.size(), digest);
  static const char kHex[] = "0123456789abcdef";
  reloads_.config_md5.clear();
  for (uint8_t b : digest) {
    reloads_.config_md5 += kHex[b >> 4];
    reloads_.config_md5 += kHex[b & 15];
  }
}

bool App::start(std::string* error) {
  // Before anything listens: from then on a supervisor may send SIGTERM,
  // and a signal that comes before the loop runs waits for it (the watched
  // signals are blocked and queued) instead of killing walnut outright.
  install_signals();
  ctx_ = std::make_unique<proxy::Context>(loop_, options_.mbuf_size);
  ctx_->request_budget().set_limit(options_.request_buffer_limit);
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
  if (!options_.metrics_addr.empty()) {
    const std::string& m = options_.metrics_addr;
    size_t colon = m.rfind(':');
    std::string host = m.substr(0, colon);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
      host = host.substr(1, host.size() - 2);
    }
    metrics_ = std::make_unique<stats::StatsServer>(
        loop_, [this] { return snapshot(); }, 0, stats::StatsServer::Format::kPrometheus);
    if (!metrics_->start(host, std::stoi(m.substr(colon + 1)), error)) return false;
    ctx_->totals().metrics = true;
    add_health_pages(*metrics_);
  }
  return true;
}

void App::add_health_pages(stats::StatsServer& server) {
  using Page = stats::StatsServer::Page;
  // The loop runs, so the process serves.
  server.add_page("/healthz", [] { return Page{"200 OK", "ok\n"}; });
  server.add_page("/readyz", [this] {
    if (shutting_down_) return Page{"503 Service Unavailable", "shutting down\n"};
    std::string body;
    for (const auto& pool : pools_) {
      std::string why;
      if (!pool->ready(&why)) body += why + "\n";
    }
    if (!body.empty()) return Page{"503 Service Unavailable", body};
    return Page{"200 OK", "ready\n"};
  });
  server.add_page("/config", [this] {
    return Page{"200 OK", "# md5 of " + reload_path_ + ": " + reloads_.config_md5 + "\n" +
                              config::describe(config_, true)};
  });
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
  s.total_connections = ctx_->totals().total_connections;
  s.curr_connections = ctx_->totals().curr_connections;
  for (const auto& pool : pools_) s.pools.push_back(pool->snapshot());
  s.reloads = reloads_;
  return s;
}

#ifndef __SANITIZE_ADDRESS__  // a sanitizer's own report says more
namespace {
// SIGSEGV (and friends): write a backtrace to the log with async-signal-safe
// calls only, then die of the same signal so that a core is still made.
void on_crash(int signo) {
  char head[96];
  int n = std::snprintf(head, sizeof(head), "signal %d (%s) received, backtrace:\n", signo,
                        signo == SIGSEGV ? "SIGSEGV" : signo == SIGBUS ? "SIGBUS"
                        : signo == SIGFPE ? "SIGFPE" : "SIGABRT");
  int fd = log::fd();
  ssize_t ignored = ::write(fd, head, static_cast<size_t>(n));
  (void)ignored;
  void* frames[64];
  int depth = backtrace(frames, 64);
  backtrace_symbols_fd(frames, depth, fd);
  std::signal(signo, SIG_DFL);
  raise(signo);
}
}  // namespace
#endif

void App::install_signals() {
  std::signal(SIGPIPE, SIG_IGN);
#ifndef __SANITIZE_ADDRESS__
  for (int signo : {SIGSEGV, SIGBUS, SIGFPE, SIGABRT}) std::signal(signo, on_crash);
#endif
  auto add = [this](int signo, std::function<void()> cb) {
    auto w = std::make_unique<event::SignalWatcher>();
    w->init(loop_, signo, std::move(cb));
    signals_.push_back(std::move(w));
  };
  add(SIGINT, [this] { begin_shutdown(SIGINT); });
  add(SIGTERM, [this] { begin_shutdown(SIGTERM); });
  add(SIGUSR1, [this] { reload(); });
  add(SIGHUP, [] {
    // Reopen first: the line then lands in the new file (after logrotate).
    bool ok = log::reopen();
    LOG_NOTICE("signal %d (SIGHUP) received, reopening log file%s", SIGHUP,
               ok ? "" : ": failed, still writing to the old one");
  });
  add(SIGTTIN, [] {
    log::set_level(log::g_level + 1);
    LOG_NOTICE("signal %d (SIGTTIN) received, log level up to %d", SIGTTIN,
               log::g_level);
  });
  add(SIGTTOU, [] {
    // Logged before lowering, so that the line is seen at the old level.
    LOG_NOTICE("signal %d (SIGTTOU) received, log level down to %d", SIGTTOU,
               log::g_level - 1 < 0 ? 0 : log::g_level - 1);
    log::set_level(log::g_level - 1);
  });
}

namespace {
const char* signal_name(int signo) { return signo == SIGINT ? "SIGINT" : "SIGTERM"; }
constexpr uint64_t kDrainPollMs = 10;
}  // namespace

void App::begin_shutdown(int signo) {
  if (shutting_down_) {
    LOG_NOTICE("signal %d (%s) received again, stopping now", signo, signal_name(signo));
    loop_.stop();
    return;
  }
  shutting_down_ = true;
  LOG_NOTICE("signal %d (%s) received, shutting down: delivering replies in flight",
             signo, signal_name(signo));
  for (auto& pool : pools_) pool->drain();
  leaving_timer_.reset();  // what a reload let go drains with the rest now
  for (Leaving& l : leaving_) l.pool->drain();
  drain_deadline_ = now_ms() + kDrainLimitMs;
  drain_timer_.init(loop_, [this] { check_drained(); });
  drain_timer_.start(kDrainPollMs, true);
}

void App::check_drained() {
  bool all = true;
  for (const auto& pool : pools_) all = all && pool->drained();
  for (const Leaving& l : leaving_) all = all && l.pool->drained();
  if (all || now_ms() >= drain_deadline_) {
    if (!all) LOG_WARN("replies still pending after %llu ms: closing anyway",
                       static_cast<unsigned long long>(kDrainLimitMs));
    drain_timer_.stop();
    loop_.stop();
  }
}

int App::run() {
  LOG_NOTICE("walnut %s started, pid %d", PACKAGE_VERSION,
             static_cast<int>(getpid()));
  constexpr uint64_t kReclaimEveryMs = 1000;
  proxy::MemoryReclaimer reclaimer(*ctx_);
  reclaim_timer_.init(loop_, [&reclaimer] { reclaimer.run(); });
  reclaim_timer_.start(kReclaimEveryMs, true);
  int rc = loop_.run([this] { ctx_->after_iteration(); });
  reclaim_timer_.stop();
  for (auto& pool : pools_) pool->stop();
  for (Leaving& l : leaving_) l.pool->stop();
  ctx_->after_iteration();
  LOG_NOTICE("walnut stopped");
  return rc == 0 ? 0 : 1;
}

}  // namespace walnut
