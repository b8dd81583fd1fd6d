/* YAML syntax through the public API: libyaml errors with positions, duplicate
 * keys, anchors, aliases, merges, depth and expansion limits, scalar typing. */
#include "tributary/ingest.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "tributary/error.h"

#define FLAT_HEAD "name: p\ndomain: d\nowner: t\n"

START_TEST(tab_indentation_is_an_error_at_the_tab)
{
	ck_assert_int_eq(ing_parse_file(&T_res, &T_arena, fx("bad/tabs.yaml"), NULL), TRIB_EINVALID);
	EXPECT_DIAGS("bad/tabs.yaml:5:1: error: found character that cannot start any token (while scanning for the "
		     "next token at line 5, column 1); a tab cannot indent YAML, use spaces");
	ck_assert_uint_eq(T_res.n_products, 0);
	ck_assert_uint_eq(T_res.n_failed_files, 1);
}
END_TEST

START_TEST(truncated_flow_list_is_an_error_at_the_end)
{
	ck_assert_int_eq(ing_parse_file(&T_res, &T_arena, fx("bad/truncated-flow.yaml"), NULL), TRIB_EINVALID);
	EXPECT_DIAGS("bad/truncated-flow.yaml:8:1: error: did not find expected ',' or ']' (while parsing a flow "
		     "sequence at line 7, column 9); the file ends too early (truncated?)");
}
END_TEST

START_TEST(truncated_quoted_string_is_an_error)
{
	ck_assert_int_eq(ing_parse_file(&T_res, &T_arena, fx("bad/truncated-string.yaml"), NULL), TRIB_EINVALID);
	EXPECT_DIAGS("bad/truncated-string.yaml:8:61: error: found unexpected end of stream (while scanning a quoted "
		     "scalar at line 8, column 16); the file ends too early (truncated?)");
}
END_TEST

START_TEST(truncated_at_a_line_reports_missing_keys)
{
	ck_assert_int_eq(t_parse("apiVersion: data-mesh/v1\nkind: DataProduct\nmetadata:\n  name: customer-360\n"),
			 TRIB_EINVALID);
	EXPECT_DIAGS("t.yaml:4:3: error: missing required key 'domain' (at metadata)",
		     "t.yaml:4:3: error: missing required key 'owner' (at metadata)");
}
END_TEST

START_TEST(duplicate_keys_name_the_first)
{
	ck_assert_int_eq(ing_parse_file(&T_res, &T_arena, fx("bad/duplicate-keys.yaml"), NULL), TRIB_EINVALID);
	EXPECT_DIAGS("bad/duplicate-keys.yaml:6:3: error: duplicate key 'freshness' (first at line 5, column 3)",
		     "bad/duplicate-keys.yaml:7:1: error: duplicate key 'name' (first at line 1, column 1)");
	ck_assert_uint_eq(T_res.n_products, 0);
}
END_TEST

START_TEST(duplicate_keys_in_flow_mappings)
{
	ck_assert_int_eq(t_parse(FLAT_HEAD "sla: {freshness: 1h, uptime: 99%, freshness: 2h, freshness: 3h}\n"),
			 TRIB_EINVALID);
	EXPECT_DIAGS("t.yaml:4:35: error: duplicate key 'freshness' (first at line 4, column 7)",
		     "t.yaml:4:50: error: duplicate key 'freshness' (first at line 4, column 7)");
}
END_TEST

START_TEST(complex_keys_are_errors)
{
	ck_assert_int_eq(t_parse(FLAT_HEAD "? [a, b]\n: c\n"), TRIB_EINVALID);
	EXPECT_DIAGS("t.yaml:4:3: error: a mapping key must be a scalar, not a list");
}
END_TEST

START_TEST(aliases_share_values)
{
	ck_assert_int_eq(t_parse(FLAT_HEAD "outputs:\n"
					   "  - name: a\n"
					   "    sla: &fast {freshness: 5m, uptime: 99.9%}\n"
					   "  - name: b\n"
					   "    sla: *fast\n"),
			 0);
	EXPECT_NO_DIAGS();
	Tributary__V1__DataProduct *p = t_product("p");
	ck_assert_uint_eq(p->n_output_ports, 2);
	ck_assert_int_eq(p->output_ports[1]->sla->freshness_seconds, 300);
	ck_assert_double_eq(p->output_ports[1]->sla->uptime_percent, 99.9);
	ck_assert_str_eq(p->output_ports[1]->sla->freshness, "5m");
}
END_TEST

START_TEST(merge_keys_fill_in_and_are_overridden)
{
	ck_assert_int_eq(t_parse(FLAT_HEAD "outputs:\n"
					   "  - &base {name: a, type: batch, format: parquet, location: s3://x/}\n"
					   "  - <<: *base\n"
					   "    name: b\n"
					   "    format: avro\n"
					   "  - <<: [{topic: t1, format: json}, *base]\n"
					   "    name: c\n"),
			 0);
	EXPECT_NO_DIAGS();
	Tributary__V1__DataProduct *p = t_product("p");
	ck_assert_uint_eq(p->n_output_ports, 3);
	Tributary__V1__OutputPort *b = p->output_ports[1], *c = p->output_ports[2];
	ck_assert_str_eq(b->name, "b");
	ck_assert_str_eq(b->format, "avro");
	ck_assert_str_eq(b->location, "s3://x/");
	ck_assert_int_eq(b->type, TRIBUTARY__V1__PORT_TYPE__PORT_TYPE_BATCH);
	ck_assert_str_eq(c->name, "c");
	ck_assert_str_eq(c->topic, "t1");
	ck_assert_str_eq(c->format, "json"); /* the first merge source wins */
	ck_assert_str_eq(c->location, "s3://x/");
}
END_TEST

START_TEST(quoted_merge_key_is_an_ordinary_key)
{
	ck_assert_int_eq(t_parse(FLAT_HEAD "'<<': {version: 1.0.0}\n"), 0);
	EXPECT_DIAGS("t.yaml:4:1: warning: unknown key '<<' (at <<)");
	ck_assert_str_eq(t_product("p")->version, "");
}
END_TEST

START_TEST(bad_merge_value_is_an_error)
{
	ck_assert_int_eq(t_parse(FLAT_HEAD "sla:\n  <<: 5\n"), TRIB_EINVALID);
	EXPECT_DIAGS("t.yaml:5:7: error: a '<<' merge key needs a mapping or a list of mappings, got an integer");
}
END_TEST

START_TEST(unknown_alias_is_an_error)
{
	ck_assert_int_eq(t_parse(FLAT_HEAD "tags: *nope\n"), TRIB_EINVALID);
	EXPECT_DIAGS("t.yaml:4:7: error: unknown alias '*nope'");
}
END_TEST

START_TEST(recursive_alias_is_an_error)
{
	/* libyaml accepts it; a tree with a cycle would never end. */
	ck_assert_int_eq(t_parse(FLAT_HEAD "tags: &x [a, *x]\n"), TRIB_EINVALID);
	EXPECT_DIAGS("t.yaml:4:14: error: alias '*x' refers to a collection that contains it");
}
END_TEST

START_TEST(alias_expansion_is_bounded)
{
	/* 1000 terms sharing one 2000-name list: 2M visits from 7005 nodes; the
	 * budget is the node count plus 1 Mi. */
	size_t cap = 64 * 1024;
	char *y = malloc(cap);
	size_t o = (size_t)snprintf(y, cap, "related: &r [");
	for (int i = 0; i < 2000; i++)
		o += (size_t)snprintf(y + o, cap - o, "%sT%d", i ? ", " : "", i);
	o += (size_t)snprintf(y + o, cap - o, "]\nglossary:\n");
	for (int i = 0; i < 1000; i++)
		o += (size_t)snprintf(y + o, cap - o, "  - {name: N%d, related: *r}\n", i);
	ck_assert_uint_lt(o, cap);
	int rc = t_parse(y);
	free(y);
	ck_assert_int_eq(rc, TRIB_EINVALID);
	ck_assert_uint_eq(T_res.n_terms, 0);
	ck_assert_uint_eq(T_res.n_errors, 1);
	ck_assert_uint_eq(T_res.n_warnings, 1);
	EXPECT_DIAGS("t.yaml:1:1: warning: unknown key 'related' (at related)",
		     "t.yaml:1:3042: error: aliases expand the file to more than 1055581 values (at "
		     "glossary[527].related[523])");
}
END_TEST

START_TEST(nesting_beyond_the_limit_is_an_error)
{
	char y[512] = FLAT_HEAD "tags: ";
	size_t o = strlen(y);
	for (int i = 0; i < 70; i++)
		y[o++] = '[';
	y[o] = '\0';
	ck_assert_int_eq(t_parse(y), TRIB_EINVALID);
	EXPECT_DIAGS("t.yaml:4:70: error: nesting deeper than 64 levels");
}
END_TEST

START_TEST(max_depth_option_applies)
{
	ing_opts o = ING_OPTS_INIT;
	o.max_depth = 2;
	ck_assert_int_eq(t_parse_opts(FLAT_HEAD "sla: {freshness: 1h}\noutputs: [{name: a, sla: {uptime: 99%}}]\n", &o),
			 TRIB_EINVALID);
	EXPECT_DIAGS("t.yaml:5:11: error: nesting deeper than 2 levels");
}
END_TEST

START_TEST(invalid_utf8_is_an_error_with_position)
{
	ck_assert_int_eq(t_parse(FLAT_HEAD "description: caf\xe9 au lait\n"), TRIB_EINVALID);
	EXPECT_DIAGS("t.yaml:4:18: error: invalid trailing UTF-8 octet (byte 0x20)");
}
END_TEST

START_TEST(nul_in_a_string_is_an_error)
{
	ck_assert_int_eq(t_parse(FLAT_HEAD "description: \"a\\0b\"\n"), TRIB_EINVALID);
	EXPECT_DIAGS("t.yaml:4:14: error: a NUL character inside a string is not supported");
}
END_TEST

START_TEST(plain_scalars_keep_their_text_for_strings)
{
	/* YAML would make these a float, a boolean and an integer; string fields keep the text. */
	ck_assert_int_eq(t_parse("name: 360\ndomain: d\nowner: t\nversion: 2.10\ndescription: true\n"
				 "tags: [no, 1.50, ~x]\n"),
			 0);
	EXPECT_DIAGS("t.yaml:4:10: warning: version '2.10' is not semantic versioning (MAJOR.MINOR.PATCH); quote it "
		     "and add the missing parts (at version)");
	Tributary__V1__DataProduct *p = t_product("360");
	ck_assert_str_eq(p->version, "2.10");
	ck_assert_str_eq(p->description, "true");
	ck_assert_uint_eq(p->n_tags, 3);
	ck_assert_str_eq(p->tags[0], "no");
	ck_assert_str_eq(p->tags[1], "1.50");
	ck_assert_str_eq(p->tags[2], "~x");
}
END_TEST

START_TEST(null_values_are_absent_and_null_items_errors)
{
	ck_assert_int_eq(t_parse(FLAT_HEAD "description:\nsla: ~\ntags: [a, null, b]\n"), TRIB_EINVALID);
	EXPECT_DIAGS("t.yaml:6:11: error: empty list item (at tags[1])");
}
END_TEST

START_TEST(explicit_str_tag_keeps_a_number_as_text)
{
	ck_assert_int_eq(t_parse(FLAT_HEAD "sla: {freshness: !!str 3600}\n"), TRIB_EINVALID);
	EXPECT_DIAGS("t.yaml:4:18: error: bad duration '3600': a number needs a unit (s, m, h, d, w) (write e.g. "
		     "'15m', '1h', '< 5 minutes', 'daily', '< 2 hours after midnight UTC') (at sla.freshness)");
}
END_TEST

START_TEST(syntax_error_in_a_later_document_drops_the_file)
{
	ck_assert_int_eq(t_parse(FLAT_HEAD "---\nname: q\ndomain: d\nowner: t\ntags: [a\n"), TRIB_EINVALID);
	ck_assert_uint_eq(T_res.n_products, 0);
	ck_assert_uint_eq(T_res.n_errors, 1);
	ck_assert_str_eq(T_res.diags[0].message, "did not find expected ',' or ']' (while parsing a flow sequence at "
						 "line 8, column 7); the file ends too early (truncated?)");
	ck_assert_uint_eq(T_res.diags[0].line, 9);
	ck_assert_uint_eq(T_res.diags[0].column, 1);
}
END_TEST

/* Parse data as "m.yaml"; the outcome must be clean success or positioned errors. */
static void parse_is_sane(const char *data, size_t len)
{
	trib_arena a;
	ing_result r;
	trib_arena_init(&a, 0);
	ing_result_init(&r);
	ing_opts o = ING_OPTS_INIT;
	o.base_dir = fx("seeds");
	int rc = ing_parse_buffer(&r, &a, "m.yaml", data, len, &o);
	unsigned lines = 1;
	for (size_t i = 0; i < len; i++)
		lines += data[i] == '\n';
	if (rc == 0) {
		ck_assert_uint_eq(r.n_errors, 0);
	} else {
		ck_assert_int_eq(rc, TRIB_EINVALID);
		ck_assert_uint_gt(r.n_errors, 0);
		ck_assert_uint_eq(r.n_products + r.n_domains + r.n_terms, 0);
	}
	for (size_t i = 0; i < r.n_diags; i++) {
		/* Positions are in the YAML (schema files are fixtures, never mutated). */
		if (strcmp(r.diags[i].file, "m.yaml") == 0)
			ck_assert_uint_le(r.diags[i].line, lines);
		ck_assert_ptr_nonnull(r.diags[i].message);
	}
	trib_arena_dispose(&a);
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	ck_assert_ptr_nonnull(f);
	char *buf = malloc(1 << 16);
	*len = fread(buf, 1, (1 << 16) - 1, f);
	fclose(f);
	return buf;
}

START_TEST(every_truncation_is_handled)
{
	size_t len;
	char *data = slurp(fx("seeds/customer-360.yaml"), &len);
	for (size_t cut = 0; cut <= len; cut++) {
		char *copy = malloc(cut + 1);
		memcpy(copy, data, cut);
		parse_is_sane(copy, cut);
		free(copy);
	}
	free(data);
}
END_TEST

START_TEST(random_mutations_are_handled)
{
	static const char *files[] = {"seeds/customer-360.yaml", "seeds/data-product.yaml", "seeds/domains.yaml",
				      "mappings.yaml", "glossary.yaml", "multi.yaml", "mesh/customer/customer-360.yaml"};
	static const char bytes[] = "\t\n :-[]{}&*<>!|#'\",?\0\xff";
	unsigned seed = 12345;
	for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
		size_t len;
		char *data = slurp(fx(files[f]), &len);
		for (int round = 0; round < 300; round++) {
			char *copy = malloc(len + 1);
			memcpy(copy, data, len);
			for (int k = 0; k < 1 + round % 4; k++) {
				seed = seed * 1103515245u + 12345u;
				size_t at = (seed >> 8) % len;
				seed = seed * 1103515245u + 12345u;
				copy[at] = bytes[(seed >> 8) % (sizeof bytes - 1)];
			}
			parse_is_sane(copy, len);
			free(copy);
		}
		free(data);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("tree");
	TCase *tc = tcase_create("tree");
	tcase_add_checked_fixture(tc, t_setup, t_teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, tab_indentation_is_an_error_at_the_tab);
	tcase_add_test(tc, truncated_flow_list_is_an_error_at_the_end);
	tcase_add_test(tc, truncated_quoted_string_is_an_error);
	tcase_add_test(tc, truncated_at_a_line_reports_missing_keys);
	tcase_add_test(tc, duplicate_keys_name_the_first);
	tcase_add_test(tc, duplicate_keys_in_flow_mappings);
	tcase_add_test(tc, complex_keys_are_errors);
	tcase_add_test(tc, aliases_share_values);
	tcase_add_test(tc, merge_keys_fill_in_and_are_overridden);
	tcase_add_test(tc, quoted_merge_key_is_an_ordinary_key);
	tcase_add_test(tc, bad_merge_value_is_an_error);
	tcase_add_test(tc, unknown_alias_is_an_error);
	tcase_add_test(tc, recursive_alias_is_an_error);
	tcase_add_test(tc, alias_expansion_is_bounded);
	tcase_add_test(tc, nesting_beyond_the_limit_is_an_error);
	tcase_add_test(tc, max_depth_option_applies);
	tcase_add_test(tc, invalid_utf8_is_an_error_with_position);
	tcase_add_test(tc, nul_in_a_string_is_an_error);
	tcase_add_test(tc, plain_scalars_keep_their_text_for_strings);
	tcase_add_test(tc, null_values_are_absent_and_null_items_errors);
	tcase_add_test(tc, explicit_str_tag_keeps_a_number_as_text);
	tcase_add_test(tc, syntax_error_in_a_later_document_drops_the_file);
	tcase_add_test(tc, every_truncation_is_handled);
	tcase_add_test(tc, random_mutations_are_handled);
	suite_add_tcase(s, tc);
	return t_run(s);
}
