// crc32 and crc32a as twemproxy 0.5.0 computes them.
//
// Both run the standard reflected CRC-32 (polynomial 0xedb88320, initial and
// final xor 0xffffffff). They differ only in what they return:
// - crc32 keeps libmemcached's historical result, bits 16..30 of the CRC
//   ((crc >> 16) & 0x7fff), so it only ever yields 0..32767;
// - crc32a returns the full CRC-32 (the value zlib's crc32() gives).
#include <array>

#include "hash/functions.h"

namespace walnut::hash {

namespace {

constexpr std::array<uint32_t, 256> make_table() {
  std::array<uint32_t, 256> table{};
  for (uint32_t i = 0; i < 256; i++) {
    uint32_t crc = i;
    for (int bit = 0; bit < 8; bit++) {
      crc = (crc & 1) ? (crc >> 1) ^ 0xedb88320U : crc >> 1;
    }
    table[i] = crc;
  }
  return table;
}

constexpr std::array<uint32_t, 256> kTable = make_table();

uint32_t full_crc32(const char* key, size_t len) {
  uint32_t crc = 0xffffffffU;
  for (size_t i = 0; i < len; i++) {
    const uint8_t byte = static_cast<uint8_t>(key[i]);
    crc = (crc >> 8) ^ kTable[(crc ^ byte) & 0xff];
  }
  return ~crc;
}

}  // namespace

uint32_t crc32(const char* key, size_t len) {
  return (full_crc32(key, len) >> 16) & 0x7fff;
}

uint32_t crc32a(const char* key, size_t len) { return full_crc32(key, len); }

}  // namespace walnut::hash
