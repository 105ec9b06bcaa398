#!/usr/bin/env node
// Compares the Kaitai reading of a file (readout.js) with spoolsalvage's
// `dump --json` of the same file, field by field.
//
// Usage: node compare.js LABEL KAITAI.json SPOOLSALVAGE.json
// Exit 0 when equal, 1 with one line per difference otherwise. crosscheck.js
// uses the same rules for many files in one process.
//
// Only the keys of the `dump --json` contract are compared; other keys that
// either side prints (CRC verdicts, layout notes, findings...) are ignored:
// * cyrus.index: format, size, header.{minor_version, fields}, and per record
//   recno, offset, past_num_records, fields; spoolsalvage's records with
//   past_num_records: true (slots after num_records) are skipped.
// * cyrus.cache: format, size, generation, per record offset, length and
//   items[].{name, length, sha1}.
// * cyrus.header: format, size, magic_ok, form, line4.
// Values must be equal in type too (an 8-byte integer is a decimal string on
// both sides); object key order does not matter.
'use strict';
const fs = require('fs');

const MAX_LINES = 40;

function typeName(v) {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

function show(v) {
  const s = JSON.stringify(v);
  return s === undefined ? '(absent)' : s.length > 80 ? s.slice(0, 77) + '...' : s;
}

// Deep comparison; pushes "path: what" lines onto `diffs`.
function diff(a, b, where, diffs) {
  const ta = typeName(a), tb = typeName(b);
  if (ta !== tb) {
    diffs.push(`${where}: kaitai ${show(a)} vs spoolsalvage ${show(b)}`);
    return;
  }
  if (ta === 'array') {
    if (a.length !== b.length) diffs.push(`${where}: kaitai has ${a.length} entries, spoolsalvage ${b.length}`);
    for (let i = 0; i < Math.min(a.length, b.length); i++) diff(a[i], b[i], `${where}[${i}]`, diffs);
    return;
  }
  if (ta === 'object') {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    for (const k of keys) {
      if (!(k in a)) diffs.push(`${where}.${k}: only spoolsalvage has it (${show(b[k])})`);
      else if (!(k in b)) diffs.push(`${where}.${k}: only kaitai has it (${show(a[k])})`);
      else diff(a[k], b[k], `${where}.${k}`, diffs);
    }
    return;
  }
  if (a !== b) diffs.push(`${where}: kaitai ${show(a)} vs spoolsalvage ${show(b)}`);
}

function pick(obj, keys) {
  const out = {};
  for (const k of keys) if (obj && k in obj) out[k] = obj[k];
  return out;
}

// The contract part of a dump: only these keys are compared; anything else
// either side prints (spoolsalvage's CRC verdicts, layout notes, findings...)
// is ignored.
const indexRecord = (r) => pick(r, ['recno', 'offset', 'past_num_records', 'fields']);
const cacheRecord = (r) => ({ ...pick(r, ['offset', 'length']),
  ...(r && Array.isArray(r.items) ? { items: r.items.map((it) => pick(it, ['name', 'length', 'sha1'])) } : {}) });

function compareIndex(k, s, diffs) {
  diff(pick(k, ['format', 'size']), pick(s, ['format', 'size']), 'file', diffs);
  diff(pick(k.header, ['minor_version', 'fields']), pick(s.header, ['minor_version', 'fields']), 'header', diffs);
  const srecs = (s.records || []).filter((r) => !(r && r.past_num_records === true));
  const krecs = k.records || [];
  if (krecs.length !== srecs.length) {
    diffs.push(`records: kaitai lists ${krecs.length} within num_records, spoolsalvage ${srecs.length}`);
  }
  for (let i = 0; i < Math.min(krecs.length, srecs.length); i++) {
    diff(indexRecord(krecs[i]), indexRecord(srecs[i]), `record ${krecs[i].recno} (at offset ${krecs[i].offset})`, diffs);
  }
}

function compareCache(k, s, diffs) {
  diff(pick(k, ['format', 'size', 'generation']), pick(s, ['format', 'size', 'generation']), 'file', diffs);
  const kr = k.records || [], sr = s.records || [];
  if (kr.length !== sr.length) diffs.push(`records: kaitai has ${kr.length}, spoolsalvage ${sr.length}`);
  for (let i = 0; i < Math.min(kr.length, sr.length); i++) {
    diff(cacheRecord(kr[i]), cacheRecord(sr[i]), `cache record ${i + 1} (at offset ${kr[i].offset})`, diffs);
  }
}

function compareHeader(k, s, diffs) {
  const keys = ['format', 'size', 'magic_ok', 'form', 'line4'];
  diff(pick(k, keys), pick(s, keys), 'file', diffs);
}

// The differences between a Kaitai reading and a spoolsalvage dump, as lines.
function compareDumps(k, s) {
  const diffs = [];
  if (k.format !== s.format) {
    diffs.push(`format: kaitai ${show(k.format)} vs spoolsalvage ${show(s.format)}`);
  } else if (k.format === 'cyrus.index') {
    compareIndex(k, s, diffs);
  } else if (k.format === 'cyrus.cache') {
    compareCache(k, s, diffs);
  } else if (k.format === 'cyrus.header') {
    compareHeader(k, s, diffs);
  } else {
    diffs.push(`unknown format ${show(k.format)}`);
  }
  return diffs;
}

// Prints up to MAX_LINES differences prefixed by LABEL; true when equal.
function report(label, diffs, out = process.stdout) {
  for (const d of diffs.slice(0, MAX_LINES)) out.write(`${label}: ${d}\n`);
  if (diffs.length > MAX_LINES) out.write(`${label}: ... ${diffs.length - MAX_LINES} more differences\n`);
  return diffs.length === 0;
}

function main(argv) {
  if (argv.length !== 3) {
    process.stderr.write('usage: compare.js LABEL KAITAI.json SPOOLSALVAGE.json\n');
    return 2;
  }
  const [label, kFile, sFile] = argv;
  const parsed = [];
  for (const [who, f] of [['kaitai', kFile], ['spoolsalvage', sFile]]) {
    try {
      parsed.push(JSON.parse(fs.readFileSync(f, 'utf8')));
    } catch (e) {
      process.stdout.write(`${label}: ${who} output is not JSON: ${e.message}\n`);
      return 1;
    }
  }
  return report(label, compareDumps(parsed[0], parsed[1])) ? 0 : 1;
}

module.exports = { compareDumps, report };

if (require.main === module) process.exit(main(process.argv.slice(2)));
