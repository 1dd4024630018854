// Unit tests of the RESP request parser. Every message is fed whole, one byte
// at a time, and cut at every point into two (and three) pieces, always with
// the next message right behind it, so that the parser must stop exactly at
// the message's end whatever the chunking. Token spans are checked against
// the bytes they point at, not just their numbers.
#include "proto/redis/request_parser.h"

#include <gtest/gtest.h>

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

// What the request parser says about a finished message besides its length.
struct Request {
  bool is_inline = false;
  std::vector<std::string> tokens;  // the bytes each span points at

  bool operator==(const Request&) const = default;
};

struct RequestProtocol {
  using Parser = RequestParser;
  using Fields = Request;

  // Byte 'Z' is no valid first byte for a multibulk message and begins a
  // harmless inline one, so it is a good tail: a parser that reads past the
  // message end would make it part of the message.
  static constexpr std::string_view kTail = "*1\r\n$4\r\nPING\r\nZ";

  static Request fields(const RequestParser& parser, std::string_view msg, size_t consumed) {
    return {parser.is_inline(), proto::testing::span_bytes(msg, consumed, parser.tokens())};
  }

  static void describe(std::ostream& s, const Request& r) {
    s << (r.is_inline ? " inline" : " multibulk") << " tokens=[";
    for (const auto& t : r.tokens) s << "'" << printable(t) << "' ";
    s << "]";
  }
};

using Driver = proto::testing::Driver<RequestProtocol>;
using Outcome = Driver::Outcome;

Outcome run_fresh(std::string_view input, const std::vector<size_t>& cuts,
                  const RequestLimits& limits = {}) {
  RequestParser parser(limits);
  return Driver::run(parser, input, cuts);
}

void check_all_ways(const std::string& msg, const Outcome& want,
                    const RequestLimits& limits = {}) {
  RequestParser parser(limits);
  Driver::check_all_ways(parser, msg, want);
}

Outcome done(size_t consumed, std::vector<std::string> tokens, bool is_inline) {
  return Outcome::done(consumed, {is_inline, std::move(tokens)});
}

Outcome error(size_t consumed, std::string why) {
  return Outcome::failed(consumed, std::move(why));
}

std::string multibulk(const std::vector<std::string>& args) {
  std::string s = "*" + std::to_string(args.size()) + "\r\n";
  for (const auto& a : args) s += "$" + std::to_string(a.size()) + "\r\n" + a + "\r\n";
  return s;
}

TEST(RedisRequestParser, SpansOfGetPointAtPayloads) {
  const std::string msg = "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n";
  RequestParser parser;
  const auto r = parser.feed(msg.data(), msg.size());
  ASSERT_EQ(r.status, ParseStatus::kDone);
  EXPECT_EQ(r.consumed, msg.size());
  EXPECT_FALSE(parser.is_inline());
  ASSERT_EQ(parser.tokens().size(), 2u);
  EXPECT_EQ(parser.tokens()[0].offset, 8u);
  EXPECT_EQ(parser.tokens()[0].len, 3u);
  EXPECT_EQ(parser.tokens()[1].offset, 17u);
  EXPECT_EQ(parser.tokens()[1].len, 1u);
}

TEST(RedisRequestParser, MultibulkEveryWay) {
  const std::vector<std::vector<std::string>> commands = {
      {"PING"},
      {"GET", "k"},
      {"SET", "key", "value"},
      {"SET", "k", ""},
      {"ECHO", "a\r\nb\r\n"},                       // CRLF inside a payload
      {"SET", "*2\r\n$3", "\0\xff$*:+-\n"s},         // protocol bytes as data
      {"MSET", "k1", "v1", "k2", "v2", "k3", "v3", "k4", "v4", "k5", "v5", "k6"},
      {"SET", "k", std::string(100, 'x')},            // three-digit length
      {""},
  };
  for (const auto& args : commands) {
    const std::string msg = multibulk(args);
    check_all_ways(msg, done(msg.size(), args, false));
  }
}

TEST(RedisRequestParser, EmptyAndNegativeCountsAreEmptyMessages) {
  // Redis skips "*0" and any "*-n" without replying; so must the caller.
  for (const std::string msg : {"*0\r\n", "*-1\r\n", "*-5\r\n",
                                "*-9223372036854775808\r\n"}) {
    check_all_ways(msg, done(msg.size(), {}, false));
  }
}

TEST(RedisRequestParser, InlineEveryWay) {
  struct Case {
    std::string msg;
    std::vector<std::string> tokens;
  };
  const std::vector<Case> cases = {
      {"PING\r\n", {"PING"}},
      {"PING\n", {"PING"}},
      {"GET k\r\n", {"GET", "k"}},
      {"GET  k\t\tv \r\n", {"GET", "k", "v"}},
      {"  \tGET k\n", {"GET", "k"}},
      {"get k\r\r\n", {"get", "k"}},
      {"GET a\rb\n", {"GET", "a", "b"}},  // Redis splits on isspace()
      {"GET a\vb\fc\n", {"GET", "a", "b", "c"}},
      {"$3\r\n", {"$3"}},                 // only '*' starts a multibulk
      {"SET k \"a b\"\r\n", {"SET", "k", "\"a", "b\""}},
      {"SET k 'unbalanced\r\n", {"SET", "k", "'unbalanced"}},
      {"GET \0\xff\x80\n"s, {"GET", "\0\xff\x80"s}},
      {"\r\n", {}},
      {"\n", {}},
      {" \t \r\n", {}},
  };
  for (const auto& c : cases) check_all_ways(c.msg, done(c.msg.size(), c.tokens, true));
}

TEST(RedisRequestParser, IncompleteMessagesNeedMore) {
  for (const std::string msg :
       {"*", "*1", "*1\r", "*1\r\n", "*1\r\n$", "*1\r\n$4", "*1\r\n$4\r",
        "*1\r\n$4\r\n", "*1\r\n$4\r\nPI", "*1\r\n$4\r\nPING", "*1\r\n$4\r\nPING\r",
        "*-", "PING", "PING\r", "  "}) {
    Driver::check_needs_more([] { return RequestParser(); }, msg);
  }
}

TEST(RedisRequestParser, MalformedMultibulk) {
  const std::string kCount = "invalid multibulk length";
  const std::string kLength = "invalid bulk length";
  const std::string kCrlf = "expected CRLF after bulk payload";
  const std::vector<proto::testing::Malformed> cases = {
      {"*3\r\n*abcde\r\n", 4, "expected '$', got '*'"},
      {"*2\r\n$3\r\nGET\r\n:1\r\n", 13, "expected '$', got ':'"},
      {"*1\r\n\x01", 4, "expected '$', got '\\x01'"},
      {"*1\r\n\r\n", 4, "expected '$', got '\\x0d'"},
      {"*1x\r\n", 2, kCount},
      {"*\r\n", 1, kCount},
      {"*-\r\n", 2, kCount},
      {"*--1\r\n", 2, kCount},
      {"*-0\r\n", 3, kCount},
      {"*01\r\n", 2, kCount},
      {"*00\r\n", 2, kCount},
      {"*+1\r\n", 1, kCount},
      {"*1 \r\n", 2, kCount},
      {"*1-\r\n", 2, kCount},
      {"*1\n", 2, kCount},
      {"*1\r\r", 3, kCount},
      {"*1\rx", 3, kCount},
      {"*2000000\r\n", 7, kCount},  // over the default 1 Mi arguments
      {"*99999999999999999999\r\n", 7, kCount},
      {"*" + std::string(40, '1') + "\r\n", 7, kCount},
      {"*-99999999999999999999\r\n", 20, kCount},
      {"*-9223372036854775809\r\n", 20, kCount},
      {"*1\r\n$-3\r\n", 5, kLength},
      {"*1\r\n$-1\r\n", 5, kLength},
      {"*1\r\n$\r\n", 5, kLength},
      {"*1\r\n$01\r\n", 6, kLength},
      {"*1\r\n$+1\r\n", 5, kLength},
      {"*1\r\n$1x\r\n", 6, kLength},
      {"*1\r\n$1\n", 6, kLength},
      {"*1\r\n$1\r\r", 7, kLength},
      {"*1\r\n$99999999999999999999\r\n", 13, kLength},  // 512 MiB has 9 digits
      {"*1\r\n$" + std::string(40, '9') + "\r\n", 13, kLength},
      {"*1\r\n$3\r\nabcX\r\n", 11, kCrlf},
      {"*1\r\n$3\r\nabc\rX", 12, kCrlf},
      {"*1\r\n$3\r\nabc\n", 11, kCrlf},
      {"*1\r\n$3\r\nabcd\r\n", 11, kCrlf},
      {"*1\r\n$3\r\nGETxx", 11, kCrlf},
      {"*2\r\n$3\r\nGET\r\n$1\r\nk\n\n", 18, kCrlf},
  };
  for (const auto& c : cases) check_all_ways(c.msg, error(c.at, c.why));
}

TEST(RedisRequestParser, ArgumentCountLimit) {
  RequestLimits limits;
  limits.max_args = 3;
  const std::string ok = multibulk({"a", "b", "c"});
  check_all_ways(ok, done(ok.size(), {"a", "b", "c"}, false), limits);
  check_all_ways("*4\r\n", error(1, "invalid multibulk length"), limits);
  check_all_ways("*10\r\n", error(2, "invalid multibulk length"), limits);
  limits.max_args = 0;
  check_all_ways("*0\r\n", done(4, {}, false), limits);
  check_all_ways("*1\r\n", error(1, "invalid multibulk length"), limits);
}

TEST(RedisRequestParser, BulkLengthLimit) {
  RequestLimits limits;
  limits.max_bulk = 5;
  const std::string ok = multibulk({"12345"});
  check_all_ways(ok, done(ok.size(), {"12345"}, false), limits);
  check_all_ways("*1\r\n$6\r\n123456\r\n", error(5, "invalid bulk length"), limits);
  check_all_ways("*1\r\n$10\r\n", error(6, "invalid bulk length"), limits);
  limits.max_bulk = 0;
  const std::string empty = multibulk({""});
  check_all_ways(empty, done(empty.size(), {""}, false), limits);
  check_all_ways("*1\r\n$1\r\nx\r\n", error(5, "invalid bulk length"), limits);
}

TEST(RedisRequestParser, WholeRequestLimitRefusesOnTheLengthBeforeThePayload) {
  RequestLimits limits;
  limits.max_request = 20;
  const std::string exact = multibulk({"GET", "k"});
  ASSERT_EQ(exact.size(), 20u);
  check_all_ways(exact, done(20, {"GET", "k"}, false), limits);
  const std::string why = "request larger than the pool's max_request_size";
  // Refused right after the length line that makes it too large.
  check_all_ways(multibulk({"GET", "kk"}), error(17, why), limits);
  check_all_ways("*2\r\n$3\r\nSET\r\n$1000000\r\n", error(23, why), limits);
  check_all_ways("*2\r\n$30\r\n", error(9, why), limits);
  // Many small arguments add up.
  limits.max_request = 30;
  check_all_ways(multibulk({"a", "b", "c", "d", "e"}), error(29, why), limits);
}

TEST(RedisRequestParser, InlineLengthLimit) {
  RequestLimits limits;
  limits.max_inline = 8;
  // The limit counts every byte before the LF, CR included.
  check_all_ways("1234 678\n", done(9, {"1234", "678"}, true), limits);
  check_all_ways("1234567\r\n", done(9, {"1234567"}, true), limits);
  check_all_ways("123456789\n", error(8, "too big inline request"), limits);
  check_all_ways("12345678\r\n", error(8, "too big inline request"), limits);
  // No LF at all: a long line must fail, not grow forever.
  const std::string endless(100, 'a');
  EXPECT_EQ(run_fresh(endless, {}, limits), error(8, "too big inline request"));
  EXPECT_EQ(run_fresh(endless, every_byte(endless.size()), limits),
            error(8, "too big inline request"));
}

TEST(RedisRequestParser, DefaultInlineLimitIs64KiB) {
  const std::string fits = std::string(64 * 1024 - 2, 'a') + "\r\n";
  EXPECT_EQ(run_fresh(fits, {}).status, ParseStatus::kDone);
  const std::string too_big(64 * 1024 + 1, 'a');
  EXPECT_EQ(run_fresh(too_big, {}), error(64 * 1024, "too big inline request"));
}

TEST(RedisRequestParser, FinishedParserTakesNothingUntilReset) {
  RequestParser parser;
  const std::string two = "*1\r\n$4\r\nPING\r\n*1\r\n$4\r\nINFO\r\n";
  auto r = parser.feed(two.data(), two.size());
  ASSERT_EQ(r.status, ParseStatus::kDone);
  ASSERT_EQ(r.consumed, 14u);
  r = parser.feed(two.data() + 14, two.size() - 14);
  EXPECT_EQ(r.status, ParseStatus::kDone);
  EXPECT_EQ(r.consumed, 0u);
  ASSERT_EQ(parser.tokens().size(), 1u);  // still the first message's tokens
  EXPECT_EQ(parser.tokens()[0].offset, 8u);

  parser.reset();
  r = parser.feed("*x", 2);
  EXPECT_EQ(r.status, ParseStatus::kError);
  EXPECT_EQ(r.consumed, 1u);
  r = parser.feed(two.data(), two.size());
  EXPECT_EQ(r.status, ParseStatus::kError);
  EXPECT_EQ(r.consumed, 0u);
  EXPECT_EQ(parser.error(), "invalid multibulk length");

  parser.reset();
  EXPECT_EQ(parser.error(), "");
  EXPECT_TRUE(parser.tokens().empty());
  r = parser.feed("GET k\n", 6);
  ASSERT_EQ(r.status, ParseStatus::kDone);
  EXPECT_TRUE(parser.is_inline());
  parser.reset();
  EXPECT_FALSE(parser.is_inline());
  EXPECT_TRUE(parser.tokens().empty());
}

TEST(RedisRequestParser, ZeroLengthFeedIsHarmless) {
  RequestParser parser;
  auto r = parser.feed("", 0);
  EXPECT_EQ(r.status, ParseStatus::kNeedMore);
  EXPECT_EQ(r.consumed, 0u);
  r = parser.feed("*1\r\n$1\r\nx", 9);
  EXPECT_EQ(r.status, ParseStatus::kNeedMore);
  r = parser.feed("", 0);
  EXPECT_EQ(r.status, ParseStatus::kNeedMore);
  r = parser.feed("\r\n", 2);
  EXPECT_EQ(r.status, ParseStatus::kDone);
  EXPECT_EQ(r.consumed, 2u);
}

TEST(RedisRequestParser, ResetInTheMiddleStartsOver) {
  RequestParser parser;
  auto r = parser.feed("*3\r\n$3\r\nSET\r\n$1\r\n", 17);
  ASSERT_EQ(r.status, ParseStatus::kNeedMore);
  parser.reset();
  const std::string msg = multibulk({"GET", "k"});
  EXPECT_EQ(Driver::run(parser, msg, {}), done(msg.size(), {"GET", "k"}, false));
  parser.reset();
  r = parser.feed("GET lo", 6);
  ASSERT_EQ(r.status, ParseStatus::kNeedMore);
  parser.reset();
  EXPECT_EQ(Driver::run(parser, msg, {}), done(msg.size(), {"GET", "k"}, false));
}

TEST(RedisRequestParser, PipelineStopsAtEachMessageEnd) {
  std::vector<std::string> messages;
  std::vector<Outcome> want;
  auto add = [&](const std::string& m, std::vector<std::string> tokens, bool is_inline) {
    messages.push_back(m);
    want.push_back(done(m.size(), std::move(tokens), is_inline));
  };
  for (int i = 0; i < 50; ++i) {
    const std::string k = "key:" + std::to_string(i);
    const std::string v(static_cast<size_t>(i * 7), static_cast<char>('a' + i % 26));
    add(multibulk({"SET", k, v}), {"SET", k, v}, false);
    add(multibulk({"GET", k}), {"GET", k}, false);
    if (i % 10 == 0) {
      add("PING\r\n", {"PING"}, true);
      add("*0\r\n", {}, false);
      add("\n", {}, true);
      add("GET  " + k + "\n", {"GET", k}, true);
    }
  }
  std::string input;
  for (const auto& m : messages) input += m;

  RequestParser parser;
  Driver::check_pipeline(parser, input, want);
}

TEST(RedisRequestParser, SixteenMebibyteValueInChunks) {
  const size_t size = 16u << 20;
  const std::string head = "*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$16777216\r\n";
  std::string msg = head;
  msg.append(size, 'v');
  msg += "\r\n";
  const std::string input = msg + "*1\r\n$4\r\nPING\r\n";

  RequestParser parser;
  const size_t chunk = 16384;
  const auto c = proto::testing::feed_in_chunks(parser, input, chunk);
  ASSERT_EQ(c.status, ParseStatus::kDone);
  EXPECT_EQ(c.consumed, msg.size());
  EXPECT_EQ(c.calls, (msg.size() + chunk - 1) / chunk);
  ASSERT_EQ(parser.tokens().size(), 3u);
  EXPECT_EQ(parser.tokens()[2].offset, head.size());
  EXPECT_EQ(parser.tokens()[2].len, size);
  EXPECT_EQ(msg.substr(parser.tokens()[1].offset, parser.tokens()[1].len), "big");

  // And in one call: the payload is skipped in a single step.
  parser.reset();
  const auto r = parser.feed(input.data(), input.size());
  ASSERT_EQ(r.status, ParseStatus::kDone);
  EXPECT_EQ(r.consumed, msg.size());
}

TEST(RedisRequestParser, SteadyStateDoesNotReallocateTokens) {
  RequestParser parser;
  const std::string msg = multibulk({"MSET", "a", "1", "b", "2", "c", "3"});
  ASSERT_EQ(parser.feed(msg.data(), msg.size()).status, ParseStatus::kDone);
  const Span* storage = parser.tokens().data();
  const size_t capacity = parser.tokens().capacity();
  for (int i = 0; i < 1000; ++i) {
    parser.reset();
    ASSERT_EQ(parser.feed(msg.data(), msg.size()).status, ParseStatus::kDone);
    ASSERT_EQ(parser.tokens().size(), 7u);
  }
  EXPECT_EQ(parser.tokens().data(), storage);
  EXPECT_EQ(parser.tokens().capacity(), capacity);
}

TEST(RedisRequestParser, HugeCommandDoesNotPinItsTokenCapacity) {
  std::vector<std::string> args = {"MSET"};
  for (int i = 0; i < 50000; ++i) args.push_back(std::to_string(i));
  const std::string msg = multibulk(args);
  RequestParser parser;
  const auto r = parser.feed(msg.data(), msg.size());
  ASSERT_EQ(r.status, ParseStatus::kDone);
  ASSERT_EQ(parser.tokens().size(), args.size());
  EXPECT_EQ(msg.substr(parser.tokens()[50000].offset, parser.tokens()[50000].len), "49999");
  parser.reset();
  EXPECT_LT(parser.tokens().capacity(), 50000u);
}

// Random messages, some of them corrupted: whatever the verdict, it must not
// depend on how the bytes were cut.
TEST(RedisRequestParser, VerdictDoesNotDependOnChunking) {
  std::mt19937 rng(20240601);
  const std::string alphabet = "*$:+-\r\n0123456789abc \t\0"s;
  auto pick = [&](size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng); };
  RequestLimits limits;
  limits.max_args = 6;
  limits.max_bulk = 12;
  limits.max_inline = 20;
  for (int iter = 0; iter < 3000; ++iter) {
    std::string msg;
    if (pick(4) == 0) {
      msg = "GET  k" + std::to_string(iter) + "\t v\r\n";
    } else {
      std::vector<std::string> args;
      const size_t n = 1 + pick(4);
      for (size_t i = 0; i < n; ++i) args.emplace_back(pick(14), 'x');
      msg = multibulk(args);
    }
    proto::testing::corrupt(msg, alphabet, rng);
    ASSERT_TRUE(Driver::chunking_agrees([&] { return RequestParser(limits); }, msg, rng));
  }
}

}  // namespace
}  // namespace walnut::redis
