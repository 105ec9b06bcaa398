// sync/log (src/spool/sync_log): the line grammar and its astrings, damage
// and hostile input, the selection built from entries, user expansion, the
// log files of a config directory, and the real log of the Cyrus 3.6 fixture
// checked against its truth JSON.
#include <doctest/doctest.h>

#include "test_util.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "fs/filesystem.hpp"
#include "spool/sync_log.hpp"

using namespace ss;
using namespace ss::spool;
namespace stdfs = std::filesystem;

namespace {

SyncLog parse(std::string_view text) {
  return parse_sync_log(bytes_of(text), "log");
}

std::vector<std::string> args_of(const SyncLog& log, std::size_t i) {
  REQUIRE(i < log.entries.size());
  return log.entries[i].args;
}

std::size_t count_code(const SyncLog& log, Code c) {
  return static_cast<std::size_t>(std::count_if(log.findings.items().begin(),
                                                log.findings.items().end(),
                                                [c](const Finding& f) { return f.code == c; }));
}

const Finding* first(const SyncLog& log, Code c) {
  for (const auto& f : log.findings.items())
    if (f.code == c) return &f;
  return nullptr;
}

std::set<std::string> keys(const std::map<std::string, SyncLogUse, std::less<>>& m) {
  std::set<std::string> out;
  for (const auto& [k, v] : m) out.insert(k);
  return out;
}

struct TempDir : ss::test::TempDir {
  TempDir() : ss::test::TempDir("ss-synclog") {}
};

// A second, independent reading of the truth's lines (they hold only atoms
// and quoted strings): the astrings of one line, verb first.
std::vector<std::string> truth_tokens(const std::string& line) {
  std::vector<std::string> out;
  std::size_t p = 0;
  while (p < line.size()) {
    std::string tok;
    if (line[p] == '"') {
      for (++p; p < line.size() && line[p] != '"'; ++p) {
        if (line[p] == '\\') ++p;
        tok += line[p];
      }
      ++p;
    } else {
      while (p < line.size() && line[p] != ' ') tok += line[p++];
    }
    out.push_back(tok);
    ++p;  // the space
  }
  return out;
}

}  // namespace

TEST_CASE("sync log: atoms, quoted strings and escapes") {
  auto log = parse(
      "MAILBOX user.fred\n"
      "MAILBOX \"user.fred.Work Projects\"\n"
      "MAILBOX \"user.fred.a\\\"b\\\\c\\{d\\}\"\n"
      "ANNOTATION \"\"\n"
      "SEEN fred \"\\x\"\n"
      "SUB \"fred\" \"user.fred.(x)\"\n");
  CHECK(log.findings.empty());
  REQUIRE(log.entries.size() == 6);
  CHECK(args_of(log, 0) == std::vector<std::string>{"user.fred"});
  CHECK(args_of(log, 1) == std::vector<std::string>{"user.fred.Work Projects"});
  CHECK(args_of(log, 2) == std::vector<std::string>{"user.fred.a\"b\\c{d}"});
  CHECK(args_of(log, 3) == std::vector<std::string>{""});
  CHECK(args_of(log, 4) == std::vector<std::string>{"fred", "x"});  // backslash escapes any byte
  CHECK(args_of(log, 5) == std::vector<std::string>{"fred", "user.fred.(x)"});
  CHECK(log.entries[0].kind == SyncVerb::mailbox);
  CHECK(log.entries[5].kind == SyncVerb::sub);
  CHECK(log.entries[2].line == 3);
  CHECK(log.entries[1].offset == 18);
  CHECK(log.lines == 6);
  CHECK(log.complete);
}

TEST_CASE("sync log: literals {N} and {N+}, with CRLF or LF, holding any byte but NUL") {
  auto log = parse(
      "MAILBOX {9}\r\nuser.fred\n"
      "RENAME {3+}\nold {4}\r\nn ew\n"
      "MAILBOX {5}\r\na\nb c\n"
      "MAILBOX {0}\r\n\n"
      "MAILBOX after\n");
  CHECK(log.findings.empty());
  REQUIRE(log.entries.size() == 5);
  CHECK(args_of(log, 0) == std::vector<std::string>{"user.fred"});
  CHECK(args_of(log, 1) == std::vector<std::string>{"old", "n ew"});
  CHECK(args_of(log, 2) == std::vector<std::string>{"a\nb c"});
  CHECK(args_of(log, 3) == std::vector<std::string>{""});
  CHECK(args_of(log, 4) == std::vector<std::string>{"after"});
  // Line numbers count LFs, literals included: `sed -n Np` finds the line.
  CHECK(log.entries[1].line == 3);
  CHECK(log.entries[2].line == 6);
  CHECK(log.entries[4].line == 11);
}

TEST_CASE("sync log: empty input") {
  auto log = parse_sync_log(ByteView(), "log");
  CHECK(log.entries.empty());
  CHECK(log.findings.empty());
  CHECK(log.lines == 0);
  CHECK(log.complete);
}

TEST_CASE("sync log: CRLF lines, lower-case verbs, blank lines") {
  auto log = parse("mailbox user.fred\r\nAppend user.fred\r\n\r\n\nUSER fred\r\n");
  CHECK(log.findings.empty());
  REQUIRE(log.entries.size() == 3);
  CHECK(log.entries[0].verb == "MAILBOX");
  CHECK(log.entries[1].verb == "APPEND");
  CHECK(log.entries[1].kind == SyncVerb::append);
  CHECK(args_of(log, 1) == std::vector<std::string>{"user.fred"});
  CHECK(log.entries[2].line == 5);
  CHECK(log.blank_lines == 2);
}

TEST_CASE("sync log: a malformed line is a finding with line and offset; the next is read") {
  const std::string text =
      "MAILBOX a\n"               // 1 ok, offset 0
      "(bad\n"                    // 2 no verb, offset 10
      "MAILBOX \"unterminated\n"  // 3 line ends in a quoted string, offset 15
      "MAILBOX b\n"               // 4 ok
      "SEEN x \"q\"junk\n"        // 5 junk after the quote
      "MAILBOX  two-spaces\n"     // 6 empty argument
      "MAILBOX a\rb\n"            // 7 CR without LF
      "MAILBOX tab\there\n"       // 8 control byte in an atom
      "MAILBOX {x}\r\n"           // 9 literal without length
      "MAILBOX {3\r\n"            // 10 literal length not closed
      "MAILBOX {3}abc\n"          // 11 no CRLF after the length
      "MAILBOX {1}\r\nxy\n"       // 12-13 junk after a literal
      "MAILBOX c\n";              // 14 ok
  auto log = parse(text);
  REQUIRE(log.entries.size() == 3);
  CHECK(args_of(log, 0) == std::vector<std::string>{"a"});
  CHECK(args_of(log, 1) == std::vector<std::string>{"b"});
  CHECK(args_of(log, 2) == std::vector<std::string>{"c"});
  CHECK(log.entries[2].line == 14);
  CHECK(log.bad_lines == 10);
  CHECK(count_code(log, Code::spool_sync_log_syntax) == 10);
  const auto& items = log.findings.items();
  REQUIRE(items.size() == 10);
  CHECK(items[0].place == "log line 2");
  CHECK(items[0].detail.find("byte offset 10") != std::string::npos);
  CHECK(items[1].place == "log line 3");
  CHECK(items[1].detail.find("quoted string") != std::string::npos);
  CHECK(items[1].detail.find("line starts at 15") != std::string::npos);
  CHECK(items[2].place == "log line 5");
  CHECK(items[9].place == "log line 12");
  CHECK(log.complete);
}

TEST_CASE("sync log: unknown verbs and wrong argument counts are kept, with a warning") {
  auto log = parse("FROBNICATE x\nMAILBOX a b\nSEEN fred\nUSER\n");
  REQUIRE(log.entries.size() == 4);
  CHECK(log.entries[0].kind == SyncVerb::unknown);
  CHECK(count_code(log, Code::spool_sync_log_unknown_verb) == 1);
  CHECK(count_code(log, Code::spool_sync_log_arity) == 3);
  auto sel = select_from_sync_log(log);
  // The arguments present are used by position; the unknown verb selects nothing.
  CHECK(keys(sel.mailboxes) == std::set<std::string>{"a"});
  CHECK(keys(sel.users) == std::set<std::string>{"fred"});
  CHECK(sel.entries_used == 2);
  CHECK(sel.entries_ignored == 2);
}

TEST_CASE("sync log: a truncated last line is reported and not used for selection") {
  SUBCASE("inside an atom") {
    auto log = parse("MAILBOX user.fred\nMAILBOX user.fr");
    REQUIRE(log.entries.size() == 2);
    CHECK_FALSE(log.entries[1].complete);
    CHECK_FALSE(log.complete);
    const Finding* f = first(log, Code::spool_sync_log_truncated);
    REQUIRE(f);
    CHECK(f->place == "log line 2");
    CHECK(f->detail.find("user.fr") != std::string::npos);
    CHECK(f->severity() == Severity::warning);
    auto sel = select_from_sync_log(log);
    CHECK(keys(sel.mailboxes) == std::set<std::string>{"user.fred"});
    CHECK(sel.entries_ignored == 1);
  }
  SUBCASE("inside a quoted string, after an escape, after the verb, before LF") {
    for (std::string_view tail :
         {"MAILBOX \"user.fred.Wo", "MAILBOX \"a\\", "MAILBOX ", "MAILBOX", "MAILBOX x\r"}) {
      CAPTURE(tail);
      auto log = parse(std::string("USER fred\n") + std::string(tail));
      REQUIRE(log.entries.size() == 2);
      CHECK_FALSE(log.entries[1].complete);
      CHECK(count_code(log, Code::spool_sync_log_truncated) == 1);
      CHECK(log.findings.items().size() == 1);
    }
  }
}

TEST_CASE("sync log: hostile input is bounded and never stops the parse") {
  SUBCASE("zero-filled blocks after a crash, then lines written after the restart") {
    // A NUL replacing one byte mid-line: the rest of that line is skipped.
    std::string text = "MAILBOX a\n" + std::string(4096, '\0') + "MAILBOX b\n" +
                       std::string("MAIL\0BOX c\nMAILBOX d\n", 21);
    auto log = parse(text);
    REQUIRE(log.entries.size() == 3);
    CHECK(args_of(log, 0) == std::vector<std::string>{"a"});
    CHECK(args_of(log, 1) == std::vector<std::string>{"b"});
    CHECK(args_of(log, 2) == std::vector<std::string>{"d"});
    CHECK(log.entries[2].line == 4);
    CHECK(log.findings.items().size() == 2);
    CHECK(count_code(log, Code::spool_sync_log_nul) == 2);
    CHECK(first(log, Code::spool_sync_log_nul)->detail.find("4096 NUL") != std::string::npos);
  }
  SUBCASE("NUL at the very end") {
    auto log = parse(std::string_view("MAILBOX a\n\0\0\0", 13));
    CHECK(log.entries.size() == 1);
    CHECK(count_code(log, Code::spool_sync_log_nul) == 1);
    CHECK_FALSE(log.complete);
  }
  SUBCASE("NUL inside quoted strings and literals") {
    auto log = parse(std::string_view("MAILBOX \"a\0b\"\nMAILBOX {3}\r\na\0b\nMAILBOX ok\n", 42));
    CHECK(count_code(log, Code::spool_sync_log_nul) == 2);
    CHECK(log.findings.items().size() == 2);
    REQUIRE(log.entries.size() == 1);
    CHECK(args_of(log, 0) == std::vector<std::string>{"ok"});
  }
  SUBCASE("a literal length of 2^32, of 30 digits, and longer than the file") {
    auto log = parse(
        "MAILBOX {4294967296}\r\nMAILBOX b\n"
        "MAILBOX {999999999999999999999999999999}\r\nMAILBOX c\n"
        "MAILBOX {100}\r\nMAILBOX d\n");
    CHECK(count_code(log, Code::spool_sync_log_literal) == 3);
    REQUIRE(log.entries.size() == 3);
    CHECK(args_of(log, 0) == std::vector<std::string>{"b"});
    CHECK(args_of(log, 1) == std::vector<std::string>{"c"});
    CHECK(args_of(log, 2) == std::vector<std::string>{"d"});
    CHECK(first(log, Code::spool_sync_log_literal)->detail.find("4294967296") != std::string::npos);
  }
  SUBCASE("a 1 MB line: atom, quoted string and verb") {
    const std::string big(1 << 20, 'a');
    auto log =
        parse("MAILBOX " + big + "\nMAILBOX \"" + big + "\"\n" + big + " x\nMAILBOX after\n");
    CHECK(count_code(log, Code::spool_sync_log_too_long) == 3);
    REQUIRE(log.entries.size() == 1);
    CHECK(args_of(log, 0) == std::vector<std::string>{"after"});
    CHECK(log.entries[0].line == 4);
    for (const auto& f : log.findings.items()) CHECK(f.detail.size() < 400);
  }
  SUBCASE("pseudo-random bytes") {
    std::uint32_t x = 12345;
    const std::string alphabet("MAILBOX \"\\{}+0123456789\r\n\0 user.fred", 36);
    for (int round = 0; round < 200; ++round) {
      std::string text;
      for (int i = 0; i < 300; ++i) {
        x = x * 1664525U + 1013904223U;
        text += alphabet[(x >> 16) % alphabet.size()];
      }
      auto log = parse(text);
      for (std::size_t i = 0; i < log.entries.size(); ++i) {
        CHECK(log.entries[i].offset < text.size());
        if (i > 0) CHECK(log.entries[i].offset > log.entries[i - 1].offset);
      }
      CHECK(log.lines >= log.entries.size());
    }
  }
}

TEST_CASE("sync log: selection sets, counts and verbs") {
  auto log = parse(
      "MAILBOX user.fred\n"
      "APPEND user.fred\n"
      "MAILBOX user.fred\n"
      "RENAME user.fred.Trash DELETED.user.fred.Trash.5F3A2B1C\n"
      "MAILBOX user.fred.Trash\n"
      "MAILBOX DELETED.user.fred.Trash.5F3A2B1C\n"
      "DOUBLEMAILBOX user.alice.A user.alice.B\n"
      "UNMAILBOX user.bob.Old\n"
      "ACL shared.x\n"
      "ANNOTATION \"\"\n"
      "ANNOTATION shared.y\n"
      "USER carol\n"
      "META dave\n"
      "UNUSER erin\n"
      "SEEN fred 5f3a2b1c-uniqueid\n"
      "SUB frank user.frank.Lists\n"
      "QUOTA user.gina\n");
  CHECK(log.findings.empty());
  auto sel = select_from_sync_log(log);
  CHECK(keys(sel.mailboxes) == std::set<std::string>{"user.fred", "user.fred.Trash",
                                                     "DELETED.user.fred.Trash.5F3A2B1C",
                                                     "user.alice.A", "user.alice.B", "user.bob.Old",
                                                     "shared.x", "shared.y", "user.frank.Lists"});
  CHECK(keys(sel.users) == std::set<std::string>{"carol", "dave", "erin", "fred", "frank"});
  CHECK(keys(sel.seen_items) == std::set<std::string>{"5f3a2b1c-uniqueid"});
  CHECK(keys(sel.quota_roots) == std::set<std::string>{"user.gina"});
  CHECK(sel.server_annotations);
  CHECK(sel.entries_used == log.entries.size());
  const auto& fred = sel.mailboxes.at("user.fred");
  CHECK(fred.lines == 3);
  CHECK(fred.verbs == std::set<std::string>{"APPEND", "MAILBOX"});
  CHECK(sel.mailboxes.at("user.fred.Trash").verbs == std::set<std::string>{"MAILBOX", "RENAME"});
  CHECK(sel.mailboxes.at("user.alice.B").verbs == std::set<std::string>{"DOUBLEMAILBOX"});

  // Several logs (log-run, then log) add up.
  add_sync_log(sel, parse("APPEND user.fred\n").entries);
  CHECK(sel.mailboxes.at("user.fred").lines == 4);
}

TEST_CASE("sync log: the matcher") {
  auto sel =
      select_from_sync_log(parse("MAILBOX user.fred.Trash\n"
                                 "RENAME user.alice.Old user.alice.New\n"
                                 "USER carol\n"
                                 "USER dan.smith@example.com\n"
                                 "SEEN erin 0123-uniq\n"
                                 "SEEN gus user.gus.Old23\n"));  // 2.3: a mailbox name
  CHECK(sync_log_selects(sel, "user.fred.Trash", ""));
  CHECK(sync_log_selects(sel, "DELETED.user.fred.Trash.5F3A2B1C", ""));  // touched, then deleted
  CHECK_FALSE(sync_log_selects(sel, "user.fred", ""));
  CHECK(sync_log_selects(sel, "user.alice.Old", ""));
  CHECK(sync_log_selects(sel, "user.alice.New", ""));
  CHECK(sync_log_selects(sel, "user.carol", ""));
  CHECK(sync_log_selects(sel, "user.carol.Sent.2020", ""));
  CHECK(sync_log_selects(sel, "DELETED.user.carol.Sent.5F3A2B1C", ""));
  CHECK_FALSE(sync_log_selects(sel, "user.carolyn", ""));
  CHECK_FALSE(sync_log_selects(sel, "shared.carol", ""));
  CHECK(sync_log_selects(sel, "example.com!user.dan^smith.Sent", ""));
  CHECK_FALSE(sync_log_selects(sel, "user.dan^smith", ""));
  CHECK_FALSE(sync_log_selects(sel, "other.org!user.dan^smith", ""));
  CHECK(sync_log_selects(sel, "user.erin", ""));  // SEEN's userid: the user's hierarchy
  CHECK(sync_log_selects(sel, "shared.z", "0123-uniq"));
  CHECK(sync_log_selects(sel, "user.gus.Old23", ""));
  CHECK_FALSE(sync_log_selects(sel, "shared.z", ""));
  sel.default_domain = "example.com";
  CHECK(sync_log_selects(sel, "user.dan^smith", ""));
  CHECK(sync_log_selects(sel, "example.com!user.carol", ""));
}

TEST_CASE("sync log: expanding a user to its mailboxes") {
  const std::vector<std::string> names{
      "user.fred",
      "user.fred.Sent",
      "user.fred.Sent.2020",
      "user.freddy",
      "user.fred^smith",
      "user.fred^smith.Drafts",
      "DELETED.user.fred.Trash.5F3A2B1C",
      "DELETED.user.fred.5F3A2B1D",
      "shared.fred",
      "user",
      "user.",
      "example.com!user.fred",
      "example.com!user.fred.Sent",
      "example.com!DELETED.user.fred.X.5F3A2B1C",
      "other.org!user.fred",
  };
  CHECK(expand_user("fred", names) ==
        std::vector<std::string>{"DELETED.user.fred.5F3A2B1D", "DELETED.user.fred.Trash.5F3A2B1C",
                                 "user.fred", "user.fred.Sent", "user.fred.Sent.2020"});
  CHECK(expand_user("fred.smith", names) ==
        std::vector<std::string>{"user.fred^smith", "user.fred^smith.Drafts"});
  CHECK(expand_user("fred@example.com", names) ==
        std::vector<std::string>{"example.com!DELETED.user.fred.X.5F3A2B1C",
                                 "example.com!user.fred", "example.com!user.fred.Sent"});
  CHECK(expand_user("nobody", names).empty());
  CHECK(expand_user("", names).empty());
  // With defaultdomain, "fred@example.com" is also the unprefixed fred.
  auto with_default = expand_user("fred@example.com", names, "example.com");
  CHECK(std::count(with_default.begin(), with_default.end(), "user.fred") == 1);
  CHECK(std::count(with_default.begin(), with_default.end(), "example.com!user.fred") == 1);
  CHECK(std::count(with_default.begin(), with_default.end(), "other.org!user.fred") == 0);
  CHECK(mailbox_owner("example.com!user.fred^smith.Sent") == "fred.smith@example.com");
  CHECK_FALSE(mailbox_owner("shared.x").has_value());
}

TEST_CASE("sync log: finding the logs of a config directory") {
  TempDir t;
  t.write("var/lib/cyrus/sync/log", "MAILBOX a\n");
  t.write("var/lib/cyrus/sync/log-run", "MAILBOX b\n");
  t.write("var/lib/cyrus/sync/log-123", "MAILBOX c\n");
  t.write("var/lib/cyrus/sync/log-45", "MAILBOX d\n");
  t.write("var/lib/cyrus/sync/log-abc", "x\n");
  t.write("var/lib/cyrus/sync/logfile", "x\n");
  t.write("var/lib/cyrus/sync/chanB/log", "MAILBOX e\n");
  t.write("var/lib/cyrus/sync/chanA/log", "MAILBOX f\n");
  t.write("var/lib/cyrus/sync/chanA/log-run", "MAILBOX g\n");
  t.write("var/lib/cyrus/sync/empty/other", "x\n");
  stdfs::create_directory_symlink(t.path / "var/lib/cyrus/sync/chanA",
                                  t.path / "var/lib/cyrus/sync/zlink");
  auto fsr = fs::open_tree(t.path.string());
  REQUIRE(fsr.ok());
  auto& fs = **fsr;
  const std::vector<std::string> want{
      "var/lib/cyrus/sync/log-45",        "var/lib/cyrus/sync/log-123",
      "var/lib/cyrus/sync/log-run",       "var/lib/cyrus/sync/log",
      "var/lib/cyrus/sync/chanA/log-run", "var/lib/cyrus/sync/chanA/log",
      "var/lib/cyrus/sync/chanB/log"};
  CHECK(find_sync_logs(fs, "var/lib/cyrus") == want);
  CHECK(find_sync_logs(fs, "/var/lib/cyrus/") == want);
  CHECK(find_sync_logs(fs, "var/lib/none").empty());
  Findings findings;
  CHECK(find_sync_logs(fs, "var/lib", findings).empty());
  CHECK(findings.empty());

  auto log = read_sync_log(fs, "var/lib/cyrus/sync/chanA/log-run");
  REQUIRE(log.ok());
  CHECK(log->place == "var/lib/cyrus/sync/chanA/log-run");
  REQUIRE(log->entries.size() == 1);
  CHECK(log->entries[0].args == std::vector<std::string>{"g"});
  CHECK_FALSE(read_sync_log(fs, "var/lib/cyrus/sync/missing").ok());
  auto small = read_sync_log(fs, "var/lib/cyrus/sync/log", 4);
  REQUIRE_FALSE(small.ok());
  CHECK(small.problem().code == Code::fs_file_unreadable);
}

TEST_CASE("sync log: the real Cyrus 3.6 log matches the truth") {
  const stdfs::path img = stdfs::path(SS_FIXTURE_DIR) / "cyrus36-uuid.ext4.img";
  const stdfs::path truth_path = stdfs::path(SS_SOURCE_FIXTURE_DIR) / "cyrus36-uuid.truth.json";
  REQUIRE(stdfs::exists(img));
  REQUIRE(stdfs::exists(truth_path));
  auto truth = nlohmann::json::parse(std::ifstream(truth_path));
  const auto& lines = truth["sync_log"]["lines"];
  REQUIRE(lines.size() > 100);

  auto fsr = fs::open_evidence(img.string());
  REQUIRE(fsr.ok());
  auto& fs = **fsr;
  auto logs = find_sync_logs(fs, "var/lib/cyrus");
  REQUIRE(logs == std::vector<std::string>{"var/lib/cyrus/sync/log"});
  CHECK("/" + logs[0] == truth["sync_log"]["path"].get<std::string>());
  auto log = read_sync_log(fs, logs[0]);
  REQUIRE(log.ok());
  CHECK(log->findings.empty());
  CHECK(log->complete);
  REQUIRE(log->entries.size() == lines.size());

  std::set<std::string> want_mailboxes;
  std::set<std::string> want_users;
  std::set<std::string> want_seen;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    auto tok = truth_tokens(lines[i].get<std::string>());
    REQUIRE(tok.size() >= 2);
    CAPTURE(i);
    CHECK(log->entries[i].verb == tok[0]);
    CHECK(log->entries[i].args == std::vector<std::string>(tok.begin() + 1, tok.end()));
    CHECK(log->entries[i].line == i + 1);
    if (tok[0] == "SEEN") {
      want_users.insert(tok[1]);
      want_seen.insert(tok[2]);
    } else {
      want_mailboxes.insert(tok[1]);
      if (tok[0] == "RENAME") want_mailboxes.insert(tok[2]);
    }
  }
  auto sel = select_from_sync_log(*log);
  CHECK(keys(sel.mailboxes) == want_mailboxes);
  CHECK(keys(sel.users) == want_users);
  CHECK(keys(sel.seen_items) == want_seen);
  CHECK(sel.entries_used == lines.size());
  CHECK(sel.mailboxes.at("user.fred.Trash").verbs.contains("RENAME"));
  // Every mailbox of the fixture except the DELETED one's former self is
  // named; the deleted Trash is selected by its new name.
  for (const auto& tm : truth["mailboxes"]) {
    std::string name = tm["name"];
    CAPTURE(name);
    CHECK(sync_log_selects(sel, name, tm["uniqueid"].get<std::string>()));
  }
}
