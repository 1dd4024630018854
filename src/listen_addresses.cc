// Two TCP listeners clash, on Linux, when their ports are equal and their
// addresses are equal or one of them is the wildcard of its family; an IPv6
// wildcard also takes every IPv4 address (walnut leaves IPV6_V6ONLY off, as
// the kernel's default). SO_REUSEPORT would let two pools bind one address,
// but then each client would land on either pool at random: refused too.
#include "listen_addresses.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstring>
#include <utility>
#include <vector>

#include "net/socket.h"

namespace walnut {

namespace {

// A resolved listen address reduced to what decides a clash.
struct Endpoint {
  bool v6 = false;
  in6_addr addr6{};  // v6 only
  in_addr addr4{};   // v4, or the IPv4 inside a v4-mapped v6 address
  int port = 0;

  bool wildcard() const {
    return v6 ? IN6_IS_ADDR_UNSPECIFIED(&addr6) : addr4.s_addr == htonl(INADDR_ANY);
  }
  std::string text() const {
    char buf[INET6_ADDRSTRLEN] = "";
    if (v6) {
      inet_ntop(AF_INET6, &addr6, buf, sizeof buf);
      return "[" + std::string(buf) + "]:" + std::to_string(port);
    }
    inet_ntop(AF_INET, &addr4, buf, sizeof buf);
    return std::string(buf) + ":" + std::to_string(port);
  }
};

Endpoint endpoint_of(const net::Address& a) {
  Endpoint e;
  if (a.family() == AF_INET6) {
    const auto* sa = reinterpret_cast<const sockaddr_in6*>(&a.storage);
    e.port = ntohs(sa->sin6_port);
    if (IN6_IS_ADDR_V4MAPPED(&sa->sin6_addr)) {
      std::memcpy(&e.addr4, sa->sin6_addr.s6_addr + 12, sizeof e.addr4);
    } else {
      e.v6 = true;
      e.addr6 = sa->sin6_addr;
    }
  } else {
    const auto* sa = reinterpret_cast<const sockaddr_in*>(&a.storage);
    e.port = ntohs(sa->sin_port);
    e.addr4 = sa->sin_addr;
  }
  return e;
}

bool same_endpoint(const Endpoint& a, const Endpoint& b) {
  if (a.port != b.port || a.v6 != b.v6) return false;
  return a.v6 ? std::memcmp(&a.addr6, &b.addr6, sizeof a.addr6) == 0
              : a.addr4.s_addr == b.addr4.s_addr;
}

bool clash(const Endpoint& a, const Endpoint& b) {
  if (a.port != b.port) return false;
  if (a.v6 != b.v6) return (a.v6 && a.wildcard()) || (b.v6 && b.wildcard());
  if (a.wildcard() || b.wildcard()) return true;
  return same_endpoint(a, b);
}

struct Listening {
  std::string who;   // "pool 'alpha'"
  std::string text;  // as written
  Endpoint where;
};

std::string clash_message(const Listening& earlier, const Listening& later) {
  const Endpoint& a = earlier.where;
  const Endpoint& b = later.where;
  const std::string what =
      a.text() == b.text()
          ? "both listen on " + b.text()
          : "overlap: " + (b.wildcard() ? b : a).text() + " takes port " +
                std::to_string(b.port) + " on every address";
  return earlier.who + " ('" + earlier.text + "') and " + later.who + " ('" + later.text + "') " +
         what;
}

}  // namespace

bool same_listen_address(const config::ListenSpec& a, const config::ListenSpec& b) {
  if (a.is_unix || b.is_unix) return a.is_unix && b.is_unix && a.path == b.path;
  net::Address resolved_a, resolved_b;
  std::string why;
  if (!net::resolve_tcp(a.host, a.port, &resolved_a, &why) ||
      !net::resolve_tcp(b.host, b.port, &resolved_b, &why)) {
    return a.host == b.host && a.port == b.port;
  }
  return same_endpoint(endpoint_of(resolved_a), endpoint_of(resolved_b));
}

bool check_listen_addresses(const config::Config& config, const std::string& file,
                            const std::vector<OtherListener>& others, std::string* error) {
  std::vector<Listening> seen;
  for (const OtherListener& other : others) {
    net::Address address;
    std::string why;
    if (net::resolve_tcp(other.host, other.port, &address, &why)) {
      seen.push_back({other.who, other.text, endpoint_of(address)});
    }
  }
  const size_t pools_from = seen.size();
  for (const config::PoolSpec& pool : config.pools) {
    const config::ListenSpec& l = pool.listen;
    if (l.is_unix) continue;  // one path, one file: the config compares them
    const std::string at = file + ":" + std::to_string(l.line) + ": ";
    net::Address address;
    std::string why;
    if (!net::resolve_tcp(l.host, l.port, &address, &why)) {
      *error = at + "pool '" + pool.name + "' cannot listen on '" + l.text + "': " + why;
      return false;
    }
    Listening here{"pool '" + pool.name + "'", l.text, endpoint_of(address)};
    for (size_t i = 0; i < seen.size(); ++i) {
      if (!clash(here.where, seen[i].where)) continue;
      *error = at + clash_message(seen[i], here) +
               (i < pools_from ? "; move one of them" : "; give each pool its own port");
      return false;
    }
    seen.push_back(std::move(here));
  }
  return true;
}

}  // namespace walnut
