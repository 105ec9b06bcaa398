#include "spool/mailbox_dir.hpp"

#include <fmt/format.h>

#include "spool/header.hpp"
#include "spool/index_peek.hpp"
#include "spool/names.hpp"
#include "spool/spool_walk.hpp"

namespace ss::spool {
namespace {

constexpr std::uint64_t kHeaderReadLimit = 4u << 20;  // cyrus.header is a few hundred bytes

const fs::Entry* find_entry(const std::vector<fs::Entry>& entries, std::string_view name) {
  for (const auto& e : entries)
    if (e.name == name) return &e;
  return nullptr;
}

std::string place_of(const MailboxContext& ctx, std::size_t fs_index, std::string_view path,
                     std::string_view file) {
  std::string src;
  if (ctx.filesystems && fs_index < ctx.filesystems->size() && (*ctx.filesystems)[fs_index])
    src = (*ctx.filesystems)[fs_index]->info().source;
  if (src.empty()) src = fmt::format("fs{}", fs_index);
  return fmt::format("{}:{}", src, join_path(path, file));
}

}  // namespace

std::optional<std::uint32_t> message_file_uid(std::string_view name) {
  if (name.size() < 2 || name.back() != '.' || name.size() > 11) return std::nullopt;
  std::uint64_t v = 0;
  for (char c : name.substr(0, name.size() - 1)) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  if (v > 0xFFFFFFFFull) return std::nullopt;
  return static_cast<std::uint32_t>(v);
}

Mailbox read_mailbox_dir(const MailboxContext& ctx, const DirRef& data, const DirRef* meta,
                         std::string_view rel, std::string_view partition) {
  Mailbox m;
  const DirRef& md = meta ? *meta : data;
  m.fs_index = data.fs_index;
  m.dir = data.path;
  if (meta) {
    m.meta_fs_index = meta->fs_index;
    m.meta_dir = meta->path;
  }
  m.partition = std::string(partition);
  for (const auto& e : data.entries)
    if (e.kind != fs::NodeKind::directory && message_file_uid(e.name)) ++m.message_files;

  fs::Filesystem* mfs = (*ctx.filesystems)[md.fs_index];
  const fs::Entry* hdr_e = find_entry(md.entries, "cyrus.header");
  const fs::Entry* idx_e = find_entry(md.entries, "cyrus.index");
  m.has_header = hdr_e != nullptr;
  m.has_index = idx_e != nullptr;
  m.has_cache = find_entry(md.entries, "cyrus.cache") != nullptr;

  // cyrus.header
  std::optional<MailboxHeader> header;
  std::string hdr_place = place_of(ctx, md.fs_index, md.path, "cyrus.header");
  if (!hdr_e) {
    m.findings.add(Code::spool_header_missing, md.path);
  } else if (auto bytes = mfs->read_all(hdr_e->id, kHeaderReadLimit); !bytes) {
    m.findings.add(bytes.problem());
  } else if (auto h = parse_header(ByteView(*bytes), hdr_place); !h) {
    m.findings.add(h.problem());
  } else {
    m.findings.append(h->findings);
    header = std::move(h).value();
  }

  // cyrus.index: the first 24 bytes and the size.
  std::string idx_place = place_of(ctx, md.fs_index, md.path, "cyrus.index");
  if (!idx_e) {
    m.findings.add(Code::spool_index_missing, md.path);
  } else if (auto node = mfs->stat(idx_e->id); !node) {
    m.findings.add(node.problem());
  } else if (auto head = mfs->read(idx_e->id, 0, kIndexPeekBytes); !head) {
    m.findings.add(head.problem());
  } else {
    auto peek = peek_index(ByteView(*head), node->size, idx_place, m.findings);
    m.index_version = peek.minor_version;
    if (peek.num_records) m.records = *peek.num_records;
  }

  // Layout and the name the path gives.
  auto guess = infer_layout(rel, ctx.hints);
  m.layout = guess.layout;

  std::string hdr_name = header ? header->name : std::string();
  std::string hdr_id = header ? header->uniqueid : std::string();
  const MboxDbEntry* db_e = nullptr;
  if (ctx.db) {
    if (!hdr_id.empty()) db_e = ctx.db->find_by_uniqueid(hdr_id);
    if (!db_e && !guess.uniqueid.empty()) db_e = ctx.db->find_by_uniqueid(guess.uniqueid);
    if (!db_e && !hdr_name.empty()) db_e = ctx.db->find_by_name(hdr_name);
    if (!db_e && !guess.name.empty()) db_e = ctx.db->find_by_name(guess.name);
  }
  auto conflict = [&](std::string detail) {
    m.findings.add(Code::spool_name_conflict, md.path, std::move(detail));
  };

  // The name: header N (3.6+), mailboxes.db, path — by majority when they
  // disagree, the header winning a tie. Real Cyrus 3.6.1 leaves N unchanged
  // when a legacy-layout mailbox is renamed by copying (delayed delete to
  // DELETED.*), so path + mailboxes.db agreeing against the header is the
  // normal state there and is not reported.
  //
  // Except: a deleted name outranks a live one. A legacy directory lies under
  // DELETED/ only because Cyrus moved it there when the mailbox was deleted,
  // so when the path gives a DELETED.* name and neither the header nor
  // mailboxes.db confirms another deleted name, the path is used: without
  // mailboxes.db the header's stale live N would file the mail of a mailbox
  // the user deleted as live (and an admin would reinject it there). The uuid
  // layout's path gives no name; there a DELETED.* name from mailboxes.db
  // (found by uniqueid) outranks a live header N the same way.
  const std::string& dp = ctx.deleted_prefix;
  auto deleted_name = [&](std::string_view n) { return is_deleted_name(n, dp); };
  std::string db_name = db_e ? db_e->name : std::string();
  bool path_db_agree = !guess.name.empty() && guess.name == db_name;
  std::optional<std::string> path_original =
      deleted_name(guess.name) ? original_name(guess.name, dp) : std::nullopt;
  if (deleted_name(guess.name) && !deleted_name(hdr_name) && !path_db_agree) {
    m.name = guess.name;
    m.name_source = NameSource::path;
    // The header keeping the name before deletion is Cyrus's normal state.
    if (!hdr_name.empty() && hdr_name != path_original)
      conflict(fmt::format("path gives '{}', cyrus.header N '{}'; the path (deleted) is used",
                           guess.name, hdr_name));
    if (!db_name.empty())
      conflict(fmt::format("path gives '{}', mailboxes.db '{}'; the path (deleted) is used",
                           guess.name, db_name));
  } else if (guess.name.empty() && deleted_name(db_name) && !hdr_name.empty() &&
             !deleted_name(hdr_name)) {
    m.name = db_name;
    m.name_source = NameSource::mailboxes_db;
    conflict(fmt::format("cyrus.header N '{}', mailboxes.db '{}'; mailboxes.db (deleted) is used",
                         hdr_name, db_name));
  } else if (!hdr_name.empty() && !(path_db_agree && hdr_name != db_name)) {
    m.name = hdr_name;
    m.name_source = NameSource::header;
    if (!db_name.empty() && db_name != hdr_name)
      conflict(fmt::format("cyrus.header N '{}', mailboxes.db '{}'; the header is used", hdr_name,
                           db_name));
    if (!guess.name.empty() && guess.name != hdr_name)
      conflict(fmt::format("path gives '{}', cyrus.header N '{}'; the header is used", guess.name,
                           hdr_name));
  } else if (db_e) {
    m.name = db_name;
    m.name_source = NameSource::mailboxes_db;
    if (!guess.name.empty() && guess.name != db_name)
      conflict(fmt::format("path gives '{}', mailboxes.db '{}'; mailboxes.db is used", guess.name,
                           db_name));
  } else if (!guess.name.empty()) {
    m.name = guess.name;
    m.name_source = NameSource::path;
  } else {
    m.findings.add(Code::spool_name_unknown, md.path);
  }

  // uniqueid: header, else mailboxes.db, else the uuid path.
  m.uniqueid = !hdr_id.empty() ? hdr_id : db_e ? db_e->uniqueid : guess.uniqueid;
  if (m.uniqueid.empty()) m.uniqueid = guess.uniqueid;
  if (!guess.uniqueid.empty() && !m.uniqueid.empty() && guess.uniqueid != m.uniqueid)
    conflict(fmt::format("uuid directory '{}', uniqueid '{}'", guess.uniqueid, m.uniqueid));
  if (db_e && !db_e->uniqueid.empty() && !hdr_id.empty() && db_e->uniqueid != hdr_id)
    conflict(fmt::format("cyrus.header uniqueid '{}', mailboxes.db '{}'", hdr_id, db_e->uniqueid));

  m.type = header && !header->type.empty() ? header->type : db_e ? db_e->type : std::string();
  if (m.partition.empty() && db_e) m.partition = db_e->partition;

  bool deleted = deleted_name(m.name) || m.type.find('d') != std::string::npos;
  m.state = deleted ? MailboxState::deleted : MailboxState::live;
  if (auto orig = original_name(m.name, dp)) {
    m.original_name = *orig;
  } else if (deleted_name(m.name) && m.name != hdr_name && !hdr_name.empty() &&
             !deleted_name(hdr_name)) {
    m.original_name = hdr_name;  // a deleted name without its hex tail: the header's live N
  }
  m.display_name = m.name.empty() ? std::string() : display_name(m.name);
  return m;
}

}  // namespace ss::spool
