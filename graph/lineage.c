/* Lineage graphs: the nodes around a root, level by level, filtered and paged. */
#include "lineage_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------- seeding */

typedef struct seed_ctx {
	lin_walk *w;
	uint32_t pred;
	unsigned edge;
	int dir;
	int err;
} seed_ctx;

static int seed_cb(uint64_t nb, unsigned kind, void *payload)
{
	seed_ctx *s = payload;
	int added;
	int rc = lin_walk_add(s->w, nb, s->pred, 0, kind, s->dir, lin_edge_target_kind(kind, s->dir), &added);
	if (rc)
		return rc;
	return added < 0 ? 1 : 0; /* stop at the node limit */
}

/* Add every neighbour of the node at position at, through `mask` going dir, at depth 0. */
static int seed_neighbours(lin_walk *w, uint32_t at, int dir, uint32_t mask)
{
	seed_ctx s = {w, at, 0, dir, 0};
	return lin_neighbours(w, w->v[at].id, dir, mask, seed_cb, &s);
}

/* The fields of the product at position at: through its ports, then its own. */
static int seed_product_fields(lin_walk *w, uint32_t at)
{
	size_t first_port = w->n;
	int rc = seed_neighbours(w, at, GRAPH_DOWN, GRAPH_EDGE_BIT(GRAPH_EDGE_HAS_PORT));
	size_t end_port = w->n;
	for (size_t i = first_port; rc == 0 && i < end_port; i++)
		rc = seed_neighbours(w, (uint32_t)i, GRAPH_DOWN, GRAPH_EDGE_BIT(GRAPH_EDGE_HAS_FIELD));
	if (rc == 0)
		rc = seed_neighbours(w, at, GRAPH_DOWN, GRAPH_EDGE_BIT(GRAPH_EDGE_HAS_FIELD));
	return rc;
}

static uint32_t member_mask(trib_kind k)
{
	switch (k) {
	case TRIB_KIND_TEAM:
		return GRAPH_EDGE_BIT(GRAPH_EDGE_OWNED_BY);
	case TRIB_KIND_DOMAIN:
		return GRAPH_EDGE_BIT(GRAPH_EDGE_IN_DOMAIN);
	case TRIB_KIND_TERM:
		return GRAPH_EDGE_BIT(GRAPH_EDGE_HAS_TERM);
	default:
		return 0;
	}
}

/*
 * The starting set of a walk, all at depth 0: the root; for a team, domain
 * or term its products; at field level the fields of the root product(s) or
 * root port (with the ports they hang from).
 */
static int seed(lin_walk *w, uint64_t root, trib_kind kind, graph_lineage_level level)
{
	int rc = lin_walk_add(w, root, LIN_NONE, 0, 0, 0, kind, NULL);
	if (rc || w->n == 0)
		return rc;
	uint32_t mm = member_mask(kind);
	if (mm && (rc = seed_neighbours(w, 0, GRAPH_UP, mm)) != 0)
		return rc;
	if (level != GRAPH_LINEAGE_FIELD)
		return 0;
	if (kind == TRIB_KIND_PORT)
		return seed_neighbours(w, 0, GRAPH_DOWN, GRAPH_EDGE_BIT(GRAPH_EDGE_HAS_FIELD));
	size_t nprod = w->n;
	for (size_t i = 0; rc == 0 && i < nprod; i++)
		if (w->v[i].kind == TRIB_KIND_PRODUCT)
			rc = seed_product_fields(w, (uint32_t)i);
	return rc;
}

static void level_masks(graph_lineage_level level, uint32_t *lineage, uint32_t *structural)
{
	switch (level) {
	case GRAPH_LINEAGE_PORT:
		*lineage = GRAPH_EDGE_BIT(GRAPH_EDGE_FEEDS) | GRAPH_EDGE_BIT(GRAPH_EDGE_PORT_FEEDS);
		*structural = GRAPH_EDGE_BIT(GRAPH_EDGE_HAS_PORT);
		break;
	case GRAPH_LINEAGE_FIELD:
		*lineage = GRAPH_EDGE_BIT(GRAPH_EDGE_FIELD_FEEDS) | GRAPH_EDGE_BIT(GRAPH_EDGE_FIELD_READ);
		*structural = 0;
		break;
	default:
		*lineage = GRAPH_EDGE_BIT(GRAPH_EDGE_FEEDS);
		*structural = 0;
		break;
	}
}

/* --------------------------------------------------------------- order */

/* One answer candidate: a node in the final breadth-first order. */
typedef struct entry {
	uint64_t id;
	uint64_t pred; /* id, 0 for seeds */
	uint32_t depth;
	uint8_t kind;
} entry;

typedef struct order {
	entry *e;
	size_t n;
	int truncated;
} order;

static int order_push(order *o, size_t *cap, const lin_visit *v, const lin_visit *base)
{
	int rc = trib_heap_reserve(&o->e, cap, o->n, sizeof *o->e, 256);
	if (rc)
		return rc;
	entry *e = &o->e[o->n++];
	e->id = v->id;
	e->pred = v->pred == LIN_NONE ? 0 : base[v->pred].id;
	e->depth = v->depth;
	e->kind = v->kind;
	return 0;
}

/*
 * Both directions: the union of the upstream and downstream closures (not
 * everything reachable along edges of either direction), ordered by depth,
 * upstream nodes first within a depth. Each node keeps its smaller depth.
 */
static int merge(order *o, const lin_walk *up, const lin_walk *down, size_t max_nodes)
{
	size_t cap = 0, i = 0, j = 0;
	lin_map seen;
	lin_map_init(&seen);
	lin_map_dense(&seen, up->max_id > down->max_id ? up->max_id : down->max_id);
	int rc = 0;
	for (uint32_t d = 0; rc == 0 && (i < up->n || j < down->n); d++) {
		for (; rc == 0 && i < up->n && up->v[i].depth == d; i++) {
			if (lin_map_get(&seen, up->v[i].id) != LIN_NONE)
				continue;
			if ((rc = lin_map_put(&seen, up->v[i].id, 1)) == 0)
				rc = order_push(o, &cap, &up->v[i], up->v);
		}
		for (; rc == 0 && j < down->n && down->v[j].depth == d; j++) {
			if (lin_map_get(&seen, down->v[j].id) != LIN_NONE)
				continue;
			if ((rc = lin_map_put(&seen, down->v[j].id, 1)) == 0)
				rc = order_push(o, &cap, &down->v[j], down->v);
		}
	}
	lin_map_dispose(&seen);
	o->truncated = up->truncated || down->truncated;
	if (max_nodes && o->n > max_nodes) {
		o->n = max_nodes;
		o->truncated = 1;
	}
	return rc;
}

static int single(order *o, const lin_walk *w)
{
	size_t cap = 0;
	for (size_t i = 0; i < w->n; i++) {
		int rc = order_push(o, &cap, &w->v[i], w->v);
		if (rc)
			return rc;
	}
	o->truncated = w->truncated;
	return 0;
}

/* ------------------------------------------------------------- filters */

static int wanted(int *ok, graph_txn *t, const entry *e, const graph_lineage_opts *o)
{
	*ok = 1;
	if (!o->kinds && !o->ndomains)
		return 0;
	gstore_node n;
	int rc = gstore_node_read(&n, t, e->id);
	if (rc)
		return rc;
	if (o->kinds && !(o->kinds & GRAPH_KIND_BIT(n.kind))) {
		*ok = 0;
		return 0;
	}
	if (!o->ndomains)
		return 0;
	const char *dom = "";
	size_t dlen = 0;
	if (n.kind == TRIB_KIND_DOMAIN) {
		dom = n.ref;
		dlen = n.ref_len;
	} else if (n.kind == TRIB_KIND_PRODUCT || n.kind == TRIB_KIND_PORT || n.kind == TRIB_KIND_FIELD) {
		const char *slash = memchr(n.ref, '/', n.ref_len);
		if (slash) {
			dom = n.ref;
			dlen = (size_t)(slash - n.ref);
		}
	}
	*ok = 0;
	for (size_t i = 0; i < o->ndomains; i++)
		if (o->domains[i] && strlen(o->domains[i]) == dlen && memcmp(o->domains[i], dom, dlen) == 0)
			*ok = 1;
	return 0;
}

/* -------------------------------------------------------------- edges */

typedef struct edges_ctx {
	lin_walk *w; /* cursors only */
	const lin_map *answer; /* id -> answer index */
	uint64_t id;
	graph_lineage_graph *g;
	size_t cap;
	lin_refs *r;
	trib_arena *a;
} edges_ctx;

static int edges_cb(uint64_t nb, unsigned kind, void *payload)
{
	edges_ctx *x = payload;
	if (lin_map_get(x->answer, nb) == LIN_NONE)
		return 0;
	graph_lineage_graph *g = x->g;
	/* Grown outside the arena (which would keep every old copy), moved in once at the end. */
	int rc;
	if (g->nedges == x->cap && (rc = trib_heap_reserve(&g->edges, &x->cap, g->nedges, sizeof *g->edges, 64)) != 0)
		return rc;
	graph_lineage_edge *e = &g->edges[g->nedges];
	e->kind = (graph_edge_kind)kind;
	e->from = nb;
	e->to = x->id;
	rc = lin_refs_get(&e->from_ref, x->r, e->from);
	if (rc == 0)
		rc = lin_refs_get(&e->to_ref, x->r, e->to);
	if (rc)
		return rc;
	g->nedges++;
	return 0;
}

/* --------------------------------------------------------------- query */

static int check_opts(const graph_lineage_opts *o)
{
	if (!o || o->version != GRAPH_LINEAGE_OPTS_VERSION)
		return trib_error_set(TRIB_EINVALID, "lineage options: version %u, expected %u",
				      o ? o->version : 0, GRAPH_LINEAGE_OPTS_VERSION);
	if (o->direction != GRAPH_UP && o->direction != GRAPH_DOWN && o->direction != GRAPH_BOTH)
		return trib_error_set(TRIB_EINVALID, "direction: %d is not up, down or both", o->direction);
	if (o->level < GRAPH_LINEAGE_PRODUCT || o->level > GRAPH_LINEAGE_FIELD)
		return trib_error_set(TRIB_EINVALID, "level: %d is not product, port or field", (int)o->level);
	if (o->ndomains && !o->domains)
		return trib_error_set(TRIB_EINVALID, "domains: %zu domains but no array", o->ndomains);
	return 0;
}

static int walk_dir(lin_walk *w, graph_txn *t, uint64_t root, trib_kind kind, graph_lineage_level level,
		    int dir, const graph_lineage_opts *o)
{
	int rc = lin_walk_init(w, t, o->max_nodes, o->max_depth, o->deadline_ms);
	if (rc)
		return rc;
	if ((rc = seed(w, root, kind, level)) != 0)
		return rc;
	uint32_t lineage, structural;
	level_masks(level, &lineage, &structural);
	return lin_walk_run(w, 0, dir, lineage, structural);
}

static int traverse(order *ord, graph_txn *t, uint64_t root, trib_kind kind, graph_lineage_level level,
		    const graph_lineage_opts *o)
{
	lin_walk up, down;
	memset(&up, 0, sizeof up);
	memset(&down, 0, sizeof down);
	int rc = 0;
	if (o->direction & GRAPH_UP)
		rc = walk_dir(&up, t, root, kind, level, GRAPH_UP, o);
	if (rc == 0 && (o->direction & GRAPH_DOWN))
		rc = walk_dir(&down, t, root, kind, level, GRAPH_DOWN, o);
	if (rc == 0) {
		if (o->direction == GRAPH_BOTH)
			rc = merge(ord, &up, &down, o->max_nodes);
		else
			rc = single(ord, o->direction == GRAPH_UP ? &up : &down);
	}
	lin_walk_dispose(&up);
	lin_walk_dispose(&down);
	return rc;
}

static uint32_t listing_mask(graph_lineage_level level, trib_kind root_kind)
{
	uint32_t lineage, structural;
	level_masks(level, &lineage, &structural);
	uint32_t m = lineage | structural | member_mask(root_kind);
	if (level == GRAPH_LINEAGE_FIELD)
		m |= GRAPH_EDGE_BIT(GRAPH_EDGE_HAS_PORT) | GRAPH_EDGE_BIT(GRAPH_EDGE_HAS_FIELD);
	return m;
}

static int answer(graph_lineage_graph *out, graph_txn *t, trib_arena *a, const order *ord, trib_kind root_kind,
		  graph_lineage_level level, const graph_lineage_opts *o)
{
	/* Answer nodes as indexes into ord, in order. */
	uint32_t *ans = malloc((ord->n ? ord->n : 1) * sizeof *ans);
	if (!ans)
		return trib_error_set(TRIB_ENOMEM, "out of memory filtering %zu lineage nodes", ord->n);
	size_t nans = 0;
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < ord->n; i++) {
		int ok;
		if ((rc = wanted(&ok, t, &ord->e[i], o)) == 0 && ok)
			ans[nans++] = (uint32_t)i;
	}
	lin_map index; /* id -> answer index */
	lin_map_init(&index);
	lin_map_dense(&index, lin_dense_bound(t));
	lin_refs r;
	lin_refs_init(&r, t, a);
	lin_walk cur;
	memset(&cur, 0, sizeof cur);
	lin_idpos *byid = NULL;
	if (rc)
		goto done;
	out->total = nans;
	if (o->offset > nans) {
		rc = trib_error_set(TRIB_EINVALID, "page_token: offset %zu is beyond the %zu answer nodes",
				    o->offset, nans);
		goto done;
	}
	size_t count = nans - o->offset;
	if (o->page_size && count > o->page_size)
		count = o->page_size;
	out->next_offset = o->offset + count < nans ? o->offset + count : 0;
	out->count = count;
	if (count && !(out->nodes = trib_arena_calloc(a, count, sizeof *out->nodes))) {
		rc = trib_error_last_code();
		goto done;
	}
	/* Read the nodes in id order through one cursor: neighbouring ids share
	 * leaf pages. The answer keeps its breadth-first order. */
	byid = malloc((count ? count : 1) * sizeof *byid);
	if (!byid) {
		rc = trib_error_set(TRIB_ENOMEM, "out of memory describing %zu nodes", count);
		goto done;
	}
	for (size_t i = 0; i < count; i++)
		byid[i] = (lin_idpos){ord->e[ans[o->offset + i]].id, i};
	lin_sort_idpos(byid, count);
	for (size_t j = 0; rc == 0 && j < count; j++) {
		const entry *e = &ord->e[ans[o->offset + byid[j].pos]];
		rc = lin_describe(&out->nodes[byid[j].pos], &r, e->id, e->depth, e->pred);
	}
	if (rc || !count)
		goto done;
	for (size_t i = 0; rc == 0 && i < nans; i++)
		rc = lin_map_put(&index, ord->e[ans[i]].id, (uint32_t)i);
	if (rc || (rc = lin_walk_init(&cur, t, 0, 0, 0)) != 0)
		goto done;
	uint32_t mask = listing_mask(level, root_kind);
	/* Every edge among answer nodes is an in-edge of its `to` node: scanning
	 * in-edges alone finds each once, and never walks a hub's fan-out. */
	edges_ctx x = {&cur, &index, 0, out, 0, &r, a};
	for (size_t j = 0; rc == 0 && j < count; j++) {
		x.id = byid[j].id;
		rc = lin_neighbours(&cur, x.id, GRAPH_UP, mask, edges_cb, &x);
	}
	graph_lineage_edge *heap = out->edges;
	out->edges = NULL;
	if (rc == 0 && out->nedges) {
		if ((out->edges = trib_arena_calloc(a, out->nedges, sizeof *out->edges)) != NULL)
			memcpy(out->edges, heap, out->nedges * sizeof *out->edges);
		else
			rc = trib_error_last_code();
	}
	free(heap);
done:
	free(byid);
	lin_walk_dispose(&cur);
	lin_refs_dispose(&r);
	lin_map_dispose(&index);
	free(ans);
	return rc;
}

int graph_lineage_get(graph_lineage_graph *out, graph_txn *t, trib_arena *a, uint64_t root,
		      const graph_lineage_opts *opts)
{
	memset(out, 0, sizeof *out);
	int rc = check_opts(opts);
	if (rc)
		return rc;
	graph_node rn;
	if ((rc = lin_node(&rn, t, a, root)) != 0)
		return rc;
	out->root = rn.ref;
	graph_lineage_level level = opts->level;
	if (rn.kind == TRIB_KIND_PORT && level < GRAPH_LINEAGE_PORT)
		level = GRAPH_LINEAGE_PORT;
	if (rn.kind == TRIB_KIND_FIELD)
		level = GRAPH_LINEAGE_FIELD;
	order ord = {NULL, 0, 0};
	rc = traverse(&ord, t, root, rn.kind, level, opts);
	if (rc == 0) {
		out->truncated = ord.truncated;
		rc = answer(out, t, a, &ord, rn.kind, level, opts);
	}
	free(ord.e);
	return rc;
}

/* ---------------------------------------------------------------- tokens */

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= UINT64_C(0x100000001b3);
	}
	return h;
}

static uint64_t query_digest(const char *ref, const graph_lineage_opts *o)
{
	uint64_t h = UINT64_C(0xcbf29ce484222325);
	h = fnv(h, ref ? ref : "", ref ? strlen(ref) + 1 : 1);
	int32_t dir = o->direction, level = (int32_t)o->level;
	uint64_t max_nodes = o->max_nodes;
	h = fnv(h, &dir, sizeof dir);
	h = fnv(h, &o->max_depth, sizeof o->max_depth);
	h = fnv(h, &level, sizeof level);
	h = fnv(h, &o->kinds, sizeof o->kinds);
	h = fnv(h, &max_nodes, sizeof max_nodes);
	for (size_t i = 0; i < o->ndomains; i++)
		h = fnv(h, o->domains[i] ? o->domains[i] : "", o->domains[i] ? strlen(o->domains[i]) + 1 : 1);
	return h;
}

void graph_lineage_token_format(char *buf, const char *ref, const graph_lineage_opts *opts, size_t offset)
{
	snprintf(buf, GRAPH_LINEAGE_TOKEN_MAX, "%zu.%016" PRIx64, offset, query_digest(ref, opts));
}

int graph_lineage_token_parse(size_t *offset, const char *token, const char *ref,
			      const graph_lineage_opts *opts)
{
	*offset = 0;
	const char *p = token;
	size_t off = 0;
	if (!*p)
		return trib_error_set(TRIB_EINVALID, "page_token: empty");
	for (; *p >= '0' && *p <= '9'; p++) {
		if (off > (SIZE_MAX - 9) / 10)
			return trib_error_set(TRIB_EINVALID, "page_token: offset out of range");
		off = off * 10 + (size_t)(*p - '0');
	}
	char want[GRAPH_LINEAGE_TOKEN_MAX];
	graph_lineage_token_format(want, ref, opts, off);
	if (p == token || strcmp(token, want) != 0)
		return trib_error_set(TRIB_EINVALID,
				      "page_token: '%.60s' was not issued for this query (ref, direction, "
				      "depth, level, filters and max_nodes must stay the same)",
				      token);
	*offset = off;
	return 0;
}
