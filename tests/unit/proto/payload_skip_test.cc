// PayloadSkip, which every parser uses for a payload of known length and
// its CRLF: at every split point of the input, and byte at a time.
#include "proto/payload_skip.h"

#include <gtest/gtest.h>

#include <string>

namespace walnut::proto {
namespace {

struct Outcome {
  ParseStatus status;
  size_t at;  // where the skip stopped, from the start of the input
};

// Feeds `input` to a skip of `length` in pieces cut at `cuts` (ascending).
Outcome feed(uint64_t length, const std::string& input, std::vector<size_t> cuts) {
  PayloadSkip skip;
  skip.start(length);
  cuts.push_back(input.size());
  size_t from = 0;
  for (size_t cut : cuts) {
    const char* p = input.data() + from;
    const char* end = input.data() + cut;
    ParseStatus s = skip.skip(&p, end);
    if (s != ParseStatus::kNeedMore) return {s, static_cast<size_t>(p - input.data())};
    EXPECT_EQ(p, end) << "kNeedMore takes everything";
    from = cut;
  }
  return {ParseStatus::kNeedMore, input.size()};
}

TEST(PayloadSkip, EndsAfterTheCrlfAtEverySplit) {
  for (uint64_t length : {0u, 1u, 5u}) {
    const std::string input = std::string(length, 'x') + "\r\nNEXT";
    const size_t end = length + 2;
    Outcome whole = feed(length, input, {});
    EXPECT_EQ(whole.status, ParseStatus::kDone);
    EXPECT_EQ(whole.at, end);
    for (size_t cut = 0; cut <= input.size(); ++cut) {
      Outcome o = feed(length, input, {cut});
      EXPECT_EQ(o.status, ParseStatus::kDone) << "length " << length << " cut " << cut;
      EXPECT_EQ(o.at, end) << "length " << length << " cut " << cut;
    }
    std::vector<size_t> every;
    for (size_t i = 1; i < input.size(); ++i) every.push_back(i);
    Outcome bytes = feed(length, input, every);
    EXPECT_EQ(bytes.status, ParseStatus::kDone);
    EXPECT_EQ(bytes.at, end);
  }
}

TEST(PayloadSkip, ABadCrOrLfStopsAtThatByteAtEverySplit) {
  struct Case {
    std::string input;
    size_t bad_at;
  };
  for (const Case& c : {Case{"abcX\n", 3}, Case{"abc\rX", 4}, Case{"abc\n\r", 3}}) {
    for (size_t cut = 0; cut <= c.input.size(); ++cut) {
      Outcome o = feed(3, c.input, {cut});
      EXPECT_EQ(o.status, ParseStatus::kError) << c.input << " cut " << cut;
      EXPECT_EQ(o.at, c.bad_at) << c.input << " cut " << cut;
    }
  }
}

// A large value is skipped by count, whatever the chunks: 4 MiB in 64 KiB
// reads, the CRLF split across the last two.
TEST(PayloadSkip, ALargeValueInManyChunksEndsAfterItsCrlf) {
  const uint64_t length = 4u << 20;
  const std::string input = std::string(length, 'v') + "\r\nNEXT";
  std::vector<size_t> cuts;
  for (size_t at = 65536; at < length; at += 65536) cuts.push_back(at);
  cuts.push_back(length + 1);  // between CR and LF
  Outcome o = feed(length, input, cuts);
  EXPECT_EQ(o.status, ParseStatus::kDone);
  EXPECT_EQ(o.at, length + 2);
}

TEST(PayloadSkip, WaitsForMoreUntilTheLf) {
  EXPECT_EQ(feed(3, "abc", {}).status, ParseStatus::kNeedMore);
  EXPECT_EQ(feed(3, "abc\r", {}).status, ParseStatus::kNeedMore);
  EXPECT_EQ(feed(3, "ab", {1}).status, ParseStatus::kNeedMore);
}

}  // namespace
}  // namespace walnut::proto
