// SubscribedNames: where each name lives, counts per server and family,
// and claims that confirm a name or take it back.
#include "proxy/subscribed_names.h"

#include <gtest/gtest.h>

namespace walnut::proxy {
namespace {

using Family = SubscribedNames::Family;
using Claims = std::vector<SubscribedNames::Claim>;
using Taken = std::vector<SubscribedNames::Placed>;

std::vector<std::string> taken_names(const Taken& taken) {
  std::vector<std::string> out;
  for (const auto& t : taken) out.push_back(t.name);
  return out;
}

// A channel's unsubscription goes where it was subscribed, whatever its
// name routes to now (walnut once routed it again, after an ejection).
TEST(SubscribedNames, RemembersTheServerEachNameLivesOn) {
  SubscribedNames names;
  Claims claims;
  names.add(Family::kChannel, "a", 2, &claims);
  names.add(Family::kShard, "a", 0, &claims);
  names.add(Family::kPattern, "a*", SubscribedNames::kEveryServer, &claims);
  EXPECT_EQ(names.server_of(Family::kChannel, "a"), 2u);
  EXPECT_EQ(names.server_of(Family::kShard, "a"), 0u);
  EXPECT_EQ(names.server_of(Family::kPattern, "a*"), SubscribedNames::kEveryServer);
  EXPECT_EQ(names.server_of(Family::kChannel, "b"), std::nullopt);
  EXPECT_EQ(names.remove(Family::kChannel, "a"), 2u);
  EXPECT_EQ(names.remove(Family::kChannel, "a"), std::nullopt);
}

TEST(SubscribedNames, CountsByFamilyAndByServer) {
  SubscribedNames names;
  Claims claims;
  names.add(Family::kChannel, "a", 1, &claims);
  names.add(Family::kChannel, "b", 1, &claims);
  names.add(Family::kShard, "s", 0, &claims);
  EXPECT_EQ(names.count(Family::kChannel), 2u);
  EXPECT_EQ(names.count(Family::kShard), 1u);
  EXPECT_TRUE(names.on(0));
  EXPECT_TRUE(names.on(1));
  EXPECT_FALSE(names.on(2));
  names.remove(Family::kChannel, "a");
  EXPECT_TRUE(names.on(1));
  names.remove(Family::kChannel, "b");
  EXPECT_FALSE(names.on(1));
  names.add(Family::kPattern, "p*", SubscribedNames::kEveryServer, &claims);
  EXPECT_EQ(names.count(Family::kChannel), 1u) << "patterns count with channels";
  EXPECT_TRUE(names.on(1)) << "a pattern lives on every server";
  EXPECT_TRUE(names.on(7));
  names.remove(Family::kPattern, "p*");
  names.remove(Family::kShard, "s");
  EXPECT_FALSE(names.any());
  EXPECT_FALSE(names.on(0));
}

TEST(SubscribedNames, AFailedRequestTakesBackOnlyWhatItAdded) {
  SubscribedNames names;
  Claims first;
  names.add(Family::kChannel, "old", 0, &first);
  names.confirm(Family::kChannel, first);
  Claims second;
  names.add(Family::kChannel, "old", 0, &second);  // confirmed before: no claim
  names.add(Family::kChannel, "new", 1, &second);
  names.add(Family::kChannel, "new", 1, &second);  // named twice, as Redis allows
  Taken taken;
  names.take_back(Family::kChannel, second, &taken);
  ASSERT_EQ(taken.size(), 1u);
  EXPECT_EQ(taken[0].name, "new");
  EXPECT_EQ(taken[0].server, 1u);
  EXPECT_EQ(names.server_of(Family::kChannel, "new"), std::nullopt);
  EXPECT_EQ(names.server_of(Family::kChannel, "old"), 0u);
  EXPECT_FALSE(names.on(1));
}

TEST(SubscribedNames, ANameTwoRequestsClaimGoesOnlyWhenNeitherIsConfirmed) {
  SubscribedNames names;
  Claims r1, r2;
  names.add(Family::kPattern, "p*", SubscribedNames::kEveryServer, &r1);
  names.add(Family::kPattern, "p*", SubscribedNames::kEveryServer, &r2);
  Taken taken;
  names.take_back(Family::kPattern, r1, &taken);
  EXPECT_TRUE(taken.empty()) << "the second request may still be confirmed";
  names.take_back(Family::kPattern, r2, &taken);
  EXPECT_EQ(taken_names(taken), std::vector<std::string>{"p*"});

  Claims r3, r4;
  names.add(Family::kChannel, "c", 0, &r3);
  names.add(Family::kChannel, "c", 0, &r4);
  names.confirm(Family::kChannel, r3);
  taken.clear();
  names.take_back(Family::kChannel, r4, &taken);
  EXPECT_TRUE(taken.empty()) << "the first request was confirmed";
  EXPECT_EQ(names.server_of(Family::kChannel, "c"), 0u);
}

// A claim is on one subscription of a name: unsubscribed and subscribed
// again, the name is another's to take back.
TEST(SubscribedNames, AClaimOutlivesNoUnsubscription) {
  SubscribedNames names;
  Claims stale, fresh;
  names.add(Family::kChannel, "c", 0, &stale);
  names.remove(Family::kChannel, "c");
  names.add(Family::kChannel, "c", 1, &fresh);
  Taken taken;
  names.take_back(Family::kChannel, stale, &taken);
  EXPECT_TRUE(taken.empty());
  EXPECT_EQ(names.server_of(Family::kChannel, "c"), 1u);
  names.confirm(Family::kChannel, stale);  // nor does it confirm the new one
  EXPECT_FALSE(names.confirmed_on(1));
  names.confirm(Family::kChannel, fresh);
  EXPECT_TRUE(names.confirmed_on(1));
}

TEST(SubscribedNames, ConfirmedOnTellsLostSubscriptionsFromUnconfirmedOnes) {
  SubscribedNames names;
  Claims claims;
  names.add(Family::kChannel, "a", 0, &claims);
  EXPECT_FALSE(names.confirmed_on(0)) << "its server has not confirmed it";
  names.confirm(Family::kChannel, claims);
  EXPECT_TRUE(names.confirmed_on(0));
  EXPECT_FALSE(names.confirmed_on(1));
  Claims pattern;
  names.add(Family::kPattern, "p*", SubscribedNames::kEveryServer, &pattern);
  names.confirm(Family::kPattern, pattern);
  EXPECT_TRUE(names.confirmed_on(1)) << "a confirmed pattern lives everywhere";
  std::vector<std::string> all = names.all(Family::kChannel);
  EXPECT_EQ(all, std::vector<std::string>{"a"});
}

}  // namespace
}  // namespace walnut::proxy
