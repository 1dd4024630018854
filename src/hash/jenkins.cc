// Bob Jenkins' lookup3 hashlittle() as twemproxy 0.5.0 computes it, with the
// initial value 13 that libmemcached chose (a = b = c = 0xdeadbeef + len + 13).
//
// nutcracker picks word, half-word or byte reads by the key's alignment; on a
// little-endian machine all three paths give the same value, so we read bytes
// (unsigned, little-endian) and never read past the key.
#include "hash/functions.h"

namespace walnut::hash {

namespace {

constexpr uint32_t kInitval = 13;

inline uint32_t rot(uint32_t x, int k) { return (x << k) | (x >> (32 - k)); }

inline void mix(uint32_t& a, uint32_t& b, uint32_t& c) {
  a -= c; a ^= rot(c, 4);  c += b;
  b -= a; b ^= rot(a, 6);  a += c;
  c -= b; c ^= rot(b, 8);  b += a;
  a -= c; a ^= rot(c, 16); c += b;
  b -= a; b ^= rot(a, 19); a += c;
  c -= b; c ^= rot(b, 4);  b += a;
}

inline void final_mix(uint32_t& a, uint32_t& b, uint32_t& c) {
  c ^= b; c -= rot(b, 14);
  a ^= c; a -= rot(c, 11);
  b ^= a; b -= rot(a, 25);
  c ^= b; c -= rot(b, 16);
  a ^= c; a -= rot(c, 4);
  b ^= a; b -= rot(a, 14);
  c ^= b; c -= rot(b, 24);
}

// Little-endian word from up to 4 bytes; missing high bytes count as zero,
// which is what lookup3's masked tail reads amount to.
inline uint32_t word(const uint8_t* p, size_t n) {
  uint32_t w = 0;
  for (size_t i = 0; i < n && i < 4; i++) w |= static_cast<uint32_t>(p[i]) << (8 * i);
  return w;
}

}  // namespace

uint32_t jenkins(const char* key, size_t len) {
  uint32_t a, b, c;
  a = b = c = 0xdeadbeefU + static_cast<uint32_t>(len) + kInitval;
  if (len == 0) return c;  // lookup3: zero-length keys skip the final mix

  const auto* k = reinterpret_cast<const uint8_t*>(key);
  while (len > 12) {
    a += word(k, 4);
    b += word(k + 4, 4);
    c += word(k + 8, 4);
    mix(a, b, c);
    len -= 12;
    k += 12;
  }

  // Last block of 1..12 bytes.
  a += word(k, len);
  if (len > 4) b += word(k + 4, len - 4);
  if (len > 8) c += word(k + 8, len - 8);
  final_mix(a, b, c);
  return c;
}

}  // namespace walnut::hash
