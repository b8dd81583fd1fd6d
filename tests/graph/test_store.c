/* The store: open/close/reopen, format version, map growth, transactions, threads. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "graph_fixture.h"
#include "../../graph/store.h"

static graph_store *reopen(void)
{
	graph_close(fx_store);
	fx_store = NULL;
	graph_open_opts o = GRAPH_OPEN_OPTS_INIT;
	o.no_sync = 1;
	int rc = graph_open(&fx_store, fx_dir, &o);
	ck_assert_msg(rc == 0, "reopen: %s", trib_error_last());
	return fx_store;
}

START_TEST(reopen_keeps_products_edges_and_counters)
{
	trib_product *a = fx_product("d", "a", "t");
	fx_output(a, "out", "x", NULL);
	uint64_t ida = fx_put_ok(a);
	trib_product *b = fx_product("d", "b", NULL);
	fx_input(b, "d/a", NULL, "x", NULL);
	uint64_t idb = fx_put_ok(b);
	reopen();
	ck_assert_uint_eq(fx_id("d/a"), ida);
	ck_assert_int_eq(fx_has_edge(ida, idb, GRAPH_EDGE_FEEDS), 1);
	/* ids keep counting after reopen: never reused */
	trib_product *c = fx_product("d", "c", NULL);
	uint64_t idc = fx_put_ok(c);
	ck_assert_uint_gt(idc, idb);
	graph_txn *t;
	trib_product *p;
	ck_assert_int_eq(graph_read_begin(&t, fx_store), 0);
	ck_assert_int_eq(graph_product_get(&p, t, &fx_arena, ida, 0), 0);
	ck_assert_str_eq(p->owner, "t");
	graph_txn_abort(t);
	ck_assert_int_eq(fx_verify(), 0);
}
END_TEST

START_TEST(open_refuses_another_format_version)
{
	graph_txn *t;
	ck_assert_int_eq(graph_write_begin(&t, fx_store), 0);
	unsigned char v[4] = {7, 0, 0, 0};
	MDB_val k = {6, "format"}, d = {4, v};
	ck_assert_int_eq(mdb_put(t->txn, fx_store->meta, &k, &d, 0), 0);
	ck_assert_int_eq(graph_txn_commit(t), 0);
	graph_close(fx_store);
	fx_store = NULL;
	int rc = graph_open(&fx_store, fx_dir, NULL);
	ck_assert_int_eq(rc, TRIB_ECORRUPT);
	ck_assert_ptr_null(fx_store);
	const char *m = trib_error_last();
	char want[64];
	snprintf(want, sizeof want, "format version %d", GRAPH_FORMAT_VERSION);
	ck_assert_msg(strstr(m, "format version 7") && strstr(m, want), "%s", m);
}
END_TEST

START_TEST(open_fails_on_a_file_path_and_closes_null)
{
	char path[300];
	snprintf(path, sizeof path, "%s/file", fx_dir);
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fclose(f);
	graph_store *s = (graph_store *)1;
	ck_assert_int_eq(graph_open(&s, path, NULL), TRIB_EIO);
	ck_assert_ptr_null(s);
	ck_assert_int_eq(graph_open(&s, "", NULL), TRIB_EINVALID);
	graph_close(NULL);
	graph_txn_abort(NULL);
}
END_TEST

START_TEST(read_only_store_reads_but_refuses_writes)
{
	fx_put_ok(fx_product("d", "a", NULL));
	graph_close(fx_store);
	graph_open_opts o = GRAPH_OPEN_OPTS_INIT;
	o.read_only = 1;
	ck_assert_int_eq(graph_open(&fx_store, fx_dir, &o), 0);
	ck_assert_uint_ne(fx_id("d/a"), 0);
	graph_txn *t;
	ck_assert_int_eq(graph_write_begin(&t, fx_store), TRIB_EDENIED);
	ck_assert_int_eq(graph_read_begin(&t, fx_store), 0);
	ck_assert_int_eq(graph_txn_writable(t), 0);
	uint64_t id;
	ck_assert_int_eq(graph_node_ensure(&id, t, TRIB_KIND_SOURCE, "source:x"), TRIB_EDENIED);
	graph_txn_abort(t);
}
END_TEST

static int failing_fn(graph_txn *t, void *payload)
{
	uint64_t id;
	ck_assert_int_eq(graph_node_ensure(&id, t, TRIB_KIND_SOURCE, "source:never"), 0);
	(*(int *)payload)++;
	return trib_error_set(TRIB_EPOLICY, "refused on purpose");
}

START_TEST(update_returns_fn_error_unchanged_and_aborts)
{
	int calls = 0;
	ck_assert_int_eq(graph_update(fx_store, failing_fn, &calls), TRIB_EPOLICY);
	ck_assert_str_eq(trib_error_last(), "refused on purpose");
	ck_assert_int_eq(calls, 1);
	ck_assert_uint_eq(fx_id("source:never"), 0);
}
END_TEST

typedef struct bulk {
	int from, to;
	int calls;
} bulk;

static int put_many(graph_txn *t, void *payload)
{
	bulk *b = payload;
	trib_arena a;
	trib_arena_init(&a, 0);
	b->calls++;
	int rc = 0;
	for (int i = b->from; i < b->to && rc == 0; i++) {
		char name[32], up[48];
		snprintf(name, sizeof name, "product-%05d", i);
		trib_product *p = fx_product("growth", name, "owners");
		p->description = "a product with a description long enough to take some room in the map........";
		fx_output(p, "out", "alpha", "beta", "gamma", "delta", NULL);
		if (i > 0) {
			snprintf(up, sizeof up, "growth/product-%05d", i - 1);
			fx_input(p, up, "out", "alpha", "beta", NULL);
		}
		graph_put_result r;
		rc = graph_product_put(&r, t, &a, p, NULL);
		trib_arena_clear(&a);
	}
	trib_arena_dispose(&a);
	return rc;
}

START_TEST(map_grows_from_a_tiny_initial_map)
{
	size_t before = graph_map_size(fx_store);
	ck_assert_uint_eq(before, 1u << 20);
	/* one big transaction that cannot fit: graph_update grows and retries */
	bulk b = {0, 1500, 0};
	int rc = graph_update(fx_store, put_many, &b);
	ck_assert_msg(rc == 0, "update: %s", trib_error_last());
	ck_assert_int_gt(b.calls, 1);
	/* then many small ones: write_begin grows ahead of need */
	for (int i = 1500; i < 3000; i += 100) {
		bulk s = {i, i + 100, 0};
		ck_assert_int_eq(graph_update(fx_store, put_many, &s), 0);
	}
	size_t after = graph_map_size(fx_store);
	ck_assert_uint_gt(after, before);
	graph_txn *t;
	graph_stats st;
	ck_assert_int_eq(graph_read_begin(&t, fx_store), 0);
	ck_assert_int_eq(graph_stats_get(&st, t), 0);
	ck_assert_uint_eq(st.products, 3000);
	ck_assert_uint_eq(st.placeholders, 0);
	ck_assert_uint_le(st.map_used, st.map_size);
	graph_walk_result w;
	graph_walk_opts o = GRAPH_WALK_OPTS_INIT;
	o.edge_mask = GRAPH_EDGE_BIT(GRAPH_EDGE_FEEDS);
	uint64_t first;
	ck_assert_int_eq(graph_resolve(&first, t, "growth/product-00000"), 0);
	ck_assert_int_eq(graph_walk(&w, t, &fx_arena, first, &o), 0);
	ck_assert_uint_eq(w.count, 3000);
	ck_assert_uint_eq(w.visits[w.count - 1].depth, 2999);
	graph_txn_abort(t);
	/* the grown map is there after reopen */
	reopen();
	ck_assert_uint_ge(graph_map_size(fx_store), after);
	ck_assert_int_eq(fx_verify(), 0);
}
END_TEST

/* ---- one writer, several readers: readers always see complete registrations */

enum { WRITES = 300, READERS = 4 };

typedef struct shared {
	volatile int done;
	int reader_errors;
	pthread_mutex_t mu;
} shared;

static void *reader(void *arg)
{
	shared *sh = arg;
	trib_arena a;
	trib_arena_init(&a, 0);
	int errors = 0;
	while (!sh->done) {
		graph_txn *t;
		if (graph_read_begin(&t, fx_store) != 0) {
			errors++;
			continue;
		}
		/* Within one snapshot: every registered chain product has its edge
		 * from its predecessor, and the counts agree. */
		graph_stats st;
		graph_stats_get(&st, t);
		uint64_t id;
		char ref[48];
		snprintf(ref, sizeof ref, "conc/p%d", (int)st.products - 1);
		if (st.products > 0 && graph_resolve(&id, t, ref) != 0)
			errors++;
		if (st.products > 1) {
			graph_walk_result w;
			graph_walk_opts o = GRAPH_WALK_OPTS_INIT;
			o.direction = GRAPH_UP;
			o.edge_mask = GRAPH_EDGE_BIT(GRAPH_EDGE_FEEDS);
			if (graph_walk(&w, t, &a, id, &o) != 0 || w.count != st.products)
				errors++;
		}
		graph_txn_abort(t);
		trib_arena_clear(&a);
	}
	trib_arena_dispose(&a);
	pthread_mutex_lock(&sh->mu);
	sh->reader_errors += errors;
	pthread_mutex_unlock(&sh->mu);
	return NULL;
}

static int put_chain(graph_txn *t, void *payload)
{
	int i = *(int *)payload;
	trib_arena a;
	trib_arena_init(&a, 0);
	Tributary__V1__DataProduct p = TRIBUTARY__V1__DATA_PRODUCT__INIT;
	Tributary__V1__InputPort in = TRIBUTARY__V1__INPUT_PORT__INIT, *ins[1] = {&in};
	char name[32], up[48];
	snprintf(name, sizeof name, "p%d", i);
	snprintf(up, sizeof up, "conc/p%d", i - 1);
	p.name = name;
	p.domain = "conc";
	p.description = "concurrent registration with enough bytes to make the map grow along the way..";
	if (i > 0) {
		in.source = up;
		p.n_input_ports = 1;
		p.input_ports = ins;
	}
	graph_put_result r;
	int rc = graph_product_put(&r, t, &a, &p, NULL);
	trib_arena_dispose(&a);
	return rc;
}

START_TEST(readers_run_concurrently_with_a_writer_and_map_growth)
{
	shared sh = {0, 0, PTHREAD_MUTEX_INITIALIZER};
	pthread_t th[READERS];
	for (int i = 0; i < READERS; i++)
		ck_assert_int_eq(pthread_create(&th[i], NULL, reader, &sh), 0);
	for (int i = 0; i < WRITES; i++) {
		int rc = graph_update(fx_store, put_chain, &i);
		ck_assert_msg(rc == 0, "write %d: %s", i, trib_error_last());
	}
	sh.done = 1;
	for (int i = 0; i < READERS; i++)
		pthread_join(th[i], NULL);
	ck_assert_int_eq(sh.reader_errors, 0);
	ck_assert_uint_eq(fx_id("conc/p299") != 0, 1);
	ck_assert_int_eq(fx_verify(), 0);
}
END_TEST

START_TEST(write_txn_abort_discards_changes)
{
	graph_txn *t;
	uint64_t id;
	ck_assert_int_eq(graph_write_begin(&t, fx_store), 0);
	ck_assert_int_eq(graph_txn_writable(t), 1);
	ck_assert_int_eq(graph_node_ensure(&id, t, TRIB_KIND_SOURCE, "source:gone"), 0);
	graph_txn_abort(t);
	ck_assert_uint_eq(fx_id("source:gone"), 0);
	/* and the id counter was not advanced by the aborted txn */
	ck_assert_int_eq(graph_write_begin(&t, fx_store), 0);
	uint64_t id2;
	ck_assert_int_eq(graph_node_ensure(&id2, t, TRIB_KIND_SOURCE, "source:kept"), 0);
	ck_assert_int_eq(graph_txn_commit(t), 0);
	ck_assert_uint_eq(id2, id);
	ck_assert_int_eq(graph_sync(fx_store), 0);
}
END_TEST

Suite *store_suite(void)
{
	Suite *s = suite_create("store");
	TCase *tc = tcase_create("store");
	tcase_add_checked_fixture(tc, fx_setup, fx_teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, reopen_keeps_products_edges_and_counters);
	tcase_add_test(tc, open_refuses_another_format_version);
	tcase_add_test(tc, open_fails_on_a_file_path_and_closes_null);
	tcase_add_test(tc, read_only_store_reads_but_refuses_writes);
	tcase_add_test(tc, update_returns_fn_error_unchanged_and_aborts);
	tcase_add_test(tc, map_grows_from_a_tiny_initial_map);
	tcase_add_test(tc, readers_run_concurrently_with_a_writer_and_map_growth);
	tcase_add_test(tc, write_txn_abort_discards_changes);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return fx_run(store_suite());
}
