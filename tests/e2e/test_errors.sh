# Exit codes and error lines: usage 2, not found 3, invalid 4, unavailable 5,
# policy 6; a file with an error registers nothing; --keep-going; policy check.
. "$(dirname "$0")/lib.sh"

MESH="$FIXTURES/mesh"
BAD="$FIXTURES/bad"

# ---- no server at all: 5, one line naming the address
TRIB_ADDR=127.0.0.1:1
export TRIB_ADDR
run_trib 5 get customer/customer-360
assert_out_empty
assert_err_matches 'trib: error: 127\.0\.0\.1:1 \(UNAVAILABLE\): .+'
[ "$(wc -l <"$WORK/err")" -eq 1 ] || fail "more than one error line"
run_trib 5 register "$MESH/payments/refunds.yaml"
assert_err_matches 'trib: error: 127\.0\.0\.1:1 \(UNAVAILABLE\): .+'

start_server

# ---- usage: 2, before any call
run_trib 2 frobnicate
assert_err "trib: error: unknown command 'frobnicate' (see 'trib --help')"
run_trib 2 get
assert_err "trib: error: get: missing REF (see 'trib get --help')"
run_trib 2 list --page-size lots
assert_err "trib: error: list: --page-size wants a whole number from 0 to 10000, not 'lots' (see 'trib list --help')"
run_trib 2 lineage a/b --up --down
run_trib 0 get --help
assert_out_has "usage: trib get REF [options]"

# ---- not found: 3
run_trib 3 get sales/nothing-here
assert_out_empty
assert_err "trib: error: no product 'sales/nothing-here'"
run_trib 3 history sales/nothing-here
run_trib 3 delete sales/nothing-here
run_trib 3 deprecate sales/nothing-here
run_trib 3 register "$WORK/no-such-file.yaml"
assert_err "trib: error: '$WORK/no-such-file.yaml': No such file or directory"

# ---- invalid argument: 4
run_trib 4 get 'a//b'
assert_err_matches "trib: error: .*'a//b'.*"
run_trib 4 domains upsert 'Bad Name!' --owner-team t

# A file with errors: every diagnostic as file:line:column, nothing registered.
run_trib 4 register "$BAD/wrong-types.yaml" "$MESH/payments/refunds.yaml"
assert_out_empty
assert_err "$BAD/wrong-types.yaml:4:8: error: expected a name, got a list (at owner)
$BAD/wrong-types.yaml:6:1: warning: unknown key 'colour' (at colour)
$BAD/wrong-types.yaml:11:19: error: expected a whole number of days, got a string 'lots' (at governance.retention_days)
trib: error: 1 file with errors; nothing registered (--keep-going goes on with the others)"
run_trib 3 get payments/refunds

# --quiet keeps the errors, drops the warnings.
run_trib 4 --quiet register "$BAD/wrong-types.yaml"
assert_err "$BAD/wrong-types.yaml:4:8: error: expected a name, got a list (at owner)
$BAD/wrong-types.yaml:11:19: error: expected a whole number of days, got a string 'lots' (at governance.retention_days)
trib: error: 1 file with errors; nothing registered (--keep-going goes on with the others)"

# --keep-going registers the good file, and still fails.
run_trib 4 register --keep-going "$BAD/wrong-types.yaml" "$MESH/payments/refunds.yaml"
assert_out "created payments/refunds revision 1"
assert_err_has "trib: error: 1 file with errors skipped"
run_trib 0 get payments/refunds --json
assert_json 'd["revision"] == 1'

run_trib 4 register --json "$BAD/wrong-types.yaml"
assert_json 'd["registered"] == 0 and d["results"] == []' \
	'd["errors"] == ["%s:4:8: error: expected a name, got a list (at owner)" % "'"$BAD/wrong-types.yaml"'", "%s:11:19: error: expected a whole number of days, got a string '"'lots'"' (at governance.retention_days)" % "'"$BAD/wrong-types.yaml"'"]'

# ---- refused by policy: 6, one line per violation, nothing written
run_trib 6 register "$BAD/over-retention.yaml"
assert_out "refused payments/audit-log: 1 policy violation
violation retention-bounds: retention of 3650 days is above the maximum of 730 days for confidential data (governance.retention_days)"
assert_err "trib: error: 1 of 1 product not registered"
run_trib 3 get payments/audit-log

run_trib 6 register --json "$BAD/over-retention.yaml"
assert_json 'd["registered"] == 0 and d["failed"] == 1' \
	'd["results"][0]["ref"] == "payments/audit-log" and d["results"][0]["code"] == 9' \
	'd["results"][0]["violations"] == [{"rule_id": "retention-bounds", "message": "retention of 3650 days is above the maximum of 730 days for confidential data", "field_path": "governance.retention_days", "upstream_ref": "", "severity": "error"}]'

# policy check: the verdict per product, nothing written either way
run_trib 6 policy check "$BAD/over-retention.yaml" "$MESH/payments/transactions.yaml"
assert_out "fail payments/audit-log: 1 policy violation
violation retention-bounds: retention of 3650 days is above the maximum of 730 days for confidential data (governance.retention_days)
pass payments/transactions"
assert_err "trib: error: 1 of 2 products failed the policy check"
run_trib 0 policy check "$MESH/payments/transactions.yaml"
assert_out "pass payments/transactions"
run_trib 3 get payments/transactions

# The other products of a run still register when one is refused.
run_trib 6 register "$BAD/over-retention.yaml" "$MESH/payments/transactions.yaml"
assert_out_has "created payments/transactions revision 1"
run_trib 0 get payments/transactions

# ---- a server that goes away mid-session
stop_server
run_trib 5 list
pass
