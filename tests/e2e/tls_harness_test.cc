// The TLS test harness itself, against a real redis-server and redis-cli:
// the certificates the tests make are accepted where they should be and
// refused where they should not, so that a TLS test of walnut that fails
// points at walnut.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/e2e/harness.h"
#include "tests/e2e/tls_certs.h"

namespace walnut::e2e {
namespace {

// redis-cli PING over TLS to 127.0.0.1:port with `tls_args`.
std::string tls_ping(int port, const std::vector<std::string>& tls_args, int* rc) {
  return redis_cli_tls(port, tls_args, {"PING"}, rc);
}

// The certificates, and two TLS-only redis-servers (one that wants client
// certificates), made once for the suite.
class TlsHarness : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    certs_ = new TestCertificates(*dir_);
    const int port = free_port();
    redis_ = new RedisServer(*dir_, port, redis_tls_args(*certs_, port, false));
    const int mutual_port = free_port();
    mutual_ = new RedisServer(*dir_, mutual_port, redis_tls_args(*certs_, mutual_port, true));
  }
  void SetUp() override { ASSERT_NE(mutual_, nullptr) << "the suite's set-up failed"; }
  static void TearDownTestSuite() {
    delete mutual_;
    delete redis_;
    delete certs_;
    delete dir_;
  }

  static TempDir* dir_;
  static TestCertificates* certs_;
  static RedisServer* redis_;
  static RedisServer* mutual_;
};

TempDir* TlsHarness::dir_ = nullptr;
TestCertificates* TlsHarness::certs_ = nullptr;
RedisServer* TlsHarness::redis_ = nullptr;
RedisServer* TlsHarness::mutual_ = nullptr;

TEST_F(TlsHarness, ARedisServerOnTlsOnlyTakesTheTestCaAndNoOther) {
  int rc = -1;
  EXPECT_EQ(tls_ping(redis_->port(), {"--cacert", certs_->ca_cert}, &rc), "PONG\n");
  EXPECT_EQ(rc, 0);
  const std::string wrong = tls_ping(redis_->port(), {"--cacert", certs_->other_ca_cert}, &rc);
  EXPECT_NE(wrong.find("certificate verify failed"), std::string::npos) << wrong;
  // Plain text gets no Redis reply on the TLS port.
  Client plain(redis_->port());
  EXPECT_EQ(plain.call({"PING"}), "");
}

TEST_F(TlsHarness, MutualTlsWantsTheClientCertificate) {
  int rc = -1;
  EXPECT_EQ(tls_ping(mutual_->port(),
                     {"--cacert", certs_->ca_cert, "--cert", certs_->client_cert, "--key",
                      certs_->client_key},
                     &rc),
            "PONG\n");
  EXPECT_EQ(rc, 0);
  const std::string refused = tls_ping(mutual_->port(), {"--cacert", certs_->ca_cert}, &rc);
  EXPECT_EQ(refused.find("PONG"), std::string::npos) << refused;
}

}  // namespace
}  // namespace walnut::e2e
