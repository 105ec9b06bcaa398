#include "spool/layout.hpp"

#include <cstdint>

#include "spool/names.hpp"

namespace ss::spool {
namespace {

constexpr unsigned kFullHashBuckets = 23;

bool single_char(const std::string& s) {
  return s.size() == 1;
}

}  // namespace

char dir_hash_c(std::string_view s, bool fulldirhash) {
  if (!fulldirhash) {
    if (s.empty()) return 'q';
    char c = s.front();
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return (c >= 'a' && c <= 'z') ? c : 'q';
  }
  std::uint32_t n = 0;
  for (char ch : s) {
    if (ch == '.' || ch == '\0') break;
    n = ((n << 3) ^ (n >> 5)) ^ static_cast<unsigned char>(ch);
  }
  return static_cast<char>('A' + n % kFullHashBuckets);
}

std::string_view hash_component(std::string_view local_name) {
  auto comps = name_components(local_name);
  return comps.size() >= 2 ? comps[1] : comps[0];
}

std::vector<std::string> path_components(std::string_view path) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos <= path.size()) {
    auto slash = path.find('/', pos);
    auto end = slash == std::string_view::npos ? path.size() : slash;
    if (end > pos) out.emplace_back(path.substr(pos, end - pos));
    if (slash == std::string_view::npos) break;
    pos = slash + 1;
  }
  return out;
}

namespace {

// Legacy components (after any domain part) → layout and name.
void infer_legacy(std::vector<std::string> comps, const LayoutHints& hints, LayoutGuess& g,
                  std::string_view domain) {
  g.layout = "legacy";
  if (comps.size() >= 2 && single_char(comps[0]) && hints.hashimapspool.value_or(true)) {
    std::string_view x = comps.size() >= 3 ? comps[2] : comps[1];
    char c = comps[0][0];
    bool plain = !hints.fulldirhash.value_or(false) && c == dir_hash_c(x, false);
    bool full = hints.fulldirhash.value_or(true) && c == dir_hash_c(x, true);
    if (plain || full) {
      g.layout = plain ? "legacy-hashed" : "legacy-fulldirhash";
      comps.erase(comps.begin());
    }
  }
  g.name.clear();
  if (!domain.empty()) {
    g.name += domain;
    g.name += '!';
  }
  g.name += internal_from_components(comps);
}

}  // namespace

LayoutGuess infer_layout(std::string_view rel_dir, const LayoutHints& hints) {
  LayoutGuess g;
  g.layout = "unknown";
  auto comps = path_components(rel_dir);
  if (comps.empty()) return g;
  if (comps[0] == "uuid") {
    if (comps.size() == 4 && single_char(comps[1]) && single_char(comps[2]) &&
        comps[3].size() >= 2 && comps[3][0] == comps[1][0] && comps[3][1] == comps[2][0]) {
      g.layout = "uuid";
      g.uniqueid = comps[3];
    }
    return g;
  }
  if (comps[0] == "domain" && comps.size() >= 3) {
    std::size_t i = 1;
    if (single_char(comps[1]) && comps.size() >= 4 &&
        (comps[1][0] == dir_hash_c(comps[2], false) || comps[1][0] == dir_hash_c(comps[2], true)))
      i = 2;
    std::string domain = comps[i];
    std::vector<std::string> rest(comps.begin() + static_cast<std::ptrdiff_t>(i + 1), comps.end());
    if (rest.empty()) return g;
    infer_legacy(std::move(rest), hints, g, domain);
    return g;
  }
  infer_legacy(std::move(comps), hints, g, {});
  return g;
}

std::string legacy_dir(std::string_view internal, bool hashimapspool, bool fulldirhash) {
  auto [domain, local] = split_domain(internal);
  std::string out;
  if (!domain.empty()) {
    out += "domain/";
    if (hashimapspool) {
      out += dir_hash_c(domain, fulldirhash);
      out += '/';
    }
    out += domain;
    out += '/';
  }
  if (hashimapspool) {
    out += dir_hash_c(hash_component(local), fulldirhash);
    out += '/';
  }
  for (char c : local) out += c == '.' ? '/' : c;
  return out;
}

}  // namespace ss::spool
