// HELLO and CLIENT: what a client asks about its own connection, answered
// by walnut from the client's session (proto/client_session.h) in Redis's
// own words and RESP2 forms, so that clients which send them on connect
// (go-redis, Lettuce, redis-py with client_name, StackExchange.Redis) work.
// No server is asked: the client's connection is to walnut, and the server
// connections it shares with other clients have their own names.
#pragma once

#include <string_view>

#include "buffer/mbuf_pool.h"
#include "proto/client_session.h"
#include "proto/msg.h"

namespace walnut::redis {

// The Redis version whose commands walnut's table follows, as HELLO and
// INFO give it to clients that pick features by version.
inline constexpr std::string_view kRedisVersion = "7.0.0";

// What HELLO and CLIENT need of the pool: its user (redis_user, else
// Redis's "default"), its password (empty: none) and its db.
struct SessionPool {
  std::string_view user = "default";
  std::string_view password;
  int db = 0;
};

// HELLO [protover [AUTH user pass] [SETNAME name]]: RESP2 only. HELLO 3 gets
// Redis's own NOPROTO error, on which clients fall back to RESP2.
void hello_reply(proto::Msg& msg, proto::ClientSession& session, const SessionPool& pool,
                 buffer::MbufPool& mbufs);

// CLIENT SETNAME, GETNAME, SETINFO, ID, INFO, LIST (this connection only),
// NO-EVICT, NO-TOUCH and HELP; any other subcommand is refused by name.
void client_reply(proto::Msg& msg, proto::ClientSession& session, const SessionPool& pool,
                  buffer::MbufPool& mbufs);

// The CLIENT INFO line of `session` ("id=... resp=2 lib-name= lib-ver=\n"),
// `cmd` naming the command that asks ("client|info", "client|list"). Fills
// in the session's addresses the first time.
std::string client_info_line(proto::ClientSession& session, const SessionPool& pool,
                             std::string_view cmd);

}  // namespace walnut::redis
