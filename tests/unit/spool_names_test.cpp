// Names, modified UTF-7 and path layouts (src/spool/{mutf7,names,layout}).
#include <doctest/doctest.h>

#include <string>

#include "spool/layout.hpp"
#include "spool/mutf7.hpp"
#include "spool/names.hpp"

using namespace ss::spool;

TEST_CASE("mutf7: RFC 3501 examples and Cyrus names") {
  CHECK(mutf7_to_utf8("Entw&APw-rfe") == "Entw\xC3\xBCrfe");
  CHECK(mutf7_to_utf8("~peter/mail/&U,BTFw-/&ZeVnLIqe-") ==
        "~peter/mail/\xE5\x8F\xB0\xE5\x8C\x97/\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E");
  CHECK(mutf7_to_utf8("a&-b") == "a&b");
  CHECK(mutf7_to_utf8("plain") == "plain");
  CHECK(mutf7_to_utf8("") == "");
  // U+1F600 as a surrogate pair (D83D DE00).
  CHECK(mutf7_to_utf8("&2D3eAA-") == "\xF0\x9F\x98\x80");
}

TEST_CASE("mutf7: malformed input is kept as is") {
  CHECK(mutf7_to_utf8("&APw") == "&APw");      // unterminated
  CHECK(mutf7_to_utf8("&AP!-x") == "&AP!-x");  // outside the alphabet
  CHECK(mutf7_to_utf8("&APx-") == "&APx-");    // non-zero padding bits
  CHECK(mutf7_to_utf8("&AC8-") == "&AC8-");    // encodes ASCII '/'
  CHECK(mutf7_to_utf8("&AAA-") == "&AAA-");    // encodes NUL
  CHECK(mutf7_to_utf8("&2D0-") == "&2D0-");    // lone high surrogate
  CHECK(mutf7_to_utf8("&3gA-") == "&3gA-");    // lone low surrogate
  CHECK(mutf7_to_utf8("&&&---") == "&&&---");
  std::string big(100000, '&');
  CHECK(mutf7_to_utf8(big) == big);
}

TEST_CASE("display names") {
  CHECK(display_name("user.fred.Entw&APw-rfe") == "user/fred/Entw\xC3\xBCrfe");
  CHECK(display_name("user.fred.Sent") == "user/fred/Sent");
  CHECK(display_name("user.fred.a^b") == "user/fred/a.b");
  CHECK(display_name("user.fred.Work Projects.2026") == "user/fred/Work Projects/2026");
  CHECK(display_name("DELETED.user.fred.Trash.5F3A2B1C") == "DELETED/user/fred/Trash/5F3A2B1C");
  CHECK(display_name("example.com!user.fred.Sent") == "user/fred/Sent@example.com");
  CHECK(display_name("shared") == "shared");
  CHECK(display_name("") == "");
}

TEST_CASE("display names of hostile names are valid UTF-8 and never crash") {
  CHECK(display_name(std::string("user.a\x01\x7f", 8)) == "user/a\xEF\xBF\xBD\xEF\xBF\xBD");
  CHECK(display_name("user.\xff\xfe") == "user/\xEF\xBF\xBD\xEF\xBF\xBD");
  CHECK(display_name("user.\xC0\xAF") == "user/\xEF\xBF\xBD\xEF\xBF\xBD");  // overlong '/'
  CHECK(display_name("..") == "//");
  CHECK(display_name("!!!") == "!!");
  std::string longname(200000, 'x');
  longname[1000] = '.';
  CHECK(display_name(longname).size() == longname.size());
  CHECK(display_name(std::string("a\0b", 3)) ==
        "a\xEF\xBF\xBD"
        "b");
}

TEST_CASE("deleted names and original names") {
  CHECK(is_deleted_name("DELETED.user.fred.Trash.5F3A2B1C"));
  CHECK(is_deleted_name("example.com!DELETED.user.fred.5F3A2B1C"));
  CHECK_FALSE(is_deleted_name("user.fred.DELETED"));
  CHECK_FALSE(is_deleted_name("DELETED"));
  CHECK_FALSE(is_deleted_name("DELETEDX.user"));
  CHECK(is_deleted_name("Trash.user.fred.5F", "Trash"));
  CHECK(original_name("DELETED.user.fred.Trash.5F3A2B1C") == "user.fred.Trash");
  CHECK(original_name("example.com!DELETED.user.fred.5F3A2B1C") == "example.com!user.fred");
  CHECK(original_name("DELETED.user.fred.Trash.nothex") == std::nullopt);
  CHECK(original_name("DELETED.5F3A2B1C") == std::nullopt);
  CHECK(original_name("DELETED..5F") == std::nullopt);
  CHECK(original_name("user.fred") == std::nullopt);
}

TEST_CASE("3.6 dbnames") {
  CHECK(internal_from_dbname("user\x1F"
                             "fred\x1FSent") == "user.fred.Sent");
  CHECK(internal_from_dbname("example.com\x1Duser\x1F"
                             "fred") == "example.com!user.fred");
  CHECK(internal_from_dbname("DELETED\x1Fuser\x1F"
                             "fred\x1F"
                             "5F3A2B1C") == "DELETED.user.fred.5F3A2B1C");
  CHECK(internal_from_dbname("a\x1D"
                             "b\x1D"
                             "c") ==
        "a!b\x1D"
        "c");
}

TEST_CASE("dir_hash_c") {
  CHECK(dir_hash_c("fred", false) == 'f');
  CHECK(dir_hash_c("Fred", false) == 'f');
  CHECK(dir_hash_c("1abc", false) == 'q');
  CHECK(dir_hash_c("", false) == 'q');
  // Values seen in the real Cyrus 3.6 fixture (fulldirhash: yes).
  CHECK(dir_hash_c("fred", true) == 'E');
  CHECK(dir_hash_c("user", true) == 'C');
  CHECK(dir_hash_c("alice", true) == 'L');
  CHECK(dir_hash_c("shared", true) == 'T');
  CHECK(dir_hash_c("announce", true) == 'B');
  CHECK(dir_hash_c("fred.Sent", true) == 'E');  // stops at '.'
  char h = dir_hash_c(std::string(100000, '\xff'), true);
  CHECK((h >= 'A' && h <= 'W'));
}

TEST_CASE("layout inference") {
  auto g = infer_layout("uuid/3/f/3f0b2c1a-0000");
  CHECK(g.layout == "uuid");
  CHECK(g.uniqueid == "3f0b2c1a-0000");
  CHECK(g.name.empty());
  CHECK(infer_layout("uuid/3/x/3f0b").layout == "unknown");
  CHECK(infer_layout("uuid/3/f").layout == "unknown");

  g = infer_layout("user/fred/Sent");
  CHECK(g.layout == "legacy");
  CHECK(g.name == "user.fred.Sent");
  g = infer_layout("f/user/fred/Sent");
  CHECK(g.layout == "legacy-hashed");
  CHECK(g.name == "user.fred.Sent");
  g = infer_layout("E/user/fred/Entw&APw-rfe");
  CHECK(g.layout == "legacy-fulldirhash");
  CHECK(g.name == "user.fred.Entw&APw-rfe");
  g = infer_layout("C/DELETED/user/fred/Trash/6B0742AF");
  CHECK(g.layout == "legacy-fulldirhash");
  CHECK(g.name == "DELETED.user.fred.Trash.6B0742AF");
  g = infer_layout("T/shared");
  CHECK(g.name == "shared");
  // A single letter that is not the hash is a mailbox name.
  g = infer_layout("x/user/fred");
  CHECK(g.layout == "legacy");
  CHECK(g.name == "x.user.fred");
  // With hints, a matching letter is not stripped when hashing is off.
  g = infer_layout("f/fred", LayoutHints{false, false});
  CHECK(g.name == "f.fred");

  g = infer_layout("domain/e/example.com/f/user/fred");
  CHECK(g.name == "example.com!user.fred");
  CHECK(g.layout == "legacy-hashed");
  g = infer_layout("domain/example.com/user/fred");
  CHECK(g.name == "example.com!user.fred");
  CHECK(infer_layout("").layout == "unknown");
  CHECK(infer_layout("////").layout == "unknown");
  CHECK(infer_layout("../../etc").name == "......etc");
}

TEST_CASE("legacy_dir round trip") {
  CHECK(legacy_dir("user.fred.Sent", false, false) == "user/fred/Sent");
  CHECK(legacy_dir("user.fred.Sent", true, false) == "f/user/fred/Sent");
  CHECK(legacy_dir("user.fred.Sent", true, true) == "E/user/fred/Sent");
  CHECK(legacy_dir("DELETED.user.fred.Trash.6B0742AF", true, true) ==
        "C/DELETED/user/fred/Trash/6B0742AF");
  CHECK(legacy_dir("example.com!user.fred", true, false) == "domain/e/example.com/f/user/fred");
  for (const char* n : {"user.fred.Sent", "shared.announce", "DELETED.user.x.Y.5F"})
    for (bool full : {false, true}) CHECK(infer_layout(legacy_dir(n, true, full)).name == n);
}
