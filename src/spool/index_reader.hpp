// Reading a whole cyrus.index: the header, every record the header counts,
// and records past num_records whose CRC holds (Cyrus writes records before
// the header, so a crash can leave committed-looking records behind it).
// Tolerant by design: the table's sizes for the file's version are used to
// step through records even when the header's start_offset/record_size
// disagree (the disagreement is reported by validate/); a file cut short
// mid-record yields every complete record and says where it stopped.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/bytes.hpp"
#include "core/result.hpp"
#include "spool/index_file.hpp"

namespace ss::spool::index {

struct IndexContents {
  Header header;
  std::uint64_t file_size = 0;
  std::uint32_t start_offset = 0;  // where records were read from (the table's header size)
  std::uint32_t record_size = 0;   // the step used (the table's record size)
  std::uint32_t num_records = 0;   // as the header states
  std::vector<Record> records;     // records 1..num_records that the file holds, then trailing
  std::uint32_t records_missing = 0;      // counted by the header but not in the file
  std::uint64_t partial_record_bytes = 0; // bytes of a record cut short at end of file
  std::uint32_t trailing_records = 0;     // past num_records, with a valid CRC
};

// Reads the records of a file whose header decoded with a known layout.
// Problem only when the header is unreadable or its version is unknown.
Result<IndexContents> read_index(ByteView file);

// Reads records with an explicitly given layout (used when the header is
// destroyed and the layout had to be inferred).
IndexContents read_records(ByteView file, const Header& header, const Layout& layout,
                           std::uint32_t num_records);

// The IMAP system flags a record's system_flags word holds (\Seen only from
// minor version 12 on; earlier versions keep it in the seen db).
std::vector<std::string> system_flag_names(std::uint32_t flags, std::uint32_t minor);

}  // namespace ss::spool::index
