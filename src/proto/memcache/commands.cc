// The memcached command table. Token counts include the command name; a
// "noreply" row may carry one more token.
#include "proto/memcache/commands.h"

#include <array>

#include "proto/name_index.h"

namespace walnut::memcache {

namespace {

using proto::CommandInfo;
using namespace proto::table_names;

// {name, min tokens (as -arity), first key, last key, step, 0, kind, merge},
// max tokens, noreply, meta
constexpr Command kRows[] = {
    {{"set", -5, 1, 1, 1, 0, W}, 6, true, false},
    {{"add", -5, 1, 1, 1, 0, W}, 6, true, false},
    {{"replace", -5, 1, 1, 1, 0, W}, 6, true, false},
    {{"append", -5, 1, 1, 1, 0, W}, 6, true, false},
    {{"prepend", -5, 1, 1, 1, 0, W}, 6, true, false},
    {{"cas", -6, 1, 1, 1, 0, W}, 7, true, false},
    {{"get", -2, 1, -1, 1, 0, M, kOrdered}, 0, false, false},
    {{"gets", -2, 1, -1, 1, 0, M, kOrdered}, 0, false, false},
    {{"gat", -3, 2, -1, 1, 0, M, kOrdered}, 0, false, false},
    {{"gats", -3, 2, -1, 1, 0, M, kOrdered}, 0, false, false},
    {{"delete", -2, 1, 1, 1, 0, W}, 3, true, false},
    {{"incr", -3, 1, 1, 1, 0, W}, 4, true, false},
    {{"decr", -3, 1, 1, 1, 0, W}, 4, true, false},
    {{"touch", -3, 1, 1, 1, 0, W}, 4, true, false},
    {{"mg", -2, 1, 1, 1, 0, R}, 0, false, true},
    {{"ms", -3, 1, 1, 1, 0, W}, 0, false, true},
    {{"md", -2, 1, 1, 1, 0, W}, 0, false, true},
    {{"ma", -2, 1, 1, 1, 0, W}, 0, false, true},
    {{"mn", -1, 0, 0, 0, 0, L}, 1, false, true},
    {{"version", -1, 0, 0, 0, 0, L}, 1, false, false},
    {{"stats", -1, 0, 0, 0, 0, L}, 0, false, false},
    {{"quit", -1, 0, 0, 0, 0, L}, 1, false, false},
    // whole-server or per-connection commands: no meaning through a proxy
    {{"cache_memlimit", -1, 0, 0, 0, 0, U}, 0, false, false},
    {{"flush_all", -1, 0, 0, 0, 0, U}, 0, false, false},
    {{"lru_crawler", -1, 0, 0, 0, 0, U}, 0, false, false},
    {{"me", -1, 0, 0, 0, 0, U}, 0, false, true},
    {{"shutdown", -1, 0, 0, 0, 0, U}, 0, false, false},
    {{"slabs", -1, 0, 0, 0, 0, U}, 0, false, false},
    {{"verbosity", -1, 0, 0, 0, 0, U}, 0, false, false},
    {{"watch", -1, 0, 0, 0, 0, U}, 0, false, false},
};

constexpr size_t kCount = sizeof(kRows) / sizeof(kRows[0]);

constexpr std::string_view name_of(const Command& row) { return row.info.name; }

const proto::NameIndex<Command, name_of, false>& index() {
  static const std::array<Command, kCount> rows = std::to_array(kRows);
  static const proto::NameIndex<Command, name_of, false> by_name(rows);
  return by_name;
}

}  // namespace

// memcached's command names are case-sensitive ("GET" is an unknown command).
const Command* find_command(std::string_view name) { return index().find(name); }

}  // namespace walnut::memcache
