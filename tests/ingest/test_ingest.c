/* The public entry points: documents and files, what a failing file keeps,
 * `trib register DIR` collection, diagnostic format, size and arena limits. */
#include "tributary/ingest.h" /* first: the header compiles on its own */

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "helpers.h"
#include "tributary/error.h"

START_TEST(multi_document_file_in_order)
{
	ck_assert_int_eq(ing_parse_file(&T_res, &T_arena, fx("multi.yaml"), NULL), 0);
	EXPECT_NO_DIAGS();
	ck_assert_uint_eq(T_res.n_domains, 1);
	ck_assert_str_eq(T_res.domains[0]->name, "payments");
	ck_assert_str_eq(T_res.domains[0]->oncall, "payments-data-oncall");
	ck_assert_str_eq(T_res.domains[0]->description, "Money movement.");
	ck_assert_uint_eq(T_res.n_terms, 1);
	ck_assert_str_eq(T_res.terms[0]->name, "Settlement");
	ck_assert_str_eq(T_res.terms[0]->applies_to[0], "payments/transaction-events-v1");
	ck_assert_uint_eq(T_res.n_products, 2);
	ck_assert_str_eq(T_res.products[0]->name, "transaction-events-v1");
	ck_assert_str_eq(T_res.products[0]->input_ports[0]->source, "source:payments-db");
	ck_assert_uint_eq(T_res.products[0]->output_ports[0]->n_fields, 3);
	ck_assert_str_eq(T_res.products[0]->output_ports[0]->fields[1]->name, "amount_usd");
	ck_assert_str_eq(T_res.products[0]->output_ports[0]->fields[1]->type, "double");
	ck_assert_str_eq(T_res.products[1]->name, "revenue-daily-summary");
	ck_assert_str_eq(T_res.products[1]->input_ports[0]->source, "transaction-events-v1");
	ck_assert_str_eq(T_res.products[1]->input_ports[0]->port, "settled");
	ck_assert_int_eq(T_res.products[1]->sla->freshness_seconds, 86400);
	ck_assert_uint_eq(T_res.n_files, 1);
	ck_assert_uint_eq(T_res.n_failed_files, 0);
}
END_TEST

START_TEST(a_failing_file_keeps_nothing_and_others_keep_theirs)
{
	ck_assert_int_eq(ing_parse_file(&T_res, &T_arena, fx("seeds/data-product.yaml"), NULL), 0);
	ck_assert_int_eq(t_parse("domains: {ops: {owner_team: sre}}\n---\nname: ok\ndomain: d\nowner: t\n---\n"
				 "name: broken\ndomain: d\nowner: t\nsla: {freshness: soon}\n"),
			 TRIB_EINVALID);
	ck_assert_int_eq(ing_parse_file(&T_res, &T_arena, fx("seeds/domains.yaml"), NULL), 0);
	ck_assert_uint_eq(T_res.n_files, 3);
	ck_assert_uint_eq(T_res.n_failed_files, 1);
	ck_assert_uint_eq(T_res.n_errors, 1);
	ck_assert_uint_eq(T_res.n_products, 1);
	ck_assert_str_eq(T_res.products[0]->name, "orders-enriched");
	ck_assert_uint_eq(T_res.n_domains, 3);
	ck_assert_str_eq(T_res.domains[0]->name, "customer");
	ck_assert_uint_eq(T_res.n_diags, 1);
	ck_assert_str_eq(T_res.diags[0].file, "t.yaml");
	ck_assert_uint_eq(T_res.diags[0].line, 10);
	ck_assert_uint_eq(T_res.diags[0].column, 18);
}
END_TEST

START_TEST(unknown_kind_and_api_version)
{
	ck_assert_int_eq(ing_parse_file(&T_res, &T_arena, fx("bad/unknown-kind.yaml"), NULL), TRIB_EINVALID);
	EXPECT_DIAGS("bad/unknown-kind.yaml:2:7: error: unknown kind 'DataPipeline' (expected DataProduct, Domain, "
		     "DomainMap, Glossary or GlossaryTerm) (at kind)",
		     "bad/unknown-kind.yaml:6:13: error: unsupported apiVersion 'data-mesh/v2' (expected data-mesh/v1) (at "
		     "apiVersion)");
	T_res.n_diags = 0;
	ck_assert_int_eq(t_parse("kind: DataProduct\nmetadata: {name: p, domain: d, owner: t}\n---\n"
				 "apiVersion: data-mesh/v1\nmetadata: {name: p}\n---\napiVersion: [x]\nkind: Domain\n"),
			 TRIB_EINVALID);
	EXPECT_DIAGS("t.yaml:1:1: error: missing required key 'apiVersion' (data-mesh/v1)",
		     "t.yaml:4:1: error: missing required key 'kind'",
		     "t.yaml:7:13: error: unsupported apiVersion 'a list' (expected data-mesh/v1) (at apiVersion)");
}
END_TEST

START_TEST(documents_must_be_mappings)
{
	ck_assert_int_eq(t_parse("- a\n- b\n---\njust text\n"), TRIB_EINVALID);
	EXPECT_DIAGS("t.yaml:1:1: error: a document must be a mapping, got a list",
		     "t.yaml:4:1: error: a document must be a mapping, got a string");
}
END_TEST

START_TEST(empty_and_comment_only_files_warn)
{
	ck_assert_int_eq(t_parse(""), 0);
	ck_assert_int_eq(t_parse("# nothing here\n---\n---\n"), 0);
	EXPECT_DIAGS("t.yaml: warning: no documents in this file", "t.yaml: warning: no documents in this file");
	ck_assert_uint_eq(T_res.n_failed_files, 0);
}
END_TEST

START_TEST(diagnostics_are_sorted_by_position)
{
	/* The missing keys of the mapping are found after its keys, but come first. */
	ck_assert_int_eq(t_parse("description: x\ncolour: red\n"), TRIB_EINVALID);
	EXPECT_DIAGS("t.yaml:1:1: error: missing required key 'name'", "t.yaml:1:1: error: missing required key 'domain'",
		     "t.yaml:1:1: error: missing required key 'owner'",
		     "t.yaml:2:1: warning: unknown key 'colour' (at colour)");
}
END_TEST

START_TEST(unreadable_files)
{
	ck_assert_int_eq(ing_parse_file(&T_res, &T_arena, "/nonexistent/p.yaml", NULL), TRIB_EIO);
	ck_assert_int_eq(ing_parse_file(&T_res, &T_arena, fx("mesh"), NULL), TRIB_EIO);
	EXPECT_DIAGS("/nonexistent/p.yaml: error: cannot open '/nonexistent/p.yaml': No such file or directory",
		     "mesh: error: 'tests/fixtures/mesh' is a directory");
	ck_assert_uint_eq(T_res.n_failed_files, 2);
}
END_TEST

START_TEST(diag_format_variants)
{
	ing_diag d = {"f.yaml", 3, 7, ING_ERROR, "spec.outputPorts[1].sla.freshness", "bad duration"};
	char buf[256];
	const char *full = "f.yaml:3:7: error: bad duration (at spec.outputPorts[1].sla.freshness)";
	ck_assert_int_eq(ing_diag_format(buf, sizeof buf, &d), (int)strlen(full));
	ck_assert_str_eq(buf, full);
	d.path = "";
	d.severity = ING_WARNING;
	ck_assert_int_eq(ing_diag_format(buf, sizeof buf, &d), 33);
	ck_assert_str_eq(buf, "f.yaml:3:7: warning: bad duration");
	d.line = d.column = 0;
	d.path = "x";
	ck_assert_int_eq(ing_diag_format(buf, sizeof buf, &d), 36);
	ck_assert_str_eq(buf, "f.yaml: warning: bad duration (at x)");
	/* Cut like snprintf, still returning the full length. */
	d.severity = ING_ERROR;
	d.line = 3;
	d.column = 7;
	d.path = "spec.outputPorts[1].sla.freshness";
	ck_assert_int_eq(ing_diag_format(buf, 12, &d), (int)strlen(full));
	ck_assert_str_eq(buf, "f.yaml:3:7:");
	ck_assert_int_eq(ing_diag_format(buf, 40, &d), (int)strlen(full));
	ck_assert_str_eq(buf, "f.yaml:3:7: error: bad duration (at spe");
	ck_assert_int_eq(ing_diag_format(NULL, 0, &d), (int)strlen(full));
}
END_TEST

START_TEST(collect_mesh_directory_sorted)
{
	const char *args[] = {fx("mesh")};
	const char **files;
	size_t n;
	ck_assert_int_eq(ing_collect(&files, &n, &T_arena, args, 1), 0);
	static const char *want[] = {"commerce/cart-abandonment.yaml", "commerce/orders-enriched/data-product.yaml",
				     "customer/customer-360.yaml",     "customer/customer-events-v1.yaml",
				     "customer/customer-profiles.yaml", "domains.yaml",
				     "finance/finance-ledger.yml",     "glossary.yaml",
				     "logistics/products.yaml",        "payments/products.yaml"};
	ck_assert_uint_eq(n, 10);
	for (size_t i = 0; i < n; i++)
		ck_assert_str_eq(files[i], trib_arena_printf(&T_arena, "%s/%s", fx("mesh"), want[i]));
}
END_TEST

START_TEST(mesh_parses_clean)
{
	const char *args[] = {fx("mesh")};
	const char **files;
	size_t n;
	ck_assert_int_eq(ing_collect(&files, &n, &T_arena, args, 1), 0);
	for (size_t i = 0; i < n; i++)
		ck_assert_int_eq(ing_parse_file(&T_res, &T_arena, files[i], NULL), 0);
	EXPECT_NO_DIAGS();
	ck_assert_uint_eq(T_res.n_products, 12);
	ck_assert_uint_eq(T_res.n_domains, 5);
	ck_assert_uint_eq(T_res.n_terms, 4);
	/* Every product's domain is in the domain map, and every product input names a product of the mesh. */
	size_t inputs = 0, mappings = 0;
	for (size_t i = 0; i < T_res.n_products; i++) {
		Tributary__V1__DataProduct *p = T_res.products[i];
		int found = 0;
		for (size_t d = 0; d < T_res.n_domains; d++)
			found |= strcmp(T_res.domains[d]->name, p->domain) == 0;
		ck_assert_msg(found, "%s: domain %s not in the map", p->name, p->domain);
		for (size_t j = 0; j < p->n_input_ports; j++) {
			Tributary__V1__InputPort *in = p->input_ports[j];
			mappings += in->n_mappings;
			if (strcmp(in->source_type, "data-product") != 0)
				continue;
			inputs++;
			const char *slash = strchr(in->source, '/');
			const char *name = slash ? slash + 1 : in->source;
			int known = 0;
			for (size_t k = 0; k < T_res.n_products; k++)
				known |= strcmp(T_res.products[k]->name, name) == 0;
			ck_assert_msg(known, "%s reads unknown %s", p->name, in->source);
		}
	}
	ck_assert_uint_eq(inputs, 13);
	ck_assert_uint_eq(mappings, 9);
}
END_TEST

/* A message is valid, and survives pack / unpack / pack byte for byte. */
static void round_trips(const ProtobufCMessage *m)
{
	ck_assert_msg(protobuf_c_message_check(m), "%s fails protobuf_c_message_check", m->descriptor->name);
	size_t n = protobuf_c_message_get_packed_size(m);
	uint8_t *a = trib_arena_alloc(&T_arena, n + 1), *b = trib_arena_alloc(&T_arena, n + 1);
	ck_assert_uint_eq(protobuf_c_message_pack(m, a), n);
	ProtobufCMessage *u = protobuf_c_message_unpack(m->descriptor, trib_arena_pb(&T_arena), n, a);
	ck_assert_ptr_nonnull(u);
	ck_assert_uint_eq(protobuf_c_message_pack(u, b), n);
	ck_assert_int_eq(memcmp(a, b, n), 0);
}

START_TEST(messages_pack_and_unpack_exactly)
{
	const char *args[] = {fx("mesh"), fx("multi.yaml"), fx("mappings.yaml"), fx("seeds")};
	const char **files;
	size_t n;
	ck_assert_int_eq(ing_collect(&files, &n, &T_arena, args, 4), 0);
	ck_assert_uint_eq(n, 15);
	for (size_t i = 0; i < n; i++)
		ck_assert_int_eq(ing_parse_file(&T_res, &T_arena, files[i], NULL), 0);
	ck_assert_uint_eq(T_res.n_products, 17);
	for (size_t i = 0; i < T_res.n_products; i++)
		round_trips(&T_res.products[i]->base);
	for (size_t i = 0; i < T_res.n_domains; i++)
		round_trips(&T_res.domains[i]->base);
	for (size_t i = 0; i < T_res.n_terms; i++)
		round_trips(&T_res.terms[i]->base);
	ck_assert_uint_eq(T_res.n_domains, 9);
	ck_assert_uint_eq(T_res.n_terms, 5);
}
END_TEST

START_TEST(collect_skips_hidden_and_other_files)
{
	const char *d = t_tmpdir();
	t_write(d, "b.yaml", "x: 1\n");
	t_write(d, "a.yml", "x: 1\n");
	t_write(d, "notes.txt", "x\n");
	t_write(d, ".hidden.yaml", "x: 1\n");
	t_write(d, ".git/config.yaml", "x: 1\n");
	t_write(d, "sub/c.yaml", "x: 1\n");
	t_write(d, "sub/deeper/d.YAML", "x: 1\n");
	char *link = trib_arena_printf(&T_arena, "%s/loop", d);
	ck_assert_int_eq(symlink(d, link), 0);
	char *flink = trib_arena_printf(&T_arena, "%s/z.yaml", d);
	ck_assert_int_eq(symlink(trib_arena_printf(&T_arena, "%s/b.yaml", d), flink), 0);
	const char *explicit_file = t_write(d, "sub/explicit.txt", "x\n");
	const char *args[] = {d, explicit_file};
	const char **files;
	size_t n;
	ck_assert_int_eq(ing_collect(&files, &n, &T_arena, args, 2), 0);
	ck_assert_uint_eq(n, 5);
	ck_assert_str_eq(files[0], trib_arena_printf(&T_arena, "%s/a.yml", d));
	ck_assert_str_eq(files[1], trib_arena_printf(&T_arena, "%s/b.yaml", d));
	ck_assert_str_eq(files[2], trib_arena_printf(&T_arena, "%s/sub/c.yaml", d));
	ck_assert_str_eq(files[3], flink);
	ck_assert_str_eq(files[4], explicit_file);
}
END_TEST

START_TEST(collect_missing_path)
{
	const char *args[] = {"/nonexistent/dir"};
	const char **files = (const char **)&args;
	size_t n = 9;
	ck_assert_int_eq(ing_collect(&files, &n, &T_arena, args, 1), TRIB_ENOTFOUND);
	ck_assert_str_eq(trib_error_last(), "'/nonexistent/dir': No such file or directory");
	ck_assert_ptr_null(files);
	ck_assert_uint_eq(n, 0);
}
END_TEST

START_TEST(oversized_buffer_is_refused)
{
	size_t len = ING_DEFAULT_MAX_FILE_SIZE + 1;
	char *big = malloc(len);
	memset(big, '#', len);
	ck_assert_int_eq(ing_parse_buffer(&T_res, &T_arena, "big.yaml", big, len, NULL), TRIB_ELIMIT);
	free(big);
	EXPECT_DIAGS("big.yaml: error: the file is larger than the 16777216-byte limit");
	ck_assert_uint_eq(T_res.n_failed_files, 1);
}
END_TEST

START_TEST(oversized_file_is_refused_while_reading)
{
	const char *d = t_tmpdir();
	const char *path = trib_arena_printf(&T_arena, "%s/big.yaml", d);
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	char line[1024];
	memset(line, '#', sizeof line - 1);
	line[sizeof line - 1] = '\n';
	for (size_t i = 0; i < ING_DEFAULT_MAX_FILE_SIZE / sizeof line + 1; i++)
		ck_assert_uint_eq(fwrite(line, 1, sizeof line, f), sizeof line);
	fclose(f);
	ck_assert_int_eq(ing_parse_file(&T_res, &T_arena, path, NULL), TRIB_ELIMIT);
	ck_assert_uint_eq(T_res.n_diags, 1);
	ck_assert_str_eq(T_res.diags[0].message,
			 trib_arena_printf(&T_arena, "'%s' is larger than the 16777216-byte limit", path));
	/* A smaller limit applies to the YAML and to schema files alike. */
	T_res.n_diags = 0;
	ing_opts o = ING_OPTS_INIT;
	o.max_file_size = 64;
	ck_assert_int_eq(t_parse_opts("name: p\ndomain: d\nowner: t\noutputs: [{name: o, schema: avro/customer-profile.avsc}]\n",
				      &o),
			 TRIB_ELIMIT);
	EXPECT_DIAGS("t.yaml: error: the file is larger than the 64-byte limit");
	T_res.n_diags = 0;
	o.max_file_size = 100;
	ck_assert_int_eq(t_parse_opts("name: p\ndomain: d\nowner: t\noutputs: [{name: o, schema: avro/customer-profile.avsc}]\n",
				      &o),
			 TRIB_EINVALID);
	EXPECT_DIAGS("t.yaml:4:29: error: schema 'avro/customer-profile.avsc': 'tests/fixtures/avro/customer-profile.avsc' "
		     "is larger than the 100-byte limit (at outputs[0].schema)");
}
END_TEST

START_TEST(large_file_parses_and_is_timed)
{
	/* 20000 products in one multi-document file: about 6 MB. */
	const size_t n = 20000;
	size_t cap = n * 400, o = 0;
	char *y = malloc(cap);
	for (size_t i = 0; i < n; i++)
		o += (size_t)snprintf(y + o, cap - o,
				      "---\napiVersion: data-mesh/v1\nkind: DataProduct\nmetadata:\n  name: p%zu\n"
				      "  domain: d%zu\n  owner: team-%zu\n  version: \"1.0.%zu\"\nspec:\n"
				      "  inputPorts:\n    - sourceProduct: d%zu/p%zu\n      fields: [a, b]\n"
				      "  outputPorts:\n    - name: out\n      type: stream\n      sla: {freshness: 5m}\n"
				      "      fields: [{a: string}, {b: long}]\n",
				      i, i % 50, i % 7, i, (i + 1) % 50, i + 1);
	ck_assert_uint_lt(o, cap);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int rc = ing_parse_buffer(&T_res, &T_arena, "big.yaml", y, o, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	free(y);
	ck_assert_int_eq(rc, 0);
	EXPECT_NO_DIAGS();
	ck_assert_uint_eq(T_res.n_products, n);
	ck_assert_str_eq(T_res.products[12345]->name, "p12345");
	ck_assert_str_eq(T_res.products[12345]->domain, "d45");
	ck_assert_str_eq(T_res.products[12345]->input_ports[0]->source, "d46/p12346");
	ck_assert_int_eq(T_res.products[n - 1]->output_ports[0]->sla->freshness_seconds, 300);
	double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	fprintf(stderr, "large_file: %zu bytes, %zu products in %.3f s (%.1f MB/s), arena %zu bytes\n", o, n, secs,
		(double)o / secs / 1e6, trib_arena_used(&T_arena));
}
END_TEST

START_TEST(too_many_errors_stop_the_file)
{
	size_t cap = 200 * 40, o = 0;
	char *y = malloc(cap);
	o += (size_t)snprintf(y + o, cap - o, "name: p\ndomain: d\nowner: t\ntags:\n");
	for (int i = 0; i < 150; i++)
		o += (size_t)snprintf(y + o, cap - o, "  - [x]\n");
	int rc = t_parse(y);
	free(y);
	ck_assert_int_eq(rc, TRIB_EINVALID);
	ck_assert_uint_eq(T_res.n_errors, 101);
	ck_assert_uint_eq(T_res.n_diags, 101);
	ck_assert_str_eq(t_diag(99), "t.yaml:104:5: error: expected a string, got a list (at tags[99])");
	ck_assert_str_eq(t_diag(100), "t.yaml:104:5: error: too many errors; the rest of this file is not checked (at "
				      "tags[99])");
}
END_TEST

START_TEST(arena_limit_is_reported)
{
	T_arena.limit = 4096;
	ck_assert_int_eq(ing_parse_file(&T_res, &T_arena, fx("seeds/customer-360.yaml"), NULL), TRIB_ELIMIT);
	ck_assert_str_eq(trib_error_last(), "request memory limit of 4096 bytes exceeded");
	ck_assert_uint_eq(T_res.n_products, 0);
}
END_TEST

START_TEST(base_dir_resolution)
{
	/* Without base_dir, schemas resolve next to the named file. */
	const char *d = t_tmpdir();
	t_write(d, "schemas/s.avsc", "{\"type\": \"record\", \"name\": \"S\", \"fields\": [{\"name\": \"x\", \"type\": \"int\"}]}");
	const char *yaml = "name: p\ndomain: d\nowner: t\noutputs: [{name: o, schema: schemas/s.avsc}]\n";
	const char *name = trib_arena_printf(&T_arena, "%s/p.yaml", d);
	ck_assert_int_eq(ing_parse_buffer(&T_res, &T_arena, name, yaml, strlen(yaml), NULL), 0);
	ck_assert_uint_eq(T_res.products[0]->output_ports[0]->n_fields, 1);
	ck_assert_str_eq(T_res.products[0]->source_file, name);
	/* A bare name resolves against the current directory. */
	ck_assert_int_eq(ing_parse_buffer(&T_res, &T_arena, "<stdin>", yaml, strlen(yaml), NULL), TRIB_EINVALID);
	ck_assert_str_eq(T_res.diags[0].message, "schema 'schemas/s.avsc': cannot open './schemas/s.avsc': No such file or "
						 "directory");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ingest");
	TCase *tc = tcase_create("ingest");
	tcase_add_checked_fixture(tc, t_setup, t_teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, multi_document_file_in_order);
	tcase_add_test(tc, a_failing_file_keeps_nothing_and_others_keep_theirs);
	tcase_add_test(tc, unknown_kind_and_api_version);
	tcase_add_test(tc, documents_must_be_mappings);
	tcase_add_test(tc, empty_and_comment_only_files_warn);
	tcase_add_test(tc, diagnostics_are_sorted_by_position);
	tcase_add_test(tc, unreadable_files);
	tcase_add_test(tc, diag_format_variants);
	tcase_add_test(tc, collect_mesh_directory_sorted);
	tcase_add_test(tc, mesh_parses_clean);
	tcase_add_test(tc, messages_pack_and_unpack_exactly);
	tcase_add_test(tc, collect_skips_hidden_and_other_files);
	tcase_add_test(tc, collect_missing_path);
	tcase_add_test(tc, oversized_buffer_is_refused);
	tcase_add_test(tc, oversized_file_is_refused_while_reading);
	tcase_add_test(tc, large_file_parses_and_is_timed);
	tcase_add_test(tc, too_many_errors_stop_the_file);
	tcase_add_test(tc, arena_limit_is_reported);
	tcase_add_test(tc, base_dir_resolution);
	suite_add_tcase(s, tc);
	return t_run(s);
}
