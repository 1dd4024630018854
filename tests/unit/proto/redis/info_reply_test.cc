// info_text: Redis's INFO layout of walnut's numbers, section by section.
#include "proto/redis/info_reply.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace walnut::redis {
namespace {

const proto::StatLines kStats = {
    {"pid", "77"},           {"uptime", "90000"},        {"time", "1700000000"},
    {"version", "walnut-9.8.7"}, {"pointer_size", "64"}, {"curr_connections", "3"},
    {"total_connections", "12"}, {"client_err", "1"},    {"requests", "500"},
};

TEST(InfoText, EverySectionByDefaultInRedisLayout) {
  const std::string text = info_text({}, kStats);
  EXPECT_EQ(text.rfind("# Server\r\nredis_version:7.0.0\r\nwalnut_version:", 0), 0u) << text;
  EXPECT_NE(text.find("\r\nwalnut_version:9.8.7\r\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\r\nprocess_id:77\r\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\r\nuptime_in_seconds:90000\r\nuptime_in_days:1\r\n"), std::string::npos);
  EXPECT_NE(text.find("\r\n\r\n# Clients\r\nconnected_clients:3\r\nblocked_clients:0\r\n"
                      "\r\n# Stats\r\ntotal_connections:12\r\nclient_err:1\r\nrequests:500\r\n"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.substr(text.size() - 2), "\r\n");
  EXPECT_EQ(text.find("\r\n\r\n\r\n"), std::string::npos);
  EXPECT_EQ(info_text({"default"}, kStats), text);
  EXPECT_EQ(info_text({"all"}, kStats), text);
  EXPECT_EQ(info_text({"clients", "everything"}, kStats), text);
}

TEST(InfoText, NamedSectionsOnlyAndUnknownOnesLeftOut) {
  EXPECT_EQ(info_text({"clients"}, kStats),
            "# Clients\r\nconnected_clients:3\r\nblocked_clients:0\r\n");
  const std::string two = info_text({"stats", "clients"}, kStats);
  EXPECT_EQ(two.find("# Clients"), 0u) << "in Redis's order, not the request's";
  EXPECT_NE(two.find("\r\n\r\n# Stats\r\n"), std::string::npos);
  EXPECT_EQ(two.find("# Server"), std::string::npos);
  EXPECT_EQ(info_text({"bogus"}, kStats), "");
  EXPECT_EQ(info_text({"server"}, kStats).find("# Server\r\n"), 0u);
}

TEST(InfoKeyspace, AskedByDefaultOrByName) {
  EXPECT_TRUE(wants_keyspace({}));
  EXPECT_TRUE(wants_keyspace({"all"}));
  EXPECT_TRUE(wants_keyspace({"server", "keyspace"}));
  EXPECT_FALSE(wants_keyspace({"server"}));
  EXPECT_FALSE(wants_keyspace({"clients", "stats"}));
}

// Each db's counts added up over the servers; avg_ttl weighted by how many
// keys expire on each; dbs in number order; lines that are not a db's left.
TEST(InfoKeyspace, TheServersKeyspacesAddUp) {
  EXPECT_EQ(keyspace_section({"# Keyspace\r\ndb0:keys=3,expires=1,avg_ttl=1000\r\n",
                              "# Keyspace\r\ndb2:keys=1,expires=0,avg_ttl=0\r\n"
                              "db0:keys=5,expires=3,avg_ttl=3000\r\n",
                              "# Keyspace\r\n"}),
            "# Keyspace\r\ndb0:keys=8,expires=4,avg_ttl=2500\r\n"
            "db2:keys=1,expires=0,avg_ttl=0\r\n");
  EXPECT_EQ(keyspace_section({}), "# Keyspace\r\n");
  EXPECT_EQ(keyspace_section({"$-1\r\n", "garbage"}), "# Keyspace\r\n");
  // Redis 7 adds fields after avg_ttl on some versions: still read.
  EXPECT_EQ(keyspace_section({"db0:keys=2,expires=0,avg_ttl=0,subexpiry=0\r\n"}),
            "# Keyspace\r\ndb0:keys=2,expires=0,avg_ttl=0\r\n");
}

}  // namespace
}  // namespace walnut::redis
