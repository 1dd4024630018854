// Unit tests of the RESP2 response parser. Every reply is fed whole, one byte
// at a time, and cut at every point into two (and three) pieces, always with
// another reply right behind it, so that the parser must stop exactly at the
// reply's end whatever the chunking. Element spans are checked against the
// bytes they cover.
#include "proto/redis/response_parser.h"

#include <gtest/gtest.h>

#include <functional>
#include <random>
#include <string>
#include <vector>

#include "tests/unit/proto/parser_test_driver.h"

namespace walnut::redis {
namespace {

using proto::ParseStatus;
using proto::Span;
using proto::testing::every_byte;
using proto::testing::printable;
using namespace std::string_literals;

// What the response parser says about a finished reply besides its length.
struct Reply {
  char type = 0;
  int64_t array_count = 0;
  bool is_error_reply = false;
  std::vector<std::string> elements;  // the bytes each element span covers

  bool operator==(const Reply&) const = default;
};

struct ResponseProtocol {
  using Parser = ResponseParser;
  using Fields = Reply;

  // 'Z' is no reply type: a parser that reads past the end of the first reply
  // into the second would fail on it or take "+PONG" as part of the first.
  static constexpr std::string_view kTail = "+PONG\r\nZ";

  static Reply fields(const ResponseParser& parser, std::string_view msg, size_t consumed) {
    return {parser.type(), parser.array_count(), parser.is_error_reply(),
            proto::testing::span_bytes(msg, consumed, parser.elements())};
  }

  static void describe(std::ostream& s, const Reply& r) {
    s << " type='" << (r.type ? r.type : '0') << "' count=" << r.array_count
      << (r.is_error_reply ? " error-reply" : "") << " elements=[";
    for (const auto& e : r.elements) s << "'" << printable(e, 40) << "' ";
    s << "]";
  }
};

using Driver = proto::testing::Driver<ResponseProtocol>;
using Outcome = Driver::Outcome;

ResponseParser make_parser(const ResponseLimits& limits, bool record) {
  ResponseParser parser(limits);
  parser.set_record_elements(record);
  return parser;
}

Outcome run_fresh(std::string_view input, const std::vector<size_t>& cuts,
                  const ResponseLimits& limits = {}, bool record = true) {
  ResponseParser parser = make_parser(limits, record);
  return Driver::run(parser, input, cuts);
}

void check_all_ways(const std::string& msg, const Outcome& want,
                    const ResponseLimits& limits = {}, bool record = true) {
  ResponseParser parser = make_parser(limits, record);
  Driver::check_all_ways(parser, msg, want);
}

// A finished reply `msg`, its type and error-ness read off its first byte.
Outcome done(const std::string& msg, int64_t array_count = 0,
             std::vector<std::string> elements = {}) {
  return Outcome::done(msg.size(), {msg[0], array_count, msg[0] == '-', std::move(elements)});
}

Outcome error(size_t consumed, std::string why) {
  return Outcome::failed(consumed, std::move(why));
}

std::string nested(size_t depth, const std::string& inner) {
  std::string s;
  for (size_t i = 0; i < depth; ++i) s += "*1\r\n";
  return s + inner;
}

TEST(RedisResponseParser, ElementSpansCoverWholeEncodings) {
  const std::string msg = "*2\r\n$1\r\na\r\n:5\r\n";
  ResponseParser parser;
  parser.set_record_elements(true);
  const auto r = parser.feed(msg.data(), msg.size());
  ASSERT_EQ(r.status, ParseStatus::kDone);
  EXPECT_EQ(r.consumed, msg.size());
  EXPECT_EQ(parser.type(), '*');
  EXPECT_EQ(parser.array_count(), 2);
  ASSERT_EQ(parser.elements().size(), 2u);
  EXPECT_EQ(parser.elements()[0].offset, 4u);
  EXPECT_EQ(parser.elements()[0].len, 7u);
  EXPECT_EQ(parser.elements()[1].offset, 11u);
  EXPECT_EQ(parser.elements()[1].len, 4u);
}

TEST(RedisResponseParser, ScalarsEveryWay) {
  for (const std::string msg :
       {"+OK\r\n", "+\r\n", "+QUEUED\r\n", "-ERR unknown command 'foo'\r\n",
        "-\r\n", "-MOVED 3999 127.0.0.1:6381\r\n", ":0\r\n", ":-1\r\n",
        ":1000\r\n", ":9223372036854775807\r\n", ":-9223372036854775808\r\n",
        "$3\r\nfoo\r\n", "$0\r\n\r\n", "$-1\r\n", "$4\r\n\r\n\r\n\r\n",
        "$5\r\n*1\r\n:\r\n"}) {
    check_all_ways(msg, done(msg));
  }
  const std::string binary = "$4\r\n\0\xff\r\x80\r\n"s;
  check_all_ways(binary, done(binary));
}

TEST(RedisResponseParser, ErrorReplyOnlyAtTopLevel) {
  const std::string msg = "*2\r\n-ERR x\r\n+OK\r\n";
  check_all_ways(msg, done(msg, 2, {"-ERR x\r\n", "+OK\r\n"}));
  ResponseParser parser;
  EXPECT_FALSE(parser.is_error_reply());
  ASSERT_EQ(parser.feed(msg.data(), msg.size()).status, ParseStatus::kDone);
  EXPECT_FALSE(parser.is_error_reply());
  parser.reset();
  ASSERT_EQ(parser.feed("-ERR\r\n", 6).status, ParseStatus::kDone);
  EXPECT_TRUE(parser.is_error_reply());
  parser.reset();
  EXPECT_FALSE(parser.is_error_reply());
  EXPECT_EQ(parser.type(), 0);
}

TEST(RedisResponseParser, ArraysEveryWay) {
  struct Case {
    std::string msg;
    int64_t count;
    std::vector<std::string> elements;
  };
  const std::vector<Case> cases = {
      {"*-1\r\n", -1, {}},
      {"*0\r\n", 0, {}},
      {"*1\r\n+OK\r\n", 1, {"+OK\r\n"}},
      {"*2\r\n$1\r\na\r\n:5\r\n", 2, {"$1\r\na\r\n", ":5\r\n"}},
      {"*3\r\n$-1\r\n*-1\r\n*0\r\n", 3, {"$-1\r\n", "*-1\r\n", "*0\r\n"}},
      {"*3\r\n$3\r\nfoo\r\n$-1\r\n$0\r\n\r\n", 3, {"$3\r\nfoo\r\n", "$-1\r\n", "$0\r\n\r\n"}},
      {"*2\r\n*2\r\n:1\r\n:2\r\n*1\r\n*1\r\n$1\r\nx\r\n", 2,
       {"*2\r\n:1\r\n:2\r\n", "*1\r\n*1\r\n$1\r\nx\r\n"}},
      {"*3\r\n+OK\r\n:1\r\n*2\r\n$1\r\na\r\n$-1\r\n", 3,
       {"+OK\r\n", ":1\r\n", "*2\r\n$1\r\na\r\n$-1\r\n"}},
      {"*2\r\n*0\r\n*-1\r\n", 2, {"*0\r\n", "*-1\r\n"}},
      {"*2\r\n*2\r\n*0\r\n*1\r\n:1\r\n-E\r\n", 2, {"*2\r\n*0\r\n*1\r\n:1\r\n", "-E\r\n"}},
      {"*1\r\n$6\r\n*1\r\n:1\r\n", 1, {"$6\r\n*1\r\n:1\r\n"}},  // array bytes as data
      {"*12\r\n:1\r\n:2\r\n:3\r\n:4\r\n:5\r\n:6\r\n:7\r\n:8\r\n:9\r\n:10\r\n:11\r\n:12\r\n", 12,
       {":1\r\n", ":2\r\n", ":3\r\n", ":4\r\n", ":5\r\n", ":6\r\n", ":7\r\n", ":8\r\n",
        ":9\r\n", ":10\r\n", ":11\r\n", ":12\r\n"}},
  };
  for (const auto& c : cases) {
    check_all_ways(c.msg, done(c.msg, c.count, c.elements));
    // Without recording, the same verdict and no spans.
    check_all_ways(c.msg, done(c.msg, c.count), {}, false);
  }
}

TEST(RedisResponseParser, NonArraysRecordNoElements) {
  for (const std::string msg : {"+OK\r\n", "$1\r\nx\r\n", ":1\r\n", "-E\r\n"}) {
    EXPECT_EQ(run_fresh(msg, {}), done(msg));
  }
}

TEST(RedisResponseParser, NestedThirtyTwoAndHundredDeep) {
  for (size_t depth : {32, 100}) {
    SCOPED_TRACE("depth " + std::to_string(depth));
    const std::string msg = nested(depth, ":1\r\n");
    check_all_ways(msg, done(msg, 1, {msg.substr(4)}));
    // Deep on the first element, then more elements at the top level.
    const std::string wide = "*3\r\n" + nested(depth - 1, "$2\r\nab\r\n") + "*0\r\n:7\r\n";
    check_all_ways(wide, done(wide, 3, {nested(depth - 1, "$2\r\nab\r\n"), "*0\r\n", ":7\r\n"}));
  }
  // The default limit allows 1024 levels and not one more.
  const std::string deepest = nested(1024, "+x\r\n");
  EXPECT_EQ(run_fresh(deepest, {}), done(deepest, 1, {deepest.substr(4)}));
  EXPECT_EQ(run_fresh(nested(1025, "+x\r\n"), {}), error(1024 * 4, "reply nested too deep"));
}

TEST(RedisResponseParser, DepthOverLimitIsAnError) {
  ResponseLimits limits;
  limits.max_depth = 32;
  const std::string ok = nested(32, ":1\r\n");
  check_all_ways(ok, done(ok, 1, {ok.substr(4)}), limits);
  check_all_ways(nested(33, ":1\r\n"), error(32 * 4, "reply nested too deep"), limits);
  // Empty and nil arrays are arrays too.
  const std::string ok_empty = nested(31, "*0\r\n");
  check_all_ways(ok_empty, done(ok_empty, 1, {ok_empty.substr(4)}), limits);
  check_all_ways(nested(32, "*0\r\n"), error(32 * 4, "reply nested too deep"), limits);
  check_all_ways(nested(32, "*-1\r\n"), error(32 * 4, "reply nested too deep"), limits);
  // Depth is about nesting, not about how many arrays there are in all.
  std::string siblings = "*40\r\n";
  for (int i = 0; i < 40; ++i) siblings += nested(31, ":1\r\n");
  EXPECT_EQ(run_fresh(siblings, {}, limits, false), done(siblings, 40));
  limits.max_depth = 0;
  check_all_ways("*0\r\n", error(0, "reply nested too deep"), limits);
  check_all_ways("+OK\r\n", done("+OK\r\n"), limits);
}

TEST(RedisResponseParser, IncompleteRepliesNeedMore) {
  for (const std::string msg :
       {"+", "+OK", "+OK\r", "-ERR", ":", ":-", ":12", ":12\r", "$", "$-", "$-1",
        "$-1\r", "$3", "$3\r\n", "$3\r\nfo", "$3\r\nfoo", "$3\r\nfoo\r", "*", "*2\r\n",
        "*2\r\n:1\r\n", "*2\r\n*1\r\n:1\r\n", "*-1\r"}) {
    Driver::check_needs_more([] { return make_parser({}, true); }, msg);
  }
}

TEST(RedisResponseParser, MalformedReplies) {
  const std::string kInt = "invalid integer reply";
  const std::string kBulk = "invalid bulk length";
  const std::string kArray = "invalid array length";
  const std::string kCrlf = "expected CRLF after bulk payload";
  const std::string kLine = "expected CRLF at end of line";
  const std::vector<proto::testing::Malformed> cases = {
      {"$abc\r\n", 1, kBulk},
      {"$\r\n", 1, kBulk},
      {"$-2\r\n", 2, kBulk},
      {"$-0\r\n", 3, kBulk},
      {"$-1x\r\n", 3, kBulk},
      {"$-11\r\n", 3, kBulk},
      {"$--1\r\n", 2, kBulk},
      {"$01\r\n", 2, kBulk},
      {"$+1\r\n", 1, kBulk},
      {"$3\n", 2, kBulk},
      {"$3\r\r", 3, kBulk},
      {"$99999999999999999999\r\n", 9, kBulk},  // 512 MiB has 9 digits
      {"$1\r\nab\r\n", 5, kCrlf},
      {"$3\r\nfooX\r\n", 7, kCrlf},
      {"$3\r\nfoo\n", 7, kCrlf},
      {"$3\r\nfoo\rX", 8, kCrlf},
      {":12a\r\n", 3, kInt},
      {":\r\n", 1, kInt},
      {":-\r\n", 2, kInt},
      {":-0\r\n", 3, kInt},
      {":01\r\n", 2, kInt},
      {":+1\r\n", 1, kInt},
      {": 1\r\n", 1, kInt},
      {":1\n", 2, kInt},
      {":9223372036854775808\r\n", 19, kInt},
      {":-9223372036854775809\r\n", 20, kInt},
      {":" + std::string(25, '1') + "\r\n", 20, kInt},
      {"*-2\r\n", 2, kArray},
      {"*x\r\n", 1, kArray},
      {"*1\n", 2, kArray},
      {"*01\r\n", 2, kArray},
      {"*99999999999\r\n", 10, kArray},  // over the default 2^32 elements
      {"+OK\n", 3, kLine},
      {"+OK\rX", 4, kLine},
      {"+O\nK\r\n", 2, kLine},
      {"-ERR\rx", 5, kLine},
      {"!3\r\n", 0, "unknown reply type '!'"},
      {"_\r\n", 0, "unknown reply type '_'"},  // RESP3 null is not RESP2
      {"\r\n", 0, "unknown reply type '\\x0d'"},
      {"*1\r\n!\r\n", 4, "unknown reply type '!'"},
  };
  for (const auto& c : cases) check_all_ways(c.msg, error(c.at, c.why));
  // A nested reply that breaks off into garbage fails at the garbage.
  check_all_ways("*3\r\n:1\r\n*1\r\n:x\r\n", error(13, kInt));
  check_all_ways("*2\r\n:1\r\nZ", error(8, "unknown reply type 'Z'"));
}

TEST(RedisResponseParser, BulkAndLineLengthLimit) {
  ResponseLimits limits;
  limits.max_bulk = 5;
  const std::string ok = "$5\r\nabcde\r\n";
  check_all_ways(ok, done(ok), limits);
  check_all_ways("$6\r\nabcdef\r\n", error(1, "invalid bulk length"), limits);
  check_all_ways("$10\r\n", error(2, "invalid bulk length"), limits);
  // '+' and '-' lines are counted against the same limit, never buffered.
  check_all_ways("+12345\r\n", done("+12345\r\n"), limits);
  check_all_ways("-12345\r\n", done("-12345\r\n"), limits);
  check_all_ways("+123456\r\n", error(6, "reply line too long"), limits);
  check_all_ways("*2\r\n+1\r\n-123456\r\n", error(14, "reply line too long"), limits);
  const std::string endless = "-" + std::string(100, 'e');
  EXPECT_EQ(run_fresh(endless, {}, limits), error(6, "reply line too long"));
  EXPECT_EQ(run_fresh(endless, every_byte(endless.size()), limits),
            error(6, "reply line too long"));
  limits.max_bulk = 0;
  check_all_ways("$0\r\n\r\n", done("$0\r\n\r\n"), limits);
  check_all_ways("+\r\n", done("+\r\n"), limits);
  check_all_ways("+x\r\n", error(1, "reply line too long"), limits);
}

TEST(RedisResponseParser, ElementCountLimit) {
  ResponseLimits limits;
  limits.max_elements = 3;
  const std::string ok = "*3\r\n:1\r\n:2\r\n:3\r\n";
  check_all_ways(ok, done(ok, 3, {":1\r\n", ":2\r\n", ":3\r\n"}), limits);
  check_all_ways("*4\r\n", error(1, "invalid array length"), limits);
  check_all_ways("*1\r\n*4\r\n", error(5, "invalid array length"), limits);
  // A nil array is not a count.
  check_all_ways("*-1\r\n", done("*-1\r\n", -1), limits);
}

TEST(RedisResponseParser, FinishedParserTakesNothingUntilReset) {
  ResponseParser parser;
  parser.set_record_elements(true);
  const std::string two = "*1\r\n:1\r\n+OK\r\n";
  auto r = parser.feed(two.data(), two.size());
  ASSERT_EQ(r.status, ParseStatus::kDone);
  ASSERT_EQ(r.consumed, 8u);
  r = parser.feed(two.data() + 8, two.size() - 8);
  EXPECT_EQ(r.status, ParseStatus::kDone);
  EXPECT_EQ(r.consumed, 0u);
  EXPECT_EQ(parser.type(), '*');
  EXPECT_EQ(parser.array_count(), 1);
  ASSERT_EQ(parser.elements().size(), 1u);

  parser.reset();
  EXPECT_EQ(parser.type(), 0);
  EXPECT_EQ(parser.array_count(), 0);
  EXPECT_TRUE(parser.elements().empty());
  r = parser.feed("?x", 2);
  EXPECT_EQ(r.status, ParseStatus::kError);
  EXPECT_EQ(r.consumed, 0u);
  r = parser.feed(two.data(), two.size());
  EXPECT_EQ(r.status, ParseStatus::kError);
  EXPECT_EQ(r.consumed, 0u);
  EXPECT_EQ(parser.error(), "unknown reply type '?'");

  parser.reset();
  EXPECT_EQ(parser.error(), "");
  r = parser.feed(two.data() + 8, two.size() - 8);
  EXPECT_EQ(r.status, ParseStatus::kDone);
  EXPECT_EQ(parser.type(), '+');
}

TEST(RedisResponseParser, ZeroLengthFeedIsHarmless) {
  ResponseParser parser;
  auto r = parser.feed("", 0);
  EXPECT_EQ(r.status, ParseStatus::kNeedMore);
  EXPECT_EQ(r.consumed, 0u);
  r = parser.feed("$1\r\nx", 5);
  EXPECT_EQ(r.status, ParseStatus::kNeedMore);
  r = parser.feed("", 0);
  EXPECT_EQ(r.status, ParseStatus::kNeedMore);
  r = parser.feed("\r\n", 2);
  EXPECT_EQ(r.status, ParseStatus::kDone);
}

TEST(RedisResponseParser, ResetInTheMiddleStartsOver) {
  ResponseParser parser;
  parser.set_record_elements(true);
  ASSERT_EQ(parser.feed("*3\r\n*2\r\n:1\r\n", 12).status, ParseStatus::kNeedMore);
  parser.reset();
  const std::string msg = "*2\r\n:1\r\n:2\r\n";
  EXPECT_EQ(Driver::run(parser, msg, {}), done(msg, 2, {":1\r\n", ":2\r\n"}));
  parser.reset();
  ASSERT_EQ(parser.feed("$100\r\nabc", 9).status, ParseStatus::kNeedMore);
  parser.reset();
  EXPECT_EQ(Driver::run(parser, msg, {}), done(msg, 2, {":1\r\n", ":2\r\n"}));
}

TEST(RedisResponseParser, WideArrayElementSpans) {
  std::string msg = "*10000\r\n";
  std::vector<std::string> elements;
  for (int i = 0; i < 10000; ++i) {
    std::string e;
    switch (i % 4) {
      case 0:
        e = "$" + std::to_string(std::to_string(i).size()) + "\r\n" + std::to_string(i) + "\r\n";
        break;
      case 1:
        e = "$-1\r\n";
        break;
      case 2:
        e = ":" + std::to_string(i) + "\r\n";
        break;
      default:
        e = "*2\r\n+a\r\n*1\r\n$1\r\nb\r\n";
        break;
    }
    msg += e;
    elements.push_back(e);
  }
  EXPECT_EQ(run_fresh(msg, {}), done(msg, 10000, elements));
  EXPECT_EQ(run_fresh(msg, every_byte(msg.size())), done(msg, 10000, elements));
}

TEST(RedisResponseParser, PipelineStopsAtEachReplyEnd) {
  std::vector<std::string> replies;
  std::vector<Outcome> want;
  for (int i = 0; i < 50; ++i) {
    const std::string v(static_cast<size_t>(i * 7), static_cast<char>('a' + i % 26));
    const std::string bulk = "$" + std::to_string(v.size()) + "\r\n" + v + "\r\n";
    const std::string replies_i[] = {"+OK\r\n", bulk, ":" + std::to_string(i - 25) + "\r\n",
                                     "-ERR wrong " + std::to_string(i) + "\r\n", "$-1\r\n",
                                     "*-1\r\n", "*0\r\n"};
    for (const auto& r : replies_i) {
      replies.push_back(r);
      want.push_back(done(r, r[0] == '*' ? (r[1] == '-' ? -1 : 0) : 0));
    }
    const std::string arr = "*3\r\n" + bulk + "$-1\r\n*1\r\n:1\r\n";
    replies.push_back(arr);
    want.push_back(done(arr, 3, {bulk, "$-1\r\n", "*1\r\n:1\r\n"}));
  }
  std::string input;
  for (const auto& r : replies) input += r;

  ResponseParser parser = make_parser({}, true);
  Driver::check_pipeline(parser, input, want);
}

TEST(RedisResponseParser, SixteenMebibyteBulkInChunks) {
  const size_t size = 16u << 20;
  std::string bulk = "$16777216\r\n";
  bulk.append(size, 'v');
  bulk += "\r\n";
  const std::string msg = "*2\r\n" + bulk + ":1\r\n";
  const std::string input = msg + "+OK\r\n";

  ResponseParser parser;
  parser.set_record_elements(true);
  const size_t chunk = 16384;
  const auto c = proto::testing::feed_in_chunks(parser, input, chunk);
  ASSERT_EQ(c.status, ParseStatus::kDone);
  EXPECT_EQ(c.consumed, msg.size());
  EXPECT_EQ(c.calls, (msg.size() + chunk - 1) / chunk);
  ASSERT_EQ(parser.elements().size(), 2u);
  EXPECT_EQ(parser.elements()[0].offset, 4u);
  EXPECT_EQ(parser.elements()[0].len, bulk.size());
  EXPECT_EQ(parser.elements()[1].offset, 4u + bulk.size());
  EXPECT_EQ(parser.elements()[1].len, 4u);

  parser.reset();
  const auto r = parser.feed(bulk.data(), bulk.size());
  ASSERT_EQ(r.status, ParseStatus::kDone);
  EXPECT_EQ(r.consumed, bulk.size());
  EXPECT_EQ(parser.type(), '$');
}

TEST(RedisResponseParser, SteadyStateDoesNotReallocateElements) {
  ResponseParser parser;
  parser.set_record_elements(true);
  const std::string msg = "*3\r\n$1\r\na\r\n$-1\r\n$1\r\nc\r\n";
  ASSERT_EQ(parser.feed(msg.data(), msg.size()).status, ParseStatus::kDone);
  const Span* storage = parser.elements().data();
  const size_t capacity = parser.elements().capacity();
  for (int i = 0; i < 1000; ++i) {
    parser.reset();
    ASSERT_EQ(parser.feed(msg.data(), msg.size()).status, ParseStatus::kDone);
    ASSERT_EQ(parser.elements().size(), 3u);
  }
  EXPECT_EQ(parser.elements().data(), storage);
  EXPECT_EQ(parser.elements().capacity(), capacity);
}

TEST(RedisResponseParser, HugeReplyDoesNotPinItsElementCapacity) {
  std::string msg = "*50000\r\n";
  for (int i = 0; i < 50000; ++i) msg += "$-1\r\n";
  ResponseParser parser;
  parser.set_record_elements(true);
  ASSERT_EQ(parser.feed(msg.data(), msg.size()).status, ParseStatus::kDone);
  ASSERT_EQ(parser.elements().size(), 50000u);
  parser.reset();
  EXPECT_LT(parser.elements().capacity(), 50000u);
}

// Random replies, nested and sometimes corrupted: whatever the verdict, it
// must not depend on how the bytes were cut.
TEST(RedisResponseParser, VerdictDoesNotDependOnChunking) {
  std::mt19937 rng(20240602);
  auto pick = [&](size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng); };
  std::function<std::string(int)> gen = [&](int depth) -> std::string {
    switch (pick(depth > 0 ? 8 : 7)) {
      case 0:
        return "+OK\r\n";
      case 1:
        return "-ERR no\r\n";
      case 2:
        return ":" + std::to_string(static_cast<int>(pick(2000)) - 1000) + "\r\n";
      case 3:
        return "$-1\r\n";
      case 4: {
        const std::string v(pick(12), 'v');
        return "$" + std::to_string(v.size()) + "\r\n" + v + "\r\n";
      }
      case 5:
        return "*-1\r\n";
      case 6:
        return "*0\r\n";
      default: {
        const size_t n = 1 + pick(3);
        std::string s = "*" + std::to_string(n) + "\r\n";
        for (size_t i = 0; i < n; ++i) s += gen(depth - 1);
        return s;
      }
    }
  };
  const std::string alphabet = "*$:+-\r\n0123456789ab \0"s;
  ResponseLimits limits;
  limits.max_depth = 3;
  limits.max_bulk = 10;
  limits.max_elements = 2;
  for (int iter = 0; iter < 3000; ++iter) {
    std::string msg = gen(4);
    proto::testing::corrupt(msg, alphabet, rng);
    const bool record = pick(2) == 0;
    ASSERT_TRUE(Driver::chunking_agrees([&] { return make_parser(limits, record); }, msg, rng));
  }
}

}  // namespace
}  // namespace walnut::redis
