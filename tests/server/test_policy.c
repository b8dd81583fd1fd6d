/* Policy evaluation against a real store: every rule type passing and
 * failing, scope and exceptions, ordering, atomicity of a refused
 * registration, and the audit after an upstream change. */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tributary/policy.h"

static graph_store *store;
static trib_arena A;
static char dir[64];

static void setup(void)
{
	strcpy(dir, "/tmp/trib-poltest-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	graph_open_opts o = GRAPH_OPEN_OPTS_INIT;
	o.no_sync = 1;
	o.map_size = 1u << 20;
	ck_assert_int_eq(graph_open(&store, dir, &o), 0);
	trib_arena_init(&A, 0);
}

static void teardown(void)
{
	graph_close(store);
	trib_arena_dispose(&A);
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* ------------------------------------------------------------- builders */

static char *sdup(const char *s)
{
	return trib_arena_strdup(&A, s);
}

static void *grow(void *arr, size_t n, size_t size)
{
	return trib_arena_realloc(&A, arr, n * size, (n + 1) * size);
}

/* A product that passes every default rule: owner, description, version,
 * one batch port "out" with fields id:long and email:string (nullable), internal. */
static trib_product *product(const char *domain, const char *name)
{
	trib_product *p = trib_arena_alloc(&A, sizeof *p);
	tributary__v1__data_product__init(p);
	p->domain = sdup(domain);
	p->name = sdup(name);
	p->owner = sdup("team-a");
	p->description = sdup("test product");
	p->version = sdup("1.0.0");
	p->governance = trib_arena_alloc(&A, sizeof *p->governance);
	tributary__v1__product_governance__init(p->governance);
	p->governance->data_classification = TRIBUTARY__V1__CLASSIFICATION__CLASSIFICATION_INTERNAL;
	Tributary__V1__OutputPort *op = trib_arena_alloc(&A, sizeof *op);
	tributary__v1__output_port__init(op);
	op->name = sdup("out");
	op->type = TRIBUTARY__V1__PORT_TYPE__PORT_TYPE_BATCH;
	const char *names[] = {"id", "email"}, *types[] = {"long", "string"};
	op->fields = trib_arena_calloc(&A, 2, sizeof *op->fields);
	for (int i = 0; i < 2; i++) {
		Tributary__V1__Field *f = trib_arena_alloc(&A, sizeof *f);
		tributary__v1__field__init(f);
		f->name = sdup(names[i]);
		f->type = sdup(types[i]);
		f->nullable = i == 1;
		op->fields[i] = f;
	}
	op->n_fields = 2;
	p->output_ports = trib_arena_calloc(&A, 1, sizeof *p->output_ports);
	p->output_ports[0] = op;
	p->n_output_ports = 1;
	p->sla = trib_arena_alloc(&A, sizeof *p->sla);
	tributary__v1__sla__init(p->sla);
	return p;
}

static void set_gov(trib_product *p, int klass, int retention_days, int erasure)
{
	p->governance->data_classification = (Tributary__V1__Classification)klass;
	p->governance->retention_days = retention_days;
	p->governance->gdpr_subject_to_erasure = erasure;
}

static void pii(trib_product *p, const char *field)
{
	Tributary__V1__ProductGovernance *g = p->governance;
	g->pii_fields = grow(g->pii_fields, g->n_pii_fields, sizeof *g->pii_fields);
	g->pii_fields[g->n_pii_fields++] = sdup(field);
}

static void freshness(trib_product *p, int64_t seconds)
{
	p->sla->freshness_seconds = seconds;
	p->sla->freshness = trib_arena_printf(&A, "%llds", (long long)seconds);
}

/* Input port reading `source`, the NULL-terminated fields after it. */
static Tributary__V1__InputPort *input(trib_product *p, const char *source, ...)
{
	Tributary__V1__InputPort *ip = trib_arena_alloc(&A, sizeof *ip);
	tributary__v1__input_port__init(ip);
	ip->source = sdup(source);
	va_list ap;
	va_start(ap, source);
	for (const char *f; (f = va_arg(ap, const char *));) {
		ip->fields = grow(ip->fields, ip->n_fields, sizeof *ip->fields);
		ip->fields[ip->n_fields++] = sdup(f);
	}
	va_end(ap);
	p->input_ports = grow(p->input_ports, p->n_input_ports, sizeof *p->input_ports);
	p->input_ports[p->n_input_ports++] = ip;
	return ip;
}

static void mapping(Tributary__V1__InputPort *ip, const char *output, const char *in)
{
	Tributary__V1__FieldMapping *m = trib_arena_alloc(&A, sizeof *m);
	tributary__v1__field_mapping__init(m);
	m->output = sdup(output);
	m->inputs = trib_arena_calloc(&A, 1, sizeof *m->inputs);
	m->inputs[0] = sdup(in);
	m->n_inputs = 1;
	ip->mappings = grow(ip->mappings, ip->n_mappings, sizeof *ip->mappings);
	ip->mappings[ip->n_mappings++] = m;
}

static Tributary__V1__Field *field(trib_product *p, const char *name)
{
	Tributary__V1__OutputPort *op = p->output_ports[0];
	for (size_t i = 0; i < op->n_fields; i++)
		if (!strcmp(op->fields[i]->name, name))
			return op->fields[i];
	ck_abort_msg("no field %s", name);
	return NULL;
}

static void drop_field(trib_product *p, const char *name)
{
	Tributary__V1__OutputPort *op = p->output_ports[0];
	size_t j = 0;
	for (size_t i = 0; i < op->n_fields; i++)
		if (strcmp(op->fields[i]->name, name))
			op->fields[j++] = op->fields[i];
	op->n_fields = j;
}

/* -------------------------------------------------------------- helpers */

static pol_policy *policy(const char *rules)
{
	char *text = trib_arena_printf(&A, "version: 1\nrules:\n%s", rules);
	pol_policy *p;
	int rc = pol_load_buffer(&p, "test.yaml", text, strlen(text));
	ck_assert_msg(rc == 0, "policy does not load: %s", pol_load_diagnostics());
	return p;
}

/* What RegisterProduct does: put, evaluate in the same transaction, abort on
 * an error-severity violation (or a dry run), else commit. */
static int reg(const pol_policy *pol, const trib_product *p, pol_result *res, int dry_run)
{
	graph_txn *t;
	graph_put_result put;
	ck_assert_int_eq(graph_write_begin(&t, store), 0);
	int rc = graph_product_put(&put, t, &A, p, NULL);
	if (!rc)
		rc = pol_evaluate_put(res, pol, t, &A, &put);
	if (!rc && res->nerrors)
		rc = pol_refusal(res, put.stored);
	if (rc || dry_run) {
		graph_txn_abort(t);
		return rc;
	}
	return graph_txn_commit(t);
}

/* One line per violation: "severity rule field [upstream]: message". */
static const char *show(const pol_result *r)
{
	char *s = sdup("");
	for (size_t i = 0; i < r->count; i++) {
		const trib_violation *v = r->items[i];
		s = trib_arena_printf(&A, "%s%s%s %s %s%s%s%s: %s", s, i ? "\n" : "", v->severity, v->rule_id, v->field_path,
				      *v->upstream_ref ? " [" : "", v->upstream_ref, *v->upstream_ref ? "]" : "", v->message);
	}
	return s;
}

static void reg_ok(const pol_policy *pol, const trib_product *p)
{
	pol_result r;
	int rc = reg(pol, p, &r, 0);
	ck_assert_msg(rc == 0, "registration of %s/%s refused: %s", p->domain, p->name, trib_error_last());
}

/* Register and expect exactly these violations (and a refusal when any is an error). */
static void expect(const pol_policy *pol, const trib_product *p, const char *want)
{
	pol_result r;
	int rc = reg(pol, p, &r, 0);
	if (rc != 0 && rc != TRIB_EPOLICY)
		ck_abort_msg("registration failed: %s", trib_error_last());
	ck_assert_str_eq(show(&r), want);
	ck_assert_int_eq(rc, r.nerrors ? TRIB_EPOLICY : 0);
}

static uint64_t id_of(const char *ref)
{
	graph_txn *t;
	uint64_t id = 0;
	ck_assert_int_eq(graph_read_begin(&t, store), 0);
	if (graph_resolve(&id, t, ref))
		id = 0;
	graph_txn_abort(t);
	return id;
}

static int is_registered(const char *ref)
{
	uint64_t id = id_of(ref);
	if (!id)
		return 0;
	graph_txn *t;
	trib_product *p;
	ck_assert_int_eq(graph_read_begin(&t, store), 0);
	ck_assert_int_eq(graph_product_get(&p, t, &A, id, 0), 0);
	int reg_ = !p->placeholder;
	graph_txn_abort(t);
	return reg_;
}

/* ---------------------------------------------------------------- rules */

START_TEST(naming_checks_every_reference_kind)
{
	pol_policy *pol = policy("  - id: names\n    description: d\n    severity: error\n    type: naming\n"
				 "    params: {product: '[a-z][a-z0-9-]*', port: '[a-z_]+', field: '[a-z_]+',"
				 " domain: '[a-z]+', team: '[a-z-]+'}\n");
	trib_product *p = product("sales2", "Orders");
	p->owner = sdup("Team-A");
	p->output_ports[0]->name = sdup("out1");
	field(p, "email")->name = sdup("eMail");
	expect(pol, p,
	       "error names name: product name 'Orders' does not match the naming convention '[a-z][a-z0-9-]*'\n"
	       "error names domain: domain name 'sales2' does not match the naming convention '[a-z]+'\n"
	       "error names owner: team name 'Team-A' does not match the naming convention '[a-z-]+'\n"
	       "error names output_ports[0].name: port name 'out1' does not match the naming convention '[a-z_]+'\n"
	       "error names output_ports[0].fields[1].name: field name 'eMail' does not match the naming convention "
	       "'[a-z_]+'");
	ck_assert(!is_registered("sales2/Orders"));
	/* The pattern must match the whole name, not a part of it. */
	expect(pol, product("sales", "orders-2"), "");
	expect(pol, product("sales", "9orders"),
	       "error names name: product name '9orders' does not match the naming convention '[a-z][a-z0-9-]*'");
	pol_unref(pol);
}
END_TEST

START_TEST(required_fields_reports_what_is_missing)
{
	pol_policy *pol = policy("  - id: req\n    description: d\n    severity: warning\n    type: required-fields\n"
				 "    params:\n      fields: [owner, description, version, output-ports, sla, classification,"
				 " retention, tags, quality-checks, port-schema, glossary-terms]\n");
	trib_product *p = product("sales", "bare");
	p->owner = sdup("");
	p->description = sdup("  ");
	p->version = sdup("");
	p->governance = NULL;
	p->n_output_ports = 0;
	/* Warnings only: registered, with every finding reported. */
	expect(pol, p,
	       "warning req owner: an owner team is required\n"
	       "warning req description: a description is required\n"
	       "warning req version: a version is required\n"
	       "warning req output_ports: at least one output port is required\n"
	       "warning req sla: an SLA is required (on the product, or on every output port)\n"
	       "warning req governance.data_classification: a data classification is required\n"
	       "warning req governance.retention_days: a retention period is required\n"
	       "warning req tags: at least one tag is required\n"
	       "warning req quality_checks: at least one quality check is required\n"
	       "warning req glossary_terms: at least one glossary term is required");
	ck_assert(is_registered("sales/bare"));
	pol_unref(pol);

	/* Defaults: owner, description, output-ports, sla. An SLA on every port will do. */
	pol = policy("  - {id: req, description: d, severity: error, type: required-fields}\n");
	p = product("sales", "ports-sla");
	expect(pol, p, "error req sla: an SLA is required (on the product, or on every output port)");
	p->output_ports[0]->sla = trib_arena_alloc(&A, sizeof(Tributary__V1__Sla));
	tributary__v1__sla__init(p->output_ports[0]->sla);
	p->output_ports[0]->sla->uptime_percent = 99.9;
	expect(pol, p, "");
	p = product("sales", "port-schema");
	p->output_ports[0]->n_fields = 0;
	pol_unref(pol);
	pol = policy("  - {id: req, description: d, severity: error, type: required-fields, params: {fields: [port-schema]}}\n");
	expect(pol, p, "error req output_ports[0].fields: output port 'out' needs a schema");
	p->output_ports[0]->schema_ref = sdup("schemas/out.avsc");
	expect(pol, p, "");
	pol_unref(pol);
}
END_TEST

START_TEST(pii_needs_a_classification_threshold)
{
	pol_policy *pol = policy("  - {id: pii, description: d, severity: error, type: pii-classification}\n");
	trib_product *p = product("crm", "contacts");
	pii(p, "email");
	pii(p, "phone");
	expect(pol, p,
	       "error pii governance.data_classification: declares PII fields (email, ...) but is classified internal; "
	       "products with PII must be confidential or above");
	set_gov(p, 3, 0, 0);
	expect(pol, p, "");
	pol_unref(pol);
	pol = policy("  - {id: pii, description: d, severity: error, type: pii-classification,"
		     " params: {min_classification: restricted}}\n");
	p = product("crm", "leads");
	pii(p, "email");
	set_gov(p, 3, 0, 0);
	expect(pol, p,
	       "error pii governance.data_classification: declares PII fields (email) but is classified confidential; "
	       "products with PII must be restricted or above");
	p = product("crm", "no-pii"); /* no PII: any classification */
	expect(pol, p, "");
	pol_unref(pol);
}
END_TEST

START_TEST(retention_bounds_per_classification)
{
	pol_policy *pol = policy("  - id: ret\n    description: d\n    severity: error\n    type: retention-bounds\n"
				 "    params:\n      confidential: {min_days: 30, max_days: 365}\n");
	trib_product *p = product("crm", "r");
	set_gov(p, 3, 400, 0);
	expect(pol, p, "error ret governance.retention_days: retention of 400 days is above the maximum of 365 days "
		       "for confidential data");
	set_gov(p, 3, 10, 0);
	expect(pol, p, "error ret governance.retention_days: retention of 10 days is below the minimum of 30 days "
		       "for confidential data");
	set_gov(p, 3, 365, 0);
	expect(pol, p, "");
	set_gov(p, 2, 4000, 0); /* internal: unbounded here */
	expect(pol, p, "");
	set_gov(p, 3, 0, 0); /* not stated: fine unless require_stated */
	expect(pol, p, "");
	pol_unref(pol);
	pol = policy("  - {id: ret, description: d, severity: warning, type: retention-bounds, params: {require_stated: true}}\n");
	expect(pol, p, "warning ret governance.retention_days: a retention period must be stated");
	pol_unref(pol);
}
END_TEST

START_TEST(composition_classification_retention_erasure_pii)
{
	pol_policy *pol = policy("  - {id: comp, description: d, severity: error, type: composition}\n");
	trib_product *src = product("crm", "customers");
	set_gov(src, 4, 90, 1);
	pii(src, "email");
	reg_ok(pol, src);
	trib_product *mid = product("crm", "customers-clean");
	set_gov(mid, 4, 90, 1);
	pii(mid, "email");
	input(mid, "crm/customers", "id", "email", NULL);
	reg_ok(pol, mid);

	/* Two hops down, reading email through a mapping into email_hash. */
	trib_product *d = product("sales", "orders-360");
	field(d, "email")->name = sdup("email_hash");
	set_gov(d, 2, 365, 0);
	Tributary__V1__InputPort *ip = input(d, "crm/customers-clean", "id", "email", NULL);
	mapping(ip, "email_hash", "email");
	expect(pol, d,
	       "error comp governance.data_classification [crm/customers-clean]: sales/orders-360 is classified internal "
	       "but upstream crm/customers-clean is restricted: a derived product must be at least as restricted as every "
	       "upstream\n"
	       "error comp governance.data_classification [crm/customers]: sales/orders-360 is classified internal but "
	       "upstream crm/customers is restricted: a derived product must be at least as restricted as every upstream\n"
	       "error comp governance.retention_days [crm/customers-clean]: sales/orders-360 keeps data 365 days but "
	       "upstream crm/customers-clean allows only 90\n"
	       "error comp governance.retention_days [crm/customers]: sales/orders-360 keeps data 365 days but upstream "
	       "crm/customers allows only 90\n"
	       "error comp governance.pii_fields [crm/customers-clean]: 'email_hash' carries PII declared at "
	       "crm/customers-clean#email but sales/orders-360 does not list it in governance.pii_fields\n"
	       "error comp governance.gdpr_subject_to_erasure [crm/customers-clean]: upstream crm/customers-clean is "
	       "subject to erasure requests but sales/orders-360 is not (erasure must propagate downstream)\n"
	       "error comp governance.gdpr_subject_to_erasure [crm/customers]: upstream crm/customers is subject to "
	       "erasure requests but sales/orders-360 is not (erasure must propagate downstream)");
	ck_assert(!is_registered("sales/orders-360"));

	/* Unstated retention under a bounded upstream. */
	set_gov(d, 4, 0, 1);
	pii(d, "email_hash");
	expect(pol, d,
	       "error comp governance.retention_days [crm/customers-clean]: sales/orders-360 states no retention_days but "
	       "upstream crm/customers-clean allows only 90 days\n"
	       "error comp governance.retention_days [crm/customers]: sales/orders-360 states no retention_days but "
	       "upstream crm/customers allows only 90 days");
	set_gov(d, 4, 30, 1);
	expect(pol, d, "");

	/* A whole-product read receives every PII field, passed through by name. */
	trib_product *w = product("sales", "everything");
	set_gov(w, 4, 30, 1);
	input(w, "crm/customers", NULL);
	expect(pol, w,
	       "error comp governance.pii_fields [crm/customers]: 'email' carries PII declared at crm/customers#email but "
	       "sales/everything does not list it in governance.pii_fields");
	/* Reading only non-PII fields carries none. */
	w->input_ports[0]->fields = trib_arena_calloc(&A, 1, sizeof(char *));
	w->input_ports[0]->fields[0] = sdup("id");
	w->input_ports[0]->n_fields = 1;
	expect(pol, w, "");
	pol_unref(pol);

	/* Only the checks asked for. */
	pol = policy("  - {id: comp, description: d, severity: warning, type: composition, params: {checks: [erasure]}}\n");
	trib_product *e = product("sales", "erasure-only");
	input(e, "crm/customers", "id", NULL);
	expect(pol, e,
	       "warning comp governance.gdpr_subject_to_erasure [crm/customers]: upstream crm/customers is subject to "
	       "erasure requests but sales/erasure-only is not (erasure must propagate downstream)");
	pol_unref(pol);
}
END_TEST

START_TEST(composition_skips_sources_and_placeholders)
{
	pol_policy *pol = policy("  - {id: comp, description: d, severity: error, type: composition}\n");
	trib_product *p = product("sales", "orders");
	input(p, "source:orders-db", NULL);
	input(p, "sales/not-yet-registered", NULL);
	Tributary__V1__InputPort *cdc = input(p, "payments-db", NULL);
	cdc->source_type = sdup("postgres-cdc");
	expect(pol, p, "");
	pol_unref(pol);
}
END_TEST

START_TEST(closure_over_the_limit_is_a_warning_not_a_silent_pass)
{
	pol_policy *pol = policy("  - {id: comp, description: d, severity: error, type: composition, params: {max_upstream: 3}}\n"
				 "  - {id: fresh, description: d, severity: error, type: freshness-feasibility,"
				 " params: {max_upstream: 3}}\n");
	/* A chain of five: e reads d reads c reads b reads a. */
	const char *names[] = {"a", "b", "c", "d"};
	for (int i = 0; i < 4; i++) {
		trib_product *p = product("ops", names[i]);
		if (i)
			input(p, trib_arena_printf(&A, "ops/%s", names[i - 1]), "id", NULL);
		reg_ok(pol, p);
	}
	trib_product *e = product("ops", "e");
	set_gov(e, 1, 0, 0);
	freshness(e, 60);
	input(e, "ops/d", "id", NULL);
	pol_result r;
	ck_assert_int_eq(reg(pol, e, &r, 0), 0);
	/* The lineage engine's own words follow ours; ours are checked exactly. */
	const char *want[] = {"warning comp input_ports: composition not checked (params.max_upstream is 3): ",
			      "warning fresh input_ports: freshness-feasibility not checked (params.max_upstream is 3): "};
	ck_assert_uint_eq(r.count, 2);
	for (int i = 0; i < 2; i++) {
		pol_result one = {r.items + i, 1, 0};
		const char *got = show(&one);
		ck_assert_msg(!strncmp(got, want[i], strlen(want[i])) && strlen(got) > strlen(want[i]) + 10, "got: %s", got);
		ck_assert_ptr_nonnull(strstr(got, "max_nodes"));
	}
	ck_assert(is_registered("ops/e"));
	/* Within the limit the same kind of product is checked. */
	e = product("ops", "f");
	set_gov(e, 1, 0, 0);
	input(e, "ops/b", "id", NULL);
	expect(pol, e,
	       "error comp governance.data_classification [ops/b]: ops/f is classified public but upstream ops/b is "
	       "internal: a derived product must be at least as restricted as every upstream\n"
	       "error comp governance.data_classification [ops/a]: ops/f is classified public but upstream ops/a is "
	       "internal: a derived product must be at least as restricted as every upstream");
	pol_unref(pol);
}
END_TEST

START_TEST(freshness_against_upstream_slas)
{
	pol_policy *pol = policy("  - {id: fresh, description: d, severity: error, type: freshness-feasibility}\n");
	trib_product *a = product("ops", "hourly");
	freshness(a, 3600);
	reg_ok(pol, a);
	trib_product *b = product("ops", "daily");
	freshness(b, 86400);
	input(b, "ops/hourly", NULL);
	reg_ok(pol, b);
	trib_product *d = product("ops", "realtime");
	freshness(d, 300);
	input(d, "ops/daily", NULL);
	expect(pol, d,
	       "error fresh sla.freshness [ops/daily]: ops/realtime promises data within 300s but upstream ops/daily is "
	       "only fresh within 86400s\n"
	       "error fresh sla.freshness [ops/hourly]: ops/realtime promises data within 300s but upstream ops/hourly is "
	       "only fresh within 3600s");
	/* A port-level promise counts when the product states none. */
	d->sla->freshness_seconds = 0;
	d->output_ports[0]->sla = trib_arena_alloc(&A, sizeof(Tributary__V1__Sla));
	tributary__v1__sla__init(d->output_ports[0]->sla);
	d->output_ports[0]->sla->freshness_seconds = 7200;
	expect(pol, d,
	       "error fresh output_ports[0].sla.freshness [ops/daily]: ops/realtime promises data within 7200s but "
	       "upstream ops/daily is only fresh within 86400s");
	freshness(d, 86400);
	expect(pol, d, "");
	pol_unref(pol);
	pol = policy("  - {id: fresh, description: d, severity: error, type: freshness-feasibility,"
		     " params: {slack_seconds: 3600}}\n");
	d = product("ops", "near-daily");
	freshness(d, 82800);
	input(d, "ops/daily", NULL);
	expect(pol, d, "");
	pol_unref(pol);
}
END_TEST

START_TEST(breaking_change_needs_a_major_bump)
{
	pol_policy *pol = policy("  - {id: semver, description: d, severity: error, type: breaking-change-major-bump}\n");
	trib_product *p = product("sales", "orders");
	field(p, "id")->type = sdup("int");
	reg_ok(pol, p); /* first registration: nothing to compare */

	/* Widening and relaxing are compatible. */
	p = product("sales", "orders");
	p->version = sdup("1.1.0");
	expect(pol, p, "");

	p = product("sales", "orders");
	p->version = sdup("1.2.0");
	drop_field(p, "email");
	field(p, "id")->type = sdup("string");
	expect(pol, p,
	       "error semver version: breaking schema change (out#id type changed long -> string; out#email removed) "
	       "needs a major version bump: 1.1.0 -> 1.2.0");
	p->version = sdup("2.0.0");
	expect(pol, p, "");

	/* A field added without a default breaks (as CheckSchemaChange classes it); with one it does not. */
	p = product("sales", "orders");
	p->version = sdup("2.1.0");
	field(p, "id")->type = sdup("string");
	expect(pol, p, "error semver version: breaking schema change (out#email added without a default) needs a major "
		       "version bump: 2.0.0 -> 2.1.0");
	field(p, "email")->has_default = 1;
	field(p, "email")->default_value = sdup("null");
	expect(pol, p, "");
	p->version = sdup("2.2.0");
	field(p, "email")->nullable = 0;
	expect(pol, p, "error semver version: breaking schema change (out#email made non-nullable) needs a major "
		       "version bump: 2.1.0 -> 2.2.0");
	pol_unref(pol);
}
END_TEST

START_TEST(breaking_change_cases)
{
	pol_policy *pol = policy("  - {id: semver, description: d, severity: error, type: breaking-change-major-bump}\n");
	trib_product *p = product("sales", "orders");
	reg_ok(pol, p);
	p = product("sales", "orders");
	p->version = sdup("1.0.1");
	field(p, "email")->nullable = 0;
	p->output_ports[0]->fields[0]->name = sdup("order_id");
	expect(pol, p,
	       "error semver version: breaking schema change (out#id removed; out#email made non-nullable; "
	       "out#order_id added without a default) needs a major version bump: 1.0.0 -> 1.0.1");
	p = product("sales", "orders");
	p->version = sdup("1.1.0");
	p->output_ports[0]->name = sdup("out_v2");
	expect(pol, p, "error semver version: breaking schema change (output port 'out' removed) needs a major "
		       "version bump: 1.0.0 -> 1.1.0");
	pol_unref(pol);

	/* Relaxed: a new field without a default is let through, other breaks are not. */
	pol = policy("  - {id: semver, description: d, severity: error, type: breaking-change-major-bump,"
		     " params: {added_without_default_breaks: false, port_removal_breaks: false}}\n");
	p = product("sales", "orders");
	p->version = sdup("1.2.0");
	p->output_ports[0]->name = sdup("out_v3");
	Tributary__V1__Field *extra = field(p, "email");
	extra->name = sdup("phone");
	expect(pol, p, "");
	p = product("sales", "orders");
	p->version = sdup("1.3.0");
	p->output_ports[0]->name = sdup("out_v3");
	expect(pol, p, "error semver version: breaking schema change (out_v3#phone removed) needs a major version bump: "
		       "1.2.0 -> 1.3.0");
	pol_unref(pol);

	/* 0.x: a minor bump will do by default. */
	pol = policy("  - {id: semver, description: d, severity: error, type: breaking-change-major-bump}\n");
	p = product("lab", "beta");
	p->version = sdup("0.3.1");
	reg_ok(pol, p);
	p = product("lab", "beta");
	p->version = sdup("0.3.2");
	drop_field(p, "email");
	expect(pol, p, "error semver version: breaking schema change (out#email removed) needs a major version bump: "
		       "0.3.1 -> 0.3.2");
	p->version = sdup("0.4.0");
	expect(pol, p, "");
	pol_unref(pol);
}
END_TEST

START_TEST(upstream_lifecycle_deprecated_deleted_unregistered)
{
	pol_policy *pol = policy("  - {id: life, description: d, severity: error, type: upstream-lifecycle}\n");
	reg_ok(pol, product("crm", "old"));
	trib_product *reader = product("sales", "reader");
	input(reader, "crm/old", NULL);
	reg_ok(pol, reader);

	graph_txn *t;
	trib_product *dep;
	ck_assert_int_eq(graph_write_begin(&t, store), 0);
	ck_assert_int_eq(graph_product_deprecate(&dep, t, &A, id_of("crm/old"), "superseded", "crm/new", NULL), 0);
	ck_assert_int_eq(graph_txn_commit(t), 0);

	trib_product *p = product("sales", "late-reader");
	input(p, "source:crm-db", NULL);
	input(p, "crm/old", NULL);
	expect(pol, p, "warning life input_ports[1].source [crm/old]: reads deprecated product crm/old: superseded; use crm/new");
	ck_assert(is_registered("sales/late-reader"));

	/* Deleted while read: a placeholder is left, and reading it is an error. */
	graph_delete_result dr;
	ck_assert_int_eq(graph_write_begin(&t, store), 0);
	ck_assert_int_eq(graph_product_delete(&dr, t, id_of("crm/old"), NULL), 0);
	ck_assert_int_eq(graph_txn_commit(t), 0);
	ck_assert_int_eq(dr.placeholder_left, 1);
	p = product("sales", "later-reader");
	input(p, "crm/old", NULL);
	expect(pol, p, "error life input_ports[0].source [crm/old]: reads crm/old, which has been deleted");

	/* Never registered yet: registration order is arbitrary, so off by default. */
	p = product("sales", "early-reader");
	input(p, "crm/upcoming", NULL);
	expect(pol, p, "");
	pol_unref(pol);
	pol = policy("  - {id: life, description: d, severity: error, type: upstream-lifecycle,"
		     " params: {unregistered: warning, deprecated: off}}\n");
	p = product("sales", "early-reader");
	input(p, "crm/upcoming2", NULL);
	expect(pol, p, "warning life input_ports[0].source [crm/upcoming2]: reads crm/upcoming2, which is not registered");
	pol_unref(pol);
}
END_TEST

START_TEST(owner_must_own_the_domain_when_mapped)
{
	pol_policy *pol = policy("  - {id: own, description: d, severity: error, type: owner-in-domain-map,"
				 " params: {also: {sales: [team-b]}}}\n");
	trib_product *p = product("sales", "orders");
	p->owner = sdup("team-c");
	expect(pol, p, ""); /* no domain map for sales yet */

	trib_domain d;
	tributary__v1__domain__init(&d);
	d.name = "sales";
	d.owner_team = "team-a";
	graph_txn *t;
	ck_assert_int_eq(graph_write_begin(&t, store), 0);
	ck_assert_int_eq(graph_domain_put(t, &d, NULL), 0);
	ck_assert_int_eq(graph_txn_commit(t), 0);

	p = product("sales", "orders");
	p->owner = sdup("team-c");
	expect(pol, p, "error own owner: owner team 'team-c' is not the owner of domain 'sales' ('team-a') nor listed for it");
	p->owner = sdup("team-b");
	expect(pol, p, "");
	p = product("sales", "orders2");
	expect(pol, p, "");
	pol_unref(pol);

	pol = policy("  - {id: own, description: d, severity: error, type: owner-in-domain-map,"
		     " params: {require_domain: true}}\n");
	expect(pol, product("hr", "people"), "error own domain: domain 'hr' is not in the domain map");
	pol_unref(pol);
}
END_TEST

START_TEST(scope_and_exceptions)
{
	pol_policy *pol = policy("  - id: pii\n    description: d\n    severity: error\n    type: pii-classification\n"
				 "    scope: {domains: [finance, hr]}\n"
				 "    exceptions:\n"
				 "      - {product: finance/legacy, rationale: retired next quarter}\n"
				 "      - {domain: hr, rationale: isolated account}\n");
	const char *doms[] = {"sales", "finance", "finance", "hr"}, *names[] = {"a", "b", "legacy", "c"};
	const char *want[] = {"", "error pii governance.data_classification: declares PII fields (iban) but is "
				  "classified internal; products with PII must be confidential or above", "", ""};
	for (int i = 0; i < 4; i++) {
		trib_product *p = product(doms[i], names[i]);
		pii(p, "iban");
		expect(pol, p, want[i]);
	}
	pol_unref(pol);
}
END_TEST

START_TEST(errors_come_first_then_rule_order)
{
	pol_policy *pol = policy("  - {id: w1, description: d, severity: warning, type: required-fields, params: {fields: [tags]}}\n"
				 "  - {id: e1, description: d, severity: error, type: naming, params: {product: '[a-z]+'}}\n"
				 "  - {id: w2, description: d, severity: warning, type: required-fields,"
				 " params: {fields: [glossary-terms]}}\n"
				 "  - {id: e2, description: d, severity: error, type: required-fields, params: {fields: [sla]}}\n");
	pol_result r;
	ck_assert_int_eq(reg(pol, product("sales", "orders-1"), &r, 0), TRIB_EPOLICY);
	ck_assert_str_eq(show(&r),
			 "error e1 name: product name 'orders-1' does not match the naming convention '[a-z]+'\n"
			 "error e2 sla: an SLA is required (on the product, or on every output port)\n"
			 "warning w1 tags: at least one tag is required\n"
			 "warning w2 glossary_terms: at least one glossary term is required");
	ck_assert_uint_eq(r.nerrors, 2);
	ck_assert_str_eq(trib_error_last(),
			 "policy refused sales/orders-1: 2 violations: [e1] product name 'orders-1' does not match the "
			 "naming convention '[a-z]+' (name); [e2] an SLA is required (on the product, or on every output "
			 "port) (sla)");
	pol_unref(pol);
}
END_TEST

START_TEST(refused_registration_changes_nothing)
{
	pol_policy *pol = policy("  - {id: comp, description: d, severity: error, type: composition}\n");
	trib_product *up = product("crm", "customers");
	set_gov(up, 4, 0, 0);
	reg_ok(pol, up);
	graph_txn *t;
	graph_stats before, after;
	ck_assert_int_eq(graph_read_begin(&t, store), 0);
	ck_assert_int_eq(graph_stats_get(&before, t), 0);
	graph_txn_abort(t);

	/* New product, two unregistered upstreams (placeholders), edges: all refused. */
	trib_product *p = product("sales", "leaky");
	input(p, "crm/customers", "id", NULL);
	input(p, "crm/not-yet-1", NULL);
	input(p, "crm/not-yet-2", NULL);
	pol_result r;
	ck_assert_int_eq(reg(pol, p, &r, 0), TRIB_EPOLICY);
	ck_assert_uint_eq(r.nerrors, 1);

	/* A dry run that passes writes nothing either. */
	trib_product *ok = product("sales", "fine");
	set_gov(ok, 4, 0, 0);
	input(ok, "crm/customers", "id", NULL);
	input(ok, "crm/not-yet-3", NULL);
	ck_assert_int_eq(reg(pol, ok, &r, 1), 0);
	ck_assert_uint_eq(r.count, 0);

	ck_assert_int_eq(graph_read_begin(&t, store), 0);
	ck_assert_int_eq(graph_stats_get(&after, t), 0);
	graph_txn_abort(t);
	ck_assert_uint_eq(after.nodes, before.nodes);
	ck_assert_uint_eq(after.products, before.products);
	ck_assert_uint_eq(after.placeholders, before.placeholders);
	ck_assert_uint_eq(after.edges, before.edges);
	ck_assert_uint_eq(after.revisions, before.revisions);
	ck_assert_uint_eq(after.audit_entries, before.audit_entries);
	ck_assert_uint_eq(id_of("sales/leaky"), 0);
	ck_assert_uint_eq(id_of("crm/not-yet-1"), 0);
	ck_assert_uint_eq(id_of("crm/not-yet-3"), 0);
	ck_assert_uint_eq(id_of("sales/fine"), 0);

	/* An existing product refused on update keeps its last revision. */
	trib_product *v1 = product("sales", "kept");
	set_gov(v1, 4, 0, 0);
	reg_ok(pol, v1);
	trib_product *v2 = product("sales", "kept");
	v2->version = sdup("1.1.0");
	input(v2, "crm/customers", NULL);
	ck_assert_int_eq(reg(pol, v2, &r, 0), TRIB_EPOLICY);
	trib_product *cur;
	ck_assert_int_eq(graph_read_begin(&t, store), 0);
	ck_assert_int_eq(graph_product_get(&cur, t, &A, id_of("sales/kept"), 0), 0);
	graph_txn_abort(t);
	ck_assert_str_eq(cur->version, "1.0.0");
	ck_assert_uint_eq(cur->revision, 1);
	ck_assert_uint_eq(cur->n_input_ports, 0);
	pol_unref(pol);
}
END_TEST

START_TEST(audit_lists_products_left_non_compliant)
{
	pol_policy *pol = policy("  - {id: comp, description: d, severity: error, type: composition}\n"
				 "  - {id: tags, description: d, severity: warning, type: required-fields, params: {fields: [tags]}}\n");
	trib_product *up = product("crm", "customers");
	up->tags = trib_arena_calloc(&A, 1, sizeof(char *));
	up->tags[0] = sdup("core");
	up->n_tags = 1;
	reg_ok(pol, up);
	trib_product *d = product("sales", "orders");
	d->tags = up->tags;
	d->n_tags = 1;
	input(d, "crm/customers", "id", NULL);
	reg_ok(pol, d);
	trib_product *other = product("sales", "untagged"); /* warning only */
	reg_ok(pol, other);

	graph_txn *t;
	Tributary__V1__PolicyAuditReport *rep;
	ck_assert_int_eq(graph_read_begin(&t, store), 0);
	ck_assert_int_eq(pol_audit(&rep, pol, t, &A, NULL, 0), 0);
	graph_txn_abort(t);
	ck_assert_uint_eq(rep->products_checked, 3);
	ck_assert_uint_eq(rep->n_non_compliant, 1);
	ck_assert_str_eq(rep->non_compliant[0]->ref, "sales/untagged");

	/* The upstream's classification rises: the reader is now in violation. */
	up->version = sdup("1.1.0");
	set_gov(up, 3, 0, 0);
	reg_ok(pol, up);
	ck_assert_int_eq(graph_read_begin(&t, store), 0);
	ck_assert_int_eq(pol_audit(&rep, pol, t, &A, "", 0), 0);
	graph_txn_abort(t);
	ck_assert_uint_eq(rep->products_checked, 3);
	ck_assert_uint_eq(rep->n_non_compliant, 2);
	ck_assert_str_eq(rep->non_compliant[0]->ref, "sales/orders");
	ck_assert_str_eq(rep->non_compliant[0]->owner, "team-a");
	pol_result r = {rep->non_compliant[0]->violations, rep->non_compliant[0]->n_violations, 1};
	ck_assert_str_eq(show(&r),
			 "error comp governance.data_classification [crm/customers]: sales/orders is classified internal "
			 "but upstream crm/customers is confidential: a derived product must be at least as restricted as "
			 "every upstream");
	ck_assert_str_eq(rep->non_compliant[1]->ref, "sales/untagged");

	/* By domain. */
	ck_assert_int_eq(graph_read_begin(&t, store), 0);
	ck_assert_int_eq(pol_audit(&rep, pol, t, &A, "crm", 0), 0);
	graph_txn_abort(t);
	ck_assert_uint_eq(rep->products_checked, 1);
	ck_assert_uint_eq(rep->n_non_compliant, 0);
	pol_unref(pol);
}
END_TEST

START_TEST(audit_pages_through_many_products)
{
	pol_policy *pol = policy("  - {id: names, description: d, severity: warning, type: naming, params: {product: 'p[0-9]*0'}}\n");
	graph_txn *t;
	ck_assert_int_eq(graph_write_begin(&t, store), 0);
	for (int i = 0; i < 600; i++) {
		graph_put_result put;
		ck_assert_int_eq(graph_product_put(&put, t, &A, product("bulk", trib_arena_printf(&A, "p%d", i)), NULL), 0);
	}
	ck_assert_int_eq(graph_txn_commit(t), 0);
	Tributary__V1__PolicyAuditReport *rep;
	ck_assert_int_eq(graph_read_begin(&t, store), 0);
	ck_assert_int_eq(pol_audit(&rep, pol, t, &A, "bulk", 0), 0);
	graph_txn_abort(t);
	ck_assert_uint_eq(rep->products_checked, 600);
	ck_assert_uint_eq(rep->n_non_compliant, 540); /* all but p0, p10, ..., p590 */
	ck_assert_str_eq(rep->non_compliant[0]->ref, "bulk/p1");
	ck_assert_str_eq(rep->non_compliant[539]->ref, "bulk/p599");
	pol_unref(pol);
}
END_TEST

START_TEST(default_policy_accepts_a_complete_product_and_refuses_pii_leak)
{
	pol_policy *pol;
	ck_assert_int_eq(pol_load_default(&pol), 0);
	trib_product *p = product("crm", "customers");
	freshness(p, 3600);
	expect(pol, p, "");
	trib_product *q = product("crm", "Contacts");
	pii(q, "email");
	expect(pol, q,
	       "error naming name: product name 'Contacts' does not match the naming convention '[a-z][a-z0-9-]*'\n"
	       "error pii-confidential governance.data_classification: declares PII fields (email) but is classified "
	       "internal; products with PII must be confidential or above\n"
	       "warning sla-stated sla: an SLA is required (on the product, or on every output port)");
	pol_unref(pol);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("policy");
	TCase *tc = tcase_create("evaluate");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, naming_checks_every_reference_kind);
	tcase_add_test(tc, required_fields_reports_what_is_missing);
	tcase_add_test(tc, pii_needs_a_classification_threshold);
	tcase_add_test(tc, retention_bounds_per_classification);
	tcase_add_test(tc, composition_classification_retention_erasure_pii);
	tcase_add_test(tc, composition_skips_sources_and_placeholders);
	tcase_add_test(tc, closure_over_the_limit_is_a_warning_not_a_silent_pass);
	tcase_add_test(tc, freshness_against_upstream_slas);
	tcase_add_test(tc, breaking_change_needs_a_major_bump);
	tcase_add_test(tc, breaking_change_cases);
	tcase_add_test(tc, upstream_lifecycle_deprecated_deleted_unregistered);
	tcase_add_test(tc, owner_must_own_the_domain_when_mapped);
	tcase_add_test(tc, scope_and_exceptions);
	tcase_add_test(tc, errors_come_first_then_rule_order);
	tcase_add_test(tc, refused_registration_changes_nothing);
	tcase_add_test(tc, audit_lists_products_left_non_compliant);
	tcase_add_test(tc, audit_pages_through_many_products);
	tcase_add_test(tc, default_policy_accepts_a_complete_product_and_refuses_pii_leak);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
