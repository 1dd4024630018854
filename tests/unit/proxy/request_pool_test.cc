// RequestPool: requests are reused blank, give back their budget charge, and
// the reserve is bounded and can be freed.
#include "proxy/request_pool.h"

#include <gtest/gtest.h>

#include <vector>

#include "buffer/mbuf_pool.h"
#include "proto/command.h"

namespace walnut::proxy {
namespace {

class Keeper final : public ReplyWaiter {
 public:
  void on_reply(Request*) override {}
};

// Every field of a request set away from its blank value.
void dirty(Request* r, buffer::MbufPool& mbufs, ReplyWaiter* waiter) {
  static const proto::CommandInfo kGet{"get", 2, 1, 1, 1, 0, proto::CommandKind::kRead};
  r->request.append_copy(mbufs, "*2\r\n$3\r\nget\r\n$1\r\nk\r\n");
  r->tokens.push_back({8, 3});
  r->command = &kGet;
  r->keys.push_back({18, 1});
  r->reply.append_copy(mbufs, "$1\r\nv\r\n");
  r->reply_is_error = true;
  r->silent = true;
  r->fragments.push_back(r);
  r->key_places.push_back({0, 0});
  r->cursor = {7, 1, 3};
  r->kind = RequestKind::placeholder;
  r->done = true;
  r->close_after = true;
  r->waiter = waiter;
  r->server = reinterpret_cast<ServerConn*>(r);
  r->deadline = 1;
  r->server_reads = 2;
  r->arrived_us = 3;
  r->request_sent = 4;
  r->reply_sent = 5;
  r->join.wait_for(nullptr, r, 2);
}

void expect_blank(const Request* r) {
  EXPECT_EQ(r->request.size(), 0u);
  EXPECT_TRUE(r->tokens.empty());
  EXPECT_EQ(r->command, nullptr);
  EXPECT_TRUE(r->keys.empty());
  EXPECT_EQ(r->reply.size(), 0u);
  EXPECT_FALSE(r->reply_is_error);
  EXPECT_FALSE(r->silent);
  EXPECT_TRUE(r->fragments.empty());
  EXPECT_TRUE(r->key_places.empty());
  EXPECT_EQ(r->cursor.value, 0u);
  EXPECT_EQ(r->cursor.server, 0u);
  EXPECT_EQ(r->cursor.servers, 0u);
  EXPECT_EQ(r->kind, RequestKind::client);
  EXPECT_FALSE(r->done);
  EXPECT_FALSE(r->close_after);
  EXPECT_EQ(r->waiter, nullptr);
  EXPECT_EQ(r->server, nullptr);
  EXPECT_EQ(r->deadline, Request::kNoDeadline);
  EXPECT_EQ(r->server_reads, 0u);
  EXPECT_EQ(r->arrived_us, 0u);
  EXPECT_EQ(r->budget_charge, 0u);
  EXPECT_EQ(r->request_sent, 0u);
  EXPECT_EQ(r->reply_sent, 0u);
  EXPECT_FALSE(r->join.waiting());
  EXPECT_FALSE(r->client_hook.linked());
  EXPECT_FALSE(r->server_hook.linked());
}

TEST(RequestPool, AReusedRequestIsBlankInEveryField) {
  buffer::MbufPool mbufs;
  RequestBudget budget;
  RequestPool pool(budget);
  Keeper keeper;
  Request* r = pool.get();
  expect_blank(r);
  dirty(r, mbufs, &keeper);
  pool.put(r);
  Request* again = pool.get();
  ASSERT_EQ(again, r);  // the reserve is used before the allocator
  expect_blank(again);
  pool.put(again);
}

TEST(RequestPool, PutGivesTheBudgetChargeBack) {
  RequestBudget budget;
  RequestPool pool(budget);
  Request* r = pool.get();
  budget.charge(RequestBudget::kLargeRequest + 1, &r->budget_charge);
  EXPECT_EQ(budget.forwarded(), RequestBudget::kLargeRequest + 1);
  pool.put(r);
  EXPECT_EQ(budget.forwarded(), 0u);
}

TEST(RequestPool, TheReserveIsBoundedAndTrimFreesIt) {
  RequestBudget budget;
  RequestPool pool(budget);
  constexpr size_t kBurst = 5000;  // more than the reserve keeps
  std::vector<Request*> held;
  for (size_t i = 0; i < kBurst; ++i) held.push_back(pool.get());
  for (Request* r : held) pool.put(r);
  const uint64_t beyond_reserve = pool.released_bytes();
  EXPECT_GT(beyond_reserve, 0u);
  EXPECT_LT(beyond_reserve, kBurst * sizeof(Request));
  pool.trim();
  EXPECT_EQ(pool.released_bytes(), kBurst * sizeof(Request));
}

}  // namespace
}  // namespace walnut::proxy
