// Hash functions by their twemproxy configuration names. The order of the
// table is twemproxy's documentation order, which names() exposes.
#include <array>

#include "hash/functions.h"
#include "hash/hash.h"

namespace walnut::hash {

namespace {

struct Entry {
  std::string_view name;
  HashFn fn;
};

constexpr std::array<Entry, 12> kEntries = {{
    {"one_at_a_time", one_at_a_time},
    {"md5", md5},
    {"crc16", crc16},
    {"crc32", crc32},
    {"crc32a", crc32a},
    {"fnv1_64", fnv1_64},
    {"fnv1a_64", fnv1a_64},
    {"fnv1_32", fnv1_32},
    {"fnv1a_32", fnv1a_32},
    {"hsieh", hsieh},
    {"murmur", murmur},
    {"jenkins", jenkins},
}};

constexpr std::array<std::string_view, kEntries.size()> make_names() {
  std::array<std::string_view, kEntries.size()> out{};
  for (size_t i = 0; i < kEntries.size(); i++) out[i] = kEntries[i].name;
  return out;
}

constexpr std::array<std::string_view, kEntries.size()> kNames = make_names();

}  // namespace

HashFn find(std::string_view name) {
  for (const Entry& e : kEntries) {
    if (e.name == name) return e.fn;
  }
  return nullptr;
}

const std::string_view* names(size_t* count) {
  if (count != nullptr) *count = kNames.size();
  return kNames.data();
}

}  // namespace walnut::hash
