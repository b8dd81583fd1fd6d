# trib policy show / check / audit: the default policy, a policy file with a
# scope and an exception, and an audit after an upstream change.
. "$(dirname "$0")/lib.sh"

MESH="$FIXTURES/mesh"

# ---- the built-in default policy
start_server
run_trib 0 policy show
assert_out_matches 'policy \(built-in default\), loaded [0-9-]+ [0-9:]+Z, digest [0-9a-f]{64}'
assert_out_matches 'RULE +SEVERITY +TYPE +SCOPE +DESCRIPTION'
assert_out_matches 'retention-bounds +error +retention-bounds +all domains +.+'
run_trib 0 policy show --json
assert_json 'd["source"] == ""' 'len(d["digest"]) == 64' \
	'{"naming", "required-metadata", "retention-bounds", "derived-composition", "freshness-feasible"} <= {r["id"] for r in d["rules"]}' \
	'all(r["severity"] in ("error", "warning") for r in d["rules"])'

# Every product of the mesh passes; nothing is written by a check.
# shellcheck disable=SC2046
run_trib 0 policy check $(shuffled "$MESH"/*/*.yaml)
sort_out
assert_out "pass customer/customer-360
pass customer/customer-events
pass customer/customer-segments
pass logistics/customer-delivery-experience
pass logistics/delivery-kpis
pass logistics/shipments
pass marketing/attribution-report
pass marketing/campaign-audience
pass marketing/campaign-performance
pass payments/refunds
pass payments/revenue-daily
pass payments/transactions"
run_trib 0 list --all --json
assert_json 'd["products"] == []'

run_trib 0 --quiet register "$MESH"
run_trib 0 policy audit
assert_out "12 products checked, 0 non-compliant"

# An upstream becomes restricted: its registration passes (it is a source),
# and every product derived from it is now out of policy.
sed 's/data_classification: confidential/data_classification: restricted/' \
	"$MESH/customer/customer-events.yaml" >"$WORK/customer-events.yaml"
run_trib 0 register "$WORK/customer-events.yaml"
assert_out "updated customer/customer-events revision 2"
run_trib 6 policy audit --json
assert_json 'd["products_checked"] == 12' \
	'sorted(p["ref"] for p in d["non_compliant"]) == ["customer/customer-360", "customer/customer-segments", "logistics/customer-delivery-experience", "marketing/attribution-report", "marketing/campaign-audience", "marketing/campaign-performance"]' \
	'all(v["rule_id"] == "derived-composition" and v["upstream_ref"] == "customer/customer-events" and v["field_path"] == "governance.data_classification" for p in d["non_compliant"] for v in p["violations"])'
run_trib 6 policy audit --domain marketing
assert_out_has "marketing/campaign-audience (owner marketing-analytics)"
assert_out_has "  violation derived-composition: marketing/campaign-audience is classified confidential but upstream customer/customer-events is restricted: a derived product must be at least as restricted as every upstream (governance.data_classification, upstream customer/customer-events)"
assert_out_lacks "customer/customer-360"
assert_out_matches "[0-9]+ products? checked, 3 non-compliant"

# The same change now refuses a re-registration downstream, with the upstream named.
run_trib 6 register "$MESH/customer/customer-segments.yaml"
assert_out "refused customer/customer-segments: 1 policy violation
violation derived-composition: customer/customer-segments is classified confidential but upstream customer/customer-events is restricted: a derived product must be at least as restricted as every upstream (governance.data_classification, upstream customer/customer-events)"
stop_server

# ---- a policy file: scope, exception, warning
rm -rf "$WORK/data"
start_server --policy "$FIXTURES/policy/tagged-payments.yaml"
run_trib 0 policy show
assert_out_has "RULE             SEVERITY  TYPE             SCOPE                   DESCRIPTION"
assert_out_has "payments-tagged  error     required-fields  payments (1 exception)  Payments products carry at least one tag."
assert_out_has "exception payments-tagged: payments/refunds (legacy feed, retired next quarter)"
run_trib 0 policy show --json
assert_json 'd["source"].endswith("tagged-payments.yaml")' '[r["id"] for r in d["rules"]] == ["payments-tagged", "sla-stated"]'

# chargebacks: a payments product with neither tags nor an SLA.
sed -e 's/^name: refunds$/name: chargebacks/' -e '/^sla:/d' -e '/freshness:/d' \
	"$MESH/payments/refunds.yaml" >"$WORK/chargebacks.yaml"
run_trib 6 policy check "$WORK/chargebacks.yaml" "$MESH/payments/refunds.yaml" "$MESH/customer/customer-segments.yaml"
assert_out "fail payments/chargebacks: 1 policy violation
violation payments-tagged: at least one tag is required (tags)
warning sla-stated: an SLA is required (on the product, or on every output port) (sla)
pass payments/refunds
pass customer/customer-segments"
assert_err "trib: error: 1 of 3 products failed the policy check"
run_trib 6 policy check "$WORK/chargebacks.yaml" --json
assert_json 'd["results"][0]["violations"][0]["rule_id"] == "payments-tagged"' \
	'd["results"][0]["warnings"][0]["rule_id"] == "sla-stated"'

# A warning alone passes, and says so.
sed -e 's/^name: refunds$/name: chargebacks/' -e '/^sla:/d' -e '/freshness:/d' -e 's/^version: 1.0.0$/version: 1.0.0\ntags: [disputes]/' \
	"$MESH/payments/refunds.yaml" >"$WORK/chargebacks.yaml"
run_trib 0 register "$WORK/chargebacks.yaml"
assert_out "created payments/chargebacks revision 1 (1 warning)
warning sla-stated: an SLA is required (on the product, or on every output port) (sla)"
pass
