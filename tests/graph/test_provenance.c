/* Provenance (graph/provenance.c): upstream closure, composed constraints, each rule. */
#include "test_lineage_mesh.h"

static int prov_rc(graph_provenance_report *r, const char *ref, uint32_t max_depth, size_t max_nodes)
{
	graph_txn *t = lm_read();
	graph_provenance_opts o = GRAPH_PROVENANCE_OPTS_INIT;
	o.max_depth = max_depth;
	o.max_nodes = max_nodes;
	int rc = graph_lineage_provenance(r, t, &fx_arena, lm_id(t, ref), &o);
	graph_txn_abort(t);
	return rc;
}

static graph_provenance_report prov(const char *ref)
{
	graph_provenance_report r;
	int rc = prov_rc(&r, ref, 0, 0);
	ck_assert_msg(rc == 0, "provenance %s: %s", ref, trib_error_last());
	return r;
}

#define C_PUBLIC TRIBUTARY__V1__CLASSIFICATION__CLASSIFICATION_PUBLIC
#define C_INTERNAL TRIBUTARY__V1__CLASSIFICATION__CLASSIFICATION_INTERNAL
#define C_CONFIDENTIAL TRIBUTARY__V1__CLASSIFICATION__CLASSIFICATION_CONFIDENTIAL
#define C_RESTRICTED TRIBUTARY__V1__CLASSIFICATION__CLASSIFICATION_RESTRICTED

/* src/a (restricted, 365 d, erasure) and src/b (internal, 90 d) feed mid/c and mid/ok. */
static void governed(void)
{
	trib_product *a = fx_product("src", "a", "t");
	lm_gov(a, C_RESTRICTED, 365, 1, NULL);
	fx_put_ok(a);
	trib_product *b = fx_product("src", "b", "t");
	lm_gov(b, C_INTERNAL, 90, 0, NULL);
	fx_put_ok(b);
	trib_product *c = fx_product("mid", "c", "t");
	fx_input(c, "src/a", NULL, NULL);
	fx_input(c, "src/b", NULL, NULL);
	lm_gov(c, C_CONFIDENTIAL, 400, 0, NULL);
	fx_put_ok(c);
	trib_product *ok = fx_product("mid", "ok", "t");
	fx_input(ok, "src/a", NULL, NULL);
	fx_input(ok, "src/b", NULL, NULL);
	lm_gov(ok, C_RESTRICTED, 30, 1, NULL);
	fx_put_ok(ok);
	trib_product *d = fx_product("out", "d", "t");
	fx_input(d, "mid/c", NULL, NULL);
	lm_gov(d, C_INTERNAL, 0, 0, NULL);
	fx_put_ok(d);
}

START_TEST(classification_retention_and_erasure_compose_over_the_upstreams)
{
	governed();
	graph_provenance_report r = prov("mid/c");
	ck_assert_str_eq(r.root, "mid/c");
	ck_assert_str_eq(lm_nodes(r.upstream, r.nupstream), "src/a@1<mid/c, src/b@1<mid/c");
	ck_assert_str_eq(lm_strv(r.sources, r.nsources, ", "), "src/a, src/b");
	ck_assert_int_eq(r.effective_classification, C_RESTRICTED);
	ck_assert_str_eq(r.classification_from, "src/a");
	ck_assert_int_eq(r.min_retention_days, 90);
	ck_assert_str_eq(r.min_retention_from, "src/b");
	ck_assert_int_eq(r.erasure_required, 1);
	ck_assert_str_eq(lm_strv(r.erasure_from, r.nerasure, ", "), "src/a");
	ck_assert_str_eq(lm_violations(r.violations, r.nviolations),
			 "composition.classification<src/a, composition.retention<src/a, composition.retention<src/b, "
			 "composition.erasure<src/a");
	ck_assert_str_eq(r.violations[0].message, "mid/c is classified confidential but upstream src/a is restricted: "
						  "a derived product must be at least as restricted as every upstream");
	ck_assert_str_eq(r.violations[0].field_path, "governance.data_classification");
	ck_assert_str_eq(r.violations[1].message, "mid/c keeps data 400 days but upstream src/a allows only 365");
	ck_assert_str_eq(r.violations[3].field_path, "governance.gdpr_subject_to_erasure");
	ck_assert_str_eq(r.violations[3].severity, "error");
	ck_assert_int_eq(r.violations[3].rule, GRAPH_RULE_ERASURE);
	r = prov("mid/ok");
	ck_assert_uint_eq(r.nviolations, 0);
	ck_assert_int_eq(r.effective_classification, C_RESTRICTED);
}
END_TEST

START_TEST(constraints_are_transitive_and_unstated_retention_violates)
{
	governed();
	graph_provenance_report r = prov("out/d");
	ck_assert_str_eq(lm_nodes(r.upstream, r.nupstream), "mid/c@1<out/d, src/a@2<mid/c, src/b@2<mid/c");
	ck_assert_str_eq(lm_strv(r.sources, r.nsources, ", "), "src/a, src/b");
	ck_assert_str_eq(lm_violations(r.violations, r.nviolations),
			 "composition.classification<mid/c, composition.classification<src/a, "
			 "composition.retention<mid/c, composition.retention<src/a, composition.retention<src/b, "
			 "composition.erasure<src/a");
	ck_assert_str_eq(r.violations[2].message, "out/d states no retention_days but upstream mid/c allows only 400 days");
	/* a source product has nothing upstream */
	r = prov("src/a");
	ck_assert_uint_eq(r.nupstream, 0);
	ck_assert_uint_eq(r.nsources, 0);
	ck_assert_int_eq(r.effective_classification, 0);
	ck_assert_str_eq(r.classification_from, "");
	ck_assert_uint_eq(r.nviolations, 0);
}
END_TEST

/* src/a:out(id, email, phone), PII email and phone. */
static void pii_source(void)
{
	trib_product *a = fx_product("src", "a", "t");
	fx_output(a, "out", "id", "email", "phone", NULL);
	lm_gov(a, C_RESTRICTED, 0, 0, "email", "phone", NULL);
	fx_put_ok(a);
}

/* mid/b derives email_hash from a's email; declares it when `declare`. */
static void pii_hasher(int declare)
{
	trib_product *b = fx_product("mid", "b", "t");
	Tributary__V1__InputPort *in = fx_input(b, "src/a", "out", "id", "email", NULL);
	fx_mapping(in, "email_hash", "email", NULL);
	fx_output(b, "bo", "id", "email_hash", NULL);
	if (declare)
		lm_gov(b, C_RESTRICTED, 0, 0, "email_hash", NULL);
	else
		lm_gov(b, C_RESTRICTED, 0, 0, NULL);
	fx_put_ok(b);
	trib_product *c = fx_product("out", "c", "t");
	fx_input(c, "mid/b", NULL, "email_hash", NULL);
	fx_output(c, "co", "email_hash", NULL);
	lm_gov(c, C_RESTRICTED, 0, 0, NULL);
	fx_put_ok(c);
}

START_TEST(pii_propagates_along_field_lineage_to_derived_fields)
{
	pii_source();
	pii_hasher(0);
	graph_provenance_report r = prov("mid/b");
	ck_assert_str_eq(lm_pii(r.pii, r.npii), "mid/b#email_hash<src/a#email!");
	ck_assert_str_eq(lm_violations(r.violations, r.nviolations), "composition.pii-undeclared<src/a");
	ck_assert_str_eq(r.violations[0].message, "'email_hash' carries PII declared at src/a#email but mid/b does "
						  "not list it in governance.pii_fields");
	ck_assert_str_eq(r.violations[0].field_path, "governance.pii_fields");
	/* two hops on, through b which failed to declare it: the origin is still a's email */
	r = prov("out/c");
	ck_assert_str_eq(lm_pii(r.pii, r.npii), "out/c#email_hash<src/a#email!");
	ck_assert_str_eq(lm_violations(r.violations, r.nviolations), "composition.pii-undeclared<src/a");
}
END_TEST

START_TEST(pii_origin_is_the_nearest_declaration)
{
	pii_source();
	pii_hasher(1);
	graph_provenance_report r = prov("mid/b");
	ck_assert_str_eq(lm_pii(r.pii, r.npii), "mid/b#email_hash<src/a#email");
	ck_assert_uint_eq(r.nviolations, 0);
	r = prov("out/c");
	ck_assert_str_eq(lm_pii(r.pii, r.npii), "out/c#email_hash<mid/b#email_hash!");
	ck_assert_str_eq(lm_violations(r.violations, r.nviolations), "composition.pii-undeclared<mid/b");
}
END_TEST

START_TEST(reading_pii_without_carrying_it_still_needs_a_declaration)
{
	pii_source();
	trib_product *d = fx_product("mid", "d", "t");
	fx_input(d, "src/a", NULL, "id", "phone", NULL); /* aggregates; outputs nothing named phone */
	lm_gov(d, C_RESTRICTED, 0, 0, NULL);
	fx_put_ok(d);
	graph_provenance_report r = prov("mid/d");
	ck_assert_str_eq(lm_pii(r.pii, r.npii), "mid/d#phone<src/a#phone!");
	ck_assert_str_eq(lm_violations(r.violations, r.nviolations), "composition.pii-undeclared<src/a");
	trib_product *d2 = fx_product("mid", "d2", "t");
	fx_input(d2, "src/a", NULL, "id", "phone", NULL);
	lm_gov(d2, C_RESTRICTED, 0, 0, "phone", NULL);
	fx_put_ok(d2);
	r = prov("mid/d2");
	ck_assert_str_eq(lm_pii(r.pii, r.npii), "mid/d2#phone<src/a#phone");
	ck_assert_uint_eq(r.nviolations, 0);
}
END_TEST

START_TEST(reading_a_whole_product_receives_all_its_pii)
{
	pii_source();
	trib_product *e = fx_product("mid", "e", "t");
	fx_input(e, "src/a", NULL, NULL);
	fx_output(e, "eo", "email", NULL);
	lm_gov(e, C_RESTRICTED, 0, 0, "email", NULL);
	fx_put_ok(e);
	graph_provenance_report r = prov("mid/e");
	ck_assert_str_eq(lm_pii(r.pii, r.npii), "mid/e#email<src/a#email, mid/e#phone<src/a#phone!");
	ck_assert_str_eq(lm_violations(r.violations, r.nviolations), "composition.pii-undeclared<src/a");
	/* h reads e's email by name; e got it by a whole read: same-name pass-through finds a */
	trib_product *h = fx_product("out", "h", "t");
	fx_input(h, "mid/e", NULL, "email", NULL);
	fx_put_ok(h);
	r = prov("out/h");
	ck_assert_str_eq(lm_pii(r.pii, r.npii), "out/h#email<mid/e#email!");
}
END_TEST

START_TEST(pii_through_an_undeclaring_whole_reader_reaches_the_origin)
{
	pii_source();
	trib_product *g = fx_product("mid", "g", "t");
	fx_input(g, "src/a", "out", NULL);
	fx_output(g, "go", "email", NULL);
	fx_put_ok(g);
	trib_product *h = fx_product("out", "h", "t");
	fx_input(h, "mid/g", NULL, "email", NULL);
	fx_put_ok(h);
	graph_provenance_report r = prov("out/h");
	ck_assert_str_eq(lm_pii(r.pii, r.npii), "out/h#email<src/a#email!");
}
END_TEST

START_TEST(a_declared_record_covers_its_nested_fields)
{
	trib_product *n = fx_product("src", "n", "t");
	fx_output(n, "out", "payload.email", "payload.id", "kind", NULL);
	lm_gov(n, C_RESTRICTED, 0, 0, "payload", NULL);
	fx_put_ok(n);
	trib_product *x = fx_product("mid", "x", "t");
	fx_input(x, "src/n", NULL, "payload.email", "kind", NULL);
	fx_output(x, "xo", "payload.email", "kind", NULL);
	lm_gov(x, C_RESTRICTED, 0, 0, "payload", NULL);
	fx_put_ok(x);
	graph_provenance_report r = prov("mid/x");
	ck_assert_str_eq(lm_pii(r.pii, r.npii), "mid/x#payload.email<src/n#payload.email");
	ck_assert_uint_eq(r.nviolations, 0);
}
END_TEST

/* src/a: 1 hour. src/s: ports stream (5 min) and batch (daily), no product SLA. */
static void sla_mesh(void)
{
	trib_product *a = fx_product("src", "a", "t");
	lm_sla(a, 3600, "< 1 hour");
	fx_put_ok(a);
	trib_product *s = fx_product("src", "s", "t");
	lm_port_sla(fx_output(s, "stream", "k", NULL), 300, "< 5 minutes");
	lm_port_sla(fx_output(s, "batch", "k", NULL), 86400, "daily");
	fx_put_ok(s);
}

static void consumer(const char *domain, const char *name, const char *src, const char *port, int64_t fresh)
{
	trib_product *p = fx_product(domain, name, "t");
	fx_input(p, src, port, NULL);
	if (fresh)
		lm_sla(p, fresh, "stated");
	fx_put_ok(p);
}

START_TEST(freshness_chain_and_infeasible_upstreams)
{
	sla_mesh();
	consumer("mid", "b", "src/a", NULL, 300);
	consumer("mid", "c", "src/s", "batch", 3600);
	consumer("mid", "d", "src/s", "stream", 600);
	consumer("mid", "e", "src/s", NULL, 600);
	consumer("mid", "f", "src/a", NULL, 0);
	graph_provenance_report r = prov("mid/b");
	ck_assert_str_eq(lm_freshness(r.freshness, r.nfreshness), "mid/b=300, src/a=3600!");
	ck_assert_str_eq(lm_violations(r.violations, r.nviolations), "freshness.infeasible<src/a");
	ck_assert_str_eq(r.violations[0].message,
			 "mid/b promises data within 300 s (stated) but upstream src/a is only fresh within 3600 s (< 1 hour)");
	ck_assert_str_eq(r.violations[0].field_path, "sla.freshness");
	/* the port read decides */
	r = prov("mid/c");
	ck_assert_str_eq(lm_freshness(r.freshness, r.nfreshness), "mid/c=3600, src/s=86400!");
	r = prov("mid/d");
	ck_assert_str_eq(lm_freshness(r.freshness, r.nfreshness), "mid/d=600, src/s=300");
	ck_assert_uint_eq(r.nviolations, 0);
	/* a whole read gets the product's best */
	r = prov("mid/e");
	ck_assert_str_eq(lm_freshness(r.freshness, r.nfreshness), "mid/e=600, src/s=300");
	/* nothing promised, nothing infeasible */
	r = prov("mid/f");
	ck_assert_str_eq(lm_freshness(r.freshness, r.nfreshness), "mid/f=0, src/a=3600");
	ck_assert_uint_eq(r.nviolations, 0);
	/* transitive: g reads b (5 min) which reads a (1 hour) */
	consumer("out", "g", "mid/b", NULL, 600);
	r = prov("out/g");
	ck_assert_str_eq(lm_freshness(r.freshness, r.nfreshness), "out/g=600, mid/b=300, src/a=3600!");
	ck_assert_str_eq(lm_violations(r.violations, r.nviolations), "freshness.infeasible<src/a");
}
END_TEST

START_TEST(own_freshness_falls_back_to_the_strictest_port)
{
	sla_mesh();
	trib_product *p = fx_product("mid", "p", "t");
	fx_input(p, "src/a", NULL, NULL);
	lm_port_sla(fx_output(p, "fast", "k", NULL), 120, "< 2 minutes");
	lm_port_sla(fx_output(p, "slow", "k", NULL), 7200, "< 2 hours");
	fx_put_ok(p);
	graph_provenance_report r = prov("mid/p");
	ck_assert_str_eq(lm_freshness(r.freshness, r.nfreshness), "mid/p=120, src/a=3600!");
	ck_assert_str_eq(r.freshness[0].freshness, "< 2 minutes");
}
END_TEST

START_TEST(sources_include_external_sources_and_placeholders)
{
	trib_product *a = fx_product("mid", "a", "t");
	Tributary__V1__InputPort *in = fx_input(a, "orders-db", NULL, NULL);
	in->source_type = "postgres-cdc";
	fx_input(a, "x/ghost", NULL, NULL);
	fx_put_ok(a);
	trib_product *b = fx_product("mid", "b", "t");
	fx_input(b, "mid/a", NULL, NULL);
	fx_put_ok(b);
	graph_provenance_report r = prov("mid/b");
	ck_assert_str_eq(lm_nodes(r.upstream, r.nupstream),
			 "mid/a@1<mid/b, source:orders-db@2<mid/a, x/ghost@2<mid/a (placeholder)");
	ck_assert_str_eq(lm_strv(r.sources, r.nsources, ", "), "source:orders-db, x/ghost");
	ck_assert_int_eq(r.upstream[1].kind, TRIB_KIND_SOURCE);
	ck_assert_uint_eq(r.nviolations, 0);
}
END_TEST

START_TEST(policy_engine_use_inside_the_registering_write_transaction)
{
	governed();
	graph_txn *t;
	ck_assert_int_eq(graph_write_begin(&t, fx_store), 0);
	trib_product *z = fx_product("out", "z", "t");
	fx_input(z, "src/a", NULL, NULL);
	lm_gov(z, C_PUBLIC, 365, 1, NULL);
	graph_put_opts po = GRAPH_PUT_OPTS_INIT;
	graph_put_result put;
	ck_assert_int_eq(graph_product_put(&put, t, &fx_arena, z, &po), 0);
	graph_provenance_opts o = GRAPH_PROVENANCE_OPTS_INIT;
	graph_provenance_report r;
	ck_assert_int_eq(graph_lineage_provenance(&r, t, &fx_arena, put.id, &o), 0);
	ck_assert_str_eq(lm_violations(r.violations, r.nviolations), "composition.classification<src/a");
	ck_assert_str_eq(r.violations[0].rule_id, graph_lineage_rule_id(GRAPH_RULE_CLASSIFICATION));
	graph_txn_abort(t); /* refused: nothing stays */
	ck_assert_uint_eq(fx_id("out/z"), 0);
}
END_TEST

START_TEST(limits_fail_rather_than_answer_partly)
{
	lm_chain("chain", 60);
	graph_provenance_report r;
	ck_assert_int_eq(prov_rc(&r, "chain/p59", 0, 10), TRIB_ELIMIT);
	ck_assert_ptr_nonnull(strstr(trib_error_last(), "provenance of chain/p59: more than max_nodes=10 upstream nodes"));
	/* a depth limit is a question, not a cut */
	ck_assert_int_eq(prov_rc(&r, "chain/p59", 5, 0), 0);
	ck_assert_uint_eq(r.nupstream, 5);
	ck_assert_str_eq(r.upstream[4].ref, "chain/p54");
	ck_assert_uint_eq(r.nsources, 0); /* p54 has an upstream: not a source */
	ck_assert_int_eq(prov_rc(&r, "chain/p59", 0, 59), 0);
	ck_assert_uint_eq(r.nupstream, 59);
	graph_txn *t = lm_read();
	graph_provenance_opts o = GRAPH_PROVENANCE_OPTS_INIT;
	ck_assert_int_eq(graph_lineage_provenance(&r, t, &fx_arena, lm_id(t, "t"), &o), TRIB_EINVALID);
	graph_txn_abort(t);
}
END_TEST

START_TEST(deep_chain_reaches_its_source)
{
	lm_chain("chain", 1200);
	graph_provenance_report r = prov("chain/p1199");
	ck_assert_uint_eq(r.nupstream, 1199);
	ck_assert_str_eq(lm_strv(r.sources, r.nsources, ", "), "chain/p0");
	ck_assert_uint_eq(r.upstream[1198].depth, 1199);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("provenance");
	TCase *tc = lm_tcase(s, "graph");
	tcase_add_test(tc, classification_retention_and_erasure_compose_over_the_upstreams);
	tcase_add_test(tc, constraints_are_transitive_and_unstated_retention_violates);
	tcase_add_test(tc, pii_propagates_along_field_lineage_to_derived_fields);
	tcase_add_test(tc, pii_origin_is_the_nearest_declaration);
	tcase_add_test(tc, reading_pii_without_carrying_it_still_needs_a_declaration);
	tcase_add_test(tc, reading_a_whole_product_receives_all_its_pii);
	tcase_add_test(tc, pii_through_an_undeclaring_whole_reader_reaches_the_origin);
	tcase_add_test(tc, a_declared_record_covers_its_nested_fields);
	tcase_add_test(tc, freshness_chain_and_infeasible_upstreams);
	tcase_add_test(tc, own_freshness_falls_back_to_the_strictest_port);
	tcase_add_test(tc, sources_include_external_sources_and_placeholders);
	tcase_add_test(tc, policy_engine_use_inside_the_registering_write_transaction);
	tcase_add_test(tc, limits_fail_rather_than_answer_partly);
	tcase_add_test(tc, deep_chain_reaches_its_source);
	return s;
}

int main(void)
{
	return lm_run(suite());
}
