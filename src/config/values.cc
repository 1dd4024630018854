// Scalar value rules for config keys; see values.h.
#include "config/values.h"

#include <array>
#include <climits>

namespace walnut::config {

namespace {

// Kept here rather than taken from src/hash so that config can be built and
// tested alone; the hash registry test checks the same twelve names.
constexpr std::array<std::string_view, 12> kHashNames = {
    "one_at_a_time", "md5",     "crc16",    "crc32", "crc32a", "fnv1_64",
    "fnv1a_64",      "fnv1_32", "fnv1a_32", "hsieh", "murmur", "jenkins",
};

constexpr std::array<std::string_view, 4> kDistributionNames = {
    "ketama",
    "modula",
    "random",
    "server_name",
};

template <size_t N>
bool contains(const std::array<std::string_view, N>& names, std::string_view name) {
  for (std::string_view n : names) {
    if (n == name) return true;
  }
  return false;
}

template <size_t N>
std::string join(const std::array<std::string_view, N>& names) {
  std::string out;
  for (std::string_view n : names) {
    if (!out.empty()) out += ", ";
    out += n;
  }
  return out;
}

}  // namespace

IntParse parse_non_negative_int(std::string_view text, int* out) {
  if (text.empty()) return IntParse::not_a_number;
  long long value = 0;
  bool too_large = false;
  for (char c : text) {
    if (c < '0' || c > '9') return IntParse::not_a_number;
    // Keep scanning after overflow so that "99999x" is reported as garbage,
    // not as too large.
    if (!too_large) {
      value = value * 10 + (c - '0');
      if (value > INT_MAX) too_large = true;
    }
  }
  if (too_large) return IntParse::too_large;
  *out = static_cast<int>(value);
  return IntParse::ok;
}

bool parse_bool(std::string_view text, bool* out) {
  if (text == "true") {
    *out = true;
    return true;
  }
  if (text == "false") {
    *out = false;
    return true;
  }
  return false;
}

bool is_hash_name(std::string_view name) { return contains(kHashNames, name); }

bool is_distribution_name(std::string_view name) { return contains(kDistributionNames, name); }

std::string hash_names_text() { return join(kHashNames); }

std::string distribution_names_text() { return join(kDistributionNames); }

}  // namespace walnut::config
