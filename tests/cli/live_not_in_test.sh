#!/usr/bin/env bash
# salvage --not-in imap://... against a live Cyrus (Debian's cyrus-imapd): a
# split-brain pair is built fresh (scripts/make-cyrus-fixture --split-brain),
# its new master is left running on 127.0.0.1, and salvaging the old master's
# image against it must give exactly the truth's stranded mail, plus the
# message the user expunged on purpose there (IMAP cannot see
# expunged-but-present records; the finding other-side.imap-expunged-invisible
# says so), with every mailbox classified as the truth says. Also: the offline
# --not-in NEW_IMAGE differs from it by exactly that message; the password
# from the environment or a file gives the same; BODY.PEEK[] hashing gives the
# same; imaps:// verifies the certificate (refused without the CA, accepted
# with --not-in-cacert, --insecure-tls is a finding); a user login is flagged;
# bad URLs, passwords and servers fail clearly; the password is printed
# nowhere; the server's spool is unchanged. Needs root and cyrus-imapd
# (scripts/deps installs it); SPOOLSALVAGE_SKIP_LIVE_TESTS=1 skips it.
source "$(dirname "$0")/common.sh" "$@"
source "$HERE/live_cyrus.sh"
truth=$TMP/fix/splitbrain.truth.json
xz -dc "$TMP/fix/splitbrain-old.ext4.img.xz" >"$TMP/old.img"
xz -dc "$TMP/fix/splitbrain-new.ext4.img.xz" >"$TMP/new.img"
host=127.0.0.1:$SB_IMAP_PORT
url="imap://$SB_ADMIN:$SB_PASSWORD@$host"
spool_state() {
  (cd "$SB_ROOT/var/spool/cyrus/mail" && find . -printf '%p %y %s %T@\n' | sort &&
    find . -type f -exec sha256sum {} + | sort -k2)
}
# More than a few dozen response lines (Debian's libcurl refuses those on its
# own IMAP command path): 60 more folders and one of 2048 messages (COPY
# doubling: APPENDs are slow), on the new master only (the truth's answer does
# not change: none of them is on the old side).
python3 - "$SB_IMAP_PORT" "$SB_PASSWORD" <<'PY' || fail "could not add the bulk folders"
import imaplib, sys
c = imaplib.IMAP4("127.0.0.1", int(sys.argv[1]))
c.login("fred", sys.argv[2])
for name in ['"INBOX/Bulk"'] + ['"INBOX/Bulk/F%02d"' % i for i in range(60)]:
    assert c.create(name)[0] == "OK"
assert c.append('"INBOX/Bulk"', None, None, b"Subject: bulk\r\n\r\nbulk body\r\n")[0] == "OK"
assert c.select('"INBOX/Bulk"')[0] == "OK"
for _ in range(11):
    assert c.uid("COPY", "1:*", '"INBOX/Bulk"')[0] == "OK"
assert c.select('"INBOX/Bulk"', readonly=True)[1] == [b"2048"]
c.logout()
PY
spool_state >"$TMP/spool.before"

# expect WHAT COMMAND...: pass when the command succeeds, else fail
expect() {
  local what=$1; shift
  if "$@"; then pass "$what"; else fail "$what"; fi
}
# run NAME WANT_EXIT salvage-arguments...: salvage OLD into $TMP/NAME
run() {
  local name=$1 want=$2; shift 2
  "$BIN" salvage "$TMP/old.img" -o "$TMP/$name" "$@" >"$TMP/$name.txt" 2>"$TMP/$name.err"
  local st=$?
  if [[ $st -ne $want ]]; then
    fail "$name: exit $st, want $want"; sed 's/^/    /' "$TMP/$name.err" | head -5
    return 1
  fi
  if grep -rqF -- "$SB_PASSWORD" "$TMP/$name.txt" "$TMP/$name.err" $([[ -d $TMP/$name ]] && echo "$TMP/$name"); then
    fail "$name: the password appears in the output"
  fi
  return 0
}

# check.py OUT: the salvaged set, statuses, bytes, classifications and the
# finding against the truth. Prints one line per difference.
cat >"$TMP/check.py" <<'PY'
import hashlib, json, os, sys
out, truth = sys.argv[1], json.load(open(sys.argv[2]))
mode = sys.argv[3] if len(sys.argv) > 3 else "admin"
# IMAP cannot see expunged-but-present records: what the new master holds
# only that way is stranded too.
expunged_only = [n for n in truth["not_stranded_notes"] if all(h["expunged"] for h in n["held_by"])]
if not expunged_only:
    print("the truth has no message held only by an expunged record: nothing tests the caveat")
want = {(s["mailbox"], s["uid"]): s for s in truth["stranded"] + expunged_only}
got, bad = {}, []
for line in open(os.path.join(out, "manifest.jsonl")):
    e = json.loads(line)
    if e["status"] != "skipped":
        got[(e["mailbox"], e["uid"])] = e
    elif e["reasons"] != ["select.held-elsewhere"]:
        bad.append(f"{e['mailbox']} uid {e['uid']}: skipped for {e['reasons']}")
for k in sorted(set(want) | set(got)):
    w, g = want.get(k), got.get(k)
    if not w: bad.append(f"{k}: salvaged, but the new master holds it"); continue
    if not g: bad.append(f"{k}: stranded, but not salvaged"); continue
    data = open(os.path.join(out, g["file"]), "rb").read()
    if hashlib.sha1(data).hexdigest() != w["sha1"]: bad.append(f"{k}: bytes differ")
    if g["status"] != "verified": bad.append(f"{k}: status {g['status']}")
    if g.get("other_side", {}).get("mailbox") != w["classification"]:
        bad.append(f"{k}: classified {g.get('other_side')}, truth {w['classification']}")
rep = json.load(open(os.path.join(out, "report.json")))
for m in rep["mailboxes"]:
    t = truth["old_mailbox_classification"].get(m["mailbox"])
    if t is None: bad.append(f"mailbox {m['mailbox']}: not in the truth"); continue
    if m["other_side"] != t["classification"]:
        bad.append(f"mailbox {m['mailbox']}: classified {m['other_side']}, truth {t['classification']}")
codes = [f["code"] for f in rep["findings"]]
if "other-side.imap-expunged-invisible" not in codes:
    bad.append("report.json lacks the finding other-side.imap-expunged-invisible")
for c in codes:
    if c.startswith("other-side.") and c not in ("other-side.imap-expunged-invisible",
                                                 "other-side.imap-proxy", "other-side.imap-hashed",
                                                 "other-side.imap-insecure-tls"):
        bad.append(f"unexpected finding {c}")
print("\n".join(bad))
print(f"{len(want)} stranded over IMAP ({len(expunged_only)} expunged there on purpose), "
      f"{len(got)} salvaged")
sys.exit(1 if bad else 0)
PY

# 1. The live new master, as the admin: exactly the stranded mail.
if run live 1 --not-in "$url"; then
  if python3 "$TMP/check.py" "$TMP/live" "$truth" >"$TMP/cmp"; then
    pass "live --not-in: exactly the stranded mail, classified ($(tail -1 "$TMP/cmp"))"
  else
    fail "live --not-in differs from the truth"; cat "$TMP/cmp"
  fi
  grep -q "other-side.imap-expunged-invisible" "$TMP/live/report.txt" ||
    fail "report.txt does not say that expunged mail is invisible over IMAP"
fi

# 2. The same server read offline (its image): the difference is exactly the
# message expunged on purpose, and every mailbox is classified alike.
if run offline 0 --not-in "$TMP/new.img"; then
  python3 - "$TMP/live" "$TMP/offline" "$truth" >"$TMP/cmp" <<'PY'
import json, os, sys
live, offline, truth = sys.argv[1], sys.argv[2], json.load(open(sys.argv[3]))
def salvaged(out):
    return {(e["mailbox"], e["uid"]) for e in map(json.loads, open(os.path.join(out, "manifest.jsonl")))
            if e["status"] != "skipped"}
def classes(out):
    return {m["mailbox"]: m["other_side"] for m in json.load(open(os.path.join(out, "report.json")))["mailboxes"]}
exp = {(n["mailbox"], n["uid"]) for n in truth["not_stranded_notes"] if all(h["expunged"] for h in n["held_by"])}
d = salvaged(live) - salvaged(offline)
bad = []
if d != exp or not salvaged(offline) <= salvaged(live): bad.append(f"live minus offline {sorted(d)}, want {sorted(exp)}")
if classes(live) != classes(offline): bad.append(f"classifications differ: {classes(live)} vs {classes(offline)}")
print("\n".join(bad)); sys.exit(1 if bad else 0)
PY
  if [[ $? -eq 0 ]]; then pass "live and offline --not-in differ by exactly the expunged-on-purpose mail"
  else fail "live vs offline"; cat "$TMP/cmp"; fi
fi

# 3. The password from the environment, from a file; messages hashed here.
# same_as_live NAME WHAT: the same messages salvaged and skipped, with the
# same classifications, as the first run (the URL in the reasons may differ).
same_as_live() {
  if python3 - "$TMP/live" "$TMP/$1" <<'PY'
import json, os, sys
def key(out):
    return sorted((e["mailbox"], e["uid"], e["status"], e["sha1"], json.dumps(e.get("other_side")), e["reasons"])
                  for e in map(json.loads, open(os.path.join(out, "manifest.jsonl"))))
a, b = key(sys.argv[1]), key(sys.argv[2])
for x in sorted(set(map(str, a)) ^ set(map(str, b)))[:5]: print("   ", x)
sys.exit(0 if a == b else 1)
PY
  then pass "$2: the same mail salvaged, the same classifications"
  else fail "$2: differs from the first live run"; fi
}
SPOOLSALVAGE_IMAP_PASSWORD=$SB_PASSWORD run env 1 --not-in "imap://$SB_ADMIN@$host" &&
  same_as_live env "password from \$SPOOLSALVAGE_IMAP_PASSWORD"
printf '%s\n' "$SB_PASSWORD" >"$TMP/pw"
run pwfile 1 --not-in "imap://$SB_ADMIN@$host" --not-in-password-file "$TMP/pw" &&
  same_as_live pwfile "password from --not-in-password-file"
if run hashed 1 --not-in "$url" --not-in-hash-bodies; then
  same_as_live hashed "GUIDs hashed from BODY.PEEK[] instead of DIGEST.SHA1"
  grep -q '"other-side.imap-hashed"' "$TMP/hashed/report.json" || fail "hashed: no other-side.imap-hashed finding"
fi

# 4. imaps://: the certificate is verified unless told otherwise.
surl="imaps://$SB_ADMIN:$SB_PASSWORD@127.0.0.1:$SB_IMAPS_PORT"
run tls-untrusted 8 --not-in "$surl" &&
  expect "imaps: a self-signed certificate is refused, OUT not made" \
    eval 'grep -q "certificate" "$TMP/tls-untrusted.err" && [[ ! -e $TMP/tls-untrusted ]]'
if run tls-ca 1 --not-in "$surl" --not-in-cacert "$SB_CERT"; then
  same_as_live tls-ca "imaps with --not-in-cacert"
  expect "imaps with the CA: no insecure-tls finding" \
    eval '! grep -q "imap-insecure-tls" "$TMP/tls-ca/report.json"'
fi
run tls-wrong-name 8 --not-in "imaps://$SB_ADMIN:$SB_PASSWORD@localhost:$SB_IMAPS_PORT" \
  --not-in-cacert "$SB_CERT" &&
  expect "imaps: a certificate for another host name is refused" grep -q "host name" "$TMP/tls-wrong-name.err"
if run tls-insecure 1 --not-in "$surl" --insecure-tls; then
  same_as_live tls-insecure "imaps with --insecure-tls"
  expect "--insecure-tls is a finding in the report" \
    grep -q "other-side.imap-insecure-tls" "$TMP/tls-insecure/report.txt"
fi

# 5. A user login sees only that user's mailboxes: said, and fred's are still
# classified right.
if run user 1 --not-in "imap://fred:$SB_PASSWORD@$host"; then
  python3 - "$TMP/user" "$truth" <<'PY' >"$TMP/cmp"
import json, os, sys
out, truth = sys.argv[1], json.load(open(sys.argv[2]))
rep = json.load(open(os.path.join(out, "report.json")))
bad = [] if any(f["code"] == "other-side.imap-not-admin" for f in rep["findings"]) else ["no other-side.imap-not-admin"]
for m in rep["mailboxes"]:
    t = truth["old_mailbox_classification"][m["mailbox"]]["classification"]
    if m["mailbox"].startswith("user.fred") and t in ("live", "same-name-other-uniqueid", "created-here") and m["other_side"] != t:
        bad.append(f"{m['mailbox']}: {m['other_side']}, truth {t}")
print("\n".join(bad)); sys.exit(1 if bad else 0)
PY
  if [[ $? -eq 0 ]]; then pass "a user login: flagged, the user's mailboxes classified right"
  else fail "user login"; cat "$TMP/cmp"; fi
fi

# 6. Failures are clear, write nothing, and never show the password.
run bad-password 8 --not-in "imap://$SB_ADMIN:wrong-$SB_PASSWORD@$host" &&
  expect "a wrong password: operational error, OUT not made" \
    eval 'grep -q "other-side.imap-failed" "$TMP/bad-password.err" && [[ ! -e $TMP/bad-password ]]'
run no-password 16 --not-in "imap://$SB_ADMIN@$host" && pass "no password anywhere: usage error"
run path-in-url 16 --not-in "$url/INBOX" && pass "a mailbox in the URL: usage error"
run twice 16 --not-in "$url" --not-in "$TMP/new.img" && pass "imap:// with another --not-in: usage error"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
run no-server 8 --not-in "imap://$SB_ADMIN:$SB_PASSWORD@127.0.0.1:$port" && pass "no server: operational error"

# 7. A hostile or broken server (a fake one): no crash; a clear finding, or a
# clear failure when nothing of the server can be trusted.
cat >"$TMP/fake.py" <<'PY'
import os, re, socket, sys, threading
scenario, portfile = sys.argv[1], sys.argv[2]
# nodigest: no DIGEST.SHA1; user/a holds the files of directory argv[3] (uids 1..n) and a 2.5 MiB
# message; longline: one message that is a single 600 KB line
msgs = [open(os.path.join(sys.argv[3], n), "rb").read() for n in sorted(os.listdir(sys.argv[3]))] \
    if len(sys.argv) > 3 else []
if scenario == "nodigest":
    msgs.append(b"Subject: big\r\n\r\n" + b"".join(b"%075d\r\n" % i for i in range(33000)))
if scenario == "longline":
    msgs = [b"Subject: long\r\n\r\n" + b"x" * 600000 + b"\r\n"]
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", 0))
srv.listen(16)
open(portfile + ".tmp", "w").write(str(srv.getsockname()[1]))
__import__("os").rename(portfile + ".tmp", portfile)
CAPS = "IMAP4rev1 AUTH=PLAIN SASL-IR DIGEST=SHA1 OBJECTID NAMESPACE"
def unquote(a):
    a = a.strip()
    if a.startswith('"'):
        out, i = "", 1
        while i < len(a) and a[i] != '"':
            if a[i] == "\\": i += 1
            out += a[i]; i += 1
        return out
    return a.split(" ")[0]
def respond(tag, cmd, arg, send):
    ok = f"{tag} OK done\r\n"
    if cmd == "LIST":
        if scenario == "garbage": return send(f'* LIST () "/" "unterminated\r\n{ok}')
        if scenario == "deep": return send("* LIST " + "(" * 10000 + ")" * 10000 + f' "/" x\r\n{ok}')
        if scenario == "literal-lies": send(f'* LIST () "/" {{99999}}\r\nabc\r\n{ok}'); return "close"
        if scenario == "hangup": send('* LIST () "/" user/a\r\n'); return "close"
        if scenario == "bye": send("* BYE going away\r\n"); return "close"
        if msgs: return send('* LIST (\\HasNoChildren) "/" user/a\r\n' + ok)
        if scenario == "autologout":  # the admin's session is logged out after LIST
            send('* LIST () "/" user/a\r\n* LIST () "/" DELETED/user/a/Old/6B07683E\r\n' + ok)
            return "close"
        return send('* LIST (\\HasNoChildren) "/" user/a\r\n* LIST (\\HasNoChildren) "/" user/b\r\n'
                    '* LIST (\\HasNoChildren) "/" {8}\r\nuser/c"q\r\n* LIST (\\Noselect) "/" user\r\n' + ok)
    name = unquote(arg)
    if cmd == "STATUS":
        mid = {"user/a": "ida", "user/b": "bad!id"}.get(name, "idc")
        return send(f'* STATUS "{name}" (MAILBOXID ({mid}))\r\n{ok}')
    if cmd == "EXAMINE":
        if name == "user/b": return send(f"{tag} NO [NOPERM] denied\r\n")
        n = (len(msgs) or 3) if name == "user/a" and scenario != "autologout" else 0
        return send(f"* {n} EXISTS\r\n* OK [UIDNEXT 10] x\r\n* OK [MAILBOXID (id{name[-1]})] x\r\n"
                    f"{tag} OK [READ-ONLY] done\r\n")
    if cmd == "UID" and msgs:
        if "DIGEST.SHA1" in arg: return send(f"{tag} BAD Invalid fetch attribute DIGEST.SHA1\r\n")
        if "RFC822.SIZE" in arg:
            return send("".join(f"* {i} FETCH (UID {i} RFC822.SIZE {len(m)})\r\n"
                                for i, m in enumerate(msgs, 1)) + ok)
        uid, off, n = map(int, re.search(r"FETCH (\d+) \(UID BODY.PEEK\[\]<(\d+)\.(\d+)>\)", arg).groups())
        piece = msgs[uid - 1][off:off + n]
        return send(f"* {uid} FETCH (UID {uid} BODY[]<{off}> {{{len(piece)}}}\r\n"
                    + piece.decode("latin-1") + ")\r\n" + ok)
    if cmd == "UID":
        return send("* 1 FETCH (UID 1 DIGEST.SHA1 " + "AB" * 20 + ")\r\n* 2 FETCH (UID 2 DIGEST.SHA1 nothex)\r\n"
                    "* 3 FETCH (FLAGS (\\Seen))\r\n" + ok)
    return send(f"{tag} BAD what\r\n")
def handle(c):
    f = c.makefile("rb")
    send = lambda s: c.sendall(s.encode("latin-1"))
    send("* OK fake IMAP server ready\r\n")
    while True:
        line = f.readline()
        if not line: break
        tag, _, rest = line.decode("latin-1").rstrip("\r\n").partition(" ")
        cmd, _, arg = rest.partition(" ")
        cmd = cmd.upper()
        if cmd == "CAPABILITY": send(f"* CAPABILITY {CAPS}\r\n{tag} OK done\r\n")
        elif cmd in ("AUTHENTICATE", "LOGIN"): send(f"{tag} OK welcome\r\n")
        elif cmd == "NAMESPACE": send(f'* NAMESPACE NIL (("user/" "/")) (("" "/"))\r\n{tag} OK done\r\n')
        elif cmd == "LOGOUT": send(f"* BYE bye\r\n{tag} OK done\r\n"); break
        elif respond(tag, cmd, arg, send) == "close": break
    c.close()
while True:
    c, _ = srv.accept()
    threading.Thread(target=handle, args=(c,), daemon=True).start()
PY
fake_pid=""
fake() {  # SCENARIO [MESSAGE_DIR]: start the fake server, set fake_port
  [[ -n $fake_pid ]] && kill "$fake_pid" 2>/dev/null
  rm -f "$TMP/fake.port"
  python3 "$TMP/fake.py" "$1" "$TMP/fake.port" "${@:2}" & fake_pid=$!
  for _ in $(seq 1 50); do [[ -s $TMP/fake.port ]] && break; sleep 0.1; done
  fake_port=$(cat "$TMP/fake.port")
}
trap 'stop_server; [[ -n $fake_pid ]] && kill "$fake_pid" 2>/dev/null; rm -rf "$TMP"' EXIT
for scenario in garbage deep literal-lies hangup bye; do
  fake "$scenario"
  run "fake-$scenario" 8 --not-in "imap://admin:$SB_PASSWORD@127.0.0.1:$fake_port" &&
    expect "a server that sends $scenario: a clear operational error" \
      grep -q "other-side.imap-failed" "$TMP/fake-$scenario.err"
done
fake mixed
if run fake-mixed 1 --not-in "imap://admin:$SB_PASSWORD@127.0.0.1:$fake_port"; then
  for code in imap-unexpected imap-mailbox-unread imap-uniqueid-unknown; do
    expect "a server with bad digests, a refused EXAMINE, a bad MAILBOXID: finding $code" \
      grep -q "other-side.$code" "$TMP/fake-mixed/report.json"
  done
fi
# No DIGEST.SHA1: each message fetched in 1 MiB pieces and hashed here; two
# of the served messages are on the old side (and so are held), one is 2.5 MiB.
mkdir -p "$TMP/fake-msgs"
python3 - "$TMP/live" "$TMP/fake-msgs" >"$TMP/fake-held" <<'PY'
import json, os, shutil, sys
entries = [json.loads(l) for l in open(os.path.join(sys.argv[1], "manifest.jsonl"))]
for i, e in enumerate([e for e in entries if e["status"] == "verified"][:2]):
    shutil.copy(os.path.join(sys.argv[1], e["file"]), os.path.join(sys.argv[2], str(i)))
    print(e["mailbox"], e["uid"])
PY
fake nodigest "$TMP/fake-msgs"
if run fake-nodigest 1 --not-in "imap://admin:$SB_PASSWORD@127.0.0.1:$fake_port"; then
  python3 - "$TMP/fake-nodigest" "$TMP/fake-held" <<'PY' >"$TMP/cmp"
import json, os, sys
held = {tuple(l.split()) for l in open(sys.argv[2])}
entries = [json.loads(l) for l in open(os.path.join(sys.argv[1], "manifest.jsonl"))]
skipped = {(e["mailbox"], str(e["uid"])) for e in entries if "select.held-elsewhere" in e["reasons"]}
codes = {f["code"] for f in json.load(open(os.path.join(sys.argv[1], "report.json")))["findings"]}
bad = []
if len(held) != 2 or skipped != held: bad.append(f"held {sorted(skipped)}, want {sorted(held)}")
if "other-side.imap-hashed" not in codes: bad.append("no other-side.imap-hashed")
for c in ("other-side.imap-unexpected", "other-side.imap-mailbox-unread"):
    if c in codes: bad.append(f"finding {c}")
print("\n".join(bad)); sys.exit(1 if bad else 0)
PY
  if [[ $? -eq 0 ]]; then pass "DIGEST.SHA1 refused: bodies hashed in pieces (2.5 MiB too), the right GUIDs held"
  else fail "DIGEST.SHA1 refused"; cat "$TMP/cmp"; fi
fi
# A message that is one 600 KB line: read whole, or a finding; never a wrong GUID or a crash.
fake longline "$TMP/fake-msgs"
run fake-longline 1 --not-in "imap://admin:$SB_PASSWORD@127.0.0.1:$fake_port" &&
  pass "a 600 KB line in a message: no crash ($(grep -o 'other-side.imap-[a-z-]*' "$TMP/fake-longline/report.txt" | sort -u | tr '\n' ' '))"
# The admin's connection dropped while idle: commands that need no selected
# mailbox are sent again on a new one.
fake autologout
if run fake-autologout 1 --not-in "imap://admin:$SB_PASSWORD@127.0.0.1:$fake_port"; then
  expect "a dropped idle connection: the next command goes on a new one" \
    eval '! grep -q "imap-uniqueid-unknown\|imap-mailbox-unread" "$TMP/fake-autologout/report.json"'
fi
kill "$fake_pid" 2>/dev/null; fake_pid=""

# 8. Reading changed nothing on the server.
spool_state >"$TMP/spool.after"
if cmp -s "$TMP/spool.before" "$TMP/spool.after"; then pass "the new master's spool is unchanged"
else fail "the new master's spool changed"; diff "$TMP/spool.before" "$TMP/spool.after" | head -10; fi

echo "run time $((SECONDS - started)) s"
finish
