/* Breadth-first traversal over the adjacency databases.
 *
 * This is the hot path of lineage and impact queries, so it does per node only
 * what a bare LMDB BFS does: one cursor seek per direction, neighbours a page
 * at a time (MDB_GET_MULTIPLE), the kind filter on the packed value, and a
 * visited check in an open-addressing hash set. No per-node allocation, no
 * decoding, no name lookups; everything lives in the caller's arena. */
#include "store.h"

#include <string.h>
#include <time.h>

/*
 * id -> position. Small walks use an open-addressing hash, which is also the
 * index graph_walk_find reads. Once a walk has visited enough nodes that a
 * bitmap over every id costs little next to it, membership switches to the
 * bitmap (one cache-friendly load instead of a probe into a table that no
 * longer fits in cache) and the hash stops growing; the id -> position array
 * is then built only if graph_walk_find is called.
 */
typedef struct walk_index {
	uint64_t *keys;   /* hash: 0 = empty slot (ids start at 1) */
	uint32_t *pos;    /* hash: position in visits */
	size_t mask;      /* hash: capacity - 1, capacity a power of two */
	size_t count;
	int dense;        /* the walk switched to the bitmap: the hash is partial */
	uint64_t nbits;   /* dense: ids are below this */
	uint64_t *bits;   /* dense, during the walk: visited bitmap */
	uint32_t *dpos;   /* dense, built on first find: position of id (checked against visits) */
	trib_arena *a;    /* where dpos is built */
	const graph_visit *visits;
	size_t nvisits;
} walk_index;

#define DENSE_MIN_VISITS 2048
/* Switch when the bitmap is at most this many bytes per node visited so far. */
#define DENSE_BYTES_PER_VISIT 32

static inline size_t slot_of(uint64_t id, size_t mask)
{
	return (size_t)((id * UINT64_C(0x9E3779B97F4A7C15)) >> 32) & mask;
}

static int index_alloc(walk_index *ix, trib_arena *a, size_t cap)
{
	ix->keys = trib_arena_calloc(a, cap, sizeof *ix->keys);
	ix->pos = trib_arena_alloc(a, cap * sizeof *ix->pos);
	if (!ix->keys || !ix->pos)
		return trib_error_last_code();
	ix->mask = cap - 1;
	return 0;
}

static int index_grow(walk_index *ix, trib_arena *a)
{
	walk_index old = *ix;
	size_t cap = (old.mask + 1) * 2;
	int rc = index_alloc(ix, a, cap);
	if (rc)
		return rc;
	for (size_t i = 0; i <= old.mask; i++) {
		uint64_t k = old.keys[i];
		if (!k)
			continue;
		size_t s = slot_of(k, ix->mask);
		while (ix->keys[s])
			s = (s + 1) & ix->mask;
		ix->keys[s] = k;
		ix->pos[s] = old.pos[i];
	}
	return 0;
}

/* Insert id at position pos unless present. Returns 1 when inserted. */
static inline int index_insert(walk_index *ix, uint64_t id, uint32_t pos)
{
	size_t s = slot_of(id, ix->mask);
	for (;;) {
		uint64_t k = ix->keys[s];
		if (k == id)
			return 0;
		if (!k)
			break;
		s = (s + 1) & ix->mask;
	}
	ix->keys[s] = id;
	ix->pos[s] = pos;
	ix->count++;
	return 1;
}

/* Position of id in the hash, or -1. */
static inline long index_get(const walk_index *ix, uint64_t id)
{
	size_t s = slot_of(id, ix->mask);
	for (;;) {
		uint64_t k = ix->keys[s];
		if (k == id)
			return (long)ix->pos[s];
		if (!k)
			return -1;
		s = (s + 1) & ix->mask;
	}
}

static long linear_find(const graph_walk_result *w, uint64_t id)
{
	for (size_t i = 0; i < w->count; i++)
		if (w->visits[i].id == id)
			return (long)i;
	return -1;
}

long graph_walk_find(const graph_walk_result *w, uint64_t id)
{
	walk_index *ix = w->index;
	if (!ix || id == 0)
		return -1;
	if (ix->dense) {
		if (!ix->dpos) {
			/* An arena this small to fail is unusual; stay correct, if slow. */
			uint32_t *d = trib_arena_calloc(ix->a, (size_t)ix->nbits, sizeof *d);
			if (!d)
				return linear_find(w, id);
			for (size_t i = 0; i < ix->nvisits; i++)
				d[ix->visits[i].id] = (uint32_t)i;
			ix->dpos = d;
		}
		if (id >= ix->nbits)
			return -1;
		uint32_t p = ix->dpos[id];
		return p < w->count && w->visits[p].id == id ? (long)p : -1;
	}
	return index_get(ix, id);
}

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

typedef struct walk {
	graph_walk_result *r;
	graph_txn *t;
	trib_arena *a;
	walk_index *ix;
	uint64_t nbits;  /* ids below the store's counter; 0 = not read yet; UINT64_MAX = stay with the hash */
	size_t cap;
	size_t max_nodes;
	uint32_t mask;
	int stop;
} walk;

/* Switch membership to a bitmap when it has become cheap relative to the walk. */
static int maybe_dense(walk *w)
{
	graph_walk_result *r = w->r;
	walk_index *ix = w->ix;
	if (w->nbits == 0) {
		graph_txn tmp = *w->t;
		tmp.meta_loaded = 0;
		int rc = gstore_meta_load(&tmp);
		if (rc)
			return rc;
		uint64_t next = w->t->meta_loaded ? w->t->next_id : tmp.next_id;
		w->nbits = next >= UINT32_MAX ? UINT64_MAX : (next + 63) & ~(uint64_t)63;
	}
	if (w->nbits == UINT64_MAX || w->nbits / 8 > (uint64_t)r->count * DENSE_BYTES_PER_VISIT)
		return 0;
	for (size_t i = 0; i < r->count; i++)
		if (r->visits[i].id >= w->nbits) {
			w->nbits = UINT64_MAX; /* ids beyond the counter: odd store, stay with the hash */
			return 0;
		}
	if (!(ix->bits = trib_arena_calloc(w->a, (size_t)(w->nbits / 64), sizeof *ix->bits)))
		return trib_error_last_code();
	ix->dense = 1;
	ix->nbits = w->nbits;
	for (size_t i = 0; i < r->count; i++) {
		uint64_t id = r->visits[i].id;
		ix->bits[id >> 6] |= UINT64_C(1) << (id & 63);
	}
	return 0;
}

/* Visit every neighbour in one page of packed adjacency values. */
static int take(walk *w, const uint64_t *vals, size_t n, const graph_visit *from, uint8_t dir)
{
	graph_walk_result *r = w->r;
	for (size_t i = 0; i < n; i++) {
		uint64_t e = vals[i];
		unsigned kind = GSTORE_ADJ_KIND(e);
		/* An impossible kind (a damaged store) is skipped; graph_verify reports it. */
		if (kind > GRAPH_EDGE_KIND_MAX || !(w->mask & (1u << kind)))
			continue;
		uint64_t id = GSTORE_ADJ_ID(e);
		walk_index *ix = w->ix;
		if (ix->bits) {
			/* Ids at or past nbits were created after the counter was read
			 * in this snapshot: impossible, so treat them as corrupt. */
			if (id >= ix->nbits)
				return trib_error_set(TRIB_ECORRUPT, "walk: edge to node %llu beyond the id counter",
						      (unsigned long long)id);
			if ((ix->bits[id >> 6] >> (id & 63)) & 1)
				continue;
		} else if (index_get(ix, id) >= 0) {
			continue;
		}
		if (w->max_nodes && r->count >= w->max_nodes) {
			r->truncated = 1; /* a reachable node does not fit: say so */
			w->stop = 1;
			return 0;
		}
		if (r->count == w->cap) {
			size_t ncap = w->cap * 2;
			if (ncap > UINT32_MAX)
				return trib_error_set(TRIB_ELIMIT, "walk: more than %u nodes", (unsigned)UINT32_MAX);
			size_t from_pos = (size_t)(from - r->visits);
			graph_visit *nv = trib_arena_realloc(w->a, r->visits, w->cap * sizeof *nv, ncap * sizeof *nv);
			if (!nv)
				return trib_error_last_code();
			r->visits = nv;
			w->cap = ncap;
			from = &nv[from_pos];
		}
		if (ix->bits) {
			ix->bits[id >> 6] |= UINT64_C(1) << (id & 63);
		} else {
			if ((ix->count + 1) * 2 > ix->mask + 1) {
				int rc = index_grow(ix, w->a);
				if (rc)
					return rc;
			}
			index_insert(ix, id, (uint32_t)r->count);
		}
		graph_visit *v = &r->visits[r->count++];
		v->id = id;
		v->pred = from->id;
		v->depth = from->depth + 1;
		v->edge_kind = (uint8_t)kind;
		v->dir = dir;
	}
	return 0;
}

/* All neighbours of node `pos` through cursor c (out or in), under its
 * lineage or (struct set) its structural key. */
static int expand(walk *w, MDB_cursor *c, size_t pos, uint8_t dir, int structural)
{
	uint64_t key = w->r->visits[pos].id | (structural ? GSTORE_STRUCT_KEY : 0);
	MDB_val k = gstore_u64_val(&key), v;
	int rc = mdb_cursor_get(c, &k, &v, MDB_SET);
	if (rc == MDB_NOTFOUND)
		return 0;
	if (rc)
		return gstore_mdb_err(rc, "walk: reading edges");
	for (rc = mdb_cursor_get(c, &k, &v, MDB_GET_MULTIPLE); rc == 0 && !w->stop;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT_MULTIPLE)) {
		/* take() may move visits; pass a fresh pointer each page. */
		int e = take(w, v.mv_data, v.mv_size / sizeof(uint64_t), &w->r->visits[pos], dir);
		if (e)
			return e;
	}
	if (rc && rc != MDB_NOTFOUND)
		return gstore_mdb_err(rc, "walk: reading edges");
	return 0;
}

int graph_walk(graph_walk_result *out, graph_txn *t, trib_arena *a, uint64_t start, const graph_walk_opts *opts)
{
	graph_walk_opts o = GRAPH_WALK_OPTS_INIT;
	if (opts)
		o = *opts;
	memset(out, 0, sizeof *out);
	if (!(o.direction & GRAPH_BOTH))
		return trib_error_set(TRIB_EINVALID, "walk: direction must be down, up or both");
	MDB_val k = gstore_u64_val(&start), v;
	int rc = mdb_get(t->txn, t->s->nodes, &k, &v);
	if (rc == MDB_NOTFOUND)
		return trib_error_set(TRIB_ENOTFOUND, "walk: no node with id %llu", (unsigned long long)start);
	if (rc)
		return gstore_mdb_err(rc, "walk: reading the start node");

	walk_index *ix = trib_arena_calloc(a, 1, sizeof *ix);
	walk w = {.r = out, .t = t, .a = a, .ix = ix, .cap = 256, .max_nodes = o.max_nodes,
		  .mask = o.edge_mask == GRAPH_EDGES_ALL ? UINT32_MAX : o.edge_mask};
	if (w.max_nodes && w.max_nodes < w.cap)
		w.cap = w.max_nodes;
	if (!ix || index_alloc(ix, a, 1024) || !(out->visits = trib_arena_alloc(a, w.cap * sizeof *out->visits)))
		return trib_error_last_code();
	out->index = ix;
	index_insert(ix, start, 0);
	out->visits[0] = (graph_visit){.id = start};
	out->count = 1;

	MDB_cursor *down = NULL, *up = NULL;
	if ((o.direction & GRAPH_DOWN) && (rc = mdb_cursor_open(t->txn, t->s->out, &down)))
		return gstore_mdb_err(rc, "walk: opening a cursor");
	if ((o.direction & GRAPH_UP) && (rc = mdb_cursor_open(t->txn, t->s->in, &up))) {
		mdb_cursor_close(down);
		return gstore_mdb_err(rc, "walk: opening a cursor");
	}
	rc = 0;
	int lineage = (w.mask & GSTORE_LINEAGE_KINDS) != 0, structural = (w.mask & GSTORE_STRUCT_KINDS) != 0;
	for (size_t head = 0; head < out->count && !w.stop; head++) {
		/* Breadth-first order: once one node is at the limit, all later ones are. */
		if (o.max_depth && out->visits[head].depth >= o.max_depth)
			break;
		if (o.deadline_ms && (head & 255) == 0 && mono_ms() >= o.deadline_ms) {
			out->truncated = 1;
			break;
		}
		if (!ix->bits && w.nbits != UINT64_MAX && out->count >= DENSE_MIN_VISITS && (head & 1023) == 0 &&
		    (rc = maybe_dense(&w)))
			break;
		if (down && lineage && (rc = expand(&w, down, head, GRAPH_DOWN, 0)))
			break;
		if (down && structural && !w.stop && (rc = expand(&w, down, head, GRAPH_DOWN, 1)))
			break;
		if (up && lineage && !w.stop && (rc = expand(&w, up, head, GRAPH_UP, 0)))
			break;
		if (up && structural && !w.stop && (rc = expand(&w, up, head, GRAPH_UP, 1)))
			break;
	}
	if (down)
		mdb_cursor_close(down);
	if (up)
		mdb_cursor_close(up);
	ix->bits = NULL; /* working memory only; left in the arena */
	ix->a = a;
	ix->visits = out->visits;
	ix->nvisits = out->count;
	return rc;
}

int graph_walk_path(uint64_t **path, size_t *len, const graph_walk_result *w, trib_arena *a, size_t pos)
{
	*path = NULL;
	*len = 0;
	if (pos >= w->count)
		return trib_error_set(TRIB_EINVALID, "walk path: position %zu is beyond the %zu nodes visited", pos,
				      w->count);
	size_t n = (size_t)w->visits[pos].depth + 1;
	uint64_t *p = trib_arena_calloc(a, n, sizeof *p);
	if (!p)
		return trib_error_last_code();
	for (size_t i = n; i-- > 0;) {
		p[i] = w->visits[pos].id;
		if (i == 0)
			break;
		long prev = graph_walk_find(w, w->visits[pos].pred);
		if (prev < 0)
			return trib_error_set(TRIB_EINTERNAL, "walk path: predecessor of node %llu was not visited",
					      (unsigned long long)w->visits[pos].id);
		pos = (size_t)prev;
	}
	*path = p;
	*len = n;
	return 0;
}
