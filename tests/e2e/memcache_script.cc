// The differential script and its runner (see memcache_script.h).
#include "tests/e2e/memcache_script.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "tests/e2e/memcache_client.h"
#include "tests/e2e/memcache_pool.h"
#include "tests/e2e/resp_reply.h"

namespace walnut::e2e {
namespace {

using namespace std::chrono_literals;

const std::string kKey250(250, 'L');

// `request` with "{cas}" replaced by `cas` ("0" before any gets answered).
std::string with_cas(std::string request, const std::string& cas) {
  size_t at = request.find("{cas}");
  if (at != std::string::npos) request.replace(at, 5, cas.empty() ? "0" : cas);
  return request;
}

}  // namespace

std::string store(const std::string& cmd, const std::string& key, unsigned long flags,
                  long exptime, const std::string& data, const std::string& tail) {
  return cmd + " " + key + " " + std::to_string(flags) + " " + std::to_string(exptime) +
         " " + std::to_string(data.size()) + (tail.empty() ? "" : " " + tail) + "\r\n" +
         data + "\r\n";
}
std::string meta_set(const std::string& key, const std::string& data,
                     const std::string& flags) {
  return "ms " + key + " " + std::to_string(data.size()) +
         (flags.empty() ? "" : " " + flags) + "\r\n" + data + "\r\n";
}
std::string value_block(const std::string& key, unsigned long flags, const std::string& data) {
  return "VALUE " + key + " " + std::to_string(flags) + " " + std::to_string(data.size()) +
         "\r\n" + data + "\r\n";
}

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

RunCounts compare_runs(const std::vector<McStep>& steps, int direct_port, int walnut_port,
                       const std::string& label) {
  RunCounts n;
  // Walnut's side waits as long as memcached's: a loaded machine may stall
  // a reply for a second, and a lost one costs a wait only twice (below).
  McClient direct(direct_port, kWait);
  auto proxy = std::make_unique<McClient>(walnut_port, kWait);
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
      proxy = std::make_unique<McClient>(walnut_port, kWait);
    }
  }
  EXPECT_TRUE(direct.quiet_for(50ms)) << label << ": memcached sent more than expected";
  EXPECT_TRUE(proxy->quiet_for(200ms)) << label << ": walnut sent replies nobody asked for";
  EXPECT_EQ(mismatches, 0) << label << ": " << mismatches << " replies differ";
  return n;
}

}  // namespace walnut::e2e
