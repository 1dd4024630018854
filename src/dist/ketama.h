// Ketama consistent hashing exactly as twemproxy 0.5.0 builds and walks its
// continuum, so that walnut places every key where nutcracker would.
//
// Build: each live server gets floor(weight share * 40 * nlive) * 4 points
// (twemproxy's float arithmetic, reproduced step by step), four per MD5
// digest of "<label>-<n>"; the points are sorted by value. Pick: the first
// point whose value is >= the key hash, wrapping to the first point. Picking
// allocates nothing: the hash's top bits name a bucket of the continuum, which
// bounds a binary search to the few points inside it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "dist/distribution.h"

namespace walnut::dist {

class Ketama final : public Distribution {
 public:
  struct Point {
    uint32_t value;
    uint32_t index;  // ServerWeight::index of the owner
  };

  // servers must be non-empty with every weight >= 1 (make() checks).
  explicit Ketama(const std::vector<ServerWeight>& servers);

  uint32_t pick(uint32_t hash) const override;

  // The sorted continuum, for tests and diagnostics.
  std::vector<Point> points() const;

  // How many points twemproxy gives a server of `weight` out of
  // `total_weight` spread over `nlive` live servers (a multiple of 4).
  static uint32_t points_for(uint32_t weight, uint32_t total_weight, uint32_t nlive);

 private:
  // The continuum cut into 2^kBucketBits buckets by a hash's top bits: a
  // pool of a few servers has less than a point per bucket, so a lookup
  // searches a value or two instead of ten levels of the whole array.
  static constexpr uint32_t kBucketBits = 10;

  // Values and owners in separate arrays so the search touches only values.
  std::vector<uint32_t> values_;
  std::vector<uint32_t> owners_;
  // first_at_or_above_[b]: the first point whose value is >= b's lowest hash;
  // one more entry, values_.size(), closes the last bucket.
  std::vector<uint32_t> first_at_or_above_;
};

// The label twemproxy hashes for a server's points, from its config line
// "addr:port:weight [name]": the name if there is one; otherwise addr alone
// when the port is 11211 (libmemcached compatibility), else "addr:port" with
// the port spelled as written. A unix socket "/path:weight" has no port
// (pass port 0 and an empty port_text), and becomes "/path:" with the colon.
std::string ketama_label(std::string_view name, std::string_view addr,
                         std::string_view port_text, int port);

}  // namespace walnut::dist
