// Raw cyrusdb readers used by mailboxes_db.cpp: each turns a whole file into
// its live key/value pairs (rules in mailboxes_db.hpp). Internal to spool/.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.hpp"
#include "core/problem.hpp"

namespace ss::spool::cyrusdb {

struct RawRecord {
  std::string key;
  std::string value;
  std::uint64_t offset = 0;
};

struct RawDb {
  std::vector<RawRecord> live;
  std::uint64_t records = 0;
  std::uint64_t bad = 0;
  bool replayed = false;
  Findings findings;
};

inline constexpr std::string_view kTwoskipMagic{"\xA1\x02\x8B\x0Dtwoskip file\0\0\0\0", 20};
inline constexpr std::string_view kSkiplistMagic{"\xA1\x02\x8B\x0Dskiplist file\0\0\0", 20};
inline constexpr std::string_view kTwomMagic{"\xA1\x02\x8B\x0Dtwomfile", 12};

RawDb read_twoskip(ByteView bytes, std::string_view place);
RawDb read_skiplist(ByteView bytes, std::string_view place);
RawDb read_flat(ByteView bytes, std::string_view place);

}  // namespace ss::spool::cyrusdb
