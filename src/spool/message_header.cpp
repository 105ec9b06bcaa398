#include "spool/message_header.hpp"

#include <algorithm>
#include <cctype>
#include <string_view>

namespace ss::spool {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

std::string clean(std::string_view v) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  std::string out;
  for (char c : v) {
    if (out.size() >= 200) break;
    const auto u = static_cast<unsigned char>(c);
    out.push_back(c == '\t' ? ' ' : u >= 32 && u < 127 ? c : '?');
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

}  // namespace

HeaderSummary summarize_header(ByteView head) {
  HeaderSummary s;
  const std::string_view text(reinterpret_cast<const char*>(head.data_unsafe()), head.size());
  std::size_t at = 0;
  bool first = true;
  std::string* last = nullptr;
  while (at < text.size()) {
    std::size_t eol = text.find('\n', at);
    if (eol == std::string_view::npos) eol = text.size();
    std::string_view line = text.substr(at, eol - at);
    at = eol + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) break;  // the end of the header
    if (line.front() == ' ' || line.front() == '\t') {
      if (last && last->size() < 200) *last = clean(*last + std::string(line));
      continue;
    }
    const auto colon = line.find(':');
    const bool field = colon != std::string_view::npos && colon > 0 &&
                       std::all_of(line.begin(), line.begin() + static_cast<std::ptrdiff_t>(colon),
                                   [](char c) { return c > 32 && c < 127; });
    if (!field) {
      if (first) return s;  // not a header at all
      last = nullptr;
      continue;
    }
    first = false;
    const std::string_view name = line.substr(0, colon), value = line.substr(colon + 1);
    std::string* slot = iequals(name, "from")         ? &s.from
                        : iequals(name, "to")         ? &s.to
                        : iequals(name, "subject")    ? &s.subject
                        : iequals(name, "date")       ? &s.date
                        : iequals(name, "message-id") ? &s.message_id
                                                      : nullptr;
    last = nullptr;
    if (slot && slot->empty()) {
      *slot = clean(value);
      last = slot;
      s.looks_like_message = true;
    }
  }
  return s;
}

}  // namespace ss::spool
