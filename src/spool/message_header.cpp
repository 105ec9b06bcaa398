#include "spool/message_header.hpp"

#include <algorithm>
#include <cctype>
#include <optional>
#include <string_view>
#include <vector>

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

namespace {

// An IMAP value: NIL, a quoted string, a literal, an atom, or a list.
struct Sx {
  bool list = false;
  std::string text;
  std::vector<Sx> items;
};

class SxReader {
 public:
  explicit SxReader(std::string_view s) : s_(s) {}
  std::optional<Sx> value(int depth = 0) {
    skip();
    if (at_ >= s_.size() || depth > 8) return std::nullopt;
    Sx v;
    const char c = s_[at_];
    if (c == '(') {
      ++at_;
      v.list = true;
      for (;;) {
        skip();
        if (at_ >= s_.size()) return std::nullopt;
        if (s_[at_] == ')') {
          ++at_;
          return v;
        }
        auto item = value(depth + 1);
        if (!item || v.items.size() > 64) return std::nullopt;
        v.items.push_back(std::move(*item));
      }
    }
    if (c == '"') {
      for (++at_; at_ < s_.size() && s_[at_] != '"'; ++at_) {
        if (s_[at_] == '\\' && at_ + 1 < s_.size()) ++at_;
        v.text.push_back(s_[at_]);
      }
      if (at_ >= s_.size()) return std::nullopt;
      ++at_;
      return v;
    }
    if (c == '{') {
      const auto close = s_.find('}', at_);
      if (close == std::string_view::npos || close - at_ > 10) return std::nullopt;
      std::size_t n = 0;
      for (std::size_t i = at_ + 1; i < close; ++i) {
        if (s_[i] < '0' || s_[i] > '9') return std::nullopt;
        n = n * 10 + static_cast<std::size_t>(s_[i] - '0');
      }
      at_ = close + 1;
      if (s_.substr(at_, 2) == "\r\n") at_ += 2;
      if (n > s_.size() - at_) return std::nullopt;
      v.text = std::string(s_.substr(at_, n));
      at_ += n;
      return v;
    }
    const auto end = s_.find_first_of(" ()", at_);
    v.text = std::string(s_.substr(at_, end == std::string_view::npos ? s_.size() - at_ : end - at_));
    at_ = end == std::string_view::npos ? s_.size() : end;
    if (v.text == "NIL") v.text.clear();
    return v;
  }

 private:
  void skip() {
    while (at_ < s_.size() && (s_[at_] == ' ' || s_[at_] == '\r' || s_[at_] == '\n')) ++at_;
  }
  std::string_view s_;
  std::size_t at_ = 0;
};

// The first address of an address list: mailbox@host.
std::string first_address(const Sx& v) {
  if (!v.list || v.items.empty() || !v.items[0].list || v.items[0].items.size() < 4) return {};
  const auto& a = v.items[0].items;
  if (a[2].text.empty()) return {};
  return a[3].text.empty() ? a[2].text : a[2].text + "@" + a[3].text;
}

}  // namespace

HeaderSummary summarize_envelope(std::string_view envelope) {
  HeaderSummary s;
  SxReader r(envelope);
  auto v = r.value();
  if (!v || !v->list || v->items.size() < 10) return s;
  const auto& it = v->items;
  s.date = clean(it[0].text);
  s.subject = clean(it[1].text);
  s.from = clean(first_address(it[2]));
  s.to = clean(first_address(it[5]));
  s.message_id = clean(it[9].text);
  s.looks_like_message = true;
  return s;
}

}  // namespace ss::spool
