// Spool discovery (contract in discovery.hpp). Order of work:
//  1. find and read imapd.conf; map configdirectory, partition-* and
//     metapartition-* onto the evidence;
//  2. walk each mapped partition root for mailbox directories; walk every
//     filesystem (skipping mapped roots) when there is no config or a
//     partition is missing, and infer the partition roots from the paths;
//  3. read mailboxes.db (configdirectory, usual paths, or found by the walk);
//  4. build one Mailbox per directory (mailbox_dir.cpp) and sort by name.
#include "spool/discovery.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <map>
#include <set>

#include "spool/imapd_conf.hpp"
#include "spool/layout.hpp"
#include "spool/mailbox_dir.hpp"
#include "spool/mailboxes_db.hpp"
#include "spool/spool_walk.hpp"

namespace ss::spool {

std::string_view to_string(MailboxState s) {
  return s == MailboxState::deleted ? "deleted" : "live";
}
std::string_view to_string(NameSource s) {
  switch (s) {
    case NameSource::header:
      return "header";
    case NameSource::mailboxes_db:
      return "mailboxes_db";
    case NameSource::path:
      return "path";
  }
  return "path";
}
std::string_view to_string(RootSource s) {
  return s == RootSource::imapd_conf ? "imapd_conf" : "walk";
}

namespace {

constexpr std::array<std::string_view, 3> kConfigPaths = {"etc/imapd.conf", "imapd.conf",
                                                          "etc/cyrus/imapd.conf"};
constexpr std::array<std::string_view, 4> kDbPaths = {"var/lib/cyrus/mailboxes.db",
                                                      "var/lib/imap/mailboxes.db",
                                                      "var/imap/mailboxes.db", "mailboxes.db"};
constexpr std::uint64_t kConfigLimit = 4u << 20;
constexpr std::uint64_t kDbLimit = 1ull << 30;

bool has_name(const std::vector<fs::Entry>& entries, std::string_view name) {
  return std::any_of(entries.begin(), entries.end(),
                     [&](const fs::Entry& e) { return e.name == name; });
}
bool has_cyrus_files(const std::vector<fs::Entry>& entries) {
  return has_name(entries, "cyrus.header") || has_name(entries, "cyrus.index") ||
         has_name(entries, "cyrus.cache");
}
bool has_message_files(const std::vector<fs::Entry>& entries) {
  return std::any_of(entries.begin(), entries.end(), [](const fs::Entry& e) {
    return e.kind != fs::NodeKind::directory && message_file_uid(e.name).has_value();
  });
}

std::string source_name(fs::Filesystem* f, std::size_t i) {
  std::string s = f ? f->info().source : std::string();
  return s.empty() ? fmt::format("fs{}", i) : s;
}

std::string rel_to(std::string_view root, std::string_view path) {
  if (root.empty()) return std::string(path);
  if (path.size() <= root.size()) return {};
  return std::string(path.substr(root.size() + 1));
}

bool is_prefix_dir(std::string_view root, std::string_view path) {
  if (root.empty()) return true;
  return path.size() > root.size() && path.starts_with(root) && path[root.size()] == '/';
}

// Walk mode: the partition root a mailbox path implies, from the first
// layout marker (uuid/a/b/<id>, domain/, user/, DELETED/, with a hash letter
// in front when it matches).
std::optional<std::string> marker_root(const std::vector<std::string>& c,
                                       std::string_view deleted_prefix) {
  auto prefix = [&](std::size_t n) {
    std::string p;
    for (std::size_t i = 0; i < n; ++i) p = join_path(p, c[i]);
    return p;
  };
  for (std::size_t i = 0; i < c.size(); ++i) {
    if (c[i] == "uuid" && c.size() == i + 4 && c[i + 1].size() == 1 && c[i + 2].size() == 1 &&
        c[i + 3].size() >= 2 && c[i + 3][0] == c[i + 1][0] && c[i + 3][1] == c[i + 2][0])
      return prefix(i);
    if (c[i] == "domain" && c.size() >= i + 3) return prefix(i);
    if ((c[i] == "user" || c[i] == deleted_prefix) && c.size() >= i + 2) {
      const std::string& x = c[i + 1];
      bool hashed = i > 0 && c[i - 1].size() == 1 &&
                    (c[i - 1][0] == dir_hash_c(x, false) || c[i - 1][0] == dir_hash_c(x, true));
      return prefix(hashed ? i - 1 : i);
    }
  }
  return std::nullopt;
}

struct Hit {
  std::size_t fs_index;
  std::string path;
  fs::NodeId id;
  std::vector<fs::Entry> entries;
  bool strong;  // has cyrus.* files (else only message files)
};

struct Candidate {
  std::size_t root = 0;
  std::string rel;
  DirRef data;
  std::optional<DirRef> meta;
};

DirRef to_ref(const Hit& h) {
  return DirRef{h.fs_index, h.path, h.id, h.entries};
}

}  // namespace

SpoolDiscovery discover(const std::vector<fs::Filesystem*>& filesystems) {
  SpoolDiscovery d;
  ImapdConf conf;

  // 1. imapd.conf
  for (std::size_t i = 0; i < filesystems.size() && !d.config.found; ++i) {
    fs::Filesystem* f = filesystems[i];
    if (!f) continue;
    for (auto path : kConfigPaths) {
      auto id = f->lookup(path);
      if (!id) continue;
      auto place = fmt::format("{}:{}", source_name(f, i), path);
      auto bytes = f->read_all(*id, kConfigLimit);
      if (!bytes) {
        d.findings.add(Code::spool_config_unreadable, place, bytes.problem().describe());
        continue;
      }
      conf = parse_imapd_conf(ByteView(*bytes).chars());
      auto& c = d.config;
      c.found = true;
      c.fs_index = i;
      c.path = std::string(path);
      c.configdirectory = conf.configdirectory;
      c.partitions = conf.partitions;
      c.metapartitions = conf.metapartitions;
      c.options = conf.options;
      c.hashimapspool = conf.hashimapspool;
      c.fulldirhash = conf.fulldirhash;
      c.unixhierarchysep = conf.unixhierarchysep;
      c.virtdomains = conf.virtdomains;
      c.mailbox_legacy_dirs = conf.mailbox_legacy_dirs;
      c.deletedprefix = conf.deletedprefix;
      c.mailboxes_db_backend = conf.mboxlist_db_set ? conf.mboxlist_db : std::string();
      d.findings.add(Code::spool_config_found, place,
                     fmt::format("{} partition(s)", conf.partitions.size()));
      break;
    }
  }
  const std::string& dp = d.config.deletedprefix;

  // Mapping of server paths.
  std::map<std::string, DirRef> meta_roots;  // partition name → meta root
  std::vector<std::set<fs::NodeId>> root_ids(filesystems.size());
  bool partition_missing = false;
  if (d.config.found) {
    if (!conf.configdirectory.empty()) {
      auto m = map_server_path(filesystems, conf.configdirectory,
                               [](const auto& e) { return has_name(e, "mailboxes.db"); });
      if (m) d.config.configdirectory_in_evidence = m->path;
    }
    auto partition_ok = [&](const std::vector<fs::Entry>& e) {
      return looks_like_partition(e, dp);
    };
    std::set<std::pair<std::size_t, fs::NodeId>> taken;
    for (const auto& [name, path] : conf.partitions) {
      auto m = map_server_path(filesystems, path, partition_ok, taken);
      if (!m) {
        partition_missing = true;
        d.findings.add(Code::spool_partition_missing, fmt::format("partition-{}", name), path);
        continue;
      }
      d.roots.push_back({m->fs_index, m->path, name, path, RootSource::imapd_conf});
      root_ids[m->fs_index].insert(m->id);
      taken.insert({m->fs_index, m->id});
    }
    for (const auto& [name, path] : conf.metapartitions) {
      auto m = map_server_path(filesystems, path, partition_ok, taken);
      if (!m) {
        d.findings.add(Code::spool_partition_missing, fmt::format("metapartition-{}", name), path);
        continue;
      }
      root_ids[m->fs_index].insert(m->id);
      meta_roots[name] = DirRef{m->fs_index, m->path, m->id, {}};
    }
  }

  // 2. Mailbox directories under the configured roots.
  WalkState walk_state;
  std::vector<Candidate> cands;
  std::map<std::pair<std::size_t, std::string>, std::size_t> cand_by_rel;  // (root, rel)
  const std::size_t config_roots = d.roots.size();
  for (std::size_t r = 0; r < config_roots; ++r) {
    SpoolRoot root = d.roots[r];
    fs::Filesystem* f = filesystems[root.fs_index];
    auto rid = f->lookup(root.path);
    if (!rid) continue;
    walk_dirs(*f, *rid, root.path, {}, walk_state, d.findings,
              [&](const std::string& path, fs::NodeId id, const std::vector<fs::Entry>& entries) {
                if (path == root.path || !(has_cyrus_files(entries) || has_message_files(entries)))
                  return;
                std::string rel = rel_to(root.path, path);
                cand_by_rel[{r, rel}] = cands.size();
                cands.push_back({r, rel, DirRef{root.fs_index, path, id, entries}, std::nullopt});
              });
    auto meta = meta_roots.find(root.partition);
    if (meta == meta_roots.end()) continue;
    fs::Filesystem* mf = filesystems[meta->second.fs_index];
    const DirRef mroot = meta->second;
    walk_dirs(*mf, mroot.id, mroot.path, {}, walk_state, d.findings,
              [&](const std::string& path, fs::NodeId id, const std::vector<fs::Entry>& entries) {
                if (path == mroot.path || !has_cyrus_files(entries)) return;
                std::string rel = rel_to(mroot.path, path);
                DirRef ref{mroot.fs_index, path, id, entries};
                auto it = cand_by_rel.find({r, rel});
                if (it != cand_by_rel.end()) {
                  cands[it->second].meta = std::move(ref);
                } else {  // cyrus.* files without a data directory
                  cand_by_rel[{r, rel}] = cands.size();
                  cands.push_back({r, rel, DirRef{root.fs_index, join_path(root.path, rel), 0, {}},
                                   std::move(ref)});
                }
              });
  }

  // Walk mode.
  std::optional<std::pair<std::size_t, std::string>> walked_db;
  bool walk = !d.config.found || conf.partitions.empty() || partition_missing;
  if (walk) {
    std::vector<Hit> hits;
    for (std::size_t i = 0; i < filesystems.size(); ++i) {
      fs::Filesystem* f = filesystems[i];
      if (!f || root_ids[i].contains(f->root())) continue;  // the whole fs is a mapped root
      walk_dirs(*f, f->root(), "", root_ids[i], walk_state, d.findings,
                [&](const std::string& path, fs::NodeId id, const std::vector<fs::Entry>& entries) {
                  if (!walked_db && has_name(entries, "mailboxes.db"))
                    walked_db = {i, join_path(path, "mailboxes.db")};
                  bool strong = has_cyrus_files(entries);
                  if (strong || has_message_files(entries))
                    hits.push_back({i, path, id, entries, strong});
                });
    }
    // Roots from layout markers, then the rest by prefix or parent.
    std::vector<std::pair<std::size_t, std::string>> wroots;
    auto add_root = [&](std::size_t fsi, const std::string& p) {
      std::pair<std::size_t, std::string> key{fsi, p};
      if (std::find(wroots.begin(), wroots.end(), key) == wroots.end()) wroots.push_back(key);
    };
    std::vector<std::optional<std::string>> hit_root(hits.size());
    for (std::size_t h = 0; h < hits.size(); ++h)
      if (hits[h].strong)
        if (auto r = marker_root(path_components(hits[h].path), dp)) {
          hit_root[h] = *r;
          add_root(hits[h].fs_index, *r);
        }
    auto longest_root = [&](std::size_t fsi, const std::string& p) -> std::optional<std::string> {
      std::optional<std::string> best;
      for (const auto& [rf, rp] : wroots)
        if (rf == fsi && is_prefix_dir(rp, p) && (!best || rp.size() > best->size())) best = rp;
      return best;
    };
    for (std::size_t h = 0; h < hits.size(); ++h) {
      if (hit_root[h]) continue;
      if (auto r = longest_root(hits[h].fs_index, hits[h].path)) {
        hit_root[h] = *r;
      } else if (hits[h].strong) {
        auto slash = hits[h].path.rfind('/');
        hit_root[h] = slash == std::string::npos ? std::string() : hits[h].path.substr(0, slash);
        add_root(hits[h].fs_index, *hit_root[h]);
      }
    }
    std::sort(wroots.begin(), wroots.end());
    for (const auto& [fsi, p] : wroots) d.roots.push_back({fsi, p, {}, {}, RootSource::walk});
    for (std::size_t h = 0; h < hits.size(); ++h) {
      if (!hit_root[h]) continue;
      std::size_t r = config_roots;
      while (r < d.roots.size() &&
             !(d.roots[r].fs_index == hits[h].fs_index && d.roots[r].path == *hit_root[h]))
        ++r;
      cands.push_back({r, rel_to(*hit_root[h], hits[h].path), to_ref(hits[h]), std::nullopt});
    }
    if (d.roots.size() > config_roots)
      d.findings.add(Code::spool_walk_used, {},
                     fmt::format("{} root(s) found by walking", d.roots.size() - config_roots));
  }

  // 3. mailboxes.db
  std::optional<std::pair<std::size_t, std::string>> db_at;
  if (d.config.configdirectory_in_evidence) {
    for (std::size_t i = 0; i < filesystems.size() && !db_at; ++i) {
      auto p = join_path(*d.config.configdirectory_in_evidence, "mailboxes.db");
      if (filesystems[i] && filesystems[i]->lookup(p)) db_at = {i, p};
    }
  }
  for (std::size_t i = 0; i < filesystems.size() && !db_at; ++i)
    for (auto p : kDbPaths)
      if (filesystems[i] && filesystems[i]->lookup(p)) {
        db_at = {i, std::string(p)};
        break;
      }
  if (!db_at) db_at = walked_db;
  std::optional<MailboxesDb> db;
  if (!db_at) {
    d.findings.add(Code::spool_mailboxes_db_absent, {}, "no mailboxes.db in the evidence");
  } else {
    fs::Filesystem* f = filesystems[db_at->first];
    auto place = fmt::format("{}:{}", source_name(f, db_at->first), db_at->second);
    auto id = f->lookup(db_at->second);
    auto bytes = id ? f->read_all(*id, kDbLimit) : Result<std::vector<std::byte>>(id.problem());
    if (!bytes) {
      d.findings.add(Code::spool_mailboxes_db_unreadable, place, bytes.problem().describe());
    } else {
      db = read_mailboxes_db(ByteView(*bytes), place);
      d.findings.append(db->findings);
      d.config.mailboxes_db_in_evidence = db_at->second;
      d.config.mailboxes_db_fs_index = db_at->first;
      d.config.mailboxes_db_entries = db->entries.size();
      if (d.config.mailboxes_db_backend.empty())
        d.config.mailboxes_db_backend = std::string(to_string(db->backend));
    }
  }

  // 4. Mailboxes.
  MailboxContext ctx;
  ctx.filesystems = &filesystems;
  ctx.db = db ? &*db : nullptr;
  ctx.deleted_prefix = dp;
  if (d.config.found) {
    ctx.hints.hashimapspool = d.config.hashimapspool;
    ctx.hints.fulldirhash = d.config.fulldirhash;
  }
  for (const auto& c : cands) {
    std::string partition = c.root < d.roots.size() ? d.roots[c.root].partition : std::string();
    d.mailboxes.push_back(
        read_mailbox_dir(ctx, c.data, c.meta ? &*c.meta : nullptr, c.rel, partition));
  }

  // mailboxes.db entries that should have a directory but none was found.
  // When the configured partitions were all found, every entry has its
  // directory there; otherwise (no imapd.conf, a partition not given) only
  // an entry whose directory, or the directory that would name it, is in
  // the evidence belongs to it (a destroyed directory block).
  const bool all_roots = d.config.found && !partition_missing && config_roots > 0;
  if (db) {
    std::set<std::string> names, ids;
    for (const auto& m : d.mailboxes) {
      names.insert(m.name);
      if (!m.uniqueid.empty()) ids.insert(m.uniqueid);
    }
    for (const auto& e : db->entries) {
      if (e.type.find_first_of("dirz") != std::string::npos) continue;
      if (names.contains(e.name) || (!e.uniqueid.empty() && ids.contains(e.uniqueid))) continue;
      MissingMailbox mm{e.name, e.uniqueid, e.partition, {}};
      for (const auto& r : d.roots) {
        if (!e.partition.empty() && !r.partition.empty() && r.partition != e.partition) continue;
        if (e.uniqueid.size() >= 2 && e.uniqueid.find('/') == std::string::npos &&
            e.uniqueid.find("..") == std::string::npos)
          mm.expected_dirs.emplace_back(
              r.fs_index, join_path(r.path, fmt::format("uuid/{}/{}/{}", e.uniqueid[0],
                                                        e.uniqueid[1], e.uniqueid)));
        const auto legacy = legacy_dir(e.name, d.config.hashimapspool, d.config.fulldirhash);
        if (!legacy.empty()) mm.expected_dirs.emplace_back(r.fs_index, join_path(r.path, legacy));
      }
      const bool here = all_roots || std::any_of(mm.expected_dirs.begin(), mm.expected_dirs.end(), [&](const auto& x) {
        const auto slash = x.second.rfind('/');
        fs::Filesystem* f = filesystems[x.first];
        return f && (f->lookup(x.second) ||
                     (slash != std::string::npos && f->lookup(x.second.substr(0, slash))));
      });
      if (!here) continue;
      d.findings.add(Code::spool_mailbox_dir_missing, e.name,
                     fmt::format("partition '{}', uniqueid '{}'", e.partition, e.uniqueid));
      d.missing.push_back(std::move(mm));
    }
  }

  std::sort(d.mailboxes.begin(), d.mailboxes.end(), [](const Mailbox& a, const Mailbox& b) {
    return std::tie(a.name, a.fs_index, a.dir) < std::tie(b.name, b.fs_index, b.dir);
  });
  if (d.mailboxes.empty())
    d.findings.add(Code::spool_none_found, {},
                   fmt::format("{} filesystem(s) searched", filesystems.size()));
  return d;
}

Result<std::vector<MessageFile>> list_message_files(fs::Filesystem& fs, const Mailbox& mbox,
                                                    Findings& findings) {
  auto id = fs.lookup(mbox.dir);
  if (!id) return id.problem();
  auto entries = fs.list(*id);
  if (!entries) return entries.problem();
  std::vector<MessageFile> out;
  for (const auto& e : *entries) {
    if (e.kind == fs::NodeKind::directory) continue;  // subfolders (legacy layout)
    auto uid = message_file_uid(e.name);
    if (!uid) {
      if (!e.name.starts_with("cyrus.") && !e.name.starts_with("."))
        findings.add(Code::spool_odd_file, join_path(mbox.dir, e.name));
      continue;
    }
    MessageFile mf;
    mf.uid = *uid;
    mf.id = e.id;
    if (auto node = fs.stat(e.id)) {
      mf.size = node->size;
      mf.inode = node->inode;
      mf.mtime = node->mtime;
    } else {
      findings.add(node.problem());
    }
    out.push_back(mf);
  }
  std::sort(out.begin(), out.end(), [](const MessageFile& a, const MessageFile& b) {
    return std::tie(a.uid, a.id) < std::tie(b.uid, b.id);
  });
  return out;
}

}  // namespace ss::spool
