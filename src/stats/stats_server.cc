// Accepting stats readers and feeding them the latest JSON.
#include "stats/stats_server.h"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "common/log.h"

namespace walnut::stats {

struct StatsServer::Reader {
  StatsServer* owner;
  net::Fd fd;
  std::string request;  // HTTP only
  std::string text;
  size_t sent = 0;
  bool responding = false;
  bool done = false;
  event::IoWatcher watcher;

  static void on_event(void* self, short) {
    auto* r = static_cast<Reader*>(self);
    if (r->responding) {
      r->owner->finish(r);
    } else {
      r->owner->read_request(r);
    }
  }
};

namespace {
constexpr size_t kMaxRequest = 8192;

std::string http_response(const std::string& status, const std::string& body,
                          const char* type = "text/plain; version=0.0.4; charset=utf-8") {
  return "HTTP/1.1 " + status + "\r\nContent-Type: " + type +
         "\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\nConnection: close\r\n\r\n" + body;
}

// "GET /path " or "GET /path?query": the request line asks for `path`.
bool asks_for(const std::string& request, const std::string& path) {
  const std::string line = "GET " + path;
  if (request.rfind(line, 0) != 0 || request.size() <= line.size()) return false;
  const char next = request[line.size()];
  return next == ' ' || next == '?';
}
}  // namespace

StatsServer::StatsServer(event::Loop& loop, Provider provider,
                         uint64_t interval_ms, Format format)
    : loop_(loop),
      provider_(std::move(provider)),
      interval_ms_(interval_ms),
      format_(format) {}

StatsServer::~StatsServer() {
  readers_.clear();
  listener_.reset();
  timer_.reset();
}

bool StatsServer::start(const std::string& addr, int port, std::string* error) {
  net::Address a;
  if (!net::resolve_tcp(addr, port, &a, error)) return false;
  net::ListenOptions opts;
  opts.backlog = 64;
  int fd = net::listen_on(a, opts);
  if (fd < 0) {
    *error = "cannot listen for stats on '" + a.text + "': " + std::strerror(errno);
    return false;
  }
  listen_fd_.reset(fd);
  listener_.init(loop_, fd, &StatsServer::on_accept, this);
  listener_.want_read(true);
  timer_.init(loop_, [this] { aggregate(); });
  if (format_ == Format::kJson) {
    aggregate();
    timer_.start(std::max<uint64_t>(interval_ms_, 1), true);
    LOG_NOTICE("stats on %s, aggregated every %llu ms", a.text.c_str(),
               static_cast<unsigned long long>(interval_ms_));
  } else {
    timer_.start(1000, true);  // only frees finished readers
    LOG_NOTICE("metrics on http://%s/metrics", a.text.c_str());
  }
  return true;
}

void StatsServer::aggregate() {
  if (format_ == Format::kJson) json_ = to_json(provider_());
  sweep();
}

// Finished readers are freed here, never inside their own event callback.
void StatsServer::sweep() {
  readers_.erase(std::remove_if(readers_.begin(), readers_.end(),
                                [](const std::unique_ptr<Reader>& r) { return r->done; }),
                 readers_.end());
}

void StatsServer::on_accept(void* arg, short) {
  auto* self = static_cast<StatsServer*>(arg);
  self->sweep();
  for (int i = 0; i < 16; ++i) {
    int fd = ::accept4(self->listen_fd_.get(), nullptr, nullptr,
                       SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;
    auto r = std::make_unique<Reader>();
    r->owner = self;
    r->fd.reset(fd);
    Reader* raw = r.get();
    self->readers_.push_back(std::move(r));
    raw->watcher.init(self->loop_, fd, &Reader::on_event, raw);
    if (self->format_ == Format::kJson) {
      raw->text = self->json_;
      raw->responding = true;
      self->finish(raw);
    } else {
      raw->watcher.want_read(true);
    }
  }
}

void StatsServer::read_request(Reader* r) {
  char buf[2048];
  ssize_t n = ::recv(r->fd.get(), buf, sizeof(buf), 0);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
  if (n > 0) r->request.append(buf, static_cast<size_t>(n));
  bool complete = r->request.find("\r\n\r\n") != std::string::npos;
  if (!complete && n > 0 && r->request.size() < kMaxRequest) return;
  r->watcher.want_read(false);
  r->responding = true;
  if (!complete) {
    r->text = http_response("400 Bad Request", "bad request\n");
  } else if (asks_for(r->request, "/metrics")) {
    r->text = http_response("200 OK", to_prometheus(provider_()));
  } else {
    r->text = http_response("404 Not Found", "try /metrics\n");
    for (const auto& [path, make] : pages_) {
      if (!asks_for(r->request, path)) continue;
      Page page = make();
      r->text = http_response(page.status, page.body, "text/plain; charset=utf-8");
      break;
    }
  }
  finish(r);
}

void StatsServer::add_page(const std::string& path, PageMaker make) {
  pages_.emplace_back(path, std::move(make));
}

// Writes what the socket takes; closes the reader when all is sent or the
// socket failed, else waits for it to drain.
void StatsServer::finish(Reader* r) {
  while (r->sent < r->text.size()) {
    ssize_t n = ::send(r->fd.get(), r->text.data() + r->sent,
                       r->text.size() - r->sent, MSG_NOSIGNAL);
    if (n > 0) {
      r->sent += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      r->watcher.want_write(true);
      return;
    }
    break;  // the reader went away
  }
  r->watcher.want_write(false);
  r->watcher.want_read(false);
  r->fd.reset();
  r->done = true;
}

}  // namespace walnut::stats
