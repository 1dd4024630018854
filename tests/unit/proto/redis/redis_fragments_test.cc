// Splitting multi-key Redis requests per server and merging the parts'
// replies back into what one server would have answered.
#include <gtest/gtest.h>

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "proto/redis/commands.h"
#include "proto/redis/redis_protocol.h"
#include "proto/scan_cursor.h"

namespace walnut::redis {
namespace {

using proto::Msg;

class RedisFragments : public ::testing::Test {
 protected:
  // Parses `wire` into a blank parent_ (no parts) and classifies it.
  proto::Action classify(const std::string& wire) {
    parent_.recycle();
    parts_.clear();
    RequestParser parser;
    EXPECT_EQ(parser.feed(wire.data(), wire.size()).status, proto::ParseStatus::kDone) << wire;
    parent_.request.append_copy(pool_, wire);
    parent_.tokens = parser.tokens();
    return protocol_.classify(parent_, session_);
  }
  // A request that is split by its keys.
  void request(const std::string& wire) {
    ASSERT_EQ(classify(wire), proto::Action::kFragment);
  }
  // A fragment for the given keys, with `reply` as its server's answer.
  Msg* part(const std::vector<uint32_t>& keys, const std::string& reply) {
    parts_.push_back(std::make_unique<Msg>());
    Msg* m = parts_.back().get();
    protocol_.build_fragment(parent_, keys, *m);
    m->reply.append_copy(pool_, reply);
    m->reply_is_error = !reply.empty() && reply[0] == '-';
    parent_.fragments.push_back(m);
    for (uint32_t i = 0; i < keys.size(); ++i) {
      if (parent_.key_places.size() <= keys[i]) parent_.key_places.resize(keys[i] + 1);
      parent_.key_places[keys[i]] = {static_cast<uint32_t>(parent_.fragments.size() - 1), i};
    }
    return m;
  }
  std::string merged() {
    protocol_.coalesce(parent_);
    return parent_.reply.to_string();
  }

  buffer::MbufPool pool_{512};
  RedisProtocol protocol_{pool_};
  proto::ClientSession session_;
  Msg parent_;
  std::vector<std::unique_ptr<Msg>> parts_;
};

TEST_F(RedisFragments, FragmentCarriesItsKeysInOrder) {
  request("*5\r\n$4\r\nMGET\r\n$1\r\na\r\n$2\r\nbb\r\n$1\r\nc\r\n$3\r\nddd\r\n");
  Msg* p = part({0, 2}, "");
  EXPECT_EQ(p->request.to_string(), "*3\r\n$4\r\nMGET\r\n$1\r\na\r\n$1\r\nc\r\n");
  Msg* q = part({3, 1}, "");
  EXPECT_EQ(q->request.to_string(), "*3\r\n$4\r\nMGET\r\n$3\r\nddd\r\n$2\r\nbb\r\n");
}

TEST_F(RedisFragments, ArgumentsAreReferencedWhereTheyArrived) {
  const std::string wire = "*5\r\n$4\r\nMGET\r\n$1\r\na\r\n$2\r\nbb\r\n$1\r\nc\r\n$3\r\nddd\r\n";
  request(wire);
  Msg* p = part({0, 1, 3}, "");
  EXPECT_EQ(p->request.to_string(), "*4\r\n$4\r\nMGET\r\n$1\r\na\r\n$2\r\nbb\r\n$3\r\nddd\r\n");
  // The new header, then the name and the first two keys as one slice of the
  // client's bytes (they follow each other there), then the last key.
  const auto& slices = p->request.slices();
  ASSERT_EQ(slices.size(), 3u);
  const buffer::Slice& request_bytes = parent_.request.slices()[0];
  EXPECT_EQ(slices[1].mbuf, request_bytes.mbuf);
  EXPECT_EQ(slices[1].offset, request_bytes.offset + 4);  // after "*5\r\n"
  EXPECT_EQ(slices[1].len, 25u);
  EXPECT_EQ(slices[2].mbuf, request_bytes.mbuf);
}

// PUBSUB NUMSUB: the subcommand goes with every part, and the merge takes
// two elements (channel, count) per channel, in the client's order.
TEST_F(RedisFragments, NumsubPartsKeepTheSubcommandAndMergeInPairs) {
  request("*5\r\n$6\r\nPUBSUB\r\n$6\r\nNUMSUB\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n");
  Msg* p = part({0, 2}, "*4\r\n$1\r\na\r\n:1\r\n$1\r\nc\r\n:0\r\n");
  EXPECT_EQ(p->request.to_string(),
            "*4\r\n$6\r\nPUBSUB\r\n$6\r\nNUMSUB\r\n$1\r\na\r\n$1\r\nc\r\n");
  part({1}, "*2\r\n$1\r\nb\r\n:7\r\n");
  EXPECT_EQ(merged(), "*6\r\n$1\r\na\r\n:1\r\n$1\r\nb\r\n:7\r\n$1\r\nc\r\n:0\r\n");
  // A part with fewer pairs than channels is no answer.
  request("*4\r\n$6\r\nPUBSUB\r\n$6\r\nNUMSUB\r\n$1\r\na\r\n$1\r\nb\r\n");
  part({0, 1}, "*2\r\n$1\r\na\r\n:1\r\n");
  EXPECT_EQ(merged(), "-ERR unexpected reply from server to a split request\r\n");
}

TEST_F(RedisFragments, MsetFragmentKeepsEachValueWithItsKey) {
  request("MSET k1 v1 k2 v2 k3 v3\r\n");  // inline: fragments are RESP anyway
  Msg* p = part({2, 0}, "");
  EXPECT_EQ(p->request.to_string(),
            "*5\r\n$4\r\nMSET\r\n$2\r\nk3\r\n$2\r\nv3\r\n$2\r\nk1\r\n$2\r\nv1\r\n");
}

TEST_F(RedisFragments, LongValuesAreReferencedNotCopied) {
  std::string big(5000, 'x');
  request("*3\r\n$4\r\nMSET\r\n$1\r\nk\r\n$5000\r\n" + big + "\r\n");
  Msg* p = part({0}, "");
  EXPECT_EQ(p->request.to_string(), "*3\r\n$4\r\nMSET\r\n$1\r\nk\r\n$5000\r\n" + big + "\r\n");
}

TEST_F(RedisFragments, ArrayMergeRestoresClientOrderWithDuplicatesAndNils) {
  request("*5\r\n$4\r\nMGET\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\na\r\n$1\r\nz\r\n");
  part({0, 2}, "*2\r\n$2\r\nva\r\n$2\r\nva\r\n");
  part({1, 3}, "*2\r\n$3\r\nvbb\r\n$-1\r\n");
  EXPECT_EQ(merged(), "*4\r\n$2\r\nva\r\n$3\r\nvbb\r\n$2\r\nva\r\n$-1\r\n");
  EXPECT_FALSE(parent_.reply_is_error);
}

// Commands sent to every server: the parts carry the whole request; the
// proxy makes them, so here each part is only its reply.
class RedisEveryServer : public RedisFragments {
 protected:
  std::string merged_over(const std::string& wire, const std::vector<std::string>& replies) {
    EXPECT_EQ(classify(wire), proto::Action::kAllServers) << wire;
    for (const std::string& reply : replies) {
      parts_.push_back(std::make_unique<Msg>());
      parts_.back()->reply.append_copy(pool_, reply);
      parts_.back()->reply_is_error = !reply.empty() && reply[0] == '-';
      parent_.fragments.push_back(parts_.back().get());
    }
    return merged();
  }
};

TEST_F(RedisEveryServer, DbsizeAddsTheServersCounts) {
  EXPECT_EQ(merged_over("DBSIZE\r\n", {":3\r\n", ":0\r\n", ":12\r\n"}), ":15\r\n");
}

// COMMAND and its INFO, DOCS and LIST: the first answering server's answer,
// kept to the commands walnut carries (MONITOR is not one).
TEST_F(RedisEveryServer, CommandListsOnlyWhatWalnutCarries) {
  const std::string get = "*3\r\n$3\r\nget\r\n:2\r\n*0\r\n";
  const std::string monitor = "*3\r\n$7\r\nmonitor\r\n:1\r\n*0\r\n";
  EXPECT_EQ(merged_over("COMMAND\r\n", {"*2\r\n" + get + monitor, "*0\r\n"}), "*1\r\n" + get);
  // INFO keeps the client's order and a null where Redis or walnut has none.
  EXPECT_EQ(merged_over("COMMAND INFO get monitor nosuch\r\n",
                        {"*3\r\n" + get + monitor + "*-1\r\n"}),
            "*3\r\n" + get + "*-1\r\n*-1\r\n");
  EXPECT_EQ(merged_over("COMMAND LIST\r\n", {"*2\r\n$7\r\nmonitor\r\n$3\r\nGET\r\n"}),
            "*1\r\n$3\r\nGET\r\n");
  EXPECT_EQ(merged_over("COMMAND DOCS\r\n",
                        {"*4\r\n$7\r\nmonitor\r\n*0\r\n$4\r\nmget\r\n*2\r\n$1\r\na\r\n$1\r\nb\r\n"}),
            "*2\r\n$4\r\nmget\r\n*2\r\n$1\r\na\r\n$1\r\nb\r\n");
  EXPECT_EQ(merged_over("COMMAND\r\n", {"-ERR no\r\n"}), "-ERR no\r\n");
  // A server down or refusing does not fail COMMAND while another answers,
  // and does not let the answer through unfiltered.
  const std::string down = "-ERR Connection refused\r\n";
  EXPECT_EQ(merged_over("COMMAND\r\n", {down, "*2\r\n" + get + monitor}), "*1\r\n" + get);
  EXPECT_EQ(merged_over("COMMAND\r\n", {"*2\r\n" + get + monitor, down}), "*1\r\n" + get);
  EXPECT_EQ(merged_over("COMMAND\r\n", {down, "-ERR no\r\n"}), down);
  // COMMAND COUNT is walnut's own; other subcommands go to a server as they are.
  EXPECT_EQ(classify("COMMAND COUNT\r\n"), proto::Action::kReply);
  EXPECT_EQ(parent_.reply.to_string(), ":" + std::to_string(carried_count()) + "\r\n");
  EXPECT_GT(carried_count(), 150u);
  EXPECT_TRUE(carried("GET") && carried("multi") && carried("pubsub"));
  EXPECT_FALSE(carried("monitor") || carried("pubsub|numsub") || carried("nosuch"));
  EXPECT_EQ(classify("COMMAND GETKEYS SET a b\r\n"), proto::Action::kForward);
  EXPECT_EQ(classify("COMMAND FOO\r\n"), proto::Action::kForward);
}

TEST_F(RedisEveryServer, KeysPutsTheArraysOneAfterAnother) {
  EXPECT_EQ(merged_over("*2\r\n$4\r\nKEYS\r\n$1\r\n*\r\n",
                        {"*2\r\n$1\r\na\r\n$2\r\nbb\r\n", "*0\r\n", "*1\r\n$3\r\nccc\r\n"}),
            "*3\r\n$1\r\na\r\n$2\r\nbb\r\n$3\r\nccc\r\n");
  EXPECT_EQ(merged_over("KEYS x*\r\n", {"*0\r\n", "*0\r\n"}), "*0\r\n");
  EXPECT_EQ(merged_over("KEYS *\r\n", {"*0\r\n", ":1\r\n"}),
            "-ERR unexpected reply from server to a split request\r\n");
}

TEST_F(RedisEveryServer, RandomkeyTakesAKeyFromAServerThatHasOne) {
  for (int round = 0; round < 4; ++round) {
    EXPECT_EQ(merged_over("RANDOMKEY\r\n", {"$-1\r\n", "$2\r\nk2\r\n", "$-1\r\n"}),
              "$2\r\nk2\r\n");
  }
  EXPECT_EQ(merged_over("RANDOMKEY\r\n", {"$-1\r\n", "$-1\r\n"}), "$-1\r\n");
  // With keys on two servers, successive merges look at each first in turn.
  std::set<std::string> seen;
  for (int round = 0; round < 4; ++round) {
    seen.insert(merged_over("RANDOMKEY\r\n", {"$1\r\na\r\n", "$1\r\nb\r\n"}));
  }
  EXPECT_EQ(seen.size(), 2u);
}

TEST_F(RedisEveryServer, OneFailedServerFailsTheWhole) {
  EXPECT_EQ(merged_over("DBSIZE\r\n", {":3\r\n", "-ERR Connection refused\r\n"}),
            "-ERR Connection refused\r\n");
  EXPECT_TRUE(parent_.reply_is_error);
}

// SCAN over three servers: the part asks the cursor's server for its own
// cursor, and the reply carries the pool's next cursor.
class RedisScan : public RedisFragments {
 protected:
  std::string scan(const std::string& wire, uint32_t server, uint32_t servers,
                   const std::string& server_reply, std::string* part_request = nullptr) {
    EXPECT_EQ(classify(wire), proto::Action::kCursor) << wire;
    parent_.cursor.server = server;
    parent_.cursor.servers = servers;
    parts_.push_back(std::make_unique<Msg>());
    Msg* part = parts_.back().get();
    protocol_.build_cursor_part(parent_, proto::scan_server_cursor(parent_.cursor.value, servers),
                                *part);
    if (part_request != nullptr) *part_request = part->request.to_string();
    part->reply.append_copy(pool_, server_reply);
    part->reply_is_error = server_reply[0] == '-';
    parent_.fragments.push_back(part);
    return merged();
  }
};

TEST_F(RedisScan, ThePartCarriesTheServersCursorAndTheOptions) {
  std::string sent;
  // 22 = 5 << 2 | 2: server 2 of three, its cursor 5.
  scan("*6\r\n$4\r\nSCAN\r\n$2\r\n22\r\n$5\r\nMATCH\r\n$2\r\nk*\r\n$5\r\nCOUNT\r\n"
       "$2\r\n50\r\n",
       2, 3, "*2\r\n$1\r\n0\r\n*0\r\n", &sent);
  EXPECT_EQ(sent,
            "*6\r\n$4\r\nSCAN\r\n$1\r\n5\r\n$5\r\nMATCH\r\n$2\r\nk*\r\n$5\r\nCOUNT\r\n"
            "$2\r\n50\r\n");
  scan("SCAN 0\r\n", 0, 3, "*2\r\n$1\r\n0\r\n*0\r\n", &sent);
  EXPECT_EQ(sent, "*2\r\n$4\r\nSCAN\r\n$1\r\n0\r\n");
}

TEST_F(RedisScan, TheReplyCarriesThePoolsNextCursor) {
  // Server 1 of three says 6: the client's next cursor is 6 << 2 | 1.
  EXPECT_EQ(scan("SCAN 1\r\n", 1, 3, "*2\r\n$1\r\n6\r\n*2\r\n$1\r\na\r\n$2\r\nbb\r\n"),
            "*2\r\n$2\r\n25\r\n*2\r\n$1\r\na\r\n$2\r\nbb\r\n");
  // Server 1 is done: server 2 starts at 0.
  EXPECT_EQ(scan("SCAN 1\r\n", 1, 3, "*2\r\n$1\r\n0\r\n*1\r\n$1\r\nc\r\n"),
            "*2\r\n$1\r\n2\r\n*1\r\n$1\r\nc\r\n");
  // The last server is done: so is the scan.
  EXPECT_EQ(scan("SCAN 2\r\n", 2, 3, "*2\r\n$1\r\n0\r\n*0\r\n"), "*2\r\n$1\r\n0\r\n*0\r\n");
  EXPECT_FALSE(parent_.reply_is_error);
}

TEST_F(RedisScan, BadCursorsAndBadReplies) {
  EXPECT_EQ(classify("SCAN nope\r\n"), proto::Action::kReply);
  EXPECT_EQ(parent_.reply.to_string(), "-ERR invalid cursor\r\n");
  EXPECT_EQ(scan("SCAN 0\r\n", 0, 3, ":1\r\n"),
            "-ERR unexpected reply from server to a split request\r\n");
  EXPECT_EQ(scan("SCAN 0\r\n", 0, 3, "*2\r\n:1\r\n*0\r\n"),
            "-ERR unexpected reply from server to a split request\r\n");
  EXPECT_EQ(scan("SCAN 0\r\n", 0, 3, "-ERR oops\r\n"), "-ERR oops\r\n");
}

TEST_F(RedisFragments, SumMergeAddsCounts) {
  request("*4\r\n$3\r\nDEL\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n");
  part({0}, ":1\r\n");
  part({1, 2}, ":2\r\n");
  EXPECT_EQ(merged(), ":3\r\n");
}

TEST_F(RedisFragments, AllOkMergeNeedsEveryOk) {
  request("MSET a 1 b 2\r\n");
  part({0}, "+OK\r\n");
  part({1}, "+OK\r\n");
  EXPECT_EQ(merged(), "+OK\r\n");
}

TEST_F(RedisFragments, AnyFailedPartMakesTheWholeReplyItsError) {
  request("*3\r\n$4\r\nMGET\r\n$1\r\na\r\n$1\r\nb\r\n");
  part({0}, "*1\r\n$1\r\n1\r\n");
  part({1}, "-ERR Connection refused\r\n");
  EXPECT_EQ(merged(), "-ERR Connection refused\r\n");
  EXPECT_TRUE(parent_.reply_is_error);
}

TEST_F(RedisFragments, ReplyOfTheWrongShapeIsAnError) {
  request("*3\r\n$3\r\nDEL\r\n$1\r\na\r\n$1\r\nb\r\n");
  part({0}, ":1\r\n");
  part({1}, "+QUEUED\r\n");
  EXPECT_EQ(merged().rfind("-ERR unexpected reply", 0), 0u);
  EXPECT_TRUE(parent_.reply_is_error);
}

TEST_F(RedisFragments, ArrayWithTooFewElementsIsAnError) {
  request("*3\r\n$4\r\nMGET\r\n$1\r\na\r\n$1\r\nb\r\n");
  part({0, 1}, "*1\r\n$1\r\n1\r\n");
  EXPECT_EQ(merged().rfind("-ERR unexpected reply", 0), 0u);
}

}  // namespace
}  // namespace walnut::redis
