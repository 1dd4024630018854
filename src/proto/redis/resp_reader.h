// RespReader: a cursor over one complete RESP2 reply that walnut asked for
// itself (a slot map, a Sentinel's answer, a message published to it): the
// response parser has framed it already; this reads its arrays, integers
// and bulk strings in order, and skips any value (a field walnut does not
// use, or one a later Redis adds).
#pragma once

#include <charconv>
#include <cstdint>
#include <string_view>

namespace walnut::redis {

class RespReader {
 public:
  explicit RespReader(std::string_view text) : text_(text) {}

  bool array(int64_t* count) { return header('*', count) && *count >= 0; }
  // An array, or the null array (*-1): then `*null`, and `*count` is 0.
  bool array_or_null(int64_t* count, bool* null) {
    if (!header('*', count) || *count < -1) return false;
    *null = *count == -1;
    if (*null) *count = 0;
    return true;
  }
  bool integer(int64_t* value) { return header(':', value); }
  // A bulk string; `*null` when it is the null bulk ($-1).
  bool bulk(std::string_view* value, bool* null) {
    int64_t len = 0;
    if (!header('$', &len)) return false;
    *null = len < 0;
    if (*null) return len == -1;
    if (text_.size() - pos_ < static_cast<size_t>(len) + 2) return false;
    *value = text_.substr(pos_, static_cast<size_t>(len));
    pos_ += static_cast<size_t>(len);
    return take_crlf();
  }
  // Skips one value of any type, nested arrays included (bounded by depth).
  bool skip(int depth = 0) {
    if (pos_ >= text_.size() || depth > 8) return false;
    switch (text_[pos_]) {
      case '+':
      case '-': return line(text_[pos_]).data() != nullptr;
      case ':': {
        int64_t v = 0;
        return integer(&v);
      }
      case '$': {
        std::string_view v;
        bool null = false;
        return bulk(&v, &null);
      }
      case '*': {
        int64_t n = 0;
        if (!header('*', &n)) return false;
        for (int64_t i = 0; i < n; ++i) {
          if (!skip(depth + 1)) return false;
        }
        return true;
      }
      default: return false;
    }
  }
  bool at_end() const { return pos_ == text_.size(); }

 private:
  // The rest of a line that opens with `type`, its CRLF taken; null data
  // when there is none.
  std::string_view line(char type) {
    if (pos_ >= text_.size() || text_[pos_] != type) return {};
    const size_t end = text_.find("\r\n", pos_ + 1);
    if (end == std::string_view::npos) return {};
    std::string_view body = text_.substr(pos_ + 1, end - pos_ - 1);
    pos_ = end + 2;
    return body.empty() ? std::string_view("", 0) : body;
  }
  bool header(char type, int64_t* value) {
    std::string_view body = line(type);
    if (body.data() == nullptr || body.empty()) return false;
    auto [end, ec] = std::from_chars(body.data(), body.data() + body.size(), *value);
    return ec == std::errc() && end == body.data() + body.size();
  }
  bool take_crlf() {
    if (text_.substr(pos_, 2) != "\r\n") return false;
    pos_ += 2;
    return true;
  }

  std::string_view text_;
  size_t pos_ = 0;
};

}  // namespace walnut::redis
