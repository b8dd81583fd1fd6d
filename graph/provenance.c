/* Provenance: the upstream closure of a product and the constraints it composes. */
#include "lineage_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *rule_ids[] = {
	"", "composition.classification", "composition.retention", "composition.pii-undeclared",
	"composition.erasure", "freshness.infeasible",
};

const char *graph_lineage_rule_id(graph_lineage_rule r)
{
	if ((unsigned)r >= sizeof rule_ids / sizeof *rule_ids)
		return "";
	return rule_ids[r];
}

static const char *class_name(int c)
{
	static const char *names[] = {"unspecified", "public", "internal", "confidential", "restricted"};
	return c >= 0 && c <= 4 ? names[c] : "unknown";
}

/* ------------------------------------------------------------ state */

typedef struct prov {
	graph_txn *t;
	trib_arena *a;
	lin_walk w;          /* the upstream product closure; w.v[0] is the root */
	lin_walk aux;        /* cursors for adjacency reads outside the walk */
	lin_refs r;
	lin_idpos *byid;     /* closure positions 1..n-1 by node id */
	trib_product **recs; /* by walk position: registered products' records, else NULL */
	trib_product *root;
	const char *root_ref;
	graph_provenance_report *out;
	size_t vcap;
	size_t field_budget; /* field nodes the PII search may still visit */
	int field_unlimited;
	int64_t deadline_ms;
	/* PII arrivals, deduplicated on (field, origin) */
	lin_strmap pii_seen;
	size_t piicap;
	/* fields already accounted for as parents of the root's own fields */
	lin_map covered;
	/* whole-read upstreams of a product, resolved once: product id -> index */
	lin_map whole_idx;
	uint64_t **whole;
	size_t *nwhole;
	size_t nwhole_lists, whole_cap;
} prov;

static int add_violation(prov *p, graph_lineage_rule rule, const char *field_path, const char *upstream,
			 const char *message)
{
	if (!message)
		return trib_error_last_code();
	graph_provenance_report *o = p->out;
	int rc = trib_arena_reserve(p->a, &o->violations, &p->vcap, o->nviolations, sizeof *o->violations, 8);
	if (rc)
		return rc;
	o->violations[o->nviolations++] =
		(graph_violation){rule, graph_lineage_rule_id(rule), message, field_path, upstream, "error"};
	return 0;
}

/* ------------------------------------------------------------ closure */

static int stop_cb(uint64_t nb, unsigned kind, void *payload)
{
	(void)nb;
	(void)kind;
	*(int *)payload = 1;
	return 1;
}

/*
 * Closure positions 1..n-1 in node-id order: the closure's node and product
 * records are then read through cursors moving forward, so neighbouring ids
 * share leaf pages and the pages a descent crosses are still in cache.
 */
static int by_id(prov *p)
{
	size_t n = p->w.n - 1;
	lin_idpos *v = trib_arena_calloc(p->a, n, sizeof *v);
	if (!v)
		return trib_error_last_code();
	for (size_t i = 0; i < n; i++)
		v[i] = (lin_idpos){p->w.v[i + 1].id, i + 1};
	p->byid = v;
	return lin_sort_idpos(v, n);
}

/* The record of the closure's product `id` (NULL when it is not in the closure
 * or not a registered product). */
static trib_product *closure_record(const prov *p, uint64_t id)
{
	size_t lo = 0, hi = p->w.n - 1;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (p->byid[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < p->w.n - 1 && p->byid[lo].id == id ? p->recs[p->byid[lo].pos] : NULL;
}

/* ------------------------------------------------------- record slices */

/*
 * Provenance reads a handful of fields of each upstream's record, and
 * protobuf-c decoding all of it (names, description, schemas, quality
 * checks...) was a quarter of a typical query's time. So the closure's
 * records are decoded as slices: a DataProduct holding only name, domain,
 * owner, placeholder and deprecation (to describe the node), sla (freshness),
 * governance, output ports' name and sla (freshness), and input ports'
 * source, source_type, port and fields; everything else stays at its
 * default. Strings are copied to the arena. The wire format is the one in
 * types.proto; a singular message given twice, which the store never writes,
 * keeps its last value instead of merging. A record that does not parse is
 * TRIB_ECORRUPT, as from graph_product_get().
 */
typedef struct wire {
	const uint8_t *p, *end;
} wire;

typedef struct wire_field {
	uint32_t num;
	unsigned type; /* 0 varint, 1 fixed64, 2 bytes, 5 fixed32 */
	uint64_t v;    /* varint value */
	wire b;        /* bytes */
} wire_field;

static int wire_varint(uint64_t *out, wire *w)
{
	uint64_t v = 0;
	for (unsigned shift = 0; shift < 64 && w->p < w->end; shift += 7) {
		uint8_t b = *w->p++;
		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*out = v;
			return 1;
		}
	}
	return 0;
}

/* The next field of w into f: 1, or 0 at the end; -1 when malformed. */
static int wire_next(wire_field *f, wire *w)
{
	uint64_t tag, len;
	if (w->p == w->end)
		return 0;
	/* Most fields here: a one-byte tag, and a string or message of a one-byte length. */
	size_t left = (size_t)(w->end - w->p);
	if (left >= 2 && (w->p[0] & 0x87) == 2 && w->p[1] < 0x80 && left - 2 >= w->p[1]) {
		f->num = w->p[0] >> 3;
		f->type = 2;
		f->b = (wire){w->p + 2, w->p + 2 + w->p[1]};
		w->p = f->b.end;
		return f->num ? 1 : -1;
	}
	if (!wire_varint(&tag, w) || (tag >> 3) == 0 || (tag >> 3) > UINT32_MAX)
		return -1;
	f->num = (uint32_t)(tag >> 3);
	f->type = (unsigned)(tag & 7);
	switch (f->type) {
	case 0:
		return wire_varint(&f->v, w) ? 1 : -1;
	case 1:
	case 5:
		len = f->type == 1 ? 8 : 4;
		break;
	case 2:
		if (!wire_varint(&len, w))
			return -1;
		break;
	default:
		return -1;
	}
	if (len > (uint64_t)(w->end - w->p))
		return -1;
	f->b = (wire){w->p, w->p + len};
	w->p += len;
	return 1;
}

#define SLICE_BAD 1 /* the record does not parse */

static int slice_str(char **out, const wire_field *f, trib_arena *a)
{
	if (f->type != 2)
		return SLICE_BAD;
	*out = trib_arena_strndup(a, (const char *)f->b.p, (size_t)(f->b.end - f->b.p));
	return *out ? 0 : trib_error_last_code();
}

static int slice_sla(Tributary__V1__Sla **out, const wire_field *m, trib_arena *a)
{
	if (m->type != 2)
		return SLICE_BAD;
	Tributary__V1__Sla *s = trib_arena_alloc(a, sizeof *s);
	if (!s)
		return trib_error_last_code();
	tributary__v1__sla__init(s);
	*out = s;
	wire w = m->b;
	wire_field f;
	int more, rc = 0;
	while (rc == 0 && (more = wire_next(&f, &w)) > 0) {
		if (f.num == 1)
			rc = slice_str(&s->freshness, &f, a);
		else if (f.num == 2 && f.type != 0)
			rc = SLICE_BAD;
		else if (f.num == 2)
			s->freshness_seconds = (int64_t)f.v;
	}
	return rc ? rc : more < 0 ? SLICE_BAD : 0;
}

static int slice_deprecation(Tributary__V1__Deprecation **out, const wire_field *m, trib_arena *a)
{
	Tributary__V1__Deprecation *d = trib_arena_alloc(a, sizeof *d);
	if (!d)
		return trib_error_last_code();
	tributary__v1__deprecation__init(d);
	*out = d;
	wire w = m->b;
	wire_field f;
	int more;
	while ((more = wire_next(&f, &w)) > 0)
		if (f.num == 1)
			d->deprecated = f.type == 0 && f.v != 0;
	return more < 0 ? SLICE_BAD : 0;
}

/* Append a message of `size` bytes, set up by init, to the array *v of *n (capacity *cap). */
static void *slice_push(void *arrp, size_t *n, size_t *cap, size_t size, void (*init)(void *), trib_arena *a)
{
	void ***v = arrp;
	void *m = trib_arena_alloc(a, size);
	if (!m || trib_arena_reserve(a, v, cap, *n, sizeof **v, 4) != 0)
		return NULL;
	init(m);
	(*v)[(*n)++] = m;
	return m;
}

static void init_output_port(void *m)
{
	tributary__v1__output_port__init(m);
}

static void init_input_port(void *m)
{
	tributary__v1__input_port__init(m);
}

static int slice_output_port(Tributary__V1__OutputPort *op, wire w, trib_arena *a)
{
	wire_field f;
	int more, rc = 0;
	while (rc == 0 && (more = wire_next(&f, &w)) > 0) {
		if (f.num == 1)
			rc = slice_str(&op->name, &f, a);
		else if (f.num == 9)
			rc = slice_sla(&op->sla, &f, a);
	}
	return rc ? rc : more < 0 ? SLICE_BAD : 0;
}

static int slice_input_port(Tributary__V1__InputPort *ip, wire w, trib_arena *a)
{
	wire_field f;
	size_t fcap = 0;
	int more, rc = 0;
	while (rc == 0 && (more = wire_next(&f, &w)) > 0) {
		if (f.num == 1)
			rc = slice_str(&ip->source, &f, a);
		else if (f.num == 2)
			rc = slice_str(&ip->source_type, &f, a);
		else if (f.num == 3)
			rc = slice_str(&ip->port, &f, a);
		else if (f.num == 4 &&
			 (rc = trib_arena_reserve(a, &ip->fields, &fcap, ip->n_fields, sizeof *ip->fields, 4)) == 0)
			rc = slice_str(&ip->fields[ip->n_fields++], &f, a);
	}
	return rc ? rc : more < 0 ? SLICE_BAD : 0;
}

static int slice_product(trib_product **out, const MDB_val *v, trib_arena *a)
{
	trib_product *u = trib_arena_alloc(a, sizeof *u);
	if (!u)
		return trib_error_last_code();
	tributary__v1__data_product__init(u);
	*out = u;
	wire w = {v->mv_data, (const uint8_t *)v->mv_data + v->mv_size};
	wire_field f;
	size_t outcap = 0, incap = 0;
	int more, rc = 0;
	while (rc == 0 && (more = wire_next(&f, &w)) > 0) {
		if (f.num >= 8 && f.num <= 12 && f.type != 2)
			return SLICE_BAD; /* ports, checks, SLA, governance: messages */
		if ((f.num == 1 || f.num == 2 || f.num == 4 || f.num == 13) && f.type != 2)
			return SLICE_BAD;
		switch (f.num) {
		case 1:
			rc = slice_str(&u->name, &f, a);
			break;
		case 2:
			rc = slice_str(&u->domain, &f, a);
			break;
		case 4:
			rc = slice_str(&u->owner, &f, a);
			break;
		case 13:
			rc = slice_deprecation(&u->deprecation, &f, a);
			break;
		case 17:
			if (f.type != 0)
				return SLICE_BAD;
			u->placeholder = f.v != 0;
			break;
		case 8: {
			Tributary__V1__OutputPort *op = slice_push(&u->output_ports, &u->n_output_ports, &outcap,
								   sizeof *op, init_output_port, a);
			rc = op ? slice_output_port(op, f.b, a) : trib_error_last_code();
			break;
		}
		case 9: {
			Tributary__V1__InputPort *ip = slice_push(&u->input_ports, &u->n_input_ports, &incap,
								  sizeof *ip, init_input_port, a);
			rc = ip ? slice_input_port(ip, f.b, a) : trib_error_last_code();
			break;
		}
		case 11:
			rc = slice_sla(&u->sla, &f, a);
			break;
		case 12: {
			/* Small, and read whole: protobuf-c's. */
			const ProtobufCMessageDescriptor *d = &tributary__v1__product_governance__descriptor;
			MDB_val g = {(size_t)(f.b.end - f.b.p), (void *)f.b.p};
			if ((rc = gstore_pb_decode((void **)&u->governance, d, &g, a, "governance")) == TRIB_ECORRUPT)
				rc = SLICE_BAD;
			break;
		}
		}
	}
	return rc ? rc : more < 0 ? SLICE_BAD : 0;
}

/*
 * The upstream at visit v, described into u. A product is described from the
 * slice of its record, read through cursor c (kept in *rec unless it is a
 * placeholder); anything else, or a record without a name, from its node.
 */
static int upstream_at(graph_lineage_node *u, trib_product **rec, prov *p, MDB_cursor *c, const lin_visit *v)
{
	uint64_t id = v->id, pred = p->w.v[v->pred].id;
	MDB_val k = gstore_u64_val(&id), val;
	int rc = mdb_cursor_get(c, &k, &val, MDB_SET);
	if (rc == MDB_NOTFOUND)
		return lin_describe_lean(u, &p->r, id, v->depth, pred);
	if (rc)
		return gstore_mdb_err(rc, "reading a product");
	trib_product *r = NULL;
	if ((rc = slice_product(&r, &val, p->a)) == SLICE_BAD)
		rc = trib_error_set(TRIB_ECORRUPT, "product record of %llu: %zu bytes do not decode as %s",
				    (unsigned long long)id, val.mv_size, tributary__v1__data_product__descriptor.name);
	if (rc)
		return rc;
	size_t dl = r->domain ? strlen(r->domain) : 0, nl = r->name ? strlen(r->name) : 0;
	if (!dl || !nl)
		return lin_describe_lean(u, &p->r, id, v->depth, pred);
	char *ref = trib_arena_alloc(p->a, dl + nl + 2);
	if (!ref)
		return trib_error_last_code();
	memcpy(ref, r->domain, dl);
	ref[dl] = '/';
	memcpy(ref + dl + 1, r->name, nl + 1);
	*u = (graph_lineage_node){.id = id,
				  .kind = TRIB_KIND_PRODUCT,
				  .ref = ref,
				  .owner = r->owner ? r->owner : "",
				  .domain = r->domain,
				  .depth = v->depth,
				  .placeholder = r->placeholder,
				  .deprecated = r->deprecation && r->deprecation->deprecated,
				  .pred = pred,
				  .predecessor = ""};
	*rec = r->placeholder ? NULL : r;
	return 0;
}

/*
 * The upstream list, its sources, and the records of its registered products
 * (p->recs, by walk position), read in id order and answered in walk order.
 */
static int closure(prov *p)
{
	graph_provenance_report *o = p->out;
	size_t n = p->w.n - 1;
	if (!(p->recs = trib_arena_calloc(p->a, p->w.n, sizeof *p->recs)))
		return trib_error_last_code();
	if (!n)
		return 0;
	if (!(o->upstream = trib_arena_calloc(p->a, n, sizeof *o->upstream)))
		return trib_error_last_code();
	/* The walk kept every FEEDS edge it read: a node with one is no source. */
	uint8_t *has_up = trib_arena_calloc(p->a, p->w.n, 1);
	if (!has_up)
		return trib_error_last_code();
	for (size_t i = 0; i < p->w.nsteps; i++)
		has_up[p->w.steps[i].pos] = 1;
	int rc = by_id(p);
	MDB_cursor *pc = NULL;
	if (rc == 0 && (rc = mdb_cursor_open(p->t->txn, p->t->s->products, &pc)) != 0)
		return gstore_mdb_err(rc, "opening a product cursor");
	/* Products are described from their records, which the rules need
	 * anyway (graph_verify holds record and node to agree): one read per
	 * upstream. Other nodes (external sources) from their node records.
	 * Predecessors' references are set below, once every node has its own. */
	for (size_t k = 0; rc == 0 && k < n; k++) {
		size_t i = p->byid[k].pos;
		rc = upstream_at(&o->upstream[i - 1], &p->recs[i], p, pc, &p->w.v[i]);
	}
	/* Lists the walk did not read (max_depth's last level) are read here. */
	for (size_t k = 0; rc == 0 && k < n; k++) {
		size_t i = p->byid[k].pos;
		int up = has_up[i];
		if (!up && !(p->w.v[i].done & LIN_DONE_LINEAGE))
			rc = lin_neighbours(&p->aux, p->w.v[i].id, GRAPH_UP, GRAPH_EDGE_BIT(GRAPH_EDGE_FEEDS), stop_cb,
					    &up);
		has_up[i] = (uint8_t)up;
	}
	if (pc)
		mdb_cursor_close(pc);
	if (rc)
		return rc;
	const char **sources = trib_arena_calloc(p->a, n, sizeof *sources);
	if (!sources)
		return trib_error_last_code();
	for (size_t i = 1; i < p->w.n; i++) {
		graph_lineage_node *u = &o->upstream[i - 1];
		uint32_t pred = p->w.v[i].pred;
		u->predecessor = pred ? o->upstream[pred - 1].ref : p->root_ref;
		if (!has_up[i])
			sources[o->nsources++] = u->ref;
	}
	o->nupstream = n;
	o->sources = sources;
	return 0;
}

/* ------------------------------------------------- classification, retention, erasure */

static int governance(prov *p, trib_product **recs)
{
	graph_provenance_report *o = p->out;
	const Tributary__V1__ProductGovernance *own = p->root->governance;
	int own_class = own ? (int)own->data_classification : 0;
	int32_t own_ret = own ? own->retention_days : 0;
	o->classification_from = "";
	o->min_retention_from = "";
	size_t ecap = 0;
	int rc = 0;
	for (size_t i = 1; rc == 0 && i < p->w.n; i++) {
		const Tributary__V1__ProductGovernance *g = recs[i] ? recs[i]->governance : NULL;
		if (!g)
			continue;
		const char *ref = o->upstream[i - 1].ref;
		if ((int)g->data_classification > (int)o->effective_classification) {
			o->effective_classification = g->data_classification;
			o->classification_from = ref;
		}
		if (g->retention_days > 0 && (o->min_retention_days == 0 || g->retention_days < o->min_retention_days)) {
			o->min_retention_days = g->retention_days;
			o->min_retention_from = ref;
		}
		if (g->gdpr_subject_to_erasure) {
			o->erasure_required = 1;
			rc = lin_strv_push(&o->erasure_from, &o->nerasure, &ecap, p->a, ref);
		}
	}
	for (size_t i = 1; rc == 0 && i < p->w.n; i++) {
		const Tributary__V1__ProductGovernance *g = recs[i] ? recs[i]->governance : NULL;
		if (g && (int)g->data_classification > own_class)
			rc = add_violation(
				p, GRAPH_RULE_CLASSIFICATION, "governance.data_classification", o->upstream[i - 1].ref,
				trib_arena_printf(p->a,
						  "%s is classified %s but upstream %s is %s: a derived product must be "
						  "at least as restricted as every upstream",
						  p->root_ref, class_name(own_class), o->upstream[i - 1].ref,
						  class_name((int)g->data_classification)));
	}
	for (size_t i = 1; rc == 0 && i < p->w.n; i++) {
		const Tributary__V1__ProductGovernance *g = recs[i] ? recs[i]->governance : NULL;
		if (!g || g->retention_days <= 0 || (own_ret > 0 && own_ret <= g->retention_days))
			continue;
		const char *msg =
			own_ret > 0
				? trib_arena_printf(p->a, "%s keeps data %d days but upstream %s allows only %d",
						    p->root_ref, own_ret, o->upstream[i - 1].ref, g->retention_days)
				: trib_arena_printf(p->a,
						    "%s states no retention_days but upstream %s allows only %d days",
						    p->root_ref, o->upstream[i - 1].ref, g->retention_days);
		rc = add_violation(p, GRAPH_RULE_RETENTION, "governance.retention_days", o->upstream[i - 1].ref, msg);
	}
	return rc;
}

static int erasure(prov *p)
{
	graph_provenance_report *o = p->out;
	const Tributary__V1__ProductGovernance *own = p->root->governance;
	if (own && own->gdpr_subject_to_erasure)
		return 0;
	for (size_t i = 0; i < o->nerasure; i++) {
		int rc = add_violation(p, GRAPH_RULE_ERASURE, "governance.gdpr_subject_to_erasure", o->erasure_from[i],
				       trib_arena_printf(p->a,
							 "upstream %s is subject to erasure requests but %s is not "
							 "(erasure must propagate downstream)",
							 o->erasure_from[i], p->root_ref));
		if (rc)
			return rc;
	}
	return 0;
}

/* -------------------------------------------------------------- freshness */

typedef struct fresh {
	int64_t secs;
	const char *text;
} fresh;

static fresh sla_fresh(const Tributary__V1__Sla *s)
{
	fresh f = {0, ""};
	if (s && s->freshness_seconds > 0) {
		f.secs = s->freshness_seconds;
		f.text = s->freshness ? s->freshness : "";
	}
	return f;
}

static void take_min(fresh *best, fresh f)
{
	if (f.secs > 0 && (best->secs == 0 || f.secs < best->secs))
		*best = f;
}

/* What a product promises: its own SLA, else its strictest port. */
static fresh product_fresh(const trib_product *u)
{
	fresh f = sla_fresh(u->sla);
	if (f.secs)
		return f;
	for (size_t i = 0; i < u->n_output_ports; i++)
		if (u->output_ports[i])
			take_min(&f, sla_fresh(u->output_ports[i]->sla));
	return f;
}

static fresh port_fresh(const trib_product *u, const char *port)
{
	for (size_t i = 0; i < u->n_output_ports; i++) {
		const Tributary__V1__OutputPort *op = u->output_ports[i];
		if (op && op->name && strcmp(op->name, port) == 0) {
			fresh f = sla_fresh(op->sla);
			return f.secs ? f : product_fresh(u);
		}
	}
	return product_fresh(u);
}

/*
 * What upstream u (node uid) offers to the consumer c it feeds on the
 * shortest path: the SLA of the ports c names (the fastest when several),
 * or the whole product's when c reads it with no port.
 */
static int offered(fresh *out, prov *p, const trib_product *u, uint64_t uid, const char *uref,
		   const trib_product *c)
{
	/* Only a port's own SLA can make the ports c reads offer other than
	 * the whole product does: without one, c's inputs need no reading. */
	size_t k = 0;
	while (k < u->n_output_ports && !(u->output_ports[k] && sla_fresh(u->output_ports[k]->sla).secs))
		k++;
	if (k == u->n_output_ports) {
		*out = product_fresh(u);
		return 0;
	}
	fresh best = {0, ""};
	int matched = 0;
	for (size_t i = 0; c && i < c->n_input_ports; i++) {
		const Tributary__V1__InputPort *ip = c->input_ports[i];
		if (!lin_input_names(ip, p->t, uid, uref))
			continue;
		matched = 1;
		take_min(&best, ip->port && *ip->port ? port_fresh(u, ip->port) : product_fresh(u));
	}
	*out = matched ? best : product_fresh(u);
	return 0;
}

static int freshness(prov *p, trib_product **recs)
{
	graph_provenance_report *o = p->out;
	fresh own = product_fresh(p->root);
	size_t cap = p->w.n;
	if (!(o->freshness = trib_arena_calloc(p->a, cap, sizeof *o->freshness)))
		return trib_error_last_code();
	o->freshness[o->nfreshness++] = (graph_freshness_link){p->root_ref, own.secs, own.text, 1};
	int rc = 0;
	for (size_t i = 1; rc == 0 && i < p->w.n; i++) {
		if (!recs[i])
			continue;
		uint32_t pred = p->w.v[i].pred;
		const trib_product *c = pred == 0 ? p->root : recs[pred];
		fresh f;
		if ((rc = offered(&f, p, recs[i], p->w.v[i].id, o->upstream[i - 1].ref, c)) != 0 || !f.secs)
			continue;
		int feasible = own.secs == 0 || f.secs <= own.secs;
		o->freshness[o->nfreshness++] = (graph_freshness_link){o->upstream[i - 1].ref, f.secs, f.text, feasible};
		if (!feasible)
			rc = add_violation(p, GRAPH_RULE_FRESHNESS, "sla.freshness", o->upstream[i - 1].ref,
					   trib_arena_printf(p->a,
							     "%s promises data within %lld s (%s) but upstream %s is "
							     "only fresh within %lld s (%s)",
							     p->root_ref, (long long)own.secs, own.text,
							     o->upstream[i - 1].ref, (long long)f.secs, f.text));
	}
	return rc;
}

/* -------------------------------------------------------------------- PII */

/* A declared PII name covers itself and, dotted, everything under it. */
static int declares(const trib_product *u, const char *name)
{
	const Tributary__V1__ProductGovernance *g = u ? u->governance : NULL;
	if (!g)
		return 0;
	for (size_t i = 0; i < g->n_pii_fields; i++) {
		const char *d = g->pii_fields[i];
		size_t n = d ? strlen(d) : 0;
		if (n && strncmp(name, d, n) == 0 && (name[n] == '\0' || name[n] == '.'))
			return 1;
	}
	return 0;
}

/* Upstream products that product `id` (record u) reads whole, resolved once. */
static int whole_sources(const uint64_t **out, size_t *n, prov *p, uint64_t id, const trib_product *u)
{
	uint32_t at = lin_map_get(&p->whole_idx, id);
	if (at == LIN_NONE) {
		lin_ids l = {0};
		for (size_t i = 0; u && i < u->n_input_ports; i++) {
			const Tributary__V1__InputPort *ip = u->input_ports[i];
			uint64_t src;
			if (!ip || ip->n_fields || lin_input_product(&src, p->t, ip) != 0)
				continue;
			int rc = lin_ids_push(&l, src);
			if (rc) {
				lin_ids_free(&l);
				return rc;
			}
		}
		if (p->nwhole_lists == p->whole_cap) {
			size_t ncap = p->whole_cap ? p->whole_cap * 2 : 16;
			uint64_t **nw = realloc(p->whole, ncap * sizeof *nw);
			size_t *nn = nw ? realloc(p->nwhole, ncap * sizeof *nn) : NULL;
			if (nw)
				p->whole = nw;
			if (!nn) {
				lin_ids_free(&l);
				return trib_error_set(TRIB_ENOMEM, "out of memory listing whole reads");
			}
			p->nwhole = nn;
			p->whole_cap = ncap;
		}
		at = (uint32_t)p->nwhole_lists;
		p->whole[at] = l.v;
		p->nwhole[at] = l.n;
		p->nwhole_lists++;
		int rc = lin_map_put(&p->whole_idx, id, at);
		if (rc)
			return rc;
	}
	*out = p->whole[at];
	*n = p->nwhole[at];
	return 0;
}

static int spend_field(prov *p)
{
	if (p->deadline_ms && lin_now_ms() >= p->deadline_ms)
		return trib_error_set(TRIB_ELIMIT, "provenance of %s: deadline exceeded tracing PII", p->root_ref);
	if (p->field_unlimited)
		return 0;
	if (p->field_budget == 0)
		return trib_error_set(TRIB_ELIMIT,
				      "provenance of %s: more than max_nodes field nodes tracing PII; raise the limit",
				      p->root_ref);
	p->field_budget--;
	return 0;
}

static int add_pii(prov *p, const char *name, uint64_t origin)
{
	graph_provenance_report *o = p->out;
	const char *field = trib_arena_printf(p->a, "%s#%s", p->root_ref, name);
	const char *oref;
	int rc = field ? lin_refs_get(&oref, &p->r, origin) : trib_error_last_code();
	if (rc)
		return rc;
	const char *key = trib_arena_printf(p->a, "%s\n%s", field, oref);
	if (!key)
		return trib_error_last_code();
	if (lin_strmap_get(&p->pii_seen, key, strlen(key)) != LIN_NONE)
		return 0;
	if ((rc = lin_strmap_put(&p->pii_seen, key, strlen(key), 1)) != 0)
		return rc;
	if ((rc = trib_arena_reserve(p->a, &o->pii, &p->piicap, o->npii, sizeof *o->pii, 8)) != 0)
		return rc;
	o->pii[o->npii++] = (graph_pii_field){field, oref, declares(p->root, name)};
	return 0;
}

/*
 * Where field `start` got its PII from: walk up its field lineage (and, for
 * a product reading its upstream whole, to the upstream field of the same
 * name) to the nearest fields declared PII by their products. Calls add_pii
 * for each, as arriving at the root under `name`.
 */
static int trace(prov *p, uint64_t start, const char *name)
{
	lin_map seen;
	lin_map_init(&seen);
	lin_ids q = {0};
	int rc = lin_ids_push(&q, start);
	if (rc == 0)
		rc = lin_map_put(&seen, start, 1);
	for (size_t qi = 0; rc == 0 && qi < q.n; qi++) {
		uint64_t y = q.v[qi];
		if ((rc = spend_field(p)) != 0)
			break;
		gstore_node nd;
		if ((rc = gstore_node_read(&nd, p->t, y)) != 0)
			break;
		/* Only the closure counts (max_depth may have cut it). */
		if (nd.product != p->w.v[0].id && !lin_walk_has(&p->w, nd.product))
			continue;
		const char *hash = memchr(nd.ref, '#', nd.ref_len);
		if (!hash)
			continue;
		char fname[TRIB_FIELD_MAX + 1];
		size_t flen = nd.ref_len - (size_t)(hash + 1 - nd.ref);
		if (flen > TRIB_FIELD_MAX)
			continue;
		memcpy(fname, hash + 1, flen);
		fname[flen] = '\0';
		const trib_product *u = nd.product == p->w.v[0].id ? NULL : closure_record(p, nd.product);
		if (u && declares(u, fname)) {
			rc = add_pii(p, name, y);
			continue;
		}
		size_t before = q.n;
		rc = lin_neighbours(&p->aux, y, GRAPH_UP, GRAPH_EDGE_BIT(GRAPH_EDGE_FIELD_FEEDS), lin_ids_cb, &q);
		const uint64_t *ws = NULL;
		size_t nws = 0;
		if (rc == 0 && u)
			rc = whole_sources(&ws, &nws, p, nd.product, u);
		for (size_t i = 0; rc == 0 && i < nws; i++) {
			const char *vref;
			uint64_t vf;
			if ((rc = lin_refs_get(&vref, &p->r, ws[i])) != 0)
				break;
			char buf[GSTORE_REF_MAX + 2];
			int len = snprintf(buf, sizeof buf, "%s#%s", vref, fname);
			if (len < 0 || (size_t)len >= sizeof buf)
				continue;
			rc = gstore_name_get(&vf, p->t, TRIB_KIND_FIELD, buf, (size_t)len);
			if (rc == TRIB_ENOTFOUND) {
				rc = 0;
				continue;
			}
			if (rc == 0)
				rc = lin_ids_push(&q, vf);
		}
		/* Drop what was queued before. */
		size_t k = before;
		for (size_t i = before; rc == 0 && i < q.n; i++) {
			if (lin_map_get(&seen, q.v[i]) != LIN_NONE)
				continue;
			rc = lin_map_put(&seen, q.v[i], 1);
			q.v[k++] = q.v[i];
		}
		q.n = k;
	}
	lin_ids_free(&q);
	lin_map_dispose(&seen);
	return rc;
}

static int field_name_of(char *buf, size_t size, prov *p, uint64_t field)
{
	const char *ref;
	int rc = lin_refs_get(&ref, &p->r, field);
	if (rc)
		return rc;
	snprintf(buf, size, "%s", lin_field_name(ref));
	return 0;
}

/* Fields of product id: through its ports (only port `port` when given), and its own. */
static int product_fields(lin_ids *out, prov *p, uint64_t id, const char *port)
{
	lin_ids ports = {0};
	int rc = lin_neighbours(&p->aux, id, GRAPH_DOWN, GRAPH_EDGE_BIT(GRAPH_EDGE_HAS_PORT), lin_ids_cb, &ports);
	for (size_t i = 0; rc == 0 && i < ports.n; i++) {
		if (port) {
			const char *ref;
			if ((rc = lin_refs_get(&ref, &p->r, ports.v[i])) != 0)
				break;
			const char *colon = strrchr(ref, ':');
			if (!colon || strcmp(colon + 1, port) != 0)
				continue;
		}
		rc = lin_neighbours(&p->aux, ports.v[i], GRAPH_DOWN, GRAPH_EDGE_BIT(GRAPH_EDGE_HAS_FIELD), lin_ids_cb, out);
	}
	lin_ids_free(&ports);
	if (rc == 0 && !port)
		rc = lin_neighbours(&p->aux, id, GRAPH_DOWN, GRAPH_EDGE_BIT(GRAPH_EDGE_HAS_FIELD), lin_ids_cb, out);
	return rc;
}

static int cmp_pii(const void *x, const void *y)
{
	const graph_pii_field *a = x, *b = y;
	int c = strcmp(a->field, b->field);
	return c ? c : strcmp(a->origin, b->origin);
}

static int pii(prov *p)
{
	uint64_t root = p->w.v[0].id;
	char name[TRIB_FIELD_MAX + 1];
	lin_ids own = {0}, parents = {0}, reads = {0};
	/* (a) the root's own fields derived from upstream fields */
	int rc = product_fields(&own, p, root, NULL);
	for (size_t i = 0; rc == 0 && i < own.n; i++) {
		parents.n = 0;
		if ((rc = field_name_of(name, sizeof name, p, own.v[i])) != 0)
			break;
		rc = lin_neighbours(&p->aux, own.v[i], GRAPH_UP, GRAPH_EDGE_BIT(GRAPH_EDGE_FIELD_FEEDS), lin_ids_cb,
				    &parents);
		for (size_t j = 0; rc == 0 && j < parents.n; j++) {
			if ((rc = lin_map_put(&p->covered, parents.v[j], 1)) == 0)
				rc = trace(p, parents.v[j], name);
		}
	}
	/* (b) fields read by name and not carried into a field of the root */
	if (rc == 0)
		rc = lin_neighbours(&p->aux, root, GRAPH_UP, GRAPH_EDGE_BIT(GRAPH_EDGE_FIELD_READ), lin_ids_cb, &reads);
	/* (c) every field of an upstream read whole */
	for (size_t i = 0; rc == 0 && i < p->root->n_input_ports; i++) {
		const Tributary__V1__InputPort *ip = p->root->input_ports[i];
		uint64_t src;
		if (!ip || ip->n_fields || lin_input_product(&src, p->t, ip) != 0)
			continue;
		rc = product_fields(&reads, p, src, ip->port && *ip->port ? ip->port : NULL);
	}
	for (size_t i = 0; rc == 0 && i < reads.n; i++) {
		if (lin_map_get(&p->covered, reads.v[i]) != LIN_NONE)
			continue;
		if ((rc = lin_map_put(&p->covered, reads.v[i], 1)) != 0)
			break;
		if ((rc = field_name_of(name, sizeof name, p, reads.v[i])) == 0)
			rc = trace(p, reads.v[i], name);
	}
	lin_ids_free(&own);
	lin_ids_free(&parents);
	lin_ids_free(&reads);
	if (rc)
		return rc;
	graph_provenance_report *o = p->out;
	if (o->npii > 1)
		qsort(o->pii, o->npii, sizeof *o->pii, cmp_pii);
	for (size_t i = 0; i < o->npii; i++) {
		if (o->pii[i].declared)
			continue;
		const char *upstream = lin_product_ref(p->a, o->pii[i].origin);
		const char *fname = lin_field_name(o->pii[i].field);
		rc = add_violation(p, GRAPH_RULE_PII_UNDECLARED, "governance.pii_fields", upstream,
				   trib_arena_printf(p->a,
						     "'%s' carries PII declared at %s but %s does not list it in "
						     "governance.pii_fields",
						     fname, o->pii[i].origin, p->root_ref));
		if (rc)
			return rc;
	}
	return 0;
}

/* ------------------------------------------------------------------ query */

static void prov_dispose(prov *p)
{
	for (size_t i = 0; i < p->nwhole_lists; i++)
		free(p->whole[i]);
	free(p->whole);
	free(p->nwhole);
	lin_map_dispose(&p->whole_idx);
	lin_map_dispose(&p->covered);
	lin_strmap_dispose(&p->pii_seen);
	lin_refs_dispose(&p->r);
	lin_walk_dispose(&p->aux);
	lin_walk_dispose(&p->w);
}

int graph_lineage_provenance(graph_provenance_report *out, graph_txn *t, trib_arena *a, uint64_t product,
			     const graph_provenance_opts *opts)
{
	memset(out, 0, sizeof *out);
	if (!opts || opts->version != GRAPH_PROVENANCE_OPTS_VERSION)
		return trib_error_set(TRIB_EINVALID, "provenance options: version %u, expected %u",
				      opts ? opts->version : 0, GRAPH_PROVENANCE_OPTS_VERSION);
	graph_node rn;
	int rc = lin_node(&rn, t, a, product);
	if (rc)
		return rc;
	if (rn.kind != TRIB_KIND_PRODUCT)
		return trib_error_set(TRIB_EINVALID, "ref: provenance is of a data product, not %s '%s'",
				      trib_kind_name(rn.kind), rn.ref);
	prov p;
	memset(&p, 0, sizeof p);
	p.t = t;
	p.a = a;
	p.out = out;
	p.root_ref = rn.ref;
	p.field_budget = opts->max_nodes;
	p.field_unlimited = opts->max_nodes == 0;
	p.deadline_ms = opts->deadline_ms;
	out->root = rn.ref;
	lin_refs_init(&p.r, t, a);
	lin_strmap_init(&p.pii_seen);
	lin_map_init(&p.covered);
	lin_map_init(&p.whole_idx);
	if ((rc = lin_walk_init(&p.w, t, opts->max_nodes ? opts->max_nodes + 1 : 0, opts->max_depth,
				opts->deadline_ms)) != 0 ||
	    (rc = lin_walk_init(&p.aux, t, 0, 0, 0)) != 0)
		goto done;
	p.w.record = 1; /* its FEEDS edges tell the sources apart (closure) */
	if ((rc = graph_product_get(&p.root, t, a, product, 0)) != 0 ||
	    (rc = lin_walk_add(&p.w, product, LIN_NONE, 0, 0, 0, TRIB_KIND_PRODUCT, NULL)) != 0 ||
	    (rc = lin_walk_run(&p.w, 0, GRAPH_UP, GRAPH_EDGE_BIT(GRAPH_EDGE_FEEDS), 0)) != 0)
		goto done;
	if (p.w.truncated) {
		/* The walk's limit counts the root; say the caller's number. */
		rc = p.w.deadline_hit ? lin_limit_error(&p.w, "provenance")
				      : trib_error_set(TRIB_ELIMIT,
						       "provenance of %s: more than max_nodes=%zu upstream nodes; raise the limit",
						       rn.ref, opts->max_nodes);
		goto done;
	}
	if ((rc = closure(&p)) != 0)
		goto done;
	/* Violations come out grouped by rule, in the order of graph_lineage_rule. */
	if ((rc = governance(&p, p.recs)) != 0 || (rc = pii(&p)) != 0 || (rc = erasure(&p)) != 0 ||
	    (rc = freshness(&p, p.recs)) != 0)
		goto done;
done:
	prov_dispose(&p);
	return rc;
}
