// Splitting a multi-key Redis request per server and merging the parts'
// replies. Each merge strategy (ordered array, integer sum, all-OK, arrays
// one after another, any non-null) is its
// own small type; the command table says which one a command uses.
#include <charconv>
#include <span>
#include <string>

#include "proto/command.h"
#include "proto/parse_chain.h"
#include "proto/scan_cursor.h"
#include "proto/redis/commands.h"
#include "proto/redis/info_reply.h"
#include "proto/redis/redis_protocol.h"

namespace walnut::redis {

using proto::Msg;

namespace {

// "<prefix><n>\r\n" (an array or integer header) into `to`.
void append_header(buffer::MbufChain& to, char prefix, long long n,
                   buffer::MbufPool& pool) {
  char buf[32];
  buf[0] = prefix;
  char* end = std::to_chars(buf + 1, buf + sizeof buf - 2, n).ptr;
  *end++ = '\r';
  *end++ = '\n';
  to.append_copy(pool, std::string_view(buf, static_cast<size_t>(end - buf)));
}

size_t decimal_digits(uint64_t n) {
  size_t d = 1;
  while (n >= 10) {
    n /= 10;
    ++d;
  }
  return d;
}

// One argument of `from` as a bulk string of the fragment. A multibulk
// request already holds "$<len>\r\n<arg>\r\n": the fragment references those
// bytes where they arrived (the parser accepts no leading zeros, so the
// header's length follows from the argument's), and arguments that follow
// each other become one slice. An inline request has no such bytes: they are
// written out.
void append_bulk(const Msg& from, bool multibulk, const proto::Span& token,
                 buffer::MbufChain& to, buffer::MbufPool& pool) {
  if (multibulk) {
    const uint64_t header = 3 + decimal_digits(token.len);
    to.append(from.request, token.offset - header, header + token.len + 2);
    return;
  }
  append_header(to, '$', static_cast<long long>(token.len), pool);
  to.append(from.request, token.offset, token.len);
  to.append_copy(pool, "\r\n");
}

bool is_multibulk(const Msg& msg) {
  const std::span<const buffer::Slice> slices = msg.request.slices();
  return !slices.empty() && slices[0].mbuf->data()[slices[0].offset] == '*';
}

// The first part that failed, or null. Its error is the whole reply: a
// partial answer would be a wrong answer.
const Msg* first_failure(const Msg& parent) {
  for (const Msg* f : parent.fragments) {
    if (f->reply_is_error) return f;
  }
  return nullptr;
}

void unexpected(Msg& parent, buffer::MbufPool& pool) {
  parent.reply.clear();
  parent.reply.append_copy(pool, "-ERR unexpected reply from server to a split request\r\n");
  parent.reply_is_error = true;
}

// MGET: the elements of each part's array reply, back in the client's order.
// The parts' element spans go into one flat list (`scratch`), kept by the
// protocol between merges so that merging allocates nothing.
// PUBSUB NUMSUB: the same with `width` elements per key (channel, count).
struct ArrayMerge {
  template <uint32_t kWidth = 1>  // a constant: MGET's loop stays as tight as it was
  static void merge(Msg& parent, MergeScratch& scratch, buffer::MbufPool& pool) {
    if (!split_arrays(parent, scratch)) {
      unexpected(parent, pool);
      return;
    }
    append_header(parent.reply, '*', static_cast<long long>(parent.key_places.size() * kWidth),
                  pool);
    for (const Msg::KeyPlace& place : parent.key_places) {
      const uint32_t at = scratch.first[place.fragment] + place.position * kWidth;
      if (at + kWidth > scratch.first[place.fragment + 1]) {
        parent.reply.clear();
        unexpected(parent, pool);
        return;
      }
      const buffer::MbufChain& from = parent.fragments[place.fragment]->reply;
      if constexpr (kWidth == 1) {
        parent.reply.append(from, scratch.items[at].offset, scratch.items[at].len);
      } else {
        for (uint32_t e = at; e < at + kWidth; ++e) {
          parent.reply.append(from, scratch.items[e].offset, scratch.items[e].len);
        }
      }
    }
  }

  // Every part's elements into scratch.items, part f's from
  // scratch.first[f] up to scratch.first[f + 1]; false when a part's reply
  // is not an array.
  static bool split_arrays(const Msg& parent, MergeScratch& scratch) {
    scratch.items.clear();
    scratch.first.clear();
    for (const Msg* part : parent.fragments) {
      scratch.first.push_back(static_cast<uint32_t>(scratch.items.size()));
      if (!split_array(*part, scratch)) return false;
    }
    scratch.first.push_back(static_cast<uint32_t>(scratch.items.size()));
    return true;
  }

  // Finds the top-level elements of a part's reply by parsing it again; only
  // split requests pay for this.
  static bool split_array(const Msg& part, MergeScratch& scratch) {
    ResponseParser& parser = scratch.parser;
    parser.reset();
    parser.set_record_elements(true);
    if (proto::parse_chain(parser, part.reply).status != proto::ParseStatus::kDone ||
        parser.type() != '*') {
      return false;
    }
    scratch.items.insert(scratch.items.end(), parser.elements().begin(),
                            parser.elements().end());
    return true;
  }
};

// KEYS: every part's array, one after another.
struct ConcatMerge {
  static void merge(Msg& parent, MergeScratch& scratch, buffer::MbufPool& pool) {
    if (!ArrayMerge::split_arrays(parent, scratch)) {
      unexpected(parent, pool);
      return;
    }
    append_header(parent.reply, '*', static_cast<long long>(scratch.items.size()), pool);
    for (size_t f = 0; f < parent.fragments.size(); ++f) {
      for (size_t e = scratch.first[f]; e < scratch.first[f + 1]; ++e) {
        parent.reply.append(parent.fragments[f]->reply, scratch.items[e].offset,
                            scratch.items[e].len);
      }
    }
  }
};

// RANDOMKEY: a key from one of the servers that has any. The part to look at
// first turns with each merge, so that no server's keys are favoured.
struct AnyNonNullMerge {
  static void merge(Msg& parent, uint32_t* turn, buffer::MbufPool& pool) {
    static constexpr std::string_view kNull = "$-1\r\n";
    std::string scratch;
    const size_t n = parent.fragments.size();
    const size_t start = (*turn)++ % n;
    for (size_t i = 0; i < n; ++i) {
      const Msg* part = parent.fragments[(start + i) % n];
      if (part->reply.view(0, part->reply.size(), scratch) != kNull) {
        parent.reply.append(part->reply, 0, part->reply.size());
        return;
      }
    }
    parent.reply.append_copy(pool, kNull);
  }
};

// SCAN: the one part's [cursor, elements], with the server's next cursor
// turned into the pool's (proto/scan_cursor.h).
struct CursorMerge {
  static void merge(Msg& parent, MergeScratch& scratch, buffer::MbufPool& pool) {
    if (!ArrayMerge::split_arrays(parent, scratch) || scratch.items.size() != 2) {
      unexpected(parent, pool);
      return;
    }
    const Msg& part = *parent.fragments[0];
    std::string bytes;
    const proto::Span& c = scratch.items[0];
    std::string_view text = part.reply.view(c.offset, c.len, bytes);  // "$<n>\r\n<cursor>\r\n"
    const size_t digits = text.find("\r\n") + 2;
    uint64_t server_next = 0, next = 0;
    if (text.size() < 4 || text[0] != '$' || digits < 2 || digits + 2 > text.size() ||
        std::from_chars(text.data() + digits, text.data() + text.size() - 2, server_next).ec !=
            std::errc()) {
      unexpected(parent, pool);
      return;
    }
    if (!proto::scan_next(server_next, parent.cursor.server, parent.cursor.servers, &next)) {
      parent.reply.append_copy(pool, "-ERR the server's SCAN cursor is too large for walnut to "
                                     "carry with the server's index\r\n");
      parent.reply_is_error = true;
      return;
    }
    const std::string cursor = std::to_string(next);
    append_header(parent.reply, '*', 2, pool);
    append_header(parent.reply, '$', static_cast<long long>(cursor.size()), pool);
    parent.reply.append_copy(pool, cursor + "\r\n");
    const proto::Span& elements = scratch.items[1];
    parent.reply.append(part.reply, elements.offset, elements.len);
  }
};

// DEL, UNLINK, TOUCH, EXISTS: the parts' counts added up.
struct SumMerge {
  static void merge(Msg& parent, buffer::MbufPool& pool) {
    long long total = 0;
    std::string scratch;
    for (const Msg* f : parent.fragments) {
      std::string_view r = f->reply.view(0, f->reply.size(), scratch);
      long long n = 0;
      if (r.size() < 4 || r[0] != ':' ||
          std::from_chars(r.data() + 1, r.data() + r.size() - 2, n).ec != std::errc()) {
        unexpected(parent, pool);
        return;
      }
      total += n;
    }
    append_header(parent.reply, ':', total, pool);
  }
};

// MSET: +OK when every part said +OK.
struct AllOkMerge {
  static void merge(Msg& parent, buffer::MbufPool& pool) {
    std::string scratch;
    for (const Msg* f : parent.fragments) {
      if (f->reply.view(0, f->reply.size(), scratch) != "+OK\r\n") {
        unexpected(parent, pool);
        return;
      }
    }
    parent.reply.append_copy(pool, "+OK\r\n");
  }
};

}  // namespace

void RedisProtocol::build_fragment(const Msg& parent, const std::vector<uint32_t>& key_indexes,
                                   Msg& fragment) const {
  const proto::CommandInfo& cmd = *parent.command;
  const size_t step = static_cast<size_t>(cmd.key_step);
  const bool multibulk = is_multibulk(parent);
  fragment.command = parent.command;
  // The tokens before the keys (the name, PUBSUB's subcommand), then the keys.
  const size_t head = static_cast<size_t>(cmd.first_key);
  append_header(fragment.request, '*',
                static_cast<long long>(head + key_indexes.size() * step), mbufs());
  for (size_t t = 0; t < head; ++t) {
    append_bulk(parent, multibulk, parent.tokens[t], fragment.request, mbufs());
  }
  for (uint32_t k : key_indexes) {
    size_t first = static_cast<size_t>(cmd.first_key) + k * step;
    for (size_t t = first; t < first + step; ++t) {
      append_bulk(parent, multibulk, parent.tokens[t], fragment.request, mbufs());
    }
  }
}

void RedisProtocol::build_cursor_part(const Msg& parent, uint64_t cursor, Msg& part) const {
  const bool multibulk = is_multibulk(parent);
  const std::string text = std::to_string(cursor);
  part.command = parent.command;
  append_header(part.request, '*', static_cast<long long>(parent.tokens.size()), mbufs());
  append_bulk(parent, multibulk, parent.tokens[0], part.request, mbufs());
  append_header(part.request, '$', static_cast<long long>(text.size()), mbufs());
  part.request.append_copy(mbufs(), text + "\r\n");
  for (size_t t = 2; t < parent.tokens.size(); ++t) {
    append_bulk(parent, multibulk, parent.tokens[t], part.request, mbufs());
  }
}

namespace {
// The text of a bulk string "$<n>\r\n<text>\r\n" at the start of `bytes`;
// empty when there is none there.
std::string_view bulk_text(std::string_view bytes) {
  const size_t end = bytes.find("\r\n");
  size_t len = 0;
  if (bytes.empty() || bytes[0] != '$' || end == std::string_view::npos ||
      std::from_chars(bytes.data() + 1, bytes.data() + end, len).ec != std::errc() ||
      end + 2 + len > bytes.size()) {
    return {};
  }
  return bytes.substr(end + 2, len);
}
}  // namespace

void RedisProtocol::merge_supported(Msg& parent) const {
  // Every server runs the same commands: the first server that answered
  // stands for all (one down or refusing must not fail COMMAND), kept to
  // the commands walnut carries.
  const Msg* answered = parent.fragments[0];
  for (const Msg* part : parent.fragments) {
    if (!part->reply_is_error) {
      answered = part;
      break;
    }
  }
  const Msg& part = *answered;
  parent.reply.clear();
  if (part.reply_is_error) {  // every server failed: the first one's error
    parent.reply.append(part.reply, 0, part.reply.size());
    parent.reply_is_error = true;
    return;
  }
  ResponseParser& parser = merge_scratch_.parser;
  parser.reset();
  parser.set_record_elements(true);
  if (proto::parse_chain(parser, part.reply).status != proto::ParseStatus::kDone ||
      parser.type() != '*') {
    parent.reply.append(part.reply, 0, part.reply.size());  // not a list: the server's words
    return;
  }
  const std::vector<proto::Span>& items = parser.elements();
  const std::string_view form = parent.command->name;  // "command", "command|info", ...
  const bool pairs = form == "command|docs";  // name, docs, name, docs, ...
  // COMMAND INFO with names: one entry per name, a null for each unknown
  // (without names it lists every command, as COMMAND does).
  const bool named = form == "command|info" && parent.tokens.size() > 2;
  std::string bytes;
  std::vector<proto::Span> keep;
  for (size_t i = 0; i < items.size(); i += pairs ? 2 : 1) {
    const proto::Span& item = items[i];
    std::string_view text = part.reply.view(item.offset, item.len, bytes);
    // A command's entry is an array that opens with its name; LIST and
    // DOCS give the bare name.
    if (text.starts_with("*")) {
      const size_t line = text.find("\r\n");
      text = line == std::string_view::npos ? std::string_view() : text.substr(line + 2);
    }
    const bool carry = carried(bulk_text(text));
    if (!carry && !named) continue;
    if (!carry) {
      keep.push_back({0, 0});  // a null in its place
    } else {
      keep.push_back(item);
      if (pairs && i + 1 < items.size()) keep.push_back(items[i + 1]);
    }
  }
  append_header(parent.reply, '*', static_cast<long long>(keep.size()), mbufs());
  for (const proto::Span& item : keep) {
    if (item.len == 0) {
      parent.reply.append_copy(mbufs(), "*-1\r\n");
    } else {
      parent.reply.append(part.reply, item.offset, item.len);
    }
  }
}

void RedisProtocol::merge_keyspace(Msg& parent) const {
  // Walnut's own sections are in the reply already, as one bulk string.
  std::string body = parent.reply.to_string();
  const size_t start = body.find("\r\n");
  body = start == std::string::npos || body.size() < start + 4
             ? std::string()
             : body.substr(start + 2, body.size() - start - 4);
  std::vector<std::string> texts;
  bool complete = true;
  for (const Msg* part : parent.fragments) {
    complete = complete && !part->reply_is_error;
    texts.push_back(part->reply.to_string());
  }
  // A server that did not answer leaves the section without its dbs: a sum
  // of some servers would pass for the pool's. Walnut's own sections stand.
  if (!body.empty()) body += "\r\n";
  body += complete ? keyspace_section(texts) : keyspace_section({});
  parent.reply.clear();
  parent.reply.append_copy(mbufs(), "$" + std::to_string(body.size()) + "\r\n" + body + "\r\n");
  parent.reply_is_error = false;
}

void RedisProtocol::coalesce(Msg& parent) const {
  if (parent.command->merge >= proto::Merge::kKeyspace) {  // merges of their own
    if (parent.command->merge == proto::Merge::kKeyspace) {
      merge_keyspace(parent);
    } else {
      merge_supported(parent);
    }
    return;
  }
  parent.reply.clear();
  parent.reply_is_error = false;
  if (const Msg* failed = first_failure(parent)) {
    parent.reply.append(failed->reply, 0, failed->reply.size());
    parent.reply_is_error = true;
    return;
  }
  switch (parent.command->merge) {
    case proto::Merge::kOrderedPairs:
      ArrayMerge::merge<2>(parent, merge_scratch_, mbufs());
      break;
    case proto::Merge::kOrdered:
      ArrayMerge::merge(parent, merge_scratch_, mbufs());
      break;
    case proto::Merge::kSum:
      SumMerge::merge(parent, mbufs());
      break;
    case proto::Merge::kAllOk:
      AllOkMerge::merge(parent, mbufs());
      break;
    case proto::Merge::kConcat:
      ConcatMerge::merge(parent, merge_scratch_, mbufs());
      break;
    case proto::Merge::kAnyNonNull:
      AnyNonNullMerge::merge(parent, &merge_scratch_.turn, mbufs());
      break;
    case proto::Merge::kCursor:
      CursorMerge::merge(parent, merge_scratch_, mbufs());
      break;
    case proto::Merge::kKeyspace:  // merged above
    case proto::Merge::kSupported:
    case proto::Merge::kNone:
      unexpected(parent, mbufs());
      break;
  }
}

}  // namespace walnut::redis
