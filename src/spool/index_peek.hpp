// A minimal look at cyrus.index: the first 24 bytes, which mean the same in
// every minor version (fact sheet §1.3): generation, format, minor version,
// start_offset, record_size, and the record count (v≤10 "exists", v≥12
// "num_records", expunged records included). This is for discovery and
// listing only; the per-version header and record decoder is a later module
// and does all real validation.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "core/bytes.hpp"
#include "core/problem.hpp"

namespace ss::spool {

struct IndexPeek {
  // Each field is present when the file is long enough to hold it.
  std::optional<std::uint32_t> generation;
  std::optional<std::uint32_t> format;
  std::optional<std::uint32_t> minor_version;
  std::optional<std::uint32_t> start_offset;
  std::optional<std::uint32_t> record_size;
  std::optional<std::uint32_t> num_records;
  std::uint64_t file_size = 0;
};

inline constexpr std::size_t kIndexPeekBytes = 24;

// `head` holds the first bytes of the file (up to 24), `file_size` its full
// length. Adds spool.index-short to `findings` when the file is shorter than
// 24 bytes or than start_offset + num_records * record_size.
IndexPeek peek_index(ByteView head, std::uint64_t file_size, std::string_view place,
                     Findings& findings);

}  // namespace ss::spool
