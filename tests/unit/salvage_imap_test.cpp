// --not-in imap[s]:// (src/salvage/other_side_imap): the URL, the IMAP
// response parser on good, odd and hostile responses, quoting, and internal
// names. The reading itself runs against a real Cyrus in
// tests/cli/live_not_in_test.sh.
#include <doctest/doctest.h>

#include <string>

#include "salvage/other_side_imap.hpp"

using namespace ss;
using namespace ss::salvage;
using imap::Response;
using imap::Value;

namespace {

imap::Parsed parse(std::string_view s) {
  return imap::parse_responses(s);
}

}  // namespace

TEST_CASE("imap URL: parts, defaults, percent-decoding; the password never shown") {
  CHECK(is_imap_url("imap://h"));
  CHECK(is_imap_url("IMAPS://h"));
  CHECK_FALSE(is_imap_url("/images/imap.img"));
  CHECK_FALSE(is_imap_url("imap:/h"));

  auto a = parse_imap_url("imap://cyrus:s%40cr%3At@mail.example.org:1143/");
  REQUIRE(a);
  CHECK_FALSE(a->tls);
  CHECK(a->host == "mail.example.org");
  CHECK(a->port == 1143);
  CHECK(a->user == "cyrus");
  REQUIRE(a->password);
  CHECK(*a->password == "s@cr:t");
  CHECK(a->display() == "imap://cyrus@mail.example.org:1143");

  auto b = parse_imap_url("imaps://admin@[2001:db8::1]");
  REQUIRE(b);
  CHECK(b->tls);
  CHECK(b->port == 993);
  CHECK(b->host == "2001:db8::1");
  CHECK_FALSE(b->password);
  CHECK(b->display() == "imaps://admin@[2001:db8::1]:993");

  auto c = parse_imap_url("imap://u:@h");  // an empty password is a password
  REQUIRE(c);
  REQUIRE(c->password);
  CHECK(c->password->empty());
  CHECK(parse_imap_url("imap://h")->port == 143);
  CHECK(parse_imap_url("imap://h")->user.empty());

  for (const char* bad : {"imap://", "imap://u:p@", "imap://h:0", "imap://h:65536", "imap://h:x",
                          "imap://h:", "imap://h/INBOX", "imap://h?x", "imap://h#x",
                          "imap://u;AUTH=PLAIN@h", "imap://%zz@h", "imap://u:%4@h", "imap://[::1",
                          "imap://[::1]x", "imap://h h", "http://h", "imap://@h"}) {
    auto r = parse_imap_url(bad);
    CHECK_MESSAGE(!r, bad);
    // a problem never repeats the URL (it may hold a password)
    if (!r) CHECK(r.problem().place == "--not-in");
  }
}

TEST_CASE("imap responses: data, status with codes, tagged, continuation") {
  auto p = parse(
      "* OK [CAPABILITY IMAP4rev1 DIGEST=SHA1] ready\r\n"
      "* LIST (\\HasNoChildren) \"/\" \"user/fred/Shared Name\"\r\n"
      "* LIST (\\Noselect) NIL user\r\n"
      "* 7 EXISTS\r\n"
      "* OK [MAILBOXID (rslcwrxo9hgfgkrua766bo45)] Ok\r\n"
      "* OK [PERMANENTFLAGS (\\Deleted \\*)] Ok\r\n"
      "* 3 FETCH (UID 4 DIGEST.SHA1 f4d2a7dee6f17d09c4dcafc732404f8b8011e6d0)\n"
      "+ go ahead\r\n"
      "A003 OK [READ-ONLY] Completed\r\n");
  REQUIRE_FALSE(p.error);
  REQUIRE(p.responses.size() == 9);
  const auto& r = p.responses;
  CHECK(r[0].name == "OK");
  CHECK(r[0].is_status());
  REQUIRE(r[0].code.size() == 3);
  CHECK(r[0].code[2].is_atom("digest=sha1"));
  CHECK(r[0].text == "ready");
  REQUIRE(r[1].values.size() == 3);
  CHECK(r[1].values[0].kind == Value::Kind::list);
  CHECK(r[1].values[1].text == "/");
  CHECK(r[1].values[2].kind == Value::Kind::string);
  CHECK(r[1].values[2].text == "user/fred/Shared Name");
  CHECK(r[2].values[1].kind == Value::Kind::nil);
  CHECK(r[2].values[2].is_atom("user"));
  CHECK(r[3].number == 7u);
  CHECK(r[3].name == "EXISTS");
  REQUIRE(r[4].code.size() == 2);
  CHECK(r[4].code[1].items.at(0).text == "rslcwrxo9hgfgkrua766bo45");
  REQUIRE(r[5].code.size() == 2);
  CHECK(r[5].code[1].items.size() == 2);
  CHECK(r[6].number == 3u);
  REQUIRE(r[6].values.size() == 1);
  CHECK(r[6].values[0].items.size() == 4);
  CHECK(r[7].kind == Response::Kind::continuation);
  CHECK(r[7].text == "go ahead");
  CHECK(r[8].kind == Response::Kind::tagged);
  CHECK(r[8].tag == "A003");
  CHECK(r[8].code.at(0).is_atom("READ-ONLY"));
}

TEST_CASE("imap responses: quoted strings and literals") {
  auto p = parse(
      "* LIST () \"/\" \"a \\\"quoted\\\" \\\\ name\"\r\n"
      "* LIST () \"/\" {11}\r\nline1\r\nx(\"y\r\n"
      "A1 OK done\r\n");
  REQUIRE_FALSE(p.error);
  REQUIRE(p.responses.size() == 3);
  CHECK(p.responses[0].values[2].text == "a \"quoted\" \\ name");
  CHECK(p.responses[1].values[2].text == "line1\r\nx(\"y");

  std::string s = "* 1 FETCH (UID 9 BODY[]<0> {5}\r\n";
  s += std::string("\0\r\n)\x80", 5);
  s += " BODY[HEADER.FIELDS (SUBJECT FROM)] NIL)\r\n* 2 FETCH (BINARY[] ~{2}\r\nab)\r\nA1 OK "
       "done\r\n";
  auto q = parse(s);
  REQUIRE_FALSE(q.error);
  REQUIRE(q.responses.size() == 3);
  const auto& f = q.responses[0].values.at(0).items;
  REQUIRE(f.size() == 6);
  CHECK(f[2].text == "BODY[]<0>");
  CHECK(f[3].text == std::string("\0\r\n)\x80", 5));
  CHECK(f[4].text == "BODY[HEADER.FIELDS (SUBJECT FROM)]");
  CHECK(f[5].kind == Value::Kind::nil);
  CHECK(q.responses[1].values.at(0).items.at(1).text == "ab");
}

TEST_CASE("imap responses: hostile input is an error, never a crash or a read past the end") {
  const char* bad[] = {
      "* LIST () \"/\" \"unterminated\r\n",
      "* LIST () \"/\" \"ends",
      "* LIST () \"/\" {100}\r\nshort\r\n",
      "* LIST () \"/\" {99999999999999999999}\r\n",
      "* LIST () \"/\" {12x}\r\n",
      "* LIST () \"/\" {}\r\n",
      "* LIST () \"/\" {3}",
      "* LIST () \"/\" {3}\rabc\r\n",
      "* FETCH (UID 1\r\n",
      "* FETCH UID 1)\r\n",
      "* OK [MAILBOXID (x)\r\n",
      "* 1 FETCH (BODY[HEADER\r\n",
      "* no line end",
      "*\r\n",
      "*X\r\n",
      "* \r\n",
      "A1 MAYBE\r\n",
      "A1\r\n",
      "A+1 OK\r\n",
      "* 123456789012345678901 EXISTS\r\n",
      "* 12EXISTS\r\n",
      "* LIST () \"/\" a\rb\r\n",
  };
  for (const char* b : bad) {
    auto p = parse(b);
    CHECK_MESSAGE(p.error.has_value(), b);
  }
  std::string deep = "* X " + std::string(imap::kMaxDepth + 5, '(') + "\r\n";
  auto d = parse(deep);
  REQUIRE(d.error);
  CHECK(d.error->find("nested") != std::string::npos);
  std::string many = "* X (";
  for (std::size_t i = 0; i < imap::kMaxValues + 1; ++i) many += "a ";
  many += ")\r\n";
  CHECK(parse(many).error);
  // what came before the bad response is kept
  auto k = parse("* 1 EXISTS\r\n* LIST () \"/\" {9}\r\nx\r\n");
  CHECK(k.error);
  CHECK(k.responses.size() == 1);
  CHECK(parse("").responses.empty());
  CHECK_FALSE(parse("").error);
}

TEST_CASE("imap quoting and internal names") {
  CHECK(imap::quote("user/fred/Shared Name") == "\"user/fred/Shared Name\"");
  CHECK(imap::quote("a\"b\\c") == "\"a\\\"b\\\\c\"");
  CHECK(imap::quote("100%") == "\"100%\"");
  CHECK_FALSE(imap::quote("a\r\nb"));
  CHECK_FALSE(imap::quote(std::string("a\0b", 3)));
  CHECK_FALSE(imap::quote("caf\xc3\xa9"));

  CHECK(imap::internal_from_imap("user/fred/Entw&APw-rfe", '/') == "user.fred.Entw&APw-rfe");
  CHECK(imap::internal_from_imap("user/john.doe/a.b", '/') == "user.john^doe.a^b");
  CHECK(imap::internal_from_imap("DELETED/user/fred/Trash/6B07683E", '/') ==
        "DELETED.user.fred.Trash.6B07683E");
  CHECK(imap::internal_from_imap("user.fred.a^b", '.') == "user.fred.a^b");
}

TEST_CASE("reading a server: no user, no server") {
  ImapServer s;
  s.host = "127.0.0.1";
  s.port = 1;
  auto r = read_other_side_imap(s, {});
  REQUIRE_FALSE(r);
  CHECK(r.problem().code == Code::other_side_imap_failed);
  s.user = "cyrus";
  ImapReadOptions o;
  o.password = "secret-pw";
  o.connect_timeout_s = 5;
  auto r2 = read_other_side_imap(s, o);  // nothing listens on port 1
  REQUIRE_FALSE(r2);
  CHECK(r2.problem().code == Code::other_side_imap_failed);
  CHECK(r2.problem().describe().find("secret-pw") == std::string::npos);
}
