#!/usr/bin/env node
// Compiles Kaitai Struct declarations (.ksy) to JavaScript parsers with the
// kaitai-struct-compiler npm package (which has only a programmatic API).
//
// Usage: node compile.js OUTDIR FILE.ksy...
//
// The parsers are compiled in debug mode: each parsed object then records the
// start/end offset of every field in `_debug`, which readout.js uses to re-read
// 64-bit fields exactly, and parsing starts only on an explicit `_read()`.
// The dependencies (js-yaml, kaitai-struct-compiler) are found through the
// normal module resolution, e.g. NODE_PATH=<dir with node_modules>.
'use strict';
const fs = require('fs');
const path = require('path');
const yaml = require('js-yaml');
const compiler = require('kaitai-struct-compiler');

async function main(argv) {
  if (argv.length < 2) {
    process.stderr.write('usage: compile.js OUTDIR FILE.ksy...\n');
    return 2;
  }
  const [outDir, ...inputs] = argv;
  fs.mkdirSync(outDir, { recursive: true });
  // Imports (none used today) are resolved next to the importing file.
  const importer = (dir) => ({
    importYaml(name) {
      const file = path.resolve(dir, name + '.ksy');
      return Promise.resolve(yaml.load(fs.readFileSync(file, 'utf8')));
    },
  });
  let status = 0;
  for (const input of inputs) {
    let ksy;
    try {
      ksy = yaml.load(fs.readFileSync(input, 'utf8'));
    } catch (e) {
      process.stderr.write(`${input}: YAML error: ${e.message}\n`);
      status = 1;
      continue;
    }
    try {
      const files = await compiler.compile('javascript', ksy, importer(path.dirname(input)), true);
      for (const [name, text] of Object.entries(files)) {
        fs.writeFileSync(path.join(outDir, name), text);
        process.stdout.write(`${input} -> ${path.join(outDir, name)}\n`);
      }
    } catch (e) {
      // The compiler rejects with a Scala exception object or an array of problems.
      const msg = Array.isArray(e) ? e.map(String).join('\n') : (e && (e.message || e.toString())) || String(e);
      process.stderr.write(`${input}: compile error: ${msg}\n`);
      status = 1;
    }
  }
  return status;
}

main(process.argv.slice(2)).then((code) => process.exit(code), (e) => {
  process.stderr.write(String(e && e.stack ? e.stack : e) + '\n');
  process.exit(1);
});
