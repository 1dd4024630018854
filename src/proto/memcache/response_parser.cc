// memcached ASCII response parser. Like the request parser it is a
// byte-driven state machine that never buffers and never copies: it keeps
// the first few bytes of the current line (enough to tell "VALUE", "VA",
// "END" and the error replies apart), the token it is in and the number it
// is reading, and skips data blocks by count.
//
// Only the structured lines (VALUE, VA) are walked byte by byte; any other
// line is scanned with memchr, so a long SERVER_ERROR costs next to nothing.
// Every line must end in CRLF, as memcached writes it: a reply that breaks
// the grammar means the connection is out of step with the backend, and the
// caller had better find out at once rather than hand a client someone
// else's data.
#include "proto/memcache/response_parser.h"

#include <algorithm>
#include <cstring>
#include <limits>

#include "proto/parse_errors.h"
#include "proto/parser_loop.h"
#include "proto/text.h"

namespace walnut::memcache {

namespace {

constexpr std::string_view kBadValueLine = "bad VALUE line";
constexpr std::string_view kBadVaLine = "bad VA line";
constexpr std::string_view kBadLength = "bad data length";
constexpr std::string_view kUnexpected = "unexpected line in retrieval reply";
constexpr std::string_view kNotAReply = "not a memcached reply";

// Value capacity kept across reset(), so the steady state allocates nothing
// while one huge multi-get reply does not pin its peak forever.
constexpr size_t kKeptValues = 4096;
// Reserved up front, and again after a huge reply: enough for most
// multi-gets.
constexpr size_t kFreshValues = 16;

// "VALUE <key> <flags> <bytes> [<cas>]": the token count, the word included.
constexpr uint8_t kValueMinTokens = 4;
constexpr uint8_t kValueMaxTokens = 5;

// Whether byte `i` of a line inside a retrieval reply, `c`, still lets the
// line become "VALUE ..." or "END", given that the bytes before it did.
inline bool run_word_byte(std::string_view head, size_t i, char c) {
  constexpr std::string_view kValue = "VALUE";
  constexpr std::string_view kEnd = "END";
  return (i < kValue.size() && c == kValue[i] && head.substr(0, i) == kValue.substr(0, i)) ||
         (i < kEnd.size() && c == kEnd[i] && head.substr(0, i) == kEnd.substr(0, i));
}

}  // namespace

ResponseParser::ResponseParser(const ResponseLimits& limits) : limits_(limits) {
  values_.reserve(kFreshValues);
}

void ResponseParser::clear_vectors() {
  proto::clear_keeping(values_, kKeptValues, kFreshValues);
}

void ResponseParser::start_line(uint64_t at) {
  static_cast<LineProgress&>(*this) = {};
  line_start_ = at;
}

void ResponseParser::note_head(const char* p, size_t n) {
  if (line_len_ >= sizeof head_) return;
  const auto room = static_cast<size_t>(sizeof head_ - line_len_);
  std::memcpy(head_ + line_len_, p, std::min(n, room));
}

// Whether the line so far is exactly `word`.
bool ResponseParser::head_is(std::string_view word) const {
  return line_len_ == word.size() && word.size() <= sizeof head_ &&
         std::memcmp(head_, word.data(), word.size()) == 0;
}

// The line's first word ended at a space: it is the line so far, all of it
// in head_ if it is a word we know.
bool ResponseParser::word_ended() {
  tokens_ = 1;
  if (head_is("VALUE")) {
    line_ = ReplyLine::kValue;
  } else if (in_run_) {
    why_ = kUnexpected;
    return false;
  } else if (head_is("VA")) {
    line_ = ReplyLine::kVa;
  } else {
    line_ = ReplyLine::kText;
  }
  return true;
}

// One byte of a line whose kind is not yet known or that is a VALUE or VA
// line; never CR or LF. `at` is its message offset.
bool ResponseParser::line_byte(char c, uint64_t at) {
  const uint64_t i = line_len_;
  // The first space ends the first word: judge it before the space joins
  // the line.
  if (line_ == ReplyLine::kUnknown && c == ' ' && !word_ended()) return false;
  if (i < sizeof head_) head_[i] = c;
  ++line_len_;
  if (line_ == ReplyLine::kUnknown) {
    if (in_run_) {
      if (run_word_byte(std::string_view(head_, sizeof head_), i, c)) return true;
      why_ = kUnexpected;
      return false;
    }
    // A first word longer than "VALUE" makes a text line: stop walking it.
    if (i >= 5) line_ = ReplyLine::kText;
    return true;
  }
  if (c == ' ') {
    if (!in_token_) return true;
    in_token_ = false;
    if (field_ == ReplyField::kKey) key_ = {token_start_, at - token_start_};
    if (field_ == ReplyField::kLength) length_ = number_;
    return true;
  }
  if (!in_token_) {
    if (line_ == ReplyLine::kValue && tokens_ >= kValueMaxTokens) {
      why_ = kBadValueLine;
      return false;
    }
    in_token_ = true;
    token_start_ = at;
    number_ = 0;
    if (line_ == ReplyLine::kValue) {
      field_ = tokens_ == 1 ? ReplyField::kKey : tokens_ == 3 ? ReplyField::kLength : ReplyField::kNumber;
    } else {
      field_ = tokens_ == 1 ? ReplyField::kLength : ReplyField::kAny;  // VA's flags go unread
    }
    if (tokens_ < std::numeric_limits<uint8_t>::max()) ++tokens_;
  }
  switch (field_) {
    case ReplyField::kAny:
    case ReplyField::kKey:
      return true;
    case ReplyField::kNumber:
      // flags and cas: memcached writes them as plain unsigned numbers.
      if (proto::is_digit(c) && proto::append_digit(number_, static_cast<unsigned>(c - '0'),
                                       std::numeric_limits<uint64_t>::max())) {
        return true;
      }
      why_ = kBadValueLine;
      return false;
    case ReplyField::kLength:
      if (proto::is_digit(c) &&
          proto::append_digit(number_, static_cast<unsigned>(c - '0'), limits_.max_value)) {
        return true;
      }
      why_ = kBadLength;
      return false;
  }
  return true;
}

// Whether a line outside a retrieval reply, now complete, starts with a word
// that a memcached reply starts with. Anything else is no reply to what
// walnut forwards: the server (or what pretends to be one) is out of step,
// and passing the line on would hand a client garbage as its answer.
bool ResponseParser::known_reply_line() const {
  const size_t seen = static_cast<size_t>(std::min<uint64_t>(line_len_, sizeof head_));
  const std::string_view head(head_, seen);
  const std::string_view word = head.substr(0, head.find(' '));
  if (word.size() == seen && line_len_ > sizeof head_) return false;  // too long a word
  // incr/decr: the new value, at most 20 digits (UINT64_MAX).
  if (!word.empty() && word.size() <= 20 && std::all_of(word.begin(), word.end(), proto::is_digit)) {
    return true;
  }
  // Replies to what walnut forwards (and to its health check, version),
  // the most frequent first: this runs for every one-line reply.
  // OK: memcached before 1.6.10 answered meta commands with it. STAT,
  // RESET, MN and ME answer commands walnut handles or refuses itself, so
  // from a server they too mean the stream is out of step.
  static constexpr std::string_view kWords[] = {
      "END", "STORED", "HD", "EN", "NOT_FOUND", "DELETED", "TOUCHED", "NOT_STORED",
      "EXISTS", "NF", "NS", "EX", "OK", "VERSION", "ERROR", "CLIENT_ERROR", "SERVER_ERROR"};
  return std::find(std::begin(kWords), std::end(kWords), word) != std::end(kWords);
}

// The CR ending a line that line_byte() has been walking.
bool ResponseParser::line_ended() {
  if (line_ == ReplyLine::kUnknown) {
    // The whole line is one word.
    if (in_run_) {
      if (head_is("END")) {
        line_ = ReplyLine::kText;
        return true;
      }
      why_ = kUnexpected;
      return false;
    }
    if (head_is("VALUE")) {
      why_ = kBadValueLine;
      return false;
    }
    if (head_is("VA")) {
      why_ = kBadVaLine;
      return false;
    }
    line_ = ReplyLine::kText;
    if (!known_reply_line()) {
      why_ = kNotAReply;
      return false;
    }
    return true;
  }
  if (in_token_) {
    in_token_ = false;
    // The key cannot end here: a VALUE line with its key last is too short.
    if (field_ == ReplyField::kLength) length_ = number_;
  }
  if (line_ == ReplyLine::kValue && tokens_ < kValueMinTokens) {
    why_ = kBadValueLine;
    return false;
  }
  if (line_ == ReplyLine::kVa && tokens_ < 2) {
    why_ = kBadVaLine;
    return false;
  }
  return true;
}

// A line's LF has been read. Returns whether that was the reply's end.
bool ResponseParser::line_finished() {
  if (line_ == ReplyLine::kValue || line_ == ReplyLine::kVa) {
    if (line_ == ReplyLine::kValue) in_run_ = true;
    payload_.start(length_);
    state_ = State::kData;
    return false;
  }
  // A text line. Inside a retrieval reply only "END" gets this far.
  if (!in_run_) {
    is_error_ = head_is("ERROR") ||
                (line_len_ >= 12 && (std::memcmp(head_, "CLIENT_ERROR", 12) == 0 ||
                                     std::memcmp(head_, "SERVER_ERROR", 12) == 0));
  }
  return true;
}

// A data block's CRLF ended just before message offset `at`. Returns
// whether that was the reply's end (a VA reply has one block).
bool ResponseParser::block_ended(uint64_t at) {
  if (line_ == ReplyLine::kVa) return true;
  if (record_values_) values_.push_back({{line_start_, at - line_start_}, key_});
  start_line(at);
  state_ = State::kLine;
  return false;
}

// After a VALUE line's CR at `p - 1`: when its LF, its data block and the
// block's CRLF are all at hand (nearly always), takes them in one go, with
// `p` moved past them; else leaves the byte-by-byte path to take each part.
inline void ResponseParser::whole_block(const char* data, const char*& p, const char* end) {
  if (p == end || *p != '\n') return;
  const char* const block = p + 1;
  const auto avail = static_cast<uint64_t>(end - block);
  if (avail < 2 || avail - 2 < length_ || block[length_] != '\r' || block[length_ + 1] != '\n') {
    return;
  }
  in_run_ = true;
  p = block + length_ + 2;
  block_ended(offset(data, p));
}

// A whole VALUE line as memcached writes it: "VALUE <key> <flags> <bytes>"
// and maybe " <cas>", one space between tokens, numbers of up to 18 digits.
// False, having changed nothing, for anything else: the byte-by-byte path
// then reads it. Inlined: every hit of a get comes here.
inline bool ResponseParser::plain_value_line(const char* line, const char* cr, uint64_t at) {
  if (cr - line <= 6 || std::memcmp(line, "VALUE ", 6) != 0) return false;
  const char* p = line + 6;
  const auto* space = static_cast<const char*>(std::memchr(p, ' ', static_cast<size_t>(cr - p)));
  if (space == nullptr || space == p ||
      std::memchr(p, '\n', static_cast<size_t>(space - p)) != nullptr) {
    return false;
  }
  const proto::Span key{at + static_cast<uint64_t>(p - line), static_cast<uint64_t>(space - p)};
  p = space + 1;
  uint64_t number = 0;
  uint64_t length = 0;
  if (!proto::short_number(p, cr, number) || p == cr || *p != ' ') return false;
  ++p;
  if (!proto::short_number(p, cr, length) || length > limits_.max_value) return false;
  uint8_t tokens = kValueMinTokens;
  if (p != cr) {
    if (*p != ' ') return false;
    ++p;
    if (!proto::short_number(p, cr, number) || p != cr) return false;
    tokens = kValueMaxTokens;
  }
  const auto len = static_cast<size_t>(cr - line);
  note_head(line, len);
  line_len_ = len;
  line_ = ReplyLine::kValue;
  tokens_ = tokens;
  length_ = length;
  key_ = key;
  return true;
}

// The fast way through a line other than a plain VALUE line that starts,
// and reaches its CR (at `cr`), within this call's input: its words found
// by scanning for spaces, numbers read whole. Returns false, having changed
// nothing, for anything it would refuse, and for a VALUE line that
// plain_value_line() left (extra spaces, numbers of 19 digits or more),
// which memcached does not write: the byte-by-byte path then reads it, and
// names any fault exactly where it does for a line cut in pieces.
bool ResponseParser::whole_line(const char* line, const char* cr) {
  const auto len = static_cast<size_t>(cr - line);
  if (len == 0 || line[0] == ' ' || std::memchr(line, '\n', len) != nullptr) return false;
  const char* p = line;
  const std::string_view word = proto::next_token(p, cr);
  if (word == "VALUE") return false;
  ReplyLine kind = ReplyLine::kText;
  uint8_t tokens = 1;
  uint64_t length = 0;
  if (in_run_) {
    if (len != 3 || word != "END") return false;
  } else if (word == "VA") {
    // VA <size> <flags>*: the flags go unread.
    if (!proto::next_number(p, cr, limits_.max_value, length)) return false;
    kind = ReplyLine::kVa;
    tokens = 2;
  }
  note_head(line, len);
  line_len_ = len;
  if (kind == ReplyLine::kText && !in_run_ && !known_reply_line()) {
    line_len_ = 0;
    return false;
  }
  line_ = kind;
  tokens_ = tokens;
  length_ = length;
  key_ = {0, 0};
  return true;
}

ResponseParser::StepResult ResponseParser::step(const char* data, const char*& p,
                                                const char* end) {
  switch (state_) {
    case State::kLine:
      if (line_ == ReplyLine::kText) {
        // Nothing more to learn from this line: find its CR in one scan,
        // within what max_line still allows.
        const auto avail = static_cast<uint64_t>(end - p);
        const auto scan = static_cast<size_t>(std::min(avail, limits_.max_line - line_len_));
        const auto* cr = static_cast<const char*>(std::memchr(p, '\r', scan));
        const size_t text = cr ? static_cast<size_t>(cr - p) : scan;
        if (const auto* lf = static_cast<const char*>(std::memchr(p, '\n', text))) {
          return fail(data, lf, proto::kBadLineEnd);
        }
        note_head(p, text);
        line_len_ += text;
        p += text;
        if (p == end) break;
        if (*p != '\r') return fail(data, p, proto::kLineTooLong);
        if (!in_run_ && !known_reply_line()) return fail(data, p, kNotAReply);
        ++p;
        state_ = State::kLineLf;
        break;
      }
      if (line_len_ == 0 && line_ == ReplyLine::kUnknown) {
        // The most frequent replies, whole: "END" ends a retrieval reply (or
        // is all of one, a miss); "STORED" answers a storage command. A
        // line start outside a run is a reply's start. (Limits too small
        // for them are left to the states, which refuse the line.)
        if (end - p >= 5 && limits_.max_line >= 3 && std::memcmp(p, "END\r\n", 5) == 0) {
          p += 5;
          return done(data, p);
        }
        if (!in_run_ && end - p >= 8 && limits_.max_line >= 6 &&
            std::memcmp(p, "STORED\r\n", 8) == 0) {
          p += 8;
          return done(data, p);
        }
        const auto scan = static_cast<size_t>(
            std::min<uint64_t>(static_cast<uint64_t>(end - p), uint64_t{limits_.max_line} + 1));
        const auto* cr = static_cast<const char*>(std::memchr(p, '\r', scan));
        if (cr != nullptr &&
            (plain_value_line(p, cr, offset(data, p)) || whole_line(p, cr))) {
          p = cr + 1;
          state_ = State::kLineLf;
          if (line_ == ReplyLine::kValue) whole_block(data, p, end);
          break;
        }
      }
      for (; p < end && line_ != ReplyLine::kText; ++p) {
        const char c = *p;
        if (c == '\r') {
          if (!line_ended()) return fail(data, p, why_);
          state_ = State::kLineLf;
          ++p;
          break;
        }
        if (c == '\n') return fail(data, p, proto::kBadLineEnd);
        if (line_len_ >= limits_.max_line) return fail(data, p, proto::kLineTooLong);
        if (!line_byte(c, offset(data, p))) return fail(data, p, why_);
      }
      break;

    case State::kLineLf:
      if (*p != '\n') return fail(data, p, proto::kBadLineEnd);
      ++p;
      if (line_finished()) return done(data, p);
      break;

    case State::kData:
      if (!part_ended(payload_.skip(&p, end), proto::kBadDataChunk)) break;
      if (block_ended(offset(data, p))) return done(data, p);
      break;
  }
  return std::nullopt;
}

}  // namespace walnut::memcache

// The one copy of feed()'s loop, with step() in it (see proto/parser_loop.h).
template class walnut::proto::ParserCore<
    walnut::memcache::ResponseParser, walnut::memcache::ResponseState,
    walnut::memcache::ResponseProgress, walnut::proto::ResponseParser>;
