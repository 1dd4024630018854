// libFuzzer target: the memcached ASCII response parser
// (proto/memcache/response_parser.h) three ways: default limits; default
// limits recording VALUE blocks; and small limits, recording, so that the
// limits are hit. Every finished reply is checked: a retrieval reply is VALUE
// blocks back to back (each its line, data of the announced length and CRLF,
// with the key inside the line) and then "END\r\n"; a VA reply is one line
// and one data block; anything else is one line. See fuzz_driver.h for how
// the input is cut and fed.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <string_view>
#include <vector>

#include "fuzz_driver.h"
#include "proto/memcache/response_parser.h"

namespace walnut::fuzz {
namespace {

struct Reply {
  bool is_error_reply = false;
  std::vector<std::pair<Pos, Pos>> values;  // block, key

  bool operator==(const Reply&) const = default;
};

bool is_space(char c) { return c == ' '; }

struct ResponseProtocol {
  using Parser = memcache::ResponseParser;
  using Fields = Reply;

  memcache::ResponseLimits limits;
  bool record = false;

  Parser make() const {
    Parser parser(limits);
    parser.set_record_values(record);
    return parser;
  }

  // Checks the line that starts at msg[at] (CRLF-terminated, no CR or LF
  // inside, at most max_line bytes) and returns its text.
  std::string_view line_at(std::string_view msg, size_t at) const {
    FUZZ_CHECK(at <= msg.size());
    const size_t cr = msg.find('\r', at);
    FUZZ_CHECK(cr != std::string_view::npos && cr + 1 < msg.size() && msg[cr + 1] == '\n');
    const std::string_view text = msg.substr(at, cr - at);
    FUZZ_CHECK(text.find('\n') == std::string_view::npos);
    FUZZ_CHECK(text.size() <= limits.max_line);
    return text;
  }

  // Checks a line and data block at msg[at] whose length is token
  // `length_at` of the line; returns the offset after the block's CRLF.
  size_t block_at(std::string_view msg, size_t at, size_t length_at, size_t min_tokens,
                  size_t max_tokens) const {
    const std::string_view line = line_at(msg, at);
    const auto tokens = split_runs(line, line.size(), is_space);
    FUZZ_CHECK(tokens.size() >= min_tokens && tokens.size() <= max_tokens);
    uint64_t length = 0;
    const Pos len_token = tokens[length_at];
    FUZZ_CHECK(read_digits(line.substr(len_token.first, len_token.second), limits.max_value,
                           &length));
    const size_t data = at + line.size() + 2;
    FUZZ_CHECK(msg.size() - data >= length + 2);
    FUZZ_CHECK(msg.substr(data + length, 2) == "\r\n");
    return data + length + 2;
  }

  Reply done(const Parser& parser, std::string_view msg) const {
    Reply r;
    r.is_error_reply = parser.is_error_reply();
    for (const auto& v : parser.values()) {
      r.values.emplace_back(inside(v.block, msg.size()), inside(v.key, msg.size()));
    }

    const std::string_view first = line_at(msg, 0);
    FUZZ_CHECK(r.is_error_reply == (first == "ERROR" || first.starts_with("CLIENT_ERROR") ||
                                    first.starts_with("SERVER_ERROR")));
    if (!first.starts_with("VALUE ") && !first.starts_with("VA ")) {
      // A one-line reply starts with a word memcached replies start with.
      const std::string_view word = first.substr(0, first.find(' '));
      static constexpr std::string_view kWords[] = {
          "STORED", "NOT_STORED", "EXISTS", "NOT_FOUND", "DELETED", "TOUCHED", "END", "OK",
          "VERSION", "ERROR", "CLIENT_ERROR", "SERVER_ERROR", "HD", "EN", "NF", "NS", "EX"};
      const bool number = !word.empty() && word.find_first_not_of("0123456789") == word.npos;
      FUZZ_CHECK(number || std::find(std::begin(kWords), std::end(kWords), word) != std::end(kWords));
    }
    if (first.starts_with("VALUE ")) {
      // VALUE blocks, then END.
      size_t at = 0;
      size_t blocks = 0;
      while (msg.substr(at).starts_with("VALUE")) {
        const std::string_view line = line_at(msg, at);
        const auto tokens = split_runs(line, line.size(), is_space);
        FUZZ_CHECK(tokens.size() >= 4 && tokens[0] == Pos(0, 5));
        for (size_t i : {2, 4}) {  // flags, cas
          uint64_t n = 0;
          if (i < tokens.size()) {
            FUZZ_CHECK(read_digits(line.substr(tokens[i].first, tokens[i].second), UINT64_MAX, &n));
          }
        }
        const size_t end = block_at(msg, at, 3, 4, 5);
        if (record) {
          FUZZ_CHECK(blocks < r.values.size());
          const auto& [block, key] = r.values[blocks];
          FUZZ_CHECK(block == Pos(at, end - at));
          FUZZ_CHECK(key == Pos(at + tokens[1].first, tokens[1].second));
        }
        ++blocks;
        at = end;
      }
      FUZZ_CHECK(blocks > 0);
      FUZZ_CHECK(msg.substr(at) == "END\r\n");
      FUZZ_CHECK(r.values.size() == (record ? blocks : 0));
      return r;
    }
    FUZZ_CHECK(r.values.empty());
    if (first.starts_with("VA ")) {
      FUZZ_CHECK(block_at(msg, 0, 1, 2, SIZE_MAX) == msg.size());
      return r;
    }
    FUZZ_CHECK(first != "VALUE" && first != "VA");
    FUZZ_CHECK(msg.size() == first.size() + 2);
    return r;
  }

  void describe(std::FILE* out, const Reply& r) const {
    std::fprintf(out, "%s values=[", r.is_error_reply ? " error-reply" : "");
    for (const auto& [block, key] : r.values) {
      std::fprintf(out, " %llu+%llu(key %llu+%llu)", static_cast<unsigned long long>(block.first),
                   static_cast<unsigned long long>(block.second),
                   static_cast<unsigned long long>(key.first),
                   static_cast<unsigned long long>(key.second));
    }
    std::fprintf(out, " ]");
  }
};

}  // namespace
}  // namespace walnut::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using walnut::fuzz::ResponseProtocol;
  static const ResponseProtocol kDefault{};
  static const ResponseProtocol kRecording{{}, true};
  static const ResponseProtocol kSmall{{.max_value = 16, .max_line = 24}, true};
  walnut::fuzz::fuzz_parser(kDefault, data, size);
  walnut::fuzz::fuzz_parser(kRecording, data, size);
  walnut::fuzz::fuzz_parser(kSmall, data, size);
  return 0;
}
