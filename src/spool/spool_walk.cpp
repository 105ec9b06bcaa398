#include "spool/spool_walk.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "spool/layout.hpp"

namespace ss::spool {

std::string join_path(std::string_view dir, std::string_view name) {
  std::string out(dir);
  if (!out.empty()) out += '/';
  out += name;
  return out;
}

void walk_dirs(fs::Filesystem& fs, fs::NodeId start, const std::string& start_path,
               const std::set<fs::NodeId>& skip, WalkState& state, Findings& findings,
               const DirVisitor& visit) {
  struct Item {
    fs::NodeId id;
    std::string path;
    int depth;
  };
  std::vector<Item> stack{{start, start_path, 0}};
  std::set<fs::NodeId> seen;
  while (!stack.empty()) {
    Item it = std::move(stack.back());
    stack.pop_back();
    if (!seen.insert(it.id).second) {
      findings.add(Code::fs_loop, it.path, fmt::format("node {} reached twice", it.id));
      continue;
    }
    if (state.directories_listed >= state.limits.max_directories) {
      if (!state.limit_reported)
        findings.add(Code::spool_walk_limit, it.path,
                     fmt::format("more than {} directories", state.limits.max_directories));
      state.limit_reported = true;
      return;
    }
    ++state.directories_listed;
    auto entries = fs.list(it.id);
    if (!entries) {
      Finding f = entries.problem();
      if (f.place.empty()) f.place = it.path;
      findings.add(std::move(f));
      continue;
    }
    visit(it.path, it.id, *entries);
    std::vector<const fs::Entry*> dirs;
    for (const auto& e : *entries)
      if (e.kind == fs::NodeKind::directory && e.name != "." && e.name != ".." &&
          !skip.contains(e.id))
        dirs.push_back(&e);
    if (dirs.empty()) continue;
    if (it.depth >= state.limits.max_depth) {
      findings.add(Code::spool_walk_limit, it.path,
                   fmt::format("depth limit {} reached; {} subdirectories not visited",
                               state.limits.max_depth, dirs.size()));
      continue;
    }
    std::sort(dirs.begin(), dirs.end(),
              [](const fs::Entry* a, const fs::Entry* b) { return a->name > b->name; });
    for (const auto* e : dirs) stack.push_back({e->id, join_path(it.path, e->name), it.depth + 1});
  }
}

bool looks_like_partition(const std::vector<fs::Entry>& entries, std::string_view deleted_prefix) {
  for (const auto& e : entries) {
    if (e.kind != fs::NodeKind::directory) continue;
    if (e.name == "uuid" || e.name == "user" || e.name == "domain" || e.name == deleted_prefix ||
        e.name == "stage." || e.name == "sync.")
      return true;
    if (e.name.size() == 1) return true;  // hashimapspool letter
  }
  for (const auto& e : entries)
    if (e.name == "cyrus.header" || e.name == "cyrus.index") return true;
  return false;
}

std::optional<MappedPath> map_server_path(
    const std::vector<fs::Filesystem*>& filesystems, std::string_view server_path,
    const std::function<bool(const std::vector<fs::Entry>&)>& plausible,
    const std::set<std::pair<std::size_t, fs::NodeId>>& taken) {
  auto comps = path_components(server_path);
  for (std::size_t drop = 0; drop <= comps.size(); ++drop) {
    std::string path;
    for (std::size_t i = drop; i < comps.size(); ++i) path = join_path(path, comps[i]);
    for (std::size_t f = 0; f < filesystems.size(); ++f) {
      fs::Filesystem* fs = filesystems[f];
      if (!fs) continue;
      auto id = fs->lookup(path);
      if (!id) continue;
      auto node = fs->stat(*id);
      if (!node || node->kind != fs::NodeKind::directory) continue;
      if (drop > 0) {
        if (taken.contains({f, *id})) continue;
        auto entries = fs->list(*id);
        if (!entries || !plausible(*entries)) continue;
      }
      return MappedPath{f, path, *id};
    }
  }
  return std::nullopt;
}

}  // namespace ss::spool
