// Logging with nutcracker's levels and line format:
//   [YYYY-MM-DD HH:MM:SS.mmm] file.cc:123 message
// One process-wide logger: walnut is single-threaded, and a log call below the
// current level costs one comparison.
#pragma once

#include <string>

namespace walnut::log {

// nutcracker's levels, in the order of its -v numbers: kEmerg is -v 0,
// kPVerb -v 11.
enum Level : int {
  kEmerg, kAlert, kCrit, kError, kWarn, kNotice,
  kInfo, kDebug, kVerb, kVVerb, kVVVerb, kPVerb,
};
static_assert(kNotice == 5 && kPVerb == 11, "the -v numbers users pass");

inline constexpr int kMinLevel = kEmerg;
inline constexpr int kMaxLevel = kPVerb;

extern int g_level;

// Sends output to `path` (empty: stderr). False when the file can't be opened.
bool open(const std::string& path);
// Reopens the current file (after rotation); stderr stays stderr.
bool reopen();
void set_level(int level);
// The descriptor lines go to (for a crash handler's direct writes).
int fd();

void write(const char* file, int line, const char* fmt, ...)
    __attribute__((format(printf, 3, 4)));

}  // namespace walnut::log

#define WLOG(level, ...)                                           \
  do {                                                             \
    if ((level) <= ::walnut::log::g_level)                         \
      ::walnut::log::write(__FILE__, __LINE__, __VA_ARGS__);       \
  } while (0)

#define LOG_ERROR(...) WLOG(::walnut::log::kError, __VA_ARGS__)
#define LOG_WARN(...) WLOG(::walnut::log::kWarn, __VA_ARGS__)
#define LOG_NOTICE(...) WLOG(::walnut::log::kNotice, __VA_ARGS__)
#define LOG_INFO(...) WLOG(::walnut::log::kInfo, __VA_ARGS__)
#define LOG_DEBUG(...) WLOG(::walnut::log::kDebug, __VA_ARGS__)
#define LOG_VERB(...) WLOG(::walnut::log::kVerb, __VA_ARGS__)
