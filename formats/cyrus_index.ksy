meta:
  id: cyrus_index
  title: Cyrus IMAP mailbox index (cyrus.index), minor versions 3 to 20
  application: Cyrus IMAP server (1.6.23 to 3.13.x)
  file-extension: index
  endian: be
doc: |
  The per-mailbox index of a Cyrus IMAP spool: one fixed-size header, then one
  fixed-size record per message. Every integer is big-endian. Bytes 0-23 mean
  the same in every version (generation_no, format, minor_version,
  start_offset, record_size, num_records); the rest of the header and the
  whole record layout depend on minor_version (offset 8).

  This description reads the header with the layout of its minor_version and
  then the records at the version's fixed header size with the version's
  fixed record size (the sizes Cyrus itself requires), not at the
  start_offset/record_size stated in the file, so a damaged header does not
  move the records. It lists num_records records, or fewer when the file does
  not hold that many complete ones. Well-formed records can follow
  num_records (a crash between writing records and the header); they are not
  listed here (see `records_past_num_records`).

  Times: in v3-v19 every time is a u4 of Unix seconds. In v20 they are u8
  nanoseconds since the epoch (development builds of v20 before Aug 2025
  wrote seconds into the same u8 header fields; a value below about 10^11 is
  seconds, not nanoseconds).

  CRCs (v11 FastMail-internal, v12 and later) are plain CRC-32 (zlib, IEEE):
  the header CRC covers bytes [0, header size - 4) and is stored in the last 4
  bytes of the header; the record CRC covers bytes [0, record size - 4) of
  the record and is stored in its last 4 bytes. They are not checked here.

  64-bit fields are declared u8; note that JavaScript runtimes return them as
  doubles, exact only below 2^53.
doc-ref: Cyrus IMAP imap/mailbox.h MAILBOX_MINOR_VERSION history; imap/index_file.c
seq:
  - id: header
    doc: The index header, in the layout of minor_version.
    type:
      switch-on: minor_version
      cases:
        3: header_v3
        4: header_v4
        5: header_v5
        6: header_v6_v7
        7: header_v6_v7
        8: header_v8
        9: header_v9_v10
        10: header_v9_v10
        11: header_v11
        12: header_v12
        13: header_v13
        14: header_v14_v15
        15: header_v14_v15
        16: header_v16
        17: header_v17
        18: header_v18
        19: header_v19
        20: header_v20
instances:
  minor_version:
    pos: 8
    type: u4
    valid:
      min: 3
      max: 20
    doc: |
      The index minor version (offset 8), which selects the header and the
      record layout. 0-2 are not described; 11 only ever came from FastMail's
      internal builds; 14, 15 and 18 only from development builds.
  num_records_stated:
    pos: 20
    type: u4
    doc: |
      Offset 20 of every version: the number of records the header says the
      file holds (v<=10 "exists": live messages only; v>=12 "num_records":
      including EXPUNGED records).
  header_size:
    value: |
      minor_version == 3 ? 56 :
      minor_version <= 7 ? 76 :
      minor_version == 8 ? 92 :
      minor_version <= 11 ? 96 :
      minor_version <= 13 ? 128 :
      minor_version <= 19 ? 160 :
      192
    doc: The fixed header size of this minor version (record 1 starts here).
  record_size:
    value: |
      minor_version <= 4 ? 52 :
      minor_version == 5 ? 56 :
      minor_version == 6 ? 60 :
      minor_version == 7 ? 72 :
      minor_version <= 9 ? 80 :
      minor_version == 10 ? 88 :
      minor_version <= 12 ? 96 :
      minor_version <= 15 ? 104 :
      minor_version <= 19 ? 112 :
      144
    doc: The fixed record size of this minor version.
  num_whole_records:
    value: '_io.size < header_size ? 0 : (_io.size - header_size) / record_size'
    doc: How many complete records the file holds after the header.
  num_records_listed:
    value: 'num_records_stated < num_whole_records ? num_records_stated : num_whole_records'
    doc: num_records, limited to the complete records the file holds.
  records_past_num_records:
    value: 'num_whole_records - num_records_listed'
    doc: |
      Complete record-sized slots after the last listed record. After a crash
      these can hold well-formed records that the header does not count yet.
  records:
    pos: header_size
    doc: |
      The message records, record n (1-based) at
      header_size + (n-1) * record_size.
    type:
      switch-on: minor_version
      cases:
        3: record_v3_v4
        4: record_v3_v4
        5: record_v5
        6: record_v6
        7: record_v7
        8: record_v8_v9
        9: record_v8_v9
        10: record_v10
        11: record_v11
        12: record_v12
        13: record_v13_v14
        14: record_v13_v14
        15: record_v15
        16: record_v16_v19
        17: record_v16_v19
        18: record_v16_v19
        19: record_v16_v19
        20: record_v20
    repeat: expr
    repeat-expr: num_records_listed
types:
  # ------------------------------------------------------------------ headers
  header_v3:
    doc: v3 header (Cyrus 1.6.23-2.1.3), 56 bytes, no CRC.
    seq:
      - id: generation_no
        type: u4
        doc: Cache generation; must equal the first u4 of cyrus.cache.
      - id: format
        type: u4
        doc: 0 = normal, 1 = netnews (unsupported since 2.x; anything but 0 is suspicious).
      - id: minor_version
        type: u4
        doc: Index minor version (3).
      - id: start_offset
        type: u4
        doc: Stated header size / offset of record 1 (should be 56).
      - id: record_size
        type: u4
        doc: Stated record size (should be 52).
      - id: num_records
        type: u4
        doc: '"exists": number of records (live messages) in the file.'
      - id: last_appenddate
        type: u4
        doc: Time of the last append, Unix seconds.
      - id: last_uid
        type: u4
        doc: Highest UID ever assigned in this mailbox.
      - id: quota_mailbox_used
        type: u4
        doc: Bytes used by the messages (32-bit in this version).
      - id: pop3_last_login
        type: u4
        doc: Time of the last POP3 login, Unix seconds.
      - id: uidvalidity
        type: u4
        doc: IMAP UIDVALIDITY (never 0).
      - id: deleted
        type: u4
        doc: Count of messages with \Deleted.
      - id: answered
        type: u4
        doc: Count of messages with \Answered.
      - id: flagged
        type: u4
        doc: Count of messages with \Flagged.

  header_v4:
    doc: v4 header (Cyrus 2.1.4-2.1.15, 2.2.0), 76 bytes, no CRC.
    seq:
      - id: generation_no
        type: u4
        doc: Cache generation; must equal the first u4 of cyrus.cache.
      - id: format
        type: u4
        doc: 0 = normal, 1 = netnews.
      - id: minor_version
        type: u4
        doc: Index minor version (4).
      - id: start_offset
        type: u4
        doc: Stated header size (should be 76).
      - id: record_size
        type: u4
        doc: Stated record size (should be 52).
      - id: num_records
        type: u4
        doc: '"exists": number of records (live messages) in the file.'
      - id: last_appenddate
        type: u4
        doc: Time of the last append, Unix seconds.
      - id: last_uid
        type: u4
        doc: Highest UID ever assigned.
      - id: quota_mailbox_used
        type: u4
        doc: Bytes used by the messages (32-bit in this version).
      - id: pop3_last_login
        type: u4
        doc: Time of the last POP3 login, Unix seconds.
      - id: uidvalidity
        type: u4
        doc: IMAP UIDVALIDITY.
      - id: deleted
        type: u4
        doc: Count of messages with \Deleted.
      - id: answered
        type: u4
        doc: Count of messages with \Answered.
      - id: flagged
        type: u4
        doc: Count of messages with \Flagged.
      - id: options
        type: u4
        doc: pop3_new_uidl (0/1), the forerunner of the options bit 0 POP3_NEW_UIDL.
      - id: spare0
        type: u4
        doc: Reserved, zero.
      - id: spare1
        type: u4
        doc: Reserved, zero.
      - id: spare2
        type: u4
        doc: Reserved, zero.
      - id: spare3
        type: u4
        doc: Reserved, zero.

  header_v5:
    doc: v5 header (Cyrus 2.2.1 only), 76 bytes, no CRC.
    seq:
      - id: generation_no
        type: u4
        doc: Cache generation; must equal the first u4 of cyrus.cache.
      - id: format
        type: u4
        doc: 0 = normal, 1 = netnews.
      - id: minor_version
        type: u4
        doc: Index minor version (5).
      - id: start_offset
        type: u4
        doc: Stated header size (should be 76).
      - id: record_size
        type: u4
        doc: Stated record size (should be 56).
      - id: num_records
        type: u4
        doc: '"exists": number of records (live messages) in the file.'
      - id: last_appenddate
        type: u4
        doc: Time of the last append, Unix seconds.
      - id: last_uid
        type: u4
        doc: Highest UID ever assigned.
      - id: quota_mailbox_used
        type: u4
        doc: Bytes used by the messages (32-bit in this version).
      - id: pop3_last_login
        type: u4
        doc: Time of the last POP3 login, Unix seconds.
      - id: uidvalidity
        type: u4
        doc: IMAP UIDVALIDITY.
      - id: deleted
        type: u4
        doc: Count of messages with \Deleted.
      - id: answered
        type: u4
        doc: Count of messages with \Answered.
      - id: flagged
        type: u4
        doc: Count of messages with \Flagged.
      - id: options
        type: u4
        doc: pop3_new_uidl (0/1), the forerunner of the options bit 0 POP3_NEW_UIDL.
      - id: leaked_cache_records
        type: u4
        doc: Superseded records still in cyrus.cache (until the next repack).
      - id: spare1
        type: u4
        doc: Reserved, zero.
      - id: spare2
        type: u4
        doc: Reserved, zero.
      - id: spare3
        type: u4
        doc: Reserved, zero.

  header_v6_v7:
    doc: |
      v6 header (Cyrus 2.1.16/2.1.18, 2.2.2-2.2.13) and v7 header (2.3.0-2.3.3),
      76 bytes, no CRC. From here quota_mailbox_used is 64-bit.
    seq:
      - id: generation_no
        type: u4
        doc: Cache generation; must equal the first u4 of cyrus.cache.
      - id: format
        type: u4
        doc: 0 = normal, 1 = netnews.
      - id: minor_version
        type: u4
        doc: Index minor version (6 or 7).
      - id: start_offset
        type: u4
        doc: Stated header size (should be 76).
      - id: record_size
        type: u4
        doc: Stated record size (should be 60 for v6, 72 for v7).
      - id: num_records
        type: u4
        doc: '"exists": number of records (live messages) in the file.'
      - id: last_appenddate
        type: u4
        doc: Time of the last append, Unix seconds.
      - id: last_uid
        type: u4
        doc: Highest UID ever assigned.
      - id: quota_mailbox_used
        type: u8
        doc: |
          Bytes used by the messages (64-bit). 2.2 wrote a zero "reserved" u4
          at 32 and a u4 at 36, which reads the same as this u8.
      - id: pop3_last_login
        type: u4
        doc: Time of the last POP3 login, Unix seconds.
      - id: uidvalidity
        type: u4
        doc: IMAP UIDVALIDITY.
      - id: deleted
        type: u4
        doc: Count of messages with \Deleted.
      - id: answered
        type: u4
        doc: Count of messages with \Answered.
      - id: flagged
        type: u4
        doc: Count of messages with \Flagged.
      - id: options
        type: u4
        doc: pop3_new_uidl (0/1); later bit 0 (POP3_NEW_UIDL) of options.
      - id: leaked_cache_records
        type: u4
        doc: Superseded records still in cyrus.cache.
      - id: spare0
        type: u4
        doc: Reserved, zero.
      - id: spare1
        type: u4
        doc: Reserved, zero.

  header_v8:
    doc: v8 header (Cyrus 2.3.4-2.3.6, CONDSTORE), 92 bytes, no CRC.
    seq:
      - id: generation_no
        type: u4
        doc: Cache generation; must equal the first u4 of cyrus.cache.
      - id: format
        type: u4
        doc: 0 = normal, 1 = netnews.
      - id: minor_version
        type: u4
        doc: Index minor version (8).
      - id: start_offset
        type: u4
        doc: Stated header size (should be 92).
      - id: record_size
        type: u4
        doc: Stated record size (should be 80).
      - id: num_records
        type: u4
        doc: '"exists": number of records (live messages) in the file.'
      - id: last_appenddate
        type: u4
        doc: Time of the last append, Unix seconds.
      - id: last_uid
        type: u4
        doc: Highest UID ever assigned.
      - id: quota_mailbox_used
        type: u8
        doc: Bytes used by the messages.
      - id: pop3_last_login
        type: u4
        doc: Time of the last POP3 login, Unix seconds.
      - id: uidvalidity
        type: u4
        doc: IMAP UIDVALIDITY.
      - id: deleted
        type: u4
        doc: Count of messages with \Deleted.
      - id: answered
        type: u4
        doc: Count of messages with \Answered.
      - id: flagged
        type: u4
        doc: Count of messages with \Flagged.
      - id: options
        type: u4
        doc: Option bits (0 POP3_NEW_UIDL, 1 IMAP_CONDSTORE, 2 SHAREDSEEN, 3 DUPDELIVER).
      - id: leaked_cache_records
        type: u4
        doc: Superseded records still in cyrus.cache.
      - id: highestmodseq
        type: u8
        doc: Highest modseq in the mailbox (not 8-aligned here).
      - id: spare0
        type: u4
        doc: Reserved, zero.
      - id: spare1
        type: u4
        doc: Reserved, zero.
      - id: spare2
        type: u4
        doc: Reserved, zero.
      - id: spare3
        type: u4
        doc: Reserved, zero.

  header_v9_v10:
    doc: |
      v9 header (Cyrus 2.3.7-2.3.9) and v10 header (2.3.10-2.3.20), 96 bytes,
      no CRC: v8 plus one spare word for 8-byte alignment.
    seq:
      - id: generation_no
        type: u4
        doc: Cache generation; must equal the first u4 of cyrus.cache.
      - id: format
        type: u4
        doc: 0 = normal, 1 = netnews.
      - id: minor_version
        type: u4
        doc: Index minor version (9 or 10).
      - id: start_offset
        type: u4
        doc: Stated header size (should be 96).
      - id: record_size
        type: u4
        doc: Stated record size (should be 80 for v9, 88 for v10).
      - id: num_records
        type: u4
        doc: '"exists": number of records (live messages) in the file.'
      - id: last_appenddate
        type: u4
        doc: Time of the last append, Unix seconds.
      - id: last_uid
        type: u4
        doc: Highest UID ever assigned.
      - id: quota_mailbox_used
        type: u8
        doc: Bytes used by the messages.
      - id: pop3_last_login
        type: u4
        doc: Time of the last POP3 login, Unix seconds.
      - id: uidvalidity
        type: u4
        doc: IMAP UIDVALIDITY.
      - id: deleted
        type: u4
        doc: Count of messages with \Deleted.
      - id: answered
        type: u4
        doc: Count of messages with \Answered.
      - id: flagged
        type: u4
        doc: Count of messages with \Flagged.
      - id: options
        type: u4
        doc: Option bits (0 POP3_NEW_UIDL, 1 IMAP_CONDSTORE, 2 SHAREDSEEN, 3 DUPDELIVER).
      - id: leaked_cache_records
        type: u4
        doc: Superseded records still in cyrus.cache.
      - id: highestmodseq
        type: u8
        doc: Highest modseq in the mailbox (not 8-aligned here).
      - id: spare0
        type: u4
        doc: Reserved, zero.
      - id: spare1
        type: u4
        doc: Reserved, zero.
      - id: spare2
        type: u4
        doc: Reserved, zero.
      - id: spare3
        type: u4
        doc: Reserved, zero.
      - id: spare4
        type: u4
        doc: Reserved, zero (padding to a multiple of 8).

  header_v11:
    doc: |
      v11 header (FastMail-internal only, never in a public release; master
      Cyrus refuses it), 96 bytes: the v10 layout with the last word replaced
      by a header CRC.
    seq:
      - id: generation_no
        type: u4
        doc: Cache generation; must equal the first u4 of cyrus.cache.
      - id: format
        type: u4
        doc: 0 = normal, 1 = netnews.
      - id: minor_version
        type: u4
        doc: Index minor version (11).
      - id: start_offset
        type: u4
        doc: Stated header size (should be 96).
      - id: record_size
        type: u4
        doc: Stated record size (should be 96).
      - id: num_records
        type: u4
        doc: Number of records in the file.
      - id: last_appenddate
        type: u4
        doc: Time of the last append, Unix seconds.
      - id: last_uid
        type: u4
        doc: Highest UID ever assigned.
      - id: quota_mailbox_used
        type: u8
        doc: Bytes used by the messages.
      - id: pop3_last_login
        type: u4
        doc: Time of the last POP3 login, Unix seconds.
      - id: uidvalidity
        type: u4
        doc: IMAP UIDVALIDITY.
      - id: deleted
        type: u4
        doc: Count of messages with \Deleted.
      - id: answered
        type: u4
        doc: Count of messages with \Answered.
      - id: flagged
        type: u4
        doc: Count of messages with \Flagged.
      - id: options
        type: u4
        doc: Option bits.
      - id: leaked_cache_records
        type: u4
        doc: Superseded records still in cyrus.cache.
      - id: highestmodseq
        type: u8
        doc: Highest modseq in the mailbox.
      - id: spare0
        type: u4
        doc: Reserved, zero.
      - id: spare1
        type: u4
        doc: Reserved, zero.
      - id: spare2
        type: u4
        doc: Reserved, zero.
      - id: spare3
        type: u4
        doc: Reserved, zero.
      - id: header_crc
        type: u4
        doc: CRC-32 (zlib) of header bytes 0-91.

  header_v12:
    doc: v12 header (Cyrus 2.4.x), 128 bytes, with header CRC.
    seq:
      - id: generation_no
        type: u4
        doc: Cache generation; must equal the first u4 of cyrus.cache.
      - id: format
        type: u4
        doc: 0 = normal (always in practice), 1 = netnews.
      - id: minor_version
        type: u4
        doc: Index minor version (12).
      - id: start_offset
        type: u4
        doc: Stated header size (should be 128).
      - id: record_size
        type: u4
        doc: Stated record size (should be 96).
      - id: num_records
        type: u4
        doc: Number of records in the file, EXPUNGED ones included.
      - id: last_appenddate
        type: u4
        doc: Time of the last append, Unix seconds.
      - id: last_uid
        type: u4
        doc: Highest UID ever assigned.
      - id: quota_mailbox_used
        type: u8
        doc: Bytes used by the live messages.
      - id: pop3_last_login
        type: u4
        doc: Time of the last POP3 login, Unix seconds.
      - id: uidvalidity
        type: u4
        doc: IMAP UIDVALIDITY (2.4.0 had a bug writing 0).
      - id: deleted
        type: u4
        doc: Count of live messages with \Deleted.
      - id: answered
        type: u4
        doc: Count of live messages with \Answered.
      - id: flagged
        type: u4
        doc: Count of live messages with \Flagged.
      - id: options
        type: u4
        doc: Option bits (0 POP3_NEW_UIDL, 2 SHAREDSEEN, 3 DUPDELIVER, 29 NEEDS_UNLINK, 30 NEEDS_REPACK, 31 DELETED).
      - id: leaked_cache_records
        type: u4
        doc: Superseded records still in cyrus.cache.
      - id: highestmodseq
        type: u8
        doc: Highest modseq in the mailbox.
      - id: deletedmodseq
        type: u8
        doc: Highest modseq of a record removed by a repack.
      - id: exists
        type: u4
        doc: Number of non-expunged records.
      - id: first_expunged
        type: u4
        doc: last_updated of the oldest expunged record, Unix seconds.
      - id: last_repack_time
        type: u4
        doc: Time of the last repack ("LastCleanup"), Unix seconds.
      - id: header_file_crc
        type: u4
        doc: CRC-32 of the whole cyrus.header file.
      - id: sync_crc
        type: u4
        doc: Sync CRC (XOR of per-record CRCs of the non-expunged records).
      - id: recentuid
        type: u4
        doc: The owner's \Recent high-water UID.
      - id: recenttime
        type: u4
        doc: Time recentuid was set, Unix seconds.
      - id: spare0
        type: u4
        doc: Reserved, zero.
      - id: spare1
        type: u4
        doc: Reserved, zero.
      - id: spare2
        type: u4
        doc: Reserved, zero.
      - id: header_crc
        type: u4
        doc: CRC-32 (zlib) of header bytes 0-123.

  header_v13:
    doc: v13 header (Cyrus 2.5.x, 3.0.x, 3.1.0-3.1.3), 128 bytes, with header CRC.
    seq:
      - id: generation_no
        type: u4
        doc: Cache generation; must equal the first u4 of cyrus.cache.
      - id: format
        type: u4
        doc: 0 = normal, 1 = netnews.
      - id: minor_version
        type: u4
        doc: Index minor version (13).
      - id: start_offset
        type: u4
        doc: Stated header size (should be 128).
      - id: record_size
        type: u4
        doc: Stated record size (should be 104).
      - id: num_records
        type: u4
        doc: Number of records in the file, EXPUNGED ones included.
      - id: last_appenddate
        type: u4
        doc: Time of the last append, Unix seconds.
      - id: last_uid
        type: u4
        doc: Highest UID ever assigned.
      - id: quota_mailbox_used
        type: u8
        doc: Bytes used by the live messages.
      - id: pop3_last_login
        type: u4
        doc: Time of the last POP3 login, Unix seconds.
      - id: uidvalidity
        type: u4
        doc: IMAP UIDVALIDITY.
      - id: deleted
        type: u4
        doc: Count of live messages with \Deleted.
      - id: answered
        type: u4
        doc: Count of live messages with \Answered.
      - id: flagged
        type: u4
        doc: Count of live messages with \Flagged.
      - id: options
        type: u4
        doc: Option bits.
      - id: leaked_cache_records
        type: u4
        doc: Superseded records still in cyrus.cache.
      - id: highestmodseq
        type: u8
        doc: Highest modseq in the mailbox.
      - id: deletedmodseq
        type: u8
        doc: Highest modseq of a record removed by a repack.
      - id: exists
        type: u4
        doc: Number of non-expunged records.
      - id: first_expunged
        type: u4
        doc: last_updated of the oldest expunged record, Unix seconds.
      - id: last_repack_time
        type: u4
        doc: Time of the last repack, Unix seconds.
      - id: header_file_crc
        type: u4
        doc: CRC-32 of the whole cyrus.header file.
      - id: sync_crc
        type: u4
        doc: Sync CRC (synccrcs.basic).
      - id: recentuid
        type: u4
        doc: The owner's \Recent high-water UID.
      - id: recenttime
        type: u4
        doc: Time recentuid was set, Unix seconds.
      - id: pop3_show_after
        type: u4
        doc: POP3 shows only messages after this time, Unix seconds.
      - id: quota_annot_used
        type: u4
        doc: Bytes used by annotations.
      - id: sync_crc_annot
        type: u4
        doc: Annotation sync CRC (synccrcs.annot).
      - id: header_crc
        type: u4
        doc: CRC-32 (zlib) of header bytes 0-123.

  header_v14_v15:
    doc: |
      v14 header (Cyrus 3.1.4 development release) and v15 header
      (development commits only), 160 bytes, with header CRC.
    seq:
      - id: generation_no
        type: u4
        doc: Cache generation; must equal the first u4 of cyrus.cache.
      - id: format
        type: u4
        doc: 0 = normal, 1 = netnews.
      - id: minor_version
        type: u4
        doc: Index minor version (14 or 15).
      - id: start_offset
        type: u4
        doc: Stated header size (should be 160).
      - id: record_size
        type: u4
        doc: Stated record size (should be 104).
      - id: num_records
        type: u4
        doc: Number of records in the file, EXPUNGED ones included.
      - id: last_appenddate
        type: u4
        doc: Time of the last append, Unix seconds.
      - id: last_uid
        type: u4
        doc: Highest UID ever assigned.
      - id: quota_mailbox_used
        type: u8
        doc: Bytes used by the live messages.
      - id: pop3_last_login
        type: u4
        doc: Time of the last POP3 login, Unix seconds.
      - id: uidvalidity
        type: u4
        doc: IMAP UIDVALIDITY.
      - id: deleted
        type: u4
        doc: Count of live messages with \Deleted.
      - id: answered
        type: u4
        doc: Count of live messages with \Answered.
      - id: flagged
        type: u4
        doc: Count of live messages with \Flagged.
      - id: options
        type: u4
        doc: Option bits.
      - id: leaked_cache_records
        type: u4
        doc: Superseded records still in cyrus.cache.
      - id: highestmodseq
        type: u8
        doc: Highest modseq in the mailbox.
      - id: deletedmodseq
        type: u8
        doc: Highest modseq of a record removed by a repack.
      - id: exists
        type: u4
        doc: Number of non-expunged records.
      - id: first_expunged
        type: u4
        doc: last_updated of the oldest expunged record, Unix seconds.
      - id: last_repack_time
        type: u4
        doc: Time of the last repack, Unix seconds.
      - id: header_file_crc
        type: u4
        doc: CRC-32 of the whole cyrus.header file.
      - id: sync_crc
        type: u4
        doc: Sync CRC (synccrcs.basic).
      - id: recentuid
        type: u4
        doc: The owner's \Recent high-water UID.
      - id: recenttime
        type: u4
        doc: Time recentuid was set, Unix seconds.
      - id: pop3_show_after
        type: u4
        doc: POP3 shows only messages after this time, Unix seconds.
      - id: quota_annot_used
        type: u4
        doc: Bytes used by annotations.
      - id: sync_crc_annot
        type: u4
        doc: Annotation sync CRC (synccrcs.annot).
      - id: unseen
        type: u4
        doc: Count of unseen messages.
      - id: spare
        size: 28
        doc: Reserved (7 words), zero.
      - id: header_crc
        type: u4
        doc: CRC-32 (zlib) of header bytes 0-155.

  header_v16:
    doc: v16 header (Cyrus 3.1.5-3.1.9, 3.2.x), 160 bytes, with header CRC.
    seq:
      - id: generation_no
        type: u4
        doc: Cache generation; must equal the first u4 of cyrus.cache.
      - id: format
        type: u4
        doc: 0 = normal, 1 = netnews.
      - id: minor_version
        type: u4
        doc: Index minor version (16).
      - id: start_offset
        type: u4
        doc: Stated header size (should be 160).
      - id: record_size
        type: u4
        doc: Stated record size (should be 112).
      - id: num_records
        type: u4
        doc: Number of records in the file, EXPUNGED ones included.
      - id: last_appenddate
        type: u4
        doc: Time of the last append, Unix seconds.
      - id: last_uid
        type: u4
        doc: Highest UID ever assigned.
      - id: quota_mailbox_used
        type: u8
        doc: Bytes used by the live messages.
      - id: pop3_last_login
        type: u4
        doc: Time of the last POP3 login, Unix seconds.
      - id: uidvalidity
        type: u4
        doc: IMAP UIDVALIDITY.
      - id: deleted
        type: u4
        doc: Count of live messages with \Deleted.
      - id: answered
        type: u4
        doc: Count of live messages with \Answered.
      - id: flagged
        type: u4
        doc: Count of live messages with \Flagged.
      - id: options
        type: u4
        doc: Option bits (4 = HAS_ALARMS from 3.2).
      - id: leaked_cache_records
        type: u4
        doc: Superseded records still in cyrus.cache.
      - id: highestmodseq
        type: u8
        doc: Highest modseq in the mailbox.
      - id: deletedmodseq
        type: u8
        doc: Highest modseq of a record removed by a repack.
      - id: exists
        type: u4
        doc: Number of non-expunged records.
      - id: first_expunged
        type: u4
        doc: last_updated of the oldest expunged record, Unix seconds.
      - id: last_repack_time
        type: u4
        doc: Time of the last repack, Unix seconds.
      - id: header_file_crc
        type: u4
        doc: CRC-32 of the whole cyrus.header file.
      - id: sync_crc
        type: u4
        doc: Sync CRC (synccrcs.basic).
      - id: recentuid
        type: u4
        doc: The owner's \Recent high-water UID.
      - id: recenttime
        type: u4
        doc: Time recentuid was set, Unix seconds.
      - id: pop3_show_after
        type: u4
        doc: POP3 shows only messages after this time, Unix seconds.
      - id: quota_annot_used
        type: u4
        doc: Bytes used by annotations.
      - id: sync_crc_annot
        type: u4
        doc: Annotation sync CRC (synccrcs.annot).
      - id: unseen
        type: u4
        doc: Count of unseen messages.
      - id: createdmodseq
        type: u8
        doc: Modseq at which the mailbox was created.
      - id: spare
        size: 20
        doc: Reserved (5 words), zero.
      - id: header_crc
        type: u4
        doc: CRC-32 (zlib) of header bytes 0-155.

  header_v17:
    doc: v17 header (Cyrus 3.3.x, 3.4.x, 3.6.x, 3.8.x), 160 bytes, with header CRC.
    seq:
      - id: generation_no
        type: u4
        doc: Cache generation; must equal the first u4 of cyrus.cache.
      - id: format
        type: u4
        doc: 0 = normal, 1 = netnews.
      - id: minor_version
        type: u4
        doc: Index minor version (17).
      - id: start_offset
        type: u4
        doc: Stated header size (should be 160).
      - id: record_size
        type: u4
        doc: Stated record size (should be 112).
      - id: num_records
        type: u4
        doc: Number of records in the file, EXPUNGED ones included.
      - id: last_appenddate
        type: u4
        doc: Time of the last append, Unix seconds.
      - id: last_uid
        type: u4
        doc: Highest UID ever assigned.
      - id: quota_mailbox_used
        type: u8
        doc: Bytes used by the live messages.
      - id: pop3_last_login
        type: u4
        doc: Time of the last POP3 login, Unix seconds.
      - id: uidvalidity
        type: u4
        doc: IMAP UIDVALIDITY.
      - id: deleted
        type: u4
        doc: Count of live messages with \Deleted.
      - id: answered
        type: u4
        doc: Count of live messages with \Answered.
      - id: flagged
        type: u4
        doc: Count of live messages with \Flagged.
      - id: options
        type: u4
        doc: Option bits.
      - id: leaked_cache_records
        type: u4
        doc: Superseded records still in cyrus.cache.
      - id: highestmodseq
        type: u8
        doc: Highest modseq in the mailbox.
      - id: deletedmodseq
        type: u8
        doc: Highest modseq of a record removed by a repack.
      - id: exists
        type: u4
        doc: Number of non-expunged records.
      - id: first_expunged
        type: u4
        doc: last_updated of the oldest expunged record, Unix seconds.
      - id: last_repack_time
        type: u4
        doc: Time of the last repack, Unix seconds.
      - id: header_file_crc
        type: u4
        doc: CRC-32 of the whole cyrus.header file.
      - id: sync_crc
        type: u4
        doc: Sync CRC (synccrcs.basic).
      - id: recentuid
        type: u4
        doc: The owner's \Recent high-water UID.
      - id: recenttime
        type: u4
        doc: Time recentuid was set, Unix seconds.
      - id: pop3_show_after
        type: u4
        doc: POP3 shows only messages after this time, Unix seconds.
      - id: quota_annot_used
        type: u4
        doc: Bytes used by annotations.
      - id: sync_crc_annot
        type: u4
        doc: Annotation sync CRC (synccrcs.annot).
      - id: unseen
        type: u4
        doc: Count of unseen messages.
      - id: createdmodseq
        type: u8
        doc: Modseq at which the mailbox was created.
      - id: changes_epoch
        type: u4
        doc: Start of the change history (JMAP), Unix seconds.
      - id: spare
        size: 16
        doc: Reserved (4 words), zero.
      - id: header_crc
        type: u4
        doc: CRC-32 (zlib) of header bytes 0-155.

  header_v18:
    doc: v18 header (development commits only, Jan-Mar 2023), 160 bytes, with header CRC.
    seq:
      - id: generation_no
        type: u4
        doc: Cache generation; must equal the first u4 of cyrus.cache.
      - id: format
        type: u4
        doc: 0 = normal, 1 = netnews.
      - id: minor_version
        type: u4
        doc: Index minor version (18).
      - id: start_offset
        type: u4
        doc: Stated header size (should be 160).
      - id: record_size
        type: u4
        doc: Stated record size (should be 112).
      - id: num_records
        type: u4
        doc: Number of records in the file, EXPUNGED ones included.
      - id: last_appenddate
        type: u4
        doc: Time of the last append, Unix seconds.
      - id: last_uid
        type: u4
        doc: Highest UID ever assigned.
      - id: quota_mailbox_used
        type: u8
        doc: Bytes used by the live messages.
      - id: pop3_last_login
        type: u4
        doc: Time of the last POP3 login, Unix seconds.
      - id: uidvalidity
        type: u4
        doc: IMAP UIDVALIDITY.
      - id: deleted
        type: u4
        doc: Count of live messages with \Deleted.
      - id: answered
        type: u4
        doc: Count of live messages with \Answered.
      - id: flagged
        type: u4
        doc: Count of live messages with \Flagged.
      - id: options
        type: u4
        doc: Option bits.
      - id: leaked_cache_records
        type: u4
        doc: Superseded records still in cyrus.cache.
      - id: highestmodseq
        type: u8
        doc: Highest modseq in the mailbox.
      - id: deletedmodseq
        type: u8
        doc: Highest modseq of a record removed by a repack.
      - id: exists
        type: u4
        doc: Number of non-expunged records.
      - id: first_expunged
        type: u4
        doc: last_updated of the oldest expunged record, Unix seconds.
      - id: last_repack_time
        type: u4
        doc: Time of the last repack, Unix seconds.
      - id: header_file_crc
        type: u4
        doc: CRC-32 of the whole cyrus.header file.
      - id: sync_crc
        type: u4
        doc: Sync CRC (synccrcs.basic).
      - id: recentuid
        type: u4
        doc: The owner's \Recent high-water UID.
      - id: recenttime
        type: u4
        doc: Time recentuid was set, Unix seconds.
      - id: pop3_show_after
        type: u4
        doc: POP3 shows only messages after this time, Unix seconds.
      - id: quota_annot_used
        type: u4
        doc: Bytes used by annotations.
      - id: sync_crc_annot
        type: u4
        doc: Annotation sync CRC (synccrcs.annot).
      - id: unseen
        type: u4
        doc: Count of unseen messages.
      - id: createdmodseq
        type: u8
        doc: Modseq at which the mailbox was created.
      - id: changes_epoch
        type: u4
        doc: Start of the change history (JMAP), Unix seconds.
      - id: quota_deleted_used
        type: u8
        doc: Bytes used by messages of deleted mailboxes (not 8-aligned here).
      - id: quota_expunged_used
        type: u8
        doc: Bytes used by expunged messages (not 8-aligned here).
      - id: header_crc
        type: u4
        doc: CRC-32 (zlib) of header bytes 0-155.

  header_v19:
    doc: |
      v19 header (Cyrus 3.10.x, 3.12.x), 160 bytes, with header CRC. Fields
      were moved so that every u8 is 8-aligned: exists is now at 60, options
      at 64.
    seq:
      - id: generation_no
        type: u4
        doc: Cache generation; must equal the first u4 of cyrus.cache.
      - id: format
        type: u4
        doc: 0 = normal, 1 = netnews.
      - id: minor_version
        type: u4
        doc: Index minor version (19).
      - id: start_offset
        type: u4
        doc: Stated header size (should be 160).
      - id: record_size
        type: u4
        doc: Stated record size (should be 112; buggy development builds wrote 144).
      - id: num_records
        type: u4
        doc: Number of records in the file, EXPUNGED ones included.
      - id: last_appenddate
        type: u4
        doc: Time of the last append, Unix seconds.
      - id: last_uid
        type: u4
        doc: Highest UID ever assigned.
      - id: quota_mailbox_used
        type: u8
        doc: Bytes used by the live messages.
      - id: pop3_last_login
        type: u4
        doc: Time of the last POP3 login, Unix seconds.
      - id: uidvalidity
        type: u4
        doc: IMAP UIDVALIDITY.
      - id: deleted
        type: u4
        doc: Count of live messages with \Deleted.
      - id: answered
        type: u4
        doc: Count of live messages with \Answered.
      - id: flagged
        type: u4
        doc: Count of live messages with \Flagged.
      - id: exists
        type: u4
        doc: Number of non-expunged records.
      - id: options
        type: u4
        doc: Option bits.
      - id: leaked_cache_records
        type: u4
        doc: Superseded records still in cyrus.cache.
      - id: highestmodseq
        type: u8
        doc: Highest modseq in the mailbox.
      - id: deletedmodseq
        type: u8
        doc: Highest modseq of a record removed by a repack.
      - id: first_expunged
        type: u4
        doc: last_updated of the oldest expunged record, Unix seconds.
      - id: last_repack_time
        type: u4
        doc: Time of the last repack, Unix seconds.
      - id: header_file_crc
        type: u4
        doc: CRC-32 of the whole cyrus.header file.
      - id: sync_crc
        type: u4
        doc: Sync CRC (synccrcs.basic).
      - id: recentuid
        type: u4
        doc: The owner's \Recent high-water UID.
      - id: recenttime
        type: u4
        doc: Time recentuid was set, Unix seconds.
      - id: pop3_show_after
        type: u4
        doc: POP3 shows only messages after this time, Unix seconds.
      - id: quota_annot_used
        type: u4
        doc: Bytes used by annotations.
      - id: sync_crc_annot
        type: u4
        doc: Annotation sync CRC (synccrcs.annot).
      - id: unseen
        type: u4
        doc: Count of unseen messages.
      - id: createdmodseq
        type: u8
        doc: Modseq at which the mailbox was created.
      - id: quota_deleted_used
        type: u8
        doc: Bytes used by messages of deleted mailboxes.
      - id: quota_expunged_used
        type: u8
        doc: Bytes used by expunged messages.
      - id: changes_epoch
        type: u4
        doc: Start of the change history (JMAP), Unix seconds.
      - id: header_crc
        type: u4
        doc: CRC-32 (zlib) of header bytes 0-155.

  header_v20:
    doc: |
      v20 header (Cyrus 3.13.1 and later), 192 bytes, with header CRC. Every
      time is a u8 of nanoseconds since the epoch (development builds before
      Aug 2025 wrote seconds: treat a value below about 10^11 as seconds).
      last_uid and uidvalidity moved to 88/92.
    seq:
      - id: generation_no
        type: u4
        doc: Cache generation; must equal the first u4 of cyrus.cache.
      - id: format
        type: u4
        doc: 0 = normal, 1 = netnews.
      - id: minor_version
        type: u4
        doc: Index minor version (20).
      - id: start_offset
        type: u4
        doc: Stated header size (should be 192).
      - id: record_size
        type: u4
        doc: Stated record size (should be 144).
      - id: num_records
        type: u4
        doc: Number of records in the file, EXPUNGED ones included.
      - id: last_appenddate
        type: u8
        doc: Time of the last append, nanoseconds since the epoch.
      - id: quota_mailbox_used
        type: u8
        doc: Bytes used by the live messages.
      - id: pop3_last_login
        type: u8
        doc: Time of the last POP3 login, nanoseconds since the epoch.
      - id: deleted
        type: u4
        doc: Count of live messages with \Deleted.
      - id: answered
        type: u4
        doc: Count of live messages with \Answered.
      - id: flagged
        type: u4
        doc: Count of live messages with \Flagged.
      - id: exists
        type: u4
        doc: Number of non-expunged records.
      - id: options
        type: u4
        doc: Option bits.
      - id: leaked_cache_records
        type: u4
        doc: Superseded records still in cyrus.cache.
      - id: highestmodseq
        type: u8
        doc: Highest modseq in the mailbox.
      - id: deletedmodseq
        type: u8
        doc: Highest modseq of a record removed by a repack.
      - id: last_uid
        type: u4
        doc: Highest UID ever assigned (moved here in v20).
      - id: uidvalidity
        type: u4
        doc: IMAP UIDVALIDITY (moved here in v20).
      - id: header_file_crc
        type: u4
        doc: CRC-32 of the whole cyrus.header file.
      - id: sync_crc
        type: u4
        doc: Sync CRC (synccrcs.basic).
      - id: recenttime
        type: u8
        doc: Time recentuid was set, nanoseconds since the epoch.
      - id: pop3_show_after
        type: u8
        doc: POP3 shows only messages after this time, nanoseconds since the epoch.
      - id: sync_crc_annot
        type: u4
        doc: Annotation sync CRC (synccrcs.annot).
      - id: unseen
        type: u4
        doc: Count of unseen messages.
      - id: createdmodseq
        type: u8
        doc: Modseq at which the mailbox was created.
      - id: quota_deleted_used
        type: u8
        doc: Bytes used by messages of deleted mailboxes.
      - id: quota_expunged_used
        type: u8
        doc: Bytes used by expunged messages.
      - id: quota_annot_used
        type: u8
        doc: Bytes used by annotations (64-bit from v20).
      - id: changes_epoch
        type: u8
        doc: Start of the change history (JMAP), nanoseconds since the epoch.
      - id: first_expunged
        type: u8
        doc: last_updated of the oldest expunged record, nanoseconds since the epoch.
      - id: last_repack_time
        type: u8
        doc: Time of the last repack, nanoseconds since the epoch.
      - id: recentuid
        type: u4
        doc: The owner's \Recent high-water UID.
      - id: header_crc
        type: u4
        doc: CRC-32 (zlib) of header bytes 0-187.

  # ------------------------------------------------------------------ records
  record_v3_v4:
    doc: v3/v4 record (Cyrus 1.6.23-2.2.0), 52 bytes, no CRC.
    seq:
      - id: uid
        type: u4
        doc: IMAP UID (> 0, strictly increasing); the message file is "<uid>.".
      - id: internaldate
        type: u4
        doc: IMAP INTERNALDATE (arrival time), Unix seconds.
      - id: sentdate
        type: u4
        doc: Date header cut down to the day, Unix seconds.
      - id: size
        type: u4
        doc: Size of the whole message file in bytes.
      - id: header_size
        type: u4
        doc: Size of the message header in bytes.
      - id: content_offset
        type: u4
        doc: Offset of the body in the message file (= header_size).
      - id: cache_offset
        type: u4
        doc: Offset of this message's record in cyrus.cache.
      - id: last_updated
        type: u4
        doc: Time this record last changed, Unix seconds.
      - id: system_flags
        type: u4
        doc: Bits 0 \Answered, 1 \Flagged, 2 \Deleted, 3 \Draft (\Seen lives in the seen DB).
      - id: user_flags
        type: u4
        repeat: expr
        repeat-expr: 4
        doc: 128 user flag bits; bit N is word N/32, mask 1<<(N%32); names in cyrus.header.

  record_v5:
    doc: v5 record (Cyrus 2.2.1), 56 bytes, no CRC.
    seq:
      - id: uid
        type: u4
        doc: IMAP UID.
      - id: internaldate
        type: u4
        doc: IMAP INTERNALDATE, Unix seconds.
      - id: sentdate
        type: u4
        doc: Date header cut down to the day, Unix seconds.
      - id: size
        type: u4
        doc: Size of the message file in bytes.
      - id: header_size
        type: u4
        doc: Size of the message header in bytes.
      - id: content_offset
        type: u4
        doc: Offset of the body (= header_size).
      - id: cache_offset
        type: u4
        doc: Offset of this message's record in cyrus.cache.
      - id: last_updated
        type: u4
        doc: Time this record last changed, Unix seconds.
      - id: system_flags
        type: u4
        doc: Bits 0 \Answered, 1 \Flagged, 2 \Deleted, 3 \Draft.
      - id: user_flags
        type: u4
        repeat: expr
        repeat-expr: 4
        doc: 128 user flag bits.
      - id: content_lines
        type: u4
        doc: Number of lines in the body.

  record_v6:
    doc: v6 record (Cyrus 2.1.16/2.1.18, 2.2.2-2.2.13), 60 bytes, no CRC.
    seq:
      - id: uid
        type: u4
        doc: IMAP UID.
      - id: internaldate
        type: u4
        doc: IMAP INTERNALDATE, Unix seconds.
      - id: sentdate
        type: u4
        doc: Date header cut down to the day, Unix seconds.
      - id: size
        type: u4
        doc: Size of the message file in bytes.
      - id: header_size
        type: u4
        doc: Size of the message header in bytes.
      - id: content_offset
        type: u4
        doc: Offset of the body (= header_size).
      - id: cache_offset
        type: u4
        doc: Offset of this message's record in cyrus.cache.
      - id: last_updated
        type: u4
        doc: Time this record last changed, Unix seconds.
      - id: system_flags
        type: u4
        doc: Bits 0 \Answered, 1 \Flagged, 2 \Deleted, 3 \Draft.
      - id: user_flags
        type: u4
        repeat: expr
        repeat-expr: 4
        doc: 128 user flag bits.
      - id: content_lines
        type: u4
        doc: Number of lines in the body.
      - id: cache_version
        type: u4
        doc: Version of the cache record format.

  record_v7:
    doc: v7 record (Cyrus 2.3.0-2.3.3), 72 bytes, no CRC.
    seq:
      - id: uid
        type: u4
        doc: IMAP UID.
      - id: internaldate
        type: u4
        doc: IMAP INTERNALDATE, Unix seconds.
      - id: sentdate
        type: u4
        doc: Date header cut down to the day, Unix seconds.
      - id: size
        type: u4
        doc: Size of the message file in bytes.
      - id: header_size
        type: u4
        doc: Size of the message header in bytes.
      - id: content_offset
        type: u4
        doc: Offset of the body (= header_size).
      - id: cache_offset
        type: u4
        doc: Offset of this message's record in cyrus.cache.
      - id: last_updated
        type: u4
        doc: Time this record last changed, Unix seconds.
      - id: system_flags
        type: u4
        doc: Bits 0 \Answered, 1 \Flagged, 2 \Deleted, 3 \Draft.
      - id: user_flags
        type: u4
        repeat: expr
        repeat-expr: 4
        doc: 128 user flag bits.
      - id: content_lines
        type: u4
        doc: Number of lines in the body.
      - id: cache_version
        type: u4
        doc: Version of the cache record format.
      - id: uuid
        size: 12
        doc: Opaque message UUID from the 2.3 replication "UUID master" (not a hash; usually zero).

  record_v8_v9:
    doc: v8/v9 record (Cyrus 2.3.4-2.3.9), 80 bytes, no CRC.
    seq:
      - id: uid
        type: u4
        doc: IMAP UID.
      - id: internaldate
        type: u4
        doc: IMAP INTERNALDATE, Unix seconds.
      - id: sentdate
        type: u4
        doc: Date header cut down to the day, Unix seconds.
      - id: size
        type: u4
        doc: Size of the message file in bytes.
      - id: header_size
        type: u4
        doc: Size of the message header in bytes.
      - id: content_offset
        type: u4
        doc: Offset of the body (= header_size).
      - id: cache_offset
        type: u4
        doc: Offset of this message's record in cyrus.cache.
      - id: last_updated
        type: u4
        doc: Time this record last changed, Unix seconds.
      - id: system_flags
        type: u4
        doc: Bits 0 \Answered, 1 \Flagged, 2 \Deleted, 3 \Draft.
      - id: user_flags
        type: u4
        repeat: expr
        repeat-expr: 4
        doc: 128 user flag bits.
      - id: content_lines
        type: u4
        doc: Number of lines in the body.
      - id: cache_version
        type: u4
        doc: Version of the cache record format.
      - id: uuid
        size: 12
        doc: Opaque message UUID from the 2.3 replication "UUID master" (usually zero).
      - id: modseq
        type: u8
        doc: CONDSTORE modification sequence of this record (>= 1).

  record_v10:
    doc: |
      v10 record (Cyrus 2.3.10-2.3.20), 88 bytes, no CRC. The 12-byte UUID
      became a 20-byte GUID (SHA-1 only with guid_mode=sha1; often zero or an
      upgraded UUID padded with 8 zero bytes).
    seq:
      - id: uid
        type: u4
        doc: IMAP UID.
      - id: internaldate
        type: u4
        doc: IMAP INTERNALDATE, Unix seconds.
      - id: sentdate
        type: u4
        doc: Date header cut down to the day, Unix seconds.
      - id: size
        type: u4
        doc: Size of the message file in bytes.
      - id: header_size
        type: u4
        doc: Size of the message header in bytes.
      - id: content_offset
        type: u4
        doc: Offset of the body (= header_size).
      - id: cache_offset
        type: u4
        doc: Offset of this message's record in cyrus.cache.
      - id: last_updated
        type: u4
        doc: Time this record last changed, Unix seconds.
      - id: system_flags
        type: u4
        doc: Bits 0 \Answered, 1 \Flagged, 2 \Deleted, 3 \Draft.
      - id: user_flags
        type: u4
        repeat: expr
        repeat-expr: 4
        doc: 128 user flag bits.
      - id: content_lines
        type: u4
        doc: Number of lines in the body.
      - id: cache_version
        type: u4
        doc: Version of the cache record format.
      - id: guid
        size: 20
        doc: Message GUID (SHA-1 of the message file when set).
      - id: modseq
        type: u8
        doc: CONDSTORE modification sequence of this record.

  record_v11:
    doc: v11 record (FastMail-internal only), 96 bytes, with record CRC.
    seq:
      - id: uid
        type: u4
        doc: IMAP UID.
      - id: internaldate
        type: u4
        doc: IMAP INTERNALDATE, Unix seconds.
      - id: sentdate
        type: u4
        doc: Date header cut down to the day, Unix seconds.
      - id: size
        type: u4
        doc: Size of the message file in bytes.
      - id: header_size
        type: u4
        doc: Size of the message header in bytes.
      - id: content_offset
        type: u4
        doc: Offset of the body (= header_size).
      - id: cache_offset
        type: u4
        doc: Offset of this message's record in cyrus.cache.
      - id: last_updated
        type: u4
        doc: Time this record last changed, Unix seconds.
      - id: system_flags
        type: u4
        doc: System flag bits.
      - id: user_flags
        type: u4
        repeat: expr
        repeat-expr: 4
        doc: 128 user flag bits.
      - id: content_lines
        type: u4
        doc: Number of lines in the body.
      - id: cache_version
        type: u4
        doc: Version of the cache record format.
      - id: guid
        size: 20
        doc: Message GUID (SHA-1 of the message file).
      - id: modseq
        type: u8
        doc: Modification sequence of this record.
      - id: cache_crc
        type: u4
        doc: CRC-32 of the whole cache record at cache_offset.
      - id: record_crc
        type: u4
        doc: CRC-32 (zlib) of record bytes 0-91.

  record_v12:
    doc: v12 record (Cyrus 2.4.x), 96 bytes, with record CRC.
    seq:
      - id: uid
        type: u4
        doc: IMAP UID.
      - id: internaldate
        type: u4
        doc: IMAP INTERNALDATE, Unix seconds.
      - id: sentdate
        type: u4
        doc: Date header cut down to the day, Unix seconds.
      - id: size
        type: u4
        doc: Size of the message file in bytes.
      - id: header_size
        type: u4
        doc: Size of the message header in bytes.
      - id: gmtime
        type: u4
        doc: Full Date header in UTC, Unix seconds (this slot was content_offset before v12).
      - id: cache_offset
        type: u4
        doc: Offset of this message's record in cyrus.cache.
      - id: last_updated
        type: u4
        doc: Time this record last changed, Unix seconds.
      - id: system_flags
        type: u4
        doc: |
          Bits 0 \Answered, 1 \Flagged, 2 \Deleted, 3 \Draft, 4 \Seen,
          30 UNLINKED, 31 EXPUNGED.
      - id: user_flags
        type: u4
        repeat: expr
        repeat-expr: 4
        doc: 128 user flag bits.
      - id: content_lines
        type: u4
        doc: Number of lines in the body (0xFFFFFFFF = unknown after an upgrade).
      - id: cache_version
        type: u4
        doc: Version of the cache record format.
      - id: guid
        size: 20
        doc: Message GUID, the SHA-1 of the message file.
      - id: modseq
        type: u8
        doc: Modification sequence of this record.
      - id: cache_crc
        type: u4
        doc: CRC-32 of the whole cache record at cache_offset.
      - id: record_crc
        type: u4
        doc: CRC-32 (zlib) of record bytes 0-91.
    instances:
      is_expunged:
        value: (system_flags & 0x80000000) != 0
        doc: EXPUNGED flag (bit 31).
      is_unlinked:
        value: (system_flags & 0x40000000) != 0
        doc: UNLINKED flag (bit 30); the message file was already removed.

  record_v13_v14:
    doc: v13 record (Cyrus 2.5.x, 3.0.x) and v14 record (3.1.4), 104 bytes, with record CRC.
    seq:
      - id: uid
        type: u4
        doc: IMAP UID.
      - id: internaldate
        type: u4
        doc: IMAP INTERNALDATE, Unix seconds.
      - id: sentdate
        type: u4
        doc: Date header cut down to the day, Unix seconds.
      - id: size
        type: u4
        doc: Size of the message file in bytes.
      - id: header_size
        type: u4
        doc: Size of the message header in bytes.
      - id: gmtime
        type: u4
        doc: Full Date header in UTC, Unix seconds.
      - id: cache_offset
        type: u4
        doc: Offset of this message's record in cyrus.cache.
      - id: last_updated
        type: u4
        doc: Time this record last changed, Unix seconds.
      - id: system_flags
        type: u4
        doc: |
          Bits 0 \Answered, 1 \Flagged, 2 \Deleted, 3 \Draft, 4 \Seen,
          28 NEEDS_CLEANUP, 29 ARCHIVED (3.0), 30 UNLINKED, 31 EXPUNGED.
      - id: user_flags
        type: u4
        repeat: expr
        repeat-expr: 4
        doc: 128 user flag bits.
      - id: content_lines
        type: u4
        doc: Number of lines in the body.
      - id: cache_version
        type: u4
        doc: Version of the cache record format.
      - id: guid
        size: 20
        doc: Message GUID, the SHA-1 of the message file.
      - id: modseq
        type: u8
        doc: Modification sequence of this record.
      - id: cid
        type: u8
        doc: Conversation (thread) id.
      - id: cache_crc
        type: u4
        doc: CRC-32 of the whole cache record at cache_offset.
      - id: record_crc
        type: u4
        doc: CRC-32 (zlib) of record bytes 0-99.
    instances:
      is_expunged:
        value: (system_flags & 0x80000000) != 0
        doc: EXPUNGED flag (bit 31).
      is_unlinked:
        value: (system_flags & 0x40000000) != 0
        doc: UNLINKED flag (bit 30).

  record_v15:
    doc: v15 record (development commits only), 104 bytes; as v13 but offset 52 is savedate.
    seq:
      - id: uid
        type: u4
        doc: IMAP UID.
      - id: internaldate
        type: u4
        doc: IMAP INTERNALDATE, Unix seconds.
      - id: sentdate
        type: u4
        doc: Date header cut down to the day, Unix seconds.
      - id: size
        type: u4
        doc: Size of the message file in bytes.
      - id: header_size
        type: u4
        doc: Size of the message header in bytes.
      - id: gmtime
        type: u4
        doc: Full Date header in UTC, Unix seconds.
      - id: cache_offset
        type: u4
        doc: Offset of this message's record in cyrus.cache (low 32 bits).
      - id: last_updated
        type: u4
        doc: Time this record last changed, Unix seconds.
      - id: system_flags
        type: u4
        doc: System flag bits (see record_v13_v14).
      - id: user_flags
        type: u4
        repeat: expr
        repeat-expr: 4
        doc: 128 user flag bits.
      - id: savedate
        type: u4
        doc: Time the message was saved into this mailbox, Unix seconds.
      - id: cache_version
        type: u4
        doc: Low 16 bits cache record version; high 16 bits cache_offset bits 32-47.
      - id: guid
        size: 20
        doc: Message GUID, the SHA-1 of the message file.
      - id: modseq
        type: u8
        doc: Modification sequence of this record.
      - id: cid
        type: u8
        doc: Conversation (thread) id.
      - id: cache_crc
        type: u4
        doc: CRC-32 of the whole cache record at cache_offset.
      - id: record_crc
        type: u4
        doc: CRC-32 (zlib) of record bytes 0-99.
    instances:
      is_expunged:
        value: (system_flags & 0x80000000) != 0
        doc: EXPUNGED flag (bit 31).

  record_v16_v19:
    doc: |
      v16-v19 record (Cyrus 3.1.5 to 3.12.x), 112 bytes, with record CRC.
      The high 16 bits of the cache_version word hold cache_offset bits 32-47.
    seq:
      - id: uid
        type: u4
        doc: IMAP UID.
      - id: internaldate
        type: u4
        doc: IMAP INTERNALDATE, Unix seconds.
      - id: sentdate
        type: u4
        doc: Date header cut down to the day, Unix seconds.
      - id: size
        type: u4
        doc: Size of the message file in bytes.
      - id: header_size
        type: u4
        doc: Size of the message header in bytes.
      - id: gmtime
        type: u4
        doc: Full Date header in UTC, Unix seconds.
      - id: cache_offset
        type: u4
        doc: Offset of this message's record in cyrus.cache (low 32 bits).
      - id: last_updated
        type: u4
        doc: Time this record last changed, Unix seconds.
      - id: system_flags
        type: u4
        doc: |
          Bits 0 \Answered, 1 \Flagged, 2 \Deleted, 3 \Draft, 4 \Seen,
          26 SNOOZED, 27 SPLITCONVERSATION, 28 NEEDS_CLEANUP, 29 ARCHIVED,
          30 UNLINKED, 31 EXPUNGED.
      - id: user_flags
        type: u4
        repeat: expr
        repeat-expr: 4
        doc: 128 user flag bits.
      - id: savedate
        type: u4
        doc: Time the message was saved into this mailbox, Unix seconds.
      - id: cache_version
        type: u4
        doc: Low 16 bits cache record version; high 16 bits cache_offset bits 32-47.
      - id: guid
        size: 20
        doc: Message GUID, the SHA-1 of the message file.
      - id: modseq
        type: u8
        doc: Modification sequence of this record.
      - id: cid
        type: u8
        doc: Conversation (thread) id.
      - id: createdmodseq
        type: u8
        doc: Modseq at which the record was created.
      - id: cache_crc
        type: u4
        doc: CRC-32 of the whole cache record at the full cache offset.
      - id: record_crc
        type: u4
        doc: CRC-32 (zlib) of record bytes 0-107.
    instances:
      cache_record_version:
        value: cache_version % 65536
        doc: The cache record version (low 16 bits of cache_version).
      cache_offset_full:
        value: cache_offset + (cache_version / 65536) * 4294967296
        doc: The 48-bit offset of the cache record.
      is_expunged:
        value: (system_flags & 0x80000000) != 0
        doc: EXPUNGED flag (bit 31).
      is_unlinked:
        value: (system_flags & 0x40000000) != 0
        doc: UNLINKED flag (bit 30); the message file was already removed.

  record_v20:
    doc: |
      v20 record (Cyrus 3.13.1 and later), 144 bytes, with record CRC. Every
      time is a u8 of nanoseconds since the epoch.
    seq:
      - id: uid
        type: u4
        doc: IMAP UID.
      - id: cache_offset
        type: u4
        doc: Offset of this message's record in cyrus.cache (low 32 bits).
      - id: internaldate
        type: u8
        doc: IMAP INTERNALDATE, nanoseconds since the epoch.
      - id: sentdate
        type: u8
        doc: Date header cut down to the day, nanoseconds since the epoch.
      - id: size
        type: u8
        doc: Size of the message file in bytes (64-bit from v20).
      - id: header_size
        type: u4
        doc: Size of the message header in bytes.
      - id: system_flags
        type: u4
        doc: System flag bits (lower 16) and internal flags (upper 16), as in v16.
      - id: user_flags
        type: u4
        repeat: expr
        repeat-expr: 4
        doc: 128 user flag bits.
      - id: cache_version
        type: u4
        doc: Low 16 bits cache record version; high 16 bits cache_offset bits 32-47.
      - id: guid
        size: 20
        doc: Message GUID, the SHA-1 of the message file.
      - id: modseq
        type: u8
        doc: Modification sequence of this record.
      - id: cid
        type: u8
        doc: Conversation (thread) id.
      - id: createdmodseq
        type: u8
        doc: Modseq at which the record was created.
      - id: gmtime
        type: u8
        doc: Full Date header in UTC, nanoseconds since the epoch.
      - id: last_updated
        type: u8
        doc: Time this record last changed, nanoseconds since the epoch.
      - id: savedate
        type: u8
        doc: Time the message was saved into this mailbox, nanoseconds since the epoch.
      - id: basecid
        type: u8
        doc: Conversation id before a split (earlier kept in an annotation).
      - id: cache_crc
        type: u4
        doc: CRC-32 of the whole cache record at the full cache offset.
      - id: record_crc
        type: u4
        doc: CRC-32 (zlib) of record bytes 0-139.
    instances:
      cache_record_version:
        value: cache_version % 65536
        doc: The cache record version (low 16 bits of cache_version).
      cache_offset_full:
        value: cache_offset + (cache_version / 65536) * 4294967296
        doc: The 48-bit offset of the cache record.
      is_expunged:
        value: (system_flags & 0x80000000) != 0
        doc: EXPUNGED flag (bit 31).
      is_unlinked:
        value: (system_flags & 0x40000000) != 0
        doc: UNLINKED flag (bit 30).
