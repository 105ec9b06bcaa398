// validate/ index_check: reading an index whose header is destroyed when its
// version has no record CRC (v3-v11). The layout is inferred from uid order,
// plausible fields and the sizes of the mailbox's message files; records so
// read are at best range-checked, and an unclear case reads nothing.
// Fixtures: tests/fixtures/versions (scripts/make-version-fixtures, written
// from the fact sheet independently of src/spool/index_layout.*). v11 has no
// fixture; it is built here from v10 by the fact sheet (§1.5: v10 + cache_crc
// at 88 + record CRC at 92 over bytes 0-91; header 96 bytes).
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "fs/filesystem.hpp"
#include "spool/discovery.hpp"
#include "spool/index_file.hpp"
#include "test_util.hpp"
#include "validate/index_check.hpp"
#include "validate/mailbox_check.hpp"

using namespace ss;
using namespace ss::validate;
namespace stdfs = std::filesystem;
namespace ix = ss::spool::index;

namespace {

const stdfs::path kVersions = stdfs::path(SS_SOURCE_FIXTURE_DIR) / "versions";

// Header sizes from the fact sheet §1.1 (not from the decoder's table).
std::size_t header_bytes(int minor) {
  switch (minor) {
    case 3:
      return 56;
    case 8:
      return 92;
    case 9:
    case 10:
    case 11:
      return 96;
    default:
      return 76;  // 4-7
  }
}

std::string slurp(const stdfs::path& p) {
  std::ifstream in(p, std::ios::binary);
  REQUIRE(in.good());
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void put32(std::string& s, std::size_t off, std::uint32_t v) {
  for (int i = 0; i < 4; ++i)
    s[off + static_cast<std::size_t>(i)] = static_cast<char>((v >> (24 - 8 * i)) & 0xFF);
}
std::uint32_t get32(const std::string& s, std::size_t off) {
  std::uint32_t v = 0;
  for (int i = 0; i < 4; ++i)
    v = (v << 8) | static_cast<std::uint8_t>(s[off + static_cast<std::size_t>(i)]);
  return v;
}

// One version's fixture mailbox, with its index header zeroed.
struct Damaged {
  int minor = 0;
  std::string index;                             // header zeroed
  std::map<std::uint32_t, std::uint64_t> sizes;  // uid -> size of "<uid>."
  std::vector<std::uint32_t> uids;               // expected, in record order
  std::vector<std::int64_t> internaldates;       // expected, in record order
  std::vector<std::uint32_t> flags;              // expected system_flags
};

// v11 from v10: each 88-byte record gets cache_crc (0: "not recorded") and
// its record CRC; the 96-byte header is the same size.
std::string v11_from_v10(const std::string& v10) {
  std::string out = v10.substr(0, 96);
  for (std::size_t off = 96; off + 88 <= v10.size(); off += 88) {
    std::string rec = v10.substr(off, 88) + std::string(8, '\0');
    put32(rec, 92, ix::crc32_of(bytes_of(rec).clamp(0, 92)));
    out += rec;
  }
  return out;
}

Damaged damaged(int minor) {
  const int src = minor == 11 ? 10 : minor;
  const stdfs::path dir = kVersions / ("v" + std::to_string(src));
  Damaged d;
  d.minor = minor;
  d.index = slurp(dir / "cyrus.index");
  REQUIRE(get32(d.index, 8) == static_cast<std::uint32_t>(src));
  if (minor == 11) d.index = v11_from_v10(d.index);
  std::fill_n(d.index.begin(), header_bytes(minor), '\0');
  auto exp = nlohmann::json::parse(slurp(dir / "expected.json"));
  for (const auto& f : exp["message_files"])
    d.sizes[f["uid"].get<std::uint32_t>()] = stdfs::file_size(dir / f["name"].get<std::string>());
  for (const auto& r : exp["records"]) {
    d.uids.push_back(r["uid"].get<std::uint32_t>());
    d.internaldates.push_back(r["internaldate"].get<std::int64_t>());
    d.flags.push_back(r["system_flags"].get<std::uint32_t>());
  }
  REQUIRE(d.uids.size() == 4);
  return d;
}

IndexCheck check(const std::string& index, std::map<std::uint32_t, std::uint64_t> sizes) {
  IndexContext ctx;
  ctx.place = "test cyrus.index";
  ctx.file_sizes = std::move(sizes);
  return check_index(bytes_of(index), ctx);
}

const Finding* find(const IndexCheck& c, Code code) {
  for (const auto& f : c.findings.items())
    if (f.code == code) return &f;
  return nullptr;
}

// The detail of the first finding with this code ("" when there is none).
std::string detail(const IndexCheck& c, Code code) {
  const Finding* f = find(c, code);
  return f ? f->detail : std::string();
}

// Nothing was read and nothing is trusted.
void require_not_inferred(const IndexCheck& c) {
  CHECK(c.layout_source == LayoutSource::none);
  CHECK_FALSE(c.contents.has_value());
  CHECK(c.records.empty());
  CHECK(find(c, Code::index_layout_not_inferred) != nullptr);
  CHECK(find(c, Code::index_layout_inferred_from_files) == nullptr);
  CHECK(find(c, Code::index_layout_inferred) == nullptr);
}

}  // namespace

TEST_CASE("infer: a zeroed header of v6, v8, v10, v11 is read by uid order and file sizes") {
  for (int minor : {6, 8, 10, 11}) {
    CAPTURE(minor);
    auto d = damaged(minor);
    auto c = check(d.index, d.sizes);
    REQUIRE(c.layout_source == LayoutSource::file_sizes);
    REQUIRE(c.contents.has_value());
    CHECK(c.contents->header.minor == static_cast<std::uint32_t>(minor));
    CHECK(c.contents->record_size == (minor == 6    ? 60u
                                      : minor == 8  ? 80u
                                      : minor == 10 ? 88u
                                                    : 96u));
    CHECK(c.contents->start_offset == header_bytes(minor));
    CHECK(c.header_integrity == Integrity::damaged);
    // The finding says the layout was inferred, and from what.
    const Finding* f = find(c, Code::index_layout_inferred_from_files);
    REQUIRE(f != nullptr);
    CHECK(f->detail.find(fmt::format("minor version {} (", minor)) ==
          f->detail.find("minor version"));
    CHECK(f->detail.find("4 of 4 records match the size of their message file") !=
          std::string::npos);
    CHECK(f->detail.find("4 message files") != std::string::npos);
    CHECK(find(c, Code::index_unknown_version) != nullptr);
    CHECK(find(c, Code::index_layout_not_inferred) == nullptr);
    // Every record, with its uid, internal date and flags; none better than range-checked.
    REQUIRE(c.records.size() == d.uids.size());
    for (std::size_t i = 0; i < c.records.size(); ++i) {
      CAPTURE(i);
      const auto& v = c.records[i];
      CHECK(v.record.uid() == d.uids[i]);
      CHECK(v.record.values.get(ix::RecordField::internaldate) ==
            static_cast<std::uint64_t>(d.internaldates[i]));
      CHECK(v.record.values.get(ix::RecordField::system_flags) == d.flags[i]);
      CHECK(v.record.values.get(ix::RecordField::size) == d.sizes.at(d.uids[i]));
      CHECK(v.integrity == Integrity::range_only);
      if (minor == 11) CHECK(v.record.crc_ok());  // the v11 CRC holds, yet: range-checked
    }
    if (minor == 11) CHECK(f->detail.find("4 pass the record CRC") != std::string::npos);
    // Only the inference findings: the records themselves are clean.
    for (const auto& x : c.findings.items())
      if (x.severity() >= Severity::warning)
        CHECK_MESSAGE((x.code == Code::index_unknown_version ||
                       x.code == Code::index_layout_inferred_from_files),
                      x.describe());
  }
}

TEST_CASE("infer: without message files the layout is not inferred and nothing is read") {
  for (int minor : {6, 8, 10, 11}) {
    CAPTURE(minor);
    auto d = damaged(minor);
    auto c = check(d.index, {});
    require_not_inferred(c);
    CHECK(detail(c, Code::index_layout_not_inferred).find("no message file") != std::string::npos);
  }
}

TEST_CASE("infer: files whose sizes do not match the records prove no layout") {
  auto d = damaged(10);
  auto sizes = d.sizes;
  for (auto& [uid, size] : sizes) size += 1;
  require_not_inferred(check(d.index, sizes));
}

TEST_CASE("infer: the best layout must match most of its records") {
  // Two of four records match their files: the best candidate (v6), but not
  // clearly enough to trust the rest.
  auto d = damaged(6);
  auto sizes = d.sizes;
  sizes[d.uids[2]] += 1;
  sizes[d.uids[3]] += 1;
  auto c = check(d.index, sizes);
  require_not_inferred(c);
  REQUIRE_FALSE(c.layout_evidence.empty());
  CHECK(c.layout_evidence[0].minor == 6);
  CHECK(c.layout_evidence[0].matched == 2);
  // Three of four: accepted.
  sizes[d.uids[2]] -= 1;
  auto c3 = check(d.index, sizes);
  CHECK(c3.layout_source == LayoutSource::file_sizes);
  CHECK(c3.records.size() == 4);
}

TEST_CASE("infer: candidates that fit equally well are ambiguous") {
  // One v6 record plus two stray bytes: read as v4, v5 or v6 the record's
  // uid and size match file 1. and no layout holds a whole number of records.
  auto d = damaged(6);
  std::string one = d.index.substr(0, 76 + 60) + std::string(2, '\x01');
  auto c = check(one, d.sizes);
  require_not_inferred(c);
  CHECK(detail(c, Code::index_layout_not_inferred).find("equally well") != std::string::npos);
  // Without the stray bytes only v6 holds a whole record: inferred.
  auto c1 = check(d.index.substr(0, 76 + 60), d.sizes);
  CHECK(c1.layout_source == LayoutSource::file_sizes);
  REQUIRE(c1.contents.has_value());
  CHECK(c1.contents->header.minor == 6);
  REQUIRE(c1.records.size() == 1);
  CHECK(c1.records[0].record.uid() == d.uids[0]);
}

TEST_CASE("infer: an implausible internal date makes that record damaged, not the layout") {
  auto d = damaged(8);
  // Record 3's internaldate (offset 4) set to 1970-01-01T00:00:05.
  put32(d.index, 92 + 2 * 80 + 4, 5);
  auto c = check(d.index, d.sizes);
  REQUIRE(c.layout_source == LayoutSource::file_sizes);
  REQUIRE(c.records.size() == 4);
  CHECK(detail(c, Code::index_layout_inferred_from_files).find("3 of 4 records match") !=
        std::string::npos);
  CHECK(c.records[2].integrity == Integrity::damaged);
  CHECK(c.records[0].integrity == Integrity::range_only);
  CHECK(c.records[3].integrity == Integrity::range_only);
  CHECK(find(c, Code::record_time) != nullptr);
}

TEST_CASE("infer: an intact header or record CRCs still decide first") {
  // Intact v10 header: no inference at all.
  auto v10 = slurp(kVersions / "v10" / "cyrus.index");
  auto d = damaged(10);
  auto intact = check(v10, d.sizes);
  CHECK(intact.layout_source == LayoutSource::header);
  CHECK(intact.layout_evidence.empty());
  CHECK(find(intact, Code::index_layout_inferred_from_files) == nullptr);
  // A zeroed v13 header: the record CRCs name the layout (crc-ok records).
  auto v13 = slurp(kVersions / "v13" / "cyrus.index");
  std::fill_n(v13.begin(), 128, '\0');
  auto c = check(v13, {});
  CHECK(c.layout_source == LayoutSource::record_crcs);
  REQUIRE_FALSE(c.records.empty());
  CHECK(c.records[0].integrity == Integrity::crc_ok);
}

TEST_CASE("infer: check_mailbox gives the file sizes; v10/v11 verified by GUID, v6 unverified") {
  ss::test::TempDir t("ss-infer");
  for (int minor : {6, 10, 11}) {
    CAPTURE(minor);
    const int src = minor == 11 ? 10 : minor;
    const std::string name = "v" + std::to_string(minor);
    stdfs::copy(kVersions / ("v" + std::to_string(src)), t.path / name);
    auto d = damaged(minor);
    std::ofstream(t.path / name / "cyrus.index", std::ios::binary | std::ios::trunc)
        .write(d.index.data(), static_cast<std::streamsize>(d.index.size()));
  }
  auto tree = fs::open_tree(t.path.string());
  REQUIRE(tree.ok());
  for (int minor : {6, 10, 11}) {
    CAPTURE(minor);
    spool::Mailbox m;
    m.name = m.display_name = m.dir = "v" + std::to_string(minor);
    auto mc = check_mailbox(**tree, m);
    CHECK(mc.index.layout_source == LayoutSource::file_sizes);
    REQUIRE(mc.messages.size() == 4);
    for (const auto& mv : mc.messages) {
      CAPTURE(mv.uid);
      CHECK(mv.recno.has_value());
      if (minor >= 10) {
        CHECK(mv.state == MessageState::verified);
      } else {
        CHECK(mv.state == MessageState::unverified);
        CHECK(mv.reason_code == Code::index_no_guid);
      }
    }
  }
}
