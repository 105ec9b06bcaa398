#include <doctest/doctest.h>

#include <set>
#include <string>

#include "core/byte_range.hpp"
#include "core/bytes.hpp"
#include "core/problem.hpp"
#include "core/result.hpp"

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
