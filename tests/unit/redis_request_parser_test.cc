// Unit tests of the RESP request parser. Every message is fed whole, one byte
// at a time, and cut at every point into two (and three) pieces, always with
// the next message right behind it, so that the parser must stop exactly at
// the message's end whatever the chunking. Token spans are checked against
// the bytes they point at, not just their numbers.
#include "proto/redis/request_parser.h"

#include <gtest/gtest.h>

#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace walnut::redis {
namespace {

using proto::ParseStatus;
using proto::Span;
using namespace std::string_literals;

const char* status_name(ParseStatus s) {
  switch (s) {
    case ParseStatus::kNeedMore:
      return "kNeedMore";
    case ParseStatus::kDone:
      return "kDone";
    case ParseStatus::kError:
      return "kError";
  }
  return "?";
}

std::string printable(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (c == '\r') {
      out += "\\r";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c < 0x20 || c >= 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

// What a parser said about one message, in a form that compares exactly.
struct Outcome {
  ParseStatus status = ParseStatus::kNeedMore;
  size_t consumed = 0;  // over all pieces
  std::string error;
  bool is_inline = false;
  std::vector<std::string> tokens;  // the bytes each span points at

  bool operator==(const Outcome&) const = default;
};

std::string describe(const Outcome& o) {
  std::ostringstream s;
  s << status_name(o.status) << " consumed=" << o.consumed;
  if (o.status == ParseStatus::kError) s << " error='" << o.error << "'";
  if (o.status == ParseStatus::kDone) {
    s << (o.is_inline ? " inline" : " multibulk") << " tokens=[";
    for (const auto& t : o.tokens) s << "'" << printable(t) << "' ";
    s << "]";
  }
  return s.str();
}

// Feeds `input` to a fresh-or-reset parser in pieces ending at `cuts` (sorted,
// then the end of input) until it stops asking for more. `input` starts with
// the message, so token spans index into it directly.
Outcome run(RequestParser& parser, std::string_view input,
            const std::vector<size_t>& cuts) {
  Outcome o;
  size_t start = 0;
  std::vector<size_t> ends = cuts;
  ends.push_back(input.size());
  for (size_t end : ends) {
    if (end < start) continue;
    const auto r = parser.feed(input.data() + start, end - start);
    if (r.status == ParseStatus::kNeedMore) {
      EXPECT_EQ(r.consumed, end - start) << "kNeedMore must consume every byte";
      o.consumed += r.consumed;
      start = end;
      continue;
    }
    EXPECT_LE(r.consumed, end - start);
    o.consumed += r.consumed;
    o.status = r.status;
    break;
  }
  if (o.status == ParseStatus::kError) o.error = std::string(parser.error());
  if (o.status == ParseStatus::kDone) {
    o.is_inline = parser.is_inline();
    for (const Span& s : parser.tokens()) {
      EXPECT_LE(s.offset + s.len, o.consumed) << "span outside the message";
      if (s.offset + s.len > input.size()) {
        o.tokens.push_back("<out of range>");
      } else {
        o.tokens.emplace_back(input.substr(s.offset, s.len));
      }
    }
  }
  return o;
}

Outcome run_fresh(std::string_view input, const std::vector<size_t>& cuts,
                  const RequestLimits& limits = {}) {
  RequestParser parser(limits);
  return run(parser, input, cuts);
}

std::vector<size_t> every_byte(size_t n) {
  std::vector<size_t> cuts;
  for (size_t i = 1; i < n; ++i) cuts.push_back(i);
  return cuts;
}

// Byte 'Z' is no valid first byte for a multibulk message and begins a
// harmless inline one, so it is a good tail: a parser that reads past the
// message end would make it part of the message.
constexpr std::string_view kTail = "*1\r\n$4\r\nPING\r\nZ";

// Checks `msg` against `want` fed whole, byte by byte, and split at every
// point into 2 pieces (and 3 for short messages), each time followed by the
// next message. Reports only the first mismatch per message.
void check_all_ways(const std::string& msg, const Outcome& want,
                    const RequestLimits& limits = {}) {
  SCOPED_TRACE("message '" + printable(msg) + "'");
  const std::string input = msg + std::string(kTail);
  RequestParser parser(limits);  // reused, so reset() is exercised too
  auto check = [&](const std::vector<size_t>& cuts, const char* how) {
    parser.reset();
    const Outcome got = run(parser, input, cuts);
    if (got == want) return true;
    std::ostringstream where;
    for (size_t c : cuts) where << c << ' ';
    ADD_FAILURE() << how << " cuts=[" << where.str() << "]\n  got  "
                  << describe(got) << "\n  want " << describe(want);
    return false;
  };
  if (!check({}, "whole")) return;
  if (!check(every_byte(input.size()), "byte-at-a-time")) return;
  for (size_t i = 0; i <= input.size(); ++i) {
    if (!check({i}, "two pieces")) return;
  }
  if (input.size() > 80) return;
  for (size_t i = 0; i <= input.size(); ++i) {
    for (size_t j = i; j <= input.size(); ++j) {
      if (!check({i, j}, "three pieces")) return;
    }
  }
}

Outcome done(size_t consumed, std::vector<std::string> tokens, bool is_inline) {
  Outcome o;
  o.status = ParseStatus::kDone;
  o.consumed = consumed;
  o.is_inline = is_inline;
  o.tokens = std::move(tokens);
  return o;
}

Outcome error(size_t consumed, std::string why) {
  Outcome o;
  o.status = ParseStatus::kError;
  o.consumed = consumed;
  o.error = std::move(why);
  return o;
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
    SCOPED_TRACE(printable(msg));
    Outcome want;
    want.consumed = msg.size();
    EXPECT_EQ(run_fresh(msg, {}), want);
    EXPECT_EQ(run_fresh(msg, every_byte(msg.size())), want);
  }
}

TEST(RedisRequestParser, MalformedMultibulk) {
  const std::string kCount = "invalid multibulk length";
  const std::string kLength = "invalid bulk length";
  const std::string kCrlf = "expected CRLF after bulk payload";
  struct Case {
    std::string msg;
    size_t at;  // offset of the offending byte
    std::string why;
  };
  const std::vector<Case> cases = {
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
  EXPECT_EQ(run(parser, msg, {}), done(msg.size(), {"GET", "k"}, false));
  parser.reset();
  r = parser.feed("GET lo", 6);
  ASSERT_EQ(r.status, ParseStatus::kNeedMore);
  parser.reset();
  EXPECT_EQ(run(parser, msg, {}), done(msg.size(), {"GET", "k"}, false));
}

// Parses a buffer of back-to-back messages the way the proxy does: feed a
// chunk, and on kDone record, reset and feed the rest of the same chunk.
std::vector<Outcome> run_pipeline(std::string_view input, std::mt19937& rng,
                                  size_t max_chunk) {
  std::vector<Outcome> out;
  RequestParser parser;
  std::uniform_int_distribution<size_t> chunk_len(1, max_chunk);
  size_t msg_start = 0;
  size_t pos = 0;
  while (pos < input.size()) {
    const size_t chunk_end = std::min(input.size(), pos + chunk_len(rng));
    while (pos < chunk_end) {
      const auto r = parser.feed(input.data() + pos, chunk_end - pos);
      pos += r.consumed;
      if (r.status == ParseStatus::kNeedMore) {
        EXPECT_EQ(pos, chunk_end);
        continue;
      }
      Outcome o;
      o.status = r.status;
      o.consumed = pos - msg_start;
      if (r.status == ParseStatus::kError) {
        o.error = std::string(parser.error());
        out.push_back(o);
        return out;
      }
      o.is_inline = parser.is_inline();
      for (const Span& s : parser.tokens()) {
        o.tokens.emplace_back(input.substr(msg_start + s.offset, s.len));
      }
      out.push_back(o);
      parser.reset();
      msg_start = pos;
    }
  }
  return out;
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

  for (size_t max_chunk : {1, 2, 3, 7, 16, 100, 4096, 1 << 20}) {
    std::mt19937 rng(static_cast<unsigned>(max_chunk));
    SCOPED_TRACE("max chunk " + std::to_string(max_chunk));
    const auto got = run_pipeline(input, rng, max_chunk);
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < got.size(); ++i) {
      ASSERT_EQ(got[i], want[i]) << "message " << i << ": " << describe(got[i]);
    }
  }
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
  size_t pos = 0;
  size_t calls = 0;
  proto::ParseResult r{ParseStatus::kNeedMore, 0};
  while (r.status == ParseStatus::kNeedMore && pos < input.size()) {
    const size_t n = std::min(chunk, input.size() - pos);
    r = parser.feed(input.data() + pos, n);
    ++calls;
    pos += r.consumed;
  }
  ASSERT_EQ(r.status, ParseStatus::kDone);
  EXPECT_EQ(pos, msg.size());
  EXPECT_EQ(calls, (msg.size() + chunk - 1) / chunk);
  ASSERT_EQ(parser.tokens().size(), 3u);
  EXPECT_EQ(parser.tokens()[2].offset, head.size());
  EXPECT_EQ(parser.tokens()[2].len, size);
  EXPECT_EQ(msg.substr(parser.tokens()[1].offset, parser.tokens()[1].len), "big");

  // And in one call: the payload is skipped in a single step.
  parser.reset();
  r = parser.feed(input.data(), input.size());
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
    const size_t mutations = pick(3);
    for (size_t m = 0; m < mutations; ++m) msg[pick(msg.size())] = alphabet[pick(alphabet.size())];
    if (pick(5) == 0) msg.resize(pick(msg.size()));
    const std::string input = msg + std::string(kTail);
    SCOPED_TRACE("input '" + printable(input) + "'");
    const Outcome whole = run_fresh(input, {}, limits);
    ASSERT_EQ(run_fresh(input, every_byte(input.size()), limits), whole) << describe(whole);
    const size_t a = pick(input.size() + 1);
    const size_t b = a + pick(input.size() + 1 - a);
    ASSERT_EQ(run_fresh(input, {a, b}, limits), whole) << describe(whole);
  }
}

}  // namespace
}  // namespace walnut::redis
