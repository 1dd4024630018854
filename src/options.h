// Command-line options, with nutcracker 0.5.0's flags, defaults and ranges.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace walnut {

struct Options {
  bool help = false;
  bool version = false;
  bool test_conf = false;
  bool daemonize = false;
  bool describe_stats = false;
  int verbosity = 5;           // -v 0..11, nutcracker's log levels
  std::string output;          // -o; empty: stderr
  std::string conf_file = "conf/walnut.yml";
  int stats_port = 22222;      // -s 1..65535
  std::string stats_addr = "0.0.0.0";
  int stats_interval = 30000;  // -i, ms
  std::string pid_file;        // -p; empty: none
  uint32_t mbuf_size = 16384;  // -m 512..16777216
  std::string metrics_addr;    // --metrics-addr HOST:PORT; empty: off
  // --request-buffer-limit: bytes of unfinished requests held at once by
  // all clients before large ones wait (see proxy/request_budget.h); 0: none.
  uint64_t request_buffer_limit = 256ull * 1024 * 1024;
  // Flags taken, but not as written (a value out of range that nutcracker
  // would also clamp): each line says what was used instead.
  std::vector<std::string> warnings;
};

// Parses argv. False with `error` ("option -v requires a number") when a
// flag or its value is bad; the caller then prints usage() and exits 1.
bool parse_options(int argc, char** argv, Options* out, std::string* error);

std::string usage();
std::string version_text();

}  // namespace walnut
