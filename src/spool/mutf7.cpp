#include "spool/mutf7.hpp"

#include <cstdint>
#include <optional>
#include <vector>

namespace ss::spool {
namespace {

// Modified base64 (RFC 3501: ',' replaces '/'); -1 for anything else.
int b64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == ',') return 63;
  return -1;
}

void put_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// Decodes the base64 between '&' and '-' to UTF-8, or nullopt if malformed.
std::optional<std::string> decode_shifted(std::string_view b64) {
  std::vector<std::uint16_t> units;
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : b64) {
    int v = b64_value(c);
    if (v < 0) return std::nullopt;
    acc = ((acc << 6) | static_cast<std::uint32_t>(v)) & 0xFFFFFFu;
    bits += 6;
    if (bits >= 16) {
      bits -= 16;
      units.push_back(static_cast<std::uint16_t>((acc >> bits) & 0xFFFFu));
    }
  }
  // Leftover bits are padding: fewer than 6, and all zero.
  if (bits >= 6 || (acc & ((1u << bits) - 1u)) != 0) return std::nullopt;
  if (units.empty()) return std::nullopt;
  std::string out;
  for (std::size_t i = 0; i < units.size(); ++i) {
    std::uint32_t u = units[i];
    std::uint32_t cp = u;
    if (u >= 0xD800 && u <= 0xDBFF) {
      if (i + 1 >= units.size()) return std::nullopt;
      std::uint32_t lo = units[i + 1];
      if (lo < 0xDC00 || lo > 0xDFFF) return std::nullopt;
      cp = 0x10000u + ((u - 0xD800u) << 10) + (lo - 0xDC00u);
      ++i;
    } else if (u >= 0xDC00 && u <= 0xDFFF) {
      return std::nullopt;
    }
    if (cp < 0x80) return std::nullopt;
    put_utf8(out, cp);
  }
  return out;
}

}  // namespace

std::string mutf7_to_utf8(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  std::size_t i = 0;
  while (i < in.size()) {
    char c = in[i];
    if (c != '&') {
      out += c;
      ++i;
      continue;
    }
    std::size_t dash = in.find('-', i + 1);
    if (dash == std::string_view::npos) {  // unterminated: keep the rest
      out.append(in.substr(i));
      break;
    }
    if (dash == i + 1) {
      out += '&';
    } else if (auto dec = decode_shifted(in.substr(i + 1, dash - i - 1))) {
      out += *dec;
    } else {
      out.append(in.substr(i, dash - i + 1));
    }
    i = dash + 1;
  }
  return out;
}

}  // namespace ss::spool
