// The only way to read evidence bytes: a bounds-checked view. Every accessor
// returns std::optional and never reads outside [data, data+size). The raw
// pointer accessor says `_unsafe` in its name.
#pragma once

#include <boost/endian/conversion.hpp>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace ss {

class ByteView {
 public:
  ByteView() = default;
  ByteView(const std::byte* data, std::size_t size) : data_(data), size_(size) {}
  explicit ByteView(std::span<const std::byte> s) : data_(s.data()), size_(s.size()) {}
  explicit ByteView(const std::vector<std::byte>& v) : data_(v.data()), size_(v.size()) {}

  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  // True when [off, off+len) lies inside the view (overflow-safe).
  bool contains(std::size_t off, std::size_t len) const {
    return off <= size_ && len <= size_ - off;
  }

  std::optional<ByteView> sub(std::size_t off, std::size_t len) const {
    if (!contains(off, len)) return std::nullopt;
    return ByteView(data_ + off, len);
  }
  // From off to the end (empty when off == size).
  std::optional<ByteView> tail(std::size_t off) const {
    if (off > size_) return std::nullopt;
    return ByteView(data_ + off, size_ - off);
  }
  // At most len bytes from off, clamped to the view.
  ByteView clamp(std::size_t off, std::size_t len) const {
    if (off >= size_) return {};
    return ByteView(data_ + off, len < size_ - off ? len : size_ - off);
  }

  std::optional<std::uint8_t> u8(std::size_t off) const {
    if (!contains(off, 1)) return std::nullopt;
    return static_cast<std::uint8_t>(data_[off]);
  }
  std::optional<std::uint16_t> be16(std::size_t off) const { return load<std::uint16_t>(off); }
  std::optional<std::uint32_t> be32(std::size_t off) const { return load<std::uint32_t>(off); }
  std::optional<std::uint64_t> be64(std::size_t off) const { return load<std::uint64_t>(off); }

  // The bytes as characters (for text formats such as cyrus.header).
  std::string_view chars() const {
    return {reinterpret_cast<const char*>(data_), size_};  // NOLINT
  }
  bool starts_with(ByteView prefix) const {
    return prefix.size_ <= size_ && std::equal(prefix.data_, prefix.data_ + prefix.size_, data_);
  }

  const std::byte* data_unsafe() const { return data_; }
  std::span<const std::byte> span() const { return {data_, size_}; }

 private:
  template <class U>
  std::optional<U> load(std::size_t off) const {
    if (!contains(off, sizeof(U))) return std::nullopt;
    // Byte-wise big-endian load: no alignment assumption (Cyrus u64 fields
    // are often unaligned).
    return boost::endian::endian_load<U, sizeof(U), boost::endian::order::big>(
        reinterpret_cast<const unsigned char*>(data_ + off));  // NOLINT
  }

  const std::byte* data_ = nullptr;
  std::size_t size_ = 0;
};

inline ByteView bytes_of(std::string_view s) {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};  // NOLINT
}

}  // namespace ss
