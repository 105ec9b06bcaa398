// reinject (src/salvage/reinject): the names and values sent to the target.
// Appending itself runs against a real Cyrus in tests/cli/reinject_test.sh.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "salvage/reinject.hpp"

using namespace ss::salvage::reinject_detail;

TEST_CASE("reinject: APPEND date-time from the internal date, in UTC") {
  CHECK(imap_date(0) == "\"01-Jan-1970 00:00:00 +0000\"");
  CHECK(imap_date(1550133000) == "\"14-Feb-2019 08:30:00 +0000\"");
  CHECK(imap_date(944820000) == "\"10-Dec-1999 10:00:00 +0000\"");
}

TEST_CASE("reinject: the owner of a mailbox, for SASL proxy authorization") {
  CHECK(owner_of("user.fred") == "fred");
  CHECK(owner_of("user.fred.Sent") == "fred");
  CHECK(owner_of("user.fred^smith.Sent") == "fred.smith");
  CHECK(owner_of("shared.announce").empty());
  CHECK(owner_of("users.fred").empty());
  CHECK(owner_of("user").empty());
}

TEST_CASE("reinject: internal names as the owner sees them") {
  CHECK(imap_name("user.fred", '/') == "INBOX");
  CHECK(imap_name("user.fred.Sent", '/') == "INBOX/Sent");
  CHECK(imap_name("user.fred.Work Projects.2026", '/') == "INBOX/Work Projects/2026");
  CHECK(imap_name("user.fred.v1^2", '/') == "INBOX/v1.2");
  CHECK(imap_name("user.fred.Entw&APw-rfe", '/') == "INBOX/Entw&APw-rfe");  // modified UTF-7 kept
  CHECK(imap_name("user.fred.Sent", '.') == "INBOX.Sent");
  CHECK(imap_name("shared.announce", '/') == "shared/announce");
}

TEST_CASE("reinject: quarantine folders keep the original path") {
  CHECK(quarantine_of("user.fred.Projects") == "user.fred.Recovered by spoolsalvage.Projects");
  CHECK(quarantine_of("user.fred.A.B") == "user.fred.Recovered by spoolsalvage.A.B");
  CHECK(quarantine_of("user.fred") == "user.fred.Recovered by spoolsalvage.INBOX");
  CHECK(quarantine_of("shared.x") == "Recovered by spoolsalvage.shared.x");
  CHECK(imap_name(quarantine_of("user.fred.Projects"), '/') ==
        "INBOX/Recovered by spoolsalvage/Projects");
}

TEST_CASE("reinject: APPENDUID uid-sets") {
  CHECK(uid_set("7") == std::vector<std::uint64_t>{7});
  CHECK(uid_set("5:7") == std::vector<std::uint64_t>{5, 6, 7});
  CHECK(uid_set("7:5") == std::vector<std::uint64_t>{5, 6, 7});
  CHECK(uid_set("1,3:4") == std::vector<std::uint64_t>{1, 3, 4});
  CHECK(uid_set("").empty());
  CHECK(uid_set("1,").empty() == false);  // a trailing comma ends the set
  CHECK(uid_set("a").empty());
  CHECK(uid_set("1:").empty());
  CHECK(uid_set("1:99999999").empty());  // a hostile range is not expanded
  CHECK(uid_set("99999999999999999999").empty());
}

TEST_CASE("reinject: keywords that can be sent as flags") {
  CHECK(is_flag_atom("$Label1"));
  CHECK(is_flag_atom("ProjectX"));
  CHECK_FALSE(is_flag_atom(""));
  CHECK_FALSE(is_flag_atom("two words"));
  CHECK_FALSE(is_flag_atom("a(b"));
  CHECK_FALSE(is_flag_atom("a]"));
  CHECK_FALSE(is_flag_atom("caf\xc3\xa9"));
  CHECK_FALSE(is_flag_atom(std::string(201, 'x')));
}
