/* Nodes, the reference index, edges and resolution. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph_fixture.h"

static graph_txn *t;

static void wbegin(void)
{
	ck_assert_int_eq(graph_write_begin(&t, fx_store), 0);
}

START_TEST(ensure_is_idempotent_and_canonical)
{
	uint64_t a, b, c, port, f1, f2;
	wbegin();
	ck_assert_int_eq(graph_node_ensure(&a, t, TRIB_KIND_SOURCE, "source:kafka"), 0);
	ck_assert_int_eq(graph_node_ensure(&b, t, TRIB_KIND_SOURCE, "source:kafka"), 0);
	ck_assert_uint_eq(a, b);
	ck_assert_int_eq(graph_node_ensure(&c, t, TRIB_KIND_TEAM, "kafka"), 0);
	ck_assert_uint_ne(c, a);
	/* a domain and a team may share a name: different nodes */
	uint64_t dom, team;
	ck_assert_int_eq(graph_node_ensure(&dom, t, TRIB_KIND_DOMAIN, "sales"), 0);
	ck_assert_int_eq(graph_node_ensure(&team, t, TRIB_KIND_TEAM, "team:sales"), 0);
	ck_assert_uint_ne(dom, team);
	/* port-qualified and plain field refs are one product-level node */
	ck_assert_int_eq(graph_node_ensure(&f1, t, TRIB_KIND_FIELD, "sales/orders:daily#id"), 0);
	ck_assert_int_eq(graph_node_ensure(&f2, t, TRIB_KIND_FIELD, "sales/orders#id"), 0);
	ck_assert_uint_eq(f1, f2);
	ck_assert_int_eq(graph_node_ensure(&port, t, TRIB_KIND_PORT, "sales/orders:daily"), 0);
	/* kind must match the reference */
	ck_assert_int_eq(graph_node_ensure(&a, t, TRIB_KIND_PORT, "sales/orders"), TRIB_EINVALID);
	ck_assert_ptr_nonnull(strstr(trib_error_last(), "is a product reference, not a port"));
	ck_assert_int_eq(graph_node_ensure(&a, t, TRIB_KIND_PRODUCT, "sales//x"), TRIB_EINVALID);
	graph_node n;
	ck_assert_int_eq(graph_node_get(&n, t, &fx_arena, f1), 0);
	ck_assert_str_eq(n.ref, "sales/orders#id");
	ck_assert_int_eq(n.placeholder, 1); /* the product was created as a placeholder */
	uint64_t prod = n.product;
	ck_assert_int_eq(graph_node_get(&n, t, &fx_arena, prod), 0);
	ck_assert_str_eq(n.ref, "sales/orders");
	ck_assert_int_eq(n.kind, TRIB_KIND_PRODUCT);
	ck_assert_int_eq(graph_node_get(&n, t, &fx_arena, dom), 0);
	ck_assert_str_eq(n.domain, "sales");
	ck_assert_str_eq(n.owner, "");
	ck_assert_int_eq(graph_txn_commit(t), 0);
	ck_assert_uint_eq(fx_id("sales/orders:daily#id"), f1);
	ck_assert_uint_eq(fx_id("sales/orders:daily"), port);
	ck_assert_uint_eq(fx_id("team:sales"), team);
	ck_assert_uint_eq(fx_id("domain:sales"), dom);
	ck_assert_uint_eq(fx_id("sales"), dom); /* bare: domain before team */
	ck_assert_uint_eq(fx_id("kafka"), c);
	ck_assert_int_eq(fx_verify(), 0);
}
END_TEST

START_TEST(edges_are_stored_once_in_both_directions)
{
	uint64_t a, b;
	wbegin();
	ck_assert_int_eq(graph_node_ensure(&a, t, TRIB_KIND_SOURCE, "source:a"), 0);
	ck_assert_int_eq(graph_node_ensure(&b, t, TRIB_KIND_SOURCE, "source:b"), 0);
	ck_assert_int_eq(graph_edge_put(t, a, b, GRAPH_EDGE_FEEDS), 0);
	ck_assert_int_eq(graph_edge_put(t, a, b, GRAPH_EDGE_FEEDS), 0);
	ck_assert_int_eq(graph_edge_put(t, a, b, GRAPH_EDGE_FIELD_READ), 0);
	ck_assert_int_eq(graph_edge_put(t, a, b, GRAPH_EDGE_NONE), TRIB_EINVALID);
	ck_assert_int_eq(graph_edge_put(t, a, b, (graph_edge_kind)10), TRIB_EINVALID);
	ck_assert_int_eq(graph_edge_put(t, 0, b, GRAPH_EDGE_FEEDS), TRIB_EINVALID);
	ck_assert_int_eq(graph_txn_commit(t), 0);
	graph_edge *e;
	size_t n;
	ck_assert_int_eq(graph_read_begin(&t, fx_store), 0);
	ck_assert_int_eq(graph_edges(&e, &n, t, &fx_arena, a, GRAPH_DOWN, GRAPH_EDGES_ALL), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(e[0].kind, GRAPH_EDGE_FEEDS); /* values sort by kind */
	ck_assert_int_eq(e[1].kind, GRAPH_EDGE_FIELD_READ);
	ck_assert_uint_eq(e[0].from, a);
	ck_assert_uint_eq(e[0].to, b);
	ck_assert_int_eq(graph_edges(&e, &n, t, &fx_arena, b, GRAPH_UP, GRAPH_EDGE_BIT(GRAPH_EDGE_FEEDS)), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(e[0].from, a);
	ck_assert_int_eq(graph_edges(&e, &n, t, &fx_arena, b, GRAPH_BOTH, GRAPH_EDGES_ALL), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(graph_edges(&e, &n, t, &fx_arena, a, GRAPH_UP, GRAPH_EDGES_ALL), 0);
	ck_assert_uint_eq(n, 0);
	graph_stats st;
	ck_assert_int_eq(graph_stats_get(&st, t), 0);
	ck_assert_uint_eq(st.edges, 2);
	ck_assert_uint_eq(st.nodes, 2);
	graph_txn_abort(t);
}
END_TEST

START_TEST(edge_kind_names_are_stable)
{
	ck_assert_str_eq(graph_edge_kind_name(GRAPH_EDGE_FEEDS), "feeds");
	ck_assert_str_eq(graph_edge_kind_name(GRAPH_EDGE_PORT_FEEDS), "port-feeds");
	ck_assert_str_eq(graph_edge_kind_name(GRAPH_EDGE_FIELD_FEEDS), "field-feeds");
	ck_assert_str_eq(graph_edge_kind_name(GRAPH_EDGE_HAS_TERM), "has-term");
	ck_assert_str_eq(graph_edge_kind_name((graph_edge_kind)77), "unknown");
}
END_TEST

START_TEST(resolve_reports_not_found_and_malformed)
{
	uint64_t id;
	ck_assert_int_eq(graph_read_begin(&t, fx_store), 0);
	ck_assert_int_eq(graph_resolve(&id, t, "sales/none"), TRIB_ENOTFOUND);
	ck_assert_str_eq(trib_error_last(), "no product 'sales/none'");
	ck_assert_int_eq(graph_resolve(&id, t, "term:Nothing"), TRIB_ENOTFOUND);
	ck_assert_int_eq(graph_resolve(&id, t, "sales/x#"), TRIB_EINVALID);
	ck_assert_int_eq(graph_resolve(&id, t, ""), TRIB_EINVALID);
	graph_txn_abort(t);
}
END_TEST

START_TEST(over_long_references_are_refused_cleanly)
{
	/* 128 + 128 + 256 characters: a valid reference too long for the index key */
	char d[129], p[129], f[257], ref[600];
	memset(d, 'd', 128);
	d[128] = '\0';
	memset(p, 'p', 128);
	p[128] = '\0';
	memset(f, 'f', 256);
	f[256] = '\0';
	snprintf(ref, sizeof ref, "%s/%s#%s", d, p, f);
	uint64_t id;
	wbegin();
	ck_assert_int_eq(graph_node_ensure(&id, t, TRIB_KIND_FIELD, ref), TRIB_ELIMIT);
	ck_assert_ptr_nonnull(strstr(trib_error_last(), "at most 500"));
	graph_txn_abort(t);
}
END_TEST

Suite *node_suite(void)
{
	Suite *s = suite_create("node");
	TCase *tc = tcase_create("node");
	tcase_add_checked_fixture(tc, fx_setup, fx_teardown);
	tcase_add_test(tc, ensure_is_idempotent_and_canonical);
	tcase_add_test(tc, edges_are_stored_once_in_both_directions);
	tcase_add_test(tc, edge_kind_names_are_stable);
	tcase_add_test(tc, resolve_reports_not_found_and_malformed);
	tcase_add_test(tc, over_long_references_are_refused_cleanly);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return fx_run(node_suite());
}
