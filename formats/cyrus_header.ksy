meta:
  id: cyrus_header
  title: Cyrus IMAP mailbox header (cyrus.header)
  application: Cyrus IMAP server
  file-extension: header
  endian: be
doc: |
  The per-mailbox header file of a Cyrus IMAP spool. It starts with the same
  magic in every version: the 4 bytes A1 02 8B 0D, then three fixed text
  lines ("Cyrus mailbox header", a quote, and its attribution), the first of
  which begins right after the 4 binary bytes.

  Line 4 then comes in one of two forms:

  * old text form (Cyrus 2.x up to 3.4): line 4 is
    `quotaroot TAB uniqueid` (quotaroot may be empty; an ancient header has
    no TAB and no uniqueid), line 5 the user-flag names each followed by one
    space (token N names user flag bit N; an empty token is an unused slot),
    line 6 the ACL as `id TAB rights TAB ...` with a trailing TAB.
  * dlist form (3.6 and later): line 4 starts with `%` and is one dlist
    key/value list, e.g. `%(T e N user.fred I <uniqueid> Q user.fred
    A %(fred lrswipkxtecdan) U ($Label1 NIL Junk))` with T mailbox type,
    N the mailbox's own internal name, I uniqueid, J JMAP id, Q quotaroot,
    A the ACL, U the user flags (NIL = unused slot).

  index header_file_crc (v12 and later) is the CRC-32 (zlib) of the whole file.
seq:
  - id: magic
    contents: [0xa1, 0x02, 0x8b, 0x0d]
    doc: Binary magic, shared with twoskip and skiplist files.
  - id: line1
    contents: "Cyrus mailbox header\n"
    doc: Fixed text, the rest of line 1 after the magic.
  - id: line2
    contents: "\"The best thing about this system was that it had lots of goals.\"\n"
    doc: Fixed text, line 2.
  - id: line3
    contents: "\t--Jim Morris on Andrew\n"
    doc: Fixed text, line 3.
  - id: line4
    terminator: 10
    eos-error: false
    doc: |
      Line 4 without its LF, raw bytes: `quotaroot TAB uniqueid` in the text
      form, or a dlist starting with `%` in the dlist form. Cyrus reads only
      up to the first LF, so a dlist literal containing LF breaks it.
  - id: flags
    terminator: 10
    eos-error: false
    if: not is_dlist
    doc: |
      Text form only, line 5: user-flag names, each followed by one space;
      token N (split on single spaces) names user flag bit N, an empty token
      is an unused slot.
  - id: acl
    terminator: 10
    eos-error: false
    if: not is_dlist
    doc: |
      Text form only, line 6: the ACL as identifier TAB rights TAB ...
      (trailing TAB).
instances:
  is_dlist:
    value: line4.size > 0 and line4[0] == 0x25
    doc: True for the 3.6+ dlist form (line 4 starts with '%').
