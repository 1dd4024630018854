// The Redis command table: every command walnut forwards, answers locally or
// refuses, looked up by name without regard to case.
#pragma once

#include <cstddef>
#include <string_view>

#include "proto/command.h"

namespace walnut::redis {

// The row for `name` (any case), or nullptr for a command walnut does not know.
const proto::CommandInfo* find_command(std::string_view name);

// True for a command walnut carries (forwards or answers), by its name in
// any case: what COMMAND COUNT counts and COMMAND INFO/DOCS/LIST show.
bool carried(std::string_view name);
size_t carried_count();

}  // namespace walnut::redis
