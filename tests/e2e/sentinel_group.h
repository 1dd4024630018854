// A real Redis Sentinel setup for the end-to-end tests: one master, its
// replicas and three Sentinels (redis-server --sentinel), all on free
// loopback ports and stopped by pid; and the moves a test makes on it (a
// failover, a master or a Sentinel killed and restarted). Starting one
// takes a few seconds, so a suite starts it once and its tests share it:
// every question is asked of the setup as it is now (an earlier test may
// have swapped master and replica).
//
// Failures (a process that does not start, Sentinels that do not settle
// within the limit) throw std::runtime_error saying what was wrong.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "tests/e2e/harness.h"
#include "tests/e2e/resp_reply.h"

namespace walnut::e2e {

struct SentinelGroupOptions {
  std::string name = "mymaster";
  int replicas = 1;
  int sentinels = 3;
  int quorum = 2;
  // How long a silent master takes to be counted down, and so how long a
  // failover after kill_master() takes.
  std::chrono::milliseconds down_after{1000};
  std::chrono::milliseconds failover_timeout{3000};
  // How long start-up, failover() and the waits may take before they give up.
  std::chrono::milliseconds limit{60000};
  // requirepass for the Sentinels (and sentinel-pass between them).
  std::string sentinel_password;
};

class SentinelGroup {
 public:
  explicit SentinelGroup(const SentinelGroupOptions& options = {});
  ~SentinelGroup();
  SentinelGroup(const SentinelGroup&) = delete;
  SentinelGroup& operator=(const SentinelGroup&) = delete;

  const std::string& name() const { return options_.name; }
  // The data nodes (master first, as started) and the Sentinels.
  std::vector<int> data_ports() const;
  std::vector<int> sentinel_ports() const;
  // "127.0.0.1:<port>" of every Sentinel, for a pool's `sentinels:`.
  std::string sentinels_yaml() const;

  // The master's port as a live Sentinel says it now (0 when none answers).
  int master_port();
  // The live data nodes that are not the master.
  std::vector<int> replica_ports();
  // One command to a data node or a Sentinel; its raw reply, "" when down.
  std::string call(int port, const Args& args);

  // SENTINEL FAILOVER, then waits until the Sentinels name a new master,
  // it says role:master, and every other live data node is linked to it.
  // Returns the new master's port.
  int failover();
  // SIGKILL of the master; returns its port.
  int kill_master();
  // SIGKILL of a data node (a replica), keeping its port for a restart.
  void kill_data_node(int port);
  // SIGSTOP (`paused`) or SIGCONT of a data node.
  void pause_data_node(int port, bool paused);
  // Waits until the Sentinels name a master other than `old_port` that says
  // role:master; returns it.
  int wait_for_promotion(int old_port);
  // Starts a killed data node again on its port; waits until the group
  // settles, the node linked as a replica (Sentinel turns an old master
  // into one).
  void restart_data_node(int port);
  void kill_sentinel(int port);
  void restart_sentinel(int port);
  // Every live replica linked to the master, and every live Sentinel
  // agreeing on it and seeing each live replica usable.
  void wait_settled();

 private:
  struct Sentinel {
    int port;
    std::string conf;
    std::unique_ptr<Process> process;
  };
  RedisServer* data_node(int port);
  Sentinel* sentinel(int port);
  void start_sentinel(Sentinel& s);
  // The master's port as Sentinel `port` says it (0: no answer).
  int master_by(int port);
  std::string role_of(int port);
  bool linked(int port);
  void wait(const std::string& what, const std::function<bool()>& done);

  SentinelGroupOptions options_;
  TempDir dir_;
  std::vector<std::unique_ptr<RedisServer>> data_;
  std::vector<Sentinel> sentinels_;
};

}  // namespace walnut::e2e
