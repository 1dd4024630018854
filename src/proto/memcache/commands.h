// The memcached command table: what walnut knows about each ASCII and meta
// command, looked up by its exact (lower-case) name as memcached does.
#pragma once

#include <cstdint>
#include <string_view>

#include "proto/command.h"

namespace walnut::memcache {

struct Command {
  proto::CommandInfo info;  // first: a CommandInfo* leads back here
  uint8_t max_tokens;       // 0: no upper bound (get k1 k2 ...)
  bool noreply;             // may end in "noreply"
  bool meta;                // a meta command (flags after the key)
};

const Command* find_command(std::string_view name);
// The row a Msg's CommandInfo belongs to.
inline const Command& command_of(const proto::CommandInfo& info) {
  return *reinterpret_cast<const Command*>(&info);
}

}  // namespace walnut::memcache
