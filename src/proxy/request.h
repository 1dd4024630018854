// Request: a proto::Msg on its way through the proxy: who waits for its
// reply, which server connection holds it, its deadline, and the hooks of
// the two queues it sits on (its client's, so that replies leave in request
// order, and while in flight one server connection's).
//
// A reply has one way back: whoever completes a request (the server
// connection that read its reply, or the code that answers it with an
// error) marks it done and hands it to its ReplyWaiter; with no waiter (its
// client left, or the request is walnut's own) it is freed. The waiter is
// the client connection, or, for a fragment of a split request, the
// fragment join of its parent.
#pragma once

#include <cstdint>

#include "common/intrusive_list.h"
#include "proto/msg.h"

namespace walnut::proxy {

class ServerConn;
struct Request;

// Who waits for a request's reply.
class ReplyWaiter {
 public:
  // `request` is done: its reply (or error) is in `request->reply`.
  virtual void on_reply(Request* request) = 0;

 protected:
  ~ReplyWaiter() = default;
};

// What a request is, for the server connection that carries it: a client's
// (counted in the stats, answered to its waiter) or walnut's own.
enum class RequestKind : uint8_t {
  client,
  setup,         // AUTH and SELECT sent first on every server connection
  health_check,  // the probe of an ejected server
  placeholder,   // stands where a timed-out request stood, for its late reply
  transaction,   // MULTI or DISCARD walnut sends for a client's transaction
  take_back,     // UNSUBSCRIBE walnut sends for names of a client's failed subscription
  asking,        // ASKING walnut sends before a request an ASK redirect sent on (Redis Cluster)
  slot_map,      // CLUSTER SLOTS walnut sends to learn the cluster's slot map
  sentinel,      // a question walnut asks a Redis Sentinel, or its subscription
  message,       // a published message in its client's queue (on no server connection)
};

class ClientPins;

// Who makes one reply of a split request's parts once all have theirs:
// the Forwarder (the protocol's merges), or a client's Subscriptions.
class JoinOwner {
 public:
  virtual void fragments_joined(Request* parent) = 0;

 protected:
  ~JoinOwner() = default;
};

// The parent of a split request waits for its fragments here: the last
// reply lets its owner merge them into the parent's reply.
class FragmentJoin final : public ReplyWaiter {
 public:
  void wait_for(JoinOwner* owner, Request* parent, uint32_t fragments) {
    owner_ = owner;
    parent_ = parent;
    pending_ = fragments;
  }
  bool waiting() const { return pending_ > 0; }
  void on_reply(Request* fragment) override;

 private:
  JoinOwner* owner_ = nullptr;
  Request* parent_ = nullptr;
  uint32_t pending_ = 0;
};

// The proxy's part of a request: what it is, who waits for its reply, where
// it is queued and how far it got. Plain values with their blank state as
// initializers, so that recycling resets them all in one assignment and a new
// field cannot be forgotten there.
struct RequestState {
  RequestKind kind = RequestKind::client;
  bool done = false;         // the reply is complete
  bool close_after = false;  // close the client once this reply is written
  ReplyWaiter* waiter = nullptr;
  ServerConn* server = nullptr;  // while queued on a server connection
  // The client's own server connections (proxy/client_pins.h), set while it
  // has any: a request to a server it has one to goes there, behind what
  // the client sent there before.
  ClientPins* pins = nullptr;
  // When the request times out (monotonic ms); kNoDeadline for none.
  static constexpr uint64_t kNoDeadline = UINT64_MAX;
  // For a placeholder, `deadline` is when its connection is given up on
  // unless something was read from it since `server_reads` was taken.
  uint64_t deadline = kNoDeadline;
  uint64_t server_reads = 0;
  uint64_t arrived_us = 0;  // monotonic, when metrics are on
  // Context::request_clock() when walnut read it (a client's request): what
  // a connection took after it came later (ServerConn::took_nothing_since).
  uint64_t read_tick = 0;
  // What the request owes the process-wide budget until it is written to a
  // server or dropped (0 for a small one; see request_budget.h).
  uint64_t budget_charge = 0;
  // Replies the server sends to it: more than one for a subscription
  // command with several channels (one confirmation each), gathered into
  // `reply` in order; an error reply ends it at once.
  uint32_t replies_expected = 1;
  // What a subscription part does to its server connection's push mode,
  // in the order the server answers: kStarts when it subscribes (messages
  // may follow its first confirmation), kEnds when it leaves the
  // connection with no subscription (no message after its last).
  enum class Push : uint8_t { kNone, kStarts, kEnds };
  Push push = Push::kNone;
  // Redirects (Redis Cluster's MOVED, ASK, TRYAGAIN) it followed so far.
  uint32_t redirects = 0;
  // Sent last with ASKING before it (an ASK redirect): a TRYAGAIN from
  // that node is sent again the same way.
  bool sent_asking = false;
  // Waiting, on no server connection, to be sent again (TRYAGAIN): its
  // client must not free it when it leaves.
  bool parked = false;
  // A transaction's request or a subscription's part: what it builds lives
  // on its server, so its answer, a redirect too, is the client's.
  bool bound_to_server = false;
  // Its client WATCHes keys: a read goes to the master whatever the
  // read_policy, or a replica that lags would let EXEC write over a value
  // the client never saw.
  bool reads_master = false;
  uint64_t request_sent = 0;  // bytes of `request` written to the server
  uint64_t reply_sent = 0;    // bytes of `reply` written to the client
  FragmentJoin join;          // a split request's wait for its fragments
};

struct Request : proto::Msg, RequestState {
  ListHook client_hook;
  ListHook server_hook;

  bool internal() const { return kind != RequestKind::client; }
  // A fragment of a split request: the protocol keeps them as Msgs.
  Request* fragment(size_t i) const { return static_cast<Request*>(fragments[i]); }

  // Back to a blank request, off both queues, keeping the Msg's capacity.
  void recycle() {
    proto::Msg::recycle();
    static_cast<RequestState&>(*this) = RequestState();
  }
};

class Context;

// Marks `request` done and hands it to its waiter; frees it when nobody
// waits. Whatever completes a request calls this, and nothing else.
void deliver(Context& ctx, Request* request);

using ClientQueue = IntrusiveList<Request, &Request::client_hook>;
using ServerQueue = IntrusiveList<Request, &Request::server_hook>;

}  // namespace walnut::proxy
