// The words of the errors that more than one parser reports, defined once.
// Clients see them in error replies and operators in logs (and tests check
// them): they must not change.
#pragma once

#include <string_view>

namespace walnut::proto {

// A line (a reply's, in RESP and memcached alike) not ended by CRLF.
inline constexpr std::string_view kBadLineEnd = "expected CRLF at end of line";
// RESP: the bytes after a bulk string's payload are not CRLF.
inline constexpr std::string_view kBadPayloadEnd = "expected CRLF after bulk payload";
// RESP: a bulk string's length that breaks the grammar or the limit.
inline constexpr std::string_view kBadBulkLength = "invalid bulk length";
// memcached's words: a data block not ended by CRLF, or a bad length.
inline constexpr std::string_view kBadDataChunk = "bad data chunk";
// memcached's words: a line past the limit.
inline constexpr std::string_view kLineTooLong = "line too long";
// A request whose announced length is over the pool's max_request_size.
inline constexpr std::string_view kRequestTooLarge =
    "request larger than the pool's max_request_size";

}  // namespace walnut::proto
