// AcceptedClient: the socket, its count and its one read watch.
#include "proxy/accepted_client.h"

#include "common/clock.h"
#include "proxy/context.h"
#include "proxy/server_pool.h"

namespace walnut::proxy {

AcceptedClient::AcceptedClient(Context& ctx, ServerPool& pool, int fd)
    : ctx_(ctx), pool_(pool), fd_(fd) {
  // As a ClientConn counts itself: the connection's number is its id.
  arrival_ = {++ctx.totals().total_connections, now_ms()};
  ++ctx.totals().curr_connections;
  watch_.start(ctx.loop(), fd, &AcceptedClient::on_readable, this);
}

AcceptedClient::~AcceptedClient() {
  watch_.cancel();
  if (fd_.valid()) --ctx_.totals().curr_connections;
}

void AcceptedClient::give_up_fd() {
  watch_.cancel();
  fd_.release();
}

void AcceptedClient::on_readable(evutil_socket_t, short, void* self) {
  auto* client = static_cast<AcceptedClient*>(self);
  client->pool_.on_first_bytes(client);  // deletes it
}

}  // namespace walnut::proxy
