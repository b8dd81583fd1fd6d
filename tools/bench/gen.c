/*
 * The synthetic lineage graph of DESIGN.md, generated deterministically.
 *
 * Random source: splitmix64 expands the 64-bit seed into the 256-bit state of
 * xoshiro256** (Blackman & Vigna); every draw below comes from that one
 * stream, in node order, so a (size, seed) pair always yields the same graph.
 * Only integer arithmetic and IEEE double division/comparison are used (no
 * libm), so the graph is the same on every conforming platform.
 *
 * Shape (n nodes, 8 layers, node indices assigned layer by layer):
 * - layer 0: the sources, n/10 nodes, no parents;
 * - layers 1..7: the other nodes split evenly (the remainder goes to the
 *   earliest layers). Layer 1 plays "staging", layer 7 holds the leaves.
 * - every non-source node draws k parents, k uniform in 1..5 (mean 3, so about
 *   2.7 edges per node overall: 2.7M edges at 1M nodes); a draw that repeats a
 *   parent is retried (up to 16 times, then dropped, which is very rare).
 * - each parent comes from the previous layer with probability 70%, from the
 *   one before with 20% (layer 1 has only layer 0), and from a uniformly chosen
 *   earlier layer with 10%. Locality: within a non-source layer the parent is
 *   drawn from a window of +-LOCAL_WINDOW nodes around the child's relative
 *   position (a "domain" neighbourhood) with probability 90%, anywhere in the
 *   layer otherwise. That keeps typical closures small (hundreds of nodes)
 *   while hubs reach a large share of the graph, as in real meshes.
 * - a parent drawn from layer 0 is a source picked, with probability 12%, by
 *   a Zipf law of exponent 1 over the source ranks (source i has weight
 *   1/(i+1)), and uniformly otherwise. Source 0 is the largest hub and the
 *   first few sources each reach a large share of the graph; the 12% mixture
 *   is calibrated so that the hub's downstream closure is about 36% of the
 *   nodes (364k at 1M with seed 42), the 360k-node closure DESIGN.md's target
 *   figure refers to. A pure Zipf law (mean three parents per node makes
 *   reachability percolate) would put two thirds of the graph under the hub.
 *
 * Resulting shape (1M nodes, seed 42): 2.70M edges; the hub has 5k direct
 * consumers and a 364k closure; typical closures are small: a few hundred
 * nodes downstream of a staging node, tens downstream of a mid-layer node,
 * several hundred upstream of a leaf.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

#define MAX_PARENTS 5
#define LOCAL_WINDOW 64u
#define LOCAL_PERCENT 90u
#define PREV_PERCENT 70u
#define PREV2_PERCENT 20u
#define ZIPF_PERCENT 12u

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

void bench_rng_seed(bench_rng *r, uint64_t seed)
{
	uint64_t x = seed;
	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&x);
}

static inline uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t bench_rng_next(bench_rng *r)
{
	uint64_t *s = r->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

uint64_t bench_rng_below(bench_rng *r, uint64_t bound)
{
	/* Rejection keeps small bounds exactly uniform. */
	uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
	uint64_t x;
	do
		x = bench_rng_next(r);
	while (x >= limit);
	return x % bound;
}

/* Uniform double in [0, 1) with 53 random bits. */
static double rng_unit(bench_rng *r)
{
	return (double)(bench_rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

unsigned bench_layer_of(const bench_graph *g, uint32_t v)
{
	unsigned l = 0;
	while (l + 1 < BENCH_LAYERS && v >= g->layer_start[l + 1])
		l++;
	return l;
}

typedef struct gen_state {
	bench_graph *g;
	bench_rng rng;
	double *zipf_cdf; /* cumulative weights of the sources, normalised to 1 */
} gen_state;

static uint32_t pick_source(gen_state *st)
{
	uint32_t n0 = st->g->layer_start[1];
	if (bench_rng_below(&st->rng, 100) >= ZIPF_PERCENT)
		return (uint32_t)bench_rng_below(&st->rng, n0);
	double u = rng_unit(&st->rng);
	uint32_t lo = 0, hi = n0 - 1;
	while (lo < hi) { /* first rank whose cumulative weight exceeds u */
		uint32_t mid = lo + (hi - lo) / 2;
		if (st->zipf_cdf[mid] > u)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

static uint32_t pick_parent(gen_state *st, unsigned layer, uint32_t pos)
{
	const bench_graph *g = st->g;
	unsigned pl;
	uint64_t r = bench_rng_below(&st->rng, 100);
	if (r < PREV_PERCENT || layer == 1)
		pl = layer - 1;
	else if (r < PREV_PERCENT + PREV2_PERCENT)
		pl = layer - 2;
	else
		pl = (unsigned)bench_rng_below(&st->rng, layer);
	if (pl == 0)
		return pick_source(st);

	uint32_t base = g->layer_start[pl];
	uint64_t size = g->layer_start[pl + 1] - base;
	uint64_t my_size = g->layer_start[layer + 1] - g->layer_start[layer];
	if (bench_rng_below(&st->rng, 100) >= LOCAL_PERCENT || size <= 2 * LOCAL_WINDOW + 1)
		return base + (uint32_t)bench_rng_below(&st->rng, size);
	uint64_t centre = (uint64_t)pos * size / my_size;
	int64_t p = (int64_t)centre + (int64_t)bench_rng_below(&st->rng, 2 * LOCAL_WINDOW + 1) -
		    (int64_t)LOCAL_WINDOW;
	if (p < 0) /* reflect at the edges of the layer so they are not over-weighted */
		p = -p;
	if (p >= (int64_t)size)
		p = 2 * ((int64_t)size - 1) - p;
	return base + (uint32_t)p;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

void bench_gen(bench_graph *g, uint32_t n, uint64_t seed)
{
	if (n < 100)
		bench_die("bench: graph size %u too small (100 nodes at least)", n);
	memset(g, 0, sizeof(*g));
	g->seed = seed;
	g->n = n;

	uint32_t n0 = n / 10;
	uint32_t rest = n - n0, per = rest / (BENCH_LAYERS - 1), extra = rest % (BENCH_LAYERS - 1);
	g->layer_start[0] = 0;
	g->layer_start[1] = n0;
	for (unsigned l = 1; l < BENCH_LAYERS; l++)
		g->layer_start[l + 1] = g->layer_start[l] + per + (l <= extra ? 1 : 0);

	gen_state st = {.g = g};
	bench_rng_seed(&st.rng, seed);
	st.zipf_cdf = bench_xmalloc(sizeof(double) * n0);
	double total = 0;
	for (uint32_t i = 0; i < n0; i++)
		total += 1.0 / (double)(i + 1);
	double acc = 0;
	for (uint32_t i = 0; i < n0; i++) {
		acc += 1.0 / (double)(i + 1);
		st.zipf_cdf[i] = acc / total;
	}
	st.zipf_cdf[n0 - 1] = 1.0;

	/* Parents first (the up CSR), then the down CSR by counting. */
	g->up.off = bench_xcalloc((size_t)n + 1, sizeof(size_t));
	size_t cap = (size_t)(n - n0) * 3 + 16;
	g->up.adj = bench_xmalloc(cap * sizeof(uint32_t));
	size_t m = 0;
	for (uint32_t v = 0; v < n; v++) {
		g->up.off[v] = m;
		unsigned layer = bench_layer_of(g, v);
		if (layer == 0)
			continue;
		uint32_t pos = v - g->layer_start[layer];
		unsigned k = 1 + (unsigned)bench_rng_below(&st.rng, MAX_PARENTS);
		uint32_t par[MAX_PARENTS];
		unsigned np = 0;
		for (unsigned tries = 0; np < k && tries < k + 16; tries++) {
			uint32_t p = pick_parent(&st, layer, pos);
			unsigned j = 0;
			while (j < np && par[j] != p)
				j++;
			if (j == np)
				par[np++] = p;
		}
		qsort(par, np, sizeof(par[0]), cmp_u32);
		if (m + np > cap) {
			cap *= 2;
			uint32_t *grown = realloc(g->up.adj, cap * sizeof(uint32_t));
			if (!grown)
				bench_die("bench: out of memory growing the edge list to %zu", cap);
			g->up.adj = grown;
		}
		memcpy(g->up.adj + m, par, np * sizeof(uint32_t));
		m += np;
	}
	g->up.off[n] = m;
	g->m = m;
	free(st.zipf_cdf);

	g->down.off = bench_xcalloc((size_t)n + 1, sizeof(size_t));
	g->down.adj = bench_xmalloc((m ? m : 1) * sizeof(uint32_t));
	for (size_t e = 0; e < m; e++)
		g->down.off[g->up.adj[e] + 1]++;
	for (uint32_t v = 0; v < n; v++)
		g->down.off[v + 1] += g->down.off[v];
	size_t *fill = bench_xmalloc(sizeof(size_t) * n);
	memcpy(fill, g->down.off, sizeof(size_t) * n);
	/* Children visited in ascending order, so each list comes out sorted. */
	for (uint32_t v = 0; v < n; v++)
		for (size_t e = g->up.off[v]; e < g->up.off[v + 1]; e++)
			g->down.adj[fill[g->up.adj[e]]++] = v;
	free(fill);
}

void bench_gen_free(bench_graph *g)
{
	free(g->up.off);
	free(g->up.adj);
	free(g->down.off);
	free(g->down.adj);
	memset(g, 0, sizeof(*g));
}

size_t bench_closure(const bench_graph *g, uint32_t start, int dir, unsigned max_depth)
{
	const bench_csr *c = dir == BENCH_UP ? &g->up : &g->down;
	uint8_t *seen = bench_xcalloc(g->n, 1);
	uint32_t *queue = bench_xmalloc(sizeof(uint32_t) * g->n);
	size_t head = 0, tail = 0;
	queue[tail++] = start;
	seen[start] = 1;
	for (unsigned depth = 0; head < tail && (max_depth == 0 || depth < max_depth); depth++) {
		size_t level_end = tail;
		for (; head < level_end; head++) {
			uint32_t v = queue[head];
			for (size_t e = c->off[v]; e < c->off[v + 1]; e++) {
				uint32_t w = c->adj[e];
				if (!seen[w]) {
					seen[w] = 1;
					queue[tail++] = w;
				}
			}
		}
	}
	free(seen);
	free(queue);
	return tail;
}
