// Tests for the ketama, modula and random distributions.
//
// The placement tables below were observed on the real nutcracker 0.5.0
// (/usr/sbin/nutcracker, Debian): four redis-servers on 127.0.0.1:26380..26383,
// each key SET through nutcracker, then looked up on every backend. They
// cover all 12 hashes under ketama and modula, once with plain "host:port:1"
// servers and once with names of mixed lengths and unequal weights (which
// exercises nutcracker's sorting of servers by name).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <new>
#include <set>
#include <string>
#include <vector>

#include "dist/distribution.h"
#include "dist/ketama.h"
#include "dist/modula.h"
#include "dist/random.h"
#include "hash/hash.h"
#include "hash/md5.h"

// Counting global allocator, to prove pick() allocates nothing. Weak, so a
// test file elsewhere in the binary may bring its own; the test that relies
// on it checks first that it is the one in use.
namespace {
size_t g_allocations = 0;
}  // namespace

// Every plain and nothrow form is replaced so that all of them pair with
// free() (the sanitizers check that pairing).
namespace {
void* counted_alloc(std::size_t n) noexcept {
  ++g_allocations;
  return std::malloc(n == 0 ? 1 : n);
}
}  // namespace

__attribute__((weak)) void* operator new(std::size_t n) {
  if (void* p = counted_alloc(n)) return p;
  throw std::bad_alloc();
}
__attribute__((weak)) void* operator new[](std::size_t n) {
  if (void* p = counted_alloc(n)) return p;
  throw std::bad_alloc();
}
__attribute__((weak)) void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  return counted_alloc(n);
}
__attribute__((weak)) void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
  return counted_alloc(n);
}
__attribute__((weak)) void operator delete(void* p) noexcept { std::free(p); }
__attribute__((weak)) void operator delete[](void* p) noexcept { std::free(p); }
__attribute__((weak)) void operator delete(void* p, std::size_t) noexcept { std::free(p); }
__attribute__((weak)) void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
__attribute__((weak)) void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
__attribute__((weak)) void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }

namespace walnut::dist {
namespace {

std::vector<ServerWeight> plain_servers() {
  return {{0, "127.0.0.1:26380", 1},
          {1, "127.0.0.1:26381", 1},
          {2, "127.0.0.1:26382", 1},
          {3, "127.0.0.1:26383", 1}};
}

// "127.0.0.1:2638x:w name" with these names and weights.
std::vector<ServerWeight> named_servers() {
  return {{0, "zz", 1}, {1, "a10", 2}, {2, "b", 1}, {3, "a9", 3}};
}

const std::vector<std::string> kKeys = {
    "foo", "bar", "baz", "a", "abc", "hello world", "key:1", "key:2", "key:3", "key:42",
    "user:1000", "session:abcdef0123", "\xc3\xa9t\xc3\xa9", "\xff\x80\x7f",
    std::string("\x80", 1), "\xfe\xfd\xfc", "0123456789abcdefghij",
    "the quick brown fox jumps over"};

struct Observed {
  const char* hash;
  const char* dist;
  const char* servers;  // server index per kKeys entry, as digits
};

const std::vector<Observed> kPlainObserved = {
    {"one_at_a_time", "ketama", "202221131012203301"},
    {"one_at_a_time", "modula", "112233013333103302"},
    {"md5", "ketama", "022301212102130133"},
    {"md5", "modula", "033002223132211000"},
    {"crc16", "ketama", "211101222213201120"},
    {"crc16", "modula", "211320123312330122"},
    {"crc32", "ketama", "111111111111111111"},
    {"crc32", "modula", "330302321103102202"},
    {"crc32a", "ketama", "031122031101130122"},
    {"crc32a", "modula", "120321020030011312"},
    {"fnv1_64", "ketama", "333033222101013113"},
    {"fnv1_64", "modula", "300233123212333213"},
    {"fnv1a_64", "ketama", "122012000333323111"},
    {"fnv1a_64", "modula", "322033103010333013"},
    {"fnv1_32", "ketama", "300113333112312321"},
    {"fnv1_32", "modula", "300233123212333213"},
    {"fnv1a_32", "ketama", "323200112211011222"},
    {"fnv1a_32", "modula", "322033103010333013"},
    {"hsieh", "ketama", "233322332102202023"},
    {"hsieh", "modula", "330323101011312222"},
    {"murmur", "ketama", "301133012102130232"},
    {"murmur", "modula", "331003311031331203"},
    {"jenkins", "ketama", "111202323103321032"},
    {"jenkins", "modula", "132003222001300030"},
};

const std::vector<Observed> kNamedObserved = {
    {"one_at_a_time", "ketama", "332323113032333113"},
    {"one_at_a_time", "modula", "310221333123033313"},
    {"md5", "ketama", "033023113211011323"},
    {"md5", "modula", "131112320121321011"},
    {"crc16", "ketama", "000033333011200213"},
    {"crc16", "modula", "313330332212113033"},
    {"crc32", "ketama", "000000000000000000"},
    {"crc32", "modula", "311032310031130103"},
    {"crc32a", "ketama", "331111133333111223"},
    {"crc32a", "modula", "323011113332330133"},
    {"fnv1_64", "ketama", "000003333131112230"},
    {"fnv1_64", "modula", "123330301012120100"},
    {"fnv1a_64", "ketama", "222033000310312231"},
    {"fnv1a_64", "modula", "210313201331112133"},
    {"fnv1_32", "ketama", "000322000333200132"},
    {"fnv1_32", "modula", "301311123211213133"},
    {"fnv1a_32", "ketama", "133333121131333311"},
    {"fnv1a_32", "modula", "330112210220333332"},
    {"hsieh", "ketama", "301333321331203311"},
    {"hsieh", "modula", "311323232231013333"},
    {"murmur", "ketama", "102213031111332333"},
    {"murmur", "modula", "021112033333311313"},
    {"jenkins", "ketama", "311303010331013113"},
    {"jenkins", "modula", "113131330333223313"},
};

void expect_observed(const std::vector<ServerWeight>& servers, const std::vector<Observed>& table) {
  ASSERT_EQ(table.size(), 24u);
  for (const Observed& row : table) {
    hash::HashFn fn = hash::find(row.hash);
    ASSERT_NE(fn, nullptr) << row.hash;
    std::unique_ptr<Distribution> d = make(row.dist, servers);
    ASSERT_NE(d, nullptr) << row.dist;
    ASSERT_EQ(std::string(row.servers).size(), kKeys.size());
    for (size_t i = 0; i < kKeys.size(); i++) {
      const uint32_t h = fn(kKeys[i].data(), kKeys[i].size());
      EXPECT_EQ(d->pick(h), static_cast<uint32_t>(row.servers[i] - '0'))
          << row.hash << "/" << row.dist << " key #" << i;
    }
  }
}

TEST(DistObserved, PlainServersMatchNutcracker) {
  expect_observed(plain_servers(), kPlainObserved);
}

TEST(DistObserved, NamedWeightedServersMatchNutcracker) {
  expect_observed(named_servers(), kNamedObserved);
}

TEST(DistObserved, ServerOrderGivenDoesNotMatter) {
  // nutcracker sorts servers by name; we sort inside the distribution, so
  // the caller's order must not change any placement.
  std::vector<ServerWeight> servers = named_servers();
  std::reverse(servers.begin(), servers.end());
  expect_observed(servers, kNamedObserved);
  servers = plain_servers();
  std::rotate(servers.begin(), servers.begin() + 1, servers.end());
  expect_observed(servers, kPlainObserved);
}

// --- make() ---------------------------------------------------------------

TEST(DistMake, KnownNames) {
  EXPECT_NE(make("ketama", plain_servers()), nullptr);
  EXPECT_NE(make("modula", plain_servers()), nullptr);
  EXPECT_NE(make("random", plain_servers()), nullptr);
}

TEST(DistMake, RejectsUnknownNameEmptyListAndZeroWeight) {
  EXPECT_EQ(make("Ketama", plain_servers()), nullptr);
  EXPECT_EQ(make("consistent", plain_servers()), nullptr);
  EXPECT_EQ(make("", plain_servers()), nullptr);
  EXPECT_EQ(make("ketama", {}), nullptr);
  EXPECT_EQ(make("modula", {}), nullptr);
  EXPECT_EQ(make("random", {}), nullptr);
  EXPECT_EQ(make("modula", {{0, "a", 1}, {1, "b", 0}}), nullptr);
  EXPECT_EQ(make("ketama", {{0, "a", 0}}), nullptr);
}

TEST(DistMake, LabelOrderIsShorterFirstThenBytewise) {
  EXPECT_TRUE(label_less("b", "aa"));
  EXPECT_FALSE(label_less("aa", "b"));
  EXPECT_TRUE(label_less("a9", "zz"));
  EXPECT_TRUE(label_less("zz", "a10"));
  EXPECT_TRUE(label_less("127.0.0.1:26380", "127.0.0.1:26381"));
  EXPECT_TRUE(label_less("a", "\xe9"));  // bytes compare unsigned
  EXPECT_FALSE(label_less("x", "x"));
}

// --- ketama ---------------------------------------------------------------

TEST(Ketama, PointsPerServer) {
  // Equal weights: 160 each, except where twemproxy's float arithmetic
  // lands just under a multiple of 4: with 25 servers each gets 156. This
  // was checked on nutcracker (a 25-server pool; with 160 points 35-55 of
  // 2000 keys moved).
  EXPECT_EQ(Ketama::points_for(1, 1, 1), 160u);
  EXPECT_EQ(Ketama::points_for(1, 3, 3), 160u);
  EXPECT_EQ(Ketama::points_for(1, 4, 4), 160u);
  EXPECT_EQ(Ketama::points_for(1, 24, 24), 160u);
  EXPECT_EQ(Ketama::points_for(1, 25, 25), 156u);
  EXPECT_EQ(Ketama::points_for(1, 26, 26), 160u);
  // Weights 1,2,3,5 over four servers (verified on nutcracker).
  EXPECT_EQ(Ketama::points_for(1, 11, 4), 56u);
  EXPECT_EQ(Ketama::points_for(2, 11, 4), 116u);
  EXPECT_EQ(Ketama::points_for(3, 11, 4), 172u);
  EXPECT_EQ(Ketama::points_for(5, 11, 4), 288u);
  // Six weight-1 servers and one weight-100 (verified on nutcracker).
  EXPECT_EQ(Ketama::points_for(1, 106, 7), 8u);
  EXPECT_EQ(Ketama::points_for(100, 106, 7), 1056u);
  // Tiny shares round down to no points at all.
  EXPECT_EQ(Ketama::points_for(1, 1000, 2), 0u);
}

TEST(Ketama, ContinuumIsSortedAndBuiltFromMd5OfLabelDashIndex) {
  const Ketama k(plain_servers());
  const std::vector<Ketama::Point> pts = k.points();
  ASSERT_EQ(pts.size(), 640u);
  EXPECT_TRUE(std::is_sorted(pts.begin(), pts.end(),
                             [](const auto& a, const auto& b) { return a.value < b.value; }));

  // The four little-endian words of md5("127.0.0.1:26381-7") are points of
  // server 1.
  uint8_t d[16];
  const std::string key = "127.0.0.1:26381-7";
  hash::md5_digest(key.data(), key.size(), d);
  for (int x = 0; x < 4; x++) {
    const uint32_t v = static_cast<uint32_t>(d[4 * x]) | (static_cast<uint32_t>(d[4 * x + 1]) << 8) |
                       (static_cast<uint32_t>(d[4 * x + 2]) << 16) |
                       (static_cast<uint32_t>(d[4 * x + 3]) << 24);
    auto it = std::find_if(pts.begin(), pts.end(), [&](const auto& p) { return p.value == v; });
    ASSERT_NE(it, pts.end()) << x;
    EXPECT_EQ(it->index, 1u);
  }
  std::map<uint32_t, int> per_server;
  for (const auto& p : pts) per_server[p.index]++;
  for (uint32_t i = 0; i < 4; i++) EXPECT_EQ(per_server[i], 160) << i;
}

TEST(Ketama, ExactHitGoesToThatPointAndPastTheEndWraps) {
  // nutcracker takes the first point >= hash (a libmemcached-style upper
  // bound would take the next one). Verified on nutcracker with 200 keys
  // forged to have a crc32a equal to a point value: all went to the point's
  // owner, none to the next point's.
  const Ketama k(plain_servers());
  const std::vector<Ketama::Point> pts = k.points();
  size_t checked = 0;
  for (size_t i = 0; i + 1 < pts.size(); i++) {
    if (pts[i].value == pts[i + 1].value) continue;
    EXPECT_EQ(k.pick(pts[i].value), pts[i].index);
    EXPECT_EQ(k.pick(pts[i].value + 1), pts[i + 1].index);
    checked++;
  }
  EXPECT_GT(checked, 600u);
  EXPECT_EQ(k.pick(0), pts.front().index);
  ASSERT_LT(pts.back().value, 0xffffffffu);
  EXPECT_EQ(k.pick(pts.back().value + 1), pts.front().index);
  EXPECT_EQ(k.pick(0xffffffffu), pts.front().index);
}

// pick() searches only the points of the hash's bucket (its top 10 bits):
// it must answer as a search of the whole continuum does, at every bucket's
// edges, at every point and beside it, in pools with fewer points than
// buckets and with many more.
TEST(Ketama, BucketedPickAgreesWithASearchOfTheWholeContinuum) {
  for (const uint32_t servers : {1u, 4u, 50u}) {
    std::vector<ServerWeight> list;
    for (uint32_t i = 0; i < servers; i++) {
      list.push_back(ServerWeight{i, "10.0.0." + std::to_string(i) + ":6379", 1 + i % 3});
    }
    const Ketama k(list);
    const std::vector<Ketama::Point> pts = k.points();
    const auto whole_search = [&pts](uint32_t hash) {
      auto it = std::lower_bound(pts.begin(), pts.end(), hash,
                                 [](const Ketama::Point& p, uint32_t h) { return p.value < h; });
      return (it == pts.end() ? pts.front() : *it).index;
    };
    std::vector<uint32_t> hashes = {0, 1, 0xfffffffeu, 0xffffffffu};
    for (uint32_t b = 1; b < 1024; b++) {
      hashes.push_back((b << 22) - 1);
      hashes.push_back(b << 22);
    }
    for (const Ketama::Point& p : pts) {
      hashes.push_back(p.value - 1);
      hashes.push_back(p.value);
      hashes.push_back(p.value + 1);
    }
    for (const uint32_t h : hashes) ASSERT_EQ(k.pick(h), whole_search(h)) << servers << " " << h;
    EXPECT_GT(hashes.size(), 2000u + 3 * 160 * servers / 2);
  }
}

TEST(Ketama, Crc32KeysAllLandNearTheStartOfTheRing) {
  // crc32 only yields 0..32767, so every key takes the first point at or
  // after it: usually one server takes everything (as nutcracker does; see
  // the all-'1' and all-'0' rows in the observed tables).
  const Ketama k(plain_servers());
  std::set<uint32_t> owners;
  for (uint32_t h = 0; h < 0x8000; h += 97) owners.insert(k.pick(h));
  EXPECT_EQ(owners.size(), 1u);
}

TEST(Ketama, PointKeysAreCutAt272Bytes) {
  // nutcracker 0.5.0 formats "<label>-<n>" into a 273-byte buffer: longer
  // point keys are hashed truncated to 272 bytes. With a 300-byte label all
  // 40 point keys truncate to the same bytes, giving 4 distinct values.
  // (Verified on nutcracker with 83, 200, 269..272 and 300-byte names.)
  const std::string long_label(300, 'x');
  const Ketama k({{0, long_label, 1}});
  std::set<uint32_t> distinct;
  for (const auto& p : k.points()) distinct.insert(p.value);
  EXPECT_EQ(k.points().size(), 160u);
  EXPECT_EQ(distinct.size(), 4u);

  // 270 bytes + "-0".."-9" fit (272); "-10".."-39" are cut to "-1".."-3",
  // which are the keys of points 1..3 again: 10 distinct digests survive.
  const Ketama k2({{0, std::string(270, 'y'), 1}});
  distinct.clear();
  for (const auto& p : k2.points()) distinct.insert(p.value);
  EXPECT_EQ(distinct.size(), 10u * 4);

  // 269 bytes: every key fits, 40 distinct digests.
  const Ketama k3({{0, std::string(269, 'z'), 1}});
  distinct.clear();
  for (const auto& p : k3.points()) distinct.insert(p.value);
  EXPECT_EQ(distinct.size(), 160u);
}

TEST(Ketama, WeightsShiftShare) {
  const Ketama k({{0, "light", 1}, {1, "heavy", 9}});
  std::map<uint32_t, int> per_server;
  for (const auto& p : k.points()) per_server[p.index]++;
  EXPECT_EQ(per_server[0], Ketama::points_for(1, 10, 2));
  EXPECT_EQ(per_server[1], Ketama::points_for(9, 10, 2));
  EXPECT_EQ(per_server[0] + per_server[1], 320);
}

TEST(Ketama, LabelRules) {
  // Verified on nutcracker: a name replaces host:port entirely; port 11211
  // is left out (libmemcached compatibility); the port is spelled as written
  // ("127.0.0.1:06379" stays "06379"); a unix socket "/path:1" keeps the
  // colon after the path.
  EXPECT_EQ(ketama_label("server1", "127.0.0.1", "6379", 6379), "server1");
  EXPECT_EQ(ketama_label("", "127.0.0.1", "6379", 6379), "127.0.0.1:6379");
  EXPECT_EQ(ketama_label("", "127.0.0.1", "11211", 11211), "127.0.0.1");
  EXPECT_EQ(ketama_label("", "127.0.0.1", "011211", 11211), "127.0.0.1");
  EXPECT_EQ(ketama_label("", "127.0.0.1", "06379", 6379), "127.0.0.1:06379");
  EXPECT_EQ(ketama_label("", "cache.example.com", "11212", 11212), "cache.example.com:11212");
  EXPECT_EQ(ketama_label("", "/tmp/redis.sock", "", 0), "/tmp/redis.sock:");
  EXPECT_EQ(ketama_label("mc1", "127.0.0.1", "11211", 11211), "mc1");
}

// --- modula ---------------------------------------------------------------

TEST(Modula, WeightGivesConsecutiveSlotsInLabelOrder) {
  // Caller order c, a, b with weights 1, 2, 3: nutcracker's order is a, b,
  // c, so slots are a a b b b c.
  const Modula m({{7, "c", 1}, {8, "a", 2}, {9, "b", 3}});
  ASSERT_EQ(m.slot_count(), 6u);
  const uint32_t expected[] = {8, 8, 9, 9, 9, 7};
  for (uint32_t h = 0; h < 12; h++) EXPECT_EQ(m.pick(h), expected[h % 6]) << h;
  EXPECT_EQ(m.pick(0xffffffffu), expected[0xffffffffu % 6]);
}

TEST(Modula, ShorterLabelsComeFirst) {
  // "b" sorts before "aa" in nutcracker (length first).
  const Modula m({{0, "aa", 1}, {1, "b", 1}});
  EXPECT_EQ(m.pick(0), 1u);
  EXPECT_EQ(m.pick(1), 0u);
}

// --- random ---------------------------------------------------------------

TEST(Random, IgnoresHashAndWeight) {
  // One slot per server whatever its weight (nutcracker: weights 1 and 9
  // got 1041 and 959 of 2000 keys).
  const Random r({{0, "a", 1}, {1, "b", 9}}, 42);
  int counts[2] = {0, 0};
  for (int i = 0; i < 20000; i++) {
    const uint32_t idx = r.pick(12345);  // same hash every time
    ASSERT_LT(idx, 2u);
    counts[idx]++;
  }
  EXPECT_GT(counts[0], 9000);
  EXPECT_GT(counts[1], 9000);
}

TEST(Random, SeedMakesItRepeatableAndOnlyGivenIndexesComeOut) {
  const std::vector<ServerWeight> servers = {{3, "x", 1}, {5, "y", 1}, {11, "z", 1}};
  const Random a(servers, 7);
  const Random b(servers, 7);
  std::set<uint32_t> seen;
  for (int i = 0; i < 1000; i++) {
    const uint32_t x = a.pick(0);
    EXPECT_EQ(x, b.pick(0));
    seen.insert(x);
  }
  EXPECT_EQ(seen, (std::set<uint32_t>{3, 5, 11}));
}

// --- allocation ---------------------------------------------------------

TEST(DistPick, AllocatesNothing) {
  const size_t before_probe = g_allocations;
  {
    // Through a volatile pointer so the compiler may not elide the pair.
    int* volatile probe = new int(1);
    delete probe;
  }
  if (g_allocations == before_probe) GTEST_SKIP() << "another allocation counter is in use";

  std::vector<std::unique_ptr<Distribution>> dists;
  dists.push_back(make("ketama", plain_servers()));
  dists.push_back(make("modula", named_servers()));
  dists.push_back(make("random", plain_servers()));
  const hash::HashFn fn = hash::find("fnv1a_64");
  uint64_t sum = 0;
  const size_t before = g_allocations;
  for (const auto& d : dists) {
    for (const std::string& k : kKeys) sum += d->pick(fn(k.data(), k.size()));
    for (uint32_t h = 0; h < 100000; h += 7) sum += d->pick(h * 2654435761u);
  }
  EXPECT_EQ(g_allocations, before);
  EXPECT_GT(sum, 0u);
}

}  // namespace
}  // namespace walnut::dist
