#include "salvage/other_side_imap.hpp"

#include <curl/curl.h>
#include <fmt/format.h>
#include <poll.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <set>

#include "core/sha1.hpp"
#include "salvage/imap_session.hpp"

namespace ss::salvage {

namespace {

char lower(char c) {
  return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
}
char upper(char c) {
  return static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                            [](char x, char y) { return lower(x) == lower(y); });
}

bool istarts_with(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

std::string upper_of(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = upper(c);
  return out;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

// ---------------------------------------------------------------------------
// URL
// ---------------------------------------------------------------------------

bool is_imap_url(std::string_view s) {
  return istarts_with(s, "imap://") || istarts_with(s, "imaps://");
}

std::string ImapServer::display() const {
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return fmt::format("{}://{}{}:{}", tls ? "imaps" : "imap", user.empty() ? "" : user + "@", h,
                     port);
}

namespace {

Finding url_problem(std::string detail) {
  return Finding{Code::other_side_imap_failed, "--not-in", std::move(detail)};
}

std::optional<std::string> percent_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    if (i + 2 >= s.size()) return std::nullopt;
    int hi = hex_value(s[i + 1]), lo = hex_value(s[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

}  // namespace

Result<ImapServer> parse_imap_url(std::string_view url) {
  ImapServer s;
  std::string_view rest;
  if (istarts_with(url, "imaps://")) {
    s.tls = true;
    s.port = 993;
    rest = url.substr(8);
  } else if (istarts_with(url, "imap://")) {
    rest = url.substr(7);
  } else {
    return url_problem("not an imap:// or imaps:// URL");
  }
  for (char c : rest)
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f)
      return url_problem("the URL holds a blank or control character");
  if (rest.find_first_of("?#") != std::string_view::npos)
    return url_problem(
        "a query or fragment is not supported in the URL (percent-encode ? and # "
        "in a password: %3F, %23)");
  auto slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  if (slash != std::string_view::npos && slash + 1 != rest.size())
    return url_problem(
        "the URL names a mailbox; give only the server, the whole server is read "
        "(percent-encode / in a password: %2F)");
  auto at = authority.rfind('@');
  std::string_view hostport = authority;
  if (at != std::string_view::npos) {
    std::string_view userinfo = authority.substr(0, at);
    hostport = authority.substr(at + 1);
    auto colon = userinfo.find(':');
    std::string_view u = userinfo.substr(0, colon);
    if (u.find(';') != std::string_view::npos)
      return url_problem(";AUTH= in the URL is not supported (libcurl chooses the mechanism)");
    auto du = percent_decode(u);
    if (!du || du->empty() || du->find_first_of(std::string_view("\0\r\n", 3)) != std::string::npos)
      return url_problem(
          "the user in the URL is empty, badly percent-encoded or holds CR, LF, NUL");
    s.user = *du;
    if (colon != std::string_view::npos) {
      auto dp = percent_decode(userinfo.substr(colon + 1));
      if (!dp || dp->find_first_of(std::string_view("\0\r\n", 3)) != std::string::npos)
        return url_problem("the password in the URL is badly percent-encoded or holds CR, LF, NUL");
      s.password = *dp;
    }
  }
  std::string_view port;
  if (!hostport.empty() && hostport.front() == '[') {
    auto close = hostport.find(']');
    if (close == std::string_view::npos) return url_problem("unterminated [IPv6 address]");
    s.host = std::string(hostport.substr(1, close - 1));
    auto after = hostport.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return url_problem("junk after the [IPv6 address]");
      port = after.substr(1);
      if (port.empty()) return url_problem("empty port");
    }
  } else {
    auto colon = hostport.rfind(':');
    s.host = std::string(hostport.substr(0, colon));
    if (colon != std::string_view::npos) {
      port = hostport.substr(colon + 1);
      if (port.empty()) return url_problem("empty port");
    }
    if (s.host.find_first_of("[]:@") != std::string::npos)
      return url_problem("the host name is malformed");
  }
  if (s.host.empty()) return url_problem("the URL names no host");
  if (!port.empty()) {
    unsigned v = 0;
    auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), v);
    if (ec != std::errc() || p != port.data() + port.size() || v == 0 || v > 65535)
      return url_problem("the port is not a number from 1 to 65535");
    s.port = static_cast<std::uint16_t>(v);
  }
  return s;
}

// ---------------------------------------------------------------------------
// Response parser
// ---------------------------------------------------------------------------

namespace imap {

bool Value::is_atom(std::string_view a) const {
  return kind == Kind::atom && iequals(text, a);
}

bool Response::is_status() const {
  return name == "OK" || name == "NO" || name == "BAD" || name == "BYE" || name == "PREAUTH";
}

namespace {

bool is_ctl(char c) {
  auto u = static_cast<unsigned char>(c);
  return u < 0x20 || u == 0x7f;
}

class Parser {
 public:
  explicit Parser(std::string_view s) : s_(s) {}

  Parsed run() {
    Parsed out;
    while (pos_ < s_.size()) {
      Response r;
      r.offset = pos_;
      if (!response(r)) {
        out.error = err_;
        out.incomplete = incomplete_;
        out.need = need_;
        break;
      }
      out.responses.push_back(std::move(r));
      out.consumed = pos_;
    }
    return out;
  }

 private:
  std::string_view s_;
  std::size_t pos_ = 0;
  std::size_t values_ = 0, all_values_ = 0;
  std::string err_;
  bool incomplete_ = false;  // failed only for want of more input
  std::size_t need_ = 0;

  bool end() const { return pos_ >= s_.size(); }
  bool at(char c) const { return pos_ < s_.size() && s_[pos_] == c; }
  bool at_eol() const { return at('\r') || at('\n'); }

  // A failure at the end of the input is only "incomplete": more may come.
  bool fail(std::string_view what) {
    if (err_.empty()) {
      err_ = fmt::format("{} at byte {} of the response", what, pos_);
      incomplete_ = end();
    }
    return false;
  }

  bool eol() {
    if (at('\n')) {
      ++pos_;
      return true;
    }
    if (at('\r') && pos_ + 1 < s_.size() && s_[pos_ + 1] == '\n') {
      pos_ += 2;
      return true;
    }
    if (at('\r') && pos_ + 1 == s_.size()) {
      ++pos_;  // the LF may be on its way
      return fail("the response ends without a line end");
    }
    return fail(end() ? "the response ends without a line end" : "expected the end of the line");
  }

  void skip_spaces() {
    while (at(' ')) ++pos_;
  }

  bool atom_char(char c, bool in_code) const {
    if (is_ctl(c) || c == ' ' || c == '(' || c == ')' || c == '{' || c == '"') return false;
    return !(in_code && c == ']');
  }

  // An atom; "[...]" inside it (BODY[HEADER.FIELDS (A B)]) may hold blanks
  // and parentheses.
  bool atom(std::string& out, bool in_code) {
    std::size_t start = pos_;
    while (!end()) {
      char c = s_[pos_];
      if (c == '[' && !in_code) {
        auto close = s_.find(']', pos_);
        if (close == std::string_view::npos ||
            s_.substr(pos_, close - pos_).find_first_of("\r\n") != std::string_view::npos)
          return fail("unterminated [ in an atom");
        pos_ = close + 1;
        continue;
      }
      if (!atom_char(c, in_code)) break;
      ++pos_;
    }
    if (pos_ == start)
      return fail(end() ? "the response ends where a value is expected"
                        : "expected an atom, string, literal or list");
    out.assign(s_.substr(start, pos_ - start));
    return true;
  }

  bool quoted(std::string& out) {
    ++pos_;  // "
    while (true) {
      if (end() || at_eol()) return fail("unterminated quoted string");
      char c = s_[pos_++];
      if (c == '"') return true;
      if (c == '\\') {
        if (end() || at_eol()) return fail("unterminated quoted string");
        c = s_[pos_++];
      }
      out += c;
    }
  }

  bool literal(std::string& out) {
    if (at('~')) ++pos_;
    ++pos_;  // {
    std::uint64_t n = 0;
    std::size_t digits = 0;
    while (!end() && s_[pos_] >= '0' && s_[pos_] <= '9') {
      if (++digits > 18) return fail("a literal length with too many digits");
      n = n * 10 + static_cast<std::uint64_t>(s_[pos_] - '0');
      ++pos_;
    }
    if (digits == 0) return fail("a literal without a length");
    if (at('+')) ++pos_;
    if (!at('}')) return fail("a malformed literal length");
    ++pos_;
    if (!eol()) return false;
    if (n > s_.size() - pos_) {
      bool first = err_.empty();
      fail(fmt::format("a literal of {} bytes, but only {} bytes follow", n, s_.size() - pos_));
      if (first) {
        incomplete_ = true;
        need_ = pos_ + static_cast<std::size_t>(n);
      }
      return false;
    }
    out.assign(s_.substr(pos_, static_cast<std::size_t>(n)));
    pos_ += static_cast<std::size_t>(n);
    return true;
  }

  bool value(Value& v, std::size_t depth, bool in_code) {
    if (++values_ > kMaxValues) return fail("too many values in one response");
    if (++all_values_ > kMaxStreamValues) return fail("too many values in one command's responses");
    if (end()) return fail("the response ends where a value is expected");
    char c = s_[pos_];
    if (c == '(') {
      if (depth >= kMaxDepth) return fail("lists nested too deep");
      ++pos_;
      v.kind = Value::Kind::list;
      while (true) {
        skip_spaces();
        if (at(')')) {
          ++pos_;
          return true;
        }
        if (end() || at_eol()) return fail("unterminated list");
        Value item;
        if (!value(item, depth + 1, in_code)) return false;
        v.items.push_back(std::move(item));
      }
    }
    if (c == '"') {
      v.kind = Value::Kind::string;
      return quoted(v.text);
    }
    if (c == '{' || (c == '~' && pos_ + 1 < s_.size() && s_[pos_ + 1] == '{')) {
      v.kind = Value::Kind::string;
      return literal(v.text);
    }
    if (c == ')') return fail("unbalanced )");
    v.kind = Value::Kind::atom;
    if (!atom(v.text, in_code)) return false;
    if (iequals(v.text, "NIL")) {
      v.kind = Value::Kind::nil;
      v.text.clear();
    }
    return true;
  }

  bool text(std::string& out) {
    std::size_t start = pos_;
    while (!end() && !at_eol()) ++pos_;
    out.assign(s_.substr(start, pos_ - start));
    return true;
  }

  // After the status word: [SP "[" code "]"] [SP text]
  bool status_rest(Response& r) {
    if (at_eol()) return true;
    if (!at(' ')) return fail("expected a blank after the status");
    ++pos_;
    if (at('[')) {
      ++pos_;
      while (true) {
        skip_spaces();
        if (at(']')) {
          ++pos_;
          break;
        }
        if (end() || at_eol()) return fail("unterminated response code");
        Value v;
        if (!value(v, 1, true)) return false;
        r.code.push_back(std::move(v));
      }
      if (at(' ')) ++pos_;
    }
    return text(r.text);
  }

  bool data_rest(Response& r) {
    while (true) {
      skip_spaces();
      if (end() || at_eol()) return true;
      Value v;
      if (!value(v, 0, false)) return false;
      r.values.push_back(std::move(v));
    }
  }

  bool response(Response& r) {
    values_ = 0;
    if (at('+')) {
      r.kind = Response::Kind::continuation;
      ++pos_;
      if (at(' ')) ++pos_;
      text(r.text);
      return eol();
    }
    if (at('*')) {
      r.kind = Response::Kind::untagged;
      ++pos_;
      if (!at(' ')) return fail("expected a blank after *");
      ++pos_;
      if (!end() && s_[pos_] >= '0' && s_[pos_] <= '9') {
        std::uint64_t n = 0;
        std::size_t digits = 0;
        while (!end() && s_[pos_] >= '0' && s_[pos_] <= '9') {
          if (++digits > 18) return fail("a number with too many digits");
          n = n * 10 + static_cast<std::uint64_t>(s_[pos_] - '0');
          ++pos_;
        }
        r.number = n;
        if (!at(' ')) return fail("expected a blank after the message number");
        ++pos_;
      }
      std::string name;
      if (!atom(name, true)) return false;
      r.name = upper_of(name);
      if (!(r.is_status() ? status_rest(r) : data_rest(r))) return false;
      return eol();
    }
    r.kind = Response::Kind::tagged;
    if (!atom(r.tag, true)) return false;
    if (r.tag.find_first_of("+[]%*\\") != std::string::npos) return fail("a malformed tag");
    if (!at(' ')) return fail("expected a blank after the tag");
    ++pos_;
    std::string name;
    if (!atom(name, true)) return false;
    r.name = upper_of(name);
    if (r.name != "OK" && r.name != "NO" && r.name != "BAD")
      return fail("a tagged response that is not OK, NO or BAD");
    if (!status_rest(r)) return false;
    return eol();
  }
};

}  // namespace

Parsed parse_responses(std::string_view stream) {
  return Parser(stream).run();
}

std::optional<std::string> quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (u == 0 || u == '\r' || u == '\n' || u >= 0x80) return std::nullopt;
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
  return out;
}

std::string internal_from_imap(std::string_view name, char delimiter) {
  if (delimiter == '.' || delimiter == '\0') return std::string(name);
  std::string out;
  out.reserve(name.size());
  for (char c : name) out += c == delimiter ? '.' : c == '.' ? '^' : c;
  return out;
}

}  // namespace imap

// ---------------------------------------------------------------------------
// One IMAP connection. libcurl connects, does TLS (verifying the server) and
// logs in (CURLOPT_CONNECT_ONLY: greeting, CAPABILITY, SASL); the commands
// then go over that connection with curl_easy_send/recv, each with its own
// tag, and each answer is read up to that tag's completion by the parser
// below. (libcurl's own IMAP command path, CURLOPT_CUSTOMREQUEST, reads
// responses as "header" lines: Debian 12's libcurl 7.88.1 counts them against
// its 300 KB header limit many times over and fails a response of a few
// dozen lines, and it does not frame literals.)
// ---------------------------------------------------------------------------

namespace {

using imap::Reply;
using imap::Response;
using imap::Session;
using imap::Value;
using imap::excerpt;

// Messages are fetched for hashing in pieces of this size: memory does not
// grow with message sizes.
constexpr std::uint64_t kBodyPiece = std::uint64_t{1} << 20;
// Digests are asked for in UID ranges of this width (bounded responses).
constexpr std::uint64_t kUidBatch = 100000;

// ---------------------------------------------------------------------------
// Reading the server
// ---------------------------------------------------------------------------

struct Listed {
  std::string name;      // IMAP name, as listed
  char delimiter = '/';  // '\0': none
  std::string internal;  // Cyrus internal name
  std::string owner;     // userid owning it ("" for shared mailboxes)
  bool deleted = false;  // DELETED.*
};

struct Namespaces {
  bool personal = false;  // the login has a personal namespace (not a Cyrus admin)
  std::string personal_prefix, other_prefix, shared_prefix;
  char delimiter = '/';
};

// RFC 8474 objectid: 1*255 (ALPHA / DIGIT / "_" / "-")
bool is_objectid(std::string_view s) {
  if (s.empty() || s.size() > 255) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
  });
}

std::optional<std::string> sha1_hex(std::string_view s) {
  if (s.size() != 40) return std::nullopt;
  std::string out;
  for (char c : s) {
    if (hex_value(c) < 0) return std::nullopt;
    out += lower(c);
  }
  return out;
}

std::optional<std::uint64_t> number_of(const Value& v) {
  if (v.kind != Value::Kind::atom || v.text.empty() || v.text.size() > 18) return std::nullopt;
  std::uint64_t n = 0;
  for (char c : v.text) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return n;
}

// The value after `key` in a FETCH item list (UID 5 DIGEST.SHA1 ...).
const Value* fetch_item(const Value& list, std::string_view key, bool prefix = false) {
  if (list.kind != Value::Kind::list) return nullptr;
  for (std::size_t i = 0; i + 1 < list.items.size(); i += 2) {
    const Value& k = list.items[i];
    if (k.kind != Value::Kind::atom) return nullptr;
    if (prefix ? istarts_with(k.text, key) : iequals(k.text, key)) return &list.items[i + 1];
  }
  return nullptr;
}

class Reader {
 public:
  Reader(const ImapServer& srv, const ImapReadOptions& opt)
      : srv_(srv), opt_(opt), where_(srv.display()) {
    password_ = srv.password ? *srv.password : opt.password;
  }

  Result<OtherSide> run() {
    main_ = std::make_unique<Session>(srv_, opt_, password_, "");
    auto caps = main_->run("CAPABILITY");
    if (!caps) return caps.problem();
    for (const auto& r : caps->untagged)
      if (r.name == "CAPABILITY")
        for (const auto& v : r.values) caps_.insert(upper_of(v.text));
    if (caps_.empty())
      return Finding{Code::other_side_imap_failed, where_, "no CAPABILITY response"};
    if (!caps_.count("IMAP4REV1") && !caps_.count("IMAP4REV2"))
      return Finding{Code::other_side_imap_failed, where_, "not an IMAP4rev1 server"};
    read_namespaces();
    auto listed = list();
    if (!listed) return listed.problem();

    o_.findings.add(Code::other_side_imap_expunged_invisible, where_);
    if (srv_.tls && opt_.insecure_tls) o_.findings.add(Code::other_side_imap_insecure_tls, where_);
    if (ns_.personal)
      o_.findings.add(Code::other_side_imap_not_admin, where_,
                      fmt::format("logged in as {}, who has a personal namespace", srv_.user));
    if (opt_.hash_bodies) {
      digest_ = false;
      o_.findings.add(Code::other_side_imap_hashed, where_, "--not-in-hash-bodies");
    } else if (!caps_.count("DIGEST=SHA1")) {
      digest_ = false;
      o_.findings.add(Code::other_side_imap_hashed, where_, "the server has no DIGEST=SHA1");
    }

    std::set<std::string> inbox_listed;  // owners whose INBOX the LIST shows
    for (const auto& m : *listed)
      if (!m.owner.empty() &&
          m.internal == "user." + imap::internal_from_imap(m.owner, m.delimiter))
        inbox_listed.insert(m.owner);
    for (const auto& m : *listed) {
      if (m.deleted)
        read_deleted(m);
      else
        read_live(m, inbox_listed.count(m.owner) > 0);
    }
    if (proxied_ > 0)
      o_.findings.add(Code::other_side_imap_proxy, where_,
                      fmt::format("{} mailboxes of {} users", proxied_, proxied_users_.size()));
    o_.flags_known = opt_.keep_records && digest_;  // BODY hashing reads no flags
    return std::move(o_);
  }

 private:
  const ImapServer& srv_;
  const ImapReadOptions& opt_;
  std::string where_;
  std::string password_;
  OtherSide o_;
  std::unique_ptr<Session> main_, proxy_;
  bool proxy_refused_ = false;
  std::set<std::string> caps_;
  Namespaces ns_;
  bool digest_ = true;
  std::uint64_t proxied_ = 0;
  std::set<std::string> proxied_users_;

  std::string at(const Listed& m) const { return fmt::format("{} mailbox {}", where_, m.name); }
  void unexpected(const Listed& m, std::string detail) {
    o_.findings.add(Code::other_side_imap_unexpected, at(m), std::move(detail));
  }

  void read_namespaces() {
    if (!caps_.count("NAMESPACE")) return;
    auto r = main_->run("NAMESPACE");
    if (!r || !r->ok()) return;
    for (const auto& u : r->untagged) {
      if (u.name != "NAMESPACE" || u.values.size() < 3) continue;
      // (("prefix" "delim") ...) or NIL, three times
      auto first = [](const Value& v, std::string& prefix, char& delim) {
        if (v.kind != Value::Kind::list || v.items.empty()) return false;
        const Value& ns = v.items[0];
        if (ns.kind != Value::Kind::list || ns.items.size() < 2) return false;
        if (!ns.items[0].is_string_like()) return false;
        prefix = ns.items[0].text;
        delim = ns.items[1].kind == Value::Kind::string && ns.items[1].text.size() == 1
                    ? ns.items[1].text[0]
                    : '\0';
        return true;
      };
      char d = '/';
      ns_.personal = first(u.values[0], ns_.personal_prefix, d);
      if (ns_.personal) ns_.delimiter = d;
      char od = '\0';
      if (first(u.values[1], ns_.other_prefix, od)) ns_.delimiter = od ? od : ns_.delimiter;
      char sd = '\0';
      first(u.values[2], ns_.shared_prefix, sd);
    }
  }

  // The userid as one level of an internal name ('.' in it is '^' when the
  // hierarchy delimiter is not '.').
  static std::string user_level(std::string user, char delimiter) {
    if (delimiter != '.')
      for (auto& c : user)
        if (c == '.') c = '^';
    return user;
  }

  void name_of(Listed& m) const {
    const char d = m.delimiter;
    auto conv = [&](std::string_view s) { return imap::internal_from_imap(s, d); };
    std::string me = "user." + user_level(srv_.user, d);
    const std::string& pp = ns_.personal_prefix;
    std::string op = ns_.other_prefix;
    if (op.empty()) op = std::string("user") + (d ? d : '.');
    const std::string& sp = ns_.shared_prefix;
    if (ns_.personal) {
      if (iequals(m.name, "INBOX")) {
        m.internal = me;
        m.owner = srv_.user;
        return;
      }
      bool personal = !pp.empty()
                          ? istarts_with(m.name, pp)
                          : !(m.name.starts_with(op) || (!sp.empty() && m.name.starts_with(sp)));
      if (personal) {
        m.internal = me + "." + conv(std::string_view(m.name).substr(pp.size()));
        m.owner = srv_.user;
        return;
      }
    }
    if (m.name.starts_with(op)) {
      std::string_view rest = std::string_view(m.name).substr(op.size());
      m.internal = "user." + conv(rest);
      m.owner = std::string(rest.substr(0, d ? rest.find(d) : std::string_view::npos));
      return;
    }
    std::string_view rest = m.name;
    if (!sp.empty() && m.name.starts_with(sp)) rest = rest.substr(sp.size());
    m.internal = conv(rest);
    m.deleted = m.internal.starts_with("DELETED.");
    // DELETED.user.fred.X.<hex>: fred's, but never opened
    if (m.deleted && m.internal.starts_with("DELETED.user.")) m.owner.clear();
  }

  Result<std::vector<Listed>> list() {
    auto r = main_->run("LIST \"\" \"*\"");
    if (!r) return r.problem();
    if (!r->ok()) return Finding{Code::other_side_imap_failed, where_, "LIST refused: " + r->why()};
    std::vector<Listed> out;
    std::set<std::string> seen;
    for (const auto& u : r->untagged) {
      if (u.name != "LIST") continue;
      // (attributes) delimiter name [extended data]
      if (u.values.size() < 3 || u.values[0].kind != Value::Kind::list ||
          !(u.values[1].kind == Value::Kind::string || u.values[1].kind == Value::Kind::nil) ||
          !u.values[2].is_string_like()) {
        o_.findings.add(Code::other_side_imap_unexpected, where_,
                        fmt::format("a LIST response that is not (attributes) delimiter name, at "
                                    "byte {}",
                                    u.offset));
        continue;
      }
      bool noselect = false;
      for (const auto& a : u.values[0].items)
        if (a.is_atom("\\Noselect") || a.is_atom("\\NonExistent")) noselect = true;
      if (noselect) continue;
      Listed m;
      m.name = u.values[2].text;
      if (u.values[1].kind == Value::Kind::string) {
        if (u.values[1].text.size() != 1) {
          o_.findings.add(
              Code::other_side_imap_unexpected, where_,
              "a LIST hierarchy delimiter that is not one character: " + excerpt(u.values[1].text));
          continue;
        }
        m.delimiter = u.values[1].text[0];
      } else {
        m.delimiter = '\0';
      }
      if (m.name.empty() || !seen.insert(m.name).second) continue;
      name_of(m);
      out.push_back(std::move(m));
    }
    std::sort(out.begin(), out.end(),
              [](const Listed& a, const Listed& b) { return a.name < b.name; });
    return out;
  }

  // The session to read `owner`'s mailboxes in: by proxy as the owner when
  // we are someone else (an admin has no read right on users' mailboxes).
  Session* session_for(const Listed& m, bool inbox_listed) {
    if (m.owner.empty() || m.owner == srv_.user || proxy_refused_ || !inbox_listed)
      return main_.get();
    if (!proxy_ || proxy_->authzid() != m.owner) {
      proxy_.reset();
      proxy_ = std::make_unique<Session>(srv_, opt_, password_, m.owner);
    }
    return proxy_.get();
  }

  std::optional<std::string> status_mailboxid(Session& s, const Listed& m, const std::string& q) {
    if (!caps_.count("OBJECTID")) return std::nullopt;
    // MAILBOXID alone: Cyrus 3.6.1 answers a dangling pointer's bytes when
    // it is asked together with other items.
    auto r = s.run("STATUS " + q + " (MAILBOXID)");
    if (!r || !r->ok()) return std::nullopt;
    for (const auto& u : r->untagged) {
      if (u.name != "STATUS" || u.values.size() < 2) continue;
      const Value* id = fetch_item(u.values[1], "MAILBOXID");
      if (!id) continue;
      if (id->kind == Value::Kind::list && id->items.size() == 1 && is_objectid(id->items[0].text))
        return id->items[0].text;
      unexpected(m, "STATUS (MAILBOXID) is not an objectid");
    }
    return std::nullopt;
  }

  std::optional<std::string> annotation_uniqueid(const Listed& m, const std::string& q) {
    if (!caps_.count("METADATA") && !caps_.count("METADATA-SERVER")) return std::nullopt;
    auto r = main_->run("GETMETADATA " + q + " /shared/vendor/cmu/cyrus-imapd/uniqueid");
    if (!r || !r->ok()) return std::nullopt;
    for (const auto& u : r->untagged) {
      if (u.name != "METADATA" || u.values.size() < 2) continue;
      const Value* v = fetch_item(u.values[1], "/shared/vendor/cmu/cyrus-imapd/uniqueid");
      if (!v) {
        // the entry name is a string, not an atom: look by hand
        const auto& l = u.values[1];
        if (l.kind == Value::Kind::list && l.items.size() >= 2 &&
            iequals(l.items[0].text, "/shared/vendor/cmu/cyrus-imapd/uniqueid"))
          v = &l.items[1];
      }
      if (!v || v->kind == Value::Kind::nil) continue;
      if (v->kind == Value::Kind::string && is_objectid(v->text)) return v->text;
      unexpected(m, "the uniqueid annotation is not an objectid");
    }
    return std::nullopt;
  }

  void read_deleted(const Listed& m) {
    auto q = imap::quote(m.name);
    std::optional<std::string> id;
    if (q) {
      id = annotation_uniqueid(m, *q);
      if (!id) id = status_mailboxid(*main_, m, *q);
    }
    if (!id) {
      o_.findings.add(Code::other_side_imap_uniqueid_unknown, at(m), "deleted mailbox");
      return;
    }
    if (!o_.state_by_uniqueid.count(*id)) o_.state_by_uniqueid[*id] = "deleted";
  }

  void read_live(const Listed& m, bool inbox_listed) {
    auto q = imap::quote(m.name);
    if (!q) {
      o_.findings.add(Code::other_side_imap_mailbox_unread, at(m),
                      "the name cannot be sent as an IMAP quoted string");
      o_.uniqueid_by_name[m.internal] = "";
      return;
    }
    Session* s = session_for(m, inbox_listed);
    MailboxRead rd = read_mailbox(*s, m, *q);
    if (s == proxy_.get() && !rd.examined && proxy_->login_refused()) {
      // not allowed to act as the owner: as ourselves, then
      proxy_refused_ = true;
      proxy_.reset();
      o_.findings.add(
          Code::other_side_imap_unexpected, at(m),
          fmt::format("proxy authorization as {} refused; reading as {}", m.owner, srv_.user));
      s = main_.get();
      rd = read_mailbox(*s, m, *q);
    }
    if (rd.examined && s == proxy_.get()) {
      ++proxied_;
      proxied_users_.insert(m.owner);
    }
    if (rd.uniqueid.empty()) {
      if (auto id = annotation_uniqueid(m, *q)) rd.uniqueid = *id;
    }
    if (rd.uniqueid.empty())
      o_.findings.add(Code::other_side_imap_uniqueid_unknown, at(m), "live mailbox");
    else
      o_.state_by_uniqueid[rd.uniqueid] = "live";
    o_.uniqueid_by_name[m.internal] = rd.uniqueid;
    if (opt_.keep_records) {
      auto& kept = o_.records_by_mailbox[record_key(rd.uniqueid, m.internal)];
      kept.insert(kept.end(), std::make_move_iterator(rd.records.begin()),
                  std::make_move_iterator(rd.records.end()));
    }
    if (!rd.complete)
      o_.findings.add(Code::other_side_imap_mailbox_unread, at(m),
                      rd.guids.empty()
                          ? rd.why
                          : fmt::format("{} GUIDs read, then: {}", rd.guids.size(), rd.why));
    // What was read is held there, even when the rest could not be read.
    if (rd.examined) ++o_.mailboxes;
    o_.records += rd.guids.size();
    o_.guids.insert(rd.guids.begin(), rd.guids.end());
  }

  struct Examined {
    std::optional<std::uint64_t> exists, uidnext;
    std::string mailboxid;
  };

  Result<Examined> examine(Session& s, const Listed& m, const std::string& q) {
    auto r = s.run("EXAMINE " + q);
    if (!r) return r.problem();
    if (!r->ok())
      return Finding{Code::other_side_imap_mailbox_unread, at(m), "EXAMINE refused: " + r->why()};
    Examined e;
    for (const auto& u : r->untagged) {
      if (u.name == "EXISTS" && u.number) e.exists = u.number;
      if (u.name == "OK" && u.code.size() == 2 && u.code[0].is_atom("UIDNEXT"))
        e.uidnext = number_of(u.code[1]);
      if (u.name == "OK" && !u.code.empty() && u.code[0].is_atom("MAILBOXID")) {
        if (u.code.size() == 2 && u.code[1].kind == Value::Kind::list &&
            u.code[1].items.size() == 1 && is_objectid(u.code[1].items[0].text))
          e.mailboxid = u.code[1].items[0].text;
        else
          unexpected(m, "EXAMINE's MAILBOXID response code is not an objectid");
      }
    }
    if (!r->code.empty() && r->code[0].is_atom("READ-WRITE"))
      unexpected(m, "EXAMINE answered READ-WRITE (nothing is ever stored)");
    return e;
  }

  struct MailboxRead {
    bool examined = false;  // EXAMINE succeeded
    bool complete = false;  // and every message's GUID was read
    std::string uniqueid, why;
    std::set<std::string> guids;
    std::vector<OtherRecord> records;  // keep_records
  };

  // One mailbox's uniqueid and GUIDs, as far as they could be read.
  MailboxRead read_mailbox(Session& s, const Listed& m, const std::string& q) {
    MailboxRead rd;
    auto status_id = status_mailboxid(s, m, q);
    if (status_id) rd.uniqueid = *status_id;
    auto ex = examine(s, m, q);
    if (!ex) {
      rd.why = ex.problem().detail;
      return rd;
    }
    rd.examined = true;
    if (!ex->mailboxid.empty()) rd.uniqueid = ex->mailboxid;
    if (status_id && !ex->mailboxid.empty() && *status_id != ex->mailboxid)
      unexpected(m, fmt::format("STATUS MAILBOXID {} differs from EXAMINE's {}; EXAMINE's is used",
                                *status_id, ex->mailboxid));
    if (ex->exists && *ex->exists == 0) {
      rd.complete = true;
      return rd;
    }
    Got got;
    bool ok = true;
    if (digest_) {
      auto st = fetch_digests(s, m, *ex, got, rd.why);
      if (st == Fetch::unsupported) {
        digest_ = false;
        o_.findings.add(Code::other_side_imap_hashed, at(m), "DIGEST.SHA1 refused: " + rd.why);
        rd.why.clear();
        ex = examine(s, m, q);  // the refusal closed the connection
        if (!ex) {
          rd.why = ex.problem().detail;
          return rd;
        }
      } else {
        ok = st == Fetch::ok;
      }
    }
    if (!digest_) ok = hash_bodies(s, m, *ex, got, rd.why);
    for (auto& [uid, g] : got.by_uid) {
      rd.guids.insert(g);
      if (opt_.keep_records) {
        OtherRecord k;
        k.uid = static_cast<std::uint32_t>(uid);
        k.guid = g;
        if (auto f = got.flags_by_uid.find(uid); f != got.flags_by_uid.end()) k.flags = f->second;
        rd.records.push_back(std::move(k));
      }
    }
    if (ok && ex->exists && got.by_uid.size() + got.expunged < *ex->exists) {
      ok = false;
      rd.why = fmt::format("EXISTS {}, but GUIDs of {} messages were received", *ex->exists,
                           got.by_uid.size());
    }
    rd.complete = ok;
    return rd;
  }

  // UID ranges covering the mailbox: [1, B], [B+1, 2B], ... up to UIDNEXT,
  // the last one open ("n:*").
  static std::vector<std::string> uid_ranges(const Examined& e) {
    std::vector<std::string> out;
    if (!e.uidnext || *e.uidnext <= kUidBatch) return {"1:*"};
    for (std::uint64_t lo = 1; lo < *e.uidnext; lo += kUidBatch)
      out.push_back(lo + kUidBatch >= *e.uidnext ? fmt::format("{}:*", lo)
                                                 : fmt::format("{}:{}", lo, lo + kUidBatch - 1));
    return out;
  }

  enum class Fetch { ok, unsupported, failed };

  // GUIDs by UID, and how many messages the server said were expunged
  // meanwhile (a live server: other sessions go on).
  struct Got {
    std::map<std::uint64_t, std::string> by_uid;
    std::map<std::uint64_t, std::vector<std::string>> flags_by_uid;  // keep_records, sorted, no \Recent
    std::uint64_t expunged = 0;
  };

  static std::string failure(const Result<Reply>& r) {
    return !r ? r.problem().detail : r->new_connection ? "the connection was lost" : r->why();
  }

  Fetch fetch_digests(Session& s, const Listed& m, const Examined& e, Got& got, std::string& why) {
    bool first = true;
    std::uint64_t zero = 0, malformed = 0;
    Fetch result = Fetch::ok;
    for (const auto& range : uid_ranges(e)) {
      auto r = s.run("UID FETCH " + range + (opt_.keep_records ? " (UID DIGEST.SHA1 FLAGS)" : " (UID DIGEST.SHA1)"), true);
      if (!r || r->new_connection || !r->ok()) {
        why = failure(r);
        result = r && !r->new_connection && first && r->status == "BAD" ? Fetch::unsupported
                                                                        : Fetch::failed;
        break;
      }
      first = false;
      for (const auto& u : r->untagged) {
        if (u.name == "EXPUNGE") ++got.expunged;
        if (u.name != "FETCH" || u.values.empty()) continue;
        const Value* dv = fetch_item(u.values[0], "DIGEST.SHA1");
        if (!dv) continue;  // unsolicited (FLAGS changed by another session)
        const Value* uidv = fetch_item(u.values[0], "UID");
        auto uid = uidv ? number_of(*uidv) : std::nullopt;
        auto g = dv->is_string_like() ? sha1_hex(dv->text) : std::nullopt;
        if (!uid || !g) {
          ++malformed;
          continue;
        }
        if (*g == std::string(40, '0')) {
          ++zero;
          continue;
        }
        got.by_uid[*uid] = *g;
        if (const Value* fv = fetch_item(u.values[0], "FLAGS");
            opt_.keep_records && fv && fv->kind == Value::Kind::list) {
          std::vector<std::string> flags;
          for (const auto& f : fv->items)
            if (f.is_string_like() && !f.is_atom("\\Recent")) flags.push_back(f.text);
          std::sort(flags.begin(), flags.end());
          got.flags_by_uid[*uid] = std::move(flags);
        }
      }
    }
    if (malformed)
      unexpected(m, fmt::format("{} FETCH responses without a UID or a 40-hex-digit DIGEST.SHA1",
                                malformed));
    if (zero) unexpected(m, fmt::format("{} messages with an all-zero DIGEST.SHA1", zero));
    return result;
  }

  // Each message's bytes, fetched in pieces and hashed (the GUID is the
  // SHA-1 of the message file, which BODY[] is).
  bool hash_bodies(Session& s, const Listed& m, const Examined& e, Got& got, std::string& why) {
    std::map<std::uint64_t, std::uint64_t> sizes;
    for (const auto& range : uid_ranges(e)) {
      auto r = s.run("UID FETCH " + range + " (UID RFC822.SIZE)", true);
      if (!r || r->new_connection || !r->ok()) {
        why = failure(r);
        return false;
      }
      for (const auto& u : r->untagged) {
        if (u.name == "EXPUNGE") ++got.expunged;
        if (u.name != "FETCH" || u.values.empty()) continue;
        const Value* sv = fetch_item(u.values[0], "RFC822.SIZE");
        if (!sv) continue;  // unsolicited
        const Value* uidv = fetch_item(u.values[0], "UID");
        auto uid = uidv ? number_of(*uidv) : std::nullopt;
        auto size = number_of(*sv);
        if (uid && size)
          sizes[*uid] = *size;
        else
          unexpected(m, "a FETCH response without a UID or a number as RFC822.SIZE");
      }
    }
    for (const auto& [uid, size] : sizes) {
      Sha1Hasher h;
      std::uint64_t have = 0;
      bool good = true;
      while (true) {
        auto r = s.run(fmt::format("UID FETCH {} (UID BODY.PEEK[]<{}.{}>)", uid, have, kBodyPiece),
                       true);
        if (!r || r->new_connection || !r->ok()) {
          why = fmt::format("uid {}: {}", uid, failure(r));
          return false;
        }
        const Value* piece = nullptr;
        for (const auto& u : r->untagged) {
          if (u.name == "EXPUNGE") ++got.expunged;
          if (u.name != "FETCH" || u.values.empty()) continue;
          const Value* uidv = fetch_item(u.values[0], "UID");
          if (!uidv || number_of(*uidv) != uid) continue;
          if (const Value* p = fetch_item(u.values[0], "BODY[]", true)) piece = p;
        }
        if (!piece || !(piece->kind == Value::Kind::string || piece->kind == Value::Kind::nil)) {
          unexpected(m, fmt::format("uid {}: no BODY[] in the FETCH response", uid));
          good = false;
          break;
        }
        if (piece->text.size() > kBodyPiece) {
          unexpected(m, fmt::format("uid {}: more bytes than asked for", uid));
          good = false;
          break;
        }
        h.update(bytes_of(piece->text));
        have += piece->text.size();
        if (piece->text.size() < kBodyPiece || have > size) break;
      }
      if (good && have != size) {
        unexpected(m, fmt::format("uid {}: {} bytes read, RFC822.SIZE {}", uid, have, size));
        good = false;
      }
      if (good) got.by_uid[uid] = to_hex(h.finish());
    }
    return true;
  }
};

}  // namespace

Result<OtherSide> read_other_side_imap(const ImapServer& server, const ImapReadOptions& opt) {
  if (server.user.empty())
    return Finding{Code::other_side_imap_failed, server.display(),
                   "the URL names no user (imap://user@host)"};
  Reader r(server, opt);
  return r.run();
}

}  // namespace ss::salvage
