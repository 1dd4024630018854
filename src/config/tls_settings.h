// The TLS keys of a pool: the rules between them, and the settings of the
// two contexts they make (walnut as the server its clients talk to, and as
// the client of its servers).
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "config/config.h"
#include "net/tls.h"

namespace walnut::config {

// What the listener's TLS is made of (tls_*).
net::TlsSettings listener_tls(const PoolSpec& pool);
// What TLS to the servers is made of (server_tls_*).
net::TlsSettings server_tls(const PoolSpec& pool);

// A TLS key that cannot be as written: the key to point at and why.
struct TlsKeyProblem {
  std::string key;  // empty: no problem
  std::string message;
};

// The rules between the TLS keys (a key file needs its certificate, a key
// of server_tls needs server_tls: true...), then the files themselves: a
// certificate, key or CA file that OpenSSL cannot use is found by `-t`, not
// by the first client. `has_key` says whether the pool wrote a key.
TlsKeyProblem check_tls_keys(const PoolSpec& pool,
                             const std::function<bool(std::string_view)>& has_key);

}  // namespace walnut::config
