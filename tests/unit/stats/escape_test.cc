// escaped(): pool and server names come from the configuration, so any byte
// may reach the stats JSON or a Prometheus label; each must stay valid.
#include "stats/escape.h"

#include <gtest/gtest.h>

#include <string>

namespace walnut::stats {
namespace {

TEST(Escape, QuoteAndBackslashInBothFormats) {
  EXPECT_EQ(escaped(R"(a"b\c)", Quoting::kJson), R"(a\"b\\c)");
  EXPECT_EQ(escaped(R"(a"b\c)", Quoting::kPrometheus), R"(a\"b\\c)");
  EXPECT_EQ(escaped("pool-1 10.0.0.1:6379:1", Quoting::kJson), "pool-1 10.0.0.1:6379:1");
}

TEST(Escape, JsonWritesEveryControlCharacterAsUnicode) {
  EXPECT_EQ(escaped(std::string("a\nb\tc\x01\x1f", 7), Quoting::kJson),
            "a\\u000ab\\u0009c\\u0001\\u001f");
  EXPECT_EQ(escaped(std::string(1, '\0'), Quoting::kJson), "\\u0000");
  // DEL and bytes of UTF-8 are not control characters in JSON.
  EXPECT_EQ(escaped("\x7f\xc3\xa9", Quoting::kJson), "\x7f\xc3\xa9");
}

TEST(Escape, PrometheusEscapesOnlyTheNewline) {
  // The text format escapes \, " and newline in label values, nothing else.
  EXPECT_EQ(escaped(std::string("a\nb\tc\x01", 6), Quoting::kPrometheus),
            std::string("a\\nb\tc\x01", 7));
  EXPECT_EQ(escaped("\x7f\xc3\xa9", Quoting::kPrometheus), "\x7f\xc3\xa9");
}

}  // namespace
}  // namespace walnut::stats
