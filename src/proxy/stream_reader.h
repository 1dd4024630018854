// StreamReader: reads a socket into mbufs and cuts the bytes into messages
// with a parser, without copying: each message is a chain of slices of the
// mbufs it arrived in. Client and server connections both read this way.
#pragma once

#include <sys/types.h>

#include <cstdint>

#include "buffer/mbuf_chain.h"
#include "buffer/mbuf_pool.h"
#include "common/non_copyable.h"
#include "proto/parse.h"

namespace walnut::proxy {

class StreamReader : private NonCopyable {
 public:
  // Reads into `pool`'s mbufs, and into `large`'s (mbufs of a larger size)
  // while the parser expects at least that many bytes of one payload: a
  // large value then costs a read, a slice and an iovec per large mbuf,
  // not per ordinary one.
  StreamReader(buffer::MbufPool& pool, buffer::MbufPool& large) : pool_(pool), large_(large) {}
  ~StreamReader() { release(); }

  // How read_all() ended.
  enum class ReadStatus {
    kDrained,  // a short read: the socket holds no more for now
    kFull,     // max_reads reads, each filling the mbuf: more may be waiting
    kAgain,    // a read found nothing (EAGAIN)
    kStopped,  // may_read() or on_bytes() said stop
    kEof,      // the peer closed its side
    kError,    // a read failed: errno says why
  };
  // Reads into mbufs with read(buf, len) (as read(2)) while reads fill them, at most max_reads times so
  // that one busy peer cannot starve the others. Before each read may_read(),
  // and after each read that brought bytes on_bytes() (which parses them),
  // may stop it by returning false. What an end means (a half-closed client,
  // a failed server) is the caller's.
  template <typename Read, typename MayRead, typename OnBytes>
  ReadStatus read_all(Read&& read, int max_reads, MayRead&& may_read, OnBytes&& on_bytes) {
    for (int i = 0; i < max_reads; ++i) {
      if (!may_read()) return ReadStatus::kStopped;
      make_room();
      const uint32_t room = rbuf_->free_space();
      const ReadStatus status = took(read(rbuf_->free_start(), room), room);
      if (status != ReadStatus::kDrained && status != ReadStatus::kFull) return status;
      if (!on_bytes()) return ReadStatus::kStopped;
      if (status == ReadStatus::kDrained) return status;
    }
    return ReadStatus::kFull;
  }

  // Feeds unparsed bytes to `parser`. For each complete message calls
  // on_message(chain), which moves the chain out, and goes on; stops at
  // kError (returns false, with the parser's error) or when every byte is
  // consumed (returns true).
  template <typename OnMessage>
  bool parse(proto::RequestParser& parser, OnMessage&& on_message) {
    return parse_with(parser, on_message);
  }
  template <typename OnMessage>
  bool parse(proto::ResponseParser& parser, OnMessage&& on_message) {
    return parse_with(parser, on_message);
  }

  // Bytes of a message begun but not complete.
  bool mid_message() const { return !partial_.empty(); }
  // Memory an unfinished message holds or is about to: its bytes, and the
  // room of the buffer its next read goes into, filled yet or not (a large
  // mbuf is 256 KiB from its first byte: a budget of bytes must count it
  // before the read that takes it, or a thousand clients past their
  // headers would each take one unchecked).
  // Only a large mbuf's room counts: an ordinary one (up to -m, 16 MiB)
  // must not make a few bytes of a small request look like an upload.
  uint64_t unfinished_bytes() const {
    const uint64_t unparsed = rbuf_ != nullptr ? rbuf_->filled() - parsed_ : 0;
    uint64_t room = unparsed;
    if (rbuf_ != nullptr && rbuf_->free_space() > 0) {
      if (rbuf_->pool() == &large_) room = rbuf_->capacity() - parsed_;
    } else if (next_mbuf_is_large()) {
      room = unparsed + large_.chunk_size();
    }
    return partial_.size() + room;
  }
  // Bytes read but not yet fed to the parser: the caller stopped parse()
  // early. They must be parsed before the next read_all().
  bool has_unparsed() const { return rbuf_ != nullptr && parsed_ < rbuf_->filled(); }
  // Drops the read buffer when nothing else uses it, so an idle connection
  // pins no mbuf.
  void release_if_idle();
  void release();

 private:
  // Readies rbuf_ for the next read: refilled from the start when nothing
  // points into it, a fresh mbuf when it is full.
  void make_room();
  // Whether a fresh read buffer would be a large mbuf: only when the payload
  // fills it, so that its tail cannot pin a large buffer under a few small
  // messages.
  bool next_mbuf_is_large() const {
    return expected_ >= large_.chunk_size() && large_.chunk_size() > pool_.chunk_size();
  }
  // What one read of `room` bytes into rbuf_ that returned `got` means:
  // kFull when it filled the room, kDrained when it was short; kAgain, kEof
  // or kError when it got nothing.
  ReadStatus took(ssize_t got, uint32_t room);

  template <typename Parser, typename OnMessage>
  bool parse_with(Parser& parser, OnMessage& on_message) {
    expected_ = 0;
    while (rbuf_ != nullptr && parsed_ < rbuf_->filled()) {
      proto::ParseResult r =
          parser.feed(rbuf_->data() + parsed_, rbuf_->filled() - parsed_);
      partial_.append(rbuf_, parsed_, static_cast<uint32_t>(r.consumed));
      parsed_ += static_cast<uint32_t>(r.consumed);
      if (r.status == proto::ParseStatus::kError) return false;
      if (r.status == proto::ParseStatus::kNeedMore) {
        expected_ = parser.payload_left();
        break;
      }
      // The callee moves the message out of partial_ (a move swaps slice
      // vectors, so partial_ gets back the recycled message's capacity and
      // the steady state allocates nothing); whatever it left is dropped.
      const bool go_on = on_message(partial_);
      partial_.clear();
      if (!go_on) return true;  // the caller stopped reading
    }
    return true;
  }

  buffer::MbufPool& pool_;
  buffer::MbufPool& large_;
  uint64_t expected_ = 0;  // payload bytes the parser awaits (payload_left())
  buffer::Mbuf* rbuf_ = nullptr;
  uint32_t parsed_ = 0;  // bytes of rbuf_ already fed to the parser
  buffer::MbufChain partial_;
};

}  // namespace walnut::proxy
