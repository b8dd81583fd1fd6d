/* Data products: validation, registration with edge replacement, revisions,
 * deprecation, deletion, listing. */
#include "store.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S(x) ((x) ? (x) : "")

/* ------------------------------------------------------------- validation */

/* Prefix the message of a failed check with the field path. */
static int at(const char *path, int rc)
{
	if (rc == 0)
		return 0;
	return trib_error_set(rc, "%s: %s", path, trib_error_last());
}

static int check_semver(const char *v)
{
	const char *p = v;
	for (int part = 0; part < 3; part++) {
		if (!isdigit((unsigned char)*p))
			goto bad;
		if (*p == '0' && isdigit((unsigned char)p[1]))
			goto bad;
		while (isdigit((unsigned char)*p))
			p++;
		if (part < 2 && *p++ != '.')
			goto bad;
	}
	if (*p == '-' || *p == '+') {
		for (p++; *p; p++)
			if (!(isalnum((unsigned char)*p) || *p == '.' || *p == '-' || *p == '+'))
				goto bad;
		if (p[-1] == '-' || p[-1] == '+' || p[-1] == '.')
			goto bad;
	} else if (*p) {
		goto bad;
	}
	return 0;
bad:
	return trib_error_set(TRIB_EINVALID, "'%s' is not a semantic version (MAJOR.MINOR.PATCH)", v);
}

static int is_source_input(const Tributary__V1__InputPort *in)
{
	const char *type = S(in->source_type);
	if (strncmp(S(in->source), "source:", 7) == 0)
		return 1;
	return type[0] && strcmp(type, "data-product") != 0;
}

static int validate(const trib_product *p)
{
	char path[96];
	int rc;
	if ((rc = at("name", trib_name_check(TRIB_KIND_PRODUCT, S(p->name)))) ||
	    (rc = at("domain", trib_name_check(TRIB_KIND_DOMAIN, S(p->domain)))))
		return rc;
	if (S(p->owner)[0] && (rc = at("owner", trib_name_check(TRIB_KIND_TEAM, p->owner))))
		return rc;
	if (S(p->version)[0] && (rc = at("version", check_semver(p->version))))
		return rc;
	for (size_t i = 0; i < p->n_tags; i++) {
		const char *tag = S(p->tags[i]);
		if (!tag[0] || strlen(tag) > TRIB_NAME_MAX)
			return trib_error_set(TRIB_EINVALID, "tags[%zu]: a tag is 1-%d characters", i, TRIB_NAME_MAX);
	}
	for (size_t i = 0; i < p->n_glossary_terms; i++) {
		snprintf(path, sizeof path, "glossary_terms[%zu]", i);
		if ((rc = at(path, trib_name_check(TRIB_KIND_TERM, S(p->glossary_terms[i])))))
			return rc;
	}
	for (size_t i = 0; i < p->n_output_ports; i++) {
		const Tributary__V1__OutputPort *o = p->output_ports[i];
		snprintf(path, sizeof path, "output_ports[%zu].name", i);
		if ((rc = at(path, trib_name_check(TRIB_KIND_PORT, S(o->name)))))
			return rc;
		for (size_t j = 0; j < i; j++)
			if (strcmp(S(p->output_ports[j]->name), o->name) == 0)
				return trib_error_set(TRIB_EINVALID, "%s: port '%s' is declared twice (also output_ports[%zu])",
						      path, o->name, j);
		for (size_t f = 0; f < o->n_fields; f++) {
			snprintf(path, sizeof path, "output_ports[%zu].fields[%zu].name", i, f);
			if ((rc = at(path, trib_name_check(TRIB_KIND_FIELD, S(o->fields[f]->name)))))
				return rc;
			for (size_t g = 0; g < f; g++)
				if (strcmp(S(o->fields[g]->name), o->fields[f]->name) == 0)
					return trib_error_set(TRIB_EINVALID, "%s: field '%s' is declared twice", path,
							      o->fields[f]->name);
		}
	}
	for (size_t i = 0; i < p->n_input_ports; i++) {
		const Tributary__V1__InputPort *in = p->input_ports[i];
		snprintf(path, sizeof path, "input_ports[%zu].source", i);
		if (!S(in->source)[0])
			return trib_error_set(TRIB_EINVALID, "%s: missing", path);
		if (S(in->port)[0]) {
			snprintf(path, sizeof path, "input_ports[%zu].port", i);
			if ((rc = at(path, trib_name_check(TRIB_KIND_PORT, in->port))))
				return rc;
		}
		for (size_t f = 0; f < in->n_fields; f++) {
			snprintf(path, sizeof path, "input_ports[%zu].fields[%zu]", i, f);
			if ((rc = at(path, trib_name_check(TRIB_KIND_FIELD, S(in->fields[f])))))
				return rc;
		}
		for (size_t m = 0; m < in->n_mappings; m++) {
			const Tributary__V1__FieldMapping *mp = in->mappings[m];
			snprintf(path, sizeof path, "input_ports[%zu].mappings[%zu].output", i, m);
			if ((rc = at(path, trib_name_check(TRIB_KIND_FIELD, S(mp->output)))))
				return rc;
			for (size_t k = 0; k < mp->n_inputs; k++) {
				snprintf(path, sizeof path, "input_ports[%zu].mappings[%zu].inputs[%zu]", i, m, k);
				if ((rc = at(path, trib_name_check(TRIB_KIND_FIELD, S(mp->inputs[k])))))
					return rc;
			}
		}
	}
	return 0;
}

/* ------------------------------------------------------------- edge sets */

typedef struct edge_set {
	graph_edge *e;
	size_t n, cap;
	trib_arena *a;
} edge_set;

static int es_add(edge_set *s, uint64_t from, uint64_t to, unsigned kind)
{
	int rc = trib_arena_reserve(s->a, &s->e, &s->cap, s->n, sizeof *s->e, 32);
	if (rc)
		return rc;
	s->e[s->n++] = (graph_edge){from, to, (graph_edge_kind)kind};
	return 0;
}

static int edge_cmp(const void *x, const void *y)
{
	const graph_edge *a = x, *b = y;
	if (a->from != b->from)
		return a->from < b->from ? -1 : 1;
	if (a->to != b->to)
		return a->to < b->to ? -1 : 1;
	return (int)a->kind - (int)b->kind;
}

static void es_sort_unique(edge_set *s)
{
	if (s->n == 0)
		return;
	qsort(s->e, s->n, sizeof *s->e, edge_cmp);
	size_t w = 1;
	for (size_t r = 1; r < s->n; r++)
		if (edge_cmp(&s->e[r], &s->e[w - 1]) != 0)
			s->e[w++] = s->e[r];
	s->n = w;
}

/* Edges going `down` (or up) from node `id` whose kind is in `mask`, into s.
 * mask must lie within one class (lineage or structural): one key holds them. */
static int collect(edge_set *s, graph_txn *t, uint64_t id, int down, uint32_t mask)
{
	MDB_cursor *c;
	int rc = mdb_cursor_open(t->txn, down ? t->s->out : t->s->in, &c);
	if (rc)
		return gstore_mdb_err(rc, "opening an edge cursor");
	uint64_t key = mask & GSTORE_STRUCT_KINDS ? id | GSTORE_STRUCT_KEY : id;
	MDB_val k = gstore_u64_val(&key), v;
	for (rc = mdb_cursor_get(c, &k, &v, MDB_SET); rc == 0; rc = mdb_cursor_get(c, &k, &v, MDB_NEXT_DUP)) {
		uint64_t e;
		memcpy(&e, v.mv_data, 8);
		unsigned kind = GSTORE_ADJ_KIND(e);
		if (kind > GRAPH_EDGE_KIND_MAX || !(mask & GRAPH_EDGE_BIT(kind)))
			continue;
		int r = down ? es_add(s, id, GSTORE_ADJ_ID(e), kind) : es_add(s, GSTORE_ADJ_ID(e), id, kind);
		if (r) {
			mdb_cursor_close(c);
			return r;
		}
	}
	mdb_cursor_close(c);
	return rc == MDB_NOTFOUND ? 0 : gstore_mdb_err(rc, "reading edges");
}

/* Ids of the port (sep ':') or field (sep '#') nodes of product `pref`. */
static int children(uint64_t **ids, size_t *n, graph_txn *t, trib_arena *a, trib_kind kind, const char *pref)
{
	unsigned char key[GSTORE_REF_MAX + 2];
	size_t plen = strlen(pref);
	*ids = NULL;
	*n = 0;
	if (plen + 2 > GSTORE_REF_MAX)
		return 0;
	key[0] = (unsigned char)kind;
	memcpy(key + 1, pref, plen);
	key[1 + plen] = kind == TRIB_KIND_PORT ? ':' : '#';
	size_t klen = plen + 2, cap = 0;
	MDB_cursor *c;
	int rc = mdb_cursor_open(t->txn, t->s->names, &c);
	if (rc)
		return gstore_mdb_err(rc, "opening the names index");
	MDB_val k = {klen, key}, v;
	for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); rc == 0; rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		if (k.mv_size < klen || memcmp(k.mv_data, key, klen) != 0)
			break;
		if (trib_arena_reserve(a, ids, &cap, *n, sizeof **ids, 16) != 0) {
			mdb_cursor_close(c);
			return trib_error_last_code();
		}
		memcpy(&(*ids)[(*n)++], v.mv_data, 8);
	}
	mdb_cursor_close(c);
	return rc == 0 || rc == MDB_NOTFOUND ? 0 : gstore_mdb_err(rc, "scanning the names index");
}

#define OWNED_IN_P (GRAPH_EDGE_BIT(GRAPH_EDGE_FEEDS) | GRAPH_EDGE_BIT(GRAPH_EDGE_PORT_FEEDS) | GRAPH_EDGE_BIT(GRAPH_EDGE_FIELD_READ))
#define OWNED_OUT_P                                                                                            \
	(GRAPH_EDGE_BIT(GRAPH_EDGE_HAS_PORT) | GRAPH_EDGE_BIT(GRAPH_EDGE_HAS_FIELD) | GRAPH_EDGE_BIT(GRAPH_EDGE_OWNED_BY) | \
	 GRAPH_EDGE_BIT(GRAPH_EDGE_IN_DOMAIN) | GRAPH_EDGE_BIT(GRAPH_EDGE_HAS_TERM))

/* The edges product `id` (reference pref) owns now; see store.h. */
static int owned_edges(edge_set *s, uint64_t **ports, size_t *nports, uint64_t **fields, size_t *nfields,
		       graph_txn *t, uint64_t id, const char *pref)
{
	int rc;
	if ((rc = collect(s, t, id, 0, OWNED_IN_P)) || (rc = collect(s, t, id, 1, OWNED_OUT_P)) ||
	    (rc = children(ports, nports, t, s->a, TRIB_KIND_PORT, pref)) ||
	    (rc = children(fields, nfields, t, s->a, TRIB_KIND_FIELD, pref)))
		return rc;
	for (size_t i = 0; i < *nports; i++)
		if ((rc = collect(s, t, (*ports)[i], 1, GRAPH_EDGE_BIT(GRAPH_EDGE_HAS_FIELD))))
			return rc;
	for (size_t i = 0; i < *nfields; i++)
		if ((rc = collect(s, t, (*fields)[i], 0, GRAPH_EDGE_BIT(GRAPH_EDGE_FIELD_FEEDS))))
			return rc;
	return 0;
}

/* Make the stored edges go from `old` to `new` (both sorted and unique);
 * the edges actually removed are appended to `gone`. */
static int apply_diff(unsigned *added, unsigned *removed, edge_set *gone, graph_txn *t, const edge_set *old,
		      const edge_set *new)
{
	size_t i = 0, j = 0;
	int rc, ch;
	while (i < old->n || j < new->n) {
		int c = i == old->n ? 1 : j == new->n ? -1 : edge_cmp(&old->e[i], &new->e[j]);
		if (c == 0) {
			i++;
			j++;
		} else if (c < 0) {
			if ((rc = gstore_edge_del(t, old->e[i].from, old->e[i].to, old->e[i].kind, &ch)))
				return rc;
			if (ch && (rc = es_add(gone, old->e[i].from, old->e[i].to, old->e[i].kind)))
				return rc;
			*removed += (unsigned)ch;
			i++;
		} else {
			if ((rc = gstore_edge_add(t, new->e[j].from, new->e[j].to, new->e[j].kind, &ch)))
				return rc;
			*added += (unsigned)ch;
			j++;
		}
	}
	return 0;
}

static int has_edges(int *yes, graph_txn *t, uint64_t id)
{
	*yes = 0;
	for (int d = 0; d < 4 && !*yes; d++) {
		uint64_t key = d & 2 ? id | GSTORE_STRUCT_KEY : id;
		MDB_val k = gstore_u64_val(&key), v;
		int rc = mdb_get(t->txn, d & 1 ? t->s->in : t->s->out, &k, &v);
		if (rc == 0)
			*yes = 1;
		else if (rc != MDB_NOTFOUND)
			return gstore_mdb_err(rc, "reading edges");
	}
	return 0;
}

/* Remove node `id` and its names entry (and, for products, byname). */
static int node_remove(graph_txn *t, uint64_t id)
{
	gstore_node n;
	int rc = gstore_node_read(&n, t, id);
	if (rc)
		return rc;
	unsigned char key[GSTORE_REF_MAX + 1];
	if (n.ref_len > GSTORE_REF_MAX)
		return trib_error_set(TRIB_ECORRUPT, "node %llu has an over-long reference", (unsigned long long)id);
	key[0] = (unsigned char)n.kind;
	memcpy(key + 1, n.ref, n.ref_len);
	MDB_val k = {n.ref_len + 1, key};
	if ((rc = mdb_del(t->txn, t->s->names, &k, NULL)) && rc != MDB_NOTFOUND)
		return gstore_mdb_err(rc, "removing a reference");
	if (n.kind == TRIB_KIND_PRODUCT) {
		const char *slash = memchr(key + 1, '/', n.ref_len);
		if (slash) {
			MDB_val bk = {n.ref_len - (size_t)(slash + 1 - (const char *)(key + 1)), (void *)(slash + 1)};
			MDB_val bv = gstore_u64_val(&id);
			if ((rc = mdb_del(t->txn, t->s->byname, &bk, &bv)) && rc != MDB_NOTFOUND)
				return gstore_mdb_err(rc, "removing a product name");
		}
		MDB_val pk = gstore_u64_val(&id);
		if ((rc = mdb_del(t->txn, t->s->products, &pk, NULL)) && rc != MDB_NOTFOUND)
			return gstore_mdb_err(rc, "removing a product record");
	}
	MDB_val nk = gstore_u64_val(&id);
	if ((rc = mdb_del(t->txn, t->s->nodes, &nk, NULL)))
		return gstore_mdb_err(rc, "removing a node");
	return 0;
}

/* Ports and fields of a product that no edge touches any more are removed:
 * nothing refers to them. */
static int drop_orphans(graph_txn *t, const uint64_t *ids, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int yes, rc;
		if ((rc = has_edges(&yes, t, ids[i])))
			return rc;
		if (!yes && (rc = node_remove(t, ids[i])))
			return rc;
	}
	return 0;
}

/* Can node n (no edges left) go? Placeholders and their ports/fields, sources
 * and teams exist only because something referred to them; domains and terms
 * stay while they have a record of their own. */
static int unreferenced_kind(int *yes, graph_txn *t, const gstore_node *n)
{
	gstore_node p;
	MDB_val k, v;
	int rc;
	*yes = 0;
	switch (n->kind) {
	case TRIB_KIND_SOURCE:
	case TRIB_KIND_TEAM: *yes = 1; return 0;
	case TRIB_KIND_PRODUCT: *yes = (n->flags & GSTORE_FLAG_PLACEHOLDER) != 0; return 0;
	case TRIB_KIND_PORT:
	case TRIB_KIND_FIELD:
		if ((rc = gstore_node_read(&p, t, n->product)))
			return rc;
		*yes = (p.flags & GSTORE_FLAG_PLACEHOLDER) != 0;
		return 0;
	case TRIB_KIND_DOMAIN:
	case TRIB_KIND_TERM:
		k.mv_size = n->kind == TRIB_KIND_TERM ? n->ref_len - 5 : n->ref_len;
		k.mv_data = (void *)(n->kind == TRIB_KIND_TERM ? n->ref + 5 : n->ref);
		rc = mdb_get(t->txn, n->kind == TRIB_KIND_TERM ? t->s->terms : t->s->domains, &k, &v);
		if (rc && rc != MDB_NOTFOUND)
			return gstore_mdb_err(rc, "reading a domain or term");
		*yes = rc == MDB_NOTFOUND;
		return 0;
	default: return 0;
	}
}

static int u64_cmp(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
	return a < b ? -1 : a > b;
}

/*
 * After edges went away, remove the nodes at their other ends that nothing
 * refers to any more (see unreferenced_kind), so a placeholder does not
 * outlive its last reader. Products are considered after their ports and
 * fields, since a placeholder goes only with all of them.
 */
static int collect_garbage(graph_txn *t, trib_arena *a, const edge_set *gone, uint64_t self)
{
	size_t n = 0;
	uint64_t *c = trib_arena_calloc(a, gone->n * 2 + 1, sizeof *c);
	if (!c)
		return trib_error_last_code();
	for (size_t i = 0; i < gone->n; i++) {
		if (gone->e[i].from != self)
			c[n++] = gone->e[i].from;
		if (gone->e[i].to != self)
			c[n++] = gone->e[i].to;
	}
	qsort(c, n, sizeof *c, u64_cmp);
	uint64_t *products = trib_arena_calloc(a, n + 1, sizeof *products);
	size_t np = 0;
	if (!products)
		return trib_error_last_code();
	for (int pass = 0; pass < 2; pass++) {
		const uint64_t *ids = pass ? products : c;
		size_t count = pass ? np : n;
		for (size_t i = 0; i < count; i++) {
			if (i && ids[i] == ids[i - 1])
				continue;
			gstore_node nd;
			int rc = gstore_node_read(&nd, t, ids[i]), edges, yes;
			if (rc == TRIB_ENOTFOUND)
				continue;
			if (rc || (rc = has_edges(&edges, t, ids[i])))
				return rc;
			if (edges)
				continue;
			if (nd.kind == TRIB_KIND_PRODUCT) {
				if (pass == 0) {
					products[np++] = ids[i];
					continue;
				}
				uint64_t *kids;
				size_t nk;
				char *ref = trib_arena_strndup(a, nd.ref, nd.ref_len);
				if (!ref)
					return trib_error_last_code();
				if ((rc = children(&kids, &nk, t, a, TRIB_KIND_PORT, ref)))
					return rc;
				if (nk)
					continue;
				if ((rc = children(&kids, &nk, t, a, TRIB_KIND_FIELD, ref)))
					return rc;
				if (nk || (rc = gstore_node_read(&nd, t, ids[i])))
					continue;
			}
			if ((rc = unreferenced_kind(&yes, t, &nd)))
				return rc;
			if (!yes)
				continue;
			int placeholder = nd.kind == TRIB_KIND_PRODUCT;
			uint64_t product = nd.product;
			int sub = nd.kind == TRIB_KIND_PORT || nd.kind == TRIB_KIND_FIELD;
			if ((rc = node_remove(t, ids[i])))
				return rc;
			if (placeholder && (rc = gstore_placeholders_add(t, -1)))
				return rc;
			if (sub && product != self)
				products[np++] = product;
		}
		if (pass == 0)
			qsort(products, np, sizeof *products, u64_cmp);
	}
	return 0;
}

/* ------------------------------------------------------------ new edges */

typedef struct put_ctx {
	graph_txn *t;
	trib_arena *a;
	const trib_product *p;
	uint64_t id;
	const char *pref; /* "domain/name" */
	edge_set es;
	unsigned placeholders;
} put_ctx;

static int node_for(uint64_t *out, put_ctx *c, trib_kind kind, const char *fmt, const char *x, const char *y)
{
	char buf[TRIB_REF_MAX + 1];
	int n = snprintf(buf, sizeof buf, fmt, x, y);
	if (n < 0 || (size_t)n >= sizeof buf)
		return trib_error_set(TRIB_ELIMIT, "reference '%.60s...' is too long", buf);
	return gstore_ensure(out, c->t, kind, buf, (size_t)n, NULL, &c->placeholders);
}

static int output_has_field(const trib_product *p, const char *f)
{
	for (size_t i = 0; i < p->n_output_ports; i++)
		for (size_t j = 0; j < p->output_ports[i]->n_fields; j++)
			if (strcmp(S(p->output_ports[i]->fields[j]->name), f) == 0)
				return 1;
	return 0;
}

static int mapping_reads(const Tributary__V1__InputPort *in, const char *f)
{
	for (size_t m = 0; m < in->n_mappings; m++)
		for (size_t k = 0; k < in->mappings[m]->n_inputs; k++)
			if (strcmp(S(in->mappings[m]->inputs[k]), f) == 0)
				return 1;
	return 0;
}

/* The upstream node of input port i and, for a product, its reference. */
static int upstream(uint64_t *up, const char **upref, put_ctx *c, size_t i)
{
	const Tributary__V1__InputPort *in = c->p->input_ports[i];
	const char *src = in->source;
	int rc;
	*upref = NULL;
	if (is_source_input(in)) {
		const char *name = strncmp(src, "source:", 7) == 0 ? src + 7 : src;
		if ((rc = trib_name_check(TRIB_KIND_SOURCE, name)))
			return trib_error_set(rc, "input_ports[%zu].source: %s", i, trib_error_last());
		return node_for(up, c, TRIB_KIND_SOURCE, "source:%s%s", name, "");
	}
	trib_ref r;
	if ((rc = trib_ref_parse(&r, src)))
		return trib_error_set(rc, "input_ports[%zu].source: %s", i, trib_error_last());
	if (r.kind == TRIB_KIND_BARE) {
		rc = graph_resolve(up, c->t, src);
		if (rc == TRIB_ECONFLICT)
			return trib_error_set(rc, "input_ports[%zu].source: %s", i, trib_error_last());
		gstore_node n;
		if (rc == 0 && (rc = gstore_node_read(&n, c->t, *up)) == 0 && n.kind != TRIB_KIND_PRODUCT)
			rc = TRIB_ENOTFOUND;
		if (rc == TRIB_ENOTFOUND)
			return trib_error_set(TRIB_EINVALID,
					      "input_ports[%zu].source: bare product name '%s' is not registered; write it as domain/name",
					      i, src);
		if (rc)
			return rc;
		if (!(*upref = trib_arena_strndup(c->a, n.ref, n.ref_len)))
			return trib_error_last_code();
		return 0;
	}
	if (r.kind != TRIB_KIND_PRODUCT)
		return trib_error_set(TRIB_EINVALID,
				      "input_ports[%zu].source: '%s' is a %s reference; name a product (domain/name, port in 'port') or source:name",
				      i, src, trib_kind_name(r.kind));
	if (!(*upref = trib_arena_printf(c->a, "%s/%s", r.domain, r.name)))
		return trib_error_last_code();
	return node_for(up, c, TRIB_KIND_PRODUCT, "%s%s", *upref, "");
}

static int input_edges(put_ctx *c, size_t i)
{
	const Tributary__V1__InputPort *in = c->p->input_ports[i];
	uint64_t up, x, y;
	const char *upref;
	int rc = upstream(&up, &upref, c, i);
	if (rc)
		return rc;
	if ((rc = es_add(&c->es, up, c->id, GRAPH_EDGE_FEEDS)))
		return rc;
	if (!upref)
		return 0; /* external sources have no ports or fields in the reference grammar */
	if (S(in->port)[0]) {
		if ((rc = node_for(&x, c, TRIB_KIND_PORT, "%s:%s", upref, in->port)) ||
		    (rc = es_add(&c->es, x, c->id, GRAPH_EDGE_PORT_FEEDS)))
			return rc;
	}
	for (size_t f = 0; f < in->n_fields; f++) {
		const char *fname = in->fields[f];
		if ((rc = node_for(&x, c, TRIB_KIND_FIELD, "%s#%s", upref, fname)) ||
		    (rc = es_add(&c->es, x, c->id, GRAPH_EDGE_FIELD_READ)))
			return rc;
		if (!mapping_reads(in, fname) && output_has_field(c->p, fname)) {
			if ((rc = node_for(&y, c, TRIB_KIND_FIELD, "%s#%s", c->pref, fname)) ||
			    (rc = es_add(&c->es, x, y, GRAPH_EDGE_FIELD_FEEDS)))
				return rc;
		}
	}
	for (size_t m = 0; m < in->n_mappings; m++) {
		const Tributary__V1__FieldMapping *mp = in->mappings[m];
		if ((rc = node_for(&y, c, TRIB_KIND_FIELD, "%s#%s", c->pref, mp->output)))
			return rc;
		if (!output_has_field(c->p, mp->output) && (rc = es_add(&c->es, c->id, y, GRAPH_EDGE_HAS_FIELD)))
			return rc;
		for (size_t k = 0; k < mp->n_inputs; k++) {
			/* A mapping input is read too. */
			if ((rc = node_for(&x, c, TRIB_KIND_FIELD, "%s#%s", upref, mp->inputs[k])) ||
			    (rc = es_add(&c->es, x, c->id, GRAPH_EDGE_FIELD_READ)) ||
			    (rc = es_add(&c->es, x, y, GRAPH_EDGE_FIELD_FEEDS)))
				return rc;
		}
	}
	return 0;
}

static int new_edges(put_ctx *c)
{
	const trib_product *p = c->p;
	uint64_t x, y;
	int rc;
	for (size_t i = 0; i < p->n_input_ports; i++)
		if ((rc = input_edges(c, i)))
			return rc;
	for (size_t i = 0; i < p->n_output_ports; i++) {
		const Tributary__V1__OutputPort *o = p->output_ports[i];
		if ((rc = node_for(&x, c, TRIB_KIND_PORT, "%s:%s", c->pref, o->name)) ||
		    (rc = es_add(&c->es, c->id, x, GRAPH_EDGE_HAS_PORT)))
			return rc;
		for (size_t f = 0; f < o->n_fields; f++)
			if ((rc = node_for(&y, c, TRIB_KIND_FIELD, "%s#%s", c->pref, o->fields[f]->name)) ||
			    (rc = es_add(&c->es, x, y, GRAPH_EDGE_HAS_FIELD)))
				return rc;
	}
	if (S(p->owner)[0] && ((rc = node_for(&x, c, TRIB_KIND_TEAM, "%s%s", p->owner, "")) ||
			       (rc = es_add(&c->es, c->id, x, GRAPH_EDGE_OWNED_BY))))
		return rc;
	if ((rc = node_for(&x, c, TRIB_KIND_DOMAIN, "%s%s", p->domain, "")) ||
	    (rc = es_add(&c->es, c->id, x, GRAPH_EDGE_IN_DOMAIN)))
		return rc;
	for (size_t i = 0; i < p->n_glossary_terms; i++)
		if ((rc = node_for(&x, c, TRIB_KIND_TERM, "term:%s%s", p->glossary_terms[i], "")) ||
		    (rc = es_add(&c->es, c->id, x, GRAPH_EDGE_HAS_TERM)))
			return rc;
	return 0;
}

/* ------------------------------------------------------------- revisions */

static int last_revision(uint64_t *out, graph_txn *t, uint64_t id)
{
	unsigned char key[16];
	*out = 0;
	MDB_cursor *c;
	int rc = mdb_cursor_open(t->txn, t->s->revisions, &c);
	if (rc)
		return gstore_mdb_err(rc, "opening revisions");
	gstore_rev_key(key, id, UINT64_MAX);
	MDB_val k = {16, key}, v;
	rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
	if (rc == 0 && k.mv_size == 16 && memcmp(k.mv_data, key, 16) == 0)
		rc = 0; /* revision UINT64_MAX itself: cannot happen, but keep the cursor on it */
	else if (rc == 0)
		rc = mdb_cursor_get(c, &k, &v, MDB_PREV);
	else if (rc == MDB_NOTFOUND)
		rc = mdb_cursor_get(c, &k, &v, MDB_LAST);
	if (rc == 0 && k.mv_size == 16 && memcmp(k.mv_data, key, 8) == 0) {
		const unsigned char *b = k.mv_data;
		for (int i = 8; i < 16; i++)
			*out = *out << 8 | b[i];
	}
	mdb_cursor_close(c);
	return rc == 0 || rc == MDB_NOTFOUND ? 0 : gstore_mdb_err(rc, "reading revisions");
}

/* Store rec as the next revision of product id (rec's server-kept fields are set). */
static int store_revision(graph_txn *t, uint64_t id, trib_product *rec, const graph_put_opts *opts)
{
	uint64_t last;
	int rc = last_revision(&last, t, id);
	if (rc)
		return rc;
	rec->revision = last + 1;
	rec->registered_at_ms = opts && opts->now_ms ? opts->now_ms : gstore_now_ms();
	rec->registered_by = (char *)gstore_actor(opts);
	rec->placeholder = 0;
	unsigned char key[16];
	gstore_rev_key(key, id, rec->revision);
	MDB_val rk = {16, key}, pk = gstore_u64_val(&id);
	if ((rc = gstore_pb_put(t, t->s->revisions, &rk, &rec->base, "writing a revision")) ||
	    (rc = gstore_pb_put(t, t->s->products, &pk, &rec->base, "writing a product")))
		return rc;
	return 0;
}

static int set_node_state(graph_txn *t, uint64_t id, unsigned flags, const char *owner)
{
	gstore_node n;
	int rc = gstore_node_read(&n, t, id);
	if (rc)
		return rc;
	int was = (n.flags & GSTORE_FLAG_PLACEHOLDER) != 0, is = (flags & GSTORE_FLAG_PLACEHOLDER) != 0;
	if (was != is && (rc = gstore_placeholders_add(t, is - was)))
		return rc;
	n.flags = flags;
	n.owner = owner;
	n.owner_len = strlen(owner);
	return gstore_node_write(t, id, &n);
}

int graph_product_get(trib_product **out, graph_txn *t, trib_arena *a, uint64_t id, uint64_t revision)
{
	MDB_val v;
	int rc;
	*out = NULL;
	if (revision == 0) {
		MDB_val k = gstore_u64_val(&id);
		rc = mdb_get(t->txn, t->s->products, &k, &v);
	} else {
		unsigned char key[16];
		gstore_rev_key(key, id, revision);
		MDB_val k = {16, key};
		rc = mdb_get(t->txn, t->s->revisions, &k, &v);
	}
	if (rc == MDB_NOTFOUND) {
		if (revision)
			return trib_error_set(TRIB_ENOTFOUND, "product %llu has no revision %llu",
					      (unsigned long long)id, (unsigned long long)revision);
		return trib_error_set(TRIB_ENOTFOUND, "no product with id %llu", (unsigned long long)id);
	}
	if (rc)
		return gstore_mdb_err(rc, "reading a product");
	return gstore_pb_decode((void **)out, &tributary__v1__data_product__descriptor, &v, a, "product record");
}

int graph_product_put(graph_put_result *out, graph_txn *t, trib_arena *a, const trib_product *p,
		      const graph_put_opts *opts)
{
	memset(out, 0, sizeof *out);
	if (!t->writable)
		return trib_error_set(TRIB_EDENIED, "registering a product needs a write transaction");
	int rc = validate(p);
	if (rc)
		return rc;
	put_ctx c = {.t = t, .a = a, .p = p, .es = {.a = a}};
	if (!(c.pref = trib_arena_printf(a, "%s/%s", p->domain, p->name)))
		return trib_error_last_code();
	int made;
	gstore_node n;
	if ((rc = gstore_ensure(&c.id, t, TRIB_KIND_PRODUCT, c.pref, strlen(c.pref), &made, NULL)) ||
	    (rc = gstore_node_read(&n, t, c.id)))
		return rc;
	if (made && (rc = gstore_placeholders_add(t, -1))) /* ensure counted it; filled in right below */
		return rc;
	out->created = made || (n.flags & GSTORE_FLAG_PLACEHOLDER);
	if (made)
		n.flags = 0; /* set_node_state must not count it again */
	if (made && (rc = gstore_node_write(t, c.id, &n)))
		return rc;

	edge_set old = {.a = a};
	uint64_t *ports, *fields;
	size_t nports, nfields;
	if ((rc = new_edges(&c)) || (rc = owned_edges(&old, &ports, &nports, &fields, &nfields, t, c.id, c.pref)))
		return rc;
	es_sort_unique(&c.es);
	es_sort_unique(&old);
	edge_set gone = {.a = a};
	if ((rc = apply_diff(&out->edges_added, &out->edges_removed, &gone, t, &old, &c.es)) ||
	    (rc = drop_orphans(t, ports, nports)) || (rc = drop_orphans(t, fields, nfields)) ||
	    (rc = collect_garbage(t, a, &gone, c.id)))
		return rc;

	trib_product rec = *p;
	int deprecated = p->deprecation && p->deprecation->deprecated;
	if ((rc = store_revision(t, c.id, &rec, opts)) ||
	    (rc = set_node_state(t, c.id, deprecated ? GSTORE_FLAG_DEPRECATED : 0, S(p->owner))) ||
	    (rc = gstore_audit_add(t, c.id, "register", c.pref, rec.revision, out->created ? "created" : "updated",
				   opts)))
		return rc;
	out->id = c.id;
	out->revision = rec.revision;
	out->placeholders_created = c.placeholders;
	return graph_product_get(&out->stored, t, a, c.id, 0);
}

/* The registered (not placeholder) product `id`, for deprecate/delete. */
static int registered(gstore_node *n, graph_txn *t, uint64_t id)
{
	int rc = gstore_node_read(n, t, id);
	if (rc)
		return rc;
	if (n->kind != TRIB_KIND_PRODUCT)
		return trib_error_set(TRIB_EINVALID, "'%.*s' is a %s, not a product", (int)n->ref_len, n->ref,
				      trib_kind_name(n->kind));
	if (n->flags & GSTORE_FLAG_PLACEHOLDER)
		return trib_error_set(TRIB_ENOTFOUND, "product '%.*s' is only referenced, never registered",
				      (int)n->ref_len, n->ref);
	return 0;
}

int graph_product_deprecate(trib_product **out, graph_txn *t, trib_arena *a, uint64_t id, const char *note,
			    const char *replacement, const graph_put_opts *opts)
{
	gstore_node n;
	trib_product *p;
	int rc;
	*out = NULL;
	if (!t->writable)
		return trib_error_set(TRIB_EDENIED, "deprecating a product needs a write transaction");
	if ((rc = registered(&n, t, id)) || (rc = graph_product_get(&p, t, a, id, 0)))
		return rc;
	if (replacement && replacement[0]) {
		trib_ref r;
		if ((rc = trib_ref_parse(&r, replacement)))
			return trib_error_set(rc, "replacement: %s", trib_error_last());
	}
	Tributary__V1__Deprecation *d = trib_arena_alloc(a, sizeof *d);
	if (!d)
		return trib_error_last_code();
	tributary__v1__deprecation__init(d);
	d->deprecated = 1;
	d->note = (char *)S(note);
	d->replacement = (char *)S(replacement);
	d->deprecated_at_ms = opts && opts->now_ms ? opts->now_ms : gstore_now_ms();
	p->deprecation = d;
	char *ref = trib_arena_strndup(a, n.ref, n.ref_len);
	char *owner = trib_arena_strndup(a, n.owner, n.owner_len);
	if (!ref || !owner)
		return trib_error_last_code();
	if ((rc = store_revision(t, id, p, opts)) ||
	    (rc = set_node_state(t, id, GSTORE_FLAG_DEPRECATED, owner)) ||
	    (rc = gstore_audit_add(t, id, "deprecate", ref, p->revision, S(note), opts)))
		return rc;
	return graph_product_get(out, t, a, id, 0);
}

static int delete_revisions(graph_txn *t, uint64_t id)
{
	unsigned char key[16];
	gstore_rev_key(key, id, 0);
	MDB_cursor *c;
	int rc = mdb_cursor_open(t->txn, t->s->revisions, &c);
	if (rc)
		return gstore_mdb_err(rc, "opening revisions");
	MDB_val k = {16, key}, v;
	for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); rc == 0; rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		if (k.mv_size != 16 || memcmp(k.mv_data, key, 8) != 0)
			break;
		if ((rc = mdb_cursor_del(c, 0)))
			break;
	}
	mdb_cursor_close(c);
	return rc == 0 || rc == MDB_NOTFOUND ? 0 : gstore_mdb_err(rc, "deleting revisions");
}

int graph_product_delete(graph_delete_result *out, graph_txn *t, uint64_t id, const graph_put_opts *opts)
{
	memset(out, 0, sizeof *out);
	if (!t->writable)
		return trib_error_set(TRIB_EDENIED, "deleting a product needs a write transaction");
	gstore_node n;
	int rc = registered(&n, t, id);
	if (rc)
		return rc;
	trib_arena a;
	trib_arena_init(&a, 0);
	char *ref = trib_arena_strndup(&a, n.ref, n.ref_len);
	edge_set old = {.a = &a}, none = {.a = &a}, gone = {.a = &a};
	uint64_t *ports = NULL, *fields = NULL, last = 0;
	size_t nports = 0, nfields = 0;
	unsigned added = 0, removed = 0;
	int still;
	if (!ref) {
		rc = trib_error_last_code();
		goto done;
	}
	if ((rc = owned_edges(&old, &ports, &nports, &fields, &nfields, t, id, ref)))
		goto done;
	es_sort_unique(&old);
	if ((rc = apply_diff(&added, &removed, &gone, t, &old, &none)) || (rc = drop_orphans(t, ports, nports)) ||
	    (rc = drop_orphans(t, fields, nfields)) || (rc = collect_garbage(t, &a, &gone, id)) ||
	    (rc = last_revision(&last, t, id)) ||
	    (rc = delete_revisions(t, id)) || (rc = has_edges(&still, t, id)))
		goto done;
	if (!still) {
		/* A product's ports/fields can only keep edges through the product
		 * itself or readers' lineage edges, which leave `still` set only on them. */
		int any = 0;
		for (size_t i = 0; i < nports + nfields && !any; i++) {
			uint64_t x = i < nports ? ports[i] : fields[i - nports];
			gstore_node tmp;
			if (gstore_node_read(&tmp, t, x) == 0 && (rc = has_edges(&any, t, x)))
				goto done;
		}
		still = any;
	}
	out->edges_removed = removed;
	out->placeholder_left = still;
	if (still) {
		const char *slash = strchr(ref, '/');
		Tributary__V1__DataProduct p = TRIBUTARY__V1__DATA_PRODUCT__INIT;
		p.domain = trib_arena_strndup(&a, ref, (size_t)(slash - ref));
		p.name = (char *)slash + 1;
		p.placeholder = 1;
		MDB_val pk = gstore_u64_val(&id);
		if (!p.domain) {
			rc = trib_error_last_code();
			goto done;
		}
		if ((rc = gstore_pb_put(t, t->s->products, &pk, &p.base, "writing a placeholder product")) ||
		    (rc = set_node_state(t, id, GSTORE_FLAG_PLACEHOLDER, "")))
			goto done;
	} else if ((rc = node_remove(t, id))) {
		goto done;
	}
	rc = gstore_audit_add(t, id, "delete", ref, last, still ? "placeholder left: still referenced" : "removed",
			      opts);
done:
	trib_arena_dispose(&a);
	return rc;
}

/* ------------------------------------------------------------------ list */

static int matches(const trib_product *p, const graph_list_opts *o)
{
	if (p->placeholder && !o->include_placeholders)
		return 0;
	if (o->domain && o->domain[0] && strcmp(S(p->domain), o->domain) != 0)
		return 0;
	if (o->owner && o->owner[0] && strcmp(S(p->owner), o->owner) != 0)
		return 0;
	if (o->tag && o->tag[0]) {
		size_t i = 0;
		while (i < p->n_tags && strcmp(S(p->tags[i]), o->tag) != 0)
			i++;
		if (i == p->n_tags)
			return 0;
	}
	return 1;
}

int graph_product_list(graph_product_page *out, graph_txn *t, trib_arena *a, const graph_list_opts *opts)
{
	graph_list_opts o = GRAPH_LIST_OPTS_INIT;
	if (opts)
		o = *opts;
	size_t limit = o.limit ? o.limit : 100;
	memset(out, 0, sizeof *out);
	if (!(out->items = trib_arena_calloc(a, limit, sizeof *out->items)) ||
	    !(out->ids = trib_arena_calloc(a, limit, sizeof *out->ids)))
		return trib_error_last_code();
	trib_arena scratch;
	trib_arena_init(&scratch, 0);
	MDB_cursor *c;
	int rc = mdb_cursor_open(t->txn, t->s->products, &c);
	if (rc) {
		trib_arena_dispose(&scratch);
		return gstore_mdb_err(rc, "opening products");
	}
	uint64_t start = o.after_id + 1;
	MDB_val k = gstore_u64_val(&start), v;
	for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); rc == 0; rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		trib_product *p;
		uint64_t id;
		memcpy(&id, k.mv_data, 8);
		trib_arena_clear(&scratch);
		if ((rc = gstore_pb_decode((void **)&p, &tributary__v1__data_product__descriptor, &v, &scratch,
					   "product record")))
			break;
		if (!matches(p, &o))
			continue;
		if (out->count == limit) {
			/* One more match exists: the page is full and another follows. */
			out->next_after = out->ids[limit - 1];
			break;
		}
		if ((rc = gstore_pb_decode((void **)&out->items[out->count], &tributary__v1__data_product__descriptor,
					   &v, a, "product record")))
			break;
		out->ids[out->count++] = id;
	}
	mdb_cursor_close(c);
	trib_arena_dispose(&scratch);
	return rc == 0 || rc == MDB_NOTFOUND ? 0 : rc < 0 ? rc : gstore_mdb_err(rc, "listing products");
}
