// ClientConn: one client of a pool.
//
// Requests are parsed straight out of the read mbufs and queued in arrival
// order; each is answered locally or forwarded to its server. Replies leave
// strictly in request order, many in one writev. After QUIT or malformed
// input, walnut stops reading, delivers every earlier reply, then closes.
#pragma once

#include <memory>
#include <string>

#include "common/intrusive_list.h"
#include "proxy/request.h"
#include "proto/parse.h"
#include "proto/protocol.h"
#include "proxy/conn.h"
#include "proxy/client_pins.h"
#include "proxy/request_budget.h"
#include "proxy/stream_reader.h"
#include "proxy/subscriptions.h"
#include "proxy/transaction.h"

namespace walnut::proxy {

class ServerPool;

class ClientConn final : public Conn,
                         public RequestBudget::Holder,
                         public ReplyWaiter,
                         private ClientPins::Listener,
                         private Subscriptions::Client {
 public:
  ClientConn(Context& ctx, ServerPool& pool, int fd);
  // The client's connection number (its CLIENT ID) and when it connected.
  struct Arrival {
    uint64_t id;
    uint64_t connected_ms;
  };
  // Takes over the socket of a client that sent its first bytes (or left)
  // while an AcceptedClient, counted then.
  ClientConn(Context& ctx, ServerPool& pool, int fd, const Arrival& arrival);

  // A request of this client got its reply (from a server or an error).
  void on_reply(Request* msg) override;

  // The pool's listener speaks TLS: the client's handshake comes first.
  void start_tls(std::shared_ptr<net::TlsContext> context);

  // Reads no more requests; closes once every pending reply is written.
  void drain();
  // A reload changed the pool's client_output_limit (0: none).
  void set_output_limit(uint64_t limit);
  // A reload changed the pool's ring: a subscriber whose channels route
  // elsewhere now is closed once its replies are out, so that it
  // reconnects and subscribes where PUBLISH goes.
  void on_ring_changed();

  void on_readable() override;
  void flush() override;
  void close(const std::string& reason) override;
  void budget_available() override;
  void on_tls_failed(const std::string& why) override;

  ListHook pool_hook;  // on the pool's list of clients

 private:
  void start_session(const Arrival& arrival);
  // Parses what was read; false once the client may not go on (paused,
  // not reading any more, or malformed input answered).
  bool parse_input();
  // Asked before every read: false once the client stopped reading, went
  // over its output limit, or must wait for the request budget (then it is
  // woken when the budget frees up).
  bool ready_to_read();
  bool on_request(buffer::MbufChain& chain);
  // Answers or sends one request as classify() said (all but a plain
  // forward or split outside a transaction, which on_request does itself).
  void dispatch(proto::Action action, Request* msg);
  void answer_or_send(proto::Action action, Request* msg);
  void on_protocol_error();
  void stop_reading();
  // Reads only while nothing holds it back: QUIT or bad input, the output
  // limit, the process-wide budget for unfinished requests.
  void update_read_interest();
  bool write_replies();  // false once the connection was closed
  // `msg`, done, is ready to leave in its turn.
  void reply_ready(Request* msg);

  // Backpressure: a client that sends but does not read its replies must not
  // make walnut hold them without bound. What walnut holds for a client is
  // its replies not yet written plus the replies still on their way, whose
  // size it estimates from the client's recent replies. Past the pool's
  // client_output_limit walnut stops forwarding the client's requests and
  // reading from it (TCP then stops the client), and goes on once the
  // estimate is down to half the limit. Other clients of the same servers
  // are not slowed: walnut keeps reading the servers.
  uint64_t held_bytes() const;
  void pause_if_over_limit();
  // Its own server connections (ClientPins::Listener): one closed, a
  // message published to its subscriptions.
  void on_pin_lost(uint32_t server_index) override;
  void on_message(ServerConn* from, buffer::MbufChain& message) override;
  // Its subscriptions took names back (Subscriptions::Client).
  void drop_withdrawn_messages(const Request* request) override;
  void pause();
  void resume_if_under_limit();
  void learn_reply_size(uint64_t bytes);
  // Made when the client first needs them (a block, MULTI or WATCH;
  // SUBSCRIBE and friends), so that the many clients that never do carry
  // none of them.
  ClientPins& pins();
  Transaction& transaction();
  Subscriptions& subscriptions();
  bool watching() const { return transaction_ != nullptr && transaction_->watching(); }

  ServerPool& pool_;
  proto::ClientSession session_;
  std::unique_ptr<ClientPins> pins_;  // before what holds references to it
  std::unique_ptr<Transaction> transaction_;
  std::unique_ptr<Subscriptions> subscriptions_;
  ClientQueue queue_;
  StreamReader reader_;
  std::unique_ptr<proto::RequestParser> parser_;
  bool reading_ = true;
  bool paused_ = false;       // reading and parsing stopped by backpressure
  bool pause_logged_ = false;
  bool parse_pending_ = false;     // resumed with requests read but not parsed
  bool overflowed_ = false;        // a subscriber over the limit: closed at flush
  uint64_t output_limit_;          // the pool's client_output_limit; 0: none
  uint64_t reply_bytes_ = 0;       // bytes of queued replies not yet taken
  uint64_t replies_pending_ = 0;   // queued requests still waiting for a reply
  uint64_t reply_estimate_ = 0;    // bytes expected of each pending reply
};

}  // namespace walnut::proxy
