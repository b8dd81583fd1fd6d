# Register the 12-product, 4-domain mesh from files in shuffled order, then
# query it back: get, list and paging, history, deprecate, delete, domains,
# terms, search, --json, --dry-run.
. "$(dirname "$0")/lib.sh"

start_server
MESH="$FIXTURES/mesh"

# ---- register, files in a random order (bare upstream names resolve anyway)
# shellcheck disable=SC2046
run_trib 0 register $(shuffled "$MESH"/*/*.yaml "$MESH"/domains.yaml "$MESH"/glossary.yaml)
assert_err_empty
sort_out
assert_out "created customer/customer-360 revision 1
created customer/customer-events revision 1
created customer/customer-segments revision 1
created logistics/customer-delivery-experience revision 1
created logistics/delivery-kpis revision 1
created logistics/shipments revision 1
created marketing/attribution-report revision 1
created marketing/campaign-audience revision 1
created marketing/campaign-performance revision 1
created payments/refunds revision 1
created payments/revenue-daily revision 1
created payments/transactions revision 1
upserted domain customer
upserted domain logistics
upserted domain marketing
upserted domain payments
upserted term Customer
upserted term Revenue"

# ---- list: everything, one domain, paging
run_trib 0 list --all --json
assert_json 'len(d["products"]) == 12' 'd["next_page_token"] == ""' \
	'sorted(set(p["domain"] for p in d["products"])) == ["customer", "logistics", "marketing", "payments"]' \
	'all(p["revision"] == 1 and not p["placeholder"] for p in d["products"])' \
	'all(p["registered_by"] == "e2e" for p in d["products"])'

run_trib 0 list --domain marketing
sort_out
assert_out "PRODUCT                         VERSION  OWNER                REVISION  STATUS  TAGS
marketing/attribution-report    1.0.0    marketing-analytics         1  active  -
marketing/campaign-audience     1.0.0    marketing-analytics         1  active  -
marketing/campaign-performance  0.4.0    marketing-analytics         1  active  gold"

run_trib 0 list --tag gold --json
assert_json 'sorted(p["domain"] + "/" + p["name"] for p in d["products"]) == ["customer/customer-360", "marketing/campaign-performance", "payments/revenue-daily"]'

run_trib 0 list --owner payments-eng --json
assert_json 'len(d["products"]) == 3'

# Pages of 5 visit every product exactly once.
run_trib 0 list --page-size 5
[ "$(wc -l <"$WORK/out")" -eq 7 ] || fail "a page of 5 should be a header, 5 rows and the next-page line"
assert_out_matches 'next page: trib list --page-token [^ ]+ \(or --all\)'
seen=""
token=""
pages=0
while :; do
	if [ -n "$token" ]; then run_trib 0 list --page-size 5 --json --page-token "$token"; else run_trib 0 list --page-size 5 --json; fi
	# one python run per page: "TOKEN|REF REF ...", at most 5 refs
	page=$(json_get '"%s|%s" % (d["next_page_token"], " ".join(p["domain"] + "/" + p["name"] for p in d["products"][:5]) if len(d["products"]) <= 5 else "too many")')
	token=${page%%|*}
	seen="$seen ${page#*|}"
	[ "${page#*|}" != "too many" ] || fail "a page holds more than 5 products"
	pages=$((pages + 1))
	[ -n "$token" ] || break
	[ $pages -lt 10 ] || fail "paging does not end"
done
assert_eq 3 "$pages" "pages of 5 for 12 products"
# --all merges the pages into one reply.
run_trib 0 list --all --page-size 5 --json
assert_json 'len(d["products"]) == 12 and len(set(p["name"] for p in d["products"])) == 12' 'd["next_page_token"] == ""'
run_trib 0 list --all --page-size 5
[ "$(wc -l <"$WORK/out")" -eq 13 ] || fail "--all should print a header and 12 rows"
assert_out_lacks "next page"
n_seen=$(printf '%s\n' $seen | sort -u | wc -l)
assert_eq 12 "$n_seen" "distinct products over all pages"

# ---- get: human and JSON, by full and bare reference
run_trib 0 get payments/revenue-daily
mask_times
assert_out "payments/revenue-daily
  version       1.4.0
  owner         payments-eng
  description   Daily revenue net of refunds, per currency.
  tags          gold, finance
  sla           freshness 1d
  governance    internal
  revision      1, registered TIME by e2e
  source file   $MESH/payments/revenue-daily.yaml

output port daily (parquet)
  location      s3://mesh/payments/revenue-daily/
  fields
    day              string
    currency         string
    net_revenue_usd  double

input ports
  SOURCE                 TYPE          PORT  FIELDS
  payments/transactions  data-product  -     amount_usd, currency
  payments/refunds       data-product  -     amount_usd"

run_trib 0 get customer-360 --json
assert_json 'd["domain"] == "customer" and d["name"] == "customer-360"' \
	'd["version"] == "2.0.0" and d["owner"] == "customer-platform"' \
	'd["governance"]["data_classification"] == "CLASSIFICATION_CONFIDENTIAL"' \
	'd["governance"]["pii_fields"] == ["email_hash"] and d["governance"]["retention_days"] == 365' \
	'[f["name"] for f in d["output_ports"][0]["fields"]] == ["customer_id", "email_hash", "segment", "lifetime_value"]' \
	'[i["source"] for i in d["input_ports"]] == ["customer/customer-events", "payments/transactions"]' \
	'd["input_ports"][0]["mappings"][0] == {"output": "email_hash", "inputs": ["email"], "transform": "sha256"}' \
	'd["glossary_terms"] == ["Customer"] and d["deprecation"] is None or not d["deprecation"]["deprecated"]' \
	'isinstance(d["registered_at_ms"], int) and d["registered_at_ms"] > 1600000000000'

# ---- a second revision, history, an older revision
sed 's/^version: 1.0.0$/version: 1.1.0/' "$MESH/payments/refunds.yaml" >"$WORK/refunds.yaml"
run_trib 0 register "$WORK/refunds.yaml"
assert_out "updated payments/refunds revision 2"

run_trib 0 history payments/refunds
T='[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}Z'
assert_out_has "payments/refunds"
assert_out_has "REVISION  VERSION  REGISTERED            BY   STATUS"
assert_out_matches "       2  1\.1\.0    $T  e2e  active"
assert_out_matches "       1  1\.0\.0    $T  e2e  active"
assert_out_matches " *[0-9]+  $T  e2e    register         2  updated"
assert_out_matches " *[0-9]+  $T  e2e    register         1  created"
run_trib 0 history payments/refunds --json
assert_json '[r["revision"] for r in d["revisions"]] == [2, 1]' \
	'[(a["action"], a["revision"], a["actor"]) for a in d["audit"]] == [("register", 2, "e2e"), ("register", 1, "e2e")]'

run_trib 0 get payments/refunds --revision 1 --json
assert_json 'd["version"] == "1.0.0" and d["revision"] == 1'
run_trib 0 get payments/refunds --json
assert_json 'd["version"] == "1.1.0" and d["revision"] == 2'

# ---- dry run: a verdict, nothing written
sed -e 's/^name: refunds$/name: chargebacks/' -e 's/^  - name: refunds$/  - name: chargebacks/' \
	"$MESH/payments/refunds.yaml" >"$WORK/chargebacks.yaml"
run_trib 0 register --dry-run "$WORK/chargebacks.yaml"
assert_out "would create payments/chargebacks"
run_trib 3 get payments/chargebacks
assert_err "trib: error: no product 'payments/chargebacks'"
run_trib 0 register --dry-run "$WORK/refunds.yaml"
assert_out "would update payments/refunds"
run_trib 0 get payments/refunds --json
assert_json 'd["revision"] == 2'
run_trib 0 history payments/refunds --json
assert_json 'len(d["revisions"]) == 2'

# ---- deprecate
run_trib 0 deprecate payments/refunds --note "merged into payments/transactions" --replacement payments/transactions
assert_out "deprecated payments/refunds (use payments/transactions)"
run_trib 0 get payments/refunds
assert_out_has "  status        deprecated, use payments/transactions: merged into payments/transactions"
run_trib 0 list --domain payments --json
assert_json '[p["deprecation"]["deprecated"] for p in d["products"] if p["name"] == "refunds"] == [True]'

# ---- delete: a leaf goes, a product still read leaves a placeholder
run_trib 0 delete marketing/attribution-report
assert_out_matches 'deleted marketing/attribution-report \([0-9]+ edges? removed\)'
run_trib 3 get marketing/attribution-report
assert_err "trib: error: no product 'marketing/attribution-report'"

run_trib 0 delete payments/transactions --json
assert_json 'd["ref"] == "payments/transactions"' 'd["placeholder_left"] is True' 'd["edges_removed"] > 0'
run_trib 0 list --all --json
assert_json 'len(d["products"]) == 10'
run_trib 0 list --all --placeholders --json
assert_json '[p["placeholder"] for p in d["products"] if p["name"] == "transactions"] == [True]'

# ---- domains and terms
run_trib 0 domains
assert_out "DOMAIN     OWNER TEAM           ONCALL            SOURCES                CONSUMERS
customer   customer-platform    customer-oncall   customer-events        customer-360, customer-segments
logistics  logistics-data       logistics-oncall  shipments              delivery-kpis, customer-delivery-experience
marketing  marketing-analytics  marketing-oncall  -                      campaign-audience, campaign-performance, attribution-report
payments   payments-eng         payments-oncall   transactions, refunds  revenue-daily"

run_trib 0 domains upsert finance --owner-team finance-analytics --oncall finance-oncall \
	--description "Ledgers and reporting" --consumer-product finance-ledger
assert_out "upserted domain finance"
run_trib 0 domains list --json
assert_json 'len(d["domains"]) == 5' \
	'[x for x in d["domains"] if x["name"] == "finance"][0] == {"name": "finance", "owner_team": "finance-analytics", "oncall": "finance-oncall", "description": "Ledgers and reporting", "source_products": [], "consumer_products": ["finance-ledger"]}'

run_trib 0 terms
assert_out "TERM      DESCRIPTION                                             RELATED  APPLIES TO
Customer  A person or company that bought from us at least once.  Revenue  customer/customer-360, customer/customer-events
Revenue   Recognised income, net of refunds.                      -        payments/revenue-daily"

run_trib 0 terms upsert Churn --description "A customer who stopped buying." --related Customer \
	--applies-to customer/customer-segments
assert_out "upserted term Churn"
run_trib 0 terms --json
assert_json '[t["name"] for t in d["terms"]] == ["Churn", "Customer", "Revenue"]' \
	'd["terms"][0]["related_terms"] == ["Customer"] and d["terms"][0]["applies_to"] == ["customer/customer-segments"]'

# ---- search
run_trib 0 search campaign --kind product --json
assert_json 'sorted(h["ref"] for h in d["hits"]) == ["marketing/campaign-audience", "marketing/campaign-performance"]' \
	'all(h["kind"] == "NODE_KIND_PRODUCT" for h in d["hits"])'
run_trib 0 search campaign --kind product
assert_out_matches 'marketing/campaign-audience +product +marketing +marketing-analytics +.*'

# ---- quiet: only data
run_trib 0 --quiet register "$WORK/refunds.yaml"
assert_out_empty
pass
