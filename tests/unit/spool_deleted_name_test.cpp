// A deleted mailbox is never filed as live (src/spool/mailbox_dir.cpp): when
// the legacy path says DELETED.*, or mailboxes.db gives a DELETED.* name for
// a uuid directory, a stale live N in cyrus.header does not win. Cyrus 3.6
// deletes a legacy-layout mailbox (delayed delete) by copying it under
// DELETED/ and leaves the old N in the copy's header; without mailboxes.db
// that header used to name the mailbox user.fred.Trash, state live.
#include <doctest/doctest.h>

#include "test_util.hpp"

#include <filesystem>
#include <memory>
#include <string>

#include "fs/filesystem.hpp"
#include "spool/discovery.hpp"
#include "spool/header.hpp"

using namespace ss;
using namespace ss::spool;

namespace {

struct TempDir : ss::test::TempDir {
  TempDir() : ss::test::TempDir("ss-deleted-name") {}
};

std::string dlist_header(std::string_view name, std::string_view uniqueid) {
  return std::string(kHeaderMagic) + "%(T e N " + std::string(name) + " I " +
         std::string(uniqueid) + " A %(fred lrs) U ())\n";
}

std::unique_ptr<fs::Filesystem> open(const TempDir& t) {
  auto r = fs::open_tree(t.path.string());
  REQUIRE(r.ok());
  return std::move(r).value();
}

const Mailbox* by_dir(const SpoolDiscovery& d, std::string_view dir) {
  for (const auto& m : d.mailboxes)
    if (m.dir == dir) return &m;
  return nullptr;
}

std::string conflicts(const Mailbox& m) {
  std::string s;
  for (const auto& f : m.findings.items())
    if (f.code == Code::spool_name_conflict) s += f.detail + "\n";
  return s;
}

constexpr std::string_view kDeletedDir = "srv/spool/u/DELETED/user/fred/Trash/5F3A2B1C";

// A legacy hashed spool as Cyrus 3.6 leaves it after deleting user.fred.Trash
// (delayed delete) and the user creating a new Trash: the DELETED copy's
// header still says N user.fred.Trash.
void legacy_spool(const TempDir& t, std::string_view deleted_header_name = "user.fred.Trash") {
  t.write("srv/spool/f/user/fred/cyrus.header", dlist_header("user.fred", "fred0001"));
  t.write("srv/spool/f/user/fred/1.", "m");
  t.write("srv/spool/f/user/fred/Trash/cyrus.header", dlist_header("user.fred.Trash", "trash002"));
  t.write("srv/spool/f/user/fred/Trash/1.", "m");
  t.write(std::string(kDeletedDir) + "/cyrus.header",
          dlist_header(deleted_header_name, "trash001"));
  t.write(std::string(kDeletedDir) + "/1.", "m");
  t.write(std::string(kDeletedDir) + "/2.", "m");
}

}  // namespace

TEST_CASE("deleted name: legacy DELETED path, no mailboxes.db, stale header N") {
  TempDir t;
  legacy_spool(t);
  auto f = open(t);
  auto d = discover({f.get()});
  CHECK(d.findings.has(Code::spool_mailboxes_db_absent));
  REQUIRE(d.mailboxes.size() == 3);

  const Mailbox* del = by_dir(d, kDeletedDir);
  REQUIRE(del);
  CAPTURE(conflicts(*del));
  CHECK(del->name == "DELETED.user.fred.Trash.5F3A2B1C");
  CHECK(del->name_source == NameSource::path);
  CHECK(del->state == MailboxState::deleted);
  CHECK(del->original_name == "user.fred.Trash");
  CHECK(del->display_name == "DELETED/user/fred/Trash/5F3A2B1C");
  CHECK(del->uniqueid == "trash001");
  CHECK(del->layout == "legacy-hashed");
  // The header keeping the name before deletion is Cyrus's normal state.
  CHECK_FALSE(del->findings.has(Code::spool_name_conflict));

  // The live mailbox of the same (original) name is still live, named by its header.
  const Mailbox* live = by_dir(d, "srv/spool/f/user/fred/Trash");
  REQUIRE(live);
  CHECK(live->name == "user.fred.Trash");
  CHECK(live->name_source == NameSource::header);
  CHECK(live->state == MailboxState::live);
  CHECK(live->original_name.empty());
}

TEST_CASE("deleted name: legacy DELETED path, header N names another live mailbox") {
  TempDir t;
  legacy_spool(t, "user.fred.Junk");
  auto f = open(t);
  auto d = discover({f.get()});
  const Mailbox* del = by_dir(d, kDeletedDir);
  REQUIRE(del);
  CHECK(del->name == "DELETED.user.fred.Trash.5F3A2B1C");
  CHECK(del->name_source == NameSource::path);
  CHECK(del->state == MailboxState::deleted);
  CHECK(del->original_name == "user.fred.Trash");
  REQUIRE(del->findings.has(Code::spool_name_conflict));
  CHECK(conflicts(*del).find("user.fred.Junk") != std::string::npos);
  CHECK(conflicts(*del).find("the path (deleted) is used") != std::string::npos);
}

TEST_CASE("deleted name: legacy DELETED path, header names another deleted mailbox") {
  // Both say deleted: the old rules (header wins, the disagreement reported).
  TempDir t;
  legacy_spool(t, "DELETED.user.fred.Trash.5F000000");
  auto f = open(t);
  auto d = discover({f.get()});
  const Mailbox* del = by_dir(d, kDeletedDir);
  REQUIRE(del);
  CHECK(del->name == "DELETED.user.fred.Trash.5F000000");
  CHECK(del->name_source == NameSource::header);
  CHECK(del->state == MailboxState::deleted);
  CHECK(del->findings.has(Code::spool_name_conflict));
}

TEST_CASE("deleted name: legacy DELETED path, mailboxes.db stale with the live name") {
  // mailboxes.db matches the DELETED copy's uniqueid but still says
  // user.fred.Trash (a db older than the deletion): header and db agree on a
  // live name, the path says deleted; the path wins and both are reported.
  TempDir t;
  legacy_spool(t);
  t.write("var/lib/cyrus/mailboxes.db",
          "user.fred\t%(I fred0001 P default T e)\n"
          "user.fred.Trash\t%(I trash001 P default T e)\n");
  auto f = open(t);
  auto d = discover({f.get()});
  REQUIRE(d.config.mailboxes_db_in_evidence.has_value());
  const Mailbox* del = by_dir(d, kDeletedDir);
  REQUIRE(del);
  CAPTURE(conflicts(*del));
  CHECK(del->name == "DELETED.user.fred.Trash.5F3A2B1C");
  CHECK(del->name_source == NameSource::path);
  CHECK(del->state == MailboxState::deleted);
  CHECK(del->original_name == "user.fred.Trash");
  CHECK(conflicts(*del).find("mailboxes.db 'user.fred.Trash'; the path (deleted) is used") !=
        std::string::npos);
}

TEST_CASE("deleted name: legacy DELETED path with mailboxes.db agreeing (unchanged)") {
  TempDir t;
  legacy_spool(t);
  t.write("var/lib/cyrus/mailboxes.db",
          "DELETED.user.fred.Trash.5F3A2B1C\t%(I trash001 P default T e)\n"
          "user.fred\t%(I fred0001 P default T e)\n"
          "user.fred.Trash\t%(I trash002 P default T e)\n");
  auto f = open(t);
  auto d = discover({f.get()});
  const Mailbox* del = by_dir(d, kDeletedDir);
  REQUIRE(del);
  CHECK(del->name == "DELETED.user.fred.Trash.5F3A2B1C");
  CHECK(del->name_source == NameSource::mailboxes_db);
  CHECK(del->state == MailboxState::deleted);
  CHECK(del->original_name == "user.fred.Trash");
  CHECK_FALSE(del->findings.has(Code::spool_name_conflict));
}

TEST_CASE("deleted name: a DELETED path without the hex tail takes original_name from the header") {
  TempDir t;
  t.write("srv/spool/u/DELETED/user/fred/Trash/cyrus.header",
          dlist_header("user.fred.Trash", "trash001"));
  t.write("srv/spool/u/DELETED/user/fred/Trash/1.", "m");
  auto f = open(t);
  auto d = discover({f.get()});
  REQUIRE(d.mailboxes.size() == 1);
  const Mailbox& m = d.mailboxes[0];
  CHECK(m.name == "DELETED.user.fred.Trash");
  CHECK(m.name_source == NameSource::path);
  CHECK(m.state == MailboxState::deleted);
  CHECK(m.original_name == "user.fred.Trash");
}

TEST_CASE("deleted name: uuid layout, mailboxes.db says deleted, header N is live") {
  // The uuid path gives no name: cyrus.header and mailboxes.db are the only
  // sources. A DELETED.* name from mailboxes.db (found by uniqueid) outranks
  // a live header N; without mailboxes.db the header is all there is.
  TempDir t;
  t.write("etc/imapd.conf",
          "configdirectory: /var/lib/cyrus\npartition-default: /var/spool/cyrus/mail\n"
          "mboxlist_db: flat\n");
  t.write("var/lib/cyrus/mailboxes.db",
          "Nuser\x1F"
          "fred\t%(I ab12 P default T e)\n"
          "NDELETED\x1Fuser\x1F"
          "fred\x1FTrash\x1F"
          "5F3A2B1C\t%(I cd34 P default T e)\n");
  const std::string mail = "var/spool/cyrus/mail/";
  t.write(mail + "uuid/a/b/ab12/cyrus.header", dlist_header("user.fred", "ab12"));
  t.write(mail + "uuid/c/d/cd34/cyrus.header", dlist_header("user.fred.Trash", "cd34"));
  t.write(mail + "uuid/c/d/cd34/1.", "m");
  auto f = open(t);
  auto d = discover({f.get()});
  REQUIRE(d.mailboxes.size() == 2);
  const Mailbox* del = by_dir(d, mail + "uuid/c/d/cd34");
  REQUIRE(del);
  CAPTURE(conflicts(*del));
  CHECK(del->name == "DELETED.user.fred.Trash.5F3A2B1C");
  CHECK(del->name_source == NameSource::mailboxes_db);
  CHECK(del->state == MailboxState::deleted);
  CHECK(del->original_name == "user.fred.Trash");
  CHECK(conflicts(*del).find("mailboxes.db (deleted) is used") != std::string::npos);
  const Mailbox* fred = by_dir(d, mail + "uuid/a/b/ab12");
  REQUIRE(fred);
  CHECK(fred->name == "user.fred");
  CHECK(fred->state == MailboxState::live);
  CHECK_FALSE(fred->findings.has(Code::spool_name_conflict));
}

TEST_CASE("deleted name: uuid layout without mailboxes.db: the header decides") {
  TempDir t;
  const std::string mail = "srv/mail/";
  t.write(mail + "uuid/c/d/cd34/cyrus.header",
          dlist_header("DELETED.user.fred.Trash.5F3A2B1C", "cd34"));
  t.write(mail + "uuid/e/f/ef56/cyrus.header", dlist_header("user.fred.Sent", "ef56"));
  auto f = open(t);
  auto d = discover({f.get()});
  REQUIRE(d.mailboxes.size() == 2);
  const Mailbox* del = by_dir(d, mail + "uuid/c/d/cd34");
  REQUIRE(del);
  CHECK(del->state == MailboxState::deleted);
  CHECK(del->name_source == NameSource::header);
  CHECK(del->original_name == "user.fred.Trash");
  const Mailbox* sent = by_dir(d, mail + "uuid/e/f/ef56");
  REQUIRE(sent);
  CHECK(sent->state == MailboxState::live);
  CHECK(sent->name == "user.fred.Sent");
}
