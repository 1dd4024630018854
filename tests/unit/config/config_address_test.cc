// `listen` and `servers` values: every accepted shape with what it parses to
// (labels especially, since ketama hashes them), and every rejected shape with
// its exact message and line.
#include <gtest/gtest.h>

#include <string>

#include "config/address.h"
#include "config_test_util.h"

namespace walnut::config {
namespace {

using testing::fails_with;
using testing::only_pool;

ListenSpec listen_ok(const std::string& text) {
  ListenSpec spec;
  std::string err = parse_listen(text, &spec);
  EXPECT_EQ(err, "") << text;
  return spec;
}

std::string listen_err(const std::string& text) {
  ListenSpec spec;
  return parse_listen(text, &spec);
}

ServerSpec server_ok(const std::string& text) {
  ServerSpec spec;
  std::string err = parse_server(text, &spec);
  EXPECT_EQ(err, "") << text;
  return spec;
}

std::string server_err(const std::string& text) {
  ServerSpec spec;
  return parse_server(text, &spec);
}

// A pool whose only server is `server`, on line 4.
std::string with_server(const std::string& server) {
  return "alpha:\n  listen: 127.0.0.1:22121\n  servers:\n    - " + server + "\n";
}

// A pool listening on `listen`, on line 2.
std::string with_listen(const std::string& listen) {
  return "alpha:\n  listen: " + listen + "\n  servers:\n    - 127.0.0.1:6379:1\n";
}

// --- listen ---------------------------------------------------------------

TEST(ConfigListen, Ipv4AndHostname) {
  ListenSpec a = listen_ok("127.0.0.1:22121");
  EXPECT_FALSE(a.is_unix);
  EXPECT_EQ(a.text, "127.0.0.1:22121");
  EXPECT_EQ(a.host, "127.0.0.1");
  EXPECT_EQ(a.port, 22121);
  ListenSpec b = listen_ok("localhost:1");
  EXPECT_EQ(b.host, "localhost");
  EXPECT_EQ(b.port, 1);
  EXPECT_EQ(listen_ok("0.0.0.0:65535").port, 65535);
  EXPECT_EQ(listen_ok("127.0.0.1:022121").port, 22121);
}

TEST(ConfigListen, Ipv6SplitsAtTheLastColonAndMayBeBracketed) {
  ListenSpec a = listen_ok("::1:22121");
  EXPECT_EQ(a.host, "::1");
  EXPECT_EQ(a.port, 22121);
  ListenSpec b = listen_ok("[::1]:22121");
  EXPECT_EQ(b.host, "::1");
  EXPECT_EQ(b.port, 22121);
  EXPECT_EQ(b.text, "[::1]:22121");
  // Through the file: a bracket must be quoted, or YAML takes it for a list.
  EXPECT_EQ(only_pool(with_listen("'[fe80::1]:22121'")).listen.host, "fe80::1");
}

TEST(ConfigListen, UnixPathWithAndWithoutPermissions) {
  ListenSpec a = listen_ok("/tmp/walnut.sock");
  EXPECT_TRUE(a.is_unix);
  EXPECT_EQ(a.path, "/tmp/walnut.sock");
  EXPECT_EQ(a.perm, 0u);
  EXPECT_EQ(a.host, "");
  ListenSpec b = listen_ok("/tmp/walnut.sock 0666");
  EXPECT_TRUE(b.is_unix);
  EXPECT_EQ(b.path, "/tmp/walnut.sock");
  EXPECT_EQ(b.perm, 0666u);
  EXPECT_EQ(b.text, "/tmp/walnut.sock 0666");
  EXPECT_EQ(listen_ok("/tmp/w.sock 600").perm, 0600u);
  EXPECT_EQ(listen_ok("/tmp/w.sock 0777").perm, 0777u);
  // nutcracker takes a colon in a listen path; so do we.
  EXPECT_EQ(listen_ok("/tmp/a:b.sock").path, "/tmp/a:b.sock");
  PoolSpec p = only_pool(with_listen("/var/run/walnut.sock 0660"));
  EXPECT_TRUE(p.listen.is_unix);
  EXPECT_EQ(p.listen.perm, 0660u);
}

TEST(ConfigListen, BadPermissions) {
  EXPECT_EQ(listen_err("/tmp/w.sock 0999"),
            "'listen' has an invalid permission '0999' in '/tmp/w.sock 0999'; it must be octal, "
            "at most 0777");
  EXPECT_EQ(listen_err("/tmp/w.sock 01000"),
            "'listen' has an invalid permission '01000' in '/tmp/w.sock 01000'; it must be octal, "
            "at most 0777");
  EXPECT_NE(listen_err("/tmp/w.sock rw"), "");
  EXPECT_NE(listen_err("/tmp/w.sock "), "");
  EXPECT_NE(listen_err("/tmp/w.sock -1"), "");
  EXPECT_TRUE(fails_with(with_listen("/tmp/w.sock 1777"),
                         "t.yml:2: 'listen' has an invalid permission '1777' in "
                         "'/tmp/w.sock 1777'; it must be octal, at most 0777"));
}

TEST(ConfigListen, BadTcpAddresses) {
  EXPECT_TRUE(fails_with(with_listen("127.0.0.1"),
                         "t.yml:2: 'listen' must be \"host:port\" or \"/path [permissions]\", "
                         "got '127.0.0.1'"));
  EXPECT_TRUE(fails_with(with_listen("tmp/w.sock"),
                         "t.yml:2: 'listen' must be \"host:port\" or \"/path [permissions]\", "
                         "got 'tmp/w.sock'"));
  EXPECT_TRUE(fails_with(with_listen("''"),
                         "t.yml:2: 'listen' must be \"host:port\" or \"/path [permissions]\", "
                         "got ''"));
  for (const char* port : {"0", "65536", "", "+1", "http", "99999999999"}) {
    std::string text = std::string("127.0.0.1:") + port;
    EXPECT_TRUE(fails_with(with_listen("'" + text + "'"),
                           "t.yml:2: 'listen' has an invalid port '" + std::string(port) +
                               "' in '" + text + "'; it must be 1 to 65535"));
  }
  EXPECT_TRUE(
      fails_with(with_listen("':22121'"), "t.yml:2: 'listen' has an empty host in ':22121'"));
  EXPECT_EQ(listen_err("[::1:22121"), "'listen' has an invalid host '[::1' in '[::1:22121'");
  EXPECT_EQ(listen_err("[]:22121"), "'listen' has an invalid host '[]' in '[]:22121'");
}

TEST(ConfigListen, ABlockScalarKeepsItsNewlineAndSoFails) {
  EXPECT_FALSE(testing::load("alpha:\n  listen: |\n    127.0.0.1:22121\n"
                             "  servers:\n    - a:1:1\n")
                   .ok);
}

// --- servers --------------------------------------------------------------

TEST(ConfigServer, TcpWithoutName) {
  ServerSpec s = server_ok("127.0.0.1:6379:1");
  EXPECT_FALSE(s.is_unix);
  EXPECT_EQ(s.text, "127.0.0.1:6379:1");
  EXPECT_EQ(s.host, "127.0.0.1");
  EXPECT_EQ(s.port, 6379);
  EXPECT_EQ(s.weight, 1);
  EXPECT_EQ(s.name, "");
  EXPECT_EQ(s.label, "127.0.0.1:6379");
  ServerSpec h = server_ok("redis-7.example.com:6380:25");
  EXPECT_EQ(h.host, "redis-7.example.com");
  EXPECT_EQ(h.port, 6380);
  EXPECT_EQ(h.weight, 25);
  EXPECT_EQ(h.label, "redis-7.example.com:6380");
}

TEST(ConfigServer, TcpWithName) {
  ServerSpec s = server_ok("127.0.0.5:6379:3 cache-1");
  EXPECT_EQ(s.host, "127.0.0.5");
  EXPECT_EQ(s.port, 6379);
  EXPECT_EQ(s.weight, 3);
  EXPECT_EQ(s.name, "cache-1");
  EXPECT_EQ(s.label, "cache-1");
  EXPECT_EQ(s.text, "127.0.0.5:6379:3 cache-1");
}

// Labels are what ketama hashes, so they copy nutcracker to the byte (checked
// against nutcracker 0.5.0's stats output, which prints them).
TEST(ConfigServer, LabelsFollowNutcrackerQuirks) {
  // libmemcached compatibility: port 11211 is left out of the label.
  EXPECT_EQ(server_ok("127.0.0.1:11211:1").label, "127.0.0.1");
  EXPECT_EQ(server_ok("127.0.0.1:011211:1").label, "127.0.0.1");
  EXPECT_EQ(server_ok("127.0.0.1:11211:1 mc").label, "mc");
  // The port is kept as written.
  EXPECT_EQ(server_ok("127.0.0.1:06379:1").label, "127.0.0.1:06379");
  EXPECT_EQ(server_ok("127.0.0.1:06379:1").port, 6379);
  // An unnamed unix server keeps the colon before its weight.
  EXPECT_EQ(server_ok("/tmp/redis.sock:1").label, "/tmp/redis.sock:");
  // Brackets stay in the label, but not in the host we connect to.
  ServerSpec v6 = server_ok("[::1]:6379:1");
  EXPECT_EQ(v6.host, "::1");
  EXPECT_EQ(v6.label, "[::1]:6379");
  ServerSpec bare = server_ok("::1:6379:1");
  EXPECT_EQ(bare.host, "::1");
  EXPECT_EQ(bare.port, 6379);
  EXPECT_EQ(bare.label, "::1:6379");
}

TEST(ConfigServer, UnixSockets) {
  ServerSpec s = server_ok("/var/run/redis.sock:2");
  EXPECT_TRUE(s.is_unix);
  EXPECT_EQ(s.path, "/var/run/redis.sock");
  EXPECT_EQ(s.host, "");
  EXPECT_EQ(s.port, 0);
  EXPECT_EQ(s.weight, 2);
  ServerSpec n = server_ok("/var/run/redis.sock:1 local");
  EXPECT_TRUE(n.is_unix);
  EXPECT_EQ(n.path, "/var/run/redis.sock");
  EXPECT_EQ(n.name, "local");
  EXPECT_EQ(n.label, "local");
}

TEST(ConfigServer, WeightErrors) {
  EXPECT_TRUE(fails_with(with_server("127.0.0.1:6379:0"),
                         "t.yml:4: server '127.0.0.1:6379:0' has weight 0; weight must be at "
                         "least 1"));
  EXPECT_TRUE(
      fails_with(with_server("/tmp/r.sock:0"),
                 "t.yml:4: server '/tmp/r.sock:0' has weight 0; weight must be at least 1"));
  // The message says what a server line looks like.
  const std::string form = "; a server is \"host:port:weight [name]\" with a whole number weight";
  EXPECT_TRUE(fails_with(with_server("127.0.0.1:6379:abc"),
                         "t.yml:4: server '127.0.0.1:6379:abc' has an invalid weight 'abc'" + form));
  EXPECT_TRUE(fails_with(with_server("127.0.0.1:6379:-1"),
                         "t.yml:4: server '127.0.0.1:6379:-1' has an invalid weight '-1'" + form));
  EXPECT_TRUE(fails_with(with_server("127.0.0.1:6379:99999999999"),
                         "t.yml:4: server '127.0.0.1:6379:99999999999' has a weight "
                         "'99999999999' that is too large"));
  // Two spaces before the name leave a space in the weight, as in nutcracker.
  EXPECT_EQ(server_err("127.0.0.1:6379:1  a"),
            "server '127.0.0.1:6379:1  a' has an invalid weight '1 '" + form);
  EXPECT_EQ(server_err("127.0.0.1:6379:1 a b"),
            "server '127.0.0.1:6379:1 a b' has an invalid weight '1 a'" + form);
}

TEST(ConfigServer, FormatErrors) {
  const char* format = "' must be \"host:port:weight [name]\" or \"/path:weight [name]\"";
  EXPECT_TRUE(fails_with(with_server("127.0.0.1:6379"),
                         "t.yml:4: server '127.0.0.1:6379" + std::string(format)));
  EXPECT_TRUE(fails_with(with_server("redis"), "t.yml:4: server 'redis" + std::string(format)));
  EXPECT_TRUE(
      fails_with(with_server("/tmp/r.sock"), "t.yml:4: server '/tmp/r.sock" + std::string(format)));
  EXPECT_EQ(server_err(""), "server '" + std::string(format));
  EXPECT_TRUE(fails_with(with_server("/tmp/a:b.sock:1"),
                         "t.yml:4: server '/tmp/a:b.sock:1' has a ':' in its unix socket path"));
}

TEST(ConfigServer, PortHostAndNameErrors) {
  for (const char* port : {"0", "65536", "", "x"}) {
    std::string text = std::string("127.0.0.1:") + port + ":1";
    EXPECT_TRUE(fails_with(with_server(text), "t.yml:4: server '" + text +
                                                  "' has an invalid port '" + port +
                                                  "'; it must be 1 to 65535"));
  }
  EXPECT_TRUE(fails_with(with_server("':6379:1'"), "t.yml:4: server ':6379:1' has an empty host"));
  EXPECT_EQ(server_err("[::1:6379:1"), "server '[::1:6379:1' has an invalid host '[::1'");
  EXPECT_TRUE(fails_with(with_server("'127.0.0.1:6379:1 '"),
                         "t.yml:4: server '127.0.0.1:6379:1 ' has an empty name after the space"));
}

TEST(ConfigServer, LinesOfEachEntry) {
  PoolSpec p = only_pool(
      "alpha:\n"
      "  listen: 127.0.0.1:22121\n"
      "  servers:\n"
      "    - 127.0.0.1:6379:1\n"
      "    # a comment between entries\n"
      "    - host-b:6379:1 b\n"
      "    - /tmp/c.sock:4\n");
  ASSERT_EQ(p.servers.size(), 3u);
  EXPECT_EQ(p.servers[0].line, 4);
  EXPECT_EQ(p.servers[1].line, 6);
  EXPECT_EQ(p.servers[2].line, 7);
  // File order, not nutcracker's sorted order (the distributions sort).
  EXPECT_EQ(p.servers[1].label, "b");
  EXPECT_EQ(p.servers[2].label, "/tmp/c.sock:");
}

TEST(ConfigServer, DuplicateLabelsInAPool) {
  std::string head = "alpha:\n  listen: 127.0.0.1:22121\n  servers:\n    - 127.0.0.1:6379:1\n";
  EXPECT_TRUE(fails_with(head + "    - 127.0.0.1:6379:2\n",
                         "t.yml:5: server '127.0.0.1:6379:2' has the same name '127.0.0.1:6379' as "
                         "the server at line 4"));
  EXPECT_TRUE(fails_with(head + "    - 127.0.0.1:6379:1 127.0.0.1:6379\n",
                         "t.yml:5: server '127.0.0.1:6379:1 127.0.0.1:6379' has the same name "
                         "'127.0.0.1:6379' as the server at line 4"));
  EXPECT_TRUE(fails_with(head + "    - 127.0.0.1:6379:1 a\n    - 127.0.0.2:6379:1 a\n",
                         "t.yml:6: server '127.0.0.2:6379:1 a' has the same name 'a' as the server "
                         "at line 5"));
  EXPECT_TRUE(fails_with(head + "    - 127.0.0.1:11211:1\n    - 127.0.0.1:11212:1 127.0.0.1\n",
                         "t.yml:6: server '127.0.0.1:11212:1 127.0.0.1' has the same name "
                         "'127.0.0.1' as the server at line 5"));
  EXPECT_TRUE(fails_with(head + "    - /tmp/r.sock:1\n    - /tmp/r.sock:3\n",
                         "t.yml:6: server '/tmp/r.sock:3' has the same name '/tmp/r.sock:' as the "
                         "server at line 5"));
}

TEST(ConfigServer, SameAddressUnderDifferentNamesIsAllowed) {
  // nutcracker only compares names, so this is two servers.
  PoolSpec p = only_pool(
      "alpha:\n  listen: 127.0.0.1:22121\n  servers:\n"
      "    - 127.0.0.1:6379:1 a\n    - 127.0.0.1:6379:1 b\n");
  EXPECT_EQ(p.servers.size(), 2u);
}

TEST(ConfigServer, TheSameServerMayServeTwoPools) {
  LoadResult r = testing::load(
      "a:\n  listen: 127.0.0.1:1\n  servers:\n    - 127.0.0.1:6379:1\n"
      "b:\n  listen: 127.0.0.1:2\n  servers:\n    - 127.0.0.1:6379:1\n");
  EXPECT_TRUE(r.ok) << r.error;
}

}  // namespace
}  // namespace walnut::config
