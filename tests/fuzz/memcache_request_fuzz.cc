// libFuzzer target: the memcached ASCII request parser
// (proto/memcache/request_parser.h), with the default limits and with small
// ones so that the limits are hit. Every finished request is checked against
// memcached's tokenising (the line ends at LF, a CR right before it is
// dropped, tokens are split on spaces only) and, for the storage commands,
// against the line's shape and the data block it announces. See
// fuzz_driver.h for how the input is cut and fed.
#include <cstdint>
#include <cstdio>
#include <string_view>
#include <vector>

#include "fuzz_driver.h"
#include "proto/memcache/request_parser.h"

namespace walnut::fuzz {
namespace {

struct Request {
  std::vector<Pos> tokens;
  bool has_value = false;
  Pos value{0, 0};

  bool operator==(const Request&) const = default;
};

// A storage command's shape: token count (the name included) and where its
// data length is.
struct Storage {
  std::string_view name;
  size_t min_tokens;
  size_t max_tokens;
  size_t length_at;
};

constexpr Storage kStorage[] = {
    {"set", 5, 6, 4},     {"add", 5, 6, 4},     {"replace", 5, 6, 4}, {"append", 5, 6, 4},
    {"prepend", 5, 6, 4}, {"cas", 6, 7, 4},     {"ms", 3, SIZE_MAX, 2},
};

struct RequestProtocol {
  using Parser = memcache::RequestParser;
  using Fields = Request;

  memcache::RequestLimits limits;

  Parser make() const { return Parser(limits); }

  Request done(const Parser& parser, std::string_view msg) const {
    Request r;
    for (const proto::Span& s : parser.tokens()) r.tokens.push_back(inside(s, msg.size()));
    r.has_value = parser.has_value();
    if (r.has_value) r.value = inside(parser.value(), msg.size());

    const size_t lf = msg.find('\n');
    FUZZ_CHECK(lf != std::string_view::npos);
    FUZZ_CHECK(lf <= limits.max_line);
    const size_t text_end = lf > 0 && msg[lf - 1] == '\r' ? lf - 1 : lf;
    FUZZ_CHECK(r.tokens == split_runs(msg, text_end, [](char c) { return c == ' '; }));
    FUZZ_CHECK(r.tokens.size() <= limits.max_tokens);
    auto token = [&](size_t i) { return msg.substr(r.tokens[i].first, r.tokens[i].second); };

    const Storage* storage = nullptr;
    for (const Storage& s : kStorage) {
      if (!r.tokens.empty() && token(0) == s.name) storage = &s;
    }
    FUZZ_CHECK(r.has_value == (storage != nullptr));
    if (storage == nullptr) {
      FUZZ_CHECK(msg.size() == lf + 1);
      return r;
    }

    FUZZ_CHECK(r.tokens.size() >= storage->min_tokens && r.tokens.size() <= storage->max_tokens);
    uint64_t length = 0;
    FUZZ_CHECK(read_digits(token(storage->length_at), limits.max_value, &length));
    if (storage->name != "ms") {
      // flags and cas unsigned, exptime optionally negative.
      uint64_t n = 0;
      FUZZ_CHECK(read_digits(token(2), UINT64_MAX, &n));
      std::string_view exptime = token(3);
      const bool negative = exptime[0] == '-';
      if (negative) exptime.remove_prefix(1);
      FUZZ_CHECK(read_digits(exptime, negative ? 1ull << 63 : (1ull << 63) - 1, &n));
      if (storage->name == "cas") FUZZ_CHECK(read_digits(token(5), UINT64_MAX, &n));
    }
    FUZZ_CHECK(r.value.first == lf + 1);
    FUZZ_CHECK(r.value.second == length);
    FUZZ_CHECK(msg.size() - r.value.first == length + 2);
    FUZZ_CHECK(msg.substr(msg.size() - 2) == "\r\n");
    return r;
  }

  void describe(std::FILE* out, const Request& r) const {
    std::fprintf(out, " tokens=[");
    for (const Pos& t : r.tokens) {
      std::fprintf(out, " %llu+%llu", static_cast<unsigned long long>(t.first),
                   static_cast<unsigned long long>(t.second));
    }
    std::fprintf(out, " ]");
    if (r.has_value) {
      std::fprintf(out, " value=%llu+%llu", static_cast<unsigned long long>(r.value.first),
                   static_cast<unsigned long long>(r.value.second));
    }
  }
};

}  // namespace
}  // namespace walnut::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using walnut::fuzz::RequestProtocol;
  static const RequestProtocol kDefault{};
  static const RequestProtocol kSmall{
      {.max_key = 8, .max_value = 16, .max_line = 40, .max_tokens = 6}};
  walnut::fuzz::fuzz_parser(kDefault, data, size);
  walnut::fuzz::fuzz_parser(kSmall, data, size);
  return 0;
}
