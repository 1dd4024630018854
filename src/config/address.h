// Parsers for the two address-shaped values of a pool: `listen` and each
// entry of `servers`. Pure string functions: nothing is resolved here (that
// needs the network room), so "nosuchhost:6379:1" parses fine.
#pragma once

#include <string>
#include <string_view>

#include "config/config.h"

namespace walnut::config {

// "host:port", "[v6addr]:port", or "/path [octal permissions]". Returns an
// empty string on success, otherwise a message naming the problem.
std::string parse_listen(std::string_view text, ListenSpec* out);

// "host:port:weight [name]" or "/path:weight [name]". Fills every field of
// `out` except `line`. Returns an empty string on success, otherwise a message.
std::string parse_server(std::string_view text, ServerSpec* out);

}  // namespace walnut::config
