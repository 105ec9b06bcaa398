#!/usr/bin/env node
// Compares many files in one process: for each line of LIST
//   LABEL <TAB> FILE <TAB> KIND <TAB> SPOOLSALVAGE_JSON
// reads FILE with the Kaitai parsers (readout.js) and compares the result with
// the `spoolsalvage dump --json` output saved in SPOOLSALVAGE_JSON
// (compare.js rules). Prints one line per difference and a summary line
// "crosscheck: N compared, M differ"; exit 0 only when all N > 0 agree.
//
// Usage: node crosscheck.js GEN_DIR LIST   (NODE_PATH must find the runtime)
'use strict';
const fs = require('fs');
const { readout } = require('./readout.js');
const { compareDumps, report } = require('./compare.js');

const [gen, list] = process.argv.slice(2);
if (!gen || !list) {
  process.stderr.write('usage: crosscheck.js GEN_DIR LIST\n');
  process.exit(2);
}
let compared = 0, differ = 0;
for (const line of fs.readFileSync(list, 'utf8').split('\n')) {
  if (!line) continue;
  const [label, file, kind, sJson] = line.split('\t');
  compared++;
  let k, s;
  try {
    k = readout(gen, file, kind);
  } catch (e) {
    differ++;
    process.stdout.write(`${label}: the Kaitai parser cannot read it: ${e && e.message ? e.message : e}\n`);
    continue;
  }
  try {
    s = JSON.parse(fs.readFileSync(sJson, 'utf8'));
  } catch (e) {
    differ++;
    process.stdout.write(`${label}: spoolsalvage output is not JSON: ${e.message}\n`);
    continue;
  }
  if (!report(label, compareDumps(k, s))) differ++;
}
process.stdout.write(`crosscheck: ${compared} compared, ${differ} differ\n`);
process.exit(compared > 0 && differ === 0 ? 0 : 1);
