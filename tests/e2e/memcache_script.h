// The differential script of the memcached end-to-end tests: the ASCII and
// meta commands as steps to send to memcached and to walnut alike, the
// builders of storage requests and get replies the tests share, and the
// runner that compares the two sides' replies byte for byte with cas uniques
// masked.
#pragma once

#include <string>
#include <vector>

namespace walnut::e2e {

// A storage command with its data block: "cmd key flags exptime bytes[ tail]".
std::string store(const std::string& cmd, const std::string& key, unsigned long flags,
                  long exptime, const std::string& data, const std::string& tail = "");
// The meta set command: "ms key bytes flags..." and its data block.
std::string meta_set(const std::string& key, const std::string& data,
                     const std::string& flags = "");
// What memcached answers a get for one stored item.
std::string value_block(const std::string& key, unsigned long flags, const std::string& data);

struct McStep {
  std::string request;  // may hold "{cas}": the run's latest gets/gats unique
  bool replies = true;  // false for noreply: the next step proves none came
  bool retrieval = false;
};

class McScript {
 public:
  void cmd(const std::string& request) { steps_.push_back({request, true, false}); }
  void read(const std::string& request) { steps_.push_back({request, true, true}); }
  // A noreply command, and a retrieval after it that shows its effect and
  // that no reply of its own came before.
  void silent(const std::string& request, const std::string& then) {
    steps_.push_back({request, false, false});
    read(then);
  }
  const std::vector<McStep>& steps() const { return steps_; }

 private:
  std::vector<McStep> steps_;
};

// Keys every step of the script may leave behind; the final retrieval block
// and the placement check use them.
std::vector<std::string> script_keys();

// Storage, cas, retrievals, gat/touch, delete, incr/decr, noreply and meta
// commands, ending with every kind of retrieval over script_keys().
McScript differential_script();

struct RunCounts {
  int commands = 0;   // steps sent
  int compared = 0;   // replies compared
  int retrievals = 0;  // of which retrievals
};

// Runs every step against memcached and through walnut, one at a time, and
// compares the replies. A walnut connection that stops answering is
// replaced, but not forever.
RunCounts compare_runs(const std::vector<McStep>& steps, int direct_port, int walnut_port,
                       const std::string& label);

}  // namespace walnut::e2e
