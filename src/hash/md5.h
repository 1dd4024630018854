// The MD5 digest (RFC 1321), for the md5 key hash and for ketama, which takes
// four points from each digest. Our own implementation: no OpenSSL, no
// allocation, usable on the hot path.
#pragma once

#include <cstddef>
#include <cstdint>

namespace walnut::hash {

// The 16-byte MD5 digest of key[0, len).
void md5_digest(const char* key, size_t len, uint8_t out[16]);

}  // namespace walnut::hash
