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

class MemcacheProtocol final
    : public proto::ProtocolWithParsers<RequestParser, RequestLimits, ResponseParser, ResponseLimits> {
 public:
  explicit MemcacheProtocol(const RequestLimits& request_limits = {},
                            const ResponseLimits& response_limits = {})
      : ProtocolWithParsers({.error = "SERVER_ERROR ",
                             .protocol_error = "CLIENT_ERROR ",
                             .health_check = "version\r\n",
                             .handshake = {}},
                            request_limits, response_limits) {}

  void stats_reply(proto::Msg& msg, const proto::StatLines& stats,
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
};

}  // namespace walnut::memcache
