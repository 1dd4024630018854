// ReadWatch over a real socket pair and the real loop: callbacks while
// bytes wait or the peer has left, none after cancel(), and a callback that
// destroys the watch and scribbles over its memory, which libevent must not
// read again.
#include "event/read_watch.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <functional>
#include <new>

#include "event/loop.h"

namespace walnut::event {
namespace {

struct SocketPair {
  SocketPair() { EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds), 0); }
  ~SocketPair() {
    for (int fd : fds) {
      if (fd >= 0) ::close(fd);
    }
  }
  int fds[2] = {-1, -1};
};

// Runs `loop` until `done()` or for `ms` milliseconds, whichever first.
void run_for(Loop& loop, uint64_t ms, const std::function<bool()>& done) {
  Timer deadline;
  deadline.init(loop, [&loop] { loop.stop(); });
  deadline.start(ms);
  loop.run([&] {
    if (done()) loop.stop();
  });
}

void count_call(evutil_socket_t, short what, void* arg) {
  EXPECT_TRUE(what & EV_READ);
  ++*static_cast<int*>(arg);
}

// A ReadWatch on one end of a socket pair, counting its callbacks.
struct ReadWatchTest : ::testing::Test {
  void SetUp() override { watch.start(loop, pair.fds[0], &count_call, &calls); }
  void write_byte() { ASSERT_EQ(::write(pair.fds[1], "x", 1), 1); }

  Loop loop;
  SocketPair pair;
  ReadWatch watch;
  int calls = 0;
};

TEST_F(ReadWatchTest, CallsBackWhileBytesWaitUntilCancelled) {
  EXPECT_TRUE(watch.armed());
  run_for(loop, 50, [&] { return calls > 0; });
  EXPECT_EQ(calls, 0) << "nothing to read yet";
  write_byte();
  run_for(loop, 5000, [&] { return calls >= 2; });
  EXPECT_GE(calls, 2) << "the byte stays unread: the watch goes on";
  watch.cancel();
  EXPECT_FALSE(watch.armed());
  const int seen = calls;
  run_for(loop, 50, [] { return false; });
  EXPECT_EQ(calls, seen);
}

TEST_F(ReadWatchTest, CallsBackWhenThePeerLeaves) {
  ::close(pair.fds[1]);
  pair.fds[1] = -1;
  run_for(loop, 5000, [&] { return calls > 0; });
  EXPECT_GE(calls, 1);
}

TEST_F(ReadWatchTest, NoCallbackAfterCancel) {
  write_byte();
  watch.cancel();
  run_for(loop, 50, [] { return false; });
  EXPECT_EQ(calls, 0);
}

TEST(ReadWatch, TheCallbackMayDestroyIt) {
  Loop loop;
  SocketPair pair;
  struct Owner {
    ReadWatch watch;
    int* calls = nullptr;
  };
  // In storage of the test's own, which the callback fills with garbage
  // once the watch is gone: libevent reading its event after the callback
  // would find it.
  alignas(Owner) unsigned char storage[sizeof(Owner)];
  auto* owner = new (storage) Owner;
  int calls = 0;
  owner->calls = &calls;
  owner->watch.start(
      loop, pair.fds[0],
      [](evutil_socket_t, short, void* arg) {
        auto* self = static_cast<Owner*>(arg);
        ++*self->calls;
        self->~Owner();
        std::memset(static_cast<void*>(self), 0xa5, sizeof(Owner));
      },
      owner);
  ASSERT_EQ(::write(pair.fds[1], "x", 1), 1);
  run_for(loop, 5000, [&] { return calls > 0; });
  EXPECT_EQ(calls, 1);
  // The loop goes on, and nothing calls back again.
  run_for(loop, 50, [] { return false; });
  EXPECT_EQ(calls, 1);
}

}  // namespace
}  // namespace walnut::event
