// RESP2 response parser. Like the request parser it is a byte-driven state
// machine that never buffers and never copies: lines are scanned, bulk
// payloads are skipped by count, and nested arrays are tracked with an
// explicit stack of remaining-element counts instead of recursion, so a
// hostile or buggy backend can neither blow the C++ stack nor make the proxy
// hold its reply in memory.
//
// Numbers are read as strictly as Redis writes them (optional '-', no '+',
// no leading zeros, no "-0"), and every line must end in CRLF: a reply that
// breaks the grammar means the connection is out of step with the backend,
// and the caller had better find out at once.
#include "proto/redis/response_parser.h"

#include <algorithm>
#include <cstring>

#include "proto/parse_errors.h"
#include "proto/parser_loop.h"

namespace walnut::redis {

namespace {

constexpr std::string_view kLineTooLong = "reply line too long";
constexpr std::string_view kTooDeep = "reply nested too deep";

constexpr uint64_t kMaxInteger = (1ull << 63) - 1;

// The largest magnitude a number of type `kind` may have after a '-':
// integers go down to -2^63; lengths and counts only to -1 (nil).
constexpr uint64_t negative_max(char kind) { return kind == ':' ? kMaxInteger + 1 : 1; }

// Span capacity kept across reset(), so that the steady state allocates
// nothing while a single huge MGET reply does not pin its peak forever.
constexpr size_t kKeptElements = 4096;

// Depth reserved up front; deeper replies (which Redis never sends) may grow
// the stack once.
constexpr uint32_t kReservedDepth = 1024;

}  // namespace

ResponseParser::ResponseParser(const ResponseLimits& limits) : limits_(limits) {
  stack_.reserve(std::min(limits_.max_depth, kReservedDepth));
}

void ResponseParser::clear_vectors() {
  proto::clear_keeping(elements_, kKeptElements);
  stack_.clear();
}

std::string_view ResponseParser::number_error() const {
  switch (kind_) {
    case ':':
      return "invalid integer reply";
    case '$':
      return proto::kBadBulkLength;
    default:
      return "invalid array length";
  }
}

// A value ended at `end_offset`. Closes every array it completes and reports
// whether that was the whole reply.
bool ResponseParser::value_done(uint64_t end_offset) {
  for (;;) {
    if (stack_.empty()) return true;
    if (stack_.size() == 1 && record_elements_) {
      elements_.push_back({element_start_, end_offset - element_start_});
    }
    if (--stack_.back() != 0) {
      state_ = State::kType;
      return false;
    }
    stack_.pop_back();
  }
}

// The number line of kind_ ended at `end_offset`: a bulk length starts its
// payload, an array count opens the array, anything else is a whole value.
// Reports whether that completed the reply.
bool ResponseParser::number_done(uint64_t end_offset) {
  if (kind_ == '$' && !number_.negative) {
    payload_.start(number_.value);
    state_ = State::kPayload;
    return false;
  }
  if (kind_ == '*') {
    const bool top = stack_.empty();
    if (number_.negative) {
      if (top) array_count_ = -1;
    } else {
      if (top) {
        array_count_ = static_cast<int64_t>(number_.value);
        if (record_elements_) {
          elements_.reserve(static_cast<size_t>(std::min<uint64_t>(number_.value, kKeptElements)));
        }
      }
      if (number_.value != 0) {
        stack_.push_back(number_.value);
        state_ = State::kType;
        return false;
      }
    }
  }
  return value_done(end_offset);
}

// The end of the bulk string or nil ("$-1") at `p` when all of it is here
// and well-formed; nullptr otherwise, for the state machine to read it.
const char* ResponseParser::whole_bulk(const char* p, const char* end) const {
  if (end - p >= 5 && p[1] == '-' && p[2] == '1' && p[3] == '\r' && p[4] == '\n') return p + 5;
  uint64_t n = 0;
  const char* const payload = resp::scan_number_line(p + 1, end, limits_.max_bulk, &n);
  if (payload == nullptr) return nullptr;
  const auto avail = static_cast<uint64_t>(end - payload);
  if (avail < 2 || avail - 2 < n || payload[n] != '\r' || payload[n + 1] != '\n') return nullptr;
  return payload + n + 2;
}

// Takes every whole, well-formed bulk string or nil ("$-1") at `p` while in
// an array, moving `p` past them; stops at the first byte it leaves to the
// state machine (any other value, or one not all here). True when that
// completed the reply.
bool ResponseParser::skip_whole_bulks(const char* data, const char*& p, const char* end) {
  if (stack_.size() == 1) {
    // The top-level array of an MGET or HGETALL reply: its elements are
    // counted down here, and value_done() called only for the last.
    uint64_t& left = stack_.back();
    while (p < end && *p == '$') {
      const char* const after = whole_bulk(p, end);
      if (after == nullptr) return false;
      if (left == 1) {
        // The last: value_done() records it and closes the array.
        element_start_ = offset(data, p);
        p = after;
        return value_done(offset(data, p));
      }
      if (record_elements_) {
        elements_.push_back({offset(data, p), static_cast<uint64_t>(after - p)});
      }
      p = after;
      --left;
    }
    element_start_ = offset(data, p);
    return false;
  }
  while (p < end && *p == '$' && !stack_.empty()) {
    const char* const after = whole_bulk(p, end);
    if (after == nullptr) return false;
    if (stack_.size() == 1) element_start_ = offset(data, p);
    p = after;
    if (value_done(offset(data, p))) return true;
  }
  return false;
}

ResponseParser::StepResult ResponseParser::step(const char* data, const char*& p,
                                                const char* end) {
  switch (state_) {
    case State::kType: {
      if (stack_.empty() && *p == '$') {
        // The usual reply to a read (GET): one bulk string, all here.
        uint64_t n = 0;
        if (const char* payload = resp::scan_number_line(p + 1, end, limits_.max_bulk, &n)) {
          const auto avail = static_cast<uint64_t>(end - payload);
          if (avail >= 2 && avail - 2 >= n && payload[n] == '\r' && payload[n + 1] == '\n') {
            type_ = kind_ = '$';
            number_.value = n;
            return done(data, payload + n + 2);
          }
        }
      }
      if (!stack_.empty() && *p == '$') {
        // The usual case inside an array (MGET, LRANGE, HGETALL): whole
        // bulk strings and nils one after another, taken without going
        // through the states.
        if (skip_whole_bulks(data, p, end)) return done(data, p);
        if (p == end) break;
      }
      const char c = *p;
      if (stack_.size() == 1) element_start_ = offset(data, p);
      switch (c) {
        case '+':
        case '-':
          line_len_ = 0;
          state_ = State::kLine;
          break;
        case ':':
          number_max_ = kMaxInteger;
          state_ = State::kNumber;
          break;
        case '$':
          number_max_ = limits_.max_bulk;
          state_ = State::kNumber;
          break;
        case '*':
          // Empty and nil arrays count too: depth is about the grammar,
          // not about what happens to need a stack slot.
          if (stack_.size() >= limits_.max_depth) return fail(data, p, kTooDeep);
          // array_count() is signed: never accept a count it cannot hold.
          number_max_ = std::min(limits_.max_elements, kMaxInteger);
          state_ = State::kNumber;
          break;
        default:
          return fail(data, p, proto::byte_error("unknown reply type", *p));
      }
      if (stack_.empty()) type_ = c;
      kind_ = c;
      number_ = {};
      ++p;
      if (state_ == State::kNumber) {
        // The usual case: the whole number line is here; take it in one
        // step. A '-' allows what the slow path allows after one.
        const char* q = p;
        uint64_t max = number_max_;
        if (q < end && *q == '-') {
          ++q;
          max = negative_max(kind_);
        }
        const char* after = resp::scan_number_line(q, end, max, &number_.value);
        // "-0" is left to the slow path, which reports it.
        if (after != nullptr && (q == p || number_.value != 0)) {
          number_.negative = q != p;
          p = after;
          if (number_done(offset(data, p))) return done(data, p);
          break;
        }
      }
      break;
    }

    case State::kLine: {
      // Error replies can be long: scan with memchr, count, keep nothing.
      const auto n = static_cast<uint64_t>(end - p);
      const uint64_t budget = limits_.max_bulk - line_len_;
      const auto scan = static_cast<size_t>(std::min(n, budget));
      const auto* cr = static_cast<const char*>(std::memchr(p, '\r', scan));
      const size_t text = cr ? static_cast<size_t>(cr - p) : scan;
      if (const auto* lf = static_cast<const char*>(std::memchr(p, '\n', text))) {
        return fail(data, lf, proto::kBadLineEnd);
      }
      line_len_ += text;
      p += text;
      if (cr == nullptr && p < end && *p != '\r') {
        // Out of budget and the next byte is more text, not the end.
        return fail(data, p, kLineTooLong);
      }
      if (p < end) {
        ++p;  // the CR
        state_ = State::kLineLf;
      }
      break;
    }

    case State::kLineLf:
      if (*p != '\n') return fail(data, p, proto::kBadLineEnd);
      ++p;
      if (value_done(offset(data, p))) return done(data, p);
      break;

    case State::kNumber:
      if (!part_ended(number_.read(&p, end, number_max_, negative_max(kind_)), number_error())) {
        break;
      }
      if (number_done(offset(data, p))) return done(data, p);
      break;

    case State::kPayload:
      if (!part_ended(payload_.skip(&p, end), proto::kBadPayloadEnd)) break;
      if (value_done(offset(data, p))) return done(data, p);
      break;
  }
  return std::nullopt;
}

}  // namespace walnut::redis

// The one copy of feed()'s loop, with step() in it (see proto/parser_loop.h).
template class walnut::proto::ParserCore<
    walnut::redis::ResponseParser, walnut::redis::ResponseState,
    walnut::redis::ResponseProgress, walnut::proto::ResponseParser>;
