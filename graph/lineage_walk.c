/* The breadth-first engine of the lineage queries, and their shared helpers. */
#include "lineage_int.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ------------------------------------------------------------------ map */

void lin_map_init(lin_map *m)
{
	memset(m, 0, sizeof *m);
}

void lin_map_dense(lin_map *m, uint64_t max_key)
{
	m->dense_max = max_key;
}

void lin_map_dense_store(lin_map *m, graph_txn *t)
{
	m->bound_t = t;
}

void lin_map_dispose(lin_map *m)
{
	trib_big_free(m->keys);
	trib_big_free(m->vals);
	trib_big_free(m->dense);
	memset(m, 0, sizeof *m);
}

static size_t hash64(uint64_t k)
{
	k ^= k >> 33;
	k *= UINT64_C(0xff51afd7ed558ccd);
	k ^= k >> 33;
	k *= UINT64_C(0xc4ceb9fe1a85ec53);
	k ^= k >> 33;
	return (size_t)k;
}

/* Entries after which a map with a known key range goes dense, and the
 * largest array (in keys) it will allocate for that: 64M ids, 256 MB. */
#define DENSE_AFTER 8192u
#define DENSE_MAX_KEYS (UINT64_C(64) << 20)

uint32_t lin_map_get(const lin_map *m, uint64_t key)
{
	if (m->dense)
		return key <= m->dense_max ? m->dense[key] - 1 : LIN_NONE;
	if (!m->cap)
		return LIN_NONE;
	size_t mask = m->cap - 1;
	for (size_t i = hash64(key) & mask;; i = (i + 1) & mask) {
		if (m->keys[i] == key)
			return m->vals[i];
		if (m->keys[i] == 0)
			return LIN_NONE;
	}
}

static int go_dense(lin_map *m)
{
	m->dense = trib_big_calloc(m->dense_max + 1, sizeof *m->dense);
	if (!m->dense)
		return trib_error_set(TRIB_ENOMEM, "out of memory for a traversal index of %llu ids",
				      (unsigned long long)m->dense_max);
	for (size_t i = 0; i < m->cap; i++)
		if (m->keys[i])
			m->dense[m->keys[i]] = m->vals[i] + 1;
	trib_big_free(m->keys);
	trib_big_free(m->vals);
	m->keys = NULL;
	m->vals = NULL;
	m->cap = 0;
	return 0;
}

static int map_grow(lin_map *m)
{
	size_t ncap = m->cap ? m->cap * 2 : 64;
	uint64_t *keys = trib_big_calloc(ncap, sizeof *keys);
	uint32_t *vals = trib_big_alloc(ncap * sizeof *vals);
	if (!keys || !vals || ncap > SIZE_MAX / 2 / sizeof *keys) {
		trib_big_free(keys);
		trib_big_free(vals);
		return trib_error_set(TRIB_ENOMEM, "out of memory growing a traversal index to %zu slots", ncap);
	}
	for (size_t i = 0; i < m->cap; i++) {
		if (!m->keys[i])
			continue;
		size_t j = hash64(m->keys[i]) & (ncap - 1);
		while (keys[j])
			j = (j + 1) & (ncap - 1);
		keys[j] = m->keys[i];
		vals[j] = m->vals[i];
	}
	trib_big_free(m->keys);
	trib_big_free(m->vals);
	m->keys = keys;
	m->vals = vals;
	m->cap = ncap;
	return 0;
}

/* Room for one more entry; the map may have gone dense. */
static int map_room(lin_map *m, uint64_t key)
{
	if (m->dense || (m->n + 1) * 2 <= m->cap)
		return 0;
	if (m->bound_t && m->n >= DENSE_AFTER) {
		m->dense_max = lin_dense_bound(m->bound_t);
		m->bound_t = NULL;
	}
	if (m->dense_max && m->dense_max < DENSE_MAX_KEYS && m->n >= DENSE_AFTER && key <= m->dense_max)
		return go_dense(m);
	return map_grow(m);
}

int lin_map_insert(lin_map *m, uint64_t key, uint32_t val, uint32_t *found)
{
	int rc = map_room(m, key);
	if (rc)
		return rc;
	if (m->dense) {
		if (key > m->dense_max)
			return trib_error_set(TRIB_EINTERNAL, "node id %llu above the store's largest %llu",
					      (unsigned long long)key, (unsigned long long)m->dense_max);
		*found = m->dense[key] - 1;
		if (*found == LIN_NONE) {
			m->dense[key] = val + 1;
			m->n++;
		}
		return 0;
	}
	size_t mask = m->cap - 1;
	size_t i = hash64(key) & mask;
	while (m->keys[i] && m->keys[i] != key)
		i = (i + 1) & mask;
	if (m->keys[i]) {
		*found = m->vals[i];
		return 0;
	}
	m->keys[i] = key;
	m->vals[i] = val;
	m->n++;
	*found = LIN_NONE;
	return 0;
}

int lin_map_put(lin_map *m, uint64_t key, uint32_t val)
{
	uint32_t found;
	int rc = lin_map_insert(m, key, val, &found);
	if (rc || found == LIN_NONE)
		return rc;
	/* Overwrite. */
	if (m->dense) {
		m->dense[key] = val + 1;
		return 0;
	}
	size_t mask = m->cap - 1;
	size_t i = hash64(key) & mask;
	while (m->keys[i] != key)
		i = (i + 1) & mask;
	m->vals[i] = val;
	return 0;
}

/* ----------------------------------------------------------------- walk */

int64_t lin_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int lin_max_id(uint64_t *out, graph_txn *t)
{
	MDB_cursor *c;
	*out = 0;
	int rc = mdb_cursor_open(t->txn, t->s->nodes, &c);
	if (rc)
		return gstore_mdb_err(rc, "opening a node cursor");
	MDB_val k, v;
	rc = mdb_cursor_get(c, &k, &v, MDB_LAST);
	if (rc == 0 && k.mv_size == sizeof *out)
		memcpy(out, k.mv_data, sizeof *out);
	mdb_cursor_close(c);
	return rc == 0 || rc == MDB_NOTFOUND ? 0 : gstore_mdb_err(rc, "reading the largest node id");
}

uint64_t lin_dense_bound(graph_txn *t)
{
	uint64_t m;
	if (lin_max_id(&m, t) == 0)
		return m;
	trib_error_clear();
	return 0;
}

int lin_walk_init(lin_walk *w, graph_txn *t, size_t max_nodes, uint32_t max_depth, int64_t deadline_ms)
{
	memset(w, 0, sizeof *w);
	w->t = t;
	w->max_nodes = max_nodes;
	w->max_depth = max_depth;
	w->deadline_ms = deadline_ms;
	lin_map_init(&w->pos);
	/* Cursors and the largest id are had when first needed: a walk of a few
	 * nodes then pays for one cursor, not four and a seek to the end. */
	return 0;
}

uint64_t lin_walk_max_id(lin_walk *w)
{
	if (!w->max_id_known) {
		w->max_id = lin_dense_bound(w->t);
		w->max_id_known = 1;
	}
	return w->max_id;
}

void lin_walk_dispose(lin_walk *w)
{
	for (int d = 0; d < 2; d++)
		for (int s = 0; s < 2; s++)
			if (w->cur[d][s])
				mdb_cursor_close(w->cur[d][s]);
	trib_big_free(w->v);
	trib_big_free(w->order);
	trib_big_free(w->steps);
	trib_big_free(w->seen);
	lin_map_dispose(&w->pos);
	memset(w, 0, sizeof *w);
}

/* A walk this large switches its membership from the hash to a bitmap over
 * every id: 2M ids cost 256 KB, touched once, instead of a table that grows
 * out of cache; and calls then fault in far fewer fresh pages. */
#define WALK_BITMAP_AFTER 4096u

static int walk_go_bitmap(lin_walk *w)
{
	w->seen = trib_big_calloc(w->max_id / 64 + 1, sizeof *w->seen);
	if (!w->seen)
		return trib_error_set(TRIB_ENOMEM, "out of memory for a bitmap of %llu ids",
				      (unsigned long long)w->max_id);
	for (size_t i = 0; i < w->n; i++)
		w->seen[w->v[i].id >> 6] |= UINT64_C(1) << (w->v[i].id & 63);
	lin_map_dispose(&w->pos);
	return 0;
}

int lin_walk_has(const lin_walk *w, uint64_t id)
{
	if (w->seen)
		return id <= w->max_id && (w->seen[id >> 6] >> (id & 63) & 1);
	return lin_map_get(&w->pos, id) != LIN_NONE;
}

int lin_walk_add(lin_walk *w, uint64_t id, uint32_t pred, uint32_t depth, unsigned edge, int dir,
		 unsigned kind, int *added)
{
	int dummy;
	if (!added)
		added = &dummy;
	*added = 0;
	if (lin_walk_has(w, id))
		return 0;
	if ((w->max_nodes && w->n >= w->max_nodes) || w->n >= LIN_NONE - 1) {
		w->truncated = 1;
		*added = -1;
		return 0;
	}
	int rc;
	/* Once per node reached: call out only when the array is full. */
	if (w->n == w->cap && (rc = trib_big_reserve(&w->v, &w->cap, w->n, sizeof *w->v, 256)) != 0)
		return rc;
	if (w->seen) {
		if (id > w->max_id)
			return trib_error_set(TRIB_EINTERNAL, "node id %llu above the store's largest %llu",
					      (unsigned long long)id, (unsigned long long)w->max_id);
		w->seen[id >> 6] |= UINT64_C(1) << (id & 63);
	} else if ((rc = lin_map_put(&w->pos, id, (uint32_t)w->n)) != 0) {
		return rc;
	}
	lin_visit *v = &w->v[w->n++];
	v->id = id;
	v->pred = pred;
	v->depth = depth;
	v->edge = (uint8_t)edge;
	v->dir = (uint8_t)dir;
	v->kind = (uint8_t)kind;
	v->done = 0;
	*added = 1;
	if (!w->seen && w->n == WALK_BITMAP_AFTER && lin_walk_max_id(w) && w->max_id < (UINT64_C(1) << 36))
		return walk_go_bitmap(w);
	return 0;
}

unsigned lin_edge_target_kind(unsigned kind, int dir)
{
	int down = dir == GRAPH_DOWN;
	switch (kind) {
	case GRAPH_EDGE_FEEDS:
		return down ? TRIB_KIND_PRODUCT : TRIB_KIND_NONE; /* upstream may be a source */
	case GRAPH_EDGE_PORT_FEEDS:
		return down ? TRIB_KIND_PRODUCT : TRIB_KIND_PORT;
	case GRAPH_EDGE_HAS_PORT:
		return down ? TRIB_KIND_PORT : TRIB_KIND_PRODUCT;
	case GRAPH_EDGE_HAS_FIELD:
		return down ? TRIB_KIND_FIELD : TRIB_KIND_NONE;
	case GRAPH_EDGE_FIELD_READ:
		return down ? TRIB_KIND_PRODUCT : TRIB_KIND_FIELD;
	case GRAPH_EDGE_FIELD_FEEDS:
		return TRIB_KIND_FIELD;
	case GRAPH_EDGE_OWNED_BY:
		return down ? TRIB_KIND_TEAM : TRIB_KIND_PRODUCT;
	case GRAPH_EDGE_IN_DOMAIN:
		return down ? TRIB_KIND_DOMAIN : TRIB_KIND_PRODUCT;
	case GRAPH_EDGE_HAS_TERM:
		return down ? TRIB_KIND_TERM : TRIB_KIND_PRODUCT;
	default:
		return TRIB_KIND_NONE;
	}
}

/*
 * The kinds of mask stored under one key of id (lineage or structural).
 * Values sort by (kind, neighbour): position on the key, seek once more only
 * when its first value is of a smaller kind than wanted, then take whole
 * pages of values (MDB_GET_MULTIPLE) and stop at the first larger kind. A key
 * with a single value has no page of duplicates: GET_MULTIPLE then leaves the
 * value MDB_SET returned, which is the one page.
 */
static int scan_key(MDB_cursor *c, uint64_t key_id, uint32_t mask, lin_nb_fn fn, void *payload)
{
	unsigned kmin = (unsigned)__builtin_ctz(mask), kmax = 31u - (unsigned)__builtin_clz(mask);
	MDB_val key = gstore_u64_val(&key_id), val;
	int rc = mdb_cursor_get(c, &key, &val, MDB_SET);
	if (rc == MDB_NOTFOUND)
		return 0;
	if (rc)
		return gstore_mdb_err(rc, "reading edges");
	uint64_t e;
	memcpy(&e, val.mv_data, sizeof e);
	if (GSTORE_ADJ_KIND(e) < kmin) {
		uint64_t start = GSTORE_ADJ(kmin, 0);
		val = gstore_u64_val(&start);
		rc = mdb_cursor_get(c, &key, &val, MDB_GET_BOTH_RANGE);
		if (rc == MDB_NOTFOUND)
			return 0;
		if (rc)
			return gstore_mdb_err(rc, "reading edges");
	}
	for (rc = mdb_cursor_get(c, &key, &val, MDB_GET_MULTIPLE); rc == 0;
	     rc = mdb_cursor_get(c, &key, &val, MDB_NEXT_MULTIPLE)) {
		const unsigned char *p = val.mv_data;
		for (size_t i = 0, n = val.mv_size / sizeof e; i < n; i++) {
			memcpy(&e, p + i * sizeof e, sizeof e);
			unsigned k = GSTORE_ADJ_KIND(e);
			if (k > kmax)
				return 0;
			if (!(mask & GRAPH_EDGE_BIT(k)))
				continue;
			int r = fn(GSTORE_ADJ_ID(e), k, payload);
			if (r)
				return r < 0 ? r : 1;
		}
	}
	return rc == MDB_NOTFOUND ? 0 : gstore_mdb_err(rc, "reading edges");
}

int lin_neighbours(lin_walk *w, uint64_t id, int dir, uint32_t mask, lin_nb_fn fn, void *payload)
{
	int d = dir == GRAPH_DOWN ? 0 : 1;
	int rc = 0;
	for (int s = 0; s < 2; s++) {
		uint32_t kinds = s ? GSTORE_STRUCT_KINDS : GSTORE_LINEAGE_KINDS;
		if ((mask & kinds) && !w->cur[d][s] &&
		    (rc = mdb_cursor_open(w->t->txn, d ? w->t->s->in : w->t->s->out, &w->cur[d][s])) != 0)
			return gstore_mdb_err(rc, "opening an adjacency cursor");
	}
	if (mask & GSTORE_LINEAGE_KINDS)
		rc = scan_key(w->cur[d][0], gstore_adj_key(id, GRAPH_EDGE_FEEDS), mask & GSTORE_LINEAGE_KINDS, fn,
			      payload);
	if (rc == 0 && (mask & GSTORE_STRUCT_KINDS))
		rc = scan_key(w->cur[d][1], gstore_adj_key(id, GRAPH_EDGE_HAS_PORT), mask & GSTORE_STRUCT_KINDS, fn,
			      payload);
	return rc < 0 ? rc : 0;
}

typedef struct expand_ctx {
	lin_walk *w;
	size_t from;
	uint32_t depth;
	int dir;
	uint32_t follow; /* kinds followed; the rest of the scan mask are attributes */
	int stop;
} expand_ctx;

static int expand_cb(uint64_t nb, unsigned kind, void *payload)
{
	expand_ctx *x = payload;
	lin_walk *w = x->w;
	if (!(x->follow & GRAPH_EDGE_BIT(kind)))
		return w->attr(w, x->from, nb, kind, w->payload);
	int rc;
	if (w->record) {
		if (w->nsteps == w->steps_cap &&
		    (rc = trib_big_reserve(&w->steps, &w->steps_cap, w->nsteps, sizeof *w->steps, 256)) != 0)
			return rc;
		w->steps[w->nsteps++] = (lin_step){nb, (uint32_t)x->from, kind};
	}
	int added;
	rc = lin_walk_add(w, nb, (uint32_t)x->from, x->depth, kind, x->dir, lin_edge_target_kind(kind, x->dir),
			  &added);
	if (rc)
		return rc;
	if (added < 0) {
		x->stop = 1;
		return 1;
	}
	return 0;
}

static int tick(lin_walk *w)
{
	/* The clock costs about as much as a node: look every 256 nodes. */
	if (w->deadline_ms && (++w->ticks & 255u) == 0 && lin_now_ms() >= w->deadline_ms) {
		w->truncated = 1;
		w->deadline_hit = 1;
		return 1;
	}
	return 0;
}

/* Expand the node at position i; `done` (a LIN_DONE_* bit) is set on it when
 * every edge of `follow` was read, that is when no limit stopped the scan. */
static int expand(lin_walk *w, size_t i, int dir, uint32_t follow, uint32_t attrs, uint32_t depth, unsigned done,
		  int *stop)
{
	expand_ctx x = {w, i, depth, dir, follow, 0};
	int rc = lin_neighbours(w, w->v[i].id, dir, follow | attrs, expand_cb, &x);
	if (rc)
		return rc;
	*stop = x.stop;
	if (!x.stop)
		w->v[i].done |= (uint8_t)done;
	return 0;
}

/* Positions [i, end) sorted by node id, in w->order[].pos. */
static int level_order(lin_walk *w, size_t i, size_t end)
{
	size_t n = end - i;
	if (n > w->order_cap) {
		/* Scratch: the old contents need not move. */
		trib_big_free(w->order);
		lin_idpos *o = trib_big_alloc(n * sizeof *o);
		w->order_cap = 0;
		if (!o)
			return trib_error_set(TRIB_ENOMEM, "out of memory ordering %zu nodes", n);
		w->order = o;
		w->order_cap = n;
	}
	for (size_t j = 0; j < n; j++)
		w->order[j] = (lin_idpos){w->v[i + j].id, i + j};
	return lin_sort_idpos(w->order, n);
}

int lin_walk_run(lin_walk *w, size_t from, int dir, uint32_t lineage_mask, uint32_t structural_mask)
{
	uint32_t attrs = w->attr ? w->attr_mask : 0;
	size_t i = from;
	while (i < w->n) {
		uint32_t d = w->v[i].depth;
		int stop = 0;
		int rc;
		if (structural_mask) {
			for (size_t j = i; j < w->n && !stop; j++) {
				if (tick(w))
					return 0;
				if ((rc = expand(w, j, dir, structural_mask, 0, d, LIN_DONE_STRUCT, &stop)) != 0)
					return rc;
			}
			if (stop)
				return 0;
		}
		size_t end = w->n;
		if (w->max_depth && d >= w->max_depth) {
			/* The last level is not expanded, but its attributes are wanted. */
			for (size_t j = i; attrs && j < end; j++)
				if ((rc = expand(w, j, dir, 0, attrs, d, 0, &stop)) != 0)
					return rc;
			return 0;
		}
		if ((rc = level_order(w, i, end)) != 0)
			return rc;
		for (size_t j = 0; j < end - i; j++) {
			if (tick(w))
				return 0;
			if ((rc = expand(w, w->order[j].pos, dir, lineage_mask, attrs, d + 1, LIN_DONE_LINEAGE, &stop)) != 0)
				return rc;
			if (stop)
				return 0;
		}
		i = end;
	}
	return 0;
}

int lin_limit_error(const lin_walk *w, const char *what)
{
	if (w->deadline_hit)
		return trib_error_set(TRIB_ELIMIT, "%s: deadline exceeded after %zu nodes", what, w->n);
	return trib_error_set(TRIB_ELIMIT, "%s: more than max_nodes=%zu nodes; raise the limit", what,
			      w->max_nodes);
}

/* -------------------------------------------------------------- helpers */

int lin_ids_push(lin_ids *l, uint64_t id)
{
	int rc;
	if (l->n == l->cap && (rc = trib_heap_reserve(&l->v, &l->cap, l->n, sizeof *l->v, 16)) != 0)
		return rc;
	l->v[l->n++] = id;
	return 0;
}

void lin_ids_free(lin_ids *l)
{
	free(l->v);
	memset(l, 0, sizeof *l);
}

int lin_ids_cb(uint64_t nb, unsigned kind, void *payload)
{
	(void)kind;
	return lin_ids_push(payload, nb);
}

int lin_node(graph_node *out, graph_txn *t, trib_arena *a, uint64_t id)
{
	return graph_node_get(out, t, a, id);
}

void lin_products_init(lin_products *c, graph_txn *t, trib_arena *a)
{
	memset(c, 0, sizeof *c);
	c->t = t;
	c->a = a;
	lin_map_init(&c->idx);
}

void lin_products_dispose(lin_products *c)
{
	lin_map_dispose(&c->idx);
	free(c->recs);
	memset(c, 0, sizeof *c);
}

int lin_products_get(trib_product **out, lin_products *c, uint64_t id)
{
	uint32_t at = lin_map_get(&c->idx, id);
	if (at != LIN_NONE) {
		*out = c->recs[at];
		return 0;
	}
	trib_product *p;
	int rc = graph_product_get(&p, c->t, c->a, id, 0);
	if (rc)
		return rc;
	if ((rc = trib_heap_reserve(&c->recs, &c->cap, c->n, sizeof *c->recs, 32)) != 0)
		return rc;
	if ((rc = lin_map_put(&c->idx, id, (uint32_t)c->n)) != 0)
		return rc;
	c->recs[c->n++] = p;
	*out = p;
	return 0;
}

static int cmp_str(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

size_t lin_sort_unique(const char **v, size_t n)
{
	if (n < 2)
		return n;
	qsort(v, n, sizeof *v, cmp_str);
	size_t k = 1;
	for (size_t i = 1; i < n; i++)
		if (strcmp(v[i], v[k - 1]) != 0)
			v[k++] = v[i];
	return k;
}

int lin_strv_push(const char ***v, size_t *n, size_t *cap, trib_arena *a, const char *s)
{
	int rc = trib_arena_reserve(a, v, cap, *n, sizeof **v, 8);
	if (rc)
		return rc;
	(*v)[(*n)++] = s;
	return 0;
}

const char *lin_product_ref(trib_arena *a, const char *ref)
{
	size_t len = strcspn(ref, ":#");
	return trib_arena_strndup(a, ref, len);
}

const char *lin_field_name(const char *ref)
{
	const char *h = strchr(ref, '#');
	return h ? h + 1 : "";
}

int lin_str_in(const char *name, char *const *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] && strcmp(v[i], name) == 0)
			return 1;
	return 0;
}

/* ------------------------------------------------------------ strmap */

static uint64_t hash_str(const char *s, size_t len)
{
	uint64_t h = UINT64_C(0xcbf29ce484222325);
	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= UINT64_C(0x100000001b3);
	}
	return h;
}

void lin_strmap_init(lin_strmap *m)
{
	memset(m, 0, sizeof *m);
}

void lin_strmap_dispose(lin_strmap *m)
{
	free(m->keys);
	free(m->lens);
	free(m->hashes);
	free(m->vals);
	memset(m, 0, sizeof *m);
}

static size_t strmap_find(const lin_strmap *m, const char *s, size_t len, uint64_t h)
{
	size_t mask = m->cap - 1;
	size_t i = (size_t)h & mask;
	while (m->keys[i] && !(m->hashes[i] == h && m->lens[i] == len && memcmp(m->keys[i], s, len) == 0))
		i = (i + 1) & mask;
	return i;
}

uint32_t lin_strmap_get(const lin_strmap *m, const char *s, size_t len)
{
	if (!m->cap)
		return LIN_NONE;
	size_t i = strmap_find(m, s, len, hash_str(s, len));
	return m->keys[i] ? m->vals[i] : LIN_NONE;
}

int lin_strmap_put(lin_strmap *m, const char *s, size_t len, uint32_t val)
{
	if ((m->n + 1) * 2 > m->cap) {
		lin_strmap g;
		g.cap = m->cap ? m->cap * 2 : 32;
		g.n = 0;
		g.keys = calloc(g.cap, sizeof *g.keys);
		g.lens = malloc(g.cap * sizeof *g.lens);
		g.hashes = malloc(g.cap * sizeof *g.hashes);
		g.vals = malloc(g.cap * sizeof *g.vals);
		if (!g.keys || !g.lens || !g.hashes || !g.vals) {
			lin_strmap_dispose(&g);
			return trib_error_set(TRIB_ENOMEM, "out of memory growing a string index");
		}
		for (size_t i = 0; i < m->cap; i++) {
			if (!m->keys[i])
				continue;
			size_t j = strmap_find(&g, m->keys[i], m->lens[i], m->hashes[i]);
			g.keys[j] = m->keys[i];
			g.lens[j] = m->lens[i];
			g.hashes[j] = m->hashes[i];
			g.vals[j] = m->vals[i];
			g.n++;
		}
		lin_strmap_dispose(m);
		*m = g;
	}
	uint64_t h = hash_str(s, len);
	size_t i = strmap_find(m, s, len, h);
	if (!m->keys[i]) {
		m->keys[i] = s;
		m->lens[i] = len;
		m->hashes[i] = h;
		m->n++;
	}
	m->vals[i] = val;
	return 0;
}

/* -------------------------------------------------------------- refs */

void lin_refs_init(lin_refs *r, graph_txn *t, trib_arena *a)
{
	memset(r, 0, sizeof *r);
	r->t = t;
	r->a = a;
	lin_map_init(&r->idx);
	/* Large answers cache a ref per node: let the index go dense. */
	lin_map_dense_store(&r->idx, t);
	lin_strmap_init(&r->names);
}

void lin_refs_dispose(lin_refs *r)
{
	if (r->cur)
		mdb_cursor_close(r->cur);
	lin_map_dispose(&r->idx);
	lin_strmap_dispose(&r->names);
	memset(r, 0, sizeof *r);
}

/* The record of node id, pointing into LMDB memory (valid while the transaction is). */
static int refs_read(gstore_node *out, lin_refs *r, uint64_t id)
{
	int rc;
	if (!r->cur && (rc = mdb_cursor_open(r->t->txn, r->t->s->nodes, &r->cur)) != 0)
		return gstore_mdb_err(rc, "opening a node cursor");
	MDB_val k = gstore_u64_val(&id), v;
	rc = mdb_cursor_get(r->cur, &k, &v, MDB_SET);
	if (rc == MDB_NOTFOUND)
		return trib_error_set(TRIB_ENOTFOUND, "no node %llu", (unsigned long long)id);
	if (rc)
		return gstore_mdb_err(rc, "reading a node");
	return gstore_node_decode(out, &v);
}

/* The arena copy of ref (remembered for id), reusing one made before. */
static int refs_keep(const char **out, lin_refs *r, uint64_t id, const char *ref, size_t len)
{
	uint32_t at;
	int rc = lin_map_insert(&r->idx, id, (uint32_t)r->n, &at);
	if (rc)
		return rc;
	if (at != LIN_NONE) {
		*out = r->v[at];
		return 0;
	}
	const char *s = trib_arena_strndup(r->a, ref, len);
	if (!s || (rc = lin_strv_push(&r->v, &r->n, &r->cap, r->a, s)) != 0)
		return s ? rc : trib_error_last_code();
	*out = s;
	return 0;
}

int lin_refs_get(const char **out, lin_refs *r, uint64_t id)
{
	uint32_t at = lin_map_get(&r->idx, id);
	if (at != LIN_NONE) {
		*out = r->v[at];
		return 0;
	}
	gstore_node n;
	int rc = refs_read(&n, r, id);
	return rc ? rc : refs_keep(out, r, id, n.ref, n.ref_len);
}

/* Below this many entries an insertion sort beats the radix sort's passes. */
#define SORT_SMALL 48u
#define RADIX_BITS 11u

int lin_sort_idpos(lin_idpos *v, size_t n)
{
	if (n <= SORT_SMALL) {
		for (size_t i = 1; i < n; i++) {
			lin_idpos x = v[i];
			size_t j = i;
			for (; j > 0 && v[j - 1].id > x.id; j--)
				v[j] = v[j - 1];
			v[j] = x;
		}
		return 0;
	}
	uint64_t bits = 0;
	for (size_t i = 0; i < n; i++)
		bits |= v[i].id;
	lin_idpos *tmp = trib_big_alloc(n * sizeof *tmp);
	if (!tmp)
		return trib_error_set(TRIB_ENOMEM, "out of memory sorting %zu nodes", n);
	/* Least significant digit first: each pass is stable, so the last leaves
	 * the array sorted by every digit, equal ids in their original order. */
	lin_idpos *src = v, *dst = tmp;
	/* Short arrays take narrower digits: more passes, but each clears and
	 * sums 256 counters instead of 2048. */
	unsigned digit = n < 4096 ? 8u : RADIX_BITS;
	size_t radix = (size_t)1 << digit;
	size_t count[(size_t)1 << RADIX_BITS];
	for (unsigned shift = 0; shift < 64 && (bits >> shift) != 0; shift += digit) {
		memset(count, 0, radix * sizeof *count);
		for (size_t i = 0; i < n; i++)
			count[(src[i].id >> shift) & (radix - 1)]++;
		size_t sum = 0;
		for (size_t d = 0; d < radix; d++) {
			size_t c = count[d];
			count[d] = sum;
			sum += c;
		}
		for (size_t i = 0; i < n; i++)
			dst[count[(src[i].id >> shift) & (radix - 1)]++] = src[i];
		lin_idpos *s = src;
		src = dst;
		dst = s;
	}
	if (src != v)
		memcpy(v, src, n * sizeof *v);
	trib_big_free(tmp);
	return 0;
}

/* One arena copy per distinct owner or domain name: a million nodes share a few hundred. */
static int refs_name(const char **out, lin_refs *r, const char *s, size_t len)
{
	/* Nodes read in id order mostly repeat the last owner and domain. */
	for (int i = 0; i < 2; i++)
		if (r->recent[i] && r->recent_len[i] == len && memcmp(r->recent[i], s, len) == 0) {
			*out = r->recent[i];
			return 0;
		}
	uint32_t at = lin_strmap_get(&r->names, s, len);
	const char *c;
	int rc = 0;
	if (at != LIN_NONE) {
		c = r->v[at];
	} else {
		c = trib_arena_strndup(r->a, s, len);
		rc = c ? lin_strv_push(&r->v, &r->n, &r->cap, r->a, c) : trib_error_last_code();
		if (rc == 0)
			rc = lin_strmap_put(&r->names, c, len, (uint32_t)(r->n - 1));
	}
	if (rc == 0) {
		r->recent[r->next_recent] = c;
		r->recent_len[r->next_recent] = len;
		r->next_recent ^= 1;
	}
	*out = c;
	return rc;
}

static int describe(graph_lineage_node *out, lin_refs *r, uint64_t id, uint32_t depth, uint64_t pred, int lean)
{
	gstore_node n;
	int rc = refs_read(&n, r, id);
	if (rc)
		return rc;
	if (lean)
		rc = (out->ref = trib_arena_strndup(r->a, n.ref, n.ref_len)) ? 0 : trib_error_last_code();
	else
		rc = refs_keep(&out->ref, r, id, n.ref, n.ref_len);
	if (rc)
		return rc;
	out->id = id;
	out->kind = n.kind;
	out->depth = depth;
	out->pred = pred;
	out->domain = out->owner = out->predecessor = "";
	out->placeholder = out->deprecated = 0;
	if (n.kind == TRIB_KIND_DOMAIN) {
		out->domain = out->ref;
	} else if (n.kind == TRIB_KIND_PRODUCT || n.kind == TRIB_KIND_PORT || n.kind == TRIB_KIND_FIELD) {
		/* As graph_node_get(): the domain from the reference, the owner and
		 * flags from the product node. */
		const char *slash = strchr(out->ref, '/');
		if (slash && (rc = refs_name(&out->domain, r, out->ref, (size_t)(slash - out->ref))) != 0)
			return rc;
		gstore_node p = n;
		if (n.kind != TRIB_KIND_PRODUCT && (rc = refs_read(&p, r, n.product)) != 0)
			return rc;
		out->placeholder = (p.flags & GSTORE_FLAG_PLACEHOLDER) != 0;
		out->deprecated = (p.flags & GSTORE_FLAG_DEPRECATED) != 0;
		if ((rc = refs_name(&out->owner, r, p.owner, p.owner_len)) != 0)
			return rc;
	}
	return pred && !lean ? lin_refs_get(&out->predecessor, r, pred) : 0;
}

int lin_describe(graph_lineage_node *out, lin_refs *r, uint64_t id, uint32_t depth, uint64_t pred)
{
	return describe(out, r, id, depth, pred, 0);
}

int lin_describe_lean(graph_lineage_node *out, lin_refs *r, uint64_t id, uint32_t depth, uint64_t pred)
{
	return describe(out, r, id, depth, pred, 1);
}

int lin_walk_path(const char ***out, size_t *len, const lin_walk *w, lin_refs *r, trib_arena *a,
		  uint32_t pos, uint64_t last)
{
	size_t n = last ? 1 : 0;
	for (uint32_t p = pos; p != LIN_NONE; p = w->v[p].pred)
		n++;
	const char **v = trib_arena_calloc(a, n, sizeof *v);
	if (!v)
		return trib_error_last_code();
	size_t i = n;
	int rc;
	if (last && (rc = lin_refs_get(&v[--i], r, last)) != 0)
		return rc;
	for (uint32_t p = pos; p != LIN_NONE; p = w->v[p].pred)
		if ((rc = lin_refs_get(&v[--i], r, w->v[p].id)) != 0)
			return rc;
	*out = v;
	*len = n;
	return 0;
}

/* ---------------------------------------------------------- field hits */

static int cmp_hit(const void *x, const void *y)
{
	const lin_hit *a = x, *b = y;
	if (a->depth != b->depth)
		return a->depth < b->depth ? -1 : 1;
	return a->pos < b->pos ? -1 : a->pos > b->pos;
}

int lin_field_hits(lin_hit **out, size_t *n, lin_walk *w)
{
	*out = NULL;
	*n = 0;
	lin_hit *h = malloc((w->n ? w->n : 1) * sizeof *h);
	if (!h)
		return trib_error_set(TRIB_ENOMEM, "out of memory listing %zu consumers", w->n);
	size_t k = 0;
	for (size_t i = 1; i < w->n; i++) {
		const lin_visit *v = &w->v[i];
		if (v->kind == TRIB_KIND_PRODUCT) {
			h[k++] = (lin_hit){v->id, v->depth, (uint32_t)i, 0};
		} else if (v->kind == TRIB_KIND_FIELD) {
			gstore_node nd;
			int rc = gstore_node_read(&nd, w->t, v->id);
			if (rc) {
				free(h);
				return rc;
			}
			h[k++] = (lin_hit){nd.product, v->depth, (uint32_t)i, 1};
		}
	}
	qsort(h, k, sizeof *h, cmp_hit);
	lin_map seen;
	lin_map_init(&seen);
	lin_map_dense_store(&seen, w->t);
	size_t m = 0;
	int rc = 0;
	for (size_t i = 0; i < k && rc == 0; i++) {
		if (lin_map_get(&seen, h[i].product) != LIN_NONE)
			continue;
		rc = lin_map_put(&seen, h[i].product, 1);
		h[m++] = h[i];
	}
	lin_map_dispose(&seen);
	if (rc) {
		free(h);
		return rc;
	}
	*out = h;
	*n = m;
	return 0;
}

/* ------------------------------------------------------- whole readers */

int lin_input_product(uint64_t *out, graph_txn *t, const Tributary__V1__InputPort *ip)
{
	*out = 0;
	if (!ip || !ip->source || !*ip->source || strncmp(ip->source, "source:", 7) == 0 ||
	    (ip->source_type && *ip->source_type && strcmp(ip->source_type, "data-product") != 0))
		return TRIB_ENOTFOUND;
	if (graph_resolve(out, t, ip->source) != 0) {
		/* The store accepted this source when it was registered; one that
		 * no longer resolves (a bare name now ambiguous) is no product. */
		trib_error_clear();
		return TRIB_ENOTFOUND;
	}
	return 0;
}

int lin_input_names(const Tributary__V1__InputPort *ip, graph_txn *t, uint64_t id, const char *ref)
{
	if (ip && ip->source && strchr(ip->source, '/') && strncmp(ip->source, "source:", 7) != 0 &&
	    !(ip->source_type && *ip->source_type && strcmp(ip->source_type, "data-product") != 0))
		return strcmp(ip->source, ref) == 0;
	uint64_t src;
	return lin_input_product(&src, t, ip) == 0 && src == id;
}

int lin_reads_whole(int *out, lin_products *pc, uint64_t consumer, uint64_t upstream, const char *upstream_ref,
		    const char *port_name)
{
	*out = 0;
	trib_product *c;
	int rc = lin_products_get(&c, pc, consumer);
	if (rc)
		return rc;
	for (size_t i = 0; i < c->n_input_ports; i++) {
		const Tributary__V1__InputPort *ip = c->input_ports[i];
		if (!ip || ip->n_fields)
			continue;
		if (port_name && ip->port && *ip->port && strcmp(ip->port, port_name) != 0)
			continue;
		if (lin_input_names(ip, pc->t, upstream, upstream_ref)) {
			*out = 1;
			return 0;
		}
	}
	return 0;
}
