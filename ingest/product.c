/* Data products: the `kind: DataProduct` spec and the flat data-product.yaml,
 * both written as key tables into the same tributary.v1 messages. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ing_int.h"
#include "tributary/error.h"
#include "tributary/ref.h"

typedef Tributary__V1__DataProduct Product;
typedef Tributary__V1__OutputPort OutPort;
typedef Tributary__V1__InputPort InPort;
typedef Tributary__V1__FieldMapping Mapping;
typedef Tributary__V1__QualityCheck Check;
typedef Tributary__V1__ProductGovernance Gov;
typedef Tributary__V1__Sla Sla;

#define KIND(k) ((const void *)(intptr_t)(k))
#define ELEM(f) ((const void *)(uintptr_t)(f))

/* Where a mapping output was written, so it can be checked against the
 * output ports once the whole product is known. */
typedef struct mapping_ref {
	const Mapping *m;
	const ynode *at;
	const char *path;
} mapping_ref;

/* ------------------------------------------------------------------ shared tables */

static const ing_enum_entry port_types[] = {
	{"stream", TRIBUTARY__V1__PORT_TYPE__PORT_TYPE_STREAM},
	{"batch", TRIBUTARY__V1__PORT_TYPE__PORT_TYPE_BATCH},
	{"api", TRIBUTARY__V1__PORT_TYPE__PORT_TYPE_API},
	{"table", TRIBUTARY__V1__PORT_TYPE__PORT_TYPE_TABLE},
	{NULL, 0},
};
static const ing_enum_table port_type_tab = {"port type", port_types};

static const ing_enum_entry classes[] = {
	{"public", TRIBUTARY__V1__CLASSIFICATION__CLASSIFICATION_PUBLIC},
	{"internal", TRIBUTARY__V1__CLASSIFICATION__CLASSIFICATION_INTERNAL},
	{"confidential", TRIBUTARY__V1__CLASSIFICATION__CLASSIFICATION_CONFIDENTIAL},
	{"restricted", TRIBUTARY__V1__CLASSIFICATION__CLASSIFICATION_RESTRICTED},
	{NULL, 0},
};
static const ing_enum_table class_tab = {"data classification", classes};

static const keyspec sla_keys[] = {
	{"freshness", NULL, conv_duration, offsetof(Sla, freshness), offsetof(Sla, freshness_seconds), NULL, 0},
	{"uptime", "availability", conv_percent, offsetof(Sla, uptime), offsetof(Sla, uptime_percent), NULL, 0},
	{"completeness", NULL, conv_percent, offsetof(Sla, completeness), offsetof(Sla, completeness_percent), NULL, 0},
	{NULL, NULL, NULL, 0, 0, NULL, 0},
};
static const msgspec sla_msg = {&tributary__v1__sla__descriptor, sla_keys};

static const keyspec gov_keys[] = {
	{"pii_fields", "piiFields", conv_strlist, offsetof(Gov, pii_fields), offsetof(Gov, n_pii_fields),
	 KIND(TRIB_KIND_FIELD), 0},
	{"data_classification", "classification", conv_enum, offsetof(Gov, data_classification), 0, &class_tab, 0},
	{"retention_days", "retentionDays", conv_days, offsetof(Gov, retention_days), 0, NULL, 0},
	{"gdpr_subject_to_erasure", "gdprSubjectToErasure", conv_bool, offsetof(Gov, gdpr_subject_to_erasure), 0, NULL,
	 0},
	{"access_policy", "accessPolicy", conv_str, offsetof(Gov, access_policy), 0, NULL, 0},
	{NULL, NULL, NULL, 0, 0, NULL, 0},
};
static const msgspec gov_msg = {&tributary__v1__product_governance__descriptor, gov_keys};

/* ------------------------------------------------------------------ references */

int check_product_ref(cx *c, const ynode *at, const char *text, const char **product, const char **port)
{
	trib_ref r;
	if (trib_ref_parse(&r, text) != 0) {
		diag(c, ING_ERROR, at, "%s", trib_error_last());
		return 0;
	}
	if (r.kind == TRIB_KIND_BARE) {
		if (trib_name_check(TRIB_KIND_PRODUCT, r.name) != 0) {
			diag(c, ING_ERROR, at, "%s", trib_error_last());
			return 0;
		}
		*product = text;
		return 1;
	}
	if (r.kind == TRIB_KIND_PRODUCT || (port && r.kind == TRIB_KIND_PORT)) {
		if (r.kind == TRIB_KIND_PORT) {
			*product = cx_printf(c, "%s/%s", r.domain, r.name);
			*port = cx_strdup(c, r.port);
		} else {
			*product = text;
		}
		return *product != NULL;
	}
	diag(c, ING_ERROR, at, "'%s' is a %s reference; expected a data product (domain/name or a bare name)", text,
	     trib_kind_name(r.kind));
	return 0;
}

/* ------------------------------------------------------------------ output ports */

typedef struct out_build {
	OutPort m;
	const ynode *schema, *fields;
} out_build;

static const keyspec out_keys[] = {
	{"name", NULL, conv_name, offsetof(out_build, m.name), 0, KIND(TRIB_KIND_PORT), K_REQUIRED},
	{"type", NULL, conv_enum, offsetof(out_build, m.type), 0, &port_type_tab, 0},
	{"format", NULL, conv_str, offsetof(out_build, m.format), 0, NULL, 0},
	{"location", NULL, conv_str, offsetof(out_build, m.location), 0, NULL, 0},
	{"topic", NULL, conv_str, offsetof(out_build, m.topic), 0, NULL, 0},
	{"partitioning", NULL, conv_str, offsetof(out_build, m.partitioning), 0, NULL, 0},
	{"description", NULL, conv_str, offsetof(out_build, m.description), 0, NULL, 0},
	{"sla", NULL, conv_msg, offsetof(out_build, m.sla), 0, &sla_msg, 0},
	{"schema", NULL, conv_capture, offsetof(out_build, schema), 0, NULL, 0},
	{"fields", NULL, conv_capture, offsetof(out_build, fields), 0, NULL, 0},
	{NULL, NULL, NULL, 0, 0, NULL, 0},
};

static OutPort *elem_output_port(cx *c, const ynode *v)
{
	out_build *b = cx_alloc(c, sizeof *b);
	if (!b)
		return NULL;
	memset(b, 0, sizeof *b);
	tributary__v1__output_port__init(&b->m);
	if (walk_map(c, v, out_keys, b) != 0)
		return NULL;
	schema_resolve(c, &b->m, b->schema, b->fields);
	return &b->m;
}

/* ------------------------------------------------------------------ input ports */

typedef struct in_build {
	InPort m;
	const ynode *source_product, *source, *type, *mappings;
} in_build;

static const keyspec in_keys[] = {
	{"sourceProduct", "source_product", conv_capture, offsetof(in_build, source_product), 0, NULL, 0},
	{"source", NULL, conv_capture, offsetof(in_build, source), 0, NULL, 0},
	{"type", "source_type", conv_capture, offsetof(in_build, type), 0, NULL, 0},
	{"port", NULL, conv_name, offsetof(in_build, m.port), 0, KIND(TRIB_KIND_PORT), 0},
	{"fields", NULL, conv_strlist, offsetof(in_build, m.fields), offsetof(in_build, m.n_fields),
	 KIND(TRIB_KIND_FIELD), 0},
	{"mappings", NULL, conv_capture, offsetof(in_build, mappings), 0, NULL, 0},
	{NULL, NULL, NULL, 0, 0, NULL, 0},
};

/* `inputs:` of a mapping: one field name or a list of them. */
static void mapping_inputs(cx *c, const ynode *v, Mapping *m)
{
	static const keyspec k = {"inputs", NULL, conv_strlist, offsetof(Mapping, inputs), offsetof(Mapping, n_inputs),
				  KIND(TRIB_KIND_FIELD), 0};
	if (v->type == Y_SEQ) {
		conv_strlist(c, v, m, &k);
		if (m->n_inputs == 0 && v->n == 0)
			diag(c, ING_ERROR, v, "a mapping needs at least one input field");
		return;
	}
	if (!want_scalar(c, v, "a field name or a list of field names"))
		return;
	if (trib_name_check(TRIB_KIND_FIELD, v->s) != 0) {
		diag(c, ING_ERROR, v, "%s", trib_error_last());
		return;
	}
	m->inputs = cx_alloc(c, sizeof *m->inputs);
	if (!m->inputs)
		return;
	m->inputs[0] = (char *)v->s;
	m->n_inputs = 1;
}

typedef struct map_build {
	Mapping m;
	const ynode *inputs;
} map_build;

static const keyspec mapping_keys[] = {
	{"output", NULL, conv_name, offsetof(map_build, m.output), 0, KIND(TRIB_KIND_FIELD), K_REQUIRED},
	{"inputs", "input", conv_capture, offsetof(map_build, inputs), 0, NULL, K_REQUIRED},
	{"transform", NULL, conv_str, offsetof(map_build, m.transform), 0, NULL, 0},
	{NULL, NULL, NULL, 0, 0, NULL, 0},
};
/* The value of a compact `output: {inputs, transform}` entry. */
static const keyspec mapping_value_keys[] = {
	{"inputs", "input", conv_capture, offsetof(map_build, inputs), 0, NULL, K_REQUIRED},
	{"transform", NULL, conv_str, offsetof(map_build, m.transform), 0, NULL, 0},
	{NULL, NULL, NULL, 0, 0, NULL, 0},
};

static int has_field(char **fields, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(fields[i], name) == 0)
			return 1;
	return 0;
}

/* One mapping: `at` is where its output is named (for later checks). */
static void add_mapping(cx *c, in_build *ib, pvec *maps, map_build *mb, const ynode *at, pvec *refs, int compact)
{
	if (mb->inputs) {
		/* The compact form `out: in` has no `inputs` key to name in the path. */
		size_t pl = compact ? c->plen : path_key(c, "inputs");
		mapping_inputs(c, mb->inputs, &mb->m);
		/* A port that lists its fields reads what its mappings read. */
		for (size_t i = 0; i < mb->m.n_inputs && ib->m.n_fields > 0; i++) {
			if (has_field(ib->m.fields, ib->m.n_fields, mb->m.inputs[i]))
				continue;
			diag(c, ING_WARNING, mb->inputs, "mapping input '%s' is not in this port's fields; added",
			     mb->m.inputs[i]);
			char **nf = cx_alloc(c, (ib->m.n_fields + 1) * sizeof *nf);
			if (!nf)
				break;
			memcpy(nf, ib->m.fields, ib->m.n_fields * sizeof *nf);
			nf[ib->m.n_fields++] = mb->m.inputs[i];
			ib->m.fields = nf;
		}
		path_pop(c, pl);
	}
	if (!mb->m.output[0])
		return;
	mapping_ref *r = tmp_alloc(c, sizeof *r);
	if (!r)
		return;
	r->m = &mb->m;
	r->at = at;
	r->path = tmp_printf(c, "%s", c->path);
	pvec_push(c, refs, r);
	pvec_push(c, maps, &mb->m);
}

static map_build *new_mapping(cx *c)
{
	map_build *mb = cx_alloc(c, sizeof *mb);
	if (mb) {
		memset(mb, 0, sizeof *mb);
		tributary__v1__field_mapping__init(&mb->m);
	}
	return mb;
}

static void conv_mappings(cx *c, in_build *ib, const ynode *v, pvec *refs)
{
	pvec maps = {0};
	if (!cx_visit(c, v))
		return;
	if (v->type == Y_SEQ) {
		for (size_t i = 0; i < v->n && !c->stop; i++) {
			size_t pl = path_index(c, i);
			map_build *mb = new_mapping(c);
			if (mb && walk_map(c, v->items[i], mapping_keys, mb) == 0)
				add_mapping(c, ib, &maps, mb, map_get(v->items[i], "output"), refs, 0);
			path_pop(c, pl);
		}
	} else if (v->type == Y_MAP) {
		for (size_t i = 0; i < v->n && !c->stop; i++) {
			const ynode *key = v->items[2 * i], *val = v->items[2 * i + 1];
			size_t pl = path_key(c, key->s);
			map_build *mb = new_mapping(c);
			if (!mb)
				break;
			if (trib_name_check(TRIB_KIND_FIELD, key->s) != 0) {
				diag(c, ING_ERROR, key, "%s", trib_error_last());
			} else {
				mb->m.output = str_keep(c, key->s, key->len); /* keys are scratch */
				if (val->type == Y_MAP) {
					if (walk_map(c, val, mapping_value_keys, mb) == 0)
						add_mapping(c, ib, &maps, mb, key, refs, 0);
				} else if (val->type == Y_NULL) {
					diag(c, ING_ERROR, val, "mapping '%s' needs its input field(s)", key->s);
				} else {
					mb->inputs = val;
					add_mapping(c, ib, &maps, mb, key, refs, 1);
				}
			}
			path_pop(c, pl);
		}
	} else {
		diag(c, ING_ERROR, v, "expected a list of mappings or a mapping 'output: inputs', got %s",
		     ytype_name(v->type));
		return;
	}
	ib->m.mappings = (Mapping **)pvec_finish(c, &maps);
	ib->m.n_mappings = maps.n;
}

static void *input_port(cx *c, const ynode *v, pvec *refs)
{
	in_build *b = cx_alloc(c, sizeof *b);
	if (!b)
		return NULL;
	memset(b, 0, sizeof *b);
	tributary__v1__input_port__init(&b->m);
	if (walk_map(c, v, in_keys, b) != 0)
		return NULL;
	const ynode *sp = b->source_product, *src = b->source, *type = b->type;
	const char *t = NULL;
	if (type && want_scalar(c, type, "a source type"))
		t = type->s;
	if (sp && src) {
		diag(c, ING_ERROR, src, "give 'sourceProduct' or 'source', not both");
		return &b->m;
	}
	if (!sp && !src) {
		diag(c, ING_ERROR, v, "missing required key 'sourceProduct' (or 'source' with 'type')");
		return &b->m;
	}
	const ynode *s = sp ? sp : src;
	size_t pl = path_key(c, sp ? (map_get(v, "sourceProduct") ? "sourceProduct" : "source_product") : "source");
	if (want_scalar(c, s, "a reference")) {
		int external = src && ((t && strcmp(t, "data-product") != 0) || strncmp(s->s, "source:", 7) == 0);
		if (sp && t && strcmp(t, "data-product") != 0) {
			diag(c, ING_ERROR, type, "'sourceProduct' names a data product but type is '%s' (use 'source:' for an "
				"external source)", t);
		} else if (external) {
			const char *name = strncmp(s->s, "source:", 7) == 0 ? s->s + 7 : s->s;
			if (trib_name_check(TRIB_KIND_SOURCE, name) != 0) {
				diag(c, ING_ERROR, s, "%s", trib_error_last());
			} else {
				b->m.source = cx_printf(c, "source:%s", name);
				b->m.source_type = t ? (char *)t : "";
			}
		} else {
			const char *product = NULL, *port = NULL;
			if (check_product_ref(c, s, s->s, &product, &port)) {
				if (port && b->m.port[0] && strcmp(port, b->m.port) != 0)
					diag(c, ING_ERROR, s, "the reference names port '%s' but 'port' says '%s'", port, b->m.port);
				b->m.source = (char *)product;
				if (port)
					b->m.port = (char *)port;
				b->m.source_type = "data-product";
			}
		}
	}
	path_pop(c, pl);
	if (b->mappings) {
		pl = path_key(c, "mappings");
		conv_mappings(c, b, b->mappings, refs);
		path_pop(c, pl);
	}
	return &b->m;
}

/* ------------------------------------------------------------------ quality checks */

static void conv_severity(cx *c, const ynode *v, void *base, const keyspec *k)
{
	if (!want_scalar(c, v, "a severity"))
		return;
	const char *s = NULL;
	if (strcasecmp(v->s, "error") == 0)
		s = "error";
	else if (strcasecmp(v->s, "warning") == 0 || strcasecmp(v->s, "warn") == 0)
		s = "warning";
	if (!s) {
		diag(c, ING_ERROR, v, "unknown severity '%s' (expected error or warning)", v->s);
		return;
	}
	*(char **)((char *)base + k->off) = (char *)s;
}

static const keyspec check_keys[] = {
	{"rule", NULL, conv_str, offsetof(Check, rule), 0, NULL, K_REQUIRED},
	{"severity", NULL, conv_severity, offsetof(Check, severity), 0, NULL, 0},
	{NULL, NULL, NULL, 0, 0, NULL, 0},
};

static void *elem_check(cx *c, const ynode *v)
{
	Check *q = msg_new(c, &tributary__v1__quality_check__descriptor);
	if (!q)
		return NULL;
	q->severity = "error";
	if (v->type == Y_STR) { /* - "customer_id IS NOT NULL" */
		q->rule = (char *)v->s;
		return q;
	}
	return walk_map(c, v, check_keys, q) == 0 ? q : NULL;
}

/* ------------------------------------------------------------------ products */

/* Per-product state while its keys are walked. */
typedef struct prod_build {
	Product m;
	pvec refs; /* mapping_ref */
	const ynode *inputs;
} prod_build;

static void conv_version(cx *c, const ynode *v, void *base, const keyspec *k)
{
	if (!want_scalar(c, v, "a version string"))
		return;
	const char *s = v->s;
	int parts = 0, ok = 1;
	for (const char *p = s; ok && parts < 3; parts++) {
		size_t d = strspn(p, "0123456789");
		ok = d > 0 && (d == 1 || p[0] != '0');
		p += d;
		if (parts < 2) {
			ok = ok && *p == '.';
			p++;
		} else {
			ok = ok && (*p == '\0' || *p == '-' || *p == '+');
		}
	}
	if (!ok)
		diag(c, ING_WARNING, v, "version '%s' is not semantic versioning (MAJOR.MINOR.PATCH); quote it and add "
			"the missing parts", s);
	*(char **)((char *)base + k->off) = (char *)s;
}

/* An output port whose name an earlier port of the list already has is an error. */
static OutPort *unique_port(cx *c, OutPort *o, const pvec *prev, const ynode *item)
{
	for (size_t j = 0; o && o->name[0] && j < prev->n; j++) {
		if (strcmp(((const OutPort *)prev->v[j])->name, o->name) != 0)
			continue;
		size_t pk = path_key(c, "name");
		diag(c, ING_ERROR, map_get(item, "name"), "output port '%s' is declared twice", o->name);
		path_pop(c, pk);
		return NULL;
	}
	return o;
}

/* inputPorts / outputPorts (arg: "in" or "out"). */
static void conv_ports(cx *c, const ynode *v, void *base, const keyspec *k)
{
	prod_build *pb = base;
	int input = strcmp(k->arg, "in") == 0;
	if (!want_seq(c, v))
		return;
	pvec out = {0};
	for (size_t i = 0; i < v->n && !c->stop; i++) {
		size_t pl = path_index(c, i);
		const ynode *item = v->items[i];
		void *e = input ? input_port(c, item, &pb->refs) : unique_port(c, elem_output_port(c, item), &out, item);
		if (e)
			pvec_push(c, &out, e);
		path_pop(c, pl);
	}
	void **ports = pvec_finish(c, &out);
	if (input) {
		pb->m.input_ports = (InPort **)ports;
		pb->m.n_input_ports = out.n;
	} else {
		pb->m.output_ports = (OutPort **)ports;
		pb->m.n_output_ports = out.n;
	}
}

#define P(f) offsetof(prod_build, m.f)

/* Keys of a flat data-product.yaml; the spec form reuses them per block. */
#define COMMON_SPEC_KEYS                                                                                           \
	{"description", NULL, conv_str, P(description), 0, NULL, 0},                                               \
	{"sla", NULL, conv_msg, P(sla), 0, &sla_msg, 0},                                                           \
	{"governance", NULL, conv_msg, P(governance), 0, &gov_msg, 0},                                             \
	{"qualityChecks", "quality_checks", conv_list, P(quality_checks), P(n_quality_checks), ELEM(elem_check), 0}, \
	{"glossaryTerms", "glossary_terms", conv_strlist, P(glossary_terms), P(n_glossary_terms),                  \
	 KIND(TRIB_KIND_TERM), 0}

#define IDENTITY_KEYS                                                                                              \
	{"name", NULL, conv_name, P(name), 0, KIND(TRIB_KIND_PRODUCT), K_REQUIRED},                                \
	{"domain", NULL, conv_name, P(domain), 0, KIND(TRIB_KIND_DOMAIN), K_REQUIRED},                             \
	{"owner", NULL, conv_name, P(owner), 0, KIND(TRIB_KIND_TEAM), K_REQUIRED},                                 \
	{"version", NULL, conv_version, P(version), 0, NULL, 0},                                                   \
	{"tags", NULL, conv_strlist, P(tags), P(n_tags), NULL, 0}

static const keyspec flat_keys[] = {
	IDENTITY_KEYS,
	COMMON_SPEC_KEYS,
	{"inputs", NULL, conv_ports, 0, 0, "in", 0},
	{"outputs", NULL, conv_ports, 0, 0, "out", 0},
	{NULL, NULL, NULL, 0, 0, NULL, 0},
};

static const keyspec metadata_keys[] = {
	IDENTITY_KEYS,
	{"description", NULL, conv_str, P(description), 0, NULL, 0},
	{NULL, NULL, NULL, 0, 0, NULL, 0},
};

static const keyspec spec_keys[] = {
	COMMON_SPEC_KEYS,
	{"inputPorts", "input_ports", conv_ports, 0, 0, "in", 0},
	{"outputPorts", "output_ports", conv_ports, 0, 0, "out", 0},
	{NULL, NULL, NULL, 0, 0, NULL, 0},
};

/* A nested block whose keys write into the same object. */
static void conv_block(cx *c, const ynode *v, void *base, const keyspec *k)
{
	walk_map(c, v, k->arg, base);
}

static const keyspec spec_doc_keys[] = {
	{"apiVersion", NULL, conv_ignore, 0, 0, NULL, 0},
	{"kind", NULL, conv_ignore, 0, 0, NULL, 0},
	{"metadata", NULL, conv_block, 0, 0, metadata_keys, K_REQUIRED},
	{"spec", NULL, conv_block, 0, 0, spec_keys, 0},
	{NULL, NULL, NULL, 0, 0, NULL, 0},
};

/* Checks that need the whole product, then stage it. */
static void finish_product(cx *c, prod_build *pb)
{
	Product *p = &pb->m;
	p->source_file = (char *)c->yaml_file;
	int any_schema = 0;
	for (size_t i = 0; i < p->n_output_ports; i++)
		any_schema |= p->output_ports[i]->n_fields > 0;
	for (size_t r = 0; any_schema && r < pb->refs.n; r++) {
		const mapping_ref *mr = pb->refs.v[r];
		int found = 0;
		for (size_t i = 0; i < p->n_output_ports && !found; i++) {
			const OutPort *o = p->output_ports[i];
			for (size_t f = 0; f < o->n_fields && !found; f++)
				found = strcmp(o->fields[f]->name, mr->m->output) == 0;
		}
		if (!found) {
			char saved[ING_PATH_MAX];
			size_t keep = c->plen;
			memcpy(saved, c->path, keep + 1);
			snprintf(c->path, sizeof c->path, "%s", mr->path ? mr->path : "");
			c->plen = strlen(c->path);
			diag(c, ING_WARNING, mr->at, "mapping output '%s' is not a field of any output port", mr->m->output);
			memcpy(c->path, saved, keep + 1);
			c->plen = keep;
		}
	}
	pvec_stage(c, &c->products, p);
}

static prod_build *new_product(cx *c)
{
	prod_build *pb = cx_alloc(c, sizeof *pb);
	if (pb) {
		memset(pb, 0, sizeof *pb);
		tributary__v1__data_product__init(&pb->m);
	}
	return pb;
}

void conv_product_spec(cx *c, const ynode *doc)
{
	prod_build *pb = new_product(c);
	if (pb && walk_map(c, doc, spec_doc_keys, pb) == 0)
		finish_product(c, pb);
}

void conv_product_flat(cx *c, const ynode *doc)
{
	prod_build *pb = new_product(c);
	if (pb && walk_map(c, doc, flat_keys, pb) == 0)
		finish_product(c, pb);
}
