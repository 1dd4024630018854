// Key hash functions, bit-for-bit as twemproxy (nutcracker 0.5.0) computes
// them, looked up by their configuration names. Every function is pure and
// allocation-free.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace walnut::hash {

using HashFn = uint32_t (*)(const char* key, size_t len);

// The function for a config name ("fnv1a_64", "md5", ...), or nullptr.
HashFn find(std::string_view name);

// Names of every supported hash, in twemproxy's documentation order.
const std::string_view* names(size_t* count);

uint32_t one_at_a_time(const char* key, size_t len);
uint32_t md5(const char* key, size_t len);
uint32_t crc16(const char* key, size_t len);
uint32_t crc32(const char* key, size_t len);
uint32_t crc32a(const char* key, size_t len);
uint32_t fnv1_64(const char* key, size_t len);
uint32_t fnv1a_64(const char* key, size_t len);
uint32_t fnv1_32(const char* key, size_t len);
uint32_t fnv1a_32(const char* key, size_t len);
uint32_t hsieh(const char* key, size_t len);
uint32_t murmur(const char* key, size_t len);
uint32_t jenkins(const char* key, size_t len);

}  // namespace walnut::hash
