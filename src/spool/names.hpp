// Mailbox names (DESIGN.md "Mailbox names"): the internal name exactly as
// Cyrus stores it, the display name a user sees, and the original name of a
// deleted mailbox. See formats/spool-layout.md §Names.
//
//   internal                                   display
//   user.fred.Entw&APw-rfe                     user/fred/Entwürfe
//   user.fred.a^b                              user/fred/a.b
//   example.com!user.fred.Sent                 user/fred/Sent@example.com
//   DELETED.user.fred.Trash.5F3A2B1C           DELETED/user/fred/Trash/5F3A2B1C
//
// All functions are total: any byte string (control characters, "..",
// invalid UTF-8, megabytes long) gives some result and never throws.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ss::spool {

inline constexpr std::string_view kDefaultDeletedPrefix = "DELETED";

// "example.com!user.fred" → {"example.com", "user.fred"}; no '!' → {"", name}.
struct SplitName {
  std::string_view domain;
  std::string_view local;
};
SplitName split_domain(std::string_view internal);

// The display name: hierarchy '.' → '/', '^' → '.', each component decoded
// from modified UTF-7; a domain is appended as "@domain" (the form an admin
// sees with virtdomains). The result is always valid UTF-8: control
// characters and bytes that are not UTF-8 become U+FFFD, so renderers never
// choke on it (the internal name stays exact).
std::string display_name(std::string_view internal);

// True when the local part starts with "<prefix>." (DELETED.user.fred...).
bool is_deleted_name(std::string_view internal,
                     std::string_view deleted_prefix = kDefaultDeletedPrefix);

// For a deleted name, the name before deletion: the prefix and the final
// hexadecimal component (the deletion time, "%X") are stripped and a domain
// is kept: "ex.com!DELETED.user.fred.Trash.5F3A2B1C" → "ex.com!user.fred.Trash".
// nullopt when the name is not a deleted name or has no hex tail.
std::optional<std::string> original_name(std::string_view internal,
                                         std::string_view deleted_prefix = kDefaultDeletedPrefix);

// 3.6+ mailboxes.db dbname → internal name: 0x1F (hierarchy) → '.', the
// first 0x1D (domain separator) → '!'.
std::string internal_from_dbname(std::string_view dbname);

// Legacy path components (relative to the partition, hash directories
// already removed) → internal name: joined with '.'.
std::string internal_from_components(const std::vector<std::string>& components);

// Splits an internal name's local part into hierarchy components.
std::vector<std::string_view> name_components(std::string_view local);

}  // namespace ss::spool
