/* Data products: the seeds' spec and flat forms field by field, input ports,
 * field-level mappings, and every kind of mistake with its position. */
#include "tributary/ingest.h"

#include <check.h>
#include <string.h>

#include "helpers.h"
#include "tributary/error.h"

typedef Tributary__V1__DataProduct Product;

#define SPEC_HEAD                                                                                                  \
	"apiVersion: data-mesh/v1\nkind: DataProduct\nmetadata: {name: p, domain: d, owner: t}\nspec:\n"
#define FLAT_HEAD "name: p\ndomain: d\nowner: t\n"

START_TEST(seed_spec_customer_360)
{
	ck_assert_int_eq(ing_parse_file(&T_res, &T_arena, fx("seeds/customer-360.yaml"), NULL), 0);
	EXPECT_DIAGS("seeds/customer-360.yaml:18:15: warning: schema 'schema-registry://customer/customer_profile_v2' "
		     "is not resolved locally; kept as a reference without fields (at spec.outputPorts[0].schema)");
	ck_assert_uint_eq(T_res.n_products, 1);
	Product *p = T_res.products[0];
	ck_assert_str_eq(p->name, "customer-360");
	ck_assert_str_eq(p->version, "2.1.0");
	ck_assert_str_eq(p->owner, "customer-platform");
	ck_assert_str_eq(p->domain, "customer");
	ck_assert_str_eq(p->source_file, fx("seeds/customer-360.yaml"));
	ck_assert_uint_eq(p->n_tags, 3);
	ck_assert_str_eq(p->tags[0], "pii");
	ck_assert_str_eq(p->tags[1], "gdpr-scoped");
	ck_assert_str_eq(p->tags[2], "tier-1");
	ck_assert_str_eq(p->description, "Unified customer profile combining CRM, payment history, and support signals. "
					 "Updated in near-real-time from upstream event streams.\n");
	ck_assert_ptr_null(p->sla);

	ck_assert_uint_eq(p->n_output_ports, 2);
	Tributary__V1__OutputPort *s = p->output_ports[0], *b = p->output_ports[1];
	ck_assert_str_eq(s->name, "customer_profile_stream");
	ck_assert_int_eq(s->type, TRIBUTARY__V1__PORT_TYPE__PORT_TYPE_STREAM);
	ck_assert_str_eq(s->format, "avro");
	ck_assert_str_eq(s->schema_ref, "schema-registry://customer/customer_profile_v2");
	ck_assert_uint_eq(s->n_fields, 0);
	ck_assert_str_eq(s->topic, "customer-domain.customer-360.v2");
	ck_assert_str_eq(s->location, "");
	ck_assert_str_eq(s->sla->freshness, "< 5 minutes");
	ck_assert_int_eq(s->sla->freshness_seconds, 300);
	ck_assert_str_eq(s->sla->uptime, "99.9%");
	ck_assert_double_eq(s->sla->uptime_percent, 99.9);
	ck_assert_str_eq(s->sla->completeness, "");
	ck_assert_str_eq(b->name, "customer_snapshot_daily");
	ck_assert_int_eq(b->type, TRIBUTARY__V1__PORT_TYPE__PORT_TYPE_BATCH);
	ck_assert_str_eq(b->format, "parquet");
	ck_assert_str_eq(b->location, "s3://data-mesh-prod/customer-domain/customer-360/v2/");
	ck_assert_str_eq(b->partitioning, "year/month/day");
	ck_assert_str_eq(b->schema_ref, "");
	ck_assert_str_eq(b->sla->freshness, "< 2 hours after midnight UTC");
	ck_assert_int_eq(b->sla->freshness_seconds, 93600);
	ck_assert_double_eq(b->sla->uptime_percent, 99.5);

	ck_assert_uint_eq(p->n_input_ports, 3);
	static const char *src[] = {"customer/customer-events-v1", "payments/transaction-events-v1",
				    "logistics/shipment-events-v2"};
	static const char *fields[3][5] = {{"customer_id", "event_type", "occurred_at", "metadata"},
					   {"customer_id", "amount_usd", "currency", "status", "processed_at"},
					   {"customer_id", "shipment_status", "expected_delivery", "carrier"}};
	static const size_t nfields[] = {4, 5, 4};
	for (size_t i = 0; i < 3; i++) {
		Tributary__V1__InputPort *in = p->input_ports[i];
		ck_assert_str_eq(in->source, src[i]);
		ck_assert_str_eq(in->source_type, "data-product");
		ck_assert_str_eq(in->port, "");
		ck_assert_uint_eq(in->n_fields, nfields[i]);
		for (size_t f = 0; f < nfields[i]; f++)
			ck_assert_str_eq(in->fields[f], fields[i][f]);
		ck_assert_uint_eq(in->n_mappings, 0);
	}

	ck_assert_uint_eq(p->n_quality_checks, 4);
	ck_assert_str_eq(p->quality_checks[0]->rule, "customer_id IS NOT NULL");
	ck_assert_str_eq(p->quality_checks[0]->severity, "error");
	ck_assert_str_eq(p->quality_checks[1]->rule, "lifetime_value_usd >= 0");
	ck_assert_str_eq(p->quality_checks[2]->rule, "last_seen_at > (NOW() - INTERVAL 30 DAY)");
	ck_assert_str_eq(p->quality_checks[2]->severity, "warning");
	ck_assert_str_eq(p->quality_checks[3]->rule, "completeness(email_domain) >= 0.95");
	ck_assert_str_eq(p->quality_checks[3]->severity, "error");

	Tributary__V1__ProductGovernance *g = p->governance;
	ck_assert_uint_eq(g->n_pii_fields, 3);
	ck_assert_str_eq(g->pii_fields[0], "email_hash");
	ck_assert_str_eq(g->pii_fields[1], "phone_hash");
	ck_assert_str_eq(g->pii_fields[2], "full_name");
	ck_assert_int_eq(g->data_classification, TRIBUTARY__V1__CLASSIFICATION__CLASSIFICATION_RESTRICTED);
	ck_assert_int_eq(g->retention_days, 730);
	ck_assert_int_eq(g->gdpr_subject_to_erasure, 1);
	ck_assert_str_eq(g->access_policy, "opa://customer-domain/customer-360-access");
	ck_assert_uint_eq(p->n_glossary_terms, 0);
}
END_TEST

START_TEST(seed_flat_orders_enriched)
{
	ck_assert_int_eq(ing_parse_file(&T_res, &T_arena, fx("seeds/data-product.yaml"), NULL), 0);
	EXPECT_NO_DIAGS();
	Product *p = t_product("orders-enriched");
	ck_assert_str_eq(p->domain, "commerce");
	ck_assert_str_eq(p->owner, "commerce-team@company.com");
	ck_assert_str_eq(p->version, "");
	ck_assert_uint_eq(p->n_input_ports, 2);
	ck_assert_str_eq(p->input_ports[0]->source, "source:orders-db");
	ck_assert_str_eq(p->input_ports[0]->source_type, "postgres-cdc");
	ck_assert_str_eq(p->input_ports[1]->source, "customer-profiles");
	ck_assert_str_eq(p->input_ports[1]->source_type, "data-product");
	ck_assert_uint_eq(p->n_output_ports, 1);
	Tributary__V1__OutputPort *o = p->output_ports[0];
	ck_assert_str_eq(o->name, "orders-enriched-v1");
	ck_assert_int_eq(o->type, TRIBUTARY__V1__PORT_TYPE__PORT_TYPE_UNSPECIFIED);
	ck_assert_str_eq(o->format, "parquet");
	ck_assert_str_eq(o->location, "s3://mesh/commerce/orders-enriched/v1/");
	ck_assert_str_eq(o->schema_ref, "./schemas/orders-enriched.avsc");
	ck_assert_uint_eq(o->n_fields, 10);
	ck_assert_str_eq(p->sla->freshness, "1h");
	ck_assert_int_eq(p->sla->freshness_seconds, 3600);
	ck_assert_str_eq(p->sla->completeness, "99.5%");
	ck_assert_double_eq(p->sla->completeness_percent, 99.5);
	ck_assert_ptr_null(p->governance);
}
END_TEST

START_TEST(mappings_fixture_both_forms)
{
	ck_assert_int_eq(ing_parse_file(&T_res, &T_arena, fx("mappings.yaml"), NULL), 0);
	EXPECT_DIAGS("mappings.yaml:41:29: warning: mapping input 'currency' is not in this port's fields; added (at "
		     "spec.inputPorts[1].mappings.lifetime_value_usd)",
		     "mappings.yaml:46:9: warning: mapping output 'loyalty_points' is not a field of any output port (at "
		     "spec.inputPorts[2].mappings.loyalty_points)");
	Product *p = t_product("customer-360");
	ck_assert_uint_eq(p->n_input_ports, 3);
	Tributary__V1__InputPort *a = p->input_ports[0], *b = p->input_ports[1], *c = p->input_ports[2];
	ck_assert_uint_eq(a->n_mappings, 2);
	ck_assert_str_eq(a->mappings[0]->output, "customer_id");
	ck_assert_uint_eq(a->mappings[0]->n_inputs, 1);
	ck_assert_str_eq(a->mappings[0]->inputs[0], "customer_id");
	ck_assert_str_eq(a->mappings[0]->transform, "");
	ck_assert_str_eq(a->mappings[1]->output, "email_hash");
	ck_assert_str_eq(a->mappings[1]->inputs[0], "email");
	ck_assert_str_eq(a->mappings[1]->transform, "sha256");

	ck_assert_str_eq(b->source, "payments/transaction-events-v1");
	ck_assert_str_eq(b->port, "settled");
	ck_assert_uint_eq(b->n_fields, 3);
	ck_assert_str_eq(b->fields[2], "currency");
	ck_assert_uint_eq(b->n_mappings, 2);
	ck_assert_str_eq(b->mappings[0]->output, "lifetime_value_usd");
	ck_assert_uint_eq(b->mappings[0]->n_inputs, 2);
	ck_assert_str_eq(b->mappings[0]->inputs[0], "amount_usd");
	ck_assert_str_eq(b->mappings[0]->inputs[1], "currency");
	ck_assert_str_eq(b->mappings[1]->output, "refund_total");
	ck_assert_str_eq(b->mappings[1]->inputs[0], "amount_usd");
	ck_assert_str_eq(b->mappings[1]->transform, "sum");

	ck_assert_uint_eq(c->n_fields, 0); /* reads the whole product: nothing added */
	ck_assert_uint_eq(c->n_mappings, 2);
	ck_assert_str_eq(c->mappings[0]->output, "last_carrier");
	ck_assert_str_eq(c->mappings[0]->inputs[0], "carrier");
	ck_assert_str_eq(c->mappings[1]->output, "loyalty_points");
	ck_assert_str_eq(c->mappings[1]->inputs[0], "points");

	Tributary__V1__OutputPort *o = p->output_ports[0];
	ck_assert_uint_eq(o->n_fields, 5);
	ck_assert_str_eq(o->fields[3]->name, "refund_total");
	ck_assert_str_eq(o->fields[3]->type, "double");
	ck_assert_int_eq(o->fields[3]->nullable, 1);
	ck_assert_int_eq(o->fields[3]->has_default, 1);
	ck_assert_str_eq(o->fields[3]->default_value, "null");
}
END_TEST

START_TEST(mapping_mistakes)
{
	ck_assert_int_eq(t_parse(SPEC_HEAD "  inputPorts:\n"
					   "    - sourceProduct: a/b\n"
					   "      mappings:\n"
					   "        - {output: x}\n"
					   "        - {output: y, inputs: []}\n"
					   "        - {output: email hash, inputs: [e]}\n"
					   "    - sourceProduct: a/c\n"
					   "      mappings:\n"
					   "        z:\n"
					   "        w: {transform: sum}\n"
					   "    - sourceProduct: a/d\n"
					   "      mappings: sha256\n"),
			 TRIB_EINVALID);
	EXPECT_DIAGS("t.yaml:8:11: error: missing required key 'inputs' (at spec.inputPorts[0].mappings[0])",
		     "t.yaml:9:31: error: a mapping needs at least one input field (at "
		     "spec.inputPorts[0].mappings[1].inputs)",
		     "t.yaml:10:20: error: field name 'email hash': character ' ' at offset 5 is not allowed (at "
		     "spec.inputPorts[0].mappings[2].output)",
		     "t.yaml:13:11: error: mapping 'z' needs its input field(s) (at spec.inputPorts[1].mappings.z)",
		     "t.yaml:14:12: error: missing required key 'inputs' (at spec.inputPorts[1].mappings.w)",
		     "t.yaml:16:17: error: expected a list of mappings or a mapping 'output: inputs', got a string (at "
		     "spec.inputPorts[2].mappings)");
}
END_TEST

START_TEST(input_port_sources)
{
	ck_assert_int_eq(t_parse(SPEC_HEAD "  inputPorts:\n"
					   "    - source: orders-db\n"
					   "      type: postgres-cdc\n"
					   "    - source: source:clicks\n"
					   "    - source: commerce/orders-enriched:v1\n"
					   "      type: data-product\n"
					   "    - source_product: customer-profiles\n"
					   "      port: daily\n"),
			 0);
	EXPECT_NO_DIAGS();
	Product *p = t_product("p");
	ck_assert_uint_eq(p->n_input_ports, 4);
	ck_assert_str_eq(p->input_ports[0]->source, "source:orders-db");
	ck_assert_str_eq(p->input_ports[0]->source_type, "postgres-cdc");
	ck_assert_str_eq(p->input_ports[1]->source, "source:clicks");
	ck_assert_str_eq(p->input_ports[1]->source_type, "");
	ck_assert_str_eq(p->input_ports[2]->source, "commerce/orders-enriched");
	ck_assert_str_eq(p->input_ports[2]->port, "v1");
	ck_assert_str_eq(p->input_ports[2]->source_type, "data-product");
	ck_assert_str_eq(p->input_ports[3]->source, "customer-profiles");
	ck_assert_str_eq(p->input_ports[3]->port, "daily");
}
END_TEST

START_TEST(input_port_mistakes)
{
	ck_assert_int_eq(t_parse(SPEC_HEAD "  inputPorts:\n"
					   "    - {sourceProduct: a/b, source: x}\n"
					   "    - {fields: [a]}\n"
					   "    - {sourceProduct: a/b, type: kafka}\n"
					   "    - {sourceProduct: source:db}\n"
					   "    - {sourceProduct: a/b:p1, port: p2}\n"
					   "    - {sourceProduct: Customer Profiles}\n"
					   "    - {source: bad name, type: s3}\n"
					   "    - {sourceProduct: a/b, fields: [ok, 9bad]}\n"
					   "    - just-a-string\n"),
			 TRIB_EINVALID);
	EXPECT_DIAGS("t.yaml:6:36: error: give 'sourceProduct' or 'source', not both (at spec.inputPorts[0])",
		     "t.yaml:7:7: error: missing required key 'sourceProduct' (or 'source' with 'type') (at "
		     "spec.inputPorts[1])",
		     "t.yaml:8:34: error: 'sourceProduct' names a data product but type is 'kafka' (use 'source:' for an "
		     "external source) (at spec.inputPorts[2].sourceProduct)",
		     "t.yaml:9:23: error: 'source:db' is a source reference; expected a data product (domain/name or a "
		     "bare name) (at spec.inputPorts[3].sourceProduct)",
		     "t.yaml:10:23: error: the reference names port 'p1' but 'port' says 'p2' (at "
		     "spec.inputPorts[4].sourceProduct)",
		     "t.yaml:11:23: error: reference 'Customer Profiles': whitespace at offset 8 (at "
		     "spec.inputPorts[5].sourceProduct)",
		     "t.yaml:12:16: error: source name 'bad name': character ' ' at offset 3 is not allowed (at "
		     "spec.inputPorts[6].source)",
		     "t.yaml:13:41: error: field name '9bad': character '9' at offset 0 cannot start a name (at "
		     "spec.inputPorts[7].fields[1])",
		     "t.yaml:14:7: error: expected a mapping, got a string (at spec.inputPorts[8])");
}
END_TEST

START_TEST(missing_required_identity)
{
	ck_assert_int_eq(t_parse("name: p\ndescription: x\n"), TRIB_EINVALID);
	EXPECT_DIAGS("t.yaml:1:1: error: missing required key 'domain'", "t.yaml:1:1: error: missing required key 'owner'");
	T_res.n_diags = 0;
	ck_assert_int_eq(t_parse("apiVersion: data-mesh/v1\nkind: DataProduct\nspec: {description: x}\n"), TRIB_EINVALID);
	EXPECT_DIAGS("t.yaml:1:1: error: missing required key 'metadata'");
	T_res.n_diags = 0;
	ck_assert_int_eq(t_parse("name:\ndomain: d\nowner: t\n"), TRIB_EINVALID);
	EXPECT_DIAGS("t.yaml:1:6: error: 'name' needs a value (at name)");
}
END_TEST

START_TEST(bad_names_are_errors)
{
	ck_assert_int_eq(t_parse("name: -p\ndomain: Big Domain\nowner: team one\n"), TRIB_EINVALID);
	EXPECT_DIAGS("t.yaml:1:7: error: product name '-p' must start with a letter or digit (at name)",
		     "t.yaml:2:9: error: domain name 'Big Domain': character ' ' at offset 3 is not allowed (at domain)",
		     "t.yaml:3:8: error: team name 'team one': character ' ' at offset 4 is not allowed (at owner)");
}
END_TEST

START_TEST(wrong_types_fixture)
{
	ck_assert_int_eq(ing_parse_file(&T_res, &T_arena, fx("bad/wrong-types.yaml"), NULL), TRIB_EINVALID);
	EXPECT_DIAGS("bad/wrong-types.yaml:7:9: error: expected a list, got a string (at metadata.tags)",
		     "bad/wrong-types.yaml:10:5: error: expected a list, got a mapping (at spec.outputPorts)",
		     "bad/wrong-types.yaml:12:22: error: expected a reference, got a list (at "
		     "spec.inputPorts[0].sourceProduct)",
		     "bad/wrong-types.yaml:14:21: error: expected a whole number of days, got a string 'two years' (at "
		     "spec.governance.retention_days)",
		     "bad/wrong-types.yaml:15:30: error: expected true or false, got a string 'yes' (at "
		     "spec.governance.gdpr_subject_to_erasure)",
		     "bad/wrong-types.yaml:16:26: error: unknown data classification 'secret' (expected public, internal, "
		     "confidential, restricted) (at spec.governance.data_classification)");
	ck_assert_uint_eq(T_res.n_products, 0);
}
END_TEST

START_TEST(bad_values_fixture)
{
	ck_assert_int_eq(ing_parse_file(&T_res, &T_arena, fx("bad/bad-values.yaml"), NULL), TRIB_EINVALID);
	EXPECT_DIAGS("bad/bad-values.yaml:6:11: error: unknown port type 'lake' (expected stream, batch, api, table) (at "
		     "outputs[0].type)",
		     "bad/bad-values.yaml:8:18: error: bad duration 'soon': expected a number or hourly/daily/weekly "
		     "(write e.g. '15m', '1h', '< 5 minutes', 'daily', '< 2 hours after midnight UTC') (at "
		     "outputs[0].sla.freshness)",
		     "bad/bad-values.yaml:9:15: error: bad percentage '101%': must be between 0 and 100 (at "
		     "outputs[0].sla.uptime)",
		     "bad/bad-values.yaml:10:21: warning: '0.95' is read as 0.95%; write 95% if it is a fraction of one "
		     "(at outputs[0].sla.completeness)",
		     "bad/bad-values.yaml:13:3: warning: unknown key 'colour' (at sla.colour)");
}
END_TEST

START_TEST(governance_values)
{
	ck_assert_int_eq(t_parse(SPEC_HEAD "  governance:\n"
					   "    pii_fields: [email, payload.phone]\n"
					   "    classification: Confidential\n"
					   "    retention_days: 0x10\n"
					   "    gdpr_subject_to_erasure: false\n"),
			 0);
	EXPECT_NO_DIAGS();
	Tributary__V1__ProductGovernance *g = t_product("p")->governance;
	ck_assert_str_eq(g->pii_fields[1], "payload.phone");
	ck_assert_int_eq(g->data_classification, TRIBUTARY__V1__CLASSIFICATION__CLASSIFICATION_CONFIDENTIAL);
	ck_assert_int_eq(g->retention_days, 16);
	ck_assert_int_eq(g->gdpr_subject_to_erasure, 0);
	T_res.n_diags = 0;
	ck_assert_int_eq(t_parse(SPEC_HEAD "  governance: {retention_days: -5, pii_fields: [a.]}\n"), TRIB_EINVALID);
	EXPECT_DIAGS("t.yaml:5:32: error: '-5' is not a positive number of days (at spec.governance.retention_days)",
		     "t.yaml:5:49: error: field name 'a.' ends with '.' (at spec.governance.pii_fields[0])");
}
END_TEST

START_TEST(unknown_keys_warn_with_suggestions)
{
	ck_assert_int_eq(t_parse(SPEC_HEAD "  outputPort: []\n  descripton: x\n  zzz: 1\n"), 0);
	EXPECT_DIAGS("t.yaml:5:3: warning: unknown key 'outputPort' (did you mean 'outputPorts'?) (at spec.outputPort)",
		     "t.yaml:6:3: warning: unknown key 'descripton' (did you mean 'description'?) (at "
		     "spec.descripton)",
		     "t.yaml:7:3: warning: unknown key 'zzz' (at spec.zzz)");
	ck_assert_uint_eq(T_res.n_products, 1);
}
END_TEST

START_TEST(strict_makes_unknown_keys_errors)
{
	ing_opts o = ING_OPTS_INIT;
	o.flags = ING_STRICT;
	ck_assert_int_eq(t_parse_opts(FLAT_HEAD "colour: blue\n", &o), TRIB_EINVALID);
	EXPECT_DIAGS("t.yaml:4:1: error: unknown key 'colour' (at colour)");
	ck_assert_uint_eq(T_res.n_products, 0);
}
END_TEST

START_TEST(both_spellings_of_a_key_conflict)
{
	ck_assert_int_eq(t_parse(SPEC_HEAD "  outputPorts: []\n  output_ports: []\n"), TRIB_EINVALID);
	EXPECT_DIAGS("t.yaml:6:3: error: 'output_ports' repeats 'outputPorts' (line 5) (at spec.output_ports)");
	T_res.n_diags = 0;
	ck_assert_int_eq(t_parse(SPEC_HEAD "  output_ports: [{name: a}]\n  quality_checks: [\"x > 0\"]\n"), 0);
	EXPECT_NO_DIAGS();
	Product *p = T_res.products[0];
	ck_assert_str_eq(p->output_ports[0]->name, "a");
	ck_assert_str_eq(p->quality_checks[0]->rule, "x > 0");
	ck_assert_str_eq(p->quality_checks[0]->severity, "error");
}
END_TEST

START_TEST(quality_check_severity)
{
	ck_assert_int_eq(t_parse(SPEC_HEAD "  qualityChecks:\n    - {rule: a, severity: WARN}\n    - {rule: b, severity: "
					   "fatal}\n    - {severity: error}\n"),
			 TRIB_EINVALID);
	EXPECT_DIAGS("t.yaml:7:27: error: unknown severity 'fatal' (expected error or warning) (at "
		     "spec.qualityChecks[1].severity)",
		     "t.yaml:8:7: error: missing required key 'rule' (at spec.qualityChecks[2])");
}
END_TEST

START_TEST(duplicate_output_ports)
{
	ck_assert_int_eq(t_parse(FLAT_HEAD "outputs:\n  - name: a\n  - name: b\n  - name: a\n"), TRIB_EINVALID);
	EXPECT_DIAGS("t.yaml:7:11: error: output port 'a' is declared twice (at outputs[2].name)");
}
END_TEST

START_TEST(glossary_terms_on_products)
{
	ck_assert_int_eq(t_parse(SPEC_HEAD "  glossaryTerms: [CustomerProfile, \"term:PII Data\", 1bad]\n"),
			 TRIB_EINVALID);
	EXPECT_DIAGS("t.yaml:5:53: error: term name '1bad' must start with a letter (at spec.glossaryTerms[2])");
	T_res.n_diags = 0;
	ck_assert_int_eq(t_parse(SPEC_HEAD "  glossaryTerms: [CustomerProfile, \"term:PII Data\"]\n"), 0);
	Product *p = T_res.products[0];
	ck_assert_uint_eq(p->n_glossary_terms, 2);
	ck_assert_str_eq(p->glossary_terms[1], "PII Data");
}
END_TEST

START_TEST(product_level_sla_in_spec)
{
	ck_assert_int_eq(t_parse(SPEC_HEAD "  sla: {freshness: 15m, uptime: 99.95%, completeness: 98}\n"), 0);
	EXPECT_NO_DIAGS();
	Tributary__V1__Sla *s = t_product("p")->sla;
	ck_assert_int_eq(s->freshness_seconds, 900);
	ck_assert_double_eq(s->uptime_percent, 99.95);
	ck_assert_double_eq(s->completeness_percent, 98);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("product");
	TCase *tc = tcase_create("product");
	tcase_add_checked_fixture(tc, t_setup, t_teardown);
	tcase_add_test(tc, seed_spec_customer_360);
	tcase_add_test(tc, seed_flat_orders_enriched);
	tcase_add_test(tc, mappings_fixture_both_forms);
	tcase_add_test(tc, mapping_mistakes);
	tcase_add_test(tc, input_port_sources);
	tcase_add_test(tc, input_port_mistakes);
	tcase_add_test(tc, missing_required_identity);
	tcase_add_test(tc, bad_names_are_errors);
	tcase_add_test(tc, wrong_types_fixture);
	tcase_add_test(tc, bad_values_fixture);
	tcase_add_test(tc, governance_values);
	tcase_add_test(tc, unknown_keys_warn_with_suggestions);
	tcase_add_test(tc, strict_makes_unknown_keys_errors);
	tcase_add_test(tc, both_spellings_of_a_key_conflict);
	tcase_add_test(tc, quality_check_severity);
	tcase_add_test(tc, duplicate_output_ports);
	tcase_add_test(tc, glossary_terms_on_products);
	tcase_add_test(tc, product_level_sla_in_spec);
	suite_add_tcase(s, tc);
	return t_run(s);
}
