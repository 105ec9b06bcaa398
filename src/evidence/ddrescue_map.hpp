// evidence/: GNU ddrescue mapfiles. ddrescue images a failing disk and keeps,
// beside the image, a map of which byte ranges it recovered ('+', finished)
// and which not yet or never ('?' non-tried, '*' non-trimmed, '/'
// non-scraped, '-' bad sector). In the image, an unrecovered range holds
// zeros (or whatever was there before): it is not data. A Source opened with
// a map fails every read that touches such a range (evidence.unread-range),
// so nothing above can take those zeros for file bytes, and it remembers the
// ranges that were needed, so that they can be written back as a ddrescue
// domain mapfile (ddrescue -m) for another pass over exactly those.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/byte_range.hpp"
#include "core/result.hpp"
#include "evidence/source.hpp"

namespace ss::evidence {

struct MapBlock {
  ByteRange range;
  char status = '?';  // + ? * / -
};

struct DdrescueMap {
  std::string source;              // the mapfile's path, for reports
  std::vector<MapBlock> blocks;    // sorted, contiguous from 0 as ddrescue writes them
  std::uint64_t unread_bytes = 0;  // bytes in blocks not '+'
};

// What a status character means, for reports ("bad sector", ...).
std::string_view map_status_name(char status);

// Parses a ddrescue mapfile (comments '#', the current-position line, then
// "pos size status" lines, hexadecimal 0x... or decimal). Problem
// evidence.map-invalid naming the line: a malformed, unknown-status,
// overlapping or out-of-order block.
Result<DdrescueMap> parse_ddrescue_map(std::string_view text, std::string source);

// Reads and parses a mapfile (at most 256 MiB). Problem evidence.map-invalid.
Result<DdrescueMap> read_ddrescue_map(const std::string& path);

// The source, read through its map: a read touching a block not '+' fails
// with evidence.unread-range (naming the range and its status) and the block
// is remembered in needed_ranges(). Bytes past the map's end are unread.
std::shared_ptr<Source> open_mapped(std::shared_ptr<Source> inner, DdrescueMap map);

// A ddrescue domain mapfile over [0, size): the given ranges '+', the rest
// '?', so that `ddrescue -m FILE` retries exactly those.
std::string domain_mapfile(const std::vector<ByteRange>& ranges, std::uint64_t size,
                           std::string_view comment);

}  // namespace ss::evidence
