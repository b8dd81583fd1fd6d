/*
 * Provenance over upstream records that carry everything a record can —
 * schemas on ports with SLAs, descriptions, tags, quality checks, an access
 * policy — and over a re-registered upstream. Pins the answers a cheaper
 * reading of upstream records (governance, SLAs, ports only) must keep.
 */
#include "../../graph/store.h"
#include "test_lineage_mesh.h"

#define C_INTERNAL TRIBUTARY__V1__CLASSIFICATION__CLASSIFICATION_INTERNAL
#define C_CONFIDENTIAL TRIBUTARY__V1__CLASSIFICATION__CLASSIFICATION_CONFIDENTIAL

static graph_provenance_report prov(const char *ref)
{
	graph_txn *t = lm_read();
	graph_provenance_opts o = GRAPH_PROVENANCE_OPTS_INIT;
	graph_provenance_report r;
	int rc = graph_lineage_provenance(&r, t, &fx_arena, lm_id(t, ref), &o);
	graph_txn_abort(t);
	ck_assert_msg(rc == 0, "provenance %s: %s", ref, trib_error_last());
	return r;
}

static void dress(trib_product *p, Tributary__V1__OutputPort *o, const char *text)
{
	p->description = trib_arena_strdup(&fx_arena, text);
	p->version = "2.1.0";
	fx_tag(p, "finance");
	Tributary__V1__QualityCheck *q = trib_arena_alloc(&fx_arena, sizeof *q);
	Tributary__V1__QualityCheck **qs = trib_arena_alloc(&fx_arena, sizeof *qs);
	ck_assert(q && qs);
	tributary__v1__quality_check__init(q);
	q->rule = "row_count > 0";
	q->severity = "warning";
	qs[0] = q;
	p->quality_checks = qs;
	p->n_quality_checks = 1;
	o->description = trib_arena_strdup(&fx_arena, text);
	o->format = "parquet";
	o->location = "s3://bucket/path";
	o->schema_ref = "schemas/u.avsc";
}

/* src/u: two ports with schemas and SLAs, full governance; mid/m reads port
 * slow field by field, mid/w reads src/u whole, out/z reads mid/m. */
static void mesh(void)
{
	trib_product *u = fx_product("src", "u", "t");
	Tributary__V1__OutputPort *fast = fx_output(u, "fast", "id", "email", "phone", NULL);
	lm_port_sla(fast, 300, "< 5 minutes");
	Tributary__V1__OutputPort *slow = fx_output(u, "slow", "id", "email", NULL);
	lm_port_sla(slow, 7200, "< 2 hours");
	dress(u, fast, "fast port");
	lm_gov(u, C_CONFIDENTIAL, 30, 1, "email", "phone", NULL);
	u->governance->access_policy = "need-to-know";
	fx_put_ok(u);

	trib_product *m = fx_product("mid", "m", "t");
	Tributary__V1__InputPort *in = fx_input(m, "src/u", "slow", "id", "email", NULL);
	fx_mapping(in, "email_out", "email", NULL);
	Tributary__V1__OutputPort *mo = fx_output(m, "mo", "id", "email_out", NULL);
	lm_port_sla(mo, 900, "< 15 minutes");
	dress(m, mo, "derived");
	lm_sla(m, 600, "< 10 minutes");
	lm_gov(m, C_INTERNAL, 365, 0, NULL);
	fx_put_ok(m);

	trib_product *w = fx_product("mid", "w", "t");
	fx_input(w, "src/u", NULL, NULL);
	fx_output(w, "wo", "id", NULL);
	lm_sla(w, 600, "< 10 minutes");
	lm_gov(w, C_CONFIDENTIAL, 30, 1, "email", "phone", NULL);
	fx_put_ok(w);

	trib_product *z = fx_product("out", "z", "t");
	fx_input(z, "mid/m", "mo", NULL);
	lm_sla(z, 3600, "< 1 hour");
	lm_gov(z, C_CONFIDENTIAL, 30, 1, NULL);
	fx_put_ok(z);
}

START_TEST(upstreams_with_schemas_and_extras_compose_as_their_whole_records)
{
	mesh();
	graph_provenance_report r = prov("mid/m");
	ck_assert_str_eq(lm_nodes(r.upstream, r.nupstream), "src/u@1<mid/m");
	ck_assert_int_eq(r.effective_classification, C_CONFIDENTIAL);
	ck_assert_str_eq(r.classification_from, "src/u");
	ck_assert_int_eq(r.min_retention_days, 30);
	ck_assert_str_eq(r.min_retention_from, "src/u");
	ck_assert_int_eq(r.erasure_required, 1);
	ck_assert_str_eq(lm_strv(r.erasure_from, r.nerasure, ", "), "src/u");
	/* the port read decides freshness: slow's 2 hours, with its text */
	ck_assert_str_eq(lm_freshness(r.freshness, r.nfreshness), "mid/m=600, src/u=7200!");
	ck_assert_str_eq(r.freshness[1].freshness, "< 2 hours");
	/* PII declared on the upstream's port schema arrives under the mapping */
	ck_assert_str_eq(lm_pii(r.pii, r.npii), "mid/m#email_out<src/u#email!");
	ck_assert_str_eq(lm_violations(r.violations, r.nviolations),
			 "composition.classification<src/u, composition.retention<src/u, "
			 "composition.pii-undeclared<src/u, composition.erasure<src/u, freshness.infeasible<src/u");

	/* a whole read gets the strictest port and every declared field */
	r = prov("mid/w");
	ck_assert_str_eq(lm_freshness(r.freshness, r.nfreshness), "mid/w=600, src/u=300");
	ck_assert_str_eq(r.freshness[1].freshness, "< 5 minutes");
	ck_assert_uint_eq(r.nviolations, 0);

	/* two hops: mid/m is read at its port mo (15 minutes), src/u through m's input */
	r = prov("out/z");
	ck_assert_str_eq(lm_nodes(r.upstream, r.nupstream), "mid/m@1<out/z, src/u@2<mid/m");
	ck_assert_str_eq(lm_freshness(r.freshness, r.nfreshness), "out/z=3600, mid/m=900, src/u=7200!");
	ck_assert_str_eq(r.freshness[1].freshness, "< 15 minutes");
	/* z reads mo whole, so email_out's PII (from src/u) arrives undeclared */
	ck_assert_str_eq(lm_pii(r.pii, r.npii), "out/z#email_out<src/u#email!");
	ck_assert_str_eq(lm_violations(r.violations, r.nviolations),
			 "composition.pii-undeclared<src/u, freshness.infeasible<src/u");
}
END_TEST

START_TEST(re_registration_changes_the_composed_answer)
{
	mesh();
	/* src/u re-registered: public, no erasure, the slow port now fast enough */
	trib_product *u = fx_product("src", "u", "t");
	Tributary__V1__OutputPort *slow = fx_output(u, "slow", "id", "email", NULL);
	lm_port_sla(slow, 60, "< 1 minute");
	dress(u, slow, "rewritten");
	lm_gov(u, C_INTERNAL, 0, 0, NULL);
	fx_put_ok(u);
	graph_provenance_report r = prov("mid/m");
	ck_assert_int_eq(r.effective_classification, C_INTERNAL);
	ck_assert_int_eq(r.min_retention_days, 0);
	ck_assert_int_eq(r.erasure_required, 0);
	ck_assert_uint_eq(r.npii, 0);
	ck_assert_str_eq(lm_freshness(r.freshness, r.nfreshness), "mid/m=600, src/u=60");
	ck_assert_uint_eq(r.nviolations, 0);
}
END_TEST

/* Upstreams are described as their nodes say: registered, re-registered under
 * another owner, deprecated, placeholder, external source. */
START_TEST(upstreams_are_described_as_their_nodes)
{
	mesh();
	trib_product *u = fx_product("src", "u", "new-owners");
	fx_output(u, "slow", "id", "email", NULL);
	fx_put_ok(u);
	trib_product *d = fx_product("src", "old", "t-old");
	fx_output(d, "out", "id", NULL);
	fx_put_ok(d);
	trib_product *z = fx_product("top", "z", "t-top");
	fx_input(z, "mid/m", NULL, NULL);
	fx_input(z, "src/old", NULL, NULL);
	fx_input(z, "nowhere/ghost", NULL, NULL);
	fx_input(z, "source:orders-db", NULL, NULL);
	fx_put_ok(z);
	graph_txn *t;
	ck_assert_int_eq(graph_write_begin(&t, fx_store), 0);
	trib_product *dep;
	ck_assert_int_eq(graph_product_deprecate(&dep, t, &fx_arena, lm_id(t, "src/old"), "use src/u", "src/u", NULL), 0);
	ck_assert_int_eq(graph_txn_commit(t), 0);

	graph_provenance_report r = prov("top/z");
	ck_assert_uint_eq(r.nupstream, 5); /* mid/m, src/old, nowhere/ghost, source:orders-db, src/u */
	t = lm_read();
	for (size_t i = 0; i < r.nupstream; i++) {
		const graph_lineage_node *got = &r.upstream[i];
		graph_node want;
		ck_assert_int_eq(graph_node_get(&want, t, &fx_arena, got->id), 0);
		ck_assert_str_eq(got->ref, want.ref);
		ck_assert_int_eq(got->kind, want.kind);
		ck_assert_str_eq(got->owner, want.owner);
		ck_assert_str_eq(got->domain, want.domain);
		ck_assert_int_eq(got->placeholder, want.placeholder);
		ck_assert_int_eq(got->deprecated, want.deprecated);
	}
	graph_txn_abort(t);
	ck_assert_str_eq(lm_nodes(r.upstream, r.nupstream), "mid/m@1<top/z, src/old@1<top/z, nowhere/ghost@1<top/z (placeholder), "
							 "source:orders-db@1<top/z, src/u@2<mid/m");
}
END_TEST

/* More ports, inputs and fields than a record's arrays start with. */
START_TEST(wide_records_are_read_whole)
{
	trib_product *v = fx_product("src", "v", "t");
	static const char *ports[] = {"p1", "p2", "p3", "p4"};
	for (size_t i = 0; i < 4; i++)
		lm_port_sla(fx_output(v, ports[i], "k", NULL), 60, "< 1 minute");
	lm_port_sla(fx_output(v, "p5", "k", "f1", "f2", "f3", "f4", "secret", NULL), 7200, "< 2 hours");
	lm_gov(v, C_CONFIDENTIAL, 0, 0, "secret", NULL);
	fx_put_ok(v);

	/* k reads p5 by five fields (not secret), and p1..p4 by one each */
	trib_product *k = fx_product("mid", "k", "t");
	fx_input(k, "src/v", "p5", "k", "f1", "f2", "f3", "f4", NULL);
	for (size_t i = 0; i < 4; i++)
		fx_input(k, "src/v", ports[i], "k", NULL);
	fx_output(k, "ko", "k", "secret", NULL);
	lm_gov(k, C_CONFIDENTIAL, 0, 0, NULL);
	fx_put_ok(k);
	trib_product *y = fx_product("out", "y", "t");
	fx_input(y, "mid/k", NULL, NULL);
	lm_sla(y, 3600, "< 1 hour");
	lm_gov(y, C_CONFIDENTIAL, 0, 0, NULL);
	fx_put_ok(y);

	graph_provenance_report r = prov("out/y");
	ck_assert_str_eq(lm_nodes(r.upstream, r.nupstream), "mid/k@1<out/y, src/v@2<mid/k");
	/* the fastest of the five ports k reads */
	ck_assert_str_eq(lm_freshness(r.freshness, r.nfreshness), "out/y=3600, src/v=60");
	/* k's own secret is not src/v's: k reads src/v by field lists, none of them whole */
	ck_assert_uint_eq(r.npii, 0);
	ck_assert_uint_eq(r.nviolations, 0);

	/* read whole, src/v's secret reaches y through k */
	k = fx_product("mid", "k", "t");
	fx_input(k, "src/v", "p5", NULL);
	fx_output(k, "ko", "k", "secret", NULL);
	lm_gov(k, C_CONFIDENTIAL, 0, 0, NULL);
	fx_put_ok(k);
	r = prov("out/y");
	ck_assert_str_eq(lm_freshness(r.freshness, r.nfreshness), "out/y=3600, src/v=7200!");
	ck_assert_str_eq(r.freshness[1].freshness, "< 2 hours");
	ck_assert_str_eq(lm_pii(r.pii, r.npii), "out/y#secret<src/v#secret!");
}
END_TEST

/* Store bytes as the record of ref; *old (malloc'd, may be NULL) gets the record it replaces. */
static void put_record(const char *ref, const void *bytes, size_t n, MDB_val *old)
{
	graph_txn *t;
	ck_assert_int_eq(graph_write_begin(&t, fx_store), 0);
	uint64_t id = lm_id(t, ref);
	MDB_val k = gstore_u64_val(&id), v, d = {n, (void *)bytes};
	if (old) {
		ck_assert_int_eq(mdb_get(t->txn, fx_store->products, &k, &v), 0);
		ck_assert_ptr_nonnull(old->mv_data = malloc(v.mv_size));
		memcpy(old->mv_data, v.mv_data, v.mv_size);
		old->mv_size = v.mv_size;
	}
	ck_assert_int_eq(mdb_put(t->txn, fx_store->products, &k, &d, 0), 0);
	ck_assert_int_eq(graph_txn_commit(t), 0);
}

START_TEST(a_damaged_upstream_record_is_corruption_not_an_answer)
{
	mesh();
	static const struct {
		const char *bytes;
		size_t n;
	} bad[] = {
		{"\x0a\x7f" "ab", 4},            /* name: a length running past the end */
		{"\x0a\x01" "a" "\xff\xff", 5},  /* a tag that never ends */
		{"\x5a\x02\x10\xff", 4},         /* sla: freshness_seconds that never ends */
		{"\x62\x03\xff\xff\xff", 5},     /* governance: bytes that are no message */
		{"\x48\x01", 2},                 /* an input port that is a number */
		{"\x42\x02\x0a\x05", 4},         /* an output port's name past the port's end */
		{"\x4a\x02\x22\x09", 4},         /* an input port's field past the port's end */
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		MDB_val old;
		put_record("src/u", bad[i].bytes, bad[i].n, &old);
		graph_txn *t = lm_read();
		graph_provenance_opts o = GRAPH_PROVENANCE_OPTS_INIT;
		graph_provenance_report r;
		ck_assert_int_eq(graph_lineage_provenance(&r, t, &fx_arena, lm_id(t, "out/z"), &o), TRIB_ECORRUPT);
		ck_assert_msg(strstr(trib_error_last(), "product record"), "case %zu: %s", i, trib_error_last());
		graph_txn_abort(t);
		put_record("src/u", old.mv_data, old.mv_size, NULL);
		free(old.mv_data);
	}
	/* restored, the same answer as before */
	graph_provenance_report r = prov("out/z");
	ck_assert_str_eq(lm_freshness(r.freshness, r.nfreshness), "out/z=3600, mid/m=900, src/u=7200!");
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("provenance_lean");
	TCase *tc = lm_tcase(s, "graph");
	tcase_add_test(tc, upstreams_with_schemas_and_extras_compose_as_their_whole_records);
	tcase_add_test(tc, re_registration_changes_the_composed_answer);
	tcase_add_test(tc, upstreams_are_described_as_their_nodes);
	tcase_add_test(tc, wide_records_are_read_whole);
	tcase_add_test(tc, a_damaged_upstream_record_is_corruption_not_an_answer);
	return s;
}

int main(void)
{
	return lm_run(suite());
}
