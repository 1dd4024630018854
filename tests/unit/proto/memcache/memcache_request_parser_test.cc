// Unit tests of the memcached ASCII request parser. Every message is fed
// whole, one byte at a time, and cut at every point into two (and three)
// pieces, always with the next message right behind it, so that the parser
// must stop exactly at the message's end whatever the chunking. Token and
// value spans are checked against the bytes they point at, not just their
// numbers, and errors against their exact text and offset.
#include "proto/memcache/request_parser.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "tests/unit/proto/parser_test_driver.h"

namespace walnut::memcache {
namespace {

using proto::ParseStatus;
using proto::Span;
using proto::testing::every_byte;
using proto::testing::printable;
using namespace std::string_literals;

// What the request parser says about a finished message besides its length.
struct Request {
  std::vector<std::string> tokens;  // the bytes each span points at
  bool has_value = false;
  std::string value;  // the bytes the value span points at

  bool operator==(const Request&) const = default;
};

struct RequestProtocol {
  using Parser = RequestParser;
  using Fields = Request;

  // A whole line-only message: a parser that reads past the end of the
  // message under test would take it as part of a token or a data block.
  static constexpr std::string_view kTail = "get tail\r\n";

  static Request fields(const RequestParser& parser, std::string_view msg, size_t consumed) {
    Request r{proto::testing::span_bytes(msg, consumed, parser.tokens()), parser.has_value(), ""};
    if (parser.has_value()) r.value = proto::testing::span_bytes(msg, consumed, {parser.value()})[0];
    return r;
  }

  static void describe(std::ostream& s, const Request& r) {
    s << " tokens=[";
    for (const auto& t : r.tokens) s << "'" << printable(t, 40) << "' ";
    s << "]";
    if (r.has_value) s << " value='" << printable(r.value, 40) << "'";
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

Outcome line(size_t consumed, std::vector<std::string> tokens) {
  return Outcome::done(consumed, {std::move(tokens), false, ""});
}

Outcome stored(size_t consumed, std::vector<std::string> tokens, std::string value) {
  return Outcome::done(consumed, {std::move(tokens), true, std::move(value)});
}

Outcome error(size_t consumed, std::string why) {
  return Outcome::failed(consumed, std::move(why));
}

const std::string kFormat = "bad command line format";
const std::string kChunk = "bad data chunk";

// "<head> <len>[ <tail>]\r\n<value>\r\n" and the tokens it should yield.
struct Storage {
  std::string msg;
  std::vector<std::string> tokens;
  std::string value;
};

Storage storage(const std::vector<std::string>& head, const std::string& value,
                const std::vector<std::string>& tail = {}, size_t length_index = 4) {
  Storage s;
  s.tokens = head;
  s.tokens.insert(s.tokens.begin() + static_cast<long>(length_index),
                  std::to_string(value.size()));
  s.tokens.insert(s.tokens.end(), tail.begin(), tail.end());
  for (size_t i = 0; i < s.tokens.size(); ++i) s.msg += (i ? " " : "") + s.tokens[i];
  s.msg += "\r\n" + value + "\r\n";
  s.value = value;
  return s;
}

TEST(MemcacheRequestParser, SpansOfSetPointAtTokensAndData) {
  const std::string msg = "set key 5 0 3\r\nabc\r\n";
  RequestParser parser;
  const auto r = parser.feed(msg.data(), msg.size());
  ASSERT_EQ(r.status, ParseStatus::kDone);
  EXPECT_EQ(r.consumed, msg.size());
  ASSERT_EQ(parser.tokens().size(), 5u);
  const std::vector<std::pair<uint64_t, uint64_t>> want = {{0, 3}, {4, 3}, {8, 1}, {10, 1}, {12, 1}};
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(parser.tokens()[i].offset, want[i].first) << i;
    EXPECT_EQ(parser.tokens()[i].len, want[i].second) << i;
  }
  EXPECT_TRUE(parser.has_value());
  EXPECT_EQ(parser.value().offset, 15u);
  EXPECT_EQ(parser.value().len, 3u);
}

TEST(MemcacheRequestParser, LineOnlyCommandsEveryWay) {
  struct Case {
    std::string msg;
    std::vector<std::string> tokens;
  };
  const std::vector<Case> cases = {
      {"get k\r\n", {"get", "k"}},
      {"get k\n", {"get", "k"}},
      {"gets a bb ccc dddd\r\n", {"gets", "a", "bb", "ccc", "dddd"}},
      {"gat 100 a b\r\n", {"gat", "100", "a", "b"}},
      {"gats -1 a\r\n", {"gats", "-1", "a"}},
      {"touch k 10\r\n", {"touch", "k", "10"}},
      {"touch k 10 noreply\r\n", {"touch", "k", "10", "noreply"}},
      {"incr counter 5\r\n", {"incr", "counter", "5"}},
      {"decr counter 18446744073709551615 noreply\r\n",
       {"decr", "counter", "18446744073709551615", "noreply"}},
      {"delete k\r\n", {"delete", "k"}},
      {"delete k 0 noreply\r\n", {"delete", "k", "0", "noreply"}},
      {"version\r\n", {"version"}},
      {"quit\r\n", {"quit"}},
      {"verbosity 1\r\n", {"verbosity", "1"}},
      {"verbosity 1 noreply\r\n", {"verbosity", "1", "noreply"}},
      {"flush_all\r\n", {"flush_all"}},
      {"flush_all 10 noreply\r\n", {"flush_all", "10", "noreply"}},
      {"stats slabs\r\n", {"stats", "slabs"}},
      // Meta commands other than ms carry no data.
      {"mg key v f t k c s\r\n", {"mg", "key", "v", "f", "t", "k", "c", "s"}},
      {"mg key\r\n", {"mg", "key"}},
      {"md key q Oopaque\r\n", {"md", "key", "q", "Oopaque"}},
      {"ma key N0 J13 MI D5\r\n", {"ma", "key", "N0", "J13", "MI", "D5"}},
      {"mn\r\n", {"mn"}},
      {"me key\r\n", {"me", "key"}},
      // Not the parser's business: the protocol layer answers ERROR.
      {"bogus a b\r\n", {"bogus", "a", "b"}},
      {"sets k 0 0 1\r\n", {"sets", "k", "0", "0", "1"}},
      // Names are case-sensitive, as in memcached: no data block follows.
      {"SET k 0 0 1\r\n", {"SET", "k", "0", "0", "1"}},
      {"Cas k 0 0 1 1\r\n", {"Cas", "k", "0", "0", "1", "1"}},
      {"MS k 2\r\n", {"MS", "k", "2"}},
      // Spaces: any number between, before and after tokens.
      {"get  a   b \r\n", {"get", "a", "b"}},
      {"   get k\n", {"get", "k"}},
      {"get k \n", {"get", "k"}},
      // Only a CR right before the LF is dropped; only spaces separate.
      {"get k\r\r\n", {"get", "k\r"}},
      {"get a\rb\n", {"get", "a\rb"}},
      {"get a\tb\r\n", {"get", "a\tb"}},
      {"get \r \r\n", {"get", "\r"}},
      {"\r\r\n", {"\r"}},
      {"get \0\xff\x80\r\n"s, {"get", "\0\xff\x80"s}},
      // Empty lines: zero tokens, which the caller ignores.
      {"\r\n", {}},
      {"\n", {}},
      {"   \r\n", {}},
      {" \n", {}},
  };
  for (const auto& c : cases) check_all_ways(c.msg, line(c.msg.size(), c.tokens));

  // Long names are no storage command, however long: not even one whose
  // length wraps a byte-sized counter round to "set".
  for (const std::string& name : {"setxxxxx"s, "setxxxxxx"s, std::string(256, 'x') + "set",
                                  std::string(512, 'x') + "cas"}) {
    const std::string msg = name + " k 0 0 1\r\n";
    EXPECT_EQ(run_fresh(msg + "x\r\n", {}), line(msg.size(), {name, "k", "0", "0", "1"}))
        << name.size();
  }
}

TEST(MemcacheRequestParser, StorageCommandsEveryWay) {
  std::vector<Storage> cases;
  for (const std::string cmd : {"set", "add", "replace", "append", "prepend"}) {
    cases.push_back(storage({cmd, "k", "0", "0"}, "hello"));
    cases.push_back(storage({cmd, "key:1", "4294967295", "3600"}, "v", {"noreply"}));
  }
  cases.push_back(storage({"cas", "k", "1", "0"}, "abc", {"12345"}));
  cases.push_back(storage({"cas", "k", "1", "0"}, "abc", {"18446744073709551615", "noreply"}));
  cases.push_back(storage({"ms", "k"}, "hello", {}, 2));
  cases.push_back(storage({"ms", "k"}, "hello", {"T0", "F3", "I", "q", "Oxyz"}, 2));
  cases.push_back(storage({"ms", "k"}, "", {"MA"}, 2));
  // Data that looks like protocol: it is skipped by count, never scanned.
  cases.push_back(storage({"set", "k", "0", "0"}, "a\r\nEND\r\n"));
  cases.push_back(storage({"set", "k", "0", "0"}, "\r\n"));
  cases.push_back(storage({"set", "k", "0", "0"}, "\r\n\r\n\r"));
  cases.push_back(storage({"set", "k", "0", "0"}, "get x\r\nset k 0 0 1\r\n"));
  cases.push_back(storage({"ms", "k"}, "\nVA 1\r\n", {"T1"}, 2));
  cases.push_back(storage({"set", "k", "0", "0"}, ""));
  cases.push_back(storage({"set", "k", "0", "0"}, "\0\xff\x80"s));
  cases.push_back(storage({"set", "k", "0", "0"}, std::string(100, 'x')));
  // Numbers as memcached takes them: negative and -0 exptimes, 64-bit
  // flags, the extremes of exptime, an unchecked noreply word.
  cases.push_back(storage({"set", "k", "0", "-1"}, "x"));
  cases.push_back(storage({"set", "k", "0", "-0"}, "x"));
  cases.push_back(storage({"set", "k", "18446744073709551615", "9223372036854775807"}, "x"));
  cases.push_back(storage({"add", "k", "007", "-9223372036854775808"}, "x"));
  cases.push_back(storage({"set", "k", "0", "0"}, "x", {"whatever"}));
  for (const auto& c : cases) check_all_ways(c.msg, stored(c.msg.size(), c.tokens, c.value));

  struct Case {
    std::string msg;
    std::vector<std::string> tokens;
    std::string value;
  };
  const std::vector<Case> odd = {
      {"set  k 0  0   3  \r\nabc\r\n", {"set", "k", "0", "0", "3"}, "abc"},
      {"  set k 0 0 3\r\nabc\r\n", {"set", "k", "0", "0", "3"}, "abc"},
      {"set k 0 0 3\nabc\r\n", {"set", "k", "0", "0", "3"}, "abc"},  // LF-only line
      {"set k 0 0 003\r\nabc\r\n", {"set", "k", "0", "0", "003"}, "abc"},
      {"ms k 03 T0\nabc\r\n", {"ms", "k", "03", "T0"}, "abc"},
      {"cas k 0 0 1 000\r\nx\r\n", {"cas", "k", "0", "0", "1", "000"}, "x"},
  };
  for (const auto& c : odd) check_all_ways(c.msg, stored(c.msg.size(), c.tokens, c.value));
}

TEST(MemcacheRequestParser, IncompleteMessagesNeedMore) {
  for (const std::string msg :
       {"g", "get", "get ", "get k", "get k\r", "   ", "\r", "set k 0 0 5", "set k 0 0 5\r",
        "set k 0 0 5\r\n", "set k 0 0 5\r\nab", "set k 0 0 5\r\nabcde",
        "set k 0 0 5\r\nabcde\r", "cas k 0 0 1 9\r\nx", "ms k 2\n", "ms k 2 T0\r\nab\r",
        "set k 0 0 1073741824\r\nabc"}) {
    Driver::check_needs_more([] { return RequestParser(); }, msg);
  }
}

TEST(MemcacheRequestParser, MalformedMessages) {
  const std::vector<proto::testing::Malformed> cases = {
      // The data length: digits only, nothing negative, within max_value.
      {"set k 0 0 abc\r\nx\r\n", 10, kChunk},
      {"set k 0 0 -1\r\nx\r\n", 10, kChunk},
      {"set k 0 0 +1\r\nx\r\n", 10, kChunk},
      {"set k 0 0 1x\r\nx\r\n", 11, kChunk},
      {"set k 0 0 1\rx\r\n", 12, kChunk},  // a CR not before LF is a byte
      {"set k 0 0 1073741825\r\n", 19, kChunk},  // 1 GiB + 1
      {"set k 0 0 99999999999999999999999\r\n", 19, kChunk},
      {"cas k 0 0 x 1\r\n", 10, kChunk},
      {"ms k abc\r\n", 5, kChunk},
      {"ms k -1\r\n", 5, kChunk},
      {"ms k 1\tT0\r\n", 6, kChunk},
      // The CRLF after the data.
      {"set k 0 0 5\r\nabcdeX\r\n", 18, kChunk},
      {"set k 0 0 5\r\nabcde\rX", 19, kChunk},
      {"set k 0 0 5\r\nabcde\n", 18, kChunk},
      {"set k 0 0 5\r\nabcde\n\n", 18, kChunk},
      {"set k 0 0 3\r\nabcde\r\n", 16, kChunk},
      {"set k 0 0 0\r\nx\r\n", 13, kChunk},
      {"ms k 2 T0\r\nabc\r\n", 13, kChunk},
      {"cas k 0 0 1 1 noreply\r\nx\r\r\n", 25, kChunk},
      // Token counts, judged at the LF.
      {"set k 0 0\r\n", 10, kFormat},
      {"set k 0\r\n", 8, kFormat},
      {"set\r\n", 4, kFormat},
      {"set k 0 0 1 noreply extra\r\nx\r\n", 26, kFormat},
      {"prepend k 0 0 1 a b\nx\r\n", 19, kFormat},
      {"cas k 0 0 1\r\nx\r\n", 12, kFormat},
      {"cas k 0 0 1 1 noreply x\r\nx\r\n", 24, kFormat},
      {"ms k\r\n", 5, kFormat},
      {"ms\n", 2, kFormat},
      // Flags, exptime and cas must be numbers memcached would take.
      {"set k x 0 1\r\nx\r\n", 6, kFormat},
      {"set k -1 0 1\r\nx\r\n", 6, kFormat},
      {"set k 18446744073709551616 0 1\r\n", 25, kFormat},
      {"set k 0 x 1\r\n", 8, kFormat},
      {"set k 0 1-2 1\r\n", 9, kFormat},
      {"set k 0 --1 1\r\n", 9, kFormat},
      {"set k 0 - 1\r\n", 9, kFormat},  // a lone '-' fails where it ends
      {"set k 0 -\r\n", 10, kFormat},
      {"set k 0 9223372036854775808 1\r\n", 26, kFormat},
      {"set k 0 -9223372036854775809 1\r\n", 27, kFormat},
      {"cas k 0 0 1 x\r\n", 12, kFormat},
      {"cas k 0 0 1 -1\r\n", 12, kFormat},
      {"cas k 0 0 1 18446744073709551616\r\n", 31, kFormat},
      {"add k 1\r2 0 1\r\n", 8, kFormat},
  };
  for (const auto& c : cases) check_all_ways(c.msg, error(c.at, c.why));
}

TEST(MemcacheRequestParser, DataLengthLimit) {
  RequestLimits limits;
  limits.max_value = 5;
  check_all_ways("set k 0 0 5\r\nabcde\r\n",
                 stored(20, {"set", "k", "0", "0", "5"}, "abcde"), limits);
  check_all_ways("set k 0 0 6\r\nabcdef\r\n", error(10, kChunk), limits);
  check_all_ways("set k 0 0 10\r\n", error(11, kChunk), limits);
  check_all_ways("ms k 6\r\n", error(5, kChunk), limits);
  limits.max_value = 0;
  check_all_ways("set k 0 0 0\r\n\r\n", stored(15, {"set", "k", "0", "0", "0"}, ""), limits);
  check_all_ways("set k 0 0 000\r\n\r\n", stored(17, {"set", "k", "0", "0", "000"}, ""), limits);
  check_all_ways("set k 0 0 1\r\nx\r\n", error(10, kChunk), limits);
}

TEST(MemcacheRequestParser, WholeRequestLimitRefusesOnTheLineBeforeTheData) {
  RequestLimits limits;
  limits.max_request = 20;
  check_all_ways("set k 0 0 5\r\nabcde\r\n",
                 stored(20, {"set", "k", "0", "0", "5"}, "abcde"), limits);
  const std::string why = "request larger than the pool's max_request_size";
  check_all_ways("set k 0 0 6\r\nabcdef\r\n", error(13, why), limits);
  check_all_ways("set k 0 0 1000000\r\n", error(19, why), limits);
  check_all_ways("ms k 99 T0\r\n", error(12, why), limits);
}

TEST(MemcacheRequestParser, LineLengthLimit) {
  RequestLimits limits;
  limits.max_line = 8;
  // The limit counts every byte before the LF, a final CR included.
  check_all_ways("get 5678\n", line(9, {"get", "5678"}), limits);
  check_all_ways("get 567\r\n", line(9, {"get", "567"}), limits);
  check_all_ways("get 56789\n", error(8, "line too long"), limits);
  check_all_ways("get 5678\r\n", error(8, "line too long"), limits);
  // Data blocks do not count against it.
  const Storage s = storage({"ms", "k"}, std::string(50, 'v'), {}, 2);  // "ms k 50\r" is 8
  check_all_ways(s.msg, stored(s.msg.size(), s.tokens, s.value), limits);
  // A fault before the limit wins however the bytes are cut.
  check_all_ways("set k x 0123456789\n", error(6, kFormat), limits);
  // No LF at all: a long line must fail, not grow forever.
  const std::string endless(100, 'a');
  EXPECT_EQ(run_fresh(endless, {}, limits), error(8, "line too long"));
  EXPECT_EQ(run_fresh(endless, every_byte(endless.size()), limits), error(8, "line too long"));
  limits.max_line = 0;
  check_all_ways("\n", line(1, {}), limits);
  check_all_ways("\r\n", error(0, "line too long"), limits);
}

TEST(MemcacheRequestParser, DefaultLineLimitIsOneMebibyte) {
  const std::string fits = "get " + std::string((1u << 20) - 6, 'k') + "\r\n";
  EXPECT_EQ(run_fresh(fits, {}).status, ParseStatus::kDone);
  const std::string too_long = "get " + std::string(1u << 20, 'k');
  EXPECT_EQ(run_fresh(too_long, {}), error(1u << 20, "line too long"));
  EXPECT_EQ(run_fresh(too_long, {100, 5000, 70000}), error(1u << 20, "line too long"));
}

TEST(MemcacheRequestParser, TokenCountLimit) {
  RequestLimits limits;
  limits.max_tokens = 3;
  check_all_ways("get a b\r\n", line(9, {"get", "a", "b"}), limits);
  check_all_ways("get a b \r\n", line(10, {"get", "a", "b"}), limits);
  check_all_ways("get a b c\r\n", error(8, "too many tokens"), limits);
  check_all_ways("get a b    cc\r\n", error(11, "too many tokens"), limits);
  // A CR that turns out to open a fourth token is charged to the byte after.
  check_all_ways("get a b \r\r\n", error(9, "too many tokens"), limits);
  // A storage command's tokens count too.
  check_all_ways("set k 0 0 1\r\nx\r\n", error(8, "too many tokens"), limits);
  limits.max_tokens = 0;
  check_all_ways("  \r\n", line(4, {}), limits);
  check_all_ways("x\r\n", error(0, "too many tokens"), limits);
}

TEST(MemcacheRequestParser, DefaultTokenLimitIs64Ki) {
  std::string fits = "get";
  for (int i = 1; i < 64 * 1024; ++i) fits += " k";
  const std::string over = fits + " k\r\n";
  fits += "\r\n";
  RequestParser parser;
  EXPECT_EQ(parser.feed(fits.data(), fits.size()).status, ParseStatus::kDone);
  EXPECT_EQ(parser.tokens().size(), 64u * 1024);
  EXPECT_EQ(run_fresh(over, {}), error(over.size() - 3, "too many tokens"));
}

TEST(MemcacheRequestParser, ThousandKeyGet) {
  std::string msg = "get";
  std::vector<std::string> tokens = {"get"};
  for (int i = 0; i < 1000; ++i) {
    tokens.push_back("key:" + std::to_string(i * 7919));
    msg += " " + tokens.back();
  }
  msg += "\r\n";
  const Outcome want = line(msg.size(), tokens);
  const std::string input = msg + std::string(RequestProtocol::kTail);
  EXPECT_EQ(run_fresh(input, {}), want);
  EXPECT_EQ(run_fresh(input, every_byte(input.size())), want);
  for (size_t cut = 0; cut <= input.size(); cut += 97) {
    ASSERT_EQ(run_fresh(input, {cut}), want) << "cut at " << cut;
  }
}

// A storage message of `size` bytes of data, fed in 16 KiB chunks the way
// the proxy reads: one feed call per chunk, data skipped by count.
void check_big_value(const std::string& head, size_t size) {
  SCOPED_TRACE(head);
  std::string msg = head;
  msg.append(size, 'v');
  msg += "\r\n";
  const std::string input = msg + "get next\r\n";

  RequestParser parser;
  const size_t chunk = 16384;
  const auto c = proto::testing::feed_in_chunks(parser, input, chunk);
  ASSERT_EQ(c.status, ParseStatus::kDone);
  EXPECT_EQ(c.consumed, msg.size());
  EXPECT_EQ(c.calls, (msg.size() + chunk - 1) / chunk);
  ASSERT_TRUE(parser.has_value());
  EXPECT_EQ(parser.value().offset, head.size());
  EXPECT_EQ(parser.value().len, size);
  ASSERT_GE(parser.tokens().size(), 2u);
  EXPECT_EQ(msg.substr(parser.tokens()[1].offset, parser.tokens()[1].len), "big");

  // And in one call.
  parser.reset();
  const auto r = parser.feed(input.data(), input.size());
  ASSERT_EQ(r.status, ParseStatus::kDone);
  EXPECT_EQ(r.consumed, msg.size());
  EXPECT_EQ(parser.value().len, size);
}

TEST(MemcacheRequestParser, OneMebibyteValueInChunks) {
  check_big_value("set big 0 0 1048576\r\n", 1u << 20);
  check_big_value("ms big 1048576 T0 F1\r\n", 1u << 20);
}

TEST(MemcacheRequestParser, SixteenMebibyteValueInChunks) {
  check_big_value("set big 0 0 16777216\r\n", 16u << 20);
  check_big_value("cas big 0 0 16777216 77 noreply\n", 16u << 20);
}

TEST(MemcacheRequestParser, FinishedParserTakesNothingUntilReset) {
  RequestParser parser;
  const std::string two = "set k 0 0 1\r\nx\r\nget k\r\n";
  auto r = parser.feed(two.data(), two.size());
  ASSERT_EQ(r.status, ParseStatus::kDone);
  ASSERT_EQ(r.consumed, 16u);
  r = parser.feed(two.data() + 16, two.size() - 16);
  EXPECT_EQ(r.status, ParseStatus::kDone);
  EXPECT_EQ(r.consumed, 0u);
  ASSERT_EQ(parser.tokens().size(), 5u);  // still the first message's
  EXPECT_TRUE(parser.has_value());
  EXPECT_EQ(parser.value().offset, 13u);

  parser.reset();
  EXPECT_FALSE(parser.has_value());
  EXPECT_EQ(parser.value().offset, 0u);
  EXPECT_EQ(parser.value().len, 0u);
  r = parser.feed("set k 0 0 x", 11);
  EXPECT_EQ(r.status, ParseStatus::kError);
  EXPECT_EQ(r.consumed, 10u);
  r = parser.feed(two.data(), two.size());
  EXPECT_EQ(r.status, ParseStatus::kError);
  EXPECT_EQ(r.consumed, 0u);
  EXPECT_EQ(parser.error(), kChunk);

  parser.reset();
  EXPECT_EQ(parser.error(), "");
  EXPECT_TRUE(parser.tokens().empty());
  r = parser.feed(two.data() + 16, two.size() - 16);
  ASSERT_EQ(r.status, ParseStatus::kDone);
  EXPECT_EQ(r.consumed, 7u);
  EXPECT_FALSE(parser.has_value());
  EXPECT_EQ(parser.tokens().size(), 2u);
}

TEST(MemcacheRequestParser, ZeroLengthFeedIsHarmless) {
  RequestParser parser;
  auto r = parser.feed("", 0);
  EXPECT_EQ(r.status, ParseStatus::kNeedMore);
  EXPECT_EQ(r.consumed, 0u);
  r = parser.feed("set k 0 0 1\r", 12);
  EXPECT_EQ(r.status, ParseStatus::kNeedMore);
  r = parser.feed("", 0);
  EXPECT_EQ(r.status, ParseStatus::kNeedMore);
  r = parser.feed("\nx", 2);
  EXPECT_EQ(r.status, ParseStatus::kNeedMore);
  r = parser.feed("", 0);
  EXPECT_EQ(r.status, ParseStatus::kNeedMore);
  r = parser.feed("\r\n", 2);
  EXPECT_EQ(r.status, ParseStatus::kDone);
  EXPECT_EQ(r.consumed, 2u);
  EXPECT_EQ(parser.value().offset, 13u);
}

TEST(MemcacheRequestParser, ResetInTheMiddleStartsOver) {
  RequestParser parser;
  const std::string msg = "get k\r\n";
  for (const std::string partial : {"set k 0 0 5\r\nab", "set k 0 0 5", "get lo", "set k 0 -"}) {
    SCOPED_TRACE(partial);
    ASSERT_EQ(parser.feed(partial.data(), partial.size()).status, ParseStatus::kNeedMore);
    parser.reset();
    EXPECT_EQ(Driver::run(parser, msg, {}), line(msg.size(), {"get", "k"}));
    parser.reset();
  }
  // A line that begins like a storage command must not leave its shape
  // behind for the next message.
  ASSERT_EQ(parser.feed("set k 0 0 1\r\nx\r\n", 16).status, ParseStatus::kDone);
  parser.reset();
  EXPECT_EQ(Driver::run(parser, "sett k 0 0 1\r\n", {}), line(14, {"sett", "k", "0", "0", "1"}));
}

TEST(MemcacheRequestParser, PipelineStopsAtEachMessageEnd) {
  std::vector<std::string> messages;
  std::vector<Outcome> want;
  auto add_line = [&](const std::string& m, std::vector<std::string> tokens) {
    messages.push_back(m);
    want.push_back(line(m.size(), std::move(tokens)));
  };
  auto add_storage = [&](const Storage& s) {
    messages.push_back(s.msg);
    want.push_back(stored(s.msg.size(), s.tokens, s.value));
  };
  for (int i = 0; i < 50; ++i) {
    const std::string k = "key:" + std::to_string(i);
    const std::string v(static_cast<size_t>(i * 7), static_cast<char>('a' + i % 26));
    add_storage(storage({"set", k, "0", "0"}, v));
    add_line("get " + k + "\r\n", {"get", k});
    add_storage(storage({"ms", k}, v + "\r\nEND\r\n", {"T0"}, 2));
    add_line("mg " + k + " v k\r\n", {"mg", k, "v", "k"});
    if (i % 10 == 0) {
      add_line("\r\n", {});
      add_line("incr n 1\n", {"incr", "n", "1"});
      add_storage(storage({"cas", k, "0", "0"}, v, {std::to_string(i), "noreply"}));
      add_line("gets a " + k + " b\r\n", {"gets", "a", k, "b"});
      add_line("version\r\n", {"version"});
    }
  }
  std::string input;
  for (const auto& m : messages) input += m;

  RequestParser parser;
  Driver::check_pipeline(parser, input, want);
}

TEST(MemcacheRequestParser, SteadyStateDoesNotReallocateTokens) {
  RequestParser parser;
  const std::string msg = "gets a b c d e f g h\r\n";
  ASSERT_EQ(parser.feed(msg.data(), msg.size()).status, ParseStatus::kDone);
  const Span* storage = parser.tokens().data();
  const size_t capacity = parser.tokens().capacity();
  for (int i = 0; i < 1000; ++i) {
    parser.reset();
    ASSERT_EQ(parser.tokens().capacity(), capacity);
    ASSERT_EQ(parser.feed(msg.data(), msg.size()).status, ParseStatus::kDone);
    ASSERT_EQ(parser.tokens().size(), 9u);
  }
  EXPECT_EQ(parser.tokens().data(), storage);
  EXPECT_EQ(parser.tokens().capacity(), capacity);
}

TEST(MemcacheRequestParser, HugeCommandDoesNotPinItsTokenCapacity) {
  std::string msg = "get";
  for (int i = 0; i < 50000; ++i) msg += " " + std::to_string(i);
  msg += "\r\n";
  RequestParser parser;
  ASSERT_EQ(parser.feed(msg.data(), msg.size()).status, ParseStatus::kDone);
  ASSERT_EQ(parser.tokens().size(), 50001u);
  EXPECT_EQ(msg.substr(parser.tokens()[50000].offset, parser.tokens()[50000].len), "49999");
  parser.reset();
  EXPECT_LT(parser.tokens().capacity(), 50000u);
}

// A command line that arrives whole is read by a fast path (tokens found by
// scanning); one cut in pieces, byte by byte. Lines at the edges of what the
// fast path takes must get the same verdict, offset and fields both ways.
TEST(MemcacheRequestParser, WholeLinesAgreeWithLinesCutInPieces) {
  std::mt19937 rng(20261205);
  RequestLimits limits;
  limits.max_value = 100;
  limits.max_line = 40;
  limits.max_tokens = 7;
  for (const std::string msg :
       {"get k\r\n", "get  k \r\n", "get k\n", "get k\r\r\n", "get a\rb\r\n", "\r\n", "\n", " \r\n",
        "get a b c d e f\r\n", "get a b c d e f g\r\n", "set k 0 0 1\r\nx\r\n", "set  k 0 0 1 \r\nx\r\n",
        "set k 0 0 1 noreply\r\nx\r\n", "set k 0 0\r\n", "set k 0 0 1 a b\r\nx\r\n",
        "set k x 0 1\r\nx\r\n", "set k 0 -1 1\r\nx\r\n", "set k 0 - 1\r\nx\r\n",
        "set k 0 1- 1\r\nx\r\n", "set k 0 --1 1\r\nx\r\n", "set k -1 0 1\r\nx\r\n",
        "set k 0 0 101\r\n", "set k 0 0 1x\r\n", "set k 18446744073709551615 0 1\r\nx\r\n",
        "set k 0 -9223372036854775808 1\r\nx\r\n", "set k 0 -9223372036854775809 1\r\nx\r\n",
        "cas k 0 0 1 5\r\nx\r\n", "cas k 0 0 1 -5\r\nx\r\n", "ms k 1 T0\r\nx\r\n", "ms k x\r\n",
        "ms k\r\n", "sets k 0 0 1\r\n", "SET k 0 0 1\r\n", "mg k v\r\n",
        // At the edges of the storage lines' fast path.
        "set  k 0 0 1\r\nx\r\n", "set k  0 0 1\r\nx\r\n", "set k 0 0 1 \r\nx\r\n",
        "set k\r 0 0 1\r\nx\r\n", " set k 0 0 1\r\nx\r\n", "set k 0 0 1  noreply\r\nx\r\n",
        "set k 1234567890123456789 0 1\r\nx\r\n", "set k 0 0 0000000000000000001\r\nx\r\n",
        "cas k 0 0 1 1234567890123456789\r\nx\r\n", "cas k 0 0 1 5 noreply\r\nx\r\n",
        "set k 0 0 1x\r\n", "set k 0 0 \r\n", "set k 0 0 1\r\r\nx\r\n", "add k 0 0 1\nx\r\n"}) {
    ASSERT_TRUE(Driver::chunking_agrees([&] { return RequestParser(limits); }, msg, rng));
  }
}

// Storage lines under every token limit around their token counts: the fast
// path must refuse where the token-by-token reading refuses.
TEST(MemcacheRequestParser, StorageLinesAgreeUnderEveryTokenLimit) {
  std::mt19937 rng(20261206);
  for (uint32_t max_tokens = 0; max_tokens <= 8; ++max_tokens) {
    RequestLimits limits;
    limits.max_tokens = max_tokens;
    for (const std::string msg :
         {"set k 0 0 1\r\nx\r\n", "set k 0 0 1 noreply\r\nx\r\n", "cas k 0 0 1 5\r\nx\r\n",
          "cas k 0 0 1 5 noreply\r\nx\r\n", "get a b c d e\r\n"}) {
      ASSERT_TRUE(Driver::chunking_agrees([&] { return RequestParser(limits); }, msg, rng))
          << "max_tokens " << max_tokens;
    }
  }
}

// Random messages, some of them corrupted: whatever the verdict, it must not
// depend on how the bytes were cut.
TEST(MemcacheRequestParser, VerdictDoesNotDependOnChunking) {
  std::mt19937 rng(20240611);
  const std::string alphabet = " \r\n0123456789-+xsetmg\0"s;
  auto pick = [&](size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng); };
  RequestLimits limits;
  limits.max_value = 12;
  limits.max_line = 24;
  limits.max_tokens = 7;
  const std::vector<std::string> heads = {"set", "add", "cas", "ms", "get", "gets", "mg", "incr"};
  for (int iter = 0; iter < 4000; ++iter) {
    const std::string& cmd = heads[pick(heads.size())];
    std::string msg;
    const std::string v(pick(14), 'v');
    const std::string n = std::to_string(v.size());
    if (cmd == "ms") {
      msg = "ms k " + n + " T0\r\n" + v + "\r\n";
    } else if (cmd == "cas") {
      msg = "cas k 1 -2 " + n + " 9\r\n" + v + "\r\n";
    } else if (cmd == "set" || cmd == "add") {
      msg = cmd + " k  0 0 " + n + (pick(2) ? " noreply\r\n" : "\n") + v + "\r\n";
    } else {
      msg = cmd + " a b" + std::to_string(iter) + (pick(2) ? "\r\n" : " \n");
    }
    proto::testing::corrupt(msg, alphabet, rng);
    ASSERT_TRUE(Driver::chunking_agrees([&] { return RequestParser(limits); }, msg, rng));
  }
}

}  // namespace
}  // namespace walnut::memcache
