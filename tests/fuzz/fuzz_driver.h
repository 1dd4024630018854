// The harness shared by walnut's parser fuzz targets (tests/fuzz/*_fuzz.cc,
// built and run by scripts/fuzz).
//
// A target's input is one selector byte and then the bytes a peer sends. The
// selector picks how those bytes are cut into feed() calls (see Chunker). The
// bytes are parsed the way the proxy parses a connection: feed a chunk, and
// on kDone check the message, reset() and feed the rest of the same chunk;
// on kError the parser is reset and carries on after the offending byte, so
// that reset() from an error is exercised too. The same bytes are then parsed
// whole and one byte at a time, and all three must agree exactly, message by
// message: the parsers promise that the cutting never changes what they say.
//
// Each protocol's file provides a Protocol type:
//   using Parser; using Fields;  // Fields: what a finished message says; ==
//   Parser make() const;         // a fresh parser, limits and options set
//   Fields done(const Parser&, std::string_view msg) const;
//       // `msg` is exactly the finished message's bytes; checks every
//       // invariant of what the parser reported and returns what to compare
//   void describe(std::FILE*, const Fields&) const;
//
// An invariant that does not hold aborts with a message on stderr, which
// libFuzzer records as a crash, so the fuzzer finds logic bugs, not only
// memory errors.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "proto/parse.h"

namespace walnut::fuzz {

[[noreturn]] inline void violated(const char* what, const char* file, int line) {
  std::fprintf(stderr, "%s:%d: invariant violated: %s\n", file, line, what);
  std::fflush(stderr);
  std::abort();
}

#define FUZZ_CHECK(cond)                                                  \
  do {                                                                    \
    if (!(cond)) ::walnut::fuzz::violated(#cond, __FILE__, __LINE__);     \
  } while (0)

// A span as plain numbers, so that Fields can compare with ==.
using Pos = std::pair<uint64_t, uint64_t>;  // offset, length

// " name=[ off+len ... ]", for describe() in a crash report.
inline void print_spans(std::FILE* out, const char* name, const std::vector<Pos>& spans) {
  std::fprintf(out, " %s=[", name);
  for (const Pos& p : spans) {
    std::fprintf(out, " %llu+%llu", static_cast<unsigned long long>(p.first),
                 static_cast<unsigned long long>(p.second));
  }
  std::fprintf(out, " ]");
}

// Checks that `s` lies inside a message of `size` bytes; returns it as a Pos.
inline Pos inside(const proto::Span& s, size_t size) {
  FUZZ_CHECK(s.offset <= size);
  FUZZ_CHECK(s.len <= size - s.offset);
  return {s.offset, s.len};
}

// Reads a RESP number line, "<digits>\r\n" at msg[*at] with an optional '-'
// first when `sign`, as strictly as Redis writes one: no leading zero, no
// "-0". The byte after the LF is left in *at. False when the text is not that
// shape or the magnitude does not fit 64 bits.
inline bool read_number_line(std::string_view msg, size_t* at, bool sign, bool* negative,
                             uint64_t* value) {
  size_t i = *at;
  *negative = false;
  if (sign && i < msg.size() && msg[i] == '-') {
    *negative = true;
    ++i;
  }
  uint64_t v = 0;
  const size_t first = i;
  while (i < msg.size() && msg[i] >= '0' && msg[i] <= '9') {
    if (__builtin_mul_overflow(v, 10u, &v) ||
        __builtin_add_overflow(v, static_cast<unsigned>(msg[i] - '0'), &v)) {
      return false;
    }
    ++i;
  }
  if (i == first || msg.size() - i < 2 || msg[i] != '\r' || msg[i + 1] != '\n') return false;
  if ((i - first > 1 && msg[first] == '0') || (*negative && v == 0)) return false;
  *at = i + 2;
  *value = v;
  return true;
}

// Whether `text` is one or more decimal digits whose value fits 64 bits and
// is at most `max`; the value in *out.
inline bool read_digits(std::string_view text, uint64_t max, uint64_t* out) {
  if (text.empty()) return false;
  uint64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    if (__builtin_mul_overflow(v, 10u, &v) ||
        __builtin_add_overflow(v, static_cast<unsigned>(c - '0'), &v)) {
      return false;
    }
  }
  *out = v;
  return v <= max;
}

// The maximal runs of bytes for which `is_sep` is false, in [0, end) of msg.
template <class IsSep>
std::vector<Pos> split_runs(std::string_view msg, size_t end, IsSep is_sep) {
  std::vector<Pos> runs;
  size_t i = 0;
  while (i < end) {
    if (is_sep(msg[i])) {
      ++i;
      continue;
    }
    const size_t start = i;
    while (i < end && !is_sep(msg[i])) ++i;
    runs.emplace_back(start, i - start);
  }
  return runs;
}

// How the input is cut into feed() calls. The selector's low three bits pick
// a pattern; the other five give it a parameter.
class Chunker {
 public:
  static constexpr unsigned kWhole = 0;
  static constexpr unsigned kBytes = 1;

  explicit Chunker(unsigned selector)
      : pattern_(selector & 7), param_(selector >> 3), rng_(0x9e3779b9u ^ selector) {}

  // Length of the next feed() call's input, 1..left.
  size_t next(size_t left) {
    size_t n = left;
    switch (pattern_) {
      case 0:  // everything at once
        break;
      case 1:  // byte at a time
        n = 1;
        break;
      case 2:
        n = 2;
        break;
      case 3:
        n = 3;
        break;
      case 4:
        n = 7;
        break;
      case 5:  // one cut, param_ + 1 bytes in, then the rest at once
        n = first_ ? param_ + 1 : left;
        break;
      case 6:  // random lengths 1..16
        n = 1 + random() % 16;
        break;
      default:  // random lengths 1..(param_ + 1) * 32
        n = 1 + random() % ((param_ + 1) * 32);
        break;
    }
    first_ = false;
    return std::min(std::max<size_t>(n, 1), left);
  }

 private:
  uint32_t random() {  // xorshift32: cheap, deterministic, good enough
    rng_ ^= rng_ << 13;
    rng_ ^= rng_ >> 17;
    rng_ ^= rng_ << 5;
    return rng_;
  }

  unsigned pattern_;
  size_t param_;
  uint32_t rng_;
  bool first_ = true;
};

inline const char* status_name(proto::ParseStatus s) {
  switch (s) {
    case proto::ParseStatus::kNeedMore:
      return "kNeedMore";
    case proto::ParseStatus::kDone:
      return "kDone";
    case proto::ParseStatus::kError:
      return "kError";
  }
  return "?";
}

// What the parser said about one message of the input. A last message that
// never ended is kNeedMore with every remaining byte consumed.
template <class Fields>
struct Outcome {
  proto::ParseStatus status = proto::ParseStatus::kNeedMore;
  uint64_t start = 0;     // offset of the message's first byte in the input
  uint64_t consumed = 0;  // the message's bytes (on kError: up to the offending byte)
  std::string error;      // kError only
  Fields fields{};        // kDone only

  bool operator==(const Outcome&) const = default;
};

template <class Protocol>
using Outcomes = std::vector<Outcome<typename Protocol::Fields>>;

// Parses `input` as a stream of messages, cut by `chunker`.
template <class Protocol>
Outcomes<Protocol> parse_stream(const Protocol& protocol, std::string_view input,
                                Chunker chunker) {
  using proto::ParseStatus;
  Outcomes<Protocol> out;
  auto parser = protocol.make();
  size_t pos = 0;
  size_t msg_start = 0;
  while (pos < input.size()) {
    const size_t chunk_end = pos + chunker.next(input.size() - pos);
    while (pos < chunk_end) {
      const size_t offered = chunk_end - pos;
      const proto::ParseResult r = parser.feed(input.data() + pos, offered);
      FUZZ_CHECK(r.consumed <= offered);
      if (r.status == ParseStatus::kNeedMore) {
        FUZZ_CHECK(r.consumed == offered);  // kNeedMore takes every byte
        pos = chunk_end;
        break;
      }
      pos += r.consumed;
      Outcome<typename Protocol::Fields> o;
      o.status = r.status;
      o.start = msg_start;
      o.consumed = pos - msg_start;
      // A finished or failed message takes nothing more until reset().
      const proto::ParseResult again = parser.feed(input.data() + pos, chunk_end - pos);
      FUZZ_CHECK(again.status == r.status);
      FUZZ_CHECK(again.consumed == 0);
      if (r.status == ParseStatus::kDone) {
        FUZZ_CHECK(o.consumed > 0);  // or a stream could loop forever
        o.fields = protocol.done(parser, input.substr(msg_start, o.consumed));
      } else {
        o.error = std::string(parser.error());
        FUZZ_CHECK(!o.error.empty());
        FUZZ_CHECK(pos < chunk_end);  // the offending byte was offered
        ++pos;                        // carry on past it
      }
      out.push_back(std::move(o));
      parser.reset();
      FUZZ_CHECK(parser.error().empty());
      msg_start = pos;
    }
  }
  if (msg_start < input.size()) {
    Outcome<typename Protocol::Fields> o;
    o.start = msg_start;
    o.consumed = input.size() - msg_start;
    out.push_back(std::move(o));
  }
  return out;
}

// `s` with CR, LF and unprintable bytes escaped, cut after `max` bytes.
inline std::string printable(std::string_view s, size_t max = 120) {
  std::string out;
  for (unsigned char c : s.substr(0, std::min(s.size(), max))) {
    char buf[8];
    if (c == '\r') {
      out += "\\r";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c < 0x20 || c >= 0x7f || c == '\\') {
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  if (s.size() > max) out += "...";
  return out;
}

template <class Protocol>
void describe(const Protocol& protocol, std::string_view input,
              const Outcome<typename Protocol::Fields>& o) {
  std::fprintf(stderr, "    %s start=%llu consumed=%llu '%s'", status_name(o.status),
               static_cast<unsigned long long>(o.start),
               static_cast<unsigned long long>(o.consumed),
               printable(input.substr(std::min<size_t>(o.start, input.size()), o.consumed)).c_str());
  if (o.status == proto::ParseStatus::kError) std::fprintf(stderr, " error='%s'", o.error.c_str());
  if (o.status == proto::ParseStatus::kDone) protocol.describe(stderr, o.fields);
  std::fprintf(stderr, "\n");
}

// Aborts, showing the first message where `a` and `b` differ.
template <class Protocol>
void expect_same(const Protocol& protocol, std::string_view input, const Outcomes<Protocol>& a,
                 const char* a_name, const Outcomes<Protocol>& b, const char* b_name) {
  if (a == b) return;
  size_t i = 0;
  while (i < a.size() && i < b.size() && a[i] == b[i]) ++i;
  std::fprintf(stderr, "message %zu differs between %s and %s feeding:\n", i, a_name, b_name);
  std::fprintf(stderr, "  %s:\n", a_name);
  if (i < a.size()) describe(protocol, input, a[i]);
  std::fprintf(stderr, "  %s:\n", b_name);
  if (i < b.size()) describe(protocol, input, b[i]);
  violated("the same bytes cut differently parse differently", __FILE__, __LINE__);
}

// The body of a parser target: parses the input cut as its first byte says,
// whole, and byte at a time, checking every message, and expects the three
// to agree.
template <class Protocol>
void fuzz_parser(const Protocol& protocol, const uint8_t* data, size_t size) {
  if (size < 2) return;
  const unsigned selector = data[0];
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  const auto picked = parse_stream(protocol, input, Chunker(selector));
  const auto whole = parse_stream(protocol, input, Chunker(Chunker::kWhole));
  expect_same(protocol, input, whole, "whole", picked, "selected-pattern");
  const auto bytes = parse_stream(protocol, input, Chunker(Chunker::kBytes));
  expect_same(protocol, input, whole, "whole", bytes, "byte-at-a-time");
}

}  // namespace walnut::fuzz
