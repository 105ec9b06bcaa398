#include "spool/index_peek.hpp"

#include <fmt/format.h>

#include "core/byte_range.hpp"

namespace ss::spool {
namespace {
constexpr std::size_t kOffGeneration = 0;
constexpr std::size_t kOffFormat = 4;
constexpr std::size_t kOffMinor = 8;
constexpr std::size_t kOffStart = 12;
constexpr std::size_t kOffRecordSize = 16;
constexpr std::size_t kOffNumRecords = 20;
}  // namespace

IndexPeek peek_index(ByteView head, std::uint64_t file_size, std::string_view place,
                     Findings& findings) {
  IndexPeek p;
  p.file_size = file_size;
  p.generation = head.be32(kOffGeneration);
  p.format = head.be32(kOffFormat);
  p.minor_version = head.be32(kOffMinor);
  p.start_offset = head.be32(kOffStart);
  p.record_size = head.be32(kOffRecordSize);
  p.num_records = head.be32(kOffNumRecords);
  if (file_size < kIndexPeekBytes || head.size() < kIndexPeekBytes) {
    findings.add(
        Code::spool_index_short, std::string(place),
        fmt::format("{} bytes, fewer than the 24 every version's header starts with", file_size));
    return p;
  }
  // Saturating: a corrupt count cannot overflow into a small "needed" size.
  std::uint64_t records_bytes = static_cast<std::uint64_t>(*p.num_records) * *p.record_size;
  std::uint64_t needed = ByteRange{*p.start_offset, records_bytes}.end();
  if (file_size < needed)
    findings.add(Code::spool_index_short, std::string(place),
                 fmt::format("{} bytes, header says {} + {} records x {} = {}", file_size,
                             *p.start_offset, *p.num_records, *p.record_size, needed));
  return p;
}

}  // namespace ss::spool
