// The Redis Cluster hash slot of a key, computed here in the test code and
// not taken from walnut's: a mistake in walnut's cannot then agree with
// itself. Checked against CLUSTER KEYSLOT in redis_cluster_test.
#pragma once

#include <cstdint>
#include <string>

namespace walnut::e2e {

constexpr int kClusterSlots = 16384;

// CRC16/XMODEM (polynomial 0x1021, initial value 0, no reflection): the
// checksum Redis Cluster hashes keys with.
uint16_t crc16_xmodem(const std::string& bytes);

// The part of a key that is hashed: what lies between the first '{' and
// the first '}' after it, when that is not empty; otherwise the whole key.
std::string hashed_part(const std::string& key);

// crc16_xmodem(hashed_part(key)) mod 16384.
int key_slot(const std::string& key);

// A key "<prefix><n>" in `slot`, for the smallest such n (a few tens of
// thousands of tries at most); used in braces it is a hash tag that puts
// any number of keys in that slot. Throws when none is found.
std::string key_in_slot(int slot, const std::string& prefix = "");

}  // namespace walnut::e2e
