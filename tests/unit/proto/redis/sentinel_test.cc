// Redis Sentinel's words: the questions walnut asks, and the answers and
// published messages as Redis 7 writes them, whole, cut short anywhere and
// malformed.
#include "proto/redis/sentinel.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "proto/redis/resp_command.h"
#include "proto/redis/resp_reader.h"

namespace walnut::redis::sentinel {
namespace {

std::string bulk(std::string_view s) {
  return "$" + std::to_string(s.size()) + "\r\n" + std::string(s) + "\r\n";
}

std::string array(const std::vector<std::string>& items) {
  std::string out = "*" + std::to_string(items.size()) + "\r\n";
  for (const std::string& i : items) out += i;
  return out;
}

// One entry of SENTINEL replicas, as Redis 7.0 lists its fields.
std::string replica_entry(const std::string& ip, const std::string& port, const std::string& flags,
                          const std::string& link) {
  const std::vector<std::string> fields = {
      "name", ip + ":" + port, "ip", ip, "port", port, "runid",
      "97c806fe5a5bd6e3ffc0d4c4c142202a296d1e46", "flags", flags, "link-pending-commands", "0",
      "link-refcount", "1", "last-ping-sent", "0", "last-ok-ping-reply", "905",
      "last-ping-reply", "905", "down-after-milliseconds", "1000", "info-refresh", "905",
      "role-reported", "slave", "role-reported-time", "3101", "master-link-down-time", "0",
      "master-link-status", link, "master-host", "127.0.0.1", "master-port", "6379",
      "slave-priority", "100", "slave-repl-offset", "6324", "replica-announced", "1"};
  std::vector<std::string> items;
  for (const std::string& f : fields) items.push_back(bulk(f));
  return array(items);
}

std::string message(std::string_view channel, std::string_view payload) {
  return array({bulk("message"), bulk(channel), bulk(payload)});
}

TEST(SentinelRequests, ExactBytes) {
  EXPECT_EQ(master_address_request("mymaster"),
            "*3\r\n$8\r\nSENTINEL\r\n$23\r\nget-master-addr-by-name\r\n$8\r\nmymaster\r\n");
  EXPECT_EQ(replicas_request("a b"), "*3\r\n$8\r\nSENTINEL\r\n$8\r\nreplicas\r\n$3\r\na b\r\n");
  EXPECT_EQ(subscribe_request(),
            "*3\r\n$9\r\nSUBSCRIBE\r\n$14\r\n+switch-master\r\n$15\r\n+promoted-slave\r\n");
  EXPECT_EQ(resp_command({std::string_view("x\0y", 3)}), std::string("*1\r\n$3\r\nx\0y\r\n", 13));
}

TEST(SentinelMasterAddress, ReadsTheAddress) {
  Node node;
  ASSERT_EQ(parse_master_address("*2\r\n$9\r\n127.0.0.1\r\n$4\r\n6379\r\n", &node),
            AddressAnswer::kAddress);
  EXPECT_EQ(node.host, "127.0.0.1");
  EXPECT_EQ(node.port, 6379);
  ASSERT_EQ(parse_master_address("*2\r\n$3\r\n::1\r\n$5\r\n65535\r\n", &node),
            AddressAnswer::kAddress);
  EXPECT_EQ(node.address(), "::1:65535");
}

TEST(SentinelMasterAddress, AnUnknownNameIsTheNullArray) {
  Node node{"kept", 1};
  EXPECT_EQ(parse_master_address("*-1\r\n", &node), AddressAnswer::kUnknown);
  EXPECT_EQ(node.host, "kept");
  EXPECT_EQ(parse_master_address("*-1\r\nx", &node), AddressAnswer::kMalformed);
}

TEST(SentinelMasterAddress, EverythingElseIsMalformed) {
  Node node{"kept", 1};
  for (const std::string& bad : std::vector<std::string>{
           std::string("-ERR unknown\r\n"), std::string("*1\r\n$9\r\n127.0.0.1\r\n"),
           std::string("*3\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\n2\r\n"),
           std::string("*2\r\n$9\r\n127.0.0.1\r\n$4\r\nport\r\n"),
           std::string("*2\r\n$9\r\n127.0.0.1\r\n$1\r\n0\r\n"),
           std::string("*2\r\n$9\r\n127.0.0.1\r\n$5\r\n65536\r\n"),
           std::string("*2\r\n$9\r\n127.0.0.1\r\n$2\r\n-1\r\n"),
           std::string("*2\r\n$0\r\n\r\n$4\r\n6379\r\n"),
           std::string("*2\r\n$-1\r\n$4\r\n6379\r\n"),
           std::string("*2\r\n$9\r\n127.0.0.1\r\n:6379\r\n"),
           std::string("*2\r\n$9\r\n127.0.0.1\r\n$4\r\n6379\r\n+extra\r\n"),
           std::string("*-2\r\n"), std::string(""),
       }) {
    EXPECT_EQ(parse_master_address(bad, &node), AddressAnswer::kMalformed) << bad;
  }
  EXPECT_EQ(node.host, "kept");
}

TEST(SentinelMasterAddress, EveryCutIsMalformed) {
  const std::string whole = "*2\r\n$9\r\n127.0.0.1\r\n$4\r\n6379\r\n";
  for (size_t n = 0; n < whole.size(); ++n) {
    Node node;
    EXPECT_EQ(parse_master_address(whole.substr(0, n), &node), AddressAnswer::kMalformed) << n;
  }
}

TEST(SentinelReplicas, ReadsEveryReplicaAndWhetherItServes) {
  const std::string reply = array({replica_entry("127.0.0.1", "6380", "slave", "ok"),
                                   replica_entry("127.0.0.1", "6381", "slave,s_down", "ok"),
                                   replica_entry("127.0.0.1", "6382", "slave,disconnected", "ok"),
                                   replica_entry("127.0.0.1", "6383", "slave,o_down", "ok"),
                                   replica_entry("127.0.0.1", "6384", "slave", "err"),
                                   replica_entry("127.0.0.1", "6385", "slave,xs_down", "ok")});
  std::vector<Replica> replicas;
  ASSERT_TRUE(parse_replicas(reply, &replicas));
  ASSERT_EQ(replicas.size(), 6u);
  EXPECT_EQ(replicas[0].node, (Node{"127.0.0.1", 6380}));
  const bool usable[] = {true, false, false, false, false, true};
  for (size_t i = 0; i < replicas.size(); ++i) {
    EXPECT_EQ(replicas[i].node.port, 6380 + static_cast<int>(i));
    EXPECT_EQ(replicas[i].usable, usable[i]) << i;
  }
}

TEST(SentinelReplicas, NoneIsAnEmptyList) {
  std::vector<Replica> replicas = {Replica{}};
  ASSERT_TRUE(parse_replicas("*0\r\n", &replicas));
  EXPECT_TRUE(replicas.empty());
}

TEST(SentinelReplicas, MalformedListsAreRefusedWhole) {
  std::vector<Replica> replicas = {Replica{Node{"kept", 1}, true}};
  const std::vector<std::string> bad = {
      "-ERR No such master with that name\r\n",
      array({array({bulk("ip"), bulk("127.0.0.1")})}),                     // no port
      array({array({bulk("ip"), bulk("127.0.0.1"), bulk("port")})}),       // odd fields
      array({array({bulk("port"), bulk("6380")})}),                        // no ip
      array({array({bulk("ip"), bulk("127.0.0.1"), bulk("port"), bulk("x")})}),
      array({bulk("flat")}),
      array({replica_entry("127.0.0.1", "6380", "slave", "ok")}) + "+extra\r\n",
  };
  for (const std::string& b : bad) {
    EXPECT_FALSE(parse_replicas(b, &replicas)) << b;
    ASSERT_EQ(replicas.size(), 1u);
    EXPECT_EQ(replicas[0].node.host, "kept");
  }
}

TEST(SentinelReplicas, EveryCutIsRefused) {
  const std::string whole = array({replica_entry("127.0.0.1", "6380", "slave", "ok"),
                                   replica_entry("10.0.0.2", "6381", "slave", "ok")});
  for (size_t n = 0; n < whole.size(); ++n) {
    std::vector<Replica> replicas;
    EXPECT_FALSE(parse_replicas(whole.substr(0, n), &replicas)) << n;
  }
}

TEST(SentinelMessages, SwitchMaster) {
  SwitchMaster change;
  ASSERT_TRUE(parse_switch_master(
      message("+switch-master", "mymaster 127.0.0.1 6379 127.0.0.1 6380"), &change));
  EXPECT_EQ(change.name, "mymaster");
  EXPECT_EQ(change.from, (Node{"127.0.0.1", 6379}));
  EXPECT_EQ(change.to, (Node{"127.0.0.1", 6380}));
}

TEST(SentinelMessages, PromotedSlaveNamesTheNewMaster) {
  SwitchMaster change;
  ASSERT_TRUE(parse_switch_master(
      message("+promoted-slave", "slave 127.0.0.1:6380 127.0.0.1 6380 @ mymaster 127.0.0.1 6379"),
      &change));
  EXPECT_EQ(change.name, "mymaster");
  EXPECT_EQ(change.from, (Node{"127.0.0.1", 6379}));
  EXPECT_EQ(change.to, (Node{"127.0.0.1", 6380}));
}

TEST(SentinelMessages, OtherMessagesAreNotFailovers) {
  SwitchMaster change;
  const std::vector<std::string> others = {
      array({bulk("subscribe"), bulk("+switch-master"), ":1\r\n"}),
      message("+sdown", "master mymaster 127.0.0.1 6379"),
      message("+switch-master", "mymaster 127.0.0.1 6379 127.0.0.1"),
      message("+switch-master", "mymaster 127.0.0.1 6379 127.0.0.1 6380 extra"),
      message("+switch-master", "mymaster 127.0.0.1 6379 127.0.0.1 0"),
      message("+switch-master", "mymaster 127.0.0.1 x 127.0.0.1 6380"),
      message("+promoted-slave", "master 127.0.0.1:6380 127.0.0.1 6380 @ mymaster 127.0.0.1 6379"),
      message("+promoted-slave", "slave 127.0.0.1:6380 127.0.0.1 6380 # mymaster 127.0.0.1 6379"),
      array({bulk("pmessage"), bulk("*"), bulk("+switch-master"),
             bulk("mymaster 127.0.0.1 6379 127.0.0.1 6380")}),
      array({bulk("pong"), bulk("")}),
  };
  for (const std::string& m : others) EXPECT_FALSE(parse_switch_master(m, &change)) << m;
}

TEST(SentinelMessages, EveryCutIsRefused) {
  const std::string whole = message("+switch-master", "mymaster 127.0.0.1 6379 127.0.0.1 6380");
  for (size_t n = 0; n < whole.size(); ++n) {
    SwitchMaster change;
    EXPECT_FALSE(parse_switch_master(whole.substr(0, n), &change)) << n;
  }
}

TEST(RespReader, NullArrayArraysAndBadHeaders) {
  int64_t count = -5;
  bool null = false;
  RespReader a("*-1\r\n");
  EXPECT_TRUE(a.array_or_null(&count, &null));
  EXPECT_TRUE(null);
  EXPECT_EQ(count, 0);
  EXPECT_TRUE(a.at_end());
  RespReader b("*3\r\n");
  EXPECT_TRUE(b.array_or_null(&count, &null));
  EXPECT_FALSE(null);
  EXPECT_EQ(count, 3);
  for (const char* bad : {"*-2\r\n", "*x\r\n", "*\r\n", "$3\r\n", "*3"}) {
    RespReader r(bad);
    EXPECT_FALSE(r.array_or_null(&count, &null)) << bad;
  }
  RespReader c("*-1\r\n");
  EXPECT_FALSE(c.array(&count)) << "array() takes no null";
}

TEST(RespReader, SkipsNestedValuesToABoundedDepth) {
  RespReader r("*2\r\n*1\r\n:1\r\n$3\r\nabc\r\n+after\r\n");
  EXPECT_TRUE(r.skip());
  EXPECT_TRUE(r.skip());
  EXPECT_TRUE(r.at_end());
  std::string deep;
  for (int i = 0; i < 20; ++i) deep += "*1\r\n";
  deep += ":1\r\n";
  RespReader d(deep);
  EXPECT_FALSE(d.skip()) << "nesting past the limit is refused, not followed";
}

}  // namespace
}  // namespace walnut::redis::sentinel
