// The Redis side of proto::Protocol: RESP parsers, the command table, local
// replies (PING, ECHO, QUIT) and error replies.
#pragma once

#include "proto/protocol.h"
#include "proto/redis/request_parser.h"
#include "proto/redis/response_parser.h"

namespace walnut::redis {

class RedisProtocol final : public proto::Protocol {
 public:
  explicit RedisProtocol(const RequestLimits& request_limits = {},
                         const ResponseLimits& response_limits = {})
      : request_limits_(request_limits), response_limits_(response_limits) {}

  std::unique_ptr<proto::RequestParser> new_request_parser() const override;
  std::unique_ptr<proto::ResponseParser> new_response_parser() const override;
  proto::Action classify(proto::Msg& msg,
                         buffer::MbufPool& pool) const override;
  void error_reply(proto::Msg& msg, std::string_view cause,
                   buffer::MbufPool& pool) const override;
  void protocol_error_reply(proto::Msg& msg, std::string_view what,
                            buffer::MbufPool& pool) const override;

 private:
  proto::Action local_reply(proto::Msg& msg, buffer::MbufPool& pool) const;
  bool find_keys(proto::Msg& msg, buffer::MbufPool& pool) const;

  RequestLimits request_limits_;
  ResponseLimits response_limits_;
};

}  // namespace walnut::redis
