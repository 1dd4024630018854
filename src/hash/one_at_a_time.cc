// Jenkins' one-at-a-time hash as twemproxy 0.5.0 computes it.
//
// twemproxy widens each byte through a plain (signed on x86) char, so bytes
// >= 0x80 enter the sum sign-extended (0xffffff80..0xffffffff). We keep that:
// placements of non-ASCII keys must match nutcracker's.
#include "hash/functions.h"

namespace walnut::hash {

uint32_t one_at_a_time(const char* key, size_t len) {
  uint32_t value = 0;
  for (size_t i = 0; i < len; i++) {
    value += static_cast<uint32_t>(static_cast<int32_t>(static_cast<signed char>(key[i])));
    value += value << 10;
    value ^= value >> 6;
  }
  value += value << 3;
  value ^= value >> 11;
  value += value << 15;
  return value;
}

}  // namespace walnut::hash
