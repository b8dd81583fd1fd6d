/*
 * Helpers of the lineage suites (test_lineage.c, test_impact.c,
 * test_schema.c, test_provenance.c): governance/SLA/type setters on top of
 * graph_fixture.h, bulk registration, and answers rendered as one string so
 * each test asserts an exact answer in one comparison.
 */
#ifndef TESTS_GRAPH_LINEAGE_MESH_H
#define TESTS_GRAPH_LINEAGE_MESH_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph_fixture.h"
#include "tributary/lineage.h"

/* ------------------------------------------------------------ builders */

static inline Tributary__V1__Field *lm_field(Tributary__V1__OutputPort *o, const char *name)
{
	for (size_t i = 0; i < o->n_fields; i++)
		if (strcmp(o->fields[i]->name, name) == 0)
			return o->fields[i];
	ck_abort_msg("no field %s in port %s", name, o->name);
	return NULL;
}

static inline void lm_type(Tributary__V1__OutputPort *o, const char *name, const char *type, int nullable)
{
	Tributary__V1__Field *f = lm_field(o, name);
	f->type = trib_arena_strdup(&fx_arena, type);
	f->nullable = nullable;
}

/* Governance: classification, retention (0 = unstated), erasure, then PII names (NULL-terminated). */
static inline void lm_gov(trib_product *p, Tributary__V1__Classification c, int retention, int erasure, ...)
{
	Tributary__V1__ProductGovernance *g = trib_arena_alloc(&fx_arena, sizeof *g);
	ck_assert_ptr_nonnull(g);
	tributary__v1__product_governance__init(g);
	g->data_classification = c;
	g->retention_days = retention;
	g->gdpr_subject_to_erasure = erasure;
	va_list ap;
	va_start(ap, erasure);
	for (const char *f; (f = va_arg(ap, const char *));) {
		char **n = trib_arena_realloc(&fx_arena, g->pii_fields, g->n_pii_fields * sizeof *n,
					      (g->n_pii_fields + 1) * sizeof *n);
		ck_assert_ptr_nonnull(n);
		g->pii_fields = n;
		g->pii_fields[g->n_pii_fields++] = trib_arena_strdup(&fx_arena, f);
	}
	va_end(ap);
	p->governance = g;
}

static inline Tributary__V1__Sla *lm_new_sla(int64_t secs, const char *text)
{
	Tributary__V1__Sla *s = trib_arena_alloc(&fx_arena, sizeof *s);
	ck_assert_ptr_nonnull(s);
	tributary__v1__sla__init(s);
	s->freshness_seconds = secs;
	s->freshness = trib_arena_strdup(&fx_arena, text);
	return s;
}

static inline void lm_sla(trib_product *p, int64_t secs, const char *text)
{
	p->sla = lm_new_sla(secs, text);
}

static inline void lm_port_sla(Tributary__V1__OutputPort *o, int64_t secs, const char *text)
{
	o->sla = lm_new_sla(secs, text);
}

/*
 * A proposed schema: "name:type" items, a trailing '?' for nullable and
 * "=value" for a default, e.g. lm_fields(&n, "id:long", "email:string?", "x:int=0", NULL).
 */
static inline trib_field **lm_fields(size_t *n, ...)
{
	trib_field **v = NULL;
	*n = 0;
	va_list ap;
	va_start(ap, n);
	for (const char *spec; (spec = va_arg(ap, const char *));) {
		trib_field *f = trib_arena_alloc(&fx_arena, sizeof *f);
		ck_assert_ptr_nonnull(f);
		tributary__v1__field__init(f);
		char *s = trib_arena_strdup(&fx_arena, spec);
		char *eq = strchr(s, '=');
		if (eq) {
			*eq = '\0';
			f->has_default = 1;
			f->default_value = eq + 1;
		}
		size_t len = strlen(s);
		if (len && s[len - 1] == '?') {
			s[--len] = '\0';
			f->nullable = 1;
		}
		char *colon = strchr(s, ':');
		ck_assert_ptr_nonnull(colon);
		*colon = '\0';
		f->name = s;
		f->type = colon + 1;
		v = trib_arena_realloc(&fx_arena, v, *n * sizeof *v, (*n + 1) * sizeof *v);
		ck_assert_ptr_nonnull(v);
		v[(*n)++] = f;
	}
	va_end(ap);
	return v;
}

/* --------------------------------------------------------------- store */

typedef struct lm_batch {
	trib_product **v;
	size_t n;
} lm_batch;

static inline int lm_batch_cb(graph_txn *t, void *payload)
{
	lm_batch *b = payload;
	graph_put_opts o = GRAPH_PUT_OPTS_INIT;
	for (size_t i = 0; i < b->n; i++) {
		graph_put_result r;
		int rc = graph_product_put(&r, t, &fx_arena, b->v[i], &o);
		if (rc)
			return rc;
	}
	return 0;
}

/* Register many products in one transaction (graph_update grows the map). */
static inline void lm_put_all(trib_product **v, size_t n)
{
	lm_batch b = {v, n};
	int rc = graph_update(fx_store, lm_batch_cb, &b);
	ck_assert_msg(rc == 0, "bulk put: %s", trib_error_last());
}

/* domain/p0 -> domain/p1 -> ... -> domain/p{n-1}, registered in one transaction. */
static inline void lm_chain(const char *domain, int n)
{
	trib_product **v = malloc((size_t)n * sizeof *v);
	ck_assert_ptr_nonnull(v);
	char name[32], src[200];
	for (int i = 0; i < n; i++) {
		snprintf(name, sizeof name, "p%d", i);
		v[i] = fx_product(domain, name, "t");
		if (i) {
			snprintf(src, sizeof src, "%s/p%d", domain, i - 1);
			fx_input(v[i], src, NULL, NULL);
		}
	}
	lm_put_all(v, (size_t)n);
	free(v);
}

static inline graph_txn *lm_read(void)
{
	graph_txn *t;
	ck_assert_int_eq(graph_read_begin(&t, fx_store), 0);
	return t;
}

static inline uint64_t lm_id(graph_txn *t, const char *ref)
{
	uint64_t id = 0;
	int rc = graph_resolve(&id, t, ref);
	ck_assert_msg(rc == 0, "resolve %s: %s", ref, trib_error_last());
	return id;
}

/* ---------------------------------------------------------------- running */

/* A test case with a fresh store per test. */
static inline TCase *lm_tcase(Suite *s, const char *name)
{
	TCase *tc = tcase_create(name);
	tcase_add_checked_fixture(tc, fx_setup, fx_teardown);
	tcase_set_timeout(tc, 120);
	suite_add_tcase(s, tc);
	return tc;
}

/* Run a suite; the process exit status. */
static inline int lm_run(Suite *s)
{
	SRunner *r = srunner_create(s);
	srunner_run_all(r, CK_NORMAL);
	int failed = srunner_ntests_failed(r);
	srunner_free(r);
	return failed ? 1 : 0;
}

/* ------------------------------------------------------------- rendering */

typedef struct lm_buf {
	char *s;
	size_t len, cap;
} lm_buf;

static inline void lm_printf(lm_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static inline void lm_printf(lm_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	ck_assert_int_ge(n, 0);
	if (b->len + (size_t)n + 1 > b->cap) {
		size_t ncap = (b->cap + (size_t)n + 1) * 2;
		char *s = trib_arena_realloc(&fx_arena, b->s, b->cap, ncap);
		ck_assert_ptr_nonnull(s);
		b->s = s;
		b->cap = ncap;
	}
	va_start(ap, fmt);
	vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

static inline const char *lm_str(lm_buf *b)
{
	return b->s ? b->s : "";
}

/* "ref@depth<pred" per node ("<pred" omitted for roots; " (placeholder)" when so), joined by ", ". */
static inline const char *lm_nodes(const graph_lineage_node *v, size_t n)
{
	lm_buf b = {0};
	for (size_t i = 0; i < n; i++) {
		lm_printf(&b, "%s%s@%u", i ? ", " : "", v[i].ref, v[i].depth);
		if (v[i].predecessor && *v[i].predecessor)
			lm_printf(&b, "<%s", v[i].predecessor);
		if (v[i].placeholder)
			lm_printf(&b, " (placeholder)");
	}
	return lm_str(&b);
}

/* "from -kind-> to" per edge, joined by ", ". */
static inline const char *lm_edges(const graph_lineage_edge *v, size_t n)
{
	lm_buf b = {0};
	for (size_t i = 0; i < n; i++)
		lm_printf(&b, "%s%s -%s-> %s", i ? ", " : "", v[i].from_ref, graph_edge_kind_name(v[i].kind),
			  v[i].to_ref);
	return lm_str(&b);
}

static inline const char *lm_strv(const char *const *v, size_t n, const char *sep)
{
	lm_buf b = {0};
	for (size_t i = 0; i < n; i++)
		lm_printf(&b, "%s%s", i ? sep : "", v[i]);
	return lm_str(&b);
}

/* "ref@depth [path] {via}" per affected product, joined by "; ". */
static inline const char *lm_affected(const graph_impact_report *r)
{
	lm_buf b = {0};
	for (size_t i = 0; i < r->count; i++) {
		const graph_affected *a = &r->affected[i];
		lm_printf(&b, "%s%s@%u [%s] {%s}", i ? "; " : "", a->ref, a->depth,
			  lm_strv(a->path, a->path_len, " > "), lm_strv(a->via_fields, a->nvia, ","));
	}
	return lm_str(&b);
}

static inline const char *lm_counts(const graph_count *v, size_t n)
{
	lm_buf b = {0};
	for (size_t i = 0; i < n; i++)
		lm_printf(&b, "%s%s=%zu", i ? ", " : "", v[i].key, v[i].count);
	return lm_str(&b);
}

/* "field:kind[!]" per change (! = breaking), joined by ", ". */
static inline const char *lm_changes(const graph_schema_change *v, size_t n)
{
	lm_buf b = {0};
	for (size_t i = 0; i < n; i++)
		lm_printf(&b, "%s%s:%s%s", i ? ", " : "", v[i].field, graph_lineage_change_kind_name(v[i].kind),
			  v[i].breaking ? "!" : "");
	return lm_str(&b);
}

/* "ref@depth {fields} [path]" per consumer, joined by "; ". */
static inline const char *lm_consumers(const graph_consumer *v, size_t n)
{
	lm_buf b = {0};
	for (size_t i = 0; i < n; i++)
		lm_printf(&b, "%s%s@%u {%s} [%s]", i ? "; " : "", v[i].ref, v[i].depth,
			  lm_strv(v[i].fields, v[i].nfields, ","), lm_strv(v[i].path, v[i].path_len, " > "));
	return lm_str(&b);
}

/* "rule_id<upstream" per violation, joined by ", ". */
static inline const char *lm_violations(const graph_violation *v, size_t n)
{
	lm_buf b = {0};
	for (size_t i = 0; i < n; i++)
		lm_printf(&b, "%s%s<%s", i ? ", " : "", v[i].rule_id, v[i].upstream_ref);
	return lm_str(&b);
}

/* "field<origin" (+ "!" when undeclared) per PII arrival. */
static inline const char *lm_pii(const graph_pii_field *v, size_t n)
{
	lm_buf b = {0};
	for (size_t i = 0; i < n; i++)
		lm_printf(&b, "%s%s<%s%s", i ? ", " : "", v[i].field, v[i].origin, v[i].declared ? "" : "!");
	return lm_str(&b);
}

static inline const char *lm_freshness(const graph_freshness_link *v, size_t n)
{
	lm_buf b = {0};
	for (size_t i = 0; i < n; i++)
		lm_printf(&b, "%s%s=%lld%s", i ? ", " : "", v[i].ref, (long long)v[i].freshness_seconds,
			  v[i].feasible ? "" : "!");
	return lm_str(&b);
}

#endif
