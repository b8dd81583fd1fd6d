/* Registration, placeholders, bare names, re-registration, revisions, delete, list. */
#include <stdio.h>
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


static size_t count_edges(uint64_t id, int dir, uint32_t mask)
{
	graph_txn *t;
	graph_edge *e;
	size_t n;
	ck_assert_int_eq(graph_read_begin(&t, fx_store), 0);
	ck_assert_int_eq(graph_edges(&e, &n, t, &fx_arena, id, dir, mask), 0);
	graph_txn_abort(t);
	return n;
}

START_TEST(reregistration_replaces_upstream_edges_exactly)
{
	trib_product *a = fx_product("d", "a", NULL);
	fx_output(a, "out", "x", "y", NULL);
	fx_put_ok(a);
	trib_product *b = fx_product("d", "b", NULL);
	fx_output(b, "out", "y", NULL);
	fx_put_ok(b);
	/* c reads a (port out, fields x y) and b */
	trib_product *c = fx_product("d", "c", "team1");
	fx_output(c, "out", "x", "y", NULL);
	fx_input(c, "d/a", "out", "x", "y", NULL);
	fx_input(c, "d/b", NULL, NULL);
	fx_term(c, "Thing");
	uint64_t idc = fx_put_ok(c);
	/* e reads c: edges pointing out of c belong to e and must stay */
	trib_product *e = fx_product("d", "e", NULL);
	fx_input(e, "d/c", "out", "x", NULL);
	uint64_t ide = fx_put_ok(e);
	uint64_t ida = fx_id("d/a"), idb = fx_id("d/b");
	ck_assert_int_eq(fx_has_edge(ida, idc, GRAPH_EDGE_FEEDS), 1);
	ck_assert_int_eq(fx_has_edge(fx_id("d/a#x"), fx_id("d/c#x"), GRAPH_EDGE_FIELD_FEEDS), 1);
	size_t out_before = count_edges(idc, GRAPH_DOWN, GRAPH_EDGES_ALL);

	/* same registration again: nothing changes, no duplicates */
	graph_put_result r;
	ck_assert_int_eq(fx_put(c, &r), 0);
	ck_assert_int_eq(r.created, 0);
	ck_assert_uint_eq(r.revision, 2);
	ck_assert_uint_eq(r.edges_added, 0);
	ck_assert_uint_eq(r.edges_removed, 0);
	ck_assert_uint_eq(count_edges(idc, GRAPH_UP, GRAPH_EDGE_BIT(GRAPH_EDGE_FEEDS)), 2);

	/* now c reads only b, field y, owner changes, term dropped */
	trib_product *c2 = fx_product("d", "c", "team2");
	fx_output(c2, "out", "x", "y", NULL);
	fx_input(c2, "d/b", NULL, "y", NULL);
	ck_assert_int_eq(fx_put(c2, &r), 0);
	ck_assert_uint_eq(r.revision, 3);
	ck_assert_int_eq(fx_has_edge(ida, idc, GRAPH_EDGE_FEEDS), 0);
	ck_assert_int_eq(fx_has_edge(fx_id("d/a:out"), idc, GRAPH_EDGE_PORT_FEEDS), 0);
	ck_assert_int_eq(fx_has_edge(fx_id("d/a#x"), idc, GRAPH_EDGE_FIELD_READ), 0);
	ck_assert_int_eq(fx_has_edge(fx_id("d/a#x"), fx_id("d/c#x"), GRAPH_EDGE_FIELD_FEEDS), 0);
	ck_assert_int_eq(fx_has_edge(idb, idc, GRAPH_EDGE_FEEDS), 1);
	ck_assert_int_eq(fx_has_edge(fx_id("d/b#y"), idc, GRAPH_EDGE_FIELD_READ), 1);
	ck_assert_int_eq(fx_has_edge(fx_id("d/b#y"), fx_id("d/c#y"), GRAPH_EDGE_FIELD_FEEDS), 1);
	ck_assert_uint_eq(count_edges(idc, GRAPH_UP, GRAPH_EDGE_BIT(GRAPH_EDGE_FEEDS)), 1);
	ck_assert_int_eq(fx_has_edge(idc, fx_id("team:team2"), GRAPH_EDGE_OWNED_BY), 1);
	ck_assert_uint_eq(count_edges(idc, GRAPH_DOWN, GRAPH_EDGE_BIT(GRAPH_EDGE_OWNED_BY)), 1);
	ck_assert_uint_eq(count_edges(idc, GRAPH_DOWN, GRAPH_EDGE_BIT(GRAPH_EDGE_HAS_TERM)), 0);
	/* the team nobody owns any more and the unused term are gone */
	ck_assert_uint_eq(fx_id("team:team1"), 0);
	ck_assert_uint_eq(fx_id("term:Thing"), 0);
	/* e's edges out of c are untouched */
	ck_assert_int_eq(fx_has_edge(idc, ide, GRAPH_EDGE_FEEDS), 1);
	ck_assert_int_eq(fx_has_edge(fx_id("d/c:out"), ide, GRAPH_EDGE_PORT_FEEDS), 1);
	ck_assert_int_eq(fx_has_edge(fx_id("d/c#x"), ide, GRAPH_EDGE_FIELD_READ), 1);
	/* has-term went; has-port, owned-by, in-domain and feeds->e stay */
	ck_assert_uint_eq(count_edges(idc, GRAPH_DOWN, GRAPH_EDGES_ALL), out_before - 1);
	ck_assert_int_eq(fx_verify(), 0);
}
END_TEST

START_TEST(placeholder_is_created_and_filled_in)
{
	trib_product *b = fx_product("d", "b", NULL);
	fx_input(b, "up/a", "events", "id", NULL);
	graph_put_result r;
	ck_assert_int_eq(fx_put(b, &r), 0);
	ck_assert_uint_eq(r.placeholders_created, 1);
	uint64_t ida = fx_id("up/a");
	ck_assert_uint_ne(ida, 0);
	ck_assert_uint_ne(fx_id("up/a:events"), 0);
	ck_assert_uint_ne(fx_id("up/a#id"), 0);
	graph_txn *t;
	graph_node n;
	trib_product *p;
	graph_stats st;
	ck_assert_int_eq(graph_read_begin(&t, fx_store), 0);
	ck_assert_int_eq(graph_node_get(&n, t, &fx_arena, fx_id("up/a#id")), 0);
	ck_assert_int_eq(n.placeholder, 1);
	ck_assert_int_eq(graph_product_get(&p, t, &fx_arena, ida, 0), 0);
	ck_assert(p->placeholder);
	ck_assert_str_eq(p->name, "a");
	ck_assert_str_eq(p->domain, "up");
	ck_assert_int_eq(graph_stats_get(&st, t), 0);
	ck_assert_uint_eq(st.products, 1);
	ck_assert_uint_eq(st.placeholders, 1);
	graph_txn_abort(t);

	/* a second reader of the placeholder creates no new placeholder */
	trib_product *c = fx_product("d", "c", NULL);
	fx_input(c, "up/a", NULL, NULL);
	ck_assert_int_eq(fx_put(c, &r), 0);
	ck_assert_uint_eq(r.placeholders_created, 0);

	trib_product *a = fx_product("up", "a", "owners");
	fx_output(a, "events", "id", "ts", NULL);
	ck_assert_int_eq(fx_put(a, &r), 0);
	ck_assert_uint_eq(r.id, ida);
	ck_assert_int_eq(r.created, 1);
	ck_assert_uint_eq(r.revision, 1);
	ck_assert(!r.stored->placeholder);
	ck_assert_int_eq(fx_has_edge(ida, fx_id("d/b"), GRAPH_EDGE_FEEDS), 1);
	ck_assert_int_eq(fx_has_edge(fx_id("up/a:events"), fx_id("up/a#id"), GRAPH_EDGE_HAS_FIELD), 1);
	ck_assert_int_eq(graph_read_begin(&t, fx_store), 0);
	ck_assert_int_eq(graph_node_get(&n, t, &fx_arena, fx_id("up/a#id")), 0);
	ck_assert_int_eq(n.placeholder, 0);
	ck_assert_str_eq(n.owner, "owners");
	ck_assert_int_eq(graph_stats_get(&st, t), 0);
	ck_assert_uint_eq(st.products, 3);
	ck_assert_uint_eq(st.placeholders, 0);
	graph_txn_abort(t);
	ck_assert_int_eq(fx_verify(), 0);
}
END_TEST

START_TEST(placeholder_goes_with_its_last_reader)
{
	trib_product *b = fx_product("d", "b", NULL);
	fx_input(b, "up/a", "events", "id", NULL);
	fx_put_ok(b);
	ck_assert_uint_ne(fx_id("up/a"), 0);
	trib_product *b2 = fx_product("d", "b", NULL);
	fx_input(b2, "source:kafka", NULL, NULL);
	fx_put_ok(b2);
	ck_assert_uint_eq(fx_id("up/a"), 0);
	ck_assert_uint_eq(fx_id("up/a:events"), 0);
	ck_assert_uint_eq(fx_id("up/a#id"), 0);
	graph_txn *t;
	graph_stats st;
	ck_assert_int_eq(graph_read_begin(&t, fx_store), 0);
	ck_assert_int_eq(graph_stats_get(&st, t), 0);
	ck_assert_uint_eq(st.placeholders, 0);
	graph_txn_abort(t);
	ck_assert_int_eq(fx_verify(), 0);
}
END_TEST

START_TEST(bare_names_resolve_when_unique)
{
	fx_put_ok(fx_product("sales", "orders", NULL));
	fx_put_ok(fx_product("sales", "refunds", NULL));
	fx_put_ok(fx_product("finance", "refunds", NULL));
	trib_product *c = fx_product("finance", "ledger", NULL);
	fx_input(c, "orders", NULL, "id", NULL);
	uint64_t idc = fx_put_ok(c);
	ck_assert_int_eq(fx_has_edge(fx_id("sales/orders"), idc, GRAPH_EDGE_FEEDS), 1);
	ck_assert_int_eq(fx_has_edge(fx_id("sales/orders#id"), idc, GRAPH_EDGE_FIELD_READ), 1);

	/* ambiguous: the error names every candidate */
	trib_product *d = fx_product("finance", "audit", NULL);
	fx_input(d, "orders", NULL, NULL);
	fx_input(d, "refunds", NULL, NULL);
	ck_assert_int_eq(fx_put(d, NULL), TRIB_ECONFLICT);
	const char *m = trib_error_last();
	ck_assert_msg(strstr(m, "input_ports[1].source") && strstr(m, "sales/refunds") && strstr(m, "finance/refunds"),
		      "%s", m);
	uint64_t id;
	graph_txn *t;
	ck_assert_int_eq(graph_read_begin(&t, fx_store), 0);
	ck_assert_int_eq(graph_resolve(&id, t, "refunds"), TRIB_ECONFLICT);
	ck_assert_ptr_nonnull(strstr(trib_error_last(), "sales/refunds"));
	/* bare names fall back to domains and teams */
	ck_assert_int_eq(graph_resolve(&id, t, "sales"), 0);
	graph_node n;
	ck_assert_int_eq(graph_node_get(&n, t, &fx_arena, id), 0);
	ck_assert_int_eq(n.kind, TRIB_KIND_DOMAIN);
	ck_assert_int_eq(graph_resolve(&id, t, "nothing-here"), TRIB_ENOTFOUND);
	ck_assert_int_eq(graph_resolve(&id, t, "a//b"), TRIB_EINVALID);
	graph_txn_abort(t);

	/* unknown bare name */
	trib_product *e = fx_product("finance", "x", NULL);
	fx_input(e, "nosuch", NULL, NULL);
	ck_assert_int_eq(fx_put(e, NULL), TRIB_EINVALID);
	ck_assert_str_eq(trib_error_last(),
			 "input_ports[0].source: bare product name 'nosuch' is not registered; write it as domain/name");
	ck_assert_uint_eq(fx_id("finance/x"), 0);
}
END_TEST

START_TEST(delete_without_readers_removes_everything)
{
	trib_product *a = fx_product("d", "a", "t");
	fx_output(a, "out", "x", NULL);
	fx_input(a, "up/z", NULL, "k", NULL);
	uint64_t ida = fx_put_ok(a);
	graph_txn *t;
	graph_delete_result dr;
	ck_assert_int_eq(graph_write_begin(&t, fx_store), 0);
	ck_assert_int_eq(graph_product_delete(&dr, t, ida, NULL), 0);
	ck_assert_int_eq(graph_txn_commit(t), 0);
	ck_assert_int_eq(dr.placeholder_left, 0);
	/* feeds, field-read, has-port, has-field, owned-by, in-domain */
	ck_assert_uint_eq(dr.edges_removed, 6);
	ck_assert_uint_eq(fx_id("d/a"), 0);
	ck_assert_uint_eq(fx_id("d/a:out"), 0);
	ck_assert_uint_eq(fx_id("d/a#x"), 0);
	ck_assert_uint_eq(fx_id("up/z"), 0); /* its placeholder upstream went with it */
	ck_assert_int_eq(fx_verify(), 0);
	ck_assert_int_eq(graph_read_begin(&t, fx_store), 0);
	trib_product *p;
	ck_assert_int_eq(graph_product_get(&p, t, &fx_arena, ida, 0), TRIB_ENOTFOUND);
	ck_assert_int_eq(graph_product_get(&p, t, &fx_arena, ida, 1), TRIB_ENOTFOUND);
	graph_stats st;
	ck_assert_int_eq(graph_stats_get(&st, t), 0);
	ck_assert_uint_eq(st.edges, 0);
	ck_assert_uint_eq(st.products, 0);
	ck_assert_uint_eq(st.placeholders, 0);
	graph_txn_abort(t);
}
END_TEST

START_TEST(delete_with_readers_leaves_a_placeholder)
{
	trib_product *a = fx_product("d", "a", "t");
	fx_output(a, "out", "x", "y", NULL);
	uint64_t ida = fx_put_ok(a);
	trib_product *b = fx_product("d", "b", NULL);
	fx_input(b, "d/a", "out", "x", NULL);
	uint64_t idb = fx_put_ok(b);
	graph_txn *t;
	graph_delete_result dr;
	ck_assert_int_eq(graph_write_begin(&t, fx_store), 0);
	ck_assert_int_eq(graph_product_delete(&dr, t, ida, NULL), 0);
	ck_assert_int_eq(graph_txn_commit(t), 0);
	ck_assert_int_eq(dr.placeholder_left, 1);
	ck_assert_uint_eq(fx_id("d/a"), ida);
	ck_assert_int_eq(fx_has_edge(ida, idb, GRAPH_EDGE_FEEDS), 1);
	ck_assert_int_eq(fx_has_edge(fx_id("d/a#x"), idb, GRAPH_EDGE_FIELD_READ), 1);
	ck_assert_uint_eq(fx_id("d/a#y"), 0); /* nobody reads y */
	ck_assert_uint_eq(count_edges(ida, GRAPH_DOWN, GRAPH_EDGE_BIT(GRAPH_EDGE_HAS_PORT)), 0);
	ck_assert_int_eq(graph_read_begin(&t, fx_store), 0);
	trib_product *p;
	ck_assert_int_eq(graph_product_get(&p, t, &fx_arena, ida, 0), 0);
	ck_assert(p->placeholder);
	graph_node n;
	ck_assert_int_eq(graph_node_get(&n, t, &fx_arena, ida), 0);
	ck_assert_int_eq(n.placeholder, 1);
	ck_assert_str_eq(n.owner, "");
	/* deleting a placeholder is refused: it was never registered */
	graph_txn_abort(t);
	ck_assert_int_eq(graph_write_begin(&t, fx_store), 0);
	ck_assert_int_eq(graph_product_delete(&dr, t, ida, NULL), TRIB_ENOTFOUND);
	graph_txn_abort(t);
	ck_assert_int_eq(fx_verify(), 0);
	/* its revisions went with it; the audit log keeps the story */
	trib_product **revs;
	trib_audit **audit;
	size_t nr, na;
	ck_assert_int_eq(graph_read_begin(&t, fx_store), 0);
	ck_assert_int_eq(graph_history(&revs, &nr, &audit, &na, t, &fx_arena, ida, 0), 0);
	graph_txn_abort(t);
	ck_assert_uint_eq(nr, 0);
	ck_assert_uint_eq(na, 2);
	ck_assert_str_eq(audit[0]->action, "delete");
	ck_assert_str_eq(audit[0]->detail, "placeholder left: still referenced");
	ck_assert_uint_eq(audit[0]->revision, 1);
	ck_assert_str_eq(audit[1]->action, "register");
	/* registering again fills it in; revisions start over */
	graph_put_result r;
	ck_assert_int_eq(fx_put(a, &r), 0);
	ck_assert_int_eq(r.created, 1);
	ck_assert_uint_eq(r.revision, 1);
	ck_assert_uint_eq(r.id, ida);
}
END_TEST

START_TEST(revisions_and_history_are_kept)
{
	trib_product *a = fx_product("d", "a", "t");
	a->description = "first";
	uint64_t id = fx_put_ok(a);
	a->description = "second";
	fx_put_ok(a);
	graph_txn *t;
	trib_product *dep;
	graph_put_opts o = GRAPH_PUT_OPTS_INIT;
	o.actor = "alice";
	o.now_ms = 1234;
	ck_assert_int_eq(graph_write_begin(&t, fx_store), 0);
	ck_assert_int_eq(graph_product_deprecate(&dep, t, &fx_arena, id, "use d/b", "d/b", &o), 0);
	ck_assert_int_eq(graph_txn_commit(t), 0);
	ck_assert_uint_eq(dep->revision, 3);
	ck_assert(dep->deprecation && dep->deprecation->deprecated);
	ck_assert_str_eq(dep->deprecation->replacement, "d/b");
	ck_assert_int_eq(dep->deprecation->deprecated_at_ms, 1234);
	ck_assert_str_eq(dep->description, "second");
	ck_assert_str_eq(dep->registered_by, "alice");

	trib_product **revs;
	trib_audit **audit;
	size_t nr, na;
	graph_node n;
	ck_assert_int_eq(graph_read_begin(&t, fx_store), 0);
	ck_assert_int_eq(graph_node_get(&n, t, &fx_arena, id), 0);
	ck_assert_int_eq(n.deprecated, 1);
	ck_assert_int_eq(graph_history(&revs, &nr, &audit, &na, t, &fx_arena, id, 0), 0);
	ck_assert_uint_eq(nr, 3);
	ck_assert_uint_eq(revs[0]->revision, 3);
	ck_assert_uint_eq(revs[1]->revision, 2);
	ck_assert_str_eq(revs[1]->description, "second");
	ck_assert_str_eq(revs[2]->description, "first");
	ck_assert_uint_eq(na, 3);
	ck_assert_str_eq(audit[0]->action, "deprecate");
	ck_assert_str_eq(audit[0]->actor, "alice");
	ck_assert_str_eq(audit[1]->action, "register");
	ck_assert_str_eq(audit[1]->detail, "updated");
	ck_assert_str_eq(audit[2]->detail, "created");
	ck_assert_str_eq(audit[2]->ref, "d/a");
	ck_assert_uint_gt(audit[0]->seq, audit[1]->seq);
	ck_assert_int_eq(graph_history(&revs, &nr, &audit, &na, t, &fx_arena, id, 1), 0);
	ck_assert_uint_eq(nr, 1);
	ck_assert_uint_eq(na, 1);
	trib_product *old;
	ck_assert_int_eq(graph_product_get(&old, t, &fx_arena, id, 1), 0);
	ck_assert_str_eq(old->description, "first");
	ck_assert_int_eq(graph_product_get(&old, t, &fx_arena, id, 9), TRIB_ENOTFOUND);
	graph_txn_abort(t);
}
END_TEST

START_TEST(list_filters_and_pages)
{
	char name[16];
	for (int i = 0; i < 25; i++) {
		snprintf(name, sizeof name, "p%02d", i);
		trib_product *p = fx_product(i % 2 ? "odd" : "even", name, i % 5 == 0 ? "five" : "other");
		if (i % 3 == 0)
			fx_tag(p, "three");
		if (i == 24)
			fx_input(p, "ext/missing", NULL, NULL); /* one placeholder */
		fx_put_ok(p);
	}
	graph_txn *t;
	graph_product_page pg;
	graph_list_opts o = GRAPH_LIST_OPTS_INIT;
	ck_assert_int_eq(graph_read_begin(&t, fx_store), 0);
	ck_assert_int_eq(graph_product_list(&pg, t, &fx_arena, &o), 0);
	ck_assert_uint_eq(pg.count, 25);
	ck_assert_uint_eq(pg.next_after, 0);
	o.include_placeholders = 1;
	ck_assert_int_eq(graph_product_list(&pg, t, &fx_arena, &o), 0);
	ck_assert_uint_eq(pg.count, 26);
	o.include_placeholders = 0;
	o.domain = "odd";
	ck_assert_int_eq(graph_product_list(&pg, t, &fx_arena, &o), 0);
	ck_assert_uint_eq(pg.count, 12);
	for (size_t i = 0; i < pg.count; i++)
		ck_assert_str_eq(pg.items[i]->domain, "odd");
	o.domain = NULL;
	o.owner = "five";
	ck_assert_int_eq(graph_product_list(&pg, t, &fx_arena, &o), 0);
	ck_assert_uint_eq(pg.count, 5);
	o.owner = NULL;
	o.tag = "three";
	ck_assert_int_eq(graph_product_list(&pg, t, &fx_arena, &o), 0);
	ck_assert_uint_eq(pg.count, 9);
	/* pages of 4 over the 9 tagged products: 4, 4, 1, in id order, no repeats */
	o.limit = 4;
	size_t seen = 0;
	uint64_t last = 0;
	for (int page = 0; page < 3; page++) {
		ck_assert_int_eq(graph_product_list(&pg, t, &fx_arena, &o), 0);
		ck_assert_uint_eq(pg.count, page < 2 ? 4 : 1);
		for (size_t i = 0; i < pg.count; i++) {
			ck_assert_uint_gt(pg.ids[i], last);
			last = pg.ids[i];
		}
		seen += pg.count;
		if (page < 2)
			ck_assert_uint_eq(pg.next_after, pg.ids[3]);
		else
			ck_assert_uint_eq(pg.next_after, 0);
		o.after_id = pg.next_after;
	}
	ck_assert_uint_eq(seen, 9);
	graph_txn_abort(t);
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
	tcase_add_test(tc, reregistration_replaces_upstream_edges_exactly);
	tcase_add_test(tc, placeholder_is_created_and_filled_in);
	tcase_add_test(tc, placeholder_goes_with_its_last_reader);
	tcase_add_test(tc, bare_names_resolve_when_unique);
	tcase_add_test(tc, delete_without_readers_removes_everything);
	tcase_add_test(tc, delete_with_readers_leaves_a_placeholder);
	tcase_add_test(tc, revisions_and_history_are_kept);
	tcase_add_test(tc, list_filters_and_pages);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return fx_run(product_suite());
}
