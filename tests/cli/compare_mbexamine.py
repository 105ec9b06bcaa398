#!/usr/bin/env python3
"""Compares spoolsalvage's decoding of every mailbox of a fixture image with
Cyrus 3.6.1's own `mbexamine` output for the same tree (captured when the
fixture was made, tests/fixtures/cyrus36-<variant>.mbexamine.txt; format in
tests/fixtures/README.md, "mbexamine captures").

Usage: compare_mbexamine.py SPOOLSALVAGE IMAGE CAPTURE

For every mailbox section of CAPTURE: finds the mailbox in `ls --json IMAGE`
by internal name, dumps its cyrus.index, cyrus.header and cyrus.cache and
compares, field by field, the index header block and every record mbexamine
prints (mbexamine skips expunged records, so only the non-expunged records of
the dump are compared, and the two uid sets must be equal), including each
record's cache items (length and SHA-1 of the bytes mbexamine printed)
found by following the record's cache_offset into the cache dump.

Prints one line per difference:
  DIFF <image> <mailbox> [uid <n>] <field>: mbexamine <v>, spoolsalvage <v>
and a summary line. Exit 1 on any difference, parse error, or when nothing
was compared."""
import base64
import hashlib
import json
import os
import re
import subprocess
import sys
import time

CACHE_LABELS = [  # mbexamine label -> cyrus.cache item (mbexamine skips "section")
    (b"Envel", "envelope"), (b"BdyStr", "bodystructure"), (b"Body", "body"),
    (b"CacHdr", "headers"), (b"From", "from"), (b"To", "to"), (b"Cc", "cc"),
    (b"Bcc", "bcc"), (b"Subjct", "subject")]

# imap/mailbox.h of 3.6: system flags live in the low 16 bits, internal flags
# in the high 16 bits of the stored word (mailbox_buf_to_index_record).
SYSTEM_FLAG_NAMES = [(0x10, "FLAG_SEEN"), (0x08, "FLAG_DRAFT"), (0x04, "FLAG_DELETED"),
                     (0x02, "FLAG_FLAGGED"), (0x01, "FLAG_ANSWERED")]
INTERNAL_FLAG_NAMES = [(1 << 31, "FLAG_INTERNAL_EXPUNGED"), (1 << 30, "FLAG_INTERNAL_UNLINKED"),
                       (1 << 29, "FLAG_INTERNAL_ARCHIVED"), (1 << 28, "FLAG_INTERNAL_NEEDS_CLEANUP"),
                       (1 << 26, "FLAG_INTERNAL_SNOOZED")]
FLAG_INTERNAL_EXPUNGED = 1 << 31
OPTION_NAMES = [(1 << 0, "POP3_NEW_UIDL"), (1 << 2, "IMAP_SHAREDSEEN"),
                (1 << 3, "IMAP_DUPDELIVER"), (1 << 4, "IMAP_HAS_ALARMS")]


class ParseError(Exception):
    pass


class Reader:
    """Sequential reader over the capture bytes (cache items are binary)."""

    def __init__(self, data):
        self.data, self.pos = data, 0

    def eof(self):
        return self.pos >= len(self.data)

    def peek(self, prefix):
        return self.data.startswith(prefix, self.pos)

    def line(self):
        end = self.data.find(b"\n", self.pos)
        if end < 0:
            raise ParseError(f"offset {self.pos}: unterminated line")
        s = self.data[self.pos:end]
        self.pos = end + 1
        return s

    def match(self, pattern, what):
        at = self.pos
        s = self.line()
        m = re.fullmatch(pattern, s, re.S)
        if not m:
            raise ParseError(f"offset {at}: expected {what}, got {s[:120]!r}")
        return m


def parse_capture(data):
    """Returns [(internal name, section dict)] in capture order."""
    r = Reader(data)
    sections = []
    while not r.eof():
        name = r.match(rb"=== (.+)", "'=== <internal name>'").group(1).decode()
        sec = {"name": name}
        m = r.match(rb"Examining (.*)\.\.\. Mailbox Header Info:", "Examining line")
        sec["external"] = m.group(1).decode()
        sec["path"] = r.match(rb"  Path to mailbox: (.*)", "Path").group(1).decode()
        sec["acl"] = r.match(rb"  Mailbox ACL: (.*)", "ACL").group(1).decode()
        sec["uniqueid"] = r.match(rb"  Unique ID: (.*)", "Unique ID").group(1).decode()
        uf = r.match(rb"  User Flags: (\[none\]|(?:[^ \n]+ )*)", "User Flags").group(1).decode()
        sec["user_flags"] = [] if uf == "[none]" else uf.split(" ")[:-1]
        r.match(rb"", "blank line")
        r.match(rb" Index Header Info:", "Index Header Info")
        h = {}
        h["generation_no"] = int(r.match(rb"  Generation Number: (-?\d+)", "Generation").group(1))
        h["minor_version"] = int(r.match(rb"  Minor Version: (-?\d+)", "Minor Version").group(1))
        m = r.match(rb"  Header Size: (\d+) bytes  Record Size: (\d+) bytes", "Header Size")
        h["header_size"], h["record_size"] = int(m.group(1)), int(m.group(2))
        m = r.match(rb"  Number of Messages: (\d+)  Mailbox Size: (-?\d+) bytes"
                    rb"  Annotations Size: (-?\d+) bytes", "Number of Messages")
        h["exists"], h["quota_mailbox_used"], h["quota_annot_used"] = map(int, m.groups())
        m = r.match(rb"  Last Append Date: \((-?\d+)\) (.*)", "Last Append Date")
        h["last_appenddate"], h["last_appenddate_ctime"] = int(m.group(1)), m.group(2).decode()
        m = r.match(rb"  UIDValidity: (\d+)  Last UID: (\d+)", "UIDValidity")
        h["uidvalidity"], h["last_uid"] = int(m.group(1)), int(m.group(2))
        m = r.match(rb"  Deleted: (\d+)  Answered: (\d+)  Flagged: (\d+)", "Deleted")
        h["deleted"], h["answered"], h["flagged"] = map(int, m.groups())
        h["options"] = r.match(rb"  Mailbox Options:(.*)", "Mailbox Options").group(1).decode()
        m = r.match(rb"  Last POP3 Login: \((-?\d+)\) (.*)", "Last POP3 Login")
        h["pop3_last_login"], h["pop3_last_login_ctime"] = int(m.group(1)), m.group(2).decode()
        h["highestmodseq"] = int(r.match(rb"  Highest Mod Sequence: (\d+)", "Highest Mod Sequence").group(1))
        r.match(rb"", "blank line")
        r.match(rb" Message Info:", "Message Info")
        sec["header"] = h
        recs = []
        while not r.eof() and not r.peek(b"=== "):
            rec = {}
            m = r.match(rb"\d{6}> UID:(\d{8})   INT_DATE:(-?\d+) SENTDATE:(-?\d+) SAVEDATE:(-?\d+)"
                        rb" SIZE:(\d+) *", "record line 1")
            (rec["uid"], rec["internaldate"], rec["sentdate"], rec["savedate"],
             rec["size"]) = map(int, m.groups())
            m = r.match(rb"      > HDRSIZE:(\d+) +LASTUPD :(-?\d+) SYSFLAGS:([0-9A-F]{8})"
                        rb"      > CACHEVER:(\d+) +GUID:([0-9a-f]{40}) MODSEQ:(\d+)  THRID: ([0-9a-f]+)",
                        "record line 2")
            rec["header_size"], rec["last_updated"] = int(m.group(1)), int(m.group(2))
            rec["sysflags"] = m.group(3).decode()
            rec["cache_version"] = int(m.group(4))
            rec["guid"] = m.group(5).decode()
            rec["modseq"] = int(m.group(6))
            rec["thrid"] = m.group(7).decode()
            m = r.match(rb"      > INTERNALFLAGS:((?: FLAG_INTERNAL_[A-Z_]+)*)"
                        rb"      > SYSTEMFLAGS:((?: FLAG_[A-Z_]+)*)", "record line 3")
            rec["internalflags"] = m.group(1).decode().split()
            rec["systemflags"] = m.group(2).decode().split()
            m = r.match(rb"      > USERFLAGS:((?: [0-9A-F]{8}){4})", "record line 4")
            rec["userflags"] = m.group(1).decode().split()
            items = None
            if r.peek(b" " + CACHE_LABELS[0][0] + b">{"):
                items = {}
                for label, item in CACHE_LABELS:
                    prefix = b" " + label + b">{"
                    if not r.peek(prefix):
                        raise ParseError(f"offset {r.pos}: expected cache item {label.decode()}")
                    r.pos += len(prefix)
                    end = r.data.find(b"}", r.pos)
                    digits = r.data[r.pos:end]
                    if end < 0 or not digits.isdigit():
                        raise ParseError(f"offset {r.pos}: bad length of cache item {label.decode()}")
                    n = int(digits)
                    body = r.data[end + 1:end + 1 + n]
                    if len(body) != n or r.data[end + 1 + n:end + 2 + n] != b"\n":
                        raise ParseError(f"offset {r.pos}: cache item {label.decode()} {{{n}}} "
                                         "not followed by LF")
                    r.pos = end + 2 + n
                    items[item] = (n, hashlib.sha1(body).hexdigest())
            rec["items"] = items
            recs.append(rec)
        sec["records"] = recs
        sections.append((name, sec))
    return sections


def ctime_utc(t):
    g = time.gmtime(t)
    return "%s %s %2d %02d:%02d:%02d %d" % (
        ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")[g.tm_wday],
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")[g.tm_mon - 1],
        g.tm_mday, g.tm_hour, g.tm_min, g.tm_sec, g.tm_year)


def mutf7_decode(s):
    """RFC 3501 modified UTF-7 -> str."""
    out, i = [], 0
    while i < len(s):
        if s[i] != "&":
            out.append(s[i])
            i += 1
            continue
        j = s.index("-", i)
        if j == i + 1:
            out.append("&")
        else:
            b64 = s[i + 1:j].replace(",", "/")
            out.append(base64.b64decode(b64 + "=" * (-len(b64) % 4)).decode("utf-16-be"))
        i = j + 1
    return "".join(out)


def run_json(args):
    p = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(args)}: exit {p.returncode}: "
                           f"{p.stderr.decode(errors='replace').strip()[:300]}")
    return json.loads(p.stdout)


def as_int(v):
    return int(v) if isinstance(v, str) else v


class Comparer:
    def __init__(self, image):
        self.image = image
        self.diffs = []
        self.fields = 0

    def eq(self, mbox, uid, field, mbex, ours):
        self.fields += 1
        if mbex != ours:
            where = f"{mbox} uid {uid}" if uid is not None else mbox
            self.diffs.append(f"DIFF {self.image} {where} {field}: mbexamine {mbex!r}, "
                              f"spoolsalvage {ours!r}")

    def problem(self, mbox, what):
        self.diffs.append(f"DIFF {self.image} {mbox} {what}")


def compare_mailbox(c, binary, image, mbox, sec):
    name = sec["name"]
    # mbexamine prints the IMAP (modified UTF-7) external name, ls the decoded one.
    c.eq(name, None, "external name (Examining, mUTF-7 decoded)", mutf7_decode(sec["external"]),
         mbox.get("display_name"))
    c.eq(name, None, "Path to mailbox", sec["path"], "/" + mbox["dir"].lstrip("/"))
    d = mbox["dir"].rstrip("/")
    index = run_json([binary, "dump", "--json", image, d + "/cyrus.index"])
    header = run_json([binary, "dump", "--json", image, d + "/cyrus.header"])
    # An empty mailbox may have no cyrus.cache at all (Cyrus creates it with
    # the first message); then there is nothing for records to point into.
    cache = (run_json([binary, "dump", "--json", image, d + "/cyrus.cache"])
             if mbox.get("has_cache", True) else {"records": []})
    for what, j in (("cyrus.index", index), ("cyrus.header", header), ("cyrus.cache", cache)):
        if "error" in j:
            c.problem(name, f"{what}: dump error {j['error']}")
    if "error" in index or "error" in header:
        return 0

    # cyrus.header
    c.eq(name, None, "Unique ID", sec["uniqueid"], header.get("uniqueid"))
    names = []
    for f in header.get("user_flags", []):  # mbexamine stops at the first empty slot
        if f is None:
            break
        names.append(f)
    c.eq(name, None, "User Flags", sec["user_flags"], names)
    acl = "".join(f"{i}\t{r}\t" for i, r in header.get("acl", []))
    c.eq(name, None, "Mailbox ACL", sec["acl"], acl)

    # cyrus.index header
    hf = index["header"]["fields"]
    h = sec["header"]
    c.eq(name, None, "Generation Number", h["generation_no"], as_int(hf.get("generation_no")))
    c.eq(name, None, "Minor Version", h["minor_version"], as_int(hf.get("minor_version")))
    c.eq(name, None, "Minor Version (dump header)", h["minor_version"], index["header"].get("minor_version"))
    c.eq(name, None, "Header Size", h["header_size"], as_int(hf.get("start_offset")))
    c.eq(name, None, "Record Size", h["record_size"], as_int(hf.get("record_size")))
    c.eq(name, None, "Number of Messages", h["exists"], as_int(hf.get("exists")))
    c.eq(name, None, "Mailbox Size", h["quota_mailbox_used"], as_int(hf.get("quota_mailbox_used")))
    c.eq(name, None, "Annotations Size", h["quota_annot_used"], as_int(hf.get("quota_annot_used")))
    c.eq(name, None, "Last Append Date", h["last_appenddate"], as_int(hf.get("last_appenddate")))
    lad = as_int(hf.get("last_appenddate"))
    c.eq(name, None, "Last Append Date (ctime)", h["last_appenddate_ctime"],
         ctime_utc(lad) if isinstance(lad, int) else lad)
    c.eq(name, None, "UIDValidity", h["uidvalidity"], as_int(hf.get("uidvalidity")))
    c.eq(name, None, "Last UID", h["last_uid"], as_int(hf.get("last_uid")))
    c.eq(name, None, "Deleted", h["deleted"], as_int(hf.get("deleted")))
    c.eq(name, None, "Answered", h["answered"], as_int(hf.get("answered")))
    c.eq(name, None, "Flagged", h["flagged"], as_int(hf.get("flagged")))
    opts = as_int(hf.get("options"))
    if isinstance(opts, int):
        want = " NONE" if opts == 0 else "".join(" " + n for b, n in OPTION_NAMES if opts & b)
    else:
        want = opts
    c.eq(name, None, "Mailbox Options", h["options"], want)
    pl = as_int(hf.get("pop3_last_login"))
    c.eq(name, None, "Last POP3 Login", h["pop3_last_login"], pl)
    c.eq(name, None, "Last POP3 Login (ctime)", h["pop3_last_login_ctime"],
         ctime_utc(pl) if isinstance(pl, int) else pl)
    c.eq(name, None, "Highest Mod Sequence", h["highestmodseq"], as_int(hf.get("highestmodseq")))

    # records: mbexamine iterates records 1..num_records, skipping expunged ones
    live = [r for r in index.get("records", [])
            if not r.get("past_num_records") and not (r["fields"]["system_flags"] & FLAG_INTERNAL_EXPUNGED)]
    c.eq(name, None, "Number of Messages vs non-expunged records in dump", h["exists"], len(live))
    c.eq(name, None, "uids (order)", [r["uid"] for r in sec["records"]], [r["fields"]["uid"] for r in live])
    mb_uids = {r["uid"] for r in sec["records"]}
    ours_uids = {r["fields"]["uid"] for r in live}
    c.fields += 1
    if mb_uids != ours_uids:
        c.problem(name, f"uid set: only in mbexamine {sorted(mb_uids - ours_uids)}, only among the "
                  f"dump's non-expunged records {sorted(ours_uids - mb_uids)}")
    by_uid = {r["fields"]["uid"]: r for r in live}
    cache_at = {r["offset"]: r for r in cache.get("records", [])}
    compared = 0
    for mr in sec["records"]:
        uid = mr["uid"]
        dr = by_uid.get(uid)
        if dr is None:
            c.problem(name, f"uid {uid}: printed by mbexamine, no non-expunged record in the dump")
            continue
        compared += 1
        f = dr["fields"]
        sf = f["system_flags"]
        c.eq(name, uid, "INT_DATE", mr["internaldate"], f.get("internaldate"))
        c.eq(name, uid, "SENTDATE", mr["sentdate"], f.get("sentdate"))
        c.eq(name, uid, "SAVEDATE", mr["savedate"], f.get("savedate"))
        c.eq(name, uid, "SIZE", mr["size"], as_int(f.get("size")))
        c.eq(name, uid, "HDRSIZE", mr["header_size"], f.get("header_size"))
        c.eq(name, uid, "LASTUPD", mr["last_updated"], f.get("last_updated"))
        c.eq(name, uid, "SYSFLAGS", mr["sysflags"], "%08X" % (sf & 0xFFFF))
        c.eq(name, uid, "SYSTEMFLAGS", mr["systemflags"], [n for b, n in SYSTEM_FLAG_NAMES if sf & b])
        c.eq(name, uid, "INTERNALFLAGS", mr["internalflags"], [n for b, n in INTERNAL_FLAG_NAMES if sf & b])
        cv = f.get("cache_version")
        c.eq(name, uid, "CACHEVER", mr["cache_version"], cv & 0xFFFF if isinstance(cv, int) else cv)
        c.eq(name, uid, "GUID", mr["guid"], f.get("guid"))
        c.eq(name, uid, "MODSEQ", mr["modseq"], as_int(f.get("modseq")))
        cid = as_int(f.get("cid"))
        c.eq(name, uid, "THRID", mr["thrid"], "%x" % cid if isinstance(cid, int) else cid)
        uf = f.get("user_flags") or []
        c.eq(name, uid, "USERFLAGS", mr["userflags"], ["%08X" % w for w in reversed(uf)])
        # cache items
        co = f.get("cache_offset")
        cr = cache_at.get(co)
        if mr["items"] is None:
            c.problem(name, f"uid {uid}: mbexamine printed no cache items (cache_offset {co})")
            continue
        if cr is None:
            c.problem(name, f"uid {uid}: no record at cache_offset {co} in the cache dump "
                      f"({len(cache_at)} records)")
            continue
        items = {it["name"]: it for it in cr["items"]}
        for label, item in CACHE_LABELS:
            n, sha = mr["items"][item]
            it = items.get(item, {})
            c.eq(name, uid, f"{label.decode()} length", n, it.get("length"))
            c.eq(name, uid, f"{label.decode()} sha1", sha, it.get("sha1"))
    return compared


def main():
    binary, image, capture = sys.argv[1:4]
    with open(capture, "rb") as fh:
        data = fh.read()
    try:
        sections = parse_capture(data)
    except ParseError as e:
        print(f"PARSE ERROR {capture}: {e}")
        return 1
    img = os.path.basename(image)
    c = Comparer(img)
    listing = run_json([binary, "ls", "--json", image])
    by_name = {}
    for m in listing.get("mailboxes", []):
        by_name.setdefault(m["name"], []).append(m)
    nmbox = nrec = 0
    for name, sec in sections:
        found = by_name.get(name, [])
        if len(found) != 1:
            c.problem(name, f"found {len(found)} times in ls --json (want exactly 1)")
            continue
        try:
            nrec += compare_mailbox(c, binary, image, found[0], sec)
        except (RuntimeError, KeyError, ValueError) as e:
            c.problem(name, f"could not compare: {type(e).__name__}: {e}")
            continue
        nmbox += 1
    for d in c.diffs:
        print(d)
    print(f"{img}: {len(sections)} mailboxes in {os.path.basename(capture)}, compared {nmbox} mailboxes, "
          f"{nrec} records, {c.fields} fields; {len(c.diffs)} difference(s)")
    if nmbox == 0 or nrec == 0 or c.fields == 0:
        print(f"{img}: nothing (or no record) was compared")
        return 1
    return 1 if c.diffs else 0


if __name__ == "__main__":
    sys.exit(main())
