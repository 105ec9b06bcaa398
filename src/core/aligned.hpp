// Buffers aligned for reads that go around the page cache (O_DIRECT): the
// one place they are allocated (evidence/, fs/).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <new>

namespace ss {

// Enough for any device's logical block size.
inline constexpr std::size_t kDirectAlign = 4096;

struct FreeBytes {
  void operator()(std::byte* p) const noexcept { std::free(p); }
};
using AlignedBytes = std::unique_ptr<std::byte[], FreeBytes>;

// At least `size` bytes (and at least one), rounded up to whole kDirectAlign
// as aligned_alloc requires; throws std::bad_alloc.
inline AlignedBytes aligned_bytes(std::uint64_t size) {
  const std::uint64_t n = (std::max<std::uint64_t>(size, 1) + kDirectAlign - 1) / kDirectAlign * kDirectAlign;
  void* p = std::aligned_alloc(kDirectAlign, static_cast<std::size_t>(n));
  if (p == nullptr) throw std::bad_alloc();
  return AlignedBytes(static_cast<std::byte*>(p));
}

}  // namespace ss
