// Protocol: the verbs the proxy needs from a wire protocol. Redis and
// memcache each implement it in their own folder; the proxy never looks at
// protocol bytes itself.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "buffer/mbuf_pool.h"
#include "proto/client_session.h"
#include "proto/msg.h"
#include "proto/parse.h"
#include "proto/reply_line.h"

namespace walnut::proto {

// What the proxy does with a parsed request.
enum class Action : uint8_t {
  kForward,     // route by msg.keys (or anywhere when there are none); all
                // keys must live on one server
  kFragment,    // route by msg.keys; may be split per server
  kAllServers,  // one part to every server of the pool, merged by coalesce()
  kCursor,      // one part to the server msg.cursor.value names (SCAN)
  kReply,       // msg.reply holds a local reply
  kReplyClose,  // a local reply, then close the client (QUIT)
  kDiscard,     // nothing to answer (an empty inline line)
  kStats,       // answer with walnut's own statistics (see stats_reply)
  kTransaction, // MULTI, EXEC, DISCARD, WATCH (msg.keys), UNWATCH: the
                // proxy keeps the client's transaction (TransactionWords)
  kBlocking,    // route by msg.keys; may block for msg.block_ms, so it goes
                // on a server connection of the client's own
  kSubscription,  // (P|S)SUBSCRIBE, (P|S)UNSUBSCRIBE (channels in msg.keys):
                  // the proxy keeps the client's subscriptions
};

// Which subscription command a kSubscription request is.
struct SubscriptionStep {
  enum class Family : uint8_t { kChannel, kPattern, kShard };
  Family family = Family::kChannel;
  bool subscribe = true;  // else unsubscribe
};

// Which command of a transaction a kTransaction request is.
enum class TransactionStep : uint8_t { kMulti, kExec, kDiscard, kWatch, kUnwatch };

// What a protocol with transactions (Redis) sends and answers for them,
// each a whole line with its CRLF; empty for a protocol without.
struct TransactionWords {
  std::string multi;    // the request that opens a transaction on a server
  std::string discard;  // the request that drops it there
  std::string unwatch;  // the request that drops the watches there
  std::string ok;                     // MULTI's answer
  std::string queued;                 // a command's answer inside MULTI
  std::string nested;                 // MULTI inside MULTI
  std::string exec_without_multi;
  std::string discard_without_multi;
  std::string exec_abort;             // EXEC after an error at queue time
  std::string watch_in_multi;
};

// Statistics as (name, value) pairs, for stats_reply().
using StatLines = std::vector<std::pair<std::string, std::string>>;

class Protocol {
 public:
  virtual ~Protocol() = default;

  virtual std::unique_ptr<RequestParser> new_request_parser() const = 0;
  virtual std::unique_ptr<ResponseParser> new_response_parser() const = 0;

  // Looks at a complete request (msg.request, msg.tokens) and decides what
  // to do; fills msg.command and msg.keys, or msg.reply for a local reply.
  virtual Action classify(Msg& msg, ClientSession& session) const = 0;

  // Which step a request classify() marked kTransaction is.
  virtual TransactionStep transaction_step(const Msg& msg) const {
    (void)msg;
    return TransactionStep::kMulti;  // a protocol without transactions has none
  }

  // Pub/sub, for a protocol that has it (Redis); unused otherwise.
  virtual SubscriptionStep subscription_step(const Msg& msg) const {
    (void)msg;
    return {};
  }
  // Fills `part.request` with the step's command for `names`.
  virtual void subscription_request(SubscriptionStep step, const std::vector<std::string>& names,
                                    Msg& part) const {
    (void)step, (void)names, (void)part;
  }
  // Appends to msg.reply the confirmation of one (un)subscription: its name
  // (none: nullptr) and the client's count of subscriptions after it.
  virtual void subscription_reply(Msg& msg, SubscriptionStep step, const std::string* name,
                                  uint64_t count) const {
    (void)msg, (void)step, (void)name, (void)count;
  }
  // A reply read on a subscribed server connection: true for a message
  // (published, not an answer to a request).
  virtual bool is_push_message(const buffer::MbufChain& reply) const {
    (void)reply;
    return false;
  }
  // What a message (is_push_message) was published to: the family and
  // name of the subscription it came by (a pattern's message: the
  // pattern). False when `message` is none.
  virtual bool push_subject(const buffer::MbufChain& message, SubscriptionStep::Family* family,
                            std::string* name) const {
    (void)message, (void)family, (void)name;
    return false;
  }

  // Fills `fragment.request` with a request for the keys of `parent` whose
  // indexes (into parent.keys) are given, in that order.
  virtual void build_fragment(const Msg& parent, const std::vector<uint32_t>& key_indexes,
                              Msg& fragment) const = 0;
  // For a kAllServers request: fills `part` with what goes to each server
  // (by default `parent`'s own request, shared).
  virtual void build_everywhere_part(const Msg& parent, Msg& part) const {
    part.command = parent.command;
    part.request.append(parent.request, 0, parent.request.size());
  }
  // For a kAllServers request: true when its reply is made from the parts
  // even over one server (a lone server's own reply will not do).
  virtual bool merges_alone(const Msg& msg) const {
    (void)msg;
    return false;
  }
  // After stats_reply(): true when the reply also needs every server's part
  // (INFO's Keyspace); the proxy then sends `msg` as kAllServers and
  // coalesce() adds the servers' parts to walnut's own.
  virtual bool stats_need_servers(const Msg& msg) const {
    (void)msg;
    return false;
  }
  // Fills `part.request` with `parent`'s request whose cursor (its second
  // token) is `cursor`. Only for protocols whose classify() says kCursor.
  virtual void build_cursor_part(const Msg& parent, uint64_t cursor, Msg& part) const {
    (void)parent, (void)cursor, (void)part;
  }
  // Once every fragment has its reply: sets parent.reply to the reply the
  // client would have had from one server (or the first failure).
  virtual void coalesce(Msg& parent) const = 0;

  // Sets msg.reply to `stats` in the protocol's form, for a request
  // classify() marked kStats.
  virtual void stats_reply(Msg& msg, const StatLines& stats) const = 0;

  // The rest is data (Words), set by the protocol's constructor from what
  // the pool's configuration asks.

  // Requests a new server connection sends before any client's (AUTH,
  // SELECT); their replies are read and dropped.
  const std::vector<std::string>& handshake() const { return words_.handshake; }
  // The request that tells whether an ejected server is back (PING,
  // version): any reply but an error means yes.
  const std::string& health_check() const { return words_.health_check; }

  const TransactionWords& transaction() const { return words_.transaction; }
  // Sets msg.reply to `line`, one of transaction()'s answers; an error when
  // it begins like error replies do.
  void answer(Msg& msg, const std::string& line) const {
    msg.reply.clear();
    msg.reply.append_copy(mbufs_, line);
    msg.reply_is_error = !line.empty() && !words_.error.empty() && line[0] == words_.error[0];
  }

  // Sets msg.reply to an error reply naming `cause` ("Connection refused").
  void error_reply(Msg& msg, std::string_view cause) const {
    set_reply_line(msg, words_.error, cause, true, mbufs_);
  }
  // Sets msg.reply to the reply for malformed input (`what` from the parser).
  void protocol_error_reply(Msg& msg, std::string_view what) const {
    set_reply_line(msg, words_.protocol_error, what, true, mbufs_);
  }

 protected:
  // What a protocol says on its own, as data.
  struct Words {
    std::string_view error;           // opens an error reply (then the cause)
    std::string_view protocol_error;  // opens the reply to malformed input
    std::string health_check;
    std::vector<std::string> handshake;
    TransactionWords transaction;
  };
  Protocol(buffer::MbufPool& mbufs, Words words) : mbufs_(mbufs), words_(std::move(words)) {}

  // Where every reply and fragment the protocol writes gets its mbufs: the
  // process's one pool (proxy::Context::mbufs()), which outlives it.
  buffer::MbufPool& mbufs() const { return mbufs_; }

 private:
  buffer::MbufPool& mbufs_;
  Words words_;
};

// The part of a Protocol that only names its parsers: a `Request` made
// with `RequestLimits`, a `Response` with `ResponseLimits`.
template <typename Request, typename RequestLimits, typename Response, typename ResponseLimits>
class ProtocolWithParsers : public Protocol {
 public:
  std::unique_ptr<RequestParser> new_request_parser() const final {
    return std::make_unique<Request>(request_limits_);
  }
  std::unique_ptr<ResponseParser> new_response_parser() const final {
    return std::make_unique<Response>(response_limits_);
  }

 protected:
  ProtocolWithParsers(buffer::MbufPool& mbufs, Words words, const RequestLimits& request_limits,
                      const ResponseLimits& response_limits)
      : Protocol(mbufs, std::move(words)),
        request_limits_(request_limits),
        response_limits_(response_limits) {}

  RequestLimits request_limits_;
  ResponseLimits response_limits_;
};

}  // namespace walnut::proto
