#include "tests/e2e/reload_helpers.h"

#include <gtest/gtest.h>

#include <signal.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace walnut::e2e {

size_t count_of(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

std::ostream& operator<<(std::ostream& out, Reload r) {
  return out << (r == Reload::kDone ? "done" : r == Reload::kFailed ? "failed" : "no answer");
}

bool rewrite_config(const Walnut& w, const std::string& yaml) {
  std::string text = yaml;
  for (size_t at; (at = text.find("LISTEN_PORT")) != std::string::npos;) {
    text.replace(at, 11, std::to_string(w.port()));
  }
  const std::string tmp = w.conf_path() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out.flush()) {
      ADD_FAILURE() << "cannot write " << tmp;
      return false;
    }
  }
  if (std::rename(tmp.c_str(), w.conf_path().c_str()) != 0) {
    ADD_FAILURE() << "cannot rename " << tmp << " to " << w.conf_path();
    return false;
  }
  return true;
}

Reload reload(Walnut& w, const std::string& yaml) {
  if (!rewrite_config(w, yaml)) return Reload::kNoAnswer;
  const std::string before = w.log();
  const size_t done = count_of(before, "reload done");
  const size_t failed = count_of(before, "reload failed");
  kill(w.process().pid(), SIGUSR1);
  Reload result = Reload::kNoAnswer;
  wait_until([&] {
    const std::string log = w.log();
    if (count_of(log, "reload done") > done) result = Reload::kDone;
    if (count_of(log, "reload failed") > failed) result = Reload::kFailed;
    return result != Reload::kNoAnswer;
  }, kReloadWait);
  return result;
}

std::string server_line(const RedisServer& r, const std::string& name) {
  return "   - 127.0.0.1:" + std::to_string(r.port()) + ":1" + (name.empty() ? "" : " " + name) + "\n";
}

std::string pool(const std::string& name, const std::string& listen, const std::string& servers,
                 const std::string& more) {
  return name + ":\n  listen: " + listen + "\n  redis: true\n" + more + "  servers:\n" + servers;
}

std::string on_port(int port) { return "127.0.0.1:" + std::to_string(port); }

std::set<std::string> other_client_ids(Client& self) {
  std::string own = self.call({"CLIENT", "ID"});  // ":N\r\n"
  own = own.size() > 3 ? own.substr(1, own.size() - 3) : own;
  std::string list = self.call({"CLIENT", "LIST"});
  std::set<std::string> ids;
  std::istringstream in(list);
  for (std::string line; std::getline(in, line);) {
    size_t at = line.find("id=");
    if (at == std::string::npos) continue;
    std::string id = line.substr(at + 3, line.find(' ', at) - at - 3);
    if (id != own) ids.insert(id);
  }
  return ids;
}

TwoServers::TwoServers() {
  if (d1.call({"SET", "k", "on-r1"}) != "+OK\r\n" || d2.call({"SET", "k", "on-r2"}) != "+OK\r\n") {
    throw std::runtime_error("cannot SET k on the redis-servers");
  }
}

}  // namespace walnut::e2e
