/* Human output of catalog and governance replies. */
#include "render.h"

#include <ctype.h>
#include <inttypes.h>
#include <string.h>

#include "table.h"

/* "NodeKind" -> "NODE_KIND_": the prefix protoc style puts on every value. */
static void enum_prefix(char *buf, size_t size, const char *short_name)
{
	size_t n = 0;
	for (const char *p = short_name; *p && n + 3 < size; p++) {
		if (p != short_name && isupper((unsigned char)*p))
			buf[n++] = '_';
		buf[n++] = (char)toupper((unsigned char)*p);
	}
	buf[n++] = '_';
	buf[n] = '\0';
}

const char *trib_enum_word(trib_arena *a, const ProtobufCEnumDescriptor *d, int value)
{
	const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(d, value);
	if (!v)
		return trib_arena_printf(a, "%d", value);
	char prefix[128];
	enum_prefix(prefix, sizeof prefix, d->short_name);
	const char *name = v->name;
	if (strncmp(name, prefix, strlen(prefix)) == 0)
		name += strlen(prefix);
	char *w = trib_arena_strdup(a, name);
	if (!w)
		return "?";
	for (char *p = w; *p; p++)
		*p = *p == '_' ? '-' : (char)tolower((unsigned char)*p);
	return w;
}

int trib_enum_from_word(const ProtobufCEnumDescriptor *d, const char *word)
{
	char prefix[128];
	enum_prefix(prefix, sizeof prefix, d->short_name);
	size_t plen = strlen(prefix);
	for (unsigned i = 0; i < d->n_values; i++) {
		const char *name = d->values[i].name;
		if (strncmp(name, prefix, plen) == 0)
			name += plen;
		size_t k = 0;
		for (; name[k] && word[k]; k++) {
			char c = name[k] == '_' ? '-' : (char)tolower((unsigned char)name[k]);
			char w = word[k] == '_' ? '-' : (char)tolower((unsigned char)word[k]);
			if (c != w)
				break;
		}
		if (!name[k] && !word[k])
			return d->values[i].value;
	}
	return -1;
}

char *trib_product_ref(trib_arena *a, const Tributary__V1__DataProduct *p)
{
	return trib_arena_printf(a, "%s/%s", p->domain, p->name);
}

static void kv(FILE *out, trib_arena *a, const char *key, const char *value)
{
	if (!value || !*value)
		return;
	fprintf(out, "  %-13s %s\n", key, trib_text_clean(a, value));
}

static char *join(trib_arena *a, char **items, size_t n)
{
	return trib_text_join(a, items, n, ", ");
}

static char *sla_text(trib_arena *a, const Tributary__V1__Sla *s)
{
	if (!s)
		return NULL;
	char *parts[3];
	size_t n = 0;
	if (*s->freshness)
		parts[n++] = trib_arena_printf(a, "freshness %s", s->freshness);
	if (*s->uptime)
		parts[n++] = trib_arena_printf(a, "uptime %s", s->uptime);
	if (*s->completeness)
		parts[n++] = trib_arena_printf(a, "completeness %s", s->completeness);
	return n ? join(a, parts, n) : NULL;
}

static char *governance_text(trib_arena *a, const Tributary__V1__ProductGovernance *g)
{
	if (!g)
		return NULL;
	char *parts[5];
	size_t n = 0;
	if (g->data_classification)
		parts[n++] = (char *)trib_enum_word(a, &tributary__v1__classification__descriptor,
						    (int)g->data_classification);
	if (g->n_pii_fields)
		parts[n++] = trib_arena_printf(a, "pii: %s", join(a, g->pii_fields, g->n_pii_fields));
	if (g->retention_days)
		parts[n++] = trib_arena_printf(a, "retention %" PRId32 " days", g->retention_days);
	if (g->gdpr_subject_to_erasure)
		parts[n++] = (char *)"subject to erasure";
	if (*g->access_policy)
		parts[n++] = trib_arena_printf(a, "access: %s", g->access_policy);
	return n ? trib_text_join(a, parts, n, "; ") : NULL;
}

static char *field_text(trib_arena *a, const Tributary__V1__Field *f)
{
	char *s = trib_arena_printf(a, "%s%s", f->type, f->nullable ? ", nullable" : "");
	if (f->has_default)
		s = trib_arena_printf(a, "%s, default %s", s, f->default_value);
	return s;
}

static void render_output_port(FILE *out, trib_arena *a, const Tributary__V1__OutputPort *p)
{
	char *head = trib_arena_printf(a, "%s", p->name);
	const char *type = p->type ? trib_enum_word(a, &tributary__v1__port_type__descriptor, (int)p->type) : "";
	if (*type || *p->format)
		head = trib_arena_printf(a, "%s (%s%s%s)", head, type, *type && *p->format ? ", " : "",
					 p->format);
	fprintf(out, "output port %s\n", trib_text_clean(a, head));
	kv(out, a, "description", p->description);
	kv(out, a, "topic", p->topic);
	kv(out, a, "location", p->location);
	kv(out, a, "partitioning", p->partitioning);
	kv(out, a, "schema", p->schema_ref);
	kv(out, a, "sla", sla_text(a, p->sla));
	if (p->n_fields) {
		fprintf(out, "  fields\n");
		trib_table t;
		trib_table_init(&t, a, 2, "", "");
		t.indent = "    ";
		t.no_header = 1;
		for (size_t i = 0; i < p->n_fields; i++)
			trib_table_row(&t, p->fields[i]->name, field_text(a, p->fields[i]));
		trib_table_print(out, &t, 0);
	}
}

void trib_render_product(FILE *out, trib_arena *a, const Tributary__V1__DataProduct *p)
{
	fprintf(out, "%s\n", trib_text_clean(a, trib_product_ref(a, p)));
	if (p->placeholder)
		fprintf(out, "  %-13s %s\n", "status", "placeholder (referenced, never registered)");
	kv(out, a, "version", p->version);
	kv(out, a, "owner", p->owner);
	kv(out, a, "description", p->description);
	kv(out, a, "tags", join(a, p->tags, p->n_tags));
	kv(out, a, "terms", join(a, p->glossary_terms, p->n_glossary_terms));
	if (p->deprecation && p->deprecation->deprecated) {
		const Tributary__V1__Deprecation *d = p->deprecation;
		char *s = (char *)"deprecated";
		if (*d->replacement)
			s = trib_arena_printf(a, "%s, use %s", s, d->replacement);
		if (*d->note)
			s = trib_arena_printf(a, "%s: %s", s, d->note);
		kv(out, a, "status", s);
	}
	kv(out, a, "sla", sla_text(a, p->sla));
	kv(out, a, "governance", governance_text(a, p->governance));
	if (p->revision) {
		char *s = trib_arena_printf(a, "%" PRIu64 ", registered %s", p->revision,
					    trib_text_time(a, p->registered_at_ms));
		if (*p->registered_by)
			s = trib_arena_printf(a, "%s by %s", s, p->registered_by);
		kv(out, a, "revision", s);
	}
	kv(out, a, "source file", p->source_file);
	for (size_t i = 0; i < p->n_output_ports; i++) {
		fputc('\n', out);
		render_output_port(out, a, p->output_ports[i]);
	}
	if (p->n_input_ports) {
		fputs("\ninput ports\n", out);
		trib_table t;
		trib_table_init(&t, a, 4, "SOURCE", "TYPE", "PORT", "FIELDS");
		t.indent = "  ";
		for (size_t i = 0; i < p->n_input_ports; i++) {
			const Tributary__V1__InputPort *in = p->input_ports[i];
			char *fields = in->n_fields ? join(a, in->fields, in->n_fields) : (char *)"(all)";
			if (in->n_mappings)
				fields = trib_arena_printf(a, "%s; %zu mapping%s", fields, in->n_mappings,
							   in->n_mappings == 1 ? "" : "s");
			trib_table_row(&t, in->source, in->source_type, in->port,
				       fields);
		}
		trib_table_print(out, &t, 0);
	}
	if (p->n_quality_checks) {
		fputs("\nquality checks\n", out);
		for (size_t i = 0; i < p->n_quality_checks; i++) {
			const Tributary__V1__QualityCheck *q = p->quality_checks[i];
			fprintf(out, "  %s (%s)\n", trib_text_clean(a, q->rule),
				*q->severity ? trib_text_clean(a, q->severity) : "error");
		}
	}
}

static const char *status_word(const Tributary__V1__DataProduct *p)
{
	if (p->placeholder)
		return "placeholder";
	if (p->deprecation && p->deprecation->deprecated)
		return "deprecated";
	return "active";
}

void trib_render_products(FILE *out, trib_arena *a, Tributary__V1__DataProduct *const *items, size_t n)
{
	trib_table t;
	trib_table_init(&t, a, 6, "PRODUCT", "VERSION", "OWNER", "REVISION", "STATUS", "TAGS");
	trib_table_right(&t, 3);
	for (size_t i = 0; i < n; i++) {
		const Tributary__V1__DataProduct *p = items[i];
		trib_table_row(&t, trib_product_ref(a, p), p->version, p->owner,
			       p->revision ? trib_text_u64(a, p->revision) : "", status_word(p),
			       join(a, p->tags, p->n_tags));
	}
	trib_table_print(out, &t, 1);
}

void trib_render_domains(FILE *out, trib_arena *a, Tributary__V1__Domain *const *items, size_t n)
{
	trib_table t;
	trib_table_init(&t, a, 5, "DOMAIN", "OWNER TEAM", "ONCALL", "SOURCES", "CONSUMERS");
	for (size_t i = 0; i < n; i++) {
		const Tributary__V1__Domain *d = items[i];
		trib_table_row(&t, d->name, d->owner_team, d->oncall,
			       join(a, d->source_products, d->n_source_products),
			       join(a, d->consumer_products, d->n_consumer_products));
	}
	trib_table_print(out, &t, 1);
}

void trib_render_terms(FILE *out, trib_arena *a, Tributary__V1__GlossaryTerm *const *items, size_t n)
{
	trib_table t;
	trib_table_init(&t, a, 4, "TERM", "DESCRIPTION", "RELATED", "APPLIES TO");
	for (size_t i = 0; i < n; i++) {
		const Tributary__V1__GlossaryTerm *g = items[i];
		trib_table_row(&t, g->name, g->description, join(a, g->related_terms, g->n_related_terms),
			       join(a, g->applies_to, g->n_applies_to));
	}
	trib_table_print(out, &t, 1);
}

void trib_render_history(FILE *out, trib_arena *a, const Tributary__V1__GetHistoryResponse *h)
{
	fprintf(out, "%s\n", trib_text_clean(a, h->ref));
	trib_table t;
	trib_table_init(&t, a, 5, "REVISION", "VERSION", "REGISTERED", "BY", "STATUS");
	trib_table_right(&t, 0);
	for (size_t i = 0; i < h->n_revisions; i++) {
		const Tributary__V1__DataProduct *p = h->revisions[i];
		trib_table_row(&t, trib_text_u64(a, p->revision), p->version,
			       trib_text_time(a, p->registered_at_ms), p->registered_by, status_word(p));
	}
	trib_table_print(out, &t, 1);
	if (h->n_audit) {
		fputc('\n', out);
		trib_table_init(&t, a, 6, "SEQ", "AT", "ACTOR", "ACTION", "REVISION", "DETAIL");
		trib_table_right(&t, 0);
		trib_table_right(&t, 4);
		for (size_t i = 0; i < h->n_audit; i++) {
			const Tributary__V1__AuditEntry *e = h->audit[i];
			trib_table_row(&t, trib_text_u64(a, e->seq), trib_text_time(a, e->at_ms), e->actor,
				       e->action, e->revision ? trib_text_u64(a, e->revision) : "", e->detail);
		}
		trib_table_print(out, &t, 1);
	}
}

void trib_render_search(FILE *out, trib_arena *a, const Tributary__V1__SearchResponse *r)
{
	trib_table t;
	trib_table_init(&t, a, 5, "REF", "KIND", "DOMAIN", "OWNER", "MATCH");
	for (size_t i = 0; i < r->n_hits; i++) {
		const Tributary__V1__SearchHit *h = r->hits[i];
		trib_table_row(&t, h->ref, trib_enum_word(a, &tributary__v1__node_kind__descriptor, (int)h->kind),
			       h->domain, h->owner, h->snippet);
	}
	trib_table_print(out, &t, 1);
}

void trib_render_violation(FILE *out, trib_arena *a, const char *word, const Tributary__V1__Violation *v)
{
	const char *where;
	if (*v->field_path && *v->upstream_ref)
		where = trib_arena_printf(a, "%s, upstream %s", v->field_path, v->upstream_ref);
	else
		where = *v->field_path ? v->field_path : v->upstream_ref;
	fprintf(out, "%s %s: %s", word, trib_text_clean(a, trib_text_or_dash(v->rule_id)),
		trib_text_clean(a, v->message));
	if (*where)
		fprintf(out, " (%s)", trib_text_clean(a, where));
	fputc('\n', out);
}

void trib_render_policy(FILE *out, trib_arena *a, const Tributary__V1__Policy *p)
{
	fprintf(out, "policy %s", *p->source ? trib_text_clean(a, p->source) : "(built-in default)");
	if (p->loaded_at_ms)
		fprintf(out, ", loaded %s", trib_text_time(a, p->loaded_at_ms));
	if (*p->digest)
		fprintf(out, ", digest %s", trib_text_clean(a, p->digest));
	fputc('\n', out);
	trib_table t;
	trib_table_init(&t, a, 5, "RULE", "SEVERITY", "TYPE", "SCOPE", "DESCRIPTION");
	for (size_t i = 0; i < p->n_rules; i++) {
		const Tributary__V1__PolicyRule *r = p->rules[i];
		char *scope = r->n_domains ? join(a, r->domains, r->n_domains) : (char *)"all domains";
		if (r->n_exceptions)
			scope = trib_arena_printf(a, "%s (%zu exception%s)", scope, r->n_exceptions,
						  r->n_exceptions == 1 ? "" : "s");
		trib_table_row(&t, r->id, r->severity, r->type, scope, r->description);
	}
	trib_table_print(out, &t, 1);
	for (size_t i = 0; i < p->n_rules; i++) {
		const Tributary__V1__PolicyRule *r = p->rules[i];
		for (size_t k = 0; k < r->n_exceptions; k++)
			fprintf(out, "exception %s: %s (%s)\n", trib_text_clean(a, r->id),
				trib_text_clean(a, r->exceptions[k]->ref),
				trib_text_clean(a, trib_text_or_dash(r->exceptions[k]->rationale)));
	}
}

void trib_render_audit(FILE *out, trib_arena *a, const Tributary__V1__PolicyAuditReport *r)
{
	for (size_t i = 0; i < r->n_non_compliant; i++) {
		const Tributary__V1__ProductViolations *pv = r->non_compliant[i];
		fprintf(out, "%s", trib_text_clean(a, pv->ref));
		if (*pv->owner)
			fprintf(out, " (owner %s)", trib_text_clean(a, pv->owner));
		fputc('\n', out);
		for (size_t k = 0; k < pv->n_violations; k++) {
			const Tributary__V1__Violation *v = pv->violations[k];
			fputs("  ", out);
			trib_render_violation(out, a, strcmp(v->severity, "warning") == 0 ? "warning" : "violation", v);
		}
	}
	fprintf(out, "%" PRIu32 " product%s checked, %zu non-compliant\n", r->products_checked,
		r->products_checked == 1 ? "" : "s", r->n_non_compliant);
}
