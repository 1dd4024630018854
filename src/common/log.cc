// The logger behind log.h: formats a line into a stack buffer and writes it
// with one write(2), so that lines from a crashing process are not lost in a
// stdio buffer.
#include "common/log.h"

#include <fcntl.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <ctime>

namespace walnut::log {

int g_level = kNotice;

namespace {
int g_fd = STDERR_FILENO;
std::string g_path;

const char* base_name(const char* file) {
  const char* slash = std::strrchr(file, '/');
  return slash ? slash + 1 : file;
}
}  // namespace

bool open(const std::string& path) {
  if (path.empty()) {
    g_path.clear();
    g_fd = STDERR_FILENO;
    return true;
  }
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return false;
  if (g_fd != STDERR_FILENO) ::close(g_fd);
  g_fd = fd;
  g_path = path;
  return true;
}

int fd() { return g_fd; }

bool reopen() { return g_path.empty() ? true : open(g_path); }

void set_level(int level) {
  if (level < kMinLevel) level = kMinLevel;
  if (level > kMaxLevel) level = kMaxLevel;
  g_level = level;
}

void write(const char* file, int line, const char* fmt, ...) {
  char buf[4096];
  struct timeval tv;
  gettimeofday(&tv, nullptr);
  struct tm tm;
  localtime_r(&tv.tv_sec, &tm);
  size_t n = std::strftime(buf, sizeof(buf), "[%Y-%m-%d %H:%M:%S", &tm);
  n += std::snprintf(buf + n, sizeof(buf) - n, ".%03d] %s:%d ",
                     static_cast<int>(tv.tv_usec / 1000), base_name(file), line);
  va_list ap;
  va_start(ap, fmt);
  int m = std::vsnprintf(buf + n, sizeof(buf) - n - 1, fmt, ap);
  va_end(ap);
  if (m > 0) n += static_cast<size_t>(m) < sizeof(buf) - n - 1
                      ? static_cast<size_t>(m)
                      : sizeof(buf) - n - 2;
  buf[n++] = '\n';
  ssize_t ignored = ::write(g_fd, buf, n);
  (void)ignored;
}

}  // namespace walnut::log
