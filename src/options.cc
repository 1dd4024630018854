// getopt_long over nutcracker's flag set; the messages follow nutcracker's.
#include "options.h"

#include <getopt.h>

#include <charconv>
#include <climits>

#include "buffer/mbuf_pool.h"
#include "common/log.h"

namespace walnut {

namespace {

const option kLongOptions[] = {
    {"help", no_argument, nullptr, 'h'},
    {"version", no_argument, nullptr, 'V'},
    {"test-conf", no_argument, nullptr, 't'},
    {"daemonize", no_argument, nullptr, 'd'},
    {"describe-stats", no_argument, nullptr, 'D'},
    {"verbose", required_argument, nullptr, 'v'},
    {"output", required_argument, nullptr, 'o'},
    {"conf-file", required_argument, nullptr, 'c'},
    {"stats-port", required_argument, nullptr, 's'},
    {"stats-interval", required_argument, nullptr, 'i'},
    {"stats-addr", required_argument, nullptr, 'a'},
    {"pid-file", required_argument, nullptr, 'p'},
    {"mbuf-size", required_argument, nullptr, 'm'},
    // walnut's own: long only, so that no nutcracker flag can clash.
    {"metrics-addr", required_argument, nullptr, 'M'},
    {"request-buffer-limit", required_argument, nullptr, 'B'},
    {nullptr, 0, nullptr, 0},
};
const char kShortOptions[] = ":hVtdDv:o:c:s:i:a:p:m:";

// A non-negative decimal number, as nutcracker's nc_atoi accepts.
bool to_number(const char* text, long long* out) {
  std::string_view s(text);
  if (s.empty()) return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && end == s.data() + s.size() && *out >= 0;
}

}  // namespace

bool parse_options(int argc, char** argv, Options* out, std::string* error) {
  optind = 0;  // restart getopt (GNU), so that tests may parse many times
  opterr = 0;
  for (;;) {
    int c = getopt_long(argc, argv, kShortOptions, kLongOptions, nullptr);
    if (c == -1) break;
    long long n = 0;
    switch (c) {
      case 'h': out->help = true; break;
      case 'V': out->version = true; break;
      case 't': out->test_conf = true; break;
      case 'd': out->daemonize = true; break;
      case 'D': out->describe_stats = true; break;
      case 'v':
        if (!to_number(optarg, &n)) {
          *error = "option -v requires a number";
          return false;
        }
        // nutcracker clamps silently; walnut clamps too, so that a command
        // line written for nutcracker still starts, but says so.
        if (n > log::kMaxLevel) {
          out->warnings.push_back("-v " + std::string(optarg) +
                                  " is above the highest log level, " +
                                  std::to_string(log::kMaxLevel) + "; logging at " +
                                  std::to_string(log::kMaxLevel));
          n = log::kMaxLevel;
        }
        out->verbosity = static_cast<int>(n);
        break;
      case 'o': out->output = optarg; break;
      case 'c': out->conf_file = optarg; break;
      case 's':
        if (!to_number(optarg, &n)) {
          *error = "option -s requires a number";
          return false;
        }
        if (n < 1 || n > 65535) {
          *error = "option -s value " + std::string(optarg) +
                   " is not a valid port";
          return false;
        }
        out->stats_port = static_cast<int>(n);
        break;
      case 'i':
        if (!to_number(optarg, &n) || n > INT_MAX) {
          *error = "option -i requires a number";
          return false;
        }
        out->stats_interval = static_cast<int>(n);
        break;
      case 'a': out->stats_addr = optarg; break;
      case 'M': {
        std::string_view v(optarg);
        size_t colon = v.rfind(':');
        long long port = 0;
        if (colon == std::string_view::npos || colon == 0 ||
            !to_number(std::string(v.substr(colon + 1)).c_str(), &port) || port < 1 ||
            port > 65535) {
          *error = "option --metrics-addr needs HOST:PORT, got '" + std::string(v) + "'";
          return false;
        }
        out->metrics_addr = optarg;
        break;
      }
      case 'B':
        if (!to_number(optarg, &n)) {
          *error = "option --request-buffer-limit requires a number of bytes, got '" +
                   std::string(optarg) + "'";
          return false;
        }
        out->request_buffer_limit = static_cast<uint64_t>(n);
        break;
      case 'p': out->pid_file = optarg; break;
      case 'm':
        if (!to_number(optarg, &n)) {
          *error = "option -m requires a non-zero number";
          return false;
        }
        if (n < buffer::MbufPool::kMinSize || n > buffer::MbufPool::kMaxSize) {
          *error = "mbuf chunk size must be between " +
                   std::to_string(buffer::MbufPool::kMinSize) + " and " +
                   std::to_string(buffer::MbufPool::kMaxSize) + " bytes";
          return false;
        }
        out->mbuf_size = static_cast<uint32_t>(n);
        break;
      case ':':
        *error = std::string("option -") + static_cast<char>(optopt) +
                 " requires an argument";
        return false;
      default:
        if (optopt != 0) {
          *error = std::string("invalid option -- '") +
                   static_cast<char>(optopt) + "'";
        } else {
          *error = std::string("invalid option '") + argv[optind - 1] + "'";
        }
        return false;
    }
  }
  if (optind < argc) {
    *error = std::string("unexpected argument '") + argv[optind] + "'";
    return false;
  }
  return true;
}

std::string usage() {
  return "Usage: walnut [-?hVdDt] [-v verbosity level] [-o output file]\n"
         "              [-c conf file] [-s stats port] [-a stats addr]\n"
         "              [-i stats interval] [-p pid file] [-m mbuf size]\n"
         "\n"
         "Options:\n"
         "  -h, --help             : this help\n"
         "  -V, --version          : show version and exit\n"
         "  -t, --test-conf        : test configuration for syntax errors and exit\n"
         "  -d, --daemonize        : run as a daemon\n"
         "  -D, --describe-stats   : print stats description and exit\n"
         "  -v, --verbose=N        : set logging level (default: 5, min: 0, max: 11)\n"
         "  -o, --output=S         : set logging file (default: stderr)\n"
         "  -c, --conf-file=S      : set configuration file (default: conf/walnut.yml)\n"
         "  -s, --stats-port=N     : set stats monitoring port (default: 22222)\n"
         "  -a, --stats-addr=S     : set stats monitoring ip (default: 0.0.0.0)\n"
         "  -i, --stats-interval=N : set stats aggregation interval in msec (default: 30000 msec)\n"
         "  -p, --pid-file=S       : set pid file (default: off)\n"
         "  -m, --mbuf-size=N      : set size of mbuf chunk in bytes (default: 16384 bytes)\n"
         "      --metrics-addr=S   : serve Prometheus metrics on HOST:PORT (default: off)\n"
         "      --request-buffer-limit=N : bytes of unfinished requests all clients may hold\n"
         "                           before large ones wait (default: 268435456; 0: none)\n";
}

std::string version_text() { return "This is walnut-" PACKAGE_VERSION "\n"; }

}  // namespace walnut
