/* graph_verify passes on a healthy store and finds deliberate damage. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph_fixture.h"
#include "../../graph/store.h"

static uint64_t ida, idb;

static void small_graph(void)
{
	trib_product *a = fx_product("d", "a", "t");
	fx_output(a, "out", "x", NULL);
	ida = fx_put_ok(a);
	trib_product *b = fx_product("d", "b", NULL);
	fx_input(b, "d/a", "out", "x", NULL);
	fx_input(b, "up/missing", NULL, NULL);
	idb = fx_put_ok(b);
}

static graph_verify_report verify(int expect)
{
	graph_txn *t;
	graph_verify_report r;
	ck_assert_int_eq(graph_read_begin(&t, fx_store), 0);
	int rc = graph_verify(&r, t, &fx_arena);
	graph_txn_abort(t);
	ck_assert_msg(rc == expect, "verify returned %d (%s)", rc, r.nmessages ? r.messages[0] : "no messages");
	return r;
}

static int has_message(const graph_verify_report *r, const char *needle)
{
	for (size_t i = 0; i < r->nmessages; i++)
		if (strstr(r->messages[i], needle))
			return 1;
	return 0;
}

START_TEST(verify_passes_on_a_consistent_store)
{
	small_graph();
	graph_verify_report r = verify(0);
	ck_assert_uint_eq(r.problems, 0);
	ck_assert_uint_eq(r.nodes_checked, 7); /* a, a:out, a#x, team t, domain d, b, up/missing */
	ck_assert_uint_eq(r.edges_checked, 9);
	ck_assert_uint_eq(r.records_checked, 7); /* 3 products, 2 revisions, 2 audit entries */
}
END_TEST

START_TEST(verify_finds_an_edge_missing_its_mirror)
{
	small_graph();
	graph_txn *t;
	ck_assert_int_eq(graph_write_begin(&t, fx_store), 0);
	uint64_t v = GSTORE_ADJ(GRAPH_EDGE_FEEDS, ida), key = gstore_adj_key(idb, GRAPH_EDGE_FEEDS);
	MDB_val k = gstore_u64_val(&key), d = gstore_u64_val(&v);
	ck_assert_int_eq(mdb_del(t->txn, fx_store->in, &k, &d), 0);
	ck_assert_int_eq(graph_txn_commit(t), 0);
	graph_verify_report r = verify(TRIB_ECORRUPT);
	ck_assert_uint_eq(r.problems, 1);
	char want[96];
	snprintf(want, sizeof want, "edge %llu -> %llu (feeds) is in 'out' but not in 'in'", (unsigned long long)ida,
		 (unsigned long long)idb);
	ck_assert_msg(has_message(&r, want), "%s", r.messages[0]);
	ck_assert_ptr_nonnull(strstr(trib_error_last(), "1 problems"));
}
END_TEST

START_TEST(verify_finds_an_edge_filed_under_the_wrong_key)
{
	small_graph();
	graph_txn *t;
	ck_assert_int_eq(graph_write_begin(&t, fx_store), 0);
	/* an owned-by edge under the lineage key, with its mirror where it belongs */
	uint64_t team = 0;
	ck_assert_int_eq(graph_resolve(&team, t, "team:t"), 0);
	uint64_t v = GSTORE_ADJ(GRAPH_EDGE_OWNED_BY, team), key = gstore_adj_key(ida, GRAPH_EDGE_OWNED_BY);
	MDB_val k = gstore_u64_val(&key), d = gstore_u64_val(&v);
	ck_assert_int_eq(mdb_del(t->txn, fx_store->out, &k, &d), 0);
	MDB_val k2 = gstore_u64_val(&ida);
	ck_assert_int_eq(mdb_put(t->txn, fx_store->out, &k2, &d, 0), 0);
	ck_assert_int_eq(graph_txn_commit(t), 0);
	graph_verify_report r = verify(TRIB_ECORRUPT);
	ck_assert(has_message(&r, "is filed under the lineage key"));
}
END_TEST

START_TEST(verify_finds_a_name_pointing_at_the_wrong_node)
{
	small_graph();
	graph_txn *t;
	ck_assert_int_eq(graph_write_begin(&t, fx_store), 0);
	unsigned char key[8] = {TRIB_KIND_PRODUCT, 'd', '/', 'a'};
	MDB_val k = {4, key}, d = gstore_u64_val(&idb);
	ck_assert_int_eq(mdb_put(t->txn, fx_store->names, &k, &d, 0), 0);
	ck_assert_int_eq(graph_txn_commit(t), 0);
	graph_verify_report r = verify(TRIB_ECORRUPT);
	/* both directions of the correspondence are broken */
	ck_assert_uint_eq(r.problems, 2);
	ck_assert(has_message(&r, "its reference names node"));
	ck_assert(has_message(&r, "reference 'd/a' (product) names node"));
}
END_TEST

START_TEST(verify_finds_undecodable_records)
{
	small_graph();
	graph_txn *t;
	ck_assert_int_eq(graph_write_begin(&t, fx_store), 0);
	unsigned char junk[5] = {0xff, 0xff, 0xff, 0xff, 0xff};
	MDB_val k = gstore_u64_val(&ida), d = {sizeof junk, junk};
	ck_assert_int_eq(mdb_put(t->txn, fx_store->products, &k, &d, 0), 0);
	uint64_t ghost = 999;
	unsigned char node[3] = {3, 0, 0};
	MDB_val gk = gstore_u64_val(&ghost), gd = {sizeof node, node};
	ck_assert_int_eq(mdb_put(t->txn, fx_store->nodes, &gk, &gd, 0), 0);
	ck_assert_int_eq(graph_txn_commit(t), 0);
	graph_verify_report r = verify(TRIB_ECORRUPT);
	ck_assert(has_message(&r, "product record"));
	ck_assert(has_message(&r, "node 999"));
	ck_assert(has_message(&r, "next_id"));
	/* reading the damaged record reports corruption, not a crash */
	trib_product *p;
	ck_assert_int_eq(graph_read_begin(&t, fx_store), 0);
	ck_assert_int_eq(graph_product_get(&p, t, &fx_arena, ida, 0), TRIB_ECORRUPT);
	graph_node n;
	ck_assert_int_eq(graph_node_get(&n, t, &fx_arena, ghost), TRIB_ECORRUPT);
	graph_txn_abort(t);
}
END_TEST

START_TEST(verify_finds_a_wrong_placeholder_counter)
{
	small_graph();
	graph_txn *t;
	ck_assert_int_eq(graph_write_begin(&t, fx_store), 0);
	unsigned char v[8] = {5};
	MDB_val k = {12, "placeholders"}, d = {8, v};
	ck_assert_int_eq(mdb_put(t->txn, fx_store->meta, &k, &d, 0), 0);
	ck_assert_int_eq(graph_txn_commit(t), 0);
	graph_verify_report r = verify(TRIB_ECORRUPT);
	ck_assert(has_message(&r, "placeholder"));
}
END_TEST

/* Lineage answers describe a product from its record or its node alike: verify holds the two to agree. */
START_TEST(verify_finds_a_node_disagreeing_with_its_product_record)
{
	small_graph();
	graph_txn *t;
	ck_assert_int_eq(graph_write_begin(&t, fx_store), 0);
	gstore_node n;
	ck_assert_int_eq(gstore_node_read(&n, t, ida), 0);
	char ref[64];
	snprintf(ref, sizeof ref, "%.*s", (int)n.ref_len, n.ref);
	n.ref = ref;
	n.owner = "someone-else";
	n.owner_len = strlen(n.owner);
	ck_assert_int_eq(gstore_node_write(t, ida, &n), 0);
	ck_assert_int_eq(gstore_node_read(&n, t, idb), 0);
	char refb[64];
	snprintf(refb, sizeof refb, "%.*s", (int)n.ref_len, n.ref);
	n.ref = refb;
	n.owner = "";
	n.owner_len = 0;
	n.flags |= GSTORE_FLAG_DEPRECATED;
	ck_assert_int_eq(gstore_node_write(t, idb, &n), 0);
	ck_assert_int_eq(graph_txn_commit(t), 0);
	graph_verify_report r = verify(TRIB_ECORRUPT);
	ck_assert(has_message(&r, "d/a: record and node disagree on the owner"));
	ck_assert(has_message(&r, "d/b: record and node disagree on deprecated"));
}
END_TEST

Suite *verify_suite(void)
{
	Suite *s = suite_create("verify");
	TCase *tc = tcase_create("verify");
	tcase_add_checked_fixture(tc, fx_setup, fx_teardown);
	tcase_add_test(tc, verify_passes_on_a_consistent_store);
	tcase_add_test(tc, verify_finds_an_edge_missing_its_mirror);
	tcase_add_test(tc, verify_finds_an_edge_filed_under_the_wrong_key);
	tcase_add_test(tc, verify_finds_a_name_pointing_at_the_wrong_node);
	tcase_add_test(tc, verify_finds_undecodable_records);
	tcase_add_test(tc, verify_finds_a_wrong_placeholder_counter);
	tcase_add_test(tc, verify_finds_a_node_disagreeing_with_its_product_record);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return fx_run(verify_suite());
}
