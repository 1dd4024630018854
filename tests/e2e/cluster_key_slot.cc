// The hash slot of a key (see cluster_key_slot.h).
#include "tests/e2e/cluster_key_slot.h"

#include <stdexcept>

namespace walnut::e2e {

uint16_t crc16_xmodem(const std::string& bytes) {
  // Bit by bit rather than by table: slower, but nothing to get wrong in a
  // table of 256 numbers.
  uint16_t crc = 0;
  for (unsigned char byte : bytes) {
    crc ^= static_cast<uint16_t>(byte << 8);
    for (int bit = 0; bit < 8; ++bit) {
      crc = (crc & 0x8000) != 0 ? static_cast<uint16_t>((crc << 1) ^ 0x1021)
                                : static_cast<uint16_t>(crc << 1);
    }
  }
  return crc;
}

std::string hashed_part(const std::string& key) {
  const size_t open = key.find('{');
  if (open == std::string::npos) return key;
  const size_t close = key.find('}', open + 1);
  // "{}" (an empty tag) and a '{' never closed both hash the whole key.
  if (close == std::string::npos || close == open + 1) return key;
  return key.substr(open + 1, close - open - 1);
}

int key_slot(const std::string& key) { return crc16_xmodem(hashed_part(key)) % kClusterSlots; }

std::string key_in_slot(int slot, const std::string& prefix) {
  // Each try lands in a given slot with odds 1/16384: a million tries all
  // missing it is as good as impossible, unless the prefix holds a tag.
  for (int n = 0; n < 1000000; ++n) {
    std::string key = prefix + std::to_string(n);
    if (key_slot(key) == slot) return key;
  }
  throw std::runtime_error("no key \"" + prefix + "<n>\" in slot " + std::to_string(slot));
}

}  // namespace walnut::e2e
