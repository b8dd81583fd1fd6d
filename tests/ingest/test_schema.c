/* Output port schemas: Avro files and inline records flattened to dotted
 * fields, inline field lists, remote references, schema files for check-schema. */
#include "tributary/ingest.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "tributary/error.h"

typedef Tributary__V1__Field Field;

#define FLAT_HEAD "name: p\ndomain: d\nowner: t\n"

static const char *dir;

static void setup(void)
{
	t_setup();
	dir = t_tmpdir();
}

/* Expect field i of fields to be exactly this. */
static void field_is(Field *const *f, size_t n, size_t i, const char *name, const char *type, int nullable,
		     const char *dflt, const char *doc)
{
	ck_assert_uint_lt(i, n);
	ck_assert_str_eq(f[i]->name, name);
	ck_assert_str_eq(f[i]->type, type);
	ck_assert_int_eq(f[i]->nullable, nullable);
	ck_assert_int_eq(f[i]->has_default, dflt != NULL);
	ck_assert_str_eq(f[i]->default_value, dflt ? dflt : "");
	ck_assert_str_eq(f[i]->doc, doc);
}

static Tributary__V1__OutputPort *port0(void)
{
	ck_assert_uint_eq(T_res.n_products, 1);
	ck_assert_uint_ge(T_res.products[0]->n_output_ports, 1);
	return T_res.products[0]->output_ports[0];
}

START_TEST(flat_seed_avsc_flattens)
{
	ck_assert_int_eq(ing_parse_file(&T_res, &T_arena, fx("seeds/data-product.yaml"), NULL), 0);
	EXPECT_NO_DIAGS();
	Tributary__V1__OutputPort *o = port0();
	ck_assert_str_eq(o->schema_ref, "./schemas/orders-enriched.avsc");
	ck_assert_uint_eq(o->n_fields, 10);
	Field **f = o->fields;
	field_is(f, 10, 0, "order_id", "string", 0, NULL, "Unique per order");
	field_is(f, 10, 1, "customer_id", "string", 0, NULL, "");
	field_is(f, 10, 2, "total_amount", "double", 0, NULL, "");
	field_is(f, 10, 3, "currency", "enum<Currency>", 0, NULL, "");
	field_is(f, 10, 4, "created_at", "timestamp-millis", 0, NULL, "");
	field_is(f, 10, 5, "customer.tier", "string", 1, "\"bronze\"", "");
	field_is(f, 10, 6, "customer.lifetime_value_usd", "double", 1, NULL, "");
	field_is(f, 10, 7, "lines", "array<OrderLine>", 0, NULL, "");
	field_is(f, 10, 8, "discount", "decimal(10,2)", 0, NULL, "");
	field_is(f, 10, 9, "coupon_code", "string", 1, "null", "");
}
END_TEST

START_TEST(seed_python_schema_flattens_payload)
{
	ck_assert_int_eq(t_parse(FLAT_HEAD "outputs:\n  - name: s\n    schema: avro/customer-profile.avsc\n"), 0);
	EXPECT_NO_DIAGS();
	Tributary__V1__OutputPort *o = port0();
	static const char *names[] = {"schema_version", "product", "domain", "published_at", "payload.customer_id",
				      "payload.tier", "payload.lifetime_value_usd", "payload.last_seen_at",
				      "payload.email_domain", "payload.active_subscriptions",
				      "payload.support_ticket_count_90d"};
	static const char *types[] = {"string", "string", "string", "string", "string", "string",
				      "double", "string", "string", "int",    "int"};
	ck_assert_uint_eq(o->n_fields, 11);
	for (size_t i = 0; i < 11; i++)
		field_is(o->fields, 11, i, names[i], types[i], i == 8, i == 8 ? "null" : NULL, "");
}
END_TEST

START_TEST(named_types_resolve_with_namespaces)
{
	t_write(dir, "s.avsc",
		"{\"type\": \"record\", \"name\": \"Person\", \"namespace\": \"com.x\", \"fields\": [\n"
		"  {\"name\": \"home\", \"type\": {\"type\": \"record\", \"name\": \"Address\",\n"
		"     \"fields\": [{\"name\": \"street\", \"type\": \"string\"}, {\"name\": \"zip\", \"type\": \"int\"}]}},\n"
		"  {\"name\": \"work\", \"type\": [\"null\", \"com.x.Address\"]},\n"
		"  {\"name\": \"old\", \"type\": \"Address\"},\n"
		"  {\"name\": \"kind\", \"type\": {\"type\": \"enum\", \"name\": \"Kind\", \"namespace\": \"com.y\", "
		"\"symbols\": [\"A\"]}},\n"
		"  {\"name\": \"kind2\", \"type\": \"com.y.Kind\"},\n"
		"  {\"name\": \"hash\", \"type\": {\"type\": \"fixed\", \"name\": \"MD5\", \"size\": 16}},\n"
		"  {\"name\": \"tags\", \"type\": {\"type\": \"array\", \"items\": \"Address\"}},\n"
		"  {\"name\": \"attrs\", \"type\": {\"type\": \"map\", \"values\": {\"type\": \"array\", \"items\": "
		"\"long\"}}},\n"
		"  {\"name\": \"either\", \"type\": [\"null\", \"string\", \"int\"]},\n"
		"  {\"name\": \"id\", \"type\": {\"type\": \"string\", \"logicalType\": \"uuid\"}}\n"
		"]}\n");
	ing_opts o = ING_OPTS_INIT;
	o.base_dir = dir;
	ck_assert_int_eq(t_parse_opts(FLAT_HEAD "outputs: [{name: s, schema: s.avsc}]\n", &o), 0);
	EXPECT_NO_DIAGS();
	Tributary__V1__OutputPort *p = port0();
	Field **f = p->fields;
	size_t n = p->n_fields;
	ck_assert_uint_eq(n, 13);
	field_is(f, n, 0, "home.street", "string", 0, NULL, "");
	field_is(f, n, 1, "home.zip", "int", 0, NULL, "");
	field_is(f, n, 2, "work.street", "string", 1, NULL, "");
	field_is(f, n, 3, "work.zip", "int", 1, NULL, "");
	field_is(f, n, 4, "old.street", "string", 0, NULL, "");
	field_is(f, n, 5, "old.zip", "int", 0, NULL, "");
	field_is(f, n, 6, "kind", "enum<Kind>", 0, NULL, "");
	field_is(f, n, 7, "kind2", "enum<Kind>", 0, NULL, "");
	field_is(f, n, 8, "hash", "fixed<MD5>", 0, NULL, "");
	field_is(f, n, 9, "tags", "array<Address>", 0, NULL, "");
	field_is(f, n, 10, "attrs", "map<array<long>>", 0, NULL, "");
	field_is(f, n, 11, "either", "union<string,int>", 1, NULL, "");
	field_is(f, n, 12, "id", "uuid", 0, NULL, "");
}
END_TEST

START_TEST(recursive_record_becomes_a_leaf)
{
	t_write(dir, "list.avsc",
		"{\"type\": \"record\", \"name\": \"Node\", \"fields\": [\n"
		"  {\"name\": \"value\", \"type\": \"long\"},\n"
		"  {\"name\": \"next\", \"type\": [\"null\", \"Node\"], \"default\": null}\n"
		"]}\n");
	ing_opts o = ING_OPTS_INIT;
	o.base_dir = dir;
	ck_assert_int_eq(t_parse_opts(FLAT_HEAD "outputs: [{name: s, schema: list.avsc}]\n", &o), 0);
	EXPECT_NO_DIAGS();
	Tributary__V1__OutputPort *p = port0();
	ck_assert_uint_eq(p->n_fields, 2);
	field_is(p->fields, 2, 0, "value", "long", 0, NULL, "");
	field_is(p->fields, 2, 1, "next", "Node", 1, NULL, "");
}
END_TEST

START_TEST(avro_problems_point_into_the_schema_file)
{
	const char *path = t_write(dir, "bad.avsc",
				   "{\"type\": \"record\", \"name\": \"R\", \"fields\": [\n"
				   "  {\"name\": \"a\", \"type\": \"Strng\"},\n"
				   "  {\"name\": \"b\"},\n"
				   "  {\"name\": \"c-d\", \"type\": \"int\"},\n"
				   "  {\"name\": \"e\", \"type\": {\"type\": \"array\"}},\n"
				   "  \"f\"\n"
				   "]}\n");
	ing_opts o = ING_OPTS_INIT;
	o.base_dir = dir;
	ck_assert_int_eq(t_parse_opts(FLAT_HEAD "outputs:\n  - name: s\n    schema: bad.avsc\n", &o), TRIB_EINVALID);
	ck_assert_uint_eq(T_res.n_diags, 5);
	for (size_t i = 0; i < 5; i++) {
		ck_assert_str_eq(T_res.diags[i].file, path);
		ck_assert_str_eq(T_res.diags[i].path, "outputs[0].schema");
	}
	ck_assert_uint_eq(T_res.diags[0].line, 2);
	ck_assert_uint_eq(T_res.diags[0].column, 25);
	ck_assert_str_eq(T_res.diags[0].message, "unknown Avro type 'Strng'");
	ck_assert_uint_eq(T_res.diags[1].line, 3);
	ck_assert_uint_eq(T_res.diags[1].column, 3);
	ck_assert_str_eq(T_res.diags[1].message, "an Avro field needs 'name' and 'type'");
	ck_assert_uint_eq(T_res.diags[2].line, 4);
	ck_assert_uint_eq(T_res.diags[2].column, 12);
	ck_assert_str_eq(T_res.diags[2].message, "field name 'c-d': character '-' at offset 1 is not allowed");
	ck_assert_uint_eq(T_res.diags[3].line, 5);
	ck_assert_uint_eq(T_res.diags[3].column, 25);
	ck_assert_str_eq(T_res.diags[3].message, "an Avro array needs 'items'");
	ck_assert_uint_eq(T_res.diags[4].line, 6);
	ck_assert_uint_eq(T_res.diags[4].column, 3);
	ck_assert_str_eq(T_res.diags[4].message, "an Avro field must be an object, got a string");
}
END_TEST

START_TEST(schema_must_be_a_record)
{
	t_write(dir, "enum.avsc", "{\"type\": \"enum\", \"name\": \"E\", \"symbols\": [\"A\"]}");
	ing_opts o = ING_OPTS_INIT;
	o.base_dir = dir;
	ck_assert_int_eq(t_parse_opts(FLAT_HEAD "outputs: [{name: s, schema: enum.avsc}]\n", &o), TRIB_EINVALID);
	ck_assert_uint_eq(T_res.n_diags, 1);
	ck_assert_str_eq(T_res.diags[0].message, "an Avro schema for a port must be a record (\"type\": \"record\")");
	ck_assert_uint_eq(T_res.diags[0].line, 1);
	ck_assert_uint_eq(T_res.diags[0].column, 1);
}
END_TEST

START_TEST(missing_schema_file_is_an_error_at_the_reference)
{
	ck_assert_int_eq(t_parse(FLAT_HEAD "outputs:\n  - name: s\n    schema: ./nope.avsc\n"), TRIB_EINVALID);
	EXPECT_DIAGS("t.yaml:6:13: error: schema './nope.avsc': cannot open 'tests/fixtures/./nope.avsc': No such "
		     "file or directory (at outputs[0].schema)");
}
END_TEST

START_TEST(registry_reference_is_kept_with_a_warning)
{
	ck_assert_int_eq(t_parse(FLAT_HEAD "outputs:\n  - name: s\n    schema: https://registry/subjects/x/versions/3\n"),
			 0);
	EXPECT_DIAGS("t.yaml:6:13: warning: schema 'https://registry/subjects/x/versions/3' is not resolved locally; "
		     "kept as a reference without fields (at outputs[0].schema)");
	ck_assert_str_eq(port0()->schema_ref, "https://registry/subjects/x/versions/3");
	ck_assert_uint_eq(port0()->n_fields, 0);
}
END_TEST

START_TEST(registry_reference_with_inline_fields_is_quiet)
{
	ck_assert_int_eq(t_parse(FLAT_HEAD "outputs:\n  - name: s\n    schema: schema-registry://c/v2\n"
					   "    fields: [a, {b: long}]\n"),
			 0);
	EXPECT_NO_DIAGS();
	ck_assert_str_eq(port0()->schema_ref, "schema-registry://c/v2");
	ck_assert_uint_eq(port0()->n_fields, 2);
	field_is(port0()->fields, 2, 0, "a", "", 0, NULL, "");
	field_is(port0()->fields, 2, 1, "b", "long", 0, NULL, "");
}
END_TEST

START_TEST(schema_file_and_inline_fields_conflict)
{
	ck_assert_int_eq(t_parse(FLAT_HEAD "outputs:\n  - name: s\n    schema: avro/customer-profile.avsc\n"
					   "    fields: [a]\n"),
			 TRIB_EINVALID);
	EXPECT_DIAGS("t.yaml:6:13: error: give a schema file or inline 'fields', not both (at outputs[0].schema)");
}
END_TEST

START_TEST(inline_field_forms)
{
	ck_assert_int_eq(t_parse(FLAT_HEAD "outputs:\n"
					   "  - name: s\n"
					   "    fields:\n"
					   "      - plain\n"
					   "      - short: string\n"
					   "      - attrs: {type: long, nullable: true, default: 0, doc: counted}\n"
					   "      - union: [null, string]\n"
					   "      - {name: long_form, type: \"decimal(12,2)\", description: money}\n"
					   "      - name: nested\n"
					   "        type: {type: record, name: N, fields: [{name: x, type: int}, {name: y, "
					   "type: [string, 'null']}]}\n"
					   "      - name: dflt\n"
					   "        type: string\n"
					   "        default: {a: [1, 2.5, x, true, null, 0x1F, .inf]}\n"),
			 0);
	EXPECT_NO_DIAGS();
	Tributary__V1__OutputPort *o = port0();
	Field **f = o->fields;
	size_t n = o->n_fields;
	ck_assert_uint_eq(n, 8);
	field_is(f, n, 0, "plain", "", 0, NULL, "");
	field_is(f, n, 1, "short", "string", 0, NULL, "");
	field_is(f, n, 2, "attrs", "long", 1, "0", "counted");
	field_is(f, n, 3, "union", "string", 1, NULL, "");
	field_is(f, n, 4, "long_form", "decimal(12,2)", 0, NULL, "money");
	field_is(f, n, 5, "nested.x", "int", 0, NULL, "");
	field_is(f, n, 6, "nested.y", "string", 1, NULL, "");
	field_is(f, n, 7, "dflt", "string", 0, "{\"a\":[1,2.5,\"x\",true,null,31,\".inf\"]}", "");
}
END_TEST

START_TEST(inline_schema_mapping_forms)
{
	ck_assert_int_eq(t_parse(FLAT_HEAD "outputs:\n"
					   "  - name: a\n"
					   "    schema: {type: record, name: R, fields: [{name: p, type: {type: record, name: "
					   "Q, fields: [{name: q, type: boolean}]}}]}\n"
					   "  - name: b\n"
					   "    schema: {fields: [{x: int}]}\n"),
			 0);
	EXPECT_NO_DIAGS();
	Tributary__V1__DataProduct *p = t_product("p");
	ck_assert_uint_eq(p->output_ports[0]->n_fields, 1);
	field_is(p->output_ports[0]->fields, 1, 0, "p.q", "boolean", 0, NULL, "");
	ck_assert_str_eq(p->output_ports[0]->schema_ref, "");
	ck_assert_uint_eq(p->output_ports[1]->n_fields, 1);
	field_is(p->output_ports[1]->fields, 1, 0, "x", "int", 0, NULL, "");
}
END_TEST

START_TEST(inline_field_errors)
{
	ck_assert_int_eq(t_parse(FLAT_HEAD "outputs:\n"
					   "  - name: s\n"
					   "    fields:\n"
					   "      - {type: int}\n"
					   "      - \"bad name\"\n"
					   "      - a: int\n"
					   "      - a: long\n"
					   "      - {name: n, nullable: yes, colour: red}\n"
					   "      - [x]\n"
					   "  - name: t\n"
					   "    schema: 42\n"
					   "  - name: u\n"
					   "    schema: {doc: x}\n"),
			 TRIB_EINVALID);
	/* The duplicate is reported at the list: flattened fields keep no position. */
	EXPECT_DIAGS("t.yaml:7:7: error: field 'a' appears twice in port 's' (at outputs[0])",
		     "t.yaml:7:9: error: missing required key 'name' (at outputs[0].fields[0])",
		     "t.yaml:8:9: error: field name 'bad name': character ' ' at offset 3 is not allowed (at "
		     "outputs[0].fields[1])",
		     "t.yaml:11:29: error: expected true or false for 'nullable', got a string (at outputs[0].fields[4])",
		     "t.yaml:11:34: warning: unknown key 'colour' (at outputs[0].fields[4].colour)",
		     "t.yaml:12:9: error: expected a field (a name, 'name: type' or a mapping with 'name'), got a list "
		     "(at outputs[0].fields[5])",
		     "t.yaml:14:13: error: expected a schema file path, a URL or an inline schema, got an integer (at "
		     "outputs[1].schema)",
		     "t.yaml:16:13: error: an inline schema needs 'type: record' (Avro) or only 'fields:' (at "
		     "outputs[2].schema)");
}
END_TEST

START_TEST(field_limit_is_enforced)
{
	size_t cap = 64 * 10002 + 256;
	char *j = malloc(cap);
	size_t o = (size_t)snprintf(j, cap, "{\"type\": \"record\", \"name\": \"R\", \"fields\": [");
	for (int i = 0; i <= 10000; i++)
		o += (size_t)snprintf(j + o, cap - o, "%s{\"name\": \"f%d\", \"type\": \"int\"}", i ? "," : "", i);
	snprintf(j + o, cap - o, "]}");
	t_write(dir, "wide.avsc", j);
	free(j);
	ing_opts opt = ING_OPTS_INIT;
	opt.base_dir = dir;
	ck_assert_int_eq(t_parse_opts(FLAT_HEAD "outputs: [{name: s, schema: wide.avsc}]\n", &opt), TRIB_EINVALID);
	ck_assert_uint_eq(T_res.n_diags, 1);
	ck_assert_str_eq(T_res.diags[0].message, "the schema flattens to more than 10000 fields");
}
END_TEST

static Field **F;
static size_t NF;

START_TEST(schema_file_yaml_list)
{
	const char *p = t_write(dir, "new.yaml", "- customer_id: string\n- {name: email_hash, type: [null, string]}\n");
	ck_assert_int_eq(ing_parse_schema_file(&F, &NF, &T_res, &T_arena, p, NULL), 0);
	EXPECT_NO_DIAGS();
	ck_assert_uint_eq(NF, 2);
	field_is(F, NF, 0, "customer_id", "string", 0, NULL, "");
	field_is(F, NF, 1, "email_hash", "string", 1, NULL, "");
}
END_TEST

START_TEST(schema_file_yaml_mapping_and_avro)
{
	const char *p = t_write(dir, "m.yaml", "name: customer_snapshot_daily\nfields: [a, {b: int}]\n");
	ck_assert_int_eq(ing_parse_schema_file(&F, &NF, &T_res, &T_arena, p, NULL), 0);
	EXPECT_NO_DIAGS();
	ck_assert_uint_eq(NF, 2);
	field_is(F, NF, 1, "b", "int", 0, NULL, "");
	p = t_write(dir, "r.yaml", "type: record\nname: R\nfields:\n  - {name: r, type: {type: record, name: S, fields: "
				   "[{name: s, type: long}]}}\n");
	ck_assert_int_eq(ing_parse_schema_file(&F, &NF, &T_res, &T_arena, p, NULL), 0);
	EXPECT_NO_DIAGS();
	ck_assert_uint_eq(NF, 1);
	field_is(F, NF, 0, "r.s", "long", 0, NULL, "");
}
END_TEST

START_TEST(schema_file_problems)
{
	const char *p = t_write(dir, "two.yaml", "- a\n---\n- b\n");
	ck_assert_int_eq(ing_parse_schema_file(&F, &NF, &T_res, &T_arena, p, NULL), TRIB_EINVALID);
	ck_assert_ptr_null(F);
	ck_assert_uint_eq(NF, 0);
	ck_assert_uint_eq(T_res.n_diags, 1);
	ck_assert_str_eq(T_res.diags[0].message, "a schema file holds one document");
	ck_assert_uint_eq(T_res.diags[0].line, 3);
	T_res.n_diags = 0;
	ck_assert_int_eq(ing_parse_schema_file(&F, &NF, &T_res, &T_arena, "/nonexistent/x.avsc", NULL), TRIB_EIO);
	EXPECT_DIAGS("/nonexistent/x.avsc: error: cannot open '/nonexistent/x.avsc': No such file or directory");
	T_res.n_diags = 0;
	p = t_write(dir, "s.yaml", "just a string\n");
	ck_assert_int_eq(ing_parse_schema_file(&F, &NF, &T_res, &T_arena, p, NULL), TRIB_EINVALID);
	ck_assert_str_eq(T_res.diags[0].message,
			 "expected a field list, a mapping with 'fields' or an Avro record, got a string");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("schema");
	TCase *tc = tcase_create("schema");
	tcase_add_checked_fixture(tc, setup, t_teardown);
	tcase_add_test(tc, flat_seed_avsc_flattens);
	tcase_add_test(tc, seed_python_schema_flattens_payload);
	tcase_add_test(tc, named_types_resolve_with_namespaces);
	tcase_add_test(tc, recursive_record_becomes_a_leaf);
	tcase_add_test(tc, avro_problems_point_into_the_schema_file);
	tcase_add_test(tc, schema_must_be_a_record);
	tcase_add_test(tc, missing_schema_file_is_an_error_at_the_reference);
	tcase_add_test(tc, registry_reference_is_kept_with_a_warning);
	tcase_add_test(tc, registry_reference_with_inline_fields_is_quiet);
	tcase_add_test(tc, schema_file_and_inline_fields_conflict);
	tcase_add_test(tc, inline_field_forms);
	tcase_add_test(tc, inline_schema_mapping_forms);
	tcase_add_test(tc, inline_field_errors);
	tcase_add_test(tc, field_limit_is_enforced);
	tcase_add_test(tc, schema_file_yaml_list);
	tcase_add_test(tc, schema_file_yaml_mapping_and_avro);
	tcase_add_test(tc, schema_file_problems);
	suite_add_tcase(s, tc);
	return t_run(s);
}
