#!/usr/bin/env python3
"""Helper of scripts/make-cyrus-fixture (python3 standard library only).

  populate  -- talk to a running private Cyrus over IMAP/LMTP on 127.0.0.1: create users and folders, deliver and
               append messages, set flags, take ground-truth snapshots, expunge, delete a mailbox; write state JSON.
  finalize  -- after the server stopped: add each mailbox's directory (mbpath) and the "<uid>." files found there,
               check every message file's SHA-1 and size against the IMAP truth, write the truth JSON.
  mbexamine -- after the server stopped: capture Cyrus's own `mbexamine` (and `mbexamine -c`) for every mailbox of the
               truth, with the runtime config; fail if the tree changed; cross-check the records against the truth.
  verify    -- check a partition extracted from an image (debugfs rdump) against a truth file.
"""
import argparse
import base64
import datetime
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


def snapshot_mailbox(sess, name):
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
    args = ap.parse_args()
    if getattr(args, "password", None):
        PASSWORD = args.password
    {"populate": populate, "finalize": finalize, "mbexamine": mbexamine_capture, "verify": verify}[args.cmd](args)


if __name__ == "__main__":
    main()
