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
  explicit MemcacheProtocol(buffer::MbufPool& mbufs, const RequestLimits& request_limits = {},
                            const ResponseLimits& response_limits = {})
      : ProtocolWithParsers(mbufs,
                            {.error = "SERVER_ERROR ",
                             .protocol_error = "CLIENT_ERROR ",
                             .health_check = "version\r\n",
                             .handshake = {}},
                            request_limits, response_limits) {}

  // proto::Protocol's verbs, whose parameters are named and explained there.
  void stats_reply(proto::Msg&, const proto::StatLines&) const override;
  proto::Action classify(proto::Msg&, proto::ClientSession&) const override;
  void build_fragment(const proto::Msg&, const std::vector<uint32_t>&, proto::Msg&) const override;
  void coalesce(proto::Msg&) const override;

 private:
  bool keys_ok(proto::Msg& msg) const;
  proto::Action classify_local(proto::Msg& msg, const std::string& name) const;
};

}  // namespace walnut::memcache
