/* Domain boundary maps and glossaries. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ing_int.h"
#include "tributary/error.h"
#include "tributary/ref.h"

typedef Tributary__V1__Domain Domain;
typedef Tributary__V1__GlossaryTerm Term;

#define KIND(k) ((const void *)(intptr_t)(k))
#define END {NULL, NULL, NULL, 0, 0, NULL, 0}

/* A list of product references: "domain/name" or a bare product name. */
static void conv_products(cx *c, const ynode *v, void *base, const keyspec *k)
{
	if (!want_seq(c, v))
		return;
	char **out = v->n ? cx_alloc(c, v->n * sizeof *out) : NULL;
	size_t n = 0;
	for (size_t i = 0; i < v->n && out && !c->stop; i++) {
		const ynode *it = v->items[i];
		const char *product = NULL;
		size_t pl = path_index(c, i);
		if (it->type == Y_NULL)
			diag(c, ING_ERROR, it, "empty list item");
		else if (want_scalar(c, it, "a product name") && check_product_ref(c, it, it->s, &product, NULL))
			out[n++] = (char *)product;
		path_pop(c, pl);
	}
	*(char ***)((char *)base + k->off) = out;
	*(size_t *)((char *)base + k->off2) = n;
}

/* A list of references of any kind (glossary applies_to). */
static void conv_refs(cx *c, const ynode *v, void *base, const keyspec *k)
{
	if (!want_seq(c, v))
		return;
	char **out = v->n ? cx_alloc(c, v->n * sizeof *out) : NULL;
	size_t n = 0;
	for (size_t i = 0; i < v->n && out && !c->stop; i++) {
		const ynode *it = v->items[i];
		size_t pl = path_index(c, i);
		trib_ref r;
		if (it->type == Y_NULL)
			diag(c, ING_ERROR, it, "empty list item");
		else if (!want_scalar(c, it, "a reference"))
			;
		else if (trib_ref_parse(&r, it->s) != 0)
			diag(c, ING_ERROR, it, "%s", trib_error_last());
		else
			out[n++] = (char *)it->s;
		path_pop(c, pl);
	}
	*(char ***)((char *)base + k->off) = out;
	*(size_t *)((char *)base + k->off2) = n;
}

/* ------------------------------------------------------------------ domains */

#define DOMAIN_KEYS                                                                                          \
	{"owner_team", "owner", conv_name, offsetof(Domain, owner_team), 0, KIND(TRIB_KIND_TEAM), 0},        \
	{"oncall", "oncall_pagerduty", conv_str, offsetof(Domain, oncall), 0, NULL, 0},                      \
	{"description", NULL, conv_str, offsetof(Domain, description), 0, NULL, 0},                          \
	{"source_products", "sourceProducts", conv_products, offsetof(Domain, source_products),              \
	 offsetof(Domain, n_source_products), NULL, 0},                                                      \
	{"consumer_products", "consumerProducts", conv_products, offsetof(Domain, consumer_products),        \
	 offsetof(Domain, n_consumer_products), NULL, 0}

static const keyspec domain_keys[] = {DOMAIN_KEYS, END};
static const keyspec named_domain_keys[] = {
	{"name", NULL, conv_name, offsetof(Domain, name), 0, KIND(TRIB_KIND_DOMAIN), K_REQUIRED},
	DOMAIN_KEYS,
	END,
};

/* A `kind: Domain` or `kind: GlossaryTerm` document: metadata.name and a spec. */
typedef struct named_build {
	const ynode *name, *spec;
} named_build;

static const keyspec meta_name_keys[] = {
	{"name", NULL, conv_capture, offsetof(named_build, name), 0, NULL, K_REQUIRED},
	{"labels", NULL, conv_ignore, 0, 0, NULL, 0},
	{"annotations", NULL, conv_ignore, 0, 0, NULL, 0},
	END,
};

static void conv_meta(cx *c, const ynode *v, void *base, const keyspec *k)
{
	(void)k;
	walk_map(c, v, meta_name_keys, base);
}

static const keyspec named_doc_keys[] = {
	{"apiVersion", NULL, conv_ignore, 0, 0, NULL, 0},
	{"kind", NULL, conv_ignore, 0, 0, NULL, 0},
	{"metadata", NULL, conv_meta, 0, 0, NULL, K_REQUIRED},
	{"spec", NULL, conv_capture, offsetof(named_build, spec), 0, NULL, 0},
	END,
};

/* Walk a `kind: X` document with metadata.name; returns the name node and spec. */
static int named_doc(cx *c, const ynode *doc, trib_kind kind, named_build *nb)
{
	memset(nb, 0, sizeof *nb);
	if (walk_map(c, doc, named_doc_keys, nb) != 0 || !nb->name)
		return 0;
	size_t pl = path_key(c, "metadata");
	size_t pn = path_key(c, "name");
	int ok = want_scalar(c, nb->name, "a name");
	if (ok && trib_name_check(kind, nb->name->s) != 0) {
		diag(c, ING_ERROR, nb->name, "%s", trib_error_last());
		ok = 0;
	}
	path_pop(c, pn);
	path_pop(c, pl);
	return ok;
}

/* ------------------------------------------------------------------ glossary */

#define TERM_KEYS                                                                                            \
	{"description", NULL, conv_str, offsetof(Term, description), 0, NULL, 0},                            \
	{"related", "related_terms", conv_strlist, offsetof(Term, related_terms), offsetof(Term, n_related_terms), \
	 KIND(TRIB_KIND_TERM), 0},                                                                           \
	{"applies_to", "appliesTo", conv_refs, offsetof(Term, applies_to), offsetof(Term, n_applies_to), NULL, 0}

static const keyspec term_keys[] = {TERM_KEYS, END};
static const keyspec named_term_keys[] = {
	{"name", NULL, conv_name, offsetof(Term, name), 0, KIND(TRIB_KIND_TERM), K_REQUIRED},
	TERM_KEYS,
	END,
};

/* ------------------------------------------------------------------ collections */

/* Domains and terms are both named entries, listed (`- name: x`) or mapped by name. */
typedef struct collection {
	const ProtobufCMessageDescriptor *desc;
	trib_kind kind;            /* naming rule of the names */
	const char *what;          /* "domain", "term" */
	size_t name_off;           /* where the name goes in the message */
	const keyspec *keys;       /* an entry's keys, name excluded */
	const keyspec *named_keys; /* the same with `name:` (list form) */
	size_t dest_off;           /* the staging list in cx */
} collection;

static const collection domains_col = {&tributary__v1__domain__descriptor, TRIB_KIND_DOMAIN, "domain",
				       offsetof(Domain, name), domain_keys, named_domain_keys,
				       offsetof(cx, domains)};
static const collection terms_col = {&tributary__v1__glossary_term__descriptor, TRIB_KIND_TERM, "term",
				     offsetof(Term, name), term_keys, named_term_keys, offsetof(cx, terms)};

static void stage(cx *c, const collection *col, void *m)
{
	pvec_stage(c, (pvec *)((char *)c + col->dest_off), m);
}

static void conv_collection(cx *c, const ynode *v, const collection *col)
{
	if (!cx_visit(c, v))
		return;
	if (v->type != Y_SEQ && v->type != Y_MAP) {
		diag(c, ING_ERROR, v, "expected a list of %ss or a mapping of %s names, got %s", col->what, col->what,
		     ytype_name(v->type));
		return;
	}
	for (size_t i = 0; i < v->n && !c->stop; i++) {
		void *m = msg_new(c, col->desc);
		if (!m)
			break;
		if (v->type == Y_SEQ) {
			size_t pl = path_index(c, i);
			if (walk_map(c, v->items[i], col->named_keys, m) == 0)
				stage(c, col, m);
			path_pop(c, pl);
			continue;
		}
		const ynode *key = v->items[2 * i], *val = v->items[2 * i + 1];
		size_t pl = path_key(c, key->s);
		if (trib_name_check(col->kind, key->s) != 0) {
			diag(c, ING_ERROR, key, "%s", trib_error_last());
		} else {
			*(char **)((char *)m + col->name_off) = str_keep(c, key->s, key->len); /* keys are scratch */
			if (val->type == Y_NULL || walk_map(c, val, col->keys, m) == 0)
				stage(c, col, m);
		}
		path_pop(c, pl);
	}
}

void conv_domain_map(cx *c, const ynode *v)
{
	conv_collection(c, v, &domains_col);
}

void conv_glossary(cx *c, const ynode *v)
{
	conv_collection(c, v, &terms_col);
}

/* kind: Domain / kind: GlossaryTerm — metadata.name and a spec of entry keys. */
static void conv_named_kind(cx *c, const ynode *doc, const collection *col)
{
	named_build nb;
	if (!named_doc(c, doc, col->kind, &nb))
		return;
	void *m = msg_new(c, col->desc);
	if (!m)
		return;
	*(char **)((char *)m + col->name_off) = (char *)nb.name->s;
	size_t pl = path_key(c, "spec");
	int ok = !nb.spec || walk_map(c, nb.spec, col->keys, m) == 0;
	path_pop(c, pl);
	if (ok)
		stage(c, col, m);
}

void conv_domain_kind(cx *c, const ynode *doc)
{
	conv_named_kind(c, doc, &domains_col);
}

void conv_term_kind(cx *c, const ynode *doc)
{
	conv_named_kind(c, doc, &terms_col);
}
