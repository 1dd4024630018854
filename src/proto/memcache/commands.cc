// The memcached command table. Its rows are data, in commands.def; this
// file only finds them by name.
#include "proto/memcache/commands.h"

#include "proto/name_index.h"

namespace walnut::memcache {

namespace {

using namespace proto::table_names;

constexpr Command kRows[] = {
#include "proto/memcache/commands.def"
};

constexpr std::string_view name_of(const Command& row) { return row.info.name; }

}  // namespace

// memcached's command names are case-sensitive ("GET" is an unknown command).
const Command* find_command(std::string_view name) {
  return proto::find_by_name<kRows, name_of, false>(name);
}

}  // namespace walnut::memcache
