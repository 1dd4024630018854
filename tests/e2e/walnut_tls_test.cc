// TLS on both sides of walnut: clients (redis-cli --tls, and a TLS client
// of the tests' own for deep pipelines) through a TLS listener, and walnut
// to real TLS-only redis-servers; mutual TLS both ways, wrong CAs, wrong
// names, plain text on a TLS port and a handshake that never comes.
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "tests/e2e/harness.h"
#include "tests/e2e/memcached_server.h"
#include "tests/e2e/redis_pool_helpers.h"
#include "tests/e2e/reload_helpers.h"
#include "tests/e2e/tls_certs.h"
#include "tests/e2e/tls_client.h"

namespace walnut::e2e {
namespace {

using namespace std::chrono_literals;

// The certificates, a plain redis-server, a TLS-only one and one that also
// wants client certificates: made once for the suite.
class WalnutTls : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    certs_ = new TestCertificates(*dir_);
    plain_ = new RedisServer(*dir_);
    const int port = free_port();
    tls_ = new RedisServer(*dir_, port, redis_tls_args(*certs_, port, false));
    const int mutual_port = free_port();
    mutual_ = new RedisServer(*dir_, mutual_port, redis_tls_args(*certs_, mutual_port, true));
  }
  void SetUp() override { ASSERT_NE(mutual_, nullptr) << "the suite's set-up failed"; }
  static void TearDownTestSuite() {
    delete mutual_;
    delete tls_;
    delete plain_;
    delete certs_;
    delete dir_;
  }

  // A pool on the plain redis whose listener speaks TLS, with `extra`.
  static std::string tls_listener_pool(const std::string& extra = "") {
    return pool_yaml("tls", {plain_->port()},
                     "  tls_cert_file: " + certs_->server_cert + "\n  tls_key_file: " +
                         certs_->server_key + "\n" + extra);
  }
  // A pool of plain clients on `server`, which speaks TLS, with `extra`.
  static std::string server_tls_pool(const RedisServer& server, const std::string& extra) {
    return pool_yaml("to_tls", {server.port()}, "  server_tls: true\n" + extra);
  }
  static std::string trusted_ca() { return "  server_tls_ca_cert_file: " + certs_->ca_cert + "\n"; }
  static std::vector<std::string> ca_args() { return {"--cacert", certs_->ca_cert}; }

  static TempDir* dir_;
  static TestCertificates* certs_;
  static RedisServer* plain_;
  static RedisServer* tls_;
  static RedisServer* mutual_;
};

TempDir* WalnutTls::dir_ = nullptr;
TestCertificates* WalnutTls::certs_ = nullptr;
RedisServer* WalnutTls::plain_ = nullptr;
RedisServer* WalnutTls::tls_ = nullptr;
RedisServer* WalnutTls::mutual_ = nullptr;

TEST_F(WalnutTls, OneRequestOverATlsListener) {
  Walnut w(*dir_, tls_listener_pool());
  int rc = -1;
  EXPECT_EQ(redis_cli_tls(w.port(), ca_args(), {"SET", "tls:one", "v1"}, &rc), "OK\n");
  EXPECT_EQ(rc, 0);
  EXPECT_EQ(redis_cli_tls(w.port(), ca_args(), {"GET", "tls:one"}, &rc), "v1\n");
  Client direct(plain_->port());
  EXPECT_EQ(direct.call({"GET", "tls:one"}), "$2\r\nv1\r\n") << "it went to the server";
}

TEST_F(WalnutTls, AClientThatTrustsAnotherCaRefusesWalnut) {
  Walnut w(*dir_, tls_listener_pool());
  int rc = -1;
  const std::string out = redis_cli_tls(w.port(), {"--cacert", certs_->other_ca_cert}, {"PING"}, &rc);
  EXPECT_NE(out.find("certificate verify failed"), std::string::npos) << out;
  EXPECT_NE(rc, 0);
}

TEST_F(WalnutTls, PlainTextOnATlsListenerIsClosedWithALogLine) {
  Walnut w(*dir_, tls_listener_pool());
  Client plain(w.port());
  plain.send({"PING"});
  EXPECT_TRUE(plain.closed_by_peer(10s)) << "no reply in plain text, and closed";
  EXPECT_TRUE(wait_until([&] { return w.log().find("plain text on a TLS listener") !=
                                      std::string::npos; },
                         10s))
      << w.log();
  // The listener goes on: a TLS client right after is served.
  int rc = -1;
  EXPECT_EQ(redis_cli_tls(w.port(), ca_args(), {"PING"}, &rc), "PONG\n");
}

TEST_F(WalnutTls, AHandshakeThatNeverComesTimesOutWithoutBlockingOthers) {
  Walnut w(*dir_, tls_listener_pool("  tls_handshake_timeout: 400\n"));
  Client silent(w.port());  // connects, says nothing
  ASSERT_TRUE(silent.connected());
  // Meanwhile the loop serves another client's handshake and request.
  int rc = -1;
  EXPECT_EQ(redis_cli_tls(w.port(), ca_args(), {"PING"}, &rc), "PONG\n");
  EXPECT_TRUE(silent.closed_by_peer(10s));
  EXPECT_NE(w.log().find("TLS handshake not done within 400 ms"), std::string::npos) << w.log();
}

TEST_F(WalnutTls, ARecordCutShortHoldsUpNobody) {
  // A client sends the first bytes of a record and stops: OpenSSL holds
  // them, waiting for the rest. walnut must wait on the socket, not spin
  // on bytes it cannot read (which froze every other client).
  Walnut w(*dir_, tls_listener_pool());
  TlsClient stalled(w.port(), certs_->ca_cert);
  ASSERT_TRUE(stalled.connected()) << stalled.error();
  ASSERT_TRUE(stalled.send_on_socket(std::string("\x17\x03\x03", 3)));
  TlsClient other(w.port(), certs_->ca_cert);
  ASSERT_TRUE(other.connected()) << other.error();
  ASSERT_TRUE(other.send_raw(encode({"PING"})));
  EXPECT_EQ(other.read_bytes(7), "+PONG\r\n");
}

TEST_F(WalnutTls, AHalfClosedClientGetsEveryReply) {
  // The client sends its requests and closes its side without
  // close_notify (as clients do): the replies, large ones held by TLS
  // while its window is full, all arrive, then walnut closes.
  Walnut w(*dir_, tls_listener_pool());
  const std::string big(600000, 'h');
  Client direct(plain_->port());
  ASSERT_EQ(direct.call({"SET", "tls:half", big}), "+OK\r\n");
  TlsClient c(w.port(), certs_->ca_cert);
  ASSERT_TRUE(c.connected()) << c.error();
  std::string requests;
  std::string expected;
  for (int i = 0; i < 8; ++i) {
    requests += encode({"GET", "tls:half"});
    expected += bulk(big);
  }
  ASSERT_TRUE(c.send_raw(requests));
  c.shutdown_write();
  std::this_thread::sleep_for(300ms);  // walnut sees the end before the window opens
  const std::string got = c.read_bytes(expected.size());
  EXPECT_EQ(got.size(), expected.size()) << w.log();
  EXPECT_TRUE(got == expected);
  EXPECT_TRUE(c.closed_by_peer());
  EXPECT_EQ(w.log().find("TLS read failed"), std::string::npos) << w.log();
}

TEST_F(WalnutTls, CloseNotifyThatCameWithTheLastRequestEndsTheConnection) {
  // The request and the client's close_notify in one read: the request is
  // answered, and the end is seen though the socket stays open.
  Walnut w(*dir_, tls_listener_pool());
  TlsClient c(w.port(), certs_->ca_cert);
  ASSERT_TRUE(c.connected()) << c.error();
  ASSERT_TRUE(c.send_then_close_notify(encode({"PING"})));
  EXPECT_EQ(c.read_bytes(7), "+PONG\r\n");
  EXPECT_TRUE(c.closed_by_peer()) << "walnut waits on an open socket";
}

TEST_F(WalnutTls, MutualTlsTakesAClientCertificateFromTheCaAndRefusesNone) {
  Walnut w(*dir_, tls_listener_pool("  tls_ca_cert_file: " + certs_->ca_cert +
                                    "\n  tls_auth_clients: true\n"));
  int rc = -1;
  EXPECT_EQ(redis_cli_tls(w.port(),
                    {"--cacert", certs_->ca_cert, "--cert", certs_->client_cert, "--key",
                     certs_->client_key},
                    {"PING"}, &rc),
            "PONG\n");
  const std::string refused = redis_cli_tls(w.port(), ca_args(), {"PING"}, &rc);
  EXPECT_EQ(refused.find("PONG"), std::string::npos) << refused;
  EXPECT_TRUE(wait_until([&] { return w.log().find("failed its TLS handshake") !=
                                      std::string::npos; },
                         10s))
      << w.log();
}

TEST_F(WalnutTls, ADeepPipelineOfLargeAndSmallValuesArrivesWhole) {
  // Replies many times a TLS record, and thousands of tiny ones gathered
  // into records: every byte back, in order.
  Walnut w(*dir_, tls_listener_pool());
  TlsClient c(w.port(), certs_->ca_cert);
  ASSERT_TRUE(c.connected()) << c.error();
  std::string requests;
  std::string expected;
  for (int i = 0; i < 2000; ++i) {
    // 8 MB of large replies: more than the socket's buffers take, so
    // that TLS holds records the socket could not take yet.
    const std::string value = i % 250 == 0 ? std::string(1000000 + i, 'a' + i % 26)
                                            : "v" + std::to_string(i);
    const std::string key = spread_key("pipe", i);
    requests += encode({"SET", key, value}) + encode({"GET", key});
    expected += "+OK\r\n" + bulk(value);
  }
  ASSERT_TRUE(c.send_raw(requests));
  const std::string got = c.read_bytes(expected.size());
  EXPECT_EQ(got.size(), expected.size());
  EXPECT_TRUE(got == expected) << "the replies differ from the requests' values";
}

TEST_F(WalnutTls, QuitClosesAfterItsReplyArrives) {
  Walnut w(*dir_, tls_listener_pool());
  TlsClient c(w.port(), certs_->ca_cert);
  ASSERT_TRUE(c.connected()) << c.error();
  ASSERT_TRUE(c.send_raw(encode({"PING"}) + encode({"QUIT"})));
  EXPECT_EQ(c.read_bytes(12), "+PONG\r\n+OK\r\n");
  EXPECT_TRUE(c.closed_by_peer());
}

TEST_F(WalnutTls, OneRequestToATlsServer) {
  Walnut w(*dir_, server_tls_pool(*tls_, trusted_ca()));
  Client c(w.port());
  EXPECT_EQ(c.call({"SET", "tls:server", "v2"}), "+OK\r\n");
  EXPECT_EQ(c.call({"GET", "tls:server"}), "$2\r\nv2\r\n");
  int rc = -1;
  EXPECT_EQ(redis_cli_tls(tls_->port(), ca_args(), {"GET", "tls:server"}, &rc), "v2\n");
}

TEST_F(WalnutTls, AServerCertificateFromAnotherCaIsAnErrorNamingTheCause) {
  Walnut w(*dir_, server_tls_pool(*tls_, "  server_tls_ca_cert_file: " + certs_->other_ca_cert +
                                             "\n"));
  Client c(w.port());
  const std::string reply = c.call({"GET", "k"});
  EXPECT_EQ(reply.rfind("-ERR TLS handshake failed: certificate verify failed: ", 0), 0u) << reply;
  EXPECT_NE(w.log().find("certificate verify failed"), std::string::npos) << w.log();
}

TEST_F(WalnutTls, TheServersNameIsChecked) {
  {
    Walnut w(*dir_, server_tls_pool(*tls_, trusted_ca() + "  server_tls_server_name: localhost\n"));
    Client c(w.port());
    EXPECT_EQ(c.call({"GET", "tls:name"}), "$-1\r\n");
  }
  Walnut w(*dir_,
           server_tls_pool(*tls_, trusted_ca() + "  server_tls_server_name: cache.example\n"));
  Client c(w.port());
  const std::string reply = c.call({"GET", "tls:name"});
  EXPECT_NE(reply.find("certificate verify failed: hostname mismatch"), std::string::npos)
      << reply;
  // Without verification the name is not checked (the CA is not either).
  Walnut lax(*dir_, server_tls_pool(*tls_, "  server_tls_server_name: cache.example\n"
                                           "  server_tls_verify: false\n"));
  Client l(lax.port());
  EXPECT_EQ(l.call({"GET", "tls:name"}), "$-1\r\n");
  // The server closing the connection is its end, not a certificate's
  // fault (its verification result stays failed when nothing checks it).
  int rc = -1;
  redis_cli_tls(tls_->port(), ca_args(), {"CLIENT", "KILL", "TYPE", "normal"}, &rc);
  EXPECT_TRUE(wait_until([&] { return lax.log().find("Connection closed by server") !=
                                      std::string::npos; },
                         10s))
      << lax.log();
  EXPECT_EQ(lax.log().find("certificate verify failed"), std::string::npos) << lax.log();
}

TEST_F(WalnutTls, AServerThatWantsAClientCertificateGetsThePools) {
  Walnut with(*dir_, server_tls_pool(*mutual_, trusted_ca() + "  server_tls_cert_file: " +
                                                   certs_->client_cert +
                                                   "\n  server_tls_key_file: " +
                                                   certs_->client_key + "\n"));
  Client c(with.port());
  EXPECT_EQ(c.call({"SET", "tls:mutual", "m"}), "+OK\r\n");
  Walnut without(*dir_, server_tls_pool(*mutual_, trusted_ca()));
  Client d(without.port());
  const std::string reply = d.call({"GET", "tls:mutual"});
  EXPECT_EQ(reply.rfind("-ERR", 0), 0u) << reply;
}

TEST_F(WalnutTls, BothSidesCarryADeepPipeline) {
  Walnut w(*dir_, pool_yaml("both", {tls_->port()},
                            "  tls_cert_file: " + certs_->server_cert + "\n  tls_key_file: " +
                                certs_->server_key + "\n  server_tls: true\n" + trusted_ca()));
  TlsClient c(w.port(), certs_->ca_cert);
  ASSERT_TRUE(c.connected()) << c.error();
  std::string requests;
  std::string expected;
  for (int i = 0; i < 1000; ++i) {
    const std::string value = i % 250 == 0 ? std::string(200000, 'b') : std::to_string(i);
    requests += encode({"SET", spread_key("both", i), value}) + encode({"GET", spread_key("both", i)});
    expected += "+OK\r\n" + bulk(value);
  }
  ASSERT_TRUE(c.send_raw(requests));
  EXPECT_TRUE(c.read_bytes(expected.size()) == expected);
}

TEST_F(WalnutTls, AMemcachePoolSpeaksTlsOnBothSidesToo) {
  // memcached with TLS (-Z) behind a TLS listener: TLS is below the protocol.
  MemcachedServer mc(*dir_, {"-Z", "-o", "ssl_chain_cert=" + certs_->server_cert + ",ssl_key=" +
                                             certs_->server_key});
  Walnut w(*dir_, "mc:\n  listen: 127.0.0.1:LISTEN_PORT\n  tls_cert_file: " + certs_->server_cert +
                      "\n  tls_key_file: " + certs_->server_key + "\n  server_tls: true\n" +
                      trusted_ca() + "  servers:\n   - 127.0.0.1:" + std::to_string(mc.port()) +
                      ":1\n");
  TlsClient c(w.port(), certs_->ca_cert);
  ASSERT_TRUE(c.connected()) << c.error();
  ASSERT_TRUE(c.send_raw("set tls:mc 0 0 3\r\nabc\r\nget tls:mc\r\n"));
  const std::string expected = "STORED\r\nVALUE tls:mc 0 3\r\nabc\r\nEND\r\n";
  EXPECT_EQ(c.read_bytes(expected.size()), expected) << w.log();
}

void copy_file(const std::string& from, const std::string& to) {
  std::ofstream(to) << read_file(from);
}

TEST_F(WalnutTls, AReloadReadsRotatedCertificatesAndOpenConnectionsKeepTheirs) {
  // walnut's own copies of the files, which the rotation overwrites.
  const std::string cert = dir_->file("rotating.crt");
  const std::string key = dir_->file("rotating.key");
  copy_file(certs_->server_cert, cert);
  copy_file(certs_->server_key, key);
  const std::string yaml = pool_yaml("rotating", {plain_->port()},
                                     "  tls_cert_file: " + cert + "\n  tls_key_file: " + key + "\n");
  Walnut w(*dir_, yaml);
  TlsClient before(w.port(), certs_->ca_cert);
  ASSERT_TRUE(before.connected()) << before.error();

  // Half a rotation (the new certificate, the old key) fails the reload
  // with the line, and walnut keeps serving with what it had.
  TempDir next_dir;
  TestCertificates next(next_dir);
  copy_file(next.server_cert, cert);
  ASSERT_EQ(reload(w, yaml), Reload::kFailed);
  EXPECT_NE(w.log().find(":5: cannot use key '" + key + "': key values mismatch"),
            std::string::npos)
      << w.log();
  int rc = -1;
  EXPECT_EQ(redis_cli_tls(w.port(), ca_args(), {"PING"}, &rc), "PONG\n");

  copy_file(next.server_key, key);
  ASSERT_EQ(reload(w, yaml), Reload::kDone);
  EXPECT_EQ(redis_cli_tls(w.port(), {"--cacert", next.ca_cert}, {"PING"}, &rc), "PONG\n");
  const std::string old_ca = redis_cli_tls(w.port(), ca_args(), {"PING"}, &rc);
  EXPECT_NE(old_ca.find("certificate verify failed"), std::string::npos) << old_ca;
  // The connection from before goes on in its session.
  ASSERT_TRUE(before.send_raw(encode({"SET", "tls:rotated", "yes"})));
  EXPECT_EQ(before.read_bytes(5), "+OK\r\n");
}

TEST_F(WalnutTls, CheckNamesTheLineOfAFileOpenSslCannotUse) {
  const std::string conf = dir_->file("bad_tls.yml");
  for (const auto& [extra, expected] : std::vector<std::pair<std::string, std::string>>{
           {"  tls_cert_file: " + dir_->file("missing.crt") + "\n  tls_key_file: " +
                certs_->server_key + "\n",
            "bad_tls.yml:4: cannot use certificate '" + dir_->file("missing.crt") +
                "': No such file or directory"},
           {"  tls_cert_file: " + certs_->server_cert + "\n  tls_key_file: " + certs_->client_key +
                "\n",
            "bad_tls.yml:5: cannot use key '" + certs_->client_key + "': key values mismatch"},
           {"  server_tls: true\n  server_tls_ca_cert_file: " + certs_->server_key + "\n",
            "bad_tls.yml:5: cannot use CA certificates"},
       }) {
    std::string yaml = pool_yaml("bad", {plain_->port()}, extra);
    yaml.replace(yaml.find("LISTEN_PORT"), 11, std::to_string(free_port()));
    std::ofstream(conf) << yaml;
    std::string out;
    EXPECT_EQ(run_command({walnut_binary(), "-t", "-c", conf}, &out, 20s), 1) << out;
    EXPECT_NE(out.find(expected), std::string::npos) << out;
  }
}

}  // namespace
}  // namespace walnut::e2e
