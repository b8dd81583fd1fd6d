# Shared helpers for the end-to-end tests (POSIX sh). Source it from a test:
#   . "$(dirname "$0")/lib.sh"
#   start_server
#   run_trib 0 get customer/customer-360    # expected exit code, then arguments
#   assert_out "..."; assert_err_contains "..."
#
# Needs TRIB_BIN_DIR (absolute path of build/bin), set by tests/run.sh.
# Every test gets its own data directory and server on a free port; both go
# away on exit, whatever happens.

set -u

E2E_DIR=$(cd "$(dirname "$0")" && pwd)
FIXTURES="$E2E_DIR/fixtures"
: "${TRIB_BIN_DIR:?set TRIB_BIN_DIR to the absolute path of build/bin}"
TRIB="$TRIB_BIN_DIR/trib"
TRIBUTARYD="$TRIB_BIN_DIR/tributaryd"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/trib-e2e.XXXXXX")
SERVER_PID=""
# A test name for messages: the script's file name.
TEST_NAME=$(basename "$0" .sh)
# Deterministic "registered_by" in outputs.
TRIB_ACTOR=e2e
export TRIB_ACTOR
unset TRIB_ADDR

cleanup() {
	if [ -n "$SERVER_PID" ]; then
		kill "$SERVER_PID" 2>/dev/null
		wait "$SERVER_PID" 2>/dev/null
	fi
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() {
	echo "FAIL [$TEST_NAME]: $*" >&2
	if [ -n "${LAST_CMD:-}" ]; then
		echo "  command: $LAST_CMD" >&2
		echo "  exit:    ${RC:-?}" >&2
		echo "  stdout:" >&2
		sed 's/^/  | /' "$WORK/out" >&2
		echo "  stderr:" >&2
		sed 's/^/  | /' "$WORK/err" >&2
	fi
	if [ -f "$WORK/server.err" ]; then
		echo "  server log (last 10 lines):" >&2
		tail -n 10 "$WORK/server.err" | sed 's/^/  | /' >&2
	fi
	exit 1
}

# start_server [tributaryd options...]: start on a free loopback port with a
# fresh data directory; sets SERVER_PID, PORT and exports TRIB_ADDR.
start_server() {
	DATA="$WORK/data"
	mkdir -p "$DATA"
	: >"$WORK/server.out"
	"$TRIBUTARYD" --listen 127.0.0.1:0 --data-dir "$DATA" "$@" >"$WORK/server.out" 2>"$WORK/server.err" &
	SERVER_PID=$!
	PORT=""
	i=0
	while [ $i -lt 200 ]; do
		PORT=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9][0-9]*\)$/\1/p' "$WORK/server.out")
		[ -n "$PORT" ] && break
		kill -0 "$SERVER_PID" 2>/dev/null || { SERVER_PID=""; fail "tributaryd exited before listening"; }
		sleep 0.05
		i=$((i + 1))
	done
	[ -n "$PORT" ] || fail "tributaryd did not print its port within 10 s"
	TRIB_ADDR="127.0.0.1:$PORT"
	export TRIB_ADDR
}

# stop_server: SIGTERM and wait (the data directory stays).
stop_server() {
	if [ -n "$SERVER_PID" ]; then
		kill "$SERVER_PID" 2>/dev/null
		wait "$SERVER_PID" 2>/dev/null
		SERVER_PID=""
	fi
}

# run_trib EXPECTED_EXIT ARGS...: run trib, keep stdout and stderr in
# $WORK/out and $WORK/err, fail unless it exits with EXPECTED_EXIT.
run_trib() {
	expected=$1
	shift
	LAST_CMD="trib $*"
	"$TRIB" "$@" >"$WORK/out" 2>"$WORK/err"
	RC=$?
	[ "$RC" -eq "$expected" ] || fail "expected exit $expected, got $RC"
}

# The stdout / stderr of the last run_trib.
out() { cat "$WORK/out"; }
err() { cat "$WORK/err"; }

# assert_out TEXT: stdout is exactly TEXT (a final newline is implied).
assert_out() {
	printf '%s\n' "$1" >"$WORK/expected"
	cmp -s "$WORK/expected" "$WORK/out" || {
		diff -u "$WORK/expected" "$WORK/out" | sed 's/^/  /' >&2
		fail "stdout differs"
	}
}

# assert_err TEXT: stderr is exactly TEXT.
assert_err() {
	printf '%s\n' "$1" >"$WORK/expected"
	cmp -s "$WORK/expected" "$WORK/err" || {
		diff -u "$WORK/expected" "$WORK/err" | sed 's/^/  /' >&2
		fail "stderr differs"
	}
}

assert_out_empty() { [ ! -s "$WORK/out" ] || fail "stdout is not empty"; }
assert_err_empty() { [ ! -s "$WORK/err" ] || fail "stderr is not empty"; }

# assert_out_has LINE / assert_err_has LINE: that exact line is present.
assert_out_has() { grep -qxF -- "$1" "$WORK/out" || fail "stdout lacks the line: $1"; }
assert_err_has() { grep -qxF -- "$1" "$WORK/err" || fail "stderr lacks the line: $1"; }
# assert_out_matches ERE: some line of stdout matches the extended regex (whole line).
assert_out_matches() { grep -qxE -- "$1" "$WORK/out" || fail "no stdout line matches: $1"; }
assert_err_matches() { grep -qxE -- "$1" "$WORK/err" || fail "no stderr line matches: $1"; }

# mask_times: replace the UTC times of human output by TIME in stdout.
mask_times() {
	sed -E 's/[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}Z/TIME/g' "$WORK/out" >"$WORK/out.masked"
	mv "$WORK/out.masked" "$WORK/out"
}

# sort_out: sort the lines of stdout (for output whose order is the input's, shuffled).
sort_out() {
	LC_ALL=C sort "$WORK/out" >"$WORK/out.sorted"
	mv "$WORK/out.sorted" "$WORK/out"
}

assert_out_lacks() { ! grep -qF -- "$1" "$WORK/out" || fail "stdout contains: $1"; }

# assert_json PYTHON_EXPR...: each expression, with d = the JSON on stdout,
# must be true. Fails naming the first false one.
assert_json() {
	python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
for expr in sys.argv[2:]:
    if eval(expr) is not True:
        print(expr)
        sys.exit(1)
' "$WORK/out" "$@" >"$WORK/json.err" 2>&1 || fail "JSON assertion false: $(cat "$WORK/json.err")"
}

# json_get PYTHON_EXPR: print the value of the expression (d = stdout JSON).
json_get() {
	python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(eval(sys.argv[2]))
' "$WORK/out" "$1"
}

# assert_eq EXPECTED ACTUAL WHAT
assert_eq() {
	[ "$1" = "$2" ] || fail "$3: expected '$1', got '$2'"
}

# shuffled FILE...: the arguments in a random order, one per line.
shuffled() {
	for f in "$@"; do printf '%s\n' "$f"; done | awk 'BEGIN { srand() } { print rand() "\t" $0 }' | sort -k1,1 |
		cut -f2-
}

pass() { echo "PASS [$TEST_NAME]"; }
