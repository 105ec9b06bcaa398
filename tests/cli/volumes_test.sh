#!/usr/bin/env bash
# Whole disks (issue 8, item 1): the real fixture filesystem inside a GPT and
# an MBR partition table (made with sfdisk on an image file), and inside
# Linux md RAID1 members with metadata 1.2 (data at 1 MiB) and 0.90
# (superblock at the end). The md members are laid out here from the md
# superblock documentation (md(4), Linux's md_p.h): this machine has no md
# driver for mdadm --create. For each: check finds the filesystem by itself
# and verifies exactly what it verifies on the bare image; EVIDENCE@N and
# EVIDENCE@offset=BYTES name a volume; a volume with no filesystem, a
# partition that does not exist and one member of a RAID5 fail clearly;
# probe lists the table and the volumes; an LVM2 physical volume is named
# with what to do.
source "$(dirname "$0")/common.sh" "$@"
IMG=$FIX/cyrus36-uuid.ext4.img
[[ -f $IMG ]] || { fail "fixture missing"; finish; }
command -v sfdisk >/dev/null || { fail "sfdisk missing (scripts/deps installs fdisk)"; finish; }
want=$("$BIN" check "$IMG" 2>/dev/null | tail -1)   # "checked 10 mailboxes: 42 verified"
[[ $want == *verified* ]] || { fail "the bare fixture does not check: $want"; finish; }
fsize=$(stat -c %s "$IMG")

same() {  # WHAT EVIDENCE: check verifies what it verifies on the bare image
  local got
  got=$("$BIN" check "$2" 2>"$TMP/err" | tail -1)
  [[ $got == "$want" ]] && pass "$1: $got" || { fail "$1: '$got', want '$want'"; head -3 "$TMP/err"; }
}

for label in gpt dos; do
  d=$TMP/$label.img
  truncate -s 40M "$d"
  printf 'label: %s\nstart=2048, size=8192, type=%s\nstart=12288, size=%d, type=%s\n' "$label" \
    "$([[ $label == gpt ]] && echo L || echo 83)" $((fsize / 512)) \
    "$([[ $label == gpt ]] && echo L || echo 83)" | sfdisk -q "$d" || { fail "sfdisk $label"; continue; }
  dd if="$IMG" of="$d" bs=512 seek=12288 conv=notrunc status=none
  same "$label disk, the filesystem in partition 2, found by itself" "$d"
  same "$label disk @2" "$d@2"
  same "$label disk @offset=$((12288 * 512))" "$d@offset=$((12288 * 512))"
  expect_status 8 "$label disk @1 (no filesystem there)" -- "$BIN" check "$d@1"
  expect_status 8 "$label disk @7 (no such partition)" -- "$BIN" check "$d@7"
  grep -q "evidence.volume-ambiguous.*no volume 7.*@1.*@2" "$TMP/err" && pass "  ... naming the volumes there" \
    || fail "@7 message: $(head -1 "$TMP/err")"
  "$BIN" probe "$d" >"$TMP/probe.txt" 2>&1
  grep -q "a whole disk, $label partition table" "$TMP/probe.txt" && grep -q "@2 .*: ext4" "$TMP/probe.txt" \
    && pass "probe lists the $label table and the ext4 in partition 2" || { fail "probe $label"; head -5 "$TMP/probe.txt"; }
  grep -q "evidence.volume-chosen" "$TMP/probe.txt" && pass "  ... and says the volume was chosen" \
    || fail "no evidence.volume-chosen"
done

# md members, laid out from the documented superblock formats.
python3 - "$IMG" "$TMP" <<'PY'
import struct, sys
img, tmp = sys.argv[1], sys.argv[2]
data = open(img, "rb").read()
MAGIC = 0xa92b4efc
def sb1(level, data_offset_s, data_size_s, super_offset_s):
    sb = bytearray(256)
    struct.pack_into("<IIII", sb, 0, MAGIC, 1, 0, 0)       # magic, major_version, feature_map, pad0
    sb[16:32] = bytes(range(16))                           # set_uuid
    sb[32:64] = b"spoolsalvage-test".ljust(32, b"\0")      # set_name
    struct.pack_into("<Qii", sb, 64, 0, level, 0)          # ctime, level, layout
    struct.pack_into("<QII", sb, 80, data_size_s, 0, 2)    # size, chunksize, raid_disks
    struct.pack_into("<QQQ", sb, 128, data_offset_s, data_size_s, super_offset_s)
    return bytes(sb)
# 1.2: superblock 4 KiB from the start, data at 1 MiB
for level, name in ((1, "md12"), (5, "md12-raid5")):
    m = bytearray(1 << 20) + data
    m[4096:4096 + 256] = sb1(level, 2048, len(data) // 512, 8)
    open(f"{tmp}/{name}.img", "wb").write(m)
# 0.90: data at 0, superblock 64 KiB before the end, 64 KiB aligned
total = len(data) + 128 * 1024
m = bytearray(data) + bytearray(total - len(data))
at = (total & ~65535) - 65536
sb = bytearray(4096)
struct.pack_into("<IIII", sb, 0, MAGIC, 0, 90, 0)          # md_magic, major, minor, patch
struct.pack_into("<i", sb, 28, 1)                          # level
m[at:at + 4096] = sb
open(f"{tmp}/md090.img", "wb").write(m)
PY
same "md RAID1 member, metadata 1.2 (data at 1 MiB)" "$TMP/md12.img"
"$BIN" probe "$TMP/md12.img" >"$TMP/probe.txt" 2>&1
grep -q "md RAID1 member, metadata 1.2 (data at byte 1048576 of it).*: ext4" "$TMP/probe.txt" \
  && pass "probe: md RAID1 member, metadata 1.2, data at 1 MiB" || { fail "probe md 1.2"; head -4 "$TMP/probe.txt"; }
same "md RAID1 member, metadata 0.90 (superblock at the end)" "$TMP/md090.img"
"$BIN" probe "$TMP/md090.img" >"$TMP/probe.txt" 2>&1
grep -q "md RAID1 member, metadata 0.90" "$TMP/probe.txt" && pass "probe: md RAID1 member, metadata 0.90" \
  || { fail "probe md 0.90"; head -4 "$TMP/probe.txt"; }
expect_status 8 "one member of a RAID5" -- "$BIN" check "$TMP/md12-raid5.img"
grep -q "RAID level 5 does not hold the data; assemble the array elsewhere" "$TMP/err" \
  && pass "  ... says what it is and what to do" || fail "RAID5 message: $(head -1 "$TMP/err")"

# An LVM2 physical volume (its label laid out from LVM2's on-disk format, the
# label CRC as LVM computes it): named, with what to do.
python3 - "$TMP/lvm.img" <<'PY'
import struct, sys
def lvm_crc(data, crc=0xf597a6cf):  # LVM's calc_crc: reflected CRC-32 from this seed, no final xor
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0xEDB88320 if crc & 1 else 0)
    return crc
sec = bytearray(512)
sec[0:8] = b"LABELONE"
struct.pack_into("<QII", sec, 8, 1, 0, 32)                # sector_xl, crc_xl (below), offset_xl
sec[24:32] = b"LVM2 001"
sec[32:64] = b"abcdefghijklmnopqrstuvwxyz012345"         # pv uuid
struct.pack_into("<Q", sec, 64, 8 << 20)                  # device size
struct.pack_into("<QQQQ", sec, 72, 1 << 20, 0, 0, 0)      # data area, end of list
struct.pack_into("<QQQQ", sec, 104, 4096, 1044480, 0, 0)  # metadata area, end of list
struct.pack_into("<I", sec, 16, lvm_crc(bytes(sec[20:])))
img = bytearray(8 << 20)
img[512:1024] = sec
open(sys.argv[1], "wb").write(img)
PY
expect_status 8 "an LVM2 physical volume" -- "$BIN" check "$TMP/lvm.img"
grep -q "an LVM2 physical volume: activate it on a machine with LVM" "$TMP/err" \
  && pass "  ... says what it is and what to do" || fail "LVM message: $(head -1 "$TMP/err")"
finish
