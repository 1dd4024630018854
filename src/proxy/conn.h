// Conn: one socket of the proxy and the handlers the loop calls for it. The
// kind (client, server) decides the handlers; the loop only ever calls them.
//
// A Conn is never deleted inside its own callback: close() releases the
// socket at once and retires the object to its Context, which deletes it after
// the loop iteration.
#pragma once

#include <limits.h>

#include <sys/uio.h>

#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <memory>
#include <string>

#include "common/non_copyable.h"
#include "event/loop.h"
#include "net/socket.h"
#include "net/tls.h"

namespace walnut::proxy {

class Context;

class Conn : private NonCopyable {
 public:
  Conn(Context& ctx, int fd);
  // A socket already counted in the totals (an AcceptedClient's), which
  // this Conn takes over: its close uncounts it.
  struct CountedAlready {};
  Conn(Context& ctx, int fd, CountedAlready);
  virtual ~Conn();

  int fd() const { return fd_.get(); }
  bool closed() const { return closed_; }

  // The loop's entry points.
  virtual void on_readable() = 0;
  virtual void on_writable() { flush(); }
  // Writes what is ready to go; called after each loop iteration when
  // scheduled, and when the socket turns writable again.
  virtual void flush() = 0;
  // Closes the socket and settles every message the conn holds.
  virtual void close(const std::string& reason) = 0;

  bool flush_scheduled = false;  // owned by Context
  bool reread_scheduled = false;  // owned by Context
  // TLS holds input: the read callback runs again (Context::schedule_reread).
  void reread_if_tls_input();

 protected:
  // One writev carries at most this many slices; one readable event does at
  // most this many reads, so that one busy peer cannot starve the others.
  static constexpr int kMaxIov = IOV_MAX < 1024 ? IOV_MAX : 1024;
  static constexpr int kMaxReadsPerEvent = 16;
  // ... and about this many bytes (whole slices): a socket seldom takes
  // more at once, and slices gathered past what it takes are gathered
  // again by the next writev (an 8 MiB value is 512 slices).
  static constexpr uint64_t kMaxWriteBytes = 2 * 1024 * 1024;

  // Starts watching the fd (after the subclass is fully built).
  void watch();
  // Stops watching and closes the fd; the subclass settles its messages.
  void release_socket();
  void want_read(bool on) {
    watcher_.want_read(on);
    if (on && tls_ != nullptr) come_back_for_tls_input();
  }
  // Bytes a TLS session took but could not send yet keep the socket
  // watched for writing whatever the caller wants.
  void want_write(bool on) {
    watcher_.want_write(on || (tls_ != nullptr && tls_needs_writable()));
  }

  // TLS (a plain connection has none). The handshake runs in the loop
  // before any on_readable(): walnut's side of it starts at once when
  // walnut connects (peer_name: see net::TlsSession), and when the client
  // speaks first when walnut accepts. It must end within `timeout_ms` (0:
  // no limit of its own).
  void start_tls(std::shared_ptr<net::TlsContext> context, const std::string& peer_name,
                 uint64_t timeout_ms);
  // The TLS client closed before its handshake began.
  bool tls_closed_before_hello() const;
  bool tls_output_pending() const;
  // TLS holds output, or its last read needs the socket writable.
  bool tls_needs_writable() const;
  // The handshake ended: reads and writes may begin.
  virtual void on_tls_ready() {}
  // The handshake failed or timed out.
  virtual void on_tls_failed(const std::string& why) { close(why); }
  // One read into buf, through TLS when there is a session: as read(2).
  // Inline: the plain path is the hot one.
  ssize_t read_some(void* buf, size_t len) {
    if (tls_ != nullptr) return tls_read(buf, len);
    ssize_t got;
    do {
      got = ::read(fd_.get(), buf, len);
    } while (got < 0 && errno == EINTR);
    return got;
  }
  // Why a read or write failed with errno `err`: TLS's own reason, if it
  // has one.
  std::string io_error(int err) const;
  // writev(2), through TLS when there is a session. n may be 0 to send what
  // TLS holds.
  ssize_t write_some(const struct iovec* iov, int n) {
    if (tls_ != nullptr) return tls_writev(iov, n);
    return ::writev(fd_.get(), iov, n);
  }
  // A write took part of what it was given. Plain TCP: the socket is full,
  // wait until it is writable. TLS takes a record's worth at a time: only
  // bytes it holds unsent mean the socket is full.
  bool socket_full_after_short_write() const { return tls_ == nullptr || tls_output_pending(); }

  Context& ctx_;
  net::Fd fd_;
  bool closed_ = false;

 private:
  struct Tls;
  static void on_event(void* self, short what);
  void continue_handshake();
  ssize_t tls_read(void* buf, size_t len);
  ssize_t tls_writev(const struct iovec* iov, int n);
  // TLS may hold bytes it read: the socket will not say so, so the read
  // callback is run again, in the next loop pass, while the conn reads.
  void come_back_for_tls_input();
  event::IoWatcher watcher_;
  std::unique_ptr<Tls> tls_;
};

}  // namespace walnut::proxy
