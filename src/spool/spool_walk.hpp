// Walking filesystems for spool directories, and mapping a server's absolute
// paths (imapd.conf) onto an evidence filesystem. Internal to spool/.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/problem.hpp"
#include "fs/filesystem.hpp"

namespace ss::spool {

struct WalkLimits {
  int max_depth = 24;                     // below the start directory
  std::size_t max_directories = 1000000;  // directories listed, over the whole run
};

// Shared by all walks of one discovery run.
struct WalkState {
  WalkLimits limits;
  std::size_t directories_listed = 0;
  bool limit_reported = false;
};

// Called once per directory reached, with its path (relative to the
// filesystem root, no leading '/'), node and entries.
using DirVisitor = std::function<void(const std::string& path, fs::NodeId id,
                                      const std::vector<fs::Entry>& entries)>;

// Depth-first, alphabetical (deterministic) walk from `start`. Never follows
// symlinks; a directory seen twice (by NodeId) is reported as fs.directory-
// loop and not entered again; directories in `skip` are not entered (roots
// already walked). Unreadable directories are reported and skipped.
void walk_dirs(fs::Filesystem& fs, fs::NodeId start, const std::string& start_path,
               const std::set<fs::NodeId>& skip, WalkState& state, Findings& findings,
               const DirVisitor& visit);

// Whether a directory looks like a partition root (has uuid/, user/,
// domain/, DELETED/, stage., or single-letter hash directories).
bool looks_like_partition(const std::vector<fs::Entry>& entries, std::string_view deleted_prefix);

struct MappedPath {
  std::size_t fs_index = 0;
  std::string path;  // inside that filesystem, no leading '/'
  fs::NodeId id = 0;
};

// Maps a server absolute path onto the evidence: the whole path first, then
// ever shorter suffixes (the evidence may be the partition itself, mapped at
// its root). A match by a shorter suffix must satisfy `plausible` (the full
// path is trusted as is). Filesystems are tried in order for each length.
// Directories in `taken` ((fs index, node) already mapped for another
// partition) are only accepted by a full-path match.
std::optional<MappedPath> map_server_path(
    const std::vector<fs::Filesystem*>& filesystems, std::string_view server_path,
    const std::function<bool(const std::vector<fs::Entry>&)>& plausible,
    const std::set<std::pair<std::size_t, fs::NodeId>>& taken = {});

// Joins a directory path and a name ("" + "a" = "a").
std::string join_path(std::string_view dir, std::string_view name);

}  // namespace ss::spool
