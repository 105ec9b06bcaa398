#!/usr/bin/env bash
# Unpacks tests/fixtures/*.img.xz into the build tree (once; redone when the
# compressed file is newer). Tests never touch the committed files.
set -euo pipefail
src=$1 dst=$2
mkdir -p "$dst"
shopt -s nullglob
for xz in "$src"/*.img.xz; do
  out="$dst/$(basename "${xz%.xz}")"
  if [[ ! -f $out || $xz -nt $out ]]; then
    xz -dc "$xz" >"$out.tmp" && mv "$out.tmp" "$out"
  fi
done
