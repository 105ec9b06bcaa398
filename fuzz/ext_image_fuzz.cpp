// A whole filesystem image: libext2fs opening hostile metadata through our
// io_manager (fs/ext_fs.cpp), then what a `check` run does on it — spool
// discovery (imapd.conf, mailboxes.db, the walk), every mailbox's header,
// index, cache and directory listing, and its message files read by their
// block runs and hashed (fs/bulk_read.cpp) — plus a bounded walk of the whole
// tree through stat/list/file_runs/read, and the search for lost mail (the
// inode-table scan, lost+found, the block bitmap and the carving pass over
// the free blocks; salvage/lost_files.hpp, lost_mailboxes.hpp). libext2fs is a system library, so
// its own code is not instrumented: crashes and hangs in it are caught, its
// over-reads only where they go through libc or our buffers.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "evidence/source.hpp"
#include "fs/filesystem.hpp"
#include "salvage/lost_files.hpp"
#include "salvage/lost_mailboxes.hpp"
#include "spool/discovery.hpp"
#include "validate/mailbox_check.hpp"

namespace {

constexpr std::size_t kMaxNodes = 4096;     // walk budget per input
constexpr std::size_t kMaxMailboxes = 64;

void walk(ss::fs::Filesystem& fs) {
  std::vector<ss::fs::NodeId> todo{fs.root()};
  std::size_t seen = 0;
  while (!todo.empty() && seen < kMaxNodes) {
    const ss::fs::NodeId id = todo.back();
    todo.pop_back();
    ++seen;
    auto st = fs.stat(id);
    if (!st.ok()) continue;
    if (st->kind == ss::fs::NodeKind::directory) {
      auto entries = fs.list(id);
      if (!entries.ok()) continue;
      for (const auto& e : *entries)
        if (todo.size() < kMaxNodes) todo.push_back(e.id);
    } else if (st->kind == ss::fs::NodeKind::file) {
      (void)fs.file_runs(id);
      (void)fs.read(id, 0, 4096);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto* b = reinterpret_cast<const std::byte*>(data);  // NOLINT
  auto source = ss::evidence::open_memory("fuzz.img", std::vector<std::byte>(b, b + size));
  auto opened = ss::fs::open_ext(source);
  if (!opened.ok()) return 0;
  ss::fs::Filesystem& fs = **opened;
  (void)fs.info();

  const auto disc = ss::spool::discover({&fs});
  ss::validate::CheckOptions opt;
  opt.reading.threads = 1;
  std::size_t n = 0;
  for (const auto& m : disc.mailboxes) {
    if (++n > kMaxMailboxes) break;
    (void)ss::validate::check_mailbox(fs, m, opt);
  }
  walk(fs);
  (void)ss::salvage::find_lost_mailbox_files({&fs}, disc);
  ss::salvage::LostSearch how;
  how.reading.threads = 1;
  (void)ss::salvage::find_lost_files({&fs}, disc, [](const ss::spool::Mailbox&) { return true; }, how);
  (void)fs.free_space();
  return 0;
}
