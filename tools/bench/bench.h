/*
 * trib-bench: private header shared by the benchmark's files.
 *
 * The benchmark generates one synthetic lineage graph per size (gen.c), loads
 * the same edges into three engines — the Tributary graph store (store.c), a
 * bare LMDB adjacency db walked by a hand-written BFS (bare.c, the floor) and
 * SQLite with a recursive CTE (sqlite.c, the usual alternative) — runs the same
 * traversals on each and prints medians and ratios (main.c). rpc.c measures
 * the gRPC server, lineage.c the lineage queries.
 *
 * Node numbering: generator nodes are 0..n-1, layer by layer. The bare LMDB
 * and SQLite engines store them as ids 1..n (0 is never a valid id); the graph
 * store assigns its own ids and store.c keeps the mapping.
 */
#ifndef TRIB_BENCH_H
#define TRIB_BENCH_H

#include <stddef.h>
#include <stdint.h>

#define BENCH_LAYERS 8

/* A compressed adjacency: neighbours of node v are adj[off[v] .. off[v+1]). */
typedef struct bench_csr {
	size_t *off;   /* n + 1 entries */
	uint32_t *adj; /* sorted ascending per node */
} bench_csr;

/* The generated graph. Edges go parent -> child (data flows downstream). */
typedef struct bench_graph {
	uint64_t seed;
	uint32_t n;                           /* nodes */
	size_t m;                             /* edges */
	uint32_t layer_start[BENCH_LAYERS + 1]; /* layer l is [layer_start[l], layer_start[l+1]) */
	bench_csr down;                       /* children of each node */
	bench_csr up;                         /* parents of each node */
} bench_graph;

/* Generate the graph of n nodes (n >= 100) from seed. Exits on out-of-memory. */
void bench_gen(bench_graph *g, uint32_t n, uint64_t seed);
void bench_gen_free(bench_graph *g);

/* Layer of node v. */
unsigned bench_layer_of(const bench_graph *g, uint32_t v);

enum { BENCH_DOWN = 1, BENCH_UP = 2 };

/*
 * In-memory BFS over the generator's CSR: the reference answer every engine
 * must reproduce. max_depth 0 = unlimited. Returns the number of nodes reached,
 * counting the start.
 */
size_t bench_closure(const bench_graph *g, uint32_t start, int dir, unsigned max_depth);

/* ----------------------------------------------------------------- engines */

typedef struct bench_bare bench_bare;
/* Load g into a fresh LMDB environment in dir. Returns NULL on error (printed). */
bench_bare *bench_bare_load(const bench_graph *g, const char *dir, double *load_s);
size_t bench_bare_walk(bench_bare *b, uint32_t start, int dir, unsigned max_depth);
void bench_bare_close(bench_bare *b);

typedef struct bench_sql bench_sql;
bench_sql *bench_sql_load(const bench_graph *g, const char *path, double *load_s);
size_t bench_sql_walk(bench_sql *q, uint32_t start, int dir, unsigned max_depth);
void bench_sql_close(bench_sql *q);

typedef struct bench_store bench_store;
/*
 * Register every node as a data product (sources with no inputs, others with
 * one input port per parent) in large no-sync write transactions, then
 * graph_sync. Reports the load time (including the sync) and the sync alone.
 */
bench_store *bench_store_load(const bench_graph *g, const char *dir, double *load_s, double *sync_s);
size_t bench_store_walk(bench_store *s, uint32_t start, int dir, unsigned max_depth);
void bench_store_close(bench_store *s);
/* What graph_stats_get reports after the load (zeros if it fails, with a message). */
void bench_store_stats(bench_store *s, size_t *nodes, size_t *products, size_t *edges);
/* The reference string of node v as registered ("dNNN/pNNNNNNN"), into buf. */
void bench_node_ref(char *buf, size_t size, const bench_graph *g, uint32_t v);

/* ---------------------------------------------------------------- helpers */

/* Seconds on CLOCK_MONOTONIC. */
double bench_now(void);
/* Median of n samples (sorts them). */
double bench_median(double *v, size_t n);
/* Print a message and exit(1): for setup failures that make the run meaningless. */
void bench_die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void *bench_xmalloc(size_t n);
void *bench_xcalloc(size_t n, size_t size);
/* "1.23 ms", "456 us", "2.1 s" into buf. */
const char *bench_fmt_time(char *buf, size_t size, double seconds);

/* splitmix64 / xoshiro256** (gen.c): the benchmark's one random source. */
typedef struct bench_rng {
	uint64_t s[4];
} bench_rng;
void bench_rng_seed(bench_rng *r, uint64_t seed);
uint64_t bench_rng_next(bench_rng *r);
/* Uniform in [0, bound) without modulo bias. bound > 0. */
uint64_t bench_rng_below(bench_rng *r, uint64_t bound);

#endif
