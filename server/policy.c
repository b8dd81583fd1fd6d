/* Policy evaluation: one product against every rule, and the audit of a store. */
#include "policy_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tributary/error.h"
#include "tributary/lineage.h"

/* A refusal travels as the error slot's message (1 KiB) and then as a gRPC
 * status message in HTTP/2 trailers: keep it below both, and say how many
 * were left out (a dry run's response lists them all). */
#define REFUSAL_MAX 4000 /* status messages travel in HTTP/2 trailers (8 KiB by default) */

struct item {
	trib_violation *v;
	enum pol_severity sev;
	size_t rule;
	size_t seq;
};

/* Working memory of one product's evaluation when the caller's arena sets no
 * limit (tests, tools); tributaryd's calls give theirs. */
#define EVAL_MEMORY_MAX (256u * 1024u * 1024u)

typedef struct ev {
	const pol_policy *pol;
	graph_txn *t;
	trib_arena *a;   /* the caller's: the violations, which are the verdict */
	trib_arena *mem; /* everything else (provenance, histories, diffs): freed on return */
	uint64_t id;
	const trib_product *p;
	const trib_product *prev;
	const char *ref;
	size_t rule; /* index of the rule being evaluated */
	struct item *items;
	size_t n, cap;
	/* Provenance, computed once per node limit (composition and freshness share it). */
	graph_provenance_report prov;
	int prov_rc;
	const char *prov_why; /* message of a TRIB_ELIMIT */
	unsigned prov_limit;  /* 0 = not computed */
} ev;

/* An arena that refused memory has said why (its limit, or malloc failing):
 * keep that, so a memory limit stays TRIB_ELIMIT (one product's verdict in a
 * stream) rather than becoming an ENOMEM that ends the stream. */
static int oom(void)
{
	int rc = trib_error_last_code();
	if (rc == TRIB_ELIMIT || rc == TRIB_ENOMEM)
		return rc;
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
		struct item *ni = trib_arena_realloc(e->mem, e->items, e->cap * sizeof *ni, nc * sizeof *ni);
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

/* ---------------------------------------------------------------- upstream */

/* The lineage engine's provenance of the product as just stored: the same
 * composed constraints the Provenance RPC reports. A closure larger than the
 * rule's limit is not checked, and says so with a warning (never silently). */
static int provenance(const graph_provenance_report **out, ev *e, const struct pol_rule *r, unsigned limit)
{
	*out = NULL;
	if (e->prov_limit != limit) {
		graph_provenance_opts po = GRAPH_PROVENANCE_OPTS_INIT;
		po.max_nodes = limit;
		e->prov_rc = graph_lineage_provenance(&e->prov, e->t, e->mem, e->id, &po);
		e->prov_limit = limit;
		/* Only the closure's size makes "not checked"; running out of
		 * working memory is an error for this product. */
		if (e->prov_rc == TRIB_ELIMIT && !e->mem->refused) {
			if (!(e->prov_why = trib_arena_strdup(e->mem, trib_error_last())))
				return oom();
			trib_error_clear();
		}
	}
	if (e->prov_rc == TRIB_ELIMIT && e->prov_why)
		return viol(e, POL_WARNING, "input_ports", "", "%s not checked (params.max_upstream is %u): %s",
			    pol_type_name(r->type), limit, e->prov_why);
	if (e->prov_rc)
		return e->prov_rc;
	*out = &e->prov;
	return 0;
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
		char *path = trib_arena_printf(e->mem, "output_ports[%zu].name", i);
		if (!path)
			return oom();
		if ((rc = check_name(e, r, POL_NAME_PORT, "port", op->name, path)))
			return rc;
		for (size_t j = 0; j < op->n_fields; j++) {
			if (!(path = trib_arena_printf(e->mem, "output_ports[%zu].fields[%zu].name", i, j)))
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
				char *path = trib_arena_printf(e->mem, "output_ports[%zu].fields", i);
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

static int rule_composition(ev *e, const struct pol_rule *r)
{
	static const struct {
		graph_lineage_rule rule;
		enum pol_comp_check check;
	} map[] = {
		{GRAPH_RULE_CLASSIFICATION, POL_COMP_CLASSIFICATION},
		{GRAPH_RULE_RETENTION, POL_COMP_RETENTION},
		{GRAPH_RULE_PII_UNDECLARED, POL_COMP_PII},
		{GRAPH_RULE_ERASURE, POL_COMP_ERASURE},
	};
	const graph_provenance_report *pr;
	int rc = provenance(&pr, e, r, r->u.composition.max_upstream);
	for (size_t i = 0; !rc && pr && i < pr->nviolations; i++) {
		const graph_violation *v = &pr->violations[i];
		for (size_t k = 0; k < sizeof map / sizeof map[0]; k++)
			if (map[k].rule == v->rule && (r->u.composition.checks & (1u << map[k].check)))
				rc = viol(e, r->severity, v->field_path, v->upstream_ref, "%s", v->message);
	}
	return rc;
}

/* Where the product states the freshness it promises: its SLA, else its strictest port. */
static const char *freshness_path(ev *e, int64_t secs)
{
	if (e->p->sla && e->p->sla->freshness_seconds > 0)
		return "sla.freshness";
	for (size_t i = 0; i < e->p->n_output_ports; i++) {
		const Tributary__V1__Sla *s = e->p->output_ports[i]->sla;
		if (s && s->freshness_seconds == secs)
			return trib_arena_printf(e->mem, "output_ports[%zu].sla.freshness", i);
	}
	return "sla.freshness";
}

/* From the provenance's freshness chain (root first), so the slack applies. */
static int rule_freshness(ev *e, const struct pol_rule *r)
{
	const graph_provenance_report *pr;
	int rc = provenance(&pr, e, r, r->u.freshness.max_upstream);
	if (rc || !pr || pr->nfreshness == 0 || pr->freshness[0].freshness_seconds <= 0)
		return rc;
	const graph_freshness_link *own = &pr->freshness[0];
	const char *path = freshness_path(e, own->freshness_seconds);
	if (!path)
		return oom();
	for (size_t i = 1; !rc && i < pr->nfreshness; i++) {
		const graph_freshness_link *u = &pr->freshness[i];
		if (u->freshness_seconds > own->freshness_seconds + r->u.freshness.slack_seconds)
			rc = viol(e, r->severity, path, u->ref,
				  "%s promises data within %llds but upstream %s is only fresh within %llds", e->ref,
				  (long long)own->freshness_seconds, u->ref, (long long)u->freshness_seconds);
	}
	return rc;
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

static long find_port(const trib_product *p, const char *name)
{
	for (size_t i = 0; i < p->n_output_ports; i++)
		if (!strcmp(S(p->output_ports[i]->name), S(name)))
			return (long)i;
	return -1;
}

static void describe_change(FILE *f, size_t *count, const char *port, const graph_schema_change *c)
{
	if ((*count)++ >= 5)
		return;
	fprintf(f, "%s%s#%s ", *count > 1 ? "; " : "", port, c->field);
	switch (c->kind) {
	case GRAPH_CHANGE_FIELD_REMOVED:
		fputs("removed", f);
		break;
	case GRAPH_CHANGE_TYPE_CHANGED:
		fprintf(f, "type changed %s -> %s", c->old_type, c->new_type);
		break;
	case GRAPH_CHANGE_NULLABILITY_TIGHTENED:
		fputs("made non-nullable", f);
		break;
	case GRAPH_CHANGE_FIELD_ADDED_WITHOUT_DEFAULT:
		fputs("added without a default", f);
		break;
	default:
		fputs(c->description, f);
		break;
	}
}

/* Breaking changes between two revisions, port by port, classified by the
 * lineage engine's schema diff (the one CheckSchemaChange uses); a removed
 * output port counts too, and by parameter a field added without a default
 * may be let through. */
static int breaking_changes(ev *e, FILE *f, size_t *count, const struct pol_rule *r)
{
	const trib_product *old = e->prev, *neu = e->p;
	for (size_t i = 0; i < old->n_output_ports; i++) {
		const Tributary__V1__OutputPort *op = old->output_ports[i];
		long at = find_port(neu, op->name);
		if (at < 0) {
			if (r->u.breaking.port_removal_breaks && (*count)++ < 5)
				fprintf(f, "%soutput port '%s' removed", *count > 1 ? "; " : "", S(op->name));
			continue;
		}
		const Tributary__V1__OutputPort *np = neu->output_ports[at];
		if (op->n_fields == 0 || np->n_fields == 0)
			continue; /* schema known only by reference on one side: nothing to compare */
		graph_schema_change *ch;
		size_t n;
		int rc = graph_lineage_schema_diff(&ch, &n, e->mem, (const trib_field *const *)op->fields, op->n_fields,
						   (const trib_field *const *)np->fields, np->n_fields);
		if (rc == TRIB_EINVALID) {
			char *path = trib_arena_printf(e->mem, "output_ports[%ld].fields", at);
			rc = viol(e, POL_WARNING, path, "", "schema of output port '%s' not compared with revision %llu: %s",
				  S(op->name), (unsigned long long)old->revision, trib_error_last());
			trib_error_clear();
		}
		if (rc)
			return rc;
		for (size_t j = 0; j < n; j++)
			if (ch[j].breaking &&
			    (ch[j].kind != GRAPH_CHANGE_FIELD_ADDED_WITHOUT_DEFAULT || r->u.breaking.added_without_default_breaks))
				describe_change(f, count, S(op->name), &ch[j]);
	}
	return 0;
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
	int rc = breaking_changes(e, f, &count, r);
	if (count > 5)
		fprintf(f, "; and %zu more", count - 5);
	fclose(f);
	if (!rc && count) {
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
	int rc = graph_history(&revs, &nrevs, &audit, &naudit, e->t, e->mem, id, 1);
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
		if ((rc = graph_node_get(&nd, e->t, e->mem, uid)))
			return rc;
		if (nd.kind != TRIB_KIND_PRODUCT)
			continue;
		char *path = trib_arena_printf(e->mem, "input_ports[%zu].source", i);
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
			if ((rc = graph_product_get(&u, e->t, e->mem, uid, 0)))
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
	int rc = graph_domain_get(&d, e->t, e->mem, S(p->domain));
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

static int evaluate(pol_result *out, const pol_policy *pol, graph_txn *t, trib_arena *a, trib_arena *mem,
		    uint64_t id, const trib_product *p, const trib_product *previous)
{
	static int (*const fns[POL_TYPE_COUNT])(ev *, const struct pol_rule *) = {
		rule_naming, rule_required, rule_pii, rule_retention, rule_composition,
		rule_freshness, rule_breaking, rule_lifecycle, rule_owner,
	};
	ev e = {.pol = pol, .t = t, .a = a, .mem = mem, .id = id, .p = p, .prev = previous};
	e.ref = trib_arena_printf(mem, "%s/%s", S(p->domain), S(p->name));
	if (!e.ref)
		return oom();
	for (size_t i = 0; i < pol->nrules; i++) {
		const struct pol_rule *r = &pol->rules[i];
		if (!applies(r, p, e.ref))
			continue;
		e.rule = i;
		int rc = fns[r->type](&e, r);
		if (rc == TRIB_ELIMIT && mem->refused)
			return trib_error_set(TRIB_ELIMIT,
					      "policy rule '%s' needs more than %zu bytes of memory to evaluate %s "
					      "(the limit of one product's evaluation)",
					      r->id, mem->limit, e.ref);
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

/*
 * One product's working memory: its own arena, disposed when its verdict is
 * out, so callers evaluating many products (a RegisterProducts batch, an
 * audit page) hold only verdicts. Provenance takes ~1 KiB per upstream, so a
 * shared arena grew with products x lineage depth and a deep chain ran a
 * stream out of memory; this way it is bounded by one product's closure.
 */
static void mem_init(trib_arena *mem, const trib_arena *a)
{
	trib_arena_init(mem, 0);
	mem->limit = a->limit ? a->limit : EVAL_MEMORY_MAX;
}

int pol_evaluate(pol_result *out, const pol_policy *pol, graph_txn *t, trib_arena *a, uint64_t id,
		 const trib_product *p, const trib_product *previous)
{
	memset(out, 0, sizeof *out);
	trib_arena mem;
	mem_init(&mem, a);
	int rc = evaluate(out, pol, t, a, &mem, id, p, previous);
	trib_arena_dispose(&mem);
	return rc;
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
	memset(out, 0, sizeof *out);
	trib_arena mem;
	mem_init(&mem, a);
	int rc = previous_revision(&prev, t, &mem, put->id, put->revision);
	if (!rc)
		rc = evaluate(out, pol, t, a, &mem, put->id, put->stored, prev);
	trib_arena_dispose(&mem);
	return rc;
}

int pol_evaluate_stored(pol_result *out, const pol_policy *pol, graph_txn *t, trib_arena *a, uint64_t id)
{
	trib_product *cur, *prev;
	memset(out, 0, sizeof *out);
	trib_arena mem;
	mem_init(&mem, a);
	int rc = graph_product_get(&cur, t, &mem, id, 0);
	if (!rc && !cur->placeholder && !(rc = previous_revision(&prev, t, &mem, id, cur->revision)))
		rc = evaluate(out, pol, t, a, &mem, id, cur, prev);
	trib_arena_dispose(&mem);
	return rc;
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

/* The verdict on a product whose evaluation met a limit (its working memory):
 * one error saying so, so the audit names it and goes on with the others. */
static int unevaluated(pol_result *out, trib_arena *a)
{
	memset(out, 0, sizeof *out);
	trib_violation *v = trib_arena_alloc(a, sizeof *v);
	out->items = trib_arena_alloc(a, sizeof *out->items);
	if (!v || !out->items)
		return oom();
	tributary__v1__violation__init(v);
	v->message = trib_arena_printf(a, "not evaluated: %s", trib_error_last());
	if (!v->message)
		return oom();
	v->severity = "error";
	trib_error_clear();
	out->items[0] = v;
	out->count = out->nerrors = 1;
	return 0;
}

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
	scratch.limit = a->limit;
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
			rc = pol_evaluate_stored(&res, pol, t, &scratch, page.ids[i]);
			if (rc == TRIB_ELIMIT && !scratch.refused)
				rc = unevaluated(&res, &scratch);
			if (rc)
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
