// Conn: one socket of the proxy and the handlers the loop calls for it. The
// kind (client, server) decides the handlers; the loop only ever calls them.
//
// A Conn is never deleted inside its own callback: close() releases the
// socket at once and retires the object to its Context, which deletes it after
// the loop iteration.
#pragma once

#include <limits.h>

#include <cstdint>
#include <string>

#include "common/non_copyable.h"
#include "event/loop.h"
#include "net/socket.h"

namespace walnut::proxy {

class Context;

class Conn : private NonCopyable {
 public:
  Conn(Context& ctx, int fd);
  virtual ~Conn() = default;

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

 protected:
  // One writev carries at most this many slices; one readable event does at
  // most this many reads, so that one busy peer cannot starve the others.
  static constexpr int kMaxIov = IOV_MAX < 1024 ? IOV_MAX : 1024;
  static constexpr int kMaxReadsPerEvent = 16;

  // Starts watching the fd (after the subclass is fully built).
  void watch();
  // Stops watching and closes the fd; the subclass settles its messages.
  void release_socket();
  void want_read(bool on) { watcher_.want_read(on); }
  void want_write(bool on) { watcher_.want_write(on); }

  Context& ctx_;
  net::Fd fd_;
  bool closed_ = false;

 private:
  static void on_event(void* self, short what);
  event::IoWatcher watcher_;
};

}  // namespace walnut::proxy
