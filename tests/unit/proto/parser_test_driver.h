// The chunking driver shared by the parser tests: it feeds a message whole,
// one byte at a time and cut at every point into two (and three) pieces, or a
// pipeline of messages in random chunks the way the proxy does, and turns
// what the parser said into an Outcome that compares exactly. It knows
// nothing of any protocol: a Protocol type names the parser and reads the
// protocol's own fields, so each test file keeps only its own cases.
//
// A Protocol provides:
//   using Parser;  // has feed(), reset(), error()
//   using Fields;  // what a finished message says besides its length; ==
//   static constexpr std::string_view kTail;  // a next message to follow each one
//   static Fields fields(const Parser&, std::string_view msg, size_t consumed);
//   static void describe(std::ostream&, const Fields&);
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <ostream>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "proto/parse.h"

namespace walnut::proto::testing {

inline const char* status_name(ParseStatus s) {
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

// `s` with CR, LF and other unprintable bytes escaped, cut after `max` bytes.
inline std::string printable(std::string_view s, size_t max = 200) {
  std::string out;
  for (unsigned char c : s.substr(0, max)) {
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
  if (s.size() > max) out += "...";
  return out;
}

// Cut points that make every byte of `n` a piece of its own.
inline std::vector<size_t> every_byte(size_t n) {
  std::vector<size_t> cuts;
  for (size_t i = 1; i < n; ++i) cuts.push_back(i);
  return cuts;
}

// The bytes each span of a finished message points at. `msg` starts with the
// message; a span must lie within its first `consumed` bytes.
inline std::vector<std::string> span_bytes(std::string_view msg, size_t consumed,
                                           const std::vector<Span>& spans) {
  std::vector<std::string> out;
  for (const Span& s : spans) {
    EXPECT_LE(s.offset + s.len, consumed) << "span outside the message";
    if (s.offset + s.len > msg.size()) {
      out.push_back("<out of range>");
    } else {
      out.emplace_back(msg.substr(s.offset, s.len));
    }
  }
  return out;
}

// What a parser said about one message, in a form that compares exactly.
// `fields` is filled only on kDone.
template <class Fields>
struct Outcome {
  ParseStatus status = ParseStatus::kNeedMore;
  size_t consumed = 0;  // over all pieces
  std::string error;
  Fields fields;

  bool operator==(const Outcome&) const = default;

  static Outcome done(size_t consumed, Fields fields) {
    Outcome o;
    o.status = ParseStatus::kDone;
    o.consumed = consumed;
    o.fields = std::move(fields);
    return o;
  }

  static Outcome failed(size_t consumed, std::string why) {
    Outcome o;
    o.status = ParseStatus::kError;
    o.consumed = consumed;
    o.error = std::move(why);
    return o;
  }
};

// Overwrites up to two random bytes of `msg` with bytes from `alphabet` and,
// one time in five, cuts it short at a random point.
inline void corrupt(std::string& msg, std::string_view alphabet, std::mt19937& rng) {
  auto pick = [&](size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng); };
  const size_t mutations = pick(3);
  for (size_t m = 0; m < mutations; ++m) msg[pick(msg.size())] = alphabet[pick(alphabet.size())];
  if (pick(5) == 0) msg.resize(pick(msg.size()));
}

// A malformed message and where and why the parser must refuse it.
struct Malformed {
  std::string msg;
  size_t at;  // offset of the offending byte
  std::string why;
};

// Bytes fed in fixed-size chunks until the parser stops asking for more.
struct Chunked {
  ParseStatus status = ParseStatus::kNeedMore;
  size_t consumed = 0;  // over all calls
  size_t calls = 0;
};

template <class Parser>
Chunked feed_in_chunks(Parser& parser, std::string_view input, size_t chunk) {
  Chunked c;
  while (c.status == ParseStatus::kNeedMore && c.consumed < input.size()) {
    const auto r = parser.feed(input.data() + c.consumed,
                               std::min(chunk, input.size() - c.consumed));
    ++c.calls;
    c.consumed += r.consumed;
    c.status = r.status;
  }
  return c;
}

template <class Protocol>
struct Driver {
  using Parser = typename Protocol::Parser;
  using Outcome = proto::testing::Outcome<typename Protocol::Fields>;

  static std::string describe(const Outcome& o) {
    std::ostringstream s;
    s << status_name(o.status) << " consumed=" << o.consumed;
    if (o.status == ParseStatus::kError) s << " error='" << o.error << "'";
    if (o.status == ParseStatus::kDone) Protocol::describe(s, o.fields);
    return s.str();
  }

  // Feeds `input` to `parser` in pieces ending at `cuts` (sorted, then the
  // end of input) until it stops asking for more. `input` starts with the
  // message, so spans index into it directly.
  static Outcome run(Parser& parser, std::string_view input,
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
    if (o.status == ParseStatus::kDone) o.fields = Protocol::fields(parser, input, o.consumed);
    return o;
  }

  // Checks `msg` against `want` fed whole, byte by byte, and split at every
  // point into 2 pieces (and 3 for short messages), each time followed by
  // Protocol::kTail. `parser` is reset and reused, so reset() is exercised
  // too. Reports only the first mismatch.
  static void check_all_ways(Parser& parser, const std::string& msg, const Outcome& want) {
    SCOPED_TRACE("message '" + printable(msg) + "'");
    const std::string input = msg + std::string(Protocol::kTail);
    auto check = [&](const std::vector<size_t>& cuts, const char* how) {
      parser.reset();
      const Outcome got = run(parser, input, cuts);
      if (got == want) return true;
      std::ostringstream where;
      for (size_t c : cuts) where << c << ' ';
      ADD_FAILURE() << how << " cuts=[" << printable(where.str()) << "]\n  got  "
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

  // Expects a fresh parser from `make` to take every byte of `msg`, a message
  // cut short, and ask for more, whether it comes whole or byte by byte.
  template <class Make>
  static void check_needs_more(Make make, const std::string& msg) {
    SCOPED_TRACE(printable(msg));
    Outcome want;
    want.consumed = msg.size();
    for (const auto& cuts : {std::vector<size_t>{}, every_byte(msg.size())}) {
      Parser parser = make();
      const Outcome got = run(parser, msg, cuts);
      EXPECT_EQ(got, want) << describe(got);
    }
  }

  // Expects a fresh parser from `make` to say the same of `msg` followed by
  // Protocol::kTail whether it comes whole, byte by byte or in three pieces
  // cut at random. Returns whether it did, so that a random test can stop at
  // the first difference.
  template <class Make>
  static bool chunking_agrees(Make make, const std::string& msg, std::mt19937& rng) {
    const std::string input = msg + std::string(Protocol::kTail);
    SCOPED_TRACE("input '" + printable(input) + "'");
    auto pick = [&](size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng); };
    auto run_fresh = [&](const std::vector<size_t>& cuts) {
      Parser parser = make();
      return run(parser, input, cuts);
    };
    const Outcome whole = run_fresh({});
    auto same = [&](const std::vector<size_t>& cuts, const std::string& how) {
      const Outcome got = run_fresh(cuts);
      if (got == whole) return true;
      ADD_FAILURE() << how << " differs from whole\n  got   " << describe(got)
                    << "\n  whole " << describe(whole);
      return false;
    };
    if (!same(every_byte(input.size()), "byte-at-a-time")) return false;
    const size_t a = pick(input.size() + 1);
    const size_t b = a + pick(input.size() + 1 - a);
    return same({a, b}, "cuts at " + std::to_string(a) + " " + std::to_string(b));
  }

  // Parses a buffer of back-to-back messages the way the proxy does: feed a
  // chunk of random length up to `max_chunk`, and on kDone record, reset and
  // feed the rest of the same chunk. Stops at the first error.
  static std::vector<Outcome> run_pipeline(Parser& parser, std::string_view input,
                                           std::mt19937& rng, size_t max_chunk) {
    std::vector<Outcome> out;
    parser.reset();
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
        o.fields = Protocol::fields(parser, input.substr(msg_start), o.consumed);
        out.push_back(o);
        parser.reset();
        msg_start = pos;
      }
    }
    return out;
  }

  // Runs the pipeline `input` with chunks of many sizes and expects exactly
  // `want`, one Outcome per message.
  static void check_pipeline(Parser& parser, std::string_view input,
                             const std::vector<Outcome>& want) {
    for (size_t max_chunk : {1, 2, 3, 7, 16, 100, 4096, 1 << 20}) {
      std::mt19937 rng(static_cast<unsigned>(max_chunk));
      SCOPED_TRACE("max chunk " + std::to_string(max_chunk));
      const auto got = run_pipeline(parser, input, rng, max_chunk);
      ASSERT_EQ(got.size(), want.size());
      for (size_t i = 0; i < got.size(); ++i) {
        ASSERT_EQ(got[i], want[i]) << "message " << i << ": " << describe(got[i]);
      }
    }
  }
};

}  // namespace walnut::proto::testing
