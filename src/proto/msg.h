// Msg: one request and, once it has one, its reply.
//
// A request's bytes are slices of the mbufs its client connection read into
// (no copy); its reply is the backend's response (slices of the server
// connection's mbufs), a local reply, or an error reply that names the cause.
// A Msg sits on two queues at once: its client's queue (replies leave in
// request order) and, while it is in flight, one server connection's queue.
#pragma once

#include <cstdint>
#include <vector>

#include "buffer/mbuf_chain.h"
#include "common/intrusive_list.h"
#include "proto/parse.h"

namespace walnut::proxy {
class ClientConn;
class ServerConn;
}  // namespace walnut::proxy

namespace walnut::proto {

struct CommandInfo;

struct Msg {
  uint64_t id = 0;

  // The request as received, and what the parser found in it.
  buffer::MbufChain request;
  std::vector<Span> tokens;
  const CommandInfo* command = nullptr;
  std::vector<Span> keys;  // the keys to route by, filled by classify()

  // The reply to send to the client. `done` once it is complete.
  buffer::MbufChain reply;
  bool done = false;
  bool reply_is_error = false;
  bool close_after = false;  // close the client once this reply is written
  bool internal = false;     // walnut's own request (AUTH, SELECT on connect)
  bool silent = false;       // the client asked for no reply (noreply)
  bool health_check = false; // walnut's probe of an ejected server
  bool placeholder = false;  // stands in for a timed-out request
  // When the request times out (monotonic ms); kNoDeadline for none.
  static constexpr uint64_t kNoDeadline = UINT64_MAX;
  // For a placeholder, `deadline` is when its connection is given up on
  // unless something was read from it since `server_reads` was taken.
  uint64_t deadline = kNoDeadline;
  uint64_t server_reads = 0;
  uint64_t arrived_us = 0;  // monotonic, when metrics are on
  // What the request owes the process-wide budget until it is written to a
  // server or dropped (0 for a small one; see proxy/request_budget.h).
  uint64_t budget_charge = 0;

  // Fragmentation: a parent waits for its fragments, which it owns. For
  // each of the parent's keys, `key_places` says which fragment carries it
  // and at which position among that fragment's keys.
  Msg* parent = nullptr;
  uint32_t fragments_pending = 0;
  std::vector<Msg*> fragments;
  struct KeyPlace {
    uint32_t fragment;
    uint32_t position;
  };
  std::vector<KeyPlace> key_places;

  // Where the request is. `client` is null once the client went away; the
  // server connection then drops the reply when it comes.
  proxy::ClientConn* client = nullptr;
  proxy::ServerConn* server = nullptr;
  uint64_t request_sent = 0;  // bytes of `request` written to the server
  uint64_t reply_sent = 0;    // bytes of `reply` written to the client

  ListHook client_hook;
  ListHook server_hook;

  // Back to a blank state, keeping the vectors' capacity for reuse.
  void recycle() {
    request.clear();
    tokens.clear();
    command = nullptr;
    keys.clear();
    reply.clear();
    done = reply_is_error = close_after = internal = silent = false;
    health_check = placeholder = false;
    deadline = kNoDeadline;
    server_reads = 0;
    arrived_us = 0;
    budget_charge = 0;
    parent = nullptr;
    fragments_pending = 0;
    fragments.clear();
    key_places.clear();
    client = nullptr;
    server = nullptr;
    request_sent = reply_sent = 0;
  }
};

using ClientQueue = IntrusiveList<Msg, &Msg::client_hook>;
using ServerQueue = IntrusiveList<Msg, &Msg::server_hook>;

}  // namespace walnut::proto
