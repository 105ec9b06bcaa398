#!/usr/bin/env node
// Reads a Cyrus spool file with the parser generated from formats/*.ksy and
// prints it as JSON in the shape of `spoolsalvage dump --json`, so that the
// two independent readings can be compared structurally (compare.js).
//
// Usage: node readout.js [--gen DIR] FILE KIND
//   KIND: index | cache | header (or cyrus.index, cyrus.cache, cyrus.header)
//   DIR:  where compile.js wrote CyrusIndex.js etc. (default $KSY_GEN_DIR)
// The kaitai-struct runtime is found through NODE_PATH like any module.
//
// The parsers are compiled in debug mode, so every object records where each
// field starts and ends (`_debug`). Field names are the .ksy ids; 64-bit
// fields are re-read from their recorded position as exact BigInts (the
// JavaScript runtime returns u8 as a double) and printed as decimal strings.
'use strict';
const fs = require('fs');
const path = require('path');
const crypto = require('crypto');

const CACHE_ITEM_NAMES = ['envelope', 'bodystructure', 'body', 'section', 'headers',
  'from', 'to', 'cc', 'bcc', 'subject'];

function usage(msg) {
  if (msg) process.stderr.write(`readout.js: ${msg}\n`);
  process.stderr.write('usage: readout.js [--gen DIR] FILE index|cache|header\n');
  process.exit(2);
}

// camelCase property name of the generated code -> the .ksy id.
function ksyId(camel) {
  return camel.replace(/[A-Z]/g, (c) => '_' + c.toLowerCase());
}

function hex(bytes) {
  return Buffer.from(bytes).toString('hex');
}

// Exact unsigned big-endian value of `len` bytes at `pos` of a Kaitai stream.
function exactUnsigned(io, pos, len) {
  const saved = io.pos;
  io.seek(pos);
  const b = io.readBytes(len);
  io.seek(saved);
  let v = 0n;
  for (const x of b) v = (v << 8n) | BigInt(x);
  return v;
}

// The seq fields of a parsed object, in declaration order, as JSON values.
// Reserved fields (spare*) are left out, as spoolsalvage does.
function fieldsOf(obj, where) {
  const out = {};
  for (const [camel, dbg] of Object.entries(obj._debug)) {
    if (camel.startsWith('_')) continue; // instances
    const name = ksyId(camel);
    if (name.startsWith('spare')) continue;
    const v = obj[camel];
    const len = dbg.end - dbg.start;
    if (Array.isArray(v)) {
      if (!v.every((x) => typeof x === 'number')) throw new Error(`${where}.${name}: array of non-numbers`);
      out[name] = v.slice();
    } else if (v instanceof Uint8Array) {
      out[name] = hex(v);
    } else if (typeof v === 'number') {
      if (len === 8) {
        const exact = exactUnsigned(obj._io, dbg.start, 8);
        // Sanity: the parser's double must be the rounding of the exact value,
        // which proves the .ksy declared an 8-byte integer right there.
        if (Number(exact) !== v) throw new Error(`${where}.${name}: u8 ${v} != exact ${exact}`);
        out[name] = exact.toString();
      } else if (len === 4) {
        out[name] = v;
      } else {
        throw new Error(`${where}.${name}: unexpected ${len}-byte integer`);
      }
    } else {
      throw new Error(`${where}.${name}: unexpected value type ${typeof v}`);
    }
  }
  return out;
}

function readIndex(gen, KaitaiStream, buf) {
  const { CyrusIndex } = require(path.join(gen, 'CyrusIndex.js'));
  const p = new CyrusIndex(new KaitaiStream(buf));
  p._read();
  const header = { minor_version: p.minorVersion, fields: fieldsOf(p.header, 'header') };
  const hdrLen = p._debug.header.end - p._debug.header.start;
  if (hdrLen !== p.headerSize) {
    throw new Error(`header type of v${p.minorVersion} is ${hdrLen} bytes, table says ${p.headerSize}`);
  }
  const records = [];
  const recs = p.records; // parses num_records_listed records
  const dbg = p._debug._m_records.arr;
  recs.forEach((r, i) => {
    const len = dbg[i].end - dbg[i].start;
    if (len !== p.recordSize) {
      throw new Error(`record type of v${p.minorVersion} is ${len} bytes, table says ${p.recordSize}`);
    }
    records.push({ recno: i + 1, offset: dbg[i].start, past_num_records: false,
      fields: fieldsOf(r, `records[${i}]`) });
  });
  return { format: 'cyrus.index', size: buf.length, header, records };
}

function readCache(gen, KaitaiStream, buf) {
  const { CyrusCache } = require(path.join(gen, 'CyrusCache.js'));
  const p = new CyrusCache(new KaitaiStream(buf));
  try {
    p._read();
  } catch (e) {
    // A record cut short by the end of the file: keep the complete ones
    // (debug-mode parsers keep what they had read when an error is thrown).
    if (!(e instanceof KaitaiStream.EOFError) || p.generation === undefined) throw e;
  }
  const records = [];
  const arr = (p._debug.records && p._debug.records.arr) || [];
  (p.records || []).forEach((r, i) => {
    if (arr[i] === undefined || arr[i].end === undefined) return; // incomplete
    records.push({
      offset: arr[i].start,
      length: arr[i].end - arr[i].start,
      items: r.items.map((it, k) => ({
        name: CACHE_ITEM_NAMES[k],
        length: it.len,
        sha1: crypto.createHash('sha1').update(it.data).digest('hex'),
      })),
    });
  });
  return { format: 'cyrus.cache', size: buf.length, generation: p.generation, records };
}

function readHeader(gen, KaitaiStream, buf) {
  const { CyrusHeader } = require(path.join(gen, 'CyrusHeader.js'));
  const p = new CyrusHeader(new KaitaiStream(buf));
  try {
    p._read();
  } catch (e) {
    if (e instanceof KaitaiStream.ValidationNotEqualError || e instanceof KaitaiStream.EOFError) {
      return { format: 'cyrus.header', size: buf.length, magic_ok: false };
    }
    throw e;
  }
  const out = {
    format: 'cyrus.header', size: buf.length, magic_ok: true,
    form: p.isDlist ? 'dlist' : 'text',
    line4: Buffer.from(p.line4).toString('utf8'),
  };
  if (!p.isDlist) {
    if (p.flags !== undefined) out.flags_line = Buffer.from(p.flags).toString('utf8');
    if (p.acl !== undefined) out.acl_line = Buffer.from(p.acl).toString('utf8');
  }
  return out;
}

// Parses FILE (KIND index|cache|header, or cyrus.index...) with the parsers
// in GEN and returns the dump-shaped object.
function readout(gen, file, kindArg) {
  const kind = String(kindArg).replace(/^cyrus\./, '');
  const readers = { index: readIndex, cache: readCache, header: readHeader };
  if (!readers[kind]) throw new Error(`unknown KIND ${kindArg}`);
  const KaitaiStream = require('kaitai-struct/KaitaiStream');
  return readers[kind](path.resolve(gen), KaitaiStream, fs.readFileSync(file));
}

function main(argv) {
  let gen = process.env.KSY_GEN_DIR;
  const args = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--gen') gen = argv[++i];
    else args.push(argv[i]);
  }
  if (args.length !== 2) usage();
  if (!gen) usage('no parser directory: pass --gen DIR or set KSY_GEN_DIR');
  const out = readout(gen, args[0], args[1]);
  process.stdout.write(JSON.stringify(out, null, 1) + '\n');
}

module.exports = { readout };

if (require.main === module) {
  try {
    main(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`readout.js: ${e && e.stack ? e.stack : e}\n`);
    process.exit(1);
  }
}
