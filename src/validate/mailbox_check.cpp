#include "validate/mailbox_check.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "spool/index_file.hpp"
#include "validate/header_check.hpp"

namespace ss::validate {
namespace {

using spool::index::RecordField;
namespace ix = spool::index;

constexpr std::uint64_t kMetaLimit = 1ull << 31;  // cyrus.index/cache read whole up to 2 GiB
constexpr std::uint64_t kChunk = 1u << 20;

std::string join_path(const std::string& dir, std::string_view name) {
  return dir.empty() ? std::string(name) : dir + "/" + std::string(name);
}

// Reads a file of the mailbox dir whole; nullopt when absent.
std::optional<std::vector<std::byte>> read_meta(fs::Filesystem& fs, const std::string& dir,
                                                std::string_view name, Findings& out) {
  auto id = fs.lookup(join_path(dir, name));
  if (!id) return std::nullopt;
  auto bytes = fs.read_all(*id, kMetaLimit);
  if (!bytes) {
    Finding f = bytes.problem();
    f.place = join_path(dir, name);
    out.add(std::move(f));
    return std::nullopt;
  }
  return std::move(bytes).value();
}

Result<Sha1> hash_file(fs::Filesystem& fs, fs::NodeId id, std::uint64_t size,
                       std::uint64_t& hashed, MessageSink* sink) {
  Sha1Hasher h;
  for (std::uint64_t off = 0; off < size; off += kChunk) {
    auto chunk = fs.read(id, off, std::min(kChunk, size - off));
    if (!chunk) {
      if (sink) sink->end(false);
      return chunk.problem();
    }
    h.update(ByteView(*chunk));
    if (sink) sink->chunk(ByteView(*chunk));
    hashed += chunk->size();
    if (chunk->size() < std::min(kChunk, size - off)) {
      if (sink) sink->end(false);
      return Finding{Code::fs_file_unreadable, fmt::format("inode {}", id),
                     fmt::format("file ends at {} of {} bytes", off + chunk->size(), size)};
    }
  }
  if (sink) sink->end(true);
  return h.finish();
}

}  // namespace

std::string_view to_string(MessageState s) {
  switch (s) {
    case MessageState::verified: return "verified";
    case MessageState::corrected: return "corrected";
    case MessageState::unverified: return "unverified";
    case MessageState::missing: return "missing";
    case MessageState::unlinked: return "unlinked";
    case MessageState::no_record: return "no-record";
  }
  return "unverified";
}

MailboxCheck check_mailbox(fs::Filesystem& fs, const spool::Mailbox& m, const CheckOptions& opt) {
  MailboxCheck out;
  const std::string where = fmt::format("{} ({})", m.display_name, m.dir.empty() ? "." : m.dir);

  IndexContext ctx;
  ctx.place = fmt::format("{} cyrus.index", where);
  auto header_bytes = read_meta(fs, m.dir, "cyrus.header", out.findings);
  auto cache_bytes = read_meta(fs, m.dir, "cyrus.cache", out.findings);
  auto index_bytes = read_meta(fs, m.dir, "cyrus.index", out.findings);

  // cyrus.header first: its CRC lives in the index header (when that header
  // is intact), and the user flag names it gives are what record checks use.
  if (header_bytes) {
    std::optional<std::uint32_t> expected;
    if (index_bytes) {
      auto ih = ix::decode_header(ByteView(*index_bytes));
      if (ih && ih->has_crc && ih->crc_ok())
        if (auto v = ih->values.get(ix::HeaderField::header_file_crc))
          expected = static_cast<std::uint32_t>(*v);
    }
    auto hc = check_header_file(ByteView(*header_bytes), expected,
                                fmt::format("{} cyrus.header", where));
    out.findings.append(hc.findings);
    if (hc.header) {
      std::bitset<128> named;
      for (std::size_t i = 0; i < hc.header->user_flags.size() && i < 128; ++i)
        if (hc.header->user_flags[i]) named.set(i);
      ctx.named_flags = named;
      out.header = std::move(hc.header);
    }
  }
  if (cache_bytes) ctx.cache = ByteView(*cache_bytes);
  if (index_bytes)
    if (auto id = fs.lookup(join_path(m.dir, "cyrus.index")))
      if (auto runs = fs.file_runs(*id)) ctx.runs = std::move(runs).value();
  if (!index_bytes) {
    out.findings.add(Code::spool_index_missing, ctx.place, {});
  } else {
    out.index = check_index(ByteView(*index_bytes), ctx);
    out.findings.append(out.index.findings);
    // Cyrus creates cyrus.cache with the first message; an empty mailbox may lack it.
    if (!cache_bytes && out.index.contents && !out.index.contents->records.empty())
      out.findings.add(Code::cache_missing, where, {});
  }
  // 2.3 delayed expunge: expunged records live in cyrus.expunge, in the same
  // format as that version's index, in no uid order.
  if (auto expunge_bytes = read_meta(fs, m.dir, "cyrus.expunge", out.findings)) {
    IndexContext ectx = ctx;
    ectx.place = fmt::format("{} cyrus.expunge", where);
    ectx.runs.clear();
    if (auto id = fs.lookup(join_path(m.dir, "cyrus.expunge")))
      if (auto runs = fs.file_runs(*id)) ectx.runs = std::move(runs).value();
    ectx.unsorted = true;
    auto ex = check_index(ByteView(*expunge_bytes), ectx);
    out.findings.append(ex.findings);
    for (auto& v : ex.records) {
      v.from_expunge = true;
      out.index.records.push_back(std::move(v));
    }
  }

  // Message files in the directory.
  Findings list_findings;
  std::map<std::uint32_t, spool::MessageFile> files;
  if (auto listed = spool::list_message_files(fs, m, list_findings))
    for (const auto& f : *listed) files.emplace(f.uid, f);
  out.findings.append(list_findings);

  bool not_wanted = false;
  auto sha_of = [&](const spool::MessageFile& f,
                    const ix::Record* rec) -> std::optional<Sha1> {
    not_wanted = false;
    if (!opt.hash_messages) return std::nullopt;
    if (opt.sink) {
      not_wanted = !opt.sink->wanted(f.uid, rec);
      if (not_wanted) return std::nullopt;
      opt.sink->begin(f.uid);
    }
    auto s = hash_file(fs, f.id, f.size, out.bytes_hashed, opt.sink);
    if (!s) {
      out.findings.add(Code::message_unreadable, fmt::format("{} uid {}", where, f.uid),
                       s.problem().describe());
      return std::nullopt;
    }
    return *s;
  };

  const bool have_guids = out.index.contents && out.index.contents->header.minor >= 10;
  std::map<std::uint32_t, bool> seen_uid;
  for (std::size_t ri = 0; ri < out.index.records.size(); ++ri) {
    auto& v = out.index.records[ri];
    MessageVerdict mv;
    const ix::Record* rec = &v.record;
    mv.uid = rec->uid();
    mv.recno = rec->recno;
    mv.record = ri;
    mv.from_expunge = v.from_expunge;
    auto flags = static_cast<std::uint32_t>(rec->values.get_or(RecordField::system_flags, 0));
    mv.expunged = (flags & ix::kFlagExpunged) != 0 || v.from_expunge;
    std::string place = fmt::format("{} uid {} (record {})", where, mv.uid, rec->recno);
    auto it = files.find(mv.uid);
    if (v.integrity == Integrity::damaged && it == files.end()) {
      // A damaged record whose uid names no file: the uid itself is suspect.
      mv.state = MessageState::unverified;
      mv.reason = "record damaged; no file for its uid";
      mv.reason_code = Code::record_unproven;
      out.messages.push_back(mv);
      continue;
    }
    if (it == files.end()) {
      if (flags & ix::kFlagUnlinked) {
        mv.state = MessageState::unlinked;
        mv.reason_code = Code::message_unlinked;
        out.findings.add(Code::message_unlinked, place, {});
      } else {
        mv.state = MessageState::missing;
        mv.reason = "message file missing";
        mv.reason_code = Code::message_missing;
        out.findings.add(Code::message_missing, place,
                         mv.expunged ? "record is expunged but not unlinked" : "");
      }
      out.messages.push_back(mv);
      continue;
    }
    const auto& file = it->second;
    seen_uid[mv.uid] = true;
    mv.has_file = true;
    mv.file_size = file.size;
    mv.inode = file.inode;
    mv.node = file.id;
    mv.mtime = file.mtime;
    mv.sha1 = sha_of(file, rec);

    // A record that needed correction (or has several candidates) is settled
    // by the file: the candidate whose GUID is the file's SHA-1 wins.
    if (!v.candidates.empty() && mv.sha1 && have_guids) {
      std::vector<const ix::Record*> proven;
      for (const auto& c : v.candidates)
        if (c.guid == *mv.sha1) proven.push_back(&c);
      if (proven.size() == 1) {
        v.record = *proven[0];
        v.integrity = Integrity::corrected;
        rec = &v.record;
        out.findings.add(Code::record_corrected, place,
                         fmt::format("proven: SHA-1 of the file equals the corrected GUID {}",
                                     to_hex(rec->guid)));
      } else {
        v.integrity = Integrity::damaged;
        out.findings.add(Code::record_unproven, place,
                         proven.empty()
                             ? std::string("no CRC-consistent correction has the file's SHA-1 as GUID")
                             : fmt::format("{} corrections match the file", proven.size()));
      }
    }

    auto rsize = rec->values.get_or(RecordField::size, 0);
    if (v.integrity != Integrity::damaged && rsize != file.size)
      out.findings.add(Code::message_size, place,
                       fmt::format("record says {}, file has {}", rsize, file.size));
    if (v.integrity == Integrity::damaged) {
      mv.state = MessageState::unverified;
      mv.reason = "index record damaged beyond proof";
      mv.reason_code = Code::record_unproven;
    } else if (!have_guids || rec->guid_is_zero()) {
      mv.state = MessageState::unverified;
      mv.reason = have_guids ? "record has no GUID" : "index version has no GUID";
      mv.reason_code = have_guids ? Code::record_no_guid : Code::index_no_guid;
    } else if (!mv.sha1) {
      mv.state = MessageState::unverified;
      mv.reason = not_wanted ? "not read (not selected)"
                  : opt.hash_messages ? "file unreadable" : "not hashed";
      mv.reason_code = not_wanted ? Code::select_not_read
                       : opt.hash_messages ? Code::message_unreadable : Code::check_not_hashed;
    } else if (*mv.sha1 != rec->guid) {
      mv.state = MessageState::unverified;
      mv.reason = "SHA-1 differs from GUID";
      mv.reason_code = Code::message_guid_mismatch;
      out.findings.add(Code::message_guid_mismatch, place,
                       fmt::format("GUID {}, SHA-1 {}", to_hex(rec->guid), to_hex(*mv.sha1)));
    } else {
      mv.state = v.integrity == Integrity::corrected ? MessageState::corrected
                                                     : MessageState::verified;
    }
    out.messages.push_back(mv);
  }
  for (const auto& [uid, f] : files) {
    if (seen_uid.count(uid)) continue;
    MessageVerdict mv;
    mv.uid = uid;
    mv.has_file = true;
    mv.file_size = f.size;
    mv.inode = f.inode;
    mv.node = f.id;
    mv.mtime = f.mtime;
    mv.sha1 = sha_of(f, nullptr);
    mv.state = MessageState::no_record;
    mv.reason = "no index record claims this file";
    mv.reason_code = Code::message_no_record;
    out.findings.add(Code::message_no_record, fmt::format("{} file {}.", where, uid), {});
    out.messages.push_back(mv);
  }
  std::stable_sort(out.messages.begin(), out.messages.end(),
                   [](const auto& a, const auto& b) { return a.uid < b.uid; });
  return out;
}

}  // namespace ss::validate
