/*
 * The floor: the same adjacency in a bare LMDB environment, walked by a
 * hand-written breadth-first search with nothing else to do.
 *
 * One sub-database, MDB_DUPSORT|MDB_DUPFIXED|MDB_INTEGERKEY|MDB_INTEGERDUP:
 *   key   u64 (id << 1) | d   — d = 0 children (downstream), d = 1 parents
 *   value u64 neighbour id, one duplicate per edge, so a node's neighbours come
 *         back a page at a time with MDB_GET_MULTIPLE / MDB_NEXT_MULTIPLE.
 * Ids are generator index + 1. The visited set is a flat bitmap over every id
 * and the queue a flat array, both allocated once and cleared by walking the
 * queue: the cheapest bookkeeping a BFS can have. Every walk runs in a fresh
 * read transaction, as a query would.
 *
 * A second sub-database, "rec" (MDB_INTEGERKEY, key u64 id), holds a record
 * per node shaped like the graph store's node record (16-byte header, the
 * reference, the owner): the floor for an answer that describes every node it
 * reaches is this BFS plus one record read per node, in id order.
 */
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bench.h"

struct bench_bare {
	MDB_env *env;
	MDB_dbi dbi;
	MDB_dbi rec;
	uint32_t n;
	uint64_t *seen;  /* bitmap over generator indices */
	uint32_t *queue; /* n entries */
	uint32_t *tmp;   /* n entries: radix sort scratch */
	char *copy;      /* where described references are copied, as an answer would */
};

#define CHECK_MDB(call, what)                                                              \
	do {                                                                               \
		int rc_ = (call);                                                          \
		if (rc_) {                                                                 \
			fprintf(stderr, "bench: bare LMDB: %s: %s\n", what, mdb_strerror(rc_)); \
			goto fail;                                                         \
		}                                                                          \
	} while (0)

static int put_list(MDB_cursor *cur, uint64_t key, const bench_csr *c, uint32_t v, uint64_t *buf)
{
	size_t count = c->off[v + 1] - c->off[v];
	if (count == 0)
		return 0;
	for (size_t i = 0; i < count; i++)
		buf[i] = (uint64_t)c->adj[c->off[v] + i] + 1;
	MDB_val k = {sizeof(key), &key};
	MDB_val d[2] = {{sizeof(uint64_t), buf}, {count, NULL}};
	return mdb_cursor_put(cur, &k, d, MDB_MULTIPLE);
}

bench_bare *bench_bare_load(const bench_graph *g, const char *dir, double *load_s)
{
	bench_bare *b = bench_xcalloc(1, sizeof(*b));
	MDB_txn *txn = NULL;
	uint64_t *buf = NULL;
	b->n = g->n;
	if (mkdir(dir, 0700) != 0) {
		perror(dir);
		goto fail;
	}
	double t0 = bench_now();
	CHECK_MDB(mdb_env_create(&b->env), "mdb_env_create");
	/* Generous and fixed: the floor does not pay for map growth. */
	CHECK_MDB(mdb_env_set_maxdbs(b->env, 2), "mdb_env_set_maxdbs");
	CHECK_MDB(mdb_env_set_mapsize(b->env, ((size_t)256 << 20) + g->m * 64 + (size_t)g->n * 128),
		  "mdb_env_set_mapsize");
	CHECK_MDB(mdb_env_open(b->env, dir, MDB_NOSYNC, 0600), "mdb_env_open");
	CHECK_MDB(mdb_txn_begin(b->env, NULL, 0, &txn), "mdb_txn_begin");
	CHECK_MDB(mdb_dbi_open(txn, "adj", MDB_CREATE | MDB_DUPSORT | MDB_DUPFIXED | MDB_INTEGERKEY |
					   MDB_INTEGERDUP, &b->dbi),
		  "mdb_dbi_open adj");
	MDB_cursor *cur;
	CHECK_MDB(mdb_cursor_open(txn, b->dbi, &cur), "mdb_cursor_open");
	size_t maxdeg = 0;
	for (uint32_t v = 0; v < g->n; v++) {
		size_t d = g->down.off[v + 1] - g->down.off[v], u = g->up.off[v + 1] - g->up.off[v];
		maxdeg = d > maxdeg ? d : maxdeg;
		maxdeg = u > maxdeg ? u : maxdeg;
	}
	buf = bench_xmalloc(sizeof(uint64_t) * (maxdeg + 1));
	/* Keys in ascending order: (v+1)<<1 (children) then (v+1)<<1|1 (parents). */
	for (uint32_t v = 0; v < g->n; v++) {
		uint64_t id = (uint64_t)v + 1;
		CHECK_MDB(put_list(cur, id << 1, &g->down, v, buf), "put children");
		CHECK_MDB(put_list(cur, id << 1 | 1, &g->up, v, buf), "put parents");
	}
	mdb_cursor_close(cur);
	CHECK_MDB(mdb_dbi_open(txn, "rec", MDB_CREATE | MDB_INTEGERKEY, &b->rec), "mdb_dbi_open rec");
	CHECK_MDB(mdb_cursor_open(txn, b->rec, &cur), "mdb_cursor_open rec");
	for (uint32_t v = 0; v < g->n; v++) {
		unsigned char rec[16 + 64];
		char ref[32];
		bench_node_ref(ref, sizeof(ref), g, v);
		size_t rl = strlen(ref), dl = (size_t)(strchr(ref, '/') - ref);
		memset(rec, 0, 16);
		rec[0] = 1; /* a product */
		rec[2] = (unsigned char)rl;
		rec[4] = (unsigned char)(5 + dl);
		memcpy(rec + 16, ref, rl);
		memcpy(rec + 16 + rl, "team-", 5);
		memcpy(rec + 16 + rl + 5, ref, dl);
		uint64_t id = (uint64_t)v + 1;
		MDB_val k = {sizeof(id), &id}, d = {16 + rl + 5 + dl, rec};
		CHECK_MDB(mdb_cursor_put(cur, &k, &d, MDB_APPEND), "put record");
	}
	mdb_cursor_close(cur);
	int rc = mdb_txn_commit(txn);
	txn = NULL;
	CHECK_MDB(rc, "mdb_txn_commit");
	CHECK_MDB(mdb_env_sync(b->env, 1), "mdb_env_sync");
	*load_s = bench_now() - t0;
	free(buf);
	b->seen = bench_xcalloc((g->n + 63) / 64, sizeof(uint64_t));
	b->queue = bench_xmalloc(sizeof(uint32_t) * g->n);
	b->tmp = bench_xmalloc(sizeof(uint32_t) * g->n);
	b->copy = bench_xmalloc((size_t)g->n * 32);
	return b;
fail:
	mdb_txn_abort(txn);
	free(buf);
	bench_bare_close(b);
	return NULL;
}

/* Breadth-first from start: leaves the reached nodes in queue[0..count) and marked in seen. */
static size_t bfs(bench_bare *b, MDB_txn *txn, uint32_t start, int dir, unsigned max_depth)
{
	MDB_cursor *cur = NULL;
	size_t head = 0, tail = 0;
	CHECK_MDB(mdb_cursor_open(txn, b->dbi, &cur), "mdb_cursor_open");
	uint64_t up = dir == BENCH_UP;
	b->queue[tail++] = start;
	b->seen[start >> 6] |= 1ull << (start & 63);
	for (unsigned depth = 0; head < tail && (max_depth == 0 || depth < max_depth); depth++) {
		size_t level_end = tail;
		for (; head < level_end; head++) {
			uint64_t key = ((uint64_t)b->queue[head] + 1) << 1 | up;
			MDB_val k = {sizeof(key), &key}, d;
			int rc = mdb_cursor_get(cur, &k, &d, MDB_SET);
			if (rc == MDB_NOTFOUND)
				continue;
			CHECK_MDB(rc, "MDB_SET");
			CHECK_MDB(mdb_cursor_get(cur, &k, &d, MDB_GET_MULTIPLE), "MDB_GET_MULTIPLE");
			do {
				const uint64_t *ids = d.mv_data;
				size_t cnt = d.mv_size / sizeof(uint64_t);
				for (size_t i = 0; i < cnt; i++) {
					uint32_t w = (uint32_t)(ids[i] - 1);
					uint64_t bit = 1ull << (w & 63);
					if (!(b->seen[w >> 6] & bit)) {
						b->seen[w >> 6] |= bit;
						b->queue[tail++] = w;
					}
				}
				rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT_MULTIPLE);
			} while (rc == 0);
			if (rc != MDB_NOTFOUND)
				CHECK_MDB(rc, "MDB_NEXT_MULTIPLE");
		}
	}
	mdb_cursor_close(cur);
	return tail;
fail:
	bench_die("bench: bare LMDB walk from node %u failed", start);
}

static void unmark(bench_bare *b, size_t count)
{
	for (size_t i = 0; i < count; i++)
		b->seen[b->queue[i] >> 6] = 0;
}

size_t bench_bare_walk(bench_bare *b, uint32_t start, int dir, unsigned max_depth)
{
	MDB_txn *txn = NULL;
	CHECK_MDB(mdb_txn_begin(b->env, NULL, MDB_RDONLY, &txn), "mdb_txn_begin");
	size_t count = bfs(b, txn, start, dir, max_depth);
	mdb_txn_abort(txn);
	unmark(b, count);
	return count;
fail:
	bench_die("bench: bare LMDB walk from node %u failed", start);
}

static int cmp_u32(const void *x, const void *y)
{
	uint32_t a = *(const uint32_t *)x, c = *(const uint32_t *)y;
	return a < c ? -1 : a > c;
}

/* queue[0..n) sorted: qsort when short, else two 16-bit LSD radix passes. */
static void sort_queue(bench_bare *b, size_t n)
{
	if (n < 4096) {
		qsort(b->queue, n, sizeof(*b->queue), cmp_u32);
		return;
	}
	uint32_t *src = b->queue, *dst = b->tmp;
	for (unsigned shift = 0; shift < 32; shift += 16) {
		size_t count[1u << 16] = {0};
		for (size_t i = 0; i < n; i++)
			count[(src[i] >> shift) & 0xffff]++;
		size_t sum = 0;
		for (size_t d = 0; d < (1u << 16); d++) {
			size_t c = count[d];
			count[d] = sum;
			sum += c;
		}
		for (size_t i = 0; i < n; i++)
			dst[count[(src[i] >> shift) & 0xffff]++] = src[i];
		uint32_t *t = src;
		src = dst;
		dst = t;
	}
}

size_t bench_bare_describe(bench_bare *b, uint32_t start, int dir, unsigned max_depth)
{
	MDB_txn *txn = NULL;
	MDB_cursor *cur = NULL;
	CHECK_MDB(mdb_txn_begin(b->env, NULL, MDB_RDONLY, &txn), "mdb_txn_begin");
	size_t count = bfs(b, txn, start, dir, max_depth);
	sort_queue(b, count);
	CHECK_MDB(mdb_cursor_open(txn, b->rec, &cur), "mdb_cursor_open rec");
	char *out = b->copy;
	for (size_t i = 0; i < count; i++) {
		uint64_t id = (uint64_t)b->queue[i] + 1;
		MDB_val k = {sizeof(id), &id}, d;
		CHECK_MDB(mdb_cursor_get(cur, &k, &d, MDB_SET), "read a record");
		const unsigned char *r = d.mv_data;
		memcpy(out, r + 16, r[2]);
		out[r[2]] = '\0';
		out += r[2] + 1;
	}
	mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	unmark(b, count);
	return count;
fail:
	bench_die("bench: bare LMDB description from node %u failed", start);
}

void bench_bare_close(bench_bare *b)
{
	if (!b)
		return;
	if (b->env)
		mdb_env_close(b->env);
	free(b->seen);
	free(b->queue);
	free(b->tmp);
	free(b->copy);
	free(b);
}
