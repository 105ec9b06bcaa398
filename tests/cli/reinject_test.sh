#!/usr/bin/env bash
# reinject against a live Cyrus (Debian's cyrus-imapd), the seed's story end
# to end: a split-brain pair is built fresh (scripts/make-cyrus-fixture
# --split-brain) and its new master left running on 127.0.0.1; `diff` of the
# old master's image against it shows the stranded mail and the mailboxes
# deleted there (and flag drift, once a flag is changed there); the image is
# salvaged --not-in imap://... and reinjected. Then, read
# back over IMAP by a separate client (python's imaplib, as each owner): every
# stranded message that was live on the old master is on the new master
# exactly once, with the bytes' SHA-1, the flags and the internal date of the
# manifest, in its own mailbox, or in quarantine ("Recovered by spoolsalvage"
# under the owner's INBOX) when its mailbox was deleted on the new master,
# which is not re-created. Also: a second run appends nothing; a run killed
# midway (kill -9) and run again leaves no duplicate and nothing missing; the
# journal's uids are the target's; a wrong password, an unreachable port, a TLS
# failure, plain text to a remote host and a salvage made without --not-in
# each fail clearly with the documented exit status. Needs root and
# cyrus-imapd (scripts/deps); SPOOLSALVAGE_SKIP_LIVE_TESTS=1 skips it.
source "$(dirname "$0")/common.sh" "$@"
source "$HERE/live_cyrus.sh"
xz -dc "$TMP/fix/splitbrain-old.ext4.img.xz" >"$TMP/old.img"
printf '%s\n' "$SB_PASSWORD" >"$TMP/pw"
target="imap://$SB_ADMIN@127.0.0.1:$SB_IMAP_PORT/"

# diff against the live new master: the truth's stranded mail, plus the one
# message expunged there on purpose (IMAP cannot see it), the two mailboxes
# deleted there named with the danger, the truth's uid collisions; then a flag
# changed on the new master shows as flag drift.
TRUTH=$TMP/fix/splitbrain.truth.json
"$BIN" diff "$TMP/old.img" "$target" --password-file "$TMP/pw" --json >"$TMP/diff.json" 2>"$TMP/diff.err"
st=$?
out=$(python3 - "$TMP/diff.json" "$TRUTH" <<'PY' 2>&1
import json, sys
d, t = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
bad = []
expunged_only = [n for n in t["not_stranded_notes"] if all(h["expunged"] for h in n["held_by"])]
want = {(s["mailbox"], s["uid"]) for s in t["stranded"] + expunged_only}
got = {(m["mailbox"], x["uid"]) for m in d["mailboxes"] for x in m.get("only_on_old", [])}
if want != got: bad.append(f"only on old {sorted(got)} != {sorted(want)}")
wd = {n for n, c in t["old_mailbox_classification"].items() if c["classification"] == "deleted-there"}
gd = {m["mailbox"] for m in d["mailboxes"] if m.get("danger")}
if wd != gd: bad.append(f"danger {sorted(gd)} != {sorted(wd)}")
wc = {(c["mailbox"], c["uid"]) for c in t["uid_collisions"] if not c["new_expunged"]}
gc = {(m["mailbox"], c["uid"]) for m in d["mailboxes"] for c in m.get("uid_collisions", [])}
if wc != gc: bad.append(f"uid collisions {sorted(gc)} != {sorted(wc)}")
if not d["totals"]["flags_compared"]: bad.append("flags not compared")
print("\n".join(bad) if bad else "same")
PY
)
[[ $st -eq 1 && $out == same ]] && pass "diff OLD imap://NEW: the stranded mail, the dangers, the uid collisions" \
  || { fail "diff against the live new master (exit $st):"; echo "$out" | head -10 | sed 's/^/    /'; head -3 "$TMP/diff.err"; }
python3 - "$SB_IMAP_PORT" "$SB_ADMIN" "$SB_PASSWORD" <<'PY' || fail "could not set a flag on the new master"
import imaplib, sys
c = imaplib.IMAP4("127.0.0.1", int(sys.argv[1]))
c.authenticate("PLAIN", lambda _: f"fred\0{sys.argv[2]}\0{sys.argv[3]}".encode())
assert c.select("INBOX")[0] == "OK"
assert c.uid("STORE", "1", "+FLAGS.SILENT", "($DriftTest)")[0] == "OK"
c.logout()
PY
"$BIN" diff "$TMP/old.img" "$target" --password-file "$TMP/pw" --json -m user.fred >"$TMP/drift.json" 2>/dev/null
python3 - "$TMP/drift.json" <<'PY' && pass "a flag set on the new master shows as flag drift" || fail "no flag drift reported"
import json, sys
d = json.load(open(sys.argv[1]))
drift = [f for m in d["mailboxes"] for f in m.get("flag_drift", [])]
sys.exit(0 if any("$DriftTest" in f["new_flags"] and "$DriftTest" not in f["old_flags"] and f["old_uid"] == 1 for f in drift) else 1)
PY

# salvage --not-in the live new master
"$BIN" salvage "$TMP/old.img" -o "$TMP/out" --not-in "$target" --not-in-password-file "$TMP/pw" \
  >"$TMP/salvage.txt" 2>"$TMP/salvage.err"
st=$?
[[ $st -le 1 ]] && pass "salvage --not-in imap:// (exit $st)" || { fail "salvage exit $st"; head -5 "$TMP/salvage.err"; finish; }

# readback.py OUT: the target, read as each owner, against the manifest.
# Prints one line per difference; "" when all is well.
cat >"$TMP/readback.py" <<'PY'
import hashlib, imaplib, json, os, re, sys
out, port, admin, pw = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
want, owners = {}, set()
for line in open(os.path.join(out, "manifest.jsonl")):
    e = json.loads(line)
    if e["status"] in ("verified", "corrected") and e["file"] and not e["expunged"] \
            and not e["in_deleted_mailbox"]:
        want[e["sha1"]] = e
    if e["mailbox"].startswith("user."):
        owners.add(e["mailbox"].split(".")[1])
def where(e):
    rest = e["mailbox"].split(".", 2)[2].replace(".", "/") if e["mailbox"].count(".") > 1 else ""
    if e["other_side"]["mailbox"] == "deleted-there":
        return "INBOX/Recovered by spoolsalvage/" + (rest or "INBOX")
    return "INBOX/" + rest if rest else "INBOX"
seen, bad = {}, []
for owner in sorted(owners):
    c = imaplib.IMAP4("127.0.0.1", port)
    c.authenticate("PLAIN", lambda _: f"{owner}\0{admin}\0{pw}".encode())
    typ, boxes = c.list()
    for b in boxes:
        m = re.match(rb'\(.*?\) "(.)" (.*)$', b)
        name = m.group(2).decode()
        name = name[1:-1] if name.startswith('"') else name
        if c.select(f'"{name}"', readonly=True)[0] != "OK":
            continue
        typ, data = c.fetch("1:*", "(FLAGS INTERNALDATE BODY.PEEK[])")
        for part in data:
            if not isinstance(part, tuple):
                continue
            meta, body = part[0].decode(), part[1]
            sha = hashlib.sha1(body).hexdigest()
            flags = sorted(f for f in re.search(r"FLAGS \(([^)]*)\)", meta).group(1).split() if f != "\\Recent")
            date = re.search(r'INTERNALDATE "([^"]+)"', meta).group(1)
            seen.setdefault(sha, []).append((owner, name, flags, imaplib.Internaldate2tuple(f'INTERNALDATE "{date}"'.encode())))
    c.logout()
import calendar, time
for sha, e in sorted(want.items()):
    got = seen.get(sha, [])
    if len(got) != 1:
        bad.append(f"{e['mailbox']} uid {e['uid']}: {len(got)} copies on the target")
        continue
    owner, name, flags, tt = got[0]
    if name != where(e):
        bad.append(f"{e['mailbox']} uid {e['uid']}: in {name}, want {where(e)}")
    if flags != sorted(e["flags"] + e["keywords"]):
        bad.append(f"{e['mailbox']} uid {e['uid']}: flags {flags}, want {sorted(e['flags'] + e['keywords'])}")
    if calendar.timegm(time.gmtime(time.mktime(tt))) != e["internaldate"]:
        bad.append(f"{e['mailbox']} uid {e['uid']}: internal date {time.mktime(tt)}, want {e['internaldate']}")
if len(want) < 10:
    bad.append(f"only {len(want)} stranded messages: the fixture does not test much")
print("\n".join(bad) if bad else "same")
PY

# tally.py FILE OUTCOME: the count of one outcome in a --json report
tally() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["tally"][sys.argv[2]])' "$@"; }

"$BIN" reinject "$TMP/out" "$target" --password-file "$TMP/pw" --json >"$TMP/r1.json" 2>"$TMP/r1.err"
st=$?
if [[ $st -le 1 ]]; then pass "reinject (exit $st)"; else fail "reinject exit $st"; head -5 "$TMP/r1.err"; fi
sent=$(( $(tally "$TMP/r1.json" appended) + $(tally "$TMP/r1.json" appended-to-created) + $(tally "$TMP/r1.json" quarantined) ))
[[ $sent -ge 10 && $(tally "$TMP/r1.json" quarantined) -ge 1 ]] \
  && pass "reinject appended $sent, quarantined $(tally "$TMP/r1.json" quarantined)" \
  || fail "reinject appended $sent, quarantined $(tally "$TMP/r1.json" quarantined)"
diffs=$(python3 "$TMP/readback.py" "$TMP/out" "$SB_IMAP_PORT" "$SB_ADMIN" "$SB_PASSWORD" 2>&1)
[[ $diffs == same ]] && pass "read back: every stranded message once, bytes, flags, dates, mailbox" \
  || { fail "read back differs:"; echo "$diffs" | head -20 | sed 's/^/    /'; }
[[ $(grep -c '"target_uid"' "$TMP/out/reinject.jsonl") -eq $sent ]] \
  && pass "the journal has a target uid for each append (UIDPLUS)" || fail "journal lacks target uids"
grep -q 'Recovered by spoolsalvage' "$TMP/out/reinject.jsonl" || fail "nothing quarantined in the journal"

# a second run appends nothing
"$BIN" reinject "$TMP/out" "$target" --password-file "$TMP/pw" --json >"$TMP/r2.json" 2>"$TMP/r2.err"
[[ $(tally "$TMP/r2.json" already-present) -eq $sent && $(tally "$TMP/r2.json" appended) -eq 0 && \
   $(tally "$TMP/r2.json" quarantined) -eq 0 ]] && pass "a second run appends nothing" \
  || fail "second run: $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["tally"])' "$TMP/r2.json")"

# killed midway: a fresh target state is needed, so the same salvage goes to
# a second user's view... instead: expunge what was appended, then kill -9 a
# run of one APPEND per message after its first journal line, and run again.
python3 - "$SB_IMAP_PORT" "$SB_ADMIN" "$SB_PASSWORD" "$TMP/out/reinject.jsonl" <<'PY' || fail "could not remove the appended messages"
import imaplib, json, sys
port, admin, pw, journal = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
by = {}
for line in open(journal):
    j = json.loads(line)
    by.setdefault((j["target"].split(".")[1], j["target_imap_name"]), []).append(j["target_uid"])
for (owner, name), uids in by.items():
    c = imaplib.IMAP4("127.0.0.1", port)
    c.authenticate("PLAIN", lambda _: f"{owner}\0{admin}\0{pw}".encode())
    assert c.select(f'"{name}"')[0] == "OK"
    assert c.uid("STORE", ",".join(map(str, uids)), "+FLAGS.SILENT", "(\\Deleted)")[0] == "OK"
    assert c.expunge()[0] == "OK"
    c.logout()
PY
mv "$TMP/out/reinject.jsonl" "$TMP/journal.first"
"$BIN" reinject "$TMP/out" "$target" --password-file "$TMP/pw" --no-multiappend --no-literal-plus \
  >"$TMP/r3.txt" 2>"$TMP/r3.err" &
pid=$!
for _ in $(seq 1 500); do
  [[ -s $TMP/out/reinject.jsonl ]] && break
  kill -0 $pid 2>/dev/null || break
  sleep 0.01
done
kill -9 $pid 2>/dev/null && killed=yes || killed=no
wait $pid 2>/dev/null
partial=$(grep -c '' "$TMP/out/reinject.jsonl" 2>/dev/null || echo 0)
"$BIN" reinject "$TMP/out" "$target" --password-file "$TMP/pw" --json >"$TMP/r4.json" 2>"$TMP/r4.err"
resumed=$(( $(tally "$TMP/r4.json" appended) + $(tally "$TMP/r4.json" appended-to-created) + $(tally "$TMP/r4.json" quarantined) ))
diffs=$(python3 "$TMP/readback.py" "$TMP/out" "$SB_IMAP_PORT" "$SB_ADMIN" "$SB_PASSWORD" 2>&1)
if [[ $diffs == same ]]; then
  pass "killed (kill -9: $killed) after $partial of $sent appends, run again: $resumed appended, no duplicate, nothing missing"
else
  fail "after a kill and a re-run:"; echo "$diffs" | head -10 | sed 's/^/    /'
fi
# The killed run may have appended one more than its journal says (killed
# between the server's OK and the journal line): the re-run finds it there.
[[ $resumed -le $((sent - partial)) ]] || fail "the re-run appended $resumed, more than the $((sent - partial)) left"

# what goes wrong, clearly
bad() {  # WANT REGEX WHAT -- command
  local want=$1 re=$2 what=$3; shift 4
  timeout 120 "$@" >"$TMP/bad.out" 2>"$TMP/bad.err" </dev/null
  local got=$?
  if [[ $got -ne $want ]]; then fail "$what: exit $got, want $want"; head -3 "$TMP/bad.err"
  elif ! grep -qE -- "$re" "$TMP/bad.err"; then fail "$what: stderr does not say /$re/"; head -3 "$TMP/bad.err"
  elif grep -qF -- "$SB_PASSWORD" "$TMP/bad.err" "$TMP/bad.out"; then fail "$what: the password is printed"
  else pass "$what: exit $got"; fi
}
# Where mail would go, by --dry-run (nothing is sent; everything is on the
# target by now, so the plan is only read from the JSON): --mailbox-map, --missing.
printf '# old name<TAB>target name\nuser.fred.Lists\tuser.fred.Elsewhere\n' >"$TMP/map"
plan() {  # JSON-FILE MAILBOX -> "outcome target" of its first stranded message
  python3 -c 'import json,sys
for m in json.load(open(sys.argv[1]))["messages"]:
    if m["mailbox"] == sys.argv[2] and m["outcome"] != "left-out":
        print(m["outcome"], m.get("target", "")); break
else: print("none")' "$@"
}
"$BIN" reinject "$TMP/out" "$target" --password-file "$TMP/pw" --dry-run --json --mailbox-map "$TMP/map" \
  >"$TMP/p1.json" 2>/dev/null
[[ $(plan "$TMP/p1.json" user.fred.Lists) == "already-present user.fred.Elsewhere" ]] \
  && pass "--mailbox-map sends a mailbox's mail elsewhere" || fail "--mailbox-map: $(plan "$TMP/p1.json" user.fred.Lists)"
[[ $(plan "$TMP/p1.json" user.fred.Projects) == "already-present user.fred.Recovered by spoolsalvage.Projects" ]] \
  && pass "--missing quarantine (default): under the owner's INBOX" || fail "quarantine: $(plan "$TMP/p1.json" user.fred.Projects)"
"$BIN" reinject "$TMP/out" "$target" --password-file "$TMP/pw" --dry-run --json --missing create \
  >"$TMP/p2.json" 2>/dev/null
[[ $(plan "$TMP/p2.json" user.fred.Projects) == "already-present user.fred.Projects" ]] \
  && pass "--missing create: the mailbox itself" || fail "--missing create: $(plan "$TMP/p2.json" user.fred.Projects)"
"$BIN" reinject "$TMP/out" "$target" --password-file "$TMP/pw" --dry-run --json --missing skip \
  >"$TMP/p3.json" 2>/dev/null
python3 -c 'import json,sys
m = [x for x in json.load(open(sys.argv[1]))["messages"] if x["mailbox"] == "user.fred.Projects" and x["uid"] == 1][0]
sys.exit(0 if m["outcome"] == "left-out" and "--missing=skip" in m["detail"] else 1)' "$TMP/p3.json" \
  && pass "--missing skip: left out, saying why" || fail "--missing skip"
# STARTTLS on the plain port, the certificate verified
"$BIN" reinject "$TMP/out" "$target" --starttls --cacert "$SB_CERT" --password-file "$TMP/pw" \
  --json >"$TMP/p4.json" 2>"$TMP/p4.err"
[[ $? -le 1 && $(tally "$TMP/p4.json" already-present) -eq $sent ]] && pass "--starttls with --cacert" \
  || { fail "--starttls"; head -3 "$TMP/p4.err"; }
bad 8 'reinject.failed.*(certificate|SSL|TLS)' "--starttls with a certificate not trusted" -- \
  "$BIN" reinject "$TMP/out" "$target" --starttls --password-file "$TMP/pw"

printf 'wrong\n' >"$TMP/wrongpw"
bad 8 'reinject.failed.*(login|LOGIN|auth|denied)' "a wrong password" -- \
  "$BIN" reinject "$TMP/out" "$target" --password-file "$TMP/wrongpw"
closed=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
bad 8 'reinject.failed' "an unreachable port" -- \
  "$BIN" reinject "$TMP/out" "imap://$SB_ADMIN@127.0.0.1:$closed/" --password-file "$TMP/pw"
bad 8 'reinject.failed.*(certificate|SSL|TLS)' "a certificate not trusted" -- \
  "$BIN" reinject "$TMP/out" "imaps://$SB_ADMIN@127.0.0.1:$SB_IMAPS_PORT/" --password-file "$TMP/pw"
bad 16 'plain text' "imap:// to a remote host" -- \
  "$BIN" reinject "$TMP/out" "imap://$SB_ADMIN@192.0.2.1/" --password-file "$TMP/pw"
"$BIN" salvage "$TMP/old.img" -o "$TMP/plain" >/dev/null 2>&1
bad 16 'reinject.not-from-not-in' "a salvage made without --not-in" -- \
  "$BIN" reinject "$TMP/plain" "$target" --password-file "$TMP/pw"
bad 8 'reinject.manifest-unreadable' "an OUT without a manifest" -- \
  "$BIN" reinject "$TMP" "$target" --password-file "$TMP/pw"
# with the CA the same imaps:// works (nothing left to append)
"$BIN" reinject "$TMP/out" "imaps://$SB_ADMIN@127.0.0.1:$SB_IMAPS_PORT/" --cacert "$SB_CERT" \
  --password-file "$TMP/pw" --json >"$TMP/r5.json" 2>"$TMP/r5.err"
[[ $? -le 1 && $(tally "$TMP/r5.json" already-present) -eq $sent ]] && pass "imaps:// with --cacert" \
  || { fail "imaps:// with --cacert"; head -3 "$TMP/r5.err"; }
finish
