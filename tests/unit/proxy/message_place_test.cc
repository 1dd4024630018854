// message_place: a published message goes before the first request still
// waiting for a reply from its connection, whole or by one of its parts.
#include "proxy/message_place.h"

#include <gtest/gtest.h>

namespace walnut::proxy {
namespace {

// Connections are only compared, never used: any distinct addresses do.
ServerConn* const kC = reinterpret_cast<ServerConn*>(0x1000);
ServerConn* const kD = reinterpret_cast<ServerConn*>(0x2000);

TEST(MessagePlace, EndOfTheQueueWhenNothingWaitsOnItsConnection) {
  Request answered, elsewhere;
  answered.done = true;
  elsewhere.server = kD;
  ClientQueue q;
  EXPECT_EQ(message_place(q, kC), nullptr);
  q.push_back(&answered);
  q.push_back(&elsewhere);
  EXPECT_EQ(message_place(q, kC), nullptr);
  while (q.pop_front() != nullptr) {
  }
}

TEST(MessagePlace, BeforeTheFirstRequestWaitingOnItsConnection) {
  Request elsewhere, first, second;
  elsewhere.server = kD;
  first.server = kC;
  second.server = kC;
  ClientQueue q;
  q.push_back(&elsewhere);
  q.push_back(&first);
  q.push_back(&second);
  EXPECT_EQ(message_place(q, kC), &first);
  EXPECT_EQ(message_place(q, kD), &elsewhere);
  while (q.pop_front() != nullptr) {
  }
}

TEST(MessagePlace, BeforeASplitRequestWithAPartOnItsConnection) {
  Request plain, split, part_d, part_c, answered_part;
  plain.server = kD;
  part_d.server = kD;
  part_c.server = kC;
  split.fragments = {&part_d, &part_c};
  ClientQueue q;
  q.push_back(&plain);
  q.push_back(&split);
  EXPECT_EQ(message_place(q, kC), &split);
  // Its part there answered (no longer queued on C): the message came after
  // that reply, so after the request.
  part_c.server = nullptr;
  EXPECT_EQ(message_place(q, kC), nullptr);
  while (q.pop_front() != nullptr) {
  }
}

}  // namespace
}  // namespace walnut::proxy
