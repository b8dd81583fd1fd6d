#!/bin/sh
# A start / serve / shutdown cycle of tributaryd under valgrind: start it on a
# free port in a temporary directory, serve a few calls with trib (found and
# not found, unary and listing), SIGTERM it, and require a clean exit: status
# 0, no memory errors, no definite leaks.
# usage: tests/valgrind.sh BUILD_DIR        (make valgrind)
set -u
build=${1:?usage: tests/valgrind.sh BUILD_DIR}
bin=$(cd "$build/bin" 2>/dev/null && pwd) || { echo "valgrind.sh: no $build/bin (build first)"; exit 2; }
for b in tributaryd trib; do
	[ -x "$bin/$b" ] || { echo "valgrind.sh: $bin/$b is not built"; exit 2; }
done
command -v valgrind >/dev/null || { echo "valgrind.sh: valgrind is not installed (apt-get install valgrind)"; exit 2; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/trib-valgrind.XXXXXX")
pid=
cleanup() {
	[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
fail() {
	echo "valgrind.sh: FAIL: $*"
	echo "--- tributaryd stderr (tail)"; tail -n 20 "$tmp/err" 2>/dev/null
	echo "--- valgrind (tail)"; tail -n 40 "$tmp/vg.log" 2>/dev/null
	exit 1
}

valgrind --error-exitcode=99 --leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=definite \
	--log-file="$tmp/vg.log" "$bin/tributaryd" --listen 127.0.0.1:0 --data-dir "$tmp/data" \
	>"$tmp/out" 2>"$tmp/err" &
pid=$!

# Under valgrind start-up takes seconds.
i=0
while ! grep -q '^listening on ' "$tmp/out" 2>/dev/null; do
	kill -0 "$pid" 2>/dev/null || fail "tributaryd exited before listening"
	i=$((i + 1))
	[ $i -le 1200 ] || fail "tributaryd did not listen within 120 s"
	sleep 0.1
done
TRIB_ADDR=$(sed -n 's/^listening on //p' "$tmp/out")
export TRIB_ADDR
echo "valgrind.sh: tributaryd under valgrind listening on $TRIB_ADDR"

"$bin/trib" health >"$tmp/calls" 2>&1 || fail "trib health: $(cat "$tmp/calls")"
"$bin/trib" domains >>"$tmp/calls" 2>&1 || fail "trib domains: $(cat "$tmp/calls")"
"$bin/trib" list >>"$tmp/calls" 2>&1 || fail "trib list: $(cat "$tmp/calls")"
"$bin/trib" search orders >>"$tmp/calls" 2>&1 || fail "trib search: $(cat "$tmp/calls")"
if "$bin/trib" get no-such/product >>"$tmp/calls" 2>&1; then fail "trib get of an unknown product succeeded"; fi
n=$(grep -c 'method=' "$tmp/err")
[ "$n" -ge 5 ] || fail "expected 5 call log lines, found $n"

kill -TERM "$pid"
wait "$pid"
rc=$?
pid=
[ $rc -eq 0 ] || fail "tributaryd exited with status $rc after SIGTERM (99 = valgrind found errors)"
grep -q 'ERROR SUMMARY: 0 errors' "$tmp/vg.log" || fail "valgrind reported errors"
grep -q 'msg="stopped"' "$tmp/err" || fail "no clean 'stopped' line"
echo "valgrind.sh: PASS ($n calls served; clean shutdown; $(grep 'definitely lost' "$tmp/vg.log" | sed 's/^==[0-9]*== *//'))"
