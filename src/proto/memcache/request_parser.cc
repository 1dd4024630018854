// memcached ASCII request parser. A byte-driven state machine that never
// buffers: it remembers where it is on the command line (the open token, the
// number being read, the first bytes of the command name) and how many data
// bytes are left, so a request may arrive in any number of pieces. Data
// blocks are skipped by count, one step per chunk, never per byte. It must
// never copy request bytes or allocate per byte; the token vector keeps its
// capacity from one message to the next.
//
// Tokenising follows memcached (proto_text.c): the line ends at LF, a CR
// right before the LF is dropped, and tokens are split on spaces only.
//
// Storage lines are checked as strictly as memcached checks them, on
// purpose: memcached answers a malformed storage line with an error and then
// reads the data block as a command of its own. That is two replies for one
// request, and every later reply on the connection would go to the wrong
// request. So a storage line memcached would refuse (wrong token count;
// flags, exptime or cas that are not numbers) is refused here, before it can
// reach a backend.
#include "proto/memcache/request_parser.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <limits>

#include "proto/parse_errors.h"
#include "proto/parser_loop.h"
#include "proto/text.h"

namespace walnut::memcache {

namespace {

// memcached's own words, minus "CLIENT_ERROR " (parse_errors.h has those
// the response parser says too).
constexpr std::string_view kBadFormat = "bad command line format";
constexpr std::string_view kTooManyTokens = "too many tokens";

// Token capacity kept across reset(): plenty for ordinary commands, so the
// steady state allocates nothing, while one huge multi-get does not pin its
// peak to an idle client forever.
constexpr size_t kKeptTokens = 4096;
// Reserved up front, and again after a huge message: enough for any
// ordinary command line.
constexpr size_t kFreshTokens = 16;

constexpr uint64_t kMaxU64 = std::numeric_limits<uint64_t>::max();
constexpr uint64_t kMaxI64 = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());

}  // namespace

// A storage command: how many tokens its line may have (the name included)
// and how each of the first few must read. The ranges are those memcached
// 1.6 accepts on a 64-bit host: flags and cas unsigned 64-bit, exptime
// signed 64-bit (negative means "already expired"), and the data length
// digits only, bounded by max_value. Everything else is a line-only command.
using Field = StorageField;

struct StorageLayout {
  std::string_view name;
  uint32_t min_tokens;
  uint32_t max_tokens;
  std::array<Field, 6> fields;  // by token index; later tokens are kAny

  static const StorageLayout kTable[7];
};

const StorageLayout StorageLayout::kTable[7] = {
    // <cmd> <key> <flags> <exptime> <bytes> [noreply]
    {"set", 5, 6, {Field::kAny, Field::kAny, Field::kUnsigned, Field::kSigned, Field::kLength}},
    {"add", 5, 6, {Field::kAny, Field::kAny, Field::kUnsigned, Field::kSigned, Field::kLength}},
    {"replace", 5, 6, {Field::kAny, Field::kAny, Field::kUnsigned, Field::kSigned, Field::kLength}},
    {"append", 5, 6, {Field::kAny, Field::kAny, Field::kUnsigned, Field::kSigned, Field::kLength}},
    {"prepend", 5, 6, {Field::kAny, Field::kAny, Field::kUnsigned, Field::kSigned, Field::kLength}},
    // cas <key> <flags> <exptime> <bytes> <cas unique> [noreply]
    {"cas", 6, 7,
     {Field::kAny, Field::kAny, Field::kUnsigned, Field::kSigned, Field::kLength, Field::kUnsigned}},
    // ms <key> <datalen> <flag>*: memcached swallows the data block itself
    // when a flag is bad, so only the length matters for framing.
    {"ms", 3, std::numeric_limits<uint32_t>::max(), {Field::kAny, Field::kAny, Field::kLength}},
};

namespace {

// The storage command named `name` (memcached's names are case-sensitive),
// or nullptr for a line-only command. Every request asks: its first byte
// and length name the one row it can be before any compare.
const StorageLayout* storage_layout(std::string_view name) {
  if (name.empty()) return nullptr;
  const StorageLayout* row = nullptr;
  switch (name[0]) {
    case 's': row = &StorageLayout::kTable[0]; break;                          // set
    case 'a': row = &StorageLayout::kTable[name.size() == 3 ? 1 : 3]; break;  // add, append
    case 'r': row = &StorageLayout::kTable[2]; break;                          // replace
    case 'p': row = &StorageLayout::kTable[4]; break;                          // prepend
    case 'c': row = &StorageLayout::kTable[5]; break;                          // cas
    case 'm': row = &StorageLayout::kTable[6]; break;                          // ms
    default: return nullptr;
  }
  // The first byte picked the row. Names are short: a byte loop for the
  // rest costs less than a call to memcmp.
  if (row->name.size() != name.size()) return nullptr;
  for (size_t i = 1; i < name.size(); ++i) {
    if (row->name[i] != name[i]) return nullptr;
  }
  return row;
}

}  // namespace

// No tokens reserved up front: an idle client connection should cost as
// little as possible, and the first command line grows the list once.
RequestParser::RequestParser(const RequestLimits& limits) : limits_(limits) {}

void RequestParser::clear_vectors() {
  proto::clear_keeping(tokens_, kKeptTokens, kFreshTokens);
}

// One byte of the command line other than its LF, at message offset `at`.
// A CR is held back until the next byte shows whether it ends the line; if
// it does not, it is an ordinary byte, and whatever it breaks is charged to
// the byte after it (the CR may lie in an earlier feed() call's input).
inline bool RequestParser::line_byte(char c, uint64_t at) {
  if (cr_pending_) {
    cr_pending_ = false;
    if (!token_byte('\r', cr_at_)) return false;
  }
  if (c == '\r') {
    cr_pending_ = true;
    cr_at_ = at;
    return true;
  }
  return token_byte(c, at);
}

inline bool RequestParser::token_byte(char c, uint64_t at) {
  if (c == ' ') return !in_token_ || end_token(at);
  if (!in_token_ && !open_token(at)) return false;
  if (!named_) {
    // One past sizeof(name_) marks a name too long for any storage command.
    if (name_len_ < sizeof name_) name_[name_len_] = c;
    if (name_len_ <= sizeof name_) ++name_len_;
    return true;
  }
  return field_ == Field::kAny || number_byte(c);
}

bool RequestParser::open_token(uint64_t at) {
  const size_t index = tokens_.size();
  if (index >= limits_.max_tokens) {
    why_ = kTooManyTokens;
    return false;
  }
  in_token_ = true;
  token_start_ = at;
  field_ = layout_ != nullptr && index < layout_->fields.size() ? layout_->fields[index]
                                                                : Field::kAny;
  negative_ = false;
  has_digits_ = false;
  number_ = 0;
  number_max_ = field_ == Field::kLength   ? limits_.max_value
                : field_ == Field::kSigned ? kMaxI64
                                           : kMaxU64;
  return true;
}

bool RequestParser::number_byte(char c) {
  if (proto::is_digit(c)) {
    if (proto::append_digit(number_, static_cast<unsigned>(c - '0'), number_max_)) {
      has_digits_ = true;
      return true;
    }
  } else if (c == '-' && field_ == Field::kSigned && !negative_ && !has_digits_) {
    negative_ = true;
    number_max_ = kMaxI64 + 1;
    return true;
  }
  why_ = field_ == Field::kLength ? proto::kBadDataChunk : kBadFormat;
  return false;
}

bool RequestParser::end_token(uint64_t at) {
  if (field_ != Field::kAny && !has_digits_) {
    why_ = kBadFormat;  // a lone '-' where exptime belongs
    return false;
  }
  tokens_.push_back({token_start_, at - token_start_});
  in_token_ = false;
  if (field_ == Field::kLength) length_ = number_;
  if (!named_) {
    named_ = true;
    if (name_len_ <= sizeof name_) layout_ = storage_layout(std::string_view(name_, name_len_));
  }
  return true;
}

// The line's LF is at `at`. Closes the last token and checks the storage
// line's token count, which only the end of the line can tell.
bool RequestParser::line_end(uint64_t at) {
  const uint64_t text_end = cr_pending_ ? cr_at_ : at;
  cr_pending_ = false;
  if (in_token_ && !end_token(text_end)) return false;
  if (layout_ == nullptr) return true;
  const size_t n = tokens_.size();
  if (n < layout_->min_tokens || n > layout_->max_tokens) {
    why_ = kBadFormat;
    return false;
  }
  return true;
}

// The tokens after a set/add/replace/append/prepend/cas name ending at `p`,
// as clients write them: one space before each, "<key> <flags> <exptime>
// <bytes>" (and "<cas unique>" for cas), numbers of up to 18 digits and no
// sign, then any words ("noreply"). False, with tokens pushed, for anything
// else: fields_by_layout() then reads the line token by token.
inline bool RequestParser::storage_fields(const char* line, const char* p, const char* text_end) {
  if (text_end - p < 2 || *p != ' ' || p[1] == ' ' || layout_->min_tokens > limits_.max_tokens) {
    return false;
  }
  const char* const key = ++p;
  const auto* space = static_cast<const char*>(std::memchr(p, ' ', static_cast<size_t>(text_end - p)));
  if (space == nullptr) return false;
  tokens_.push_back({static_cast<uint64_t>(key - line), static_cast<uint64_t>(space - key)});
  p = space;
  const size_t numbers = layout_->min_tokens - 2;  // flags, exptime, bytes [, cas]
  for (size_t i = 0; i < numbers; ++i) {
    if (p == text_end || *p != ' ') return false;
    const char* const start = ++p;
    uint64_t value = 0;
    if (!proto::short_number(p, text_end, value) || (p < text_end && *p != ' ')) return false;
    if (i == 2) {
      if (value > limits_.max_value) return false;
      length_ = value;
    }
    tokens_.push_back({static_cast<uint64_t>(start - line), static_cast<uint64_t>(p - start)});
  }
  // Words after the numbers ("noreply"): line_end() judges their count.
  return p == text_end || plain_words(line, p, text_end);
}

// The tokens from `p` to `text_end`, words all (the keys of a get, the
// "noreply" of a storage line). False at the token limit.
inline bool RequestParser::plain_words(const char* line, const char* p, const char* text_end) {
  for (;;) {
    proto::skip_spaces(p, text_end);
    if (p == text_end) return true;
    if (tokens_.size() >= limits_.max_tokens) return false;
    const char* const start = p;
    const auto* space = static_cast<const char*>(std::memchr(p, ' ', static_cast<size_t>(text_end - p)));
    p = space != nullptr ? space : text_end;
    tokens_.push_back({static_cast<uint64_t>(start - line), static_cast<uint64_t>(p - start)});
  }
}

// The tokens of a line from `p` on, each read as its storage layout says
// (none yet at the line's start: the name then picks it): the general way,
// for every line the fast paths leave (runs of spaces, a signed exptime,
// numbers of 19 digits or more, the meta "ms", anything refused). False
// for anything it would refuse.
bool RequestParser::fields_by_layout(const char* line, const char* p, const char* text_end) {
  for (;;) {
    proto::skip_spaces(p, text_end);
    if (p == text_end) break;
    const size_t index = tokens_.size();
    if (index >= limits_.max_tokens) return false;
    const char* const start = p;
    const Field field = index != 0 && layout_ != nullptr && index < layout_->fields.size()
                            ? layout_->fields[index]
                            : Field::kAny;
    // Each token is read once: a number's digits are its token.
    uint64_t value = 0;
    switch (field) {
      case Field::kAny:
        if (index == 0) {
          while (p < text_end && *p != ' ') ++p;  // a name: too short for memchr
        } else {
          proto::next_token(p, text_end);
        }
        break;
      case Field::kUnsigned:
        if (!proto::next_number(p, text_end, kMaxU64, value)) return false;
        break;
      case Field::kSigned: {
        const bool negative = *p == '-';
        if (negative && (++p == text_end || *p == ' ')) return false;
        if (!proto::next_number(p, text_end, negative ? kMaxI64 + 1 : kMaxI64, value)) return false;
        break;
      }
      case Field::kLength:
        if (!proto::next_number(p, text_end, limits_.max_value, value)) return false;
        length_ = value;
        break;
    }
    tokens_.push_back({static_cast<uint64_t>(start - line), static_cast<uint64_t>(p - start)});
    if (index == 0) layout_ = storage_layout(std::string_view(start, static_cast<size_t>(p - start)));
  }
  return true;  // line_end() checks a storage line's token count
}

// The fast way through a command line that starts the message and ends
// (at `lf`) within this call's input, which is nearly every line: tokens
// found by scanning for spaces, numbers read whole, no per-byte state.
// Returns false, having changed nothing but the token list, the layout and
// the data length (which the caller then resets), for anything it would
// refuse: the byte-by-byte path then finds and names the fault exactly
// where it does for a line cut in pieces.
inline bool RequestParser::whole_line(const char* line, const char* lf) {
  const char* const text_end = lf > line && lf[-1] == '\r' ? lf - 1 : lf;
  const char* p = line;
  if (p < text_end && *p != ' ' && limits_.max_tokens > 0) {
    // The name: too short for memchr.
    while (p < text_end && *p != ' ') ++p;
    tokens_.push_back({0, static_cast<uint64_t>(p - line)});
    layout_ = storage_layout(std::string_view(line, static_cast<size_t>(p - line)));
    if (layout_ == nullptr) return plain_words(line, p, text_end);
    if (layout_->fields[2] == Field::kUnsigned) {
      if (storage_fields(line, p, text_end)) return true;
      // Something unusual: read it again the general way.
      tokens_.resize(1);
      p = line + tokens_[0].len;
    }
  }
  return fields_by_layout(line, p, text_end);
}

RequestParser::StepResult RequestParser::step(const char* data, const char*& p,
                                              const char* end) {
  switch (state_) {
    case State::kLine: {
      // The line starts the message, so its length so far is offset(data, p).
      // Up to `budget` more bytes may come before the LF, which may be
      // the byte right after them.
      const uint64_t budget = limits_.max_line - offset(data, p);
      const auto avail = static_cast<uint64_t>(end - p);
      const auto* nl = static_cast<const char*>(
          std::memchr(p, '\n', static_cast<size_t>(std::min(avail, budget + 1))));
      const char* const stop = nl ? nl : p + std::min(avail, budget);
      if (nl != nullptr && offset(data, p) == 0) {
        if (whole_line(p, nl)) {
          p = stop;
          named_ = true;
        } else {
          tokens_.clear();
          layout_ = nullptr;
          length_ = 0;
        }
      }
      for (; p < stop; ++p) {
        if (!line_byte(*p, offset(data, p))) return fail(data, p, why_);
      }
      if (nl == nullptr) {
        // Either the input ran out, or the line did not end in time.
        // Judged only after the bytes before, so that an earlier fault
        // wins however the input was cut.
        if (p < end) return fail(data, p, proto::kLineTooLong);
        break;
      }
      if (!line_end(offset(data, nl))) return fail(data, nl, why_);
      p = nl + 1;
      if (layout_ == nullptr) return done(data, p);
      // Refused on the length in the line, before the data is buffered.
      if (offset(data, p) + length_ + 2 > limits_.max_request) {
        return fail(data, p, proto::kRequestTooLarge);
      }
      has_value_ = true;
      value_ = {offset(data, p), length_};
      payload_.start(length_);
      state_ = State::kData;
      break;
    }

    case State::kData:
      if (!part_ended(payload_.skip(&p, end), proto::kBadDataChunk)) break;
      return done(data, p);
  }
  return std::nullopt;
}

}  // namespace walnut::memcache

// The one copy of feed()'s loop, with step() in it (see proto/parser_loop.h).
template class walnut::proto::ParserCore<
    walnut::memcache::RequestParser, walnut::memcache::RequestState,
    walnut::memcache::RequestProgress, walnut::proto::RequestParser>;
