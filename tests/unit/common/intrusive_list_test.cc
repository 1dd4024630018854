// IntrusiveList: one element on two lists at once, FIFO order, removal.
#include <gtest/gtest.h>

#include "common/intrusive_list.h"

namespace walnut {
namespace {

struct Item {
  int value;
  ListHook a;
  ListHook b;
};

TEST(IntrusiveList, KeepsOrderAndSupportsTwoListsAtOnce) {
  Item items[4] = {{1, {}, {}}, {2, {}, {}}, {3, {}, {}}, {4, {}, {}}};
  IntrusiveList<Item, &Item::a> la;
  IntrusiveList<Item, &Item::b> lb;
  for (auto& it : items) la.push_back(&it);
  lb.push_back(&items[3]);
  lb.push_back(&items[0]);
  EXPECT_EQ(la.size(), 4u);
  EXPECT_EQ(la.front()->value, 1);
  EXPECT_EQ(la.back()->value, 4);
  la.remove(&items[1]);
  EXPECT_FALSE(items[1].a.linked());
  int seen[3], n = 0;
  for (Item* it = la.front(); it != nullptr; it = la.next(it)) seen[n++] = it->value;
  ASSERT_EQ(n, 3);
  EXPECT_EQ(seen[0], 1);
  EXPECT_EQ(seen[1], 3);
  EXPECT_EQ(seen[2], 4);
  EXPECT_EQ(lb.pop_front()->value, 4);
  EXPECT_EQ(lb.pop_front()->value, 1);
  EXPECT_EQ(lb.pop_front(), nullptr);
  EXPECT_TRUE(lb.empty());
  EXPECT_TRUE(items[0].a.linked()) << "still on the other list";
}

TEST(IntrusiveList, ReplaceKeepsThePlace) {
  Item items[4] = {{1, {}, {}}, {2, {}, {}}, {3, {}, {}}, {9, {}, {}}};
  IntrusiveList<Item, &Item::a> l;
  for (int i = 0; i < 3; ++i) l.push_back(&items[i]);
  l.replace(&items[1], &items[3]);
  EXPECT_FALSE(items[1].a.linked());
  EXPECT_EQ(l.size(), 3u);
  EXPECT_EQ(l.pop_front()->value, 1);
  EXPECT_EQ(l.pop_front()->value, 9);
  EXPECT_EQ(l.pop_front()->value, 3);
}

TEST(IntrusiveList, InsertBeforeTakesThePlaceInFront) {
  Item items[4] = {{1, {}, {}}, {2, {}, {}}, {8, {}, {}}, {9, {}, {}}};
  IntrusiveList<Item, &Item::a> l;
  l.push_back(&items[0]);
  l.push_back(&items[1]);
  l.insert_before(&items[1], &items[2]);  // in the middle
  l.insert_before(&items[0], &items[3]);  // at the front
  EXPECT_EQ(l.size(), 4u);
  EXPECT_EQ(l.front()->value, 9);
  EXPECT_EQ(l.back()->value, 2);
  EXPECT_EQ(l.pop_front()->value, 9);
  EXPECT_EQ(l.pop_front()->value, 1);
  EXPECT_EQ(l.pop_front()->value, 8);
  EXPECT_EQ(l.pop_front()->value, 2);
  EXPECT_TRUE(l.empty());
}

}  // namespace
}  // namespace walnut
