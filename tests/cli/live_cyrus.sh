# Shared by the tests that need a live Cyrus (live_not_in_test.sh,
# reinject_test.sh); sourced after common.sh. Builds a split-brain pair fresh
# (scripts/make-cyrus-fixture --split-brain) into $TMP/fix and leaves its new
# master running on 127.0.0.1 (SB_* variables from $TMP/serve.env: ports,
# admin, password, certificate, root); the server is stopped at exit,
# whatever happens. Needs root and cyrus-imapd (scripts/deps installs it);
# SPOOLSALVAGE_SKIP_LIVE_TESTS=1 skips the test.
REPO=$(cd "$HERE/../.." && pwd)
if [[ -n ${SPOOLSALVAGE_SKIP_LIVE_TESTS:-} ]]; then
  echo "skipped: SPOOLSALVAGE_SKIP_LIVE_TESTS is set"
  exit 0
fi
if [[ $(id -u) -ne 0 || ! -x /usr/lib/cyrus/bin/master ]]; then
  fail "needs root and cyrus-imapd (scripts/deps installs it; SPOOLSALVAGE_SKIP_LIVE_TESTS=1 skips)"
  finish
fi

SB_MASTER_PID="" SB_WORK=""
stop_server() {
  if [[ -n $SB_MASTER_PID ]] && kill -0 "$SB_MASTER_PID" 2>/dev/null; then
    kill -QUIT "$SB_MASTER_PID" 2>/dev/null
    for _ in $(seq 1 100); do kill -0 "$SB_MASTER_PID" 2>/dev/null || break; sleep 0.1; done
  fi
  # the master leads its own session: its imapd children go with the group
  [[ -n $SB_MASTER_PID ]] && kill -KILL -- "-$SB_MASTER_PID" 2>/dev/null
  case $SB_WORK in /tmp/make-cyrus-fixture.*) rm -rf "$SB_WORK" ;; esac
  SB_MASTER_PID=""
}
trap 'stop_server; rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM

unset SPOOLSALVAGE_IMAP_PASSWORD SPOOLSALVAGE_PASSWORD
started=$SECONDS
if ! "$REPO/scripts/make-cyrus-fixture" --split-brain --no-install --out "$TMP/fix" \
    --serve-new-master "$TMP/serve.env" >"$TMP/fixture.log" 2>&1; then
  fail "building the split-brain pair failed"; tail -20 "$TMP/fixture.log"
  [[ -f $TMP/serve.env ]] && source "$TMP/serve.env"
  finish
fi
source "$TMP/serve.env"
pass "split-brain pair built, new master running on 127.0.0.1:$SB_IMAP_PORT ($((SECONDS - started)) s)"
