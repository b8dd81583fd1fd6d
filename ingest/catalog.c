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

void conv_domain_map(cx *c, const ynode *v)
{
	if (!cx_visit(c, v))
		return;
	if (v->type == Y_SEQ) { /* - {name: customer, owner_team: ...} */
		for (size_t i = 0; i < v->n && !c->stop; i++) {
			size_t pl = path_index(c, i);
			Domain *d = msg_new(c, &tributary__v1__domain__descriptor);
			if (d && walk_map(c, v->items[i], named_domain_keys, d) == 0)
				pvec_push(c, &c->domains, d);
			path_pop(c, pl);
		}
		return;
	}
	if (v->type != Y_MAP) {
		diag(c, ING_ERROR, v, "expected a mapping of domain names, got %s", ytype_name(v->type));
		return;
	}
	for (size_t i = 0; i < v->n && !c->stop; i++) {
		const ynode *key = v->items[2 * i], *val = v->items[2 * i + 1];
		size_t pl = path_key(c, key->s);
		Domain *d = msg_new(c, &tributary__v1__domain__descriptor);
		if (!d)
			break;
		if (trib_name_check(TRIB_KIND_DOMAIN, key->s) != 0) {
			diag(c, ING_ERROR, key, "%s", trib_error_last());
		} else {
			d->name = (char *)key->s;
			if (val->type == Y_NULL || walk_map(c, val, domain_keys, d) == 0)
				pvec_push(c, &c->domains, d);
		}
		path_pop(c, pl);
	}
}

/* kind: Domain — metadata.name and a spec of domain keys. */
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

void conv_domain_kind(cx *c, const ynode *doc)
{
	named_build nb;
	if (!named_doc(c, doc, TRIB_KIND_DOMAIN, &nb))
		return;
	Domain *d = msg_new(c, &tributary__v1__domain__descriptor);
	if (!d)
		return;
	d->name = (char *)nb.name->s;
	size_t pl = path_key(c, "spec");
	int ok = !nb.spec || walk_map(c, nb.spec, domain_keys, d) == 0;
	path_pop(c, pl);
	if (ok)
		pvec_push(c, &c->domains, d);
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

void conv_glossary(cx *c, const ynode *v)
{
	if (!cx_visit(c, v))
		return;
	if (v->type == Y_SEQ) {
		for (size_t i = 0; i < v->n && !c->stop; i++) {
			size_t pl = path_index(c, i);
			Term *t = msg_new(c, &tributary__v1__glossary_term__descriptor);
			if (t && walk_map(c, v->items[i], named_term_keys, t) == 0)
				pvec_push(c, &c->terms, t);
			path_pop(c, pl);
		}
		return;
	}
	if (v->type != Y_MAP) {
		diag(c, ING_ERROR, v, "expected a list of terms or a mapping of term names, got %s", ytype_name(v->type));
		return;
	}
	for (size_t i = 0; i < v->n && !c->stop; i++) {
		const ynode *key = v->items[2 * i], *val = v->items[2 * i + 1];
		size_t pl = path_key(c, key->s);
		Term *t = msg_new(c, &tributary__v1__glossary_term__descriptor);
		if (!t)
			break;
		if (trib_name_check(TRIB_KIND_TERM, key->s) != 0) {
			diag(c, ING_ERROR, key, "%s", trib_error_last());
		} else {
			t->name = (char *)key->s;
			if (val->type == Y_NULL || walk_map(c, val, term_keys, t) == 0)
				pvec_push(c, &c->terms, t);
		}
		path_pop(c, pl);
	}
}

void conv_term_kind(cx *c, const ynode *doc)
{
	named_build nb;
	if (!named_doc(c, doc, TRIB_KIND_TERM, &nb))
		return;
	Term *t = msg_new(c, &tributary__v1__glossary_term__descriptor);
	if (!t)
		return;
	t->name = (char *)nb.name->s;
	size_t pl = path_key(c, "spec");
	int ok = !nb.spec || walk_map(c, nb.spec, term_keys, t) == 0;
	path_pop(c, pl);
	if (ok)
		pvec_push(c, &c->terms, t);
}
