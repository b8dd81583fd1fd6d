/* Impact analysis (graph/lineage_impact.c): product, port and field roots, counts, limits. */
#include <time.h>

#include "test_lineage_mesh.h"

static graph_impact_report run(const char *ref, const graph_impact_opts *o)
{
	graph_txn *t = lm_read();
	graph_impact_report r;
	int rc = graph_lineage_impact(&r, t, &fx_arena, lm_id(t, ref), o);
	graph_txn_abort(t);
	ck_assert_msg(rc == 0, "impact %s: %s", ref, trib_error_last());
	return r;
}

static graph_impact_report impact(const char *ref)
{
	graph_impact_opts o = GRAPH_IMPACT_OPTS_INIT;
	return run(ref, &o);
}

/*
 * a:out(x, y), a:alt(z)
 *   b reads a:out [x]            (outputs x: pass-through a#x -> b#x)
 *   c reads a:alt whole
 *   d reads a whole, no port
 *   e reads b [x]                (outputs x: b#x -> e#x)
 *   f reads a:out [y], mapping y_hash <- y
 *   g reads e whole
 */
static void mesh(void)
{
	trib_product *a = fx_product("src", "a", "team-a");
	fx_output(a, "out", "x", "y", NULL);
	fx_output(a, "alt", "z", NULL);
	fx_put_ok(a);
	trib_product *b = fx_product("mid", "b", "team-b");
	fx_input(b, "src/a", "out", "x", NULL);
	fx_output(b, "bo", "x", NULL);
	fx_put_ok(b);
	trib_product *c = fx_product("mid", "c", "team-b");
	fx_input(c, "src/a", "alt", NULL);
	fx_put_ok(c);
	trib_product *d = fx_product("mid", "d", "team-d");
	fx_input(d, "src/a", NULL, NULL);
	fx_put_ok(d);
	trib_product *e = fx_product("out", "e", "team-e");
	fx_input(e, "mid/b", NULL, "x", NULL);
	fx_output(e, "eo", "x", NULL);
	fx_put_ok(e);
	trib_product *f = fx_product("out", "f", "team-e");
	Tributary__V1__InputPort *in = fx_input(f, "src/a", "out", "y", NULL);
	fx_mapping(in, "y_hash", "y", NULL);
	fx_output(f, "fo", "y_hash", NULL);
	fx_put_ok(f);
	trib_product *g = fx_product("out", "g", "team-g");
	fx_input(g, "out/e", NULL, NULL);
	fx_put_ok(g);
}

START_TEST(product_root_lists_every_downstream_product_with_path_and_fields)
{
	mesh();
	graph_impact_report r = impact("src/a");
	ck_assert_str_eq(r.root, "src/a");
	ck_assert_str_eq(lm_affected(&r), "mid/b@1 [src/a > mid/b] {src/a#x}; "
					  "mid/c@1 [src/a > mid/c] {}; "
					  "mid/d@1 [src/a > mid/d] {}; "
					  "out/f@1 [src/a > out/f] {src/a#y}; "
					  "out/e@2 [src/a > mid/b > out/e] {mid/b#x}; "
					  "out/g@3 [src/a > mid/b > out/e > out/g] {}");
	ck_assert_uint_eq(r.total, 6);
	ck_assert_int_eq(r.truncated, 0);
	ck_assert_str_eq(lm_counts(r.by_owner, r.nowners), "team-b=2, team-e=2, team-d=1, team-g=1");
	ck_assert_str_eq(lm_counts(r.by_domain, r.ndomains), "mid=3, out=3");
	ck_assert_str_eq(r.affected[0].owner, "team-b");
	ck_assert_str_eq(r.affected[0].domain, "mid");
}
END_TEST

START_TEST(port_root_takes_readers_of_that_port_and_of_the_whole_product)
{
	mesh();
	graph_impact_report r = impact("src/a:out");
	/* c reads only a:alt: not affected */
	ck_assert_str_eq(lm_affected(&r), "mid/b@1 [src/a:out > mid/b] {src/a#x}; "
					  "out/f@1 [src/a:out > out/f] {src/a#y}; "
					  "mid/d@1 [src/a:out > mid/d] {}; "
					  "out/e@2 [src/a:out > mid/b > out/e] {mid/b#x}; "
					  "out/g@3 [src/a:out > mid/b > out/e > out/g] {}");
	r = impact("src/a:alt");
	ck_assert_str_eq(lm_affected(&r), "mid/c@1 [src/a:alt > mid/c] {}; mid/d@1 [src/a:alt > mid/d] {}");
}
END_TEST

START_TEST(port_root_reads_records_when_a_consumer_names_another_port_and_none)
{
	mesh();
	/* h reads a:alt and, in a second input, the whole of a */
	trib_product *h = fx_product("mid", "h", "team-h");
	fx_input(h, "src/a", "alt", NULL);
	fx_input(h, "a", NULL, NULL); /* a bare name resolves too */
	fx_put_ok(h);
	/* i reads only a:alt */
	trib_product *i = fx_product("mid", "i", "team-h");
	fx_input(i, "src/a", "alt", "z", NULL);
	fx_put_ok(i);
	graph_impact_report r = impact("src/a:out");
	ck_assert_ptr_nonnull(strstr(lm_affected(&r), "mid/h@1 [src/a:out > mid/h] {}"));
	ck_assert_ptr_null(strstr(lm_affected(&r), "mid/i"));
	ck_assert_uint_eq(r.total, 6);
}
END_TEST

START_TEST(field_root_follows_only_field_lineage)
{
	mesh();
	graph_impact_report r = impact("src/a#x");
	/* b reads x and passes it on; e reads b#x. d reads a whole and g reads e
	 * whole: neither names the field, so neither is counted. */
	ck_assert_str_eq(lm_affected(&r), "mid/b@1 [src/a#x > mid/b] {mid/b#x,src/a#x}; "
					  "out/e@2 [src/a#x > mid/b#x > out/e] {mid/b#x,out/e#x}");
	ck_assert_str_eq(lm_counts(r.by_owner, r.nowners), "team-b=1, team-e=1");
	r = impact("src/a:out#y");
	ck_assert_str_eq(r.root, "src/a#y");
	ck_assert_str_eq(lm_affected(&r), "out/f@1 [src/a#y > out/f] {out/f#y_hash,src/a#y}");
	r = impact("src/a#z"); /* c reads a:alt whole: no field reader */
	ck_assert_uint_eq(r.total, 0);
	ck_assert_uint_eq(r.nowners, 0);
}
END_TEST

START_TEST(summary_only_counts_without_records)
{
	mesh();
	graph_impact_opts o = GRAPH_IMPACT_OPTS_INIT;
	o.summary_only = 1;
	graph_impact_report r = run("src/a", &o);
	ck_assert_uint_eq(r.count, 0);
	ck_assert_ptr_null(r.affected);
	ck_assert_uint_eq(r.total, 6);
	ck_assert_str_eq(lm_counts(r.by_owner, r.nowners), "team-b=2, team-e=2, team-d=1, team-g=1");
	ck_assert_str_eq(lm_counts(r.by_domain, r.ndomains), "mid=3, out=3");
	r = run("src/a#x", &o);
	ck_assert_uint_eq(r.total, 2);
	ck_assert_str_eq(lm_counts(r.by_domain, r.ndomains), "mid=1, out=1");
}
END_TEST

START_TEST(depth_and_node_limits)
{
	mesh();
	graph_impact_opts o = GRAPH_IMPACT_OPTS_INIT;
	o.max_depth = 1;
	graph_impact_report r = run("src/a", &o);
	ck_assert_uint_eq(r.total, 4);
	ck_assert_int_eq(r.truncated, 0);
	r = run("src/a:out", &o);
	ck_assert_uint_eq(r.total, 3);
	o.max_depth = 0;
	o.max_nodes = 3; /* root + 2 */
	r = run("src/a", &o);
	ck_assert_uint_eq(r.total, 2);
	ck_assert_int_eq(r.truncated, 1);
	ck_assert_str_eq(lm_affected(&r), "mid/b@1 [src/a > mid/b] {src/a#x}; mid/c@1 [src/a > mid/c] {}");
	/* the cut walk never expanded c: its owner comes from its node record */
	ck_assert_str_eq(lm_counts(r.by_owner, r.nowners), "team-b=2");
	o.summary_only = 1;
	r = run("src/a", &o);
	ck_assert_str_eq(lm_counts(r.by_domain, r.ndomains), "mid=2");
}
END_TEST

START_TEST(cycles_and_diamonds_count_each_product_once)
{
	trib_product *a = fx_product("d", "a", "t");
	fx_input(a, "d/c", NULL, NULL);
	fx_put_ok(a);
	trib_product *b = fx_product("d", "b", "t");
	fx_input(b, "d/a", NULL, NULL);
	fx_put_ok(b);
	trib_product *c = fx_product("d", "c", "t");
	fx_input(c, "d/b", NULL, NULL);
	fx_input(c, "d/a", NULL, NULL);
	fx_put_ok(c);
	graph_impact_report r = impact("d/a");
	/* c exists (as a placeholder) since a was registered: the smaller id, first */
	ck_assert_str_eq(lm_affected(&r), "d/c@1 [d/a > d/c] {}; d/b@1 [d/a > d/b] {}");
	ck_assert_str_eq(lm_counts(r.by_owner, r.nowners), "t=2");
}
END_TEST

START_TEST(deep_chain_path_has_every_hop)
{
	lm_chain("chain", 1200);
	graph_impact_report r = impact("chain/p0");
	ck_assert_uint_eq(r.total, 1199);
	const graph_affected *last = &r.affected[1198];
	ck_assert_str_eq(last->ref, "chain/p1199");
	ck_assert_uint_eq(last->depth, 1199);
	ck_assert_uint_eq(last->path_len, 1200);
	ck_assert_str_eq(last->path[0], "chain/p0");
	ck_assert_str_eq(last->path[600], "chain/p600");
}
END_TEST

START_TEST(fan_out_of_10000_summary)
{
	enum { N = 10000 };
	trib_product **v = malloc((N + 1) * sizeof *v);
	v[0] = fx_product("hub", "h", "hub-team");
	char name[32];
	for (int i = 0; i < N; i++) {
		snprintf(name, sizeof name, "c%05d", i);
		v[i + 1] = fx_product(i % 4 ? "many" : "few", name, i % 2 ? "odd" : "even");
		fx_input(v[i + 1], "hub/h", NULL, NULL);
	}
	lm_put_all(v, N + 1);
	free(v);
	graph_impact_opts o = GRAPH_IMPACT_OPTS_INIT;
	o.summary_only = 1;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	graph_impact_report r = run("hub/h", &o);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ck_assert_uint_eq(r.total, N);
	ck_assert_str_eq(lm_counts(r.by_owner, r.nowners), "even=5000, odd=5000");
	ck_assert_str_eq(lm_counts(r.by_domain, r.ndomains), "many=7500, few=2500");
	fprintf(stderr, "impact summary over a 10k fan-out: %.2f ms\n",
		(double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
	o.summary_only = 0;
	r = run("hub/h", &o);
	ck_assert_uint_eq(r.count, N);
	ck_assert_str_eq(r.affected[N - 1].ref, "many/c09999");
	ck_assert_uint_eq(r.affected[N - 1].path_len, 2);
}
END_TEST

START_TEST(roots_other_than_products_ports_fields_are_refused)
{
	mesh();
	graph_txn *t = lm_read();
	graph_impact_report r;
	graph_impact_opts o = GRAPH_IMPACT_OPTS_INIT;
	ck_assert_int_eq(graph_lineage_impact(&r, t, &fx_arena, lm_id(t, "team-b"), &o), TRIB_EINVALID);
	ck_assert_ptr_nonnull(strstr(trib_error_last(), "not team 'team-b'"));
	ck_assert_int_eq(graph_lineage_impact(&r, t, &fx_arena, 424242, &o), TRIB_ENOTFOUND);
	o.version = 0;
	ck_assert_int_eq(graph_lineage_impact(&r, t, &fx_arena, lm_id(t, "src/a"), &o), TRIB_EINVALID);
	graph_txn_abort(t);
}
END_TEST

START_TEST(placeholder_root_has_its_readers)
{
	trib_product *b = fx_product("d", "b", "t");
	fx_input(b, "x/ghost", NULL, "f", NULL);
	fx_output(b, "o", "f", NULL);
	fx_put_ok(b);
	graph_impact_report r = impact("x/ghost");
	ck_assert_str_eq(lm_affected(&r), "d/b@1 [x/ghost > d/b] {x/ghost#f}");
	r = impact("x/ghost#f");
	ck_assert_str_eq(lm_affected(&r), "d/b@1 [x/ghost#f > d/b] {d/b#f,x/ghost#f}");
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("impact");
	TCase *tc = lm_tcase(s, "graph");
	tcase_add_test(tc, product_root_lists_every_downstream_product_with_path_and_fields);
	tcase_add_test(tc, port_root_takes_readers_of_that_port_and_of_the_whole_product);
	tcase_add_test(tc, port_root_reads_records_when_a_consumer_names_another_port_and_none);
	tcase_add_test(tc, field_root_follows_only_field_lineage);
	tcase_add_test(tc, summary_only_counts_without_records);
	tcase_add_test(tc, depth_and_node_limits);
	tcase_add_test(tc, cycles_and_diamonds_count_each_product_once);
	tcase_add_test(tc, deep_chain_path_has_every_hop);
	tcase_add_test(tc, fan_out_of_10000_summary);
	tcase_add_test(tc, roots_other_than_products_ports_fields_are_refused);
	tcase_add_test(tc, placeholder_root_has_its_readers);
	return s;
}

int main(void)
{
	return lm_run(suite());
}
