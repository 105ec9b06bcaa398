#!/usr/bin/env bash
# salvage on every real-Cyrus fixture recovers every message of the ground
# truth (expunged-but-present messages and the deleted mailbox included),
# verified, with its internal date and flags; the image is unchanged; two
# runs give byte-identical manifests and reports (run metadata aside); the
# split-brain pair yields exactly the stranded mail; OUT is checked.
source "$(dirname "$0")/common.sh" "$@"

while read -r img truth; do
  name=$(basename "$img")
  before=$(sha256sum "$img" | cut -d' ' -f1)
  for run in 1 2; do
    "$BIN" salvage "$img" -o "$TMP/out$run" >"$TMP/stdout" 2>"$TMP/err"; st=$?
    [[ $st -eq 0 ]] || { fail "$name: salvage exit $st"; sed 's/^/    /' "$TMP/err"; }
  done
  [[ $(sha256sum "$img" | cut -d' ' -f1) == "$before" ]] && pass "$name: image unchanged" ||
    fail "$name: the image changed"
  if python3 "$HERE/check_salvage.py" "$TMP/out1" "$truth" >"$TMP/cmp"; then
    pass "$name: every truth message salvaged, verified, bytes/date/flags equal"
  else
    fail "$name: salvage differs from the truth"; cat "$TMP/cmp"
  fi
  cmp -s "$TMP/out1/manifest.jsonl" "$TMP/out2/manifest.jsonl" && pass "$name: manifest deterministic" ||
    fail "$name: two runs gave different manifests"
  python3 - "$TMP/out1/report.json" "$TMP/out2/report.json" <<'PY' && pass "$name: report deterministic" || fail "$name: reports differ"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
a.pop("run"); b.pop("run")
sys.exit(0 if a == b else 1)
PY
  # report.txt names OUT (run metadata); everything else must be identical.
  diff <(grep -v '^output:' "$TMP/out1/report.txt") <(grep -v '^output:' "$TMP/out2/report.txt") >/dev/null ||
    fail "$name: report.txt differs between runs"
  rm -rf "$TMP/out1" "$TMP/out2"
done < <(fixture_images)

# Split brain: salvage OLD --not-in NEW gives exactly the stranded mail.
old=$FIX/splitbrain-old.ext4.img new=$FIX/splitbrain-new.ext4.img truth=$SRCFIX/splitbrain.truth.json
if [[ -f $old && -f $new ]]; then
  "$BIN" salvage "$old" --not-in "$new" -o "$TMP/sb" >/dev/null 2>"$TMP/err"; st=$?
  [[ $st -eq 0 ]] || { fail "split brain: exit $st"; cat "$TMP/err"; }
  python3 - "$TMP/sb" "$truth" >"$TMP/cmp" <<'PY'
import hashlib, json, os, sys
out, truth = sys.argv[1], json.load(open(sys.argv[2]))
want = {(s["mailbox"], s["uid"]): s for s in truth["stranded"]}
got = {}
for line in open(os.path.join(out, "manifest.jsonl")):
    e = json.loads(line)
    if e["status"] != "skipped":
        got[(e["mailbox"], e["uid"])] = e
    elif "select.held-elsewhere" not in e["reasons"]:
        print(f"{e['mailbox']} uid {e['uid']}: skipped for {e['reasons']}")
bad = []
for k in sorted(set(want) | set(got)):
    w, g = want.get(k), got.get(k)
    if not w: bad.append(f"{k}: salvaged, but the new master holds it"); continue
    if not g: bad.append(f"{k}: stranded, but not salvaged"); continue
    data = open(os.path.join(out, g["file"]), "rb").read()
    if hashlib.sha1(data).hexdigest() != w["sha1"]: bad.append(f"{k}: bytes differ")
    if g["status"] != "verified": bad.append(f"{k}: status {g['status']}")
    if g["internaldate"] != w["internaldate"]: bad.append(f"{k}: internal date")
    if sorted(g["flags"] + g["keywords"]) != sorted(w["flags"]): bad.append(f"{k}: flags")
    if g.get("other_side", {}).get("mailbox") != w["classification"]:
        bad.append(f"{k}: classified {g.get('other_side')}, truth {w['classification']}")
print("\n".join(bad))
print(f"{len(want)} stranded in truth, {len(got)} salvaged")
sys.exit(1 if bad else 0)
PY
  if [[ $? -eq 0 ]]; then pass "split brain: exactly the stranded mail ($(tail -1 "$TMP/cmp"))"
  else fail "split brain"; cat "$TMP/cmp"; fi
  # Narrowed by cutoff and sync log: exactly the stranded mail after the
  # cutoff in the logged mailboxes, and the report says what the narrowing
  # left out (and where).
  T=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['cutoff'])" "$truth")
  "$BIN" salvage "$old" --not-in "$new" --since "$T" --mailboxes-from-sync-log -o "$TMP/sbn" \
    >"$TMP/sbn.txt" 2>"$TMP/err"; st=$?
  [[ $st -eq 0 ]] || { fail "split brain narrowed: exit $st"; cat "$TMP/err"; }
  python3 - "$TMP/sbn" "$truth" >"$TMP/cmp" <<'PY'
import json, os, sys
out, truth = sys.argv[1], json.load(open(sys.argv[2]))
want = {(s["mailbox"], s["uid"]) for s in truth["stranded_after_cutoff_in_synclog"]}
left = {(s["mailbox"], s["uid"]) for s in truth["left_out_by_narrowing"]}
got, got_left = set(), set()
for line in open(os.path.join(out, "manifest.jsonl")):
    e = json.loads(line)
    if e["status"] != "skipped": got.add((e["mailbox"], e["uid"]))
    if e.get("stranded_left_out"): got_left.add((e["mailbox"], e["uid"]))
rep = json.load(open(os.path.join(out, "report.json")))["totals"]["stranded_left_out"]
bad = []
if got != want: bad.append(f"salvaged {sorted(got)}, truth {sorted(want)}")
if got_left != left: bad.append(f"left out {sorted(got_left)}, truth {sorted(left)}")
if rep["messages"] != len(left): bad.append(f"report says {rep['messages']} left out")
print("\n".join(bad)); sys.exit(1 if bad else 0)
PY
  if [[ $? -eq 0 ]]; then pass "split brain with --since and --mailboxes-from-sync-log: exact, narrowing reported"
  else fail "split brain narrowed"; cat "$TMP/cmp"; fi
  grep -q "left out by the selection" "$TMP/sbn.txt" || fail "report.txt does not say what the narrowing left out"
else
  fail "split-brain fixtures missing"
fi

# OUT: refused when not empty, or inside a directory evidence.
img=$FIX/cyrus36-uuid.ext4.img
mkdir -p "$TMP/full"; echo x >"$TMP/full/file"
expect_status 16 "non-empty OUT is refused" -- "$BIN" salvage "$img" -o "$TMP/full"
grep -q "out.not-empty" "$TMP/err" || fail "non-empty OUT: no out.not-empty"
mkdir -p "$TMP/tree"; debugfs -R "rdump /var/spool/cyrus/mail $TMP/tree" "$img" >/dev/null 2>&1
expect_status 16 "OUT inside the evidence is refused" -- "$BIN" salvage "$TMP/tree" -o "$TMP/tree/out"
[[ ! -e $TMP/tree/out ]] || fail "OUT inside the evidence was created"
expect_status 16 "bad --since" -- "$BIN" salvage "$img" -o "$TMP/o3" --since yesterday
finish
