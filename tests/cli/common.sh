# Shared by tests/cli/*_test.sh. Usage in a test:
#   source "$(dirname "$0")/common.sh" "$@"
# gives $BIN (the spoolsalvage binary), $FIX (unpacked fixture images),
# $SRCFIX (committed fixtures with *.truth.json), $TMP (removed on exit),
# and helpers.
set -uo pipefail
BIN=$1 FIX=$2 SRCFIX=$3
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
failures=0

fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
pass() { echo "ok: $*"; }

# expect_status WANT DESCRIPTION -- command...
expect_status() {
  local want=$1 what=$2; shift 3
  "$@" >"$TMP/out" 2>"$TMP/err"
  local got=$?
  if [[ $got -eq $want ]]; then pass "$what (exit $got)"; else
    fail "$what: exit $got, want $want"; sed 's/^/    /' "$TMP/err" | head -5; fi
}

finish() {
  if [[ $failures -gt 0 ]]; then echo "$failures failure(s)"; exit 1; fi
  echo "all passed"; exit 0
}

# The fixture images that have a ground truth next to them.
fixture_images() {
  local img base
  for img in "$FIX"/*.img; do
    base=$(basename "$img"); base=${base%%.ext*}
    [[ -f $SRCFIX/$base.truth.json ]] && echo "$img $SRCFIX/$base.truth.json"
  done
}
