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
	lin_products pc;
	lin_refs r;
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

/* Records of the closure's registered products, in walk order (NULL elsewhere). */
static int upstream_records(prov *p, trib_product ***recs)
{
	*recs = trib_arena_calloc(p->a, p->w.n, sizeof **recs);
	if (!*recs)
		return trib_error_last_code();
	for (size_t i = 1; i < p->w.n; i++) {
		const graph_lineage_node *u = &p->out->upstream[i - 1];
		if (u->kind != TRIB_KIND_PRODUCT || u->placeholder)
			continue;
		int rc = lin_products_get(&(*recs)[i], &p->pc, u->id);
		if (rc)
			return rc;
	}
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

static int closure(prov *p)
{
	graph_provenance_report *o = p->out;
	size_t n = p->w.n - 1;
	if (n && !(o->upstream = trib_arena_calloc(p->a, n, sizeof *o->upstream)))
		return trib_error_last_code();
	const char **sources = n ? trib_arena_calloc(p->a, n, sizeof *sources) : NULL;
	if (n && !sources)
		return trib_error_last_code();
	/* A node the walk reached another from has an upstream already: only
	 * the others need their FEEDS list read to tell whether they are sources. */
	uint8_t *fed = n ? trib_arena_calloc(p->a, p->w.n, 1) : NULL;
	if (n && !fed)
		return trib_error_last_code();
	for (size_t i = 1; i < p->w.n; i++)
		fed[p->w.v[i].pred] = 1;
	for (size_t i = 1; i < p->w.n; i++) {
		const lin_visit *v = &p->w.v[i];
		graph_lineage_node *u = &o->upstream[o->nupstream++];
		int rc = lin_describe(u, &p->r, v->id, v->depth, p->w.v[v->pred].id);
		if (rc)
			return rc;
		int has_up = fed[i];
		if (!has_up &&
		    (rc = lin_neighbours(&p->aux, v->id, GRAPH_UP, GRAPH_EDGE_BIT(GRAPH_EDGE_FEEDS), stop_cb, &has_up)) != 0)
			return rc;
		if (!has_up)
			sources[o->nsources++] = u->ref;
	}
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
		trib_product *u = NULL;
		if (nd.product != p->w.v[0].id && (rc = lin_products_get(&u, &p->pc, nd.product)) != 0)
			break;
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
	lin_products_dispose(&p->pc);
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
	lin_products_init(&p.pc, t, a);
	lin_refs_init(&p.r, t, a);
	lin_strmap_init(&p.pii_seen);
	lin_map_init(&p.covered);
	lin_map_init(&p.whole_idx);
	if ((rc = lin_walk_init(&p.w, t, opts->max_nodes ? opts->max_nodes + 1 : 0, opts->max_depth,
				opts->deadline_ms)) != 0 ||
	    (rc = lin_walk_init(&p.aux, t, 0, 0, 0)) != 0)
		goto done;
	trib_product **recs = NULL;
	if ((rc = lin_products_get(&p.root, &p.pc, product)) != 0 ||
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
	if ((rc = closure(&p)) != 0 || (rc = upstream_records(&p, &recs)) != 0)
		goto done;
	/* Violations come out grouped by rule, in the order of graph_lineage_rule. */
	if ((rc = governance(&p, recs)) != 0 || (rc = pii(&p)) != 0 || (rc = erasure(&p)) != 0 ||
	    (rc = freshness(&p, recs)) != 0)
		goto done;
done:
	prov_dispose(&p);
	return rc;
}
