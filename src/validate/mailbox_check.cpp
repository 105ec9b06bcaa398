#include "validate/mailbox_check.hpp"

#include <fmt/format.h>
#include <exception>
#include <thread>

#include <algorithm>
#include <map>
#include <memory>

#include "spool/index_file.hpp"
#include "validate/header_check.hpp"

namespace ss::validate {
namespace {

using spool::index::RecordField;
namespace ix = spool::index;

constexpr std::uint64_t kMetaLimit = 1ull << 31;  // cyrus.index/cache read whole up to 2 GiB

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

// The message file's facts, for a verdict whose bytes are still to be read.
void take_file(MessageVerdict& mv, const spool::MessageFile& f) {
  mv.has_file = true;
  mv.file_size = f.size;
  mv.inode = f.inode;
  mv.node = f.id;
  mv.mtime = f.mtime;
}

// SHA-1 of each job's bytes, each job on whichever thread reads it.
class HashConsumer final : public fs::ReadConsumer {
 public:
  explicit HashConsumer(std::size_t n) : hashers_(n), results_(n), problems_(n) {}
  void begin(std::size_t job) override { hashers_[job] = std::make_unique<Sha1Hasher>(); }
  void chunk(std::size_t job, ByteView bytes) override { hashers_[job]->update(bytes); }
  void end(std::size_t job, const Finding* problem) override {
    if (problem)
      problems_[job] = problem->describe();
    else
      results_[job] = hashers_[job]->finish();
    hashers_[job].reset();
  }
  std::vector<std::unique_ptr<Sha1Hasher>> hashers_;
  std::vector<std::optional<Sha1>> results_;
  std::vector<std::string> problems_;
};

}  // namespace

std::string_view to_string(MessageState s) {
  switch (s) {
    case MessageState::verified: return "verified";
    case MessageState::corrected: return "corrected";
    case MessageState::unverified: return "unverified";
    case MessageState::missing: return "missing";
    case MessageState::unlinked: return "unlinked";
    case MessageState::no_record: return "no-record";
    case MessageState::unread: return "unread";
  }
  return "unverified";
}

MailboxCheck check_mailbox_meta(fs::Filesystem& fs, const spool::Mailbox& m) {
  MailboxCheck out;
  out.where = fmt::format("{} ({})", m.display_name, m.dir.empty() ? "." : m.dir);
  const std::string& where = out.where;

  IndexContext ctx;
  ctx.place = fmt::format("{} cyrus.index", where);
  auto header_bytes = read_meta(fs, m.dir, "cyrus.header", out.findings);
  auto cache_bytes = read_meta(fs, m.dir, "cyrus.cache", out.findings);
  auto index_bytes = read_meta(fs, m.dir, "cyrus.index", out.findings);

  // Message files in the directory (their sizes also help to read an index
  // whose header is destroyed).
  Findings list_findings;
  std::map<std::uint32_t, spool::MessageFile> files;
  if (auto listed = spool::list_message_files(fs, m, list_findings))
    for (const auto& f : *listed) files.emplace(f.uid, f);
  for (const auto& [uid, f] : files) ctx.file_sizes.emplace(uid, f.size);

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
  out.findings.append(list_findings);

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
      mv.settled = true;
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
      mv.settled = true;
      out.messages.push_back(mv);
      continue;
    }
    seen_uid[mv.uid] = true;
    take_file(mv, it->second);
    out.messages.push_back(mv);
  }
  for (const auto& [uid, f] : files) {
    if (seen_uid.count(uid)) continue;
    MessageVerdict mv;
    mv.uid = uid;
    take_file(mv, f);
    out.messages.push_back(mv);
  }
  std::stable_sort(out.messages.begin(), out.messages.end(),
                   [](const auto& a, const auto& b) { return a.uid < b.uid; });
  return out;
}

void settle_messages(MailboxCheck& out) {
  const std::string& where = out.where;
  const bool have_guids = out.index.contents && out.index.contents->header.minor >= 10;
  for (auto& mv : out.messages) {
    if (mv.settled) continue;
    mv.settled = true;
    if (mv.read == ReadState::failed) {
      // Bytes that could not be read are not data: nothing is proven, and the
      // file is not taken as lacking a record either.
      out.findings.add(Code::message_unreadable, fmt::format("{} uid {}", where, mv.uid),
                       mv.read_problem);
      mv.state = MessageState::unread;
      mv.reason = "some of its bytes could not be read: " + mv.read_problem;
      mv.reason_code = Code::message_unreadable;
      continue;
    }
    if (!mv.record) {
      mv.state = MessageState::no_record;
      mv.reason = "no index record claims this file";
      mv.reason_code = Code::message_no_record;
      out.findings.add(Code::message_no_record, fmt::format("{} file {}.", where, mv.uid), {});
      continue;
    }
    auto& v = out.index.records[*mv.record];
    const ix::Record* rec = &v.record;
    std::string place = fmt::format("{} uid {} (record {})", where, mv.uid, rec->recno);

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
    if (v.integrity != Integrity::damaged && rsize != mv.file_size)
      out.findings.add(Code::message_size, place,
                       fmt::format("record says {}, file has {}", rsize, mv.file_size));
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
      switch (mv.read) {
        case ReadState::not_wanted:
          mv.reason = "not read (not selected)";
          mv.reason_code = Code::select_not_read;
          break;
        case ReadState::failed:
          mv.reason = "file unreadable";
          mv.reason_code = Code::message_unreadable;
          break;
        default:
          mv.reason = "not hashed";
          mv.reason_code = Code::check_not_hashed;
      }
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
  }
}

namespace {

// One mailbox of check_mailboxes: its metadata checked, its message files'
// bytes being read (far: straight from the evidence, on a thread of its own;
// near: through the Filesystem, on the caller's).
struct InFlight {
  const spool::Mailbox* mailbox = nullptr;
  MailboxCheck check;
  std::vector<fs::ReadJob> far, near;
  std::vector<std::size_t> far_msg, near_msg;  // job -> message
  std::unique_ptr<HashConsumer> far_hc, near_hc;
  fs::BulkReadStats far_stats;
  std::exception_ptr far_error;
  std::thread reader;
  ~InFlight() {
    if (reader.joinable()) reader.join();
  }
};

void take_hashes(MailboxCheck& out, const std::vector<std::size_t>& msg, const HashConsumer& hc) {
  for (std::size_t j = 0; j < msg.size(); ++j) {
    auto& mv = out.messages[msg[j]];
    if (hc.results_[j]) {
      mv.read = ReadState::hashed;
      mv.sha1 = hc.results_[j];
      out.bytes_hashed += mv.file_size;
    } else {
      mv.read = ReadState::failed;
      mv.read_problem = hc.problems_[j];
    }
  }
}

}  // namespace

void check_mailboxes(const std::vector<fs::Filesystem*>& fss,
                     const std::vector<const spool::Mailbox*>& mailboxes, const CheckOptions& opt,
                     const std::function<void(const spool::Mailbox&, MailboxCheck&&)>& done) {
  auto finish = [&](InFlight& f) {
    if (f.reader.joinable()) f.reader.join();
    if (f.far_error) std::rethrow_exception(f.far_error);
    if (f.far_hc) take_hashes(f.check, f.far_msg, *f.far_hc);
    if (f.near_hc) take_hashes(f.check, f.near_msg, *f.near_hc);
    f.check.reads += f.far_stats;
    settle_messages(f.check);
    done(*f.mailbox, std::move(f.check));
  };
  std::unique_ptr<InFlight> prev;
  for (const spool::Mailbox* m : mailboxes) {
    fs::Filesystem& fs = *fss[m->fs_index];
    auto cur = std::make_unique<InFlight>();
    cur->mailbox = m;
    cur->check = check_mailbox_meta(fs, *m);
    if (opt.hash_messages) {
      for (std::size_t i = 0; i < cur->check.messages.size(); ++i) {
        const auto& mv = cur->check.messages[i];
        if (!mv.has_file) continue;
        fs::ReadJob j{mv.node, mv.file_size, {}};
        if (auto runs = fs.file_runs(mv.node)) j.runs = std::move(runs).value();
        const bool near = fs::reads_through_fs(fs, j);
        (near ? cur->near : cur->far).push_back(std::move(j));
        (near ? cur->near_msg : cur->far_msg).push_back(i);
      }
      if (!cur->near.empty()) {  // libext2fs: on this thread
        cur->near_hc = std::make_unique<HashConsumer>(cur->near.size());
        cur->check.reads += fs::read_files(fs, cur->near, *cur->near_hc, opt.reading);
      }
    }
    if (prev) finish(*prev);
    if (!cur->far.empty()) {
      cur->far_hc = std::make_unique<HashConsumer>(cur->far.size());
      InFlight* f = cur.get();
      f->reader = std::thread([f, &fs, &opt] {
        try {
          f->far_stats = fs::read_files(fs, f->far, *f->far_hc, opt.reading);
        } catch (...) {
          f->far_error = std::current_exception();
        }
      });
    }
    prev = std::move(cur);
  }
  if (prev) finish(*prev);
}

MailboxCheck check_mailbox(fs::Filesystem& fs, const spool::Mailbox& m, const CheckOptions& opt) {
  MailboxCheck out = check_mailbox_meta(fs, m);
  if (opt.hash_messages) {
    std::vector<fs::ReadJob> jobs;
    std::vector<std::size_t> which;  // job -> message
    for (std::size_t i = 0; i < out.messages.size(); ++i) {
      const auto& mv = out.messages[i];
      if (!mv.has_file) continue;
      fs::ReadJob j{mv.node, mv.file_size, {}};
      if (auto runs = fs.file_runs(mv.node)) j.runs = std::move(runs).value();
      jobs.push_back(std::move(j));
      which.push_back(i);
    }
    HashConsumer hc(jobs.size());
    out.reads = fs::read_files(fs, jobs, hc, opt.reading);
    take_hashes(out, which, hc);
  }
  settle_messages(out);
  return out;
}

}  // namespace ss::validate
