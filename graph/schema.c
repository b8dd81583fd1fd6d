/* Schema-change checks: classify a proposed field list, find who it breaks. */
#include "lineage_int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ types */

static const char *change_names[] = {
	"unspecified",          "field-removed",          "type-changed",
	"type-widened",         "nullability-tightened",  "nullability-relaxed",
	"field-added-with-default", "field-added-without-default",
};

const char *graph_lineage_change_kind_name(graph_change_kind k)
{
	if ((unsigned)k >= sizeof change_names / sizeof *change_names)
		return "unknown";
	return change_names[k];
}

int graph_lineage_change_breaking(graph_change_kind k)
{
	return k == GRAPH_CHANGE_FIELD_REMOVED || k == GRAPH_CHANGE_TYPE_CHANGED ||
	       k == GRAPH_CHANGE_NULLABILITY_TIGHTENED || k == GRAPH_CHANGE_FIELD_ADDED_WITHOUT_DEFAULT;
}

/* Canonical spelling of a type name: lowercase, trimmed, aliases folded. */
static void norm_type(char *out, size_t size, const char *t)
{
	static const struct {
		const char *alias, *canon;
	} aliases[] = {
		{"integer", "int"},  {"int32", "int"},   {"bigint", "long"}, {"int64", "long"},
		{"float32", "float"}, {"real", "float"}, {"float64", "double"},
	};
	if (!t)
		t = "";
	while (isspace((unsigned char)*t))
		t++;
	size_t n = 0;
	for (; t[n] && n + 1 < size; n++)
		out[n] = (char)tolower((unsigned char)t[n]);
	while (n && isspace((unsigned char)out[n - 1]))
		n--;
	out[n] = '\0';
	for (size_t i = 0; i < sizeof aliases / sizeof *aliases; i++)
		if (strcmp(out, aliases[i].alias) == 0) {
			snprintf(out, size, "%s", aliases[i].canon);
			return;
		}
}

int graph_lineage_type_widens(const char *from, const char *to)
{
	/* Lossless only: a float's 24-bit and a double's 53-bit mantissa cannot
	 * hold every int/long, so those promotions are changes. */
	static const struct {
		const char *from, *to;
	} widen[] = {{"int", "long"}, {"int", "double"}, {"float", "double"}};
	char f[64], t[64];
	norm_type(f, sizeof f, from);
	norm_type(t, sizeof t, to);
	for (size_t i = 0; i < sizeof widen / sizeof *widen; i++)
		if (strcmp(f, widen[i].from) == 0 && strcmp(t, widen[i].to) == 0)
			return 1;
	return 0;
}

static int same_type(const char *a, const char *b)
{
	char x[128], y[128];
	norm_type(x, sizeof x, a);
	norm_type(y, sizeof y, b);
	return strcmp(x, y) == 0;
}

/* ------------------------------------------------------------------- diff */

typedef struct changes {
	graph_schema_change *v;
	size_t n, cap;
	trib_arena *a;
} changes;

static int add_change(changes *c, const char *field, graph_change_kind kind, const char *old_type,
		      const char *new_type, const char *description)
{
	if (!description)
		return trib_error_last_code();
	int rc = trib_arena_reserve(c->a, &c->v, &c->cap, c->n, sizeof *c->v, 8);
	if (rc)
		return rc;
	c->v[c->n++] = (graph_schema_change){field, kind, old_type ? old_type : "", new_type ? new_type : "",
					     graph_lineage_change_breaking(kind), description};
	return 0;
}

static const char *str(const char *s)
{
	return s ? s : "";
}

static int check_proposal(const trib_field *const *f, size_t n, lin_strmap *names)
{
	for (size_t i = 0; i < n; i++) {
		if (!f[i])
			return trib_error_set(TRIB_EINVALID, "fields[%zu]: missing", i);
		const char *name = str(f[i]->name);
		if (trib_name_check(TRIB_KIND_FIELD, name) != 0)
			return trib_error_set(TRIB_EINVALID, "fields[%zu].name: %s", i, trib_error_last());
		if (!*str(f[i]->type))
			return trib_error_set(TRIB_EINVALID, "fields[%zu].type: empty (field '%s')", i, name);
		if (lin_strmap_get(names, name, strlen(name)) != LIN_NONE)
			return trib_error_set(TRIB_EINVALID, "fields[%zu].name: '%s' appears twice", i, name);
		int rc = lin_strmap_put(names, name, strlen(name), (uint32_t)i);
		if (rc)
			return rc;
	}
	return 0;
}

int graph_lineage_schema_diff(graph_schema_change **out, size_t *count, trib_arena *a,
			      const trib_field *const *old_fields, size_t nold,
			      const trib_field *const *new_fields, size_t nnew)
{
	*out = NULL;
	*count = 0;
	lin_strmap proposed, registered;
	lin_strmap_init(&proposed);
	lin_strmap_init(&registered);
	changes c = {NULL, 0, 0, a};
	int rc = check_proposal(new_fields, nnew, &proposed);
	for (size_t i = 0; rc == 0 && i < nold; i++) {
		const trib_field *o = old_fields[i];
		if (!o || !o->name)
			continue;
		if (lin_strmap_get(&registered, o->name, strlen(o->name)) != LIN_NONE)
			continue; /* a registered duplicate: the first one counts */
		if ((rc = lin_strmap_put(&registered, o->name, strlen(o->name), (uint32_t)i)) != 0)
			break;
		uint32_t j = lin_strmap_get(&proposed, o->name, strlen(o->name));
		const char *ot = str(o->type);
		if (j == LIN_NONE) {
			rc = add_change(&c, o->name, GRAPH_CHANGE_FIELD_REMOVED, ot, "",
					trib_arena_printf(a, "field '%s' (%s) removed", o->name, ot));
			continue;
		}
		const trib_field *p = new_fields[j];
		const char *nt = str(p->type);
		if (!same_type(ot, nt)) {
			int widened = graph_lineage_type_widens(ot, nt);
			rc = add_change(&c, o->name, widened ? GRAPH_CHANGE_TYPE_WIDENED : GRAPH_CHANGE_TYPE_CHANGED,
					ot, nt,
					trib_arena_printf(a, "type of '%s' %s from %s to %s", o->name,
							  widened ? "widened" : "changed", ot, nt));
			if (rc)
				break;
		}
		if (o->nullable && !p->nullable)
			rc = add_change(&c, o->name, GRAPH_CHANGE_NULLABILITY_TIGHTENED, ot, nt,
					trib_arena_printf(a, "'%s' is no longer nullable: data already written "
							  "may hold nulls", o->name));
		else if (!o->nullable && p->nullable)
			rc = add_change(&c, o->name, GRAPH_CHANGE_NULLABILITY_RELAXED, ot, nt,
					trib_arena_printf(a, "'%s' became nullable: consumers that assume a "
							  "value will now see nulls", o->name));
	}
	for (size_t i = 0; rc == 0 && i < nnew; i++) {
		const trib_field *p = new_fields[i];
		if (lin_strmap_get(&registered, p->name, strlen(p->name)) != LIN_NONE)
			continue;
		const char *nt = str(p->type);
		if (p->has_default)
			rc = add_change(&c, p->name, GRAPH_CHANGE_FIELD_ADDED_WITH_DEFAULT, "", nt,
					trib_arena_printf(a, "field '%s' (%s) added with default %s", p->name, nt,
							  *str(p->default_value) ? p->default_value : "(unstated)"));
		else
			rc = add_change(&c, p->name, GRAPH_CHANGE_FIELD_ADDED_WITHOUT_DEFAULT, "", nt,
					trib_arena_printf(a, "field '%s' (%s) added without a default: data "
							  "already written lacks it", p->name, nt));
	}
	lin_strmap_dispose(&proposed);
	lin_strmap_dispose(&registered);
	if (rc)
		return rc;
	*out = c.v;
	*count = c.n;
	return 0;
}

/* -------------------------------------------------------------- consumers */

typedef struct cons {
	uint64_t id;
	uint32_t depth;
	const char **path;
	size_t path_len;
	const char **fields;
	size_t nfields, cap;
} cons;

typedef struct cons_set {
	lin_map idx;
	cons *v;
	size_t n, cap;
} cons_set;

static void cons_set_init(cons_set *s)
{
	memset(s, 0, sizeof *s);
	lin_map_init(&s->idx);
}

static void cons_set_dispose(cons_set *s)
{
	lin_map_dispose(&s->idx);
	free(s->v);
}

/* Record that consumer id depends on changed field `field`; the first
 * (shallowest) sighting keeps its path. */
static int cons_add(cons_set *s, trib_arena *a, uint64_t id, uint32_t depth, const char **path, size_t path_len,
		    const char *field)
{
	uint32_t at = lin_map_get(&s->idx, id);
	if (at == LIN_NONE) {
		int rc = trib_heap_reserve(&s->v, &s->cap, s->n, sizeof *s->v, 16);
		if (rc)
			return rc;
		at = (uint32_t)s->n;
		rc = lin_map_put(&s->idx, id, at);
		if (rc)
			return rc;
		s->v[s->n++] = (cons){id, depth, path, path_len, NULL, 0, 0};
	} else if (depth < s->v[at].depth) {
		s->v[at].depth = depth;
		s->v[at].path = path;
		s->v[at].path_len = path_len;
	}
	cons *c = &s->v[at];
	return lin_strv_push(&c->fields, &c->nfields, &c->cap, a, field);
}

typedef struct check {
	graph_txn *t;
	trib_arena *a;
	lin_products pc;
	lin_refs r;
	uint64_t port, product;
	const char *port_ref, *port_name, *product_ref;
	size_t budget;   /* nodes left; 0 = unlimited */
	int unlimited;
	int64_t deadline_ms;
	cons_set broken, possibly;
} check;

/* A path that starts at the port: port, then the walk's path to pos, then last. */
static int port_path(const char ***out, size_t *len, check *k, const lin_walk *w, uint32_t pos, uint64_t last)
{
	const char **p;
	size_t n;
	int rc = lin_walk_path(&p, &n, w, &k->r, k->a, pos, last);
	if (rc)
		return rc;
	const char **v = trib_arena_calloc(k->a, n + 1, sizeof *v);
	if (!v)
		return trib_error_last_code();
	v[0] = k->port_ref;
	memcpy(v + 1, p, n * sizeof *v);
	*out = v;
	*len = n + 1;
	return 0;
}

/*
 * Products reading `holder` whole (no field list) are possibly affected by
 * changed field `field`: at holder_depth + 1, path = base + reader.
 */
static int whole_readers(check *k, lin_walk *w, uint64_t holder, const char *port_name, uint32_t holder_depth,
			 const char **base, size_t base_len, const char *field)
{
	lin_ids f = {0};
	const char *holder_ref;
	int rc = lin_refs_get(&holder_ref, &k->r, holder);
	if (rc == 0)
		rc = lin_neighbours(w, holder, GRAPH_DOWN, GRAPH_EDGE_BIT(GRAPH_EDGE_FEEDS), lin_ids_cb, &f);
	for (size_t i = 0; rc == 0 && i < f.n; i++) {
		if (!k->unlimited) {
			if (k->budget == 0) {
				rc = trib_error_set(TRIB_ELIMIT, "schema check: more than max_nodes nodes; raise the limit");
				break;
			}
			k->budget--;
		}
		int whole;
		if ((rc = lin_reads_whole(&whole, &k->pc, f.v[i], holder, holder_ref, port_name)) != 0 || !whole)
			continue;
		const char **path = trib_arena_calloc(k->a, base_len + 1, sizeof *path);
		if (!path) {
			rc = trib_error_last_code();
			break;
		}
		memcpy(path, base, base_len * sizeof *path);
		if ((rc = lin_refs_get(&path[base_len], &k->r, f.v[i])) == 0)
			rc = cons_add(&k->possibly, k->a, f.v[i], holder_depth + 1, path, base_len + 1, field);
	}
	lin_ids_free(&f);
	return rc;
}

/* Everything downstream of one changed field. */
static int follow_field(check *k, const graph_schema_change *ch)
{
	char ref[GSTORE_REF_MAX + 2];
	int len = snprintf(ref, sizeof ref, "%s#%s", k->product_ref, ch->field);
	if (len < 0 || (size_t)len >= sizeof ref)
		return 0; /* longer than any stored reference: no node, no reader */
	uint64_t fid;
	int rc = gstore_name_get(&fid, k->t, TRIB_KIND_FIELD, ref, (size_t)len);
	lin_walk w;
	int wrc = lin_walk_init(&w, k->t, k->unlimited ? 0 : k->budget + 1, 0, k->deadline_ms);
	if (wrc)
		return wrc;
	lin_hit *hits = NULL;
	size_t nhits = 0;
	if (rc == TRIB_ENOTFOUND) {
		/* No field node: nobody reads it by name; whole readers still may. */
		rc = whole_readers(k, &w, k->product, k->port_name, 0, &k->port_ref, 1, ch->field);
		goto done;
	}
	if (rc || (rc = lin_walk_add(&w, fid, LIN_NONE, 0, 0, 0, TRIB_KIND_FIELD, NULL)) != 0)
		goto done;
	rc = lin_walk_run(&w, 0, GRAPH_DOWN,
			  GRAPH_EDGE_BIT(GRAPH_EDGE_FIELD_FEEDS) | GRAPH_EDGE_BIT(GRAPH_EDGE_FIELD_READ), 0);
	if (rc)
		goto done;
	if (w.truncated) {
		rc = lin_limit_error(&w, "schema check");
		goto done;
	}
	if (!k->unlimited)
		k->budget -= w.n - 1 < k->budget ? w.n - 1 : k->budget;
	if ((rc = lin_field_hits(&hits, &nhits, &w)) != 0)
		goto done;
	if (ch->breaking) {
		for (size_t i = 0; rc == 0 && i < nhits; i++) {
			const char **path;
			size_t plen;
			rc = port_path(&path, &plen, k, &w, hits[i].pos, hits[i].derived ? hits[i].product : 0);
			if (rc == 0)
				rc = cons_add(&k->broken, k->a, hits[i].product, hits[i].depth, path, plen, ch->field);
		}
	}
	/* Whole readers of the changed port's product, then of every product
	 * holding a field derived from the changed one. */
	if (rc == 0)
		rc = whole_readers(k, &w, k->product, k->port_name, 0, &k->port_ref, 1, ch->field);
	for (size_t i = 1; rc == 0 && i < w.n; i++) {
		if (w.v[i].kind != TRIB_KIND_FIELD)
			continue;
		gstore_node nd;
		if ((rc = gstore_node_read(&nd, k->t, w.v[i].id)) != 0)
			break;
		const char **base;
		size_t blen;
		if ((rc = port_path(&base, &blen, k, &w, (uint32_t)i, 0)) == 0)
			rc = whole_readers(k, &w, nd.product, NULL, w.v[i].depth, base, blen, ch->field);
	}
done:
	free(hits);
	lin_walk_dispose(&w);
	return rc;
}

static int cmp_consumer(const void *x, const void *y)
{
	const graph_consumer *a = x, *b = y;
	if (a->depth != b->depth)
		return a->depth < b->depth ? -1 : 1;
	return strcmp(a->ref, b->ref);
}

/* Consumers of set s (minus those in `minus` and the changed product itself) into the arena. */
static int emit(graph_consumer **out, size_t *n, check *k, cons_set *s, const cons_set *minus)
{
	*out = NULL;
	*n = 0;
	if (!s->n)
		return 0;
	graph_consumer *v = trib_arena_calloc(k->a, s->n, sizeof *v);
	if (!v)
		return trib_error_last_code();
	size_t m = 0;
	for (size_t i = 0; i < s->n; i++) {
		cons *c = &s->v[i];
		if (c->id == k->product || (minus && lin_map_get(&minus->idx, c->id) != LIN_NONE))
			continue;
		graph_node nd;
		int rc = lin_node(&nd, k->t, k->a, c->id);
		if (rc)
			return rc;
		graph_consumer *g = &v[m++];
		g->id = c->id;
		g->ref = nd.ref;
		g->owner = nd.owner;
		g->domain = nd.domain;
		g->depth = c->depth;
		g->fields = c->fields;
		g->nfields = lin_sort_unique(c->fields, c->nfields);
		g->path = c->path;
		g->path_len = c->path_len;
	}
	qsort(v, m, sizeof *v, cmp_consumer);
	*out = v;
	*n = m;
	return 0;
}

static const char *verdict(trib_arena *a, const graph_schema_report *r)
{
	size_t nbreaking = 0;
	for (size_t i = 0; i < r->nchanges; i++)
		nbreaking += r->changes[i].breaking != 0;
	if (!r->nchanges)
		return trib_arena_strdup(a, "compatible: no change");
	if (!nbreaking)
		return trib_arena_printf(a, "compatible: %zu change%s, none breaking; %zu consumer%s possibly affected",
					 r->nchanges, r->nchanges == 1 ? "" : "s", r->npossibly,
					 r->npossibly == 1 ? "" : "s");
	return trib_arena_printf(a, "incompatible: %zu breaking change%s of %zu; breaks %zu consumer%s, %zu "
				    "possibly affected",
				 nbreaking, nbreaking == 1 ? "" : "s", r->nchanges, r->nbroken,
				 r->nbroken == 1 ? "" : "s", r->npossibly);
}

int graph_lineage_schema_check(graph_schema_report *out, graph_txn *t, trib_arena *a, uint64_t port,
			       const trib_field *const *fields, size_t nfields, const graph_schema_opts *opts)
{
	memset(out, 0, sizeof *out);
	if (!opts || opts->version != GRAPH_SCHEMA_OPTS_VERSION)
		return trib_error_set(TRIB_EINVALID, "schema options: version %u, expected %u",
				      opts ? opts->version : 0, GRAPH_SCHEMA_OPTS_VERSION);
	graph_node pn;
	int rc = lin_node(&pn, t, a, port);
	if (rc)
		return rc;
	if (pn.kind != TRIB_KIND_PORT)
		return trib_error_set(TRIB_EINVALID, "ref: a schema check needs an output port, not %s '%s'",
				      trib_kind_name(pn.kind), pn.ref);
	check k;
	memset(&k, 0, sizeof k);
	k.t = t;
	k.a = a;
	k.port = port;
	k.product = pn.product;
	k.port_ref = pn.ref;
	const char *colon = strrchr(pn.ref, ':');
	k.port_name = colon ? colon + 1 : "";
	k.product_ref = lin_product_ref(a, pn.ref);
	k.budget = opts->max_nodes;
	k.unlimited = opts->max_nodes == 0;
	k.deadline_ms = opts->deadline_ms;
	if (!k.product_ref)
		return trib_error_last_code();
	lin_products_init(&k.pc, t, a);
	lin_refs_init(&k.r, t, a);
	cons_set_init(&k.broken);
	cons_set_init(&k.possibly);
	out->ref = pn.ref;

	trib_product *p;
	const Tributary__V1__OutputPort *op = NULL;
	if ((rc = lin_products_get(&p, &k.pc, k.product)) != 0)
		goto done;
	for (size_t i = 0; i < p->n_output_ports && !op; i++)
		if (p->output_ports[i] && p->output_ports[i]->name && strcmp(p->output_ports[i]->name, k.port_name) == 0)
			op = p->output_ports[i];
	if (!op) {
		rc = trib_error_set(TRIB_ENOTFOUND, "ref: %s has no registered output port '%s'%s", k.product_ref,
				    k.port_name, p->placeholder ? " (the product is not registered)" : "");
		goto done;
	}
	if (!op->n_fields) {
		rc = trib_error_set(TRIB_ENOTFOUND,
				    "ref: port %s has no registered schema fields%s%s%s; nothing to compare against",
				    pn.ref, *str(op->schema_ref) ? " (only schema_ref '" : "", str(op->schema_ref),
				    *str(op->schema_ref) ? "')" : "");
		goto done;
	}
	rc = graph_lineage_schema_diff(&out->changes, &out->nchanges, a, (const trib_field *const *)op->fields,
				       op->n_fields, fields, nfields);
	for (size_t i = 0; rc == 0 && i < out->nchanges; i++) {
		graph_change_kind kind = out->changes[i].kind;
		if (kind == GRAPH_CHANGE_FIELD_ADDED_WITH_DEFAULT || kind == GRAPH_CHANGE_FIELD_ADDED_WITHOUT_DEFAULT)
			continue; /* nobody reads a field that does not exist yet */
		if (kind == GRAPH_CHANGE_NULLABILITY_TIGHTENED || kind == GRAPH_CHANGE_NULLABILITY_RELAXED) {
			/* A field with a type change too was followed already. */
			int seen = 0;
			for (size_t j = 0; j < i; j++)
				seen |= strcmp(out->changes[j].field, out->changes[i].field) == 0;
			if (seen && !out->changes[i].breaking)
				continue;
		}
		if (k.deadline_ms && lin_now_ms() >= k.deadline_ms) {
			rc = trib_error_set(TRIB_ELIMIT, "schema check: deadline exceeded");
			break;
		}
		rc = follow_field(&k, &out->changes[i]);
	}
	if (rc == 0)
		rc = emit(&out->broken, &out->nbroken, &k, &k.broken, NULL);
	if (rc == 0)
		rc = emit(&out->possibly_affected, &out->npossibly, &k, &k.possibly, &k.broken);
	if (rc == 0) {
		out->compatible = 1;
		for (size_t i = 0; i < out->nchanges; i++)
			if (out->changes[i].breaking)
				out->compatible = 0;
		if (!(out->verdict = verdict(a, out)))
			rc = trib_error_last_code();
	}
done:
	cons_set_dispose(&k.broken);
	cons_set_dispose(&k.possibly);
	lin_refs_dispose(&k.r);
	lin_products_dispose(&k.pc);
	return rc;
}
