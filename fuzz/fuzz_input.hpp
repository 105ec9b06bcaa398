// Helpers shared by the fuzz harnesses (see fuzz/README.md). Harnesses see
// evidence bytes only through ByteView / string_view over the buffer they
// are given; anything split out of it is copied into its own exact-size heap
// buffer so that AddressSanitizer catches a read past the end of each part.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>

#include "core/bytes.hpp"

namespace ss::fuzz {

// A heap copy of exactly `size` bytes (no slack for an over-read to land in).
class ExactCopy {
 public:
  ExactCopy(const std::uint8_t* data, std::size_t size)
      : bytes_(new std::byte[size]), size_(size) {
    if (size != 0) std::memcpy(bytes_.get(), data, size);
  }
  ByteView view() const { return ByteView(bytes_.get(), size_); }
  std::string_view chars() const {
    return {reinterpret_cast<const char*>(bytes_.get()), size_};  // NOLINT
  }

 private:
  std::unique_ptr<std::byte[]> bytes_;
  std::size_t size_;
};

inline ByteView view_of(const std::uint8_t* data, std::size_t size) {
  return ByteView(reinterpret_cast<const std::byte*>(data), size);  // NOLINT
}

inline std::string_view chars_of(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};  // NOLINT
}

// Reads a big-endian 32-bit word at the front of [data, data+size), if any.
inline std::uint32_t take_be32(const std::uint8_t*& data, std::size_t& size) {
  if (size < 4) return 0;
  const std::uint32_t v = (std::uint32_t{data[0]} << 24) | (std::uint32_t{data[1]} << 16) |
                          (std::uint32_t{data[2]} << 8) | std::uint32_t{data[3]};
  data += 4;
  size -= 4;
  return v;
}

}  // namespace ss::fuzz
