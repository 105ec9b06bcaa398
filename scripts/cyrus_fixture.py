#!/usr/bin/env python3
"""Helper of scripts/make-cyrus-fixture (python3 standard library only).

  populate  -- talk to a running private Cyrus over IMAP/LMTP on 127.0.0.1: create users and folders, deliver and
               append messages, set flags, take ground-truth snapshots, expunge, delete a mailbox; write state JSON.
  finalize  -- after the server stopped: add each mailbox's directory (mbpath) and the "<uid>." files found there,
               check every message file's SHA-1 and size against the IMAP truth, write the truth JSON.
  mbexamine -- after the server stopped: capture Cyrus's own `mbexamine` (and `mbexamine -c`) for every mailbox of the
               truth, with the runtime config; fail if the tree changed; cross-check the records against the truth.
  verify    -- check a partition extracted from an image (debugfs rdump) against a truth file (--side: one side of
               the split-brain truth).
  splitbrain --phase base|old|new -- one phase of the split-brain fixture on a running server: the base state before
               the split, then the old master's and the new master's own changes after it; writes the phase state.
  splitbrain-truth -- combine both sides' truths (finalize output) into tests/fixtures/splitbrain.truth.json and
               compute the expected answer (stranded messages, narrowing by cutoff and sync log).
"""
import argparse
import base64
import datetime
import email.parser
import email.policy
import hashlib
import imaplib
import json
import os
import random
import re
import socket
import subprocess
import sys
import time

PASSWORD = "fixture-pw"
ADMIN = "cyrus"
CRLF = b"\r\n"


def die(msg):
    print("cyrus_fixture.py: ERROR: " + msg, file=sys.stderr)
    sys.exit(1)


def log(msg):
    print("   " + msg, file=sys.stderr)


# ----------------------------------------------------------------------------------------------------------------
# names
# ----------------------------------------------------------------------------------------------------------------
def mutf7_encode(s):
    """RFC 3501 modified UTF-7."""
    out, buf = [], []

    def flush():
        if buf:
            b = "".join(buf).encode("utf-16-be")
            out.append("&" + base64.b64encode(b).decode().rstrip("=").replace("/", ",") + "-")
            buf.clear()

    for ch in s:
        if 0x20 <= ord(ch) <= 0x7E:
            flush()
            out.append("&-" if ch == "&" else ch)
        else:
            buf.append(ch)
    flush()
    return "".join(out)


def mutf7_decode(s):
    def rep(m):
        t = m.group(1)
        if t == "":
            return "&"
        t = t.replace(",", "/")
        t += "=" * (-len(t) % 4)
        return base64.b64decode(t).decode("utf-16-be")

    return re.sub(r"&([^-]*)-", rep, s)


def internal_name(imap_name):
    """IMAP name (admin view, '/' separator, modified UTF-7) -> Cyrus internal name."""
    return imap_name.replace(".", "^").replace("/", ".")


def q(name):
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def parse_internaldate(s):
    s = s.strip()
    dt = datetime.datetime.strptime(s, "%d-%b-%Y %H:%M:%S %z")
    return int(dt.timestamp())


# ----------------------------------------------------------------------------------------------------------------
# IMAP / LMTP
# ----------------------------------------------------------------------------------------------------------------
def ok(resp, what):
    typ, data = resp
    if typ != "OK":
        die("%s failed: %s %r" % (what, typ, data))
    return data


def imap_login(port, user):
    c = imaplib.IMAP4("127.0.0.1", port)
    ok(c.login(user, PASSWORD), "LOGIN " + user)
    return c


def lmtp_send(port, mail_from, rcpts, msg):
    """Minimal LMTP client (smtplib.LMTP does not read the per-recipient replies after DATA)."""
    s = socket.create_connection(("127.0.0.1", port), 10)
    f = s.makefile("rb")

    def reply():
        lines = []
        while True:
            line = f.readline()
            if not line:
                die("LMTP connection closed")
            lines.append(line.decode("latin-1").rstrip())
            if line[3:4] != b"-":
                return int(line[:3]), lines

    def cmd(c, expect):
        s.sendall(c.encode() + CRLF)
        code, lines = reply()
        if code // 100 != expect:
            die("LMTP %s -> %s" % (c, lines))
        return lines

    code, _ = reply()
    if code != 220:
        die("LMTP greeting %d" % code)
    cmd("LHLO fixture.example", 2)
    cmd("MAIL FROM:<%s> BODY=8BITMIME" % mail_from, 2)
    for r in rcpts:
        cmd("RCPT TO:<%s>" % r, 2)
    cmd("DATA", 3)
    body = msg if msg.endswith(CRLF) else msg + CRLF
    body = b"\r\n".join((b"." + l if l.startswith(b".") else l) for l in body.split(CRLF)[:-1]) + CRLF
    s.sendall(body + b"." + CRLF)
    results = []
    for r in rcpts:
        code, lines = reply()
        results.append((r, code, lines))
        if code // 100 != 2:
            die("LMTP delivery to %s failed: %s" % (r, lines))
    cmd("QUIT", 2)
    s.close()
    return results


# ----------------------------------------------------------------------------------------------------------------
# message factory (deterministic content)
# ----------------------------------------------------------------------------------------------------------------
RNG = random.Random(20260101)
_msgno = [0]


def headers(subject, frm="Fred Example <fred@example.org>", to="Alice Example <alice@example.org>",
            date="Mon, 01 Jun 2020 10:00:00 +0200", extra=()):
    _msgno[0] += 1
    h = [
        "From: " + frm,
        "To: " + to,
        "Subject: " + subject,
        "Date: " + date,
        "Message-ID: <fixture-%03d@example.org>" % _msgno[0],
    ]
    h += list(extra)
    return ("\r\n".join(h) + "\r\n").encode()


def text_message(subject, body, **kw):
    extra = ["MIME-Version: 1.0", "Content-Type: text/plain; charset=us-ascii", "Content-Transfer-Encoding: 7bit"]
    return headers(subject, extra=extra, **kw) + CRLF + body.replace("\n", "\r\n").encode()


def tiny_message():
    # a few header lines only, no MIME headers, one-line body
    return b"From: a@b\r\nSubject: tiny\r\n\r\nhi\r\n"


def utf8_message(subject_ascii, **kw):
    extra = ["MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: 8bit"]
    body = ("Grüße aus Köln! Übermorgen treffen wir uns im Büro.\n"
            "Ελληνικά, русский текст, 日本語のテキスト, emoji \U0001F4E8.\n"
            "Straße, Maße, naïve café, smørrebrød.\n")
    return headers(subject_ascii, extra=extra, **kw) + CRLF + body.replace("\n", "\r\n").encode("utf-8")


def exact_size_message(size, tag):
    h = headers("exact size %d bytes (%s)" % (size, tag),
                extra=["MIME-Version: 1.0", "Content-Type: text/plain; charset=us-ascii"])
    h += CRLF
    remaining = size - len(h)
    if remaining < 4:
        die("header too long for size %d" % size)
    lines = []
    n = 0
    while remaining > 0:
        # each line = text + CRLF; at most 78 chars of text
        take = min(remaining, 80)
        if remaining - take in (1,):      # never leave 1 byte (cannot hold a CRLF)
            take -= 2
        text_len = take - 2
        line = ("%05d " % n + "abcdefghijklmnopqrstuvwxyz0123456789" * 3)[:text_len] if text_len > 0 else ""
        lines.append(line.encode() + CRLF)
        remaining -= take
        n += 1
    msg = h + b"".join(lines)
    if len(msg) != size:
        die("exact-size message is %d, not %d bytes" % (len(msg), size))
    return msg


def b64_lines(data):
    e = base64.b64encode(data)
    return CRLF.join(e[i:i + 76] for i in range(0, len(e), 76)) + CRLF


def large_message():
    bnd = "=_fixture_boundary_4711"
    h = headers("Quarterly report with attachments", to="Team <team@example.org>", date="Tue, 12 Mar 2019 08:15:00 +0000",
                extra=["MIME-Version: 1.0", 'Content-Type: multipart/mixed; boundary="%s"' % bnd])
    blob = RNG.randbytes(110 * 1024)                       # incompressible part
    logtxt = "".join("2019-03-%02d 12:%02d:%02d host%d kernel: event %d ok\n" % (1 + i % 28, i % 60, (i * 7) % 60, i % 5, i)
                     for i in range(1700)).encode()          # ~80 KB, compressible
    parts = [
        b"--" + bnd.encode() + CRLF + b"Content-Type: text/plain; charset=us-ascii" + CRLF + CRLF
        + b"Please find the report and the logs attached." + CRLF + CRLF,
        b"--" + bnd.encode() + CRLF + b"Content-Type: application/octet-stream; name=\"report.bin\"" + CRLF
        + b"Content-Transfer-Encoding: base64" + CRLF
        + b"Content-Disposition: attachment; filename=\"report.bin\"" + CRLF + CRLF + b64_lines(blob) + CRLF,
        b"--" + bnd.encode() + CRLF + b"Content-Type: text/plain; charset=us-ascii; name=\"syslog.txt\"" + CRLF
        + b"Content-Transfer-Encoding: base64" + CRLF
        + b"Content-Disposition: attachment; filename=\"syslog.txt\"" + CRLF + CRLF + b64_lines(logtxt) + CRLF,
        b"--" + bnd.encode() + b"--" + CRLF,
    ]
    return h + CRLF + b"This is a multi-part message in MIME format." + CRLF + CRLF + b"".join(parts)


def html_message(subject, **kw):
    bnd = "alt_boundary_0815"
    extra = ["MIME-Version: 1.0", 'Content-Type: multipart/alternative; boundary="%s"' % bnd]
    body = ("--%s\nContent-Type: text/plain; charset=us-ascii\n\nPlain part of %s.\n\n"
            "--%s\nContent-Type: text/html; charset=us-ascii\n\n<html><body><p>HTML part of <b>%s</b>.</p></body></html>\n\n"
            "--%s--\n") % (bnd, subject, bnd, subject, bnd)
    return headers(subject, extra=extra, **kw) + CRLF + body.replace("\n", "\r\n").encode()


# ----------------------------------------------------------------------------------------------------------------
# populate
# ----------------------------------------------------------------------------------------------------------------
FRED_FOLDERS = ["Sent", "Work Projects", "Entwürfe", "Trash", "Work Projects/2026"]


def owner_of(imap_name):
    parts = imap_name.split("/")
    if parts[0] == "user" and len(parts) >= 2:
        return parts[1]
    if parts[0] == "DELETED" and len(parts) >= 3 and parts[1] == "user":
        return parts[2]
    return None


class Sessions:
    def __init__(self, port):
        self.port = port
        self.s = {}

    def get(self, user):
        if user not in self.s:
            self.s[user] = imap_login(self.port, user)
        return self.s[user]

    def for_mailbox(self, imap_name):
        """Flags are read/written as the owner: Cyrus keeps the owner's \\Seen in cyrus.index, other users' \\Seen in
        their seen.db.  Shared mailboxes: the admin."""
        return self.get(owner_of(imap_name) or ADMIN)

    def close(self):
        for c in self.s.values():
            try:
                c.logout()
            except Exception:
                pass


def append(sess, mailbox, msg, flags, date):
    c = sess.for_mailbox(mailbox)
    typ, data = c.append(q(mailbox), "(" + " ".join(flags) + ")" if flags else None, '"' + date + '"', msg)
    if typ != "OK":
        die("APPEND to %s failed: %r" % (mailbox, data))
    m = re.search(rb"APPENDUID \d+ (\d+)", data[0] or b"")
    return int(m.group(1)) if m else None


def list_mailboxes(c, pattern="*"):
    typ, data = c.list('""', q(pattern))
    ok((typ, data), "LIST " + pattern)
    names = []
    for item in data:
        if item is None:
            continue
        if isinstance(item, tuple):      # name sent as a literal
            names.append(item[1].decode())
            continue
        line = item.decode()
        m = re.match(r'\((.*?)\) (NIL|"(?:[^"\\]|\\.)*") (.*)$', line)
        if not m:
            die("cannot parse LIST line %r" % line)
        n = m.group(3)
        if n.startswith('"'):
            n = re.sub(r'\\(.)', r'\1', n[1:-1])
        names.append(n)
    return names


def status(c, name, items):
    typ, data = c.status(q(name), "(" + items + ")")
    ok((typ, data), "STATUS " + name)
    line = data[0].decode() if isinstance(data[0], bytes) else data[0][0].decode()
    res = {}
    m = re.search(r"\(([^()]*)\)\s*$", line)
    toks = m.group(1).split()
    for k, v in zip(toks[0::2], toks[1::2]):
        res[k.upper()] = v
    return res


imaplib.Commands.setdefault("GETMETADATA", ("AUTH", "SELECTED"))


def uniqueid_of(sess, name, live=True):
    """Mailbox uniqueid: admin GETMETADATA /shared/vendor/cmu/cyrus-imapd/uniqueid; for live mailboxes cross-checked
    with STATUS (MAILBOXID) in the owner's session (the admin has no 'r' right on user mailboxes, so its STATUS fails)."""
    admin = sess.get(ADMIN)
    typ, data = admin._simple_command("GETMETADATA", q(name), "/shared/vendor/cmu/cyrus-imapd/uniqueid")
    ok((typ, data), "GETMETADATA " + name)
    typ, data = admin._untagged_response(typ, data, "METADATA")
    raw = b" ".join(x if isinstance(x, bytes) else b" ".join(x) for x in data if x)
    m = re.search(rb'cyrus-imapd/uniqueid" "([^"]+)"', raw)
    if not m:
        die("no uniqueid in GETMETADATA reply for %s: %r" % (name, raw))
    uid_ = m.group(1).decode()
    how = "GETMETADATA /shared/vendor/cmu/cyrus-imapd/uniqueid (admin)"
    if live:
        c = sess.for_mailbox(name)
        typ, data = c.status(q(name), "(MAILBOXID)")
        ok((typ, data), "STATUS (MAILBOXID) " + name)
        m = re.search(rb"MAILBOXID \(([^)]+)\)", data[0] if isinstance(data[0], bytes) else data[0][0])
        if not m or m.group(1).decode() != uid_:
            die("STATUS MAILBOXID %r != GETMETADATA uniqueid %s for %s" % (data, uid_, name))
        how += " = STATUS (MAILBOXID) (owner)"
    return uid_, how


def snapshot_mailbox(sess, name, with_headers=False):
    """with_headers: also record each message's Subject and Message-ID (read from the fetched bytes; split brain)."""
    c = sess.for_mailbox(name)
    typ, data = c.select(q(name), readonly=True)
    ok((typ, data), "EXAMINE " + name)
    uidvalidity = int(c.untagged_responses.get("UIDVALIDITY", [b"0"])[-1])
    msgs = []
    typ, data = c.uid("FETCH", "1:*", "(UID FLAGS INTERNALDATE RFC822.SIZE MODSEQ)")
    ok((typ, data), "FETCH " + name)
    for item in data:
        if item is None:
            continue
        line = item.decode() if isinstance(item, bytes) else item[0].decode()
        uid = re.search(r"\bUID (\d+)", line)
        if not uid:
            continue
        flags = re.search(r"\bFLAGS \(([^)]*)\)", line).group(1).split()
        idate = re.search(r'\bINTERNALDATE "([^"]*)"', line).group(1)
        size = int(re.search(r"\bRFC822\.SIZE (\d+)", line).group(1))
        modseq = re.search(r"\bMODSEQ \((\d+)\)", line)
        msgs.append({"uid": int(uid.group(1)), "internaldate": parse_internaldate(idate), "internaldate_imap": idate,
                     "flags": [f for f in flags if f.lower() != "\\recent"], "size": size,
                     "modseq": int(modseq.group(1)) if modseq else None})
    for m in msgs:
        typ, data = c.uid("FETCH", str(m["uid"]), "(BODY.PEEK[])")
        ok((typ, data), "FETCH BODY " + name)
        body = None
        for item in data:
            if isinstance(item, tuple):
                body = item[1]
        if body is None or len(body) != m["size"]:
            die("%s uid %d: BODY[] has %s bytes, RFC822.SIZE %d" % (name, m["uid"], None if body is None else len(body), m["size"]))
        m["sha1"] = hashlib.sha1(body).hexdigest()
        m["expunged"] = False
        if with_headers:
            hdr = email.parser.BytesHeaderParser(policy=email.policy.compat32).parsebytes(body)
            m["subject"] = str(hdr.get("Subject", "")) or None
            m["message_id"] = str(hdr.get("Message-ID", "")).strip() or None
    c.unselect()   # never CLOSE: it would expunge \Deleted messages
    msgs.sort(key=lambda x: x["uid"])
    return {"uidvalidity": uidvalidity, "messages": msgs}


def snapshot_all(sess, names):
    return {n: snapshot_mailbox(sess, n) for n in names}


def populate(args):
    sess = Sessions(args.imap_port)
    admin = sess.get(ADMIN)
    caps = admin.capabilities
    log("IMAP capabilities: " + " ".join(caps)[:200] + " ...")

    # --- users and folders (as the admin) ---
    created = []
    for u in ("fred", "alice"):
        ok(admin.create(q("user/" + u)), "CREATE user/" + u)
        created.append("user/" + u)
    for f in FRED_FOLDERS:
        n = "user/fred/" + mutf7_encode(f)
        ok(admin.create(q(n)), "CREATE " + n)
        created.append(n)
    if "user/fred/Entw&APw-rfe" not in created:
        die("modified UTF-7 encoding of Entwürfe is wrong: %r" % created)
    ok(admin.create(q("user/alice/Archive")), "CREATE user/alice/Archive")
    ok(admin.create(q("shared")), "CREATE shared")
    ok(admin.create(q("shared/announce")), "CREATE shared/announce")
    # the admin may write everywhere; anyone (incl. anonymous LMTP) may post to shared/announce
    ok(admin.setacl(q("shared/announce"), "anyone", "lrsp"), "SETACL")
    ok(admin.setacl(q("shared/announce"), ADMIN, "lrswipkxtecdan"), "SETACL")
    ok(admin.setacl(q("shared"), "anyone", "lrs"), "SETACL")

    listed = list_mailboxes(admin)
    log("LIST after create: %s" % listed)
    for n in created:
        if n not in listed:
            die("%s not listed" % n)

    # --- LMTP deliveries (internaldate = delivery time) ---
    lmtp = []
    lmtp.append(lmtp_send(args.lmtp_port, "bob@example.net", ["fred"],
                          text_message("Welcome to the server", "Hello Fred,\n\nyour mailbox is ready.\n\n-- \nPostmaster\n",
                                       frm="Postmaster <postmaster@example.org>", to="fred@example.org")))
    lmtp.append(lmtp_send(args.lmtp_port, "bob@example.net", ["fred"],
                          utf8_message("=?utf-8?q?Gr=C3=BC=C3=9Fe_aus_K=C3=B6ln?=", frm="Bob <bob@example.net>",
                                       to="fred@example.org", date="Thu, 05 Nov 2026 09:00:00 +0100")))
    lmtp.append(lmtp_send(args.lmtp_port, "carol@example.net", ["fred"],
                          html_message("Lunch on Friday?", frm="Carol <carol@example.net>", to="fred@example.org")))
    lmtp.append(lmtp_send(args.lmtp_port, "bob@example.net", ["fred"],
                          text_message("Invoice 2026-117", "Dear Fred,\n\nplease pay invoice 2026-117.\n" + "Item line\n" * 40,
                                       frm="Billing <billing@example.net>", to="fred@example.org")))
    lmtp.append(lmtp_send(args.lmtp_port, "dave@example.net", ["alice"],
                          text_message("Hi Alice", "Just saying hi.\n", frm="Dave <dave@example.net>", to="alice@example.org")))
    lmtp.append(lmtp_send(args.lmtp_port, "dave@example.net", ["alice"],
                          text_message("Meeting notes", "Notes:\n- one\n- two\n- three\n", frm="Dave <dave@example.net>",
                                       to="alice@example.org")))
    # one message, several recipients: the same bytes land in several mailboxes (single-instance store)
    multi = text_message("All hands meeting", "The all hands meeting is on Monday at 10:00.\n",
                         frm="CEO <ceo@example.org>", to="all@example.org")
    shared_rcpt = None
    for cand in ("+shared/announce", "+shared.announce"):
        try:
            lmtp_send(args.lmtp_port, "ceo@example.org", [cand], text_message(
                "Shared folder test delivery", "Delivered by LMTP to a shared folder.\n", frm="CEO <ceo@example.org>"))
            shared_rcpt = cand
            break
        except SystemExit:
            log("LMTP to %s did not work" % cand)
    rcpts = ["fred", "alice"] + ([shared_rcpt] if shared_rcpt else [])
    lmtp.append(lmtp_send(args.lmtp_port, "ceo@example.org", rcpts, multi))
    lmtp.append(lmtp_send(args.lmtp_port, "list@example.net", ["fred", "alice"],
                          text_message("[list] weekly digest", "Digest body\n" * 30, frm="List <list@example.net>",
                                       to="list@example.net")))
    log("LMTP: shared folder recipient %r" % shared_rcpt)

    # --- IMAP APPEND with explicit flags and internal dates (as the owner) ---
    F = "user/fred/"
    A = "user/alice/"
    ap = []
    ap.append((F[:-1], tiny_message(), ["\\Seen"], "01-Jan-1996 10:00:00 +0100"))
    ap.append((F[:-1], text_message("Y2K is coming", "Are your systems ready?\n", date="Fri, 31 Dec 1999 23:59:00 -0500"),
               ["\\Seen", "\\Answered"], "31-Dec-1999 23:59:00 -0500"))
    ap.append((F[:-1], utf8_message("8bit body, appended", date="Sat, 15 Feb 2003 12:00:00 +0100"), [],
               "15-Feb-2003 12:00:00 +0100"))
    ap.append((F[:-1], text_message("Spam offer", "Buy now!\n", frm="Spammer <x@spam.example>"), ["Junk"],
               "02-Apr-2010 03:04:05 +0000"))
    ap.append((F[:-1], text_message("Old thread 1", "Old mail, will be expunged.\n"), ["\\Seen"],
               "11-Nov-2011 11:11:11 +0000"))
    ap.append((F[:-1], text_message("Old thread 2", "Old mail, will be expunged too.\n"), ["\\Seen", "$Label1"],
               "12-Nov-2011 11:11:11 +0000"))
    ap.append((F + "Sent", large_message(), ["\\Seen"], "12-Mar-2019 08:15:00 +0000"))
    ap.append((F + "Sent", text_message("Re: Lunch on Friday?", "Yes, see you at noon.\n", to="carol@example.net"),
               ["\\Seen"], "20-May-2005 12:30:00 +0200"))
    ap.append((F + "Sent", text_message("Re: Y2K is coming", "All good here.\n", date="Sat, 01 Jan 2000 00:05:00 +0100"),
               ["\\Seen"], "01-Jan-2000 00:05:00 +0100"))
    for i, size in enumerate((1023, 1024, 1025, 4095, 4096, 4097)):
        ap.append((F + "Work Projects", exact_size_message(size, "block edge"), ["\\Seen"] if i % 2 else [],
                   "%02d-Jun-2015 09:00:00 +0000" % (i + 1)))
    ap.append((F + "Work Projects", text_message("Project plan", "Milestones:\n1. start\n2. finish\n"),
               ["\\Flagged", "ProjectX"], "03-Mar-2021 10:00:00 +0100"))
    ap.append((F + "Work Projects", text_message("Obsolete plan", "Superseded.\n"), ["\\Seen"],
               "04-Mar-2021 10:00:00 +0100"))
    ap.append((F + "Work Projects/2026", text_message("Budget 2026", "Budget table follows.\n" + "row\n" * 20),
               ["\\Seen", "$Label1"], "10-Jan-2026 14:00:00 +0100"))
    ap.append((F + "Work Projects/2026", text_message("Kickoff 2026", "Kickoff on 2026-02-01.\n"), [],
               "20-Jan-2026 14:00:00 +0100"))
    ap.append((F + mutf7_encode("Entwürfe"), utf8_message("Draft: Antwort an Bob", date="Thu, 01 Oct 2026 18:00:00 +0200"),
               ["\\Draft"], "01-Oct-2026 18:00:00 +0200"))
    ap.append((F + mutf7_encode("Entwürfe"), text_message("Draft: unfinished", "Dear ...\n"), ["\\Draft", "\\Seen"],
               "24-Nov-2026 07:45:00 +0000"))
    ap.append((F + "Trash", text_message("Deleted newsletter 1", "Newsletter.\n" * 10), ["\\Seen"],
               "05-May-2008 05:05:05 +0000"))
    ap.append((F + "Trash", text_message("Deleted newsletter 2", "Newsletter.\n" * 12), ["\\Seen", "Junk"],
               "06-May-2008 05:05:05 +0000"))
    ap.append((F + "Trash", exact_size_message(2048, "trash"), [], "07-May-2008 05:05:05 +0000"))
    ap.append((F + "Trash", text_message("Deleted and expunged in Trash", "Gone twice.\n"), ["\\Seen"],
               "08-May-2008 05:05:05 +0000"))
    ap.append((A[:-1], text_message("Hello from 1998", "Old message.\n", to="alice@example.org"), ["\\Seen"],
               "24-Aug-1998 16:20:00 -0700"))
    ap.append((A[:-1], exact_size_message(1024, "alice"), ["\\Flagged"], "01-Feb-2024 08:00:00 +0000"))
    ap.append((A[:-1], text_message("To be expunged (alice)", "bye\n"), [], "02-Feb-2024 08:00:00 +0000"))
    ap.append((A + "Archive", text_message("Archived 2001", "Archive me.\n"), ["\\Seen", "\\Answered", "$Label1"],
               "11-Sep-2001 08:00:00 -0400"))
    ap.append(("shared/announce", text_message("Maintenance window", "Saturday 02:00-04:00 UTC.\n",
                                               frm="Admin <admin@example.org>", to="all@example.org"),
               ["\\Seen"], "15-Jul-2017 12:00:00 +0000"))
    uids = {}
    for mbox, msg, flags, date in ap:
        uid = append(sess, mbox, msg, flags, date)
        uids.setdefault(mbox, []).append(uid)

    # --- STORE flags / keywords on delivered and appended mail (as the owner) ---
    def store(mbox, uidset, op, flags):
        c = sess.for_mailbox(mbox)
        ok(c.select(q(mbox)), "SELECT " + mbox)
        ok(c.uid("STORE", uidset, op, "(" + " ".join(flags) + ")"), "STORE %s %s" % (mbox, uidset))
        c.unselect()   # never CLOSE: it would expunge \Deleted messages

    store("user/fred", "1", "+FLAGS", ["\\Seen", "\\Answered"])           # welcome
    store("user/fred", "2", "+FLAGS", ["\\Seen", "\\Flagged", "$Label1"])  # utf-8
    store("user/fred", "3", "+FLAGS", ["\\Seen", "ProjectX"])             # lunch
    store("user/fred", "4", "+FLAGS", ["Junk"])                           # invoice
    store("user/fred", "4", "-FLAGS", ["Junk"])
    store("user/fred", "4", "+FLAGS", ["\\Flagged", "$Label1", "NonJunk"])
    store("user/alice", "1", "+FLAGS", ["\\Seen"])
    store("user/alice", "2:3", "+FLAGS", ["\\Seen", "\\Answered"])
    store("user/fred/Work Projects", "1:3", "+FLAGS", ["$Label1"])
    store("shared/announce", "1", "+FLAGS", ["\\Flagged"])

    # --- messages that will be expunged: \Deleted first, so the pre-expunge truth carries the flag ---
    fred_inbox_uids = uids["user/fred"]
    to_expunge = {
        "user/fred": [fred_inbox_uids[4], fred_inbox_uids[5]],     # "Old thread 1/2"
        "user/fred/Work Projects": [uids["user/fred/Work Projects"][-1]],   # "Obsolete plan"
        "user/alice": [uids["user/alice"][-1]],
        "user/fred/Trash": [uids["user/fred/Trash"][-1]],
    }
    for mbox, us in to_expunge.items():
        store(mbox, ",".join(map(str, us)), "+FLAGS", ["\\Deleted"])

    names = list_mailboxes(admin)
    snap1 = snapshot_all(sess, names)       # before expunge

    for mbox, us in to_expunge.items():
        c = sess.for_mailbox(mbox)
        ok(c.select(q(mbox)), "SELECT " + mbox)
        ok(c.uid("EXPUNGE", ",".join(map(str, us))), "UID EXPUNGE " + mbox)
        c.unselect()   # never CLOSE: it would expunge \Deleted messages
    snap2 = snapshot_all(sess, names)       # after expunge, before delete

    # --- delete fred's Trash (delayed delete -> DELETED.user.fred.Trash.<HEX>) ---
    trash = "user/fred/Trash"
    trash_uniqueid, _ = uniqueid_of(sess, trash)
    t_delete = int(time.time())
    # deleted by its owner (the admin has no 'x' right on fred's subfolders; a user deleting a folder is the usual case)
    ok(sess.for_mailbox(trash).delete(q(trash)), "DELETE " + trash)
    deleted = list_mailboxes(admin, "DELETED/*")
    log("LIST DELETED/*: %s" % deleted)
    deleted_trash = [n for n in deleted if n.startswith("DELETED/user/fred/Trash/")]
    if len(deleted_trash) != 1:
        die("expected one DELETED/user/fred/Trash/<HEX>, got %r" % deleted)

    # --- final read (as the admin) ---
    final_names = list_mailboxes(admin)
    live = {}
    for n in final_names:
        if n.startswith("DELETED/"):
            continue
        uid_, how = uniqueid_of(sess, n)
        st = status(sess.for_mailbox(n), n, "MESSAGES UIDNEXT UIDVALIDITY HIGHESTMODSEQ")
        typ, acl = admin.getacl(q(n))
        live[n] = {"uniqueid": uid_, "uniqueid_source": how, "status": st,
                   "acl": acl[0].decode() if typ == "OK" and acl else None}
    snap3 = snapshot_all(sess, [n for n in final_names if not n.startswith("DELETED/")])
    dinfo = {}
    for n in deleted:
        uid_, how = uniqueid_of(sess, n, live=False)
        dinfo[n] = {"uniqueid": uid_, "uniqueid_source": how}
    sess.close()

    mailboxes = []

    def merged(before_expunge, after):
        out = {m["uid"]: dict(m) for m in after["messages"]}
        for m in before_expunge["messages"]:
            if m["uid"] not in out:
                e = dict(m)
                e["expunged"] = True
                out[m["uid"]] = e
        return [out[u] for u in sorted(out)]

    for n in final_names:
        if n.startswith("DELETED/"):
            continue
        if [m["uid"] for m in snap3[n]["messages"]] != [m["uid"] for m in snap2[n]["messages"]]:
            die("%s changed between the post-expunge snapshot and the final read" % n)
        owner = owner_of(n)
        mailboxes.append({
            "name": internal_name(n), "display_name": mutf7_decode(n), "imap_name": n,
            "uniqueid": live[n]["uniqueid"], "uniqueid_source": live[n]["uniqueid_source"], "state": "live",
            "owner": owner, "flags_read_as": owner or ADMIN, "uidvalidity": snap3[n]["uidvalidity"],
            "status": live[n]["status"], "acl": live[n]["acl"],
            "messages": merged(snap1[n], snap3[n]),
        })
    for n in deleted:
        orig = "/".join(n.split("/")[1:-1])
        if orig not in snap2:
            die("no pre-delete snapshot for %s" % n)
        if dinfo[n]["uniqueid"] != (trash_uniqueid if orig == trash else dinfo[n]["uniqueid"]):
            log("NOTE: uniqueid changed on delete: %s -> %s" % (trash_uniqueid, dinfo[n]["uniqueid"]))
        owner = owner_of(n)
        mailboxes.append({
            "name": internal_name(n), "display_name": mutf7_decode(n), "imap_name": n,
            "original_name": internal_name(orig), "original_display_name": mutf7_decode(orig),
            "uniqueid": dinfo[n]["uniqueid"], "uniqueid_source": dinfo[n]["uniqueid_source"],
            "uniqueid_before_delete": trash_uniqueid if orig == trash else None,
            "deleted_hex": n.rsplit("/", 1)[1], "deleted_at": int(n.rsplit("/", 1)[1], 16),
            "state": "deleted", "owner": owner, "flags_read_as": owner or ADMIN,
            "uidvalidity": snap2[orig]["uidvalidity"],
            "messages": merged(snap1[orig], snap2[orig]),
        })
    mailboxes.sort(key=lambda m: m["name"])
    state = {"variant": args.variant, "lmtp_shared_recipient": shared_rcpt, "delete_time": t_delete,
             "deleted_list_method": 'admin LIST "" "DELETED/*"', "imap_capabilities": list(caps),
             "mailboxes": mailboxes}
    with open(args.state, "w") as f:
        json.dump(state, f, indent=1)
    nmsg = sum(len(m["messages"]) for m in mailboxes)
    log("populate done: %d mailboxes, %d message records" % (len(mailboxes), nmsg))


# ----------------------------------------------------------------------------------------------------------------
# finalize
# ----------------------------------------------------------------------------------------------------------------
def conf_get(path, key):
    with open(path) as f:
        for line in f:
            m = re.match(r"\s*%s\s*:\s*(.*?)\s*$" % re.escape(key), line)
            if m:
                return m.group(1)
    return None


def yes(v):
    return (v or "").lower() in ("1", "t", "true", "yes", "on")


def finalize(args):
    with open(args.state) as f:
        state = json.load(f)
    root = os.path.abspath(args.root)
    part_rt = conf_get(args.runtime_conf, "partition-default")
    conf_rt = conf_get(args.runtime_conf, "configdirectory")
    img_conf = os.path.join(root, "etc/imapd.conf")
    configdir = conf_get(img_conf, "configdirectory")
    part = conf_get(img_conf, "partition-default")
    errors = []
    for mb in state["mailboxes"]:
        # mbpath takes the external (IMAP, '/'-separated) name with unixhierarchysep: yes
        r = subprocess.run([args.mbpath, "-C", args.runtime_conf, "-l", mb["imap_name"]], capture_output=True, text=True)
        path = r.stdout.strip()
        if r.returncode != 0 or not path:
            die("mbpath %s failed: %s %s" % (mb["name"], r.stdout, r.stderr))
        rel = os.path.relpath(path, part_rt)
        if rel.startswith(".."):
            die("mbpath gave %s outside the partition %s" % (path, part_rt))
        mb["dir"] = rel
        with open(os.path.join(path, "cyrus.header"), "rb") as f:
            hdr = f.read()
        if mb["uniqueid"].encode() not in hdr:
            errors.append("%s: uniqueid %s not in %s/cyrus.header" % (mb["name"], mb["uniqueid"], rel))
        files = sorted(int(n[:-1]) for n in os.listdir(path) if re.fullmatch(r"[0-9]+\.", n))
        mb["message_files"] = files
        for m in mb["messages"]:
            fn = os.path.join(path, "%d." % m["uid"])
            if not os.path.exists(fn):
                errors.append("%s uid %d (%s): no file %s" % (mb["name"], m["uid"], "expunged" if m["expunged"] else "live", fn))
                continue
            with open(fn, "rb") as f:
                data = f.read()
            if hashlib.sha1(data).hexdigest() != m["sha1"] or len(data) != m["size"]:
                errors.append("%s uid %d: file sha1/size %s/%d != IMAP %s/%d"
                              % (mb["name"], m["uid"], hashlib.sha1(data).hexdigest(), len(data), m["sha1"], m["size"]))
            st = os.stat(fn)
            m["file_mtime"] = int(st.st_mtime)
            m["file_nlink"] = st.st_nlink
        extra = set(files) - {m["uid"] for m in mb["messages"]}
        if extra:
            errors.append("%s: files without a truth record: %s" % (mb["name"], sorted(extra)))
    if errors:
        die("truth does not match the tree:\n  " + "\n  ".join(errors))

    sync_path = os.path.join(conf_rt, "sync", "log")
    sync_lines = []
    if os.path.exists(sync_path):
        with open(sync_path, "rb") as f:
            sync_lines = f.read().decode("utf-8", "replace").splitlines()
    mdb = os.path.join(conf_rt, "mailboxes.db")
    with open(mdb, "rb") as f:
        magic = f.read(20)
    backend = "twoskip" if b"twoskip file" in magic else "skiplist" if b"skiplist file" in magic else "unknown"

    # Cyrus's own view of mailboxes.db (includes tombstones such as the 'd' entry left by a delayed delete)
    ctl = os.path.join(os.path.dirname(args.mbpath), "ctl_mboxlist")
    r = subprocess.run([ctl, "-C", args.runtime_conf, "-d"], capture_output=True, text=True)
    if r.returncode != 0:
        die("ctl_mboxlist -d failed: %s" % r.stderr)
    mboxlist_dump = json.loads(r.stdout)

    sizes = sorted({m["size"] for mb in state["mailboxes"] for m in mb["messages"]})
    truth = {
        "cyrus_version": args.cyrus_version,
        "cyrus_package_version": args.package_version,
        "variant": args.variant,
        "config": {
            "configdirectory": configdir,
            "partitions": {"default": part},
            "hashimapspool": yes(conf_get(img_conf, "hashimapspool")),
            "fulldirhash": yes(conf_get(img_conf, "fulldirhash")),
            "mailbox_legacy_dirs": yes(conf_get(img_conf, "mailbox_legacy_dirs")),
            "unixhierarchysep": yes(conf_get(img_conf, "unixhierarchysep")),
            "virtdomains": conf_get(img_conf, "virtdomains"),
            "expunge_mode": conf_get(img_conf, "expunge_mode"),
            "delete_mode": conf_get(img_conf, "delete_mode"),
            "imapd_conf": "/etc/imapd.conf",
            "cyrus_conf": "/etc/cyrus.conf",
        },
        "mailboxes_db": {"path": configdir + "/mailboxes.db", "backend": backend,
                         "ctl_mboxlist_dump": mboxlist_dump},
        "sync_log": {"path": configdir + "/sync/log", "lines": sync_lines},
        "lmtp_shared_recipient": state["lmtp_shared_recipient"],
        "deleted_list_method": state["deleted_list_method"],
        "notes": [
            "flags are read (and were set) as the mailbox owner for user mailboxes, so \\Seen is the owner's seen "
            "state that Cyrus keeps in cyrus.index; shared mailboxes are read as the admin 'cyrus' (their \\Seen lives "
            "in cyrus's seen db, not in cyrus.index)",
            "expunged messages: truth from the snapshot taken after STORE +FLAGS \\Deleted and before UID EXPUNGE",
            "deleted mailbox: messages from the snapshot taken just before DELETE; name/dir/uniqueid after the delete",
            "dir is relative to the partition root; message_files lists the '<uid>.' files in dir after the server stopped",
        ],
        "mailboxes": state["mailboxes"],
    }
    with open(args.out, "w") as f:
        json.dump(truth, f, indent=1, ensure_ascii=False, sort_keys=False)
        f.write("\n")
    nlive = sum(1 for mb in state["mailboxes"] for m in mb["messages"] if not m["expunged"] and mb["state"] == "live")
    nexp = sum(1 for mb in state["mailboxes"] for m in mb["messages"] if m["expunged"])
    ndel = sum(1 for mb in state["mailboxes"] for m in mb["messages"] if mb["state"] == "deleted")
    log("finalize %s: %d mailboxes, %d message records (%d live, %d expunged, %d in deleted mailboxes), "
        "%d sync/log lines, mailboxes.db %s; sizes %s"
        % (args.variant, len(state["mailboxes"]), sum(len(mb["messages"]) for mb in state["mailboxes"]),
           nlive, nexp, ndel, len(sync_lines), backend, sizes[:3] + ["..."] + sizes[-2:]))
    for mb in state["mailboxes"]:
        log("  %-40s %-10s %s files=%s" % (mb["name"], mb["state"], mb["dir"], mb["message_files"]))


# ----------------------------------------------------------------------------------------------------------------
# mbexamine capture
# ----------------------------------------------------------------------------------------------------------------
def tree_state(root):
    """Everything about the tree that a reader must not change: per entry (files, dirs, symlinks, others) type, mode,
    owner, size, nlink, mtime and ctime (ns), symlink target, SHA-256 of file contents.  atime is left out (reading a
    file may update it; the packing step settles atimes before it packs)."""
    st = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for n in [""] + dirnames + filenames:
            p = os.path.join(dirpath, n) if n else dirpath
            if n == "" and dirpath != root:
                continue        # directories are recorded by their parent's listing (the root by itself)
            s = os.lstat(p)
            rec = (oct(s.st_mode), s.st_uid, s.st_gid, s.st_size, s.st_nlink, s.st_mtime_ns, s.st_ctime_ns)
            if os.path.islink(p):
                rec += (os.readlink(p),)
            elif os.path.isfile(p):
                h = hashlib.sha256()
                with open(p, "rb") as f:
                    for chunk in iter(lambda: f.read(1 << 20), b""):
                        h.update(chunk)
                rec += (h.hexdigest(),)
            st[os.path.relpath(p, root)] = rec
    return st


def tree_diff(a, b):
    out = []
    for k in sorted(set(a) | set(b)):
        if k not in a:
            out.append("new: " + k)
        elif k not in b:
            out.append("gone: " + k)
        elif a[k] != b[k]:
            out.append("changed: %s %s -> %s" % (k, a[k], b[k]))
    return out


MBX_REC1 = re.compile(rb"(\d{6})> UID:(\d{8})   INT_DATE:(-?\d+) SENTDATE:(-?\d+) SAVEDATE:(-?\d+) SIZE:(\d+) *\n")
MBX_REC2 = re.compile(rb"      > HDRSIZE:(\d+) *LASTUPD :(-?\d+) SYSFLAGS:([0-9A-F]{8})"
                      rb"      > CACHEVER:(\d+) * GUID:([0-9a-f]{40}) MODSEQ:(\d+)  THRID: ([0-9a-f]+)\n")
MBX_REC3 = re.compile(rb"      > INTERNALFLAGS:((?: FLAG_INTERNAL_[A-Z_]+)*)      > SYSTEMFLAGS:((?: FLAG_[A-Z]+)*)\n")
MBX_REC4 = re.compile(rb"      > USERFLAGS:((?: [0-9A-F]{8})+)\n")
MBX_CACHE_ITEMS = [b"Envel", b"BdyStr", b"Body", b"CacHdr", b"From", b"To", b"Cc", b"Bcc", b"Subjct"]
MBX_HEADER = [   # (label regex, names of the groups)
    (rb"  Path to mailbox: (.*)\n", ["path"]),
    (rb"  Mailbox ACL: (.*)\n", ["acl"]),
    (rb"  Unique ID: (.*)\n", ["uniqueid"]),
    (rb"  User Flags: (.*)\n", ["user_flags"]),
    (rb"\n", []),
    (rb" Index Header Info:\n", []),
    (rb"  Generation Number: (\d+)\n", ["generation"]),
    (rb"  Minor Version: (\d+)\n", ["minor_version"]),
    (rb"  Header Size: (\d+) bytes  Record Size: (\d+) bytes\n", ["header_size", "record_size"]),
    (rb"  Number of Messages: (\d+)  Mailbox Size: (\d+) bytes  Annotations Size: (\d+) bytes\n",
     ["exists", "quota_mailbox_used", "quota_annot_used"]),
    (rb"  Last Append Date: \((-?\d+)\) (.*)\n", ["last_appenddate", "last_appenddate_ctime"]),
    (rb"  UIDValidity: (\d+)  Last UID: (\d+)\n", ["uidvalidity", "last_uid"]),
    (rb"  Deleted: (\d+)  Answered: (\d+)  Flagged: (\d+)\n", ["deleted", "answered", "flagged"]),
    (rb"  Mailbox Options:(.*)\n", ["options"]),
    (rb"  Last POP3 Login: \((-?\d+)\) (.*)\n", ["pop3_last_login", "pop3_last_login_ctime"]),
    (rb"  Highest Mod Sequence: (\d+)\n", ["highestmodseq"]),
    (rb"\n", []),
    (rb" Message Info:\n", []),
]
SYSFLAG_BITS = {"\\Answered": 1, "\\Flagged": 2, "\\Deleted": 4, "\\Draft": 8, "\\Seen": 16}
SYSFLAG_NAMES = {1: b"FLAG_ANSWERED", 2: b"FLAG_FLAGGED", 4: b"FLAG_DELETED", 8: b"FLAG_DRAFT", 16: b"FLAG_SEEN"}


def parse_mbexamine(out, extname):
    """Strict parser of the output of plain `mbexamine` (3.6.1) for one mailbox; raises ValueError on anything
    unexpected.  Returns (header dict, [record dicts])."""
    pos = 0

    def take(rx, what):
        nonlocal pos
        m = re.compile(rx).match(out, pos)
        if not m:
            raise ValueError("%s expected at byte %d: %r" % (what, pos, out[pos:pos + 120]))
        pos = m.end()
        return m

    take(re.escape(b"Examining " + extname + b"... Mailbox Header Info:\n"), "first line")
    hdr = {}
    for rx, names in MBX_HEADER:
        m = take(rx, rx.decode())
        for n, v in zip(names, m.groups()):
            hdr[n] = v.decode("utf-8", "replace")
    recs = []
    while pos < len(out):
        r = {}
        m = take(MBX_REC1, "record line 1")
        r.update(zip(["msgno", "uid", "internaldate", "sentdate", "savedate", "size"], map(int, m.groups())))
        m = take(MBX_REC2, "record line 2")
        r.update(zip(["header_size", "last_updated", "system_flags", "cache_version", "guid", "modseq", "cid"],
                     m.groups()))
        for k in ("header_size", "last_updated", "cache_version", "modseq"):
            r[k] = int(r[k])
        r["system_flags"] = int(r["system_flags"], 16)
        r["guid"] = r["guid"].decode()
        r["cid"] = int(r["cid"], 16)
        m = take(MBX_REC3, "record line 3")
        r["internal_flag_names"] = m.group(1).split()
        r["system_flag_names"] = m.group(2).split()
        m = take(MBX_REC4, "record line 4")
        words = [int(w, 16) for w in m.group(1).split()]
        r["user_flags"] = list(reversed(words))          # printed highest word first; user_flags[0] = flags 0..31
        r["cache"] = {}
        for label in MBX_CACHE_ITEMS:
            m = take(rb" " + label + rb">\{(\d+)\}", "cache item " + label.decode())
            n = int(m.group(1))
            r["cache"][label.decode()] = out[pos:pos + n]
            pos += n
            take(rb"\n", "newline after cache item " + label.decode())
        recs.append(r)
    return hdr, recs


def check_mbexamine(mb, hdr, recs, part):
    """Cross-check one mailbox's mbexamine output against the truth; returns a list of problems."""
    errs = []
    name = mb["name"]
    want_path = part.rstrip("/") + "/" + mb["dir"]
    if hdr["path"] != want_path:
        errs.append("%s: Path to mailbox %s != %s" % (name, hdr["path"], want_path))
    if hdr["uniqueid"] != mb["uniqueid"]:
        errs.append("%s: Unique ID %s != %s" % (name, hdr["uniqueid"], mb["uniqueid"]))
    live = [m for m in mb["messages"] if not m["expunged"]]
    if [r["uid"] for r in recs] != [m["uid"] for m in live]:
        errs.append("%s: record uids %s != non-expunged truth uids %s"
                    % (name, [r["uid"] for r in recs], [m["uid"] for m in live]))
    if int(hdr["exists"]) != len(recs):
        errs.append("%s: Number of Messages %s != %d records" % (name, hdr["exists"], len(recs)))
    flagnames = hdr["user_flags"].split() if hdr["user_flags"] != "[none]" else []
    by_uid = {m["uid"]: m for m in live}
    for r in recs:
        m = by_uid.get(r["uid"])
        if m is None:
            continue
        what = "%s uid %d" % (name, r["uid"])
        for k_rec, k_truth in (("size", "size"), ("internaldate", "internaldate"), ("guid", "sha1"), ("modseq", "modseq")):
            if r[k_rec] != m[k_truth]:
                errs.append("%s: %s %s != truth %s %s" % (what, k_rec, r[k_rec], k_truth, m[k_truth]))
        # \Seen of shared mailboxes is the reader's (admin's) seen db, not the index
        ignore = 0 if mb.get("owner") else SYSFLAG_BITS["\\Seen"]
        want_sys = sum(SYSFLAG_BITS[f] for f in m["flags"] if f in SYSFLAG_BITS)
        if (r["system_flags"] & ~ignore) != (want_sys & ~ignore):
            errs.append("%s: SYSFLAGS %08X != truth flags %s" % (what, r["system_flags"], m["flags"]))
        names = [SYSFLAG_NAMES[b] for b in (16, 8, 4, 2, 1) if r["system_flags"] & b]
        if r["system_flag_names"] != names:
            errs.append("%s: SYSTEMFLAGS %s disagree with SYSFLAGS %08X" % (what, r["system_flag_names"], r["system_flags"]))
        kw = set()
        for i, w in enumerate(r["user_flags"]):
            for b in range(32):
                if w >> b & 1:
                    kw.add(flagnames[32 * i + b] if 32 * i + b < len(flagnames) else "?%d" % (32 * i + b))
        want_kw = {f for f in m["flags"] if not f.startswith("\\")}
        if kw != want_kw:
            errs.append("%s: USERFLAGS %s (names %s) != truth keywords %s" % (what, r["user_flags"], sorted(kw), sorted(want_kw)))
    return errs


def mbexamine_capture(args):
    with open(args.truth) as f:
        truth = json.load(f)
    root = os.path.abspath(args.root)
    # temporary (runtime) paths -> the canonical server paths of the image
    part_rt = conf_get(args.runtime_conf, "partition-default").rstrip("/")
    conf_rt = conf_get(args.runtime_conf, "configdirectory").rstrip("/")
    part = truth["config"]["partitions"]["default"]
    configdir = truth["config"]["configdirectory"]
    subst = sorted([(part_rt.encode(), part.encode()), (conf_rt.encode(), configdir.encode())],
                   key=lambda x: -len(x[0]))
    env = dict(os.environ, TZ="UTC", LC_ALL="C")   # mbexamine prints dates with ctime(): local time zone
    env.pop("LANG", None)

    before = tree_state(root)
    log("mbexamine: %d entries under %s hashed" % (len(before), root))

    def run(cmd):
        r = subprocess.run(cmd, capture_output=True, env=env, cwd="/")
        after = tree_state(root)
        changed = tree_diff(before, after)
        if changed:
            die("%s CHANGED the tree (%d entries):\n  %s" % (" ".join(cmd), len(changed), "\n  ".join(changed[:40])))
        if r.returncode != 0 or r.stderr:
            die("%s: exit %d, stderr %r" % (" ".join(cmd), r.returncode, r.stderr))
        return r.stdout

    def canon(out):
        for a, b in subst:
            out = out.replace(a + b"/", b + b"/").replace(a + b"\n", b + b"\n")
        for bad in (root.encode(), part_rt.encode(), conf_rt.encode(), b"/tmp/"):
            if bad in out:
                die("mbexamine output still contains the temporary path %r" % bad)
        return out

    errors = []
    for mode, dest in (("", args.out), ("-c", args.out_compare)):
        sections = []
        for mb in sorted(truth["mailboxes"], key=lambda m: m["name"]):
            ext = mb["imap_name"]   # mbexamine takes the external name ('/' with unixhierarchysep), like mbpath
            cmd = [args.mbexamine, "-C", args.runtime_conf] + ([mode] if mode else []) + [ext]
            out = run(cmd)
            if run(cmd) != out:
                die("%s: two runs gave different output" % " ".join(cmd))
            if not out.startswith(b"Examining " + ext.encode() + b"..."):
                die("%s: no output for the mailbox (wrong name?): %r" % (" ".join(cmd), out[:200]))
            out = canon(out)
            if not out.endswith(b"\n"):
                die("%s: output does not end with a newline" % " ".join(cmd))
            if mode == "":
                try:
                    hdr, recs = parse_mbexamine(out, ext.encode())
                except ValueError as e:
                    die("%s: cannot parse the output: %s" % (" ".join(cmd), e))
                errors += check_mbexamine(mb, hdr, recs, part)
                log("  mbexamine %-40s %2d records (header: %s messages, last uid %s, modseq %s)"
                    % (mb["name"], len(recs), hdr["exists"], hdr["last_uid"], hdr["highestmodseq"]))
            else:
                want = (b"Examining " + ext.encode() + b"...\n Mailbox Header Info:\n  Path to mailbox: "
                        + (part.rstrip("/") + "/" + mb["dir"]).encode() + b"\n\n"
                        + b" Index Record Info:".ljust(56) + b"\tMessage File Info:\n")
                # mbexamine -c takes every directory entry that sscanf("%u.") accepts for a message file, so a child
                # mailbox directory with a numeric name (legacy layout: "Work Projects/2026") shows up as a file
                # that fails to parse; all real "<uid>." files match their index records (expunged ones included).
                mbdir = os.path.join(part_rt, mb["dir"])
                phantoms = sorted(int(re.match(r"\d+", n).group(0)) for n in os.listdir(mbdir)
                                  if re.match(r"\d", n) and not re.fullmatch(r"\d+\.", n))
                for u in phantoms:
                    want += (b"  UID: %08d\n" % u + b"   GUID: " + b" " * 50 + b"\t" + b"Failed to parse file".ljust(50)
                             + b"\n   Size: " + b" " * 50 + b"\n   Date: " + b" " * 50 + b"\n   From: " + b" " * 50
                             + b"\n   Subj: " + b" " * 50 + b"\n\n")
                if phantoms:
                    log("  mbexamine -c %-37s lists non-message entries %s as unparsable files (expected)"
                        % (mb["name"], phantoms))
                if out != want:
                    errors.append("%s: mbexamine -c reports differences between index and files:\n%s"
                                  % (mb["name"], out.decode("utf-8", "replace")))
            sections.append(b"=== " + mb["name"].encode() + b"\n" + out)
        with open(dest, "wb") as f:
            f.write(b"".join(sections))
        log("mbexamine%s: wrote %s (%d mailboxes)" % (" " + mode if mode else "", dest, len(sections)))
    if errors:
        die("mbexamine output does not match the truth:\n  " + "\n  ".join(errors))
    if tree_diff(before, tree_state(root)):
        die("the tree changed during the mbexamine capture")
    log("mbexamine: tree unchanged (contents and metadata except atime) after all runs")


def verify(args):
    """Check an extracted partition (debugfs rdump of an image) against a truth file."""
    with open(args.truth) as f:
        truth = json.load(f)
    if args.side:
        truth = truth[args.side]      # split-brain truth: one side of it
    errors = []
    n = 0
    for mb in truth["mailboxes"]:
        d = os.path.join(args.spool, mb["dir"])
        if not os.path.isdir(d):
            errors.append("%s: no directory %s" % (mb["name"], mb["dir"]))
            continue
        files = sorted(int(x[:-1]) for x in os.listdir(d) if re.fullmatch(r"[0-9]+\.", x))
        if files != mb["message_files"]:
            errors.append("%s: files %s != %s" % (mb["name"], files, mb["message_files"]))
        for m in mb["messages"]:
            with open(os.path.join(d, "%d." % m["uid"]), "rb") as f:
                data = f.read()
            if hashlib.sha1(data).hexdigest() != m["sha1"] or len(data) != m["size"]:
                errors.append("%s uid %d: sha1/size mismatch" % (mb["name"], m["uid"]))
            n += 1
    if errors:
        die("image %s does not match its truth:\n  %s" % (args.image, "\n  ".join(errors)))
    log("%s: %d mailboxes, %d message files match the truth" % (os.path.basename(args.image), len(truth["mailboxes"]), n))


# ----------------------------------------------------------------------------------------------------------------
# split brain (make-cyrus-fixture --split-brain): one base state, then two servers that evolve separately
# ----------------------------------------------------------------------------------------------------------------
SB_PHASES = ("base", "old", "new")


def sb_message(tag, subject, body, frm="Bob <bob@example.net>", to="Fred Example <fred@example.org>",
               date="Wed, 25 Nov 2026 09:00:00 +0000", received=()):
    """A small plain-text message with a fixed Message-ID <tag@example.org> (unique across all phases)."""
    h = ["Received: " + r for r in received]
    h += ["From: " + frm, "To: " + to, "Subject: " + subject, "Date: " + date, "Message-ID: <%s@example.org>" % tag,
          "MIME-Version: 1.0", "Content-Type: text/plain; charset=us-ascii", "Content-Transfer-Encoding: 7bit"]
    return ("\r\n".join(h) + "\r\n\r\n" + body.replace("\n", "\r\n")).encode()


def sb_merge(befores, after):
    """Records of `after` are live; records only in earlier snapshots were expunged (latest snapshot wins)."""
    out = {m["uid"]: dict(m) for m in after["messages"]}
    for snap in reversed(befores):
        for m in snap["messages"]:
            if m["uid"] not in out:
                e = dict(m)
                e["expunged"] = True
                out[m["uid"]] = e
    return [out[u] for u in sorted(out)]


class SbSide:
    """One server during one phase: does things over IMAP/LMTP, logs them, keeps the snapshots that the truth needs
    (taken before anything destructive: expunge, move, delete)."""

    def __init__(self, args):
        self.phase = args.phase
        self.sess = Sessions(args.imap_port)
        self.lmtp_port = args.lmtp_port
        self.pre = {}          # imap name -> [snapshots taken before destructive operations]
        self.deleted = {}      # original imap name -> info
        self.actions = []
        self.touched = set()   # internal names of the mailboxes this phase changed

    def act(self, what, mailbox=None, **kw):
        a = {"t": int(time.time()), "what": what}
        if mailbox is not None:
            a["mailbox"] = internal_name(mailbox)
            self.touched.add(a["mailbox"])
        a.update(kw)
        self.actions.append(a)
        log("[%s] %s%s%s" % (self.phase, what, " -> " + a["mailbox"] if mailbox else "",
                             " uid %s" % kw["uid"] if kw.get("uid") else ""))

    def lmtp(self, rcpt, msg, what):
        """rcpt 'fred' (INBOX) or 'fred+Folder' (plus address; the folder must allow 'p' to anyone)."""
        lmtp_send(self.lmtp_port, "mta@example.net", [rcpt], msg)
        self.act(what, "user/" + rcpt.replace("+", "/"), how="LMTP RCPT TO:<%s>" % rcpt)

    def create(self, mbox, as_user, what):
        ok(self.sess.get(as_user).create(q(mbox)), "CREATE " + mbox)
        self.act(what, mbox, how="CREATE as " + as_user)

    def setacl(self, mbox, who, rights):
        ok(self.sess.get(ADMIN).setacl(q(mbox), who, rights), "SETACL %s %s %s" % (mbox, who, rights))

    def append(self, mbox, msg, flags, date, what):
        c = self.sess.for_mailbox(mbox)
        typ, data = c.append(q(mbox), "(" + " ".join(flags) + ")" if flags else None,
                             '"' + date + '"' if date else None, msg)
        if typ != "OK":
            die("APPEND to %s failed: %r" % (mbox, data))
        m = re.search(rb"APPENDUID \d+ (\d+)", data[0] or b"")
        uid = int(m.group(1)) if m else None
        self.act(what, mbox, uid=uid, how="APPEND" + (" with internal date " + date if date else " (no date: now)"))
        return uid

    def select(self, mbox):
        c = self.sess.for_mailbox(mbox)
        ok(c.select(q(mbox)), "SELECT " + mbox)
        return c

    def store(self, mbox, uidset, op, flags, what=None):
        c = self.select(mbox)
        ok(c.uid("STORE", uidset, op, "(" + " ".join(flags) + ")"), "STORE %s %s" % (mbox, uidset))
        c.unselect()   # never CLOSE: it would expunge \Deleted messages
        if what:
            self.act(what, mbox, uid=uidset, how="UID STORE %s %s" % (op, " ".join(flags)))

    def copy(self, src, uidset, dst, what):
        c = self.select(src)
        ok(c.uid("COPY", uidset, q(dst)), "UID COPY %s %s %s" % (src, uidset, dst))
        c.unselect()
        self.act(what, dst, src_uid=uidset, how="UID COPY from " + internal_name(src))

    def snap_before(self, mbox):
        self.pre.setdefault(mbox, []).append(snapshot_mailbox(self.sess, mbox, with_headers=True))

    def expunge(self, mbox, uidset, what):
        self.store(mbox, uidset, "+FLAGS", ["\\Deleted"])
        self.snap_before(mbox)
        c = self.select(mbox)
        ok(c.uid("EXPUNGE", uidset), "UID EXPUNGE %s %s" % (mbox, uidset))
        c.unselect()
        self.act(what, mbox, uid=uidset, how="UID STORE +FLAGS (\\Deleted), UID EXPUNGE (expunge_mode: delayed)")

    def move(self, src, uidset, dst, what):
        self.snap_before(src)
        c = self.select(src)
        ok(c.uid("MOVE", uidset, q(dst)), "UID MOVE %s %s %s" % (src, uidset, dst))
        c.unselect()
        self.act(what, src, src_uid=uidset, how="UID MOVE to " + internal_name(dst))
        self.touched.add(internal_name(dst))

    def delete(self, mbox, what):
        uniqueid, _ = uniqueid_of(self.sess, mbox)
        self.snap_before(mbox)
        before = set(list_mailboxes(self.sess.get(ADMIN), "DELETED/*"))
        ok(self.sess.for_mailbox(mbox).delete(q(mbox)), "DELETE " + mbox)   # by its owner, as a user would
        new = sorted(set(list_mailboxes(self.sess.get(ADMIN), "DELETED/*")) - before)
        want = [n for n in new if n.startswith("DELETED/" + mbox + "/")]
        if len(want) != 1:
            die("DELETE %s: expected one new DELETED/%s/<HEX>, got %r" % (mbox, mbox, new))
        self.deleted[mbox] = {"uniqueid_before_delete": uniqueid, "deleted_imap_name": want[0]}
        self.act(what, mbox, how="DELETE as owner (delete_mode: delayed) -> " + internal_name(want[0]))

    def final(self, out):
        """Read the whole server (admin LIST, uniqueids, every message as the owner) and write the phase state in
        the format of `populate` (finalize reads it)."""
        sess = self.sess
        admin = sess.get(ADMIN)
        names = list_mailboxes(admin)
        mailboxes = []
        for n in names:
            if n.startswith("DELETED/"):
                continue
            uid_, how = uniqueid_of(sess, n)
            st = status(sess.for_mailbox(n), n, "MESSAGES UIDNEXT UIDVALIDITY HIGHESTMODSEQ")
            typ, acl = admin.getacl(q(n))
            snap = snapshot_mailbox(sess, n, with_headers=True)
            owner = owner_of(n)
            mailboxes.append({
                "name": internal_name(n), "display_name": mutf7_decode(n), "imap_name": n,
                "uniqueid": uid_, "uniqueid_source": how, "state": "live",
                "owner": owner, "flags_read_as": owner or ADMIN, "uidvalidity": snap["uidvalidity"],
                "status": st, "acl": acl[0].decode() if typ == "OK" and acl else None,
                "messages": sb_merge(self.pre.get(n, []), snap),
            })
        for n in names:
            if not n.startswith("DELETED/"):
                continue
            orig = "/".join(n.split("/")[1:-1])
            if orig not in self.deleted or self.deleted[orig]["deleted_imap_name"] != n:
                die("DELETED mailbox %s was not deleted in this phase (no pre-delete snapshot)" % n)
            uid_, how = uniqueid_of(sess, n, live=False)
            snaps = self.pre[orig]
            owner = owner_of(n)
            mailboxes.append({
                "name": internal_name(n), "display_name": mutf7_decode(n), "imap_name": n,
                "original_name": internal_name(orig), "original_display_name": mutf7_decode(orig),
                "uniqueid": uid_, "uniqueid_source": how,
                "uniqueid_before_delete": self.deleted[orig]["uniqueid_before_delete"],
                "deleted_hex": n.rsplit("/", 1)[1], "deleted_at": int(n.rsplit("/", 1)[1], 16),
                "state": "deleted", "owner": owner, "flags_read_as": owner or ADMIN,
                "uidvalidity": snaps[-1]["uidvalidity"],
                "messages": sb_merge(snaps[:-1], snaps[-1]),
            })
        mailboxes.sort(key=lambda m: m["name"])
        state = {"variant": self.variant, "phase": self.phase, "lmtp_shared_recipient": None,
                 "deleted_list_method": 'admin LIST "" "DELETED/*"', "imap_capabilities": list(admin.capabilities),
                 "actions": self.actions, "touched": sorted(self.touched), "t_end": int(time.time()),
                 "mailboxes": mailboxes}
        sess.close()
        with open(out, "w") as f:
            json.dump(state, f, indent=1, ensure_ascii=False)
        log("[%s] state: %d mailboxes, %d message records -> %s"
            % (self.phase, len(mailboxes), sum(len(m["messages"]) for m in mailboxes), out))


def sb_base(s):
    """Before the split: what both servers had at the last successful replication."""
    admin = s.sess.get(ADMIN)
    for n in ("user/fred", "user/alice", "user/fred/Projects", "user/fred/Lists", "user/alice/Archive"):
        s.create(n, ADMIN, "create mailbox")
    # plus addresses fred+Projects / fred+Lists: lmtpd posts as 'anyone' and needs the 'p' right
    for n in ("user/fred/Projects", "user/fred/Lists"):
        s.setacl(n, "anyone", "p")
    s.lmtp("fred", sb_message("sb-base-001", "Welcome to the server", "Hello Fred,\nyour mailbox is ready.\n",
                              frm="Postmaster <postmaster@example.org>", date="Mon, 02 Nov 2026 08:00:00 +0000"),
           "deliver base mail")
    s.lmtp("fred", sb_message("sb-base-002", "Status report week 45", "All systems nominal.\n",
                              date="Fri, 06 Nov 2026 17:00:00 +0000"), "deliver base mail")
    s.lmtp("fred", sb_message("sb-base-003", "Invoice 2026-200", "Please pay invoice 2026-200.\n" + "Item line\n" * 8,
                              frm="Billing <billing@example.net>", date="Tue, 10 Nov 2026 09:00:00 +0000"),
           "deliver base mail (will be expunged on the new master after the split)")
    s.append("user/fred", sb_message("sb-base-004", "Newsletter from 2015", "Old newsletter.\n" * 5,
                                     frm="News <news@example.net>", date="Thu, 07 May 2015 07:00:00 +0000"),
             ["\\Seen"], "07-May-2015 07:00:00 +0000", "append old mail")
    s.append("user/fred/Projects", sb_message("sb-base-005", "Project plan", "Milestones:\n1. start\n2. finish\n",
                                              frm="Fred Example <fred@example.org>", to="Team <team@example.org>",
                                              date="Wed, 03 Mar 2021 10:00:00 +0100"),
             ["\\Flagged", "ProjectX"], "03-Mar-2021 10:00:00 +0100", "append project mail")
    s.lmtp("fred+Projects", sb_message("sb-base-006", "Spec v1", "Specification, version 1.\n" + "Requirement\n" * 6,
                                       frm="Carol <carol@example.net>", date="Mon, 16 Nov 2026 11:00:00 +0000"),
           "deliver project mail")
    s.append("user/fred/Projects", sb_message("sb-base-007", "Meeting minutes", "Minutes of the kickoff.\n",
                                              frm="Carol <carol@example.net>", date="Thu, 12 Sep 2024 15:00:00 +0200"),
             ["\\Seen"], "12-Sep-2024 15:00:00 +0200", "append project mail")
    # a copy of "Spec v1" in the INBOX: the new master still holds its GUID after Projects is deleted there
    s.copy("user/fred/Projects", "2", "user/fred", "copy Spec v1 from Projects to INBOX")
    for i in (1, 2, 3):
        s.lmtp("fred+Lists", sb_message("sb-base-%03d" % (7 + i), "[list] digest %d" % i, "Digest body %d.\n" % i * 10,
                                        frm="List <list@example.net>", to="list@example.net",
                                        date="Sun, %02d Nov 2026 06:00:00 +0000" % (7 * i)), "deliver list mail")
    s.lmtp("alice", sb_message("sb-base-011", "Hi Alice", "Just saying hi.\n", frm="Dave <dave@example.net>",
                               to="alice@example.org", date="Mon, 23 Nov 2026 12:00:00 +0000"), "deliver base mail")
    s.lmtp("alice", sb_message("sb-base-012", "Meeting notes", "Notes:\n- one\n- two\n", frm="Dave <dave@example.net>",
                               to="alice@example.org", date="Tue, 24 Nov 2026 12:00:00 +0000"), "deliver base mail")
    s.append("user/alice/Archive", sb_message("sb-base-013", "Archived 1999", "Archive me.\n", frm="Dave <dave@example.net>",
                                              to="alice@example.org", date="Fri, 10 Dec 1999 10:00:00 +0000"),
             ["\\Seen", "\\Answered"], "10-Dec-1999 10:00:00 +0000", "append archive mail")
    s.append("user/alice/Archive", sb_message("sb-base-014", "Archived 2012", "Archive me too.\n",
                                              frm="Dave <dave@example.net>", to="alice@example.org",
                                              date="Sat, 14 Jul 2012 10:00:00 +0000"),
             ["\\Seen", "$Label1"], "14-Jul-2012 10:00:00 +0000", "append archive mail")
    s.store("user/fred", "1", "+FLAGS", ["\\Seen", "\\Answered"], "set flags")
    s.store("user/fred", "2", "+FLAGS", ["\\Flagged", "$Label1"], "set flags")
    s.store("user/fred/Lists", "1:2", "+FLAGS", ["\\Seen"], "set flags")
    del admin


def sb_old(s):
    """The old master after the split (its last changes were never replicated)."""
    s.lmtp("fred", sb_message("sb-old-001", "After the split (old master)", "This reached only the old master.\n",
                              frm="Carol <carol@example.net>", date="Wed, 25 Nov 2026 21:00:00 +0000"),
           "deliver new mail")
    s.lmtp("fred", sb_message("sb-retry-001", "Order confirmation 7781", "Your order 7781 is confirmed.\n",
                              frm="Shop <orders@shop.example>", date="Wed, 25 Nov 2026 21:05:00 +0000",
                              received=["from mx1.example.net (mx1.example.net [192.0.2.25]) by mail.example.org "
                                        "(old master) with LMTP id A1; Wed, 25 Nov 2026 21:05:10 +0000"]),
           "deliver mail that the MTA will retry on the new master (first attempt)")
    s.lmtp("fred+Projects", sb_message("sb-old-002", "Projects update after split", "Status: on track.\n",
                                       frm="Carol <carol@example.net>", date="Wed, 25 Nov 2026 21:10:00 +0000"),
           "deliver new mail")
    s.lmtp("fred+Lists", sb_message("sb-old-003", "[list] digest 4", "Digest body 4.\n" * 10,
                                    frm="List <list@example.net>", to="list@example.net",
                                    date="Wed, 25 Nov 2026 21:15:00 +0000"), "deliver new mail")
    s.append("user/fred", sb_message("sb-old-004", "Imported from a local archive",
                                     "An old message the user uploaded after the split.\n",
                                     frm="Erin <erin@example.net>", date="Thu, 14 Feb 2019 09:30:00 +0100"),
             ["\\Seen"], "14-Feb-2019 09:30:00 +0100", "append with an OLD internal date (a cutoff misses it)")
    s.create("user/fred/Created After Split", "fred", "create folder")
    s.append("user/fred/Created After Split", sb_message("sb-old-005", "Filed after the split", "First.\n",
                                                         date="Wed, 25 Nov 2026 21:20:00 +0000"),
             ["\\Seen"], None, "append new mail")
    s.append("user/fred/Created After Split", sb_message("sb-old-006", "Also filed after the split", "Second.\n",
                                                         date="Wed, 25 Nov 2026 21:21:00 +0000"),
             ["\\Flagged"], None, "append new mail")
    s.create("user/fred/Shared Name", "fred", "create folder (the new master creates one of the same name)")
    s.append("user/fred/Shared Name", sb_message("sb-old-007", "Shared Name on the old master", "Old side.\n",
                                                 date="Wed, 25 Nov 2026 21:25:00 +0000"),
             [], None, "append new mail")


def sb_new(s):
    """The promoted replica (new master) after the split."""
    s.expunge("user/fred", "3", "expunge a message that both sides hold")
    s.lmtp("fred", sb_message("sb-new-001", "After the split (new master)", "This reached only the new master.\n",
                              frm="Dave <dave@example.net>", date="Wed, 25 Nov 2026 22:00:00 +0000"),
           "deliver new mail (same uid as a different message on the old master)")
    s.lmtp("fred", sb_message("sb-retry-001", "Order confirmation 7781", "Your order 7781 is confirmed.\n",
                              frm="Shop <orders@shop.example>", date="Wed, 25 Nov 2026 21:05:00 +0000",
                              received=["from mx1.example.net (mx1.example.net [192.0.2.25]) by mail.example.org "
                                        "(new master) with LMTP id B7; Wed, 25 Nov 2026 22:05:40 +0000"]),
           "MTA retry: same Message-ID, different Received header")
    s.lmtp("fred", sb_message("sb-new-002", "Second mail on the new master", "More new-master mail.\n",
                              frm="Dave <dave@example.net>", date="Wed, 25 Nov 2026 22:10:00 +0000"),
           "deliver new mail (same uid as a different message on the old master)")
    s.lmtp("fred+Lists", sb_message("sb-new-003", "[list] digest 4 (new master)", "Digest body 4b.\n" * 10,
                                    frm="List <list@example.net>", to="list@example.net",
                                    date="Wed, 25 Nov 2026 22:15:00 +0000"),
           "deliver new mail (same uid as a different message on the old master)")
    s.create("user/fred/Lists2", "fred", "create folder")
    s.move("user/fred/Lists", "1", "user/fred/Lists2", "move a base message to Lists2")
    s.create("user/fred/Shared Name", "fred", "create folder (same name as on the old master)")
    s.append("user/fred/Shared Name", sb_message("sb-new-004", "Shared Name on the new master", "New side.\n",
                                                 date="Wed, 25 Nov 2026 22:25:00 +0000"),
             [], None, "append new mail")
    s.delete("user/fred/Projects", "user deletes folder Projects")
    s.delete("user/alice/Archive", "user deletes folder Archive")


def splitbrain_phase(args):
    if args.cutoff is not None and time.time() < args.cutoff:
        die("phase %s starts before the cutoff %d" % (args.phase, args.cutoff))
    s = SbSide(args)
    s.variant = args.variant
    {"base": sb_base, "old": sb_old, "new": sb_new}[args.phase](s)
    s.final(args.state)


def sync_log_mailboxes(lines):
    """Mailbox names named by sync log lines (MAILBOX/APPEND/UNMAILBOX name, RENAME old new; SEEN/SUB... are not
    mailbox lines).  Names with blanks are quoted."""
    names, verbs = set(), {}
    for line in lines:
        toks = [re.sub(r"\\(.)", r"\1", a) if b == "" else b
                for a, b in re.findall(r'"((?:[^"\\]|\\.)*)"|(\S+)', line)]
        if not toks:
            continue
        verbs[toks[0]] = verbs.get(toks[0], 0) + 1
        if toks[0] in ("MAILBOX", "APPEND", "UNMAILBOX", "DOUBLEMAILBOX") and len(toks) >= 2:
            names.update(toks[1:2])
        elif toks[0] == "RENAME" and len(toks) >= 3:
            names.update(toks[1:3])
    return names, verbs


def splitbrain_truth(args):
    T = args.cutoff
    with open(args.base_state) as f:
        base = json.load(f)
    sides, states = {}, {}
    for side in ("old", "new"):
        with open(getattr(args, side + "_truth")) as f:
            sides[side] = json.load(f)
        with open(getattr(args, side + "_state")) as f:
            states[side] = json.load(f)
        sides[side]["phase_actions"] = states[side]["actions"]
        sides[side]["mailboxes_touched_after_split"] = states[side]["touched"]
    old, new = sides["old"], sides["new"]
    errors = []

    # --- the story holds? ---
    for mb in base["mailboxes"]:
        for m in mb["messages"]:
            if m["internaldate"] >= T:
                errors.append("base message %s uid %d has internaldate %d >= cutoff %d" % (mb["name"], m["uid"],
                                                                                          m["internaldate"], T))
    base_guids = {m["sha1"] for mb in base["mailboxes"] for m in mb["messages"]}
    sl_names, sl_verbs = sync_log_mailboxes(old["sync_log"]["lines"])
    if sl_names != set(states["old"]["touched"]):
        errors.append("old sync log names %s, but the old master's post-split phase touched %s"
                      % (sorted(sl_names), states["old"]["touched"]))
    old_by_name = {mb["name"]: mb for mb in old["mailboxes"]}
    new_by_name = {mb["name"]: mb for mb in new["mailboxes"]}
    sn = "user.fred.Shared Name"
    if sn not in old_by_name or sn not in new_by_name or old_by_name[sn]["uniqueid"] == new_by_name[sn]["uniqueid"]:
        errors.append("%s must exist on both sides with different uniqueids" % sn)
    if [mb for mb in old["mailboxes"] if mb["state"] != "live"]:
        errors.append("the old side has a deleted mailbox")

    # --- what the new side holds (every record of a live mailbox, expunged or not) ---
    held, in_deleted = {}, {}
    for mb in new["mailboxes"]:
        for m in mb["messages"]:
            (held if mb["state"] == "live" else in_deleted).setdefault(m["sha1"], []).append(
                {"mailbox": mb["name"], "uid": m["uid"], "expunged": m["expunged"]})
    base_uniqueids = {mb["uniqueid"] for mb in base["mailboxes"]}
    new_by_uniqueid = {mb["uniqueid"]: mb for mb in new["mailboxes"]}
    new_deleted_by_orig = {mb["original_name"]: mb for mb in new["mailboxes"] if mb["state"] == "deleted"}
    tombstones = {k: v for k, v in new["mailboxes_db"]["ctl_mboxlist_dump"].items() if "d" in v.get("mbtype", "")}

    def classify(omb):
        n = new_by_uniqueid.get(omb["uniqueid"])
        if n is not None:
            return ("live" if n["state"] == "live" else "deleted-there"), n, "uniqueid"
        n = new_by_name.get(omb["name"])
        if n is not None and n["state"] == "live":
            return "same-name-other-uniqueid", n, "name"
        if omb["uniqueid"] not in base_uniqueids:
            return "created-here", None, None
        n = new_deleted_by_orig.get(omb["name"])
        return "deleted-there", n, "original name" if n else None

    mailbox_class = {}
    stranded, not_stranded_notes = [], []
    for omb in old["mailboxes"]:
        cls, nmb, how = classify(omb)
        mailbox_class[omb["name"]] = {
            "uniqueid": omb["uniqueid"], "classification": cls, "created_after_split": omb["uniqueid"] not in base_uniqueids,
            "other_side_mailbox": nmb["name"] if nmb else None, "other_side_uniqueid": nmb["uniqueid"] if nmb else None,
            "matched_by": how, "in_old_sync_log": omb["name"] in sl_names,
            "other_side_tombstone": omb["name"] in tombstones}
        for m in omb["messages"]:
            e = {"mailbox": omb["name"], "uid": m["uid"], "sha1": m["sha1"], "internaldate": m["internaldate"],
                 "internaldate_imap": m["internaldate_imap"], "flags": m["flags"], "size": m["size"],
                 "expunged": m["expunged"], "subject": m.get("subject"), "message_id": m.get("message_id"),
                 "classification": cls, "mailbox_uniqueid": omb["uniqueid"],
                 "other_side_mailbox": nmb["name"] if nmb else None,
                 "in_base": m["sha1"] in base_guids,
                 "after_cutoff": m["internaldate"] >= T, "mailbox_in_synclog": omb["name"] in sl_names}
            if m["sha1"] in held:
                h = held[m["sha1"]]
                same = [x for x in h if nmb is not None and x["mailbox"] == nmb["name"] and not x["expunged"]]
                if not same:
                    why = ("held only by an expunged record there (the user expunged it on purpose)"
                           if all(x["expunged"] for x in h) else "held in another mailbox there")
                    not_stranded_notes.append(dict(e, held_by=h, why=why))
                continue
            if m["sha1"] in in_deleted:
                e["in_other_side_deleted_mailbox"] = in_deleted[m["sha1"]]
            stranded.append(e)

    narrowed = [dict(e) for e in stranded if e["after_cutoff"] and e["mailbox_in_synclog"]]
    left_out = []
    for e in stranded:
        if e["after_cutoff"] and e["mailbox_in_synclog"]:
            continue
        r = []
        if not e["after_cutoff"]:
            r.append("internaldate %d < cutoff %d" % (e["internaldate"], T))
        if not e["mailbox_in_synclog"]:
            r.append("mailbox %s not in the old sync log" % e["mailbox"])
        left_out.append(dict(e, reasons=r))

    # --- other facts of the story, for the tests ---
    uid_collisions = []
    for omb in old["mailboxes"]:
        nmb = new_by_uniqueid.get(omb["uniqueid"])
        if nmb is None:
            continue
        nm = {m["uid"]: m for m in nmb["messages"]}
        for m in omb["messages"]:
            if m["uid"] in nm and nm[m["uid"]]["sha1"] != m["sha1"]:
                uid_collisions.append({"mailbox": omb["name"], "uid": m["uid"], "old_sha1": m["sha1"],
                                       "new_sha1": nm[m["uid"]]["sha1"], "new_expunged": nm[m["uid"]]["expunged"],
                                       "old_subject": m.get("subject"), "new_subject": nm[m["uid"]].get("subject")})
    mids = {}
    for side in ("old", "new"):
        for mb in sides[side]["mailboxes"]:
            for m in mb["messages"]:
                if m.get("message_id"):
                    mids.setdefault(m["message_id"], {}).setdefault(side, []).append(
                        {"mailbox": mb["name"], "uid": m["uid"], "sha1": m["sha1"], "size": m["size"]})
    same_mid_diff_bytes = []
    for mid, v in sorted(mids.items()):
        if "old" in v and "new" in v:
            o, n = {x["sha1"] for x in v["old"]}, {x["sha1"] for x in v["new"]}
            if o.isdisjoint(n):
                same_mid_diff_bytes.append({"message_id": mid, "old": v["old"], "new": v["new"]})
    if not uid_collisions:
        errors.append("no uid collisions")
    if len([x for x in same_mid_diff_bytes if "sb-retry" in x["message_id"]]) != 1:
        errors.append("the MTA retry is not a same-Message-ID-different-bytes pair: %r" % same_mid_diff_bytes)
    old_date_after_split = [e for e in stranded if not e["in_base"] and not e["after_cutoff"]]
    if len(old_date_after_split) != 1:
        errors.append("expected exactly one post-split message with an old internal date, got %r" % old_date_after_split)
    if errors:
        die("split-brain truth:\n  " + "\n  ".join(errors))

    def count(items, key):
        c = {}
        for e in items:
            c[e[key]] = c.get(e[key], 0) + 1
        return dict(sorted(c.items()))

    def side_counts(t):
        recs = [(mb, m) for mb in t["mailboxes"] for m in mb["messages"]]
        return {"mailboxes": len(t["mailboxes"]), "records": len(recs),
                "live_in_live_mailboxes": sum(1 for mb, m in recs if mb["state"] == "live" and not m["expunged"]),
                "expunged_in_live_mailboxes": sum(1 for mb, m in recs if mb["state"] == "live" and m["expunged"]),
                "in_deleted_mailboxes": sum(1 for mb, m in recs if mb["state"] == "deleted"),
                "distinct_guids": len({m["sha1"] for mb, m in recs})}

    truth = {
        "fixture": "splitbrain",
        "cyrus_version": old["cyrus_version"], "cyrus_package_version": old["cyrus_package_version"],
        "layout": args.variant,
        "images": {"old": args.old_image, "new": args.new_image},
        "cutoff": T,
        "cutoff_utc": datetime.datetime.fromtimestamp(T, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "definition": "stranded = every message record of the OLD side whose GUID (SHA-1 of the message file) no "
                      "record of a LIVE (non-DELETED) mailbox of the NEW side carries; expunged-but-present records "
                      "of the new side count as held; records in the new side's DELETED.* mailboxes do not. "
                      "stranded_after_cutoff_in_synclog = stranded with internaldate >= cutoff in a mailbox named by "
                      "the old side's sync log (MAILBOX/APPEND lines); left_out_by_narrowing = the rest of stranded. "
                      "Computed from the IMAP truth, not from Cyrus files.",
        "classification_rule": "old mailbox vs new side: same uniqueid live -> live; same uniqueid DELETED.* -> "
                               "deleted-there; else a live mailbox of the same name -> same-name-other-uniqueid; else "
                               "uniqueid not present at the split -> created-here; else deleted-there (gone)",
        "counts": {
            "old": side_counts(old), "new": side_counts(new),
            "stranded": len(stranded), "stranded_by_classification": count(stranded, "classification"),
            "stranded_by_mailbox": count(stranded, "mailbox"),
            "stranded_after_cutoff_in_synclog": len(narrowed), "left_out_by_narrowing": len(left_out),
        },
        "stranded": stranded,
        "stranded_after_cutoff_in_synclog": narrowed,
        "left_out_by_narrowing": left_out,
        "old_mailbox_classification": mailbox_class,
        "synclog_mailboxes": sorted(sl_names),
        "synclog_verbs": sl_verbs,
        "not_stranded_notes": not_stranded_notes,
        "uid_collisions": uid_collisions,
        "same_message_id_different_bytes": same_mid_diff_bytes,
        "base": {"t_end": base["t_end"], "actions": base["actions"],
                 "sync_log_lines_before_split": args.base_sync_log_lines,
                 "mailboxes": [{"name": mb["name"], "uniqueid": mb["uniqueid"], "uidvalidity": mb["uidvalidity"],
                                "messages": [{k: m[k] for k in ("uid", "sha1", "internaldate", "flags", "subject",
                                                                 "message_id")} for m in mb["messages"]]}
                               for mb in base["mailboxes"]]},
        "old": old,
        "new": new,
        "notes": [
            "both sides: the same base tree (copied with cp -a while the server was stopped); the sync log was removed "
            "at the split point on both, so each side's sync/log has only post-split activity",
            "per side, the format of 'old'/'new' is the cyrus36-*.truth.json format (messages additionally carry "
            "subject and message_id parsed from the fetched bytes); phase_actions lists what each side did after the "
            "split (t = epoch seconds)",
            "expunged records: truth from the snapshot taken after STORE +FLAGS \\Deleted (or before UID MOVE) and "
            "before the expunge; deleted mailboxes: messages from the snapshot taken just before DELETE",
        ],
    }
    with open(args.out, "w") as f:
        json.dump(truth, f, indent=1, ensure_ascii=False)
        f.write("\n")
    c = truth["counts"]
    log("split brain: cutoff %d (%s); old %s; new %s" % (T, truth["cutoff_utc"], c["old"], c["new"]))
    log("stranded %d %s; after cutoff in sync log %d; left out by narrowing %d"
        % (c["stranded"], c["stranded_by_classification"], c["stranded_after_cutoff_in_synclog"],
           c["left_out_by_narrowing"]))
    for e in stranded:
        log("  stranded %-32s uid %-2d %-26s %-24s %s%s" % (e["mailbox"], e["uid"], e["classification"],
                                                           e["subject"], "after-cutoff" if e["after_cutoff"] else "BEFORE-cutoff",
                                                           "" if e["mailbox_in_synclog"] else " NOT-in-synclog"))
    for e in not_stranded_notes:
        log("  held     %-32s uid %-2d %s: %s" % (e["mailbox"], e["uid"], e["subject"], e["why"]))


def main():
    global PASSWORD
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("populate")
    p.add_argument("--variant", required=True)
    p.add_argument("--imap-port", type=int, required=True)
    p.add_argument("--lmtp-port", type=int, required=True)
    p.add_argument("--password", default=PASSWORD)
    p.add_argument("--state", required=True)
    p = sub.add_parser("finalize")
    p.add_argument("--variant", required=True)
    p.add_argument("--state", required=True)
    p.add_argument("--root", required=True)
    p.add_argument("--runtime-conf", required=True)
    p.add_argument("--mbpath", required=True)
    p.add_argument("--cyrus-version", required=True)
    p.add_argument("--package-version", required=True)
    p.add_argument("--out", required=True)
    p = sub.add_parser("mbexamine")
    p.add_argument("--truth", required=True)
    p.add_argument("--root", required=True)
    p.add_argument("--runtime-conf", required=True)
    p.add_argument("--mbexamine", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--out-compare", required=True)
    p = sub.add_parser("verify")
    p.add_argument("--truth", required=True)
    p.add_argument("--spool", required=True)
    p.add_argument("--image", required=True)
    p.add_argument("--side", choices=("old", "new"), help="split-brain truth: check this side")
    p = sub.add_parser("splitbrain", help="one phase of the split-brain fixture on a running server")
    p.add_argument("--phase", required=True, choices=SB_PHASES)
    p.add_argument("--variant", default="uuid")
    p.add_argument("--imap-port", type=int, required=True)
    p.add_argument("--lmtp-port", type=int, required=True)
    p.add_argument("--password", default=PASSWORD)
    p.add_argument("--cutoff", type=int)
    p.add_argument("--state", required=True)
    p = sub.add_parser("splitbrain-truth", help="combine both sides' truths and compute the expected answer")
    p.add_argument("--variant", default="uuid")
    p.add_argument("--cutoff", type=int, required=True)
    p.add_argument("--base-state", required=True)
    p.add_argument("--base-sync-log-lines", type=int, required=True)
    p.add_argument("--old-state", required=True)
    p.add_argument("--new-state", required=True)
    p.add_argument("--old-truth", required=True)
    p.add_argument("--new-truth", required=True)
    p.add_argument("--old-image", required=True)
    p.add_argument("--new-image", required=True)
    p.add_argument("--out", required=True)
    args = ap.parse_args()
    if getattr(args, "password", None):
        PASSWORD = args.password
    {"populate": populate, "finalize": finalize, "mbexamine": mbexamine_capture, "verify": verify,
     "splitbrain": splitbrain_phase, "splitbrain-truth": splitbrain_truth}[args.cmd](args)


if __name__ == "__main__":
    main()
