#include "spool/imapd_conf.hpp"

#include <cctype>
#include <optional>
#include <utility>

namespace ss::spool {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view s) {
  auto sp = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && sp(s.front())) s.remove_prefix(1);
  while (!s.empty() && sp(s.back())) s.remove_suffix(1);
  return s;
}

bool key_char(char c) {
  auto u = static_cast<unsigned char>(c);
  return std::isalnum(u) || c == '_' || c == '-' || c == '.' || c == '@';
}

// "key: value" → {key, value}; nullopt when the line has no key.
std::optional<std::pair<std::string_view, std::string_view>> split_key(std::string_view line) {
  line = trim(line);
  auto colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) return std::nullopt;
  auto key = line.substr(0, colon);
  for (char c : key)
    if (!key_char(c)) return std::nullopt;
  return std::pair{key, trim(line.substr(colon + 1))};
}

}  // namespace

bool parse_conf_bool(std::string_view value, bool fallback) {
  auto v = lower(trim(value));
  if (v == "1" || v == "yes" || v == "on" || v == "true" || v == "t" || v == "y") return true;
  if (v == "0" || v == "no" || v == "off" || v == "false" || v == "f" || v == "n") return false;
  return fallback;
}

ImapdConf parse_imapd_conf(std::string_view text) {
  ImapdConf conf;
  std::string last_key;
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto nl = text.find('\n', pos);
    std::string_view line =
        text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() : nl + 1;

    std::string_view t = trim(line);
    if (t.empty() || t.front() == '#') continue;
    bool indented = line.front() == ' ' || line.front() == '\t';
    auto kv = split_key(line);
    if (!kv) {
      if (indented && !last_key.empty()) {
        auto& v = conf.options[last_key];
        if (!v.empty()) v += ' ';
        v += t;
      } else {
        ++conf.ignored_lines;
      }
      continue;
    }
    last_key = lower(kv->first);
    conf.options[last_key] = std::string(kv->second);  // the last setting wins
  }

  for (const auto& [key, value] : conf.options) {
    if (key == "configdirectory")
      conf.configdirectory = value;
    else if (key.starts_with("partition-") && key.size() > 10)
      conf.partitions[key.substr(10)] = value;
    else if (key.starts_with("metapartition-") && key.size() > 14)
      conf.metapartitions[key.substr(14)] = value;
    else if (key == "metapartition_files")
      conf.metapartition_files = value;
    else if (key == "hashimapspool")
      conf.hashimapspool = parse_conf_bool(value, false);
    else if (key == "fulldirhash")
      conf.fulldirhash = parse_conf_bool(value, false);
    else if (key == "unixhierarchysep")
      conf.unixhierarchysep = parse_conf_bool(value, true);
    else if (key == "mailbox_legacy_dirs")
      conf.mailbox_legacy_dirs = parse_conf_bool(value, false);
    else if (key == "virtdomains")
      conf.virtdomains = lower(value) != "off" && parse_conf_bool(value, true);
    else if (key == "mboxlist_db") {
      conf.mboxlist_db = lower(value);
      conf.mboxlist_db_set = true;
    } else if (key == "deletedprefix" && !value.empty())
      conf.deletedprefix = value;
  }
  return conf;
}

}  // namespace ss::spool
