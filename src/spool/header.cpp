#include "spool/header.hpp"

#include <fmt/format.h>

#include "spool/dlist.hpp"

namespace ss::spool {
namespace {

// Splits off the next LF-terminated line; `complete` is false when the input
// ended without an LF.
std::string_view next_line(std::string_view& rest, bool& complete) {
  auto nl = rest.find('\n');
  std::string_view line;
  if (nl == std::string_view::npos) {
    line = rest;
    rest = {};
    complete = false;
  } else {
    line = rest.substr(0, nl);
    rest.remove_prefix(nl + 1);
    complete = true;
  }
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  std::size_t pos = 0;
  while (pos <= s.size()) {
    auto at = s.find(sep, pos);
    if (at == std::string_view::npos) {
      out.push_back(s.substr(pos));
      break;
    }
    out.push_back(s.substr(pos, at - pos));
    pos = at + 1;
  }
  return out;
}

void parse_acl_text(std::string_view line, MailboxHeader& h) {
  auto parts = split(line, '\t');
  for (std::size_t i = 0; i + 1 < parts.size(); i += 2)
    if (!parts[i].empty()) h.acl.emplace_back(std::string(parts[i]), std::string(parts[i + 1]));
}

Result<MailboxHeader> parse_text(std::string_view line4, std::string_view rest,
                                 std::string_view place) {
  for (char c : line4)
    if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == '\x7F')
      return Finding{Code::spool_header_unparsable, std::string(place),
                     "line 4 holds control characters"};
  MailboxHeader h;
  h.form = HeaderForm::text;
  auto tab = line4.find('\t');
  if (tab == std::string_view::npos) {
    h.quotaroot = std::string(line4);  // ancient header: no uniqueid
  } else {
    h.quotaroot = std::string(line4.substr(0, tab));
    h.uniqueid = std::string(line4.substr(tab + 1));
  }
  bool complete = true;
  if (rest.empty()) {
    h.findings.add(Code::spool_header_truncated, std::string(place), "no user flags line (line 5)");
    return h;
  }
  auto flags = next_line(rest, complete);
  auto tokens = split(flags, ' ');
  if (!tokens.empty() && tokens.back().empty()) tokens.pop_back();  // the trailing space
  for (auto t : tokens) {
    if (t.empty())
      h.user_flags.emplace_back(std::nullopt);
    else
      h.user_flags.emplace_back(std::string(t));
  }
  if (!complete || rest.empty()) {
    h.findings.add(Code::spool_header_truncated, std::string(place), "no ACL line (line 6)");
    return h;
  }
  parse_acl_text(next_line(rest, complete), h);
  if (!complete)
    h.findings.add(Code::spool_header_truncated, std::string(place), "ACL line not terminated");
  return h;
}

Result<MailboxHeader> parse_dlist_form(std::string_view from_line4, std::string_view place) {
  auto parsed = parse_dlist(from_line4);
  if (!parsed.value)
    return Finding{Code::spool_header_unparsable, std::string(place),
                   fmt::format("dlist: {}", parsed.error)};
  const DlistValue& v = *parsed.value;
  if (v.kind != DlistValue::Kind::kvlist)
    return Finding{Code::spool_header_unparsable, std::string(place), "dlist is not a kvlist"};
  MailboxHeader h;
  h.form = HeaderForm::dlist;
  h.type = v.get_string("T").value_or("");
  h.name = v.get_string("N").value_or("");
  h.uniqueid = v.get_string("I").value_or("");
  h.jmapid = v.get_string("J").value_or("");
  h.quotaroot = v.get_string("Q").value_or("");
  if (const DlistValue* a = v.get("A"); a && a->kind == DlistValue::Kind::kvlist)
    for (const auto& [id, rights] : a->kv)
      h.acl.emplace_back(id, rights.kind == DlistValue::Kind::string ? rights.text : "");
  if (const DlistValue* u = v.get("U"); u && u->kind == DlistValue::Kind::list)
    for (const auto& f : u->items) {
      if (f.kind == DlistValue::Kind::string)
        h.user_flags.emplace_back(f.text);
      else
        h.user_flags.emplace_back(std::nullopt);
    }
  return h;
}

}  // namespace

std::string_view to_string(HeaderForm f) {
  return f == HeaderForm::dlist ? "dlist" : "text";
}

Result<MailboxHeader> parse_header(ByteView bytes, std::string_view place) {
  if (!bytes.starts_with(bytes_of(kHeaderMagic))) {
    std::size_t same = 0;
    auto chars = bytes.chars();
    while (same < chars.size() && same < kHeaderMagic.size() && chars[same] == kHeaderMagic[same])
      ++same;
    return Finding{Code::spool_header_bad_magic, std::string(place),
                   fmt::format("{} bytes; first {} of the {}-byte magic match", bytes.size(), same,
                               kHeaderMagic.size())};
  }
  std::string_view rest = bytes.chars().substr(kHeaderMagic.size());
  if (rest.empty())
    return Finding{Code::spool_header_unparsable, std::string(place), "file ends after the magic"};
  if (rest.front() == '%') return parse_dlist_form(rest, place);
  bool complete = true;
  auto line4 = next_line(rest, complete);
  auto r = parse_text(line4, rest, place);
  if (r && !complete)
    r->findings.add(Code::spool_header_truncated, std::string(place), "line 4 not terminated");
  return r;
}

}  // namespace ss::spool
