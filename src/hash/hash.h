// Key hash functions, bit-for-bit as twemproxy (nutcracker 0.5.0) computes
// them, looked up by their configuration names: a pool names its hash in the
// configuration, so a name is all the rest of walnut needs. Every function is
// pure and allocation-free.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace walnut::hash {

using HashFunction = uint32_t(const char* key, size_t len);
using HashFn = HashFunction*;

// The function for a config name ("fnv1a_64", "md5", ...), or nullptr.
HashFn find(std::string_view name);

// Names of every supported hash, in twemproxy's documentation order.
const std::string_view* names(size_t* count);

}  // namespace walnut::hash
