#include <doctest/doctest.h>

#include <set>
#include <string>

#include "core/byte_range.hpp"
#include "core/bytes.hpp"
#include "core/problem.hpp"
#include "core/result.hpp"
#include "core/time_parse.hpp"

using namespace ss;

TEST_CASE("problem catalogue: codes are unique, in enum order, with text") {
  std::set<std::string_view> ids;
  const auto& table = problem_catalogue();
  for (std::size_t i = 0; i < table.size(); ++i) {
    CHECK(static_cast<std::size_t>(table[i].code) == i);
    CHECK(!table[i].text.empty());
    CHECK(table[i].id.find('.') != std::string_view::npos);
    CHECK(ids.insert(table[i].id).second);
  }
}

TEST_CASE("finding describes itself with code, detail and place") {
  Finding f{Code::fs_backup_superblock, "img", "block 8193"};
  CHECK(f.describe() ==
        "fs.backup-superblock: primary superblock unusable; a backup superblock was used "
        "(block 8193) at img");
  CHECK(f.severity() == Severity::relaxation);
}

TEST_CASE("ByteView never reads outside its bytes") {
  const unsigned char raw[] = {0x00, 0x00, 0x01, 0x02, 0xff, 0xee, 0xdd, 0xcc, 0x11};
  ByteView v(reinterpret_cast<const std::byte*>(raw), sizeof raw);
  CHECK(v.be32(0) == 0x00000102u);
  CHECK(v.be16(2) == 0x0102u);
  CHECK(v.be64(1) == 0x000102ffeeddcc11ull);
  CHECK_FALSE(v.be64(2).has_value());
  CHECK_FALSE(v.be32(static_cast<std::size_t>(-1)).has_value());
  CHECK_FALSE(v.sub(8, 2).has_value());
  CHECK(v.sub(9, 0).has_value());
  CHECK(v.clamp(7, 100).size() == 2);
  CHECK(v.clamp(100, 1).empty());
}

TEST_CASE("ByteRange arithmetic saturates") {
  ByteRange r{ByteRange::kMax - 5, 100};
  CHECK(r.end() == ByteRange::kMax);
  CHECK(r.clamped_to(1000).length == 0);
  ByteRange s{10, 20};
  CHECK(s.clamped_to(15) == ByteRange{10, 5});
  CHECK(s.overlaps(ByteRange{29, 1}));
  CHECK_FALSE(s.overlaps(ByteRange{30, 1}));
}

TEST_CASE("Result holds a value or a finding") {
  Result<int> a = 5;
  CHECK(a.ok());
  CHECK(*a == 5);
  Result<int> b = Finding{Code::evidence_empty, "x", {}};
  CHECK_FALSE(b.ok());
  CHECK(b.problem().code == Code::evidence_empty);
}

TEST_CASE("parse_time: ISO 8601 dates and times, epoch seconds") {
  CHECK(parse_time("1970-01-01") == 0);
  CHECK(parse_time("2024-01-01") == 1704067200);
  CHECK(parse_time("2024-01-01T00:00:00Z") == 1704067200);
  CHECK(parse_time("2024-01-01 10:30") == 1704067200 + 37800);
  CHECK(parse_time("2024-01-01T10:00:00+01:00") == 1704067200 + 32400);
  CHECK(parse_time("2024-01-01T10:00:00-05:30") == 1704067200 + 36000 + 19800);
  CHECK(parse_time("2024-01-01T00:00:00+23:59") == 1704067200 - 86340);
  CHECK(parse_time("2024-02-29") == 1709164800);  // a leap year
  CHECK(parse_time("2000-02-29") == 951782400);   // divisible by 400: leap
  CHECK(parse_time("2024-12-31T23:59:60Z") == 1735689600);  // a leap second
  CHECK(parse_time("1969-12-31T23:59:59Z") == -1);
  CHECK(parse_time("1700000000") == 1700000000);
  CHECK(parse_time("100000000") == 100000000);  // 9 digits: 1973-03-03
}

TEST_CASE("parse_time: impossible dates, times and zone offsets are refused") {
  for (const char* t :
       {"2024-02-30", "2023-02-29", "1900-02-29", "2024-04-31", "2024-06-31", "2024-09-31",
        "2024-11-31", "2024-01-32", "2024-00-10", "2024-13-01", "2024-01-00",
        "2024-01-01T24:00", "2024-01-01T10:60", "2024-01-01T10:00:61",
        "2024-01-01T00:00:00+25:00", "2024-01-01T00:00:00+24:00", "2024-01-01T00:00:00+00:99",
        "2024-01-01T00:00:00-00:60", "2024-01-01T10:00:00+0100", "2024-01-01T10",
        "2024/01/01", "yesterday", "", "1.5", "-5", "0x10", " 5", "@", "@x", "@-5"}) {
    CAPTURE(std::string(t));
    CHECK_FALSE(parse_time(t).has_value());
  }
}

TEST_CASE("parse_time: a bare number of 8 digits or fewer is ambiguous, @N is epoch seconds") {
  // "2024" is a year to a reader, "20240101" an ISO basic date; as epoch
  // seconds both lie in 1970 and --since would select everything.
  for (const char* t : {"2024", "0", "5", "20240101", "99999999"}) {
    CAPTURE(std::string(t));
    CHECK_FALSE(parse_time(t).has_value());
  }
  CHECK(parse_time("@2024") == 2024);
  CHECK(parse_time("@0") == 0);
  CHECK(parse_time("@1700000000") == 1700000000);
  CHECK_FALSE(parse_time("99999999999999999999").has_value());  // overflows
}

TEST_CASE("parse_time: says why a time is refused") {
  std::string why = "stale";
  CHECK_FALSE(parse_time("2024", &why).has_value());
  CHECK(why.find("ambiguous") != std::string::npos);
  CHECK(why.find("@2024") != std::string::npos);
  CHECK_FALSE(parse_time("2024-02-30", &why).has_value());
  CHECK(why == "no day 30 in 2024-02 (29 days)");
  CHECK_FALSE(parse_time("2023-02-29", &why).has_value());
  CHECK(why == "no day 29 in 2023-02 (28 days)");
  CHECK_FALSE(parse_time("2024-01-01T00:00:00+00:99", &why).has_value());
  CHECK(why.find("zone offset +00:99") != std::string::npos);
  CHECK_FALSE(parse_time("yesterday", &why).has_value());
  CHECK(why.empty());  // no recognisable form: nothing more to say
  CHECK(parse_time("2024-01-01", &why).has_value());
  CHECK(why.empty());
}
