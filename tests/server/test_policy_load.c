/* Policy files: parsing, errors with file:line:column, GetPolicy's view, the holder and reloads. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tributary/policy.h"

#define FIX "tests/fixtures/policy/"

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
}

static const char *describe_rule(trib_arena *a, const Tributary__V1__PolicyRule *r)
{
	char *s = trib_arena_printf(a, "%s|%s|%s|%s|", r->id, r->type, r->severity, r->params);
	for (size_t i = 0; i < r->n_domains; i++)
		s = trib_arena_printf(a, "%s%s%s", s, i ? "," : "", r->domains[i]);
	s = trib_arena_printf(a, "%s|", s);
	for (size_t i = 0; i < r->n_exceptions; i++)
		s = trib_arena_printf(a, "%s%s%s=%s", s, i ? "," : "", r->exceptions[i]->ref, r->exceptions[i]->rationale);
	return s;
}

START_TEST(default_policy_loads_with_its_rules)
{
	pol_policy *p;
	ck_assert_int_eq(pol_load_default(&p), 0);
	trib_arena a;
	trib_arena_init(&a, 0);
	Tributary__V1__Policy *m = pol_describe(p, &a);
	ck_assert_ptr_nonnull(m);
	ck_assert_str_eq(m->source, "");
	ck_assert_uint_eq(strlen(m->digest), 64);
	ck_assert_int_gt(m->loaded_at_ms, 1600000000000LL);
	const char *want[] = {
		"naming|naming|error|{\"product\":\"[a-z][a-z0-9-]*\",\"port\":\"[a-z][a-z0-9_-]*\",\"domain\":\"[a-z][a-z0-9-]*\"}||",
		"field-naming|naming|warning|{\"field\":\"[a-z_][a-z0-9_]*(\\\\.[a-z_][a-z0-9_]*)*\"}||",
		"required-metadata|required-fields|error|{\"fields\":[\"owner\",\"description\",\"output-ports\"]}||",
		"sla-stated|required-fields|warning|{\"fields\":[\"sla\"]}||",
		"pii-confidential|pii-classification|error|{\"min_classification\":\"confidential\"}||",
		"retention-bounds|retention-bounds|error|{\"require_stated\":false,\"public\":{\"max_days\":3650},"
		"\"internal\":{\"max_days\":1825},\"confidential\":{\"max_days\":730},\"restricted\":{\"max_days\":730}}||",
		"derived-composition|composition|error|{\"checks\":[\"classification\",\"retention\",\"pii\",\"erasure\"],"
		"\"max_upstream\":10000}||",
		"freshness-feasible|freshness-feasibility|error|{\"slack_seconds\":0,\"max_upstream\":10000}||",
		"breaking-change-major-bump|breaking-change-major-bump|error|{\"added_without_default_breaks\":true,"
		"\"port_removal_breaks\":true,\"zero_major_minor_bump\":true}||",
		"upstream-lifecycle|upstream-lifecycle|error|{\"deprecated\":\"warning\",\"deleted\":\"error\","
		"\"unregistered\":\"off\"}||",
		"owner-in-domain-map|owner-in-domain-map|error|{\"require_domain\":false,\"also\":{}}||",
	};
	ck_assert_uint_eq(m->n_rules, sizeof want / sizeof want[0]);
	for (size_t i = 0; i < m->n_rules; i++)
		ck_assert_str_eq(describe_rule(&a, m->rules[i]), want[i]);
	pol_unref(p);
	trib_arena_dispose(&a);
}
END_TEST

START_TEST(file_scope_exceptions_and_digest)
{
	pol_policy *p;
	ck_assert_int_eq(pol_load_file(&p, FIX "good.yaml"), 0);
	trib_arena a;
	trib_arena_init(&a, 0);
	Tributary__V1__Policy *m = pol_describe(p, &a);
	ck_assert_str_eq(m->source, FIX "good.yaml");
	ck_assert_uint_eq(m->n_rules, 2);
	ck_assert_str_eq(describe_rule(&a, m->rules[0]), "names|naming|error|{\"product\":\"[a-z][a-z0-9-]*\"}||");
	ck_assert_str_eq(describe_rule(&a, m->rules[1]),
			 "pii|pii-classification|warning|{\"min_classification\":\"restricted\"}|finance,hr|"
			 "finance/legacy-ledger=Decommissioned in Q3; migration tracked in FIN-1234.,"
			 "hr=HR data sits in an isolated account.");
	pol_unref(p);

	/* The digest is the SHA-256 of the text: known vectors. */
	const char *text = "version: 1\nrules: []\n";
	ck_assert_int_eq(pol_load_buffer(&p, "x.yaml", text, strlen(text)), 0);
	ck_assert_str_eq(pol_digest(p), "7f2c43106364d8112fcc3060e4ab8b20f5d1a17d9cbf3c2540529663004adff8");
	ck_assert_uint_eq(pol_rule_count(p), 0);
	pol_unref(p);

	/* A multi-block text, against the system's sha256sum. */
	FILE *f = popen("sha256sum " FIX "good.yaml", "r");
	char want[65] = "";
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fscanf(f, "%64s", want), 1);
	pclose(f);
	ck_assert_int_eq(pol_load_file(&p, FIX "good.yaml"), 0);
	ck_assert_str_eq(pol_digest(p), want);
	pol_unref(p);
	trib_arena_dispose(&a);
}
END_TEST

START_TEST(yaml_syntax_error_names_line_and_column)
{
	pol_policy *p = (void *)1;
	ck_assert_int_eq(pol_load_file(&p, FIX "bad-yaml.yaml"), TRIB_EINVALID);
	ck_assert_ptr_null(p);
	ck_assert_str_eq(trib_error_last(),
			 FIX "bad-yaml.yaml:6:1: error: found unexpected end of stream while scanning a quoted scalar");
}
END_TEST

START_TEST(every_rule_error_is_reported_with_its_position)
{
	pol_policy *p;
	ck_assert_int_eq(pol_load_file(&p, FIX "bad-rules.yaml"), TRIB_EINVALID);
	const char *want =
		FIX "bad-rules.yaml:8:16: error: params.product: bad regular expression '[a-z': Unmatched [, [^, [:, [., or [=\n"
		FIX "bad-rules.yaml:9:9: error: id: rule id 'names' already used by the rule at line 3\n"
		FIX "bad-rules.yaml:11:15: error: severity: expected error or warning, got 'fatal'\n"
		FIX "bad-rules.yaml:21:7: error: params: unknown key 'secret' (expected one of: require_stated, public, "
		"internal, confidential, restricted)\n"
		FIX "bad-rules.yaml:20:21: error: confidential: min_days 400 is above max_days 30\n"
		FIX "bad-rules.yaml:27:9: error: exceptions[]: exception for 'sales/orders' has no rationale (one is required)\n"
		FIX "bad-rules.yaml:29:20: error: exceptions[].rationale: empty rationale for 'hr'\n"
		FIX "bad-rules.yaml:30:18: error: exceptions[].product: 'not-a-product-ref' is not a product reference "
		"(domain/name)\n"
		FIX "bad-rules.yaml:33:23: error: params.fields: unknown item 'colour' (expected owner, description, version, "
		"output-ports, sla, classification, retention, tags, quality-checks, port-schema, glossary-terms)\n"
		FIX "bad-rules.yaml:37:11: error: type: unknown rule type 'nameing' (expected naming, required-fields, "
		"pii-classification, retention-bounds, composition, freshness-feasibility, breaking-change-major-bump, "
		"upstream-lifecycle, owner-in-domain-map)\n"
		FIX "bad-rules.yaml:38:5: error: rule: missing 'type'\n"
		FIX "bad-rules.yaml:45:5: error: rule: unknown key 'scop' (expected one of: id, description, severity, type, "
		"scope, exceptions, params)";
	ck_assert_str_eq(pol_load_diagnostics(), want);
	/* The error slot gets the lines that fit and a count of the rest. */
	const char *summary = trib_error_last();
	const char *tail = "\n(5 more errors: the log has them all)";
	size_t head = strlen(summary) - strlen(tail);
	ck_assert_str_eq(summary + head, tail);
	ck_assert_int_eq(strncmp(summary, want, head), 0);
	ck_assert_int_eq(want[head], '\n');
	ck_assert_uint_le(head, 900);
}
END_TEST

START_TEST(top_level_errors)
{
	pol_policy *p;
	ck_assert_int_eq(pol_load_file(&p, FIX "bad-top.yaml"), TRIB_EINVALID);
	ck_assert_str_eq(trib_error_last(),
			 FIX "bad-top.yaml:2:1: error: policy: unknown key 'rulez' (expected one of: version, description, rules)\n"
			 FIX "bad-top.yaml:1:10: error: version: expected an integer from 1 to 1, got '2'\n"
			 FIX "bad-top.yaml:1:1: error: policy: missing 'rules'");
	ck_assert_int_eq(pol_load_buffer(&p, "empty.yaml", "", 0), TRIB_EINVALID);
	ck_assert_str_eq(trib_error_last(),
			 "empty.yaml:1:1: error: empty policy file (expected 'version: 1' and 'rules:')");
	const char *naming = "version: 1\nrules:\n  - {id: n, description: d, severity: error, type: naming}\n";
	ck_assert_int_eq(pol_load_buffer(&p, "n.yaml", naming, strlen(naming)), TRIB_EINVALID);
	ck_assert_str_eq(trib_error_last(), "n.yaml:1:1: error: naming rule 'n' needs a pattern for at least one of: "
					    "product, port, field, domain, team");
	/* An empty params is the defaults; a list is not params. */
	const char *nul = "version: 1\nrules:\n  - id: p\n    description: d\n    severity: error\n"
			  "    type: pii-classification\n    params:\n";
	ck_assert_int_eq(pol_load_buffer(&p, "nul.yaml", nul, strlen(nul)), 0);
	pol_unref(p);
	const char *lst = "version: 1\nrules:\n  - {id: p, description: d, severity: error, type: composition,"
			  " params: [a]}\n";
	ck_assert_int_eq(pol_load_buffer(&p, "lst.yaml", lst, strlen(lst)), TRIB_EINVALID);
	ck_assert_str_eq(trib_error_last(), "lst.yaml:3:73: error: params: expected a mapping");
	ck_assert_int_eq(pol_load_file(&p, FIX "no-such-file.yaml"), TRIB_EIO);
	ck_assert_str_eq(trib_error_last(),
			 FIX "no-such-file.yaml: cannot open policy file: No such file or directory");
}
END_TEST

START_TEST(holder_keeps_snapshots_of_calls_in_flight)
{
	pol_policy *a, *b;
	ck_assert_int_eq(pol_load_file(&a, FIX "good.yaml"), 0);
	ck_assert_int_eq(pol_load_file(&b, FIX "good-v2.yaml"), 0);
	pol_holder *h;
	ck_assert_int_eq(pol_holder_new(&h, a), 0);
	pol_policy *in_flight = pol_holder_get(h);
	ck_assert_ptr_eq(in_flight, a);
	pol_holder_set(h, b);
	/* The old policy lives on for the call that holds it. */
	ck_assert_uint_eq(pol_rule_count(in_flight), 2);
	ck_assert_str_eq(pol_source(in_flight), FIX "good.yaml");
	pol_unref(in_flight);
	pol_policy *now = pol_holder_get(h);
	ck_assert_ptr_eq(now, b);
	pol_unref(now);
	pol_holder_free(h);
}
END_TEST

START_TEST(reload_good_then_bad_keeps_the_old_policy)
{
	char dir[] = "/tmp/trib-policy-XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	char path[256];
	snprintf(path, sizeof path, "%s/policy.yaml", dir);

	/* Before init the built-in default is in force. */
	pol_policy *p = pol_global_get();
	ck_assert_str_eq(pol_source(p), "");
	ck_assert_uint_eq(pol_rule_count(p), 11);
	pol_unref(p);

	write_file(path, "version: 1\nrules:\n  - {id: a, description: d, severity: error, type: required-fields}\n");
	ck_assert_int_eq(pol_global_init(path), 0);
	p = pol_global_get();
	char digest1[65];
	strcpy(digest1, pol_digest(p));
	ck_assert_str_eq(pol_source(p), path);
	ck_assert_uint_eq(pol_rule_count(p), 1);

	/* A good edit is picked up by a reload. */
	write_file(path, "version: 1\nrules:\n  - {id: a, description: d, severity: error, type: required-fields}\n"
			 "  - {id: b, description: d, severity: warning, type: composition}\n");
	ck_assert_int_eq(pol_global_reload(), 0);
	pol_policy *q = pol_global_get();
	ck_assert_uint_eq(pol_rule_count(q), 2);
	ck_assert_str_ne(pol_digest(q), digest1);
	ck_assert_uint_eq(pol_rule_count(p), 1); /* the earlier snapshot is untouched */
	pol_unref(p);

	/* A broken edit is refused and the previous policy stays. */
	write_file(path, "version: 1\nrules:\n  - {id: a, description: d, severity: eror, type: required-fields}\n");
	ck_assert_int_eq(pol_global_reload(), TRIB_EINVALID);
	char want[512];
	snprintf(want, sizeof want, "%s:3:39: error: severity: expected error or warning, got 'eror'", path);
	ck_assert_str_eq(trib_error_last(), want);
	pol_policy *r = pol_global_get();
	ck_assert_ptr_eq(r, q);
	pol_unref(r);
	pol_unref(q);

	unlink(path);
	ck_assert_int_eq(pol_global_reload(), TRIB_EIO);
	r = pol_global_get();
	ck_assert_uint_eq(pol_rule_count(r), 2);
	pol_unref(r);

	/* Back to the built-in default. */
	ck_assert_int_eq(pol_global_init(NULL), 0);
	r = pol_global_get();
	ck_assert_str_eq(pol_source(r), "");
	pol_unref(r);
	rmdir(dir);
}
END_TEST

START_TEST(refusal_message_lists_every_error)
{
	trib_arena a;
	trib_arena_init(&a, 0);
	trib_violation v[3];
	trib_violation *items[3] = {&v[0], &v[1], &v[2]};
	for (int i = 0; i < 3; i++)
		tributary__v1__violation__init(&v[i]);
	v[0].rule_id = "naming", v[0].message = "product name 'X' does not match", v[0].field_path = "name";
	v[1].rule_id = "derived-composition", v[1].message = "classified public but upstream a/b is restricted";
	v[1].field_path = "governance.data_classification", v[1].upstream_ref = "a/b";
	v[2].rule_id = "sla-stated", v[2].message = "an SLA is required", v[2].field_path = "sla";
	pol_result r = {items, 3, 2};
	trib_product p;
	tributary__v1__data_product__init(&p);
	p.domain = "sales", p.name = "X";
	ck_assert_int_eq(pol_refusal(&r, &p), TRIB_EPOLICY);
	ck_assert_str_eq(trib_error_last(),
			 "policy refused sales/X: 2 violations: [naming] product name 'X' does not match (name); "
			 "[derived-composition] classified public but upstream a/b is restricted "
			 "(governance.data_classification)");

	/* Hundreds of errors are cut to fit a status message, saying how many are left out. */
	trib_violation many[400], *mp[400];
	for (int i = 0; i < 400; i++) {
		tributary__v1__violation__init(&many[i]);
		many[i].rule_id = "naming";
		many[i].message = "field name 'Abc' does not match the naming convention '[a-z_]+'";
		mp[i] = &many[i];
	}
	pol_result big = {mp, 400, 400};
	ck_assert_int_eq(pol_refusal(&big, &p), TRIB_EPOLICY);
	const char *msg = trib_error_last();
	/* 53 entries of 74 characters fit after the 38-character head within 4000. */
	ck_assert_uint_eq(strlen(msg), 38 + 53 * 74 + strlen("; and 347 more"));
	ck_assert_str_eq(msg + strlen(msg) - strlen("; and 347 more"), "; and 347 more");
	trib_arena_dispose(&a);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("policy_load");
	TCase *tc = tcase_create("load");
	tcase_add_test(tc, default_policy_loads_with_its_rules);
	tcase_add_test(tc, file_scope_exceptions_and_digest);
	tcase_add_test(tc, yaml_syntax_error_names_line_and_column);
	tcase_add_test(tc, every_rule_error_is_reported_with_its_position);
	tcase_add_test(tc, top_level_errors);
	tcase_add_test(tc, holder_keeps_snapshots_of_calls_in_flight);
	tcase_add_test(tc, reload_good_then_bad_keeps_the_old_policy);
	tcase_add_test(tc, refusal_message_lists_every_error);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
