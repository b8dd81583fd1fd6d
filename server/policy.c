/* Policy evaluation: one product against every rule, and the audit of a store. */
#include "policy_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tributary/error.h"

/* A refusal travels as the error slot's message (1 KiB) and then as a gRPC
 * status message in HTTP/2 trailers: keep it below both, and say how many
 * were left out (a dry run's response lists them all). */
#define REFUSAL_MAX 900

struct item {
	trib_violation *v;
	enum pol_severity sev;
	size_t rule;
	size_t seq;
};

struct upstream {
	uint64_t id;
	const char *ref;
	trib_product *rec; /* NULL for external sources and placeholders */
};

typedef struct ev {
	const pol_policy *pol;
	graph_txn *t;
	trib_arena *a;
	uint64_t id;
	const trib_product *p;
	const trib_product *prev;
	const char *ref;
	size_t rule; /* index of the rule being evaluated */
	struct item *items;
	size_t n, cap;
	/* Upstream closure, computed once per limit (composition and freshness share it). */
	struct upstream *up;
	size_t nup;
	int up_truncated;
	unsigned up_limit; /* 0 = not computed */
} ev;

static int oom(void)
{
	return trib_error_set(TRIB_ENOMEM, "out of memory evaluating the policy");
}

static const char *S(const char *s)
{
	return s ? s : "";
}

static int viol(ev *e, enum pol_severity sev, const char *field, const char *upstream, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static int viol(ev *e, enum pol_severity sev, const char *field, const char *upstream, const char *fmt, ...)
{
	if (sev == POL_OFF)
		return 0;
	if (e->n == e->cap) {
		size_t nc = e->cap ? e->cap * 2 : 8;
		struct item *ni = trib_arena_realloc(e->a, e->items, e->cap * sizeof *ni, nc * sizeof *ni);
		if (!ni)
			return oom();
		e->items = ni;
		e->cap = nc;
	}
	trib_violation *v = trib_arena_alloc(e->a, sizeof *v);
	if (!v)
		return oom();
	tributary__v1__violation__init(v);
	va_list ap;
	va_start(ap, fmt);
	char *msg = NULL;
	int len = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (len < 0)
		return oom();
	v->message = trib_arena_strdup(e->a, msg);
	free(msg);
	v->rule_id = trib_arena_strdup(e->a, e->pol->rules[e->rule].id);
	v->field_path = trib_arena_strdup(e->a, S(field));
	v->upstream_ref = trib_arena_strdup(e->a, S(upstream));
	v->severity = sev == POL_ERROR ? "error" : "warning";
	if (!v->message || !v->rule_id || !v->field_path || !v->upstream_ref)
		return oom();
	e->items[e->n] = (struct item){v, sev, e->rule, e->n};
	e->n++;
	return 0;
}

/* As the store decides (graph/product.c): an input names a product unless it
 * is a "source:" reference or has a source type other than data-product. */
static int reads_product(const Tributary__V1__InputPort *ip)
{
	if (!ip->source || !strncmp(ip->source, "source:", 7))
		return 0;
	return !ip->source_type || !*ip->source_type || !strcmp(ip->source_type, "data-product");
}

static int has_str(char **v, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] && !strcmp(v[i], s))
			return 1;
	return 0;
}

static int blank(const char *s)
{
	return !s || !s[strspn(s, " \t\r\n")];
}

static int klass(const trib_product *p)
{
	return p->governance ? (int)p->governance->data_classification : 0;
}

static int retention(const trib_product *p)
{
	return p->governance ? p->governance->retention_days : 0;
}

static int sla_stated(const Tributary__V1__Sla *s)
{
	return s && (s->freshness_seconds > 0 || s->uptime_percent > 0 || s->completeness_percent > 0 ||
		     !blank(s->freshness) || !blank(s->uptime) || !blank(s->completeness));
}

/* The freshness a product promises: its own SLA, else its strictest port's. */
static int64_t freshness(const trib_product *p, const char **path, trib_arena *a)
{
	if (p->sla && p->sla->freshness_seconds > 0) {
		if (path)
			*path = "sla.freshness";
		return p->sla->freshness_seconds;
	}
	int64_t best = 0;
	for (size_t i = 0; i < p->n_output_ports; i++) {
		const Tributary__V1__Sla *s = p->output_ports[i]->sla;
		if (s && s->freshness_seconds > 0 && (best == 0 || s->freshness_seconds < best)) {
			best = s->freshness_seconds;
			if (path)
				*path = trib_arena_printf(a, "output_ports[%zu].sla.freshness", i);
		}
	}
	return best;
}

/* ---------------------------------------------------------------- upstream */

static int upstream_closure(ev *e, unsigned limit)
{
	if (e->up_limit == limit)
		return 0;
	graph_walk_opts wo = GRAPH_WALK_OPTS_INIT;
	wo.direction = GRAPH_UP;
	wo.edge_mask = GRAPH_EDGE_BIT(GRAPH_EDGE_FEEDS);
	wo.max_nodes = (size_t)limit + 1; /* the start node counts */
	graph_walk_result w;
	int rc = graph_walk(&w, e->t, e->a, e->id, &wo);
	if (rc)
		return rc;
	e->up = trib_arena_calloc(e->a, w.count ? w.count : 1, sizeof *e->up);
	if (!e->up)
		return oom();
	e->nup = 0;
	for (size_t i = 1; i < w.count; i++) {
		graph_node nd;
		if ((rc = graph_node_get(&nd, e->t, e->a, w.visits[i].id)))
			return rc;
		struct upstream *u = &e->up[e->nup++];
		u->id = nd.id;
		u->ref = nd.ref;
		u->rec = NULL;
		if (nd.kind == TRIB_KIND_PRODUCT && !nd.placeholder) {
			if ((rc = graph_product_get(&u->rec, e->t, e->a, nd.id, 0)))
				return rc;
			if (u->rec->placeholder)
				u->rec = NULL;
		}
	}
	e->up_truncated = w.truncated;
	e->up_limit = limit;
	return 0;
}

static int truncation_warning(ev *e, unsigned limit)
{
	if (!e->up_truncated)
		return 0;
	return viol(e, POL_WARNING, "input_ports", "",
		    "upstream closure of %s exceeds %u products; checked the nearest %u only", e->ref, limit, limit);
}

/* ------------------------------------------------------------------ rules */

static int check_name(ev *e, const struct pol_rule *r, int kind, const char *what, const char *value,
		      const char *path)
{
	if (!r->u.naming.pattern[kind] || !value || !*value)
		return 0;
	if (regexec(&r->u.naming.re[kind], value, 0, NULL, 0) == 0)
		return 0;
	return viol(e, r->severity, path, "", "%s name '%s' does not match the naming convention '%s'", what, value,
		    r->u.naming.pattern[kind]);
}

static int rule_naming(ev *e, const struct pol_rule *r)
{
	const trib_product *p = e->p;
	int rc;
	if ((rc = check_name(e, r, POL_NAME_PRODUCT, "product", p->name, "name")) ||
	    (rc = check_name(e, r, POL_NAME_DOMAIN, "domain", p->domain, "domain")) ||
	    (rc = check_name(e, r, POL_NAME_TEAM, "team", p->owner, "owner")))
		return rc;
	for (size_t i = 0; i < p->n_output_ports; i++) {
		const Tributary__V1__OutputPort *op = p->output_ports[i];
		char *path = trib_arena_printf(e->a, "output_ports[%zu].name", i);
		if (!path)
			return oom();
		if ((rc = check_name(e, r, POL_NAME_PORT, "port", op->name, path)))
			return rc;
		for (size_t j = 0; j < op->n_fields; j++) {
			if (!(path = trib_arena_printf(e->a, "output_ports[%zu].fields[%zu].name", i, j)))
				return oom();
			if ((rc = check_name(e, r, POL_NAME_FIELD, "field", op->fields[j]->name, path)))
				return rc;
		}
	}
	return 0;
}

static int rule_required(ev *e, const struct pol_rule *r)
{
	const trib_product *p = e->p;
	unsigned m = r->u.required.mask;
	enum pol_severity s = r->severity;
	int rc = 0;
#define REQ(bit, cond, path, ...) \
	if (!rc && (m & (1u << (bit))) && (cond)) \
		rc = viol(e, s, path, "", __VA_ARGS__);
	REQ(POL_REQ_OWNER, blank(p->owner), "owner", "an owner team is required")
	REQ(POL_REQ_DESCRIPTION, blank(p->description), "description", "a description is required")
	REQ(POL_REQ_VERSION, blank(p->version), "version", "a version is required")
	REQ(POL_REQ_OUTPUT_PORT, p->n_output_ports == 0, "output_ports", "at least one output port is required")
	int ports_sla = p->n_output_ports > 0;
	for (size_t i = 0; i < p->n_output_ports; i++)
		ports_sla &= sla_stated(p->output_ports[i]->sla);
	REQ(POL_REQ_SLA, !sla_stated(p->sla) && !ports_sla, "sla",
	    "an SLA is required (on the product, or on every output port)")
	REQ(POL_REQ_CLASSIFICATION, klass(p) == 0, "governance.data_classification",
	    "a data classification is required")
	REQ(POL_REQ_RETENTION, retention(p) <= 0, "governance.retention_days", "a retention period is required")
	REQ(POL_REQ_TAGS, p->n_tags == 0, "tags", "at least one tag is required")
	REQ(POL_REQ_QUALITY_CHECKS, p->n_quality_checks == 0, "quality_checks", "at least one quality check is required")
	REQ(POL_REQ_GLOSSARY_TERMS, p->n_glossary_terms == 0, "glossary_terms", "at least one glossary term is required")
#undef REQ
	if (!rc && (m & (1u << POL_REQ_PORT_SCHEMA)))
		for (size_t i = 0; i < p->n_output_ports && !rc; i++) {
			const Tributary__V1__OutputPort *op = p->output_ports[i];
			if (op->n_fields == 0 && blank(op->schema_ref)) {
				char *path = trib_arena_printf(e->a, "output_ports[%zu].fields", i);
				rc = path ? viol(e, s, path, "", "output port '%s' needs a schema", S(op->name)) : oom();
			}
		}
	return rc;
}

static int rule_pii(ev *e, const struct pol_rule *r)
{
	const trib_product *p = e->p;
	if (!p->governance || p->governance->n_pii_fields == 0 || klass(p) >= r->u.pii.min_class)
		return 0;
	return viol(e, r->severity, "governance.data_classification", "",
		    "declares PII fields (%s%s) but is classified %s; products with PII must be %s or above",
		    p->governance->pii_fields[0], p->governance->n_pii_fields > 1 ? ", ..." : "",
		    pol_class_name(klass(p)), pol_class_name(r->u.pii.min_class));
}

static int rule_retention(ev *e, const struct pol_rule *r)
{
	int c = klass(e->p), d = retention(e->p);
	const char *path = "governance.retention_days";
	if (d <= 0)
		return r->u.retention.require_stated ? viol(e, r->severity, path, "", "a retention period must be stated")
						     : 0;
	int mn = r->u.retention.min_days[c], mx = r->u.retention.max_days[c];
	if (mn >= 0 && d < mn)
		return viol(e, r->severity, path, "", "retention of %d days is below the minimum of %d days for %s data",
			    d, mn, pol_class_name(c));
	if (mx >= 0 && d > mx)
		return viol(e, r->severity, path, "", "retention of %d days is above the maximum of %d days for %s data",
			    d, mx, pol_class_name(c));
	return 0;
}

/* Field names related by nesting: "a" and "a.b" (either way) or equal. */
static int field_covers(const char *outer, const char *inner)
{
	size_t n = strlen(outer);
	return !strncmp(outer, inner, n) && (inner[n] == 0 || inner[n] == '.');
}

static int field_related(const char *a, const char *b)
{
	return field_covers(a, b) || field_covers(b, a);
}

static int pii_declared(const trib_product *p, const char *field)
{
	if (!p->governance)
		return 0;
	for (size_t i = 0; i < p->governance->n_pii_fields; i++)
		if (field_covers(p->governance->pii_fields[i], field))
			return 1;
	return 0;
}

/* PII declared by a direct upstream reaches this product through the fields
 * it reads: mapped outputs take it on, unmapped reads pass it through under
 * the same name. Upstreams are checked against their own upstreams when they
 * register, so direct inputs are enough for a compliant mesh. */
static int pii_reaching(ev *e, const struct pol_rule *r)
{
	const trib_product *p = e->p;
	int rc;
	for (size_t i = 0; i < p->n_input_ports; i++) {
		const Tributary__V1__InputPort *ip = p->input_ports[i];
		uint64_t uid;
		trib_product *u;
		if (!reads_product(ip) || graph_resolve(&uid, e->t, ip->source)) {
			trib_error_clear();
			continue;
		}
		if ((rc = graph_product_get(&u, e->t, e->a, uid, 0)))
			return rc == TRIB_ENOTFOUND ? 0 : rc;
		if (u->placeholder || !u->governance)
			continue;
		const char *uref = trib_arena_printf(e->a, "%s/%s", S(u->domain), S(u->name));
		if (!uref)
			return oom();
		for (size_t k = 0; k < u->governance->n_pii_fields; k++) {
			const char *f = u->governance->pii_fields[k];
			const char *read = NULL;
			if (ip->n_fields == 0)
				read = f;
			for (size_t j = 0; j < ip->n_fields && !read; j++)
				if (field_related(ip->fields[j], f))
					read = strlen(ip->fields[j]) > strlen(f) ? ip->fields[j] : f;
			int mapped = 0;
			for (size_t m = 0; m < ip->n_mappings; m++) {
				const Tributary__V1__FieldMapping *fm = ip->mappings[m];
				int uses = 0;
				for (size_t j = 0; j < fm->n_inputs; j++)
					uses |= field_related(fm->inputs[j], f);
				if (!uses || blank(fm->output))
					continue;
				mapped = 1;
				if (!pii_declared(p, fm->output) &&
				    (rc = viol(e, r->severity, "governance.pii_fields", trib_arena_printf(e->a, "%s#%s", uref, f),
					       "PII field %s#%s reaches %s#%s (mapped) but %s does not declare '%s' in "
					       "governance.pii_fields",
					       uref, f, e->ref, fm->output, e->ref, fm->output)))
					return rc;
			}
			if (read && !mapped && !pii_declared(p, read) &&
			    (rc = viol(e, r->severity, "governance.pii_fields", trib_arena_printf(e->a, "%s#%s", uref, f),
				       "PII field %s#%s reaches %s (input_ports[%zu] reads it) but %s does not declare "
				       "'%s' in governance.pii_fields",
				       uref, f, e->ref, i, e->ref, read)))
				return rc;
		}
	}
	return 0;
}

static int rule_composition(ev *e, const struct pol_rule *r)
{
	const trib_product *p = e->p;
	unsigned checks = r->u.composition.checks;
	int rc = upstream_closure(e, r->u.composition.max_upstream);
	if (rc)
		return rc;
	const struct upstream *maxc = NULL, *minr = NULL, *eras = NULL;
	size_t nabove = 0, nbelow = 0, neras = 0;
	for (size_t i = 0; i < e->nup; i++) {
		const trib_product *u = e->up[i].rec;
		if (!u)
			continue;
		/* Strict comparisons keep the nearest upstream on ties (BFS order). */
		if (klass(u) > klass(p)) {
			nabove++;
			if (!maxc || klass(u) > klass(maxc->rec))
				maxc = &e->up[i];
		}
		if (retention(u) > 0 && (retention(p) <= 0 || retention(u) < retention(p))) {
			nbelow++;
			if (!minr || retention(u) < retention(minr->rec))
				minr = &e->up[i];
		}
		if (u->governance && u->governance->gdpr_subject_to_erasure) {
			neras++;
			if (!eras)
				eras = &e->up[i];
		}
	}
	if ((rc = truncation_warning(e, r->u.composition.max_upstream)))
		return rc;
	if ((checks & (1u << POL_COMP_CLASSIFICATION)) && maxc &&
	    (rc = viol(e, r->severity, "governance.data_classification", maxc->ref,
		       "classified %s but upstream %s is %s; a derived product must be at least as restricted as its "
		       "upstreams (%zu upstream%s above)",
		       pol_class_name(klass(p)), maxc->ref, pol_class_name(klass(maxc->rec)), nabove, nabove == 1 ? "" : "s")))
		return rc;
	if ((checks & (1u << POL_COMP_RETENTION)) && minr) {
		if (retention(p) <= 0)
			rc = viol(e, r->severity, "governance.retention_days", minr->ref,
				  "retention not stated but upstream %s keeps data at most %d days", minr->ref,
				  retention(minr->rec));
		else
			rc = viol(e, r->severity, "governance.retention_days", minr->ref,
				  "retention of %d days exceeds the %d days of upstream %s (%zu upstream%s shorter)", retention(p),
				  retention(minr->rec), minr->ref, nbelow, nbelow == 1 ? "" : "s");
		if (rc)
			return rc;
	}
	if ((checks & (1u << POL_COMP_ERASURE)) && eras && !(p->governance && p->governance->gdpr_subject_to_erasure) &&
	    (rc = viol(e, r->severity, "governance.gdpr_subject_to_erasure", eras->ref,
		       "upstream %s is subject to erasure, so %s must be too (%zu upstream%s subject to erasure)",
		       eras->ref, e->ref, neras, neras == 1 ? "" : "s")))
		return rc;
	if (checks & (1u << POL_COMP_PII))
		return pii_reaching(e, r);
	return 0;
}

static int rule_freshness(ev *e, const struct pol_rule *r)
{
	const char *path = NULL;
	int64_t mine = freshness(e->p, &path, e->a);
	if (mine <= 0)
		return 0;
	int rc = upstream_closure(e, r->u.freshness.max_upstream);
	if (rc)
		return rc;
	const struct upstream *slow = NULL;
	int64_t slowest = 0;
	size_t nslow = 0;
	for (size_t i = 0; i < e->nup; i++) {
		if (!e->up[i].rec)
			continue;
		int64_t f = freshness(e->up[i].rec, NULL, e->a);
		if (f > mine + r->u.freshness.slack_seconds) {
			nslow++;
			if (f > slowest) {
				slowest = f;
				slow = &e->up[i];
			}
		}
	}
	if ((rc = truncation_warning(e, r->u.freshness.max_upstream)))
		return rc;
	if (!slow)
		return 0;
	return viol(e, r->severity, path, slow->ref,
		    "freshness of %llds is infeasible: upstream %s is only fresh to %llds (%zu upstream%s slower)",
		    (long long)mine, slow->ref, (long long)slowest, nslow, nslow == 1 ? "" : "s");
}

/* ---------------------------------------------------------- schema change */

struct semver {
	long major, minor, patch;
};

static int semver_parse(struct semver *v, const char *s)
{
	if (!s)
		return -1;
	if (*s == 'v' || *s == 'V')
		s++;
	char *end;
	long *parts[3] = {&v->major, &v->minor, &v->patch};
	for (int i = 0; i < 3; i++) {
		if (*s < '0' || *s > '9')
			return -1;
		*parts[i] = strtol(s, &end, 10);
		s = end;
		if (i < 2 && *s++ != '.')
			return -1;
	}
	return *s == 0 || *s == '-' || *s == '+' ? 0 : -1;
}

/* Avro's promotions: a reader of the old type reads the new one unchanged. */
static int type_widens(const char *from, const char *to)
{
	static const char *const ok[][2] = {
		{"int", "long"},    {"int", "float"},   {"int", "double"}, {"long", "float"},
		{"long", "double"}, {"float", "double"}, {"string", "bytes"}, {"bytes", "string"},
	};
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
		if (!strcmp(ok[i][0], from) && !strcmp(ok[i][1], to))
			return 1;
	return 0;
}

static const Tributary__V1__OutputPort *find_port(const trib_product *p, const char *name)
{
	for (size_t i = 0; i < p->n_output_ports; i++)
		if (!strcmp(S(p->output_ports[i]->name), S(name)))
			return p->output_ports[i];
	return NULL;
}

static const Tributary__V1__Field *find_field(const Tributary__V1__OutputPort *op, const char *name)
{
	for (size_t i = 0; i < op->n_fields; i++)
		if (!strcmp(S(op->fields[i]->name), S(name)))
			return op->fields[i];
	return NULL;
}

/* Breaking changes between two revisions, as CheckSchemaChange classes them:
 * field removed, type changed (not a widening), nullability tightened; plus,
 * by parameter, a removed output port and a field added without a default. */
static void breaking_changes(FILE *f, size_t *count, const struct pol_rule *r, const trib_product *old,
			     const trib_product *neu)
{
	for (size_t i = 0; i < old->n_output_ports; i++) {
		const Tributary__V1__OutputPort *op = old->output_ports[i], *np = find_port(neu, op->name);
		if (!np) {
			if (r->u.breaking.port_removal_breaks && (*count)++ < 5)
				fprintf(f, "%soutput port '%s' removed", *count > 1 ? "; " : "", S(op->name));
			continue;
		}
		if (op->n_fields == 0 || np->n_fields == 0)
			continue; /* schema known only by reference on one side: nothing to compare */
		for (size_t j = 0; j < op->n_fields; j++) {
			const Tributary__V1__Field *of = op->fields[j], *nf = find_field(np, of->name);
			const char *why = NULL;
			char buf[300];
			if (!nf)
				why = "removed";
			else if (strcmp(S(of->type), S(nf->type)) && !type_widens(S(of->type), S(nf->type))) {
				snprintf(buf, sizeof buf, "type changed %s -> %s", S(of->type), S(nf->type));
				why = buf;
			} else if (of->nullable && !nf->nullable)
				why = "made non-nullable";
			if (why && (*count)++ < 5)
				fprintf(f, "%s%s#%s %s", *count > 1 ? "; " : "", S(op->name), S(of->name), why);
		}
		if (r->u.breaking.added_without_default_breaks)
			for (size_t j = 0; j < np->n_fields; j++) {
				const Tributary__V1__Field *nf = np->fields[j];
				if (!find_field(op, nf->name) && !nf->has_default && (*count)++ < 5)
					fprintf(f, "%s%s#%s added without a default", *count > 1 ? "; " : "", S(op->name),
						S(nf->name));
			}
	}
}

static int rule_breaking(ev *e, const struct pol_rule *r)
{
	if (!e->prev || e->prev->placeholder)
		return 0;
	char *desc = NULL;
	size_t len = 0, count = 0;
	FILE *f = open_memstream(&desc, &len);
	if (!f)
		return oom();
	breaking_changes(f, &count, r, e->prev, e->p);
	if (count > 5)
		fprintf(f, "; and %zu more", count - 5);
	fclose(f);
	int rc = 0;
	if (count) {
		struct semver o, n;
		const char *ov = S(e->prev->version), *nv = S(e->p->version);
		if (semver_parse(&o, ov) || semver_parse(&n, nv))
			rc = viol(e, r->severity, "version", "",
				  "breaking schema change (%s) needs a major version bump, but the versions '%s' -> '%s' are "
				  "not both semver",
				  desc, ov, nv);
		else if (!(n.major > o.major ||
			   (r->u.breaking.zero_major_minor_bump && o.major == 0 && n.major == 0 && n.minor > o.minor)))
			rc = viol(e, r->severity, "version", "",
				  "breaking schema change (%s) needs a major version bump: %s -> %s", desc, ov, nv);
	}
	free(desc);
	return rc;
}

/* ---------------------------------------------------------------- lifecycle */

/* A placeholder that once had a registered revision, or whose last audit
 * entry is a delete, is what is left of a deleted product; one that never
 * had either is only an upstream registered later (order is arbitrary). */
static int was_deleted(int *out, ev *e, uint64_t id)
{
	trib_product **revs;
	trib_audit **audit;
	size_t nrevs = 0, naudit = 0;
	int rc = graph_history(&revs, &nrevs, &audit, &naudit, e->t, e->a, id, 1);
	if (rc == TRIB_ENOTFOUND) {
		trib_error_clear();
		*out = 0;
		return 0;
	}
	if (rc)
		return rc;
	*out = 0;
	for (size_t i = 0; i < nrevs; i++)
		*out |= !revs[i]->placeholder;
	for (size_t i = 0; i < naudit; i++)
		*out |= !strcmp(S(audit[i]->action), "delete");
	return 0;
}

static int rule_lifecycle(ev *e, const struct pol_rule *r)
{
	const trib_product *p = e->p;
	int rc;
	for (size_t i = 0; i < p->n_input_ports; i++) {
		const Tributary__V1__InputPort *ip = p->input_ports[i];
		uint64_t uid;
		graph_node nd;
		if (!reads_product(ip) || graph_resolve(&uid, e->t, ip->source)) {
			trib_error_clear();
			continue;
		}
		if ((rc = graph_node_get(&nd, e->t, e->a, uid)))
			return rc;
		if (nd.kind != TRIB_KIND_PRODUCT)
			continue;
		char *path = trib_arena_printf(e->a, "input_ports[%zu].source", i);
		if (!path)
			return oom();
		if (nd.placeholder) {
			int deleted;
			if ((rc = was_deleted(&deleted, e, uid)))
				return rc;
			rc = deleted ? viol(e, r->u.lifecycle.deleted, path, nd.ref, "reads %s, which has been deleted", nd.ref)
				     : viol(e, r->u.lifecycle.unregistered, path, nd.ref,
					    "reads %s, which is not registered", nd.ref);
		} else if (nd.deprecated) {
			trib_product *u;
			if ((rc = graph_product_get(&u, e->t, e->a, uid, 0)))
				return rc;
			const Tributary__V1__Deprecation *d = u->deprecation;
			rc = viol(e, r->u.lifecycle.deprecated, path, nd.ref, "reads deprecated product %s%s%s%s%s", nd.ref,
				  d && !blank(d->note) ? ": " : "", d && !blank(d->note) ? d->note : "",
				  d && !blank(d->replacement) ? "; use " : "", d && !blank(d->replacement) ? d->replacement : "");
		}
		if (rc)
			return rc;
	}
	return 0;
}

static int rule_owner(ev *e, const struct pol_rule *r)
{
	const trib_product *p = e->p;
	trib_domain *d;
	int rc = graph_domain_get(&d, e->t, e->a, S(p->domain));
	if (rc == TRIB_ENOTFOUND) {
		trib_error_clear();
		return r->u.owner.require_domain
			       ? viol(e, r->severity, "domain", "", "domain '%s' is not in the domain map", S(p->domain))
			       : 0;
	}
	if (rc)
		return rc;
	if (blank(d->owner_team) || !strcmp(d->owner_team, S(p->owner)))
		return 0;
	for (size_t i = 0; i < r->u.owner.nalso; i++)
		if (!strcmp(r->u.owner.also[i].domain, S(p->domain)))
			for (size_t j = 0; j < r->u.owner.also[i].nteams; j++)
				if (!strcmp(r->u.owner.also[i].teams[j], S(p->owner)))
					return 0;
	return viol(e, r->severity, "owner", "", "owner team '%s' is not the owner of domain '%s' ('%s') nor listed for it",
		    S(p->owner), S(p->domain), d->owner_team);
}

/* ----------------------------------------------------------------- driver */

static int applies(const struct pol_rule *r, const trib_product *p, const char *ref)
{
	const char *dom = S(p->domain);
	if (r->ndomains && !has_str((char **)r->domains, r->ndomains, dom))
		return 0;
	for (size_t i = 0; i < r->nexceptions; i++)
		if (!strcmp(r->exceptions[i].ref, r->exceptions[i].is_domain ? dom : ref))
			return 0;
	return 1;
}

static int item_cmp(const void *a, const void *b)
{
	const struct item *x = a, *y = b;
	if (x->sev != y->sev)
		return x->sev > y->sev ? -1 : 1;
	if (x->rule != y->rule)
		return x->rule < y->rule ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

int pol_evaluate(pol_result *out, const pol_policy *pol, graph_txn *t, trib_arena *a, uint64_t id,
		 const trib_product *p, const trib_product *previous)
{
	static int (*const fns[POL_TYPE_COUNT])(ev *, const struct pol_rule *) = {
		rule_naming, rule_required, rule_pii, rule_retention, rule_composition,
		rule_freshness, rule_breaking, rule_lifecycle, rule_owner,
	};
	memset(out, 0, sizeof *out);
	ev e = {.pol = pol, .t = t, .a = a, .id = id, .p = p, .prev = previous};
	e.ref = trib_arena_printf(a, "%s/%s", S(p->domain), S(p->name));
	if (!e.ref)
		return oom();
	for (size_t i = 0; i < pol->nrules; i++) {
		const struct pol_rule *r = &pol->rules[i];
		if (!applies(r, p, e.ref))
			continue;
		e.rule = i;
		int rc = fns[r->type](&e, r);
		if (rc)
			return rc;
	}
	if (e.n)
		qsort(e.items, e.n, sizeof *e.items, item_cmp);
	out->items = trib_arena_calloc(a, e.n ? e.n : 1, sizeof *out->items);
	if (!out->items)
		return oom();
	for (size_t i = 0; i < e.n; i++) {
		out->items[i] = e.items[i].v;
		out->nerrors += e.items[i].sev == POL_ERROR;
	}
	out->count = e.n;
	return 0;
}

/* The newest registered revision other than `current`, or NULL. */
static int previous_revision(trib_product **out, graph_txn *t, trib_arena *a, uint64_t id, uint64_t current)
{
	trib_product **revs;
	trib_audit **audit;
	size_t nrevs = 0, naudit = 0;
	*out = NULL;
	int rc = graph_history(&revs, &nrevs, &audit, &naudit, t, a, id, 2);
	if (rc)
		return rc;
	for (size_t i = 0; i < nrevs && !*out; i++)
		if (revs[i]->revision != current && !revs[i]->placeholder)
			*out = revs[i];
	return 0;
}

int pol_evaluate_put(pol_result *out, const pol_policy *pol, graph_txn *t, trib_arena *a, const graph_put_result *put)
{
	trib_product *prev;
	int rc = previous_revision(&prev, t, a, put->id, put->revision);
	if (rc)
		return rc;
	return pol_evaluate(out, pol, t, a, put->id, put->stored, prev);
}

int pol_evaluate_stored(pol_result *out, const pol_policy *pol, graph_txn *t, trib_arena *a, uint64_t id)
{
	trib_product *cur, *prev;
	memset(out, 0, sizeof *out);
	int rc = graph_product_get(&cur, t, a, id, 0);
	if (rc)
		return rc;
	if (cur->placeholder)
		return 0;
	if ((rc = previous_revision(&prev, t, a, id, cur->revision)))
		return rc;
	return pol_evaluate(out, pol, t, a, id, cur, prev);
}

int pol_refusal(const pol_result *r, const trib_product *p)
{
	char *msg = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&msg, &len);
	if (!f)
		return oom();
	fprintf(f, "policy refused %s/%s: %zu violation%s", S(p->domain), S(p->name), r->nerrors,
		r->nerrors == 1 ? "" : "s");
	size_t i;
	for (i = 0; i < r->nerrors; i++) {
		const trib_violation *v = r->items[i];
		long before = ftell(f);
		fprintf(f, "%s [%s] %s", i ? ";" : ":", v->rule_id, v->message);
		if (!blank(v->field_path))
			fprintf(f, " (%s)", v->field_path);
		if (ftell(f) > REFUSAL_MAX && i > 0) {
			fseek(f, before, SEEK_SET);
			break;
		}
	}
	if (i < r->nerrors)
		fprintf(f, "; and %zu more", r->nerrors - i);
	fclose(f);
	/* fseek back leaves the tail in the buffer: cut at the stream's length. */
	int rc = trib_error_set(TRIB_EPOLICY, "%.*s", (int)len, msg);
	free(msg);
	return rc;
}

static trib_violation *copy_violation(trib_arena *a, const trib_violation *v)
{
	trib_violation *c = trib_arena_alloc(a, sizeof *c);
	if (!c)
		return NULL;
	tributary__v1__violation__init(c);
	c->rule_id = trib_arena_strdup(a, v->rule_id);
	c->message = trib_arena_strdup(a, v->message);
	c->field_path = trib_arena_strdup(a, v->field_path);
	c->upstream_ref = trib_arena_strdup(a, v->upstream_ref);
	c->severity = trib_arena_strdup(a, v->severity);
	return c->rule_id && c->message && c->field_path && c->upstream_ref && c->severity ? c : NULL;
}

#define AUDIT_PAGE 256

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int pol_audit(Tributary__V1__PolicyAuditReport **out, const pol_policy *pol, graph_txn *t, trib_arena *a,
	      const char *domain, int64_t deadline_ms)
{
	Tributary__V1__PolicyAuditReport *rep = trib_arena_alloc(a, sizeof *rep);
	if (!rep)
		return oom();
	tributary__v1__policy_audit_report__init(rep);
	size_t cap = 0;
	trib_arena scratch;
	trib_arena_init(&scratch, 64 * 1024);
	graph_list_opts lo = GRAPH_LIST_OPTS_INIT;
	lo.domain = domain && *domain ? domain : NULL;
	lo.limit = AUDIT_PAGE;
	int rc = 0;
	for (;;) {
		graph_product_page page;
		trib_arena_clear(&scratch);
		if ((rc = graph_product_list(&page, t, &scratch, &lo)))
			break;
		for (size_t i = 0; i < page.count && !rc; i++) {
			trib_product *p = page.items[i];
			if (p->placeholder)
				continue;
			if (deadline_ms && mono_ms() > deadline_ms) {
				rc = trib_error_set(TRIB_ELIMIT, "deadline exceeded after auditing %u products",
						    rep->products_checked);
				break;
			}
			pol_result res;
			if ((rc = pol_evaluate_stored(&res, pol, t, &scratch, page.ids[i])))
				break;
			rep->products_checked++;
			if (!res.count)
				continue;
			if (rep->n_non_compliant == cap) {
				size_t nc = cap ? cap * 2 : 16;
				void *nv = trib_arena_realloc(a, rep->non_compliant, cap * sizeof *rep->non_compliant,
							      nc * sizeof *rep->non_compliant);
				if (!nv) {
					rc = oom();
					break;
				}
				rep->non_compliant = nv;
				cap = nc;
			}
			Tributary__V1__ProductViolations *pv = trib_arena_alloc(a, sizeof *pv);
			if (!pv) {
				rc = oom();
				break;
			}
			tributary__v1__product_violations__init(pv);
			pv->violations = trib_arena_calloc(a, res.count, sizeof *pv->violations);
			pv->ref = trib_arena_printf(a, "%s/%s", S(p->domain), S(p->name));
			pv->owner = trib_arena_strdup(a, S(p->owner));
			if (!pv->violations || !pv->ref || !pv->owner) {
				rc = oom();
				break;
			}
			for (size_t j = 0; j < res.count; j++)
				if (!(pv->violations[j] = copy_violation(a, res.items[j]))) {
					rc = oom();
					break;
				}
			pv->n_violations = res.count;
			rep->non_compliant[rep->n_non_compliant++] = pv;
		}
		if (rc || !page.next_after)
			break;
		lo.after_id = page.next_after;
	}
	trib_arena_dispose(&scratch);
	if (!rc)
		*out = rep;
	return rc;
}
