// The Redis command table. Its rows are data, in commands.def; this file
// only finds them by name.
#include "proto/redis/commands.h"

#include "proto/name_index.h"

namespace walnut::redis {

namespace {

using proto::CommandInfo;
using namespace proto::table_names;

constexpr CommandInfo kRows[] = {
#include "proto/redis/commands.def"
};

constexpr std::string_view name_of(const CommandInfo& row) { return row.name; }

}  // namespace

// Redis's command names ignore case ("GET", "get", "Get").
const CommandInfo* find_command(std::string_view name) {
  return proto::find_by_name<kRows, name_of, true>(name);
}

}  // namespace walnut::redis
