#include "proto/text.h"

#include <gtest/gtest.h>

#include <string>

namespace walnut::proto {
namespace {

bool has_control_byte_slowly(std::string_view bytes) {
  for (char c : bytes) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) return true;
  }
  return false;
}

// Every byte value at every place of keys up to 24 bytes long (three words
// and a tail), among clean bytes that sit next to the edges (0x20, 0x7e,
// 0x80, 0xff), so that a borrow or a neighbour cannot fool the word test.
TEST(HasControlByte, AgreesWithAByteByByteCheckForEveryByteAtEveryPlace) {
  const std::string fillers[] = {"a", " ", "~", "\x80", "\xff", "\x21\x7e\x80\xff"};
  int checked = 0;
  for (const std::string& filler : fillers) {
    for (size_t len = 0; len <= 24; ++len) {
      std::string clean;
      while (clean.size() < len) clean += filler;
      clean.resize(len);
      ASSERT_FALSE(has_control_byte(clean)) << "len " << len;
      for (size_t at = 0; at < len; ++at) {
        for (int b = 0; b < 256; ++b) {
          std::string key = clean;
          key[at] = static_cast<char>(b);
          ASSERT_EQ(has_control_byte(key), has_control_byte_slowly(key))
              << "byte " << b << " at " << at << " of " << len;
          ++checked;
        }
      }
    }
  }
  EXPECT_GT(checked, 0);
}

TEST(ShortNumber, ReadsUpTo18DigitsAndStopsAtTheFirstOtherByte) {
  auto read = [](std::string_view text, uint64_t* value) {
    const char* p = text.data();
    const bool ok = short_number(p, text.data() + text.size(), *value);
    return ok ? static_cast<long>(p - text.data()) : -1L;
  };
  uint64_t v = 7;
  EXPECT_EQ(read("0", &v), 1);
  EXPECT_EQ(v, 0u);
  EXPECT_EQ(read("42 x", &v), 2);
  EXPECT_EQ(v, 42u);
  EXPECT_EQ(read("42x", &v), 2);  // the caller judges the byte after
  EXPECT_EQ(read("999999999999999999", &v), 18);
  EXPECT_EQ(v, 999999999999999999u);
  v = 7;
  EXPECT_EQ(read("1000000000000000000", &v), -1);  // 19 digits: for next_number()
  EXPECT_EQ(read("99999999999999999999999", &v), -1);
  EXPECT_EQ(read("", &v), -1);
  EXPECT_EQ(read(" 1", &v), -1);
  EXPECT_EQ(read("-1", &v), -1);
  EXPECT_EQ(v, 7u);  // untouched on refusal
}

TEST(NextNumber, ReadsDigitsUpToASpaceAndRefusesAnythingElse) {
  auto read = [](std::string_view text, uint64_t max, uint64_t* value) {
    const char* p = text.data();
    const bool ok = next_number(p, text.data() + text.size(), max, *value);
    return ok ? static_cast<long>(p - text.data()) : -1L;
  };
  uint64_t v = 7;
  EXPECT_EQ(read("  42 x", 100, &v), 4);
  EXPECT_EQ(v, 42u);
  EXPECT_EQ(read("100", 100, &v), 3);
  EXPECT_EQ(v, 100u);
  v = 7;
  EXPECT_EQ(read("101", 100, &v), -1);
  EXPECT_EQ(read("4x", 100, &v), -1);
  EXPECT_EQ(read("", 100, &v), -1);
  EXPECT_EQ(read("   ", 100, &v), -1);
  EXPECT_EQ(read("-1", 100, &v), -1);
  EXPECT_EQ(v, 7u);  // untouched on refusal
  EXPECT_EQ(read("18446744073709551615", UINT64_MAX, &v), 20);
  EXPECT_EQ(v, UINT64_MAX);
  EXPECT_EQ(read("18446744073709551616", UINT64_MAX, &v), -1);
  // Around the 18 digits read without a test per digit: the limit is
  // judged alike before, at and after them.
  EXPECT_EQ(read("999999999999999999", 999999999999999998u, &v), -1);
  EXPECT_EQ(read("999999999999999999 ", 999999999999999999u, &v), 18);
  EXPECT_EQ(v, 999999999999999999u);
  EXPECT_EQ(read("1000000000000000000", 999999999999999999u, &v), -1);
  EXPECT_EQ(read("1000000000000000000", UINT64_MAX, &v), 19);
  EXPECT_EQ(v, 1000000000000000000u);
  EXPECT_EQ(read("99999999999999999999", UINT64_MAX, &v), -1);
  EXPECT_EQ(read("000000000000000000000042", 100, &v), 24);
  EXPECT_EQ(v, 42u);
}

TEST(NextToken, SplitsOnSpacesOnly) {
  const std::string line = "  get\tx  k\r1 ";
  const char* p = line.data();
  const char* end = line.data() + line.size();
  EXPECT_EQ(next_token(p, end), "get\tx");
  EXPECT_EQ(next_token(p, end), "k\r1");
  EXPECT_EQ(next_token(p, end), "");
  EXPECT_EQ(p, end);
}

}  // namespace
}  // namespace walnut::proto
