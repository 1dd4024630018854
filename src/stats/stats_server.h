// The stats listeners. kJson is nutcracker's stats port: every `interval` ms
// the current Snapshot is turned into JSON; each client that connects is
// sent the latest one and closed. kPrometheus answers HTTP "GET /metrics"
// with a fresh snapshot in Prometheus's text format, and the pages added
// with add_page (404 for any other path), then closes. Neither ever blocks the loop: a slow peer is served as
// its socket allows.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "event/loop.h"
#include "net/socket.h"
#include "stats/counters.h"

namespace walnut::stats {

class StatsServer {
 public:
  using Provider = std::function<Snapshot()>;
  enum class Format { kJson, kPrometheus };
  // What a page answers: "200 OK", "503 Service Unavailable", ...
  struct Page {
    std::string status;
    std::string body;
  };
  using PageMaker = std::function<Page()>;
  StatsServer(event::Loop& loop, Provider provider, uint64_t interval_ms,
              Format format = Format::kJson);
  ~StatsServer();

  // Listens on addr:port; false with the reason.
  bool start(const std::string& addr, int port, std::string* error);
  // Takes a snapshot now (also done every interval).
  void aggregate();
  // kPrometheus: "GET `path`" is answered with what `make` says then, as
  // plain text.
  void add_page(const std::string& path, PageMaker make);

 private:
  struct Reader;
  static void on_accept(void* self, short what);
  // HTTP: reads the request; answers once its header is complete.
  void read_request(Reader* reader);
  void finish(Reader* reader);
  void sweep();

  event::Loop& loop_;
  Provider provider_;
  uint64_t interval_ms_;
  Format format_;
  std::string json_;
  net::Fd listen_fd_;
  event::IoWatcher listener_;
  event::Timer timer_;
  std::vector<std::unique_ptr<Reader>> readers_;
  std::vector<std::pair<std::string, PageMaker>> pages_;
};

}  // namespace walnut::stats
