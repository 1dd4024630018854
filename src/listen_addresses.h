// The listen addresses of all pools, as the kernel will see them: each TCP
// address resolved, and no two pools on overlapping addresses. The file alone
// cannot tell that "localhost:22121" and "127.0.0.1:22121" are one address,
// or that "0.0.0.0:22121" takes the port on every address, and finding out
// at bind time ("Address already in use") would pass `-t` and fail start-up.
#pragma once

#include <string>

#include "config/config.h"

namespace walnut {

// False with "FILE:LINE: what" (the line of the later pool's `listen`) when
// a listen address does not resolve or two pools' addresses overlap.
bool check_listen_addresses(const config::Config& config, const std::string& file,
                            std::string* error);

}  // namespace walnut
