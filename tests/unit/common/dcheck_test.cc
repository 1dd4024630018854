// WALNUT_DCHECK: in the sanitized build it stops a broken invariant (here a
// reply delivered twice) where it happens; in the release build it costs
// nothing, its condition not even evaluated.
#include "common/dcheck.h"

#include <gtest/gtest.h>

#include "event/loop.h"
#include "proxy/context.h"
#include "proxy/request.h"

namespace walnut::proxy {
namespace {

class Keeper final : public ReplyWaiter {
 public:
  void on_reply(Request*) override { ++replies; }
  int replies = 0;
};

#ifdef WALNUT_DCHECKS
TEST(DcheckDeathTest, AReplyDeliveredTwiceStopsTheCheckedBuild) {
  event::Loop loop;
  Context ctx(loop, 16384);
  Keeper keeper;
  Request* r = ctx.requests().get();
  r->waiter = &keeper;
  deliver(ctx, r);
  EXPECT_EQ(keeper.replies, 1);
  EXPECT_DEATH(deliver(ctx, r), "invariant broken: !request->done");
  ctx.requests().put(r);
}
#else
TEST(Dcheck, TheReleaseBuildDoesNotEvaluateTheCondition) {
  int evaluated = 0;
  WALNUT_DCHECK(++evaluated > 0);
  EXPECT_EQ(evaluated, 0);
}
#endif

}  // namespace
}  // namespace walnut::proxy
