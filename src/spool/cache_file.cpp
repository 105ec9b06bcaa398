#include "spool/cache_file.hpp"

#include <fmt/format.h>

#include "spool/index_file.hpp"

namespace ss::spool::cache {

std::string_view name(Item i) {
  static constexpr std::array<std::string_view, kItems> kNames{
      "envelope", "bodystructure", "body", "section", "headers",
      "from",     "to",            "cc",   "bcc",     "subject"};
  return kNames[static_cast<std::size_t>(i)];
}

std::optional<std::uint32_t> generation(ByteView cache) { return cache.be32(0); }

Result<CacheRecord> read_record(ByteView cache, std::uint64_t offset) {
  CacheRecord r;
  r.offset = offset;
  if (offset < 4 || offset >= cache.size())
    return Finding{Code::cache_offset_out_of_range, "cyrus.cache",
                   fmt::format("offset {} outside 4..{}", offset, cache.size())};
  std::uint64_t pos = offset;
  for (std::size_t i = 0; i < kItems; ++i) {
    auto len = cache.be32(static_cast<std::size_t>(pos));
    if (!len)
      return Finding{Code::cache_record_truncated, "cyrus.cache",
                     fmt::format("item {} ({}) length word at {} is past the end ({} bytes)", i,
                                 name(static_cast<Item>(i)), pos, cache.size())};
    std::uint64_t padded = (std::uint64_t{*len} + 3) & ~std::uint64_t{3};
    auto data = cache.sub(static_cast<std::size_t>(pos + 4), *len);
    if (!data || pos + 4 + padded > cache.size())
      return Finding{Code::cache_record_truncated, "cyrus.cache",
                     fmt::format("item {} ({}) of {} bytes at {} runs past the end ({} bytes)", i,
                                 name(static_cast<Item>(i)), *len, pos, cache.size())};
    r.items[i] = *data;
    pos += 4 + padded;
  }
  r.length = pos - offset;
  r.crc = index::crc32_of(*cache.sub(static_cast<std::size_t>(offset),
                                     static_cast<std::size_t>(r.length)));
  return r;
}

}  // namespace ss::spool::cache
