#include "tests/e2e/stats_json.h"

#include <cctype>
#include <chrono>
#include <thread>

#include "tests/e2e/harness.h"

namespace walnut::e2e {
namespace {

class JsonReader {
 public:
  explicit JsonReader(const std::string& s) : s_(s) {}
  std::unique_ptr<Json> document() {
    auto v = value();
    space();
    if (v == nullptr || pos_ != s_.size()) return nullptr;
    return v;
  }

 private:
  void space() {
    while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_]))) ++pos_;
  }
  bool eat(char c) {
    space();
    if (pos_ < s_.size() && s_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  bool string(std::string* out) {
    if (!eat('"')) return false;
    while (pos_ < s_.size() && s_[pos_] != '"') {
      if (s_[pos_] == '\\') return false;  // the stats object needs no escapes
      out->push_back(s_[pos_++]);
    }
    return eat('"');
  }
  std::unique_ptr<Json> value() {
    space();
    auto v = std::make_unique<Json>();
    if (pos_ >= s_.size()) return nullptr;
    if (s_[pos_] == '"') {
      v->kind = Json::kString;
      return string(&v->text) ? std::move(v) : nullptr;
    }
    if (std::isdigit(static_cast<unsigned char>(s_[pos_]))) {
      v->kind = Json::kNumber;
      while (pos_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[pos_]))) {
        v->number = v->number * 10 + static_cast<unsigned>(s_[pos_++] - '0');
      }
      return v;
    }
    if (!eat('{')) return nullptr;
    if (eat('}')) return v;
    do {
      std::string key;
      if (!string(&key) || !eat(':')) return nullptr;
      auto member = value();
      if (member == nullptr) return nullptr;
      v->members.emplace_back(key, std::move(member));
    } while (eat(','));
    return eat('}') ? std::move(v) : nullptr;
  }

  const std::string& s_;
  size_t pos_ = 0;
};

}  // namespace

const Json* Json::get(const std::string& key) const {
  for (const auto& [k, v] : members) {
    if (k == key) return v.get();
  }
  return nullptr;
}

std::unique_ptr<Json> parse_stats_json(const std::string& text) {
  return JsonReader(text).document();
}

unsigned long long number_at(const Json& doc, const std::vector<std::string>& path) {
  const Json* j = &doc;
  for (const std::string& key : path) {
    j = j->get(key);
    if (j == nullptr) return 0;
  }
  return j->kind == Json::kNumber ? j->number : 0;
}

StatsSnapshot read_stats_until(int port, const std::function<bool(const Json&)>& done) {
  StatsSnapshot s;
  wait_until([&] {
    s.text = read_stats(port);
    s.doc = parse_stats_json(s.text);
    return s.doc != nullptr && done(*s.doc);
  }, std::chrono::seconds(10));
  return s;
}

unsigned long long await_stat(int port, const std::vector<std::string>& path,
                              unsigned long long least) {
  unsigned long long value = 0;
  read_stats_until(port, [&](const Json& doc) { return (value = number_at(doc, path)) >= least; });
  return value;
}

}  // namespace walnut::e2e
