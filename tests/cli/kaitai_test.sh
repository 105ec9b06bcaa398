#!/usr/bin/env bash
# Cross-check: the Kaitai Struct declarations in formats/*.ksy (an independent
# second reading of the format fact sheet) must read every cyrus.index,
# cyrus.cache and cyrus.header of the fixtures exactly as
# `spoolsalvage dump --json` does, field by field.
#
# Needs node and npm (the npm registry, once per build tree): the pinned
# kaitai-struct-compiler, kaitai-struct runtime and js-yaml of
# tests/kaitai/package-lock.json are installed with `npm ci` into
# <build>/kaitai-npm (skipped while the lock file is unchanged). The parsers
# are compiled into this run's temporary directory.
source "$(dirname "$0")/common.sh" "$@"

ROOT=$(cd "$HERE/../.." && pwd)
KDIR=$ROOT/tests/kaitai
BUILD=$(cd "$(dirname "$FIX")" && pwd)
NPMDIR=${KAITAI_NPM_DIR:-$BUILD/kaitai-npm}

for tool in node npm debugfs; do
  if ! command -v "$tool" >/dev/null; then
    fail "$tool is not available: this test needs node and npm (Debian: apt-get install nodejs npm) and debugfs (e2fsprogs)"
    finish
  fi
done

# 1. The pinned npm packages, installed once per build tree.
mkdir -p "$NPMDIR"
if ! cmp -s "$KDIR/package-lock.json" "$NPMDIR/package-lock.json" ||
   ! cmp -s "$KDIR/package.json" "$NPMDIR/package.json" ||
   [[ ! -f $NPMDIR/node_modules/.installed ]]; then
  rm -f "$NPMDIR/node_modules/.installed"
  cp "$KDIR/package.json" "$KDIR/package-lock.json" "$NPMDIR/"
  if (cd "$NPMDIR" && npm ci --no-audit --no-fund --loglevel=error) >"$TMP/npm.log" 2>&1; then
    touch "$NPMDIR/node_modules/.installed"
    pass "npm ci of tests/kaitai/package-lock.json"
  else
    fail "npm ci failed in $NPMDIR (is the npm registry reachable?)"
    sed 's/^/    /' "$TMP/npm.log" | tail -15
    finish
  fi
fi
export NODE_PATH=$NPMDIR/node_modules

# 2. Compile the declarations.
GEN=$TMP/gen
if node "$KDIR/compile.js" "$GEN" "$ROOT"/formats/cyrus_index.ksy "$ROOT"/formats/cyrus_cache.ksy \
     "$ROOT"/formats/cyrus_header.ksy >"$TMP/compile.log" 2>&1; then
  pass "kaitai-struct-compiler compiles formats/cyrus_{index,cache,header}.ksy"
else
  fail "formats/*.ksy do not compile"; sed 's/^/    /' "$TMP/compile.log"; finish
fi

# 3. The declarations agree with the version table by themselves (every minor
#    version 3..20, synthetic files), before any comparison with spoolsalvage.
if node "$KDIR/selfcheck.js" "$GEN" "$TMP/selfcheck" >"$TMP/selfcheck.log" 2>&1; then
  pass "cyrus_index.ksy self-check of minor versions 3..20"
else
  fail "cyrus_index.ksy self-check"; grep -v '^ok:' "$TMP/selfcheck.log" | sed 's/^/    /' | head -20
fi

# 4. spoolsalvage must have the dump subcommand (listed by --help).
if ! "$BIN" --help 2>&1 | grep -qE '^[[:space:]]+dump([[:space:]]|$)'; then
  fail "spoolsalvage has no 'dump' subcommand (not listed by $BIN --help)"
  finish
fi

# Runs spoolsalvage dump --json on one file and queues the pair for
# crosscheck.js. queue LABEL FILE KIND -- spoolsalvage dump arguments...
queued=0 dump_failed=0
LIST=$TMP/list.tsv
: >"$LIST"
mkdir -p "$TMP/dumps"
queue() {
  local label=$1 file=$2 kind=$3; shift 4
  local s=$TMP/dumps/$((queued + dump_failed)).json rc
  "$BIN" dump --json "$@" >"$s" 2>"$TMP/s.err"
  rc=$?
  if [[ $rc -ge 8 ]]; then
    dump_failed=$((dump_failed + 1))
    if [[ $dump_failed -le 5 ]]; then
      fail "$label: spoolsalvage dump --json exited $rc"; sed 's/^/    /' "$TMP/s.err" | head -5
    else
      failures=$((failures + 1))
    fi
    return
  fi
  printf '%s\t%s\t%s\t%s\n' "$label" "$file" "$kind" "$s" >>"$LIST"
  queued=$((queued + 1))
}

# 5. Every cyrus.index/.cache/.header of every fixture image, extracted with
#    debugfs (read-only) and dumped by spoolsalvage from the image itself.
shopt -s nullglob
# The clean real-Cyrus images (those with a ground truth); damaged samples
# (e.g. with the primary superblock zeroed) are not debugfs's to read.
images=()
while read -r img _; do images+=("$img"); done < <(fixture_images)
[[ ${#images[@]} -gt 0 ]] || fail "no fixture images in $FIX"
spool=/var/spool/cyrus/mail
for img in "${images[@]}"; do
  name=$(basename "$img")
  out=$TMP/x/$name
  mkdir -p "$out"
  debugfs -R "rdump $spool $out" "$img" >"$TMP/debugfs.log" 2>&1
  if [[ ! -d $out/mail ]]; then
    fail "$name: debugfs could not extract $spool"; sed 's/^/    /' "$TMP/debugfs.log" | head -5
    continue
  fi
  before=$queued
  while IFS= read -r -d '' f; do
    inner=$(dirname "$spool")/${f#"$out"/}
    queue "$name:$inner" "$f" "$(basename "$f")" -- "$img" "$inner"
  done < <(find "$out/mail" -type f \( -name cyrus.index -o -name cyrus.cache -o -name cyrus.header \) -print0 | sort -z)
  if [[ $queued -gt $before ]]; then echo "$name: $((queued - before)) files to compare"
  elif [[ $dump_failed -eq 0 ]]; then fail "$name: no cyrus.index/cache/header found under $spool"; fi
done

# 6. The synthetic old-version indexes (loose files).
before=$queued
for f in "$SRCFIX"/versions/v*/cyrus.index; do
  queue "${f#"$SRCFIX"/}" "$f" index -- "$f"
done
echo "tests/fixtures/versions: $((queued - before)) loose cyrus.index files to compare"

# 7. Compare them all, field by field.
[[ $dump_failed -le 5 ]] || echo "FAIL: ... spoolsalvage dump failed on $dump_failed files in all"
if [[ $queued -eq 0 ]]; then
  fail "no file was compared"
elif node "$KDIR/crosscheck.js" "$GEN" "$LIST" >"$TMP/cross.log" 2>&1; then
  pass "$(tail -1 "$TMP/cross.log"): Kaitai and spoolsalvage agree"
else
  fail "Kaitai and spoolsalvage differ"; sed 's/^/    /' "$TMP/cross.log" | head -80
fi
finish
