/*
 * The lineage section: the queries users make (lineage graph, impact,
 * provenance) on the largest generated graph, in-process through lineage.h
 * and over gRPC from tributaryd, against the floor (bare LMDB BFS) and SQLite
 * medians of the same traversal measured in the same run.
 *
 * Every answer's size is checked against the in-memory reference closure:
 * a lineage graph lists the root and every node reached; impact and
 * provenance list what is reached without the root.
 *
 * Verdicts: in-process lineage graphs and summary-only impact are
 * closure-shaped work, so they carry DESIGN.md's traversal targets (<= 1.5x
 * the floor, >= 5x faster than SQLite); impact with paths and provenance do
 * more than a closure (a record per affected product, composed constraints),
 * so their ratios are printed for information. Over gRPC: typical queries
 * (closures under 1000 nodes) p50 under 1 ms; impact from the hub with
 * summary_only under 250 ms, in-process and over gRPC; the server's heap
 * (anonymous memory, LMDB's mapped file pages aside) under 64 MB with the
 * store's products (a million by default) after the queries.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "tributary/lineage.h"
#include "tributary/v1/lineage.pb-c.h"

#define TYPICAL_TARGET_S 0.001
#define HUB_SUMMARY_TARGET_S 0.250
#define HEAP_TARGET_MB 64.0 /* DESIGN.md: with a million products, LMDB's mapped pages aside */
#define GRPC_SECONDS 1.0  /* per typical query */
#define GRPC_SLOW_S 0.05  /* a query slower than this gets --runs calls instead */

enum lq_kind { LQ_LINEAGE, LQ_IMPACT_SUMMARY, LQ_IMPACT, LQ_PROVENANCE };

typedef struct lineage_query {
	const char *label;
	enum lq_kind kind;
	int base;        /* BENCH_Q_*: the traversal it amounts to */
	int closure;     /* closure-shaped: carries the traversal targets */
	int grpc;        /* also measured over gRPC (the answer fits in one message) */
	double target_s; /* latency target (in-process for the hub summary, p50 over gRPC), 0 = none */
} lineage_query;

static const lineage_query QUERIES[] = {
	{"GetLineage down from hub", LQ_LINEAGE, BENCH_Q_HUB, 1, 0, 0},
	{"GetLineage down from staging", LQ_LINEAGE, BENCH_Q_STAGING, 1, 1, TYPICAL_TARGET_S},
	{"GetLineage down from mid-layer", LQ_LINEAGE, BENCH_Q_MID, 1, 1, TYPICAL_TARGET_S},
	{"GetLineage up from leaf", LQ_LINEAGE, BENCH_Q_LEAF, 1, 1, TYPICAL_TARGET_S},
	{"GetLineage 3 hops from hub", LQ_LINEAGE, BENCH_Q_HUB3, 1, 0, 0},
	{"Impact from hub, summary_only", LQ_IMPACT_SUMMARY, BENCH_Q_HUB, 1, 1, HUB_SUMMARY_TARGET_S},
	{"Impact from hub, with paths", LQ_IMPACT, BENCH_Q_HUB, 0, 0, 0},
	{"Impact from staging", LQ_IMPACT, BENCH_Q_STAGING, 0, 1, TYPICAL_TARGET_S},
	{"Provenance of leaf", LQ_PROVENANCE, BENCH_Q_LEAF, 0, 1, TYPICAL_TARGET_S},
};
#define NQUERIES (sizeof(QUERIES) / sizeof(QUERIES[0]))

/* ------------------------------------------------------------ in-process */

typedef struct local_ctx {
	graph_store *gs;
	trib_arena arena;
	uint64_t root;
	const lineage_query *lq;
	const bench_query *q;
} local_ctx;

/* Runs one query in its own read transaction; returns nodes reached counting the root. */
static size_t local_run(void *payload)
{
	local_ctx *c = payload;
	graph_txn *t;
	int rc = graph_read_begin(&t, c->gs);
	if (rc)
		bench_die("bench: graph_read_begin: %s", trib_error_last());
	size_t reached = 0;
	int truncated = 0;
	switch (c->lq->kind) {
	case LQ_LINEAGE: {
		graph_lineage_opts lo = GRAPH_LINEAGE_OPTS_INIT;
		lo.direction = c->q->dir == BENCH_UP ? GRAPH_UP : GRAPH_DOWN;
		lo.max_depth = c->q->depth;
		graph_lineage_graph lg;
		rc = graph_lineage_get(&lg, t, &c->arena, c->root, &lo);
		reached = lg.total;
		truncated = lg.truncated;
		break;
	}
	case LQ_IMPACT_SUMMARY:
	case LQ_IMPACT: {
		graph_impact_opts io = GRAPH_IMPACT_OPTS_INIT;
		io.summary_only = c->lq->kind == LQ_IMPACT_SUMMARY;
		graph_impact_report ir;
		rc = graph_lineage_impact(&ir, t, &c->arena, c->root, &io);
		reached = ir.total + 1;
		truncated = ir.truncated;
		break;
	}
	case LQ_PROVENANCE: {
		graph_provenance_opts po = GRAPH_PROVENANCE_OPTS_INIT;
		graph_provenance_report pr;
		rc = graph_lineage_provenance(&pr, t, &c->arena, c->root, &po);
		reached = pr.nupstream + 1;
		break;
	}
	}
	graph_txn_abort(t);
	if (rc)
		bench_die("bench: %s: %s", c->lq->label, trib_error_last());
	if (truncated)
		bench_die("bench: %s came back truncated with no limit set", c->lq->label);
	trib_arena_clear(&c->arena);
	return reached;
}

typedef struct bare_ctx {
	bench_bare *bare;
	const bench_query *q;
} bare_ctx;

static size_t bare_run(void *payload)
{
	bare_ctx *b = payload;
	return bench_bare_walk(b->bare, b->q->start, b->q->dir, b->q->depth);
}

static size_t floor_run(void *payload)
{
	bare_ctx *b = payload;
	return bench_bare_describe(b->bare, b->q->start, b->q->dir, b->q->depth);
}

static void run_local(const bench_opts *o, bench_engines *e, const bench_query *qs, const bench_baseline *bl)
{
	local_ctx c = {.gs = bench_store_handle(e->store)};
	trib_arena_init(&c.arena, 1 << 20);
	printf("\n%-31s %9s %11s %11s %11s %11s  %-17s %-17s %-9s %s\n", "lineage in-process (median)", "reached",
	       "time", "bare", "described", "sqlite", "x/bare <=1.5", "sqlite/x >=5", "x/descr.", "latency target");
	int fewer = 0;
	for (size_t i = 0; i < NQUERIES; i++) {
		const lineage_query *lq = &QUERIES[i];
		const bench_query *q = &qs[lq->base];
		c.lq = lq;
		c.q = q;
		c.root = bench_store_id(e->store, q->start);
		/* The floor is timed again, in turn with the query, so load elsewhere skews both alike. */
		bare_ctx bc = {e->bare, q};
		char what[96], fwhat[112];
		snprintf(what, sizeof(what), "%s: bare LMDB", lq->label);
		snprintf(fwhat, sizeof(fwhat), "%s: bare LMDB and records", lq->label);
		/* Answers that describe what they reach also have the floor that does so. */
		int described = lq->kind != LQ_IMPACT_SUMMARY;
		bench_timed items[3] = {{local_run, &c, 1, q->expect, lq->label, {0, 0, 0}},
					{bare_run, &bc, 1, q->expect, what, {0, 0, 0}},
					{floor_run, &bc, 1, q->expect, fwhat, {0, 0, 0}}};
		bench_time_interleaved(items, described ? 3 : 2, o->runs);
		const bench_timing m = items[0].out;
		double bare = items[1].out.median;
		double xb = m.median / bare, sx = bl->sql[lq->base] / m.median;
		char tt[32], tb[32], ts[32], tf[32] = "-", r1[32], r2[32], r3[32] = "", lt[48] = "";
		if (described) {
			bench_fmt_time(tf, sizeof(tf), items[2].out.median);
			snprintf(r3, sizeof(r3), "(%.2fx)", m.median / items[2].out.median);
		}
		if (lq->closure) {
			snprintf(r1, sizeof(r1), "%.2fx %s", xb, bench_verdict(xb <= 1.5));
			snprintf(r2, sizeof(r2), "%.1fx %s", sx, bench_verdict(sx >= 5.0));
		} else {
			snprintf(r1, sizeof(r1), "(%.2fx)", xb);
			snprintf(r2, sizeof(r2), "(%.1fx)", sx);
		}
		if (lq->kind == LQ_IMPACT_SUMMARY)
			snprintf(lt, sizeof(lt), "< %.0f ms %s", lq->target_s * 1e3,
				 bench_verdict(m.median < lq->target_s));
		fewer |= m.runs != o->runs;
		printf("%-31s %9zu %10s%s %11s %11s %10s%s  %-17s %-17s %-9s %s\n", lq->label, q->expect,
		       bench_fmt_time(tt, sizeof(tt), m.median), m.runs != o->runs ? "*" : " ",
		       bench_fmt_time(tb, sizeof(tb), bare), tf,
		       bench_fmt_time(ts, sizeof(ts), bl->sql[lq->base]), bl->sql_fewer[lq->base] ? "*" : " ", r1,
		       r2, r3, lt);
	}
	printf("(reached counts the root; bare: the same traversal, timed in turn with the query; described: the "
	       "bare traversal then one node record read per node reached, in id order, and its reference copied "
	       "out - the least an answer naming every node it reaches can cost in LMDB; sqlite: the median from "
	       "the traversal measurements; ratios in parentheses are information: those answers do more than a "
	       "closure%s)\n",
	       fewer ? "; * 3 runs: one run took over 1 s" : "");
	trib_arena_dispose(&c.arena);
}

/* ------------------------------------------------------------------ gRPC */

typedef struct grpc_check_ctx {
	const lineage_query *lq;
	size_t expect;
} grpc_check_ctx;

static int grpc_check(const uint8_t *data, size_t len, size_t req, void *payload, char *err, size_t errsize)
{
	grpc_check_ctx *c = payload;
	size_t got = 0;
	int truncated = 0, ok = 1;
	(void)req;
	switch (c->lq->kind) {
	case LQ_LINEAGE: {
		Tributary__V1__LineageGraph *g = tributary__v1__lineage_graph__unpack(NULL, len, data);
		if (!g)
			break;
		got = g->n_nodes;
		truncated = g->truncated || g->next_page_token[0];
		tributary__v1__lineage_graph__free_unpacked(g, NULL);
		ok = 0;
		break;
	}
	case LQ_IMPACT_SUMMARY:
	case LQ_IMPACT: {
		Tributary__V1__ImpactReport *r = tributary__v1__impact_report__unpack(NULL, len, data);
		if (!r)
			break;
		got = (size_t)r->total + 1;
		truncated = r->truncated;
		if (c->lq->kind == LQ_IMPACT && r->n_affected != r->total)
			truncated = 1;
		tributary__v1__impact_report__free_unpacked(r, NULL);
		ok = 0;
		break;
	}
	case LQ_PROVENANCE: {
		Tributary__V1__ProvenanceReport *r = tributary__v1__provenance_report__unpack(NULL, len, data);
		if (!r)
			break;
		got = r->n_upstream + 1;
		tributary__v1__provenance_report__free_unpacked(r, NULL);
		ok = 0;
		break;
	}
	}
	if (ok != 0) {
		snprintf(err, errsize, "%s: undecodable reply", c->lq->label);
		return -1;
	}
	if (got != c->expect || truncated) {
		snprintf(err, errsize, "%s: reply reaches %zu nodes%s, the reference %zu", c->lq->label, got,
			 truncated ? " (truncated or paged)" : "", c->expect);
		return -1;
	}
	return 0;
}

static bench_packed *grpc_request(const lineage_query *lq, const bench_query *q, const char *ref)
{
	switch (lq->kind) {
	case LQ_LINEAGE: {
		Tributary__V1__LineageRequest r = TRIBUTARY__V1__LINEAGE_REQUEST__INIT;
		r.ref = (char *)ref;
		r.direction = q->dir == BENCH_UP ? TRIBUTARY__V1__DIRECTION__DIRECTION_UPSTREAM
						 : TRIBUTARY__V1__DIRECTION__DIRECTION_DOWNSTREAM;
		r.max_depth = q->depth;
		r.level = TRIBUTARY__V1__LEVEL__LEVEL_PRODUCT;
		return bench_pack(&r.base);
	}
	case LQ_IMPACT_SUMMARY:
	case LQ_IMPACT: {
		Tributary__V1__ImpactRequest r = TRIBUTARY__V1__IMPACT_REQUEST__INIT;
		r.ref = (char *)ref;
		r.summary_only = lq->kind == LQ_IMPACT_SUMMARY;
		return bench_pack(&r.base);
	}
	default: {
		Tributary__V1__ProvenanceRequest r = TRIBUTARY__V1__PROVENANCE_REQUEST__INIT;
		r.ref = (char *)ref;
		return bench_pack(&r.base);
	}
	}
}

static const char *grpc_method(enum lq_kind k)
{
	switch (k) {
	case LQ_LINEAGE:
		return "/tributary.v1.Lineage/GetLineage";
	case LQ_PROVENANCE:
		return "/tributary.v1.Lineage/Provenance";
	default:
		return "/tributary.v1.Lineage/Impact";
	}
}

static void run_grpc(const bench_opts *o, const bench_graph *g, const bench_query *qs, const char *store_dir,
		     const char *base)
{
	printf("\nlineage over gRPC (tributaryd on the same store, one call in flight)\n");
	if (access(o->server, X_OK) != 0) {
		printf("  skipped: %s is not an executable (build it with make all, or pass --server PATH)\n",
		       o->server);
		return;
	}
	char log_path[4200];
	snprintf(log_path, sizeof(log_path), "%s/tributaryd-lineage.log", base);
	bench_server srv;
	double t0 = bench_now();
	if (bench_server_start(&srv, o->server, store_dir, log_path, NULL) != 0) {
		printf("  FAILED: could not start %s on %s (log: %s)\n", o->server, store_dir, log_path);
		bench_verdict(0);
		return;
	}
	printf("  tributaryd pid %d on %s, listening after %.2f s\n", srv.pid, srv.addr, bench_now() - t0);
	bench_client *c = bench_client_open(srv.addr);
	printf("%-31s %9s %7s %11s %11s   %s\n", "", "reached", "calls", "p50", "p99", "target (p50)");
	for (size_t i = 0; i < NQUERIES; i++) {
		const lineage_query *lq = &QUERIES[i];
		if (!lq->grpc)
			continue;
		const bench_query *q = &qs[lq->base];
		char ref[48];
		bench_node_ref(ref, sizeof(ref), g, q->start);
		bench_packed *req = grpc_request(lq, q, ref);
		grpc_check_ctx cc = {lq, q->expect};
		/* Warm-up: the first call pays for cold pages; the median of three says how long one takes. */
		bench_rpc_job job = {grpc_method(lq->kind), &req, 1, grpc_check, &cc, 1, 0, 3};
		bench_rpc_stats st;
		bench_rpc_drive(&st, c, &job);
		if (!st.errors) {
			if (st.p50 > GRPC_SLOW_S) {
				job.max_calls = o->runs;
			} else {
				job.max_calls = 0;
				job.seconds = GRPC_SECONDS;
			}
			bench_rpc_drive(&st, c, &job);
		}
		if (st.errors) {
			printf("%-31s FAILED (%zu of %zu calls): %s   %s\n", lq->label, st.errors, st.calls,
			       st.first_error, bench_verdict(0));
		} else {
			char p50[32], p99[32], tgt[48];
			snprintf(tgt, sizeof(tgt), "< %.0f ms %s", lq->target_s * 1e3,
				 bench_verdict(st.p50 < lq->target_s));
			printf("%-31s %9zu %7zu %11s %11s   %s\n", lq->label, q->expect, st.calls,
			       bench_fmt_time(p50, sizeof(p50), st.p50), bench_fmt_time(p99, sizeof(p99), st.p99),
			       tgt);
		}
		bench_pack_free(req);
	}
	bench_print_mem(&srv, "after the queries");
	bench_mem mem;
	bench_server_mem(&mem, &srv);
	if (g->n >= 1000000)
		printf("  server heap with %u products: %.1f MB   target < %.0f MB %s\n", g->n, mem.anon_kb / 1024.0,
		       HEAP_TARGET_MB, bench_verdict(mem.anon_kb >= 0 && mem.anon_kb / 1024.0 < HEAP_TARGET_MB));
	else
		printf("  server heap with %u products: %.1f MB (the %.0f MB target is for a million)\n", g->n,
		       mem.anon_kb / 1024.0, HEAP_TARGET_MB);
	bench_client_close(c);
	if (bench_server_stop(&srv) != 0)
		bench_die("bench: tributaryd did not shut down cleanly (log: %s)", log_path);
}

void bench_section_lineage(const bench_opts *o, bench_engines *e, const bench_query *qs,
			   const bench_baseline *bl, const char *store_dir, const char *base)
{
	run_local(o, e, qs, bl);
	/* tributaryd opens the store itself: one process per LMDB environment here. */
	bench_store_close(e->store);
	e->store = NULL;
	run_grpc(o, e->g, qs, store_dir, base);
}
