// spoolsalvage: the command layer. The only place that parses arguments,
// prints, and decides the exit status.
#include <fnmatch.h>
#include <malloc.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>
#include <fmt/format.h>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "cli/exit_status.hpp"
#include "evidence/ddrescue_map.hpp"
#include "evidence/volumes.hpp"
#include "fs/filesystem.hpp"
#include "report/check_report.hpp"
#include "report/dfxml.hpp"
#include "report/diff_report.hpp"
#include "report/dump.hpp"
#include "report/findings_json.hpp"
#include "report/listing.hpp"
#include "report/reinject_report.hpp"
#include "report/salvage_report.hpp"
#include "salvage/diff.hpp"
#include "salvage/lost_files.hpp"
#include "salvage/lost_mailboxes.hpp"
#include "fs/overlay.hpp"
#include "salvage/other_side.hpp"
#include "salvage/other_side_imap.hpp"
#include "salvage/reinject.hpp"
#include "salvage/salvage.hpp"
#include "core/time_parse.hpp"
#include "spool/discovery.hpp"
#include "spool/sync_log.hpp"
#include "validate/mailbox_check.hpp"

#ifndef SPOOLSALVAGE_VERSION
#define SPOOLSALVAGE_VERSION "0.1.0"
#endif

namespace ss::cli {
namespace {

// Names from the evidence can hold any bytes; JSON must be UTF-8. Bytes that
// are not valid UTF-8 become U+FFFD in JSON output (text output escapes them
// as \xNN, and DFXML keeps them reversibly escaped).
constexpr auto kReplaceInvalidUtf8 = nlohmann::json::error_handler_t::replace;

constexpr const char* kExitHelp =
    "Exit status (a bitmask, as fsck):\n"
    "   0  nothing wrong\n"
    "   1  damage or a relaxation was found (e.g. backup superblock used), nothing is lost\n"
    "   4  something is left: a mailbox or message could not be read or proven\n"
    "   8  operational error: an evidence could not be opened, OUT could not be written\n"
    "  16  usage error\n"
    "  32  cancelled (the run can be resumed)\n";

// Every EVIDENCE of a run, opened read-only. Keeps the filesystems alive.
struct OpenedEvidence {
  std::vector<std::unique_ptr<fs::Filesystem>> owned;
  std::vector<report::EvidenceView> views;
  std::vector<fs::Filesystem*> usable;
};

// --map MAPFILE of the command being run: the ddrescue map of its (first)
// EVIDENCE.
std::string g_map_file;
// check --domain-out FILE.
std::string g_domain_out;
// --no-journal: read an ext3/4 filesystem as it stands, its journal not replayed.
bool g_no_journal = false;
bool g_no_carve_check = false;  // check --no-carve

// Opens each evidence; with `mapped`, the first through the --map ddrescue map.
OpenedEvidence open_all(const std::vector<std::string>& paths, bool mapped = false) {
  OpenedEvidence o;
  std::optional<evidence::DdrescueMap> map;
  std::optional<Finding> map_error;
  if (mapped && !g_map_file.empty()) {
    auto m = evidence::read_ddrescue_map(g_map_file);
    if (m) map = std::move(m).value();
    else map_error = m.problem();
  }
  for (const auto& p : paths) {
    report::EvidenceView v;
    v.path = p;
    const bool first = &p == &paths.front();
    if (first && map_error) {
      v.open_error = *map_error;
      o.views.push_back(std::move(v));
      continue;
    }
    if (first && map) v.ddrescue_map = g_map_file;
    auto r = fs::open_evidence(p, first && map ? &*map : nullptr, !g_no_journal);
    if (r) {
      o.owned.push_back(std::move(r).value());
      v.fs = o.owned.back().get();
      o.usable.push_back(o.owned.back().get());
    } else {
      v.open_error = r.problem();
    }
    o.views.push_back(std::move(v));
  }
  return o;
}

// Mailbox directories and cyrus.* files that lost their names (e2fsck put
// them in lost+found), given back in memory where proof ties them to their
// mailbox (salvage/lost_mailboxes.hpp); the spool is then discovered again.
void restore_lost_names(OpenedEvidence& o, spool::SpoolDiscovery& disc) {
  auto adoptions = salvage::find_lost_mailbox_files(o.usable, disc);
  if (adoptions.empty()) return;
  std::map<std::size_t, std::map<fs::NodeId, std::vector<fs::Entry>>> extra;
  for (const auto& a : adoptions) extra[a.fs_index][a.dir].push_back(a.entry);
  for (auto& [fi, entries] : extra) {
    o.owned.push_back(fs::with_entries(*o.usable[fi], std::move(entries)));
    o.usable[fi] = o.owned.back().get();
  }
  for (const auto& a : adoptions)
    o.usable[a.fs_index]->add_open_finding(Finding{Code::spool_name_restored, a.mailbox, a.why});
  disc = spool::discover(o.usable);
}

void write_out(const std::string& s) {
  std::fwrite(s.data(), 1, s.size(), stdout);
  std::fflush(stdout);
}

// Evidence that could not be opened: one clear line each on stderr.
void report_open_errors(const OpenedEvidence& o) {
  for (const auto& v : o.views)
    if (v.open_error)
      std::fprintf(stderr, "spoolsalvage: %s: %s\n", report::printable(v.path).c_str(),
                   report::finding_line(*v.open_error).c_str());
}

// The evidence ranges the run needed and could not read (ddrescue map,
// I/O errors), as a ddrescue domain mapfile at `path` (ddrescue -m). Returns
// how many ranges; -1 when the file could not be written (said on stderr).
long write_rescue_domain(const OpenedEvidence& o, const std::string& path) {
  if (o.usable.empty() || !o.usable.front()->source()) return 0;
  const evidence::Source& src = *o.usable.front()->source();
  const auto ranges = src.needed_unread();
  if (ranges.empty() || path.empty()) return static_cast<long>(ranges.size());
  std::uint64_t bytes = 0;
  for (const auto& r : ranges) bytes += r.length;
  const std::string text = evidence::domain_mapfile(
      ranges, src.size(),
      fmt::format("spoolsalvage: {} ranges ({} bytes) of {} that this run needed and could not "
                  "read", ranges.size(), bytes, src.name()));
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f || !f.write(text.data(), static_cast<std::streamsize>(text.size())) || !f.flush()) {
    std::fprintf(stderr, "spoolsalvage: cannot write the rescue domain %s\n",
                 report::printable(path).c_str());
    return -1;
  }
  std::fprintf(stderr, "spoolsalvage: %zu ranges (%llu bytes) needed and not read; rescue domain "
                       "for another ddrescue pass (ddrescue -m %s): %s\n",
               ranges.size(), static_cast<unsigned long long>(bytes),
               report::printable(path).c_str(), report::printable(path).c_str());
  return static_cast<long>(ranges.size());
}

int run_probe(const std::vector<std::string>& evidence, bool json) {
  auto o = open_all(evidence, true);
  report_open_errors(o);
  for (auto& v : o.views) {
    // What a disk holds (partitions, md members), for images and devices.
    std::string base = v.path;
    struct stat st {};
    if (::stat(base.c_str(), &st) != 0 && base.rfind('@') != std::string::npos)
      base = base.substr(0, base.rfind('@'));
    if (::stat(base.c_str(), &st) != 0 || S_ISDIR(st.st_mode)) continue;
    if (auto src = evidence::open_image(base)) v.volumes = evidence::scan_volumes(base, **src);
  }
  spool::SpoolDiscovery disc;
  if (!o.usable.empty()) disc = spool::discover(o.usable);
  if (json)
    write_out(report::probe_json(o.views, disc).dump(2, ' ', false, kReplaceInvalidUtf8) + "\n");
  else
    write_out(report::probe_text(o.views, disc));
  return exit_status_for(report::all_findings(o.views, disc));
}

const spool::Mailbox* find_mailbox(const spool::SpoolDiscovery& disc, const std::string& sel) {
  for (const auto& m : disc.mailboxes)
    if (m.name == sel || m.display_name == sel) return &m;
  return nullptr;
}

// ls --messages: every mailbox's message files, one mailbox at a time.
int run_ls_messages(OpenedEvidence& o, const spool::SpoolDiscovery& disc, Findings all, bool json) {
  auto out = [](const std::string& s) { std::fwrite(s.data(), 1, s.size(), stdout); };
  if (json)
    out("{\n  \"evidence\": " + report::json_dump_at(report::evidence_list_json(o.views), 1) +
        ",\n  \"findings\": " + report::json_dump_at(report::to_json(disc.findings), 1) +
        ",\n  \"mailboxes\": [");
  else
    out(report::ls_text(o.views, disc));
  bool first = true;
  for (const auto& m : disc.mailboxes) {
    Findings local;
    auto files = spool::list_message_files(*o.usable[m.fs_index], m, local);
    if (!files) local.add(files.problem());
    const std::vector<spool::MessageFile> none;
    const auto& list = files ? files.value() : none;
    if (json)
      out((first ? "\n    " : ",\n    ") +
          report::json_dump_at(report::messages_json(o.views, m, list, local), 2));
    else
      out(report::messages_text(m, list, local));
    first = false;
    all.append(local);
  }
  if (json) out(std::string(first ? "]" : "\n  ]") + "\n}\n");
  std::fflush(stdout);
  return exit_status_for(all);
}

int run_ls(const std::vector<std::string>& evidence, const std::string& mailbox, bool json,
           bool messages) {
  auto o = open_all(evidence, true);
  report_open_errors(o);
  if (o.usable.empty()) {
    // Nothing to list; the JSON still says why.
    spool::SpoolDiscovery none;
    if (json) write_out(report::ls_json(o.views, none).dump(2, ' ', false, kReplaceInvalidUtf8) + "\n");
    return exit_status_for(report::all_findings(o.views, none));
  }
  auto disc = spool::discover(o.usable);
  if (!disc.missing.empty()) restore_lost_names(o, disc);
  auto all = report::all_findings(o.views, disc);
  if (messages) return run_ls_messages(o, disc, std::move(all), json);
  if (mailbox.empty()) {
    if (json)
      write_out(report::ls_json(o.views, disc).dump(2, ' ', false, kReplaceInvalidUtf8) + "\n");
    else
      write_out(report::ls_text(o.views, disc));
    return exit_status_for(all);
  }
  const spool::Mailbox* m = find_mailbox(disc, mailbox);
  if (!m) {
    std::fprintf(stderr, "spoolsalvage: no mailbox named '%s' (see 'spoolsalvage ls EVIDENCE')\n",
                 report::printable(mailbox).c_str());
    return kExitUsage;
  }
  Findings local;
  auto files = spool::list_message_files(*o.usable[m->fs_index], *m, local);
  if (!files) local.add(files.problem());
  std::vector<spool::MessageFile> list = files ? files.value() : std::vector<spool::MessageFile>{};
  if (json)
    write_out(report::messages_json(o.views, *m, list, local).dump(2, ' ', false, kReplaceInvalidUtf8) + "\n");
  else
    write_out(report::messages_text(*m, list, local));
  all.append(local);
  return exit_status_for(all);
}

bool is_regular_file(const std::string& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

std::string base_name(const std::string& p) {
  auto slash = p.rfind('/');
  return slash == std::string::npos ? p : p.substr(slash + 1);
}

std::string dir_name(const std::string& p) {
  auto slash = p.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : p.substr(0, slash);
}

// The same evidence named twice (another path to it, a link, or a directory
// inside a directory evidence) would be read twice and every mailbox found
// twice; as EVIDENCE and --not-in, the other side would hold everything.
// Says so on stderr; true when it was.
bool evidence_given_twice(const std::vector<std::string>& paths) {
  std::vector<std::pair<std::string, struct stat>> seen;
  for (const auto& p : paths) {
    struct stat st {};
    if (::stat(p.c_str(), &st) != 0) continue;  // the open says what is wrong
    for (const auto& [q, qs] : seen) {
      bool same = (qs.st_dev == st.st_dev && qs.st_ino == st.st_ino) ||
                  (S_ISBLK(st.st_mode) && S_ISBLK(qs.st_mode) && qs.st_rdev == st.st_rdev);
      std::string inner, outer;
      if (!same && S_ISDIR(st.st_mode) && S_ISDIR(qs.st_mode)) {
        char* a = ::realpath(p.c_str(), nullptr);
        char* b = ::realpath(q.c_str(), nullptr);
        std::string ra = a ? a : "", rb = b ? b : "";
        std::free(a);
        std::free(b);
        if (!ra.empty() && !rb.empty()) {
          if (ra.rfind(rb == "/" ? rb : rb + "/", 0) == 0) inner = p, outer = q;
          if (rb.rfind(ra == "/" ? ra : ra + "/", 0) == 0) inner = q, outer = p;
        }
      }
      if (same)
        std::fprintf(stderr, "spoolsalvage: %s and %s are the same evidence, given twice\n",
                     report::printable(q).c_str(), report::printable(p).c_str());
      else if (!inner.empty())
        std::fprintf(stderr, "spoolsalvage: %s lies inside %s: the same evidence would be read "
                             "twice\n", report::printable(inner).c_str(),
                     report::printable(outer).c_str());
      if (same || !inner.empty()) return true;
    }
    seen.emplace_back(p, st);
  }
  return false;
}

// --mailbox selectors: an internal or display name, exactly or as a glob
// (user/fred/* or user.fred.*).
bool selected(const spool::Mailbox& m, const std::vector<std::string>& selectors) {
  if (selectors.empty()) return true;
  for (const auto& s : selectors) {
    if (m.name == s || m.display_name == s) return true;
    if (::fnmatch(s.c_str(), m.name.c_str(), 0) == 0 ||
        ::fnmatch(s.c_str(), m.display_name.c_str(), 0) == 0)
      return true;
  }
  return false;
}

int run_check(std::vector<std::string> evidence, const std::vector<std::string>& selectors,
              bool json, bool hash) {
  // A loose cyrus.index (or .expunge): its directory is the mailbox.
  bool loose = evidence.size() == 1 && is_regular_file(evidence[0]) &&
               (base_name(evidence[0]) == "cyrus.index" || base_name(evidence[0]) == "cyrus.expunge");
  if (loose) evidence[0] = dir_name(evidence[0]);
  auto o = open_all(evidence, true);
  report_open_errors(o);
  spool::SpoolDiscovery disc;
  if (!o.usable.empty()) disc = spool::discover(o.usable);
  if (!loose && !disc.missing.empty()) restore_lost_names(o, disc);
  std::vector<report::CheckedMailbox> checked;
  validate::CheckOptions opt;
  opt.hash_messages = hash;
  bool unmatched = !selectors.empty();
  std::vector<const spool::Mailbox*> to_check;
  for (const auto& m : disc.mailboxes) {
    if (loose ? !m.dir.empty() : !selected(m, selectors)) continue;
    unmatched = false;
    to_check.push_back(&m);
  }
  validate::check_mailboxes(o.usable, to_check, opt,
                            [&](const spool::Mailbox& m, validate::MailboxCheck&& c) {
                              checked.push_back(report::summarize_check(m, c));
                            });
  if (unmatched && !o.usable.empty()) {
    std::fprintf(stderr, "spoolsalvage: no mailbox matches the --mailbox selection\n");
    return kExitUsage;
  }
  // What salvage would re-home: records whose file is missing, found by GUID
  // among the filesystem's other inodes.
  if (hash && !loose && !checked.empty()) {
    std::set<const spool::Mailbox*> in_check, complete;
    for (const auto& c : checked) {
      in_check.insert(c.mailbox);
      if (std::none_of(c.messages.begin(), c.messages.end(), [](const report::CheckedMessage& mv) {
            return !mv.missing_guid().empty() || mv.missing_without_guid || (mv.has_file && !mv.recno);
          }))
        complete.insert(c.mailbox);
    }
    salvage::LostSearch how{!g_no_carve_check, opt.reading, {}};
    how.may_lack = [&](const spool::Mailbox& m) { return complete.count(&m) == 0; };
    const auto lost = salvage::find_lost_files(
        o.usable, disc, [&](const spool::Mailbox& m) { return in_check.count(&m) > 0; }, how);
    for (auto& c : checked)
      for (const auto& mv : c.messages) {
        if (!mv.missing_guid().empty())
          if (auto it = lost.found.find({c.mailbox->fs_index, mv.missing_guid()}); it != lost.found.end())
            c.findings.add(Code::message_rehomable, fmt::format("{} uid {}", c.where, mv.uid),
                           it->second.where);
        if (mv.missing_without_guid)
          if (auto it = lost.matched.find({c.mailbox->fs_index, c.mailbox->name, mv.uid});
              it != lost.matched.end())
            c.findings.add(Code::message_matched_unproven, fmt::format("{} uid {}", c.where, mv.uid),
                           "salvage would take " + it->second.where);
      }
    for (const auto& u : lost.unmatched)
      o.usable[u.fs_index]->add_open_finding(
          Finding{Code::message_unmatched,
                  fmt::format("{}: inode {}", o.usable[u.fs_index]->info().source, u.node), u.detail});
  }
  if (json) {
    report::write_check_json(o.views, disc, checked, [](std::string_view part) {
      std::fwrite(part.data(), 1, part.size(), stdout);
    });
    std::fflush(stdout);
  } else {
    write_out(report::check_text(o.views, disc, checked));
  }
  int status = exit_status_for(report::check_findings(o.views, disc, checked));
  if (write_rescue_domain(o, g_domain_out) < 0) status |= kExitOperational;
  for (const auto& c : checked)
    for (const auto& m : c.messages)
      if (m.state == validate::MessageState::unverified ||
          m.state == validate::MessageState::unread ||
          m.state == validate::MessageState::missing ||
          m.state == validate::MessageState::no_record)
        status |= kExitLeft;
  return status;
}

int run_dump(const std::vector<std::string>& args, bool json) {
  // dump FILE (a loose file) or dump EVIDENCE PATH.
  std::string evidence = args.size() == 1 ? dir_name(args[0]) : args[0];
  std::string path = args.size() == 1 ? base_name(args[0]) : args[1];
  auto fsr = fs::open_evidence(evidence);
  if (!fsr) {
    std::fprintf(stderr, "spoolsalvage: %s: %s\n", report::printable(evidence).c_str(),
                 report::finding_line(fsr.problem()).c_str());
    return kExitOperational;
  }
  auto& filesystem = *fsr.value();
  auto id = filesystem.lookup(path);
  if (!id) {
    std::fprintf(stderr, "spoolsalvage: %s\n", report::finding_line(id.problem()).c_str());
    return kExitOperational;
  }
  if (auto node = filesystem.stat(*id); node && node->kind == fs::NodeKind::directory) {
    std::fprintf(stderr, "spoolsalvage: %s: is a directory; dump decodes one cyrus.index, "
                         "cyrus.expunge, cyrus.cache or cyrus.header file\n",
                 report::printable(args.back()).c_str());
    return kExitUsage;
  }
  auto bytes = filesystem.read_all(*id, 1ull << 31);
  if (!bytes) {
    std::fprintf(stderr, "spoolsalvage: %s\n", report::finding_line(bytes.problem()).c_str());
    return kExitOperational;
  }
  ByteView view(*bytes);
  auto kind = report::dump_kind(path, view);
  if (kind == report::DumpKind::unknown) {
    std::fprintf(stderr, "spoolsalvage: %s: not a cyrus.index, cyrus.expunge, cyrus.cache or "
                         "cyrus.header file\n", report::printable(path).c_str());
    return kExitUsage;
  }
  if (json)
    write_out(report::dump_json(kind, view).dump(2, ' ', false, kReplaceInvalidUtf8) + "\n");
  else
    write_out(report::dump_text(kind, view));
  return kExitOk;
}

struct SalvageArgs {
  std::vector<std::string> evidence;
  std::string out;
  std::vector<std::string> mailboxes;
  std::string since, until;
  bool live_only = false;
  bool hash = false;  // --hash
  bool no_orphans = false;  // --no-orphans
  bool no_carve = false;    // --no-carve
  std::string not_in_guids;
  std::vector<std::string> not_in;
  std::string not_in_password_file;      // --not-in imap[s]://: the password, in a file
  salvage::ImapReadOptions not_in_imap;  // --not-in imap[s]://: TLS, hashing
  bool from_sync_log = false;
  std::string sync_log_file;  // empty: the logs in the evidence's config directory
  bool json = false;
  bool resume = false;
};

// SIGINT/SIGTERM during a salvage: finish the mailboxes being worked on,
// write the reports, exit 32; `--resume` goes on from there. A second
// signal ends the process at once (the default action, restored).
std::atomic<bool> g_cancel{false};
extern "C" void on_cancel_signal(int sig) {
  g_cancel.store(true);
  std::signal(sig, SIG_DFL);
}

bool write_file(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << text;
  return static_cast<bool>(f);
}

// Where a command takes an IMAP password from: the URL, else FILE's first
// line, else the environment variable, else (when allowed) a prompt on the
// terminal, not echoed. Never printed.
struct PasswordFrom {
  const char* cmd;          // "spoolsalvage reinject"
  const char* file_option;  // "--password-file"
  const std::string& file;
  const char* env;          // "SPOOLSALVAGE_PASSWORD"
  bool prompt = true;
};

int imap_password(const PasswordFrom& from, const salvage::ImapServer& server, std::string& out) {
  if (server.password) return kExitOk;
  if (!from.file.empty()) {
    std::ifstream f(from.file, std::ios::binary);
    std::string line;
    if (!f || !std::getline(f, line)) {
      std::fprintf(stderr, "%s: cannot read %s %s\n", from.cmd, from.file_option,
                   report::printable(from.file).c_str());
      return kExitOperational;
    }
    if (!line.empty() && line.back() == '\r') line.pop_back();
    out = line;
    return kExitOk;
  }
  if (const char* env = std::getenv(from.env)) {
    out = env;
    return kExitOk;
  }
  if (from.prompt && ::isatty(STDIN_FILENO) && ::isatty(STDERR_FILENO)) {
    std::fprintf(stderr, "password for %s: ", report::printable(server.display()).c_str());
    termios old{};
    const bool have = ::tcgetattr(STDIN_FILENO, &old) == 0;
    if (have) {
      termios quiet = old;
      quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
      ::tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
    }
    std::string line;
    std::getline(std::cin, line);
    if (have) ::tcsetattr(STDIN_FILENO, TCSANOW, &old);
    std::fprintf(stderr, "\n");
    out = line;
    return kExitOk;
  }
  std::fprintf(stderr, "%s: no password for %s: give it in the URL, in %s FILE or in $%s%s\n",
               from.cmd, report::printable(server.display()).c_str(), from.file_option, from.env,
               from.prompt ? " (or run on a terminal to be asked)" : "");
  return kExitUsage;
}

// --not-in imap[s]://[user[:password]@]host[:port]: the other side read from
// the live new master. The password: in the URL, else --not-in-password-file,
// else $SPOOLSALVAGE_IMAP_PASSWORD; never printed.
int read_live_other_side(const SalvageArgs& a, salvage::OtherSide& other, std::string& source) {
  if (a.not_in.size() != 1) {
    std::fprintf(stderr, "spoolsalvage: --not-in imap[s]://... is the whole other side: give it "
                         "once, and no other --not-in with it\n");
    return kExitUsage;
  }
  auto server = salvage::parse_imap_url(a.not_in[0]);
  if (!server) {
    std::fprintf(stderr, "spoolsalvage: %s\n", report::finding_line(server.problem()).c_str());
    return kExitUsage;
  }
  salvage::ImapReadOptions opt = a.not_in_imap;
  if (int rc = imap_password({"spoolsalvage", "--not-in-password-file", a.not_in_password_file,
                              "SPOOLSALVAGE_IMAP_PASSWORD", false},
                             *server, opt.password);
      rc != kExitOk)
    return rc;
  auto read = salvage::read_other_side_imap(*server, opt);
  if (!read) {
    std::fprintf(stderr, "spoolsalvage: %s\n", report::finding_line(read.problem()).c_str());
    return kExitOperational;
  }
  other = std::move(read).value();
  source = server->display();
  return kExitOk;
}

// --mailboxes-from-sync-log [FILE]: the mailboxes the sync log names, from
// FILE or from the logs in the evidence's config directory. kExitOk, or the
// exit status of a problem already printed (after undo()).
int sync_log_selection(const std::string& file, const spool::SpoolDiscovery& disc,
                       const std::vector<fs::Filesystem*>& evidence, salvage::Selection& sel,
                       const std::function<void()>& undo) {
  spool::SyncLogSelection logsel;
  std::vector<std::string> used;
  Findings log_findings;
  if (!file.empty()) {
    // A file or a pipe, bounded as a sync log in the evidence is.
    struct stat lst {};
    std::string bytes, why;
    if (::stat(file.c_str(), &lst) != 0) why = std::strerror(errno);
    else if (S_ISDIR(lst.st_mode)) why = "is a directory";
    else if (!S_ISREG(lst.st_mode) && !S_ISFIFO(lst.st_mode)) why = "not a regular file";
    else if (static_cast<std::uint64_t>(lst.st_size) > spool::kMaxSyncLogBytes)
      why = fmt::format("larger than {} bytes", spool::kMaxSyncLogBytes);
    std::ifstream f;
    if (why.empty()) f.open(file, std::ios::binary);
    if (why.empty() && !f) why = std::strerror(errno);
    std::vector<char> chunk(1 << 16);
    while (why.empty() && f && bytes.size() <= spool::kMaxSyncLogBytes) {
      f.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
      bytes.append(chunk.data(), static_cast<std::size_t>(f.gcount()));
    }
    if (why.empty() && f.bad()) why = "read error";
    if (why.empty() && bytes.size() > spool::kMaxSyncLogBytes)
      why = fmt::format("larger than {} bytes", spool::kMaxSyncLogBytes);
    if (!why.empty()) {
      std::fprintf(stderr, "spoolsalvage: cannot read sync log %s: %s\n",
                   report::printable(file).c_str(), why.c_str());
      undo();
      return kExitOperational;
    }
    auto log = spool::parse_sync_log(bytes_of(bytes), file);
    // Not one line a Cyrus writes, and something wrong: the wrong file.
    if (!log.findings.items().empty() &&
        std::none_of(log.entries.begin(), log.entries.end(), [](const spool::SyncLogEntry& e) {
          return e.kind != spool::SyncVerb::unknown;
        })) {
      std::fprintf(stderr, "spoolsalvage: %s is not a Cyrus sync log: no line names a known "
                           "verb (first problem: %s)\n", report::printable(file).c_str(),
                   report::finding_line(log.findings.items().front()).c_str());
      undo();
      return kExitUsage;
    }
    spool::add_sync_log(logsel, log.entries);
    log_findings.append(log.findings);
    used.push_back(file);
  } else if (disc.config.configdirectory_in_evidence) {
    for (auto* f : evidence)
      for (const auto& path : spool::find_sync_logs(*f, *disc.config.configdirectory_in_evidence)) {
        auto log = spool::read_sync_log(*f, path);
        if (!log) {
          log_findings.add(log.problem());
          continue;
        }
        spool::add_sync_log(logsel, log->entries);
        log_findings.append(log->findings);
        used.push_back(path);
      }
  }
  if (used.empty()) {
    std::fprintf(stderr, "spoolsalvage: --mailboxes-from-sync-log: no sync log found in the "
                         "evidence's config directory; name the file: "
                         "--mailboxes-from-sync-log FILE\n");
    undo();
    return kExitOperational;
  }
  std::size_t shown = 0;
  for (const auto& f : log_findings.items())
    if (++shown <= 10) std::fprintf(stderr, "spoolsalvage: %s\n", report::finding_line(f).c_str());
  if (shown > 10)
    std::fprintf(stderr, "spoolsalvage: ... and %zu more sync log findings\n",
                 shown - 10);
  sel.sync_log = std::move(logsel);
  sel.sync_log_source = fmt::format("sync log ({})", fmt::join(used, ", "));
  return kExitOk;
}

// --since/--until into sel (internal dates, inclusive). kExitOk, or the
// usage error already printed.
int date_window(const char* cmd, const std::string& since, const std::string& until,
                salvage::Selection& sel) {
  for (auto [text, slot, flag] : {std::tuple{&since, &sel.since, "--since"},
                                  std::tuple{&until, &sel.until, "--until"}}) {
    if (text->empty()) continue;
    std::string why;
    auto t = parse_time(*text, &why);
    if (!t) {
      std::fprintf(stderr, "%s: %s: not a time (epoch seconds or ISO 8601): %s%s%s\n", cmd, flag,
                   report::printable(*text).c_str(), why.empty() ? "" : ": ", why.c_str());
      return kExitUsage;
    }
    *slot = *t;
  }
  if (sel.since && sel.until && *sel.until < *sel.since) {
    std::fprintf(stderr, "%s: --until %s is before --since %s: no date lies between\n", cmd,
                 report::printable(until).c_str(), report::printable(since).c_str());
    return kExitUsage;
  }
  return kExitOk;
}

int run_salvage(const SalvageArgs& a) {
  salvage::Selection sel;
  sel.mailbox_globs = a.mailboxes;
  sel.live_only = a.live_only;
  if (int rc = date_window("spoolsalvage", a.since, a.until, sel); rc != kExitOk) return rc;
  std::unordered_set<std::string> held;
  if (!a.not_in_guids.empty()) {
    // One GUID (40 hex digits, either case) a line; blank lines and spaces
    // or a CR around a GUID are ignored. Any other line is a usage error: a
    // line guessed at could leave out a message the other side lacks.
    struct stat gst {};
    bool is_dir = ::stat(a.not_in_guids.c_str(), &gst) == 0 && S_ISDIR(gst.st_mode);
    std::ifstream f(a.not_in_guids, std::ios::binary);
    if (!f || is_dir) {
      std::fprintf(stderr, "spoolsalvage: cannot read --not-in-guids %s: %s\n",
                   report::printable(a.not_in_guids).c_str(),
                   is_dir ? "is a directory" : std::strerror(errno));
      return kExitOperational;
    }
    std::string line;
    for (std::uint64_t lineno = 1;; ++lineno) {
      line.clear();
      int c = 0;
      while ((c = f.get()) != EOF && c != '\n' && line.size() <= 128) line += static_cast<char>(c);
      if (c == EOF && line.empty()) break;
      auto b = line.find_first_not_of(" \t\r"), e = line.find_last_not_of(" \t\r");
      std::string g = b == std::string::npos ? "" : line.substr(b, e - b + 1);
      if (g.empty() && c != EOF && c != '\n') g = line;  // a long run of blanks
      if (g.empty()) continue;
      bool hex = g.size() == 40 && std::all_of(g.begin(), g.end(), [](char ch) {
                   return std::isxdigit(static_cast<unsigned char>(ch)) != 0;
                 });
      if (!hex) {
        std::fprintf(stderr, "spoolsalvage: --not-in-guids %s line %llu: not a GUID (40 hex "
                             "digits): %s%s\n", report::printable(a.not_in_guids).c_str(),
                     static_cast<unsigned long long>(lineno),
                     report::printable(g.substr(0, 60)).c_str(), g.size() > 60 ? "..." : "");
        return kExitUsage;
      }
      std::transform(g.begin(), g.end(), g.begin(),
                     [](char ch) { return static_cast<char>(std::tolower(static_cast<unsigned char>(ch))); });
      held.insert(g);
    }
    if (f.bad()) {
      std::fprintf(stderr, "spoolsalvage: cannot read --not-in-guids %s: read error\n",
                   report::printable(a.not_in_guids).c_str());
      return kExitOperational;
    }
    sel.held_elsewhere_source = "--not-in-guids " + a.not_in_guids;
  }
  OpenedEvidence other;
  salvage::OtherSide other_side;
  // The other side, read from the live server (--not-in imap[s]://...).
  const bool not_in_imap = std::any_of(a.not_in.begin(), a.not_in.end(), salvage::is_imap_url);
  if (not_in_imap) {
    std::string source;
    if (int st = read_live_other_side(a, other_side, source); st != kExitOk) return st;
    held.insert(other_side.guids.begin(), other_side.guids.end());
    sel.other = &other_side;
    sel.held_elsewhere_source = "--not-in " + source;
  }
  // The other side, read offline.
  if (!a.not_in.empty() && !not_in_imap) {
    other = open_all(a.not_in);
    report_open_errors(other);
    if (other.usable.empty()) return kExitOperational;
    auto other_disc = spool::discover(other.usable);
    other_side = salvage::read_other_side(other.usable, other_disc);
    held.insert(other_side.guids.begin(), other_side.guids.end());
    sel.other = &other_side;
    sel.held_elsewhere_source = "--not-in " + a.not_in[0];
  }
  if (!a.not_in_guids.empty() || !a.not_in.empty()) sel.held_elsewhere = std::move(held);

  auto o = open_all(a.evidence, true);
  report_open_errors(o);
  if (o.usable.empty()) return kExitOperational;
  if (a.hash)
    for (auto& v : o.views) {
      // The image as it is (zeros where ddrescue recovered nothing), not read through --map.
      if (!v.fs || !v.fs->source()) {
        v.hash_error = v.fs ? "a directory, not an image" : "not opened";
        continue;
      }
      auto raw = evidence::open_image(v.path);
      auto h = raw ? evidence::sha256_of_source(**raw, {}) : Result<std::string>(raw.problem());
      if (h) v.sha256 = *h;
      else v.hash_error = report::finding_line(h.problem());
    }
  std::vector<std::string> all_evidence = a.evidence;
  if (!not_in_imap) all_evidence.insert(all_evidence.end(), a.not_in.begin(), a.not_in.end());
  // A usage or input error found after prepare_out leaves OUT as it was:
  // it made OUT (unless it existed, empty) and OUT/maildir.
  struct stat out_st {};
  const bool out_existed = ::stat(a.out.c_str(), &out_st) == 0;
  const bool maildir_existed = ::stat((a.out + "/maildir").c_str(), &out_st) == 0;  // --resume
  auto undo_out = [&] {
    if (!maildir_existed) ::rmdir((a.out + "/maildir").c_str());
    if (!out_existed) ::rmdir(a.out.c_str());
  };
  if (auto st = salvage::prepare_out(a.out, all_evidence, a.resume); !st) {
    std::fprintf(stderr, "spoolsalvage: %s\n", report::finding_line(st.problem()).c_str());
    return st.problem().code == Code::out_write_failed ? kExitOperational : kExitUsage;
  }
  auto disc = spool::discover(o.usable);
  if (!a.no_orphans && !disc.missing.empty()) restore_lost_names(o, disc);
  if (!a.mailboxes.empty() && !disc.mailboxes.empty() &&
      std::none_of(disc.mailboxes.begin(), disc.mailboxes.end(),
                   [&](const spool::Mailbox& m) { return selected(m, a.mailboxes); })) {
    std::fprintf(stderr, "spoolsalvage: no mailbox matches the --mailbox selection (see "
                         "'spoolsalvage ls EVIDENCE')\n");
    undo_out();
    return kExitUsage;
  }
  if (a.from_sync_log) {
    if (int st = sync_log_selection(a.sync_log_file, disc, o.usable, sel, undo_out); st != kExitOk)
      return st;
  }
  // Progress on stderr, only for a person watching a terminal.
  salvage::ProgressFn progress;
  auto started = std::chrono::steady_clock::now();
  auto last = started - std::chrono::seconds(1);
  const bool tty = ::isatty(STDERR_FILENO) != 0;
  if (tty)
    progress = [&](const salvage::Progress& p) {
      auto now = std::chrono::steady_clock::now();
      if (now - last < std::chrono::milliseconds(200)) return;
      last = now;
      double secs = std::chrono::duration<double>(now - started).count();
      double rate = secs > 0 ? static_cast<double>(p.bytes_done) / secs / 1e6 : 0;
      double left = p.messages_done > 0 && p.total_messages > p.messages_done
                        ? secs * static_cast<double>(p.total_messages - p.messages_done) /
                              static_cast<double>(p.messages_done)
                        : 0;
      std::fprintf(stderr, "\r%llu/%llu messages, %.1f MB, %.1f MB/s, about %.0f s left   ",
                   static_cast<unsigned long long>(p.messages_done),
                   static_cast<unsigned long long>(p.total_messages),
                   static_cast<double>(p.bytes_done) / 1e6, rate, left);
    };
  // The manifest and report.xml are written as the entries come, one
  // mailbox after the other: memory does not grow with the spool.
  nlohmann::json run = {{"tool", "spoolsalvage"}, {"version", SPOOLSALVAGE_VERSION}};
  std::ofstream manifest(a.out + "/manifest.jsonl", std::ios::binary | std::ios::trunc);
  std::ofstream xml(a.out + "/report.xml", std::ios::binary | std::ios::trunc);
  xml << report::salvage_dfxml_begin(o.views, run);
  auto emit = [&](const salvage::ManifestEntry& e) {
    manifest << report::manifest_line(e, o.views).dump(-1, ' ', false, kReplaceInvalidUtf8) << '\n';
    xml << report::salvage_dfxml_fileobject(e, o.views);
  };
  salvage::SalvageOptions sopt;
  sopt.resume = a.resume;
  sopt.rehome = !a.no_orphans;
  sopt.carve = !a.no_carve;
  sopt.cancel = &g_cancel;
  std::signal(SIGINT, on_cancel_signal);
  std::signal(SIGTERM, on_cancel_signal);
  auto result = salvage::run_salvage(o.usable, disc, sel, a.out, emit, progress, sopt);
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
  // What reading the live server found (that expunged mail is invisible
  // there, first of all) is part of this run's report.
  if (not_in_imap) result.findings.append(other_side.findings);
  if (tty) std::fprintf(stderr, "\r%*s\r", 70, "");
  xml << report::salvage_dfxml_end(result);
  manifest.close();
  xml.close();

  auto rj = report::salvage_report_json(o.views, disc, result, run);
  auto rt = report::salvage_report_text(o.views, disc, result, a.out);
  bool ok = manifest && xml &&
            write_file(a.out + "/report.json", rj.dump(2, ' ', false, kReplaceInvalidUtf8) + "\n") &&
            write_file(a.out + "/report.txt", rt);
  if (a.json)
    write_out(rj.dump(2, ' ', false, kReplaceInvalidUtf8) + "\n");
  else
    write_out(rt);
  const long unread_ranges = write_rescue_domain(o, a.out + "/rescue-domain.map");
  if (result.cancelled)
    std::fprintf(stderr, "spoolsalvage: cancelled; %llu mailboxes not done. Run the same command "
                         "with --resume to finish\n",
                 static_cast<unsigned long long>(result.mailboxes_not_done));
  if (!ok || result.out_failed || unread_ranges < 0) {
    std::fprintf(stderr, "spoolsalvage: the output could not be written completely (see report)\n");
    return kExitOperational | kExitLeft | (result.cancelled ? kExitCancelled : 0);
  }
  if (result.cancelled) return kExitCancelled | kExitLeft;
  Findings all = report::all_findings(o.views, disc);
  all.append(result.findings);
  int status = exit_status_for(all) & ~kExitLeft;  // bit 4 is decided by the messages below
  if (result.tally.left) status |= kExitLeft;
  for (const auto& f : all.items())
    if (f.severity() >= Severity::error && f.code != Code::message_missing &&
        f.code != Code::message_guid_mismatch && f.code != Code::record_unproven)
      status |= kExitLeft;  // a mailbox or the spool could not be read
  return status;
}

struct ReinjectArgs {
  std::string out, url, password_file, map_file, missing = "quarantine";
  bool insecure = false, starttls = false, allow_plaintext = false, json = false;
  bool no_multiappend = false, no_literal_plus = false;
  salvage::ReinjectOptions opt;
};

bool is_loopback(const std::string& host) {
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

int run_reinject(ReinjectArgs& a) {
  auto server = salvage::parse_imap_url(a.url);
  if (!server) {
    std::fprintf(stderr, "spoolsalvage reinject: %s\n",
                 report::finding_line(server.problem()).c_str());
    return kExitUsage;
  }
  if (!server->tls && !a.starttls && !a.allow_plaintext && !is_loopback(server->host)) {
    std::fprintf(stderr, "spoolsalvage reinject: imap:// to %s would send the password and the "
                         "mail in plain text: use imaps://, --starttls, or --allow-plaintext\n",
                 report::printable(server->host).c_str());
    return kExitUsage;
  }
  if (a.starttls && server->tls) {
    std::fprintf(stderr, "spoolsalvage reinject: --starttls is for imap://; imaps:// is TLS already\n");
    return kExitUsage;
  }
  auto& opt = a.opt;
  if (a.missing == "quarantine") opt.missing = salvage::Missing::quarantine;
  else if (a.missing == "create") opt.missing = salvage::Missing::create;
  else if (a.missing == "skip") opt.missing = salvage::Missing::skip;
  else {
    std::fprintf(stderr, "spoolsalvage reinject: --missing is quarantine, create or skip, not %s\n",
                 report::printable(a.missing).c_str());
    return kExitUsage;
  }
  if (!a.map_file.empty()) {
    std::ifstream f(a.map_file);
    if (!f) {
      std::fprintf(stderr, "spoolsalvage reinject: cannot read --mailbox-map %s\n",
                   report::printable(a.map_file).c_str());
      return kExitOperational;
    }
    std::string line;
    std::size_t n = 0;
    while (std::getline(f, line)) {
      ++n;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.empty() || line[0] == '#') continue;
      const auto tab = line.find('\t');
      if (tab == std::string::npos || tab == 0 || tab + 1 == line.size()) {
        std::fprintf(stderr, "spoolsalvage reinject: --mailbox-map %s line %zu: want OLD-NAME<TAB>TARGET-NAME "
                             "(Cyrus internal names)\n",
                     report::printable(a.map_file).c_str(), n);
        return kExitUsage;
      }
      opt.mailbox_map[line.substr(0, tab)] = line.substr(tab + 1);
    }
  }
  if (int rc = imap_password({"spoolsalvage reinject", "--password-file", a.password_file,
                               "SPOOLSALVAGE_PASSWORD"},
                              *server, opt.conn.password);
      rc != kExitOk)
    return rc;
  opt.conn.insecure_tls = a.insecure;
  opt.conn.starttls = a.starttls;
  opt.use_multiappend = !a.no_multiappend;
  opt.use_literal_plus = !a.no_literal_plus;
  if (a.insecure)
    std::fprintf(stderr, "spoolsalvage reinject: WARNING: --insecure: the server's certificate is "
                         "not verified; anyone on the path could read the mail and the password\n");
  const bool tty = ::isatty(STDERR_FILENO) != 0;
  if (tty)
    opt.progress = [](std::uint64_t done, std::uint64_t total) {
      std::fprintf(stderr, "\rreinject: %llu / %llu messages", static_cast<unsigned long long>(done),
                   static_cast<unsigned long long>(total));
    };
  opt.cancel = &g_cancel;
  std::signal(SIGINT, on_cancel_signal);
  std::signal(SIGTERM, on_cancel_signal);
  auto r = salvage::reinject(a.out, *server, opt);
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
  if (tty && opt.progress) std::fprintf(stderr, "\n");
  if (!r) {
    const Code c = r.problem().code;
    std::fprintf(stderr, "spoolsalvage reinject: %s\n", report::finding_line(r.problem()).c_str());
    return c == Code::reinject_not_from_not_in ? kExitUsage : kExitOperational;
  }
  const std::string target = server->display();
  const std::string text = a.json ? report::reinject_json(*r, target, opt.dry_run)
                                  : report::reinject_text(*r, target, opt.dry_run);
  std::fwrite(text.data(), 1, text.size(), stdout);
  if (!a.json)
    for (const auto& f : r->findings.items())
      if (f.severity() >= Severity::warning)
        std::fprintf(stderr, "%s\n", report::finding_line(f).c_str());
  int rc = kExitOk;
  for (const auto& e : r->entries)
    if (e.outcome == salvage::Outcome::failed) rc |= kExitLeft;
  if (r->findings.any_at_least(Severity::relaxation)) rc |= kExitFound;
  if (r->cancelled) rc |= kExitCancelled | kExitLeft;
  return rc;
}

struct DiffArgs {
  std::string old_evidence, new_side, since, until, sync_log_file, password_file;
  std::vector<std::string> more_old, mailboxes;
  bool from_sync_log = false, json = false, include_expunged = false;
  salvage::ImapReadOptions imap;
};

int run_diff(DiffArgs& a) {
  salvage::DiffOptions opt;
  opt.include_expunged = a.include_expunged;
  opt.sel.mailbox_globs = a.mailboxes;
  if (int rc = date_window("spoolsalvage diff", a.since, a.until, opt.sel); rc != kExitOk) return rc;
  std::vector<std::string> old_all{a.old_evidence};
  old_all.insert(old_all.end(), a.more_old.begin(), a.more_old.end());
  const bool new_imap = salvage::is_imap_url(a.new_side);
  std::vector<std::string> both = old_all;
  if (!new_imap) both.push_back(a.new_side);
  if (evidence_given_twice(both)) return kExitUsage;

  report::DiffSides sides{a.old_evidence, a.new_side, new_imap};
  Findings findings;
  salvage::OtherSide new_side;
  OpenedEvidence neu;
  if (new_imap) {
    auto server = salvage::parse_imap_url(a.new_side);
    if (!server) {
      std::fprintf(stderr, "spoolsalvage diff: %s\n", report::finding_line(server.problem()).c_str());
      return kExitUsage;
    }
    if (int rc = imap_password({"spoolsalvage diff", "--password-file", a.password_file,
                                 "SPOOLSALVAGE_PASSWORD"},
                                *server, a.imap.password);
        rc != kExitOk)
      return rc;
    a.imap.keep_records = true;
    auto read = salvage::read_other_side_imap(*server, a.imap);
    if (!read) {
      std::fprintf(stderr, "spoolsalvage diff: %s\n", report::finding_line(read.problem()).c_str());
      return kExitOperational;
    }
    new_side = std::move(read).value();
    sides.new_name = server->display();
  } else {
    neu = open_all({a.new_side});
    report_open_errors(neu);
    if (neu.usable.empty()) return kExitOperational;
    new_side = salvage::read_other_side(neu.usable, spool::discover(neu.usable), true);
  }
  findings.append(new_side.findings);
  auto old = open_all(old_all, true);
  report_open_errors(old);
  if (old.usable.empty()) return kExitOperational;
  auto disc = spool::discover(old.usable);
  if (!disc.missing.empty()) restore_lost_names(old, disc);
  if (!a.mailboxes.empty() &&
      std::none_of(disc.mailboxes.begin(), disc.mailboxes.end(),
                   [&](const spool::Mailbox& m) { return selected(m, a.mailboxes); })) {
    std::fprintf(stderr, "spoolsalvage diff: no mailbox matches the --mailbox selection (see "
                         "'spoolsalvage ls OLD')\n");
    return kExitUsage;
  }
  if (a.from_sync_log)
    if (int st = sync_log_selection(a.sync_log_file, disc, old.usable, opt.sel, [] {}); st != kExitOk)
      return st;
  auto old_side = salvage::read_other_side(old.usable, disc, true);
  findings.append(old_side.findings);
  auto r = salvage::diff_sides(disc, old_side, new_side, opt);
  const std::string out = a.json ? report::diff_json(r, sides, findings)
                                 : report::diff_text(r, sides, findings);
  std::fwrite(out.data(), 1, out.size(), stdout);
  const bool differ = r.only_here || r.deleted_there || r.uid_collisions || r.flag_drift;
  return differ ? kExitFound : kExitOk;
}

int main_impl(int argc, char** argv) {
  CLI::App app{"spoolsalvage: forensic salvage of Cyrus IMAP spools, read-only, from ext2/3/4 "
               "images, disks or directory trees",
               "spoolsalvage"};
  app.footer(kExitHelp);
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("spoolsalvage ") + SPOOLSALVAGE_VERSION);
  // A command-line mistake: one line naming the command and the problem.
  app.failure_message([argc, argv](const CLI::App* a, const CLI::Error& e) {
    std::string cmd = "spoolsalvage";
    if (a->get_subcommands().empty() && argc > 1)  // not "A subcommand is required"
      return fmt::format("spoolsalvage: unknown command or option '{}' (commands: probe, ls, check, "
                         "dump, salvage, diff, reinject; see 'spoolsalvage --help')\n",
                         report::printable(argv[1]));
    for (const auto* sub : a->get_subcommands()) cmd += " " + sub->get_name();
    return fmt::format("{}: {} (see '{} --help')\n", cmd, report::printable(e.what()), cmd);
  });

  bool json = false;
  std::vector<std::string> evidence;
  std::vector<std::string> more_evidence;
  std::string ls_mailbox;
  bool ls_messages = false;

  auto* probe = app.add_subcommand("probe", "What is this evidence: filesystem, superblock used, "
                                            "relaxations, Cyrus config, spool roots, counts");
  probe->add_option("EVIDENCE", evidence, "image file, block device or directory (repeatable)")
      ->required();
  probe->add_flag("--json", json, "machine-readable output");
  const char* kMapHelp = "a GNU ddrescue mapfile of EVIDENCE: bytes it did not recover are never "
                         "taken for data";
  probe->add_option("--map", g_map_file, kMapHelp);
  const char* kNoJournalHelp = "do not replay an ext3/4 journal that needs recovery (it is replayed "
                               "into memory by default, never onto the evidence)";
  probe->add_flag("--no-journal", g_no_journal, kNoJournalHelp);
  probe->footer(kExitHelp);

  auto* ls = app.add_subcommand("ls", "List every mailbox, or the message files of one");
  std::string ls_evidence;
  ls->add_option("EVIDENCE", ls_evidence, "image file, block device or directory")->required();
  ls->add_option("MAILBOX", ls_mailbox, "a mailbox's internal or display name");
  ls->add_option("-e,--evidence", more_evidence,
                 "more evidence of the same server (config dir, other partitions)");
  ls->add_flag("--messages", ls_messages,
               "after the mailboxes, the message files of every mailbox (one pass; no MAILBOX)");
  ls->add_flag("--json", json, "machine-readable output");
  ls->add_option("--map", g_map_file, kMapHelp);
  ls->add_flag("--no-journal", g_no_journal, kNoJournalHelp);
  ls->footer(kExitHelp);

  auto* check = app.add_subcommand(
      "check", "Validate every index (CRCs, ranges, message files, SHA-1 = GUID); findings; "
               "proven bit-flip corrections. EVIDENCE may be a loose cyrus.index");
  std::string check_evidence;
  std::vector<std::string> check_mailboxes;
  bool no_hash = false;
  check->add_option("EVIDENCE", check_evidence, "image, device, directory, or a cyrus.index file")
      ->required();
  check->add_option("-e,--evidence", more_evidence, "more evidence of the same server");
  check->add_option("-m,--mailbox", check_mailboxes,
                    "check only this mailbox (internal or display name, or a glob; repeatable)");
  check->add_flag("--no-hash", no_hash, "do not read message files to compare SHA-1 with GUID");
  check->add_flag("--no-carve", g_no_carve_check,
                  "do not search the free blocks for the messages of missing files no inode holds");
  check->add_flag("--json", json, "machine-readable output");
  check->add_option("--map", g_map_file, kMapHelp);
  check->add_flag("--no-journal", g_no_journal, kNoJournalHelp);
  check->add_option("--domain-out", g_domain_out,
                    "write the evidence ranges this run needed and could not read as a ddrescue "
                    "domain mapfile (for ddrescue -m)");
  check->footer(kExitHelp);

  auto* dump = app.add_subcommand(
      "dump", "Decode one cyrus.index/expunge/cache/header field by field: "
              "dump EVIDENCE PATH-IN-EVIDENCE, or dump FILE");
  std::vector<std::string> dump_args;
  dump->add_option("ARGS", dump_args, "EVIDENCE PATH, or a loose FILE")->required()->expected(1, 2);
  dump->add_flag("--json", json, "machine-readable output");

  auto* salv = app.add_subcommand(
      "salvage", "Recover every message that can be recovered into OUT (Maildir per mailbox, "
                 "manifest.jsonl, report.txt, report.json), each proven against its GUID");
  SalvageArgs sa;
  std::string salv_evidence;
  salv->add_option("EVIDENCE", salv_evidence, "image, device or directory")->required();
  salv->add_option("-o,--out", sa.out, "output directory (created; must be empty, unless --resume)")->required();
  salv->add_option("-e,--evidence", more_evidence, "more evidence of the same server");
  salv->add_option("-m,--mailbox", sa.mailboxes,
                   "only this mailbox (internal or display name, or a glob like 'user/fred/*'; "
                   "repeatable)");
  salv->add_option("--since", sa.since, "internal date from (ISO 8601, UTC unless a zone is "
                                        "given; or epoch seconds: @N, or 9+ digits)");
  salv->add_option("--until", sa.until, "internal date up to (inclusive)");
  salv->add_flag("--live-only", sa.live_only,
                 "leave out expunged messages and DELETED.* mailboxes (included by default)");
  salv->add_option("--not-in-guids", sa.not_in_guids,
                   "file of GUIDs the other side holds (40 hex digits a line, blank lines ignored; any "
                   "other line is an error): keep only the rest");
  salv->add_option("--not-in", sa.not_in,
                   "the other side's evidence (the new master's image or spool), or the live new "
                   "master: imap[s]://[user[:password]@]host[:port] (an admin sees every mailbox): "
                   "keep only messages it does not hold; classify each mailbox against it");
  salv->add_option("--not-in-password-file", sa.not_in_password_file,
                   "--not-in imap[s]://user@host: the password is this file's first line (else "
                   "$SPOOLSALVAGE_IMAP_PASSWORD)");
  salv->add_flag("--insecure-tls", sa.not_in_imap.insecure_tls,
                 "--not-in imaps://: do not verify the server's certificate (a finding says so)");
  salv->add_option("--not-in-cacert", sa.not_in_imap.ca_file,
                   "--not-in imaps://: trust the CA certificates in this PEM file");
  salv->add_flag("--not-in-hash-bodies", sa.not_in_imap.hash_bodies,
                 "--not-in imap[s]://: compute each message's GUID from its bytes (BODY.PEEK[]) "
                 "instead of asking for DIGEST.SHA1");
  auto* sync_opt = salv->add_option(
      "--mailboxes-from-sync-log", sa.sync_log_file,
      "only the mailboxes the Cyrus sync log names (users expand to all their mailboxes); "
      "without FILE, the logs in the evidence's config directory (sync/log, channels, "
      "log-run, log-PID)");
  sync_opt->expected(0, 1);
  salv->add_flag("--json", sa.json, "print report.json instead of report.txt");
  salv->add_flag("--no-journal", g_no_journal, kNoJournalHelp);
  salv->add_flag("--no-orphans", sa.no_orphans,
                 "do not look for the files of records whose file is missing among the other "
                 "inodes (lost+found, orphans, deleted inodes)");
  salv->add_flag("--no-carve", sa.no_carve,
                 "do not search the free blocks for the messages no inode holds (one sequential "
                 "pass, run only when some record's file is still missing)");
  salv->add_flag("--hash", sa.hash,
                 "SHA-256 of each evidence image, every byte in one sequential pass, in the report "
                 "(chain of custody)");
  salv->add_option("--map", g_map_file,
                   std::string(kMapHelp) + "; the ranges this run needed and could not read are "
                   "written to OUT/rescue-domain.map (ddrescue -m)");
  salv->add_flag("--resume", sa.resume,
                 "OUT holds an earlier, unfinished run (cancelled, or killed): finish it. Messages "
                 "already written whose SHA-1 proves them (= the GUID of their intact record) are "
                 "kept without reading the evidence again; everything else is done again");
  salv->footer(kExitHelp);

  auto* dif = app.add_subcommand(
      "diff", "Split-brain diff: what the old master holds that the new master (an image, a "
              "spool, or a live imap[s]:// server) lacks, by mailbox uniqueid and message GUID; "
              "mailboxes deleted on the new master; same uid, different message; flag drift");
  DiffArgs da;
  dif->add_option("OLD", da.old_evidence, "the old master: image, device or directory")->required();
  dif->add_option("NEW", da.new_side,
                  "the new master: image, device, directory, or imap[s]://admin@host[:port]/")
      ->required();
  dif->add_option("-e,--evidence", da.more_old, "more evidence of the old master");
  dif->add_option("-m,--mailbox", da.mailboxes, "only this mailbox of the old master (name or glob; "
                                                "repeatable)");
  dif->add_option("--since", da.since, "only messages with an internal date from T");
  dif->add_option("--until", da.until, "only messages with an internal date up to T");
  auto* dif_log = dif->add_option("--mailboxes-from-sync-log", da.sync_log_file,
                                  "only the mailboxes the old master's sync log names");
  dif_log->expected(0, 1);
  dif->add_flag("--include-expunged", da.include_expunged,
                "also compare records expunged on the old master");
  dif->add_option("--password-file", da.password_file,
                  "NEW imap[s]://: the password is this file's first line (else "
                  "$SPOOLSALVAGE_PASSWORD, else asked on the terminal)");
  dif->add_flag("--insecure-tls", da.imap.insecure_tls, "NEW imaps://: do not verify the certificate");
  dif->add_option("--cacert", da.imap.ca_file, "NEW imaps://: trust the CA certificates in this PEM file");
  dif->add_flag("--json", da.json, "machine-readable output");
  dif->add_option("--map", g_map_file, "a GNU ddrescue mapfile of OLD");
  dif->add_flag("--no-journal", g_no_journal, kNoJournalHelp);
  dif->footer("Exit status: 0 the new master lacks nothing, 1 differences found, 8 a side could "
              "not be read, 16 usage error.");

  auto* rein = app.add_subcommand(
      "reinject", "APPEND the stranded messages of a salvage made with --not-in to the new "
                  "master, with flags and internal dates; idempotent and resumable");
  ReinjectArgs ra;
  rein->add_option("OUT", ra.out, "the output directory of `salvage --not-in`")->required();
  rein->add_option("TARGET", ra.url,
                   "imap[s]://login@host[:port]/ (an admin login appends as each mailbox's owner "
                   "by SASL PLAIN authorization)")
      ->required();
  rein->add_option("--password-file", ra.password_file,
                   "the password is this file's first line (else $SPOOLSALVAGE_PASSWORD, else "
                   "asked on the terminal; never on the command line)");
  rein->add_flag("--starttls", ra.starttls, "imap://: upgrade to TLS with STARTTLS, or fail");
  rein->add_flag("--insecure", ra.insecure, "do not verify the server's TLS certificate (loudly)");
  rein->add_option("--cacert", ra.opt.conn.ca_file, "trust the CA certificates in this PEM file");
  rein->add_flag("--allow-plaintext", ra.allow_plaintext,
                 "allow imap:// without TLS to a host that is not a loopback address");
  rein->add_flag("--include-expunged", ra.opt.include_expunged,
                 "also append messages expunged on the old master, or in mailboxes deleted there");
  rein->add_flag("--include-unverified", ra.opt.include_unverified,
                 "also append messages whose content is not proven (status unverified)");
  rein->add_option("--missing", ra.missing,
                   "a mailbox not on the target (deleted there): quarantine (default: under the "
                   "owner's INBOX, folder 'Recovered by spoolsalvage', original path kept), "
                   "create, or skip");
  rein->add_option("--mailbox-map", ra.map_file,
                   "file of OLD-NAME<TAB>TARGET-NAME lines (Cyrus internal names): append there");
  rein->add_flag("--dry-run", ra.opt.dry_run, "read the target and say what would be appended");
  rein->add_flag("--no-multiappend", ra.no_multiappend, "one APPEND per message");
  rein->add_flag("--no-literal-plus", ra.no_literal_plus,
                 "synchronizing literals even when the server offers LITERAL+");
  rein->add_flag("--json", ra.json, "machine-readable output");
  rein->footer(kExitHelp);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitUsage;
  }

  if (probe->parsed()) return evidence_given_twice(evidence) ? kExitUsage : run_probe(evidence, json);
  if (ls->parsed()) {
    std::vector<std::string> all{ls_evidence};
    all.insert(all.end(), more_evidence.begin(), more_evidence.end());
    if (evidence_given_twice(all)) return kExitUsage;
    if (ls_messages && !ls_mailbox.empty()) {
      std::fprintf(stderr, "spoolsalvage: ls: --messages lists every mailbox; give no MAILBOX with it\n");
      return kExitUsage;
    }
    return run_ls(all, ls_mailbox, json, ls_messages);
  }
  if (check->parsed()) {
    std::vector<std::string> all{check_evidence};
    all.insert(all.end(), more_evidence.begin(), more_evidence.end());
    if (evidence_given_twice(all)) return kExitUsage;
    return run_check(all, check_mailboxes, json, !no_hash);
  }
  if (dump->parsed()) return run_dump(dump_args, json);
  if (rein->parsed()) return run_reinject(ra);
  if (dif->parsed()) {
    da.from_sync_log = dif_log->count() > 0;
    return run_diff(da);
  }
  if (salv->parsed()) {
    sa.from_sync_log = sync_opt->count() > 0;
    sa.evidence = {salv_evidence};
    sa.evidence.insert(sa.evidence.end(), more_evidence.begin(), more_evidence.end());
    // An empty value (an unset shell variable) is not the option left out.
    for (auto [name, value] : {std::pair{"--out", &sa.out}, std::pair{"--since", &sa.since},
                               std::pair{"--until", &sa.until},
                               std::pair{"--not-in-guids", &sa.not_in_guids}})
      if (salv->count(name) > 0 && value->empty()) {
        std::fprintf(stderr, "spoolsalvage salvage: %s: the value is empty\n", name);
        return kExitUsage;
      }
    std::vector<std::string> both = sa.evidence;
    both.insert(both.end(), sa.not_in.begin(), sa.not_in.end());
    if (evidence_given_twice(both)) return kExitUsage;
    return run_salvage(sa);
  }
  return kExitUsage;
}

}  // namespace
}  // namespace ss::cli

int main(int argc, char** argv) {
  // Buffers of 4 MiB and more (the bulk reader's batches, large metadata
  // files) come from mmap and go back to the system when freed. Without a
  // fixed threshold glibc raises it as such buffers are freed, they then
  // come from the heap, and the peak memory of a 300k-message check varied
  // from 82 to 125 MB between runs.
  mallopt(M_MMAP_THRESHOLD, 4 << 20);
  mallopt(M_TRIM_THRESHOLD, 16 << 20);  // fixing the first fixes this one at 128 KiB: heap pages faulted anew
  try {
    return ss::cli::main_impl(argc, argv);
  } catch (const std::exception& e) {
    // A bug of ours, never a property of the evidence: say so and exit as an
    // operational error rather than abort.
    std::fprintf(stderr, "spoolsalvage: internal error: %s\n", e.what());
    return ss::cli::kExitOperational;
  }
}
