#include "salvage/salvage.hpp"

#include <fcntl.h>
#include <dirent.h>
#include <fnmatch.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <map>

#include <fmt/format.h>

#include "salvage/maildir.hpp"
#include "spool/cache_file.hpp"
#include "spool/index_file.hpp"
#include "spool/seen_db.hpp"
#include "spool/sync_log.hpp"
#include "validate/mailbox_check.hpp"

namespace ss::salvage {
namespace {

namespace ix = spool::index;
using validate::MessageState;


std::optional<std::string> real_path(const std::string& p) {
  char buf[PATH_MAX];
  if (!::realpath(p.c_str(), buf)) return std::nullopt;
  return std::string(buf);
}

bool mailbox_selected(const spool::Mailbox& m, const Selection& sel, Code& code, std::string& why) {
  if (sel.live_only && m.state == spool::MailboxState::deleted) {
    code = Code::select_live_only;
    why = "deleted mailbox (--live-only)";
    return false;
  }
  if (sel.sync_log && !spool::sync_log_selects(*sel.sync_log, m.name, m.uniqueid)) {
    code = Code::select_sync_log;
    why = fmt::format("mailbox not named by the {}", sel.sync_log_source);
    return false;
  }
  if (sel.mailbox_globs.empty()) return true;
  for (const auto& g : sel.mailbox_globs)
    if (m.name == g || m.display_name == g || ::fnmatch(g.c_str(), m.name.c_str(), 0) == 0 ||
        ::fnmatch(g.c_str(), m.display_name.c_str(), 0) == 0)
      return true;
  code = Code::select_mailbox;
  why = "mailbox not selected (--mailbox)";
  return false;
}

// A raw internal date as seconds: v20 stores nanoseconds (always > 2^32 for
// any date after 1970-01-01T00:00:04), older versions seconds.
std::int64_t seconds_of(std::uint64_t raw) { return ix::to_seconds(ix::Kind::nanos64, raw); }

// Why a message with this internal date is outside the date window, or "".
std::string date_excluded(std::int64_t t, const Selection& sel) {
  if (sel.since && t < *sel.since) return fmt::format("internal date {} before --since {}", t, *sel.since);
  if (sel.until && t > *sel.until) return fmt::format("internal date {} after --until {}", t, *sel.until);
  return {};
}

// Writes the selected messages' bytes into the Maildir's tmp/ as the check
// reads them.
class MaildirSink final : public validate::MessageSink {
 public:
  MaildirSink(std::string maildir, const Selection& sel, std::function<void(std::uint64_t)> done)
      : maildir_(std::move(maildir)), sel_(sel), done_(std::move(done)) {}
  ~MaildirSink() override {
    if (fd_ >= 0) ::close(fd_);
  }

  bool wanted(std::uint32_t uid, const ix::Record* rec) override {
    if (rec) {
      auto flags = static_cast<std::uint32_t>(rec->values.get_or(ix::RecordField::system_flags, 0));
      if (sel_.live_only && (flags & ix::kFlagExpunged)) {
        skipped_[uid] = "expunged message (--live-only)";
        return false;
      }
      if (auto raw = rec->values.get(ix::RecordField::internaldate)) {
        auto why = date_excluded(seconds_of(*raw), sel_);
        if (!why.empty()) {
          skipped_[uid] = why;
          return false;
        }
      }
    }
    return true;
  }
  void begin(std::uint32_t uid) override {
    if (fd_ >= 0) ::close(fd_);
    std::string path = fmt::format("{}/tmp/{}.{}.partial", maildir_, uid, ++seq_);
    fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    current_ = {path, false, fd_ < 0 ? std::string(std::strerror(errno)) : std::string()};
    uid_ = uid;
  }
  void chunk(ByteView bytes) override {
    if (fd_ < 0) return;
    const std::byte* p = bytes.data_unsafe();
    std::size_t left = bytes.size();
    while (left > 0) {
      ssize_t n = ::write(fd_, p, left);
      if (n < 0) {
        if (errno == EINTR) continue;
        current_.error = std::strerror(errno);
        ::close(fd_);
        fd_ = -1;
        return;
      }
      p += n;
      left -= static_cast<std::size_t>(n);
      written_ += static_cast<std::uint64_t>(n);
    }
  }
  void end(bool complete) override {
    if (fd_ >= 0) {
      // No fsync per message (it made a 20k-message salvage 7x slower); the
      // whole output is synced once at the end of the run.
      if (::close(fd_) != 0 && current_.error.empty()) current_.error = std::strerror(errno);
      fd_ = -1;
    }
    current_.complete = complete && current_.error.empty();
    if (!current_.error.empty()) failed_ = true;
    files_[uid_] = current_;
    if (done_) done_(written_ - reported_);
    reported_ = written_;
  }

  struct Temp {
    std::string path;
    bool complete = false;
    std::string error;
  };
  const Temp* temp(std::uint32_t uid) const {
    auto it = files_.find(uid);
    return it == files_.end() ? nullptr : &it->second;
  }
  std::string skipped_reason(std::uint32_t uid) const {
    auto it = skipped_.find(uid);
    return it == skipped_.end() ? std::string() : it->second;
  }
  void discard_all_unpublished() {
    for (auto& [uid, t] : files_)
      if (!t.path.empty()) ::unlink(t.path.c_str());
  }
  void published(std::uint32_t uid) { files_[uid].path.clear(); }
  bool failed() const { return failed_; }
  std::uint64_t written() const { return written_; }

 private:
  std::string maildir_;
  const Selection& sel_;
  int fd_ = -1;
  unsigned seq_ = 0;
  std::uint32_t uid_ = 0;
  Temp current_;
  std::map<std::uint32_t, Temp> files_;
  std::map<std::uint32_t, std::string> skipped_;
  bool failed_ = false;
  std::uint64_t written_ = 0, reported_ = 0;
  std::function<void(std::uint64_t)> done_;
};

std::vector<std::string> system_flag_names(std::uint32_t flags, std::uint32_t minor) {
  std::vector<std::string> out;
  if (flags & 1u) out.emplace_back("\\Answered");
  if (flags & 2u) out.emplace_back("\\Flagged");
  if (flags & 4u) out.emplace_back("\\Deleted");
  if (flags & 8u) out.emplace_back("\\Draft");
  if (minor >= 12 && (flags & 16u)) out.emplace_back("\\Seen");
  return out;
}

std::string envelope_of(fs::Filesystem& fs, const spool::Mailbox& m, const ix::Record& r) {
  auto id = fs.lookup(m.dir.empty() ? "cyrus.cache" : m.dir + "/cyrus.cache");
  if (!id) return {};
  auto bytes = fs.read_all(*id, 1ull << 31);
  if (!bytes) return {};
  auto rec = spool::cache::read_record(ByteView(*bytes), r.cache_offset());
  if (!rec) return {};
  return std::string(rec->items[static_cast<std::size_t>(spool::cache::Item::envelope)].chars());
}

// \Seen for index versions before 12 lives only in the owner's seen db.
// Returns the owner's state for this mailbox, with where it came from.
struct SeenLookup {
  std::optional<spool::SeenState> state;
  std::string source;  // provenance text
};

SeenLookup owner_seen(const std::vector<fs::Filesystem*>& fss, const spool::SpoolDiscovery& disc,
                      const spool::Mailbox& m, Findings& findings) {
  SeenLookup out;
  auto owner = spool::mailbox_owner(m.name);
  if (!owner || m.uniqueid.empty() || !disc.config.configdirectory_in_evidence) {
    out.source = "\\Seen unknown: this index version has no \\Seen bit and the mailbox has no "
                 "owner, uniqueid or config directory to find a seen db by";
    return out;
  }
  spool::SeenDbQuery q;
  q.userid = *owner;
  q.fulldirhash = disc.config.fulldirhash;
  for (auto* fs : fss) {
    Findings local;
    auto paths = spool::find_seen_db(*fs, *disc.config.configdirectory_in_evidence, q, local);
    if (paths.empty()) continue;
    auto db = spool::read_seen_db(*fs, paths[0].path);
    if (!db) {
      findings.add(db.problem());
      continue;
    }
    findings.append(db->findings);
    auto st = db->for_mailbox(m.uniqueid);
    if (!st) break;
    if (!st->cyrus_valid) {
      out.source = fmt::format("\\Seen not set: the seen db entry's uid set is not a valid "
                               "sequence; Cyrus read it as empty ({})", st->issue);
      return out;
    }
    out.source = fmt::format("\\Seen from the seen db of user \"{}\" ({}, entry {}: uid set "
                             "\"{}\"); this index version has no \\Seen bit",
                             *owner, paths[0].path, m.uniqueid, st->seen.to_string());
    out.state = std::move(st);
    return out;
  }
  out.source = fmt::format("\\Seen unknown: this index version has no \\Seen bit and no seen db "
                           "entry was found for user \"{}\"", *owner);
  return out;
}

}  // namespace

Status prepare_out(const std::string& out, const std::vector<std::string>& evidence_paths) {
  // Where OUT would be, before anything is created: its parent resolved.
  std::string parent = out, leaf;
  while (parent.size() > 1 && parent.back() == '/') parent.pop_back();
  auto slash = parent.rfind('/');
  leaf = slash == std::string::npos ? parent : parent.substr(slash + 1);
  parent = slash == std::string::npos ? "." : (slash == 0 ? "/" : parent.substr(0, slash));
  auto parent_real = real_path(parent);
  if (!parent_real)
    return Finding{Code::out_write_failed, out, fmt::format("parent: {}", std::strerror(errno))};
  std::string out_real = (*parent_real == "/" ? "" : *parent_real) + "/" + leaf;
  if (auto r = real_path(out)) out_real = *r;  // exists (maybe a symlink)
  for (const auto& e : evidence_paths) {
    auto ev = real_path(e);
    if (!ev) continue;
    if (*ev == out_real || out_real.rfind(*ev + "/", 0) == 0 || *ev == "/")
      return Finding{Code::out_inside_evidence, out, fmt::format("evidence {}", e)};
  }
  struct stat st {};
  if (::stat(out.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode)) return Finding{Code::out_not_empty, out, "exists and is not a directory"};
  } else if (::mkdir(out.c_str(), 0700) != 0) {
    return Finding{Code::out_write_failed, out, fmt::format("mkdir: {}", std::strerror(errno))};
  }
  auto out_real_now = real_path(out);
  if (!out_real_now) return Finding{Code::out_write_failed, out, std::strerror(errno)};
  // Empty?
  if (auto* d = ::opendir(out_real_now->c_str())) {
    bool empty = true;
    while (auto* ent = ::readdir(d))
      if (std::strcmp(ent->d_name, ".") != 0 && std::strcmp(ent->d_name, "..") != 0) empty = false;
    ::closedir(d);
    if (!empty) return Finding{Code::out_not_empty, out, {}};
  }
  if (::mkdir((*out_real_now + "/maildir").c_str(), 0700) != 0)
    return Finding{Code::out_write_failed, out + "/maildir", std::strerror(errno)};
  return ok_status();
}

SalvageResult run_salvage(const std::vector<fs::Filesystem*>& filesystems,
                          const spool::SpoolDiscovery& disc, const Selection& sel,
                          const std::string& out, const ProgressFn& progress) {
  SalvageResult res;
  Progress prog;
  for (const auto& m : disc.mailboxes)
    prog.total_messages += std::max<std::uint64_t>(m.records.value_or(0), m.message_files);
  MaildirNamer namer;
  const std::string root = out + "/maildir";
  for (const auto& m : disc.mailboxes) {
    MailboxSummary sum;
    sum.mailbox = m.name;
    sum.display_name = m.display_name;
    sum.uniqueid = m.uniqueid;
    sum.state = std::string(spool::to_string(m.state));
    std::string not_selected;
    Code not_selected_code = Code::select_mailbox;
    sum.selected = mailbox_selected(m, sel, not_selected_code, not_selected);
    sum.maildir = namer.name_for(m.name, m.display_name);
    if (sel.other) sum.other_side = classify(m, *sel.other);
    const std::string maildir = root + "/" + sum.maildir;
    bool can_write = sum.selected;
    if (can_write) {
      if (auto st = make_maildir(root, sum.maildir); !st) {
        res.findings.add(st.problem());
        res.out_failed = true;
        can_write = false;
      }
    }
    fs::Filesystem& fs = *filesystems[m.fs_index];
    MaildirSink sink(maildir, sel, [&](std::uint64_t bytes) {
      ++prog.messages_done;
      prog.bytes_done += bytes;
      if (progress) progress(prog);
    });
    validate::CheckOptions opt;
    opt.hash_messages = sum.selected;
    opt.sink = can_write ? &sink : nullptr;
    auto check = validate::check_mailbox(fs, m, opt);
    res.findings.append(m.findings);
    res.findings.append(check.findings);
    res.bytes_hashed += check.bytes_hashed;

    const std::uint32_t minor = check.index.contents ? check.index.contents->header.minor : 0;
    std::vector<std::string> keyword_names;  // by slot
    if (check.header)
      for (const auto& f : check.header->user_flags) keyword_names.push_back(f.value_or(""));
    bool keywords_file = false;
    std::optional<SeenLookup> seen;  // for index versions before 12, looked up once
    if (check.index.contents && minor < 12 && sum.selected)
      seen = owner_seen(filesystems, disc, m, res.findings);

    for (const auto& mv : check.messages) {
      ManifestEntry e;
      e.mailbox = m.name;
      e.display_name = m.display_name;
      e.uniqueid = m.uniqueid;
      e.maildir = sum.maildir;
      e.other_side = sum.other_side;
      e.fs_index = m.fs_index;
      e.source_dir = m.dir;
      e.inode = mv.inode;
      e.in_deleted_mailbox = m.state == spool::MailboxState::deleted;
      e.uid = mv.uid;
      e.recno = mv.recno;
      e.expunged = mv.expunged;
      if (mv.sha1) e.sha1 = to_hex(*mv.sha1);
      if (mv.has_file) {
        if (auto runs = fs.file_runs(mv.node)) e.runs = std::move(runs).value();
        else res.findings.add(runs.problem());
      }
      if (mv.has_file) e.size = mv.file_size;
      const validate::RecordVerdict* rv = mv.record ? &check.index.records[*mv.record] : nullptr;
      e.record_integrity = rv ? std::string(validate::to_string(rv->integrity)) : "none";
      if (rv) {
        const auto& r = rv->record;
        std::string from = fmt::format("{} record ({})",
                                       rv->from_expunge ? "cyrus.expunge" : "index",
                                       e.record_integrity);
        if (!r.guid_is_zero() && r.has_guid) e.guid = to_hex(r.guid);
        if (!e.size) e.size = r.values.get(ix::RecordField::size);
        if (auto raw = r.values.get(ix::RecordField::internaldate)) {
          e.internaldate = seconds_of(*raw);
          e.internaldate_source = from;
        }
        auto flags = static_cast<std::uint32_t>(r.values.get_or(ix::RecordField::system_flags, 0));
        e.flags = system_flag_names(flags, minor);
        for (unsigned bit = 0; bit < 128; ++bit)
          if ((r.user_flags[bit / 32] >> (bit % 32)) & 1u)
            e.keywords.push_back(bit < keyword_names.size() && !keyword_names[bit].empty()
                                     ? keyword_names[bit]
                                     : fmt::format("$unnamed-flag-{}", bit));
        e.flags_source = from;
        if (minor < 12 && seen) {
          if (seen->state && seen->state->is_seen(mv.uid)) e.flags.emplace_back("\\Seen");
          e.flags_source = from + "; " + seen->source;
        }
      } else if (mv.has_file) {
        e.internaldate = mv.mtime;
        e.internaldate_source = "file mtime (no index record; Cyrus 2.4+ sets it to the internal date)";
        e.flags_source = "none (no index record)";
      }

      // Status.
      // Why the selection leaves it out, if it does: the first that applies.
      std::optional<Code> skip_code;
      std::string skip;
      auto leave_out = [&](Code c, std::string why) {
        if (!skip_code) {
          skip_code = c;
          skip = std::move(why);
        }
      };
      if (!sum.selected) leave_out(not_selected_code, not_selected);
      if (auto why = sink.skipped_reason(mv.uid); !why.empty() && !mv.sha1)
        leave_out(why.rfind("expunged", 0) == 0 ? Code::select_live_only : Code::select_date, why);
      if (sel.live_only && e.expunged) leave_out(Code::select_live_only, "expunged message (--live-only)");
      if (e.internaldate && mv.sha1)
        if (auto why = date_excluded(*e.internaldate, sel); !why.empty()) leave_out(Code::select_date, why);
      bool held_there = false;
      if (!skip_code && sel.held_elsewhere) {
        const std::string& id = mv.sha1 ? e.sha1 : (!mv.has_file ? e.guid : std::string());
        if (!id.empty() && sel.held_elsewhere->count(id)) {
          held_there = true;
          leave_out(Code::select_held_elsewhere,
                    fmt::format("the other side holds this GUID ({})", sel.held_elsewhere_source));
        }
      }

      if (skip_code) {
        e.status = "skipped";
        e.add_reason(*skip_code, skip);
        // Narrowed out: does the other side lack it? (By the bytes' SHA-1
        // when read, else by the GUID of an intact record.)
        if (sel.held_elsewhere && !held_there) {
          const std::string& id = !e.sha1.empty() ? e.sha1
                                  : (rv && rv->integrity != validate::Integrity::damaged)
                                      ? e.guid
                                      : std::string();
          if (!id.empty() && !sel.held_elsewhere->count(id)) {
            e.stranded_left_out = true;
            e.add_reason(Code::select_stranded_left_out,
                         "the other side does not hold it: stranded, left out by the selection");
          }
        }
      } else {
        switch (mv.state) {
          case MessageState::verified: e.status = "verified"; break;
          case MessageState::corrected:
            e.status = "corrected";
            if (rv) e.add_reason(Code::record_corrected,
                                 fmt::format("record corrected ({} bits), proven by GUID",
                                             rv->flipped_bits.size()));
            break;
          case MessageState::unverified:
          case MessageState::no_record:
            e.status = "unverified";
            e.add_reason(mv.reason_code.value_or(Code::record_unproven), mv.reason);
            break;
          case MessageState::missing:
            e.status = "unrecoverable";
            e.add_reason(Code::message_missing, mv.reason);
            break;
          case MessageState::unlinked:
            e.status = "unrecoverable";
            e.add_reason(Code::message_unlinked,
                         "expunged and unlinked: Cyrus removed the file on purpose");
            break;
        }
        if (e.status == "unrecoverable" && rv) e.cache_envelope = envelope_of(fs, m, rv->record);
      }

      // Output.
      const auto* tmp = sink.temp(mv.uid);
      bool salvage = e.status == "verified" || e.status == "corrected" || e.status == "unverified";
      if (salvage && tmp && tmp->complete) {
        std::vector<char> letters;
        if (rv)
          for (unsigned bit = 0; bit < 26; ++bit)
            if ((rv->record.user_flags[0] >> bit) & 1u) letters.push_back(static_cast<char>('a' + bit));
        auto base = fmt::format("{}.{}.spoolsalvage", e.internaldate.value_or(0), mv.uid);
        auto name = publish(tmp->path, maildir, base, maildir_flag_letters(e.flags, letters),
                            e.internaldate.value_or(0));
        if (name) {
          e.output = fmt::format("maildir/{}/cur/{}", sum.maildir, *name);
          sink.published(mv.uid);
          if (!letters.empty()) keywords_file = true;
        } else {
          res.findings.add(name.problem());
          res.out_failed = true;
          e.add_reason(Code::out_write_failed, name.problem().describe());
        }
      } else if (salvage) {
        if (tmp && !tmp->error.empty()) {
          res.out_failed = true;
          e.add_reason(Code::out_write_failed, tmp->error);
        } else if (!mv.has_file) {
          // nothing to write
        } else if (!tmp) {
          e.add_reason(Code::select_not_read, "bytes not read");
        }
      }

      // Totals.
      if (e.status == "skipped") {
        ++sum.skipped;
        if (mv.has_file) ++sum.skipped_files;
        if (mv.recno) ++sum.skipped_records;
      } else if (e.status == "unrecoverable") {
        ++sum.unrecoverable;
      } else {
        ++sum.salvaged;
      }
      if (mv.has_file) ++sum.files;
      if (mv.recno) ++sum.records;
      res.entries.push_back(std::move(e));
    }
    if (keywords_file) {
      std::vector<std::string> first26(keyword_names.begin(),
                                       keyword_names.begin() +
                                           static_cast<long>(std::min<std::size_t>(26, keyword_names.size())));
      if (auto st = write_keywords_file(maildir, first26); !st) {
        res.findings.add(st.problem());
        res.out_failed = true;
      }
    }
    sink.discard_all_unpublished();
    if (sink.failed()) res.out_failed = true;
    res.bytes_written += sink.written();
    res.mailboxes.push_back(std::move(sum));
  }
  // Everything written reaches the disk before the run says it is done.
  int dfd = ::open(out.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0 || ::syncfs(dfd) != 0) {
    res.findings.add(Code::out_write_failed, out, fmt::format("syncfs: {}", std::strerror(errno)));
    res.out_failed = true;
  }
  if (dfd >= 0) ::close(dfd);
  return res;
}

}  // namespace ss::salvage
