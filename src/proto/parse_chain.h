// parse_chain: runs a parser over a message already whole in an mbuf chain,
// slice by slice, without copying. A split request's merge uses it to find
// the elements or values of each part's reply again.
#pragma once

#include "buffer/mbuf_chain.h"
#include "proto/parse.h"

namespace walnut::proto {

// The parser's answer after the last slice it took: kDone or kError stop it
// early; kNeedMore means the chain ended inside a message.
template <typename ParserType>
ParseResult parse_chain(ParserType& parser, const buffer::MbufChain& chain) {
  ParseResult r{ParseStatus::kNeedMore, 0};
  for (const buffer::Slice& s : chain.slices()) {
    r = parser.feed(s.mbuf->data() + s.offset, s.len);
    if (r.status != ParseStatus::kNeedMore) break;
  }
  return r;
}

}  // namespace walnut::proto
