// The four FNV variants as twemproxy 0.5.0 computes them.
//
// Quirks kept on purpose (placements depend on them):
// - every variant widens key bytes through a signed char, so bytes >= 0x80
//   are xor-ed in sign-extended;
// - fnv1_64 runs with the real 64-bit basis and prime and returns the low 32
//   bits of the 64-bit state;
// - fnv1a_64 is not 64-bit at all: it runs in a 32-bit accumulator seeded
//   with the 64-bit basis truncated (0x84222325) and multiplied by the
//   truncated 64-bit prime (0x000001b3).
#include "hash/functions.h"

namespace walnut::hash {

namespace {

constexpr uint64_t kFnv64Basis = 0xcbf29ce484222325ULL;
constexpr uint64_t kFnv64Prime = 0x100000001b3ULL;
constexpr uint32_t kFnv32Basis = 2166136261U;
constexpr uint32_t kFnv32Prime = 16777619U;

// A key byte as twemproxy sees it: char -> wider unsigned, sign-extending.
inline uint64_t widened(char c) {
  return static_cast<uint64_t>(static_cast<int64_t>(static_cast<signed char>(c)));
}

}  // namespace

uint32_t fnv1_64(const char* key, size_t len) {
  uint64_t h = kFnv64Basis;
  for (size_t i = 0; i < len; i++) {
    h *= kFnv64Prime;
    h ^= widened(key[i]);
  }
  return static_cast<uint32_t>(h);
}

uint32_t fnv1a_64(const char* key, size_t len) {
  uint32_t h = static_cast<uint32_t>(kFnv64Basis);
  const uint32_t prime = static_cast<uint32_t>(kFnv64Prime);
  // Unrolled: every request hashes its key, and the loop's own counting
  // cost as much as its multiply.
#pragma GCC unroll 4
  for (size_t i = 0; i < len; i++) {
    h ^= static_cast<uint32_t>(widened(key[i]));
    h *= prime;
  }
  return h;
}

uint32_t fnv1_32(const char* key, size_t len) {
  uint32_t h = kFnv32Basis;
  for (size_t i = 0; i < len; i++) {
    h *= kFnv32Prime;
    h ^= static_cast<uint32_t>(widened(key[i]));
  }
  return h;
}

uint32_t fnv1a_32(const char* key, size_t len) {
  uint32_t h = kFnv32Basis;
  for (size_t i = 0; i < len; i++) {
    h ^= static_cast<uint32_t>(widened(key[i]));
    h *= kFnv32Prime;
  }
  return h;
}

}  // namespace walnut::hash
