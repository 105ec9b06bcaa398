// The problem catalogue: every finding the tool can report, with a stable
// code, a severity and a message template. Declared once (X-macro) so the
// enum, the codes and the texts cannot drift apart; tests/unit/core_test.cpp
// proves every entry has a unique code and a text.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ss {

// How bad a finding is, in increasing order.
//  info        a fact worth reporting (e.g. the journal needs recovery)
//  relaxation  the tool read past a check it would normally apply (backup superblock used)
//  warning     something is inconsistent but nothing is lost
//  damage      evidence is damaged; some content may be unreadable or unproven
//  error       an operation failed (a mailbox could not be read)
//  fatal       the evidence as a whole cannot be opened
enum class Severity : std::uint8_t { info, relaxation, warning, damage, error, fatal };

std::string_view to_string(Severity s);

// X(enum name, stable code, severity, message template)
#define SS_PROBLEMS(X)                                                                             \
  X(evidence_not_found, "evidence.not-found", fatal, "evidence path does not exist")               \
  X(evidence_unreadable, "evidence.unreadable", fatal, "evidence cannot be opened for reading")    \
  X(evidence_empty, "evidence.empty", fatal, "evidence is empty (0 bytes)")                        \
  X(evidence_not_supported, "evidence.unsupported-type", fatal,                                     \
    "evidence is neither a regular file, a block device nor a directory")                          \
  X(evidence_read_error, "evidence.read-error", damage, "read from the evidence failed")           \
  X(evidence_unread_range, "evidence.unread-range", damage,                                         \
    "a read touched a range the ddrescue map marks as not recovered: those bytes are not data")    \
  X(evidence_volume_unsupported, "evidence.volume-unsupported", warning,                           \
    "a volume of the disk cannot be read here (LVM, RAID other than 1, out of the evidence); what " \
    "to do is said")                                                                               \
  X(evidence_volume_chosen, "evidence.volume-chosen", info,                                        \
    "the evidence is a whole disk: the volume holding the filesystem was chosen")                  \
  X(evidence_volume_ambiguous, "evidence.volume-ambiguous", fatal,                                 \
    "the evidence is a whole disk with no ext2/3/4 filesystem, or several: name one (EVIDENCE@N, " \
    "EVIDENCE@offset=BYTES)")                                                                      \
  X(evidence_map_invalid, "evidence.map-invalid", fatal,                                           \
    "the ddrescue mapfile cannot be read or is malformed")                                         \
  X(evidence_short_read, "evidence.short-read", damage,                                            \
    "read past the end of the evidence (truncated image?)")                                        \
  X(fs_not_ext, "fs.not-ext", fatal, "no ext2/3/4 superblock found (primary or backup)")           \
  X(fs_open_failed, "fs.open-failed", fatal, "libext2fs could not open the filesystem")            \
  X(fs_backup_superblock, "fs.backup-superblock", relaxation,                                       \
    "primary superblock unusable; a backup superblock was used")                                   \
  X(fs_checksums_ignored, "fs.checksums-ignored", info,                                             \
    "metadata checksum verification is disabled while reading")                                    \
  X(fs_bitmaps_unread, "fs.bitmaps-unread", info,                                                   \
    "block and inode bitmaps are not read (not needed to read files)")                             \
  X(fs_mmp_skipped, "fs.mmp-skipped", info, "multi-mount protection is not honoured")               \
  X(fs_features_forced, "fs.unsupported-features", relaxation,                                      \
    "the filesystem uses features this libext2fs does not know; it was opened anyway")             \
  X(fs_journal_needs_recovery, "fs.journal-needs-recovery", warning,                                \
    "the journal holds transactions not yet replayed; the newest files may exist only there")      \
  X(fs_journal_replayed, "fs.journal-replayed", info,                                              \
    "the journal's committed transactions were replayed into memory (never onto the evidence): "   \
    "the filesystem is read as the kernel would have left it (--no-journal reads it as it stands)") \
  X(fs_journal_not_replayed, "fs.journal-not-replayed", warning,                                    \
    "the journal needs recovery but could not be replayed; the filesystem is read as it stands")   \
  X(fs_truncated, "fs.truncated", damage,                                                           \
    "the image is shorter than the filesystem it holds; blocks past its end are missing")          \
  X(fs_errors_flag, "fs.errors-flag", info, "the superblock says the filesystem has errors")       \
  X(fs_not_clean, "fs.not-clean", info, "the filesystem was not cleanly unmounted")                \
  X(fs_inode_unreadable, "fs.inode-unreadable", damage, "an inode could not be read")             \
  X(fs_bitmap_unreadable, "fs.bitmap-unreadable", damage,                                          \
    "the block bitmap could not be read; free blocks were not searched")                           \
  X(fs_dir_unreadable, "fs.dir-unreadable", damage, "a directory could not be read")              \
  X(fs_file_unreadable, "fs.file-unreadable", damage, "a file's contents could not be read")      \
  X(fs_path_not_found, "fs.path-not-found", error, "no such path in the evidence")                \
  X(fs_symlink_not_followed, "fs.symlink-not-followed", info,                                       \
    "a symbolic link was not followed (it could lead outside the evidence)")                       \
  X(fs_loop, "fs.directory-loop", damage, "a directory is reachable from itself; walk stopped")    \
  X(spool_none_found, "spool.none-found", error,                                                    \
    "no Cyrus spool found: no imapd.conf partition and no cyrus.header/cyrus.index")               \
  X(spool_config_found, "spool.config-found", info, "an imapd.conf was found and read")            \
  X(spool_config_unreadable, "spool.config-unreadable", warning, "imapd.conf could not be read")   \
  X(spool_partition_missing, "spool.partition-missing", warning,                                    \
    "a partition named in imapd.conf is not in the evidence")                                      \
  X(spool_walk_used, "spool.walk-used", info,                                                       \
    "mailboxes were found by walking for cyrus.header/cyrus.index, not from imapd.conf")           \
  X(spool_mailboxes_db_unreadable, "spool.mailboxes-db-unreadable", warning,                       \
    "mailboxes.db could not be read; names come from cyrus.header or paths")                      \
  X(spool_mailboxes_db_absent, "spool.mailboxes-db-absent", info,                                  \
    "the evidence holds no mailboxes.db (only a spool partition?); names come from headers or paths") \
  X(spool_mailboxes_db_damaged, "spool.mailboxes-db-damaged", damage,                              \
    "mailboxes.db is damaged; some entries could not be read")                                     \
  X(spool_header_bad_magic, "spool.header-bad-magic", damage, "cyrus.header has no Cyrus magic")   \
  X(spool_header_unparsable, "spool.header-unparsable", damage,                                     \
    "cyrus.header line 4 could not be parsed")                                                     \
  X(spool_header_missing, "spool.header-missing", warning, "mailbox directory has no cyrus.header")\
  X(spool_index_missing, "spool.index-missing", warning, "mailbox directory has no cyrus.index")   \
  X(spool_index_short, "spool.index-short", damage,                                                 \
    "cyrus.index is shorter than its header says or than a header")                                \
  X(spool_name_conflict, "spool.name-conflict", warning,                                            \
    "sources disagree about a mailbox's name or uniqueid")                                         \
  X(spool_odd_file, "spool.odd-file", info, "a file in a mailbox directory is not a message file") \
  X(spool_header_truncated, "spool.header-truncated", damage,                                       \
    "cyrus.header ends before its user-flags or ACL line")                                         \
  X(spool_mailboxes_db_unsupported, "spool.mailboxes-db-unsupported", warning,                     \
    "mailboxes.db is in a format this version cannot read yet")                                    \
  X(spool_name_unknown, "spool.name-unknown", warning,                                              \
    "a mailbox has no name: no 3.6+ header, no mailboxes.db entry, and a uuid path")              \
  X(spool_mailbox_dir_missing, "spool.mailbox-dir-missing", error,                                 \
    "mailboxes.db lists a mailbox whose directory (or its cyrus.header and cyrus.index) is not in " \
    "the evidence: its messages could not be read")                                               \
  X(spool_walk_limit, "spool.walk-limit", warning,                                                  \
    "the spool walk stopped at its depth or size limit; some directories were not visited") \
  X(spool_sync_log_syntax, "spool.sync-log-syntax", damage,                                        \
    "a sync log line does not follow the grammar (verb, then astrings); it was skipped")          \
  X(spool_sync_log_nul, "spool.sync-log-nul", damage,                                              \
    "a sync log line holds NUL bytes (zero-filled blocks after a crash?); it was skipped")        \
  X(spool_sync_log_literal, "spool.sync-log-literal", damage,                                      \
    "a sync log literal {N} is longer than the bytes present or than any name; line skipped")     \
  X(spool_sync_log_too_long, "spool.sync-log-too-long", damage,                                    \
    "a sync log argument is longer than any mailbox name or userid; the line was skipped")        \
  X(spool_sync_log_truncated, "spool.sync-log-truncated", warning,                                 \
    "the sync log's last line has no end (a crash mid-write); it is not used for selection")      \
  X(spool_sync_log_unknown_verb, "spool.sync-log-unknown-verb", warning,                           \
    "a sync log line has a verb no known Cyrus writes; it is kept but selects nothing")           \
  X(spool_sync_log_arity, "spool.sync-log-arity", warning,                                         \
    "a sync log line has more or fewer arguments than its verb takes; the ones present are used") \
  X(index_unknown_version, "index.unknown-version", damage,                                                           \
    "cyrus.index has a minor version no known Cyrus wrote") \
  X(index_unreleased_version, "index.unreleased-version", info,                                                           \
    "cyrus.index has a minor version that only development builds wrote") \
  X(index_layout_inferred, "index.layout-inferred", damage,                                        \
    "the index header is unreadable; the record layout was inferred from record CRCs")            \
  X(index_start_offset, "index.start-offset", damage,                                                           \
    "the header's start_offset differs from this version's header size") \
  X(index_record_size, "index.record-size", damage,                                                           \
    "the header's record_size differs from this version's record size") \
  X(index_truncated, "index.truncated", damage,                                                           \
    "cyrus.index ends before the last record its header counts") \
  X(index_header_crc, "index.header-crc", damage,                                                           \
    "the index header fails its CRC") \
  X(index_header_corrected, "index.header-corrected", info,                                                           \
    "the index header was corrected by a proven bit flip") \
  X(index_header_unproven, "index.header-unproven", error,                                                           \
    "the index header fails its CRC and no proven correction exists") \
  X(index_format_nonzero, "index.format", warning,                                                           \
    "the header's format field is not 0 (normal)") \
  X(index_exists, "index.exists", damage,                                                           \
    "the header counts more existing messages than records") \
  X(index_counter, "index.counter", warning,                                                           \
    "a header counter disagrees with the records") \
  X(index_uidvalidity_zero, "index.uidvalidity-zero", damage,                                                           \
    "uidvalidity is 0") \
  X(index_options_bits, "index.options", damage,                                                           \
    "the options word has bits this version does not define") \
  X(index_last_uid, "index.last-uid", damage,                                                           \
    "a record's uid is greater than the header's last_uid") \
  X(index_highestmodseq, "index.highestmodseq", damage,                                                           \
    "a record's modseq is greater than the header's highestmodseq") \
  X(index_trailing_records, "index.trailing-records", info,                                                           \
    "records past num_records carry valid CRCs (a crash between record and header writes)") \
  X(index_cache_generation, "index.cache-generation", warning,                                                           \
    "cyrus.cache's generation differs from the index's") \
  X(index_header_file_crc, "index.header-file-crc", warning,                                                           \
    "CRC-32 of cyrus.header differs from the one the index holds") \
  X(record_crc, "record.crc", damage,                                                           \
    "an index record fails its CRC") \
  X(record_corrected, "record.corrected", info,                                                           \
    "an index record was corrected by a proven bit flip") \
  X(record_unproven, "record.unproven", error,                                                           \
    "an index record is damaged and no proven correction exists") \
  X(record_uid_zero, "record.uid-zero", damage,                                                           \
    "a record's uid is 0") \
  X(record_uid_order, "record.uid-order", damage,                                                           \
    "a record's uid is not greater than the previous record's") \
  X(record_modseq_zero, "record.modseq-zero", warning,                                                           \
    "a record's modseq is 0") \
  X(record_header_size, "record.header-size", damage,                                                           \
    "a record's header_size is greater than its size") \
  X(record_system_flags, "record.system-flags", damage,                                                           \
    "system_flags has bits this version does not define") \
  X(record_user_flag_unnamed, "record.user-flag-unnamed", warning,                                                           \
    "a user flag bit is set that cyrus.header gives no name") \
  X(record_time, "record.time", warning,                                                           \
    "a time field is zero or implausible") \
  X(record_cache_version, "record.cache-version", damage,                                                           \
    "cache_version is higher than any Cyrus wrote") \
  X(record_cache_crc, "record.cache-crc", damage,                                                           \
    "the cache record fails the CRC its index record holds") \
  X(cache_offset_out_of_range, "cache.offset", damage,                                                           \
    "a cache offset lies outside cyrus.cache") \
  X(cache_record_truncated, "cache.truncated", damage,                                                           \
    "a cache record runs past the end of cyrus.cache") \
  X(cache_missing, "cache.missing", warning,                                                           \
    "the mailbox has no cyrus.cache") \
  X(header_uniqueid_form, "header.uniqueid-form", warning,                                         \
    "cyrus.header's uniqueid has a form no Cyrus writes")                                         \
  X(header_keyword_invalid, "header.keyword-invalid", warning,                                     \
    "a user flag name in cyrus.header is not a valid IMAP atom")                                   \
  X(header_file_corrected, "header.file-corrected", info,                                           \
    "cyrus.header was corrected by a proven bit flip (its CRC in the index header holds after it)") \
  X(out_write_failed, "out.write-failed", fatal, "the output could not be written")               \
  X(out_not_empty, "out.not-empty", fatal, "the output directory is not empty")                    \
  X(out_inside_evidence, "out.inside-evidence", fatal,                                             \
    "the output directory lies inside the evidence; the evidence is never written")               \
  X(record_no_guid, "record.no-guid", info, "the record's GUID is zero: nothing proves the bytes")  \
  X(index_no_guid, "index.no-guid", info,                                                          \
    "this index version has no GUID (before 2.3.10 / minor 10): nothing proves the bytes")        \
  X(check_not_hashed, "check.not-hashed", info, "the message file was not read (--no-hash)")       \
  X(select_not_read, "select.not-read", info, "the message was not read: the selection left it out") \
  X(select_mailbox, "select.mailbox", info, "left out: the mailbox is not selected (--mailbox)")  \
  X(select_sync_log, "select.sync-log", info, "left out: the sync log does not name the mailbox") \
  X(select_date, "select.date", info, "left out: the internal date is outside --since/--until")  \
  X(select_live_only, "select.live-only", info,                                                  \
    "left out: expunged, or in a deleted mailbox (--live-only)")                                 \
  X(select_held_elsewhere, "select.held-elsewhere", info,                                        \
    "left out: the other side holds this GUID (--not-in / --not-in-guids)")                      \
  X(select_stranded_left_out, "select.stranded-left-out", info,                                  \
    "left out by the selection although the other side does not hold it")                        \
  X(message_missing, "message.missing", error,                                                           \
    "an index record's message file is missing") \
  X(message_unlinked, "message.unlinked", info,                                                           \
    "a record marked unlinked has no message file, as expected") \
  X(message_size, "message.size", damage,                                                           \
    "a message file's size differs from its record's") \
  X(message_guid_mismatch, "message.guid-mismatch", error,                                                           \
    "SHA-1 of a message file differs from its record's GUID") \
  X(message_no_record, "message.no-record", warning,                                                           \
    "a message file has no index record") \
  X(message_rehomed, "message.rehomed", warning,                                                      \
    "the record's file was missing from its mailbox and was found elsewhere in the filesystem "    \
    "(lost+found, an inode no directory names, a deleted inode), proven by its GUID")              \
  X(message_carved, "message.carved", warning,                                                      \
    "the record's file was missing and no inode holds it; its bytes were carved from free blocks, " \
    "proven by its GUID")                                                                          \
  X(spool_name_restored, "spool.name-restored", warning,                                            \
    "a mailbox directory or cyrus.* file that lost its name (no directory names it, or e2fsck put " \
    "it in lost+found) was "                                                                       \
    "given back to its mailbox, in memory, by proof: the uniqueid in its cyrus.header, the "        \
    "header CRC the index records")                                                                \
  X(message_matched_unproven, "message.matched-unproven", error,                                  \
    "the record's file was missing and the record has no GUID (index v9 and older): a file with "  \
    "the record's size and header fields (cache envelope) was taken, not proven")                  \
  X(message_unmatched, "message.unmatched", error,                                                  \
    "a file with no name (in lost+found, or an inode no directory names) looks like a message, "   \
    "but its SHA-1 is no record's GUID: not proven; salvage writes it to unmatched/")             \
  X(message_rehomable, "message.rehomable", warning,                                                \
    "the record's file is missing from its mailbox, but a file elsewhere in the filesystem has "   \
    "its GUID as SHA-1: salvage re-homes it (status rehomed)")                                     \
  X(message_unreadable, "message.unreadable", error,                                                           \
    "a message file could not be read") \
  X(spool_seen_db_absent, "spool.seen-db-absent", info,                                           \
    "no seen database was found for a user; \\Seen it alone holds is unknown")                     \
  X(spool_seen_db_unreadable, "spool.seen-db-unreadable", warning,                                 \
    "a seen database could not be read (not a file, unreadable, or a backend not supported)")      \
  X(spool_seen_db_damaged, "spool.seen-db-damaged", damage,                                        \
    "a seen database is damaged; some entries could not be read")                                 \
  X(spool_seen_value_invalid, "spool.seen-value-invalid", damage,                                  \
    "a seen entry is not \"1 lastread lastuid lastchange uid-set\"; the parts that parse are kept") \
  X(index_layout_inferred_from_files, "index.layout-inferred-from-files", damage,                 \
    "the index header is unreadable and no v12+ layout's record CRCs hold; a v3-v11 record "      \
    "layout was inferred from uid order and message file sizes (records range-checked at best)")  \
  X(index_layout_not_inferred, "index.layout-not-inferred", error,                                 \
    "the index header is unreadable and no record layout fits clearly better than the others; "   \
    "no record was read") \
  X(other_side_imap_failed, "other-side.imap-failed", fatal,                                       \
    "the other side's IMAP server could not be read (connection, TLS, login or LIST failed)")     \
  X(other_side_imap_expunged_invisible, "other-side.imap-expunged-invisible", warning,             \
    "the other side was read over IMAP, which does not show expunged-but-present records: a "     \
    "message expunged there on purpose counts as not held (stranded)")                            \
  X(other_side_imap_insecure_tls, "other-side.imap-insecure-tls", relaxation,                      \
    "the IMAP server's TLS certificate and host name were not verified (--insecure-tls)")         \
  X(other_side_imap_not_admin, "other-side.imap-not-admin", warning,                               \
    "the other side was read as a user, not an admin: other users' mailboxes and deleted "        \
    "(DELETED.*) mailboxes are not seen")                                                          \
  X(other_side_imap_mailbox_unread, "other-side.imap-mailbox-unread", warning,                     \
    "a mailbox on the other side could not be read over IMAP; the messages it holds count as "    \
    "not held")                                                                                    \
  X(other_side_imap_uniqueid_unknown, "other-side.imap-uniqueid-unknown", warning,                 \
    "the uniqueid of a mailbox on the other side is unknown over IMAP (no MAILBOXID, no Cyrus "    \
    "uniqueid annotation); mailboxes here match it by name only")                                 \
  X(other_side_imap_unexpected, "other-side.imap-unexpected", warning,                             \
    "the IMAP server sent something malformed or not asked for; the part it concerns is not used") \
  X(other_side_imap_hashed, "other-side.imap-hashed", info,                                        \
    "no DIGEST.SHA1 from the IMAP server (or --not-in-hash-bodies): each message's GUID was "      \
    "computed from its bytes (BODY.PEEK[])")                                                       \
  X(other_side_imap_proxy, "other-side.imap-proxy", info,                                          \
    "users' mailboxes were read as their owner by SASL proxy authorization (an admin has no read " \
    "right on them)")                                                                              \
  X(reinject_manifest_unreadable, "reinject.manifest-unreadable", fatal,                           \
    "OUT/manifest.jsonl of a salvage cannot be read, or a line of it is not a manifest entry")    \
  X(reinject_not_from_not_in, "reinject.not-from-not-in", fatal,                                   \
    "the salvage was made without --not-in: its manifest does not say what the target lacks")     \
  X(reinject_failed, "reinject.failed", fatal,                                                     \
    "the target IMAP server could not be used (connection, TLS, login, or reading what it holds)") \
  X(reinject_append_failed, "reinject.append-failed", error,                                       \
    "a message could not be appended to the target; it is not there")                             \
  X(reinject_file_changed, "reinject.file-changed", error,                                         \
    "a message file in OUT is missing or its SHA-1 is no longer the one the salvage wrote; not "   \
    "appended")                                                                                    \
  X(reinject_mailbox_missing, "reinject.mailbox-missing", warning,                                 \
    "a mailbox is not on the target (deleted there, or gone since): its stranded mail goes to "    \
    "the quarantine folder, or is created or skipped as --missing says")                          \
  X(reinject_keyword_dropped, "reinject.keyword-dropped", warning,                                 \
    "a keyword is not a valid IMAP flag atom and was not sent with its message")                  \
  X(reinject_journal_failed, "reinject.journal-failed", fatal,                                     \
    "the journal OUT/reinject.jsonl could not be written; the run stops (the target was read "     \
    "for what it holds, so a re-run appends nothing twice)")                                       \
  X(reinject_insecure_tls, "reinject.insecure-tls", relaxation,                                    \
    "the target's TLS certificate and host name were not verified (--insecure)")                  \
  X(out_not_directory, "out.not-directory", fatal,                                                 \
    "the output path exists and is not a directory; give a new or empty directory")               \
  X(out_not_resumable, "out.not-resumable", fatal,                                                 \
    "--resume: the output directory holds no earlier salvage to finish (no maildir/ directory)")

enum class Code : std::uint16_t {
#define SS_PROBLEM_ENUM(name, code, sev, text) name,
  SS_PROBLEMS(SS_PROBLEM_ENUM)
#undef SS_PROBLEM_ENUM
};

struct ProblemInfo {
  Code code;
  std::string_view id;    // stable, used in JSON and docs
  Severity severity;
  std::string_view text;  // message template
};

const ProblemInfo& problem_info(Code c);
const std::vector<ProblemInfo>& problem_catalogue();

// One finding: what, where, and the particulars (stored vs computed values,
// the OS error, ...). `place` names the evidence and path/inode/offset.
struct Finding {
  Code code;
  std::string place;
  std::string detail;

  Severity severity() const { return problem_info(code).severity; }
  std::string_view id() const { return problem_info(code).id; }
  std::string_view text() const { return problem_info(code).text; }
  // "code: text (detail) at place"
  std::string describe() const;
};

// Findings collected along a run. Library code appends; only cli/ prints.
class Findings {
 public:
  void add(Code c, std::string place, std::string detail = {}) {
    items_.push_back(Finding{c, std::move(place), std::move(detail)});
  }
  void add(Finding f) { items_.push_back(std::move(f)); }
  void append(const Findings& other) {
    items_.insert(items_.end(), other.items_.begin(), other.items_.end());
  }
  const std::vector<Finding>& items() const { return items_; }
  bool empty() const { return items_.empty(); }
  bool any_at_least(Severity s) const;
  bool has(Code c) const;

 private:
  std::vector<Finding> items_;
};

}  // namespace ss
