#!/usr/bin/env python3
"""After a damage recipe: salvage must not lose any message silently, never
call a damaged message verified, and still verify every undamaged one.

Usage: salvage_vs_truth.py OUT TRUTH_JSON CHECK_JSON
- every (mailbox, uid) of the truth is in the manifest, with some status;
- a `verified`/`corrected` entry has the truth's SHA-1, and so has its file;
- every message that `check` found verified or corrected is salvaged so.
"""
import hashlib
import json
import os
import sys


def main():
    out, truth, check = sys.argv[1], json.load(open(sys.argv[2])), json.load(open(sys.argv[3]))
    entries = {}
    for line in open(os.path.join(out, "manifest.jsonl")):
        e = json.loads(line)
        entries.setdefault((e["mailbox"], e["uid"]), []).append(e)
    bad = []
    for m in truth["mailboxes"]:
        for t in m["messages"]:
            if t["uid"] not in m["message_files"]:
                continue
            es = entries.get((m["name"], t["uid"]))
            if not es:
                bad.append(f"{m['name']} uid {t['uid']}: missing from the manifest")
                continue
            for e in es:
                if e["status"] in ("verified", "corrected"):
                    if e["sha1"] != t["sha1"]:
                        bad.append(f"{m['name']} uid {t['uid']}: {e['status']} but not the original bytes")
                    data = open(os.path.join(out, e["file"]), "rb").read()
                    if hashlib.sha1(data).hexdigest() != t["sha1"]:
                        bad.append(f"{m['name']} uid {t['uid']}: written bytes differ")
    for box in check["mailboxes"]:
        for msg in box["messages"]:
            if msg["state"] in ("verified", "corrected"):
                es = entries.get((box["name"], msg["uid"]), [])
                if not any(e["status"] == msg["state"] for e in es):
                    bad.append(f"{box['name']} uid {msg['uid']}: check says {msg['state']}, "
                               f"salvage says {[e['status'] for e in es]}")
    print("\n".join(bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
