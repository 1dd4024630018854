// libFuzzer target: the RESP request parser (proto/redis/request_parser.h),
// with the default limits and with small ones so that the limits are hit.
// Every finished request is checked against the grammar: an inline line's
// tokens are exactly its runs of non-space bytes; a multibulk request's
// tokens are exactly its bulk payloads, in order, and the request ends right
// after the last one. See fuzz_driver.h for how the input is cut and fed.
#include <cstdint>
#include <cstdio>
#include <string_view>
#include <vector>

#include "fuzz_driver.h"
#include "proto/redis/request_parser.h"

namespace walnut::fuzz {
namespace {

struct Request {
  bool is_inline = false;
  std::vector<Pos> tokens;

  bool operator==(const Request&) const = default;
};

// Redis splits inline commands with isspace(), LF ending the line.
bool is_inline_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

struct RequestProtocol {
  using Parser = redis::RequestParser;
  using Fields = Request;

  redis::RequestLimits limits;

  Parser make() const { return Parser(limits); }

  Request done(const Parser& parser, std::string_view msg) const {
    Request r;
    r.is_inline = parser.is_inline();
    for (const proto::Span& s : parser.tokens()) r.tokens.push_back(inside(s, msg.size()));

    if (msg[0] != '*') {
      FUZZ_CHECK(r.is_inline);
      // One line, its LF last; at most max_inline bytes before the LF.
      FUZZ_CHECK(msg.find('\n') == msg.size() - 1);
      FUZZ_CHECK(msg.size() - 1 <= limits.max_inline);
      FUZZ_CHECK(r.tokens == split_runs(msg, msg.size() - 1, is_inline_space));
      return r;
    }

    FUZZ_CHECK(!r.is_inline);
    size_t at = 1;
    bool negative = false;
    uint64_t count = 0;
    FUZZ_CHECK(read_number_line(msg, &at, true, &negative, &count));
    if (negative || count == 0) {
      // "*0" and "*-n" are requests with no command, which callers skip.
      FUZZ_CHECK(r.tokens.empty());
      FUZZ_CHECK(at == msg.size());
      return r;
    }
    FUZZ_CHECK(count <= limits.max_args);
    FUZZ_CHECK(r.tokens.size() == count);
    for (const Pos& token : r.tokens) {
      FUZZ_CHECK(at < msg.size() && msg[at] == '$');
      ++at;
      uint64_t len = 0;
      FUZZ_CHECK(read_number_line(msg, &at, false, &negative, &len));
      FUZZ_CHECK(len <= limits.max_bulk);
      FUZZ_CHECK(token.first == at && token.second == len);
      at += len;
      FUZZ_CHECK(msg.size() - at >= 2 && msg[at] == '\r' && msg[at + 1] == '\n');
      at += 2;
    }
    FUZZ_CHECK(at == msg.size());
    return r;
  }

  void describe(std::FILE* out, const Request& r) const {
    std::fprintf(out, " %s", r.is_inline ? "inline" : "multibulk");
    print_spans(out, "tokens", r.tokens);
  }
};

}  // namespace
}  // namespace walnut::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using walnut::fuzz::RequestProtocol;
  static const RequestProtocol kDefault{};
  static const RequestProtocol kSmall{{.max_args = 4, .max_bulk = 16, .max_inline = 24}};
  walnut::fuzz::fuzz_parser(kDefault, data, size);
  walnut::fuzz::fuzz_parser(kSmall, data, size);
  return 0;
}
