// Escaping for the stats' JSON strings and Prometheus label values.
#include "stats/escape.h"

#include <cstdio>

namespace walnut::stats {

std::string escaped(std::string_view s, Quoting quoting) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (quoting == Quoting::kPrometheus && c == '\n') {
      out += "\\n";
    } else if (quoting == Quoting::kJson && static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\u%04x", c);
      out += buf;
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace walnut::stats
