// listen and server address parsing; see address.h.
//
// Both are read from the end, as nutcracker does, so that an unbracketed IPv6
// host ("::1:6379:1") still splits at the right colons. The server label
// reproduces nutcracker's quirks exactly because ketama hashes it: a server
// on port 11211 is labelled by host alone (libmemcached compatibility), and an
// unnamed unix server keeps the colon that preceded its weight ("/tmp/r.sock:").
#include "config/address.h"

#include "config/values.h"

namespace walnut::config {

namespace {

constexpr int kLibmemcachedPort = 11211;

std::string quoted(std::string_view s) { return "'" + std::string(s) + "'"; }

// Parses a port of 1..65535 written in decimal.
bool parse_port(std::string_view text, int* port) {
  int value = 0;
  if (parse_non_negative_int(text, &value) != IntParse::ok) return false;
  if (value < 1 || value > 65535) return false;
  *port = value;
  return true;
}

// Strips the brackets of "[::1]"; an unbalanced bracket is an error. nutcracker
// passes the brackets to getaddrinfo, which fails, so bracketed IPv6 is a
// walnut extension.
bool unbracket(std::string_view host, std::string* out) {
  const bool open = !host.empty() && host.front() == '[';
  const bool close = !host.empty() && host.back() == ']';
  if (open != close) return false;
  if (open) {
    host = host.substr(1, host.size() - 2);
    if (host.empty()) return false;
  }
  out->assign(host);
  return true;
}

// Octal digits only, at most 0777 (nutcracker's strtol would quietly take
// "abc" as 0 and "0999" as 0).
bool parse_perm(std::string_view text, mode_t* perm) {
  if (text.empty()) return false;
  unsigned value = 0;
  for (char c : text) {
    if (c < '0' || c > '7') return false;
    value = value * 8 + static_cast<unsigned>(c - '0');
    if (value > 0777) return false;
  }
  *perm = static_cast<mode_t>(value);
  return true;
}

}  // namespace

std::string parse_listen(std::string_view text, ListenSpec* out) {
  ListenSpec spec;
  spec.text.assign(text);
  if (!text.empty() && text.front() == '/') {
    spec.is_unix = true;
    const size_t space = text.rfind(' ');
    if (space == std::string_view::npos) {
      spec.path.assign(text);
    } else {
      spec.path.assign(text.substr(0, space));
      std::string_view perm = text.substr(space + 1);
      if (!parse_perm(perm, &spec.perm)) {
        return "'listen' has an invalid permission " + quoted(perm) + " in " + quoted(text) +
               "; it must be octal, at most 0777";
      }
    }
    *out = std::move(spec);
    return {};
  }

  const size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) {
    return "'listen' must be \"host:port\" or \"/path [permissions]\", got " + quoted(text);
  }
  std::string_view host = text.substr(0, colon);
  std::string_view port = text.substr(colon + 1);
  if (!parse_port(port, &spec.port)) {
    return "'listen' has an invalid port " + quoted(port) + " in " + quoted(text) +
           "; it must be 1 to 65535";
  }
  if (host.empty()) return "'listen' has an empty host in " + quoted(text);
  if (!unbracket(host, &spec.host)) {
    return "'listen' has an invalid host " + quoted(host) + " in " + quoted(text);
  }
  *out = std::move(spec);
  return {};
}

std::string parse_server(std::string_view text, ServerSpec* out) {
  ServerSpec spec;
  spec.text.assign(text);
  const std::string where = "server " + quoted(text);
  const std::string format =
      where + " must be \"host:port:weight [name]\" or \"/path:weight [name]\"";

  // The name is whatever follows the last space; like nutcracker we allow
  // exactly one space, so "a:1:1  x" fails on its weight "1 ".
  std::string_view rest = text;
  bool has_name = false;
  const size_t space = text.rfind(' ');
  if (space != std::string_view::npos) {
    has_name = true;
    spec.name.assign(text.substr(space + 1));
    rest = text.substr(0, space);
  }

  const size_t weight_colon = rest.rfind(':');
  if (weight_colon == std::string_view::npos) return format;
  std::string_view weight = rest.substr(weight_colon + 1);
  std::string_view addr = rest.substr(0, weight_colon);

  std::string_view host;
  std::string_view port;
  if (!rest.empty() && rest.front() == '/') {
    spec.is_unix = true;
    // nutcracker reads one colon too many for a unix path and fails.
    if (addr.find(':') != std::string_view::npos) {
      return where + " has a ':' in its unix socket path";
    }
    spec.path.assign(addr);
  } else {
    const size_t port_colon = addr.rfind(':');
    if (port_colon == std::string_view::npos) return format;
    host = addr.substr(0, port_colon);
    port = addr.substr(port_colon + 1);
  }

  // Checked in nutcracker's order: weight, then port.
  switch (parse_non_negative_int(weight, &spec.weight)) {
    case IntParse::ok:
      break;
    case IntParse::not_a_number:
      return where + " has an invalid weight " + quoted(weight) +
             "; a server is \"host:port:weight [name]\" with a whole number weight";
    case IntParse::too_large:
      return where + " has a weight " + quoted(weight) + " that is too large";
  }
  if (spec.weight == 0) return where + " has weight 0; weight must be at least 1";

  if (!spec.is_unix) {
    if (!parse_port(port, &spec.port)) {
      return where + " has an invalid port " + quoted(port) + "; it must be 1 to 65535";
    }
    if (host.empty()) return where + " has an empty host";
    if (!unbracket(host, &spec.host)) return where + " has an invalid host " + quoted(host);
  }
  if (has_name && spec.name.empty()) return where + " has an empty name after the space";

  if (has_name) {
    spec.label = spec.name;
  } else if (spec.is_unix) {
    spec.label = spec.path + ":";
  } else if (spec.port == kLibmemcachedPort) {
    spec.label.assign(host);
  } else {
    spec.label.assign(addr);
  }
  *out = std::move(spec);
  return {};
}

}  // namespace walnut::config
