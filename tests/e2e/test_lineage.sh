# trib lineage / impact / check-schema / provenance on the e2e mesh:
# trees, tables, dot, mermaid, JSON, exit codes, read-your-writes.
. "$(dirname "$0")/lib.sh"

start_server
MESH="$FIXTURES/mesh"
SCHEMA="$FIXTURES/schema"
# A fixed order here: ties in breadth-first order follow registration order.
run_trib 0 --quiet register "$MESH"
assert_out_empty

# ---- lineage: a chain, in every format
run_trib 0 lineage customer/customer-segments
assert_out "customer/customer-segments  (customer-platform)
└── marketing/campaign-audience  (marketing-analytics)
    └── marketing/campaign-performance  (marketing-analytics)
        └── marketing/attribution-report  (marketing-analytics)
4 nodes, 3 edges"

run_trib 0 lineage customer/customer-segments --depth 2 --format table
assert_out "DEPTH  REF                             KIND     OWNER                DOMAIN     STATUS  VIA
    0  customer/customer-segments      product  customer-platform    customer   -       -
    1  marketing/campaign-audience     product  marketing-analytics  marketing  -       customer/customer-segments
    2  marketing/campaign-performance  product  marketing-analytics  marketing  -       marketing/campaign-audience
3 nodes, 2 edges"

run_trib 0 lineage marketing/campaign-audience --format dot
assert_out 'digraph lineage {
  rankdir=LR;
  node [shape=box, style=rounded, fontname="Helvetica"];
  "marketing/campaign-audience" [style="rounded,bold"];
  "marketing/campaign-performance";
  "marketing/attribution-report";
  "marketing/campaign-performance" -> "marketing/attribution-report";
  "marketing/campaign-audience" -> "marketing/campaign-performance";
}'
if command -v dot >/dev/null 2>&1; then
	"$TRIB" lineage marketing/campaign-audience --format dot | dot -Tsvg >/dev/null || fail "dot rejects the output"
fi

run_trib 0 lineage marketing/campaign-audience --format mermaid
assert_out 'flowchart LR
  n0["marketing/campaign-audience"]
  n1["marketing/campaign-performance"]
  n2["marketing/attribution-report"]
  n1 --> n2
  n0 --> n1
  classDef root stroke-width:3px
  class n0 root'

# Upstream, as JSON: every node once, at its smallest depth, sources included.
run_trib 0 lineage marketing/campaign-performance --up --json
assert_json 'd["root"] == "marketing/campaign-performance" and not d["truncated"]' \
	'sorted((n["ref"], n["depth"]) for n in d["nodes"]) == [("customer/customer-360", 3), ("customer/customer-events", 4), ("customer/customer-segments", 2), ("marketing/campaign-audience", 1), ("marketing/campaign-performance", 0), ("payments/transactions", 1), ("source:crm-db", 5), ("source:payments-db", 2)]' \
	'[n["kind"] for n in d["nodes"] if n["ref"] == "source:crm-db"] == ["NODE_KIND_SOURCE"]' \
	'("payments/transactions", "marketing/campaign-performance") in [(e["from"], e["to"]) for e in d["edges"]]'

# Both ways: upstream neighbours are marked in the tree.
run_trib 0 lineage customer/customer-segments --both --depth 1
assert_out "customer/customer-segments  (customer-platform)
├── ↑ customer/customer-360  (customer-platform)
└── marketing/campaign-audience  (marketing-analytics)
3 nodes, 2 edges"

# Field level: only the consumers of that field.
run_trib 0 lineage 'customer/customer-360#segment' --level field --json
assert_json 'set(n["ref"] for n in d["nodes"]) == {"customer/customer-360#segment", "customer/customer-segments", "customer/customer-segments#segment", "marketing/campaign-audience"}'

# A node limit says so.
run_trib 0 lineage customer/customer-events --max-nodes 3
assert_out_has "truncated: a node limit or the deadline cut the traversal (see --max-nodes, --depth)"
run_trib 0 lineage customer/customer-events --max-nodes 3 --json
assert_json 'd["truncated"] is True and len(d["nodes"]) <= 3'

# Pages: the same query continued by its token, every node once.
run_trib 0 lineage customer/customer-events --page-size 4 --json
assert_json 'len(d["nodes"]) == 4 and d["total_nodes"] == 7 and d["next_page_token"] != ""'
first=$(json_get '" ".join(n["ref"] for n in d["nodes"])')
token=$(json_get 'd["next_page_token"]')
run_trib 0 lineage customer/customer-events --page-size 4 --page-token "$token"
assert_out_matches '3 nodes, [0-9]+ edges? \(of 7 in all pages\)'
assert_out_lacks "next page"
run_trib 0 lineage customer/customer-events --page-size 4 --page-token "$token" --json
assert_json 'len(d["nodes"]) == 3 and d["next_page_token"] == ""' \
	'set(n["ref"] for n in d["nodes"]).isdisjoint(set("'"$first"'".split()))'
run_trib 4 lineage customer/customer-360 --page-size 4 --page-token "$token"

run_trib 3 lineage customer/nothing
assert_err_matches "trib: error: .*customer/nothing.*"
run_trib 2 lineage customer/customer-360 --level galaxy
run_trib 4 lineage 'bad ref!'

# ---- impact
run_trib 0 impact customer/customer-events --json
assert_json 'd["total"] == 6 and not d["truncated"]' \
	'{a["ref"]: a["depth"] for a in d["affected"]} == {"customer/customer-360": 1, "customer/customer-segments": 2, "logistics/customer-delivery-experience": 2, "marketing/campaign-audience": 3, "marketing/campaign-performance": 4, "marketing/attribution-report": 5}' \
	'{c["key"]: c["count"] for c in d["by_domain"]} == {"marketing": 3, "customer": 2, "logistics": 1}' \
	'{c["key"]: c["count"] for c in d["by_owner"]} == {"marketing-analytics": 3, "customer-platform": 2, "logistics-data": 1}' \
	'[a["path"] for a in d["affected"] if a["ref"] == "marketing/campaign-audience"] == [["customer/customer-events", "customer/customer-360", "customer/customer-segments", "marketing/campaign-audience"]]'

run_trib 0 impact customer/customer-events --summary
assert_out "impact of customer/customer-events: 6 products downstream
by owner: marketing-analytics 3, customer-platform 2, logistics-data 1
by domain: marketing 3, customer 2, logistics 1"

run_trib 0 impact 'customer/customer-360#segment'
assert_out "impact of customer/customer-360#segment: 2 products downstream
DEPTH  PRODUCT                      OWNER                DOMAIN     VIA FIELDS                                                         PATH
    1  customer/customer-segments   customer-platform    customer   customer/customer-360#segment, customer/customer-segments#segment  customer/customer-360#segment -> customer/customer-segments
    2  marketing/campaign-audience  marketing-analytics  marketing  customer/customer-segments#segment                                 customer/customer-360#segment -> customer/customer-segments#segment -> marketing/campaign-audience
by owner: customer-platform 1, marketing-analytics 1
by domain: customer 1, marketing 1"

run_trib 0 impact marketing/attribution-report
assert_out "impact of marketing/attribution-report: 0 products downstream
by owner: -
by domain: -"

# Read-your-writes: a product registered now is in the next answer.
cat >"$WORK/campaign-alerts.yaml" <<'YAML'
name: campaign-alerts
domain: marketing
owner: marketing-analytics
version: 1.0.0
description: Alerts when a campaign underperforms.
inputs:
  - source: marketing/campaign-performance
    fields: [campaign_id]
outputs:
  - name: alerts
    format: json
sla:
  freshness: 1w
governance:
  data_classification: confidential
  retention_days: 180
  gdpr_subject_to_erasure: true
YAML
run_trib 0 register "$WORK/campaign-alerts.yaml"
assert_out "created marketing/campaign-alerts revision 1"
run_trib 0 impact customer/customer-events --json
assert_json 'd["total"] == 7' '"marketing/campaign-alerts" in [a["ref"] for a in d["affected"]]'

# ---- check-schema: breaking (exit 6), compatible (exit 0), Avro, errors
run_trib 6 check-schema customer/customer-360:snapshot "$SCHEMA/customer-360-breaking.yaml"
assert_out "customer/customer-360:snapshot: incompatible: 1 breaking change of 2; breaks 2 consumers, 0 possibly affected

changes
  FIELD         CHANGE                    OLD TYPE  NEW TYPE  BREAKING
  segment       field-removed             string    -         yes
  loyalty_tier  field-added-with-default  -         string    no

broken consumers
  DEPTH  PRODUCT                      OWNER                DOMAIN     FIELDS   PATH
      1  customer/customer-segments   customer-platform    customer   segment  customer/customer-360:snapshot -> customer/customer-360#segment -> customer/customer-segments
      2  marketing/campaign-audience  marketing-analytics  marketing  segment  customer/customer-360:snapshot -> customer/customer-360#segment -> customer/customer-segments#segment -> marketing/campaign-audience"
assert_err_empty

run_trib 0 check-schema customer/customer-360 "$SCHEMA/customer-360-compatible.yaml" --port snapshot
assert_out "customer/customer-360:snapshot: compatible: 1 change, none breaking; 0 consumers possibly affected

changes
  FIELD         CHANGE                    OLD TYPE  NEW TYPE  BREAKING
  loyalty_tier  field-added-with-default  -         string    no"

run_trib 6 check-schema customer/customer-360:snapshot "$SCHEMA/customer-360.avsc" --json
assert_json 'd["compatible"] is False' \
	'[(c["field"], c["kind"], c["old_type"], c["new_type"], c["breaking"]) for c in d["changes"]] == [("segment", "CHANGE_KIND_TYPE_CHANGED", "string", "int", True)]' \
	'[b["ref"] for b in d["broken"]] == ["customer/customer-segments", "marketing/campaign-audience"]' \
	'd["possibly_affected"] == []'

# A port read whole (no field list) is only "possibly affected".
printf 'fields:\n  - attributed_revenue_usd: double\n' >"$WORK/perf.yaml"
run_trib 6 check-schema marketing/campaign-performance:performance "$WORK/perf.yaml" --json
assert_json '[c["field"] for c in d["changes"] if c["kind"] == "CHANGE_KIND_FIELD_REMOVED"] == ["campaign_id"]' \
	'[b["ref"] for b in d["broken"]] == ["marketing/campaign-alerts"]' \
	'[p["ref"] for p in d["possibly_affected"]] == ["marketing/attribution-report"]'

run_trib 4 check-schema customer/customer-360 "$SCHEMA/customer-360-compatible.yaml"
assert_err_matches "trib: error: port: .*"
printf 'fields:\n  - customer_id: [unterminated\n' >"$WORK/bad-schema.yaml"
run_trib 4 check-schema customer/customer-360:snapshot "$WORK/bad-schema.yaml"
assert_err_matches "$WORK/bad-schema\.yaml:[0-9]+:[0-9]+: error: .+"
assert_err_has "trib: error: $WORK/bad-schema.yaml: 1 error; nothing checked"
run_trib 3 check-schema customer/customer-360:snapshot "$WORK/missing.yaml"
assert_err "trib: error: '$WORK/missing.yaml': No such file or directory"
run_trib 3 check-schema customer/customer-360:nope "$SCHEMA/customer-360-compatible.yaml"

# ---- provenance
run_trib 0 provenance marketing/campaign-performance --json
assert_json 'd["root"] == "marketing/campaign-performance"' \
	'd["effective_classification"] == "CLASSIFICATION_CONFIDENTIAL"' \
	'd["min_retention_days"] == 180 and d["min_retention_from"] == "marketing/campaign-audience"' \
	'd["erasure_required"] is True and "customer/customer-events" in d["erasure_from"]' \
	'sorted(d["sources"]) == ["source:crm-db", "source:payments-db"]' \
	'd["violations"] == []' \
	'all(l["feasible"] for l in d["freshness_chain"])'

run_trib 0 provenance customer/customer-360
assert_out_has "provenance of customer/customer-360"
assert_out_has "  classification   confidential (from customer/customer-events)"
assert_out_has "  min retention    365 days (from customer/customer-events)"
assert_out_has "  sources          source:crm-db, source:payments-db"
run_trib 3 provenance customer/nothing
pass
