// memcached through walnut, checked against real memcached servers: a
// differential script of the ASCII and meta commands (direct vs. through
// walnut over one server, then over three), multi-get split over servers,
// large values, many concurrent pipelining clients, the commands walnut
// answers itself, bad input, a dead backend, and the libmemcached tools. The
// oracle is always a memcached fed the same commands: a reply is right when
// it is what memcached itself answers.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/e2e/harness.h"
#include "tests/e2e/memcache_client.h"
#include "tests/e2e/memcached_server.h"
#include "tests/e2e/resp_reply.h"

namespace walnut::e2e {
namespace {

using namespace std::chrono_literals;

// How long a reply may take over loopback before the test calls it lost.
// Generous for a local memcached; short enough that a walnut that stops
// answering fails the file quickly (a client that timed out answers "" at
// once afterwards, and the tests stop at the first lost connection).
constexpr auto kWait = 2s;
constexpr auto kBigWait = 3s;  // a megabyte each way

// Pool settings that spread keys over servers. md5 rather than fnv1a_64:
// twemproxy's fnv1a_64 barely mixes the tail of short keys.
const char* const kSpread = "  hash: md5\n  distribution: ketama\n";

// memcached servers (each with `mc_args`) behind one walnut pool.
struct McPool {
  McPool(const TempDir& dir, int servers, const std::string& extra_yaml = "",
         const std::vector<std::string>& mc_args = {}) {
    for (int i = 0; i < servers; ++i) {
      backends.push_back(std::make_unique<MemcachedServer>(dir, mc_args));
    }
    walnut = std::make_unique<Walnut>(
        dir, memcache_pool_yaml("mc", ports(), extra_yaml));
  }
  ~McPool() {
    if (walnut) {
      EXPECT_TRUE(walnut->process().running()) << "walnut died: " << walnut->log();
    }
    walnut.reset();  // first, so that its clean exit is checked while servers live
  }
  std::vector<int> ports() const {
    std::vector<int> p;
    for (const auto& b : backends) p.push_back(b->port());
    return p;
  }
  int port() const { return walnut->port(); }

  std::vector<std::unique_ptr<MemcachedServer>> backends;
  std::unique_ptr<Walnut> walnut;
};

// A storage command with its data block: "cmd key flags exptime bytes[ tail]".
std::string store(const std::string& cmd, const std::string& key, unsigned long flags,
                  long exptime, const std::string& data, const std::string& tail = "") {
  return cmd + " " + key + " " + std::to_string(flags) + " " + std::to_string(exptime) +
         " " + std::to_string(data.size()) + (tail.empty() ? "" : " " + tail) + "\r\n" +
         data + "\r\n";
}
// The meta set command: "ms key bytes flags..." and its data block.
std::string meta_set(const std::string& key, const std::string& data,
                     const std::string& flags = "") {
  return "ms " + key + " " + std::to_string(data.size()) +
         (flags.empty() ? "" : " " + flags) + "\r\n" + data + "\r\n";
}
// What memcached answers a get for one stored item.
std::string value_block(const std::string& key, unsigned long flags, const std::string& data) {
  return "VALUE " + key + " " + std::to_string(flags) + " " + std::to_string(data.size()) +
         "\r\n" + data + "\r\n";
}

// Where two long replies part, for a failure message.
std::string first_difference(const std::string& a, const std::string& b) {
  size_t i = 0;
  while (i < a.size() && i < b.size() && a[i] == b[i]) ++i;
  if (i == a.size() && i == b.size()) return "equal";
  size_t from = i < 60 ? 0 : i - 60;
  return "sizes " + std::to_string(a.size()) + " and " + std::to_string(b.size()) +
         ", first difference at byte " + std::to_string(i) + ":\n    " +
         printable(a.substr(from, 160)) + "\n    " + printable(b.substr(from, 160));
}

// ---------------------------------------------------------------------------
// 1. Differential: a script run against memcached directly and through
//    walnut, replies compared byte for byte with cas uniques masked.

struct McStep {
  std::string request;  // may hold "{cas}": the run's latest gets/gats unique
  bool replies = true;  // false for noreply: the next step proves none came
  bool retrieval = false;
};

class McScript {
 public:
  void cmd(const std::string& request) { steps_.push_back({request, true, false}); }
  void read(const std::string& request) { steps_.push_back({request, true, true}); }
  // A noreply command, and a retrieval after it that shows its effect and
  // that no reply of its own came before.
  void silent(const std::string& request, const std::string& then) {
    steps_.push_back({request, false, false});
    read(then);
  }
  const std::vector<McStep>& steps() const { return steps_; }

 private:
  std::vector<McStep> steps_;
};

const std::string kKey250(250, 'L');

// Keys every step of the script may leave behind; the final retrieval block
// and the placement check use them.
std::vector<std::string> script_keys() {
  return {"s:a",  "s:b",  "s:c",  "s:d",  "s:crlf", "s:end", "s:fake", "s:big",
          "n:n",  "n:n2", "n:big", "n:w",  "nr:1",   "nr:2",  "nr:3",   "c:a",
          "c:b",  "m:1",  "m:2",  "m:3",  "m:e",    "m:cnt", "m:crlf", "t:a",
          kKey250};
}

McScript differential_script() {
  McScript s;
  // Storage commands, flags, empty values, values that look like replies.
  s.cmd(store("set", "s:a", 0, 0, "hello"));
  s.read("get s:a\r\n");
  s.cmd(store("set", "s:b", 42, 0, ""));
  s.read("get s:b\r\n");
  s.cmd(store("set", "s:c", 4294967295UL, 0, "xyz"));
  s.read("get s:c\r\n");
  s.cmd(store("add", "s:a", 0, 0, "nope"));
  s.cmd(store("add", "s:d", 1, 0, "ddd"));
  s.cmd(store("replace", "s:d", 2, 0, "dddd"));
  s.cmd(store("replace", "s:missing", 2, 0, "x"));
  s.read("get s:d s:missing\r\n");
  s.cmd(store("append", "s:a", 0, 0, " world"));
  s.cmd(store("prepend", "s:a", 0, 0, ">> "));
  s.cmd(store("append", "s:missing", 0, 0, "x"));
  s.cmd(store("prepend", "s:missing", 0, 0, "x"));
  s.read("get s:a\r\n");
  s.cmd(store("set", "s:crlf", 3, 0, "line1\r\nline2\r\n"));
  s.cmd(store("set", "s:end", 7, 0, "\r\nEND\r\n"));
  s.cmd(store("set", "s:fake", 9, 0, "x\r\nVALUE s:a 0 3\r\nabc\r\nEND\r\ny"));
  s.read("get s:crlf s:end s:fake\r\n");
  s.read("get s:end\r\n");
  s.read("gets s:fake\r\n");
  s.cmd(store("append", "s:end", 0, 0, "\r\n"));
  s.read("get s:end\r\n");
  s.cmd(store("set", "s:big", 5, 0, std::string(20000, 'b') + "\r\nEND\r\n" +
                                        std::string(3000, 'c')));
  s.read("get s:big\r\n");
  s.read("gets s:big s:a\r\n");
  s.cmd(store("set", kKey250, 11, 0, "long key"));
  s.read("get " + kKey250 + "\r\n");
  s.cmd(store("set", "s:gone", 0, -1, "expired at once"));
  s.read("get s:gone\r\n");
  // cas with uniques from this run's gets.
  s.cmd(store("set", "c:a", 0, 0, "v1"));
  s.read("gets c:a\r\n");
  s.cmd(store("cas", "c:a", 6, 0, "v2", "{cas}"));
  s.cmd(store("cas", "c:a", 6, 0, "v3", "{cas}"));  // stale now: EXISTS
  s.read("get c:a\r\n");
  s.read("gets c:a\r\n");
  s.cmd(store("set", "c:a", 0, 0, "v4"));
  s.cmd(store("cas", "c:a", 0, 0, "v5", "{cas}"));  // changed meanwhile
  s.cmd(store("cas", "c:missing", 0, 0, "v", "12345"));
  s.read("gets c:a\r\n");
  s.silent(store("cas", "c:a", 8, 0, "v6", "{cas} noreply"), "gets c:a\r\n");
  s.cmd(store("set", "c:b", 1, 0, "b1"));
  s.read("gats 0 c:b\r\n");
  s.cmd(store("cas", "c:b", 2, 0, "b2", "{cas}"));
  s.read("gets c:a c:b c:missing\r\n");
  // Retrievals: one to many keys, misses, duplicates.
  s.read("get s:a s:b s:c s:d\r\n");
  s.read("get s:a nothere1 s:b nothere2\r\n");
  s.read("get s:a s:a s:a\r\n");
  s.read("get nothere\r\n");
  s.read("get s:a s:b s:a nothere s:b\r\n");
  s.read("gets s:a s:b s:c\r\n");
  s.read("gets nothere1 nothere2\r\n");
  s.read("gets s:c s:c nothere s:c\r\n");
  for (int i = 0; i < 20; ++i) {
    s.cmd(store("set", "k:" + std::to_string(i), static_cast<unsigned long>(i), 0,
                std::string(static_cast<size_t>(i), static_cast<char>('a' + i))));
  }
  std::string twenty = "get", mixed = "gets";
  for (int i = 0; i < 20; ++i) twenty += " k:" + std::to_string(i);
  for (int i = 25; i >= 0; i -= 3) {  // misses (k:22, k:25) and duplicates (k:1, k:4)
    mixed += " k:" + std::to_string(i) + " k:" + std::to_string(i % 7);
  }
  s.read(twenty + "\r\n");
  s.read(mixed + "\r\n");
  // gat, gats, touch.
  s.read("gat 0 s:a s:b nothere\r\n");
  s.read("gats 1000 s:a s:d\r\n");
  s.read("gat 100 nothere\r\n");
  s.read("gat 0 s:d s:d\r\n");
  s.cmd("touch s:d 1000\r\n");
  s.cmd("touch nothere 10\r\n");
  s.cmd(store("set", "t:a", 4, 0, "touch me"));
  s.silent("touch t:a 0 noreply\r\n", "get t:a\r\n");
  s.silent("touch nothere 0 noreply\r\n", "get t:a s:b\r\n");
  // delete.
  s.cmd(store("set", "d:a", 0, 0, "doomed"));
  s.cmd("delete d:a\r\n");
  s.cmd("delete d:a\r\n");
  s.read("get d:a\r\n");
  s.cmd(store("set", "d:b", 0, 0, "doomed"));
  s.silent("delete d:b noreply\r\n", "get d:b s:a\r\n");
  s.silent("delete d:b noreply\r\n", "get d:b\r\n");
  // incr and decr, also on non-numeric values and past the edges.
  s.cmd(store("set", "n:n", 0, 0, "10"));
  s.cmd("incr n:n 5\r\n");
  s.cmd("decr n:n 3\r\n");
  s.cmd("decr n:n 100\r\n");
  s.read("get n:n\r\n");
  s.cmd("incr n:n 18446744073709551615\r\n");
  s.cmd("incr n:n 1\r\n");
  s.read("get n:n\r\n");
  s.cmd(store("set", "n:n2", 3, 0, "9"));
  s.cmd("incr n:n2 1\r\n");
  s.read("get n:n2\r\n");
  s.cmd(store("set", "n:big", 0, 0, "18446744073709551615"));
  s.cmd("incr n:big 1\r\n");
  s.read("get n:big\r\n");
  s.cmd("incr s:a 1\r\n");
  s.cmd("decr s:a 1\r\n");
  s.cmd("incr n:n2 abc\r\n");
  s.cmd("incr nothere 1\r\n");
  s.cmd("decr nothere 1\r\n");
  s.cmd(store("set", "n:w", 0, 0, "100"));
  s.silent("incr n:w 7 noreply\r\n", "get n:w\r\n");
  s.silent("decr n:w 200 noreply\r\n", "get n:w\r\n");
  s.silent("incr s:a 1 noreply\r\n", "get s:a\r\n");
  // noreply storage commands, one at a time and several in a row.
  s.silent(store("set", "nr:1", 3, 0, "hi", "noreply"), "get nr:1\r\n");
  s.silent(store("add", "nr:1", 0, 0, "no", "noreply"), "get nr:1\r\n");
  s.silent(store("add", "nr:2", 5, 0, "added", "noreply"), "get nr:2\r\n");
  s.silent(store("replace", "nr:2", 6, 0, "replaced", "noreply"), "get nr:2\r\n");
  s.silent(store("append", "nr:2", 0, 0, "+", "noreply"), "get nr:2\r\n");
  s.silent(store("prepend", "nr:2", 0, 0, "-", "noreply"), "get nr:2\r\n");
  s.silent(store("set", "nr:3", 0, 0, "\r\nEND\r\n", "noreply"), "get nr:3\r\n");
  s.silent(store("set", "nr:x", 0, 0, "1", "noreply"), "get nr:x\r\n");
  s.silent("delete nr:x noreply\r\n", "get nr:x nr:1\r\n");
  // Meta commands.
  s.cmd("mn\r\n");
  s.read("mg s:c v\r\n");
  s.read("mg s:c v f t s k\r\n");
  s.read("mg s:crlf s v\r\n");
  s.read("mg s:c\r\n");
  s.read("mg s:c k O123\r\n");
  s.read("mg nothere v\r\n");
  s.read("mg nothere\r\n");
  s.cmd(meta_set("m:1", "abcde"));
  s.read("mg m:1 v f s\r\n");
  s.cmd(meta_set("m:1", "xyz", "F9 T0"));
  s.read("mg m:1 v f t\r\n");
  s.cmd(meta_set("m:1", "AA", "MA"));
  s.cmd(meta_set("m:1", "PP", "MP"));
  s.read("mg m:1 v\r\n");
  s.read("get m:1\r\n");
  s.cmd(meta_set("m:2", "new", "ME F3"));
  s.cmd(meta_set("m:2", "again", "ME"));
  s.cmd(meta_set("m:nothere", "r", "MR"));
  s.cmd(meta_set("m:2", "replaced", "MR"));
  s.cmd(meta_set("m:3", "opaque", "O42 k"));
  s.read("mg m:2 v f k\r\n");
  s.cmd(meta_set("m:e", ""));
  s.read("mg m:e v s f\r\n");
  s.cmd(meta_set("m:crlf", "a\r\nEND\r\nVA 3\r\nb", "F1"));
  s.read("mg m:crlf v f\r\n");
  s.read("get m:crlf m:e m:3\r\n");
  s.cmd(meta_set("m:gone", "x"));
  s.cmd("md m:gone\r\n");
  s.cmd("md m:gone\r\n");
  s.cmd("md nothere O5\r\n");
  s.read("mg m:gone v\r\n");
  s.cmd("ma m:cnt\r\n");
  s.cmd("ma m:cnt N0 J13\r\n");
  s.cmd("ma m:cnt v\r\n");
  s.cmd("ma m:cnt MD D4 v\r\n");
  s.cmd("ma m:cnt MI D100 v\r\n");
  s.cmd("ma s:a\r\n");
  s.cmd("mn\r\n");
  s.read("get m:cnt\r\n");
  // The end state: many keys in one request, every kind of retrieval.
  std::vector<std::string> keys = script_keys();
  std::string all = "get", all_gets = "gets", dup = "get";
  for (const auto& k : keys) all += " " + k;
  for (const auto& k : keys) all_gets += " " + k + " nothere:" + k.substr(0, 3);
  for (size_t i = 0; i < keys.size(); ++i) dup += " " + keys[(i * 7) % keys.size()] + " " + keys[i];
  s.read(all + "\r\n");
  s.read(all_gets + "\r\n");
  s.read(dup + "\r\n");
  s.read("gat 0" + all.substr(3) + "\r\n");
  s.read("gats 0" + all.substr(3) + "\r\n");
  for (const auto& k : keys) s.read("mg " + k + " s f k v\r\n");
  return s;
}

// `request` with "{cas}" replaced by `cas` ("0" before any gets answered).
std::string with_cas(std::string request, const std::string& cas) {
  size_t at = request.find("{cas}");
  if (at != std::string::npos) request.replace(at, 5, cas.empty() ? "0" : cas);
  return request;
}

struct RunCounts {
  int commands = 0;   // steps sent
  int compared = 0;   // replies compared
  int retrievals = 0;  // of which retrievals
};

// Runs every step against memcached and through walnut, one at a time, and
// compares the replies. A walnut connection that stops answering is
// replaced, but not forever.
RunCounts compare_runs(const std::vector<McStep>& steps, int direct_port, int walnut_port,
                       const std::string& label) {
  RunCounts n;
  // A short wait on walnut's side: replies here are small, and each lost
  // one costs a wait.
  McClient direct(direct_port, kWait);
  auto proxy = std::make_unique<McClient>(walnut_port, 1s);
  EXPECT_TRUE(direct.connected() && proxy->connected()) << label;
  std::string direct_cas, proxy_cas;
  int mismatches = 0, lost = 0;
  for (size_t i = 0; i < steps.size(); ++i) {
    const McStep& s = steps[i];
    direct.send_raw(with_cas(s.request, direct_cas));
    proxy->send_raw(with_cas(s.request, proxy_cas));
    ++n.commands;
    if (!s.replies) continue;
    std::string want = direct.read_reply();
    std::string got = proxy->read_reply();
    ++n.compared;
    if (s.retrieval) ++n.retrievals;
    if (!first_cas(want).empty()) direct_cas = first_cas(want);
    if (!first_cas(got).empty()) proxy_cas = first_cas(got);
    EXPECT_FALSE(want.empty()) << label << ": memcached gave no reply to step " << i << ": "
                               << printable(s.request);
    if (mask_cas(want) != mask_cas(got) && ++mismatches <= 40) {
      ADD_FAILURE() << label << ": step " << i << ": " << printable(s.request)
                    << "\n  memcached: " << printable(want) << "\n  walnut:    "
                    << printable(got);
    }
    if (got.empty() || !proxy->healthy()) {
      if (++lost >= 2) {
        ADD_FAILURE() << label << ": walnut stopped answering; giving up after step " << i;
        return n;
      }
      proxy = std::make_unique<McClient>(walnut_port, 1s);
    }
  }
  EXPECT_TRUE(direct.quiet_for(50ms)) << label << ": memcached sent more than expected";
  EXPECT_TRUE(proxy->quiet_for(200ms)) << label << ": walnut sent replies nobody asked for";
  EXPECT_EQ(mismatches, 0) << label << ": " << mismatches << " replies differ";
  return n;
}

TEST(MemcacheDifferential, DirectVsOneServerThenThreeServers) {
  TempDir dir;
  std::vector<McStep> steps = differential_script().steps();
  ASSERT_GE(steps.size(), 150u);

  // One server: every command, byte for byte.
  MemcachedServer direct(dir);
  McPool one(dir, 1);
  RunCounts a = compare_runs(steps, direct.port(), one.port(), "one server");
  std::cout << "[ memcache ] differential, one server: " << a.commands
            << " commands sent, " << a.compared << " replies compared\n";
  EXPECT_EQ(a.commands, static_cast<int>(steps.size()));

  // Three servers: the same data (made by the same script) and every
  // retrieval, multi-key ones split over the servers.
  MemcachedServer reference(dir);
  McPool three(dir, 3, kSpread);
  RunCounts b = compare_runs(steps, reference.port(), three.port(), "three servers");
  std::cout << "[ memcache ] differential, three servers: " << b.commands
            << " commands sent, " << b.compared << " replies compared, of which "
            << b.retrievals << " retrievals\n";
  EXPECT_EQ(b.commands, static_cast<int>(steps.size()));

  // The end state really is spread: every key the reference holds is on
  // exactly one of the three servers, and each server holds some.
  std::vector<std::string> keys = script_keys();
  std::vector<int> ref = mc_locate({reference.port()}, keys);
  std::vector<int> where = mc_locate(three.ports(), keys);
  std::set<int> used;
  for (size_t i = 0; i < keys.size(); ++i) {
    EXPECT_EQ(ref[i], 0) << "the script should leave " << keys[i] << " behind";
    EXPECT_GE(where[i], 0) << keys[i] << " is on " << where[i] << " servers (-1: none, -2: many)";
    used.insert(where[i]);
  }
  EXPECT_EQ(used, (std::set<int>{0, 1, 2})) << "keys not spread over all three servers";
}

// ---------------------------------------------------------------------------
// 2. Multi-get of 1, 10 and 1000 keys over three servers.

TEST(MemcacheMultiGet, SplitOverThreeServersAnswersLikeOneMemcached) {
  TempDir dir;
  McPool three(dir, 3, kSpread);
  MemcachedServer reference(dir);

  // 300 items with varied flags, sizes and awkward bytes; set through walnut
  // and into the reference, pipelined.
  struct Item {
    unsigned long flags;
    std::string data;
  };
  std::map<std::string, Item> model;
  std::vector<std::string> stored;
  std::string sets;
  for (int i = 0; i < 300; ++i) {
    std::string key = std::to_string(i) + ":mget:key";
    Item item{static_cast<unsigned long>(i * 7919),
              std::string(static_cast<size_t>(i % 40), static_cast<char>('A' + i % 26)) +
                  (i % 5 == 0 ? "\r\nEND\r\n" : "") + std::to_string(i)};
    if (i % 11 == 0) item.data.clear();
    model[key] = item;
    stored.push_back(key);
    sets += store("set", key, item.flags, 0, item.data);
  }
  {
    McClient via(three.port(), kWait), ref(reference.port(), kWait);
    ASSERT_TRUE(via.send_raw(sets));
    ASSERT_TRUE(ref.send_raw(sets));
    for (int i = 0; i < 300; ++i) {
      ASSERT_EQ(via.read_reply(), "STORED\r\n") << "set " << stored[static_cast<size_t>(i)];
      ASSERT_EQ(ref.read_reply(), "STORED\r\n");
    }
  }

  // Spread: each item on exactly one server, every server with a fair share.
  std::vector<int> where = mc_locate(three.ports(), stored);
  std::vector<int> per_server(3, 0);
  for (size_t i = 0; i < stored.size(); ++i) {
    ASSERT_GE(where[i], 0) << stored[i] << " is on " << where[i] << " servers";
    ++per_server[static_cast<size_t>(where[i])];
  }
  for (int s = 0; s < 3; ++s) {
    ASSERT_GE(per_server[static_cast<size_t>(s)], 30) << "server " << s << " holds too few keys";
  }

  // Requests: hits, misses and duplicates in a fixed pseudo-random order.
  unsigned seed = 12345;
  auto next = [&seed]() { return (seed = seed * 1103515245u + 12345u) >> 8; };
  auto request_keys = [&](int n) {
    std::vector<std::string> keys;
    for (int i = 0; i < n; ++i) {
      unsigned r = next() % 400;
      if (r >= 300) keys.push_back(std::to_string(r) + ":miss:key");
      else keys.push_back(stored[r]);
      if (i > 0 && next() % 8 == 0) keys.push_back(keys[keys.size() - 2]);  // duplicate
    }
    keys.resize(static_cast<size_t>(n));
    // Placement depends on the servers' ports, so make sure of what matters:
    // a hit on each server, a miss, and duplicates.
    for (size_t s = 0; s < 3; ++s) {
      keys[s] = stored[static_cast<size_t>(
          std::find(where.begin(), where.end(), static_cast<int>(s)) - where.begin())];
    }
    keys[3] = "nothere:mget:key";
    keys[static_cast<size_t>(n) - 1] = keys[0];
    keys[static_cast<size_t>(n) / 2] = keys[1];
    return keys;
  };
  std::vector<std::vector<std::string>> cases = {
      {stored[7]}, {"nothere:mget:key"}, request_keys(10), request_keys(1000)};
  McClient via(three.port(), kWait), ref(reference.port(), kWait);
  for (const auto& keys : cases) {
    std::string line, want_model;
    int hits = 0;
    for (const auto& k : keys) {
      line += " " + k;
      auto it = model.find(k);
      if (it == model.end()) continue;
      want_model += value_block(k, it->second.flags, it->second.data);
      ++hits;
    }
    want_model += "END\r\n";
    std::string label = std::to_string(keys.size()) + " keys, " + std::to_string(hits) + " hits";
    std::string got = via.call("get" + line + "\r\n");
    std::string want = ref.call("get" + line + "\r\n");
    EXPECT_TRUE(got == want) << label << ": walnut vs memcached: " << first_difference(got, want);
    EXPECT_TRUE(got == want_model) << label << ": walnut vs stored data: "
                                   << first_difference(got, want_model);
    std::string got_gets = mask_cas(via.call("gets" + line + "\r\n"));
    std::string ref_gets = mask_cas(ref.call("gets" + line + "\r\n"));
    EXPECT_TRUE(got_gets == ref_gets) << "gets, " << label << ": walnut vs memcached: "
                                      << first_difference(got_gets, ref_gets);
    EXPECT_EQ(value_keys(got_gets).size(), static_cast<size_t>(hits)) << "gets, " << label;
    if (keys.size() >= 10) {
      std::set<int> servers;
      for (const auto& k : keys) {
        auto at = std::find(stored.begin(), stored.end(), k);
        if (at != stored.end()) servers.insert(where[static_cast<size_t>(at - stored.begin())]);
      }
      EXPECT_EQ(servers.size(), 3u) << label << ": the request should span all servers";
    }
  }
  EXPECT_TRUE(via.quiet_for(100ms)) << "walnut sent more than one reply per get";
}

// ---------------------------------------------------------------------------
// 3. Values larger than one of walnut's buffers, and a 1 MB value.

TEST(MemcacheLargeValues, OneMegabyteAndManyBuffersRoundTrip) {
  TempDir dir;
  McPool pool(dir, 1, "", {"-I", "2m"});
  auto pattern = [](size_t n, unsigned salt) {
    std::string v(n, '\0');
    for (size_t i = 0; i < n; ++i) v[i] = static_cast<char>((i * 131 + salt + i / 977) & 0xff);
    // Bytes that look like the end of a reply, at buffer-ish offsets.
    for (size_t at = 1000; at + 7 < n; at += 16381) v.replace(at, 7, "\r\nEND\r\n");
    return v;
  };
  const std::string mb = pattern(1024 * 1024, 7);
  const std::string mid = pattern(70001, 3);  // a few 16 KB buffers

  McClient c(pool.port(), kBigWait);
  ASSERT_EQ(c.call(store("set", "big:mb", 77, 0, mb)), "STORED\r\n");
  ASSERT_EQ(c.call(store("set", "big:mid", 5, 0, mid)), "STORED\r\n");
  auto same = [](const std::string& got, const std::string& want) {
    return got == want ? ::testing::AssertionSuccess()
                       : ::testing::AssertionFailure() << first_difference(got, want);
  };
  EXPECT_TRUE(same(c.call("get big:mb\r\n"), value_block("big:mb", 77, mb) + "END\r\n"))
      << "1 MB get";
  EXPECT_TRUE(same(c.call("get big:mid\r\n"), value_block("big:mid", 5, mid) + "END\r\n"))
      << "70001-byte get";
  EXPECT_TRUE(same(c.call("get big:mid big:mb nothere big:mid\r\n"),
                   value_block("big:mid", 5, mid) + value_block("big:mb", 77, mb) +
                       value_block("big:mid", 5, mid) + "END\r\n"))
      << "multi-get of large values";
  EXPECT_TRUE(same(c.call("mg big:mid v f s\r\n"), "VA 70001 f5 s70001\r\n" + mid + "\r\n"))
      << "meta get of a large value";

  // Pipelined: a large set and its get in one write.
  const std::string mid2 = pattern(40000, 11);
  c.send_raw(store("set", "big:pipe", 0, 0, mid2) + "get big:pipe\r\n");
  EXPECT_EQ(c.read_reply(), "STORED\r\n");
  EXPECT_TRUE(same(c.read_reply(), value_block("big:pipe", 0, mid2) + "END\r\n"))
      << "pipelined large set and get";

  // Stored intact on the server, not just echoed back.
  McClient direct(pool.ports()[0], kBigWait);
  EXPECT_TRUE(same(direct.call("get big:mb\r\n"), value_block("big:mb", 77, mb) + "END\r\n"))
      << "the server does not hold the 1 MB value as sent";
}

// ---------------------------------------------------------------------------
// 4. Many clients at once, each pipelining.

TEST(MemcacheConcurrency, HundredPipeliningClients) {
  TempDir dir;
  McPool pool(dir, 3, kSpread);
  constexpr int kClients = 100, kRounds = 2, kKeys = 20;
  std::mutex mu;
  std::vector<std::string> errors;
  std::atomic<int> checked{0};
  auto fail = [&](const std::string& what) {
    std::lock_guard<std::mutex> lock(mu);
    errors.push_back(what);
  };
  auto client = [&](int id) {
    McClient c(pool.port(), kBigWait);
    if (!c.connected()) return fail("client " + std::to_string(id) + " could not connect");
    for (int r = 0; r < kRounds; ++r) {
      std::vector<std::string> keys, values;
      std::string batch;
      for (int j = 0; j < kKeys; ++j) {
        keys.push_back(std::to_string(j) + ":c" + std::to_string(id) + ":r" + std::to_string(r));
        values.push_back(std::string(static_cast<size_t>((id * 37 + j * 101) % 3000), 'v') + "@" +
                         keys.back());
        batch += store("set", keys.back(), static_cast<unsigned long>(id), 0, values.back());
      }
      std::string multi = "get", want_multi;
      for (int j = 0; j < kKeys; ++j) batch += "get " + keys[static_cast<size_t>(j)] + "\r\n";
      for (int j = kKeys - 1; j >= 0; --j) {
        multi += " " + keys[static_cast<size_t>(j)];
        want_multi += value_block(keys[static_cast<size_t>(j)], static_cast<unsigned long>(id),
                                  values[static_cast<size_t>(j)]);
      }
      batch += multi + " missing:c" + std::to_string(id) + "\r\n";
      want_multi += "END\r\n";
      if (!c.send_raw(batch)) return fail("client " + std::to_string(id) + ": send failed");
      for (int j = 0; j < kKeys; ++j) {
        std::string got = c.read_reply();
        if (got != "STORED\r\n") {
          return fail("client " + std::to_string(id) + " set " + keys[static_cast<size_t>(j)] +
                      ": " + printable(got));
        }
        ++checked;
      }
      for (int j = 0; j < kKeys; ++j) {
        std::string got = c.read_reply();
        std::string want = value_block(keys[static_cast<size_t>(j)],
                                       static_cast<unsigned long>(id),
                                       values[static_cast<size_t>(j)]) + "END\r\n";
        if (got != want) {
          return fail("client " + std::to_string(id) + " get " + keys[static_cast<size_t>(j)] +
                      ": " + printable(got));
        }
        ++checked;
      }
      std::string got = c.read_reply();
      if (got != want_multi) {
        return fail("client " + std::to_string(id) + " multi-get: " + printable(got));
      }
      ++checked;
    }
  };
  std::vector<std::thread> threads;
  for (int i = 0; i < kClients; ++i) threads.emplace_back(client, i);
  for (auto& t : threads) t.join();
  for (size_t i = 0; i < errors.size() && i < 10; ++i) ADD_FAILURE() << errors[i];
  EXPECT_TRUE(errors.empty()) << errors.size() << " clients failed";
  EXPECT_EQ(checked.load(), kClients * kRounds * (2 * kKeys + 1));

  // Every item landed on exactly one server.
  long long items = 0;
  for (int port : pool.ports()) {
    McClient direct(port, kWait);
    long long n = mc_stat(direct, "curr_items");
    EXPECT_GT(n, 0) << "server " << port << " got no items";
    items += n;
  }
  EXPECT_EQ(items, kClients * kRounds * kKeys);
}

// ---------------------------------------------------------------------------
// 5. Commands walnut answers itself.

TEST(MemcacheLocal, VersionMnAndQuit) {
  TempDir dir;
  McPool pool(dir, 1);
  {
    McClient c(pool.port(), kWait);
    std::string v = c.call("version\r\n");
    ASSERT_FALSE(v.empty()) << "walnut does not answer";
    EXPECT_EQ(v.rfind("VERSION ", 0), 0u) << printable(v);
    EXPECT_EQ(v.find("\r\n"), v.size() - 2) << printable(v);
    EXPECT_EQ(c.call("mn\r\n"), "MN\r\n");
    EXPECT_EQ(c.call(store("set", "q:a", 1, 0, "still here")), "STORED\r\n");
    ASSERT_TRUE(c.healthy()) << "walnut stopped answering";
  }
  {
    // quit after a pipeline: the earlier replies first, then EOF.
    McClient c(pool.port(), kWait);
    c.send_raw(store("set", "q:k", 0, 0, "hi") + "get q:k\r\nquit\r\n");
    EXPECT_EQ(c.read_reply(), "STORED\r\n");
    EXPECT_EQ(c.read_reply(), "VALUE q:k 0 2\r\nhi\r\nEND\r\n");
    ASSERT_EQ(c.buffered(), 0u) << "more replies than requests before quit";
    EXPECT_TRUE(c.closed_by_peer(kWait)) << "quit did not close the connection";
  }
  {
    McClient c(pool.port(), kWait);
    c.send_raw("mn\r\nversion\r\nquit\r\nget q:a\r\n");
    EXPECT_EQ(c.read_reply(), "MN\r\n");
    EXPECT_EQ(c.read_reply().rfind("VERSION ", 0), 0u);
    EXPECT_TRUE(c.closed_by_peer(kWait)) << "quit did not close the connection, or a "
                                         "command after it was answered";
  }
  {
    McClient c(pool.port(), kWait);
    c.send_raw("quit\r\n");
    EXPECT_TRUE(c.closed_by_peer(kWait));
  }
  // Other connections are unaffected.
  McClient c(pool.port(), kWait);
  EXPECT_EQ(c.call("get q:a\r\n"), "VALUE q:a 1 10\r\nstill here\r\nEND\r\n");
}

// ---------------------------------------------------------------------------
// 6. Bad input.

TEST(MemcacheBadInput, RefusedWithoutReachingTheServer) {
  TempDir dir;
  McPool pool(dir, 1);
  // One direct connection, kept open: memcached's bytes_read then grows by
  // exactly the 7 bytes of each "stats\r\n" unless something else arrives.
  McClient probe(pool.ports()[0], kWait);
  auto snapshot = [&probe]() {
    auto all = mc_stats(probe);
    return std::make_pair(std::atoll(all["bytes_read"].c_str()),
                          std::atoll(all["curr_items"].c_str()));
  };
  const auto [read0, items0] = snapshot();
  ASSERT_GT(read0, 0);

  {
    McClient c(pool.port(), kWait);
    std::string r = c.call("bogus k\r\n");
    ASSERT_FALSE(r.empty()) << "walnut does not answer";
    EXPECT_EQ(r, "ERROR\r\n");
    EXPECT_EQ(c.call("mn\r\n"), "MN\r\n") << "the connection should stay open";
    EXPECT_EQ(c.call("GET k\r\n"), "ERROR\r\n");
    EXPECT_EQ(c.call("mn\r\n"), "MN\r\n") << "the connection should stay open";
    EXPECT_EQ(c.call("stats\r\n"), "CLIENT_ERROR unsupported command 'stats'\r\n");
    EXPECT_EQ(c.call("flush_all\r\n"), "CLIENT_ERROR unsupported command 'flush_all'\r\n");
    EXPECT_EQ(c.call("mn\r\n"), "MN\r\n") << "the connection should stay open";
    ASSERT_TRUE(c.healthy()) << "walnut stopped answering";
  }
  const std::string k251(251, 'k');
  const std::vector<std::pair<std::string, std::string>> bad_keys = {
      {"set, 251-byte key", store("set", k251, 0, 0, "x")},
      {"get, 251-byte key", "get " + k251 + "\r\n"},
      {"set, key with \\x01", store("set", std::string("a\x01" "b"), 0, 0, "x")},
      {"get, key with \\x01", std::string("get a\x01" "b\r\n")},
      {"set, key with \\x7f", store("set", std::string("a\x7f" "b"), 0, 0, "x")},
  };
  for (const auto& [what, request] : bad_keys) {
    McClient c(pool.port(), kWait);
    std::string r = c.call(request);
    ASSERT_FALSE(r.empty()) << what << ": no reply";
    EXPECT_EQ(r, "CLIENT_ERROR bad command line format\r\n") << what;
  }
  {
    McClient c(pool.port(), kWait);
    std::string r = c.call("mg q:k v q\r\n");
    EXPECT_EQ(r.rfind("CLIENT_ERROR", 0), 0u) << "meta quiet mode: " << printable(r);
  }
  const auto [read1, items1] = snapshot();
  EXPECT_EQ(read1, read0 + 7) << "refused requests reached the server";
  EXPECT_EQ(items1, items0);

  // The probe can see traffic: a good request through walnut shows up.
  {
    McClient c(pool.port(), kWait);
    EXPECT_EQ(c.call(store("set", "ok", 0, 0, "x")), "STORED\r\n");
  }
  const auto [read2, items2] = snapshot();
  EXPECT_GT(read2, read1 + 7) << "the probe does not see traffic through walnut";
  EXPECT_EQ(items2, items0 + 1);
  EXPECT_EQ(probe.call("get ok\r\n"), "VALUE ok 0 1\r\nx\r\nEND\r\n")
      << "flush_all must not have reached the server";

  // Framing errors: earlier replies first, then a CLIENT_ERROR line, then EOF.
  const std::vector<std::pair<std::string, std::string>> framing = {
      {"data longer than announced", store("set", "f:a", 0, 0, "x") + "get f:a\r\n" +
                                         "set f:bad 0 0 5\r\nabcdefgh\r\n"},
      {"length not a number", store("set", "f:a", 0, 0, "x") + "get f:a\r\n" +
                                  "set f:bad 0 0 abc\r\n"},
  };
  for (const auto& [what, request] : framing) {
    McClient c(pool.port(), kWait);
    c.send_raw(request);
    std::string first = c.read_reply();
    ASSERT_FALSE(first.empty()) << what << ": no reply";
    EXPECT_EQ(first, "STORED\r\n") << what;
    EXPECT_EQ(c.read_reply(), "VALUE f:a 0 1\r\nx\r\nEND\r\n") << what;
    std::string err = c.read_reply();
    EXPECT_EQ(err.rfind("CLIENT_ERROR ", 0), 0u) << what << ": " << printable(err);
    EXPECT_EQ(err.find("\r\n"), err.size() - 2) << what << ": " << printable(err);
    EXPECT_TRUE(c.closed_by_peer(kWait)) << what << ": the connection should close";
  }
  EXPECT_EQ(probe.call("get f:bad\r\n"), "END\r\n") << "a malformed set was stored";
}

// ---------------------------------------------------------------------------
// 7. A dead backend fails only the requests routed to it.

TEST(MemcacheBackendFailure, DeadServerFailsOnlyItsKeys) {
  TempDir dir;
  MemcachedServer live(dir);
  int dead = free_port();  // nothing listens here
  Walnut walnut(dir, memcache_pool_yaml("mc", {live.port(), dead}, kSpread));

  std::vector<std::string> on_live, on_dead;
  {
    McClient c(walnut.port(), kWait);
    for (int i = 0; i < 40; ++i) {
      std::string key = std::to_string(i) + ":bf:key";
      std::string r = c.call(store("set", key, 0, 0, "v" + key));
      ASSERT_FALSE(r.empty()) << "no reply to set " << key;
      if (r == "STORED\r\n") {
        on_live.push_back(key);
      } else {
        EXPECT_EQ(r.rfind("SERVER_ERROR ", 0), 0u) << key << ": " << printable(r);
        EXPECT_EQ(r.find("\r\n"), r.size() - 2) << key << ": " << printable(r);
        on_dead.push_back(key);
      }
    }
  }
  ASSERT_FALSE(on_live.empty()) << "no request reached the live server";
  ASSERT_FALSE(on_dead.empty()) << "no key was routed to the dead server";
  // The live server holds exactly the keys that were STORED.
  std::vector<std::string> all = on_live;
  all.insert(all.end(), on_dead.begin(), on_dead.end());
  std::vector<int> where = mc_locate({live.port()}, all);
  for (size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(where[i], i < on_live.size() ? 0 : -1) << all[i];
  }

  McClient c(walnut.port(), kWait);
  for (const auto& k : on_live) {
    EXPECT_EQ(c.call("get " + k + "\r\n"), value_block(k, 0, "v" + k) + "END\r\n");
    ASSERT_TRUE(c.healthy()) << "walnut stopped answering";
  }
  for (const auto& k : on_dead) {
    std::string r = c.call("get " + k + "\r\n");
    EXPECT_EQ(r.rfind("SERVER_ERROR ", 0), 0u) << printable(r);
    ASSERT_TRUE(c.healthy()) << "walnut stopped answering";
  }
  // A multi-get touching both: one SERVER_ERROR line for the whole request.
  std::string r = c.call("get " + on_live[0] + " " + on_dead[0] + " " +
                         on_live.back() + "\r\n");
  EXPECT_EQ(r.rfind("SERVER_ERROR ", 0), 0u) << printable(r);
  EXPECT_EQ(r.find("\r\n"), r.size() - 2) << printable(r);
  EXPECT_EQ(c.call("mn\r\n"), "MN\r\n") << "more than one reply to the multi-get";
  // Live-only multi-gets still work on the same connection.
  std::string want;
  for (const auto& k : on_live) want += value_block(k, 0, "v" + k);
  std::string line = "get";
  for (const auto& k : on_live) line += " " + k;
  EXPECT_EQ(c.call(line + "\r\n"), want + "END\r\n");
}

// ---------------------------------------------------------------------------
// 8. Real clients: the libmemcached tools through walnut.

TEST(MemcacheRealClients, LibmemcachedToolsThroughWalnut) {
  TempDir dir;
  McPool pool(dir, 3, kSpread);
  const std::string servers = "--servers=127.0.0.1:" + std::to_string(pool.port());
  std::map<std::string, std::string> files = {
      {"notes.txt", "hello from walnut\n"},
      {"blob.bin", ""},
      {"page.html", "<html>\r\nEND\r\n</html>\n"},
  };
  for (int i = 0; i < 30000; ++i) files["blob.bin"] += static_cast<char>((i * 7 + i / 13) & 0xff);
  std::vector<std::string> cp = {"/usr/bin/memccp", servers};
  for (const auto& [name, content] : files) {
    std::ofstream(dir.file(name), std::ios::binary) << content;
    cp.push_back(dir.file(name));
  }
  // The tools wait seconds for a reply that never comes: one budget for the
  // whole test keeps a hung walnut from costing a minute.
  const auto deadline = std::chrono::steady_clock::now() + 15s;
  auto run = [&deadline](const std::vector<std::string>& argv, std::string* out,
                         std::chrono::milliseconds limit) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left < 1s) {
      *out = "(not run: the test's time budget is spent)";
      return -1;
    }
    return run_command(argv, out, std::min(limit, left));
  };
  std::string out;
  ASSERT_EQ(run(cp, &out, 5s), 0) << "memccp: " << out;

  std::vector<std::string> names;
  for (const auto& [name, content] : files) {
    names.push_back(name);
    int rc = run({"/usr/bin/memccat", servers, name}, &out, 5s);
    EXPECT_EQ(rc, 0) << "memccat " << name << ": " << printable(out);
    // memccat ends each value with a newline of its own.
    EXPECT_TRUE(out == content || out == content + "\n")
        << "memccat " << name << ": " << out.size() << " bytes, want " << content.size();
  }
  // They went through walnut to the servers, each to exactly one.
  for (int w : mc_locate(pool.ports(), names)) EXPECT_GE(w, 0);

  std::vector<std::string> rm = {"/usr/bin/memcrm", servers};
  rm.insert(rm.end(), names.begin(), names.end());
  EXPECT_EQ(run(rm, &out, 5s), 0) << "memcrm: " << out;
  for (const auto& [name, content] : files) {
    int rc = run({"/usr/bin/memccat", servers, name}, &out, 5s);
    EXPECT_NE(rc, 0) << "memccat of a removed key succeeded: " << printable(out);
    EXPECT_EQ(out.find(content.substr(0, 10)), std::string::npos) << printable(out);
  }
  for (int w : mc_locate(pool.ports(), names)) EXPECT_EQ(w, -1);

  for (const char* test : {"get", "mget"}) {
    int rc = run({"/usr/bin/memcslap", servers, "--concurrency=4", "--execute-number=2000",
                  std::string("--test=") + test},
                 &out, 10s);
    EXPECT_EQ(rc, 0) << "memcslap --test=" << test << ": " << out.substr(0, 2000);
    std::string lower = out;
    for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    EXPECT_EQ(lower.find("error"), std::string::npos) << out.substr(0, 2000);
    EXPECT_EQ(lower.find("fail"), std::string::npos) << out.substr(0, 2000);
    EXPECT_NE(out.find("Time total"), std::string::npos) << out.substr(0, 2000);
  }
}

}  // namespace
}  // namespace walnut::e2e
