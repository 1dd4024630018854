// ClientSession: what a protocol knows of one client connection between its
// requests. The proxy fills in the connection's id, fd and time when the
// client connects; the protocol keeps what the client said about itself (its name,
// its library) and answers HELLO and CLIENT from here, without a server.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

namespace walnut::proto {

// The texts CLIENT INFO and LIST show of a connection.
struct ClientLabels {
  // The client's end ("ip:port", "[v6]:port", "path:0") and walnut's,
  // asked of the kernel the first time CLIENT INFO or LIST wants them, so
  // that a connection that never asks costs no system call.
  std::string addr;
  std::string laddr;
  // What the client said about itself (CLIENT SETNAME / SETINFO, HELLO).
  std::string name;
  std::string lib_name;
  std::string lib_ver;
};

struct ClientSession {
  bool authenticated = false;
  // Between MULTI and EXEC or DISCARD (set by the proxy, which keeps the
  // transaction): commands walnut answers itself go to the server instead,
  // or are refused, since the server must queue them.
  bool in_transaction = false;
  // Subscribed to a channel or pattern (set by the proxy): only the
  // subscription commands, PING and QUIT are allowed, as in Redis.
  bool subscribed = false;

  // The connection, as Redis's CLIENT INFO shows it.
  uint64_t id = 0;             // unique in this process, from 1
  int fd = -1;
  // How to ask for ClientLabels' addresses: given by the proxy, since this room knows no sockets.
  std::string (*peer_text)(int fd) = nullptr;
  std::string (*local_text)(int fd) = nullptr;
  uint64_t connected_ms = 0;   // now_ms() when accepted, for the age

  bool no_evict = false;       // CLIENT NO-EVICT: remembered and shown
  bool no_touch = false;       // CLIENT NO-TOUCH: remembered and shown

  // Made the first time a command reads or sets them: most connections
  // never do, and five empty strings would be most of an idle one's size.
  ClientLabels& labels() {
    if (labels_ == nullptr) labels_ = std::make_unique<ClientLabels>();
    return *labels_;
  }

 private:
  std::unique_ptr<ClientLabels> labels_;
};

}  // namespace walnut::proto
