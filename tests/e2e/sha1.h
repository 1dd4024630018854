// SHA-1 for the end-to-end tests: the sha that EVALSHA names a script by,
// computed here so that Redis can be checked against it.
#pragma once

#include <string>

namespace walnut::e2e {

// The SHA-1 of `text` as 40 lowercase hex digits.
std::string sha1_hex(const std::string& text);

}  // namespace walnut::e2e
