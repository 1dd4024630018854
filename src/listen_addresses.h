// The listen addresses of all pools, as the kernel will see them: each TCP
// address resolved, and no two pools on overlapping addresses. The file alone
// cannot tell that "localhost:22121" and "127.0.0.1:22121" are one address,
// or that "0.0.0.0:22121" takes the port on every address, and finding out
// at bind time ("Address already in use") would pass `-t` and fail start-up.
#pragma once

#include <string>
#include <vector>

#include "config/config.h"

namespace walnut {

// A listener of walnut's own beside the pools' (the stats server).
struct OtherListener {
  std::string who;   // "the stats server", for the message
  std::string text;  // how it was given: "-a 0.0.0.0 -s 22222"
  std::string host;
  int port = 0;
};

// False with "FILE:LINE: what" (the line of the later pool's `listen`) when
// a listen address does not resolve or two pools' addresses overlap, or a
// pool's overlaps one of `others` (whose own resolution failures are left
// to the server that listens there to report).
bool check_listen_addresses(const config::Config& config, const std::string& file,
                            const std::vector<OtherListener>& others, std::string* error);

// True when `a` and `b` are one socket to the kernel: the same unix path, or
// TCP addresses that resolve alike ("localhost:22121" and
// "127.0.0.1:22121"), whatever else the file says of them (permissions).
// A reload hands a socket over between such pools instead of binding anew.
bool same_listen_address(const config::ListenSpec& a, const config::ListenSpec& b);

}  // namespace walnut
