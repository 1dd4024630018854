// libFuzzer target: the RESP2 response parser (proto/redis/response_parser.h)
// three ways: default limits; default limits recording top-level array
// elements; and small limits on depth, elements and bulk length, recording,
// so that every limit is hit. Every finished reply is checked against the
// grammar of its type, and recorded elements must tile the array's body
// exactly, each one a whole reply of its own. See fuzz_driver.h for how the
// input is cut and fed.
#include <cstdint>
#include <cstdio>
#include <string_view>
#include <vector>

#include "fuzz_driver.h"
#include "proto/redis/response_parser.h"

namespace walnut::fuzz {
namespace {

struct Reply {
  char type = 0;
  int64_t array_count = 0;
  bool is_error_reply = false;
  std::vector<Pos> elements;

  bool operator==(const Reply&) const = default;
};

struct ResponseProtocol {
  using Parser = redis::ResponseParser;
  using Fields = Reply;

  redis::ResponseLimits limits;
  bool record = false;

  Parser make() const {
    Parser parser(limits);
    parser.set_record_elements(record);
    return parser;
  }

  Reply done(const Parser& parser, std::string_view msg) const {
    Reply r;
    r.type = parser.type();
    r.array_count = parser.array_count();
    r.is_error_reply = parser.is_error_reply();
    for (const proto::Span& s : parser.elements()) r.elements.push_back(inside(s, msg.size()));

    FUZZ_CHECK(r.type == msg[0]);
    FUZZ_CHECK(r.is_error_reply == (r.type == '-'));
    FUZZ_CHECK(msg.size() >= 3 && msg.substr(msg.size() - 2) == "\r\n");
    if (r.type != '*') {
      FUZZ_CHECK(r.array_count == 0);
      FUZZ_CHECK(r.elements.empty());
    }
    size_t at = 1;
    bool negative = false;
    uint64_t n = 0;
    switch (r.type) {
      case '+':
      case '-': {
        // One line of text without CR or LF.
        const std::string_view text = msg.substr(1, msg.size() - 3);
        FUZZ_CHECK(text.find_first_of("\r\n") == std::string_view::npos);
        FUZZ_CHECK(text.size() <= limits.max_bulk);
        break;
      }
      case ':':
        FUZZ_CHECK(read_number_line(msg, &at, true, &negative, &n));
        FUZZ_CHECK(n <= (negative ? 1ull << 63 : (1ull << 63) - 1));
        FUZZ_CHECK(at == msg.size());
        break;
      case '$':
        FUZZ_CHECK(read_number_line(msg, &at, true, &negative, &n));
        if (negative) {
          FUZZ_CHECK(n == 1);  // "$-1": nil
          FUZZ_CHECK(at == msg.size());
          break;
        }
        FUZZ_CHECK(n <= limits.max_bulk);
        FUZZ_CHECK(msg.size() - at == n + 2);
        break;
      case '*':
        FUZZ_CHECK(limits.max_depth > 0);
        FUZZ_CHECK(read_number_line(msg, &at, true, &negative, &n));
        if (negative) {
          FUZZ_CHECK(n == 1);  // "*-1": nil array
          FUZZ_CHECK(r.array_count == -1);
          FUZZ_CHECK(r.elements.empty());
          FUZZ_CHECK(at == msg.size());
          break;
        }
        FUZZ_CHECK(n <= limits.max_elements);
        FUZZ_CHECK(r.array_count >= 0 && static_cast<uint64_t>(r.array_count) == n);
        if (n == 0) FUZZ_CHECK(at == msg.size());
        if (!record) {
          FUZZ_CHECK(r.elements.empty());
          break;
        }
        // The elements tile the body, and each is one whole reply.
        FUZZ_CHECK(r.elements.size() == n);
        for (const Pos& e : r.elements) {
          FUZZ_CHECK(e.first == at);
          FUZZ_CHECK(e.second > 0);
          Parser alone(limits);
          const proto::ParseResult got = alone.feed(msg.data() + at, e.second);
          FUZZ_CHECK(got.status == proto::ParseStatus::kDone);
          FUZZ_CHECK(got.consumed == e.second);
          at += e.second;
        }
        FUZZ_CHECK(at == msg.size());
        break;
      default:
        violated("a reply of unknown type finished", __FILE__, __LINE__);
    }
    return r;
  }

  void describe(std::FILE* out, const Reply& r) const {
    std::fprintf(out, " type='%c' count=%lld%s", r.type ? r.type : '0',
                 static_cast<long long>(r.array_count), r.is_error_reply ? " error-reply" : "");
    print_spans(out, "elements", r.elements);
  }
};

}  // namespace
}  // namespace walnut::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using walnut::fuzz::ResponseProtocol;
  static const ResponseProtocol kDefault{};
  static const ResponseProtocol kRecording{{}, true};
  static const ResponseProtocol kSmall{{.max_depth = 3, .max_bulk = 8, .max_elements = 4}, true};
  walnut::fuzz::fuzz_parser(kDefault, data, size);
  walnut::fuzz::fuzz_parser(kRecording, data, size);
  walnut::fuzz::fuzz_parser(kSmall, data, size);
  return 0;
}
