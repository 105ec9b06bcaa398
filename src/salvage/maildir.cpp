#include "salvage/maildir.hpp"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace ss::salvage {
namespace {

constexpr std::size_t kMaxName = 180;

Finding out_error(const std::string& path, const char* what) {
  return Finding{Code::out_write_failed, path, fmt::format("{}: {}", what, std::strerror(errno))};
}

bool utf8_letter_start(unsigned char c) { return c >= 0xC2 && c <= 0xF4; }

std::string fold(const std::string& s) {
  std::string f = s;
  std::transform(f.begin(), f.end(), f.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return f;
}

}  // namespace

std::string escape_component_path(const std::string& display) {
  std::string out;
  for (std::size_t i = 0; i < display.size(); ++i) {
    auto c = static_cast<unsigned char>(display[i]);
    if (std::isalnum(c) || c == '_' || c == '-') {
      out += static_cast<char>(c);
    } else if (c == '/') {
      out += '.';  // hierarchy
    } else if (utf8_letter_start(c)) {
      // Keep a whole, valid multi-byte UTF-8 sequence (readable names).
      std::size_t n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
      bool ok = i + n <= display.size();
      for (std::size_t k = 1; ok && k < n; ++k)
        ok = (static_cast<unsigned char>(display[i + k]) & 0xC0) == 0x80;
      if (ok) {
        out.append(display, i, n);
        i += n - 1;
      } else {
        out += fmt::format("%{:02X}", c);
      }
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  if (out.empty()) out = "%00";
  // A leading dot would make "." or ".." or a hidden (Maildir++ subfolder) name.
  if (out[0] == '.') out = "%2E" + out.substr(1);
  return out;
}

std::string MaildirNamer::name_for(const std::string& internal, const std::string& display) {
  if (auto it = given_.find(internal); it != given_.end()) return it->second;
  std::string base = escape_component_path(display.empty() ? internal : display);
  bool cut = false;
  if (base.size() > kMaxName) {
    base.resize(kMaxName);
    // Do not leave half an escape or half a UTF-8 sequence at the end.
    while (!base.empty() && (static_cast<unsigned char>(base.back()) & 0xC0) == 0x80) base.pop_back();
    if (!base.empty() && static_cast<unsigned char>(base.back()) >= 0xC0) base.pop_back();
    if (auto pct = base.rfind('%'); pct != std::string::npos && pct + 3 > base.size())
      base.resize(pct);
    cut = true;
  }
  std::string name = base;
  if (cut || used_folded_.count(fold(name))) {
    auto h = XXH64(internal.data(), internal.size(), 0);
    name = fmt::format("{}~{:08x}", base, static_cast<std::uint32_t>(h));
    for (unsigned k = 1; used_folded_.count(fold(name)); ++k)
      name = fmt::format("{}~{:08x}-{}", base, static_cast<std::uint32_t>(h), k);
  }
  used_folded_.insert(fold(name));
  given_.emplace(internal, name);
  return name;
}

std::string maildir_flag_letters(const std::vector<std::string>& flags,
                                 const std::vector<char>& keyword_letters) {
  std::string letters;
  for (const auto& f : flags) {
    if (f == "\\Draft") letters += 'D';
    else if (f == "\\Flagged") letters += 'F';
    else if (f == "\\Answered") letters += 'R';
    else if (f == "\\Seen") letters += 'S';
    else if (f == "\\Deleted") letters += 'T';
  }
  std::sort(letters.begin(), letters.end());
  std::string kw(keyword_letters.begin(), keyword_letters.end());
  std::sort(kw.begin(), kw.end());
  return letters + kw;
}

Status make_maildir(const std::string& root, const std::string& dir) {
  std::string path = root + "/" + dir;
  for (const std::string& p : {path, path + "/cur", path + "/new", path + "/tmp"}) {
    if (::mkdir(p.c_str(), 0700) != 0 && errno != EEXIST) return out_error(p, "mkdir");
    struct stat st {};
    if (::lstat(p.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
      return Finding{Code::out_write_failed, p, "exists and is not a directory"};
  }
  return ok_status();
}

Status write_keywords_file(const std::string& maildir, const std::vector<std::string>& names) {
  std::string path = maildir + "/dovecot-keywords";
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return out_error(path, "open");
  std::string text;
  for (std::size_t i = 0; i < names.size(); ++i) text += fmt::format("{} {}\n", i, names[i]);
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ::close(fd);
  if (!ok) return out_error(path, "write");
  return ok_status();
}

static Status set_mtime(const std::string& path, std::int64_t mtime) {
  struct timespec times[2];
  times[0].tv_sec = static_cast<time_t>(mtime);
  times[0].tv_nsec = 0;
  times[1] = times[0];
  if (::utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0)
    return out_error(path, "utimensat");
  return ok_status();
}

Result<std::string> publish(const std::string& tmp_path, const std::string& maildir,
                            const std::string& base, const std::string& flags,
                            std::int64_t mtime) {
  std::string file, dest;
  for (unsigned k = 0;; ++k) {
    file = (k == 0 ? base : fmt::format("{}.{}", base, k)) + ":2," + flags;
    dest = maildir + "/cur/" + file;
    if (::renameat2(AT_FDCWD, tmp_path.c_str(), AT_FDCWD, dest.c_str(), RENAME_NOREPLACE) == 0)
      break;
    if (errno != EEXIST || k > 1000) return out_error(dest, "rename");
  }
  if (auto st = set_mtime(dest, mtime); !st) return st.problem();
  return file;
}

Result<std::string> keep_published(const std::string& maildir, const std::string& name,
                                   std::int64_t mtime) {
  if (auto st = set_mtime(maildir + "/cur/" + name, mtime); !st) return st.problem();
  return name;
}

}  // namespace ss::salvage
