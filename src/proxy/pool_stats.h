// memcached's "stats", answered by walnut for a pool: its own numbers, in
// memcached's names where they mean the same.
#pragma once

#include "proxy/request.h"

namespace walnut::proxy {

class Context;
class ServerPool;

// Answers `msg` with the pool's statistics, in the pool's protocol's form.
void answer_stats(Context& ctx, ServerPool& pool, Request* msg);

}  // namespace walnut::proxy
