/*
 * trib-bench: the numbers behind DESIGN.md's performance targets.
 *
 * Ratios, not absolute times, are the verdicts: every engine runs the same
 * query on the same graph in the same process and run, so the machine's speed
 * cancels out. Each figure is the median of --runs samples after one warm-up,
 * the engines' samples taken in turn (bench_time_interleaved; a fast query is
 * repeated inside a sample so the clock's resolution does not dominate).
 * Node counts reached must agree across engines and with an in-memory
 * reference BFS, or the run stops.
 *
 * Sections: graph (per size: generate, bulk-load, traversal table), lineage
 * (on the largest size), grpc (tributaryd as a child process).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench.h"

#define TYPICAL_SAMPLE 31

enum { ENG_GRAPH, ENG_BARE, ENG_SQL, ENG_COUNT };
static const char *const ENGINE_NAMES[ENG_COUNT] = {"graph store", "bare LMDB", "SQLite"};

/* Overall verdicts, summed over sizes for the closing line. */
static unsigned n_pass, n_miss;

typedef struct walk_ctx {
	bench_engines *e;
	int which;
	const bench_query *q;
} walk_ctx;

static size_t engine_walk(void *ctx)
{
	walk_ctx *w = ctx;
	const bench_query *q = w->q;
	switch (w->which) {
	case ENG_GRAPH:
		return bench_store_walk(w->e->store, q->start, q->dir, q->depth);
	case ENG_BARE:
		return bench_bare_walk(w->e->bare, q->start, q->dir, q->depth);
	default:
		return bench_sql_walk(w->e->sql, q->start, q->dir, q->depth);
	}
}

/* ------------------------------------------------------------ query nodes */

static uint32_t pick_hub(const bench_graph *g)
{
	uint32_t best = 0;
	size_t best_deg = 0;
	for (uint32_t v = 0; v < g->layer_start[1]; v++) {
		size_t deg = g->down.off[v + 1] - g->down.off[v];
		if (deg > best_deg) {
			best = v;
			best_deg = deg;
		}
	}
	return best;
}

typedef struct sized {
	size_t size;
	uint32_t v;
} sized;

static int cmp_sized(const void *a, const void *b)
{
	const sized *x = a, *y = b;
	if (x->size != y->size)
		return x->size < y->size ? -1 : 1;
	return (x->v > y->v) - (x->v < y->v);
}

/* "Typical": the median closure among nodes spread evenly across the layer. */
static uint32_t pick_typical(const bench_graph *g, unsigned layer, int dir)
{
	uint32_t a = g->layer_start[layer], width = g->layer_start[layer + 1] - a;
	unsigned k = width < TYPICAL_SAMPLE ? width : TYPICAL_SAMPLE;
	sized s[TYPICAL_SAMPLE];
	for (unsigned i = 0; i < k; i++) {
		s[i].v = a + (uint32_t)((uint64_t)width * (2 * i + 1) / (2 * k));
		s[i].size = bench_closure(g, s[i].v, dir, 0);
	}
	qsort(s, k, sizeof(s[0]), cmp_sized);
	return s[k / 2].v;
}

/* ---------------------------------------------------------------- output */

static const char *fmt_rate(char *buf, size_t size, double per_s)
{
	if (per_s >= 1e6)
		snprintf(buf, size, "%.2fM", per_s / 1e6);
	else if (per_s >= 1e3)
		snprintf(buf, size, "%.1fk", per_s / 1e3);
	else
		snprintf(buf, size, "%.0f", per_s);
	return buf;
}

const char *bench_verdict(int ok)
{
	if (ok)
		n_pass++;
	else
		n_miss++;
	return ok ? "PASS" : "MISS";
}

/* The 1-minute load average: other work on the machine skews absolute figures (not ratios much). */
static double load_average(void)
{
	double l = -1;
	FILE *f = fopen("/proc/loadavg", "r");
	if (f) {
		if (fscanf(f, "%lf", &l) != 1)
			l = -1;
		fclose(f);
	}
	return l;
}

/* ------------------------------------------------------------ one size */

static void print_traversals(const bench_opts *o, bench_timing (*tm)[ENG_COUNT], const bench_query *qs)
{
	printf("\n%-26s %9s %9s %11s %11s %11s  %-17s %-17s %s\n", "traversal (median)", "start", "reached",
	       "graph", "bare", "sqlite", "graph/bare <=1.5", "sqlite/graph >=5", "sqlite/bare");
	int fewer = 0;
	for (size_t i = 0; i < BENCH_Q_COUNT; i++) {
		const bench_timing *m = tm[i];
		char tg[32], tba[32], ts[32], rs[40], r1[32], r2[32];
		bench_fmt_time(tg, sizeof(tg), m[ENG_GRAPH].median);
		bench_fmt_time(tba, sizeof(tba), m[ENG_BARE].median);
		bench_fmt_time(ts, sizeof(ts), m[ENG_SQL].median);
		fewer |= m[ENG_SQL].runs != o->runs;
		snprintf(rs, sizeof(rs), "%s%s", ts, m[ENG_SQL].runs != o->runs ? "*" : "");
		double gb = m[ENG_GRAPH].median / m[ENG_BARE].median;
		double sg = m[ENG_SQL].median / m[ENG_GRAPH].median;
		snprintf(r1, sizeof(r1), "%.2fx %s", gb, bench_verdict(gb <= 1.5));
		snprintf(r2, sizeof(r2), "%.1fx %s", sg, bench_verdict(sg >= 5.0));
		printf("%-26s %9u %9zu %11s %11s %11s  %-17s %-17s %.1fx\n", qs[i].label, qs[i].start,
		       qs[i].expect, tg, tba, rs, r1, r2, m[ENG_SQL].median / m[ENG_BARE].median);
	}
	printf("(reached: nodes incl. the start, identical in all three engines and the in-memory reference; "
	       "%u runs each after a warm-up; sqlite/bare is the most any BFS over LMDB could gain on SQLite",
	       o->runs);
	if (fewer)
		printf("; * SQLite: %u runs, one run took over %.0f s", BENCH_SLOW_RUNS, BENCH_SLOW_S);
	printf(")\n");
}

/* Generate, load the three engines, then run the traversal table and/or the lineage section. */
static void bench_size(const bench_opts *o, const char *base, uint32_t n, int traversals, int lineage)
{
	bench_graph g;
	char tb[32], tb2[32], rb[32];
	double t = bench_now();
	bench_gen(&g, n, o->seed);
	double gen_s = bench_now() - t;
	uint32_t hub = pick_hub(&g);
	printf("\n== %u nodes, %zu edges, seed %" PRIu64 " (8 layers, %u sources; generated in %s) ==\n",
	       g.n, g.m, g.seed, g.layer_start[1], bench_fmt_time(tb, sizeof(tb), gen_s));
	printf("largest hub: node %u with %zu direct consumers\n", hub, g.down.off[hub + 1] - g.down.off[hub]);

	bench_query qs[BENCH_Q_COUNT] = {
		[BENCH_Q_HUB] = {"full down from hub", hub, BENCH_DOWN, 0, 0},
		[BENCH_Q_STAGING] = {"full down from staging", pick_typical(&g, 1, BENCH_DOWN), BENCH_DOWN, 0, 0},
		[BENCH_Q_MID] = {"full down from mid-layer", pick_typical(&g, BENCH_LAYERS / 2, BENCH_DOWN),
				 BENCH_DOWN, 0, 0},
		[BENCH_Q_LEAF] = {"full up from leaf", pick_typical(&g, BENCH_LAYERS - 1, BENCH_UP), BENCH_UP, 0, 0},
		[BENCH_Q_HUB3] = {"3-hop down from hub", hub, BENCH_DOWN, 3, 0},
	};
	for (size_t i = 0; i < BENCH_Q_COUNT; i++)
		qs[i].expect = bench_closure(&g, qs[i].start, qs[i].dir, qs[i].depth);

	char dir[4096], store_dir[4200], path[4200];
	snprintf(dir, sizeof(dir), "%s/n%u", base, n);
	bench_rm_tree(dir); /* a previous run's files under --dir */
	if (mkdir(dir, 0700) != 0)
		bench_die("bench: mkdir %s: %s", dir, strerror(errno));

	bench_engines e = {.g = &g};
	double load_graph = 0, sync_graph = 0, load_bare = 0, load_sql = 0;
	snprintf(store_dir, sizeof(store_dir), "%s/graph", dir);
	e.store = bench_store_load(&g, store_dir, &load_graph, &sync_graph);
	if (!e.store)
		bench_die("bench: the graph store could not be loaded (see above)");
	snprintf(path, sizeof(path), "%s/bare", dir);
	e.bare = bench_bare_load(&g, path, &load_bare);
	if (!e.bare)
		bench_die("bench: the bare LMDB environment could not be loaded (see above)");
	snprintf(path, sizeof(path), "%s/edges.sqlite", dir);
	e.sql = bench_sql_load(&g, path, &load_sql);
	if (!e.sql)
		bench_die("bench: the SQLite database could not be loaded (see above)");

	size_t s_nodes, s_products, s_edges;
	bench_store_stats(e.store, &s_nodes, &s_products, &s_edges);
	printf("\nbulk load           time       rate\n");
	printf("  graph store   %10s   %9s products/s  (%zu products, %zu nodes, %zu edges of all kinds; "
	       "no-sync transactions of 10000 products, then graph_sync %s)\n",
	       bench_fmt_time(tb, sizeof(tb), load_graph), fmt_rate(rb, sizeof(rb), g.n / load_graph),
	       s_products, s_nodes, s_edges, bench_fmt_time(tb2, sizeof(tb2), sync_graph));
	printf("  bare LMDB     %10s   %9s edges/s     (one dupsort/dupfixed db, both directions)\n",
	       bench_fmt_time(tb, sizeof(tb), load_bare), fmt_rate(rb, sizeof(rb), g.m / load_bare));
	printf("  SQLite        %10s   %9s edges/s     (WITHOUT ROWID (src,dst) + index (dst,src), ANALYZE)\n",
	       bench_fmt_time(tb, sizeof(tb), load_sql), fmt_rate(rb, sizeof(rb), g.m / load_sql));

	/* The floor and SQLite serve both sections; the graph store only the traversal table. */
	bench_timing tm[BENCH_Q_COUNT][ENG_COUNT];
	bench_baseline bl;
	for (size_t i = 0; i < BENCH_Q_COUNT; i++) {
		walk_ctx w[ENG_COUNT];
		bench_timed items[ENG_COUNT];
		char what[ENG_COUNT][128];
		size_t ni = 0;
		for (int k = traversals ? ENG_GRAPH : ENG_BARE; k < ENG_COUNT; k++, ni++) {
			w[ni] = (walk_ctx){&e, k, &qs[i]};
			snprintf(what[ni], sizeof(what[ni]), "%s: %s from node %u", qs[i].label, ENGINE_NAMES[k],
				 qs[i].start);
			items[ni] = (bench_timed){engine_walk, &w[ni], k == ENG_SQL, qs[i].expect, what[ni], {0, 0, 0}};
		}
		bench_time_interleaved(items, ni, o->runs);
		for (size_t j = 0; j < ni; j++)
			tm[i][((walk_ctx *)items[j].ctx)->which] = items[j].out;
		bl.bare[i] = tm[i][ENG_BARE].median;
		bl.sql[i] = tm[i][ENG_SQL].median;
		bl.sql_fewer[i] = tm[i][ENG_SQL].runs != o->runs;
	}
	if (traversals)
		print_traversals(o, tm, qs);
	if (lineage)
		bench_section_lineage(o, &e, qs, &bl, store_dir, base); /* closes the store */
	fflush(stdout);

	bench_store_close(e.store);
	bench_bare_close(e.bare);
	bench_sql_close(e.sql);
	bench_gen_free(&g);
	if (!o->dir)
		bench_rm_tree(dir);
}

/* --------------------------------------------------------------- options */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: trib-bench [options]\n"
		"  --sizes LIST   graph sizes in nodes, comma-separated; k/M suffixes allowed\n"
		"                 (default 10k,100k,1M; the 1M size takes the longest: leave it out to skip)\n"
		"  --runs N       timed runs per query after one warm-up (default 5, at least 1);\n"
		"                 SQLite queries slower than 1 s per run get 3 runs, marked *\n"
		"  --seed S       generator seed (default 42)\n"
		"  --dir DIR      keep the stores under DIR, replacing its n<size>/ and grpc-*/ from an\n"
		"                 earlier run (default: a temporary directory, removed after)\n"
		"  --only WHAT    run one section: graph (load and traversals), grpc (tributaryd:\n"
		"                 RegisterProducts, GetProduct, RSS), lineage (lineage queries on the\n"
		"                 largest size, in-process and over gRPC)\n"
		"  --server PATH  tributaryd to start (default: the one next to trib-bench)\n"
		"  --grpc-products N  products registered over gRPC (default 50000)\n"
		"  --stream-products N  products per RegisterProducts stream (default 5000)\n"
		"  --help         this text\n"
		"Smoke run: trib-bench --sizes 2000 --runs 1\n");
}

static int parse_size(uint32_t *out, const char *s)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (end == s || errno)
		return -1;
	if (*end == 'k' || *end == 'K')
		v *= 1000, end++;
	else if (*end == 'm' || *end == 'M')
		v *= 1000000, end++;
	if (*end != '\0' || v < 100 || v > 50000000)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

static void parse_opts(bench_opts *o, int argc, char **argv)
{
	static const struct option longs[] = {
		{"sizes", required_argument, NULL, 's'}, {"runs", required_argument, NULL, 'r'},
		{"seed", required_argument, NULL, 'S'},  {"dir", required_argument, NULL, 'd'},
		{"only", required_argument, NULL, 'o'},  {"help", no_argument, NULL, 'h'},
		{"server", required_argument, NULL, 'x'}, {"grpc-products", required_argument, NULL, 'g'},
		{"stream-products", required_argument, NULL, 'p'},
		{NULL, 0, NULL, 0},
	};
	o->nsizes = 3;
	o->sizes[0] = 10000;
	o->sizes[1] = 100000;
	o->sizes[2] = 1000000;
	o->runs = 5;
	o->seed = 42;
	o->sections = BENCH_SECTION_GRAPH | BENCH_SECTION_GRPC | BENCH_SECTION_LINEAGE;
	o->grpc_products = 50000;
	o->stream_products = 5000;
	int c;
	while ((c = getopt_long(argc, argv, "", longs, NULL)) != -1) {
		switch (c) {
		case 's': {
			o->nsizes = 0;
			char *copy = strdup(optarg), *save = NULL;
			for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
				if (o->nsizes == BENCH_MAX_SIZES)
					bench_die("trib-bench: --sizes: at most %d sizes", BENCH_MAX_SIZES);
				if (parse_size(&o->sizes[o->nsizes++], tok) != 0)
					bench_die("trib-bench: --sizes: '%s' is not a size from 100 to 50M nodes", tok);
			}
			free(copy);
			if (o->nsizes == 0)
				bench_die("trib-bench: --sizes: empty list");
			break;
		}
		case 'r': {
			char *end;
			unsigned long v = strtoul(optarg, &end, 10);
			if (*end || v < 1 || v > 1000)
				bench_die("trib-bench: --runs: '%s' is not a number from 1 to 1000", optarg);
			o->runs = (unsigned)v;
			break;
		}
		case 'S': {
			char *end;
			errno = 0;
			o->seed = strtoull(optarg, &end, 0);
			if (*end || end == optarg || errno)
				bench_die("trib-bench: --seed: '%s' is not an unsigned 64-bit number", optarg);
			break;
		}
		case 'd':
			o->dir = optarg;
			break;
		case 'o':
			if (strcmp(optarg, "graph") == 0)
				o->sections = BENCH_SECTION_GRAPH;
			else if (strcmp(optarg, "grpc") == 0)
				o->sections = BENCH_SECTION_GRPC;
			else if (strcmp(optarg, "lineage") == 0)
				o->sections = BENCH_SECTION_LINEAGE;
			else
				bench_die("trib-bench: --only: unknown section '%s' (graph, grpc, lineage)", optarg);
			break;
		case 'x':
			o->server = optarg;
			break;
		case 'p': {
			char *end;
			unsigned long v = strtoul(optarg, &end, 10);
			if (*end || end == optarg || v < 1 || v > 10000000)
				bench_die("trib-bench: --stream-products: '%s' is not a count from 1 to 10M", optarg);
			o->stream_products = (uint32_t)v;
			break;
		}
		case 'g':
			if (parse_size(&o->grpc_products, optarg) != 0)
				bench_die("trib-bench: --grpc-products: '%s' is not a count from 100 to 50M", optarg);
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			exit(2);
		}
	}
	if (optind < argc)
		bench_die("trib-bench: unexpected argument '%s' (see --help)", argv[optind]);
}

int main(int argc, char **argv)
{
	bench_opts o = {0};
	parse_opts(&o, argc, argv);
	setvbuf(stdout, NULL, _IOLBF, 0);

	static char tpath[4096];
	const char *base = o.dir;
	if (base) {
		if (mkdir(base, 0700) != 0 && errno != EEXIST)
			bench_die("trib-bench: --dir %s: %s", base, strerror(errno));
	} else {
		const char *tmp = getenv("TMPDIR");
		snprintf(tpath, sizeof(tpath), "%s/trib-bench.XXXXXX", tmp && *tmp ? tmp : "/tmp");
		base = mkdtemp(tpath);
		if (!base)
			bench_die("trib-bench: cannot create a temporary directory %s: %s", tpath, strerror(errno));
	}
	printf("trib-bench: seed %" PRIu64 ", %u runs per query, files under %s%s\n", o.seed, o.runs, base,
	       o.dir ? "" : " (removed after)");
	bench_die_keeps(base);
	printf("machine: %ld CPUs online, load average %.2f at start\n", sysconf(_SC_NPROCESSORS_ONLN),
	       load_average());

	double t0 = bench_now();
	static char server_path[4096];
	if (!o.server) {
		/* Beside this binary: make builds both into $(BUILD)/bin. */
		ssize_t len = readlink("/proc/self/exe", server_path, sizeof(server_path) - 16);
		if (len > 0) {
			server_path[len] = '\0';
			char *slash = strrchr(server_path, '/');
			strcpy(slash ? slash + 1 : server_path, "tributaryd");
			o.server = server_path;
		} else {
			o.server = "tributaryd";
		}
	}

	/* Lineage runs on the largest graph, while its engines are loaded anyway. */
	size_t largest = 0;
	for (size_t i = 1; i < o.nsizes; i++)
		if (o.sizes[i] > o.sizes[largest])
			largest = i;
	for (size_t i = 0; i < o.nsizes; i++) {
		int traversals = (o.sections & BENCH_SECTION_GRAPH) != 0;
		int lineage = (o.sections & BENCH_SECTION_LINEAGE) && i == largest;
		if (!traversals && !lineage)
			continue;
		double ts = bench_now();
		bench_size(&o, base, o.sizes[i], traversals, lineage);
		printf("(size %u done in %.1f s)\n", o.sizes[i], bench_now() - ts);
	}

	if (o.sections & BENCH_SECTION_GRPC)
		bench_section_grpc(&o, base);

	if (!o.dir)
		bench_rm_tree(base);
	printf("\ntargets met: %u, missed: %u (total %.1f s; load average %.2f at the end)\n", n_pass, n_miss,
	       bench_now() - t0, load_average());
	return 0;
}
