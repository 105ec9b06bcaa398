#include "spool/index_reader.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace ss::spool::index {

IndexContents read_records(ByteView file, const Header& header, const Layout& layout,
                           std::uint32_t num_records) {
  IndexContents c;
  c.header = header;
  c.file_size = file.size();
  c.start_offset = layout.header_size;
  c.record_size = layout.record_size;
  c.num_records = num_records;
  std::uint64_t off = layout.header_size;
  std::uint32_t recno = 1;
  // Room for what the file can hold, never for what the header claims.
  if (file.size() > off)
    c.records.reserve(static_cast<std::size_t>(
        std::min<std::uint64_t>(num_records, (file.size() - off) / layout.record_size)));
  // Records the header counts.
  for (; recno <= num_records; ++recno, off += layout.record_size) {
    auto bytes = file.sub(static_cast<std::size_t>(off), layout.record_size);
    if (!bytes) {
      c.records_missing = num_records - recno + 1;
      if (off < file.size()) c.partial_record_bytes = file.size() - off;
      return c;
    }
    c.records.push_back(decode_record(layout, *bytes, recno, off));
  }
  // Records past num_records: kept only when their CRC holds and they are not
  // all zero (a CRC of zero bytes is not zero, but a zeroed tail is common).
  if (layout.has_crc) {
    for (;; ++recno, off += layout.record_size) {
      auto bytes = file.sub(static_cast<std::size_t>(off), layout.record_size);
      if (!bytes) break;
      Record r = decode_record(layout, *bytes, recno, off);
      if (!r.crc_ok() || r.uid() == 0) break;
      r.past_num_records = true;
      c.records.push_back(r);
      ++c.trailing_records;
    }
  }
  if (off < file.size() && c.trailing_records == 0 && !layout.has_crc) {
    // Without CRCs, bytes past the counted records cannot be judged here.
  }
  return c;
}

Result<IndexContents> read_index(ByteView file) {
  auto h = decode_header(file);
  if (!h) return h.problem();
  if (!h->layout)
    return Finding{Code::spool_index_short, "cyrus.index",
                   fmt::format("unknown index minor version {}", h->minor)};
  auto n = static_cast<std::uint32_t>(h->values.get_or(HeaderField::num_records, 0));
  return read_records(file, *h, *h->layout, n);
}

std::vector<std::string> system_flag_names(std::uint32_t flags, std::uint32_t minor) {
  std::vector<std::string> out;
  if (flags & 1u) out.emplace_back("\\Answered");
  if (flags & 2u) out.emplace_back("\\Flagged");
  if (flags & 4u) out.emplace_back("\\Deleted");
  if (flags & 8u) out.emplace_back("\\Draft");
  if (minor >= 12 && (flags & 16u)) out.emplace_back("\\Seen");
  return out;
}

}  // namespace ss::spool::index
