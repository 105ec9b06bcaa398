// Seen databases (src/spool/seen_db): uid sets (bounded, hostile input),
// seen values, the three backends, the paths of a user's seen db, and the
// admin's real seen db in the Cyrus 3.6 fixtures checked against the truth
// JSON (\Seen of shared.announce as read by user cyrus).
#include <doctest/doctest.h>

#include "test_util.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "fs/filesystem.hpp"
#include "spool/layout.hpp"
#include "spool/seen_db.hpp"

using namespace ss;
using namespace ss::spool;
namespace stdfs = std::filesystem;

namespace {

std::vector<std::string> paths_of(const std::vector<SeenDbPath>& v) {
  std::vector<std::string> out;
  for (const auto& p : v) out.push_back(p.path);
  return out;
}

}  // namespace

TEST_CASE("uid set: sequence-set text") {
  auto p = parse_uid_set("1:5,7,9:12");
  CHECK(p.items == 3);
  CHECK(p.bad_items == 0);
  CHECK(p.cyrus_valid);
  CHECK(p.set.to_string() == "1:5,7,9:12");
  CHECK(p.set.count() == 10);
  for (std::uint32_t u : {1u, 3u, 5u, 7u, 9u, 12u}) CHECK(p.set.contains(u));
  for (std::uint32_t u : {0u, 6u, 8u, 13u, 4294967295u}) CHECK_FALSE(p.set.contains(u));

  // Unsorted, overlapping, adjacent and reversed items are merged.
  auto q = parse_uid_set("20:15,5,1:3,4,2,10:14,30");
  CHECK(q.set.to_string() == "1:5,10:20,30");
  CHECK(q.cyrus_valid);

  CHECK(parse_uid_set("").set.empty());
  CHECK(parse_uid_set("").items == 0);
  CHECK(parse_uid_set("").cyrus_valid);
  CHECK(parse_uid_set("7").set.to_string() == "7");
}

TEST_CASE("uid set: hostile ranges are stored, not expanded") {
  auto p = parse_uid_set("1:4294967295");
  REQUIRE(p.set.ranges().size() == 1);
  CHECK(p.set.count() == 4294967295ull);
  CHECK(p.set.contains(1));
  CHECK(p.set.contains(4294967295u));
  CHECK_FALSE(p.set.contains(0));

  // Many huge overlapping ranges stay one range.
  std::string many;
  for (int i = 0; i < 10000; ++i) many += "1:4294967295,";
  many += "4294967295:2";
  auto m = parse_uid_set(many);
  CHECK(m.set.ranges().size() == 1);
  CHECK(m.bad_items == 0);

  // Above 2^32-1, or not a number: the item is skipped, the rest kept.
  auto b = parse_uid_set("1:4294967296,5,99999999999999999999999,x,7:y,,9");
  CHECK(b.items == 7);
  CHECK(b.bad_items == 5);
  CHECK_FALSE(b.cyrus_valid);
  CHECK(b.set.to_string() == "5,9");

  // Uid 0 is no uid.
  CHECK(parse_uid_set("0").set.empty());
  CHECK(parse_uid_set("0").bad_items == 1);
  auto z = parse_uid_set("0:3");
  CHECK(z.set.to_string() == "1:3");
  CHECK_FALSE(z.cyrus_valid);

  // '*' is the caller's value (Cyrus: the mailbox's lastuid).
  auto s = parse_uid_set("5:*", 9);
  CHECK(s.star);
  CHECK(s.set.to_string() == "5:9");
  CHECK(s.cyrus_valid);

  // Blanks are tolerated but Cyrus would not accept them.
  auto w = parse_uid_set(" 1 : 3 , 5 ");
  CHECK(w.set.to_string() == "1:3,5");
  CHECK_FALSE(w.cyrus_valid);
}

TEST_CASE("uid set: a long hostile set is bounded and fast") {
  // Descending singles (worst order for insertion) past the range limit.
  const std::size_t n = kMaxSeenRanges + 1000;
  std::string text;
  text.reserve(n * 9);
  for (std::size_t i = n; i > 0; --i) {
    text += std::to_string(2 * i);  // even uids: no two adjacent
    text += ',';
  }
  text.pop_back();
  auto t0 = std::chrono::steady_clock::now();
  auto p = parse_uid_set(text);
  auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  CHECK(secs < 20.0);
  CHECK(p.truncated);
  CHECK(p.set.ranges().size() == kMaxSeenRanges);
  CHECK(p.set.contains(2));
  CHECK_FALSE(p.set.contains(3));
}

TEST_CASE("uid set: add merges in any order") {
  UidSet s;
  CHECK(s.add(10, 12));
  CHECK(s.add(1, 2));
  CHECK(s.add(5, 5));
  CHECK(s.to_string() == "1:2,5,10:12");
  CHECK(s.add(3, 4));  // joins 1:2 and 5
  CHECK(s.to_string() == "1:5,10:12");
  CHECK(s.add(13, 9));  // reversed, joins and extends
  CHECK(s.to_string() == "1:5,9:13");
  CHECK(s.add(0, 0));
  CHECK(s.add(4294967295u, 6));
  CHECK(s.to_string() == "1:4294967295");
}

TEST_CASE("seen value: as Cyrus writes it") {
  auto st = parse_seen_value("1 1700000000 12 1700000100 1:5,7,9:12");
  CHECK(st.well_formed());
  CHECK(st.version == 1);
  CHECK(st.lastread == 1700000000);
  CHECK(st.lastuid == 12);
  CHECK(st.lastchange == 1700000100);
  CHECK(st.seen.to_string() == "1:5,7,9:12");
  CHECK(st.is_seen(7));
  CHECK_FALSE(st.is_seen(8));
  CHECK(st.cyrus_valid);

  // An empty set: Cyrus leaves the blank after lastchange.
  auto e = parse_seen_value("1 0 0 1795638151 ");
  CHECK(e.well_formed());
  CHECK(e.seen.empty());
  CHECK(e.lastchange == 1795638151);
  CHECK(parse_seen_value("1 0 0 5").well_formed());

  // '*' is the entry's lastuid.
  CHECK(parse_seen_value("1 0 8 0 3:*").seen.to_string() == "3:8");
}

TEST_CASE("seen value: garbage keeps what parses") {
  auto g = parse_seen_value("garbage");
  CHECK_FALSE(g.well_formed());
  CHECK(g.seen.empty());
  CHECK(g.version == 0);
  CHECK_FALSE(g.cyrus_valid);

  auto v2 = parse_seen_value("2 10 3 20 1:3");
  CHECK_FALSE(v2.well_formed());
  CHECK(v2.issue.find("version 2") != std::string::npos);
  CHECK(v2.seen.to_string() == "1:3");

  auto short_ = parse_seen_value("1 10 x 20 1:3");
  CHECK_FALSE(short_.well_formed());
  CHECK(short_.lastread == 10);
  CHECK(short_.seen.empty());  // the set's position is unknown

  auto big = parse_seen_value("1 0 99999999999 0 1:3");
  CHECK_FALSE(big.well_formed());
  CHECK(big.lastuid == 0);

  auto badset = parse_seen_value("1 0 3 0 1:3,zz");
  CHECK_FALSE(badset.well_formed());
  CHECK(badset.bad_items == 1);
  CHECK_FALSE(badset.cyrus_valid);
  CHECK(badset.seen.to_string() == "1:3");

  auto hostile = parse_seen_value("1 0 0 0 1:4294967295");
  CHECK(hostile.well_formed());
  CHECK(hostile.seen.count() == 4294967295ull);

  CHECK_FALSE(parse_seen_value("").well_formed());
  CHECK_FALSE(parse_seen_value(std::string("1\0 0 0 0 1", 10)).well_formed());
  CHECK_FALSE(parse_seen_value("1 99999999999999999999999999 0 0 1").well_formed());
  CHECK_FALSE(parse_seen_value("-1 0 0 0 1").well_formed());
}

TEST_CASE("seen db: flat, skiplist, unknown") {
  std::string flat =
      "aaa111\t1 100 3 200 1:3\n"
      "bbb222\t1 100 5 200 garbage\n"
      "ccc333\t1 100 9 200 2,4:9\n";
  auto db = parse_seen_db(bytes_of(flat), "flat.seen");
  CHECK(db.backend == DbBackend::flat);
  REQUIRE(db.entries.size() == 3);
  CHECK(db.findings.has(Code::spool_seen_value_invalid));
  CHECK(db.findings.items().size() == 1);
  auto a = db.for_mailbox("aaa111");
  REQUIRE(a);
  CHECK(a->seen.to_string() == "1:3");
  auto b = db.for_mailbox("bbb222");
  REQUIRE(b);
  CHECK(b->seen.empty());
  CHECK(db.for_mailbox("ccc333")->is_seen(5));
  CHECK_FALSE(db.for_mailbox("zzz"));
  CHECK_FALSE(db.for_mailbox(""));

  // skiplist: one checkpointed record, one logged ADD, then an uncommitted ADD.
  ss::test::SkiplistWriter w;
  w.record(257, "", "", 20);
  w.record(1, "4f3a2b1c00000001", "1 1300000000 4 1300000000 1:2,4", 1);
  w.mark_logstart();
  w.record(2, "4f3a2b1c00000002", "1 1300000001 7 1300000001 1:7", 1);
  w.raw32(255);
  w.record(2, "4f3a2b1c00000003", "1 1300000002 1 1300000002 1", 1);
  const std::string& f = w.bytes();
  auto sl = parse_seen_db(bytes_of(f), "user/f/fred.seen");
  CHECK(sl.backend == DbBackend::skiplist);
  CHECK(sl.findings.empty());
  REQUIRE(sl.entries.size() == 2);
  CHECK(sl.for_mailbox("4f3a2b1c00000001")->seen.to_string() == "1:2,4");
  CHECK(sl.for_mailbox("4f3a2b1c00000002")->lastuid == 7);
  CHECK_FALSE(sl.for_mailbox("4f3a2b1c00000003"));
  // Every truncation reads without crashing; damage is called seen-db damage.
  for (std::size_t n = 0; n <= f.size(); ++n) {
    auto t = parse_seen_db(bytes_of(std::string_view(f).substr(0, n)), "x");
    CHECK_FALSE(t.findings.has(Code::spool_mailboxes_db_damaged));
  }

  auto unknown = parse_seen_db(bytes_of(std::string("\0\0\0\0", 4)), "x");
  CHECK(unknown.backend == DbBackend::unknown);
  CHECK(unknown.findings.has(Code::spool_seen_db_unreadable));
  auto empty = parse_seen_db(ByteView(), "x");
  CHECK(empty.entries.empty());
  CHECK(empty.findings.has(Code::spool_seen_db_unreadable));

  // Many invalid values: findings are capped.
  std::string many;
  for (int i = 0; i < 500; ++i) many += "k" + std::to_string(i) + "\tjunk\n";
  auto m = parse_seen_db(bytes_of(many), "x");
  CHECK(m.entries.size() == 500);
  CHECK(m.findings.items().size() <= 101);
}

TEST_CASE("seen db paths: legacy, fulldirhash, virtdomains, uuid") {
  SeenDbQuery q;
  q.userid = "fred";
  q.fulldirhash = false;
  CHECK(paths_of(seen_db_paths("/var/lib/cyrus/", q)) ==
        std::vector<std::string>{"var/lib/cyrus/user/f/fred.seen"});
  q.fulldirhash = true;
  auto full = seen_db_paths("var/lib/cyrus", q);
  REQUIRE(full.size() == 1);
  CHECK(full[0].layout == "legacy-fulldirhash");
  CHECK(full[0].path ==
        std::string("var/lib/cyrus/user/") + dir_hash_c("fred", true) + "/fred.seen");

  q.fulldirhash.reset();
  q.userid = "Fred@example.com";
  q.inbox_uniqueid = "fm0qxz9qqdoy5d1z8w7wfrzw";
  auto all = seen_db_paths("cfg", q);
  REQUIRE(all.size() == 3);
  CHECK(all[0].path == "cfg/user/uuid/f/m/fm0qxz9qqdoy5d1z8w7wfrzw/seen.db");
  CHECK(all[0].layout == "uuid");
  CHECK(all[1].path == "cfg/domain/e/example.com/user/f/Fred.seen");
  CHECK(all[2].path == std::string("cfg/domain/") + dir_hash_c("example.com", true) +
                           "/example.com/user/" + dir_hash_c("Fred", true) + "/Fred.seen");

  // A dot in the userid: both spellings; '9' hashes to q.
  SeenDbQuery d;
  d.userid = "9fred.smith";
  d.fulldirhash = false;
  CHECK(paths_of(seen_db_paths("c", d)) ==
        std::vector<std::string>{"c/user/q/9fred.smith.seen", "c/user/q/9fred^smith.seen"});

  // Nothing that could leave the config directory.
  for (const char* bad : {"", "../x", "a/b", "..", "x@..", "x@a/b"}) {
    SeenDbQuery h;
    h.userid = bad;
    CAPTURE(bad);
    for (const auto& p : seen_db_paths("c", h)) CHECK(p.path.find("..") == std::string::npos);
    if (std::string_view(bad).find('/') != std::string_view::npos || std::string_view(bad).empty())
      CHECK(seen_db_paths("c", h).empty());
  }
  SeenDbQuery u;
  u.userid = "x";
  u.inbox_uniqueid = "../../etc";
  u.fulldirhash = false;
  CHECK(paths_of(seen_db_paths("c", u)) == std::vector<std::string>{"c/user/x/x.seen"});
}

namespace {

// The admin's seen db of one fixture image against its truth.
void check_fixture(const std::string& image, const std::string& truth_name,
                   const std::string& want_path, const std::string& want_layout) {
  const stdfs::path img = stdfs::path(SS_FIXTURE_DIR) / image;
  const stdfs::path truth_path = stdfs::path(SS_SOURCE_FIXTURE_DIR) / truth_name;
  REQUIRE(stdfs::exists(img));
  REQUIRE(stdfs::exists(truth_path));
  auto truth = nlohmann::json::parse(std::ifstream(truth_path));
  const std::string configdir = truth["config"]["configdirectory"];

  auto fsr = fs::open_evidence(img.string());
  REQUIRE(fsr.ok());
  auto& fs = **fsr;

  Findings findings;
  auto found = find_seen_db(fs, configdir, "cyrus", findings);
  CHECK(findings.empty());
  REQUIRE(found.size() == 1);
  CHECK(found[0].path == want_path);
  CHECK(found[0].layout == want_layout);
  // Told the hash scheme, only the right candidate is tried.
  SeenDbQuery q;
  q.userid = "cyrus";
  q.fulldirhash = truth["config"]["fulldirhash"].get<bool>();
  CHECK(paths_of(seen_db_paths(configdir, q)) == std::vector<std::string>{want_path});

  auto db = read_seen_db(fs, found[0].path);
  REQUIRE(db.ok());
  CHECK(db->backend == DbBackend::twoskip);
  CHECK(db->findings.empty());
  CHECK_FALSE(db->replayed);

  std::set<std::string> uniqueids;
  for (const auto& m : truth["mailboxes"]) uniqueids.insert(m["uniqueid"].get<std::string>());
  for (const auto& e : db->entries) {
    CAPTURE(e.uniqueid);
    CHECK(uniqueids.contains(e.uniqueid));
    CHECK(e.state.well_formed());
  }

  int checked = 0;
  for (const auto& m : truth["mailboxes"]) {
    if (m.value("flags_read_as", "") != "cyrus" || m["messages"].empty()) continue;
    const std::string name = m["name"];
    CAPTURE(name);
    auto st = db->for_mailbox(m["uniqueid"].get<std::string>());
    REQUIRE(st);
    CHECK(st->version == 1);
    CHECK(st->lastread > 0);
    CHECK(st->lastchange > 0);
    std::uint32_t max_uid = 0;
    for (const auto& msg : m["messages"]) {
      auto uid = msg["uid"].get<std::uint32_t>();
      max_uid = std::max(max_uid, uid);
      bool want = false;
      for (const auto& fl : msg["flags"]) want = want || fl.get<std::string>() == "\\Seen";
      CAPTURE(uid);
      CHECK(st->is_seen(uid) == want);
      ++checked;
    }
    CHECK(st->lastuid == max_uid);
  }
  CHECK(checked == 3);  // shared.announce uids 1..3

  // Owners have no seen db here (their \Seen is in cyrus.index).
  Findings none;
  std::string fred_inbox;
  for (const auto& m : truth["mailboxes"])
    if (m["name"] == "user.fred") fred_inbox = m["uniqueid"];
  CHECK(find_seen_db(fs, configdir, "fred", none, fred_inbox).empty());
  CHECK(none.has(Code::spool_seen_db_absent));
  CHECK_FALSE(read_seen_db(fs, configdir + "/user/f/fred.seen").ok());
  auto dir = read_seen_db(fs, configdir + "/user");
  REQUIRE_FALSE(dir.ok());
  CHECK(dir.problem().code == Code::spool_seen_db_unreadable);
}

}  // namespace

TEST_CASE("seen db: the admin's real seen db (uuid fixtures) matches the truth") {
  for (const char* img : {"cyrus36-uuid.ext4.img", "cyrus36-uuid.ext3.img", "cyrus36-uuid.ext2.img"}) {
    CAPTURE(img);
    check_fixture(img, "cyrus36-uuid.truth.json", "var/lib/cyrus/user/c/cyrus.seen", "legacy");
  }
}

TEST_CASE("seen db: the admin's real seen db (legacy fulldirhash fixture) matches the truth") {
  check_fixture("cyrus36-legacy.ext4.img", "cyrus36-legacy.truth.json",
                std::string("var/lib/cyrus/user/") + dir_hash_c("cyrus", true) + "/cyrus.seen",
                "legacy-fulldirhash");
  CHECK(dir_hash_c("cyrus", true) == 'S');  // as on the image
}
