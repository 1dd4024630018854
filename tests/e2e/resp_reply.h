// A small RESP reply splitter for the end-to-end tests, written apart from
// walnut's parsers: a reply split one level deep, and ways to print replies
// and commands in failure messages.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace walnut::e2e {

// One command: its name and arguments.
using Args = std::vector<std::string>;

// One reply split one level deep: the header line and, for arrays, the raw
// bytes of each element.
struct Reply {
  char type = 0;  // '+', '-', ':', '$', '*'; 0 when unparsable
  bool null = false;
  std::string text;                // the line (no CRLF) or the bulk payload
  std::vector<std::string> items;  // raw elements of an array
};

// End of the value starting at `pos` in `s`, or npos.
size_t value_end(const std::string& s, size_t pos);

// `raw` split one level deep; type 0 unless `raw` is exactly one reply.
Reply parse(const std::string& raw);

// A reply fit for a failure message.
std::string printable(const std::string& s);

// A command fit for a failure message.
std::string show(const Args& args);

}  // namespace walnut::e2e
