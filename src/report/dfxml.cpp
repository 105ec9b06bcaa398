#include "report/dfxml.hpp"

#include <fmt/format.h>
#include <sys/utsname.h>

#include <ctime>

#include "report/salvage_report.hpp"

namespace ss::report {
namespace {

using nlohmann::json;

// Length of the valid UTF-8 sequence at s[i] (2..4) and its code point, or
// 0 when it is not one (overlong, surrogate, beyond U+10FFFF, truncated).
std::size_t utf8_seq(std::string_view s, std::size_t i, char32_t& cp) {
  auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
  unsigned char c = b(0);
  std::size_t n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 0;
  if (n == 0 || c > 0xF4 || i + n > s.size()) return 0;
  char32_t v = c & (0x7Fu >> n);
  for (std::size_t k = 1; k < n; ++k) {
    if ((b(k) & 0xC0) != 0x80) return 0;
    v = (v << 6) | (b(k) & 0x3Fu);
  }
  static constexpr char32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (v < kMin[n] || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return 0;
  cp = v;
  return n;
}

// An XML dateTime in UTC, or empty when the year is outside 1..9999 (the
// raw seconds stay in ss:internaldate).
std::string xml_time(std::int64_t t) {
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  if (!::gmtime_r(&tt, &tm)) return {};
  int year = tm.tm_year + 1900;
  if (year < 1 || year > 9999) return {};
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", year, tm.tm_mon + 1, tm.tm_mday,
                     tm.tm_hour, tm.tm_min, tm.tm_sec);
}

// Bytes [i, i+n) of s if XML 1.0 carries them unchanged: 0 when not (then
// the byte at i is escaped), else the length of the character at i.
std::size_t xml_char(std::string_view s, std::size_t i) {
  auto c = static_cast<unsigned char>(s[i]);
  if (c < 0x80) return c < 0x20 || c == 0x7F ? 0 : 1;
  char32_t cp = 0;
  std::size_t n = utf8_seq(s, i, cp);
  if (n == 0 || cp <= 0x9F || cp == 0xFFFE || cp == 0xFFFF) return 0;
  return n;
}

void append_entity_escaped(std::string& out, std::string_view s) {
  for (char ch : s) switch (ch) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        out += ch;
    }
}

// A small writer: two-space indentation, one element per line.
class Xml {
 public:
  Xml() = default;
  explicit Xml(int depth) : depth_(depth) {}
  void raw(std::string_view s) { out_ += s; }
  void open(std::string_view tag, std::string_view attrs = {}) {
    line(fmt::format("<{}{}>", tag, attrs));
    ++depth_;
  }
  void close(std::string_view tag) {
    --depth_;
    line(fmt::format("</{}>", tag));
  }
  void empty(std::string_view tag, std::string_view attrs = {}) {
    line(fmt::format("<{}{}/>", tag, attrs));
  }
  // A string value as an element's text, marked when it had to be escaped.
  void text(std::string_view tag, std::string_view value, std::string_view attrs = {}) {
    auto v = xml_text(value);
    line(fmt::format("<{}{}{}>{}</{}>", tag, attrs, v.escaped ? " ss:escaped=\"1\"" : "", v.text,
                     tag));
  }
  std::string take() { return std::move(out_); }

 private:
  void line(std::string_view s) {
    out_.append(static_cast<std::size_t>(depth_) * 2, ' ');
    out_ += s;
    out_ += '\n';
  }
  std::string out_;
  int depth_ = 0;
};

// Attributes hold only our own constants and numbers, never evidence text.
std::string attr(std::string_view name, std::string_view value) {
  return fmt::format(" {}=\"{}\"", name, value);
}

const char* b01(bool b) {
  return b ? "1" : "0";
}

void creator(Xml& x, const json& run) {
  auto str = [&](const char* key, const char* fallback) {
    auto it = run.find(key);
    return it != run.end() && it->is_string() ? it->get<std::string>() : std::string(fallback);
  };
  x.open("creator");
  x.text("program", str("tool", "spoolsalvage"));
  x.text("version", str("version", ""));
  // Run-specific: the machine and the run's own metadata. xs:all, any order.
  x.open("execution_environment");
  struct utsname u {};
  if (::uname(&u) == 0) {
    x.text("os_sysname", u.sysname);
    x.text("os_release", u.release);
    x.text("arch", u.machine);
  }
  for (const char* key : {"host", "command_line", "username", "start_time"})
    if (auto v = str(key, ""); !v.empty()) x.text(key, v);
  x.close("execution_environment");
  x.close("creator");
}

void fileobject(Xml& x, const salvage::ManifestEntry& e, const std::vector<EvidenceView>& ev) {
  std::string source_file = e.size || e.inode ? fmt::format("{}.", e.uid) : std::string();
  std::string source_path =
      e.source_dir.empty() ? source_file : fmt::format("{}/{}.", e.source_dir, e.uid);
  bool read = !e.sha1.empty();
  x.open("fileobject");
  x.text("filename", e.output.empty() ? source_path : e.output);
  if (read && e.size) x.text("filesize", fmt::format("{}", *e.size));
  if (e.inode != 0) x.text("inode", fmt::format("{}", e.inode));
  if (e.internaldate)
    if (auto t = xml_time(*e.internaldate); !t.empty()) x.text("mtime", t);
  if (read && e.size) {
    x.open("byte_runs");
    if (e.runs.empty()) {
      x.empty("byte_run", fmt::format(" file_offset=\"0\" len=\"{}\"", *e.size));
    } else {
      for (const auto& r : e.runs)
        x.empty("byte_run",
                r.image_offset ? fmt::format(" file_offset=\"{}\" img_offset=\"{}\" len=\"{}\"",
                                             r.file_offset, *r.image_offset, r.length)
                               : fmt::format(" file_offset=\"{}\" len=\"{}\"", r.file_offset,
                                             r.length));
    }
    x.close("byte_runs");
  }
  if (read) x.text("hashdigest", e.sha1, attr("type", "sha1"));

  x.text("ss:mailbox", e.mailbox);
  x.text("ss:display_name", e.display_name);
  x.text("ss:uniqueid", e.uniqueid);
  x.text("ss:uid", fmt::format("{}", e.uid));
  if (e.recno) x.text("ss:recno", fmt::format("{}", *e.recno));
  if (!e.guid.empty()) x.text("ss:guid", e.guid);
  if (e.size) x.text("ss:size", fmt::format("{}", *e.size));
  if (e.internaldate) x.text("ss:internaldate", fmt::format("{}", *e.internaldate));
  x.text("ss:status", e.status);
  if (e.reasons.empty()) {
    x.empty("ss:reasons");
  } else {
    x.open("ss:reasons");
    for (const auto& s : e.reasons) x.text("ss:reason", s);
    x.close("ss:reasons");
  }
  x.text("ss:expunged", b01(e.expunged));
  x.text("ss:in_deleted_mailbox", b01(e.in_deleted_mailbox));
  for (auto [list, tag] : {std::pair{&e.flags, "flag"}, std::pair{&e.keywords, "keyword"}}) {
    std::string outer = fmt::format("ss:{}s", tag);
    if (list->empty()) {
      x.empty(outer);
      continue;
    }
    x.open(outer);
    for (const auto& s : *list) x.text(fmt::format("ss:{}", tag), s);
    x.close(outer);
  }
  x.text("ss:record_integrity", e.record_integrity);
  x.text("ss:internaldate_source", e.internaldate_source);
  x.text("ss:flags_source", e.flags_source);
  x.open("ss:source");
  x.text("ss:evidence", e.fs_index < ev.size() ? ev[e.fs_index].path : std::string());
  x.text("ss:dir", e.source_dir);
  x.text("ss:file", source_file);
  x.text("ss:inode", fmt::format("{}", e.inode));
  x.close("ss:source");
  x.text("ss:maildir", e.maildir);
  if (!e.output.empty()) x.text("ss:output", e.output);
  if (!e.cache_envelope.empty()) x.text("ss:cache_envelope", e.cache_envelope);
  if (!e.other_side.empty()) x.text("ss:other_side", e.other_side);
  x.close("fileobject");
}

}  // namespace

XmlText xml_text(std::string_view s) {
  XmlText r;
  r.text.reserve(s.size());
  bool clean = true;
  for (std::size_t i = 0; i < s.size() && clean;) {
    std::size_t n = xml_char(s, i);
    clean = n != 0;
    i += n;
  }
  if (clean) {
    append_entity_escaped(r.text, s);
    return r;
  }
  r.escaped = true;
  for (std::size_t i = 0; i < s.size();) {
    std::size_t n = xml_char(s, i);
    if (n == 0) {
      r.text += fmt::format("\\x{:02x}", static_cast<unsigned char>(s[i]));
      ++i;
    } else if (s[i] == '\\') {
      r.text += "\\\\";
      ++i;
    } else {
      append_entity_escaped(r.text, s.substr(i, n));
      i += n;
    }
  }
  return r;
}

std::string salvage_dfxml_begin(const std::vector<EvidenceView>& ev, const json& run) {
  Xml x;
  x.raw("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
  x.raw(fmt::format(
      "<!-- The ss: namespace ({}) is spoolsalvage's own, not DFXML's:\n"
      "     the values only the salvage knows (mailbox, IMAP uid, status, GUID, flags,\n"
      "     keywords, provenance). An element marked ss:escaped=\"1\" held text that XML 1.0\n"
      "     cannot carry (control characters, invalid UTF-8): each such byte is written\n"
      "     \\xNN, and a backslash as two. <filename> is the path under OUT (else the\n"
      "     source path); <inode>, <byte_runs> and <hashdigest> describe the source file's\n"
      "     bytes as read; <mtime> is the internal date. Run-specific values are in\n"
      "     <creator> only. -->\n",
      kDfxmlSsNs));
  x.open("dfxml", attr("xmlns", kDfxmlNs) + attr("xmlns:dc", "http://purl.org/dc/elements/1.1/") +
                      attr("xmlns:ss", kDfxmlSsNs) + attr("version", kDfxmlVersion));
  x.open("metadata");
  x.text("dc:type", "Carve/Recovery");
  x.close("metadata");
  creator(x, run);
  x.open("source");
  for (const auto& e : ev) x.text("image_filename", e.path);
  x.close("source");
  return x.take();
}

std::string salvage_dfxml_fileobject(const salvage::ManifestEntry& e,
                                     const std::vector<EvidenceView>& ev) {
  Xml x(1);
  fileobject(x, e, ev);
  return x.take();
}

std::string salvage_dfxml_end(const salvage::SalvageResult& r) {
  Xml x(1);
  auto t = totals_of(r);
  x.open("ss:totals",
         fmt::format(" messages=\"{}\" reconciles=\"{}\"", r.tally.messages, b01(t.reconciles)));
  for (const auto& [status, n] : t.by_status)
    x.text("ss:count", fmt::format("{}", n), attr("status", status));
  x.close("ss:totals");
  x.raw("</dfxml>\n");
  return x.take();
}

}  // namespace ss::report
