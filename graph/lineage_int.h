/*
 * graph/lineage_int.h — private to the lineage files (lineage*.c, schema.c,
 * provenance.c): the breadth-first engine every lineage query runs on, an
 * id -> position map, and small shared helpers.
 *
 * The engine reads the adjacency sub-databases (store.h) directly through
 * cursors kept open for the whole walk: one per direction for lineage keys and
 * one per direction for structural keys (store.h keeps them apart), so each
 * cursor stays in its region of the tree and consecutive seeks stay on the
 * leaf page it is on. A wanted kind is reached with MDB_GET_BOTH_RANGE, so a
 * hub with a million edges of other kinds costs nothing. Cursors open on first
 * use. Its working memory (visits, map, recorded edges) is big blocks
 * (trib_big_*: huge pages once large), bounded by max_nodes, and freed by
 * lin_walk_dispose(); answers are copied to the caller's arena by the query
 * files.
 */
#ifndef TRIBUTARY_GRAPH_LINEAGE_INT_H
#define TRIBUTARY_GRAPH_LINEAGE_INT_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"
#include "tributary/lineage.h"

#define LIN_NONE UINT32_MAX

/* Edges that cost a hop, and those that do not. */
#define LIN_LINEAGE_EDGES                                                                            \
	(GRAPH_EDGE_BIT(GRAPH_EDGE_FEEDS) | GRAPH_EDGE_BIT(GRAPH_EDGE_PORT_FEEDS) |                   \
	 GRAPH_EDGE_BIT(GRAPH_EDGE_FIELD_READ) | GRAPH_EDGE_BIT(GRAPH_EDGE_FIELD_FEEDS))
#define LIN_MEMBER_EDGES                                                                             \
	(GRAPH_EDGE_BIT(GRAPH_EDGE_OWNED_BY) | GRAPH_EDGE_BIT(GRAPH_EDGE_IN_DOMAIN) |                 \
	 GRAPH_EDGE_BIT(GRAPH_EDGE_HAS_TERM))

/* ------------------------------------------------------------------ map */

/*
 * u64 key (never 0: node ids start at 1) -> u32 value; open addressing.
 * A map told the largest key it will see (lin_map_dense) turns into a plain
 * array indexed by key once it holds many entries: node ids are dense, and a
 * large walk then costs one array access per neighbour instead of a probe
 * into an out-of-cache table.
 */
typedef struct lin_map {
	uint64_t *keys;
	uint32_t *vals;
	size_t cap; /* power of two, or 0 */
	size_t n;
	uint64_t dense_max; /* largest key, 0 = never dense */
	graph_txn *bound_t; /* else read dense_max from this store once the map is large */
	uint32_t *dense;    /* value + 1 by key, 0 = absent (calloc'd: untouched pages cost nothing) */
} lin_map;

void lin_map_init(lin_map *m);
/* Allow the dense form for keys up to max_key. */
void lin_map_dense(lin_map *m, uint64_t max_key);
/* Allow the dense form for keys up to the store's largest node id, read only
 * when the map grows large enough to go dense. */
void lin_map_dense_store(lin_map *m, graph_txn *t);
void lin_map_dispose(lin_map *m);
/* Value of key, or LIN_NONE. */
uint32_t lin_map_get(const lin_map *m, uint64_t key);
/* Insert or overwrite. TRIB_ENOMEM. */
int lin_map_put(lin_map *m, uint64_t key, uint32_t val);
/* One probe: *found = the value already there (LIN_NONE when key was absent and
 * has now been inserted with val). TRIB_ENOMEM. */
int lin_map_insert(lin_map *m, uint64_t key, uint32_t val, uint32_t *found);

/* ----------------------------------------------------------------- walk */

typedef struct lin_visit {
	uint64_t id;
	uint32_t pred;  /* position of the node it was reached from; LIN_NONE for seeds */
	uint32_t depth;
	uint8_t edge;   /* graph_edge_kind followed to reach it; 0 for seeds */
	uint8_t dir;    /* GRAPH_DOWN or GRAPH_UP: how that edge was followed */
	uint8_t kind;   /* trib_kind when the edge tells it, else TRIB_KIND_NONE */
	uint8_t done;   /* LIN_DONE_*: which of its edge lists the walk read whole */
} lin_visit;

/* lin_visit.done: the node's lineage (or structural) edges in the walk's
 * direction were all read, and, when the walk records, all recorded. */
#define LIN_DONE_LINEAGE 0x1u
#define LIN_DONE_STRUCT 0x2u

/* An edge the walk followed (or found leading to a node already reached):
 * from the node at position pos to neighbour nb, in the walk's direction. */
typedef struct lin_step {
	uint64_t nb;
	uint32_t pos;
	uint32_t kind;
} lin_step;

typedef struct lin_walk lin_walk;

/* Told of every edge of w->attr_mask leaving the node at position pos (not
 * followed): how a walk picks up owner and domain without reading nodes.
 * Returns 0 or an error that stops the walk. */
typedef int (*lin_attr_fn)(lin_walk *w, size_t pos, uint64_t nb, unsigned kind, void *payload);

struct lin_walk {
	graph_txn *t;
	MDB_cursor *cur[2][2]; /* [0 out (down) | 1 in (up)][0 lineage key | 1 structural key] */
	lin_visit *v;
	size_t n, cap;
	lin_map pos;        /* id -> position in v, while the walk is small */
	uint64_t *seen;     /* then a bitmap over ids (lin_walk_has); positions are in v only */
	uint64_t max_id;    /* largest id in the store: the bitmap's size (lin_walk_max_id) */
	int max_id_known;
	size_t max_nodes;   /* 0 = unlimited */
	uint32_t max_depth; /* 0 = unlimited */
	int64_t deadline_ms;
	unsigned ticks;
	int truncated;      /* a node limit or the deadline stopped the walk */
	int deadline_hit;
	uint32_t attr_mask; /* edge kinds reported to attr, not followed (lineage phase only) */
	lin_attr_fn attr;
	void *payload;
	struct lin_idpos *order; /* scratch: a level's positions sorted by node id */
	size_t order_cap;
	int record;         /* keep every followed edge in steps (lin_walk_run) */
	lin_step *steps;
	size_t nsteps, steps_cap;
};

int lin_walk_init(lin_walk *w, graph_txn *t, size_t max_nodes, uint32_t max_depth, int64_t deadline_ms);

/* The store's largest node id, read once per walk (0 when unknown: stay a hash). */
uint64_t lin_walk_max_id(lin_walk *w);

/* The largest node id in the store (0 when empty). */
int lin_max_id(uint64_t *out, graph_txn *t);

/* lin_max_id() for lin_map_dense(): 0 (stay a hash) when it cannot be read. */
uint64_t lin_dense_bound(graph_txn *t);
void lin_walk_dispose(lin_walk *w);

/*
 * Add node id unless already present. *added (may be NULL) = 1 when added,
 * 0 when it was there already, -1 when a limit kept it out (then
 * w->truncated is set). Depth limits are the caller's business here.
 */
int lin_walk_add(lin_walk *w, uint64_t id, uint32_t pred, uint32_t depth, unsigned edge, int dir,
		 unsigned kind, int *added);

/* 1 when node id is in the walk. */
int lin_walk_has(const lin_walk *w, uint64_t id);

/*
 * Breadth-first from the nodes at positions [from, n), which must all have
 * the same depth. `dir` is GRAPH_DOWN or GRAPH_UP. Edges in lineage_mask cost
 * one hop; edges in structural_mask cost none (their targets join the current
 * level before it is expanded further). Stops quietly at max_depth; at
 * max_nodes or the deadline it stops and sets truncated. Each level is
 * expanded in node-id order: consecutive seeks then mostly stay on the LMDB
 * leaf page the cursor is on, and the order stays deterministic.
 */
int lin_walk_run(lin_walk *w, size_t from, int dir, uint32_t lineage_mask, uint32_t structural_mask);

/*
 * Call fn for every neighbour of id through edges of the kinds in mask, going
 * dir (GRAPH_DOWN: out-edges, GRAPH_UP: in-edges): lineage kinds first, then
 * structural ones, each in stored order (kind, then neighbour id). fn returns
 * 0 to go on, 1 to stop early, < 0 to fail.
 */
typedef int (*lin_nb_fn)(uint64_t nb, unsigned kind, void *payload);
int lin_neighbours(lin_walk *w, uint64_t id, int dir, uint32_t mask, lin_nb_fn fn, void *payload);

/* Kind of the node an edge of `kind` reaches going `dir`, when that is certain. */
unsigned lin_edge_target_kind(unsigned kind, int dir);

/* TRIB_ELIMIT naming the limit that cut walk w (for queries that must be complete). */
int lin_limit_error(const lin_walk *w, const char *what);

int64_t lin_now_ms(void);

/* ---------------------------------------------------------------- helpers */

/* A growable list of node ids (malloc'd; lin_ids_free). */
typedef struct lin_ids {
	uint64_t *v;
	size_t n, cap;
} lin_ids;

int lin_ids_push(lin_ids *l, uint64_t id);
void lin_ids_free(lin_ids *l);
/* A lin_nb_fn that appends every neighbour to the lin_ids in payload. */
int lin_ids_cb(uint64_t nb, unsigned kind, void *payload);

/* Node description into arena a (graph_node_get). */
int lin_node(graph_node *out, graph_txn *t, trib_arena *a, uint64_t id);

/* Decoded product records by node id, fetched once per query. */
typedef struct lin_products {
	graph_txn *t;
	trib_arena *a;
	lin_map idx;
	trib_product **recs;
	size_t n, cap;
} lin_products;

void lin_products_init(lin_products *c, graph_txn *t, trib_arena *a);
void lin_products_dispose(lin_products *c);
/* The latest record of product id (placeholders: only name, domain, placeholder). */
int lin_products_get(trib_product **out, lin_products *c, uint64_t id);

/* Sort an array of strings (strcmp) and drop duplicates; returns the new count. */
size_t lin_sort_unique(const char **v, size_t n);

/* Append s to a growable arena array of strings. */
int lin_strv_push(const char ***v, size_t *n, size_t *cap, trib_arena *a, const char *s);

/* "domain/name" of a product, port or field reference (arena). */
const char *lin_product_ref(trib_arena *a, const char *ref);

/* Name after '#' of a field reference, or "" (points into ref). */
const char *lin_field_name(const char *ref);

/* 1 when name is among the n strings of v. */
int lin_str_in(const char *name, char *const *v, size_t n);

/* String (not copied: it must outlive the map) -> u32; open addressing. */
typedef struct lin_strmap {
	const char **keys;
	size_t *lens;
	uint64_t *hashes;
	uint32_t *vals;
	size_t cap, n;
} lin_strmap;

void lin_strmap_init(lin_strmap *m);
void lin_strmap_dispose(lin_strmap *m);
uint32_t lin_strmap_get(const lin_strmap *m, const char *s, size_t len);
int lin_strmap_put(lin_strmap *m, const char *s, size_t len, uint32_t val);

/* Node id -> reference in an arena, each node read once, through one cursor
 * (so reads in id order stay on the leaf page it is on). */
typedef struct lin_refs {
	graph_txn *t;
	trib_arena *a;
	MDB_cursor *cur; /* nodes; opened on first use */
	lin_strmap names; /* owner and domain names, one arena copy each */
	lin_map idx;
	const char *recent[2]; /* the last two names found (refs_name) */
	size_t recent_len[2];
	int next_recent;
	const char **v;
	size_t n, cap;
} lin_refs;

void lin_refs_init(lin_refs *r, graph_txn *t, trib_arena *a);
void lin_refs_dispose(lin_refs *r);
int lin_refs_get(const char **out, lin_refs *r, uint64_t id);

/* A node id and where it sits in some answer: sorted by id to read nodes in
 * id order while filling the answer in its own order. */
typedef struct lin_idpos {
	uint64_t id;
	size_t pos;
} lin_idpos;

/* Sort by id, stable (equal ids keep their order): a radix sort, so a level
 * of a million nodes costs a few passes over memory, not n log n compares.
 * TRIB_ENOMEM. */
int lin_sort_idpos(lin_idpos *v, size_t n);

/* Describe node id, reached at depth from pred (0 for roots), into r's arena
 * (as graph_node_get() would, read through r's cursor). */
int lin_describe(graph_lineage_node *out, lin_refs *r, uint64_t id, uint32_t depth, uint64_t pred);

/* lin_describe() for answers that hold every node they name: the reference
 * is copied but not remembered in r, and out->predecessor is left "" for the
 * caller to fill from its own nodes. */
int lin_describe_lean(graph_lineage_node *out, lin_refs *r, uint64_t id, uint32_t depth, uint64_t pred);

/*
 * The path from a seed of walk w to position pos as references (arena),
 * optionally followed by `last` (a node id not in the walk; 0 = none).
 */
int lin_walk_path(const char ***out, size_t *len, const lin_walk *w, lin_refs *r, trib_arena *a,
		  uint32_t pos, uint64_t last);

/*
 * After a downstream field walk (FIELD_FEEDS | FIELD_READ) from the field at
 * position 0: the products it reaches. A product reading a field of the
 * closure (FIELD_READ) is hit at its own position; a product holding a
 * derived field is hit at that field's position (derived = 1). One hit per
 * product, the first in (depth, position) order. malloc'd; free().
 */
typedef struct lin_hit {
	uint64_t product;
	uint32_t depth;
	uint32_t pos;
	int derived;
} lin_hit;

int lin_field_hits(lin_hit **out, size_t *n, lin_walk *w);

/*
 * The upstream product an input port names, as the store resolves it
 * (graph/product.c): external sources ("source:x", or a source_type other
 * than data-product) and names that do not resolve give TRIB_ENOTFOUND,
 * with the error slot left clear.
 */
int lin_input_product(uint64_t *out, graph_txn *t, const Tributary__V1__InputPort *ip);

/*
 * Does input port ip name product `id` (canonical reference `ref`)? A
 * "domain/name" source is that reference already (the store formats it so):
 * compared as text; only bare names are resolved.
 */
int lin_input_names(const Tributary__V1__InputPort *ip, graph_txn *t, uint64_t id, const char *ref);

/*
 * Does product `consumer` read product `upstream` whole (an input port with
 * that source and no field list)? With port_name non-NULL, only inputs that
 * name no port or that port count. `upstream_ref` is upstream's reference.
 */
int lin_reads_whole(int *out, lin_products *pc, uint64_t consumer, uint64_t upstream, const char *upstream_ref,
		    const char *port_name);

#endif
