// Msg: what the protocol knows of one request: its bytes and what the
// parser and the command table found in them, and, once it has one, its
// reply. Where the request goes and who waits for it is the proxy's
// (proxy/request.h), which this room does not know.
//
// A request's bytes are slices of the mbufs its client connection read into
// (no copy); its reply is the backend's response (slices of the server
// connection's mbufs), a local reply, or an error reply that names the cause.
#pragma once

#include <cstdint>
#include <vector>

#include "buffer/mbuf_chain.h"
#include "proto/parse.h"

namespace walnut::proto {

struct CommandInfo;

// A Msg's plain values: they reset by one assignment, so a new one cannot be
// forgotten by recycle().
struct MsgValues {
  const CommandInfo* command = nullptr;  // the command table's row
  bool reply_is_error = false;
  bool silent = false;  // the client asked for no reply (noreply)

  // SCAN over a pool: the client's cursor (from classify()), and the server
  // it points into among how many (from the proxy); see proto/scan_cursor.h.
  struct Cursor {
    uint64_t value = 0;
    uint32_t server = 0;
    uint32_t servers = 0;
  };
  Cursor cursor;

  // A command that may block (BLPOP, XREAD BLOCK): how long it may, by its
  // own arguments, in ms; kBlockForever for no end. 0 for every other.
  static constexpr uint64_t kBlockForever = UINT64_MAX;
  uint64_t block_ms = 0;
};

struct Msg : MsgValues {
  // The request as received, and what the parser found in it.
  buffer::MbufChain request;
  std::vector<Span> tokens;
  std::vector<Span> keys;  // the keys to route by, filled by classify()

  // The reply to send to the client.
  buffer::MbufChain reply;

  // A request split over servers: its fragments, one per server, in the
  // order the protocol merges their replies; for each of its keys, which
  // fragment carries it and at which position among that fragment's keys.
  std::vector<Msg*> fragments;
  struct KeyPlace {
    uint32_t fragment;
    uint32_t position;
  };
  std::vector<KeyPlace> key_places;

  // Back to a blank state. The containers are emptied, not replaced, to keep
  // their capacity for reuse; the static_assert below fails when a member is
  // added here without being emptied here.
  void recycle() {
    static_cast<MsgValues&>(*this) = MsgValues{};
    request.clear();
    tokens.clear();
    keys.clear();
    reply.clear();
    fragments.clear();
    key_places.clear();
  }
};

static_assert(sizeof(Msg) == sizeof(MsgValues) + 2 * sizeof(buffer::MbufChain) +
                                 2 * sizeof(std::vector<Span>) + sizeof(std::vector<Msg*>) +
                                 sizeof(std::vector<Msg::KeyPlace>),
              "a member added to Msg must be emptied in recycle() and counted here");

}  // namespace walnut::proto
