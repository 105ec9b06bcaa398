#!/usr/bin/env bash
# Mailbox names crafted to escape (../../etc, absolute paths, control
# characters, NUL, very long names, names that differ only in case) stay
# inside OUT, get distinct Maildirs, and show escaped on the terminal.
source "$(dirname "$0")/common.sh" "$@"

img=$FIX/cyrus36-uuid.ext4.img
[[ -f $img ]] || { fail "missing $img"; finish; }
src=$("$BIN" ls --json "$img" | python3 -c 'import json,sys; print([m["dir"] for m in json.load(sys.stdin)["mailboxes"] if m["name"]=="user.fred.Sent"][0])')
mkdir -p "$TMP/one"
debugfs -R "rdump /$src $TMP/one" "$img" >/dev/null 2>&1
one=$(ls -d "$TMP"/one/*)
python3 - "$one" "$TMP/spool" <<'PY'
import os, re, shutil, sys
one, root = sys.argv[1], sys.argv[2]
names = [b'"../../etc"', b'"/etc/passwd"', b'"user.fred.a/b"', b'"user.FRED.sent"', b'"user.fred.SENT"',
         b'{5}\r\nx\x00y\x01z', b'"' + b'x' * 3000 + b'"', b'"user.fred.\xe2\x80\xae.evil"',
         b'"..\\\\.."', b'"."', b'{4}\r\nu\xff\xfe.']
header = open(os.path.join(one, "cyrus.header"), "rb").read()
for i, n in enumerate(names):
    uid = f"hostile{i:017d}"
    d = os.path.join(root, "uuid", uid[0], uid[1], uid)
    shutil.copytree(one, d)
    h = re.sub(rb" N (\S+) I (\S+)", lambda m: b" N " + n.replace(b"\\", b"\\\\") + b" I " + uid.encode(), header, count=1)
    open(os.path.join(d, "cyrus.header"), "wb").write(h)
PY
"$BIN" salvage "$TMP/spool" -o "$TMP/out" >"$TMP/stdout" 2>"$TMP/err"; st=$?
[[ $st -lt 8 ]] && pass "salvage of hostile names: exit $st" || { fail "salvage exit $st"; cat "$TMP/err"; }
grep -q $'\x01\|\x1b' "$TMP/stdout" "$TMP/err" && fail "a control character reached the terminal" ||
  pass "control characters escaped on the terminal"
python3 - "$TMP/out" <<'PY'
import json, os, sys
out = os.path.realpath(sys.argv[1])
bad = []
dirs = set()
for line in open(os.path.join(out, "manifest.jsonl")):
    e = json.loads(line)
    dirs.add((e["mailbox"], e["maildir"]))
    if e["file"]:
        p = os.path.realpath(os.path.join(out, e["file"]))
        if not p.startswith(out + os.sep): bad.append(f"escapes OUT: {e['file']!r}")
    if any(c in e["maildir"] for c in "/\x00") or e["maildir"] in (".", ".."): bad.append(f"unsafe maildir {e['maildir']!r}")
    if len(e["maildir"].encode()) > 255: bad.append("maildir name too long")
folded = {}
for mbox, d in dirs:
    k = d.lower()
    if k in folded and folded[k] != mbox: bad.append(f"{mbox!r} and {folded[k]!r} share {d!r} (case-insensitively)")
    folded[k] = mbox
for root, ds, fs in os.walk(out):
    for n in ds + fs:
        if os.path.islink(os.path.join(root, n)): bad.append(f"symlink {n}")
print("\n".join(bad))
print(f"{len(dirs)} mailboxes")
sys.exit(1 if bad else 0)
PY
[[ $? -eq 0 ]] && pass "every output stays inside OUT, distinct safe Maildir names" || fail "unsafe output"
[[ ! -e $TMP/etc && ! -e /etc/passwd.spoolsalvage ]] || fail "something was written outside OUT"
finish
