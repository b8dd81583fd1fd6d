/* The strict JSON parser, through Avro schema files. */
#include "tributary/ingest.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "tributary/error.h"

static Tributary__V1__Field **F;
static size_t NF;
static const char *dir;

static void setup(void)
{
	t_setup();
	dir = t_tmpdir();
}

/* Parse JSON text as a schema file "s.avsc" in a temporary directory. */
static int schema(const char *json)
{
	const char *path = t_write(dir, "s.avsc", json);
	int rc = ing_parse_schema_file(&F, &NF, &T_res, &T_arena, path, NULL);
	/* Diagnostics name the temporary path; keep only "s.avsc:..." for comparison. */
	for (size_t i = 0; i < T_res.n_diags; i++)
		T_res.diags[i].file = "s.avsc";
	return rc;
}

#define REC(fields) "{\"type\": \"record\", \"name\": \"R\", \"fields\": [" fields "]}"

START_TEST(valid_schema_file_parses)
{
	ck_assert_int_eq(ing_parse_schema_file(&F, &NF, &T_res, &T_arena, fx("avro/customer-profile.avsc"), NULL), 0);
	EXPECT_NO_DIAGS();
	ck_assert_uint_eq(NF, 11);
	ck_assert_str_eq(F[0]->name, "schema_version");
	ck_assert_str_eq(F[10]->name, "payload.support_ticket_count_90d");
	ck_assert_str_eq(F[10]->type, "int");
}
END_TEST

START_TEST(escapes_decode_to_utf8)
{
	ck_assert_int_eq(schema(REC("{\"name\": \"a\", \"type\": \"string\", \"doc\": \"caf\\u00e9 \\ud83d\\ude00 "
				    "\\\"q\\\" \\\\ \\/ \\t\\n\", \"default\": \"\\u0041\\u00e9\"}")),
			 0);
	EXPECT_NO_DIAGS();
	ck_assert_uint_eq(NF, 1);
	ck_assert_str_eq(F[0]->doc, "caf\xc3\xa9 \xf0\x9f\x98\x80 \"q\" \\ / \t\n");
	ck_assert_str_eq(F[0]->default_value, "\"A\xc3\xa9\"");
}
END_TEST

START_TEST(numbers_and_literals_in_defaults)
{
	ck_assert_int_eq(schema(REC("{\"name\": \"a\", \"type\": {\"type\": \"map\", \"values\": \"string\"}, "
				    "\"default\": {\"k\": [1, -2.5e3, 0, true, false, null, \"x\"]}}")),
			 0);
	EXPECT_NO_DIAGS();
	ck_assert_str_eq(F[0]->type, "map<string>");
	ck_assert_int_eq(F[0]->has_default, 1);
	ck_assert_str_eq(F[0]->default_value, "{\"k\":[1,-2.5e3,0,true,false,null,\"x\"]}");
}
END_TEST

START_TEST(tabs_and_crlf_are_whitespace)
{
	ck_assert_int_eq(schema("{\r\n\t\"type\":\t\"record\",\r\n\t\"name\": \"R\",\r\n\t\"fields\": []\r\n}\r\n"), 0);
	EXPECT_NO_DIAGS();
	ck_assert_uint_eq(NF, 0);
}
END_TEST

static const struct {
	const char *json, *diag;
} bad[] = {
	{"{\"type\": \"record\", \"fields\": [],}", "s.avsc:1:33: error: expected a string key"},
	{"{\"type\": \"record\",\n \"name\": \"R\n\"}", "s.avsc:2:12: error: control character in a string (escape it)"},
	{"{\"type\": \"rec", "s.avsc:1:10: error: unterminated string"},
	{"{\"type\": \"rec\\qord\"}", "s.avsc:1:14: error: invalid escape in a string"},
	{"{\"type\": \"a\tb\"}", "s.avsc:1:12: error: control character in a string (escape it)"},
	{"{\"type\": \"\\ud800x\"}", "s.avsc:1:11: error: unpaired surrogate in a \\u escape"},
	{"{\"type\": \"\\udc00\"}", "s.avsc:1:11: error: unpaired surrogate in a \\u escape"},
	{"{\"type\": \"\\u12G4\"}", "s.avsc:1:11: error: invalid \\u escape"},
	{"{\"type\": \"\\u0000\"}", "s.avsc:1:11: error: a NUL character inside a string is not supported"},
	{"{\"type\": \"caf\xe9\"}", "s.avsc:1:14: error: invalid UTF-8 in a string"},
	{"{\"a\": 01}", "s.avsc:1:8: error: expected ',' or '}'"},
	{"{\"a\": 1.}", "s.avsc:1:7: error: malformed number: digits must follow '.'"},
	{"{\"a\": 1e}", "s.avsc:1:7: error: malformed number: digits must follow the exponent"},
	{"{\"a\": -}", "s.avsc:1:7: error: malformed number"},
	{"{\"a\": tru}", "s.avsc:1:7: error: unexpected character (expected a JSON value)"},
	{"{\"a\": 'x'}", "s.avsc:1:7: error: unexpected character (expected a JSON value)"},
	{"{\"a\": 1 \"b\": 2}", "s.avsc:1:9: error: expected ',' or '}'"},
	{"{\"a\" 1}", "s.avsc:1:6: error: expected ':' after the key"},
	{"{\"a\": [1, 2}", "s.avsc:1:12: error: expected ',' or ']'"},
	{"{\"a\": 1} x", "s.avsc:1:10: error: unexpected text after the JSON value"},
	{"{\"a\": [1,\n", "s.avsc:2:1: error: expected a JSON value (the file ends too early)"},
	{"{\"type\": \"record\",\n  \"fields\": [\n", "s.avsc:3:1: error: expected a JSON value (the file ends too early)"},
	{"{\"a\": 1", "s.avsc:1:8: error: the file ends too early (truncated?)"},
	{"{\"type\": \"record\", \"name\": \"R\", \"fields\": [], \"name\": \"S\"}",
	 "s.avsc:1:47: error: duplicate key 'name' (first at line 1, column 20)"},
};

START_TEST(malformed_json_is_an_error_with_position)
{
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		T_res.n_diags = 0;
		ck_assert_msg(schema(bad[i].json) == TRIB_EINVALID, "accepted: %s", bad[i].json);
		ck_assert_msg(T_res.n_diags == 1, "%s: %zu diagnostics", bad[i].json, T_res.n_diags);
		ck_assert_str_eq(t_diag(0), bad[i].diag);
		ck_assert_ptr_null(F);
	}
}
END_TEST

START_TEST(deep_nesting_is_bounded)
{
	char json[256] = "{\"a\": ";
	size_t o = strlen(json);
	for (int i = 0; i < 70; i++)
		json[o++] = '[';
	json[o] = '\0';
	ck_assert_int_eq(schema(json), TRIB_EINVALID);
	EXPECT_DIAGS("s.avsc:1:70: error: nesting deeper than the limit");
}
END_TEST

START_TEST(empty_file_is_a_yaml_file_without_schema)
{
	/* Not starting with '{', so read as YAML: nothing in it. */
	ck_assert_int_eq(schema(""), TRIB_EINVALID);
	EXPECT_DIAGS("s.avsc: error: no schema in this file");
}
END_TEST

START_TEST(bom_is_skipped)
{
	ck_assert_int_eq(schema("\xef\xbb\xbf" REC("{\"name\": \"a\", \"type\": \"long\"}")), 0);
	EXPECT_NO_DIAGS();
	ck_assert_str_eq(F[0]->type, "long");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("json");
	TCase *tc = tcase_create("json");
	tcase_add_checked_fixture(tc, setup, t_teardown);
	tcase_add_test(tc, valid_schema_file_parses);
	tcase_add_test(tc, escapes_decode_to_utf8);
	tcase_add_test(tc, numbers_and_literals_in_defaults);
	tcase_add_test(tc, tabs_and_crlf_are_whitespace);
	tcase_add_test(tc, malformed_json_is_an_error_with_position);
	tcase_add_test(tc, deep_nesting_is_bounded);
	tcase_add_test(tc, empty_file_is_a_yaml_file_without_schema);
	tcase_add_test(tc, bom_is_skipped);
	suite_add_tcase(s, tc);
	return t_run(s);
}
