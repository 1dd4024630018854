// NameIndex: finds a command table's row by name with one hash and one
// compare. Every request looks its command up, so a binary search of string
// compares (and per-byte tolower calls) showed up in the profile; this is an
// open-addressing table over the rows, built once.
#pragma once

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
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
      if (name.empty()) continue;
      if (name.size() <= kShortName) {
        const uint64_t word = fold(pack(name));
        size_t at = short_slot(word, name.size());
        while (short_slots_[at].row != nullptr) at = (at + 1) & (kSlots - 1);
        short_slots_[at] = {word, &row};
        continue;
      }
      size_t at = hash(name) & (kSlots - 1);
      while (slots_[at] != nullptr) at = (at + 1) & (kSlots - 1);
      slots_[at] = &row;
    }
  }

  const Row* find(std::string_view name) const {
    if (name.empty() || name.size() > longest_) return nullptr;
    if (name.size() <= kShortName) {
      // Nearly every name: one word, folded in one go, hashed with one
      // multiply, compared with one compare (and its length).
      const uint64_t word = fold(pack(name));
      for (size_t at = short_slot(word, name.size());; at = (at + 1) & (kSlots - 1)) {
        const ShortSlot& slot = short_slots_[at];
        if (slot.row == nullptr) return nullptr;
        if (slot.word == word && NameOf(*slot.row).size() == name.size()) return slot.row;
      }
    }
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
  // Names this long or shorter are found by their bytes packed in a word.
  static constexpr size_t kShortName = 8;

  // The bytes of a name of 1 to 8 bytes in a word, without reading past
  // it: two overlapping loads (or three bytes) that put each byte in its
  // own place, the rest zero.
  static uint64_t pack(std::string_view name) {
    const auto* p = reinterpret_cast<const unsigned char*>(name.data());
    const size_t n = name.size();
    if constexpr (std::endian::native == std::endian::little) {
      if (n >= 4) {
        uint32_t low = 0;
        uint32_t high = 0;
        std::memcpy(&low, p, 4);
        std::memcpy(&high, p + n - 4, 4);
        return low | (static_cast<uint64_t>(high) << (8 * (n - 4)));
      }
      return p[0] | (static_cast<uint64_t>(p[n / 2]) << (8 * (n / 2))) |
             (static_cast<uint64_t>(p[n - 1]) << (8 * (n - 1)));
    } else {
      uint64_t word = 0;
      for (size_t i = 0; i < n; ++i) word |= static_cast<uint64_t>(p[i]) << (8 * i);
      return word;
    }
  }

  // ASCII upper case to lower case in all eight bytes at once (with
  // kFoldCase): a byte from 'A' to 'Z' has the top bit set once 0x3f is
  // added to it and clear once 0x25 is, which no other byte has; its 0x20
  // bit is then set. Bytes from 0x80 up are left alone, and adding to the
  // low seven bits cannot carry into the next byte.
  static uint64_t fold(uint64_t word) {
    if constexpr (!kFoldCase) return word;
    constexpr uint64_t kOnes = 0x0101010101010101ull;
    const uint64_t low7 = word & (kOnes * 0x7f);
    const uint64_t upper = ((low7 + kOnes * 0x3f) ^ (low7 + kOnes * 0x25)) & ~word & (kOnes * 0x80);
    return word | (upper >> 2);
  }

  // Fibonacci hashing: the multiply's top bits, which every byte reaches.
  static size_t short_slot(uint64_t word, size_t size) {
    constexpr int kBits = std::countr_zero(kSlots);
    return static_cast<size_t>(((word + size) * 0x9e3779b97f4a7c15ull) >> (64 - kBits));
  }

  struct ShortSlot {
    uint64_t word = 0;
    const Row* row = nullptr;
  };
  std::array<ShortSlot, kSlots> short_slots_{};

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
