// memcached through walnut, checked against real memcached servers:
// multi-get split over servers, large values, many concurrent pipelining
// clients, the commands walnut answers itself, bad input, a dead backend,
// and the libmemcached tools (the differential script of the ASCII and meta
// commands is in memcache_differential_test.cc). The oracle is always a
// memcached fed the same commands: a reply is right when it is what
// memcached itself answers.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/e2e/harness.h"
#include "tests/e2e/memcache_client.h"
#include "tests/e2e/memcache_pool.h"
#include "tests/e2e/memcache_script.h"
#include "tests/e2e/memcached_server.h"
#include "tests/e2e/resp_reply.h"

namespace walnut::e2e {
namespace {

using namespace std::chrono_literals;

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
// 1. Multi-get of 1, 10 and 1000 keys over three servers.

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
// 2. Values larger than one of walnut's buffers, and a 1 MB value.

TEST(MemcacheLargeValues, OneMegabyteAndManyBuffersRoundTrip) {
  TempDir dir;
  // memcached takes 2 MB items, and walnut is told so (its default for a
  // memcache pool is memcached's default, 1 MiB).
  McPool pool(dir, 1, "  max_request_size: 2097152\n", {"-I", "2m"});
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
// 3. Many clients at once, each pipelining.

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
// 4. Commands walnut answers itself.

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
// 5. Bad input.

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
    EXPECT_EQ(c.call("slabs reassign 1 2\r\n"), "CLIENT_ERROR unsupported command 'slabs'\r\n");
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
// 6. A dead backend fails only the requests routed to it.

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
// 7. Real clients: the libmemcached tools through walnut.

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
  const auto deadline = std::chrono::steady_clock::now() + 60s;
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
