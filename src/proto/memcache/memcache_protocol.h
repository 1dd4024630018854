// The memcached side of proto::Protocol: the ASCII and meta commands through
// the same machinery as Redis. Multi-key retrievals (get, gets, gat, gats)
// are split per server and merged back in key order with one END; noreply
// requests are forwarded without "noreply" so that every request still has
// a reply to pair with, and that reply is dropped.
#pragma once

#include "proto/memcache/request_parser.h"
#include "proto/memcache/response_parser.h"
#include "proto/merge_scratch.h"
#include "proto/protocol.h"

namespace walnut::memcache {

// The merge's scratch (proto/merge_scratch.h): VALUE blocks, each part's
// next unmatched one, and copies of keys that straddle mbufs.
struct MergeScratch : proto::MergeScratch<ResponseParser, ResponseParser::Value> {
  using proto::MergeScratch<ResponseParser, ResponseParser::Value>::MergeScratch;
  std::vector<uint32_t> cursor;
  std::string key_bytes, wanted_bytes;
};

class MemcacheProtocol final
    : public proto::ProtocolWithParsers<RequestParser, RequestLimits, ResponseParser, ResponseLimits> {
 public:
  explicit MemcacheProtocol(buffer::MbufPool& mbufs, const RequestLimits& request_limits = {},
                            const ResponseLimits& response_limits = {})
      : ProtocolWithParsers(mbufs,
                            {.error = "SERVER_ERROR ",
                             .protocol_error = "CLIENT_ERROR ",
                             .health_check = "version\r\n",
                             .handshake = {},
                             .transaction = {}},  // memcached has none
                            request_limits, response_limits),
        merge_scratch_(response_limits) {}

  // proto::Protocol's verbs, whose parameters are named and explained there.
  void stats_reply(proto::Msg&, const proto::StatLines&) const override;
  proto::Action classify(proto::Msg&, proto::ClientSession&) const override;
  void build_fragment(const proto::Msg&, const std::vector<uint32_t>&, proto::Msg&) const override;
  void coalesce(proto::Msg&) const override;

 private:
  [[gnu::always_inline]] inline bool keys_ok(proto::Msg& msg) const;
  proto::Action classify_local(proto::Msg& msg, std::string_view name) const;
  bool record_values(const proto::Msg& part) const;

  mutable MergeScratch merge_scratch_;
};

}  // namespace walnut::memcache
