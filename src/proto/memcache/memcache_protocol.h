// The memcached side of proto::Protocol: the ASCII and meta commands through
// the same machinery as Redis. Multi-key retrievals (get, gets, gat, gats)
// are split per server and merged back in key order with one END; noreply
// requests are forwarded without "noreply" so that every request still has
// a reply to pair with, and that reply is dropped.
#pragma once

#include "proto/memcache/request_parser.h"
#include "proto/memcache/response_parser.h"
#include "proto/protocol.h"

namespace walnut::memcache {

class MemcacheProtocol final : public proto::Protocol {
 public:
  explicit MemcacheProtocol(const RequestLimits& request_limits = {},
                            const ResponseLimits& response_limits = {})
      : Protocol({.error = "SERVER_ERROR ",
                  .protocol_error = "CLIENT_ERROR ",
                  .health_check = "version\r\n",
                  .handshake = {}}),
        request_limits_(request_limits),
        response_limits_(response_limits) {}

  std::unique_ptr<proto::RequestParser> new_request_parser() const override;
  std::unique_ptr<proto::ResponseParser> new_response_parser() const override;
  void stats_reply(proto::Msg& msg,
                   const std::vector<std::pair<std::string, std::string>>& stats,
                   buffer::MbufPool& pool) const override;
  proto::Action classify(proto::Msg& msg, proto::ClientSession& session,
                         buffer::MbufPool& pool) const override;
  void build_fragment(const proto::Msg& parent,
                      const std::vector<uint32_t>& key_indexes,
                      proto::Msg& fragment,
                      buffer::MbufPool& pool) const override;
  void coalesce(proto::Msg& parent, buffer::MbufPool& pool) const override;

 private:
  bool keys_ok(proto::Msg& msg, buffer::MbufPool& pool) const;
  proto::Action classify_local(proto::Msg& msg, const std::string& name,
                               buffer::MbufPool& pool) const;

  RequestLimits request_limits_;
  ResponseLimits response_limits_;
};

}  // namespace walnut::memcache
