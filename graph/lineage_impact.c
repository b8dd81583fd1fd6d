/* Impact analysis: the downstream closure of a product, port or field. */
#include "lineage_int.h"

#include <stdlib.h>
#include <string.h>

/* --------------------------------------------------------------- counts */

typedef struct counter {
	lin_strmap idx;
	graph_count *v;
	size_t n, cap;
	trib_arena *a;
} counter;

static void counter_init(counter *c, trib_arena *a)
{
	memset(c, 0, sizeof *c);
	lin_strmap_init(&c->idx);
	c->a = a;
}

static void counter_dispose(counter *c)
{
	lin_strmap_dispose(&c->idx);
}

/* Count n for key (len bytes, not NUL-terminated: may point into LMDB). */
static int counter_add(counter *c, const char *key, size_t len, size_t n)
{
	uint32_t at = lin_strmap_get(&c->idx, key, len);
	if (at != LIN_NONE) {
		c->v[at].count += n;
		return 0;
	}
	int rc = trib_arena_reserve(c->a, &c->v, &c->cap, c->n, sizeof *c->v, 16);
	if (rc)
		return rc;
	const char *k = trib_arena_strndup(c->a, key, len);
	if (!k)
		return trib_error_last_code();
	c->v[c->n] = (graph_count){k, n};
	rc = lin_strmap_put(&c->idx, k, len, (uint32_t)c->n);
	if (rc)
		return rc;
	c->n++;
	return 0;
}

static int cmp_count(const void *x, const void *y)
{
	const graph_count *a = x, *b = y;
	if (a->count != b->count)
		return a->count > b->count ? -1 : 1;
	return strcmp(a->key, b->key);
}

static void counter_finish(counter *c, graph_count **out, size_t *n)
{
	if (c->n)
		qsort(c->v, c->n, sizeof *c->v, cmp_count);
	*out = c->v;
	*n = c->n;
}

/* Counts by owner and domain: by node id while walking, by name at the end. */
typedef struct tally {
	counter owners, domains;
	lin_map ids;      /* team or domain node id -> index in n */
	size_t *n;        /* products per id */
	uint64_t *id;
	int *is_owner;
	size_t len, cap;
} tally;

static int tally_id(tally *t, uint64_t id, int is_owner)
{
	/* Teams and domains are distinct nodes, so one map serves both; id 0
	 * (no owner) is kept apart from any node. */
	uint64_t key = id ? id : (uint64_t)1 << 63;
	uint32_t at;
	int rc = lin_map_insert(&t->ids, key, (uint32_t)t->len, &at);
	if (rc)
		return rc;
	if (at != LIN_NONE) {
		t->n[at]++;
		return 0;
	}
	if (t->len == t->cap) {
		size_t ncap = t->cap ? t->cap * 2 : 16;
		size_t *n = realloc(t->n, ncap * sizeof *n);
		if (n)
			t->n = n;
		uint64_t *ids = n ? realloc(t->id, ncap * sizeof *ids) : NULL;
		if (ids)
			t->id = ids;
		int *o = ids ? realloc(t->is_owner, ncap * sizeof *o) : NULL;
		if (!o)
			return trib_error_set(TRIB_ENOMEM, "out of memory counting owners");
		t->is_owner = o;
		t->cap = ncap;
	}
	t->n[t->len] = 1;
	t->id[t->len] = id;
	t->is_owner[t->len] = is_owner;
	t->len++;
	return 0;
}

/*
 * Owner and domain of the walk's products, counted as the walk reads their
 * OWNED_BY and IN_DOMAIN edges along with the lineage edges: counting a
 * 360k-node closure then reads no node record and keeps nothing per node
 * but a flag. (OWNED_BY sorts before IN_DOMAIN, and a product without an
 * owner has no OWNED_BY edge.)
 */
typedef struct attrs {
	tally *t;
	size_t first;      /* positions before it are not affected products (the root) */
	size_t owner_pos;  /* position of the last OWNED_BY seen, and its team */
	uint64_t owner_id;
	uint8_t *counted;  /* by position: 1 = counted from its edges */
	size_t cap;
} attrs;

static int attr_cb(lin_walk *w, size_t pos, uint64_t nb, unsigned kind, void *payload)
{
	attrs *x = payload;
	if (pos < x->first)
		return 0;
	if (kind == GRAPH_EDGE_OWNED_BY) {
		x->owner_pos = pos;
		x->owner_id = nb;
		return 0;
	}
	if (pos >= x->cap) {
		size_t ncap = w->cap > pos ? w->cap : pos + 1;
		uint8_t *c = realloc(x->counted, ncap);
		if (!c)
			return trib_error_set(TRIB_ENOMEM, "out of memory counting %zu products", ncap);
		memset(c + x->cap, 0, ncap - x->cap);
		x->counted = c;
		x->cap = ncap;
	}
	if (x->counted[pos])
		return 0;
	x->counted[pos] = 1;
	int rc = tally_id(x->t, x->owner_pos == pos ? x->owner_id : 0, 1);
	return rc ? rc : tally_id(x->t, nb, 0);
}

/* Count one product under its owner and domain names. */
static int count_names(tally *t, const char *owner, size_t owner_len, const char *domain, size_t domain_len)
{
	int rc = counter_add(&t->owners, owner, owner_len, 1);
	return rc ? rc : counter_add(&t->domains, domain, domain_len, 1);
}

/* Count product id, found at walk position pos (LIN_NONE when not in the walk). */
static int count_product(tally *t, const attrs *x, graph_txn *txn, uint64_t id, uint32_t pos)
{
	if (pos != LIN_NONE && pos < x->cap && x->counted[pos])
		return 0;
	/* Not expanded (a cut walk, a derived field's product, a field root's
	 * walk) or a placeholder with no IN_DOMAIN edge: the node record says. */
	gstore_node n;
	int rc = gstore_node_read(&n, txn, id);
	if (rc)
		return rc;
	const char *slash = memchr(n.ref, '/', n.ref_len);
	return count_names(t, n.owner, n.owner_len, n.ref, slash ? (size_t)(slash - n.ref) : 0);
}

static int tally_finish(tally *t, lin_refs *r)
{
	for (size_t i = 0; i < t->len; i++) {
		const char *name = "";
		int rc = t->id[i] ? lin_refs_get(&name, r, t->id[i]) : 0;
		if (rc == 0)
			rc = counter_add(t->is_owner[i] ? &t->owners : &t->domains, name, strlen(name), t->n[i]);
		if (rc)
			return rc;
	}
	return 0;
}

static void tally_dispose(tally *t)
{
	counter_dispose(&t->owners);
	counter_dispose(&t->domains);
	lin_map_dispose(&t->ids);
	free(t->n);
	free(t->id);
	free(t->is_owner);
}

/* ------------------------------------------------------------- closures */

/* Products of the closure of a product or port root, with where each was first reached. */
typedef struct hit_list {
	lin_hit *v;
	size_t n;
} hit_list;

typedef struct names_port_ctx {
	graph_txn *t;
	uint64_t product;
	int found;
	int err;
} names_port_ctx;

static int names_port_cb(uint64_t nb, unsigned kind, void *payload)
{
	names_port_ctx *x = payload;
	(void)kind;
	gstore_node n;
	int rc = gstore_node_read(&n, x->t, nb);
	if (rc)
		return rc;
	if (n.product == x->product) {
		x->found = 1;
		return 1;
	}
	return 0;
}

/*
 * The first hop from a port: the products whose input port names it
 * (PORT_FEEDS), then those reading its product with no port named. A
 * consumer with no PORT_FEEDS from any port of the product reads it whole;
 * one that names other ports may still have a port-less input too, which only
 * its record tells.
 */
static int port_first_hop(lin_walk *w, lin_products *pc, uint64_t port, uint64_t product, const char *product_ref,
			  const char *port_name)
{
	lin_ids named = {0}, feeds = {0};
	int rc = lin_neighbours(w, port, GRAPH_DOWN, GRAPH_EDGE_BIT(GRAPH_EDGE_PORT_FEEDS), lin_ids_cb, &named);
	for (size_t i = 0; rc == 0 && i < named.n; i++)
		rc = lin_walk_add(w, named.v[i], 0, 1, GRAPH_EDGE_PORT_FEEDS, GRAPH_DOWN, TRIB_KIND_PRODUCT, NULL);
	if (rc == 0)
		rc = lin_neighbours(w, product, GRAPH_DOWN, GRAPH_EDGE_BIT(GRAPH_EDGE_FEEDS), lin_ids_cb, &feeds);
	for (size_t i = 0; rc == 0 && i < feeds.n; i++) {
		uint64_t c = feeds.v[i];
		if (lin_walk_has(w, c))
			continue;
		names_port_ctx x = {w->t, product, 0, 0};
		rc = lin_neighbours(w, c, GRAPH_UP, GRAPH_EDGE_BIT(GRAPH_EDGE_PORT_FEEDS), names_port_cb, &x);
		int whole = !x.found;
		if (rc == 0 && x.found)
			rc = lin_reads_whole(&whole, pc, c, product, product_ref, port_name);
		if (rc == 0 && whole)
			rc = lin_walk_add(w, c, 0, 1, GRAPH_EDGE_FEEDS, GRAPH_DOWN, TRIB_KIND_PRODUCT, NULL);
	}
	lin_ids_free(&named);
	lin_ids_free(&feeds);
	return rc;
}

static int product_hits(hit_list *h, const lin_walk *w)
{
	h->v = malloc((w->n ? w->n : 1) * sizeof *h->v);
	if (!h->v)
		return trib_error_set(TRIB_ENOMEM, "out of memory listing %zu affected products", w->n);
	h->n = 0;
	for (size_t i = 1; i < w->n; i++)
		h->v[h->n++] = (lin_hit){w->v[i].id, w->v[i].depth, (uint32_t)i, 0};
	return 0;
}

/* ------------------------------------------------------------ via fields */

typedef struct owned_field {
	uint64_t product;
	uint32_t pos;
} owned_field;

typedef struct via_ctx {
	lin_walk *w;
	uint64_t root_product; /* product/port roots: the root's product */
	int field_root;
	owned_field *owned;    /* field roots: the closure's fields by product */
	size_t nowned;
	lin_refs *r;
	trib_arena *a;
	const char **v;
	size_t n, cap;
} via_ctx;

static int cmp_owned(const void *x, const void *y)
{
	const owned_field *a = x, *b = y;
	if (a->product != b->product)
		return a->product < b->product ? -1 : 1;
	return a->pos < b->pos ? -1 : a->pos > b->pos;
}

/* Field roots: every field of the closure with its product, sorted by product. */
static int owned_fields(via_ctx *x)
{
	lin_walk *w = x->w;
	x->owned = malloc((w->n ? w->n : 1) * sizeof *x->owned);
	if (!x->owned)
		return trib_error_set(TRIB_ENOMEM, "out of memory indexing %zu fields", w->n);
	for (size_t i = 1; i < w->n; i++) {
		if (w->v[i].kind != TRIB_KIND_FIELD)
			continue;
		gstore_node n;
		int rc = gstore_node_read(&n, w->t, w->v[i].id);
		if (rc)
			return rc;
		x->owned[x->nowned++] = (owned_field){n.product, (uint32_t)i};
	}
	qsort(x->owned, x->nowned, sizeof *x->owned, cmp_owned);
	return 0;
}

static int via_cb(uint64_t field, unsigned kind, void *payload)
{
	via_ctx *x = payload;
	(void)kind;
	if (x->field_root) {
		if (!lin_walk_has(x->w, field))
			return 0;
	} else {
		gstore_node n;
		int rc = gstore_node_read(&n, x->w->t, field);
		if (rc)
			return rc;
		if (n.product != x->root_product && !lin_walk_has(x->w, n.product))
			return 0;
	}
	const char *ref;
	int rc = lin_refs_get(&ref, x->r, field);
	if (rc == 0)
		rc = lin_strv_push(&x->v, &x->n, &x->cap, x->a, ref);
	return rc;
}

/* Fields of the closure through which product h->product is reached. */
static int via_fields(graph_affected *out, via_ctx *x, const lin_hit *h)
{
	x->v = NULL;
	x->n = x->cap = 0;
	int rc = lin_neighbours(x->w, h->product, GRAPH_UP, GRAPH_EDGE_BIT(GRAPH_EDGE_FIELD_READ), via_cb, x);
	if (rc == 0 && x->field_root) {
		/* Its own fields derived from the root field. */
		size_t lo = 0, hi = x->nowned;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (x->owned[mid].product < h->product)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (size_t i = lo; rc == 0 && i < x->nowned && x->owned[i].product == h->product; i++) {
			const char *ref;
			if ((rc = lin_refs_get(&ref, x->r, x->w->v[x->owned[i].pos].id)) == 0)
				rc = lin_strv_push(&x->v, &x->n, &x->cap, x->a, ref);
		}
	}
	if (rc)
		return rc;
	out->via_fields = x->v;
	out->nvia = lin_sort_unique(x->v, x->n);
	return 0;
}

/* ----------------------------------------------------------------- query */

static int report(graph_impact_report *out, lin_walk *w, const attrs *ax, trib_arena *a, const lin_hit *hits,
		  size_t nhits, uint64_t root_product, int field_root, int summary_only)
{
	graph_txn *t = w->t;
	tally *tl = ax->t;
	lin_refs r;
	lin_refs_init(&r, t, a);
	int rc = 0;
	out->total = nhits;
	if (!summary_only && nhits &&
	    !(out->affected = trib_arena_calloc(a, nhits, sizeof *out->affected)))
		rc = trib_error_last_code();
	via_ctx vx = {w, root_product, field_root, NULL, 0, &r, a, NULL, 0, 0};
	if (rc == 0 && field_root && !summary_only)
		rc = owned_fields(&vx);
	for (size_t i = 0; rc == 0 && summary_only && i < nhits; i++)
		rc = count_product(tl, ax, t, hits[i].product, hits[i].derived ? LIN_NONE : hits[i].pos);
	lin_idpos *byid = NULL;
	if (rc == 0 && !summary_only && nhits) {
		/* Products and their field reads in id order: consecutive reads stay
		 * on the leaf page their cursor is on. Each reference read here is
		 * remembered, so the paths below mostly find theirs. */
		if (!(byid = trib_big_alloc(nhits * sizeof *byid)))
			rc = trib_error_last_code();
		for (size_t i = 0; rc == 0 && i < nhits; i++)
			byid[i] = (lin_idpos){hits[i].product, i};
		if (rc == 0)
			rc = lin_sort_idpos(byid, nhits);
		for (size_t j = 0; rc == 0 && j < nhits; j++) {
			const lin_hit *h = &hits[byid[j].pos];
			graph_affected *af = &out->affected[byid[j].pos];
			graph_lineage_node n;
			if ((rc = lin_describe(&n, &r, h->product, h->depth, 0)) != 0)
				break;
			af->id = h->product;
			af->ref = n.ref;
			af->owner = n.owner;
			af->domain = n.domain;
			af->placeholder = n.placeholder;
			af->depth = h->depth;
			/* Described anyway: counted from the description. */
			if ((rc = count_names(tl, n.owner, strlen(n.owner), n.domain, strlen(n.domain))) == 0)
				rc = via_fields(af, &vx, h);
		}
		for (size_t i = 0; rc == 0 && i < nhits; i++) {
			graph_affected *af = &out->affected[i];
			rc = lin_walk_path(&af->path, &af->path_len, w, &r, a, hits[i].pos,
					   hits[i].derived ? hits[i].product : 0);
		}
		if (rc == 0)
			out->count = nhits;
	}
	trib_big_free(byid);
	if (rc == 0 && (rc = tally_finish(tl, &r)) == 0) {
		counter_finish(&tl->owners, &out->by_owner, &out->nowners);
		counter_finish(&tl->domains, &out->by_domain, &out->ndomains);
	}
	free(vx.owned);
	lin_refs_dispose(&r);
	return rc;
}

int graph_lineage_impact(graph_impact_report *out, graph_txn *t, trib_arena *a, uint64_t root,
			 const graph_impact_opts *opts)
{
	memset(out, 0, sizeof *out);
	if (!opts || opts->version != GRAPH_IMPACT_OPTS_VERSION)
		return trib_error_set(TRIB_EINVALID, "impact options: version %u, expected %u",
				      opts ? opts->version : 0, GRAPH_IMPACT_OPTS_VERSION);
	graph_node rn;
	int rc = lin_node(&rn, t, a, root);
	if (rc)
		return rc;
	if (rn.kind != TRIB_KIND_PRODUCT && rn.kind != TRIB_KIND_PORT && rn.kind != TRIB_KIND_FIELD)
		return trib_error_set(TRIB_EINVALID, "ref: impact starts at a product, port or field, not %s '%s'",
				      trib_kind_name(rn.kind), rn.ref);
	out->root = rn.ref;
	lin_walk w;
	if ((rc = lin_walk_init(&w, t, opts->max_nodes, opts->max_depth, opts->deadline_ms)) != 0)
		return rc;
	lin_products pc;
	lin_products_init(&pc, t, a);
	hit_list hits = {NULL, 0};
	tally tl;
	memset(&tl, 0, sizeof tl);
	counter_init(&tl.owners, a);
	counter_init(&tl.domains, a);
	lin_map_init(&tl.ids);
	/* Field roots walk fields too, and their hits are deduplicated later:
	 * those count from node records. A full report describes every
	 * product, and counts from that. */
	attrs ax = {&tl, 1, SIZE_MAX, 0, NULL, 0};
	if (rn.kind != TRIB_KIND_FIELD && opts->summary_only) {
		w.attr_mask = GRAPH_EDGE_BIT(GRAPH_EDGE_OWNED_BY) | GRAPH_EDGE_BIT(GRAPH_EDGE_IN_DOMAIN);
		w.attr = attr_cb;
		w.payload = &ax;
	}
	rc = lin_walk_add(&w, root, LIN_NONE, 0, 0, 0, rn.kind, NULL);
	const uint32_t feeds = GRAPH_EDGE_BIT(GRAPH_EDGE_FEEDS);
	if (rc == 0 && rn.kind == TRIB_KIND_PRODUCT) {
		rc = lin_walk_run(&w, 0, GRAPH_DOWN, feeds, 0);
	} else if (rc == 0 && rn.kind == TRIB_KIND_PORT) {
		const char *colon = strrchr(rn.ref, ':');
		const char *pref = lin_product_ref(a, rn.ref);
		rc = pref ? port_first_hop(&w, &pc, root, rn.product, pref, colon ? colon + 1 : "")
			  : trib_error_last_code();
		if (rc == 0 && w.n > 1)
			rc = lin_walk_run(&w, 1, GRAPH_DOWN, feeds, 0);
	} else if (rc == 0) {
		rc = lin_walk_run(&w, 0, GRAPH_DOWN,
				  GRAPH_EDGE_BIT(GRAPH_EDGE_FIELD_FEEDS) | GRAPH_EDGE_BIT(GRAPH_EDGE_FIELD_READ), 0);
	}
	if (rc == 0)
		rc = rn.kind == TRIB_KIND_FIELD ? lin_field_hits(&hits.v, &hits.n, &w) : product_hits(&hits, &w);
	if (rc == 0) {
		out->truncated = w.truncated;
		rc = report(out, &w, &ax, a, hits.v, hits.n, rn.kind == TRIB_KIND_PRODUCT ? root : rn.product,
			    rn.kind == TRIB_KIND_FIELD, opts->summary_only);
	}
	free(ax.counted);
	tally_dispose(&tl);
	free(hits.v);
	lin_products_dispose(&pc);
	lin_walk_dispose(&w);
	return rc;
}
