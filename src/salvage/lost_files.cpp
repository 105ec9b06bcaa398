#include "salvage/lost_files.hpp"

#include <fmt/format.h>

#include <memory>
#include <optional>
#include <set>

#include "core/sha1.hpp"
#include "fs/census.hpp"
#include "salvage/cache_envelope.hpp"
#include "salvage/hash_files.hpp"
#include "spool/message_header.hpp"
#include "spool/index_layout.hpp"

namespace ss::salvage {
namespace ix = spool::index;

std::string missing_guid(const validate::MailboxCheck& c, const validate::MessageVerdict& mv) {
  if (mv.has_file || mv.state != validate::MessageState::missing || !mv.record) return {};
  const auto& rv = c.index.records[*mv.record];
  if (rv.integrity == validate::Integrity::damaged || !rv.candidates.empty() ||
      !rv.record.has_guid || rv.record.guid_is_zero())
    return {};
  return to_hex(rv.record.guid);
}

bool missing_without_guid(const validate::MailboxCheck& c, const validate::MessageVerdict& mv) {
  if (mv.has_file || mv.state != validate::MessageState::missing || !mv.record) return false;
  const auto& rv = c.index.records[*mv.record];
  return rv.integrity != validate::Integrity::damaged && rv.candidates.empty() &&
         (!rv.record.has_guid || rv.record.guid_is_zero());
}

namespace {

// A record without a GUID whose file is missing, and what its cache says.
struct UnprovenWanted {
  std::string mailbox;
  std::uint32_t uid = 0;
  std::uint64_t size = 0;
  std::uint32_t version = 0;
  spool::HeaderSummary envelope;
};

// The evidence that a file is the record's message, or "" when it is not:
// the Message-ID the record's envelope gives, else its Date and Subject.
std::string header_match(const spool::HeaderSummary& file, const UnprovenWanted& w) {
  const auto& e = w.envelope;
  if (!e.message_id.empty())
    return file.message_id == e.message_id
               ? fmt::format("its size ({} bytes) and Message-ID {} are the record's", w.size, e.message_id)
               : std::string();
  if (!e.date.empty() && !e.subject.empty() && file.date == e.date && file.subject == e.subject)
    return fmt::format("its size ({} bytes), Date and Subject are the record's", w.size);
  return {};
}

// Every regular file under lost+found (e2fsck also puts directories there),
// at most 8 levels down.
void lost_found_files(fs::Filesystem& f, fs::NodeId dir, int depth, std::set<fs::NodeId>& files,
                      std::set<fs::NodeId>& seen) {
  if (depth > 8 || !seen.insert(dir).second) return;
  auto entries = f.list(dir);
  if (!entries) return;
  for (const auto& e : *entries) {
    if (e.name == "." || e.name == "..") continue;
    if (e.kind == fs::NodeKind::file) files.insert(e.id);
    else if (e.kind == fs::NodeKind::directory) lost_found_files(f, e.id, depth + 1, files, seen);
  }
}

std::string unmatched_detail(const UnmatchedFile& u) {
  std::string s = u.where + "; its SHA-1 " + u.sha1 + " is no record's GUID";
  const auto& h = u.header;
  for (const auto& [k, v] : {std::pair<const char*, const std::string*>{"From", &h.from},
                             {"To", &h.to}, {"Subject", &h.subject}, {"Date", &h.date},
                             {"Message-ID", &h.message_id}})
    if (!v->empty()) s += fmt::format("; {}: {}", k, *v);
  return s;
}

}  // namespace

LostFiles find_lost_files(const std::vector<fs::Filesystem*>& fss, const spool::SpoolDiscovery& disc,
                          const std::function<bool(const spool::Mailbox&)>& selected,
                          const LostSearch& how) {
  LostFiles out;
  std::map<std::size_t, std::map<std::string, CarveWanted>> wanted;  // fs -> guid -> record
  std::map<std::size_t, std::vector<UnprovenWanted>> unproven;
  // The GUIDs of every intact record of every mailbox, selected or not:
  // bytes with one of them are no stranger, wherever they are.
  std::set<Sha1> known;
  // The message files of the mailboxes, where they are: no strangers (a
  // mailbox directory given back from lost+found is still under it).
  std::map<std::size_t, std::set<fs::NodeId>> in_place;
  // Message files no index record claims: the file a record lacks may be
  // one of them (renamed by a flipped bit in its directory entry).
  std::map<std::size_t, std::map<fs::NodeId, std::string>> no_record;
  // First what is missing; what is in place only when something is looked
  // for (a healthy spool keeps no set of every GUID and file).
  auto each_mailbox = [&](bool in_place_too) {
    for (const auto& m : disc.mailboxes) {
      if (m.records.value_or(0) == 0 && m.message_files == 0) continue;
      if (!in_place_too && how.may_lack && !how.may_lack(m)) continue;
      const auto c = validate::check_mailbox_meta(*fss[m.fs_index], m);
      for (const auto& mv : c.messages)
        if (mv.has_file && !mv.record)
          no_record[m.fs_index].emplace(mv.node, fmt::format("{}/{}.", m.dir, mv.uid));
      if (in_place_too) {
        for (const auto& mv : c.messages)
          if (mv.has_file) in_place[m.fs_index].insert(mv.node);
        for (const auto& rv : c.index.records)
          if (rv.integrity != validate::Integrity::damaged && rv.candidates.empty() &&
              rv.record.has_guid && !rv.record.guid_is_zero())
            known.insert(rv.record.guid);
        continue;
      }
      if (!selected(m)) continue;
      CacheBytes cache;
      for (const auto& mv : c.messages) {
        if (missing_without_guid(c, mv)) {
          const auto& rec = c.index.records[*mv.record].record;
          UnprovenWanted w{m.name, mv.uid, rec.values.get_or(ix::RecordField::size, 0),
                           c.index.contents ? c.index.contents->header.minor : 0,
                           spool::summarize_envelope(envelope_of(*fss[m.fs_index], m, rec, cache))};
          if (w.size && (!w.envelope.message_id.empty() ||
                         (!w.envelope.date.empty() && !w.envelope.subject.empty())))
            unproven[m.fs_index].push_back(std::move(w));
          continue;
        }
        const auto guid = missing_guid(c, mv);
        if (guid.empty()) continue;
        const auto& rec = c.index.records[*mv.record].record;
        wanted[m.fs_index][guid] = CarveWanted{guid, rec.values.get_or(ix::RecordField::size, 0),
                                               rec.values.get_or(ix::RecordField::header_size, 0)};
      }
    }
  };
  each_mailbox(false);
  std::vector<std::set<fs::NodeId>> lost_found(fss.size());
  bool search = false;
  for (std::size_t fi = 0; fi < fss.size(); ++fi) {
    std::set<fs::NodeId> seen_dirs;
    if (auto lf = fss[fi]->lookup("lost+found")) lost_found_files(*fss[fi], *lf, 0, lost_found[fi], seen_dirs);
    search = search || !wanted[fi].empty() || !unproven[fi].empty() || !lost_found[fi].empty();
  }
  if (!search) return out;
  no_record.clear();
  each_mailbox(true);
  for (std::size_t fi = 0; fi < fss.size(); ++fi) {
    fs::Filesystem& f = *fss[fi];
    const auto& guids = wanted[fi];
    const auto& nameless = unproven[fi];
    const auto& in_lost_found = lost_found[fi];
    // Without a missing file or anything in lost+found the inode tables are
    // not read: orphans alone are looked for only then.
    if (guids.empty() && nameless.empty() && in_lost_found.empty()) continue;
    out.stats.wanted += guids.size() + nameless.size();
    std::set<std::uint64_t> sizes;
    for (const auto& [g, w] : guids) sizes.insert(w.size);
    for (const auto& w : nameless) sizes.insert(w.size);
    // Per record without a GUID: the files whose header matches it.
    std::vector<std::vector<std::size_t>> header_matches(nameless.size());
    std::vector<std::pair<std::size_t, UnmatchedFile>> strangers;  // (job, file) no GUID claims
    std::set<std::size_t> taken;  // jobs matched to a record without a GUID
    auto census = fs::take_census(
        f, [&](const fs::InodeInfo& i) { return i.in_use() || sizes.count(i.size) > 0; });
    out.stats.inode_table_blocks_skipped += census.skipped_blocks;
    const auto& inodes = census.inodes;
    auto& named = census.named_by;
    std::vector<fs::ReadJob> jobs;
    std::vector<fs::InodeInfo> of_job;
    std::vector<char> stranger;  // an orphan or in lost+found: unmatched if no GUID
    for (const auto& c : inodes) {
      if (c.kind != fs::NodeKind::file) continue;
      const bool lost = in_lost_found.count(c.id) || (c.in_use() && !named.count(c.id));
      if (!lost && !sizes.count(c.size)) continue;
      auto runs = f.file_runs(c.id);
      if (!runs) continue;
      jobs.push_back(fs::ReadJob{c.id, c.size, std::move(runs).value()});
      of_job.push_back(c);
      stranger.push_back(lost);
    }
    out.stats.candidates += jobs.size();
    // A file's first bytes are kept only where its header may be read: a
    // stranger (unmatched/), or a candidate for a record without a GUID.
    constexpr std::size_t kHead = 64 << 10;
    std::set<std::uint64_t> nameless_sizes;
    for (const auto& w : nameless) nameless_sizes.insert(w.size);
    std::vector<std::size_t> head(jobs.size(), 0);
    for (std::size_t j = 0; j < jobs.size(); ++j)
      if (stranger[j] || nameless_sizes.count(jobs[j].size)) head[j] = kHead;
    const auto sums = hash_files(f, jobs, how.reading, out.stats.reads, head);
    for (std::size_t j = 0; j < jobs.size(); ++j) {
      if (!sums[j].sha1) continue;
      const std::string hex = to_hex(*sums[j].sha1);
      const fs::InodeInfo& c = of_job[j];
      const auto stray = no_record[fi].find(c.id);
      std::string where =
          in_lost_found.count(c.id) ? fmt::format("found in lost+found as inode {}", c.id)
          : stray != no_record[fi].end()
              ? fmt::format("found as {} (inode {}), a message file no index record claims",
                            stray->second, c.id)
          : !c.in_use() ? fmt::format("found in deleted inode {} (its blocks intact)", c.id)
          : !named.count(c.id)
              ? fmt::format("found in inode {}, which no directory names", c.id)
              : fmt::format("found in inode {}, which another directory (inode {}) names: a "
                            "hard link to the same message elsewhere",
                            c.id, named[c.id]);
      if (guids.count(hex)) {
        if (out.found.count({fi, hex})) continue;
        out.found[{fi, hex}] =
            LostFile{c.id, c.size, jobs[j].runs, false, where + "; its SHA-1 is the record's GUID"};
        ++out.stats.found;
        continue;
      }
      const auto header = spool::summarize_header(ByteView(sums[j].head));
      for (std::size_t k = 0; k < nameless.size(); ++k)
        if (nameless[k].size == c.size && !header_match(header, nameless[k]).empty())
          header_matches[k].push_back(j);
      if (!stranger[j] || in_place[fi].count(c.id)) continue;
      if (known.count(*sums[j].sha1)) {
        ++out.stats.copies_of_known;
        continue;
      }
      UnmatchedFile u{fi, c.id, c.size, jobs[j].runs, hex, where, header, {}};
      if (!u.header.looks_like_message) {
        ++out.stats.not_mail;
        continue;
      }
      u.detail = unmatched_detail(u);
      strangers.emplace_back(j, std::move(u));
    }
    // Records without a GUID: a match only when every file that matches has
    // the same bytes, the stranger (lost+found, orphan, deleted) preferred.
    for (std::size_t k = 0; k < nameless.size(); ++k) {
      const auto& ms = header_matches[k];
      if (ms.empty()) continue;
      std::set<std::string> distinct;
      for (std::size_t j : ms) distinct.insert(to_hex(*sums[j].sha1));
      if (distinct.size() != 1) continue;  // ambiguous: nothing said to be this message
      std::size_t best = ms.front();
      for (std::size_t j : ms)
        if (stranger[j]) best = j;
      const auto& c = of_job[best];
      const auto& w = nameless[k];
      std::string where =
          in_lost_found.count(c.id) ? fmt::format("a file in lost+found (inode {})", c.id)
          : !c.in_use()             ? fmt::format("deleted inode {}", c.id)
          : !named.count(c.id)      ? fmt::format("inode {}, which no directory names", c.id)
                                    : fmt::format("inode {}, named by directory inode {}", c.id, named[c.id]);
      LostFile lf{c.id, c.size, jobs[best].runs, false,
                  fmt::format("{}: {} (cyrus.cache envelope); not proven: index v{} records no GUID",
                              where, header_match(spool::summarize_header(ByteView(sums[best].head)), w),
                              w.version)};
      lf.unproven = true;
      out.matched[{fi, w.mailbox, w.uid}] = std::move(lf);
      ++out.stats.found;
      taken.insert(best);
    }
    for (auto& [j, u] : strangers)
      if (!taken.count(j)) out.unmatched.push_back(std::move(u));
    // What no inode holds may still lie in the free blocks.
    std::vector<CarveWanted> rest;
    for (const auto& [g, w] : guids)
      if (!out.found.count({fi, g})) rest.push_back(w);
    if (!how.carve || rest.empty()) continue;
    Findings problems;
    for (auto& c : carve(f, rest, how.reading, out.stats.carve, problems))
      out.found[{fi, c.guid}] = LostFile{0, c.size, std::move(c.runs), true, std::move(c.where)};
    for (const auto& p : problems.items()) f.add_open_finding(p);
  }
  return out;
}

}  // namespace ss::salvage
