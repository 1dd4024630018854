// Redis Cluster's words: key slots, the slot map, redirects.
#include "proto/redis/cluster.h"

#include <gtest/gtest.h>

namespace walnut::redis::cluster {
namespace {

TEST(ClusterKeySlot, MatchesRedis) {
  // CRC-16/XMODEM's check value, and slots Redis's own CLUSTER KEYSLOT gives.
  EXPECT_EQ(key_slot("123456789"), 0x31C3u);
  EXPECT_EQ(key_slot("foo"), 12182u);
  EXPECT_EQ(key_slot("bar"), 5061u);
  EXPECT_EQ(key_slot(""), 0u);
}

TEST(ClusterKeySlot, HashTags) {
  EXPECT_EQ(key_slot("{foo}.anything"), key_slot("foo"));
  EXPECT_EQ(key_slot("x{foo}y{bar}"), key_slot("foo"));  // the first tag only
  EXPECT_EQ(key_slot("foo{}{bar}"), key_slot("foo{}{bar}"));
  EXPECT_NE(key_slot("foo{}{bar}"), key_slot("bar"));    // an empty tag: the whole key
  EXPECT_EQ(key_slot("foo{{bar}}zap"), key_slot("{bar"));  // up to the first '}'
  EXPECT_EQ(key_slot("foo{bar"), key_slot("foo{bar"));
  EXPECT_NE(key_slot("foo{bar"), key_slot("bar"));       // unclosed: the whole key
}

std::string node(std::string_view host, int port, std::string_view id) {
  return "*3\r\n$" + std::to_string(host.size()) + "\r\n" + std::string(host) + "\r\n:" +
         std::to_string(port) + "\r\n$" + std::to_string(id.size()) + "\r\n" + std::string(id) +
         "\r\n";
}

TEST(ClusterSlots, ReadsRangesMastersAndReplicas) {
  const std::string reply = "*2\r\n"
                            "*4\r\n:0\r\n:5460\r\n" + node("127.0.0.1", 7000, "a") +
                            node("127.0.0.1", 7003, "d") +
                            "*3\r\n:5461\r\n:16383\r\n" + node("127.0.0.1", 7001, "b");
  std::vector<SlotRange> ranges;
  std::string error;
  ASSERT_TRUE(parse_slots(reply, "127.0.0.1", &ranges, &error)) << error;
  ASSERT_EQ(ranges.size(), 2u);
  EXPECT_EQ(ranges[0].first, 0u);
  EXPECT_EQ(ranges[0].last, 5460u);
  EXPECT_EQ(ranges[0].master, (Node{"127.0.0.1", 7000}));
  ASSERT_EQ(ranges[0].replicas.size(), 1u);
  EXPECT_EQ(ranges[0].replicas[0], (Node{"127.0.0.1", 7003}));
  EXPECT_EQ(ranges[1].first, 5461u);
  EXPECT_EQ(ranges[1].last, 16383u);
  EXPECT_EQ(ranges[1].master.address(), "127.0.0.1:7001");
  EXPECT_TRUE(ranges[1].replicas.empty());
}

TEST(ClusterSlots, SkipsNodeMetadataAndUnknownEndpoints) {
  // Redis 7 adds a map of metadata (hostname) to each node; an unknown
  // endpoint is "?" or null.
  const std::string with_meta = "*4\r\n$9\r\n127.0.0.1\r\n:7000\r\n$1\r\na\r\n"
                                "*2\r\n$8\r\nhostname\r\n$4\r\nhost\r\n";
  const std::string reply = "*3\r\n"
                            "*3\r\n:0\r\n:10\r\n" + with_meta +
                            "*3\r\n:11\r\n:20\r\n" + node("?", 7001, "b") +
                            "*3\r\n:21\r\n:30\r\n*3\r\n$-1\r\n:7002\r\n$1\r\nc\r\n";
  std::vector<SlotRange> ranges;
  std::string error;
  ASSERT_TRUE(parse_slots(reply, "127.0.0.1", &ranges, &error)) << error;
  ASSERT_EQ(ranges.size(), 1u);  // the other two are holes
  EXPECT_EQ(ranges[0].master.address(), "127.0.0.1:7000");
}

TEST(ClusterSlots, EmptyHostIsTheNodeAsked) {
  const std::string reply = "*1\r\n*3\r\n:0\r\n:16383\r\n" + node("", 7000, "a");
  std::vector<SlotRange> ranges;
  std::string error;
  ASSERT_TRUE(parse_slots(reply, "10.1.2.3", &ranges, &error)) << error;
  ASSERT_EQ(ranges.size(), 1u);
  EXPECT_EQ(ranges[0].master.address(), "10.1.2.3:7000");
}

TEST(ClusterSlots, RefusesWhatIsNotASlotMap) {
  const std::string good = "*1\r\n*3\r\n:0\r\n:16383\r\n" + node("127.0.0.1", 7000, "a");
  std::vector<SlotRange> ranges;
  std::string error;
  EXPECT_FALSE(parse_slots("-ERR This instance has cluster support disabled\r\n", "h", &ranges,
                           &error));
  EXPECT_EQ(error, "not a slot map: -ERR This instance has cluster support disabled");
  EXPECT_FALSE(parse_slots(good + "+extra\r\n", "h", &ranges, &error));
  EXPECT_FALSE(parse_slots("*1\r\n*3\r\n:0\r\n:16384\r\n" + node("h", 1, "a"), "h", &ranges,
                           &error));  // past the last slot
  EXPECT_FALSE(parse_slots("*1\r\n*3\r\n:9\r\n:8\r\n" + node("h", 1, "a"), "h", &ranges,
                           &error));  // backwards
  EXPECT_FALSE(parse_slots("*1\r\n*3\r\n:0\r\n:1\r\n" + node("h", 70000, "a"), "h", &ranges,
                           &error));  // no such port
  // Cut anywhere, it is not a slot map.
  for (size_t cut = 0; cut < good.size(); ++cut) {
    EXPECT_FALSE(parse_slots(good.substr(0, cut), "h", &ranges, &error)) << cut;
  }
  EXPECT_TRUE(parse_slots(good, "h", &ranges, &error)) << error;
}

TEST(ClusterRedirect, MovedAskTryAgain) {
  Redirect moved = parse_redirect("-MOVED 3999 127.0.0.1:6381\r\n");
  EXPECT_EQ(moved.kind, RedirectKind::kMoved);
  EXPECT_EQ(moved.slot, 3999u);
  EXPECT_EQ(moved.node, (Node{"127.0.0.1", 6381}));
  Redirect ask = parse_redirect("-ASK 0 ::1:7000\r\n");
  EXPECT_EQ(ask.kind, RedirectKind::kAsk);
  EXPECT_EQ(ask.slot, 0u);
  EXPECT_EQ(ask.node, (Node{"::1", 7000}));
  EXPECT_EQ(parse_redirect("-TRYAGAIN Multiple keys request during rehashing of slot\r\n").kind,
            RedirectKind::kTryAgain);
  EXPECT_EQ(parse_redirect("-CLUSTERDOWN The cluster is down\r\n").kind,
            RedirectKind::kClusterDown);
  EXPECT_EQ(parse_redirect("-CLUSTERDOWN Hash slot not served\r\n").kind,
            RedirectKind::kClusterDown);
}

TEST(ClusterRedirect, UnknownEndpointLeavesTheHostEmpty) {
  // cluster-preferred-endpoint-type unknown-endpoint: the port alone.
  Redirect moved = parse_redirect("-MOVED 16358 :25033\r\n");
  EXPECT_EQ(moved.kind, RedirectKind::kMoved);
  EXPECT_EQ(moved.slot, 16358u);
  EXPECT_EQ(moved.node, (Node{"", 25033}));
}

TEST(ClusterRedirect, AnythingElseIsNone) {
  for (std::string_view reply :
       {"-ERR unknown command\r\n", "+OK\r\n", "-MOVED 3999 127.0.0.1:6381",  // no CRLF
        "-MOVED 16384 127.0.0.1:1\r\n", "-MOVED x 127.0.0.1:1\r\n", "-MOVED 1 127.0.0.1\r\n",
        "-MOVED 1 127.0.0.1:0\r\n", "-MOVED 1 127.0.0.1:65536\r\n", "-MOVED 1 ?:7000\r\n",
        "-MOVED 1\r\n", "-ASKING\r\n", "-CLUSTER\r\n"}) {
    EXPECT_EQ(parse_redirect(reply).kind, RedirectKind::kNone) << reply;
  }
}

}  // namespace
}  // namespace walnut::redis::cluster
