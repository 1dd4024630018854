// A real Redis Cluster for the end-to-end tests (see redis_cluster.h).
#include "tests/e2e/redis_cluster.h"

#include <signal.h>

#include <algorithm>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

#include "tests/e2e/cluster_key_slot.h"
#include "tests/e2e/cluster_node_view.h"

namespace walnut::e2e {

using namespace std::chrono_literals;

namespace {

std::string join_ports(const std::vector<int>& ports) {
  std::string out;
  for (int p : ports) out += (out.empty() ? "" : ",") + std::to_string(p);
  return out;
}

}  // namespace

RedisCluster::RedisCluster(const RedisClusterOptions& options) : options_(options) {
  if (options_.masters < 3) throw std::runtime_error("redis-cli needs 3 masters at least");
  const int nodes = options_.masters * (1 + options_.replicas_per_master);
  for (int i = 0; i < nodes; ++i) {
    const int port = free_port();
    // The cluster bus port is named, not left to be port + 10000, which
    // could fall in the ephemeral range (see free_port).
    const int bus_port = free_port();
    std::vector<std::string> args = {
        "--cluster-enabled", "yes",
        "--cluster-config-file", dir_.file("nodes-" + std::to_string(port) + ".conf"),
        "--cluster-node-timeout", std::to_string(options_.node_timeout.count()),
        "--cluster-port", std::to_string(bus_port),
        // A replica's first sync starts at once, not after the default 5 s
        // wait for more replicas to share it.
        "--repl-diskless-sync-delay", "0",
        // Redis 7 lists a replica in CLUSTER SLOTS only once its replication
        // offset is not 0, which on an idle master takes a ping down the
        // link: every second rather than every 10.
        "--repl-ping-replica-period", "1"};
    args.insert(args.end(), options_.extra_args.begin(), options_.extra_args.end());
    servers_[port] = std::make_unique<RedisServer>(dir_, port, args);
    ports_.push_back(port);
  }
  for (int port : ports_) {
    const Reply id = parse(call(port, {"CLUSTER", "MYID"}));
    if (id.type != '$' || id.text.size() != 40) {
      throw std::runtime_error("no node id from port " + std::to_string(port));
    }
    ids_[port] = id.text;
  }
  std::vector<std::string> create = {"/usr/bin/redis-cli", "--cluster", "create"};
  for (int port : ports_) create.push_back("127.0.0.1:" + std::to_string(port));
  create.insert(create.end(), {"--cluster-replicas", std::to_string(options_.replicas_per_master),
                               "--cluster-yes"});
  std::string output;
  if (run_command(create, &output, options_.limit) != 0) {
    throw std::runtime_error("redis-cli --cluster create failed: " + output);
  }
  wait_ok();
}

RedisCluster::~RedisCluster() {
  connections_.clear();
  // SIGTERM to all first, so that they shut down side by side; each
  // server's destructor then reaps its own (SIGKILL after 10 s).
  for (auto& [port, server] : servers_) {
    if (server->process().pid() > 0) kill(server->process().pid(), SIGTERM);
  }
  servers_.clear();
}

std::vector<int> RedisCluster::live_ports() const {
  std::vector<int> out;
  for (int port : ports_) {
    if (live(port)) out.push_back(port);
  }
  return out;
}

RedisServer& RedisCluster::server(int port) {
  auto it = servers_.find(port);
  if (it == servers_.end()) throw std::runtime_error("no node on port " + std::to_string(port));
  return *it->second;
}

int RedisCluster::first_live() const {
  for (int port : ports_) {
    if (live(port)) return port;
  }
  throw std::runtime_error("every node is killed");
}

std::string RedisCluster::call(int port, const Args& args) {
  if (!live(port)) return "";
  // A reply of "" means the connection broke (a restarted node): one more
  // try on a new connection. A command is sent twice only when the old
  // connection broke after it was sent, which a test's own nodes do not do
  // between two calls.
  for (int attempt = 0; attempt < 2; ++attempt) {
    std::unique_ptr<Client>& c = connections_[port];
    if (!c || !c->connected()) c = std::make_unique<Client>(port);
    std::string reply = c->call(args);
    if (!reply.empty()) return reply;
    c.reset();
  }
  return "";
}

std::vector<SlotRange> RedisCluster::slots(int asked_port) {
  const int port = asked_port != 0 ? asked_port : first_live();
  const std::string raw = call(port, {"CLUSTER", "SLOTS"});
  std::vector<SlotRange> ranges;
  if (!read_cluster_slots(raw, &ranges)) {
    throw std::runtime_error("unreadable CLUSTER SLOTS from port " + std::to_string(port) + ": " +
                             printable(raw));
  }
  return by_first_slot(ranges);
}

std::vector<int> RedisCluster::masters_by_slot(int asked_port) {
  return e2e::masters_by_slot(slots(asked_port));
}

int RedisCluster::master_of_slot(int slot, int asked_port) {
  return masters_by_slot(asked_port).at(static_cast<size_t>(slot));
}

std::vector<int> RedisCluster::master_ports(int asked_port) {
  std::set<int> masters;
  for (const SlotRange& r : slots(asked_port)) masters.insert(r.master);
  return {masters.begin(), masters.end()};
}

std::vector<int> RedisCluster::replica_ports(int master_port) {
  const int asked = live(master_port) ? master_port : first_live();
  const Reply nodes = parse(call(asked, {"CLUSTER", "NODES"}));
  std::vector<int> out;
  for (const NodeLine& n : read_cluster_nodes(nodes.text)) {
    if (n.master_id == node_id(master_port) && n.flags.count("fail") == 0 &&
        n.flags.count("fail?") == 0) {
      out.push_back(n.port);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

const std::string& RedisCluster::node_id(int port) const {
  auto it = ids_.find(port);
  if (it == ids_.end()) throw std::runtime_error("no node on port " + std::to_string(port));
  return it->second;
}

std::string RedisCluster::problems() {
  const std::vector<int> live = live_ports();
  if (live.empty()) return "every node is killed";
  std::vector<NodeView> views;
  for (int port : live) {
    views.push_back(read_node_view(port, [&](const Args& args) { return call(port, args); }));
  }
  // Each node is compared with the first: all agree when each agrees with it.
  std::string out;
  for (const NodeView& v : views) {
    const std::string p =
        settle_problem(v, views.front(), {live.begin(), live.end()}, ports_.size());
    if (!p.empty()) out += "port " + std::to_string(v.port) + ": " + p + "; ";
  }
  return out;
}

std::chrono::milliseconds RedisCluster::limit_or_default(std::chrono::milliseconds limit) const {
  return limit.count() > 0 ? limit : options_.limit;
}

void RedisCluster::wait_ok(std::chrono::milliseconds limit) {
  std::string last;
  if (wait_until([&] { return (last = problems()).empty(); }, limit_or_default(limit))) return;
  throw std::runtime_error("the cluster did not settle: " + last);
}

SlotMigration RedisCluster::migrate_slot(int slot, int from_port, int to_port) {
  return SlotMigration(*this, slot, from_port, to_port);
}

void RedisCluster::move_slot(int slot, int from_port, int to_port) {
  SlotMigration m = migrate_slot(slot, from_port, to_port);
  m.set_importing();
  m.set_migrating();
  m.finish();
}

void RedisCluster::failover(int replica_port, const std::string& option) {
  Args command = {"CLUSTER", "FAILOVER"};
  if (!option.empty()) command.push_back(option);
  const std::string reply = call(replica_port, command);
  if (reply != "+OK\r\n") {
    throw std::runtime_error("CLUSTER FAILOVER on port " + std::to_string(replica_port) + ": " +
                             printable(reply));
  }
  const std::string port = std::to_string(replica_port);
  const auto role = [&] {
    return info_field(parse(call(replica_port, {"INFO", "replication"})).text, "role");
  };
  const bool promoted = wait_until([&] { return role() == "master"; }, options_.limit);
  if (!promoted) throw std::runtime_error("port " + port + " did not become master");
  wait_ok();
  const std::vector<int> masters = master_ports();
  if (std::find(masters.begin(), masters.end(), replica_port) == masters.end()) {
    throw std::runtime_error("port " + port + " is master but serves no slot (masters " +
                             join_ports(masters) + ")");
  }
}

void RedisCluster::kill_node(int port) {
  server(port).crash();
  connections_.erase(port);
  killed_.insert(port);
}

void RedisCluster::restart_node(int port) {
  server(port).restart();
  connections_.erase(port);
  killed_.erase(port);
}

SlotMigration::SlotMigration(RedisCluster& cluster, int slot, int from_port, int to_port)
    : cluster_(cluster), slot_(slot), from_(from_port), to_(to_port) {}

void SlotMigration::expect_ok(const std::string& what, const std::string& reply) const {
  if (reply != "+OK\r\n") {
    throw std::runtime_error(what + " (slot " + std::to_string(slot_) + "): " + printable(reply));
  }
}

void SlotMigration::set_importing() {
  expect_ok("SETSLOT IMPORTING on " + std::to_string(to_),
            cluster_.call(to_, {"CLUSTER", "SETSLOT", std::to_string(slot_), "IMPORTING",
                                cluster_.node_id(from_)}));
}

void SlotMigration::set_migrating() {
  expect_ok("SETSLOT MIGRATING on " + std::to_string(from_),
            cluster_.call(from_, {"CLUSTER", "SETSLOT", std::to_string(slot_), "MIGRATING",
                                  cluster_.node_id(to_)}));
}

std::vector<std::string> SlotMigration::keys_on_source(int count) {
  const std::string raw = cluster_.call(
      from_, {"CLUSTER", "GETKEYSINSLOT", std::to_string(slot_), std::to_string(count)});
  const Reply r = parse(raw);
  if (r.type != '*') throw std::runtime_error("GETKEYSINSLOT: " + printable(raw));
  std::vector<std::string> keys;
  for (const std::string& item : r.items) keys.push_back(parse(item).text);
  return keys;
}

int SlotMigration::move_keys(int count) {
  const std::vector<std::string> keys = keys_on_source(count);
  if (keys.empty()) return 0;
  // The form with KEYS moves them all in one command; "" stands for the
  // single key of the older form.
  Args migrate = {"MIGRATE", "127.0.0.1", std::to_string(to_), "", "0", "5000", "KEYS"};
  migrate.insert(migrate.end(), keys.begin(), keys.end());
  const std::string reply = cluster_.call(from_, migrate);
  // NOKEY: every one had expired; looking them up deleted them.
  if (reply == "+NOKEY\r\n") return 0;
  expect_ok("MIGRATE from " + std::to_string(from_), reply);
  return static_cast<int>(keys.size());
}

void SlotMigration::assign_on(int port) {
  expect_ok("SETSLOT NODE on " + std::to_string(port),
            cluster_.call(port, {"CLUSTER", "SETSLOT", std::to_string(slot_), "NODE",
                                 cluster_.node_id(to_)}));
}

void SlotMigration::finish() {
  // Bounded: a slot holds few keys in a test, 1000 a MIGRATE.
  for (int round = 0; round < 1000 && move_keys(1000) > 0; ++round) {
  }
  if (!keys_on_source(1).empty()) throw std::runtime_error("keys left on the source");
  // The order Redis documents: the target first, so that it never
  // redirects back to a source that already gave the slot up.
  assign_on(to_);
  assign_on(from_);
  for (int master : cluster_.master_ports()) {
    if (master != to_ && master != from_) assign_on(master);
  }
  // Replicas learn it from their masters, over the cluster bus.
  cluster_.wait_ok();
  const int owner = cluster_.master_of_slot(slot_);
  if (owner != to_) {
    throw std::runtime_error("slot " + std::to_string(slot_) + " is served by " +
                             std::to_string(owner) + " after its migration to " +
                             std::to_string(to_));
  }
}

}  // namespace walnut::e2e
