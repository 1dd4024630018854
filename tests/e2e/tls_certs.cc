#include "tests/e2e/tls_certs.h"

#include <chrono>
#include <fstream>
#include <stdexcept>

namespace walnut::e2e {

namespace {

constexpr const char* kOpenssl = "/usr/bin/openssl";

void run_openssl(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {kOpenssl};
  argv.insert(argv.end(), args.begin(), args.end());
  std::string out;
  if (run_command(argv, &out, std::chrono::seconds(60)) != 0) {
    throw std::runtime_error("openssl " + args[0] + " failed: " + out);
  }
}

// A self-signed CA certificate and its key.
void make_ca(const std::string& cert, const std::string& key, const std::string& name) {
  run_openssl({"req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
               "-days", "2", "-subj", "/CN=" + name});
}

// A certificate for `name` with `extensions` (openssl's extfile lines),
// signed by the CA.
void make_signed(const TempDir& dir, const std::string& stem, const std::string& name,
                 const std::string& extensions, const std::string& ca_cert,
                 const std::string& ca_key, std::string* cert, std::string* key) {
  *cert = dir.file(stem + ".crt");
  *key = dir.file(stem + ".key");
  const std::string csr = dir.file(stem + ".csr");
  const std::string ext = dir.file(stem + ".ext");
  std::ofstream(ext) << extensions << "\n";
  run_openssl({"req", "-newkey", "rsa:2048", "-nodes", "-keyout", *key, "-out", csr, "-subj",
               "/CN=" + name});
  run_openssl({"x509", "-req", "-in", csr, "-CA", ca_cert, "-CAkey", ca_key, "-CAcreateserial",
               "-out", *cert, "-days", "2", "-extfile", ext});
}

}  // namespace

TestCertificates::TestCertificates(const TempDir& dir)
    : ca_cert(dir.file("ca.crt")), ca_key(dir.file("ca.key")),
      other_ca_cert(dir.file("other-ca.crt")) {
  make_ca(ca_cert, ca_key, "walnut test CA");
  make_ca(other_ca_cert, dir.file("other-ca.key"), "another test CA");
  make_signed(dir, "server", "127.0.0.1",
              "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth", ca_cert,
              ca_key, &server_cert, &server_key);
  make_signed(dir, "client", "walnut test client", "extendedKeyUsage=clientAuth", ca_cert, ca_key,
              &client_cert, &client_key);
}

std::vector<std::string> redis_tls_args(const TestCertificates& certs, int port,
                                        bool auth_clients) {
  return {"--port",          "0",
          "--tls-port",      std::to_string(port),
          "--tls-cert-file", certs.server_cert,
          "--tls-key-file",  certs.server_key,
          "--tls-ca-cert-file", certs.ca_cert,
          "--tls-auth-clients", auth_clients ? "yes" : "no"};
}

std::string redis_cli_tls(int port, const std::vector<std::string>& tls_args,
                          const std::vector<std::string>& command, int* rc) {
  std::vector<std::string> argv = {"/usr/bin/redis-cli", "-p", std::to_string(port), "--tls"};
  argv.insert(argv.end(), tls_args.begin(), tls_args.end());
  argv.insert(argv.end(), command.begin(), command.end());
  std::string out;
  *rc = run_command(argv, &out, std::chrono::seconds(20));
  return out;
}

}  // namespace walnut::e2e
