// A small RESP reply splitter for the end-to-end tests (see resp_reply.h).
#include "tests/e2e/resp_reply.h"

#include <cctype>
#include <cstdlib>
#include <string>
#include <vector>

namespace walnut::e2e {

// End of the value starting at `pos` in `s`, or npos.
size_t value_end(const std::string& s, size_t pos) {
  size_t crlf = s.find("\r\n", pos);
  if (pos >= s.size() || crlf == std::string::npos) return std::string::npos;
  long long n = std::atoll(s.c_str() + pos + 1);
  size_t after = crlf + 2;
  switch (s[pos]) {
    case '+':
    case '-':
    case ':':
      return after;
    case '$':
      if (n < 0) return after;
      return after + static_cast<size_t>(n) + 2 <= s.size()
                 ? after + static_cast<size_t>(n) + 2
                 : std::string::npos;
    case '*':
      for (long long i = 0; i < n && after != std::string::npos; ++i) {
        after = value_end(s, after);
      }
      return after;
    default:
      return std::string::npos;
  }
}

Reply parse(const std::string& raw) {
  Reply r;
  if (value_end(raw, 0) != raw.size() || raw.empty()) return r;
  size_t crlf = raw.find("\r\n");
  r.type = raw[0];
  std::string line = raw.substr(1, crlf - 1);
  long long n = std::atoll(line.c_str());
  if (r.type == '$') {
    r.null = n < 0;
    if (!r.null) r.text = raw.substr(crlf + 2, static_cast<size_t>(n));
  } else if (r.type == '*') {
    r.null = n < 0;
    size_t at = crlf + 2;
    for (long long i = 0; i < n; ++i) {
      size_t end = value_end(raw, at);
      r.items.push_back(raw.substr(at, end - at));
      at = end;
    }
  } else {
    r.text = line;
  }
  return r;
}

// A reply fit for a failure message.
std::string printable(const std::string& s) {
  std::string out;
  for (char c : s.substr(0, 400)) {
    if (c == '\r') out += "\\r";
    else if (c == '\n') out += "\\n";
    else if (std::isprint(static_cast<unsigned char>(c))) out += c;
    else out += '?';
  }
  if (s.size() > 400) out += "...(" + std::to_string(s.size()) + " bytes)";
  return s.empty() ? "<no reply>" : out;
}

std::string show(const Args& args) {
  std::string out;
  for (const auto& a : args) {
    if (!out.empty()) out += ' ';
    out += printable(a.size() > 40 ? a.substr(0, 40) + "..." : a);
  }
  if (out.size() > 300) out = out.substr(0, 300) + "...";
  return out;
}

}  // namespace walnut::e2e
