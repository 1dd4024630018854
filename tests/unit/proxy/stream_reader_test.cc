// StreamReader: messages cut from a real socket into mbuf slices, whatever
// the size of the mbufs and however the bytes arrive.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "buffer/mbuf_pool.h"
#include "proto/redis/request_parser.h"
#include "proxy/stream_reader.h"

namespace walnut::proxy {
namespace {

class StreamReaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds_), 0);
  }
  void TearDown() override {
    close(fds_[0]);
    close(fds_[1]);
  }
  // Sends `wire` in pieces of `step` bytes and collects every message. The
  // reader's large mbufs are 8 times the size of its ordinary ones.
  std::vector<std::string> run(const std::string& wire, size_t step,
                               uint32_t mbuf_size) {
    buffer::MbufPool pool(mbuf_size);
    buffer::MbufPool large(mbuf_size * 8);
    std::vector<std::string> got;
    {
      StreamReader reader(pool, large);
      redis::RequestParser parser;
      for (size_t at = 0; at < wire.size(); at += step) {
        std::string piece = wire.substr(at, step);
        EXPECT_EQ(write(fds_[1], piece.data(), piece.size()),
                  static_cast<ssize_t>(piece.size()));
        const auto parse = [&] {
          EXPECT_TRUE(reader.parse(parser, [&](buffer::MbufChain& chain) {
            got.push_back(chain.to_string());
            parser.reset();
            return true;
          }));
          return true;
        };
        const auto read = [this](void* buf, size_t len) { return ::read(fds_[0], buf, len); };
        const auto status = reader.read_all(read, 1000, [] { return true; }, parse);
        // The piece is all there: a short read takes its end, or a read
        // that filled an mbuf took it and the next found nothing.
        EXPECT_TRUE(status == StreamReader::ReadStatus::kDrained ||
                    status == StreamReader::ReadStatus::kAgain);
      }
      EXPECT_FALSE(reader.mid_message());
    }
    EXPECT_EQ(pool.live(), 0u) << "every mbuf returned";
    EXPECT_EQ(large.live(), 0u) << "every large mbuf returned";
    large_gets_ = large.gets();
    return got;
  }
  uint64_t large_gets_ = 0;  // large mbufs the last run() read into
  int fds_[2];
};

TEST_F(StreamReaderTest, PipelineSplitsIntoMessagesAtAnyArrivalPattern) {
  std::vector<std::string> msgs;
  std::string wire;
  for (int i = 0; i < 50; ++i) {
    std::string key = "key:" + std::to_string(i) + std::string(i * 7, 'k');
    std::string m = "*2\r\n$3\r\nGET\r\n$" + std::to_string(key.size()) +
                    "\r\n" + key + "\r\n";
    msgs.push_back(m);
    wire += m;
  }
  for (size_t step : {size_t{1}, size_t{3}, size_t{17}, size_t{512}, wire.size()}) {
    for (uint32_t mbuf : {512u, 4096u}) {
      EXPECT_EQ(run(wire, step, mbuf), msgs) << "step " << step << " mbuf " << mbuf;
    }
  }
}

TEST_F(StreamReaderTest, LargeValueSpansManyMbufs) {
  std::string value(100000, 'v');
  std::string m = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$" +
                  std::to_string(value.size()) + "\r\n" + value + "\r\n";
  std::string wire = m + "*1\r\n$4\r\nPING\r\n";
  auto got = run(wire, 8192, 512);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0], m);
  EXPECT_EQ(got[1], "*1\r\n$4\r\nPING\r\n");
  // 100,000 bytes of payload fill 24 large mbufs of 4,096 bytes whole; the
  // rest (and the line before the payload) go into ordinary ones.
  EXPECT_GE(large_gets_, 20u);
  EXPECT_LE(large_gets_, 100000u / 4096);
}

// The request budget reads unfinished_bytes() before each read: a client
// past the header of a large value must count the large mbuf its next read
// takes, or many clients would each take one before any was counted.
TEST_F(StreamReaderTest, AnUnfinishedMessageCountsTheLargeMbufItsNextReadTakes) {
  buffer::MbufPool pool(512);
  buffer::MbufPool large(4096);
  StreamReader reader(pool, large);
  redis::RequestParser parser;
  // One mbuf exactly: a header and the payload's first bytes, so that the
  // next read needs a fresh mbuf.
  const std::string key(512 - 30 - 4, 'k');
  std::string wire = "*3\r\n$3\r\nSET\r\n$" + std::to_string(key.size()) + "\r\n" + key + "\r\n";
  wire += "$100000\r\n";
  ASSERT_LE(wire.size(), 512u);
  wire += std::string(512 - wire.size(), 'v');  // the payload's first bytes fill the mbuf
  ASSERT_EQ(write(fds_[1], wire.data(), wire.size()), static_cast<ssize_t>(wire.size()));
  const auto read = [this](void* buf, size_t n) { return ::read(fds_[0], buf, n); };
  bool done = false;
  const auto parse = [&] {
    EXPECT_TRUE(reader.parse(parser, [&](buffer::MbufChain&) {
      done = true;
      return true;
    }));
    return true;
  };
  reader.read_all(read, 1, [] { return true; }, parse);
  ASSERT_FALSE(done);
  ASSERT_TRUE(reader.mid_message());
  EXPECT_EQ(large.gets(), 0u) << "no large mbuf yet";
  EXPECT_GE(reader.unfinished_bytes(), 512u + 4096u)
      << "the message's 512 bytes and the large mbuf the next read takes";
  reader.read_all(read, 1, [] { return true; }, parse);  // finds nothing: EAGAIN
  EXPECT_EQ(large.gets(), 1u) << "the read took a large mbuf, as counted";
  reader.release();
}

// With ordinary mbufs as large as -m allows, a few bytes of a small request
// still count as a few bytes: the budget's line is for uploads only.
TEST_F(StreamReaderTest, AHalfSentSmallRequestCountsItsBytesNotItsBuffer) {
  buffer::MbufPool pool(1024 * 1024);
  buffer::MbufPool large(256 * 1024);  // never larger than the ordinary ones: unused
  StreamReader reader(pool, large);
  redis::RequestParser parser;
  const std::string half = "*2\r\n$3\r\nGET\r\n$1\r\n";
  ASSERT_EQ(write(fds_[1], half.data(), half.size()), static_cast<ssize_t>(half.size()));
  const auto read = [this](void* buf, size_t n) { return ::read(fds_[0], buf, n); };
  const auto parse = [&] {
    EXPECT_TRUE(reader.parse(parser, [](buffer::MbufChain&) { return true; }));
    return true;
  };
  reader.read_all(read, 1, [] { return true; }, parse);
  ASSERT_TRUE(reader.mid_message());
  EXPECT_EQ(reader.unfinished_bytes(), half.size());
  reader.release();
}

TEST_F(StreamReaderTest, SmallValuesNeverTakeALargeMbuf) {
  std::string wire;
  std::vector<std::string> msgs;
  for (int i = 0; i < 40; ++i) {
    // Each payload is smaller than a large mbuf (4,096 bytes).
    const std::string value(static_cast<size_t>(100 * i), 'v');
    msgs.push_back("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$" + std::to_string(value.size()) + "\r\n" +
                   value + "\r\n");
    wire += msgs.back();
  }
  for (size_t step : {size_t{7}, size_t{600}, wire.size()}) {
    EXPECT_EQ(run(wire, step, 512), msgs) << "step " << step;
    EXPECT_EQ(large_gets_, 0u) << "step " << step;
  }
}

}  // namespace
}  // namespace walnut::proxy
