// Splitting a multi-key Redis request per server and merging the parts'
// replies. Each merge strategy (ordered array, integer sum, all-OK) is its
// own small type; the command table says which one a command uses.
#include <charconv>
#include <string>

#include "proto/command.h"
#include "proto/redis/redis_protocol.h"

namespace walnut::redis {

using proto::Msg;

namespace {

// Short tokens are copied into the shared copy mbuf so that a fragment is a
// few slices; long ones are referenced where they arrived, never copied.
constexpr uint64_t kCopyTokensUpTo = 256;

void append_bulk(const Msg& from, const proto::Span& token, Msg& to,
                 buffer::MbufPool& pool) {
  to.request.append_copy(pool, "$" + std::to_string(token.len) + "\r\n");
  if (token.len <= kCopyTokensUpTo) {
    std::string scratch;
    to.request.append_copy(pool, from.request.view(token.offset, token.len, scratch));
  } else {
    to.request.append(from.request, token.offset, token.len);
  }
  to.request.append_copy(pool, "\r\n");
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
struct ArrayMerge {
  static void merge(Msg& parent, const ResponseLimits& limits,
                    buffer::MbufPool& pool) {
    std::vector<std::vector<proto::Span>> elements(parent.fragments.size());
    for (size_t i = 0; i < parent.fragments.size(); ++i) {
      if (!split_array(*parent.fragments[i], limits, &elements[i])) {
        unexpected(parent, pool);
        return;
      }
    }
    parent.reply.append_copy(pool, "*" + std::to_string(parent.key_places.size()) + "\r\n");
    for (const Msg::KeyPlace& place : parent.key_places) {
      const std::vector<proto::Span>& els = elements[place.fragment];
      if (place.position >= els.size()) {
        parent.reply.clear();
        unexpected(parent, pool);
        return;
      }
      const proto::Span& e = els[place.position];
      parent.reply.append(parent.fragments[place.fragment]->reply, e.offset, e.len);
    }
  }

  // Finds the top-level elements of a part's reply by parsing it again; only
  // split requests pay for this.
  static bool split_array(const Msg& part, const ResponseLimits& limits,
                          std::vector<proto::Span>* out) {
    ResponseParser parser(limits);
    parser.set_record_elements(true);
    proto::ParseResult r{proto::ParseStatus::kNeedMore, 0};
    for (const buffer::Slice& s : part.reply.slices()) {
      r = parser.feed(s.mbuf->data() + s.offset, s.len);
      if (r.status != proto::ParseStatus::kNeedMore) break;
    }
    if (r.status != proto::ParseStatus::kDone || parser.type() != '*') return false;
    *out = parser.elements();
    return true;
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
    parent.reply.append_copy(pool, ":" + std::to_string(total) + "\r\n");
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

void RedisProtocol::build_fragment(const Msg& parent,
                                   const std::vector<uint32_t>& key_indexes,
                                   Msg& fragment, buffer::MbufPool& pool) const {
  const proto::CommandInfo& cmd = *parent.command;
  const size_t step = static_cast<size_t>(cmd.key_step);
  fragment.command = parent.command;
  fragment.request.append_copy(
      pool, "*" + std::to_string(1 + key_indexes.size() * step) + "\r\n");
  append_bulk(parent, parent.tokens[0], fragment, pool);
  for (uint32_t k : key_indexes) {
    size_t first = static_cast<size_t>(cmd.first_key) + k * step;
    for (size_t t = first; t < first + step; ++t) {
      append_bulk(parent, parent.tokens[t], fragment, pool);
    }
  }
}

void RedisProtocol::coalesce(Msg& parent, buffer::MbufPool& pool) const {
  parent.reply.clear();
  parent.reply_is_error = false;
  if (const Msg* failed = first_failure(parent)) {
    parent.reply.append(failed->reply, 0, failed->reply.size());
    parent.reply_is_error = true;
    return;
  }
  switch (parent.command->merge) {
    case proto::Merge::kOrdered:
      ArrayMerge::merge(parent, response_limits_, pool);
      break;
    case proto::Merge::kSum:
      SumMerge::merge(parent, pool);
      break;
    case proto::Merge::kAllOk:
      AllOkMerge::merge(parent, pool);
      break;
    case proto::Merge::kNone:
      unexpected(parent, pool);
      break;
  }
}

}  // namespace walnut::redis
