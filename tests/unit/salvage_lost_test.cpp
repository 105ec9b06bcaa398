// Pieces of the lost-mail search that stand alone: what a block that begins
// a message looks like (carving), and what a message's header says
// (OUT/unmatched/).
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "salvage/carve.hpp"
#include "spool/message_header.hpp"

namespace {

ss::ByteView view(const std::string& s) {
  return ss::ByteView(reinterpret_cast<const std::byte*>(s.data()), s.size());
}

}  // namespace

TEST_CASE("a block that begins like a message header") {
  using ss::salvage::looks_like_header_start;
  CHECK(looks_like_header_start(view("Return-Path: <a@b>\r\n")));
  CHECK(looks_like_header_start(view("X-Sieve: CMU Sieve 3.0\r\n")));
  CHECK(looks_like_header_start(view("From:a@b")));
  CHECK_FALSE(looks_like_header_start(view(": no name\r\n")));
  CHECK_FALSE(looks_like_header_start(view("From a@b Mon Jan 1\n")));  // an mbox separator
  CHECK_FALSE(looks_like_header_start(view(std::string(4096, '\0'))));
  CHECK_FALSE(looks_like_header_start(view("Received")));             // no colon in the block
  CHECK_FALSE(looks_like_header_start(view(std::string(100, 'a') + ":")));  // too long a name
  CHECK_FALSE(looks_like_header_start(view("")));
}

TEST_CASE("what a message header says") {
  const std::string msg =
      "Return-Path: <carol@example.net>\r\n"
      "From: Carol\r\n <carol@example.net>\r\n"
      "To: fred@example.org\r\n"
      "subject: Lunch\r\n\ton Friday?\r\n"
      "Date: Mon, 01 Jun 2020 10:00:00 +0200\r\n"
      "Message-ID: <x@y>\r\n"
      "From: second@example.net\r\n"
      "\r\n"
      "Subject: in the body\r\n";
  auto h = ss::spool::summarize_header(view(msg));
  CHECK(h.looks_like_message);
  CHECK(h.from == "Carol <carol@example.net>");
  CHECK(h.to == "fred@example.org");
  CHECK(h.subject == "Lunch on Friday?");
  CHECK(h.date == "Mon, 01 Jun 2020 10:00:00 +0200");
  CHECK(h.message_id == "<x@y>");

  SUBCASE("not a header") {
    CHECK_FALSE(ss::spool::summarize_header(view("\xA1\x02\x8B\x0D" "Cyrus mailbox header\n")).looks_like_message);
    CHECK_FALSE(ss::spool::summarize_header(view("X-Only: a field we do not show\r\n\r\n")).looks_like_message);
    CHECK_FALSE(ss::spool::summarize_header(view("")).looks_like_message);
  }
  SUBCASE("bytes outside printable ASCII and long values") {
    auto g = ss::spool::summarize_header(view("Subject: caf\xC3\xA9 " + std::string(300, 'x') + "\r\n"));
    CHECK(g.subject.starts_with("caf?? x"));
    CHECK(g.subject.size() == 200);
  }
  SUBCASE("a header cut short keeps what it has") {
    auto g = ss::spool::summarize_header(view("From: a@b\r\nSubj"));
    CHECK(g.from == "a@b");
    CHECK(g.looks_like_message);
  }
}

TEST_CASE("what a cached IMAP envelope says") {
  using ss::spool::summarize_envelope;
  auto e = summarize_envelope(
      "(\"Mon, 01 Jun 2020 10:00:00 +0200\" \"Lunch \\\"on\\\" Friday?\" "
      "((\"Carol\" NIL \"carol\" \"example.net\")) ((\"Carol\" NIL \"carol\" \"example.net\")) "
      "((\"Carol\" NIL \"carol\" \"example.net\")) ((NIL NIL \"fred\" \"example.org\")) NIL NIL "
      "NIL \"<fixture-003@example.org>\")");
  CHECK(e.looks_like_message);
  CHECK(e.date == "Mon, 01 Jun 2020 10:00:00 +0200");
  CHECK(e.subject == "Lunch \"on\" Friday?");
  CHECK(e.from == "carol@example.net");
  CHECK(e.to == "fred@example.org");
  CHECK(e.message_id == "<fixture-003@example.org>");
  // A literal, and NIL where a field is absent.
  auto l = summarize_envelope("(NIL {5}\r\nhello NIL NIL NIL NIL NIL NIL NIL NIL)");
  CHECK(l.subject == "hello");
  CHECK(l.message_id.empty());
  // Damaged or hostile: nothing, never a crash.
  for (const char* bad : {"", "(", "(\"unterminated", "({999999}\r\nx)", "(((((((((((((((((((())))))))))))))))))))",
                          "(a b c)", "NIL"})
    CHECK_FALSE(summarize_envelope(bad).looks_like_message);
}
