meta:
  id: cyrus_cache
  title: Cyrus IMAP mailbox cache (cyrus.cache)
  application: Cyrus IMAP server
  file-extension: cache
  endian: be
doc: |
  The per-mailbox cache of a Cyrus IMAP spool: one u4 generation number, then
  cache records back to back until the end of the file. There is no magic and
  no per-record header. Each record is exactly 10 items (envelope,
  bodystructure, body, section, headers, from, to, cc, bcc, subject), each a
  u4 length, that many bytes, and 0-3 zero bytes of padding to a 4-byte
  boundary.

  Index records point at a cache record by its absolute file offset
  (cache_offset = the offset of item 0's length word). Records are appended
  in any order, and superseded ("leaked") records stay in the file until a
  repack, so records that no index record references are normal.

  The index record's cache_crc (index v12 and later) is the CRC-32 (zlib) of
  a whole cache record: all 10 length words, data and padding. Not checked
  here.
seq:
  - id: generation
    type: u4
    doc: |
      Cache generation; must equal generation_no in cyrus.index. A lower
      value than the index's means a stale or orphaned cache (see
      cyrus.cache.NEW).
  - id: records
    type: cache_record
    repeat: eos
    doc: Cache records, from offset 4 to the end of the file.
types:
  cache_record:
    doc: One message's cached data, 10 items in fixed order.
    seq:
      - id: items
        type: cache_item
        repeat: expr
        repeat-expr: 10
        doc: |
          0 ENVELOPE, 1 BODYSTRUCTURE, 2 BODY, 3 SECTION, 4 HEADERS, 5 FROM,
          6 TO, 7 CC, 8 BCC, 9 SUBJECT.
    instances:
      envelope:
        value: items[0]
        doc: IMAP ENVELOPE text.
      bodystructure:
        value: items[1]
        doc: IMAP BODYSTRUCTURE (extensible) text.
      body:
        value: items[2]
        doc: IMAP BODY (non-extensible) text.
      section:
        value: items[3]
        doc: |
          Binary MIME part map (a tree of u4 words: offsets and sizes of each
          part's header and content, encoding and charset; layout depends on
          the index record's cache_version).
      headers:
        value: items[4]
        doc: |
          The header fields Cyrus chose to cache, CRLF-terminated lines (not
          the full header: From/To/Date/Subject/Received... are not here).
      from:
        value: items[5]
        doc: Search form of the From addresses.
      to:
        value: items[6]
        doc: Search form of the To addresses.
      cc:
        value: items[7]
        doc: Search form of the Cc addresses.
      bcc:
        value: items[8]
        doc: Search form of the Bcc addresses.
      subject:
        value: items[9]
        doc: Decoded Subject.
  cache_item:
    doc: One length-prefixed, 4-byte-padded item.
    seq:
      - id: len
        type: u4
        doc: Length of the data in bytes (without padding).
      - id: data
        size: len
        doc: The item's bytes (not NUL-terminated).
      - id: padding
        size: (4 - len % 4) % 4
        doc: 0-3 zero bytes up to the next 4-byte boundary.
