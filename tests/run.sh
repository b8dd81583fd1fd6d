#!/bin/sh
# Run Check binaries and end-to-end scripts; print one line each and a summary.
# usage: run.sh BUILD_DIR TEST_BIN... -- E2E_SCRIPT...
set -u
build=$1; shift
export TRIB_BIN_DIR="$(cd "$build/bin" 2>/dev/null && pwd)"
export CK_DEFAULT_TIMEOUT="${CK_DEFAULT_TIMEOUT:-60}"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
logdir="$build/test-logs"
mkdir -p "$logdir"
pass=0; fail=0; failed=""
run_one() {
	# A script runs as `sh tests/e2e/x.sh`: name its log after the script.
	if [ "$1" = sh ]; then what=$2; else what=$1; fi
	name=$(echo "$what" | sed -e "s|^$build/||" -e 's|/|_|g')
	log="$logdir/$name.log"
	start=$(date +%s)
	if "$@" >"$log" 2>&1; then
		pass=$((pass + 1)); status=PASS
	else
		fail=$((fail + 1)); status=FAIL; failed="$failed $1"
	fi
	printf '%-4s %-48s %3ss  %s\n' "$status" "$what" "$(( $(date +%s) - start ))" \
	    "$(grep -E '^[0-9]+%: Checks' "$log" | tail -1)"
	if [ $status = FAIL ]; then tail -n 30 "$log" | sed 's/^/    | /'; fi
}
while [ $# -gt 0 ] && [ "$1" != "--" ]; do run_one "$1"; shift; done
[ $# -gt 0 ] && shift
for s in "$@"; do run_one sh "$s"; done
echo "---- $pass passed, $fail failed (logs in $logdir)"
[ $fail -eq 0 ] || { echo "failed:$failed"; exit 1; }
