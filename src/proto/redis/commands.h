// The Redis command table: every command walnut forwards, answers locally or
// refuses, looked up by name without regard to case.
#pragma once

#include <string_view>

#include "proto/command.h"

namespace walnut::redis {

// The row for `name` (any case), or nullptr for a command walnut does not know.
const proto::CommandInfo* find_command(std::string_view name);

}  // namespace walnut::redis
