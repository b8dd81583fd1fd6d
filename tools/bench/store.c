/*
 * The engine under test: the Tributary graph store, through its public API.
 *
 * Every generated node becomes a registered data product (product.c): sources
 * with no inputs, every other node with one input port per parent (source
 * "domain/name", type data-product, no port), so the product -> product
 * "feeds" edges are exactly the generated edges. Products are registered in
 * node order (parents before children, so no placeholders) in write
 * transactions of LOAD_BATCH products on a no-sync store, then graph_sync
 * makes it durable.
 * Walks follow only feeds edges (ownership and domain edges are not lineage).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "tributary/graph.h"

#define LOAD_BATCH 10000u

struct bench_store {
	graph_store *gs;
	uint64_t *ids;     /* generator index -> graph node id */
	trib_arena arena;  /* walk results, cleared after each walk */
};

typedef struct load_batch {
	const bench_graph *g;
	bench_store *s;
	uint32_t from, to;
	trib_arena *a;
} load_batch;

static int load_fn(graph_txn *t, void *payload)
{
	load_batch *b = payload;
	const bench_graph *g = b->g;
	for (uint32_t v = b->from; v < b->to; v++) {
		trib_arena_clear(b->a);
		bench_product bp;
		bench_product_fill(&bp, g, v);
		graph_put_opts po = GRAPH_PUT_OPTS_INIT;
		po.actor = "trib-bench";
		po.now_ms = 1700000000000;
		graph_put_result res;
		int rc = graph_product_put(&res, t, b->a, &bp.p, &po);
		if (rc) {
			fprintf(stderr, "bench: graph_product_put %s/%s: %s\n", bp.p.domain, bp.p.name,
				trib_error_last());
			return rc;
		}
		b->s->ids[v] = res.id;
	}
	return 0;
}

bench_store *bench_store_load(const bench_graph *g, const char *dir, double *load_s, double *sync_s)
{
	bench_store *s = bench_xcalloc(1, sizeof(*s));
	s->ids = bench_xcalloc(g->n, sizeof(uint64_t));
	trib_arena_init(&s->arena, 1 << 20);
	trib_arena put_arena;
	trib_arena_init(&put_arena, 0);

	double t0 = bench_now();
	graph_open_opts oo = GRAPH_OPEN_OPTS_INIT;
	oo.no_sync = 1;
	int rc = graph_open(&s->gs, dir, &oo);
	if (rc) {
		fprintf(stderr, "bench: graph_open %s: %s\n", dir, trib_error_last());
		goto fail;
	}
	for (uint32_t from = 0; from < g->n; from += LOAD_BATCH) {
		load_batch b = {g, s, from, from + LOAD_BATCH < g->n ? from + LOAD_BATCH : g->n, &put_arena};
		rc = graph_update(s->gs, load_fn, &b);
		if (rc) {
			fprintf(stderr, "bench: loading products %u..%u: %s\n", b.from, b.to - 1,
				trib_error_last());
			goto fail;
		}
	}
	double t1 = bench_now();
	rc = graph_sync(s->gs);
	if (rc) {
		fprintf(stderr, "bench: graph_sync: %s\n", trib_error_last());
		goto fail;
	}
	*sync_s = bench_now() - t1;
	*load_s = bench_now() - t0;
	trib_arena_dispose(&put_arena);
	return s;
fail:
	trib_arena_dispose(&put_arena);
	bench_store_close(s);
	return NULL;
}

size_t bench_store_walk(bench_store *s, uint32_t start, int dir, unsigned max_depth)
{
	graph_txn *t;
	int rc = graph_read_begin(&t, s->gs);
	if (rc)
		bench_die("bench: graph_read_begin: %s", trib_error_last());
	graph_walk_opts wo = GRAPH_WALK_OPTS_INIT;
	wo.direction = dir == BENCH_UP ? GRAPH_UP : GRAPH_DOWN;
	wo.max_depth = max_depth;
	wo.edge_mask = GRAPH_EDGE_BIT(GRAPH_EDGE_FEEDS);
	graph_walk_result w;
	rc = graph_walk(&w, t, &s->arena, s->ids[start], &wo);
	graph_txn_abort(t);
	if (rc)
		bench_die("bench: graph_walk from node %u: %s", start, trib_error_last());
	if (w.truncated)
		bench_die("bench: graph_walk from node %u came back truncated with no limit set", start);
	size_t count = w.count;
	trib_arena_clear(&s->arena);
	return count;
}

struct graph_store *bench_store_handle(bench_store *s)
{
	return s->gs;
}

uint64_t bench_store_id(const bench_store *s, uint32_t v)
{
	return s->ids[v];
}

/* Nodes and edges the store holds, for the load report. */
void bench_store_stats(bench_store *s, size_t *nodes, size_t *products, size_t *edges)
{
	graph_txn *t;
	graph_stats st = {0};
	if (graph_read_begin(&t, s->gs) == 0) {
		if (graph_stats_get(&st, t) != 0)
			fprintf(stderr, "bench: graph_stats_get: %s\n", trib_error_last());
		graph_txn_abort(t);
	}
	*nodes = st.nodes;
	*products = st.products;
	*edges = st.edges;
}

void bench_store_close(bench_store *s)
{
	if (!s)
		return;
	graph_close(s->gs);
	trib_arena_dispose(&s->arena);
	free(s->ids);
	free(s);
}
