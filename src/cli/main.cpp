// spoolsalvage: the command layer. The only place that parses arguments,
// prints, and decides the exit status.
#include <fnmatch.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <fmt/format.h>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "cli/exit_status.hpp"
#include "fs/filesystem.hpp"
#include "report/check_report.hpp"
#include "report/dfxml.hpp"
#include "report/dump.hpp"
#include "report/findings_json.hpp"
#include "report/listing.hpp"
#include "report/salvage_report.hpp"
#include "salvage/other_side.hpp"
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

OpenedEvidence open_all(const std::vector<std::string>& paths) {
  OpenedEvidence o;
  for (const auto& p : paths) {
    report::EvidenceView v{p, nullptr, std::nullopt};
    auto r = fs::open_evidence(p);
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

int run_probe(const std::vector<std::string>& evidence, bool json) {
  auto o = open_all(evidence);
  report_open_errors(o);
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

int run_ls(const std::vector<std::string>& evidence, const std::string& mailbox, bool json) {
  auto o = open_all(evidence);
  report_open_errors(o);
  if (o.usable.empty()) {
    // Nothing to list; the JSON still says why.
    spool::SpoolDiscovery none;
    if (json) write_out(report::ls_json(o.views, none).dump(2, ' ', false, kReplaceInvalidUtf8) + "\n");
    return exit_status_for(report::all_findings(o.views, none));
  }
  auto disc = spool::discover(o.usable);
  auto all = report::all_findings(o.views, disc);
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
  auto o = open_all(evidence);
  report_open_errors(o);
  spool::SpoolDiscovery disc;
  if (!o.usable.empty()) disc = spool::discover(o.usable);
  std::vector<report::CheckedMailbox> checked;
  validate::CheckOptions opt;
  opt.hash_messages = hash;
  bool unmatched = !selectors.empty();
  for (const auto& m : disc.mailboxes) {
    if (loose ? !m.dir.empty() : !selected(m, selectors)) continue;
    unmatched = false;
    checked.push_back({&m, validate::check_mailbox(*o.usable[m.fs_index], m, opt)});
  }
  if (unmatched && !o.usable.empty()) {
    std::fprintf(stderr, "spoolsalvage: no mailbox matches the --mailbox selection\n");
    return kExitUsage;
  }
  if (json)
    write_out(report::check_json(o.views, disc, checked).dump(2, ' ', false, kReplaceInvalidUtf8) + "\n");
  else
    write_out(report::check_text(o.views, disc, checked));
  int status = exit_status_for(report::check_findings(o.views, disc, checked));
  for (const auto& c : checked)
    for (const auto& m : c.check.messages)
      if (m.state == validate::MessageState::unverified ||
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
  std::string not_in_guids;
  std::vector<std::string> not_in;
  bool from_sync_log = false;
  std::string sync_log_file;  // empty: the logs in the evidence's config directory
  bool json = false;
};

bool write_file(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << text;
  return static_cast<bool>(f);
}

int run_salvage(const SalvageArgs& a) {
  salvage::Selection sel;
  sel.mailbox_globs = a.mailboxes;
  sel.live_only = a.live_only;
  for (auto [text, slot, flag] : {std::tuple{&a.since, &sel.since, "--since"},
                                  std::tuple{&a.until, &sel.until, "--until"}}) {
    if (text->empty()) continue;
    auto t = parse_time(*text);
    if (!t) {
      std::fprintf(stderr, "spoolsalvage: %s: not a time (epoch seconds or ISO 8601): %s\n", flag,
                   report::printable(*text).c_str());
      return kExitUsage;
    }
    *slot = *t;
  }
  std::unordered_set<std::string> held;
  if (!a.not_in_guids.empty()) {
    std::ifstream f(a.not_in_guids);
    if (!f) {
      std::fprintf(stderr, "spoolsalvage: cannot read --not-in-guids %s\n",
                   report::printable(a.not_in_guids).c_str());
      return kExitOperational;
    }
    std::string line;
    while (std::getline(f, line)) {
      std::string g;
      for (char c : line)
        if (std::isxdigit(static_cast<unsigned char>(c)))
          g += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (g.size() == 40) held.insert(g);
    }
    sel.held_elsewhere_source = "--not-in-guids " + a.not_in_guids;
  }
  // The other side, read offline.
  OpenedEvidence other;
  salvage::OtherSide other_side;
  if (!a.not_in.empty()) {
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

  auto o = open_all(a.evidence);
  report_open_errors(o);
  if (o.usable.empty()) return kExitOperational;
  std::vector<std::string> all_evidence = a.evidence;
  all_evidence.insert(all_evidence.end(), a.not_in.begin(), a.not_in.end());
  if (auto st = salvage::prepare_out(a.out, all_evidence); !st) {
    std::fprintf(stderr, "spoolsalvage: %s\n", report::finding_line(st.problem()).c_str());
    return st.problem().code == Code::out_write_failed ? kExitOperational : kExitUsage;
  }
  auto disc = spool::discover(o.usable);
  if (a.from_sync_log) {
    spool::SyncLogSelection logsel;
    std::vector<std::string> used;
    Findings log_findings;
    if (!a.sync_log_file.empty()) {
      std::ifstream f(a.sync_log_file, std::ios::binary);
      std::stringstream buf;
      buf << f.rdbuf();
      if (!f) {
        std::fprintf(stderr, "spoolsalvage: cannot read sync log %s\n",
                     report::printable(a.sync_log_file).c_str());
        return kExitOperational;
      }
      std::string bytes = buf.str();
      auto log = spool::parse_sync_log(bytes_of(bytes), a.sync_log_file);
      spool::add_sync_log(logsel, log.entries);
      log_findings.append(log.findings);
      used.push_back(a.sync_log_file);
    } else if (disc.config.configdirectory_in_evidence) {
      for (auto* f : o.usable)
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
      return kExitOperational;
    }
    for (const auto& f : log_findings.items())
      std::fprintf(stderr, "spoolsalvage: %s\n", report::finding_line(f).c_str());
    sel.sync_log = std::move(logsel);
    sel.sync_log_source = fmt::format("sync log ({})", fmt::join(used, ", "));
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
  auto result = salvage::run_salvage(o.usable, disc, sel, a.out, progress);
  if (tty) std::fprintf(stderr, "\r%*s\r", 70, "");

  std::string manifest;
  for (const auto& e : result.entries) manifest += report::manifest_line(e, o.views).dump(-1, ' ', false, kReplaceInvalidUtf8) + "\n";
  nlohmann::json run = {{"tool", "spoolsalvage"}, {"version", SPOOLSALVAGE_VERSION}};
  auto rj = report::salvage_report_json(o.views, disc, result, run);
  auto rt = report::salvage_report_text(o.views, disc, result, a.out);
  bool ok = write_file(a.out + "/manifest.jsonl", manifest) &&
            write_file(a.out + "/report.json", rj.dump(2, ' ', false, kReplaceInvalidUtf8) + "\n") &&
            write_file(a.out + "/report.txt", rt) &&
            write_file(a.out + "/report.xml", report::salvage_dfxml(o.views, disc, result, run));
  if (a.json)
    write_out(rj.dump(2, ' ', false, kReplaceInvalidUtf8) + "\n");
  else
    write_out(rt);
  if (!ok || result.out_failed) {
    std::fprintf(stderr, "spoolsalvage: the output could not be written completely (see report)\n");
    return kExitOperational | kExitLeft;
  }
  Findings all = report::all_findings(o.views, disc);
  all.append(result.findings);
  int status = exit_status_for(all) & ~kExitLeft;  // bit 4 is decided by the messages below
  for (const auto& e : result.entries)
    if ((e.status == "unverified" || e.status == "unread") ||
        (e.status == "unrecoverable" &&
         std::find(e.reasons.begin(), e.reasons.end(), "message.unlinked") == e.reasons.end()))
      status |= kExitLeft;
  for (const auto& f : all.items())
    if (f.severity() >= Severity::error && f.code != Code::message_missing &&
        f.code != Code::message_guid_mismatch && f.code != Code::record_unproven)
      status |= kExitLeft;  // a mailbox or the spool could not be read
  return status;
}

int main_impl(int argc, char** argv) {
  CLI::App app{"spoolsalvage: forensic salvage of Cyrus IMAP spools, read-only, from ext2/3/4 "
               "images, disks or directory trees",
               "spoolsalvage"};
  app.footer(kExitHelp);
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("spoolsalvage ") + SPOOLSALVAGE_VERSION);

  bool json = false;
  std::vector<std::string> evidence;
  std::vector<std::string> more_evidence;
  std::string ls_mailbox;

  auto* probe = app.add_subcommand("probe", "What is this evidence: filesystem, superblock used, "
                                            "relaxations, Cyrus config, spool roots, counts");
  probe->add_option("EVIDENCE", evidence, "image file, block device or directory (repeatable)")
      ->required();
  probe->add_flag("--json", json, "machine-readable output");
  probe->footer(kExitHelp);

  auto* ls = app.add_subcommand("ls", "List every mailbox, or the message files of one");
  std::string ls_evidence;
  ls->add_option("EVIDENCE", ls_evidence, "image file, block device or directory")->required();
  ls->add_option("MAILBOX", ls_mailbox, "a mailbox's internal or display name");
  ls->add_option("-e,--evidence", more_evidence,
                 "more evidence of the same server (config dir, other partitions)");
  ls->add_flag("--json", json, "machine-readable output");
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
  check->add_flag("--json", json, "machine-readable output");
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
  salv->add_option("-o,--out", sa.out, "output directory (created; must be empty)")->required();
  salv->add_option("-e,--evidence", more_evidence, "more evidence of the same server");
  salv->add_option("-m,--mailbox", sa.mailboxes,
                   "only this mailbox (internal or display name, or a glob like 'user/fred/*'; "
                   "repeatable)");
  salv->add_option("--since", sa.since, "internal date from (epoch seconds or ISO 8601, UTC "
                                        "unless a zone is given)");
  salv->add_option("--until", sa.until, "internal date up to (inclusive)");
  salv->add_flag("--live-only", sa.live_only,
                 "leave out expunged messages and DELETED.* mailboxes (included by default)");
  salv->add_option("--not-in-guids", sa.not_in_guids,
                   "file of GUIDs (40 hex digits a line) the other side holds: keep only the rest");
  salv->add_option("--not-in", sa.not_in,
                   "the other side's evidence (the new master's image or spool): keep only "
                   "messages it does not hold; classify each mailbox against it");
  auto* sync_opt = salv->add_option(
      "--mailboxes-from-sync-log", sa.sync_log_file,
      "only the mailboxes the Cyrus sync log names (users expand to all their mailboxes); "
      "without FILE, the logs in the evidence's config directory (sync/log, channels, "
      "log-run, log-PID)");
  sync_opt->expected(0, 1);
  salv->add_flag("--json", sa.json, "print report.json instead of report.txt");
  salv->footer(kExitHelp);

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

  if (probe->parsed()) return run_probe(evidence, json);
  if (ls->parsed()) {
    std::vector<std::string> all{ls_evidence};
    all.insert(all.end(), more_evidence.begin(), more_evidence.end());
    return run_ls(all, ls_mailbox, json);
  }
  if (check->parsed()) {
    std::vector<std::string> all{check_evidence};
    all.insert(all.end(), more_evidence.begin(), more_evidence.end());
    return run_check(all, check_mailboxes, json, !no_hash);
  }
  if (dump->parsed()) return run_dump(dump_args, json);
  if (salv->parsed()) {
    sa.from_sync_log = sync_opt->count() > 0;
    sa.evidence = {salv_evidence};
    sa.evidence.insert(sa.evidence.end(), more_evidence.begin(), more_evidence.end());
    return run_salvage(sa);
  }
  return kExitUsage;
}

}  // namespace
}  // namespace ss::cli

int main(int argc, char** argv) {
  try {
    return ss::cli::main_impl(argc, argv);
  } catch (const std::exception& e) {
    // A bug of ours, never a property of the evidence: say so and exit as an
    // operational error rather than abort.
    std::fprintf(stderr, "spoolsalvage: internal error: %s\n", e.what());
    return ss::cli::kExitOperational;
  }
}
