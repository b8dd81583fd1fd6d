/* tributary.v1.Lineage handlers (server/h_lineage.c) through the dispatcher: translation and validation. */
#include "srv_fixture.h"

#include <string.h>

#include <grpc/status.h>

#include "tributary/lineage.h"

#define LIN "/tributary.v1.Lineage/"

static char *dup(const char *s)
{
	return trib_arena_strdup(&tsrv_arena, s);
}

/* An input port reading `fields` (NULL-terminated; none = the whole product). */
static Tributary__V1__InputPort *input(trib_product *p, const char *source, const char *port, ...)
{
	Tributary__V1__InputPort *in = srv_msg_new(&tsrv_arena, &tributary__v1__input_port__descriptor);
	in->source = dup(source);
	if (port)
		in->port = dup(port);
	va_list ap;
	va_start(ap, port);
	for (const char *f; (f = va_arg(ap, const char *));) {
		char **v = trib_arena_realloc(&tsrv_arena, in->fields, in->n_fields * sizeof *v, (in->n_fields + 1) * sizeof *v);
		v[in->n_fields++] = dup(f);
		in->fields = v;
	}
	va_end(ap);
	Tributary__V1__InputPort **ins = trib_arena_realloc(&tsrv_arena, p->input_ports, p->n_input_ports * sizeof *ins,
							      (p->n_input_ports + 1) * sizeof *ins);
	ins[p->n_input_ports++] = in;
	p->input_ports = ins;
	return in;
}

/* Straight into the store: these tests are about the Lineage handlers, not the policy. */
static void put(const trib_product *p)
{
	graph_txn *t;
	ck_assert_int_eq(graph_write_begin(&t, tsrv_store), 0);
	graph_put_opts o = GRAPH_PUT_OPTS_INIT;
	graph_put_result r;
	int rc = graph_product_put(&r, t, &tsrv_arena, p, &o);
	ck_assert_msg(rc == 0, "put: %s", trib_error_last());
	ck_assert_int_eq(graph_txn_commit(t), 0);
}

/*
 * sales/orders:main(id, customer_email), restricted, PII customer_email
 *   sales/daily reads orders whole
 *   mkt/audience reads orders:main [customer_email], outputs customer_email
 */
static void mesh(void)
{
	trib_product *o = tsrv_product("sales", "orders", "sales-team");
	o->governance = srv_msg_new(&tsrv_arena, &tributary__v1__product_governance__descriptor);
	o->governance->data_classification = TRIBUTARY__V1__CLASSIFICATION__CLASSIFICATION_RESTRICTED;
	o->governance->n_pii_fields = 1;
	o->governance->pii_fields = trib_arena_calloc(&tsrv_arena, 1, sizeof(char *));
	o->governance->pii_fields[0] = dup("customer_email");
	put(o);
	trib_product *d = tsrv_product("sales", "daily", "sales-team");
	input(d, "sales/orders", NULL, NULL);
	put(d);
	trib_product *a = tsrv_product("mkt", "audience", "mkt-team");
	input(a, "sales/orders", "main", "customer_email", NULL);
	a->sla->freshness_seconds = 60;
	a->sla->freshness = dup("1 minute");
	put(a);
}

static tsrv_result lineage(Tributary__V1__LineageRequest *req)
{
	return tsrv_call(LIN "GetLineage", &req->base);
}

START_TEST(get_lineage_translates_nodes_edges_and_pages)
{
	mesh();
	Tributary__V1__LineageRequest req = TRIBUTARY__V1__LINEAGE_REQUEST__INIT;
	req.ref = "orders";
	tsrv_result r = lineage(&req);
	tsrv_assert_status(r, GRPC_STATUS_OK, "");
	Tributary__V1__LineageGraph *g = (void *)r.resp;
	ck_assert_str_eq(g->root, "sales/orders");
	ck_assert_uint_eq(g->n_nodes, 3);
	ck_assert_uint_eq(g->total_nodes, 3);
	ck_assert_str_eq(g->nodes[1]->ref, "sales/daily");
	ck_assert_str_eq(g->nodes[1]->predecessor, "sales/orders");
	ck_assert_uint_eq(g->nodes[1]->depth, 1);
	ck_assert_int_eq(g->nodes[1]->kind, TRIBUTARY__V1__NODE_KIND__NODE_KIND_PRODUCT);
	ck_assert_str_eq(g->nodes[2]->owner, "mkt-team");
	ck_assert_str_eq(g->nodes[2]->domain, "mkt");
	ck_assert_uint_eq(g->n_edges, 2);
	ck_assert_str_eq(g->edges[1]->from, "sales/orders");
	ck_assert_str_eq(g->edges[1]->to, "mkt/audience");
	ck_assert_str_eq(g->edges[1]->kind, "feeds");
	ck_assert(!g->truncated);
	ck_assert_str_eq(g->next_page_token, "");

	/* one node per page, following the tokens */
	req.page_size = 1;
	const char *seen[3];
	for (int i = 0; i < 3; i++) {
		r = lineage(&req);
		tsrv_assert_status(r, GRPC_STATUS_OK, "");
		g = (void *)r.resp;
		ck_assert_uint_eq(g->n_nodes, 1);
		seen[i] = g->nodes[0]->ref;
		req.page_token = g->next_page_token;
		ck_assert_int_eq(*req.page_token != '\0', i < 2);
	}
	ck_assert_str_eq(seen[2], "mkt/audience");
	/* a token is bound to its query */
	req.page_size = 1;
	req.page_token = NULL;
	g = (void *)lineage(&req).resp;
	req.page_token = g->next_page_token;
	req.direction = TRIBUTARY__V1__DIRECTION__DIRECTION_UPSTREAM;
	tsrv_assert_status(lineage(&req), GRPC_STATUS_INVALID_ARGUMENT, "page_token: ");

	/* field level, upstream, from the audience's reading */
	Tributary__V1__LineageRequest up = TRIBUTARY__V1__LINEAGE_REQUEST__INIT;
	up.ref = "mkt/audience";
	up.direction = TRIBUTARY__V1__DIRECTION__DIRECTION_UPSTREAM;
	up.level = TRIBUTARY__V1__LEVEL__LEVEL_FIELD;
	Tributary__V1__NodeKind kinds[] = {TRIBUTARY__V1__NODE_KIND__NODE_KIND_FIELD};
	up.kinds = kinds;
	up.n_kinds = 1;
	r = lineage(&up);
	tsrv_assert_status(r, GRPC_STATUS_OK, "");
	g = (void *)r.resp;
	/* its own fields (port main; the pass-through one was created first), then the one it reads */
	ck_assert_uint_eq(g->n_nodes, 3);
	ck_assert_str_eq(g->nodes[0]->ref, "mkt/audience#customer_email");
	ck_assert_str_eq(g->nodes[1]->ref, "mkt/audience#id");
	ck_assert_str_eq(g->nodes[2]->ref, "sales/orders#customer_email");
	ck_assert_uint_eq(g->nodes[2]->depth, 1);
}
END_TEST

START_TEST(get_lineage_validates_every_field)
{
	mesh();
	Tributary__V1__LineageRequest req = TRIBUTARY__V1__LINEAGE_REQUEST__INIT;
	tsrv_assert_status(lineage(&req), GRPC_STATUS_INVALID_ARGUMENT, "ref: required");
	req.ref = "sales//x";
	tsrv_assert_status(lineage(&req), GRPC_STATUS_INVALID_ARGUMENT, "ref: ");
	req.ref = "sales/nope";
	tsrv_assert_status(lineage(&req), GRPC_STATUS_NOT_FOUND, "sales/nope");
	req.ref = "sales/orders";
	req.direction = 9;
	tsrv_assert_status(lineage(&req), GRPC_STATUS_INVALID_ARGUMENT, "direction: unknown value 9");
	req.direction = 0;
	req.level = 7;
	tsrv_assert_status(lineage(&req), GRPC_STATUS_INVALID_ARGUMENT, "level: unknown value 7");
	req.level = 0;
	Tributary__V1__NodeKind kinds[] = {TRIBUTARY__V1__NODE_KIND__NODE_KIND_PRODUCT, 42};
	req.kinds = kinds;
	req.n_kinds = 2;
	tsrv_assert_status(lineage(&req), GRPC_STATUS_INVALID_ARGUMENT, "kinds[1]: unknown node kind 42");
	req.n_kinds = 0;
	char *doms[] = {"sales", "no such"};
	req.domains = doms;
	req.n_domains = 2;
	tsrv_assert_status(lineage(&req), GRPC_STATUS_INVALID_ARGUMENT, "domains[1]: ");
	req.n_domains = 1;
	req.page_token = "12.junk";
	tsrv_assert_status(lineage(&req), GRPC_STATUS_INVALID_ARGUMENT, "page_token: ");
	req.page_token = NULL;
	req.max_nodes = 2;
	tsrv_result r = lineage(&req);
	tsrv_assert_status(r, GRPC_STATUS_OK, "");
	ck_assert(((Tributary__V1__LineageGraph *)r.resp)->truncated);
}
END_TEST

START_TEST(impact_reports_products_counts_and_summary)
{
	mesh();
	Tributary__V1__ImpactRequest req = TRIBUTARY__V1__IMPACT_REQUEST__INIT;
	req.ref = "sales/orders";
	tsrv_result r = tsrv_call(LIN "Impact", &req.base);
	tsrv_assert_status(r, GRPC_STATUS_OK, "");
	Tributary__V1__ImpactReport *g = (void *)r.resp;
	ck_assert_str_eq(g->root, "sales/orders");
	ck_assert_uint_eq(g->total, 2);
	ck_assert_uint_eq(g->n_affected, 2);
	ck_assert_str_eq(g->affected[1]->ref, "mkt/audience");
	ck_assert_uint_eq(g->affected[1]->n_path, 2);
	ck_assert_str_eq(g->affected[1]->path[0], "sales/orders");
	ck_assert_uint_eq(g->affected[1]->n_via_fields, 1);
	ck_assert_str_eq(g->affected[1]->via_fields[0], "sales/orders#customer_email");
	ck_assert_uint_eq(g->n_by_domain, 2);
	ck_assert_str_eq(g->by_domain[0]->key, "mkt");
	ck_assert_uint_eq(g->by_domain[0]->count, 1);
	req.summary_only = 1;
	r = tsrv_call(LIN "Impact", &req.base);
	g = (void *)r.resp;
	ck_assert_uint_eq(g->total, 2);
	ck_assert_uint_eq(g->n_affected, 0);
	ck_assert_uint_eq(g->n_by_owner, 2);
	req.ref = "sales-team";
	tsrv_assert_status(tsrv_call(LIN "Impact", &req.base), GRPC_STATUS_INVALID_ARGUMENT,
			   "ref: impact starts at a product, port or field, not team 'sales-team'");
}
END_TEST

static Tributary__V1__Field *field(const char *name, const char *type)
{
	Tributary__V1__Field *f = srv_msg_new(&tsrv_arena, &tributary__v1__field__descriptor);
	f->name = dup(name);
	f->type = dup(type);
	return f;
}

START_TEST(check_schema_change_names_the_port_either_way)
{
	mesh();
	Tributary__V1__Field *fields[] = {field("id", "long")};
	Tributary__V1__SchemaChangeRequest req = TRIBUTARY__V1__SCHEMA_CHANGE_REQUEST__INIT;
	req.fields = fields;
	req.n_fields = 1;
	req.ref = "sales/orders:main";
	tsrv_result r = tsrv_call(LIN "CheckSchemaChange", &req.base);
	tsrv_assert_status(r, GRPC_STATUS_OK, "");
	Tributary__V1__SchemaChangeReport *g = (void *)r.resp;
	ck_assert_str_eq(g->ref, "sales/orders:main");
	ck_assert(!g->compatible);
	ck_assert_uint_eq(g->n_changes, 1);
	ck_assert_str_eq(g->changes[0]->field, "customer_email");
	ck_assert_int_eq(g->changes[0]->kind, TRIBUTARY__V1__CHANGE_KIND__CHANGE_KIND_FIELD_REMOVED);
	ck_assert(g->changes[0]->breaking);
	ck_assert_uint_eq(g->n_broken, 1);
	ck_assert_str_eq(g->broken[0]->ref, "mkt/audience");
	ck_assert_str_eq(g->broken[0]->fields[0], "customer_email");
	ck_assert_uint_eq(g->n_broken, 1);
	ck_assert_uint_eq(g->n_possibly_affected, 1);
	ck_assert_str_eq(g->possibly_affected[0]->ref, "sales/daily");
	ck_assert_str_eq(g->verdict, "incompatible: 1 breaking change of 1; breaks 1 consumer, 1 possibly affected");

	req.ref = "orders";
	req.port = "main";
	r = tsrv_call(LIN "CheckSchemaChange", &req.base);
	tsrv_assert_status(r, GRPC_STATUS_OK, "");
	ck_assert_str_eq(((Tributary__V1__SchemaChangeReport *)r.resp)->ref, "sales/orders:main");

	req.port = NULL;
	tsrv_assert_status(tsrv_call(LIN "CheckSchemaChange", &req.base), GRPC_STATUS_INVALID_ARGUMENT,
			   "port: required when ref ('orders') names no port");
	req.port = "nope";
	tsrv_assert_status(tsrv_call(LIN "CheckSchemaChange", &req.base), GRPC_STATUS_NOT_FOUND,
			   "port: sales/orders has no output port 'nope'");
	req.ref = "sales/orders:main";
	req.port = "other";
	tsrv_assert_status(tsrv_call(LIN "CheckSchemaChange", &req.base), GRPC_STATUS_INVALID_ARGUMENT,
			   "port: 'other' differs");
	req.port = NULL;
	Tributary__V1__Field *twice[] = {field("id", "long"), field("id", "int")};
	req.fields = twice;
	req.n_fields = 2;
	tsrv_assert_status(tsrv_call(LIN "CheckSchemaChange", &req.base), GRPC_STATUS_INVALID_ARGUMENT,
			   "fields[1].name: 'id' appears twice");
	req.ref = "";
	tsrv_assert_status(tsrv_call(LIN "CheckSchemaChange", &req.base), GRPC_STATUS_INVALID_ARGUMENT, "ref: required");
}
END_TEST

START_TEST(provenance_reports_constraints_and_violations)
{
	mesh();
	Tributary__V1__ProvenanceRequest req = TRIBUTARY__V1__PROVENANCE_REQUEST__INIT;
	req.ref = "mkt/audience";
	tsrv_result r = tsrv_call(LIN "Provenance", &req.base);
	tsrv_assert_status(r, GRPC_STATUS_OK, "");
	Tributary__V1__ProvenanceReport *g = (void *)r.resp;
	ck_assert_str_eq(g->root, "mkt/audience");
	ck_assert_uint_eq(g->n_sources, 1);
	ck_assert_str_eq(g->sources[0], "sales/orders");
	ck_assert_uint_eq(g->n_upstream, 1);
	ck_assert_str_eq(g->upstream[0]->predecessor, "mkt/audience");
	ck_assert_int_eq(g->effective_classification, TRIBUTARY__V1__CLASSIFICATION__CLASSIFICATION_RESTRICTED);
	ck_assert_str_eq(g->classification_from, "sales/orders");
	ck_assert_uint_eq(g->n_pii_fields, 1);
	ck_assert_str_eq(g->pii_fields[0]->field, "mkt/audience#customer_email");
	ck_assert_str_eq(g->pii_fields[0]->origin, "sales/orders#customer_email");
	ck_assert(!g->pii_fields[0]->declared);
	ck_assert_uint_eq(g->n_freshness_chain, 2);
	ck_assert_int_eq(g->freshness_chain[1]->freshness_seconds, 3600);
	ck_assert(!g->freshness_chain[1]->feasible);
	ck_assert_uint_eq(g->n_violations, 3);
	ck_assert_str_eq(g->violations[0]->rule_id, "composition.classification");
	ck_assert_str_eq(g->violations[1]->rule_id, "composition.pii-undeclared");
	ck_assert_str_eq(g->violations[2]->rule_id, "freshness.infeasible");
	ck_assert_str_eq(g->violations[2]->upstream_ref, "sales/orders");
	ck_assert_str_eq(g->violations[2]->field_path, "sla.freshness");
	req.ref = "sales/orders:main";
	tsrv_assert_status(tsrv_call(LIN "Provenance", &req.base), GRPC_STATUS_INVALID_ARGUMENT, "not a data product");
	req.ref = "";
	tsrv_assert_status(tsrv_call(LIN "Provenance", &req.base), GRPC_STATUS_INVALID_ARGUMENT, "ref: required");
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("lineage-rpc");
	TCase *tc = tcase_create("handlers");
	tcase_add_checked_fixture(tc, tsrv_setup, tsrv_teardown);
	tcase_add_test(tc, get_lineage_translates_nodes_edges_and_pages);
	tcase_add_test(tc, get_lineage_validates_every_field);
	tcase_add_test(tc, impact_reports_products_counts_and_summary);
	tcase_add_test(tc, check_schema_change_names_the_port_either_way);
	tcase_add_test(tc, provenance_reports_constraints_and_violations);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tsrv_run(suite());
}
