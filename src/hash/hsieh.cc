// Paul Hsieh's SuperFastHash as twemproxy 0.5.0 computes it.
//
// 16-bit reads are little-endian from unsigned bytes, but in the three-byte
// tail the last byte is widened through a signed char (sign-extended) before
// the shift by 18; a one-byte tail is read unsigned. Both as nutcracker.
#include "hash/functions.h"

namespace walnut::hash {

namespace {

inline uint32_t get16(const char* p) {
  return static_cast<uint32_t>(static_cast<uint8_t>(p[0])) |
         (static_cast<uint32_t>(static_cast<uint8_t>(p[1])) << 8);
}

}  // namespace

uint32_t hsieh(const char* key, size_t len) {
  if (len == 0 || key == nullptr) return 0;

  uint32_t hash = 0;
  const size_t rem = len & 3;
  for (size_t blocks = len >> 2; blocks > 0; blocks--) {
    hash += get16(key);
    const uint32_t tmp = (get16(key + 2) << 11) ^ hash;
    hash = (hash << 16) ^ tmp;
    key += 4;
    hash += hash >> 11;
  }

  switch (rem) {
    case 3:
      hash += get16(key);
      hash ^= hash << 16;
      hash ^= static_cast<uint32_t>(static_cast<int32_t>(static_cast<signed char>(key[2]))) << 18;
      hash += hash >> 11;
      break;
    case 2:
      hash += get16(key);
      hash ^= hash << 11;
      hash += hash >> 17;
      break;
    case 1:
      hash += static_cast<uint8_t>(key[0]);
      hash ^= hash << 10;
      hash += hash >> 1;
      break;
    default:
      break;
  }

  // Final avalanche.
  hash ^= hash << 3;
  hash += hash >> 5;
  hash ^= hash << 4;
  hash += hash >> 17;
  hash ^= hash << 25;
  hash += hash >> 6;
  return hash;
}

}  // namespace walnut::hash
