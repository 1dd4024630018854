// crc16 as twemproxy 0.5.0 computes it: CRC-16/XMODEM (polynomial 0x1021,
// initial value 0, no reflection) stepped in a 32-bit register that is never
// masked back to 16 bits.
//
// Because the register is not masked, bits shifted past bit 15 stay and the
// returned value is usually larger than 0xffff. The low 16 bits equal the
// textbook CRC-16/XMODEM; the whole 32 bits are what modula and ketama see,
// so we return them unmasked like nutcracker does.
#include <array>

#include "hash/functions.h"

namespace walnut::hash {

namespace {

constexpr std::array<uint16_t, 256> make_table() {
  std::array<uint16_t, 256> table{};
  for (uint32_t i = 0; i < 256; i++) {
    uint32_t crc = i << 8;
    for (int bit = 0; bit < 8; bit++) {
      crc = (crc & 0x8000) ? (crc << 1) ^ 0x1021 : crc << 1;
    }
    table[i] = static_cast<uint16_t>(crc);
  }
  return table;
}

constexpr std::array<uint16_t, 256> kTable = make_table();

}  // namespace

uint32_t crc16(const char* key, size_t len) {
  uint32_t crc = 0;
  for (size_t i = 0; i < len; i++) {
    const uint8_t byte = static_cast<uint8_t>(key[i]);
    crc = (crc << 8) ^ kTable[((crc >> 8) ^ byte) & 0xff];
  }
  return crc;
}

}  // namespace walnut::hash
