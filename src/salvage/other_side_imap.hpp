// salvage/: "the other side" (DESIGN.md "The other side holds it") read from
// a live Cyrus server over IMAP — the new master, still in service — instead
// of from its evidence. Produces the same OtherSide as read_other_side(): the
// GUID of every message of every mailbox there that is not deleted, and the
// mailboxes by uniqueid (live / deleted) and by internal name.
//
// How: libcurl connects, verifies TLS and logs in (CURLOPT_CONNECT_ONLY:
// greeting, CAPABILITY, SASL); the commands then go over that connection
// (curl_easy_send/recv), each answer read up to its tag by the parser below.
// Not CURLOPT_CUSTOMREQUEST: Debian 12's libcurl 7.88.1 counts IMAP response
// lines against its 300 KB header limit many times over and fails any answer
// of more than a few dozen lines; nor does that path frame literals.
//  - LIST "" "*" as the given user. An admin sees every user's mailboxes and
//    the DELETED.* ones (delete_mode: delayed), which count as deleted.
//  - Per live mailbox: STATUS (MAILBOXID) (RFC 8474; asked alone: Cyrus
//    3.6.1 answers garbage when MAILBOXID is asked together with other
//    items), EXAMINE — read-only, never SELECT: the server must not change —
//    whose MAILBOXID response code is the uniqueid, then UID FETCH
//    (DIGEST.SHA1), Cyrus's message GUID. Without DIGEST.SHA1 (or with
//    hash_bodies) each message's bytes are fetched with BODY.PEEK[] in
//    bounded pieces and hashed here.
//  - A Cyrus admin has no read right on users' mailboxes: they are read by
//    SASL PLAIN proxy authorization as their owner (authzid = owner, only
//    when the owner's INBOX is listed, so that no INBOX is auto-created).
//  - Deleted mailboxes: uniqueid from Cyrus's annotation
//    /shared/vendor/cmu/cyrus-imapd/uniqueid (admin), else STATUS.
//
// What IMAP cannot show: expunged-but-present records. A message the user
// expunged there on purpose looks stranded; the finding
// other-side.imap-expunged-invisible says so in every such run.
//
// Every response is parsed with bounds checks (atoms, quoted strings,
// literals {n}, NIL, lists, response codes; nesting, sizes and counts are
// limited); anything unexpected becomes a finding and that part is not used.
// Never prints; the password is never put into a finding or an error.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "salvage/other_side.hpp"

namespace ss::salvage {

// True for "imap://..." and "imaps://..." (scheme case-insensitive).
bool is_imap_url(std::string_view s);

struct ImapServer {
  bool tls = false;  // imaps://: TLS from the first byte
  std::string host;  // an IPv6 address without its brackets
  std::uint16_t port = 143;
  std::string user;                     // percent-decoded; empty: none given
  std::optional<std::string> password;  // percent-decoded, from the URL
  // "imaps://user@host:port": for reports; never holds the password.
  std::string display() const;
};

// imap[s]://[user[:password]@]host[:port][/] — user and password
// percent-encoded as in any URL. A mailbox path, ;AUTH=, a query or a
// fragment is refused (the whole server is read).
Result<ImapServer> parse_imap_url(std::string_view url);

struct ImapReadOptions {
  std::string password;       // when the URL holds none (file, environment)
  bool insecure_tls = false;  // imaps: verify neither certificate nor host name
  std::string ca_file;        // imaps: trust these CA certificates (PEM), not the system's
  bool starttls = false;      // imap://: upgrade to TLS with STARTTLS, or fail
  bool keep_records = false;  // keep every live mailbox's uids, GUIDs and flags (diff)
  bool hash_bodies = false;   // hash every message's bytes, even with DIGEST.SHA1
  long connect_timeout_s = 30;
  long response_timeout_s = 120;  // a server silent this long is given up
};

// The problem: the server cannot be reached, TLS or the login fails, or LIST
// is refused — the other side is unknown. Otherwise the other side with its
// findings.
Result<OtherSide> read_other_side_imap(const ImapServer& server, const ImapReadOptions& opt);

// The response parser, exposed for tests and the fuzz harness.
namespace imap {

inline constexpr std::size_t kMaxDepth = 64;               // nested lists
inline constexpr std::size_t kMaxValues = 1u << 20;        // values in one response
inline constexpr std::size_t kMaxStreamValues = 1u << 24;  // values in one parse (memory)

struct Value {
  enum class Kind : std::uint8_t { atom, string, nil, list };
  Kind kind = Kind::atom;
  std::string text;                        // atom or string (quoted, unescaped; or literal)
  std::vector<Value> items;                // list
  bool is_atom(std::string_view a) const;  // case-insensitive
  bool is_string_like() const { return kind == Kind::atom || kind == Kind::string; }
};

struct Response {
  enum class Kind : std::uint8_t { untagged, tagged, continuation };
  Kind kind = Kind::untagged;
  std::string tag;                      // tagged responses
  std::optional<std::uint64_t> number;  // "* 12 EXISTS", "* 3 FETCH (...)"
  std::string name;                     // upper case: OK NO BAD BYE PREAUTH LIST FETCH ...
  std::vector<Value> values;            // data: everything after the name
  std::vector<Value> code;              // status: the [...] response code, tokenised
  std::string text;                     // status and continuation: the text
  std::size_t offset = 0;               // in the stream
  bool is_status() const;
};

struct Parsed {
  std::vector<Response> responses;
  std::optional<std::string> error;  // the first thing that is not IMAP, with its offset
  bool incomplete = false;           // the error is only that the input ends inside a response
  std::size_t need = 0;              // incomplete inside a literal: the input size it needs
  std::size_t consumed = 0;          // bytes of the complete responses
};

// Server responses as received, one after the other (CRLF or LF line ends).
// Parsing stops at the first malformed or incomplete response.
Parsed parse_responses(std::string_view stream);

// A quoted string, or nullopt when s cannot be quoted (CR, LF, NUL, 8-bit).
std::optional<std::string> quote(std::string_view s);

// A Cyrus internal name from an IMAP name: hierarchy delimiter → '.', and
// '.' inside a level → '^' (Cyrus's unixhierarchysep convention).
std::string internal_from_imap(std::string_view name, char delimiter);

}  // namespace imap

}  // namespace ss::salvage
