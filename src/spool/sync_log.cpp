#include "spool/sync_log.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <optional>
#include <utility>

namespace ss::spool {
namespace {

struct VerbInfo {
  SyncVerb verb;
  std::string_view name;
  std::size_t arity;
};

constexpr std::array<VerbInfo, 13> kVerbs{{
    {SyncVerb::user, "USER", 1},
    {SyncVerb::meta, "META", 1},
    {SyncVerb::unuser, "UNUSER", 1},
    {SyncVerb::mailbox, "MAILBOX", 1},
    {SyncVerb::unmailbox, "UNMAILBOX", 1},
    {SyncVerb::append, "APPEND", 1},
    {SyncVerb::acl, "ACL", 1},
    {SyncVerb::quota, "QUOTA", 1},
    {SyncVerb::annotation, "ANNOTATION", 1},
    {SyncVerb::seen, "SEEN", 2},
    {SyncVerb::sub, "SUB", 2},
    {SyncVerb::rename, "RENAME", 2},
    {SyncVerb::doublemailbox, "DOUBLEMAILBOX", 2},
}};

const VerbInfo* verb_info(SyncVerb v) {
  for (const auto& i : kVerbs)
    if (i.verb == v) return &i;
  return nullptr;
}

bool is_ascii_alpha(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}
char ascii_upper(char c) {
  return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
}
bool is_control(char c) {
  auto u = static_cast<unsigned char>(c);
  return u < 0x20 || u == 0x7F;
}

// A short printable rendering of a line for a finding's detail.
std::string excerpt(std::string_view s) {
  constexpr std::size_t kMax = 60;
  std::string out;
  for (std::size_t i = 0; i < s.size() && i < kMax; ++i) {
    auto u = static_cast<unsigned char>(s[i]);
    if (u == '\n') break;
    if (u >= 0x20 && u < 0x7F && u != '\\')
      out += static_cast<char>(u);
    else
      out += fmt::format("\\x{:02x}", u);
  }
  if (s.size() > kMax && s.substr(0, kMax).find('\n') == std::string_view::npos) out += "...";
  return out;
}

// One problem met while reading a line: its code, what is wrong, where, and
// where reading resumes.
struct LineError {
  Code code;
  std::string what;
  std::size_t at;      // offset of the offending byte
  std::size_t resume;  // the next line starts at the first LF at or after this, + 1
  bool exact = false;  // ... or right at `resume` (after a run of NUL bytes)
};

// Reads one line from `text` starting at `start`. On success fills `entry`
// (complete=false when the text ends before LF) and returns the offset after
// the line; on error returns the LineError.
class LineReader {
 public:
  explicit LineReader(std::string_view text) : t_(text) {}

  // nullopt entry + no error = blank line.
  struct Outcome {
    std::optional<SyncLogEntry> entry;
    std::optional<LineError> error;
    bool truncated = false;  // the text ended inside the line
    std::size_t next = 0;    // offset of the next line
  };

  Outcome read(std::size_t start) {
    Outcome out;
    std::size_t p = start;
    SyncLogEntry e;
    e.offset = start;
    // Verb: letters up to SP, CR, LF or the end.
    while (p < t_.size() && t_[p] != ' ' && t_[p] != '\r' && t_[p] != '\n') {
      char c = t_[p];
      if (c == '\0') {
        out.error = nul_error("the verb", p);
        return finish_error(out);
      }
      if (!is_ascii_alpha(c))
        return fail(out, Code::spool_sync_log_syntax,
                    fmt::format("byte 0x{:02x} in the verb", static_cast<unsigned char>(c)), p, p);
      e.verb += ascii_upper(c);
      if (e.verb.size() > kMaxSyncLogArg)
        return fail(out, Code::spool_sync_log_too_long, "verb too long", p, p);
      ++p;
    }
    if (e.verb.empty()) {
      if (p < t_.size() && t_[p] == '\n') return blank(out, p + 1);
      if (p + 1 < t_.size() && t_[p] == '\r' && t_[p + 1] == '\n') return blank(out, p + 2);
      return fail(out, Code::spool_sync_log_syntax, "line does not start with a verb", p, p);
    }
    for (;;) {
      if (p >= t_.size()) {
        out.truncated = true;
        out.next = p;
        break;
      }
      char c = t_[p];
      if (c == '\n') {
        out.next = p + 1;
        break;
      }
      if (c == '\r') {
        if (p + 1 < t_.size() && t_[p + 1] == '\n') {
          out.next = p + 2;
          break;
        }
        if (p + 1 >= t_.size()) {  // "...\r" then the end: cut between CR and LF
          out.truncated = true;
          out.next = p + 1;
          break;
        }
        return fail(out, Code::spool_sync_log_syntax, "CR not followed by LF", p, p);
      }
      if (c != ' ')
        return fail(out, Code::spool_sync_log_syntax, "expected a space before an argument", p, p);
      ++p;
      std::string arg;
      bool arg_truncated = false;
      if (auto err = read_astring(p, arg, arg_truncated)) {
        out.error = std::move(err);
        return finish_error(out);
      }
      if (!arg_truncated || !arg.empty()) e.args.push_back(std::move(arg));
      if (arg_truncated) {
        out.truncated = true;
        out.next = t_.size();
        break;
      }
    }
    e.complete = !out.truncated;
    e.kind = sync_verb_from(e.verb);
    out.entry = std::move(e);
    return out;
  }

 private:
  Outcome& fail(Outcome& out, Code code, std::string what, std::size_t at, std::size_t resume) {
    out.error = LineError{code, std::move(what), at, resume};
    return finish_error(out);
  }
  Outcome& finish_error(Outcome& out) {
    std::size_t from = std::min(out.error->resume, t_.size());
    if (out.error->exact) {
      out.next = from;
      out.truncated = from >= t_.size();
      return out;
    }
    std::size_t nl = t_.find('\n', from);
    out.next = nl == std::string_view::npos ? t_.size() : nl + 1;
    out.truncated = nl == std::string_view::npos;
    return out;
  }
  // Zero-filled blocks (a crash after the size grew but before the data was
  // written) end at the next line written after the restart: reading resumes
  // right after the run of NULs, not at the next LF, so that line is kept.
  // A NUL that only replaced a byte mid-line is followed by the rest of the
  // line, not by a verb: then reading resumes at the next LF as usual.
  LineError nul_error(std::string_view where, std::size_t at) const {
    std::size_t end = at;
    while (end < t_.size() && t_[end] == '\0') ++end;
    return LineError{Code::spool_sync_log_nul, fmt::format("{} NUL byte(s) in {}", end - at, where),
                     at, end, end >= t_.size() || starts_with_verb(end)};
  }
  bool starts_with_verb(std::size_t p) const {
    std::size_t e = p;
    while (e < t_.size() && is_ascii_alpha(t_[e])) ++e;
    if (e < t_.size() && t_[e] != ' ' && t_[e] != '\r' && t_[e] != '\n') return false;
    std::string verb;
    for (std::size_t i = p; i < e; ++i) verb += ascii_upper(t_[i]);
    return sync_verb_from(verb) != SyncVerb::unknown;
  }
  static Outcome& blank(Outcome& out, std::size_t next) {
    out.next = next;
    return out;
  }

  // Reads one astring at p (advanced past it). An error, or nothing with
  // `truncated` set when the text ends inside a quoted string.
  std::optional<LineError> read_astring(std::size_t& p, std::string& arg, bool& truncated) {
    if (p >= t_.size()) {
      truncated = true;  // "VERB " then the end
      return std::nullopt;
    }
    if (t_[p] == '"') return read_quoted(p, arg, truncated);
    if (t_[p] == '{') return read_literal(p, arg);
    return read_atom(p, arg);
  }

  std::optional<LineError> read_atom(std::size_t& p, std::string& arg) {
    std::size_t begin = p;
    while (p < t_.size() && t_[p] != ' ' && t_[p] != '\r' && t_[p] != '\n') {
      char c = t_[p];
      if (c == '\0') return nul_error("an atom", p);
      if (is_control(c))
        return LineError{Code::spool_sync_log_syntax,
                         fmt::format("control byte 0x{:02x} in an atom (it would be quoted)",
                                     static_cast<unsigned char>(c)),
                         p, p};
      if (p - begin >= kMaxSyncLogArg)
        return LineError{Code::spool_sync_log_too_long,
                         fmt::format("atom longer than {} bytes", kMaxSyncLogArg), begin, p};
      ++p;
    }
    if (p == begin)
      return LineError{Code::spool_sync_log_syntax, "empty argument (Cyrus writes \"\")", p, p};
    arg.assign(t_.substr(begin, p - begin));
    return std::nullopt;
  }

  std::optional<LineError> read_quoted(std::size_t& p, std::string& arg, bool& truncated) {
    std::size_t begin = p++;
    for (;;) {
      if (p >= t_.size()) {
        truncated = true;
        return std::nullopt;
      }
      char c = t_[p];
      if (c == '"') {
        ++p;
        break;
      }
      if (c == '\\') {
        if (++p >= t_.size()) {
          truncated = true;
          return std::nullopt;
        }
        c = t_[p];
      }
      if (c == '\0') return nul_error("a quoted string", p);
      if (c == '\r' || c == '\n')
        return LineError{Code::spool_sync_log_syntax, "line ends inside a quoted string", p, p};
      if (arg.size() >= kMaxSyncLogArg)
        return LineError{Code::spool_sync_log_too_long,
                         fmt::format("quoted string longer than {} bytes", kMaxSyncLogArg), begin,
                         p};
      arg += c;
      ++p;
    }
    if (p < t_.size() && t_[p] != ' ' && t_[p] != '\r' && t_[p] != '\n')
      return LineError{Code::spool_sync_log_syntax, "no space after a quoted string", p, p};
    return std::nullopt;
  }

  // {N} or {N+}, optional CR, LF, then N bytes. N is checked against the
  // bytes present and kMaxSyncLogArg before anything is copied.
  std::optional<LineError> read_literal(std::size_t& p, std::string& arg) {
    std::size_t begin = p++;
    std::uint64_t n = 0;
    std::size_t digits = 0;
    bool huge = false;
    while (p < t_.size() && t_[p] >= '0' && t_[p] <= '9') {
      if (n > (std::uint64_t{1} << 40)) huge = true;  // saturate: no overflow
      if (!huge) n = n * 10 + static_cast<std::uint64_t>(t_[p] - '0');
      ++digits;
      ++p;
    }
    if (digits == 0)
      return LineError{Code::spool_sync_log_syntax, "'{' not followed by a length", p, p};
    if (p < t_.size() && t_[p] == '+') ++p;
    if (p >= t_.size() || t_[p] != '}')
      return LineError{Code::spool_sync_log_syntax, "literal length not closed by '}'", p, p};
    ++p;
    if (p < t_.size() && t_[p] == '\r') ++p;
    if (p >= t_.size() || t_[p] != '\n')
      return LineError{Code::spool_sync_log_syntax, "literal length not followed by CRLF", p, p};
    ++p;
    std::size_t body = p;
    std::size_t present = t_.size() - body;
    if (huge || n > kMaxSyncLogArg)
      return LineError{
          Code::spool_sync_log_literal,
          huge ? std::string("literal length beyond 2^40")
               : fmt::format("literal length {} beyond the {} any name needs", n, kMaxSyncLogArg),
          begin, body, true};
    if (n > present)
      return LineError{Code::spool_sync_log_literal,
                       fmt::format("literal length {}, only {} bytes follow", n, present), begin,
                       body, true};
    auto len = static_cast<std::size_t>(n);
    std::string_view content = t_.substr(body, len);
    if (auto z = content.find('\0'); z != std::string_view::npos)
      return LineError{Code::spool_sync_log_nul, "NUL byte in a literal", body + z, body + len};
    arg.assign(content);
    p = body + len;
    if (p < t_.size() && t_[p] != ' ' && t_[p] != '\r' && t_[p] != '\n')
      return LineError{Code::spool_sync_log_syntax, "no space after a literal", p, p};
    return std::nullopt;
  }

  std::string_view t_;
};

std::uint64_t count_lf(std::string_view s) {
  return static_cast<std::uint64_t>(std::count(s.begin(), s.end(), '\n'));
}

std::string join_path(std::string_view dir, std::string_view name) {
  std::string out(dir);
  if (!out.empty()) out += '/';
  out += name;
  return out;
}

std::string_view strip_slashes(std::string_view p) {
  while (!p.empty() && p.front() == '/') p.remove_prefix(1);
  while (!p.empty() && p.back() == '/') p.remove_suffix(1);
  return p;
}

// log-<digits>: the pid, else nullopt.
std::optional<std::uint64_t> pid_log(std::string_view name) {
  constexpr std::string_view kPrefix = "log-";
  if (!name.starts_with(kPrefix) || name.size() == kPrefix.size() || name.size() > 24)
    return std::nullopt;
  std::uint64_t pid = 0;
  for (char c : name.substr(kPrefix.size())) {
    if (c < '0' || c > '9') return std::nullopt;
    pid = pid * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return pid;
}

// The log files of one directory, in the documented order.
void logs_in(const std::string& dir, const std::vector<fs::Entry>& entries,
             std::vector<std::string>& out) {
  std::vector<std::pair<std::uint64_t, std::string>> pids;
  bool run = false;
  bool log = false;
  for (const auto& e : entries) {
    if (e.kind != fs::NodeKind::file) continue;
    if (e.name == "log")
      log = true;
    else if (e.name == "log-run")
      run = true;
    else if (auto pid = pid_log(e.name))
      pids.emplace_back(*pid, e.name);
  }
  std::sort(pids.begin(), pids.end());
  for (const auto& [pid, name] : pids) out.push_back(join_path(dir, name));
  if (run) out.push_back(join_path(dir, "log-run"));
  if (log) out.push_back(join_path(dir, "log"));
}

bool same_user(std::string_view logged, std::string_view owner, std::string_view default_domain) {
  if (logged == owner) return true;
  if (default_domain.empty()) return false;
  // "fred@default" and "fred" name the same user when default is defaultdomain.
  auto strip = [&](std::string_view u) {
    if (u.size() > default_domain.size() + 1 && u.ends_with(default_domain) &&
        u[u.size() - default_domain.size() - 1] == '@')
      u.remove_suffix(default_domain.size() + 1);
    return u;
  };
  return strip(logged) == strip(owner);
}

void note(std::map<std::string, SyncLogUse, std::less<>>& m, const std::string& key,
          const std::string& verb) {
  auto& use = m[key];
  ++use.lines;
  use.verbs.insert(verb);
}

}  // namespace

std::string_view to_string(SyncVerb v) {
  if (const auto* i = verb_info(v)) return i->name;
  return "unknown";
}

SyncVerb sync_verb_from(std::string_view upper_verb) {
  for (const auto& i : kVerbs)
    if (i.name == upper_verb) return i.verb;
  return SyncVerb::unknown;
}

std::size_t sync_verb_arity(SyncVerb v) {
  if (const auto* i = verb_info(v)) return i->arity;
  return 0;
}

SyncLog parse_sync_log(ByteView bytes, std::string_view place) {
  SyncLog log;
  log.place = std::string(place);
  log.bytes = bytes.size();
  std::string_view text = bytes.chars();
  LineReader reader(text);
  std::size_t pos = 0;
  std::uint64_t line = 1;
  while (pos < text.size()) {
    auto out = reader.read(pos);
    ++log.lines;
    auto where = [&] { return fmt::format("{} line {}", place, line); };
    if (out.error) {
      const auto& err = *out.error;
      ++log.bad_lines;
      log.findings.add(err.code, where(),
                       fmt::format("byte offset {} (line starts at {}): {}; line: {}", err.at, pos,
                                   err.what, excerpt(text.substr(pos))));
      if (out.truncated) log.complete = false;
    } else if (!out.entry) {
      ++log.blank_lines;
    } else {
      auto& e = *out.entry;
      e.line = line;
      if (!e.complete) {
        log.complete = false;
        log.findings.add(Code::spool_sync_log_truncated, where(),
                         fmt::format("byte offset {}: {} bytes without LF: {}", pos,
                                     text.size() - pos, excerpt(text.substr(pos))));
      } else if (e.kind == SyncVerb::unknown) {
        log.findings.add(Code::spool_sync_log_unknown_verb, where(),
                         fmt::format("byte offset {}: verb {}", pos, excerpt(e.verb)));
      } else if (e.args.size() != sync_verb_arity(e.kind)) {
        log.findings.add(Code::spool_sync_log_arity, where(),
                         fmt::format("byte offset {}: {} takes {} argument(s), the line has {}",
                                     pos, e.verb, sync_verb_arity(e.kind), e.args.size()));
      }
      log.entries.push_back(std::move(e));
    }
    line += count_lf(text.substr(pos, out.next - pos));
    pos = out.next;
  }
  return log;
}

void add_sync_log(SyncLogSelection& sel, std::span<const SyncLogEntry> entries) {
  for (const auto& e : entries) {
    if (!e.complete || e.kind == SyncVerb::unknown) {
      ++sel.entries_ignored;
      continue;
    }
    const std::string* a1 = !e.args.empty() ? &e.args[0] : nullptr;
    const std::string* a2 = e.args.size() > 1 ? &e.args[1] : nullptr;
    bool used = false;
    auto mailbox = [&](const std::string* a) {
      if (a && !a->empty()) {
        note(sel.mailboxes, *a, e.verb);
        used = true;
      }
    };
    auto user = [&](const std::string* a) {
      if (a && !a->empty()) {
        note(sel.users, *a, e.verb);
        used = true;
      }
    };
    switch (e.kind) {
      case SyncVerb::mailbox:
      case SyncVerb::append:
      case SyncVerb::unmailbox:
      case SyncVerb::acl:
        mailbox(a1);
        break;
      case SyncVerb::annotation:
        if (a1 && a1->empty()) {
          sel.server_annotations = true;
          used = true;
        }
        mailbox(a1);
        break;
      case SyncVerb::rename:
      case SyncVerb::doublemailbox:
        mailbox(a1);
        mailbox(a2);
        break;
      case SyncVerb::user:
      case SyncVerb::meta:
      case SyncVerb::unuser:
        user(a1);
        break;
      case SyncVerb::seen:
        user(a1);
        if (a2 && !a2->empty()) {
          note(sel.seen_items, *a2, e.verb);
          used = true;
        }
        break;
      case SyncVerb::sub:
        user(a1);
        mailbox(a2);
        break;
      case SyncVerb::quota:
        if (a1) {
          note(sel.quota_roots, *a1, e.verb);
          used = true;
        }
        break;
      case SyncVerb::unknown:
        break;
    }
    if (used)
      ++sel.entries_used;
    else
      ++sel.entries_ignored;
  }
}

SyncLogSelection select_from_sync_log(const SyncLog& log) {
  SyncLogSelection sel;
  add_sync_log(sel, log.entries);
  return sel;
}

std::optional<std::string> mailbox_owner(std::string_view internal,
                                         std::string_view deleted_prefix) {
  std::string base(internal);
  if (auto orig = original_name(internal, deleted_prefix)) base = *orig;
  auto split = split_domain(base);
  constexpr std::string_view kUser = "user.";
  if (!split.local.starts_with(kUser)) return std::nullopt;
  std::string_view rest = split.local.substr(kUser.size());
  std::string_view id = rest.substr(0, rest.find('.'));
  if (id.empty()) return std::nullopt;
  std::string owner(id);
  std::replace(owner.begin(), owner.end(), '^', '.');
  if (!split.domain.empty()) {
    owner += '@';
    owner += split.domain;
  }
  return owner;
}

std::vector<std::string> expand_user(std::string_view userid,
                                     std::span<const std::string> internal_names,
                                     std::string_view default_domain,
                                     std::string_view deleted_prefix) {
  std::vector<std::string> out;
  if (userid.empty()) return out;
  for (const auto& name : internal_names) {
    auto owner = mailbox_owner(name, deleted_prefix);
    if (owner && same_user(userid, *owner, default_domain)) out.push_back(name);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

bool sync_log_selects(const SyncLogSelection& sel, std::string_view name,
                      std::string_view uniqueid) {
  if (sel.mailboxes.contains(name) || sel.seen_items.contains(name)) return true;
  if (!uniqueid.empty() && sel.seen_items.contains(uniqueid)) return true;
  if (auto orig = original_name(name, sel.deleted_prefix))
    if (sel.mailboxes.contains(*orig) || sel.seen_items.contains(*orig)) return true;
  if (sel.users.empty()) return false;
  auto owner = mailbox_owner(name, sel.deleted_prefix);
  if (!owner) return false;
  if (sel.users.contains(*owner)) return true;
  if (sel.default_domain.empty()) return false;
  for (const auto& [user, use] : sel.users)
    if (same_user(user, *owner, sel.default_domain)) return true;
  return false;
}

std::vector<std::string> find_sync_logs(fs::Filesystem& fs, std::string_view configdir_path) {
  Findings ignored;
  return find_sync_logs(fs, configdir_path, ignored);
}

std::vector<std::string> find_sync_logs(fs::Filesystem& fs, std::string_view configdir_path,
                                        Findings& findings) {
  std::vector<std::string> out;
  std::string sync_dir = join_path(strip_slashes(configdir_path), "sync");
  auto id = fs.lookup(sync_dir);
  if (!id) {
    // No sync directory is normal (replication never configured); only a
    // damaged path is worth a finding.
    if (id.problem().code != Code::fs_path_not_found) findings.add(id.problem());
    return out;
  }
  auto st = fs.stat(*id);
  if (!st || st->kind != fs::NodeKind::directory) return out;
  auto entries = fs.list(*id);
  if (!entries) {
    findings.add(entries.problem());
    return out;
  }
  logs_in(sync_dir, *entries, out);
  std::vector<const fs::Entry*> channels;
  for (const auto& e : *entries)
    if (e.kind == fs::NodeKind::directory) channels.push_back(&e);
  std::sort(channels.begin(), channels.end(),
            [](const fs::Entry* a, const fs::Entry* b) { return a->name < b->name; });
  for (const auto* ch : channels) {
    auto sub = fs.list(ch->id);
    if (!sub) {
      findings.add(sub.problem());
      continue;
    }
    logs_in(join_path(sync_dir, ch->name), *sub, out);
  }
  return out;
}

Result<SyncLog> read_sync_log(fs::Filesystem& fs, std::string_view path, std::uint64_t limit) {
  auto id = fs.lookup(path);
  if (!id) return id.problem();
  auto bytes = fs.read_all(*id, limit);
  if (!bytes) {
    Finding f = bytes.problem();
    f.place = fmt::format("{} ({})", path, f.place);
    return f;
  }
  return parse_sync_log(ByteView(*bytes), path);
}

}  // namespace ss::spool
