// Connection slots of one backend server.
#include "proxy/server.h"

#include <cerrno>
#include <cstring>

#include "common/log.h"
#include "proxy/server_conn.h"
#include "proxy/server_pool.h"

namespace walnut::proxy {

Server::Server(ServerPool& pool, const config::ServerSpec& spec, uint32_t index)
    : pool_(pool), spec_(spec), index_(index) {
  int n = pool.spec().server_connections;
  slots_.assign(n > 0 ? static_cast<size_t>(n) : 1, nullptr);
}

Server::~Server() { close_all("shutting down"); }

bool Server::init(std::string* error) {
  if (spec_.is_unix) return net::resolve_unix(spec_.path, &address_, error);
  return net::resolve_tcp(spec_.host, spec_.port, &address_, error);
}

ServerConn* Server::conn(std::string* error) {
  for (size_t tries = 0; tries < slots_.size(); ++tries) {
    size_t i = next_slot_;
    next_slot_ = (next_slot_ + 1) % slots_.size();
    if (slots_[i] == nullptr) {
      slots_[i] = open(error);
      return slots_[i];
    }
    if (!slots_[i]->closed()) return slots_[i];
  }
  return nullptr;
}

ServerConn* Server::open(std::string* error) {
  int fd = net::connect_to(address_);
  if (fd < 0) {
    *error = std::strerror(errno);
    LOG_WARN("connect to server '%s' failed: %s", label().c_str(),
             error->c_str());
    return nullptr;
  }
  LOG_INFO("connecting to server '%s' on fd %d", label().c_str(), fd);
  return new ServerConn(pool_.context(), *this, fd);
}

void Server::preconnect() {
  for (auto& slot : slots_) {
    if (slot != nullptr) continue;
    std::string error;
    slot = open(&error);
  }
}

void Server::on_conn_closed(ServerConn* conn) {
  for (auto& slot : slots_) {
    if (slot == conn) slot = nullptr;
  }
}

void Server::close_all(const std::string& reason) {
  for (auto& slot : slots_) {
    ServerConn* conn = slot;
    slot = nullptr;
    if (conn != nullptr && !conn->closed()) conn->close(reason);
  }
}

}  // namespace walnut::proxy
