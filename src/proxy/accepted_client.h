// AcceptedClient: a client connection that has sent nothing yet. It holds
// the socket, one read watch and the client's arrival (its connection
// number, its time): about 250 bytes with libevent's entry for the fd,
// where a ClientConn and its event cost 600 before a byte is read. Health
// probes, memcached clients' idle pools and connections opened ahead of
// need stay at that (Redis clients mostly speak at once: HELLO, AUTH).
// It counts as a connection everywhere one is counted. Its first readable
// event, bytes or the client leaving, makes its ClientConn, which reads
// them at once (ServerPool::on_first_bytes).
#pragma once

#include "common/intrusive_list.h"
#include "common/non_copyable.h"
#include "event/read_watch.h"
#include "net/socket.h"
#include "proxy/client_conn.h"

namespace walnut::proxy {

class Context;
class ServerPool;

class AcceptedClient : private NonCopyable {
 public:
  // Counts the connection in the totals and watches `fd` (taken).
  AcceptedClient(Context& ctx, ServerPool& pool, int fd);
  // Closes the socket, uncounted, unless a ClientConn took it.
  ~AcceptedClient();

  int fd() const { return fd_.get(); }
  const ClientConn::Arrival& arrival() const { return arrival_; }
  // Stops watching and hands the socket (and its count) over, to a
  // ClientConn already watching it (so that the fd stays in epoll).
  void give_up_fd();

  ListHook pool_hook;  // on the pool's list of accepted clients

 private:
  static void on_readable(evutil_socket_t, short, void* self);

  Context& ctx_;
  ServerPool& pool_;
  net::Fd fd_;
  ClientConn::Arrival arrival_;
  event::ReadWatch watch_;
};

}  // namespace walnut::proxy
