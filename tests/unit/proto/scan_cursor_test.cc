// The pool-wide SCAN cursor: the server's index in the low bits, the
// server's own cursor above them, and the walk from server to server.
#include "proto/scan_cursor.h"

#include <gtest/gtest.h>

namespace walnut::proto {
namespace {

TEST(ScanCursor, OneServerPassesCursorsThroughUnchanged) {
  EXPECT_EQ(scan_index_bits(1), 0u);
  EXPECT_EQ(scan_server(123456789, 1), 0u);
  EXPECT_EQ(scan_server_cursor(123456789, 1), 123456789u);
  uint64_t next = 1;
  ASSERT_TRUE(scan_next(0, 0, 1, &next));
  EXPECT_EQ(next, 0u);
  ASSERT_TRUE(scan_next(~uint64_t{0}, 0, 1, &next));
  EXPECT_EQ(next, ~uint64_t{0});
}

TEST(ScanCursor, IndexBitsAreAsFewAsThePoolNeeds) {
  EXPECT_EQ(scan_index_bits(2), 1u);
  EXPECT_EQ(scan_index_bits(3), 2u);
  EXPECT_EQ(scan_index_bits(4), 2u);
  EXPECT_EQ(scan_index_bits(5), 3u);
  EXPECT_EQ(scan_index_bits(1024), 10u);
}

TEST(ScanCursor, RoundTripsAndWalksTheServersInOrder) {
  const uint32_t servers = 3;
  uint64_t client = 0;
  ASSERT_TRUE(scan_next(176, 2, servers, &client));
  EXPECT_EQ(scan_server(client, servers), 2u);
  EXPECT_EQ(scan_server_cursor(client, servers), 176u);
  // A server that is done hands over to the next one, at its cursor 0.
  ASSERT_TRUE(scan_next(0, 0, servers, &client));
  EXPECT_EQ(client, 1u);
  EXPECT_EQ(scan_server(client, servers), 1u);
  EXPECT_EQ(scan_server_cursor(client, servers), 0u);
  // After the last, the client gets 0: the scan is over.
  ASSERT_TRUE(scan_next(0, 2, servers, &client));
  EXPECT_EQ(client, 0u);
  // A cursor naming a server the pool does not have.
  EXPECT_EQ(scan_server(3, servers), 3u);
}

TEST(ScanCursor, ACursorWithNoRoomForTheIndexIsRefused) {
  uint64_t client = 0;
  EXPECT_FALSE(scan_next(uint64_t{1} << 63, 0, 2, &client));
  EXPECT_TRUE(scan_next((uint64_t{1} << 63) - 1, 1, 2, &client));
  EXPECT_EQ(client, ~uint64_t{0});
}

}  // namespace
}  // namespace walnut::proto
