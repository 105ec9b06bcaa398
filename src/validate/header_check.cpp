#include "validate/header_check.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "spool/index_file.hpp"
#include "validate/crc_repair.hpp"

namespace ss::validate {
namespace {

bool all_of(std::string_view s, bool (*pred)(char)) {
  return std::all_of(s.begin(), s.end(), pred);
}

bool uniqueid_form_ok(std::string_view id) {
  auto hex = [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); };
  auto base36 = [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z'); };
  if (id.size() == 16) return all_of(id, hex);
  if (id.size() == 24) return all_of(id, base36);
  if (id.size() == 36) {
    for (std::size_t i = 0; i < id.size(); ++i) {
      bool dash = i == 8 || i == 13 || i == 18 || i == 23;
      if (dash ? id[i] != '-' : !hex(id[i])) return false;
    }
    return true;
  }
  return false;
}

// The bytes of the keyword (or other text) around a flipped bit, for the report.
std::string context_at(ByteView bytes, std::uint32_t byte) {
  std::size_t from = byte >= 12 ? byte - 12 : 0;
  auto s = bytes.clamp(from, 24).chars();
  std::string out;
  for (char c : s) out += (c >= 0x20 && c < 0x7f) ? c : '.';
  return out;
}

void judge(const spool::MailboxHeader& h, const std::string& place, Findings& out) {
  if (!h.uniqueid.empty() && !uniqueid_form_ok(h.uniqueid))
    out.add(Code::header_uniqueid_form, place, fmt::format("uniqueid '{}'", h.uniqueid));
  for (std::size_t i = 0; i < h.user_flags.size(); ++i)
    if (h.user_flags[i] && !is_imap_atom(*h.user_flags[i]))
      out.add(Code::header_keyword_invalid, place,
              fmt::format("user flag {} '{}'", i, *h.user_flags[i]));
}

}  // namespace

bool is_imap_atom(std::string_view s) {
  if (s.empty()) return false;
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c >= 0x7f) return false;
    if (std::string_view("(){%*\"\\]").find(ch) != std::string_view::npos) return false;
  }
  return true;
}

HeaderCheck check_header_file(ByteView bytes, std::optional<std::uint32_t> expected_crc,
                              const std::string& place) {
  HeaderCheck out;
  auto parsed = spool::parse_header(bytes, place);
  if (parsed) out.header = std::move(parsed).value();
  else out.findings.add(parsed.problem());

  if (expected_crc && *expected_crc != 0) {
    std::uint32_t computed = spool::index::crc32_of(bytes);
    if (computed != *expected_crc) {
      // The mismatch itself is always reported; a proven correction is
      // reported beside it (as record.crc and record.corrected are).
      std::vector<BitCorrection> good;
      for (auto& c : crc_corrections_external(bytes, *expected_crc))
        if (spool::parse_header(ByteView(c.corrected), place)) good.push_back(std::move(c));
      out.findings.add(Code::index_header_file_crc, place,
                       fmt::format("index holds {:#010x}, cyrus.header computes {:#010x}{}",
                                   *expected_crc, computed,
                                   good.size() == 1 ? std::string()
                                   : good.empty()
                                       ? std::string("; no one- or two-bit change explains it "
                                                     "(stale after a crash, or more damage)")
                                       : fmt::format("; {} corrections fit", good.size())));
      if (good.size() == 1) {
        auto fixed = spool::parse_header(ByteView(good[0].corrected), place);
        std::vector<std::string> bits;
        for (auto b : good[0].bits) bits.push_back(fmt::format("byte {} bit {}", b / 8, b % 8));
        std::uint32_t first = good[0].bits.front() / 8;
        out.findings.add(Code::header_file_corrected, place,
                         fmt::format("flipped {}: '{}' -> '{}'; CRC {:#010x} now holds",
                                     fmt::join(bits, ", "), context_at(bytes, first),
                                     context_at(ByteView(good[0].corrected), first),
                                     *expected_crc));
        out.header = std::move(fixed).value();
        out.corrected = true;
      } else {
        out.crc_mismatch = true;
      }
    }
  }
  if (out.header) judge(*out.header, place, out.findings);
  return out;
}

}  // namespace ss::validate
