// MemcacheProtocol: local replies, shape and key checks, noreply, and
// splitting multi-key retrievals with their merge.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "proto/memcache/memcache_protocol.h"

namespace walnut::memcache {
namespace {

using proto::Action;
using proto::Msg;

class MemcacheProtocolTest : public ::testing::Test {
 protected:
  Action classify(const std::string& wire) {
    msg_.recycle();
    parts_.clear();
    RequestParser parser;
    auto r = parser.feed(wire.data(), wire.size());
    EXPECT_EQ(r.status, proto::ParseStatus::kDone) << wire;
    msg_.request.append_copy(pool_, wire);
    msg_.tokens = parser.tokens();
    return protocol_.classify(msg_, session_);
  }
  std::string reply() const { return msg_.reply.to_string(); }
  Msg* part(const std::vector<uint32_t>& keys, const std::string& reply) {
    parts_.push_back(std::make_unique<Msg>());
    Msg* m = parts_.back().get();
    protocol_.build_fragment(msg_, keys, *m);
    m->reply.append_copy(pool_, reply);
    m->reply_is_error = reply.rfind("SERVER_ERROR", 0) == 0;
    msg_.fragments.push_back(m);
    for (uint32_t i = 0; i < keys.size(); ++i) {
      if (msg_.key_places.size() <= keys[i]) msg_.key_places.resize(keys[i] + 1);
      msg_.key_places[keys[i]] = {static_cast<uint32_t>(msg_.fragments.size() - 1), i};
    }
    return m;
  }
  std::string merged() {
    protocol_.coalesce(msg_);
    return msg_.reply.to_string();
  }

  buffer::MbufPool pool_{512};
  MemcacheProtocol protocol_{pool_};
  proto::ClientSession session_;
  Msg msg_;
  std::vector<std::unique_ptr<Msg>> parts_;
};

TEST_F(MemcacheProtocolTest, LocalCommands) {
  EXPECT_EQ(classify("version\r\n"), Action::kReply);
  // A version clients parse (libmemcached refuses a major version of 0 or
  // a word), then walnut's own.
  EXPECT_EQ(reply(), "VERSION 1.6.10 walnut-" PACKAGE_VERSION "\r\n");
  EXPECT_EQ(classify("stats\r\n"), Action::kStats) << "the pool fills in its counters";
  EXPECT_EQ(classify("stats slabs\r\n"), Action::kReply);
  EXPECT_EQ(reply(), "ERROR\r\n") << "walnut keeps no slab, item or settings stats";
  std::vector<std::pair<std::string, std::string>> stats = {{"pid", "42"}, {"version", "w"}};
  protocol_.stats_reply(msg_, stats);
  EXPECT_EQ(reply(), "STAT pid 42\r\nSTAT version w\r\nEND\r\n");
  EXPECT_EQ(classify("mn\r\n"), Action::kReply);
  EXPECT_EQ(reply(), "MN\r\n");
  EXPECT_EQ(classify("quit\r\n"), Action::kReplyClose);
  EXPECT_EQ(reply(), "") << "memcached closes without a word";
}

TEST_F(MemcacheProtocolTest, UnknownWrongShapeAndUnsupported) {
  EXPECT_EQ(classify("bogus k\r\n"), Action::kReply);
  EXPECT_EQ(reply(), "ERROR\r\n");
  EXPECT_EQ(classify("GET k\r\n"), Action::kReply) << "names are case-sensitive";
  EXPECT_EQ(reply(), "ERROR\r\n");
  EXPECT_EQ(classify("get\r\n"), Action::kReply);
  EXPECT_EQ(reply(), "ERROR\r\n");
  EXPECT_EQ(classify("incr k 1 noreply extra\r\n"), Action::kReply);
  EXPECT_EQ(reply(), "ERROR\r\n");
  EXPECT_EQ(classify("flush_all\r\n"), Action::kReply);
  EXPECT_EQ(reply(), "CLIENT_ERROR unsupported command 'flush_all'\r\n");
  EXPECT_EQ(classify("flush_all\r\n"), Action::kReply);
  EXPECT_TRUE(msg_.reply_is_error);
}

TEST_F(MemcacheProtocolTest, BadKeysNeverReachAServer) {
  EXPECT_EQ(classify("get " + std::string(251, 'k') + "\r\n"), Action::kReply);
  EXPECT_EQ(reply(), "CLIENT_ERROR bad command line format\r\n");
  EXPECT_EQ(classify("get " + std::string(250, 'k') + "\r\n"), Action::kFragment);
  EXPECT_EQ(classify("delete a\x01z\r\n"), Action::kReply);
  EXPECT_EQ(reply(), "CLIENT_ERROR bad command line format\r\n");
}

TEST_F(MemcacheProtocolTest, KeysForRouting) {
  EXPECT_EQ(classify("set k 0 0 1\r\nv\r\n"), Action::kForward);
  ASSERT_EQ(msg_.keys.size(), 1u);
  EXPECT_EQ(classify("gat 100 a b c\r\n"), Action::kFragment);
  EXPECT_EQ(msg_.keys.size(), 3u);
  EXPECT_EQ(classify("mg k v f t\r\n"), Action::kForward);
  EXPECT_EQ(classify("ms k 2 T0\r\nhi\r\n"), Action::kForward);
  EXPECT_EQ(classify("mg k v q\r\n"), Action::kReply);
  EXPECT_NE(reply().find("quiet"), std::string::npos);
}

TEST_F(MemcacheProtocolTest, NoreplyIsStrippedAndMarkedSilent) {
  EXPECT_EQ(classify("set k 0 0 2 noreply\r\nhi\r\n"), Action::kForward);
  EXPECT_TRUE(msg_.silent);
  EXPECT_EQ(msg_.request.to_string(), "set k 0 0 2\r\nhi\r\n");
  EXPECT_EQ(classify("delete k noreply\r\n"), Action::kForward);
  EXPECT_TRUE(msg_.silent);
  EXPECT_EQ(msg_.request.to_string(), "delete k\r\n");
  EXPECT_EQ(classify("incr k 5\r\n"), Action::kForward);
  EXPECT_FALSE(msg_.silent);
  EXPECT_EQ(msg_.request.to_string(), "incr k 5\r\n");
}

TEST_F(MemcacheProtocolTest, FragmentsCarryTheirKeys) {
  EXPECT_EQ(classify("gets a bb c\r\n"), Action::kFragment);
  EXPECT_EQ(part({2, 0}, "")->request.to_string(), "gets c a\r\n");
  EXPECT_EQ(classify("gat 60 a bb\r\n"), Action::kFragment);
  EXPECT_EQ(part({1}, "")->request.to_string(), "gat 60 bb\r\n");
}

TEST_F(MemcacheProtocolTest, MergeRestoresKeyOrderWithMissesAndDuplicates) {
  ASSERT_EQ(classify("get a b a zz c\r\n"), Action::kFragment);
  part({0, 2, 3}, "VALUE a 0 1\r\n1\r\nVALUE a 0 1\r\n1\r\nEND\r\n");
  part({1, 4}, "VALUE c 5 3\r\nccc\r\nEND\r\n");
  EXPECT_EQ(merged(),
            "VALUE a 0 1\r\n1\r\nVALUE a 0 1\r\n1\r\nVALUE c 5 3\r\nccc\r\nEND\r\n");
}

TEST_F(MemcacheProtocolTest, ValueHoldingEndIsNotConfused) {
  ASSERT_EQ(classify("get x y\r\n"), Action::kFragment);
  part({0}, "VALUE x 0 7\r\n\r\nEND\r\n\r\nEND\r\n");
  part({1}, "VALUE y 0 1\r\ny\r\nEND\r\n");
  EXPECT_EQ(merged(), "VALUE x 0 7\r\n\r\nEND\r\n\r\nVALUE y 0 1\r\ny\r\nEND\r\n");
}

TEST_F(MemcacheProtocolTest, AFailedPartFailsTheWholeReply) {
  ASSERT_EQ(classify("get x y\r\n"), Action::kFragment);
  part({0}, "VALUE x 0 1\r\n1\r\nEND\r\n");
  part({1}, "SERVER_ERROR Connection refused\r\n");
  EXPECT_EQ(merged(), "SERVER_ERROR Connection refused\r\n");
  EXPECT_TRUE(msg_.reply_is_error);
}

// The protocol keeps its merge scratch (parser, value lists, cursors)
// between merges: a merge after a larger one, and after one with a
// malformed part, sees none of what came before.
TEST_F(MemcacheProtocolTest, MergesOneAfterAnotherShareNothing) {
  ASSERT_EQ(classify("get a b c d\r\n"), Action::kFragment);
  part({0, 2}, "VALUE a 0 1\r\n1\r\nVALUE c 0 1\r\n3\r\nEND\r\n");
  part({1, 3}, "VALUE b 0 1\r\n2\r\nVALUE d 0 1\r\n4\r\nEND\r\n");
  EXPECT_EQ(merged(), "VALUE a 0 1\r\n1\r\nVALUE b 0 1\r\n2\r\nVALUE c 0 1\r\n3\r\n"
                      "VALUE d 0 1\r\n4\r\nEND\r\n");

  ASSERT_EQ(classify("get x y\r\n"), Action::kFragment);
  part({0}, "VALUE x 0 1\r\n1\r\nEND\r\n");
  part({1}, "VALUE y 0 2\r\nyyy\r\nEND\r\n");  // a bad data chunk
  EXPECT_EQ(merged(), "SERVER_ERROR unexpected reply from server to a split request\r\n");

  ASSERT_EQ(classify("get x y\r\n"), Action::kFragment);
  part({0}, "END\r\n");
  part({1}, "VALUE y 0 2\r\nyy\r\nEND\r\n");
  EXPECT_EQ(merged(), "VALUE y 0 2\r\nyy\r\nEND\r\n");
  EXPECT_FALSE(msg_.reply_is_error);
}

TEST_F(MemcacheProtocolTest, ErrorReplies) {
  Msg m;
  protocol_.error_reply(m, "Connection refused");
  EXPECT_EQ(m.reply.to_string(), "SERVER_ERROR Connection refused\r\n");
  Msg p;
  protocol_.protocol_error_reply(p, "bad data chunk");
  EXPECT_EQ(p.reply.to_string(), "CLIENT_ERROR bad data chunk\r\n");
}

}  // namespace
}  // namespace walnut::memcache
