// The Redis side of proto::Protocol: RESP parsers, the command table, local
// replies (PING, ECHO, QUIT, AUTH, SELECT), error replies, splitting
// multi-key requests per server and merging their replies.
#pragma once

#include <string>
#include <vector>

#include "proto/merge_scratch.h"
#include "proto/protocol.h"
#include "proto/redis/connection_commands.h"
#include "proto/redis/request_parser.h"
#include "proto/redis/response_parser.h"

namespace walnut::redis {

// The merges' scratch (proto/merge_scratch.h): array elements, and the part
// RANDOMKEY looks at first, which turns with each merge.
struct MergeScratch : proto::MergeScratch<ResponseParser, proto::Span> {
  using proto::MergeScratch<ResponseParser, proto::Span>::MergeScratch;
  uint32_t turn = 0;
};

// What a pool's configuration asks of the protocol.
struct PoolOptions {
  std::string auth;  // redis_auth: clients must AUTH with it; sent to servers
  int db = 0;        // redis_db: selected on every server connection
  bool allow_flush = false;  // redis_allow_flush: FLUSHDB/FLUSHALL go to every server
  std::string user{};  // redis_user: the ACL user of `auth`; "" for Redis's "default"
};

// What a new server connection sends first, for `options`: AUTH (with
// the user when there is one), then SELECT.
std::vector<std::string> handshake_for(const PoolOptions& options);

class RedisProtocol final
    : public proto::ProtocolWithParsers<RequestParser, RequestLimits, ResponseParser, ResponseLimits> {
 public:
  explicit RedisProtocol(buffer::MbufPool& mbufs, const PoolOptions& options = {},
                         const RequestLimits& request_limits = {},
                         const ResponseLimits& response_limits = {});

  // proto::Protocol's verbs, whose parameters are named and explained there.
  proto::Action classify(proto::Msg&, proto::ClientSession&) const override;
  // INFO's form: Redis's sections of "name:value" lines in one bulk string,
  // those the INFO request in `msg` names (see info_reply.h).
  void stats_reply(proto::Msg&, const proto::StatLines&) const override;
  void build_fragment(const proto::Msg&, const std::vector<uint32_t>&, proto::Msg&) const override;
  void build_cursor_part(const proto::Msg&, uint64_t, proto::Msg&) const override;
  void build_everywhere_part(const proto::Msg&, proto::Msg&) const override;
  bool stats_need_servers(const proto::Msg&) const override;
  bool merges_alone(const proto::Msg&) const override;
  void coalesce(proto::Msg&) const override;
  proto::TransactionStep transaction_step(const proto::Msg&) const override;
  // Pub/sub (pubsub.cc).
  proto::SubscriptionStep subscription_step(const proto::Msg&) const override;
  void subscription_request(proto::SubscriptionStep, const std::vector<std::string>&,
                            proto::Msg&) const override;
  void subscription_reply(proto::Msg&, proto::SubscriptionStep, const std::string*,
                          uint64_t) const override;
  bool is_push_message(const buffer::MbufChain&) const override;
  bool push_subject(const buffer::MbufChain&, proto::SubscriptionStep::Family*,
                    std::string*) const override;

 private:
  proto::Action local_reply(proto::Msg& msg, proto::ClientSession& session) const;
  void auth_reply(proto::Msg& msg, proto::ClientSession& session) const;
  // The pool as HELLO and CLIENT describe it.
  SessionPool session_pool() const;
  void select_reply(proto::Msg& msg) const;
  proto::Action cursor_request(proto::Msg& msg) const;
  proto::Action blocking(proto::Msg& msg, const proto::ClientSession& session) const;
  // False, with Redis's error in msg.reply, for a command a subscribed
  // client may not send.
  bool allowed_when_subscribed(proto::Msg& msg) const;
  // PUBSUB's row for its subcommand ("pubsub|channels"), or nullptr with
  // an error reply.
  const proto::CommandInfo* pubsub_subcommand(proto::Msg& msg) const;
  // COMMAND with a subcommand, by the subcommand's row ("command|info").
  proto::Action command_request(proto::Msg& msg, proto::ClientSession& session) const;
  // COMMAND's parts' answer, kept to the commands walnut carries.
  void merge_supported(proto::Msg& parent) const;
  bool find_keys(proto::Msg& msg) const;
  // INFO's sections as the client named them, lower case.
  std::vector<std::string> info_sections(const proto::Msg& msg) const;
  // INFO's reply: walnut's sections (in parent.reply) and the Keyspace the
  // servers' "INFO keyspace" parts add up to.
  void merge_keyspace(proto::Msg& parent) const;

  PoolOptions options_;
  mutable MergeScratch merge_scratch_;
};

}  // namespace walnut::redis
