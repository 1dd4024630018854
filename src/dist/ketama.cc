// Ketama continuum: build and lookup, bit-for-bit with twemproxy 0.5.0
// (nc_ketama.c). See ketama.h for the shape; the comments here are about the
// places where matching nutcracker takes care.
#include "dist/ketama.h"

#include <algorithm>
#include <cmath>

#include "hash/md5.h"

namespace walnut::dist {

namespace {

constexpr uint32_t kPointsPerServer = 160;
constexpr uint32_t kPointsPerHash = 4;

// nutcracker 0.5.0 formats the point key into a 273-byte buffer and hashes
// what fits: keys longer than 272 bytes (labels of 270 bytes and more) are
// cut to 272, so several of such a server's points can coincide. Verified
// against the binary with 83, 200, 270 and 300-byte names. (Older twemproxy
// used 86 bytes and hashed past the end of the buffer; 0.5.0 does not.)
constexpr size_t kMaxPointKey = 272;

}  // namespace

uint32_t Ketama::points_for(uint32_t weight, uint32_t total_weight, uint32_t nlive) {
  // One float operation per statement, in twemproxy's order and types: the
  // result decides point counts and so placements, and an fma or a wider
  // intermediate could move a boundary case.
  const float pct = static_cast<float>(weight) / static_cast<float>(total_weight);
  float scaled = pct * static_cast<float>(kPointsPerServer);
  scaled = scaled / 4.0f;
  scaled = scaled * static_cast<float>(nlive);
  const double nudged = static_cast<double>(scaled) + 0.0000000001;
  const float floored = std::floor(static_cast<float>(nudged));
  return static_cast<uint32_t>(floored * 4.0f);
}

Ketama::Ketama(const std::vector<ServerWeight>& servers) {
  const uint32_t nlive = static_cast<uint32_t>(servers.size());
  uint32_t total_weight = 0;
  for (const ServerWeight& s : servers) total_weight += s.weight;

  // Lay points down in nutcracker's server order (see label_less) so that
  // the stable sort below breaks ties between equal values as it does.
  const std::vector<const ServerWeight*> ordered = in_label_order(servers);

  std::vector<Point> points;
  points.reserve(static_cast<size_t>(nlive) * kPointsPerServer + kPointsPerHash);
  std::string key;
  for (const ServerWeight* sp : ordered) {
    const ServerWeight& s = *sp;
    const uint32_t npoints = points_for(s.weight, total_weight, nlive);
    for (uint32_t n = 0; n < npoints / kPointsPerHash; n++) {
      key = s.label;
      key += '-';
      key += std::to_string(n);
      if (key.size() > kMaxPointKey) key.resize(kMaxPointKey);
      uint8_t digest[16];
      hash::md5_digest(key.data(), key.size(), digest);
      for (uint32_t x = 0; x < kPointsPerHash; x++) {
        const uint8_t* d = digest + 4 * x;
        const uint32_t value = static_cast<uint32_t>(d[0]) | (static_cast<uint32_t>(d[1]) << 8) |
                               (static_cast<uint32_t>(d[2]) << 16) |
                               (static_cast<uint32_t>(d[3]) << 24);
        points.push_back(Point{value, s.index});
      }
    }
  }

  // Stable, so that equal values keep server order as glibc's merge-sort
  // qsort leaves them for nutcracker. Equal values are rare (two MD5 words
  // colliding) but must not make us disagree.
  std::stable_sort(points.begin(), points.end(),
                   [](const Point& a, const Point& b) { return a.value < b.value; });

  values_.reserve(points.size());
  owners_.reserve(points.size());
  for (const Point& p : points) {
    values_.push_back(p.value);
    owners_.push_back(p.index);
  }
  constexpr uint32_t kBuckets = 1u << kBucketBits;
  first_at_or_above_.resize(kBuckets + 1);
  for (uint32_t b = 0; b < kBuckets; ++b) {
    const uint32_t lowest = b << (32 - kBucketBits);
    first_at_or_above_[b] = static_cast<uint32_t>(
        std::lower_bound(values_.begin(), values_.end(), lowest) - values_.begin());
  }
  first_at_or_above_[kBuckets] = static_cast<uint32_t>(values_.size());
}

uint32_t Ketama::pick(uint32_t hash) const {
  // First point with value >= hash (twemproxy's search; libmemcached's
  // differs on exact hits), wrapping past the last point to the first.
  // Every point before the hash's bucket is below the hash, and the first
  // point of the next bucket is above it: the answer lies between them.
  const uint32_t bucket = hash >> (32 - kBucketBits);
  const auto from = values_.begin() + first_at_or_above_[bucket];
  const auto to = values_.begin() + first_at_or_above_[bucket + 1];
  auto it = std::lower_bound(from, to, hash);
  if (it == values_.end()) it = values_.begin();
  if (it == values_.end()) return 0;  // no points: make() never builds this
  return owners_[static_cast<size_t>(it - values_.begin())];
}

std::vector<Ketama::Point> Ketama::points() const {
  std::vector<Point> out;
  out.reserve(values_.size());
  for (size_t i = 0; i < values_.size(); i++) out.push_back(Point{values_[i], owners_[i]});
  return out;
}

std::string ketama_label(std::string_view name, std::string_view addr,
                         std::string_view port_text, int port) {
  if (!name.empty()) return std::string(name);
  if (port == 11211) return std::string(addr);
  std::string label(addr);
  label += ':';
  label += port_text;
  return label;
}

}  // namespace walnut::dist
