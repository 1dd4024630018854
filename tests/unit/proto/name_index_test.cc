// NameIndex: every row found by its name, in any case where case folds,
// and nothing else: names one byte off, one byte longer or shorter, bytes
// either side of 'A'..'Z', and bytes with the top bit set.
#include "proto/name_index.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

namespace walnut::proto {
namespace {

struct Row {
  std::string_view name;
};

// Names of every length from 1 to 12 (both sides of the 8-byte word and of
// its 4-byte halves), some sharing prefixes or differing in one byte.
constexpr Row kRows[] = {
    {"a"},       {"b"},        {"ab"},        {"ba"},         {"get"},       {"set"},
    {"gets"},    {"mget"},     {"hmget"},     {"hgetall"},    {"getrange"},  {"getranges"},
    {"zrangebyscore"}, {"0"},  {"z9_:"},      {"restore-asking"}, {"client"}, {"clienu"},
    {"abcdefgh"}, {"abcdefgi"}, {"bbcdefgh"}, {"abcdefghi"},  {"x"},         {"xyzzyxyz"},
    {"getdel"},  {"getex"},    {"getset"},    {"gg"},         {"ggg"},       {"gggg"},
    // What a fold of a byte next to 'A'..'Z' (or 0x80 above one) would
    // wrongly make of "a@", "[b" and "\xc1x", each one byte off "ab" or "ax".
    {"a`"},      {"{b"},       {"\xe1x"},     {"ax"},
};

std::string_view name_of(const Row& row) { return row.name; }

using FoldingIndex = NameIndex<Row, name_of, true, 128>;
using ExactIndex = NameIndex<Row, name_of, false, 128>;

std::string upper(std::string_view name) {
  std::string out(name);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

TEST(NameIndex, FindsEveryRowByItsName) {
  const FoldingIndex folding(kRows);
  const ExactIndex exact(kRows);
  for (const Row& row : kRows) {
    EXPECT_EQ(folding.find(row.name), &row) << row.name;
    EXPECT_EQ(exact.find(row.name), &row) << row.name;
  }
}

TEST(NameIndex, FoldsCaseOnlyWhenAskedTo) {
  const FoldingIndex folding(kRows);
  const ExactIndex exact(kRows);
  for (const Row& row : kRows) {
    const std::string loud = upper(row.name);
    EXPECT_EQ(folding.find(loud), &row) << loud;
    if (loud != row.name) {
      EXPECT_EQ(exact.find(loud), nullptr) << loud;
    }
    // Every mix of cases of the first eight letters, for names that fold.
    const size_t letters = std::min<size_t>(row.name.size(), 8);
    for (unsigned mask = 0; mask < (1u << letters); ++mask) {
      std::string mixed(row.name);
      for (size_t i = 0; i < letters; ++i) {
        if ((mask >> i & 1) && mixed[i] >= 'a' && mixed[i] <= 'z') mixed[i] = loud[i];
      }
      EXPECT_EQ(folding.find(mixed), &row) << mixed;
    }
  }
}

TEST(NameIndex, FindsNothingThatIsNotARowsName) {
  const FoldingIndex folding(kRows);
  const ExactIndex exact(kRows);
  for (const Row& row : kRows) {
    const std::string name(row.name);
    std::vector<std::string> others = {name + "a", name + std::string(1, '\0'),
                                       name.substr(0, name.size() - 1)};
    for (size_t i = 0; i < name.size(); ++i) {
      // The bytes next to the letters and to their upper case, 0x80 above
      // each (a fold must not reach them), and one more than the byte.
      for (int c : {int{'@'}, int{'['}, int{'`'}, int{'{'}, 0xc1, 0xe1, 0x00, 0xff, name[i] + 1}) {
        std::string other = name;
        other[i] = static_cast<char>(c);
        others.push_back(other);
      }
    }
    for (const std::string& other : others) {
      bool is_a_row = false;
      for (const Row& r : kRows) {
        std::string folded = other;
        for (char& c : folded) {
          if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        }
        is_a_row = is_a_row || r.name == folded;
      }
      if (is_a_row) continue;
      EXPECT_EQ(folding.find(other), nullptr) << "folding: " << other;
      EXPECT_EQ(exact.find(other), nullptr) << "exact: " << other;
    }
  }
  EXPECT_EQ(folding.find(""), nullptr);
  EXPECT_EQ(folding.find(std::string(100, 'a')), nullptr);
}

}  // namespace
}  // namespace walnut::proto
