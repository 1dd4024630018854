// Certificates for the TLS tests, made by the openssl command in a test's
// own directory: a CA, a server certificate for 127.0.0.1 and localhost
// and a client certificate, both signed by it, and a second CA that signed
// neither (the wrong CA). Nothing is kept between runs.
#pragma once

#include <string>
#include <vector>

#include "tests/e2e/harness.h"

namespace walnut::e2e {

struct TestCertificates {
  // Makes them all in `dir`; throws std::runtime_error with openssl's
  // output when a step fails.
  explicit TestCertificates(const TempDir& dir);

  std::string ca_cert, ca_key;
  std::string server_cert, server_key;
  std::string client_cert, client_key;
  std::string other_ca_cert;  // a CA that signed none of the above
};

// redis-server arguments (after RedisServer's own) for TLS only on `port`:
// no plain-text port, the test certificates, and client certificates
// required when `auth_clients`.
std::vector<std::string> redis_tls_args(const TestCertificates& certs, int port,
                                        bool auth_clients);

// redis-cli over TLS to 127.0.0.1:port with `tls_args` (--cacert, --cert,
// ...) running `command`: its output, and its exit code in *rc.
std::string redis_cli_tls(int port, const std::vector<std::string>& tls_args,
                          const std::vector<std::string>& command, int* rc);

}  // namespace walnut::e2e
