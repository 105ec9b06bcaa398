#include "report/findings_json.hpp"

#include <fmt/format.h>

namespace ss::report {

nlohmann::json to_json(const Finding& f) {
  return {{"code", f.id()},
          {"severity", to_string(f.severity())},
          {"message", f.text()},
          {"detail", f.detail},
          {"place", f.place}};
}

nlohmann::json to_json(const Findings& fs) {
  auto arr = nlohmann::json::array();
  for (const auto& f : fs.items()) arr.push_back(to_json(f));
  return arr;
}

namespace {
// Length of the valid UTF-8 sequence starting at s[i], or 0.
std::size_t utf8_len(std::string_view s, std::size_t i) {
  auto b = static_cast<unsigned char>(s[i]);
  std::size_t n;
  unsigned min;
  if (b < 0x80) return 1;
  if ((b & 0xE0) == 0xC0) { n = 2; min = 0x80; }
  else if ((b & 0xF0) == 0xE0) { n = 3; min = 0x800; }
  else if ((b & 0xF8) == 0xF0) { n = 4; min = 0x10000; }
  else return 0;
  if (i + n > s.size()) return 0;
  unsigned cp = b & (0x7Fu >> n);
  for (std::size_t k = 1; k < n; ++k) {
    auto c = static_cast<unsigned char>(s[i + k]);
    if ((c & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (c & 0x3Fu);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  // C1 control characters (U+0080..U+009F) can drive some terminals too.
  if (cp >= 0x80 && cp <= 0x9F) return 0;
  return n;
}
}  // namespace

std::string printable(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7F && c != '\\') {
      out += static_cast<char>(c);
      ++i;
      continue;
    }
    if (c == '\\') {
      out += "\\\\";
      ++i;
      continue;
    }
    std::size_t n = c >= 0x80 ? utf8_len(s, i) : 0;
    if (n > 1) {
      out.append(s.substr(i, n));
      i += n;
    } else {
      out += fmt::format("\\x{:02x}", c);
      ++i;
    }
  }
  return out;
}

std::string finding_line(const Finding& f) {
  return printable(fmt::format("{} {}", to_string(f.severity()), f.describe()));
}

}  // namespace ss::report
