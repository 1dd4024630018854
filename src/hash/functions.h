// The key hashes by their C++ names, for the registry (registry.cc) and the
// files that define them: the rest of walnut asks hash::find() by name, as
// the configuration does. One file per family: fnv.cc holds the four FNVs,
// crc32.cc both CRC-32s.
#pragma once

#include "hash/hash.h"

namespace walnut::hash {

// Declared through their common type, so no two declarations can disagree.
HashFunction one_at_a_time, md5, crc16, crc32, crc32a, fnv1_64, fnv1a_64, fnv1_32, fnv1a_32,
    hsieh, murmur, jenkins;

}  // namespace walnut::hash
