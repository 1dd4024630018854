// Helpers for the reload tests: rewriting walnut's file and sending
// SIGUSR1, pool text, and the connections a redis-server sees.
#pragma once

#include <chrono>
#include <ostream>
#include <set>
#include <string>

#include "tests/e2e/harness.h"

namespace walnut::e2e {

// How long a test waits for what a reload changes.
constexpr std::chrono::milliseconds kReloadWait = std::chrono::seconds(10);

// How many times `what` occurs in `text`.
size_t count_of(const std::string& text, const std::string& what);

enum class Reload { kDone, kFailed, kNoAnswer };
std::ostream& operator<<(std::ostream& out, Reload r);

// Writes `yaml` (LISTEN_PORT replaced by walnut's port, as the harness does)
// to walnut's configuration file atomically: a file beside it, renamed over.
bool rewrite_config(const Walnut& w, const std::string& yaml);

// Rewrites the file, sends SIGUSR1 and waits until walnut logs the outcome.
Reload reload(Walnut& w, const std::string& yaml);

// "   - 127.0.0.1:PORT:1 [name]\n", an entry of `servers`.
std::string server_line(const RedisServer& r, const std::string& name = "");
// A redis pool: `more` settings go before its `servers`.
std::string pool(const std::string& name, const std::string& listen, const std::string& servers,
                 const std::string& more = "");
std::string on_port(int port);

// The ids of the connections a redis-server has, but that of `self`.
std::set<std::string> other_client_ids(Client& self);

// Two redis-servers, each holding "k" with its own value: "on-r1", "on-r2".
struct TwoServers {
  TempDir dir;
  RedisServer r1{dir}, r2{dir};
  Client d1{r1.port()}, d2{r2.port()};
  TwoServers();
};

}  // namespace walnut::e2e
