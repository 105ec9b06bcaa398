// Spool directory layouts (formats/spool-layout.md; fact sheet §4.2–4.3):
//   uuid (3.6+)        <root>/uuid/<u0>/<u1>/<uniqueid>/
//   legacy             <root>/user/fred/Sent/
//   legacy, hashed     <root>/f/user/fred/Sent/      (hashimapspool)
//   fulldirhash        <root>/E/user/fred/Sent/      (hashimapspool + fulldirhash)
//   virtdomains        <root>/domain/[<H(dom)>/]<dom>/[<H>/]user/fred/
//   DELETED (legacy)   <root>/[<H>/]DELETED/user/fred/Trash/5F3A2B1C/
// The hash H is dir_hash_c of the name's second hierarchy component (the
// first when there is only one).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ss::spool {

// Cyrus dir_hash_c: without fulldirhash the lowercase first letter, else
// 'q'; with fulldirhash 'A' + (a shift/xor hash of the bytes up to the first
// '.') % 23.
char dir_hash_c(std::string_view s, bool fulldirhash);

// The component a legacy path is hashed on, for a local (domain-less) name.
std::string_view hash_component(std::string_view local_name);

// What the configuration says, when known; nullopt = infer from the path.
struct LayoutHints {
  std::optional<bool> hashimapspool;
  std::optional<bool> fulldirhash;
};

struct LayoutGuess {
  std::string layout;    // "uuid", "legacy", "legacy-hashed", "legacy-fulldirhash", "unknown"
  std::string name;      // internal name derived from a legacy path (empty for uuid)
  std::string uniqueid;  // from a uuid path
};

// `rel_dir` is the mailbox directory relative to its partition root,
// '/'-separated ("uuid/3/f/3f0b...", "f/user/fred/Sent").
LayoutGuess infer_layout(std::string_view rel_dir, const LayoutHints& hints = {});

// The legacy directory (relative to the partition) for an internal name.
std::string legacy_dir(std::string_view internal, bool hashimapspool, bool fulldirhash);

// Splits a '/'-separated path into its non-empty components.
std::vector<std::string> path_components(std::string_view path);

}  // namespace ss::spool
