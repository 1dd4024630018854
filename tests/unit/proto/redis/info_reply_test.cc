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

}  // namespace
}  // namespace walnut::redis
