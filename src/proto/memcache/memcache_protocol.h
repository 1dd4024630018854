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

// What merging a split retrieval needs, kept by the protocol between merges
// so that merging allocates nothing once the vectors have grown (as
// redis::MergeScratch).
struct MergeScratch {
  explicit MergeScratch(const ResponseLimits& limits) : parser(limits) {}
  ResponseParser parser;                     // finds a part's VALUE blocks
  std::vector<ResponseParser::Value> values; // every part's values, in order
  std::vector<uint32_t> first;               // where each part's values start
  std::vector<uint32_t> cursor;              // each part's next unmatched value
  std::string key_bytes, wanted_bytes;       // keys that straddle mbufs, copied
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
                             .handshake = {}},
                            request_limits, response_limits),
        merge_scratch_(response_limits) {}

  // proto::Protocol's verbs, whose parameters are named and explained there.
  void stats_reply(proto::Msg&, const proto::StatLines&) const override;
  proto::Action classify(proto::Msg&, proto::ClientSession&) const override;
  void build_fragment(const proto::Msg&, const std::vector<uint32_t>&, proto::Msg&) const override;
  void coalesce(proto::Msg&) const override;

 private:
  bool keys_ok(proto::Msg& msg) const;
  proto::Action classify_local(proto::Msg& msg, const std::string& name) const;
  bool record_values(const proto::Msg& part) const;

  mutable MergeScratch merge_scratch_;
};

}  // namespace walnut::memcache
