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
	entry *e;           /* both directions: the merged answer */
	const lin_visit *v; /* one direction: the walk's visits, used in place */
	size_t n;
	int truncated;
} order;

static uint64_t ord_id(const order *o, size_t i)
{
	return o->e ? o->e[i].id : o->v[i].id;
}

static uint64_t ord_pred(const order *o, size_t i)
{
	if (o->e)
		return o->e[i].pred;
	return o->v[i].pred == LIN_NONE ? 0 : o->v[o->v[i].pred].id;
}

static uint32_t ord_depth(const order *o, size_t i)
{
	return o->e ? o->e[i].depth : o->v[i].depth;
}

static int order_push(order *o, size_t *cap, const lin_visit *v, const lin_visit *base)
{
	int rc = trib_big_reserve(&o->e, cap, o->n, sizeof *o->e, 256);
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
	lin_map_dense_store(&seen, up->t);
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

static void single(order *o, const lin_walk *w)
{
	o->v = w->v;
	o->n = w->n;
	o->truncated = w->truncated;
}

/* ------------------------------------------------------------- filters */

static int wanted(int *ok, graph_txn *t, uint64_t id, const graph_lineage_opts *o)
{
	*ok = 1;
	if (!o->kinds && !o->ndomains)
		return 0;
	gstore_node n;
	int rc = gstore_node_read(&n, t, id);
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

/* An edge among answer nodes, kept before it is ordered and described; its
 * `to` node is the page's node of that rank. */
typedef struct found {
	uint64_t from;
	uint32_t kind;
	uint32_t rank; /* of `to` among the page's nodes sorted by id */
} found;

/* An answer while it is built. */
typedef struct build {
	graph_lineage_graph *g;
	lin_map index;        /* id -> answer index, every answer node */
	size_t first, count;  /* the page: answer indexes [first, first + count) */
	uint32_t *rank;       /* page position -> rank by id */
	const lin_idpos *byid; /* rank -> (id, page position) */
	found *e;
	size_t n, cap;
	lin_refs r;
} build;

/* Where answer node id sits on the page, or -1 (not an answer node, or on another page). */
static long page_pos(const build *b, uint64_t id)
{
	uint32_t i = lin_map_get(&b->index, id);
	return i != LIN_NONE && i >= b->first && i - b->first < b->count ? (long)(i - b->first) : -1;
}

/* Keep edge from -> to when both ends are answer nodes and `to` is in the page. */
static int keep(build *b, uint64_t from, uint64_t to, unsigned kind)
{
	long tp = page_pos(b, to);
	if (tp < 0 || lin_map_get(&b->index, from) == LIN_NONE)
		return 0;
	int rc;
	if (b->n == b->cap && (rc = trib_big_reserve(&b->e, &b->cap, b->n, sizeof *b->e, 256)) != 0)
		return rc;
	b->e[b->n++] = (found){from, kind, b->rank[tp]};
	return 0;
}

typedef struct scan_ctx {
	build *b;
	uint64_t id;
	int dir; /* the edges of id read: GRAPH_UP its in-edges (id is `to`), GRAPH_DOWN its out-edges */
} scan_ctx;

static int scan_cb(uint64_t nb, unsigned kind, void *payload)
{
	scan_ctx *x = payload;
	return x->dir == GRAPH_UP ? keep(x->b, nb, x->id, kind) : keep(x->b, x->id, nb, kind);
}

/* Within one `to` node, the order the store keeps its in-edges in: lineage
 * kinds (one key) before structural ones (the other), then kind, then `from`. */
static uint64_t stored_key(const graph_lineage_edge *e)
{
	uint64_t structural = (GSTORE_STRUCT_KINDS & GRAPH_EDGE_BIT(e->kind)) != 0;
	return structural << 63 | (uint64_t)e->kind << 56 | e->from;
}

static int cmp_edge(const void *x, const void *y)
{
	uint64_t a = stored_key(x), b = stored_key(y);
	return a < b ? -1 : a > b;
}

/* The kept edges into the answer's arena, ordered by the `to` node's id (a
 * counting sort on its rank), each `to` node's edges in stored order. */
static int emit_edges(build *b, trib_arena *a)
{
	graph_lineage_graph *g = b->g;
	if (!b->n)
		return 0;
	size_t *end = trib_big_calloc(b->count + 1, sizeof *end);
	if (!end)
		return trib_error_set(TRIB_ENOMEM, "out of memory ordering %zu lineage edges", b->n);
	if (!(g->edges = trib_arena_alloc(a, b->n * sizeof *g->edges))) {
		trib_big_free(end);
		return trib_error_last_code();
	}
	for (size_t i = 0; i < b->n; i++)
		end[b->e[i].rank + 1]++;
	for (size_t r = 1; r <= b->count; r++)
		end[r] += end[r - 1];
	for (size_t i = 0; i < b->n; i++) {
		const found *f = &b->e[i];
		g->edges[end[f->rank]++] = (graph_lineage_edge){f->from, b->byid[f->rank].id, NULL, NULL,
								(graph_edge_kind)f->kind};
	}
	/* end[r] is now where rank r's edges end. */
	int rc = 0;
	for (size_t r = 0, lo = 0; rc == 0 && r < b->count; lo = end[r++]) {
		size_t hi = end[r];
		graph_lineage_edge *v = g->edges;
		if (hi - lo > 16) {
			qsort(v + lo, hi - lo, sizeof *v, cmp_edge);
		} else {
			for (size_t i = lo + 1; i < hi; i++) {
				graph_lineage_edge x = v[i];
				size_t j = i;
				for (; j > lo && stored_key(&v[j - 1]) > stored_key(&x); j--)
					v[j] = v[j - 1];
				v[j] = x;
			}
		}
		const char *to_ref = g->nodes[b->byid[r].pos].ref;
		for (size_t i = lo; rc == 0 && i < hi; i++) {
			v[i].to_ref = to_ref;
			long fp = page_pos(b, v[i].from);
			if (fp >= 0)
				v[i].from_ref = g->nodes[fp].ref;
			else
				rc = lin_refs_get(&v[i].from_ref, &b->r, v[i].from);
		}
	}
	if (rc == 0)
		g->nedges = b->n;
	trib_big_free(end);
	return rc;
}

/*
 * The edges among answer nodes from a single-direction walk that recorded its
 * steps, when the kinds listed are exactly those it followed: a node whose
 * edge lists were read whole (`need`) contributes its recorded steps; only
 * the others (the last level under max_depth, nodes a limit left unexpanded)
 * have their edges read again.
 */
static int edges_from_walk(build *b, lin_walk *w, int dir, unsigned need, uint32_t mask)
{
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < w->nsteps; i++) {
		const lin_step *s = &w->steps[i];
		const lin_visit *v = &w->v[s->pos];
		if ((v->done & need) != need)
			continue;
		rc = dir == GRAPH_UP ? keep(b, s->nb, v->id, s->kind) : keep(b, v->id, s->nb, s->kind);
	}
	/* The others, read in id order: consecutive seeks stay on their leaf page. */
	lin_idpos *rest = NULL;
	size_t nrest = 0, cap = 0;
	for (size_t k = 0; rc == 0 && k < w->n; k++) {
		const lin_visit *v = &w->v[k];
		if ((v->done & need) == need)
			continue;
		/* In-edges matter only for a `to` in the page; out-edges for any answer node. */
		if (dir == GRAPH_UP ? page_pos(b, v->id) < 0 : lin_map_get(&b->index, v->id) == LIN_NONE)
			continue;
		if ((rc = trib_big_reserve(&rest, &cap, nrest, sizeof *rest, 64)) == 0)
			rest[nrest++] = (lin_idpos){v->id, k};
	}
	if (rc == 0)
		rc = lin_sort_idpos(rest, nrest);
	for (size_t j = 0; rc == 0 && j < nrest; j++) {
		scan_ctx x = {b, rest[j].id, dir};
		rc = lin_neighbours(w, x.id, dir, mask, scan_cb, &x);
	}
	trib_big_free(rest);
	return rc;
}

/* Every edge among answer nodes is an in-edge of its `to` node: reading the
 * page nodes' in-edges alone finds each once, and never walks a hub's fan-out. */
static int edges_by_reading(build *b, lin_walk *cur, const lin_idpos *byid, uint32_t mask)
{
	int rc = 0;
	for (size_t j = 0; rc == 0 && j < b->count; j++) {
		scan_ctx x = {b, byid[j].id, GRAPH_UP};
		rc = lin_neighbours(cur, x.id, GRAPH_UP, mask, scan_cb, &x);
	}
	return rc;
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

/* The kinds of edge an answer lists. */
static uint32_t listing_mask(graph_lineage_level level, trib_kind root_kind)
{
	uint32_t lineage, structural;
	level_masks(level, &lineage, &structural);
	uint32_t m = lineage | structural | member_mask(root_kind);
	if (level == GRAPH_LINEAGE_FIELD)
		m |= GRAPH_EDGE_BIT(GRAPH_EDGE_HAS_PORT) | GRAPH_EDGE_BIT(GRAPH_EDGE_HAS_FIELD);
	return m;
}

/* The walks of one query: up, down or both. */
typedef struct walks {
	lin_walk up, down;
	int dir;
	int record; /* one direction, listing only the kinds followed: edges come from the walk */
} walks;

static int walk_dir(lin_walk *w, graph_txn *t, uint64_t root, trib_kind kind, graph_lineage_level level,
		    int dir, int record, const graph_lineage_opts *o)
{
	int rc = lin_walk_init(w, t, o->max_nodes, o->max_depth, o->deadline_ms);
	if (rc)
		return rc;
	w->record = record;
	if ((rc = seed(w, root, kind, level)) != 0)
		return rc;
	uint32_t lineage, structural;
	level_masks(level, &lineage, &structural);
	return lin_walk_run(w, 0, dir, lineage, structural);
}

static int traverse(order *ord, walks *ws, graph_txn *t, uint64_t root, trib_kind kind, graph_lineage_level level,
		    const graph_lineage_opts *o)
{
	uint32_t lineage, structural;
	level_masks(level, &lineage, &structural);
	ws->dir = o->direction;
	ws->record = o->direction != GRAPH_BOTH && listing_mask(level, kind) == (lineage | structural);
	int rc = 0;
	if (o->direction & GRAPH_UP)
		rc = walk_dir(&ws->up, t, root, kind, level, GRAPH_UP, ws->record, o);
	if (rc == 0 && (o->direction & GRAPH_DOWN))
		rc = walk_dir(&ws->down, t, root, kind, level, GRAPH_DOWN, ws->record, o);
	if (rc)
		return rc;
	if (o->direction == GRAPH_BOTH)
		return merge(ord, &ws->up, &ws->down, o->max_nodes);
	single(ord, o->direction == GRAPH_UP ? &ws->up : &ws->down);
	return 0;
}

static int answer(graph_lineage_graph *out, graph_txn *t, trib_arena *a, const order *ord, walks *ws,
		  trib_kind root_kind, graph_lineage_level level, const graph_lineage_opts *o)
{
	lin_walk *cur = ws->dir == GRAPH_DOWN ? &ws->down : &ws->up;
	/* Answer nodes as indexes into ord, in order. */
	uint32_t *ans = trib_big_alloc((ord->n ? ord->n : 1) * sizeof *ans);
	if (!ans)
		return trib_error_set(TRIB_ENOMEM, "out of memory filtering %zu lineage nodes", ord->n);
	size_t nans = 0;
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < ord->n; i++) {
		int ok;
		if ((rc = wanted(&ok, t, ord_id(ord, i), o)) == 0 && ok)
			ans[nans++] = (uint32_t)i;
	}
	build b = {.g = out};
	lin_map_init(&b.index);
	lin_map_dense_store(&b.index, t);
	lin_refs_init(&b.r, t, a);
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
	b.first = o->offset;
	b.count = count;
	if (!count)
		goto done;
	/* Every field of a node is set by lin_describe_lean(): no zeroing. */
	out->nodes = trib_arena_alloc(a, count * sizeof *out->nodes);
	byid = trib_big_alloc(count * sizeof *byid);
	b.rank = trib_big_alloc(count * sizeof *b.rank);
	if (!out->nodes) {
		rc = trib_error_last_code();
		goto done;
	}
	if (!byid || !b.rank) {
		rc = trib_error_set(TRIB_ENOMEM, "out of memory describing %zu nodes", count);
		goto done;
	}
	/* Read the nodes in id order through one cursor: neighbouring ids share
	 * leaf pages. The answer keeps its breadth-first order. */
	for (size_t i = 0; i < count; i++)
		byid[i] = (lin_idpos){ord_id(ord, ans[o->offset + i]), i};
	if ((rc = lin_sort_idpos(byid, count)) != 0)
		goto done;
	b.byid = byid;
	for (size_t j = 0; rc == 0 && j < count; j++) {
		size_t k = ans[o->offset + byid[j].pos];
		b.rank[byid[j].pos] = (uint32_t)j;
		rc = lin_describe_lean(&out->nodes[byid[j].pos], &b.r, byid[j].id, ord_depth(ord, k), ord_pred(ord, k));
	}
	for (size_t i = 0; rc == 0 && i < nans; i++)
		rc = lin_map_put(&b.index, ord_id(ord, ans[i]), (uint32_t)i);
	/* Predecessors: answer nodes on the page, read only when filtered or paged out. */
	for (size_t i = 0; rc == 0 && i < count; i++) {
		graph_lineage_node *n = &out->nodes[i];
		long pp = n->pred ? page_pos(&b, n->pred) : -1;
		if (pp >= 0)
			n->predecessor = out->nodes[pp].ref;
		else if (n->pred)
			rc = lin_refs_get(&n->predecessor, &b.r, n->pred);
	}
	if (rc)
		goto done;
	uint32_t mask = listing_mask(level, root_kind);
	if (ws->record) {
		uint32_t lineage, structural;
		level_masks(level, &lineage, &structural);
		unsigned need = LIN_DONE_LINEAGE | (structural ? LIN_DONE_STRUCT : 0u);
		rc = edges_from_walk(&b, cur, ws->dir, need, mask);
	} else {
		rc = edges_by_reading(&b, cur, byid, mask);
	}
	if (rc == 0)
		rc = emit_edges(&b, a);
done:
	trib_big_free(byid);
	trib_big_free(b.rank);
	trib_big_free(b.e);
	lin_refs_dispose(&b.r);
	lin_map_dispose(&b.index);
	trib_big_free(ans);
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
	order ord = {NULL, NULL, 0, 0};
	walks ws;
	memset(&ws, 0, sizeof ws);
	rc = traverse(&ord, &ws, t, root, rn.kind, level, opts);
	if (rc == 0) {
		out->truncated = ord.truncated;
		rc = answer(out, t, a, &ord, &ws, rn.kind, level, opts);
	}
	lin_walk_dispose(&ws.up);
	lin_walk_dispose(&ws.down);
	trib_big_free(ord.e);
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
