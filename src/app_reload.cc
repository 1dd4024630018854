// Reload on SIGUSR1: the file given with -c is read and checked whole
// before anything changes; then each pool of the new file is kept as it is,
// changed in place (its clients and listener stay: ServerPool::reconfigure),
// or built anew, taking over the listening socket of the pool it replaces
// when the address is the same, so that no client is refused meanwhile.
// Pools that went away (or were replaced) stop accepting and close once
// their clients have their replies.
#include <unistd.h>

#include <csignal>
#include <ctime>

#include "app.h"
#include "common/clock.h"
#include "common/log.h"
#include "config/describe.h"
#include "listen_addresses.h"

namespace walnut {

namespace {

constexpr uint64_t kLeavingPollMs = 10;

// What becomes of one pool of the new file.
struct PoolChange {
  const config::PoolSpec* spec = nullptr;
  std::unique_ptr<proxy::ServerPool>* running = nullptr;  // same name, or nullptr
  bool in_place = false;  // running keeps serving (changed or not)
  std::unique_ptr<proxy::ServerPool> built;  // a new pool, not started yet
  int listen_fd = -1;                        // bound for `built`
  proxy::ServerPool* listen_from = nullptr;  // the leaving pool whose socket it takes
};

}  // namespace

void App::reload() {
  LOG_NOTICE("signal %d (SIGUSR1) received, reloading %s", SIGUSR1, reload_path_.c_str());
  if (shutting_down_) {
    LOG_NOTICE("reload ignored: shutting down");
    return;
  }
  std::string error;
  if (!apply_reload(&error)) {
    ++reloads_.failed;
    LOG_ERROR("reload failed, the configuration in use is unchanged: %s", error.c_str());
    return;
  }
  ++reloads_.ok;
  reloads_.last_ok = static_cast<uint64_t>(time(nullptr));
  LOG_NOTICE("reload done: %zu pools, configuration md5 %s", pools_.size(),
             reloads_.config_md5.c_str());
}

bool App::apply_reload(std::string* error) {
  config::LoadResult loaded = config::load_file(reload_path_);
  if (!loaded.ok) {
    *error = loaded.error;
    return false;
  }
  if (!check(loaded.config, reload_path_, error)) return false;

  // First what can fail: build every new pool and bind every address no
  // running pool holds. Until the commit below nothing runs differently, and
  // what was built is thrown away on failure.
  std::vector<PoolChange> changes;
  const auto close_bound = [&changes] {
    for (PoolChange& c : changes) {
      if (c.listen_fd < 0) continue;
      ::close(c.listen_fd);
      // No running pool held the path (it would have handed its socket
      // over): the file is the one just bound, which nobody listens on now.
      if (c.spec->listen.is_unix) ::unlink(c.spec->listen.path.c_str());
    }
  };
  for (const config::PoolSpec& spec : loaded.config.pools) {
    PoolChange c;
    c.spec = &spec;
    for (auto& p : pools_) {
      if (p->spec().name == spec.name) c.running = &p;
    }
    c.in_place = c.running != nullptr && config::changes_in_place((*c.running)->spec(), spec);
    if (!c.in_place) {
      c.built = std::make_unique<proxy::ServerPool>(*ctx_, spec);
      if (!c.built->init(error)) {
        *error = reload_path_ + ":" + std::to_string(spec.line) + ": pool '" + spec.name +
                 "': " + *error;
        close_bound();
        return false;
      }
      // A pool that leaves (replaced, renamed or removed) on the same address
      // hands its socket over; the new file's pools do not overlap, so no
      // pool that stays holds it. Binding it anew instead would take a unix
      // path from the running pool before the reload is sure to be done.
      for (auto& p : pools_) {
        if (same_listen_address(p->spec().listen, spec.listen)) c.listen_from = p.get();
      }
      if (c.listen_from == nullptr) {
        c.listen_fd = c.built->bind_listener(error);
        if (c.listen_fd < 0) {
          *error = reload_path_ + ":" + std::to_string(spec.listen.line) + ": pool '" +
                   spec.name + "': " + *error;
          close_bound();
          return false;
        }
      }
    }
    changes.push_back(std::move(c));
  }

  // The commit: nothing below fails.
  std::vector<std::unique_ptr<proxy::ServerPool>> next;
  for (PoolChange& c : changes) {
    if (c.in_place) {
      proxy::ServerPool& pool = **c.running;
      if (config::describe(pool.spec(), false) != config::describe(*c.spec, false)) {
        LOG_NOTICE("pool '%s': changed in place", c.spec->name.c_str());
        pool.reconfigure(*c.spec);
      }
      // Certificates are re-read on every reload, so that a rotation needs
      // no restart: new connections take them, open ones keep theirs. The
      // check of the file above read them already; one that changed since
      // keeps the pool on what it has.
      if (config::tls_listener(pool.spec()) || pool.spec().server_tls) {
        std::string why;
        if (pool.reload_tls(&why)) {
          LOG_NOTICE("pool '%s': TLS certificates read again", c.spec->name.c_str());
        } else {
          LOG_ERROR("%s; the pool keeps the certificates it had", why.c_str());
        }
      }
      next.push_back(std::move(*c.running));
      continue;
    }
    int fd = c.listen_fd;
    if (c.listen_from != nullptr) {
      fd = c.listen_from->hand_over_listener();
      if (fd >= 0) c.built->adopt_listener(fd);
      std::string why;
      if (fd < 0) fd = c.built->bind_listener(&why);  // the socket closed: bind afresh
      if (fd < 0) {
        LOG_ERROR("pool '%s': %s; it does not listen until the next reload",
                  c.spec->name.c_str(), why.c_str());
      }
    }
    if (c.running != nullptr) {
      LOG_NOTICE("pool '%s': replaced (a change its clients cannot keep across)",
                 c.spec->name.c_str());
      c.built->inherit_counters(**c.running);
    } else {
      LOG_NOTICE("pool '%s': added", c.spec->name.c_str());
    }
    if (fd >= 0) c.built->start_on(fd);
    next.push_back(std::move(c.built));
  }
  for (auto& p : pools_) {
    if (p == nullptr) continue;
    LOG_NOTICE("pool '%s': leaving, once its clients have their replies",
               p->spec().name.c_str());
    let_go(std::move(p));
  }
  pools_ = std::move(next);
  take(std::move(loaded));
  return true;
}

void App::let_go(std::unique_ptr<proxy::ServerPool> pool) {
  pool->drain();
  leaving_.push_back(Leaving{std::move(pool), now_ms() + kDrainLimitMs});
  if (leaving_timer_.pending()) return;
  leaving_timer_.init(loop_, [this] { sweep_leaving(); });
  leaving_timer_.start(kLeavingPollMs, true);
}

void App::sweep_leaving() {
  const uint64_t now = now_ms();
  for (Leaving& l : leaving_) {
    if (!l.pool->drained() && now < l.deadline_ms) continue;
    if (!l.pool->drained()) {
      LOG_WARN("pool '%s': replies still pending after %llu ms: closing its clients",
               l.pool->spec().name.c_str(), static_cast<unsigned long long>(kDrainLimitMs));
    }
    l.pool->stop();
    l.pool.reset();
  }
  std::erase_if(leaving_, [](const Leaving& l) { return l.pool == nullptr; });
  if (leaving_.empty()) leaving_timer_.stop();
}

}  // namespace walnut
