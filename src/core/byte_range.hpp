// A byte range [offset, offset+length) in some address space (the evidence,
// or a file). Invariant: end() never overflows; arithmetic saturates, so a
// corrupt length can never become a wild read.
#pragma once

#include <cstdint>
#include <limits>

namespace ss {

struct ByteRange {
  std::uint64_t offset = 0;
  std::uint64_t length = 0;

  static constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();

  // Saturating end.
  constexpr std::uint64_t end() const {
    return length > kMax - offset ? kMax : offset + length;
  }
  constexpr bool empty() const { return length == 0; }
  constexpr bool contains(std::uint64_t pos) const { return pos >= offset && pos < end(); }
  constexpr bool overlaps(const ByteRange& o) const {
    return !empty() && !o.empty() && offset < o.end() && o.offset < end();
  }
  // The part of this range that lies below `limit` (e.g. the evidence size).
  constexpr ByteRange clamped_to(std::uint64_t limit) const {
    if (offset >= limit) return {limit, 0};
    std::uint64_t e = end() < limit ? end() : limit;
    return {offset, e - offset};
  }
  friend constexpr bool operator==(const ByteRange&, const ByteRange&) = default;
};

}  // namespace ss
