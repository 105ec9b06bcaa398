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
#include <algorithm>
#include <exception>
#include <thread>
#include <atomic>
#include <map>
#include <set>
#include <memory>

#include <fmt/format.h>

#include "salvage/cache_envelope.hpp"
#include "salvage/lost_files.hpp"
#include "salvage/maildir.hpp"
#include "spool/cache_file.hpp"
#include "spool/index_file.hpp"
#include "spool/seen_db.hpp"
#include "spool/sync_log.hpp"
#include "core/sha1.hpp"
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

}  // namespace

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

namespace {

// A raw internal date as seconds: v20 stores nanoseconds (always > 2^32 for
// any date after 1970-01-01T00:00:04), older versions seconds.
std::int64_t seconds_of(std::uint64_t raw) { return ix::to_seconds(ix::Kind::nanos64, raw); }

// Why a message with this internal date is outside the date window, or "".
std::string date_excluded(std::int64_t t, const Selection& sel) {
  if (sel.since && t < *sel.since) return fmt::format("internal date {} before --since {}", t, *sel.since);
  if (sel.until && t > *sel.until) return fmt::format("internal date {} after --until {}", t, *sel.until);
  return {};
}

// One message to read: where its bytes go and what came of them. Each slot
// is touched by one worker thread at a time (see fs::ReadConsumer).
struct Slot {
  std::string tmp_path;  // empty: hash only (the Maildir could not be made)
  int fd = -1;
  std::unique_ptr<Sha1Hasher> hasher;
  std::optional<Sha1> sha1;
  std::string read_problem;  // reading the evidence failed
  std::string write_error;   // writing OUT failed
  bool complete = false;     // every byte read and written
  std::uint64_t written = 0;
  std::string reused;        // resume: the earlier run's file in cur/ kept (its name)
};

// Hashes each message's bytes and writes them to the Maildir's tmp/, on the
// worker threads of the bulk reader.
class MaildirWriter final : public fs::ReadConsumer {
 public:
  MaildirWriter(std::vector<Slot>& slots, const std::vector<std::size_t>& slot_of_job)
      : slots_(slots), slot_of_job_(slot_of_job) {}

  void begin(std::size_t job) override {
    Slot& s = slots_[slot_of_job_[job]];
    s.hasher = std::make_unique<Sha1Hasher>();
    if (!s.tmp_path.empty()) {
      s.fd = ::open(s.tmp_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
      if (s.fd < 0) s.write_error = fmt::format("{}: {}", s.tmp_path, std::strerror(errno));
    }
  }
  void chunk(std::size_t job, ByteView bytes) override {
    Slot& s = slots_[slot_of_job_[job]];
    s.hasher->update(bytes);
    if (s.fd < 0) return;
    const std::byte* p = bytes.data_unsafe();
    std::size_t left = bytes.size();
    while (left > 0) {
      ssize_t n = ::write(s.fd, p, left);
      if (n < 0) {
        if (errno == EINTR) continue;
        s.write_error = fmt::format("{}: {}", s.tmp_path, std::strerror(errno));
        ::close(s.fd);
        s.fd = -1;
        return;
      }
      p += n;
      left -= static_cast<std::size_t>(n);
      s.written += static_cast<std::uint64_t>(n);
    }
  }
  void end(std::size_t job, const Finding* problem) override {
    Slot& s = slots_[slot_of_job_[job]];
    if (s.fd >= 0) {
      // No fsync per message (it made a 20k-message salvage 7x slower); the
      // whole output is synced once at the end of the run.
      if (::close(s.fd) != 0 && s.write_error.empty())
        s.write_error = fmt::format("{}: {}", s.tmp_path, std::strerror(errno));
      s.fd = -1;
    }
    if (problem)
      s.read_problem = problem->describe();
    else
      s.sha1 = s.hasher->finish();
    s.hasher.reset();
    s.complete = !problem && s.write_error.empty() && !s.tmp_path.empty();
    bytes_.fetch_add(s.written, std::memory_order_relaxed);
    messages_.fetch_add(1, std::memory_order_relaxed);
  }
  std::uint64_t bytes() const { return bytes_.load(std::memory_order_relaxed); }
  std::uint64_t messages() const { return messages_.load(std::memory_order_relaxed); }

 private:
  std::vector<Slot>& slots_;
  const std::vector<std::size_t>& slot_of_job_;
  std::atomic<std::uint64_t> bytes_{0}, messages_{0};
};



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

// --resume: an earlier run's files in a Maildir. Removes its unfinished
// temp files; returns the messages in cur/ by uid (their file names).
std::map<std::uint32_t, std::vector<std::string>> earlier_output(const std::string& maildir) {
  std::map<std::uint32_t, std::vector<std::string>> out;
  if (auto* d = ::opendir((maildir + "/tmp").c_str())) {
    while (auto* ent = ::readdir(d)) {
      std::string_view n = ent->d_name;
      if (n.size() > 8 && n.substr(n.size() - 8) == ".partial")
        ::unlinkat(::dirfd(d), ent->d_name, 0);
    }
    ::closedir(d);
  }
  if (auto* d = ::opendir((maildir + "/cur").c_str())) {
    while (auto* ent = ::readdir(d)) {
      // "<internaldate>.<uid>.spoolsalvage[.<k>]:2,<flags>"
      std::string_view n = ent->d_name;
      auto dot = n.find('.');
      if (dot == std::string_view::npos) continue;
      auto rest = n.substr(dot + 1);
      auto dot2 = rest.find('.');
      if (dot2 == std::string_view::npos || rest.substr(dot2).rfind(".spoolsalvage", 0) != 0)
        continue;
      std::uint64_t uid = 0;
      bool digits = dot2 > 0 && dot2 <= 10;
      for (char c : rest.substr(0, dot2)) {
        if (c < '0' || c > '9') digits = false;
        uid = uid * 10 + static_cast<unsigned>(c - '0');
      }
      if (digits && uid <= 0xffffffffu) out[static_cast<std::uint32_t>(uid)].emplace_back(n);
    }
    ::closedir(d);
  }
  return out;
}

// SHA-1 and size of a regular file of OUT (never through a symlink).
std::optional<std::pair<Sha1, std::uint64_t>> hash_output(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return std::nullopt;
  }
  Sha1Hasher h;
  std::vector<std::byte> buf(1u << 20);
  std::uint64_t total = 0;
  for (;;) {
    ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      ::close(fd);
      return std::nullopt;
    }
    if (n == 0) break;
    h.update(ByteView(buf.data(), static_cast<std::size_t>(n)));
    total += static_cast<std::uint64_t>(n);
  }
  ::close(fd);
  return std::pair{h.finish(), total};
}

}  // namespace

Status prepare_out(const std::string& out, const std::vector<std::string>& evidence_paths,
                   bool resume) {
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
    if (!S_ISDIR(st.st_mode)) return Finding{Code::out_not_directory, out, {}};
  } else if (::mkdir(out.c_str(), 0700) != 0) {
    return Finding{Code::out_write_failed, out, fmt::format("mkdir: {}", std::strerror(errno))};
  }
  auto out_real_now = real_path(out);
  if (!out_real_now) return Finding{Code::out_write_failed, out, std::strerror(errno)};
  // Empty? (Or, to resume, an earlier run's output.)
  if (auto* d = ::opendir(out_real_now->c_str())) {
    bool empty = true;
    while (auto* ent = ::readdir(d))
      if (std::strcmp(ent->d_name, ".") != 0 && std::strcmp(ent->d_name, "..") != 0) empty = false;
    ::closedir(d);
    if (!empty) {
      struct stat md {};
      bool earlier =
          ::lstat((*out_real_now + "/maildir").c_str(), &md) == 0 && S_ISDIR(md.st_mode);
      if (resume && earlier) return ok_status();
      if (resume)
        return Finding{Code::out_not_resumable, out,
                       "give the OUT of the run to finish, or a new or empty directory without "
                       "--resume"};
      return Finding{Code::out_not_empty, out,
                     earlier ? "it holds an earlier salvage (maildir/): add --resume to finish it, "
                               "or give a new or empty directory"
                             : "it holds no earlier salvage: give a new or empty directory"};
    }
  }
  if (::mkdir((*out_real_now + "/maildir").c_str(), 0700) != 0)
    return Finding{Code::out_write_failed, out + "/maildir", std::strerror(errno)};
  return ok_status();
}

void Tally::add(const ManifestEntry& e) {
  ++messages;
  ++by_status[e.status];
  const bool has_file = e.inode != 0;
  const bool salvaged = e.status != "skipped" && e.status != "unrecoverable";
  if (has_file) {
    ++files;
    if (salvaged) ++files_salvaged;
    if (e.status == "skipped") ++files_skipped;
  }
  if (e.recno) {
    ++records;
    if (salvaged) ++records_salvaged;
    if (e.status == "unrecoverable") ++records_unrecoverable;
    if (e.status == "skipped") ++records_skipped;
  }
  if (!e.output.empty())
    ++written;
  else if (salvaged && e.status != "skipped" && has_file)
    ++not_written;
  if (e.stranded_left_out) {
    ++stranded_left_out;
    ++stranded_left_out_by_mailbox[e.mailbox];
  }
  if (e.status == "unverified" || e.status == "matched-unproven" || e.status == "unread" ||
      (e.status == "unrecoverable" &&
       std::find(e.reasons.begin(), e.reasons.end(), "message.unlinked") == e.reasons.end()))
    left = true;
}

namespace {

constexpr std::size_t kNotRead = static_cast<std::size_t>(-1);

// A mailbox between its metadata check and its entries.
struct Pending {
  const spool::Mailbox* m = nullptr;
  MailboxSummary sum;
  std::string maildir;  // path of its Maildir
  bool can_write = false;
  Code not_selected_code = Code::select_mailbox;
  std::string not_selected;
  validate::MailboxCheck check;
  // Left out before reading (--live-only, --since/--until by the record).
  std::map<std::uint32_t, std::pair<Code, std::string>> pre_skipped;
  std::vector<std::size_t> slot_of_message;        // kNotRead: not read
  std::vector<std::vector<fs::FileRun>> runs;      // per message with a file
  std::map<std::uint32_t, std::vector<std::string>> earlier;  // resume: cur/ files not yet kept
  std::map<std::size_t, LostFile> rehomed;  // message index -> its file, found elsewhere
};


class Salvager {
 public:
  Salvager(const std::vector<fs::Filesystem*>& fss, const spool::SpoolDiscovery& disc,
           const Selection& sel, const std::string& out, const EntryFn& emit,
           const ProgressFn& progress, const SalvageOptions& opt)
      : fss_(fss), disc_(disc), sel_(sel), out_(out), root_(out + "/maildir"), emit_(emit),
        progress_(progress), opt_(opt) {}

  SalvageResult run() {
    for (const auto& m : disc_.mailboxes)
      prog_.total_messages += std::max<std::uint64_t>(m.records.value_or(0), m.message_files);
    if (opt_.rehome) find_lost();
    std::vector<Pending> group;
    std::uint64_t group_records = 0;
    // One group's message bytes are read (on a thread of its own) while the
    // next group's metadata is read and checked here.
    std::unique_ptr<Flight> flying;
    auto send = [&] {
      if (group.empty()) return;
      auto next = board(group);  // reads what needs libext2fs, on this thread
      if (flying) land(*flying);
      launch(*next);
      flying = std::move(next);
    };
    for (std::size_t k = 0; k < disc_.mailboxes.size(); ++k) {
      if (opt_.cancel && opt_.cancel->load()) {
        res_.cancelled = true;
        res_.mailboxes_not_done = disc_.mailboxes.size() - k;
        break;
      }
      const auto& m = disc_.mailboxes[k];
      group.push_back(prepare(m));
      group_records += group.back().check.messages.size();
      if (group_records >= opt_.group_records) {
        send();
        group_records = 0;
      }
    }
    send();
    if (flying) land(*flying);
    // Everything written reaches the disk before the run says it is done.
    int dfd = ::open(out_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0 || ::syncfs(dfd) != 0) {
      res_.findings.add(Code::out_write_failed, out_, fmt::format("syncfs: {}", std::strerror(errno)));
      res_.out_failed = true;
    }
    if (dfd >= 0) ::close(dfd);
    return std::move(res_);
  }

 private:
  Pending prepare(const spool::Mailbox& m) {
    Pending p;
    p.m = &m;
    auto& sum = p.sum;
    sum.mailbox = m.name;
    sum.display_name = m.display_name;
    sum.uniqueid = m.uniqueid;
    sum.state = std::string(spool::to_string(m.state));
    sum.selected = mailbox_selected(m, sel_, p.not_selected_code, p.not_selected);
    sum.maildir = namer_.name_for(m.name, m.display_name);
    if (sel_.other) sum.other_side = classify(m, *sel_.other);
    p.maildir = root_ + "/" + sum.maildir;
    p.can_write = sum.selected;
    if (p.can_write) {
      if (auto st = make_maildir(root_, sum.maildir); !st) {
        res_.findings.add(st.problem());
        res_.out_failed = true;
        p.can_write = false;
      }
    }
    if (opt_.resume && p.can_write) p.earlier = earlier_output(p.maildir);
    fs::Filesystem& fs = *fss_[m.fs_index];
    p.check = validate::check_mailbox_meta(fs, m);
    if (sum.selected && (!found_.empty() || !matched_.empty()))
      for (std::size_t i = 0; i < p.check.messages.size(); ++i) {
        auto& mv = p.check.messages[i];
        const LostFile* lf = nullptr;
        if (const auto guid = missing_guid(p.check, mv); !guid.empty()) {
          if (auto it = found_.find({m.fs_index, guid}); it != found_.end()) lf = &it->second;
        } else if (missing_without_guid(p.check, mv)) {
          if (auto it = matched_.find({m.fs_index, m.name, mv.uid}); it != matched_.end())
            lf = &it->second;
        }
        if (!lf) continue;
        // The file, found elsewhere: read and settled as if it were here.
        mv.has_file = true;
        mv.node = lf->node;
        mv.inode = lf->node;
        mv.file_size = lf->size;
        mv.settled = false;
        mv.state = validate::MessageState::unverified;
        mv.reason.clear();
        mv.reason_code.reset();
        p.rehomed[i] = *lf;
      }
    p.slot_of_message.assign(p.check.messages.size(), kNotRead);
    p.runs.resize(p.check.messages.size());
    for (std::size_t i = 0; i < p.check.messages.size(); ++i) {
      const auto& mv = p.check.messages[i];
      if (!mv.has_file) continue;
      if (auto rh = p.rehomed.find(i); rh != p.rehomed.end())
        p.runs[i] = rh->second.runs;
      else if (auto runs = fs.file_runs(mv.node))
        p.runs[i] = std::move(runs).value();
      else
        res_.findings.add(runs.problem());
      if (!sum.selected) continue;
      if (mv.record) {
        const auto& rec = p.check.index.records[*mv.record].record;
        if (sel_.live_only && mv.expunged) {
          p.pre_skipped[mv.uid] = {Code::select_live_only, "expunged message (--live-only)"};
          continue;
        }
        if (auto raw = rec.values.get(ix::RecordField::internaldate)) {
          auto why = date_excluded(seconds_of(*raw), sel_);
          if (!why.empty()) {
            p.pre_skipped[mv.uid] = {Code::select_date, why};
            continue;
          }
        }
      }
      p.slot_of_message[i] = slots_.size();
      Slot s;
      if (keep_earlier(p, mv, s)) {
        slots_.push_back(std::move(s));
        continue;
      }
      if (p.can_write) s.tmp_path = fmt::format("{}/tmp/{}.{}.partial", p.maildir, mv.uid, ++seq_);
      slots_.push_back(std::move(s));
    }
    return p;
  }

  void find_lost() {
    auto lost = find_lost_files(fss_, disc_,
                                [&](const spool::Mailbox& m) {
                                  Code code{};
                                  std::string why;
                                  return mailbox_selected(m, sel_, code, why);
                                },
                                LostSearch{opt_.carve, opt_.reading, {}});
    found_ = std::move(lost.found);
    matched_ = std::move(lost.matched);
    res_.rehome = lost.stats;
    write_unmatched(std::move(lost.unmatched));
  }

  // Mail with no name and no record: OUT/unmatched/[fsN-]inode-N.eml, each
  // checked against the SHA-1 the search found, never presented as proven.
  void write_unmatched(std::vector<UnmatchedFile> found) {
    if (found.empty()) return;
    const std::string dir = out_ + "/unmatched";
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
      res_.findings.add(Code::out_write_failed, dir, std::strerror(errno));
      res_.out_failed = true;
    }
    for (std::size_t fi = 0; fi < fss_.size(); ++fi) {
      std::vector<fs::ReadJob> jobs;
      std::vector<Slot> slots;
      std::vector<std::size_t> slot_of_job;
      std::vector<std::size_t> which;
      for (std::size_t k = 0; k < found.size(); ++k) {
        const auto& u = found[k];
        if (u.fs_index != fi) continue;
        jobs.push_back(fs::ReadJob{u.node, u.size, u.runs});
        Slot sl;
        sl.tmp_path = fmt::format("{}/{}inode-{}.eml.partial", dir,
                                  fi ? fmt::format("fs{}-", fi) : std::string(), u.node);
        slot_of_job.push_back(slots.size());
        slots.push_back(std::move(sl));
        which.push_back(k);
      }
      if (jobs.empty()) continue;
      for (const auto& sl : slots) ::unlink(sl.tmp_path.c_str());  // an earlier run's (--resume)
      MaildirWriter writer(slots, slot_of_job);
      res_.unmatched_reads += fs::read_files(*fss_[fi], jobs, writer, opt_.reading);
      for (std::size_t j = 0; j < jobs.size(); ++j) {
        auto& u = found[which[j]];
        const Slot& sl = slots[j];
        const std::string final_path = sl.tmp_path.substr(0, sl.tmp_path.size() - 8);
        std::string output;
        if (sl.complete && sl.sha1 && to_hex(*sl.sha1) == u.sha1 &&
            ::rename(sl.tmp_path.c_str(), final_path.c_str()) == 0) {
          output = final_path.substr(out_.size() + 1);
        } else {
          ::unlink(sl.tmp_path.c_str());
          const std::string why = !sl.write_error.empty()  ? sl.write_error
                                  : !sl.read_problem.empty() ? sl.read_problem
                                                             : "its bytes changed between two reads";
          res_.findings.add(Code::out_write_failed, final_path, why);
          if (!sl.write_error.empty()) res_.out_failed = true;
        }
        res_.findings.add(Code::message_unmatched,
                          fmt::format("{}: inode {}", fss_[fi]->info().source, u.node),
                          output.empty() ? u.detail : u.detail + "; written to " + output);
        res_.unmatched.push_back({std::move(u), output});
      }
    }
  }

  // --resume: keeps the earlier run's copy of this message when its SHA-1
  // is the GUID of the message's intact record; any other earlier copy of
  // it is removed (it is written again).
  bool keep_earlier(Pending& p, const validate::MessageVerdict& mv, Slot& s) {
    auto it = p.earlier.find(mv.uid);
    if (it == p.earlier.end()) return false;
    std::vector<std::string> names = std::move(it->second);
    p.earlier.erase(it);
    if (mv.record && names.size() == 1) {
      const auto& rv = p.check.index.records[*mv.record];
      const auto& rec = rv.record;
      if (rv.integrity != validate::Integrity::damaged && rv.candidates.empty() && rec.has_guid &&
          !rec.guid_is_zero()) {
        auto h = hash_output(p.maildir + "/cur/" + names[0]);
        if (h && h->first == rec.guid && h->second == mv.file_size) {
          s.reused = names[0];
          s.sha1 = h->first;
          s.complete = true;
          ++res_.resumed;
          return true;
        }
      }
    }
    for (const auto& n : names) ::unlink((p.maildir + "/cur/" + n).c_str());
    return false;
  }

  // A group of mailboxes whose selected messages are being read (per
  // filesystem, each in disk order), then finished in order by land(). Its
  // slots are its own: the next group's are being made meanwhile.
  struct Flight {
    std::vector<Pending> group;
    std::vector<Slot> slots;
    std::vector<std::vector<fs::ReadJob>> jobs;            // per filesystem: read on the flight's thread
    std::vector<std::vector<std::size_t>> slot_of_job;
    std::vector<std::unique_ptr<MaildirWriter>> writers;
    fs::BulkReadStats reads;
    std::exception_ptr error;
    std::thread reader;
    ~Flight() {
      if (reader.joinable()) reader.join();
    }
  };

  // The group's jobs; those that need libext2fs (inline data, ...) are read
  // now, on this thread; the others wait for launch().
  std::unique_ptr<Flight> board(std::vector<Pending>& group) {
    auto f = std::make_unique<Flight>();
    f->group = std::move(group);
    group.clear();
    f->slots = std::move(slots_);
    slots_.clear();
    f->jobs.resize(fss_.size());
    f->slot_of_job.resize(fss_.size());
    for (std::size_t fi = 0; fi < fss_.size(); ++fi) {
      std::vector<fs::ReadJob> near;
      std::vector<std::size_t> near_slots;
      for (auto& p : f->group) {
        if (p.m->fs_index != fi) continue;
        for (std::size_t i = 0; i < p.check.messages.size(); ++i) {
          if (p.slot_of_message[i] == kNotRead) continue;
          if (!f->slots[p.slot_of_message[i]].reused.empty()) continue;
          const auto& mv = p.check.messages[i];
          fs::ReadJob j{mv.node, mv.file_size, p.runs[i]};
          const bool through = fs::reads_through_fs(*fss_[fi], j);
          (through ? near : f->jobs[fi]).push_back(std::move(j));
          (through ? near_slots : f->slot_of_job[fi]).push_back(p.slot_of_message[i]);
        }
      }
      if (near.empty()) continue;
      MaildirWriter writer(f->slots, near_slots);
      const std::uint64_t done_before = prog_.messages_done, bytes_before = prog_.bytes_done;
      auto tick = [&] {
        prog_.messages_done = done_before + writer.messages();
        prog_.bytes_done = bytes_before + writer.bytes();
        if (progress_) progress_(prog_);
      };
      res_.reads += fs::read_files(*fss_[fi], near, writer, opt_.reading, tick);
      tick();
    }
    return f;
  }

  // The rest of the group's bytes, straight from the evidence, on a thread
  // of the flight's own (libext2fs is not used there).
  void launch(Flight& f) {
    for (std::size_t fi = 0; fi < fss_.size(); ++fi)
      f.writers.push_back(std::make_unique<MaildirWriter>(f.slots, f.slot_of_job[fi]));
    f.reader = std::thread([this, &f] {
      try {
        for (std::size_t fi = 0; fi < fss_.size(); ++fi)
          if (!f.jobs[fi].empty()) f.reads += fs::read_files(*fss_[fi], f.jobs[fi], *f.writers[fi], opt_.reading);
      } catch (...) {
        f.error = std::current_exception();
      }
    });
  }

  // Waits for the flight's reading, then publishes its messages and reports
  // them, mailbox by mailbox, on this thread.
  void land(Flight& f) {
    if (f.reader.joinable()) f.reader.join();
    if (f.error) std::rethrow_exception(f.error);
    res_.reads += f.reads;
    for (const auto& w : f.writers) {
      prog_.messages_done += w->messages();
      prog_.bytes_done += w->bytes();
    }
    if (progress_) progress_(prog_);
    landing_ = &f.slots;
    for (auto& p : f.group) finish(p);
    landing_ = nullptr;
    f.group.clear();
    f.slots.clear();
  }

  void finish(Pending& p) {
    const spool::Mailbox& m = *p.m;
    auto& sum = p.sum;
    auto& check = p.check;
    fs::Filesystem& fs = *fss_[m.fs_index];
    // What reading gave each message.
    for (std::size_t i = 0; i < check.messages.size(); ++i) {
      auto& mv = check.messages[i];
      if (!mv.has_file) continue;
      if (p.slot_of_message[i] == kNotRead) {
        mv.read = sum.selected ? validate::ReadState::not_wanted : validate::ReadState::not_read;
        continue;
      }
      Slot& s = (*landing_)[p.slot_of_message[i]];
      if (s.sha1) {
        mv.read = validate::ReadState::hashed;
        mv.sha1 = s.sha1;
        check.bytes_hashed += mv.file_size;
      } else {
        mv.read = validate::ReadState::failed;
        mv.read_problem = s.read_problem;
      }
      res_.bytes_written += s.written;
    }
    validate::settle_messages(check);
    res_.findings.append(m.findings);
    res_.findings.append(check.findings);
    res_.bytes_hashed += check.bytes_hashed;

    const std::uint32_t minor = check.index.contents ? check.index.contents->header.minor : 0;
    std::vector<std::string> keyword_names;  // by slot
    if (check.header)
      for (const auto& f : check.header->user_flags) keyword_names.push_back(f.value_or(""));
    bool keywords_file = false;
    CacheBytes cache_bytes;
    std::optional<SeenLookup> seen;  // for index versions before 12, looked up once
    if (check.index.contents && minor < 12 && sum.selected)
      seen = owner_seen(fss_, disc_, m, res_.findings);

    for (std::size_t i = 0; i < check.messages.size(); ++i) {
      const auto& mv = check.messages[i];
      Slot* slot = p.slot_of_message[i] == kNotRead ? nullptr : &(*landing_)[p.slot_of_message[i]];
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
        e.runs = std::move(p.runs[i]);
        e.size = mv.file_size;
      }
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
        e.flags = ix::system_flag_names(flags, minor);
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
      if (!sum.selected) leave_out(p.not_selected_code, p.not_selected);
      if (auto it = p.pre_skipped.find(mv.uid); it != p.pre_skipped.end())
        leave_out(it->second.first, it->second.second);
      if (sel_.live_only && e.expunged) leave_out(Code::select_live_only, "expunged message (--live-only)");
      if (e.internaldate && mv.sha1)
        if (auto why = date_excluded(*e.internaldate, sel_); !why.empty()) leave_out(Code::select_date, why);
      bool held_there = false;
      if (!skip_code && sel_.held_elsewhere) {
        const std::string& id = mv.sha1 ? e.sha1 : (!mv.has_file ? e.guid : std::string());
        if (!id.empty() && sel_.held_elsewhere->count(id)) {
          held_there = true;
          leave_out(Code::select_held_elsewhere,
                    fmt::format("the other side holds this GUID ({})", sel_.held_elsewhere_source));
        }
      }

      if (skip_code) {
        e.status = "skipped";
        e.add_reason(*skip_code, skip);
        // Narrowed out: does the other side lack it? (By the bytes' SHA-1
        // when read, else by the GUID of an intact record.)
        if (sel_.held_elsewhere && !held_there) {
          const std::string& id = !e.sha1.empty() ? e.sha1
                                  : (rv && rv->integrity != validate::Integrity::damaged)
                                      ? e.guid
                                      : std::string();
          if (!id.empty() && !sel_.held_elsewhere->count(id)) {
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
          case MessageState::unread:
            e.status = "unread";
            e.add_reason(Code::message_unreadable, mv.reason);
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
        if (e.status == "unrecoverable" && rv)
          e.cache_envelope = envelope_of(fs, m, rv->record, cache_bytes);
        if (auto rh = p.rehomed.find(i); rh != p.rehomed.end()) {
          const Code code = rh->second.unproven ? Code::message_matched_unproven
                            : rh->second.carved   ? Code::message_carved
                                                  : Code::message_rehomed;
          if (rh->second.unproven) {
            // Read whole, but nothing proves them: what matched is said.
            if (e.status == "unverified") e.status = "matched-unproven";
            e.add_reason(code, rh->second.where);
            res_.findings.add(code, fmt::format("{} ({}) uid {}", m.display_name, m.dir, mv.uid),
                              rh->second.where);
          } else if (e.status == "verified" || e.status == "corrected") {
            e.status = rh->second.carved ? "carved" : "rehomed";
            e.add_reason(code, rh->second.where);
            res_.findings.add(code, fmt::format("{} ({}) uid {}", m.display_name, m.dir, mv.uid),
                              rh->second.where);
          } else {
            e.add_reason(code, "not proven: " + rh->second.where);
          }
        }
      }

      // Output.
      bool salvage = e.status == "verified" || e.status == "corrected" || e.status == "rehomed" ||
                     e.status == "carved" || e.status == "unverified" ||
                     e.status == "matched-unproven";
      if (salvage && slot && slot->complete) {
        std::vector<char> letters;
        if (rv)
          for (unsigned bit = 0; bit < 26; ++bit)
            if ((rv->record.user_flags[0] >> bit) & 1u) letters.push_back(static_cast<char>('a' + bit));
        auto base = fmt::format("{}.{}.spoolsalvage", e.internaldate.value_or(0), mv.uid);
        const std::string flags = maildir_flag_letters(e.flags, letters);
        Result<std::string> name = std::string();
        if (!slot->reused.empty() && slot->reused == base + ":2," + flags)
          name = keep_published(p.maildir, slot->reused, e.internaldate.value_or(0));
        else
          name = publish(slot->reused.empty() ? slot->tmp_path : p.maildir + "/cur/" + slot->reused,
                         p.maildir, base, flags, e.internaldate.value_or(0));
        if (name) {
          e.output = fmt::format("maildir/{}/cur/{}", sum.maildir, *name);
          slot->tmp_path.clear();
          slot->reused.clear();
          if (!letters.empty()) keywords_file = true;
        } else {
          res_.findings.add(name.problem());
          res_.out_failed = true;
          e.add_reason(Code::out_write_failed, name.problem().describe());
        }
      } else if (salvage) {
        if (slot && !slot->write_error.empty()) {
          res_.out_failed = true;
          e.add_reason(Code::out_write_failed, slot->write_error);
        } else if (!mv.has_file) {
          // nothing to write
        } else if (!slot) {
          e.add_reason(Code::select_not_read, "bytes not read");
        }
      }
      if (slot && !slot->write_error.empty()) res_.out_failed = true;

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
      res_.tally.add(e);
      if (emit_) emit_(e);
      if (e.status == "unverified" || e.status == "matched-unproven" || e.status == "unrecoverable")
        res_.lost.push_back(std::move(e));
    }
    if (keywords_file) {
      std::vector<std::string> first26(keyword_names.begin(),
                                       keyword_names.begin() +
                                           static_cast<long>(std::min<std::size_t>(26, keyword_names.size())));
      if (auto st = write_keywords_file(p.maildir, first26); !st) {
        res_.findings.add(st.problem());
        res_.out_failed = true;
      }
    }
    // An earlier run's files that this run does not account for.
    for (const auto& [uid, names] : p.earlier)
      for (const auto& n : names) ::unlink((p.maildir + "/cur/" + n).c_str());
    // Temp files never published (skipped after reading, or incomplete).
    for (std::size_t i = 0; i < check.messages.size(); ++i)
      if (p.slot_of_message[i] != kNotRead) {
        const Slot& s = (*landing_)[p.slot_of_message[i]];
        if (!s.tmp_path.empty()) ::unlink(s.tmp_path.c_str());
        if (!s.reused.empty()) ::unlink((p.maildir + "/cur/" + s.reused).c_str());
      }
    res_.mailboxes.push_back(std::move(sum));
    p.check = {};  // its memory goes now, not with the group
  }

  std::map<std::pair<std::size_t, std::string>, LostFile> found_;  // (fs, guid) -> the file
  std::map<std::tuple<std::size_t, std::string, std::uint32_t>, LostFile> matched_;  // no GUID

  const std::vector<fs::Filesystem*>& fss_;
  const spool::SpoolDiscovery& disc_;
  const Selection& sel_;
  std::string out_, root_;
  const EntryFn& emit_;
  const ProgressFn& progress_;
  SalvageOptions opt_;
  SalvageResult res_;
  Progress prog_;
  MaildirNamer namer_;
  std::vector<Slot> slots_;                // of the group being prepared
  std::vector<Slot>* landing_ = nullptr;  // of the group being finished
  unsigned long long seq_ = 0;
};

}  // namespace

SalvageResult run_salvage(const std::vector<fs::Filesystem*>& filesystems,
                          const spool::SpoolDiscovery& disc, const Selection& sel,
                          const std::string& out, const EntryFn& emit, const ProgressFn& progress,
                          const SalvageOptions& opt) {
  Salvager s(filesystems, disc, sel, out, emit, progress, opt);
  return s.run();
}

}  // namespace ss::salvage
