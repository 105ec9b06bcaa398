#include "spool/names.hpp"

#include <cstdint>

#include "spool/mutf7.hpp"

namespace ss::spool {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

bool is_hex(std::string_view s) {
  if (s.empty() || s.size() > 16) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'F') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

// Copies valid UTF-8 and replaces controls and invalid sequences by U+FFFD.
std::string sanitize_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  std::size_t i = 0;
  while (i < s.size()) {
    auto b = static_cast<unsigned char>(s[i]);
    if (b < 0x80) {
      if (b < 0x20 || b == 0x7F)
        out += kReplacement;
      else
        out += static_cast<char>(b);
      ++i;
      continue;
    }
    std::size_t len = 0;
    std::uint32_t cp = 0;
    if (b >= 0xC2 && b <= 0xDF) {
      len = 2;
      cp = b & 0x1Fu;
    } else if (b >= 0xE0 && b <= 0xEF) {
      len = 3;
      cp = b & 0x0Fu;
    } else if (b >= 0xF0 && b <= 0xF4) {
      len = 4;
      cp = b & 0x07u;
    }
    bool ok = len != 0 && i + len <= s.size();
    for (std::size_t k = 1; ok && k < len; ++k) {
      auto c = static_cast<unsigned char>(s[i + k]);
      if ((c & 0xC0) != 0x80)
        ok = false;
      else
        cp = (cp << 6) | (c & 0x3Fu);
    }
    if (ok) {
      // Reject overlong forms, surrogates and values above U+10FFFF.
      if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
          (cp >= 0xD800 && cp <= 0xDFFF) || (cp >= 0x80 && cp < 0xA0))
        ok = false;
    }
    if (!ok) {
      out += kReplacement;
      ++i;
      continue;
    }
    out.append(s.substr(i, len));
    i += len;
  }
  return out;
}

}  // namespace

SplitName split_domain(std::string_view internal) {
  auto bang = internal.find('!');
  if (bang == std::string_view::npos) return {{}, internal};
  return {internal.substr(0, bang), internal.substr(bang + 1)};
}

std::vector<std::string_view> name_components(std::string_view local) {
  std::vector<std::string_view> out;
  std::size_t pos = 0;
  while (true) {
    auto dot = local.find('.', pos);
    if (dot == std::string_view::npos) {
      out.push_back(local.substr(pos));
      break;
    }
    out.push_back(local.substr(pos, dot - pos));
    pos = dot + 1;
  }
  return out;
}

std::string display_name(std::string_view internal) {
  auto [domain, local] = split_domain(internal);
  std::string out;
  out.reserve(local.size() + domain.size() + 1);
  bool first = true;
  for (auto comp : name_components(local)) {
    if (!first) out += '/';
    first = false;
    std::string c(comp);
    for (auto& ch : c)
      if (ch == '^') ch = '.';
    out += mutf7_to_utf8(c);
  }
  if (!domain.empty()) {
    out += '@';
    out += domain;
  }
  return sanitize_utf8(out);
}

bool is_deleted_name(std::string_view internal, std::string_view deleted_prefix) {
  auto local = split_domain(internal).local;
  return !deleted_prefix.empty() && local.size() > deleted_prefix.size() &&
         local.starts_with(deleted_prefix) && local[deleted_prefix.size()] == '.';
}

std::optional<std::string> original_name(std::string_view internal,
                                         std::string_view deleted_prefix) {
  if (!is_deleted_name(internal, deleted_prefix)) return std::nullopt;
  auto [domain, local] = split_domain(internal);
  std::string_view rest = local.substr(deleted_prefix.size() + 1);
  auto dot = rest.rfind('.');
  if (dot == std::string_view::npos || dot == 0 || !is_hex(rest.substr(dot + 1)))
    return std::nullopt;
  std::string out;
  if (!domain.empty()) {
    out += domain;
    out += '!';
  }
  out += rest.substr(0, dot);
  return out;
}

std::string internal_from_dbname(std::string_view dbname) {
  std::string out(dbname);
  bool domain_seen = false;
  for (auto& c : out) {
    if (c == '\x1F') {
      c = '.';
    } else if (c == '\x1D' && !domain_seen) {
      c = '!';
      domain_seen = true;
    }
  }
  return out;
}

std::string internal_from_components(const std::vector<std::string>& components) {
  std::string out;
  for (std::size_t i = 0; i < components.size(); ++i) {
    if (i) out += '.';
    out += components[i];
  }
  return out;
}

}  // namespace ss::spool
