#!/usr/bin/env node
// Self-check of formats/cyrus_index.ksy for every minor version 3..20, without
// spoolsalvage: builds a synthetic index per version (minor at 8, num_records
// 3 at 20, every other byte 0xFF, room for only 2.5 records) and checks that
// * readout.js parses it (its own checks: each header/record type is exactly
//   the table's size, each u8 is re-read exactly),
// * 2 records are listed, at the table's offsets,
// * every field name is one of the names of the `dump --json` contract,
// * 8-byte fields are printed exactly (0xFF.. = 18446744073709551615).
//
// Usage: node selfcheck.js GEN_DIR TMP_DIR   (NODE_PATH must find the runtime)
'use strict';
const fs = require('fs');
const path = require('path');
const { readout: readFile } = require('./readout.js');

const HEADER_NAMES = new Set(('generation_no format minor_version start_offset record_size num_records ' +
  'last_appenddate last_uid quota_mailbox_used pop3_last_login uidvalidity deleted answered flagged ' +
  'options leaked_cache_records highestmodseq deletedmodseq exists first_expunged last_repack_time ' +
  'header_file_crc sync_crc recentuid recenttime pop3_show_after quota_annot_used sync_crc_annot unseen ' +
  'createdmodseq changes_epoch quota_deleted_used quota_expunged_used header_crc').split(' '));
const RECORD_NAMES = new Set(('uid internaldate sentdate size header_size content_offset gmtime ' +
  'cache_offset last_updated system_flags user_flags content_lines cache_version uuid guid modseq cid ' +
  'createdmodseq savedate basecid cache_crc record_crc').split(' '));
const MAX_U64 = '18446744073709551615';

const [gen, tmp] = process.argv.slice(2);
if (!gen || !tmp) {
  process.stderr.write('usage: selfcheck.js GEN_DIR TMP_DIR\n');
  process.exit(2);
}
fs.mkdirSync(tmp, { recursive: true });
let failures = 0;
const fail = (m) => { failures++; process.stdout.write(`FAIL: ${m}\n`); };

for (let minor = 3; minor <= 20; minor++) {
  // Generous buffer first, to learn the sizes from the parser itself.
  const probe = Buffer.alloc(4096, 0xff);
  probe.writeUInt32BE(minor, 8);
  probe.writeUInt32BE(3, 20);
  const file = path.join(tmp, `v${minor}.index`);
  fs.writeFileSync(file, probe);
  const readout = (f) => readFile(gen, f, 'index');
  let j;
  try {
    j = readout(file);
  } catch (e) {
    fail(`v${minor}: readout failed: ${e.message}`);
    continue;
  }
  const hsize = j.records[0].offset;
  const rsize = j.records[1].offset - j.records[0].offset;
  // Now a file that holds 2.5 records although the header says 3.
  const buf = probe.subarray(0, hsize + 2 * rsize + Math.floor(rsize / 2));
  fs.writeFileSync(file, buf);
  try {
    j = readout(file);
  } catch (e) {
    fail(`v${minor}: readout of the truncated file failed: ${e.message}`);
    continue;
  }
  if (j.header.minor_version !== minor) fail(`v${minor}: minor_version ${j.header.minor_version}`);
  if (j.header.fields.num_records !== 3) fail(`v${minor}: num_records not read at offset 20`);
  if (j.records.length !== 2) fail(`v${minor}: ${j.records.length} records listed, want 2 (the complete ones)`);
  for (const n of Object.keys(j.header.fields)) if (!HEADER_NAMES.has(n)) fail(`v${minor}: header field ${n} is not in the contract`);
  j.records.forEach((r, i) => {
    if (r.recno !== i + 1 || r.offset !== hsize + i * rsize) fail(`v${minor}: record ${i + 1} at ${r.offset}`);
    for (const [n, v] of Object.entries(r.fields)) {
      if (!RECORD_NAMES.has(n)) fail(`v${minor}: record field ${n} is not in the contract`);
      if (typeof v === 'string' && /^[0-9]+$/.test(v) && v !== MAX_U64) fail(`v${minor}: ${n} = ${v}, want ${MAX_U64}`);
    }
  });
  const u8s = Object.values(j.header.fields).filter((v) => typeof v === 'string');
  if (u8s.some((v) => v !== MAX_U64)) fail(`v${minor}: a header u8 is not exact`);
  process.stdout.write(`ok: v${minor} header ${hsize} bytes, record ${rsize} bytes, ` +
    `${Object.keys(j.header.fields).length} header fields, ${Object.keys(j.records[0].fields).length} record fields\n`);
}
process.exit(failures ? 1 : 0);
