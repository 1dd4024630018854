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

struct Msg {
  // The request as received, and what the parser found in it.
  buffer::MbufChain request;
  std::vector<Span> tokens;
  const CommandInfo* command = nullptr;
  std::vector<Span> keys;  // the keys to route by, filled by classify()

  // The reply to send to the client.
  buffer::MbufChain reply;
  bool reply_is_error = false;
  bool silent = false;  // the client asked for no reply (noreply)

  // A request split over servers: its fragments, one per server, in the
  // order the protocol merges their replies; for each of its keys, which
  // fragment carries it and at which position among that fragment's keys.
  std::vector<Msg*> fragments;
  struct KeyPlace {
    uint32_t fragment;
    uint32_t position;
  };
  std::vector<KeyPlace> key_places;

  // Back to a blank state, keeping the vectors' capacity for reuse.
  void recycle() {
    request.clear();
    tokens.clear();
    command = nullptr;
    keys.clear();
    reply.clear();
    reply_is_error = silent = false;
    fragments.clear();
    key_places.clear();
  }
};

}  // namespace walnut::proto
