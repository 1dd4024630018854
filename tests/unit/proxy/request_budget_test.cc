// The process-wide budget for unfinished requests: who may read past the
// cap, who waits, and that the oldest large request always goes on.
#include "proxy/request_budget.h"

#include <gtest/gtest.h>

namespace walnut::proxy {
namespace {

struct FakeClient : RequestBudget::Holder {
  int woken = 0;
  void budget_available() override { ++woken; }
};

constexpr uint64_t kLarge = RequestBudget::kLargeRequest + 1;

TEST(RequestBudget, NoCapLetsEveryoneRead) {
  RequestBudget budget;
  FakeClient a, b;
  budget.update(a, 100 * kLarge);
  budget.update(b, 100 * kLarge);
  EXPECT_EQ(budget.held(), 200 * kLarge);
  EXPECT_TRUE(budget.may_read(a));
  EXPECT_TRUE(budget.may_read(b));
}

TEST(RequestBudget, PastTheCapOnlyTheOldestLargeRequestGoesOn) {
  RequestBudget budget;
  budget.set_limit(2 * kLarge);
  FakeClient first, second, third;
  budget.update(first, kLarge);
  budget.update(second, kLarge);
  EXPECT_TRUE(budget.may_read(second)) << "at the cap, not past it";
  budget.update(third, kLarge);
  EXPECT_TRUE(budget.may_read(first)) << "the oldest large request must finish";
  EXPECT_FALSE(budget.may_read(second));
  EXPECT_FALSE(budget.may_read(third));
}

TEST(RequestBudget, SmallRequestsAreNeverHeldBack) {
  RequestBudget budget;
  budget.set_limit(kLarge);
  FakeClient big, small, idle;
  budget.update(big, 3 * kLarge);
  budget.update(small, RequestBudget::kLargeRequest);
  EXPECT_TRUE(budget.may_read(small));
  EXPECT_TRUE(budget.may_read(idle));
  EXPECT_EQ(budget.held(), 3 * kLarge + RequestBudget::kLargeRequest);
}

TEST(RequestBudget, WaitersAreWokenInLineOrderWhenBytesComeBack) {
  RequestBudget budget;
  budget.set_limit(2 * kLarge);
  FakeClient first, second, third;
  budget.update(first, 2 * kLarge);
  budget.update(second, kLarge);
  budget.update(third, kLarge);
  budget.wait(second);
  budget.wait(third);
  EXPECT_TRUE(second.waiting_for_budget());
  // The first finishes its request: the cap holds again for the others,
  // and the second is now the oldest.
  budget.update(first, 0);
  EXPECT_EQ(second.woken, 1);
  EXPECT_FALSE(second.waiting_for_budget());
  EXPECT_EQ(third.woken, 1) << "2 large requests fit under the cap";
  EXPECT_EQ(budget.held(), 2 * kLarge);
}

TEST(RequestBudget, ANewOldestIsWokenEvenWhileStillOverTheCap) {
  RequestBudget budget;
  budget.set_limit(kLarge);
  FakeClient first, second, third;
  budget.update(first, kLarge);
  budget.update(second, 5 * kLarge);
  budget.update(third, 5 * kLarge);
  budget.wait(second);
  budget.wait(third);
  budget.release(first);  // closed
  EXPECT_EQ(second.woken, 1) << "the new head of the line must not wait for ever";
  EXPECT_EQ(third.woken, 0);
  EXPECT_TRUE(third.waiting_for_budget());
  budget.release(third);  // a waiter goes away: nothing is owed to it
  budget.update(second, 0);
  EXPECT_EQ(third.woken, 0);
  EXPECT_EQ(budget.held(), 0u);
}

TEST(RequestBudget, CompleteLargeRequestsCountUntilWrittenAndHoldBackEvenTheOldest) {
  RequestBudget budget;
  budget.set_limit(2 * kLarge);
  FakeClient uploader;
  uint64_t small_charge = 0, first = 0, second = 0;
  budget.charge(RequestBudget::kLargeRequest, &small_charge);
  EXPECT_EQ(small_charge, 0u) << "small requests owe nothing";
  budget.charge(kLarge, &first);
  budget.charge(kLarge, &second);
  EXPECT_EQ(budget.forwarded(), 2 * kLarge);
  budget.update(uploader, kLarge);
  EXPECT_FALSE(budget.may_read(uploader))
      << "the servers have not taken what was forwarded: even the oldest waits";
  budget.wait(uploader);
  budget.discharge(&first);  // written to its server
  EXPECT_EQ(first, 0u);
  EXPECT_EQ(uploader.woken, 1);
  budget.discharge(&first);  // twice is harmless (written, then freed)
  EXPECT_EQ(budget.forwarded(), kLarge);
  budget.discharge(&second);
  budget.release(uploader);
  EXPECT_EQ(budget.forwarded() + budget.held(), 0u);
}

}  // namespace
}  // namespace walnut::proxy
