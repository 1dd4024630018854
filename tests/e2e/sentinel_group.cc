// One master, its replicas and its Sentinels, for the end-to-end tests.
#include "tests/e2e/sentinel_group.h"

#include <signal.h>

#include <fstream>
#include <map>
#include <stdexcept>
#include <thread>

namespace walnut::e2e {

using namespace std::chrono_literals;

namespace {

// The field/value pairs of one entry of SENTINEL replicas (or sentinels).
std::map<std::string, std::string> fields_of(const std::string& raw_entry) {
  std::map<std::string, std::string> out;
  const Reply entry = parse(raw_entry);
  for (size_t i = 0; i + 1 < entry.items.size(); i += 2) {
    out[parse(entry.items[i]).text] = parse(entry.items[i + 1]).text;
  }
  return out;
}

// The value of `field` in an INFO reply ("" when absent).
std::string info_field(const std::string& info, const std::string& field) {
  const std::string key = "\n" + field + ":";
  const size_t at = info.find(key);
  if (at == std::string::npos) return "";
  const size_t start = at + key.size();
  return info.substr(start, info.find('\r', start) - start);
}

}  // namespace

SentinelGroup::SentinelGroup(const SentinelGroupOptions& options) : options_(options) {
  data_.push_back(std::make_unique<RedisServer>(dir_));
  const std::string master = std::to_string(data_[0]->port());
  for (int i = 0; i < options_.replicas; ++i) {
    data_.push_back(
        std::make_unique<RedisServer>(dir_, std::vector<std::string>{"--replicaof", "127.0.0.1", master}));
  }
  for (int i = 0; i < options_.sentinels; ++i) {
    Sentinel s;
    s.port = free_port();
    s.conf = dir_.file("sentinel-" + std::to_string(s.port) + ".conf");
    const std::string& n = options_.name;
    std::ofstream conf(s.conf);
    conf << "port " << s.port << "\nbind 127.0.0.1\ndaemonize no\ndir " << dir_.file("")
         << "\nsentinel resolve-hostnames no\n"
         << "sentinel monitor " << n << " 127.0.0.1 " << master << " " << options_.quorum << "\n"
         << "sentinel down-after-milliseconds " << n << " " << options_.down_after.count() << "\n"
         << "sentinel failover-timeout " << n << " " << options_.failover_timeout.count() << "\n"
         << "sentinel parallel-syncs " << n << " 1\n";
    if (!options_.sentinel_password.empty()) {
      conf << "requirepass " << options_.sentinel_password << "\nsentinel sentinel-pass "
           << options_.sentinel_password << "\n";
    }
    conf.close();
    sentinels_.push_back(std::move(s));
    start_sentinel(sentinels_.back());
  }
  wait_settled();
}

SentinelGroup::~SentinelGroup() {
  for (Sentinel& s : sentinels_) s.process.reset();  // stopped by pid
  data_.clear();
}

void SentinelGroup::start_sentinel(Sentinel& s) {
  s.process = std::make_unique<Process>(
      std::vector<std::string>{"/usr/bin/redis-server", s.conf, "--sentinel"},
      dir_.file("sentinel-" + std::to_string(s.port) + ".log"));
  if (!wait_for_port(s.port, 10s)) {
    throw std::runtime_error("sentinel did not start on port " + std::to_string(s.port) + ": " +
                             read_file(dir_.file("sentinel-" + std::to_string(s.port) + ".log")));
  }
  // Sentinel reads its instances' INFO every 10 s by default, and makes an
  // old master a replica only once it claimed the master role for four
  // publish periods (8 s), so a failover settles 10 to 20 s after it is
  // over; and a loop late by 2 s (a loaded machine) stops it acting for
  // 30 s (TILT). Tuned, at run time only (Redis 7's SENTINEL DEBUG), so
  // that a test waits seconds, not half a minute. A ping period (1 s by
  // default) as long as down-after lets a Sentinel see a master it just
  // promoted as down for a moment, its new link's first answer coming a
  // period late, and fail over again; half of it leaves room.
  const std::string r =
      call(s.port, {"SENTINEL", "DEBUG", "info-period", "1000", "publish-period", "500",
                    "ping-period", "500", "tilt-trigger", "10000", "tilt-period", "5000"});
  if (r != "+OK\r\n") {
    throw std::runtime_error("SENTINEL DEBUG on port " + std::to_string(s.port) +
                             " answered: " + printable(r));
  }
}

std::vector<int> SentinelGroup::data_ports() const {
  std::vector<int> out;
  for (const auto& d : data_) out.push_back(d->port());
  return out;
}

std::vector<int> SentinelGroup::sentinel_ports() const {
  std::vector<int> out;
  for (const Sentinel& s : sentinels_) out.push_back(s.port);
  return out;
}

std::string SentinelGroup::sentinels_yaml() const {
  std::string out = "  sentinels:\n";
  for (const Sentinel& s : sentinels_) out += "    - 127.0.0.1:" + std::to_string(s.port) + "\n";
  return out;
}

RedisServer* SentinelGroup::data_node(int port) {
  for (auto& d : data_) {
    if (d->port() == port) return d.get();
  }
  return nullptr;
}

SentinelGroup::Sentinel* SentinelGroup::sentinel(int port) {
  for (Sentinel& s : sentinels_) {
    if (s.port == port) return &s;
  }
  return nullptr;
}

std::string SentinelGroup::call(int port, const Args& args) {
  if (RedisServer* d = data_node(port); d != nullptr && !d->process().running()) return "";
  if (Sentinel* s = sentinel(port); s != nullptr && (s->process == nullptr || !s->process->running())) {
    return "";
  }
  Client c(port);
  if (!c.connected()) return "";
  if (sentinel(port) != nullptr && !options_.sentinel_password.empty()) {
    c.call({"AUTH", options_.sentinel_password});
  }
  return c.call(args);
}

int SentinelGroup::master_by(int port) {
  const Reply r = parse(call(port, {"SENTINEL", "get-master-addr-by-name", options_.name}));
  if (r.type != '*' || r.items.size() != 2) return 0;
  return std::atoi(parse(r.items[1]).text.c_str());
}

int SentinelGroup::master_port() {
  for (const Sentinel& s : sentinels_) {
    if (int port = master_by(s.port); port != 0) return port;
  }
  return 0;
}

std::string SentinelGroup::role_of(int port) {
  return info_field(parse(call(port, {"INFO", "replication"})).text, "role");
}

bool SentinelGroup::linked(int port) {
  const std::string info = parse(call(port, {"INFO", "replication"})).text;
  return info_field(info, "role") == "slave" && info_field(info, "master_link_status") == "up" &&
         std::atoi(info_field(info, "master_port").c_str()) == master_port();
}

std::vector<int> SentinelGroup::replica_ports() {
  const int master = master_port();
  std::vector<int> out;
  for (auto& d : data_) {
    if (d->port() != master && d->process().running()) out.push_back(d->port());
  }
  return out;
}

void SentinelGroup::wait(const std::string& what, const std::function<bool()>& done) {
  if (!wait_until(done, options_.limit)) {
    throw std::runtime_error("sentinel group: " + what + " not within " +
                             std::to_string(options_.limit.count()) + " ms");
  }
}

void SentinelGroup::wait_settled() {
  wait("replicas linked and every sentinel agreeing", [&] {
    const int master = master_port();
    if (master == 0 || role_of(master) != "master") return false;
    for (int r : replica_ports()) {
      if (!linked(r)) return false;
    }
    int live_sentinels = 0;
    for (const Sentinel& s : sentinels_) live_sentinels += s.process != nullptr && s.process->running();
    for (const Sentinel& s : sentinels_) {
      if (s.process == nullptr || !s.process->running()) continue;
      if (master_by(s.port) != master) return false;
      const Reply replicas = parse(call(s.port, {"SENTINEL", "replicas", options_.name}));
      size_t usable = 0;
      for (const std::string& entry : replicas.items) {
        auto f = fields_of(entry);
        const bool down = f["flags"].find("down") != std::string::npos ||
                          f["flags"].find("disconnected") != std::string::npos;
        usable += !down && f["master-link-status"] == "ok";
      }
      if (usable < replica_ports().size()) return false;
      const Reply others = parse(call(s.port, {"SENTINEL", "sentinels", options_.name}));
      if (static_cast<int>(others.items.size()) < live_sentinels - 1) return false;
    }
    return true;
  });
}

int SentinelGroup::failover() {
  const int old = master_port();
  wait("SENTINEL FAILOVER accepted", [&] {
    for (const Sentinel& s : sentinels_) {
      if (s.process == nullptr || !s.process->running()) continue;
      const std::string r = call(s.port, {"SENTINEL", "FAILOVER", options_.name});
      if (r == "+OK\r\n") return true;
      break;  // -INPROG, -NOGOODSLAVE: Sentinel is not ready yet; asked again
    }
    std::this_thread::sleep_for(100ms);
    return false;
  });
  const int now = wait_for_promotion(old);
  wait_settled();
  return now;
}

int SentinelGroup::kill_master() {
  const int port = master_port();
  RedisServer* d = data_node(port);
  if (d == nullptr) throw std::runtime_error("sentinel group: no master to kill");
  d->crash();
  return port;
}

void SentinelGroup::kill_data_node(int port) {
  RedisServer* d = data_node(port);
  if (d == nullptr) throw std::runtime_error("sentinel group: no data node " + std::to_string(port));
  d->crash();
}

void SentinelGroup::pause_data_node(int port, bool paused) {
  RedisServer* d = data_node(port);
  if (d == nullptr) throw std::runtime_error("sentinel group: no data node " + std::to_string(port));
  if (kill(d->process().pid(), paused ? SIGSTOP : SIGCONT) != 0) {
    throw std::runtime_error("sentinel group: cannot signal data node " + std::to_string(port));
  }
}

int SentinelGroup::wait_for_promotion(int old_port) {
  int now = 0;
  wait("a master other than " + std::to_string(old_port), [&] {
    now = master_port();
    return now != 0 && now != old_port && role_of(now) == "master";
  });
  return now;
}

void SentinelGroup::restart_data_node(int port) {
  RedisServer* d = data_node(port);
  if (d == nullptr) throw std::runtime_error("sentinel group: no data node " + std::to_string(port));
  d->restart();
  // Back as a replica of the master (or, should Sentinel have failed over
  // to it meanwhile, as the master): every replica linked either way.
  wait_settled();
}

void SentinelGroup::kill_sentinel(int port) {
  Sentinel* s = sentinel(port);
  if (s == nullptr || s->process == nullptr) return;
  kill(s->process->pid(), SIGKILL);
  s->process->wait(10s);
}

void SentinelGroup::restart_sentinel(int port) {
  Sentinel* s = sentinel(port);
  if (s == nullptr) throw std::runtime_error("sentinel group: no sentinel " + std::to_string(port));
  s->process.reset();
  start_sentinel(*s);
}

}  // namespace walnut::e2e
