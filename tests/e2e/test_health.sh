# trib health, --version, --json and --quiet against a live tributaryd; exit 5 once it is gone.
. "$(dirname "$0")/lib.sh"

start_server

run_trib 0 health
assert_out "SERVING"
assert_err_empty

run_trib 0 --json health
assert_json 'd == {"status": "SERVING"}'

run_trib 0 health --quiet
assert_out_empty

run_trib 0 --version
assert_out_matches 'trib [0-9]+\.[0-9]+\.[0-9]+'

# --addr beats $TRIB_ADDR.
run_trib 0 health --addr "127.0.0.1:$PORT"
run_trib 5 --addr 127.0.0.1:1 health
assert_out_empty

stop_server
run_trib 5 health
assert_out_empty
assert_err_matches "trib: error: 127\.0\.0\.1:$PORT \(UNAVAILABLE\): .+"
[ "$(wc -l <"$WORK/err")" -eq 1 ] || fail "more than one error line"

run_trib 5 get customer/customer-360
run_trib 5 list --all
pass
