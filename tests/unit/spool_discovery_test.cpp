// Spool discovery (src/spool/discovery): small trees built in a temp dir and
// read through fs::open_tree, and the real Cyrus 3.6 fixture images checked
// against their truth JSON.
#include <doctest/doctest.h>

#include "test_util.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "fs/filesystem.hpp"
#include "spool/discovery.hpp"
#include "spool/header.hpp"

using namespace ss;
using namespace ss::spool;
namespace stdfs = std::filesystem;

namespace {

struct TempDir : ss::test::TempDir {
  TempDir() : ss::test::TempDir("ss-discovery") {}
};

std::string text_header(std::string_view uniqueid) {
  return std::string(kHeaderMagic) + "user.fred\t" + std::string(uniqueid) + "\n\nfred\tlrs\t\n";
}
std::string dlist_header(std::string_view name, std::string_view uniqueid) {
  return std::string(kHeaderMagic) + "%(T e N " + std::string(name) + " I " +
         std::string(uniqueid) + " A %(fred lrs) U ())\n";
}
// The first 24 bytes of a v16 index holding `n` records of 104 bytes.
std::string index_head(unsigned n, bool complete = true) {
  std::string s(24, '\0');
  s[11] = 16;
  s[15] = static_cast<char>(160);
  s[19] = 104;
  s[23] = static_cast<char>(n);
  if (complete) s.resize(160 + n * 104, '\0');
  return s;
}

std::unique_ptr<fs::Filesystem> open(const TempDir& t, const std::string& sub = {}) {
  auto r = fs::open_tree((t.path / sub).string());
  REQUIRE(r.ok());
  return std::move(r).value();
}

const Mailbox* by_name(const SpoolDiscovery& d, std::string_view name) {
  for (const auto& m : d.mailboxes)
    if (m.name == name) return &m;
  return nullptr;
}

}  // namespace

TEST_CASE("discovery: uuid layout with imapd.conf and a flat 3.6 mailboxes.db") {
  TempDir t;
  t.write("etc/imapd.conf",
          "configdirectory: /var/lib/cyrus\npartition-default: /var/spool/cyrus/mail\n"
          "mboxlist_db: flat\n");
  std::string db =
      "Iab12\t%(N user\x1F"
      "fred T e P default)\n"
      "Nuser\x1F"
      "fred\t%(I ab12 P default T e)\n"
      "Nuser\x1F"
      "fred\x1FSent\t%(I ef56 P default T e)\n"
      "Nuser\x1F"
      "bob\t%(I ij90 P default T e)\n"
      "Nuser\x1F"
      "gone\t%(I zz99 P default T e)\n"
      "Nuser\x1F"
      "fred\x1FTrash\t%(I cd34 T ed)\n";
  t.write("var/lib/cyrus/mailboxes.db", db);
  const std::string mail = "var/spool/cyrus/mail/";
  t.mkdir(mail + "stage.");
  t.write(mail + "uuid/a/b/ab12/cyrus.header", dlist_header("user.fred", "ab12"));
  t.write(mail + "uuid/a/b/ab12/cyrus.index", index_head(2));
  t.write(mail + "uuid/a/b/ab12/cyrus.cache", "");
  t.write(mail + "uuid/a/b/ab12/1.", "m1");
  t.write(mail + "uuid/a/b/ab12/2.", "m2");
  t.write(mail + "uuid/a/b/ab12/10.", "m10");
  t.write(mail + "uuid/a/b/ab12/odd.txt", "x");
  t.write(mail + "uuid/c/d/cd34/cyrus.header",
          dlist_header("DELETED.user.fred.Trash.5F3A2B1C", "cd34"));
  t.write(mail + "uuid/c/d/cd34/cyrus.index", index_head(1, false));
  t.write(mail + "uuid/e/f/ef56/cyrus.header", text_header("ef56"));
  t.write(mail + "uuid/e/f/ef56/cyrus.index", index_head(0));
  t.write(mail + "uuid/g/h/gh78/cyrus.header", "garbage");
  t.write(mail + "uuid/g/h/gh78/1.", "m");
  t.write(mail + "uuid/i/j/ij90/cyrus.header", dlist_header("user.alice", "ij90"));

  auto f = open(t);
  auto d = discover({f.get()});
  INFO([&] {
    std::string s;
    for (const auto& x : d.findings.items()) s += x.describe() + "\n";
    return s;
  }());
  CHECK(d.config.found);
  CHECK(d.config.path == "etc/imapd.conf");
  CHECK(d.config.configdirectory_in_evidence == "var/lib/cyrus");
  CHECK(d.config.mailboxes_db_backend == "flat");
  REQUIRE(d.roots.size() == 1);
  CHECK(d.roots[0].path == "var/spool/cyrus/mail");
  CHECK(d.roots[0].partition == "default");
  CHECK(d.roots[0].source == RootSource::imapd_conf);
  CHECK(d.findings.has(Code::spool_config_found));
  CHECK_FALSE(d.findings.has(Code::spool_walk_used));
  // user.gone has no directory; the tombstone user.fred.Trash is not expected to.
  CHECK(d.findings.has(Code::spool_mailbox_dir_missing));
  REQUIRE(d.mailboxes.size() == 5);
  CHECK(d.mailboxes[0].name.empty());  // sorted first: the unnamed one

  const Mailbox* fred = by_name(d, "user.fred");
  REQUIRE(fred);
  CHECK(fred->display_name == "user/fred");
  CHECK(fred->name_source == NameSource::header);
  CHECK(fred->uniqueid == "ab12");
  CHECK(fred->type == "e");
  CHECK(fred->layout == "uuid");
  CHECK(fred->dir == "var/spool/cyrus/mail/uuid/a/b/ab12");
  CHECK(fred->partition == "default");
  CHECK(fred->state == MailboxState::live);
  CHECK(fred->message_files == 3);
  CHECK(fred->index_version == 16u);
  CHECK(fred->records == 2u);
  CHECK(fred->has_header);
  CHECK(fred->has_index);
  CHECK(fred->has_cache);
  CHECK(fred->findings.empty());

  const Mailbox* trash = by_name(d, "DELETED.user.fred.Trash.5F3A2B1C");
  REQUIRE(trash);
  CHECK(trash->state == MailboxState::deleted);
  CHECK(trash->original_name == "user.fred.Trash");
  CHECK(trash->display_name == "DELETED/user/fred/Trash/5F3A2B1C");
  CHECK(trash->findings.has(Code::spool_index_short));
  CHECK_FALSE(trash->has_cache);

  const Mailbox* sent = by_name(d, "user.fred.Sent");
  REQUIRE(sent);
  CHECK(sent->name_source == NameSource::mailboxes_db);
  CHECK(sent->uniqueid == "ef56");
  CHECK(sent->records == 0u);

  const Mailbox* alice = by_name(d, "user.alice");
  REQUIRE(alice);
  CHECK(alice->findings.has(Code::spool_name_conflict));
  CHECK(alice->findings.has(Code::spool_index_missing));

  const Mailbox& unnamed = d.mailboxes[0];
  CHECK(unnamed.findings.has(Code::spool_header_bad_magic));
  CHECK(unnamed.findings.has(Code::spool_name_unknown));
  CHECK(unnamed.uniqueid == "gh78");
  CHECK(unnamed.layout == "uuid");

  Findings lf;
  auto files = list_message_files(*f, *fred, lf);
  REQUIRE(files.ok());
  REQUIRE(files->size() == 3);
  CHECK((*files)[0].uid == 1);
  CHECK((*files)[1].uid == 2);
  CHECK((*files)[2].uid == 10);
  CHECK((*files)[2].size == 3);
  CHECK(lf.has(Code::spool_odd_file));
  CHECK(lf.items().size() == 1);
}

TEST_CASE("discovery: no config, legacy hashed tree found by walking") {
  TempDir t;
  t.write("srv/spool/f/user/fred/cyrus.header", text_header("0123456789abcdef"));
  t.write("srv/spool/f/user/fred/cyrus.index", index_head(1));
  t.write("srv/spool/f/user/fred/1.", "m");
  t.write("srv/spool/f/user/fred/Sent/cyrus.header", text_header("fedcba9876543210"));
  t.write("srv/spool/f/user/fred/Sent/5.", "m");
  t.write("srv/spool/s/shared/cyrus.header", text_header("aaaa"));
  t.write("srv/spool/u/DELETED/user/fred/Trash/5F3A2B1C/cyrus.header", text_header("bbbb"));
  t.write("srv/spool/u/DELETED/user/fred/Trash/5F3A2B1C/1.", "m");
  t.write("home/x/notes/1.", "not a spool");
  auto f = open(t);
  auto d = discover({f.get()});
  CHECK_FALSE(d.config.found);
  CHECK(d.findings.has(Code::spool_walk_used));
  CHECK(d.findings.has(Code::spool_mailboxes_db_absent));
  REQUIRE(d.roots.size() == 1);
  CHECK(d.roots[0].path == "srv/spool");
  CHECK(d.roots[0].source == RootSource::walk);
  REQUIRE(d.mailboxes.size() == 4);
  CHECK(d.mailboxes[0].name == "DELETED.user.fred.Trash.5F3A2B1C");
  CHECK(d.mailboxes[0].state == MailboxState::deleted);
  CHECK(d.mailboxes[0].original_name == "user.fred.Trash");
  CHECK(d.mailboxes[0].layout == "legacy-hashed");
  CHECK(d.mailboxes[1].name == "shared");
  CHECK(d.mailboxes[2].name == "user.fred");
  CHECK(d.mailboxes[2].name_source == NameSource::path);
  CHECK(d.mailboxes[2].uniqueid == "0123456789abcdef");
  CHECK(d.mailboxes[2].layout == "legacy-hashed");
  CHECK(d.mailboxes[2].message_files == 1);
  CHECK(d.mailboxes[3].name == "user.fred.Sent");
  CHECK(d.mailboxes[3].findings.has(Code::spool_index_missing));
}

TEST_CASE("discovery: config on one evidence, the partition is another evidence") {
  TempDir t;
  t.write("sys/etc/imapd.conf",
          "configdirectory: /var/lib/imap\npartition-default: /var/spool/imap\n"
          "partition-other: /srv/other\nhashimapspool: false\n");
  t.write("sys/var/lib/imap/mailboxes.db", "user.fred\t%(I u1 P default T e)\n");
  t.write("part/user/fred/cyrus.header", text_header("u1"));
  t.write("part/user/fred/1.", "m");
  auto sys = open(t, "sys");
  auto part = open(t, "part");
  auto d = discover({sys.get(), part.get()});
  CHECK(d.config.found);
  CHECK(d.config.fs_index == 0);
  CHECK(d.findings.has(Code::spool_partition_missing));  // partition-other
  REQUIRE_FALSE(d.roots.empty());
  CHECK(d.roots[0].fs_index == 1);
  CHECK(d.roots[0].path.empty());
  CHECK(d.roots[0].configured_path == "/var/spool/imap");
  REQUIRE(d.mailboxes.size() == 1);
  CHECK(d.mailboxes[0].name == "user.fred");
  CHECK(d.mailboxes[0].name_source == NameSource::mailboxes_db);
  CHECK(d.mailboxes[0].fs_index == 1);
  CHECK(d.mailboxes[0].dir == "user/fred");
  CHECK(d.mailboxes[0].layout == "legacy");
}

TEST_CASE("discovery: nothing to find, hostile names, null filesystems") {
  TempDir t;
  t.mkdir("empty/dir");
  auto f = open(t);
  auto d = discover({f.get(), nullptr});
  CHECK(d.mailboxes.empty());
  CHECK(d.findings.has(Code::spool_none_found));
  CHECK(discover({}).findings.has(Code::spool_none_found));

  TempDir h;
  std::string weird = "user/\x01\x7f/&AC8-/a.b";
  h.write(weird + "/cyrus.header", std::string(kHeaderMagic) + "%(N {3}\r\na\nb I x)\n");
  h.write(weird + "/cyrus.index", "short");
  h.write("etc/imapd.conf", std::string("\0\0\0partition-default: /nope\n", 28));
  auto hf = open(h);
  auto hd = discover({hf.get()});
  REQUIRE(hd.mailboxes.size() == 1);
  CHECK(hd.mailboxes[0].name == "a\nb");
  CHECK(hd.mailboxes[0].display_name ==
        "a\xEF\xBF\xBD"
        "b");
  CHECK(hd.mailboxes[0].findings.has(Code::spool_index_short));
  CHECK(hd.mailboxes[0].findings.has(Code::spool_name_conflict));
}

TEST_CASE("discovery: the real Cyrus 3.6 fixture images match their truth") {
  const stdfs::path dir = SS_FIXTURE_DIR;
  const stdfs::path src = SS_SOURCE_FIXTURE_DIR;
  int checked = 0;
  for (const char* name :
       {"cyrus36-uuid.ext4", "cyrus36-uuid.ext3", "cyrus36-uuid.ext2", "cyrus36-legacy.ext4"}) {
    auto img = dir / (std::string(name) + ".img");
    std::string variant(name);
    variant = variant.substr(0, variant.find('.'));
    auto truth_path = src / (variant + ".truth.json");
    if (!stdfs::exists(img) || !stdfs::exists(truth_path)) continue;
    CAPTURE(name);
    auto truth = nlohmann::json::parse(std::ifstream(truth_path));
    auto fsr = fs::open_evidence(img.string());
    REQUIRE(fsr.ok());
    auto d = discover({fsr->get()});
    ++checked;
    CHECK(d.config.found);
    REQUIRE(d.roots.size() == 1);
    CHECK(d.roots[0].path == "var/spool/cyrus/mail");
    CHECK(d.config.mailboxes_db_backend == "twoskip");
    CHECK_FALSE(d.findings.has(Code::spool_mailboxes_db_damaged));
    CHECK_FALSE(d.findings.has(Code::spool_mailbox_dir_missing));
    CHECK_FALSE(d.findings.has(Code::spool_walk_used));
    CHECK(d.mailboxes.size() == truth["mailboxes"].size());
    for (const auto& tm : truth["mailboxes"]) {
      std::string tname = tm["name"];
      CAPTURE(tname);
      const Mailbox* m = by_name(d, tname);
      REQUIRE(m);
      CHECK(m->display_name == tm["display_name"].get<std::string>());
      CHECK(m->uniqueid == tm["uniqueid"].get<std::string>());
      CHECK(to_string(m->state) == tm["state"].get<std::string>());
      CHECK(m->dir == "var/spool/cyrus/mail/" + tm["dir"].get<std::string>());
      CHECK(m->message_files == tm["message_files"].size());
      // Legacy rename-by-copy (delayed delete) leaves the old N in the header;
      // the name then comes from mailboxes.db, confirmed by the path.
      bool legacy_deleted = variant == "cyrus36-legacy" && tm["state"] == "deleted";
      CHECK(m->name_source == (legacy_deleted ? NameSource::mailboxes_db : NameSource::header));
      CHECK(m->layout == (variant == "cyrus36-uuid" ? "uuid" : "legacy-fulldirhash"));
      if (tm.contains("original_name"))
        CHECK(m->original_name == tm["original_name"].get<std::string>());
      CHECK(m->findings.empty());
      CHECK(m->index_version.has_value());
    }
  }
  MESSAGE("fixture images checked: " << checked);
}

TEST_CASE("discovery: metapartition holds the cyrus.* files") {
  TempDir t;
  t.write("etc/imapd.conf",
          "partition-default: /var/spool/imap\nmetapartition-default: /var/meta/imap\n"
          "metapartition_files: header index\n");
  t.write("var/spool/imap/user/fred/1.", "m");
  t.write("var/spool/imap/user/fred/2.", "m");
  t.write("var/meta/imap/user/fred/cyrus.header", text_header("abc"));
  t.write("var/meta/imap/user/fred/cyrus.index", index_head(2));
  auto f = open(t);
  auto d = discover({f.get()});
  REQUIRE(d.mailboxes.size() == 1);
  const Mailbox& m = d.mailboxes[0];
  CHECK(m.name == "user.fred");
  CHECK(m.dir == "var/spool/imap/user/fred");
  CHECK(m.meta_dir == "var/meta/imap/user/fred");
  CHECK(m.message_files == 2);
  CHECK(m.uniqueid == "abc");
  CHECK(m.records == 2u);
  CHECK(m.findings.empty());
}
