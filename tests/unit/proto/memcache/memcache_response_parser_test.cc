// Unit tests of the memcached ASCII response parser. Every reply is fed
// whole, one byte at a time, and cut at every point into two (and three)
// pieces, always with another reply right behind it, so that the parser must
// stop exactly at the reply's end whatever the chunking. Recorded VALUE
// blocks and keys are checked against the bytes they cover, and errors
// against their exact text and offset.
#include "proto/memcache/response_parser.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <utility>
#include <vector>

#include "tests/unit/proto/parser_test_driver.h"

namespace walnut::memcache {
namespace {

using proto::ParseStatus;
using proto::Span;
using proto::testing::every_byte;
using proto::testing::printable;
using namespace std::string_literals;

// A recorded VALUE block: the bytes of the whole block and of its key.
using Block = std::pair<std::string, std::string>;

// What the response parser says about a finished reply besides its length.
struct Reply {
  bool is_error_reply = false;
  std::vector<Block> values;

  bool operator==(const Reply&) const = default;
};

struct ResponseProtocol {
  using Parser = ResponseParser;
  using Fields = Reply;

  // A whole one-line reply: a parser that reads past the end of the reply
  // under test would take it as its own, or (inside a VALUE run) fail on it.
  static constexpr std::string_view kTail = "STORED\r\n";

  static Reply fields(const ResponseParser& parser, std::string_view msg, size_t consumed) {
    Reply r{parser.is_error_reply(), {}};
    for (const auto& v : parser.values()) {
      const auto bytes = proto::testing::span_bytes(msg, consumed, {v.block, v.key});
      r.values.emplace_back(bytes[0], bytes[1]);
    }
    return r;
  }

  static void describe(std::ostream& s, const Reply& r) {
    s << (r.is_error_reply ? " error-reply" : "") << " values=[";
    for (const auto& [block, key] : r.values) {
      s << "'" << printable(block, 40) << "' (key '" << printable(key, 20) << "') ";
    }
    s << "]";
  }
};

using Driver = proto::testing::Driver<ResponseProtocol>;
using Outcome = Driver::Outcome;

ResponseParser make_parser(const ResponseLimits& limits, bool record) {
  ResponseParser parser(limits);
  parser.set_record_values(record);
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

Outcome done(const std::string& msg, bool is_error = false, std::vector<Block> values = {}) {
  return Outcome::done(msg.size(), {is_error, std::move(values)});
}

Outcome error(size_t consumed, std::string why) {
  return Outcome::failed(consumed, std::move(why));
}

// "VALUE <key> <flags> <bytes>[ <cas>]\r\n<data>\r\n"
std::string value_block(const std::string& key, const std::string& data,
                        const std::string& flags = "0", const std::string& cas = "") {
  return "VALUE " + key + " " + flags + " " + std::to_string(data.size()) +
         (cas.empty() ? "" : " " + cas) + "\r\n" + data + "\r\n";
}

const std::string kLength = "bad data length";
const std::string kChunk = "bad data chunk";
const std::string kValueLine = "bad VALUE line";
const std::string kCrlf = "expected CRLF at end of line";
const std::string kUnexpected = "unexpected line in retrieval reply";

TEST(MemcacheResponseParser, ValueSpansCoverBlocksAndKeys) {
  const std::string msg = "VALUE a 0 1\r\nx\r\nVALUE bcd 5 2 99\r\nyz\r\nEND\r\n";
  ResponseParser parser;
  parser.set_record_values(true);
  const auto r = parser.feed(msg.data(), msg.size());
  ASSERT_EQ(r.status, ParseStatus::kDone);
  EXPECT_EQ(r.consumed, msg.size());
  EXPECT_FALSE(parser.is_error_reply());
  ASSERT_EQ(parser.values().size(), 2u);
  EXPECT_EQ(parser.values()[0].block.offset, 0u);
  EXPECT_EQ(parser.values()[0].block.len, 16u);
  EXPECT_EQ(parser.values()[0].key.offset, 6u);
  EXPECT_EQ(parser.values()[0].key.len, 1u);
  EXPECT_EQ(parser.values()[1].block.offset, 16u);
  EXPECT_EQ(parser.values()[1].block.len, 22u);
  EXPECT_EQ(parser.values()[1].key.offset, 22u);
  EXPECT_EQ(parser.values()[1].key.len, 3u);
}

TEST(MemcacheResponseParser, OneLineRepliesEveryWay) {
  for (const std::string& msg : std::vector<std::string>{
           "STORED\r\n", "NOT_STORED\r\n", "EXISTS\r\n", "NOT_FOUND\r\n", "DELETED\r\n",
        "TOUCHED\r\n", "OK\r\n", "VERSION 1.6.18\r\n", "0\r\n", "12345\r\n",
        "18446744073709551615\r\n", "HD\r\n", "HD c123 f30 kfoo t-1\r\n", "EN\r\n", "NS\r\n",
        "EX\r\n", "NF\r\n", "END \r\n", "STORED \xff\0\r\n"s,
        // Not quite an error reply.
        "ERROR x\r\n"}) {
    check_all_ways(msg, done(msg));
  }
}

// A line no memcached reply starts with (near misses of the structured
// words included) means the connection is out of step: refused at its CR,
// never passed on as a client's answer.
TEST(MemcacheResponseParser, UnknownLinesAreNotReplies) {
  for (const std::string& msg : std::vector<std::string>{
           "WHATEVER 1 2 3\r\n", "\r\n", "VALUEX 1 2 3\r\n", "VALUES\r\n", "VAX 1\r\n",
           "VAL 1\r\n", "V\r\n", "ENDS\r\n", " VALUE k 0 1\r\n", " VA 1\r\n", "ERRORS\r\n",
           " ERROR\r\n", "CLIENT_ERRO\r\n", "CLIENT_ERRORx\r\n", "SERVER\r\n", "stored\r\n",
           "-1\r\n", "12a\r\n", "NOT_STORED_AT_ALL\r\n", "184467440737095516150\r\n",
           "0000000000000000000000000000\r\n",
           // Replies to commands walnut never forwards.
           "STAT pid 1\r\n", "RESET\r\n", "MN\r\n", "ME key exp=-1 la=3\r\n"}) {
    check_all_ways(msg, error(msg.find('\r'), "not a memcached reply"));
  }
}

TEST(MemcacheResponseParser, ErrorRepliesEveryWay) {
  for (const std::string msg :
       {"ERROR\r\n", "CLIENT_ERROR bad data chunk\r\n", "CLIENT_ERROR\r\n",
        "SERVER_ERROR out of memory storing object\r\n",
        "SERVER_ERROR object too large for cache\r\n", "SERVER_ERROR\r\n"}) {
    check_all_ways(msg, done(msg, true));
  }
  // A long error line is still one line, its start still decides.
  const std::string long_error = "SERVER_ERROR " + std::string(5000, 'e') + "\r\n";
  EXPECT_EQ(run_fresh(long_error + "END\r\n", {}), done(long_error, true));
  EXPECT_EQ(run_fresh(long_error + "END\r\n", every_byte(long_error.size())),
            done(long_error, true));
}

TEST(MemcacheResponseParser, RetrievalRepliesEveryWay) {
  struct Case {
    std::vector<std::pair<std::string, std::string>> kv;  // key, data
    std::string flags;
    std::string cas;
  };
  const std::vector<Case> cases = {
      {{}, "0", ""},  // a miss: "END" alone
      {{{"k", "v"}}, "0", ""},
      {{{"k", "hello"}}, "4294967295", "18446744073709551615"},
      {{{"a", "1"}, {"bb", "22"}, {"ccc", "333"}}, "7", ""},
      {{{"a", "1"}, {"bb", "22"}, {"ccc", "333"}}, "7", "1"},
      // Data that looks like protocol is skipped by count, never scanned.
      {{{"k", "a\r\nEND\r\n"}}, "0", ""},
      {{{"k", "\r\n"}, {"k2", "END"}}, "0", ""},
      {{{"k", "VALUE k 0 1\r\nx\r\n"}, {"j", "\r\nEND"}}, "0", "5"},
      {{{"k", ""}, {"e", ""}}, "0", ""},
      {{{"k", "\0\xff\r\x80"s}}, "0", ""},
      {{{std::string(250, 'k'), std::string(100, 'v')}}, "0", "77"},
  };
  for (const auto& c : cases) {
    std::string msg;
    std::vector<Block> blocks;
    for (const auto& [key, data] : c.kv) {
      blocks.emplace_back(value_block(key, data, c.flags, c.cas), key);
      msg += blocks.back().first;
    }
    msg += "END\r\n";
    check_all_ways(msg, done(msg, false, blocks));
    // Without recording: the same verdict and no blocks.
    check_all_ways(msg, done(msg), {}, false);
  }
  // memcached writes single spaces, but more do no harm.
  const std::string spaced = "VALUE  k   0 1  \r\nx\r\nEND\r\n";
  check_all_ways(spaced, done(spaced, false, {{"VALUE  k   0 1  \r\nx\r\n", "k"}}));
}

TEST(MemcacheResponseParser, MetaValueRepliesEveryWay) {
  for (const std::string msg :
       {"VA 2\r\nab\r\n", "VA 0\r\n\r\n", "VA 5 f30 t-1 c99 kfoo\r\nhello\r\n",
        "VA 8 s8\r\na\r\nEND\r\n\r\n", "VA 1  \r\n\n\r\n", "VA 4 q\r\nVA 1\r\n",
        "VA 002\r\nab\r\n"}) {
    // A meta hit is one block and nothing to record.
    check_all_ways(msg, done(msg));
  }
  // Any number of flags, none of them read.
  std::string many = "VA 2";
  for (int i = 0; i < 300; ++i) many += " f" + std::to_string(i);
  many += "\r\nab\r\n";
  check_all_ways(many, done(many));
}

TEST(MemcacheResponseParser, IncompleteRepliesNeedMore) {
  for (const std::string msg :
       {"S", "STORED", "STORED\r", "SERVER_ERROR oops", "E", "END", "END\r", "V", "VA",
        "VA 2", "VA 2\r\n", "VA 2\r\nab", "VA 2\r\nab\r", "VALUE", "VALUE k 0 1",
        "VALUE k 0 1\r\n", "VALUE k 0 1\r\nx\r\n", "VALUE k 0 1\r\nx\r\nEN",
        "VALUE k 0 1\r\nx\r\nEND\r", "VALUE k 0 1\r\nx\r\nVALUE j 0 2\r\nab\r\n",
        "VALUE k 0 1073741824\r\nabc"}) {
    Driver::check_needs_more([] { return make_parser({}, true); }, msg);
  }
}

TEST(MemcacheResponseParser, MalformedReplies) {
  const std::vector<proto::testing::Malformed> cases = {
      // Lengths: digits only, within max_value (1 GiB by default).
      {"VALUE k 0 x\r\n", 10, kLength},
      {"VALUE k 0 -1\r\n", 10, kLength},
      {"VALUE k 0 1x\r\n", 11, kLength},
      {"VALUE k 0 1073741825\r\n", 19, kLength},
      {"VALUE k 0 99999999999999999999\r\n", 19, kLength},
      {"VA x\r\n", 3, kLength},
      {"VA -1\r\n", 3, kLength},
      {"VA 1x 2\r\n", 4, kLength},
      // The rest of the VALUE and VA lines.
      {"VALUE k x 1\r\n", 8, kValueLine},
      {"VALUE k -1 1\r\n", 8, kValueLine},
      {"VALUE k 18446744073709551616 1\r\n", 27, kValueLine},
      {"VALUE k 0 1 x\r\n", 12, kValueLine},
      {"VALUE k 0 1 2 3\r\n", 14, kValueLine},
      {"VALUE k 0\r\n", 9, kValueLine},
      {"VALUE k\r\n", 7, kValueLine},
      {"VALUE \r\n", 6, kValueLine},
      {"VALUE\r\n", 5, kValueLine},
      {"VA\r\n", 2, "bad VA line"},
      {"VA  \r\n", 4, "bad VA line"},
      // The CRLF after a data block.
      {"VALUE k 0 1\r\nxy\r\n", 14, kChunk},
      {"VALUE k 0 1\r\nx\rX", 15, kChunk},
      {"VALUE k 0 1\r\nx\n", 14, kChunk},
      {"VALUE k 0 0\r\nx\r\n", 13, kChunk},
      {"VA 2\r\nabc\r\n", 8, kChunk},
      {"VA 2\r\nab\r\r", 9, kChunk},
      // Every line ends in CRLF.
      {"STORED\n", 6, kCrlf},
      {"STORED\rX", 7, kCrlf},
      {"ST\nORED\r\n", 2, kCrlf},
      {"NOT_FOUND\nxx", 9, kCrlf},
      {"SERVER_ERROR a\nb\r\n", 14, kCrlf},
      {"SERVER_ERROR a\rb\r\n", 15, kCrlf},
      {"END\n", 3, kCrlf},
      {"\n", 0, kCrlf},
      {"VALUE k 0 1\n", 11, kCrlf},
      {"VALUE k 0 1\rx", 12, kCrlf},
      {"VA 1\n", 4, kCrlf},
      // Inside a retrieval reply, only VALUE and END may follow.
      {"VALUE k 0 1\r\nx\r\nSTORED\r\n", 16, kUnexpected},
      {"VALUE k 0 1\r\nx\r\nENDX\r\n", 19, kUnexpected},
      {"VALUE k 0 1\r\nx\r\nEND \r\n", 19, kUnexpected},
      {"VALUE k 0 1\r\nx\r\nEN\r\n", 18, kUnexpected},
      {"VALUE k 0 1\r\nx\r\nVALUEX\r\n", 21, kUnexpected},
      {"VALUE k 0 1\r\nx\r\nVA 1\r\ny\r\n", 18, kUnexpected},
      {"VALUE k 0 1\r\nx\r\n\r\n", 16, kUnexpected},
      {"VALUE k 0 1\r\nx\r\n END\r\n", 16, kUnexpected},
      {"VALUE k 0 1\r\nx\r\nSERVER_ERROR out of memory\r\n", 16, kUnexpected},
      {"VALUE k 0 1\r\nx\r\nVALUE\r\n", 21, kUnexpected},
      {"VALUE k 0 1\r\nx\r\nEND\n", 19, kCrlf},
      {"VALUE k 0 1\r\nx\r\nVALUE j 0 z\r\n", 26, kLength},
  };
  for (const auto& c : cases) check_all_ways(c.msg, error(c.at, c.why));
}

TEST(MemcacheResponseParser, RunInterruptedByGarbage) {
  const std::string good = value_block("a", "1") + value_block("bb", "22");
  const std::string msg = good + "GARBAGE\r\n" + value_block("c", "3") + "END\r\n";
  check_all_ways(msg, error(good.size(), kUnexpected));
  // Garbage that starts like END or VALUE fails at its first wrong byte.
  check_all_ways(good + "ENVALUE", error(good.size() + 2, kUnexpected));
  check_all_ways(good + "VALUE\tk", error(good.size() + 5, kUnexpected));
}

TEST(MemcacheResponseParser, LineAndValueLimits) {
  ResponseLimits limits;
  limits.max_line = 8;
  // The limit counts the text before the CR.
  check_all_ways("12345678\r\n", done("12345678\r\n"), limits);
  check_all_ways("123456789\r\n", error(8, "line too long"), limits);
  check_all_ways("SERVER_ERROR x\r\n", error(8, "line too long"), limits);
  check_all_ways("VALUE k 0 12\r\n", error(8, "line too long"), limits);
  check_all_ways("VA 1 abc\r\nx\r\n", done("VA 1 abc\r\nx\r\n"), limits);
  check_all_ways("VA 1 abcd\r\nx\r\n", error(8, "line too long"), limits);
  // Data blocks do not count against it.
  const std::string big = "VA 100\r\n" + std::string(100, 'v') + "\r\n";
  check_all_ways(big, done(big), limits);
  // No CR at all: a long line must fail, not grow forever.
  const std::string endless(100, 'e');
  EXPECT_EQ(run_fresh(endless, {}, limits), error(8, "line too long"));
  EXPECT_EQ(run_fresh(endless, every_byte(endless.size()), limits), error(8, "line too long"));
  limits.max_line = 0;
  check_all_ways("\r\n", error(0, "not a memcached reply"), limits);
  check_all_ways("X\r\n", error(0, "line too long"), limits);
  // The replies read whole at a line's start are held to the limit too.
  limits.max_line = 2;
  check_all_ways("END\r\n", error(2, "line too long"), limits);
  limits.max_line = 3;
  check_all_ways("END\r\n", done("END\r\n", false), limits);
  limits.max_line = 5;
  check_all_ways("STORED\r\n", error(5, "line too long"), limits);
  limits.max_line = 6;
  check_all_ways("STORED\r\n", done("STORED\r\n", false), limits);

  limits = {};
  limits.max_value = 5;
  const std::string ok = value_block("k", "12345") + "END\r\n";
  check_all_ways(ok, done(ok, false, {{value_block("k", "12345"), "k"}}), limits);
  check_all_ways("VALUE k 0 6\r\n", error(10, kLength), limits);
  check_all_ways("VALUE k 0 10\r\n", error(11, kLength), limits);
  check_all_ways("VA 6\r\n", error(3, kLength), limits);
  limits.max_value = 0;
  check_all_ways("VA 0\r\n\r\n", done("VA 0\r\n\r\n"), limits);
  check_all_ways("VA 1\r\n", error(3, kLength), limits);
}

TEST(MemcacheResponseParser, DefaultLineLimitIs64KiB) {
  const std::string fits = "SERVER_ERROR " + std::string(64 * 1024 - 13, 'e') + "\r\n";
  EXPECT_EQ(run_fresh(fits, {}), done(fits, true));
  const std::string too_long(64 * 1024 + 1, 'e');
  EXPECT_EQ(run_fresh(too_long, {}), error(64 * 1024, "line too long"));
}

TEST(MemcacheResponseParser, ManyValuesRecordedAgainstTheBytes) {
  std::string msg;
  std::vector<Block> blocks;
  for (int i = 0; i < 1000; ++i) {
    const std::string key = "key:" + std::to_string(i);
    const std::string data(static_cast<size_t>(i % 40), static_cast<char>('a' + i % 26));
    blocks.emplace_back(value_block(key, data, std::to_string(i), i % 2 ? std::to_string(i * 3) : ""),
                        key);
    msg += blocks.back().first;
  }
  msg += "END\r\n";
  const std::string input = msg + std::string(ResponseProtocol::kTail);
  EXPECT_EQ(run_fresh(input, {}), done(msg, false, blocks));
  EXPECT_EQ(run_fresh(input, every_byte(input.size())), done(msg, false, blocks));
  for (size_t cut = 0; cut <= input.size(); cut += 101) {
    ASSERT_EQ(run_fresh(input, {cut}), done(msg, false, blocks)) << "cut at " << cut;
  }
}

// A reply carrying `size` bytes of data, fed in 16 KiB chunks the way the
// proxy reads: one feed call per chunk, data skipped by count.
void check_big_value(const std::string& head, size_t size, const std::string& trailer) {
  SCOPED_TRACE(head);
  std::string msg = head;
  msg.append(size, 'v');
  msg += "\r\n" + trailer;
  const std::string input = msg + "STORED\r\n";

  ResponseParser parser;
  parser.set_record_values(true);
  const size_t chunk = 16384;
  const auto c = proto::testing::feed_in_chunks(parser, input, chunk);
  ASSERT_EQ(c.status, ParseStatus::kDone);
  EXPECT_EQ(c.consumed, msg.size());
  EXPECT_EQ(c.calls, (msg.size() + chunk - 1) / chunk);
  if (head[1] == 'A' && head[2] == 'L') {
    ASSERT_EQ(parser.values().size(), 1u);
    EXPECT_EQ(parser.values()[0].block.offset, 0u);
    EXPECT_EQ(parser.values()[0].block.len, head.size() + size + 2);
    EXPECT_EQ(msg.substr(parser.values()[0].key.offset, parser.values()[0].key.len), "big");
  }

  // And in one call.
  parser.reset();
  const auto r = parser.feed(input.data(), input.size());
  ASSERT_EQ(r.status, ParseStatus::kDone);
  EXPECT_EQ(r.consumed, msg.size());
}

TEST(MemcacheResponseParser, OneMebibyteValueInChunks) {
  check_big_value("VALUE big 0 1048576\r\n", 1u << 20, "END\r\n");
  check_big_value("VA 1048576 t-1\r\n", 1u << 20, "");
}

TEST(MemcacheResponseParser, SixteenMebibyteValueInChunks) {
  check_big_value("VALUE big 0 16777216 12\r\n", 16u << 20, "END\r\n");
  check_big_value("VA 16777216\r\n", 16u << 20, "");
}

TEST(MemcacheResponseParser, FinishedParserTakesNothingUntilReset) {
  ResponseParser parser;
  parser.set_record_values(true);
  const std::string two = "VALUE k 0 1\r\nx\r\nEND\r\nSERVER_ERROR no\r\n";
  auto r = parser.feed(two.data(), two.size());
  ASSERT_EQ(r.status, ParseStatus::kDone);
  ASSERT_EQ(r.consumed, 21u);
  r = parser.feed(two.data() + 21, two.size() - 21);
  EXPECT_EQ(r.status, ParseStatus::kDone);
  EXPECT_EQ(r.consumed, 0u);
  EXPECT_FALSE(parser.is_error_reply());
  ASSERT_EQ(parser.values().size(), 1u);

  parser.reset();
  EXPECT_TRUE(parser.values().empty());
  r = parser.feed(two.data() + 21, two.size() - 21);
  ASSERT_EQ(r.status, ParseStatus::kDone);
  EXPECT_TRUE(parser.is_error_reply());
  EXPECT_TRUE(parser.values().empty());

  parser.reset();
  EXPECT_FALSE(parser.is_error_reply());
  r = parser.feed("VALUE k 0 x", 11);
  EXPECT_EQ(r.status, ParseStatus::kError);
  EXPECT_EQ(r.consumed, 10u);
  r = parser.feed(two.data(), two.size());
  EXPECT_EQ(r.status, ParseStatus::kError);
  EXPECT_EQ(r.consumed, 0u);
  EXPECT_EQ(parser.error(), kLength);

  parser.reset();
  EXPECT_EQ(parser.error(), "");
  r = parser.feed("ERROR\r\n", 7);
  ASSERT_EQ(r.status, ParseStatus::kDone);
  EXPECT_TRUE(parser.is_error_reply());
}

TEST(MemcacheResponseParser, ZeroLengthFeedIsHarmless) {
  ResponseParser parser;
  auto r = parser.feed("", 0);
  EXPECT_EQ(r.status, ParseStatus::kNeedMore);
  EXPECT_EQ(r.consumed, 0u);
  r = parser.feed("VALUE k 0 1\r\nx", 14);
  EXPECT_EQ(r.status, ParseStatus::kNeedMore);
  r = parser.feed("", 0);
  EXPECT_EQ(r.status, ParseStatus::kNeedMore);
  r = parser.feed("\r\nEND\r\n", 7);
  EXPECT_EQ(r.status, ParseStatus::kDone);
  EXPECT_EQ(r.consumed, 7u);
}

TEST(MemcacheResponseParser, ResetInTheMiddleStartsOver) {
  ResponseParser parser;
  parser.set_record_values(true);
  const std::string msg = value_block("k", "v") + "END\r\n";
  const Outcome want = done(msg, false, {{value_block("k", "v"), "k"}});
  for (const std::string partial :
       {"VALUE a 0 5\r\nab", "VALUE a 0 1\r\nx\r\n", "VA 3\r\n", "SERVER_ERR", "VALUE k 0"}) {
    SCOPED_TRACE(partial);
    ASSERT_EQ(parser.feed(partial.data(), partial.size()).status, ParseStatus::kNeedMore);
    parser.reset();
    EXPECT_EQ(Driver::run(parser, msg, {}), want);
    parser.reset();
  }
  // A reset run does not make the next reply's first line part of a run.
  ASSERT_EQ(parser.feed("VALUE a 0 1\r\nx\r\n", 16).status, ParseStatus::kNeedMore);
  parser.reset();
  EXPECT_EQ(Driver::run(parser, "STORED\r\n", {}), done("STORED\r\n"));
}

TEST(MemcacheResponseParser, PipelineStopsAtEachReplyEnd) {
  std::vector<std::string> replies;
  std::vector<Outcome> want;
  auto add = [&](const std::string& r, bool is_error = false, std::vector<Block> values = {}) {
    replies.push_back(r);
    want.push_back(done(r, is_error, std::move(values)));
  };
  for (int i = 0; i < 50; ++i) {
    const std::string k = "key:" + std::to_string(i);
    const std::string v(static_cast<size_t>(i * 7), static_cast<char>('a' + i % 26));
    add("STORED\r\n");
    add(value_block(k, v) + "END\r\n", false, {{value_block(k, v), k}});
    add("END\r\n");
    add("VA " + std::to_string(v.size()) + " t-1\r\n" + v + "\r\n");
    add("HD\r\n");
    add(std::to_string(i * 1000) + "\r\n");
    if (i % 10 == 0) {
      add("SERVER_ERROR out of memory\r\n", true);
      add("ERROR\r\n", true);
      add("CLIENT_ERROR bad data chunk\r\n", true);
      add(value_block("a", "1\r\nEND\r\n", "3", "9") + value_block(k, v) + "END\r\n", false,
          {{value_block("a", "1\r\nEND\r\n", "3", "9"), "a"}, {value_block(k, v), k}});
      add("EN\r\n");
      add("VERSION 1.6.18\r\n");
    }
  }
  std::string input;
  for (const auto& r : replies) input += r;

  ResponseParser parser = make_parser({}, true);
  Driver::check_pipeline(parser, input, want);
}

TEST(MemcacheResponseParser, SteadyStateDoesNotReallocateValues) {
  ResponseParser parser;
  parser.set_record_values(true);
  const std::string msg = value_block("a", "1") + value_block("b", "") + "END\r\n";
  ASSERT_EQ(parser.feed(msg.data(), msg.size()).status, ParseStatus::kDone);
  const auto* storage = parser.values().data();
  const size_t capacity = parser.values().capacity();
  for (int i = 0; i < 1000; ++i) {
    parser.reset();
    ASSERT_EQ(parser.values().capacity(), capacity);
    ASSERT_EQ(parser.feed(msg.data(), msg.size()).status, ParseStatus::kDone);
    ASSERT_EQ(parser.values().size(), 2u);
  }
  EXPECT_EQ(parser.values().data(), storage);
}

TEST(MemcacheResponseParser, HugeReplyDoesNotPinItsValueCapacity) {
  std::string msg;
  for (int i = 0; i < 50000; ++i) msg += value_block("k" + std::to_string(i), "");
  msg += "END\r\n";
  ResponseParser parser;
  parser.set_record_values(true);
  ASSERT_EQ(parser.feed(msg.data(), msg.size()).status, ParseStatus::kDone);
  ASSERT_EQ(parser.values().size(), 50000u);
  const auto& last = parser.values().back();
  EXPECT_EQ(msg.substr(last.key.offset, last.key.len), "k49999");
  parser.reset();
  EXPECT_LT(parser.values().capacity(), 50000u);
}

// A line that arrives whole is read by a fast path (words found by
// scanning); one cut in pieces, byte by byte. Lines at the edges of what the
// fast path takes must get the same verdict, offset and fields both ways.
TEST(MemcacheResponseParser, WholeLinesAgreeWithLinesCutInPieces) {
  std::mt19937 rng(20261205);
  ResponseLimits limits;
  limits.max_value = 100;
  limits.max_line = 24;
  for (const std::string msg :
       {"VALUE k 0 1\r\nx\r\nEND\r\n", "VALUE  k  0  1  \r\nx\r\nEND\r\n",
        "VALUE k 0 1 7\r\nx\r\nEND\r\n", "VALUE k 0 1 7 8\r\nx\r\nEND\r\n",
        "VALUE k 0 1 x\r\nx\r\nEND\r\n", "VALUE k 0 101\r\n", "VALUE k 0\r\n", "VALUE k\r\n",
        "VALUE \r\n", "VALUE\r\n", "VALUE k -1 1\r\nx\r\nEND\r\n",
        "VALUE k 0 1\r\nx\r\nEND \r\n", "VALUE k 0 1\r\nx\r\nENDS\r\n",
        "VALUE k 0 1\r\nx\r\nSTORED\r\n", "VALUE k 0 1\r\nx\r\nVA 1\r\nx\r\n",
        "VALUE k\n0 1\r\nx\r\nEND\r\n", "VA 1 f\r\nx\r\n", "VA 1\r\nx\r\n", "VA  1\r\nx\r\n",
        "VA\r\n", "VA \r\n", "VA x\r\n", "VA 101\r\n", "VAX 1\r\n", "END\r\n", "END \r\n",
        "STORED\r\n", "STORED x\r\n", "STORE\r\n", "123\r\n", "123 \r\n", " END\r\n", "\r\n",
        "HD c1 t-1\r\n", "SERVER_ERROR out of memory\r\n", "ERROR\r\n", "CLIENT_ERROR x\r\n",
        "END\n\r\n", "SERVER_ERROR abcdefghijklmn\r\n", "SERVER_ERROR abcdefghijklmno\r\n",
        // A block taken with its line, and the whole replies read at once.
        "VALUE k 0 1\r\nxy\r\nEND\r\n", "VALUE k 0 1\r\nx\rEND\r\n", "VALUE k 0 1\r\nx\n\r\n",
        "VALUE k 0 1\rx\r\nEND\r\n", "VALUE k\n 0 1\r\nx\r\nEND\r\n",
        "VALUE k 0 1\r\nx\r\nVALUE j 0 2\r\nyz\r\nEND\r\n", "VALUE k 0 0\r\n\r\nEND\r\n",
        "END\r\r\n", "END\rX", "STORED\r\r\n", "STORED\n", "STORED\rX", "ENDX\r\n",
        "VALUE k 0 1 \r\nx\r\nEND\r\n", "VALUE k 0 1 7 \r\nx\r\nEND\r\n",
        "VALUE k 0 01\r\nx\r\nEND\r\n", "VALUE k 0 1x\r\n", "VALUE k 0x 1\r\n",
        "VALUE k 1234567890123456789 1\r\nx\r\nEND\r\n", "VALUE k 0 1000000000000000000\r\n",
        "VALUE  \r\n", "VALUE   \r\n"}) {
    for (const bool record : {false, true}) {
      ASSERT_TRUE(Driver::chunking_agrees([&] { return make_parser(limits, record); }, msg, rng));
    }
  }
}

// Random replies, some of them corrupted: whatever the verdict, it must not
// depend on how the bytes were cut.
TEST(MemcacheResponseParser, VerdictDoesNotDependOnChunking) {
  std::mt19937 rng(20240612);
  auto pick = [&](size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng); };
  const std::string alphabet = "VALUENDA \r\n0123456789-x\0"s;
  ResponseLimits limits;
  limits.max_value = 10;
  limits.max_line = 20;
  for (int iter = 0; iter < 4000; ++iter) {
    std::string msg;
    switch (pick(5)) {
      case 0:
        msg = "STORED\r\n";
        break;
      case 1:
        msg = "SERVER_ERROR e" + std::to_string(iter) + "\r\n";
        break;
      case 2: {
        const std::string v(pick(12), 'v');
        msg = "VA " + std::to_string(v.size()) + " f1\r\n" + v + "\r\n";
        break;
      }
      default: {
        const size_t n = pick(4);
        for (size_t i = 0; i < n; ++i) {
          msg += value_block("k" + std::to_string(i), std::string(pick(12), 'd'), "0",
                             pick(2) ? "7" : "");
        }
        msg += "END\r\n";
        break;
      }
    }
    proto::testing::corrupt(msg, alphabet, rng);
    const bool record = pick(2) == 0;
    ASSERT_TRUE(Driver::chunking_agrees([&] { return make_parser(limits, record); }, msg, rng));
  }
}

}  // namespace
}  // namespace walnut::memcache
