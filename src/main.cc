// walnut's entry point: argv -> Options, the one-shot modes (-h, -V, -t,
// -D), daemonizing and the pid file, then the App.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "app.h"
#include "common/log.h"
#include "event/small_blocks.h"
#include "options.h"
#include "stats/counters.h"

namespace {

void say(const std::string& text) { std::fputs(text.c_str(), stderr); }

bool daemonize(std::string* error) {
  pid_t pid = fork();
  if (pid < 0) {
    *error = std::string("fork failed: ") + std::strerror(errno);
    return false;
  }
  if (pid > 0) _exit(0);
  if (setsid() < 0) {
    *error = std::string("setsid failed: ") + std::strerror(errno);
    return false;
  }
  pid = fork();  // never again a session leader: no controlling terminal
  if (pid < 0) {
    *error = std::string("fork failed: ") + std::strerror(errno);
    return false;
  }
  if (pid > 0) _exit(0);
  if (chdir("/") != 0) {
    *error = std::string("chdir failed: ") + std::strerror(errno);
    return false;
  }
  umask(0);
  int fd = open("/dev/null", O_RDWR);
  if (fd >= 0) {
    dup2(fd, STDIN_FILENO);
    dup2(fd, STDOUT_FILENO);
    dup2(fd, STDERR_FILENO);
    if (fd > STDERR_FILENO) close(fd);
  }
  return true;
}

bool write_pid_file(const std::string& path, std::string* error) {
  FILE* f = std::fopen(path.c_str(), "w");
  if (f == nullptr) {
    *error = "cannot write pid file '" + path + "': " + std::strerror(errno);
    return false;
  }
  std::fprintf(f, "%d\n", static_cast<int>(getpid()));
  std::fclose(f);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  // Before libevent allocates anything: its per-descriptor entries must not
  // pin the heap's pages after a burst of connections.
  walnut::event::keep_libevent_memory_apart();
  walnut::Options options;
  std::string error;
  if (!walnut::parse_options(argc, argv, &options, &error)) {
    say("walnut: " + error + "\n");
    say(walnut::usage());
    return 1;
  }
  for (const std::string& warning : options.warnings) say("walnut: " + warning + "\n");
  if (options.version) {
    say(walnut::version_text());
    return 0;
  }
  if (options.help) {
    say(walnut::version_text() + "\n" + walnut::usage());
    return 0;
  }
  if (options.describe_stats) {
    say(walnut::version_text() + "\n" + walnut::stats::describe());
    return 0;
  }
  walnut::log::set_level(options.verbosity);
  if (!walnut::log::open(options.output)) {
    say("walnut: cannot open log file '" + options.output +
        "': " + std::strerror(errno) + "\n");
    return 1;
  }

  walnut::App app(options);
  if (options.test_conf) {
    if (!app.load_config(&error)) {
      say("walnut: configuration file '" + options.conf_file +
          "' syntax is invalid\n" + error + "\n");
      return 1;
    }
    say("walnut: configuration file '" + options.conf_file +
        "' syntax is ok\n");
    return 0;
  }
  if (!app.load_config(&error)) {
    say(error + "\n");
    return 1;
  }
  if (options.daemonize && (!daemonize(&error) || !app.after_fork())) {
    LOG_ERROR("cannot daemonize: %s", error.c_str());
    return 1;
  }
  if (!options.pid_file.empty() && !write_pid_file(options.pid_file, &error)) {
    LOG_ERROR("%s", error.c_str());
    return 1;
  }
  if (!app.start(&error)) {
    LOG_ERROR("%s", error.c_str());
    if (!options.pid_file.empty()) unlink(options.pid_file.c_str());
    return 1;
  }
  int rc = app.run();
  if (!options.pid_file.empty()) unlink(options.pid_file.c_str());
  return rc;
}
