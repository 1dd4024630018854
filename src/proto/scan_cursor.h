// A pool-wide SCAN cursor: which server to ask next and that server's own
// cursor, in one number. The server's index takes the low bits (as many as
// the pool needs: none for one server, so that a one-server pool passes
// cursors through unchanged), the server's cursor the bits above them. A
// scan walks the servers in order: when one says 0 (done), the next starts
// at 0; after the last, the client gets 0.
#pragma once

#include <bit>
#include <cstdint>

namespace walnut::proto {

inline unsigned scan_index_bits(uint32_t servers) {
  return servers <= 1 ? 0 : static_cast<unsigned>(std::bit_width(servers - 1));
}

// The server a client's cursor points into (may be >= servers: invalid).
inline uint32_t scan_server(uint64_t cursor, uint32_t servers) {
  const unsigned bits = scan_index_bits(servers);
  return static_cast<uint32_t>(cursor & ((uint64_t{1} << bits) - 1));
}

// The cursor to send that server.
inline uint64_t scan_server_cursor(uint64_t cursor, uint32_t servers) {
  return cursor >> scan_index_bits(servers);
}

// The client's next cursor once `server` answered `server_next`; false when
// that cursor has no room beside the index (Redis's cursors stay far below:
// they count slots of a hash table).
inline bool scan_next(uint64_t server_next, uint32_t server, uint32_t servers, uint64_t* out) {
  const unsigned bits = scan_index_bits(servers);
  if (server_next == 0) {
    *out = server + 1 < servers ? server + 1 : 0;
    return true;
  }
  if (bits > 0 && (server_next >> (64 - bits)) != 0) return false;
  *out = (server_next << bits) | server;
  return true;
}

}  // namespace walnut::proto
