/* Registration, placeholders, bare names, re-registration, revisions, delete, list. */
#include <stdlib.h>
#include <string.h>

#include "graph_fixture.h"

static trib_product *get_latest(uint64_t id, uint64_t rev)
{
	graph_txn *t;
	trib_product *p = NULL;
	ck_assert_int_eq(graph_read_begin(&t, fx_store), 0);
	int rc = graph_product_get(&p, t, &fx_arena, id, rev);
	graph_txn_abort(t);
	ck_assert_msg(rc == 0, "get: %s", trib_error_last());
	return p;
}

START_TEST(put_then_get_returns_the_record_with_server_fields)
{
	trib_product *p = fx_product("customer", "customer-360", "customer-platform");
	fx_output(p, "snapshot", "customer_id", "email_hash", NULL);
	p->description = "one row per customer";
	graph_put_result r;
	ck_assert_int_eq(fx_put(p, &r), 0);
	ck_assert_int_eq(r.created, 1);
	ck_assert_uint_eq(r.revision, 1);
	ck_assert_str_eq(r.stored->registered_by, "tester");
	ck_assert_int_gt(r.stored->registered_at_ms, 0);
	ck_assert_uint_eq(fx_id("customer/customer-360"), r.id);
	ck_assert_uint_eq(fx_id("customer-360"), r.id);

	trib_product *g = get_latest(r.id, 0);
	ck_assert_str_eq(g->name, "customer-360");
	ck_assert_str_eq(g->domain, "customer");
	ck_assert_str_eq(g->owner, "customer-platform");
	ck_assert_str_eq(g->description, "one row per customer");
	ck_assert_uint_eq(g->n_output_ports, 1);
	ck_assert_uint_eq(g->output_ports[0]->n_fields, 2);
	ck_assert_uint_eq(g->revision, 1);
	ck_assert(!g->placeholder);
	/* the caller's record is not modified */
	ck_assert_uint_eq(p->revision, 0);

	uint64_t port = fx_id("customer/customer-360:snapshot");
	uint64_t field = fx_id("customer/customer-360:snapshot#email_hash");
	ck_assert_uint_ne(port, 0);
	ck_assert_uint_eq(field, fx_id("customer/customer-360#email_hash"));
	ck_assert_int_eq(fx_has_edge(r.id, port, GRAPH_EDGE_HAS_PORT), 1);
	ck_assert_int_eq(fx_has_edge(port, field, GRAPH_EDGE_HAS_FIELD), 1);
	ck_assert_int_eq(fx_has_edge(r.id, fx_id("team:customer-platform"), GRAPH_EDGE_OWNED_BY), 1);
	ck_assert_int_eq(fx_has_edge(r.id, fx_id("domain:customer"), GRAPH_EDGE_IN_DOMAIN), 1);
	ck_assert_int_eq(fx_verify(), 0);
}
END_TEST

START_TEST(node_get_describes_product_port_and_field)
{
	trib_product *p = fx_product("sales", "orders", "sales-team");
	fx_output(p, "daily", "order_id", NULL);
	uint64_t id = fx_put_ok(p);
	graph_txn *t;
	graph_node n;
	ck_assert_int_eq(graph_read_begin(&t, fx_store), 0);
	ck_assert_int_eq(graph_node_get(&n, t, &fx_arena, fx_id("sales/orders#order_id")), 0);
	ck_assert_int_eq(n.kind, TRIB_KIND_FIELD);
	ck_assert_str_eq(n.ref, "sales/orders#order_id");
	ck_assert_str_eq(n.domain, "sales");
	ck_assert_str_eq(n.owner, "sales-team");
	ck_assert_uint_eq(n.product, id);
	ck_assert_int_eq(n.placeholder, 0);
	ck_assert_int_eq(graph_node_get(&n, t, &fx_arena, id), 0);
	ck_assert_int_eq(n.kind, TRIB_KIND_PRODUCT);
	ck_assert_uint_eq(n.product, id);
	ck_assert_int_eq(graph_node_get(&n, t, &fx_arena, 999999), TRIB_ENOTFOUND);
	graph_txn_abort(t);
}
END_TEST

START_TEST(inputs_create_lineage_edges)
{
	trib_product *a = fx_product("sales", "orders", "sales-team");
	fx_output(a, "daily", "order_id", "amount", "customer_id", NULL);
	uint64_t ida = fx_put_ok(a);

	trib_product *b = fx_product("finance", "revenue", "fin");
	fx_output(b, "monthly", "amount", "total", NULL);
	Tributary__V1__InputPort *in = fx_input(b, "sales/orders", "daily", "order_id", "amount", NULL);
	fx_mapping(in, "total", "amount", NULL);
	Tributary__V1__InputPort *src = fx_input(b, "orders-db", NULL, NULL);
	src->source_type = "postgres-cdc";
	uint64_t idb = fx_put_ok(b);

	ck_assert_int_eq(fx_has_edge(ida, idb, GRAPH_EDGE_FEEDS), 1);
	ck_assert_int_eq(fx_has_edge(fx_id("sales/orders:daily"), idb, GRAPH_EDGE_PORT_FEEDS), 1);
	ck_assert_int_eq(fx_has_edge(fx_id("sales/orders#order_id"), idb, GRAPH_EDGE_FIELD_READ), 1);
	ck_assert_int_eq(fx_has_edge(fx_id("sales/orders#amount"), idb, GRAPH_EDGE_FIELD_READ), 1);
	/* explicit mapping */
	ck_assert_int_eq(fx_has_edge(fx_id("sales/orders#amount"), fx_id("finance/revenue#total"), GRAPH_EDGE_FIELD_FEEDS), 1);
	/* amount is a mapping input, so no pass-through for it; order_id is not in b's schema */
	ck_assert_int_eq(fx_has_edge(fx_id("sales/orders#amount"), fx_id("finance/revenue#amount"), GRAPH_EDGE_FIELD_FEEDS), 0);
	ck_assert_uint_eq(fx_id("finance/revenue#order_id"), 0);
	uint64_t s = fx_id("source:orders-db");
	ck_assert_uint_ne(s, 0);
	ck_assert_int_eq(fx_has_edge(s, idb, GRAPH_EDGE_FEEDS), 1);
	ck_assert_int_eq(fx_verify(), 0);
}
END_TEST

START_TEST(same_name_field_passes_through)
{
	trib_product *a = fx_product("sales", "orders", NULL);
	fx_output(a, "daily", "order_id", "amount", NULL);
	fx_put_ok(a);
	trib_product *b = fx_product("finance", "revenue", NULL);
	fx_output(b, "monthly", "order_id", NULL);
	fx_input(b, "sales/orders", NULL, "order_id", "amount", NULL);
	fx_put_ok(b);
	ck_assert_int_eq(fx_has_edge(fx_id("sales/orders#order_id"), fx_id("finance/revenue#order_id"), GRAPH_EDGE_FIELD_FEEDS), 1);
	ck_assert_uint_eq(fx_id("finance/revenue#amount"), 0);
}
END_TEST

START_TEST(validation_errors_carry_the_field_path)
{
	trib_product *p = fx_product("sales", "bad name", NULL);
	ck_assert_int_eq(fx_put(p, NULL), TRIB_EINVALID);
	ck_assert_ptr_nonnull(strstr(trib_error_last(), "name: "));

	p = fx_product("", "x", NULL);
	ck_assert_int_eq(fx_put(p, NULL), TRIB_EINVALID);
	ck_assert_ptr_nonnull(strstr(trib_error_last(), "domain: "));

	p = fx_product("sales", "x", "bad owner!");
	ck_assert_int_eq(fx_put(p, NULL), TRIB_EINVALID);
	ck_assert_ptr_nonnull(strstr(trib_error_last(), "owner: "));

	p = fx_product("sales", "x", NULL);
	fx_input(p, "a/b", NULL, NULL);
	fx_input(p, "a/c", NULL, NULL);
	fx_input(p, "a/d", NULL, "ok", "9bad", NULL);
	ck_assert_int_eq(fx_put(p, NULL), TRIB_EINVALID);
	ck_assert_msg(strstr(trib_error_last(), "input_ports[2].fields[1]: ") != NULL, "%s", trib_error_last());

	p = fx_product("sales", "x", NULL);
	fx_output(p, "a", "f", NULL);
	fx_output(p, "b", "f", "g", "h", "bad-field", NULL);
	ck_assert_int_eq(fx_put(p, NULL), TRIB_EINVALID);
	ck_assert_msg(strstr(trib_error_last(), "output_ports[1].fields[3].name: ") != NULL, "%s", trib_error_last());

	p = fx_product("sales", "x", NULL);
	p->version = "1.2";
	ck_assert_int_eq(fx_put(p, NULL), TRIB_EINVALID);
	ck_assert_ptr_nonnull(strstr(trib_error_last(), "version: "));

	p = fx_product("sales", "x", NULL);
	fx_input(p, "sales/y:port", NULL, NULL);
	ck_assert_int_eq(fx_put(p, NULL), TRIB_EINVALID);
	ck_assert_ptr_nonnull(strstr(trib_error_last(), "input_ports[0].source: "));
	/* nothing of the refused registrations was written */
	ck_assert_uint_eq(fx_id("sales/x"), 0);
	ck_assert_uint_eq(fx_id("a/b"), 0);
}
END_TEST

Suite *product_suite(void)
{
	Suite *s = suite_create("product");
	TCase *tc = tcase_create("product");
	tcase_add_checked_fixture(tc, fx_setup, fx_teardown);
	tcase_add_test(tc, put_then_get_returns_the_record_with_server_fields);
	tcase_add_test(tc, node_get_describes_product_port_and_field);
	tcase_add_test(tc, inputs_create_lineage_edges);
	tcase_add_test(tc, same_name_field_passes_through);
	tcase_add_test(tc, validation_errors_carry_the_field_path);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(product_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
