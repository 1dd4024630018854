// Router: hash_tag extraction, the one-server shortcut, and that routing
// follows the pool's hash and distribution.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "hash/hash.h"
#include "proxy/router.h"

namespace walnut::proxy {
namespace {

std::vector<dist::ServerWeight> servers(int n) {
  std::vector<dist::ServerWeight> out;
  for (int i = 0; i < n; ++i) {
    out.push_back({static_cast<uint32_t>(i),
                   "127.0.0.1:" + std::to_string(6379 + i), 1});
  }
  return out;
}

TEST(Router, HashTagSelectsTheTaggedPart) {
  Router r;
  std::string error;
  ASSERT_TRUE(r.init("fnv1a_64", "ketama", "{}", servers(2), &error)) << error;
  EXPECT_EQ(r.routing_part("user:{42}:name"), "42");
  EXPECT_EQ(r.routing_part("{a}{b}"), "a");
  EXPECT_EQ(r.routing_part("no tag"), "no tag");
  EXPECT_EQ(r.routing_part("empty{}tag"), "empty{}tag") << "empty tag: whole key";
  EXPECT_EQ(r.routing_part("open{only"), "open{only") << "incomplete tag";
  EXPECT_EQ(r.routing_part("}x{"), "}x{");
  Router plain;
  ASSERT_TRUE(plain.init("fnv1a_64", "ketama", "", servers(2), &error));
  EXPECT_EQ(plain.routing_part("user:{42}"), "user:{42}");
}

TEST(Router, KeysSharingATagShareAServer) {
  Router r;
  std::string error;
  ASSERT_TRUE(r.init("fnv1a_64", "ketama", "{}", servers(3), &error));
  for (int i = 0; i < 100; ++i) {
    std::string tag = "t" + std::to_string(i);
    EXPECT_EQ(r.route("a{" + tag + "}"), r.route("zzz{" + tag + "}x"));
    EXPECT_EQ(r.route("a{" + tag + "}"), r.route(tag));
  }
}

TEST(Router, SpreadsKeysOverEveryServer) {
  Router r;
  std::string error;
  ASSERT_TRUE(r.init("md5", "ketama", "", servers(3), &error));
  std::set<uint32_t> used;
  for (int i = 0; i < 300; ++i) used.insert(r.route("key:" + std::to_string(i)));
  EXPECT_EQ(used, (std::set<uint32_t>{0, 1, 2}));
}

TEST(Router, OneServerTakesEveryKey) {
  Router r;
  std::string error;
  auto one = servers(1);
  one[0].index = 7;
  ASSERT_TRUE(r.init("md5", "modula", "", one, &error));
  EXPECT_EQ(r.route("anything"), 7u);
  EXPECT_EQ(r.route(""), 7u);
}

TEST(Router, ServerNameRoutesByTheNameInTheKey) {
  Router r;
  std::string error;
  std::vector<dist::ServerWeight> named = {{0, "alpha", 1}, {1, "beta", 1}, {2, "gamma", 5}};
  ASSERT_TRUE(r.init("fnv1a_64", "server_name", "{}", named, &error)) << error;
  EXPECT_EQ(r.route("{beta}:user:1"), 1u);
  EXPECT_EQ(r.route("gamma"), 2u) << "no tag: the whole key";
  EXPECT_EQ(r.route("x{alpha}y"), 0u);
  EXPECT_EQ(r.route("{delta}:k"), Router::kNoServer);
  EXPECT_EQ(r.route("alpha:k"), Router::kNoServer) << "whole key names nobody";
  EXPECT_EQ(r.route(""), Router::kNoServer);
}

TEST(Router, RejectsUnknownNames) {
  Router r;
  std::string error;
  EXPECT_FALSE(r.init("sha1", "ketama", "", servers(2), &error));
  EXPECT_NE(error.find("sha1"), std::string::npos);
  EXPECT_FALSE(r.init("fnv1a_64", "rendezvous", "", servers(2), &error));
  EXPECT_NE(error.find("rendezvous"), std::string::npos);
}

}  // namespace
}  // namespace walnut::proxy
