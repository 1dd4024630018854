// NameIndex: finds a command table's row by name with one hash and one
// compare. Every request looks its command up, so a binary search of string
// compares (and per-byte tolower calls) showed up in the profile; this is an
// open-addressing table over the rows, built once.
#pragma once

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string_view>
#include <type_traits>

namespace walnut::proto {

// `NameOf(row)` gives a row's name (lower case when `kFoldCase`); lookups
// with kFoldCase ignore ASCII case. kSlots must be a power of two well above
// the row count, so that probe chains stay short.
template <typename Row, auto NameOf, bool kFoldCase, size_t kSlots = 512>
class NameIndex {
  static_assert((kSlots & (kSlots - 1)) == 0, "kSlots: a power of two");

 public:
  // `rows` must outlive the index: it keeps pointers to them.
  template <size_t N>
  explicit NameIndex(const Row (&rows)[N]) {
    static_assert(N * 2 <= kSlots, "too many rows for the table");
    for (const Row& row : rows) {
      std::string_view name = NameOf(row);
      if (name.size() > kMaxName) throw std::logic_error("command name too long for NameIndex");
      if (name.size() > longest_) longest_ = name.size();
      size_t at = hash(name) & (kSlots - 1);
      while (slots_[at] != nullptr) at = (at + 1) & (kSlots - 1);
      slots_[at] = &row;
    }
  }

  const Row* find(std::string_view name) const {
    if (name.empty() || name.size() > longest_) return nullptr;
    // Folded and hashed in one pass over the name's bytes.
    char folded[kMaxName];
    uint32_t h = kHashBasis;
    for (size_t i = 0; i < name.size(); ++i) {
      const auto c = static_cast<unsigned char>(name[i]);
      const unsigned char f = kFoldCase ? kLower[c] : c;
      folded[i] = static_cast<char>(f);
      h = (h ^ f) * kHashPrime;
    }
    const std::string_view key(folded, name.size());
    for (size_t at = h & (kSlots - 1);; at = (at + 1) & (kSlots - 1)) {
      const Row* row = slots_[at];
      if (row == nullptr) return nullptr;
      if (same(NameOf(*row), key)) return row;
    }
  }

 private:
  static constexpr size_t kMaxName = 32;

  // Names are short: a byte loop costs less than a call to memcmp.
  static bool same(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
      if (a[i] != b[i]) return false;
    }
    return true;
  }

  // FNV-1a: names are short, so a simple byte loop is as fast as anything.
  static constexpr uint32_t kHashBasis = 2166136261u;
  static constexpr uint32_t kHashPrime = 16777619u;
  static uint32_t hash(std::string_view name) {
    uint32_t h = kHashBasis;
    for (char c : name) h = (h ^ static_cast<unsigned char>(c)) * kHashPrime;
    return h;
  }

  // ASCII's upper case letters to lower case, every other byte as it is: a
  // load per byte instead of two compares.
  static constexpr std::array<unsigned char, 256> kLower = [] {
    std::array<unsigned char, 256> lower{};
    for (unsigned c = 0; c < 256; ++c) {
      lower[c] = static_cast<unsigned char>(c >= 'A' && c <= 'Z' ? c | 0x20 : c);
    }
    return lower;
  }();

  std::array<const Row*, kSlots> slots_{};
  size_t longest_ = 0;
};

// The row of the static table `kTable` named `name`, or nullptr. The index
// is built on the first lookup, once per table.
template <const auto& kTable, auto NameOf, bool kFoldCase>
const auto* find_by_name(std::string_view name) {
  using Row = std::remove_cvref_t<decltype(kTable[0])>;
  // A third full at most: most names are found in their first slot.
  constexpr size_t kRows = std::extent_v<std::remove_reference_t<decltype(kTable)>>;
  static const NameIndex<Row, NameOf, kFoldCase, std::bit_ceil(kRows * 3)> index(kTable);
  return index.find(name);
}

}  // namespace walnut::proto
