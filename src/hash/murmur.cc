// MurmurHash2 as twemproxy 0.5.0 computes it.
//
// The seed is not a constant: twemproxy (after libmemcached) uses
// seed = 0xdeadbeef * len and starts from seed ^ len. Blocks are read as
// little-endian 32-bit words from unsigned bytes (nutcracker reads them with an
// unaligned load on x86; we assemble them byte by byte, same value, no UB).
#include "hash/functions.h"

namespace walnut::hash {

uint32_t murmur(const char* key, size_t len) {
  constexpr uint32_t m = 0x5bd1e995;
  constexpr int r = 24;
  const uint32_t len32 = static_cast<uint32_t>(len);
  const uint32_t seed = 0xdeadbeefU * len32;
  uint32_t h = seed ^ len32;

  const auto* data = reinterpret_cast<const uint8_t*>(key);
  while (len >= 4) {
    uint32_t k = static_cast<uint32_t>(data[0]) | (static_cast<uint32_t>(data[1]) << 8) |
                 (static_cast<uint32_t>(data[2]) << 16) | (static_cast<uint32_t>(data[3]) << 24);
    k *= m;
    k ^= k >> r;
    k *= m;
    h *= m;
    h ^= k;
    data += 4;
    len -= 4;
  }

  switch (len) {
    case 3:
      h ^= static_cast<uint32_t>(data[2]) << 16;
      [[fallthrough]];
    case 2:
      h ^= static_cast<uint32_t>(data[1]) << 8;
      [[fallthrough]];
    case 1:
      h ^= data[0];
      h *= m;
      break;
    default:
      break;
  }

  h ^= h >> 13;
  h *= m;
  h ^= h >> 15;
  return h;
}

}  // namespace walnut::hash
