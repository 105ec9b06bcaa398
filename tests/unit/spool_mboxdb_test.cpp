// mailboxes.db readers (src/spool/{mailboxes_db,cyrusdb_twoskip,cyrusdb_skiplist}),
// on files built from the format notes (formats/mailboxes-db.md).
#include <doctest/doctest.h>

#include "test_util.hpp"
#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "spool/mailboxes_db.hpp"

using namespace ss;
using namespace ss::spool;

namespace {

void put8(std::string& s, std::uint8_t v) {
  s += static_cast<char>(v);
}
void put16(std::string& s, std::uint16_t v) {
  for (int i = 1; i >= 0; --i) s += static_cast<char>((v >> (8 * i)) & 0xFF);
}
void put32(std::string& s, std::uint32_t v) {
  for (int i = 3; i >= 0; --i) s += static_cast<char>((v >> (8 * i)) & 0xFF);
}
void put64(std::string& s, std::uint64_t v) {
  for (int i = 7; i >= 0; --i) s += static_cast<char>((v >> (8 * i)) & 0xFF);
}
std::uint32_t crc(std::string_view s) {
  return static_cast<std::uint32_t>(
      crc32(0L, reinterpret_cast<const Bytef*>(s.data()), static_cast<uInt>(s.size())));
}
void set64(std::string& s, std::size_t at, std::uint64_t v) {
  std::string b;
  put64(b, v);
  s.replace(at, 8, b);
}

// A twoskip file builder: records are appended; pointers can be patched
// afterwards and head CRCs recomputed (as Cyrus rewrites heads in place).
struct Twoskip {
  std::string file;
  struct Rec {
    std::size_t off, ptr_off, head_len;
    unsigned nptrs;
  };
  std::map<std::size_t, Rec> recs;

  Twoskip() {
    file.append("\xA1\x02\x8B\x0Dtwoskip file\0\0\0\0", 20);
    put32(file, 1);
    put64(file, 1);  // generation
    put64(file, 0);  // num_records
    put64(file, 0);  // repack_size
    put64(file, 0);  // current_size (fixed in finish)
    put32(file, 0);  // flags
    put32(file, 0);  // crc
    add('=', 31, "", "");
  }
  std::size_t add(char type, unsigned level, std::string_view key, std::string_view val) {
    std::size_t off = file.size();
    std::string r;
    put8(r, static_cast<std::uint8_t>(type));
    put8(r, static_cast<std::uint8_t>(level));
    put16(r, static_cast<std::uint16_t>(key.size()));
    put32(r, static_cast<std::uint32_t>(val.size()));
    std::size_t ptr_off = off + r.size();
    for (unsigned i = 0; i <= level; ++i) put64(r, 0);
    std::size_t head_len = r.size();
    put32(r, crc(r));
    std::string body = std::string(key) + std::string(val);
    while (body.size() % 8) body += '\0';
    put32(r, crc(body));
    r += body;
    file += r;
    recs[off] = {off, ptr_off, head_len, level + 1};
    return off;
  }
  void ptr(std::size_t rec, unsigned i, std::uint64_t to) {
    set64(file, recs[rec].ptr_off + 8 * i, to);
    rehead(rec);
  }
  void rehead(std::size_t rec) {
    const Rec& r = recs[rec];
    std::string c;
    put32(c, crc(std::string_view(file).substr(r.off, r.head_len)));
    file.replace(r.off + r.head_len, 4, c);
  }
  void blank() { file.append(" BLANK\x07\xa0", 8); }
  std::string finish() {
    set64(file, 48, file.size());
    std::string c;
    put32(c, crc(std::string_view(file).substr(0, 60)));
    file.replace(60, 4, c);
    return file;
  }
};

// Builds a db with the given sorted keys, chained in order, then a commit.
std::vector<std::size_t> chain(Twoskip& t,
                               const std::vector<std::pair<std::string, std::string>>& kv) {
  std::vector<std::size_t> offs;
  for (const auto& [k, v] : kv) offs.push_back(t.add('+', 1, k, v));
  std::size_t prev = 64;
  for (auto o : offs) {
    t.ptr(prev, 0, o);
    prev = o;
  }
  t.add('$', 0, "", "");
  return offs;
}

const std::vector<std::pair<std::string, std::string>> kV36 = {
    {"Ishared1", "%(N shared T e P default)"},
    {"Iuid-fred",
     "%(N user\x1F"
     "fred T e P default)"},
    {"Nshared", "%(I shared1 P default V 1 T e M 1)"},
    {"Nuser\x1F"
     "fred",
     "%(I uid-fred P default V 1 T e M 1 A %(fred lrswipkxtecdan))"},
    {"Nuser\x1F"
     "fred\x1F"
     "Entw&APw-rfe",
     "%(I uid-draft P default T e M 1)"},
    {"Nuser\x1F"
     "fred\x1FTrash",
     "%(I uid-trash T ed M 1)"},
    {"$RACL", "junk"},
};

}  // namespace

TEST_CASE("twoskip: 3.6 keys, chain walk") {
  Twoskip t;
  auto sorted = kV36;
  std::sort(sorted.begin(), sorted.end());
  chain(t, sorted);
  auto file = t.finish();
  auto db = read_mailboxes_db(bytes_of(file), "db");
  CHECK(db.backend == DbBackend::twoskip);
  CHECK(db.findings.empty());
  CHECK_FALSE(db.replayed);
  REQUIRE(db.entries.size() == 4);
  CHECK(db.entries[0].name == "shared");
  CHECK(db.entries[1].name == "user.fred");
  CHECK(db.entries[1].uniqueid == "uid-fred");
  CHECK(db.entries[1].partition == "default");
  CHECK(db.entries[1].type == "e");
  CHECK(db.entries[2].name == "user.fred.Entw&APw-rfe");
  CHECK(db.entries[3].type == "ed");
  CHECK(db.find_by_uniqueid("uid-draft")->name == "user.fred.Entw&APw-rfe");
  CHECK(db.find_by_name("shared")->uniqueid == "shared1");
  CHECK(db.find_by_name("nope") == nullptr);
  CHECK(db.skipped_keys == 3);
}

TEST_CASE("twoskip: replaced value, DELETE in the chain, blanks, uncommitted tail") {
  Twoskip t;
  auto offs =
      chain(t, {{"a.one", "0 default x"}, {"b.two", "0 default x"}, {"c.three", "0 default x"}});
  t.blank();
  // Replace b.two: a new record, stitched in place of the old one.
  auto b2 = t.add('+', 1, "b.two", "0 other x");
  t.ptr(b2, 0, offs[2]);
  t.ptr(offs[0], 1, b2);
  t.add('$', 0, "", "");
  // Delete c.three: a DELETE record pointing to its successor (end = 0).
  auto del = t.add('-', 0, "", "");
  t.ptr(del, 0, 0);
  t.ptr(b2, 1, del);
  t.add('$', 0, "", "");
  auto file = t.finish();
  // Uncommitted record after current_size: ignored.
  Twoskip u = t;
  auto lost = u.add('+', 1, "d.four", "0 default x");
  (void)lost;

  for (bool replay : {false, true}) {
    std::string f = file;
    if (replay) f[64 + 20] ^= 1;  // damage the DUMMY: the chain cannot start
    auto db = read_mailboxes_db(bytes_of(f), "db");
    CAPTURE(replay);
    CHECK(db.replayed == replay);
    REQUIRE(db.entries.size() == 2);
    CHECK(db.entries[0].name == "a.one");
    CHECK(db.entries[1].name == "b.two");
    CHECK(db.entries[1].partition == "other");
    CHECK(db.findings.has(Code::spool_mailboxes_db_damaged) == replay);
  }
}

TEST_CASE("twoskip: bad header CRC, corrupt records, truncation never crash") {
  Twoskip t;
  chain(t, {{"user.a", "%(I 1 P default T e)"}, {"user.b", "%(I 2 P default T e)"}});
  auto file = t.finish();
  std::string badhdr = file;
  badhdr[30] ^= 0x40;
  auto db = read_mailboxes_db(bytes_of(badhdr), "db");
  CHECK(db.findings.has(Code::spool_mailboxes_db_damaged));
  CHECK(db.replayed);
  CHECK(db.entries.size() == 2);

  for (std::size_t n = 0; n <= file.size(); ++n) {
    auto d = read_mailboxes_db(bytes_of(std::string_view(file).substr(0, n)), "db");
    CHECK(d.entries.size() <= 2);
  }
  for (std::size_t i = 0; i < file.size(); i += 3) {
    std::string f = file;
    f[i] = static_cast<char>(f[i] ^ 0x5A);
    auto d = read_mailboxes_db(bytes_of(f), "db");
    CHECK(d.entries.size() <= 3);
  }
  // Huge extended lengths.
  std::string huge = file;
  huge[64 + 272 + 2] = '\xff';
  huge[64 + 272 + 3] = '\xff';
  (void)read_mailboxes_db(bytes_of(huge), "db");
}

TEST_CASE("skiplist: checkpoint, log, delete, uncommitted") {
  ss::test::SkiplistWriter w;
  w.record(257, "", "", 20);
  w.record(1, "user.fred", "0 default fred\tlrswipkxtecda\t", 1);
  auto tom = w.record(1, "user.tom", "0 default tom\tlrs\t", 2);
  w.mark_logstart();
  w.record(2, "user.zed", "(uniqueid abc specialuse x) 1 srv!part acl", 1);
  w.raw32(4);
  w.raw32(static_cast<std::uint32_t>(tom));
  w.raw32(255);
  w.record(2, "user.uncommitted", "0 default x", 1);
  const std::string& f = w.bytes();
  auto db = read_mailboxes_db(bytes_of(f), "db");
  CHECK(db.backend == DbBackend::skiplist);
  CHECK(db.findings.empty());
  REQUIRE(db.entries.size() == 2);
  CHECK(db.entries[0].name == "user.fred");
  CHECK(db.entries[0].partition == "default");
  CHECK(db.entries[1].name == "user.zed");
  CHECK(db.entries[1].uniqueid == "abc");
  CHECK(db.entries[1].server == "srv");
  CHECK(db.entries[1].partition == "part");
  CHECK(db.entries[1].type == "r");
  for (std::size_t n = 0; n <= f.size(); ++n)
    (void)read_mailboxes_db(bytes_of(std::string_view(f).substr(0, n)), "db");
  std::string bad = f;
  bad[48 + 4 * 2 + 80 + 4] = '\x7f';
  (void)read_mailboxes_db(bytes_of(bad), "db");
}

TEST_CASE("flat: 2.x text and 2.5 dlist values, escapes, $ keys") {
  std::string f =
      "$RACL$U$fred\tx\n"
      "DELETED.user.fred.Trash.5F3A2B1C\t16 default fred\tlrs\t\n"
      "user.fred\t%(A %(fred lrswipkxtecda) I 6b5c P default V 1 M 1)\n"
      "user.fred.a\xff\x89"
      "b\t0 default x\n"
      "no tab here\n"
      "user.bad\tnot a number\n";
  auto db = read_mailboxes_db(bytes_of(f), "db");
  CHECK(db.backend == DbBackend::flat);
  REQUIRE(db.entries.size() == 4);
  CHECK(db.entries[0].name == "DELETED.user.fred.Trash.5F3A2B1C");
  CHECK(db.entries[0].type == "d");
  CHECK(db.entries[1].name == "user.bad");
  CHECK(db.entries[2].name == "user.fred");
  CHECK(db.entries[2].uniqueid == "6b5c");
  CHECK(db.entries[3].name == "user.fred.a\tb");
  CHECK(db.findings.has(Code::spool_mailboxes_db_damaged));
  CHECK(db.skipped_keys == 1);
}

TEST_CASE("unsupported and unknown backends") {
  auto twom = read_mailboxes_db(
      bytes_of(std::string_view("\xA1\x02\x8B\x0Dtwomfile\0\0\0\0xxxx", 20)), "db");
  CHECK(twom.backend == DbBackend::twom);
  CHECK(twom.findings.has(Code::spool_mailboxes_db_unsupported));
  auto junk = read_mailboxes_db(bytes_of(std::string_view("\0\1\2\3", 4)), "db");
  CHECK(junk.backend == DbBackend::unknown);
  CHECK(junk.findings.has(Code::spool_mailboxes_db_unsupported));
  CHECK(read_mailboxes_db(ByteView(), "db").backend == DbBackend::unknown);
}
