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

#include "tributary/v1/types.pb-c.h"

#define BENCH_LAYERS 8
#define BENCH_MAX_SIZES 16

enum { BENCH_SECTION_GRAPH = 1, BENCH_SECTION_GRPC = 2, BENCH_SECTION_LINEAGE = 4 };

/* The command line (main.c). */
typedef struct bench_opts {
	uint32_t sizes[BENCH_MAX_SIZES];
	size_t nsizes;
	unsigned runs;
	uint64_t seed;
	const char *dir;          /* NULL: a temporary directory, removed at the end */
	unsigned sections;        /* BENCH_SECTION_* */
	const char *server;       /* tributaryd to start */
	uint32_t grpc_products;   /* products registered over gRPC */
	uint32_t stream_products; /* products per RegisterProducts stream */
} bench_opts;

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

/* One traversal of the benchmark: from start, in direction dir, depth-limited or not (0). */
typedef struct bench_query {
	const char *label;
	uint32_t start;
	int dir;
	unsigned depth;
	size_t expect; /* nodes reached, counting the start, by the in-memory reference BFS */
} bench_query;

/* The fixed set of traversals, picked deterministically from the graph (main.c). */
enum { BENCH_Q_HUB, BENCH_Q_STAGING, BENCH_Q_MID, BENCH_Q_LEAF, BENCH_Q_HUB3, BENCH_Q_COUNT };

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
/* The same walk, then each reached node's record read in id order and its
 * reference copied out: the floor for an answer that describes every node. */
size_t bench_bare_describe(bench_bare *b, uint32_t start, int dir, unsigned max_depth);
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
/* The open store, and the store's node id of generator node v. */
struct graph_store *bench_store_handle(bench_store *s);
uint64_t bench_store_id(const bench_store *s, uint32_t v);
/* What graph_stats_get reports after the load (zeros if it fails, with a message). */
void bench_store_stats(bench_store *s, size_t *nodes, size_t *products, size_t *edges);

/* ---------------------------------------------------------------- products */

#define BENCH_MAX_INPUTS 8 /* the generator draws at most 5 parents */

/*
 * The data product registered for node v, self-contained (no allocation):
 * domain "l<layer>-d<NN>" (neighbours in a layer share one of 16 domains),
 * name "p<index>", owner "team-<domain>", a description, one output port and
 * an SLA (what the default policy requires), and one input port per parent.
 */
typedef struct bench_product {
	Tributary__V1__DataProduct p;
	Tributary__V1__OutputPort out, *outs[1];
	Tributary__V1__Sla sla;
	Tributary__V1__InputPort in[BENCH_MAX_INPUTS], *ins[BENCH_MAX_INPUTS];
	char domain[16], name[16], owner[32], description[48], location[48];
	char sources[BENCH_MAX_INPUTS][32];
} bench_product;

void bench_product_fill(bench_product *bp, const bench_graph *g, uint32_t v);

/* The reference "domain/name" of node v's product, into buf. */
void bench_node_ref(char *buf, size_t size, const bench_graph *g, uint32_t v);

/* ------------------------------------------------------------------- gRPC */

/* tributaryd as a child process on 127.0.0.1:<free port> (rpc.c). */
typedef struct bench_server {
	int pid;
	int out_fd;
	char addr[64];
	char log_path[4096];
} bench_server;

/*
 * Start exe with --listen 127.0.0.1:0 --data-dir data_dir [--policy policy],
 * stderr to log_path; 0 once it listens.
 */
int bench_server_start(bench_server *s, const char *exe, const char *data_dir, const char *log_path,
		       const char *policy);
/* Memory of the server from /proc/PID/status, in KiB (-1 where unreadable). */
typedef struct bench_mem {
	long rss_kb;  /* VmRSS */
	long peak_kb; /* VmHWM */
	long anon_kb; /* RssAnon: heap, stacks, anonymous maps */
	long file_kb; /* RssFile: mapped files, LMDB's pages among them */
} bench_mem;
void bench_server_mem(bench_mem *out, const bench_server *s);
/* One line: RSS, peak, and its split into anonymous memory and mapped files. */
void bench_print_mem(const bench_server *s, const char *when);
/* CPU time (user + system) a process has used, in seconds; pid 0 = this process. -1 if unreadable. */
double bench_proc_cpu_s(int pid);
/* SIGTERM and wait; -1 (printed) unless it exits with status 0. */
int bench_server_stop(bench_server *s);

typedef struct bench_client bench_client;
/* A channel to addr and one completion queue; initialises the gRPC library. */
bench_client *bench_client_open(const char *addr);
void bench_client_close(bench_client *c);

/* A request packed once, sent many times. */
typedef struct bench_packed bench_packed;
bench_packed *bench_pack(const ProtobufCMessage *m);
void bench_pack_free(bench_packed *p);

/* Checks one reply; nonzero (with a message in err) when it is wrong. */
typedef int (*bench_rpc_check)(const uint8_t *data, size_t len, size_t req, void *payload,
			       char *err, size_t errsize);

typedef struct bench_rpc_job {
	const char *method;       /* "/tributary.v1.Catalog/GetProduct" (static storage) */
	bench_packed **reqs;      /* cycled through */
	size_t nreqs;
	bench_rpc_check check;    /* NULL: status OK is enough */
	void *payload;
	unsigned concurrency;     /* calls in flight */
	double seconds;           /* stop starting calls after this long (0: no time limit) */
	size_t max_calls;         /* or after this many (0: no count limit) */
} bench_rpc_job;

typedef struct bench_rpc_stats {
	size_t calls, errors;
	double elapsed, p50, p99; /* seconds */
	char first_error[256];
} bench_rpc_stats;

/* Run a job of unary calls, keeping job->concurrency of them in flight. */
void bench_rpc_drive(bench_rpc_stats *out, bench_client *c, const bench_rpc_job *job);

typedef struct bench_register_result {
	size_t sent, registered, failed;
	char error[512];
} bench_register_result;

/* One RegisterProducts client stream with the products of nodes [from, to). 0 when the call ends OK. */
int bench_rpc_register_stream(bench_register_result *out, bench_client *c, const bench_graph *g,
			      uint32_t from, uint32_t to);

/* The three engines loaded with one graph. */
typedef struct bench_engines {
	const bench_graph *g;
	bench_store *store;
	bench_bare *bare;
	bench_sql *sql;
} bench_engines;

/* Medians of the floor and of SQLite for each of the BENCH_Q_* traversals. */
typedef struct bench_baseline {
	double bare[BENCH_Q_COUNT];
	double sql[BENCH_Q_COUNT];
	int sql_fewer[BENCH_Q_COUNT]; /* SQLite got BENCH_SLOW_RUNS runs */
} bench_baseline;

/*
 * The lineage section on one loaded graph (sec_lineage.c): lineage, impact
 * and provenance in-process against the bare BFS and SQLite medians, then,
 * with the store closed, the same queries over gRPC from tributaryd opened on
 * the store's directory. Closes e->store (and sets it to NULL).
 */
void bench_section_lineage(const bench_opts *o, bench_engines *e, const bench_query *qs,
			   const bench_baseline *bl, const char *store_dir, const char *base);

/* The gRPC section: register, GetProduct with concurrency, server RSS (sec_grpc.c). */
void bench_section_grpc(const bench_opts *o, const char *base);

/* Verdict words, counted for the closing line (main.c). */
const char *bench_verdict(int ok);

/* ---------------------------------------------------------------- helpers */

/* The median of one measurement. */
typedef struct bench_timing {
	double median;  /* seconds per call */
	unsigned runs;  /* samples taken */
	unsigned reps;  /* calls per sample (fast calls are repeated to outlast the clock) */
} bench_timing;

/*
 * Time fn(ctx): one warm-up call, then `runs` samples, or BENCH_SLOW_RUNS when
 * may_shorten and the warm-up took over BENCH_SLOW_S. Every call must return
 * `expect` (nodes reached) or the benchmark stops, naming `what`.
 */
#define BENCH_SLOW_S 1.0
#define BENCH_SLOW_RUNS 3
bench_timing bench_time(size_t (*fn)(void *ctx), void *ctx, unsigned runs, int may_shorten, size_t expect,
			const char *what);

/* One of several calls timed together. */
typedef struct bench_timed {
	size_t (*fn)(void *ctx);
	void *ctx;
	int may_shorten;
	size_t expect;
	const char *what;
	bench_timing out; /* filled in */
} bench_timed;

/*
 * As bench_time for each item, with the samples taken round-robin (one of
 * each, then the next round), so that load from elsewhere on the machine
 * falls on every item alike and their ratios stay meaningful.
 */
void bench_time_interleaved(bench_timed *items, size_t n, unsigned runs);

/* Seconds on CLOCK_MONOTONIC. */
double bench_now(void);
/* Median of n samples (sorts them). */
double bench_median(double *v, size_t n);
/* Print a message and exit(1): for setup failures that make the run meaningless. */
void bench_die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
/* bench_die also names this directory, which it leaves behind (logs, stores). */
void bench_die_keeps(const char *dir);
void *bench_xmalloc(size_t n);
void *bench_xcalloc(size_t n, size_t size);
/* Remove a file or a directory tree (absent: nothing to do). */
void bench_rm_tree(const char *path);
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
