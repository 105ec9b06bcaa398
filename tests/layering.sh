#!/usr/bin/env bash
# Dependencies point down (DESIGN.md): a layer includes only itself and the
# layers below it. Only cli/ may print or exit.
set -uo pipefail
src=$1
order=(core evidence fs spool validate salvage report cli)
rank() { local i; for i in "${!order[@]}"; do [[ ${order[$i]} == "$1" ]] && echo "$i" && return; done; echo -1; }
bad=0
for dir in "$src"/*/; do
  layer=$(basename "$dir")
  r=$(rank "$layer")
  [[ $r -ge 0 ]] || { echo "unknown layer folder: $layer"; bad=1; continue; }
  while IFS=: read -r file _ inc; do
    dep=$(sed -E 's/.*#include "([a-z_]+)\/.*/\1/' <<<"$inc")
    d=$(rank "$dep")
    if [[ $d -gt $r ]]; then echo "$file: $layer includes $dep (upward)"; bad=1; fi
  done < <(grep -Hn '#include "' "$dir"* 2>/dev/null)
  if [[ $layer != cli ]]; then
    if grep -HnE '\b(std::cout|std::cerr|printf\(|fprintf\(|puts\(|std::exit|exit\(|abort\()' "$dir"* ; then
      echo "$layer: prints or exits (only cli/ may)"; bad=1
    fi
  fi
done
[[ $bad == 0 ]] && echo "layering: ok"
exit $bad
