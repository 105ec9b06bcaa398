#!/usr/bin/env bash
# report.xml is DFXML that validates against the official schema (vendored in
# tests/dfxml/, see its README; xmllint runs with --nonet), for every fixture
# image, a damaged one (a message whose bytes are gone) and a spool whose
# mailbox name holds control characters, < & " ' and a backslash. Its
# fileobjects match the manifest one for one: count, order, SHA-1, mailbox
# (escaped text decoded back to the exact bytes), uid, status, mtime. Two
# runs give the same document but for <creator>.
source "$(dirname "$0")/common.sh" "$@"

ROOT=$(cd "$HERE/../.." && pwd)
XSD=$ROOT/tests/dfxml/dfxml.xsd
if ! command -v xmllint >/dev/null; then
  fail "xmllint not found (Debian: libxml2-utils)"
  finish
fi

# check_out LABEL OUT: schema-valid, and agrees with OUT/manifest.jsonl.
check_out() {
  local label=$1 out=$2
  if [[ ! -f $out/report.xml ]]; then fail "$label: no report.xml"; return; fi
  if xmllint --noout --nonet --schema "$XSD" "$out/report.xml" 2>"$TMP/xmllint"; then
    pass "$label: report.xml validates against dfxml.xsd"
  else
    fail "$label: report.xml does not validate"; head -5 "$TMP/xmllint" | sed 's/^/    /'
  fi
  if python3 - "$out" >"$TMP/cmp" <<'PY'; then
import json, re, sys
import xml.etree.ElementTree as ET
out = sys.argv[1]
D = "{http://www.forensicswiki.org/wiki/Category:Digital_Forensics_XML}"
S = "{https://spoolsalvage.invalid/ns/1}"

def value(el):
    """The original bytes of a text element (undo ss:escaped)."""
    t = el.text or ""
    if el.get(S + "escaped") != "1":
        return t.encode()
    b, i = bytearray(), 0
    while i < len(t):
        if t.startswith("\\\\", i): b += b"\\"; i += 2
        elif re.match(r"\\x[0-9a-f]{2}", t[i:i + 4]): b.append(int(t[i + 2:i + 4], 16)); i += 4
        elif t[i] == "\\": raise ValueError(f"stray backslash in {t!r}")
        else: b += t[i].encode(); i += 1
    return bytes(b)

manifest = [json.loads(l) for l in open(f"{out}/manifest.jsonl", encoding="utf-8")]
root = ET.parse(f"{out}/report.xml").getroot()
fos = root.findall(D + "fileobject")
bad = []
if len(fos) != len(manifest):
    bad.append(f"{len(fos)} fileobjects, {len(manifest)} manifest lines")
for n, (fo, m) in enumerate(zip(fos, manifest), 1):
    where = f"fileobject {n} ({m['mailbox']!r} uid {m['uid']})"
    hd = fo.findall(D + "hashdigest")
    got = [(h.get("type"), h.text) for h in hd]
    want = [("sha1", m["sha1"])] if m["sha1"] else []
    if got != want: bad.append(f"{where}: hashdigest {got}, manifest sha1 {m['sha1']!r}")
    if value(fo.find(S + "mailbox")) != m["mailbox"].encode():
        bad.append(f"{where}: ss:mailbox {fo.find(S + 'mailbox').text!r}")
    if int(fo.find(S + "uid").text) != m["uid"]: bad.append(f"{where}: ss:uid")
    if fo.find(S + "status").text != m["status"]: bad.append(f"{where}: ss:status")
    fn = value(fo.find(D + "filename")).decode("utf-8", "surrogateescape")
    written = m["output"] if "output" in m else m.get("file", "")  # the path under OUT
    want_fn = written or f"{m['source']['dir']}/{m['uid']}."
    if fn != want_fn: bad.append(f"{where}: filename {fn!r}, want {want_fn!r}")
    mt = fo.find(D + "mtime")
    if (mt.text if mt is not None else None) != m["internaldate_utc"]:
        bad.append(f"{where}: mtime {mt.text if mt is not None else None}")
    runs = [(int(br.get("file_offset")), int(br.get("len")),
             int(br.get("img_offset")) if br.get("img_offset") is not None else None)
            for br in fo.iter(D + "byte_run")]
    want_runs = [(r["file_offset"], r["len"], r["img_offset"]) for r in m["source"].get("byte_runs", [])]
    if runs and want_runs and runs != want_runs: bad.append(f"{where}: byte_runs differ from the manifest")
    if runs and m["size"] is not None and sum(r[1] for r in runs) != m["size"]:
        bad.append(f"{where}: byte_run lengths do not add up to the size")
print("\n".join(bad[:20]))
print(f"{len(fos)} fileobjects")
sys.exit(1 if bad else 0)
PY
    pass "$label: fileobjects match the manifest ($(tail -1 "$TMP/cmp"))"
  else
    fail "$label: report.xml and manifest differ"; sed 's/^/    /' "$TMP/cmp" | head -20
  fi
}

# Everything but <creator> (run metadata) must be identical between runs.
strip_creator() { sed '/<creator>/,/<\/creator>/d' "$1"; }

for img in "$FIX"/*.img; do
  name=$(basename "$img")
  for run in 1 2; do
    "$BIN" salvage "$img" -o "$TMP/out$run" >/dev/null 2>"$TMP/err"; st=$?
    [[ $st -lt 8 ]] || { fail "$name: salvage exit $st"; sed 's/^/    /' "$TMP/err" | head -5; }
  done
  check_out "$name" "$TMP/out1"
  if cmp -s <(strip_creator "$TMP/out1/report.xml") <(strip_creator "$TMP/out2/report.xml"); then
    pass "$name: report.xml deterministic (creator aside)"
  else
    fail "$name: two runs gave different report.xml"
  fi
  rm -rf "$TMP/out1" "$TMP/out2"
done

# A message whose bytes are gone: a fileobject without hashdigest or byte runs.
img=$FIX/cyrus36-uuid.ext4.img
if "$ROOT/scripts/damage" message-missing "$img" "$TMP/missing.img" --spoolsalvage "$BIN" \
     >/dev/null 2>"$TMP/err"; then
  # The recipe keeps the inode: by default salvage finds it (rehomed); with
  # --no-orphans the record's bytes are gone for it.
  "$BIN" salvage "$TMP/missing.img" -o "$TMP/missing" --no-orphans >/dev/null 2>&1
  check_out "message-missing" "$TMP/missing"
  grep -q '<ss:status>unrecoverable</ss:status>' "$TMP/missing/report.xml" ||
    fail "message-missing: no unrecoverable fileobject"
  "$BIN" salvage "$TMP/missing.img" -o "$TMP/rehomed" >/dev/null 2>&1
  check_out "message-missing, rehomed" "$TMP/rehomed"
  grep -q '<ss:status>rehomed</ss:status>' "$TMP/rehomed/report.xml" ||
    fail "message-missing: no rehomed fileobject"
  rm -rf "$TMP/missing" "$TMP/rehomed" "$TMP/missing.img"
else
  fail "scripts/damage message-missing failed"; sed 's/^/    /' "$TMP/err" | head -5
fi

# A hostile mailbox name: one uuid mailbox copied out of the image into a
# directory tree, its cyrus.header N rewritten as a dlist literal holding
# C0 controls (incl. TAB, CR), DEL, a C1 control, U+FFFE, < & " ' > ]]> and
# a backslash sequence that looks like our own escape.
mkdir -p "$TMP/all"
debugfs -R "rdump /var/spool/cyrus/mail $TMP/all" "$img" >/dev/null 2>&1
hdr=$(grep -lF ' N user.fred.Sent ' "$TMP"/all/mail/uuid/*/*/*/cyrus.header 2>/dev/null | head -1)
if [[ -z $hdr ]]; then
  fail "hostile name: user.fred.Sent not found in $(basename "$img")"
else
  box=$(dirname "$hdr"); rel=${box#"$TMP/all/"}
  mkdir -p "$TMP/hostile/var/spool/cyrus/$(dirname "$rel")"
  cp -a "$box" "$TMP/hostile/var/spool/cyrus/$rel"
  python3 - "$TMP/hostile/var/spool/cyrus/$rel/cyrus.header" "$TMP/hostile.name" <<'PY'
import sys
path, name_out = sys.argv[1:3]
data = open(path, "rb").read()
name = b"user.fred.Sent\x01\x1f\t\r<&\"'>\\x41\\\\ \x7f\xc2\x85\xef\xbf\xbe]]>"
old = b" N user.fred.Sent "
assert data.count(old) == 1
open(path, "wb").write(data.replace(old, b" N {%d+}\r\n" % len(name) + name + b" "))
open(name_out, "wb").write(name)
PY
  "$BIN" salvage "$TMP/hostile" -o "$TMP/hostile.out" >/dev/null 2>"$TMP/err"; st=$?
  [[ $st -lt 8 ]] || { fail "hostile name: salvage exit $st"; sed 's/^/    /' "$TMP/err" | head -5; }
  check_out "hostile name" "$TMP/hostile.out"
  [[ -f $TMP/hostile.out/report.xml ]] && python3 - "$TMP/hostile.out/report.xml" "$TMP/hostile.name" >"$TMP/count" <<'PY' &&
import re, sys
xml, name = open(sys.argv[1], "rb").read(), open(sys.argv[2], "rb").read()
# Every message of the box names it, escaped and marked as such.
want = b'<ss:mailbox ss:escaped="1">user.fred.Sent\\x01\\x1f\\x09\\x0d&lt;&amp;&quot;&apos;&gt;' \
       b'\\\\x41\\\\\\\\ \\x7f\\xc2\\x85\\xef\\xbf\\xbe]]&gt;</ss:mailbox>'
n = xml.count(want)
print(n)
sys.exit(0 if n >= 1 and not re.search(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", xml) else 1)
PY
    pass "hostile name: escaped as documented in $(cat "$TMP/count") fileobjects, no raw controls" ||
    fail "hostile name: ss:mailbox not escaped as documented (src/report/dfxml.hpp)"
fi
finish
