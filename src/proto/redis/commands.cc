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

namespace {
// A command's own row (not a subcommand's "pubsub|numsub") that walnut
// forwards or answers; PUBSUB is refused only for its subcommands walnut
// has no row for.
bool carried_row(const CommandInfo& row) {
  return row.name.find('|') == std::string_view::npos &&
         (row.kind != proto::CommandKind::kUnsupported || row.name == "pubsub");
}
}  // namespace

bool carried(std::string_view name) {
  const CommandInfo* row = find_command(name);
  return row != nullptr && carried_row(*row);
}

size_t carried_count() {
  size_t n = 0;
  for (const CommandInfo& row : kRows) n += carried_row(row) ? 1 : 0;
  return n;
}

}  // namespace walnut::redis
