/*
 * tributary.v1.Lineage: GetLineage, Impact, CheckSchemaChange, Provenance.
 * Each handler validates its request, turns it into options of
 * include/tributary/lineage.h, runs the query in the call's read transaction
 * and arena, and copies the answer into the response message.
 */
#include "srv.h"

#include <string.h>

#include "tributary/lineage.h"

/* Server-side bounds on what one call may traverse or return. */
#define LINEAGE_DEFAULT_NODES 10000u    /* max_nodes 0 */
#define LINEAGE_MAX_NODES 1000000u      /* traversal cap, whatever is asked */
#define LINEAGE_MAX_PAGE 10000u         /* nodes per response */
#define IMPACT_DEFAULT_NODES 10000u     /* with per-product records */
#define IMPACT_MAX_NODES 100000u
#define SCHEMA_MAX_NODES 1000000u       /* consumer search of a schema check */
#define PROVENANCE_MAX_NODES 100000u    /* upstream nodes, and field nodes traced */

/* ---------------------------------------------------------------- helpers */

/* Resolve request field `field` to a node id; errors name the field. */
static int resolve(uint64_t *id, srv_ctx *c, const char *field, const char *ref)
{
	if (!ref || !*ref)
		return trib_error_set(TRIB_EINVALID, "%s: required", field);
	if (strlen(ref) > TRIB_REF_MAX)
		return trib_error_set(TRIB_EINVALID, "%s: longer than %d bytes", field, TRIB_REF_MAX);
	int rc = graph_resolve(id, c->txn, ref);
	return rc == TRIB_EINVALID ? srv_error_at(rc, field) : rc;
}

static size_t limit(uint32_t asked, size_t dflt, size_t max)
{
	size_t n = asked ? asked : dflt;
	return n > max ? max : n;
}

/* An array of n initialised messages of descriptor d, as protobuf-c wants it: pointers. */
static void **msg_array(trib_arena *a, const ProtobufCMessageDescriptor *d, size_t n)
{
	if (!n)
		return NULL;
	void **v = trib_arena_calloc(a, n, sizeof *v);
	unsigned char *m = v ? trib_arena_calloc(a, n, d->sizeof_message) : NULL;
	if (!m)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		v[i] = m + i * d->sizeof_message;
		protobuf_c_message_init(d, v[i]);
	}
	return v;
}

#define NEW_ARRAY(field, count, a, desc)                                         \
	(((field) = (void *)msg_array((a), &(desc), (count))) != NULL || (count) == 0)

static void lineage_node(Tributary__V1__LineageNode *m, const graph_lineage_node *n)
{
	m->ref = (char *)n->ref;
	m->kind = (Tributary__V1__NodeKind)n->kind;
	m->depth = n->depth;
	m->owner = (char *)n->owner;
	m->domain = (char *)n->domain;
	m->placeholder = n->placeholder;
	m->predecessor = (char *)n->predecessor;
	m->deprecated = n->deprecated;
}

static int lineage_nodes(Tributary__V1__LineageNode ***out, size_t *n, trib_arena *a, const graph_lineage_node *v,
			 size_t count)
{
	if (!NEW_ARRAY(*out, count, a, tributary__v1__lineage_node__descriptor))
		return trib_error_last_code();
	for (size_t i = 0; i < count; i++)
		lineage_node((*out)[i], &v[i]);
	*n = count;
	return 0;
}

/* ------------------------------------------------------------- GetLineage */

static int lineage_opts(graph_lineage_opts *o, const Tributary__V1__LineageRequest *r)
{
	switch (r->direction) {
	case TRIBUTARY__V1__DIRECTION__DIRECTION_UNSPECIFIED:
	case TRIBUTARY__V1__DIRECTION__DIRECTION_DOWNSTREAM:
		o->direction = GRAPH_DOWN;
		break;
	case TRIBUTARY__V1__DIRECTION__DIRECTION_UPSTREAM:
		o->direction = GRAPH_UP;
		break;
	case TRIBUTARY__V1__DIRECTION__DIRECTION_BOTH:
		o->direction = GRAPH_BOTH;
		break;
	default:
		return trib_error_set(TRIB_EINVALID, "direction: unknown value %d", (int)r->direction);
	}
	switch (r->level) {
	case TRIBUTARY__V1__LEVEL__LEVEL_UNSPECIFIED:
	case TRIBUTARY__V1__LEVEL__LEVEL_PRODUCT:
		o->level = GRAPH_LINEAGE_PRODUCT;
		break;
	case TRIBUTARY__V1__LEVEL__LEVEL_PORT:
		o->level = GRAPH_LINEAGE_PORT;
		break;
	case TRIBUTARY__V1__LEVEL__LEVEL_FIELD:
		o->level = GRAPH_LINEAGE_FIELD;
		break;
	default:
		return trib_error_set(TRIB_EINVALID, "level: unknown value %d", (int)r->level);
	}
	for (size_t i = 0; i < r->n_kinds; i++) {
		int k = (int)r->kinds[i];
		if (k < TRIB_KIND_DOMAIN || k > TRIB_KIND_SOURCE)
			return trib_error_set(TRIB_EINVALID, "kinds[%zu]: unknown node kind %d", i, k);
		o->kinds |= GRAPH_KIND_BIT(k);
	}
	for (size_t i = 0; i < r->n_domains; i++)
		if (trib_name_check(TRIB_KIND_DOMAIN, r->domains[i] ? r->domains[i] : "") != 0) {
			char path[32];
			snprintf(path, sizeof path, "domains[%zu]", i);
			return srv_error_at(TRIB_EINVALID, path);
		}
	o->domains = (const char *const *)r->domains;
	o->ndomains = r->n_domains;
	o->max_depth = r->max_depth;
	o->max_nodes = limit(r->max_nodes, LINEAGE_DEFAULT_NODES, LINEAGE_MAX_NODES);
	o->page_size = limit(r->page_size, LINEAGE_MAX_PAGE, LINEAGE_MAX_PAGE);
	return 0;
}

int srv_lineage_get_lineage(srv_ctx *c, const ProtobufCMessage *req, ProtobufCMessage **resp)
{
	const Tributary__V1__LineageRequest *r = (const void *)req;
	graph_lineage_opts o = GRAPH_LINEAGE_OPTS_INIT;
	uint64_t root;
	int rc = lineage_opts(&o, r);
	if (rc || (rc = resolve(&root, c, "ref", r->ref)) != 0)
		return rc;
	o.deadline_ms = c->deadline_ms;
	if (r->page_token && *r->page_token &&
	    (rc = graph_lineage_token_parse(&o.offset, r->page_token, r->ref, &o)) != 0)
		return rc;
	graph_lineage_graph g;
	/* Its own TRIB_EINVALID messages start with the request field ("page_token: ..."). */
	if ((rc = graph_lineage_get(&g, c->txn, c->arena, root, &o)) != 0)
		return rc;
	Tributary__V1__LineageGraph *out = srv_msg_new(c->arena, &tributary__v1__lineage_graph__descriptor);
	if (!out || (rc = lineage_nodes(&out->nodes, &out->n_nodes, c->arena, g.nodes, g.count)) != 0 ||
	    !NEW_ARRAY(out->edges, g.nedges, c->arena, tributary__v1__lineage_edge__descriptor))
		return trib_error_last_code();
	out->root = (char *)g.root;
	for (size_t i = 0; i < g.nedges; i++) {
		out->edges[i]->from = (char *)g.edges[i].from_ref;
		out->edges[i]->to = (char *)g.edges[i].to_ref;
		out->edges[i]->kind = (char *)graph_edge_kind_name(g.edges[i].kind);
	}
	out->n_edges = g.nedges;
	out->truncated = g.truncated;
	out->total_nodes = g.total > UINT32_MAX ? UINT32_MAX : (uint32_t)g.total;
	if (g.next_offset) {
		char tok[GRAPH_LINEAGE_TOKEN_MAX];
		graph_lineage_token_format(tok, r->ref, &o, g.next_offset);
		if (!(out->next_page_token = trib_arena_strdup(c->arena, tok)))
			return trib_error_last_code();
	}
	*resp = &out->base;
	return 0;
}

/* ----------------------------------------------------------------- Impact */

static int counts(Tributary__V1__Count ***out, size_t *n, trib_arena *a, const graph_count *v, size_t count)
{
	if (!NEW_ARRAY(*out, count, a, tributary__v1__count__descriptor))
		return trib_error_last_code();
	for (size_t i = 0; i < count; i++) {
		(*out)[i]->key = (char *)v[i].key;
		(*out)[i]->count = v[i].count > UINT32_MAX ? UINT32_MAX : (uint32_t)v[i].count;
	}
	*n = count;
	return 0;
}

int srv_lineage_impact(srv_ctx *c, const ProtobufCMessage *req, ProtobufCMessage **resp)
{
	const Tributary__V1__ImpactRequest *r = (const void *)req;
	uint64_t root;
	int rc = resolve(&root, c, "ref", r->ref);
	if (rc)
		return rc;
	graph_impact_opts o = GRAPH_IMPACT_OPTS_INIT;
	o.max_depth = r->max_depth;
	o.summary_only = r->summary_only;
	/* Counts cost a few bytes whatever the closure; records cost a path each. */
	o.max_nodes = r->summary_only ? (r->max_nodes ? r->max_nodes : 0)
				      : limit(r->max_nodes, IMPACT_DEFAULT_NODES, IMPACT_MAX_NODES);
	o.deadline_ms = c->deadline_ms;
	graph_impact_report g;
	if ((rc = graph_lineage_impact(&g, c->txn, c->arena, root, &o)) != 0)
		return rc;
	Tributary__V1__ImpactReport *out = srv_msg_new(c->arena, &tributary__v1__impact_report__descriptor);
	if (!out || !NEW_ARRAY(out->affected, g.count, c->arena, tributary__v1__affected_product__descriptor))
		return trib_error_last_code();
	out->root = (char *)g.root;
	for (size_t i = 0; i < g.count; i++) {
		Tributary__V1__AffectedProduct *m = out->affected[i];
		const graph_affected *f = &g.affected[i];
		m->ref = (char *)f->ref;
		m->depth = f->depth;
		m->owner = (char *)f->owner;
		m->domain = (char *)f->domain;
		m->path = (char **)f->path;
		m->n_path = f->path_len;
		m->via_fields = (char **)f->via_fields;
		m->n_via_fields = f->nvia;
		m->placeholder = f->placeholder;
	}
	out->n_affected = g.count;
	if ((rc = counts(&out->by_owner, &out->n_by_owner, c->arena, g.by_owner, g.nowners)) != 0 ||
	    (rc = counts(&out->by_domain, &out->n_by_domain, c->arena, g.by_domain, g.ndomains)) != 0)
		return rc;
	out->total = g.total > UINT32_MAX ? UINT32_MAX : (uint32_t)g.total;
	out->truncated = g.truncated;
	*resp = &out->base;
	return 0;
}

/* ------------------------------------------------------ CheckSchemaChange */

/* The port a schema change request names: "d/p:port", or "d/p" with `port`. */
static int schema_port(uint64_t *id, srv_ctx *c, const Tributary__V1__SchemaChangeRequest *r)
{
	trib_ref ref;
	if (!r->ref || !*r->ref)
		return trib_error_set(TRIB_EINVALID, "ref: required (\"domain/name:port\", or \"domain/name\" with port)");
	if (strlen(r->ref) > TRIB_REF_MAX)
		return trib_error_set(TRIB_EINVALID, "ref: longer than %d bytes", TRIB_REF_MAX);
	if (trib_ref_parse(&ref, r->ref) != 0)
		return srv_error_at(TRIB_EINVALID, "ref");
	const char *port = r->port && *r->port ? r->port : NULL;
	if (ref.kind == TRIB_KIND_PORT) {
		if (port && strcmp(port, ref.port) != 0)
			return trib_error_set(TRIB_EINVALID, "port: '%s' differs from the port '%s' named in ref", port,
					      ref.port);
		return resolve(id, c, "ref", r->ref);
	}
	if (!port)
		return trib_error_set(TRIB_EINVALID, "port: required when ref ('%s') names no port", r->ref);
	if (trib_name_check(TRIB_KIND_PORT, port) != 0)
		return srv_error_at(TRIB_EINVALID, "port");
	uint64_t pid;
	graph_node pn;
	int rc = srv_resolve_product(&pid, &pn, c, "ref", r->ref);
	if (rc)
		return rc;
	char buf[TRIB_REF_MAX + TRIB_NAME_MAX + 2];
	snprintf(buf, sizeof buf, "%s:%s", pn.ref, port);
	rc = graph_resolve(id, c->txn, buf);
	if (rc == TRIB_ENOTFOUND)
		return trib_error_set(rc, "port: %s has no output port '%s'", pn.ref, port);
	return rc;
}

static int consumers(Tributary__V1__ConsumerImpact ***out, size_t *n, trib_arena *a, const graph_consumer *v,
		     size_t count)
{
	if (!NEW_ARRAY(*out, count, a, tributary__v1__consumer_impact__descriptor))
		return trib_error_last_code();
	for (size_t i = 0; i < count; i++) {
		Tributary__V1__ConsumerImpact *m = (*out)[i];
		m->ref = (char *)v[i].ref;
		m->owner = (char *)v[i].owner;
		m->domain = (char *)v[i].domain;
		m->depth = v[i].depth;
		m->fields = (char **)v[i].fields;
		m->n_fields = v[i].nfields;
		m->path = (char **)v[i].path;
		m->n_path = v[i].path_len;
	}
	*n = count;
	return 0;
}

int srv_lineage_check_schema_change(srv_ctx *c, const ProtobufCMessage *req, ProtobufCMessage **resp)
{
	const Tributary__V1__SchemaChangeRequest *r = (const void *)req;
	uint64_t port;
	int rc = schema_port(&port, c, r);
	if (rc)
		return rc;
	graph_schema_opts o = GRAPH_SCHEMA_OPTS_INIT;
	o.max_nodes = SCHEMA_MAX_NODES;
	o.deadline_ms = c->deadline_ms;
	graph_schema_report g;
	if ((rc = graph_lineage_schema_check(&g, c->txn, c->arena, port, (const trib_field *const *)r->fields,
					     r->n_fields, &o)) != 0)
		return rc; /* "fields[3].name: ...", "ref: ..." */
	Tributary__V1__SchemaChangeReport *out = srv_msg_new(c->arena, &tributary__v1__schema_change_report__descriptor);
	if (!out || !NEW_ARRAY(out->changes, g.nchanges, c->arena, tributary__v1__schema_change__descriptor))
		return trib_error_last_code();
	out->ref = (char *)g.ref;
	out->compatible = g.compatible;
	out->verdict = (char *)g.verdict;
	for (size_t i = 0; i < g.nchanges; i++) {
		Tributary__V1__SchemaChange *m = out->changes[i];
		m->field = (char *)g.changes[i].field;
		m->kind = (Tributary__V1__ChangeKind)g.changes[i].kind;
		m->old_type = (char *)g.changes[i].old_type;
		m->new_type = (char *)g.changes[i].new_type;
		m->breaking = g.changes[i].breaking;
		m->description = (char *)g.changes[i].description;
	}
	out->n_changes = g.nchanges;
	if ((rc = consumers(&out->broken, &out->n_broken, c->arena, g.broken, g.nbroken)) != 0 ||
	    (rc = consumers(&out->possibly_affected, &out->n_possibly_affected, c->arena, g.possibly_affected,
			    g.npossibly)) != 0)
		return rc;
	*resp = &out->base;
	return 0;
}

/* ------------------------------------------------------------- Provenance */

int srv_lineage_provenance(srv_ctx *c, const ProtobufCMessage *req, ProtobufCMessage **resp)
{
	const Tributary__V1__ProvenanceRequest *r = (const void *)req;
	uint64_t id;
	graph_node node;
	int rc = srv_resolve_product(&id, &node, c, "ref", r->ref);
	if (rc)
		return rc;
	graph_provenance_opts o = GRAPH_PROVENANCE_OPTS_INIT;
	o.max_depth = r->max_depth;
	o.max_nodes = PROVENANCE_MAX_NODES;
	o.deadline_ms = c->deadline_ms;
	graph_provenance_report g;
	if ((rc = graph_lineage_provenance(&g, c->txn, c->arena, id, &o)) != 0)
		return rc;
	Tributary__V1__ProvenanceReport *out = srv_msg_new(c->arena, &tributary__v1__provenance_report__descriptor);
	if (!out || (rc = lineage_nodes(&out->upstream, &out->n_upstream, c->arena, g.upstream, g.nupstream)) != 0 ||
	    !NEW_ARRAY(out->pii_fields, g.npii, c->arena, tributary__v1__pii_field__descriptor) ||
	    !NEW_ARRAY(out->violations, g.nviolations, c->arena, tributary__v1__violation__descriptor) ||
	    !NEW_ARRAY(out->freshness_chain, g.nfreshness, c->arena, tributary__v1__freshness_link__descriptor))
		return trib_error_last_code();
	out->root = (char *)g.root;
	out->sources = (char **)g.sources;
	out->n_sources = g.nsources;
	out->effective_classification = g.effective_classification;
	out->classification_from = (char *)g.classification_from;
	out->min_retention_days = g.min_retention_days;
	out->min_retention_from = (char *)g.min_retention_from;
	out->erasure_required = g.erasure_required;
	out->erasure_from = (char **)g.erasure_from;
	out->n_erasure_from = g.nerasure;
	for (size_t i = 0; i < g.npii; i++) {
		out->pii_fields[i]->field = (char *)g.pii[i].field;
		out->pii_fields[i]->origin = (char *)g.pii[i].origin;
		out->pii_fields[i]->declared = g.pii[i].declared;
	}
	out->n_pii_fields = g.npii;
	for (size_t i = 0; i < g.nviolations; i++) {
		Tributary__V1__Violation *m = out->violations[i];
		m->rule_id = (char *)g.violations[i].rule_id;
		m->message = (char *)g.violations[i].message;
		m->field_path = (char *)g.violations[i].field_path;
		m->upstream_ref = (char *)g.violations[i].upstream_ref;
		m->severity = (char *)g.violations[i].severity;
	}
	out->n_violations = g.nviolations;
	for (size_t i = 0; i < g.nfreshness; i++) {
		Tributary__V1__FreshnessLink *m = out->freshness_chain[i];
		m->ref = (char *)g.freshness[i].ref;
		m->freshness_seconds = g.freshness[i].freshness_seconds;
		m->freshness = (char *)g.freshness[i].freshness;
		m->feasible = g.freshness[i].feasible;
	}
	out->n_freshness_chain = g.nfreshness;
	*resp = &out->base;
	return 0;
}
