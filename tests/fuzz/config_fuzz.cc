// libFuzzer target: the config loader (config/config.h), from text in
// memory. Whatever the bytes, load_string must return, never crash or throw:
// either a Config that holds what every pool needs, or an error that names
// the file and a line, "fuzz.yml:LINE: what". An "internal error" (the
// catch-all for an exception, or a key rule left unhandled) means a bug and
// counts as a crash. The address parsers are fed the raw
// bytes too.
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "config/address.h"
#include "config/config.h"
#include "fuzz_driver.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using walnut::fuzz::violated;
  namespace config = walnut::config;
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  const config::LoadResult r = config::load_string(text, "fuzz.yml");
  if (r.ok) {
    FUZZ_CHECK(r.error.empty());
    FUZZ_CHECK(!r.config.pools.empty());
    for (const config::PoolSpec& pool : r.config.pools) {
      FUZZ_CHECK(!pool.name.empty());
      FUZZ_CHECK(pool.line >= 1);
      FUZZ_CHECK(!pool.listen.text.empty());
      FUZZ_CHECK(!pool.servers.empty());
      for (const config::ServerSpec& server : pool.servers) {
        FUZZ_CHECK(server.weight >= 1);
        FUZZ_CHECK(!server.label.empty());
        FUZZ_CHECK(server.line >= 1);
      }
    }
  } else {
    FUZZ_CHECK(r.config.pools.empty());  // never a partial Config
    FUZZ_CHECK(r.error.starts_with("fuzz.yml:"));
    FUZZ_CHECK(r.error.size() > std::string_view("fuzz.yml:").size());
    // "fuzz.yml:LINE: what" or "fuzz.yml: what"; the text that follows may
    // quote the input, so only the start of `what` is looked at.
    std::string_view what = std::string_view(r.error).substr(std::string_view("fuzz.yml:").size());
    while (!what.empty() && what[0] >= '0' && what[0] <= '9') what.remove_prefix(1);
    if (what.starts_with(": ")) what.remove_prefix(2);
    if (what.starts_with(" ")) what.remove_prefix(1);
    if (what.starts_with("internal error")) {
      std::fprintf(stderr, "%s\n", r.error.c_str());
      violated("load_string reported an internal error", __FILE__, __LINE__);
    }
  }
  // Loading is a pure function of the text.
  const config::LoadResult again = config::load_string(text, "fuzz.yml");
  FUZZ_CHECK(again.ok == r.ok && again.error == r.error);

  config::ListenSpec listen;
  (void)config::parse_listen(text, &listen);
  config::ServerSpec server;
  if (config::parse_server(text, &server).empty()) FUZZ_CHECK(server.weight >= 1);
  return 0;
}
