/* Lineage graphs (graph/lineage.c): directions, levels, roots, filters, limits, paging. */
#include "test_lineage_mesh.h"

static graph_lineage_graph run(const char *ref, const graph_lineage_opts *o)
{
	graph_txn *t = lm_read();
	graph_lineage_graph g;
	int rc = graph_lineage_get(&g, t, &fx_arena, lm_id(t, ref), o);
	graph_txn_abort(t);
	ck_assert_msg(rc == 0, "lineage %s: %s", ref, trib_error_last());
	return g;
}

static graph_lineage_graph lin(const char *ref, int dir, graph_lineage_level level, uint32_t depth)
{
	graph_lineage_opts o = GRAPH_LINEAGE_OPTS_INIT;
	o.direction = dir;
	o.level = level;
	o.max_depth = depth;
	return run(ref, &o);
}

/* a -> b, a -> c, b -> d, c -> d */
static void diamond(void)
{
	trib_product *a = fx_product("d", "a", "ta");
	fx_output(a, "out", "x", "y", NULL);
	fx_put_ok(a);
	trib_product *b = fx_product("d", "b", "tb");
	fx_input(b, "d/a", NULL, NULL);
	fx_put_ok(b);
	trib_product *c = fx_product("e", "c", "tc");
	fx_input(c, "d/a", NULL, NULL);
	fx_put_ok(c);
	trib_product *d = fx_product("e", "d", "tc");
	fx_input(d, "d/b", NULL, NULL);
	fx_input(d, "e/c", NULL, NULL);
	fx_put_ok(d);
}

START_TEST(diamond_downstream_visits_the_join_once_at_its_smallest_depth)
{
	diamond();
	graph_lineage_graph g = lin("d/a", GRAPH_DOWN, GRAPH_LINEAGE_PRODUCT, 0);
	ck_assert_str_eq(g.root, "d/a");
	ck_assert_str_eq(lm_nodes(g.nodes, g.count), "d/a@0, d/b@1<d/a, e/c@1<d/a, e/d@2<d/b");
	ck_assert_str_eq(lm_edges(g.edges, g.nedges),
			 "d/a -feeds-> d/b, d/a -feeds-> e/c, d/b -feeds-> e/d, e/c -feeds-> e/d");
	ck_assert_uint_eq(g.total, 4);
	ck_assert_int_eq(g.truncated, 0);
	ck_assert_uint_eq(g.next_offset, 0);
	ck_assert_str_eq(g.nodes[3].owner, "tc");
	ck_assert_str_eq(g.nodes[3].domain, "e");
	ck_assert_int_eq(g.nodes[3].kind, TRIB_KIND_PRODUCT);
}
END_TEST

START_TEST(diamond_upstream_and_depth_limit)
{
	diamond();
	graph_lineage_graph g = lin("e/d", GRAPH_UP, GRAPH_LINEAGE_PRODUCT, 0);
	ck_assert_str_eq(lm_nodes(g.nodes, g.count), "e/d@0, d/b@1<e/d, e/c@1<e/d, d/a@2<d/b");
	g = lin("e/d", GRAPH_UP, GRAPH_LINEAGE_PRODUCT, 1);
	ck_assert_str_eq(lm_nodes(g.nodes, g.count), "e/d@0, d/b@1<e/d, e/c@1<e/d");
	ck_assert_int_eq(g.truncated, 0); /* a depth limit is asked for, not a cut */
}
END_TEST

START_TEST(both_directions_is_the_union_of_the_two_closures)
{
	diamond();
	/* From b: upstream a, downstream d. Not c, a sibling reached only by
	 * going up then down. */
	graph_lineage_graph g = lin("d/b", GRAPH_BOTH, GRAPH_LINEAGE_PRODUCT, 0);
	ck_assert_str_eq(lm_nodes(g.nodes, g.count), "d/b@0, d/a@1<d/b, e/d@1<d/b");
	ck_assert_str_eq(lm_edges(g.edges, g.nedges), "d/a -feeds-> d/b, d/b -feeds-> e/d");
}
END_TEST

START_TEST(cycles_terminate_and_keep_every_edge)
{
	trib_product *a = fx_product("d", "a", "t");
	fx_input(a, "d/c", NULL, NULL); /* c is a placeholder until registered */
	fx_put_ok(a);
	trib_product *b = fx_product("d", "b", "t");
	fx_input(b, "d/a", NULL, NULL);
	fx_put_ok(b);
	trib_product *c = fx_product("d", "c", "t");
	fx_input(c, "d/b", NULL, NULL);
	fx_put_ok(c);
	graph_lineage_graph g = lin("d/a", GRAPH_DOWN, GRAPH_LINEAGE_PRODUCT, 0);
	ck_assert_str_eq(lm_nodes(g.nodes, g.count), "d/a@0, d/b@1<d/a, d/c@2<d/b");
	/* each edge comes with its `to` node, by id: a, then c (a placeholder since a's registration), then b */
	ck_assert_str_eq(lm_edges(g.edges, g.nedges), "d/c -feeds-> d/a, d/b -feeds-> d/c, d/a -feeds-> d/b");
	g = lin("d/a", GRAPH_BOTH, GRAPH_LINEAGE_PRODUCT, 0);
	ck_assert_str_eq(lm_nodes(g.nodes, g.count), "d/a@0, d/c@1<d/a, d/b@1<d/a");
}
END_TEST

START_TEST(self_loop_is_listed_once)
{
	trib_product *a = fx_product("d", "a", "t");
	fx_input(a, "d/a", NULL, NULL);
	fx_put_ok(a);
	graph_lineage_graph g = lin("d/a", GRAPH_BOTH, GRAPH_LINEAGE_PRODUCT, 0);
	ck_assert_str_eq(lm_nodes(g.nodes, g.count), "d/a@0");
	ck_assert_str_eq(lm_edges(g.edges, g.nedges), "d/a -feeds-> d/a");
}
END_TEST

START_TEST(placeholders_are_marked)
{
	trib_product *b = fx_product("d", "b", "t");
	fx_input(b, "x/ghost", NULL, "f", NULL);
	fx_put_ok(b);
	graph_lineage_graph g = lin("d/b", GRAPH_UP, GRAPH_LINEAGE_PRODUCT, 0);
	ck_assert_str_eq(lm_nodes(g.nodes, g.count), "d/b@0, x/ghost@1<d/b (placeholder)");
	ck_assert_str_eq(g.nodes[1].owner, "");
	ck_assert_str_eq(g.nodes[1].domain, "x");
}
END_TEST

START_TEST(external_sources_are_upstream_nodes)
{
	trib_product *a = fx_product("d", "a", "t");
	Tributary__V1__InputPort *in = fx_input(a, "orders-db", NULL, NULL);
	in->source_type = "postgres-cdc";
	fx_put_ok(a);
	graph_lineage_graph g = lin("d/a", GRAPH_UP, GRAPH_LINEAGE_PRODUCT, 0);
	ck_assert_str_eq(lm_nodes(g.nodes, g.count), "d/a@0, source:orders-db@1<d/a");
	ck_assert_int_eq(g.nodes[1].kind, TRIB_KIND_SOURCE);
	g = lin("source:orders-db", GRAPH_DOWN, GRAPH_LINEAGE_PRODUCT, 0);
	ck_assert_str_eq(lm_nodes(g.nodes, g.count), "source:orders-db@0, d/a@1<source:orders-db");
}
END_TEST

START_TEST(deep_chain_of_1500_hops_does_not_recurse)
{
	enum { N = 1501 };
	lm_chain("chain", N);
	graph_lineage_graph g = lin("chain/p0", GRAPH_DOWN, GRAPH_LINEAGE_PRODUCT, 0);
	ck_assert_uint_eq(g.count, N);
	ck_assert_str_eq(g.nodes[N - 1].ref, "chain/p1500");
	ck_assert_uint_eq(g.nodes[N - 1].depth, 1500);
	ck_assert_str_eq(g.nodes[N - 1].predecessor, "chain/p1499");
	ck_assert_uint_eq(g.nedges, N - 1);
	g = lin("chain/p1500", GRAPH_UP, GRAPH_LINEAGE_PRODUCT, 10);
	ck_assert_uint_eq(g.count, 11);
	ck_assert_str_eq(g.nodes[10].ref, "chain/p1490");
	g = lin("chain/p700", GRAPH_BOTH, GRAPH_LINEAGE_PRODUCT, 0);
	ck_assert_uint_eq(g.count, N);
	ck_assert_str_eq(g.nodes[1].ref, "chain/p699"); /* upstream first within a depth */
	ck_assert_str_eq(g.nodes[2].ref, "chain/p701");
	ck_assert_str_eq(g.nodes[N - 1].ref, "chain/p1500");
	ck_assert_uint_eq(g.nodes[N - 1].depth, 800);
}
END_TEST

static void fan(const char *hub, int n)
{
	trib_product **v = malloc(((size_t)n + 1) * sizeof *v);
	char name[32];
	v[0] = fx_product("hub", hub, "hub-team");
	for (int i = 0; i < n; i++) {
		snprintf(name, sizeof name, "c%05d", i);
		v[i + 1] = fx_product(i % 2 ? "odd" : "even", name, i % 3 ? "t1" : "t0");
		char src[64];
		snprintf(src, sizeof src, "hub/%s", hub);
		fx_input(v[i + 1], src, NULL, NULL);
	}
	lm_put_all(v, (size_t)n + 1);
	free(v);
}

START_TEST(fan_out_of_10000)
{
	fan("h", 10000);
	graph_lineage_graph g = lin("hub/h", GRAPH_DOWN, GRAPH_LINEAGE_PRODUCT, 0);
	ck_assert_uint_eq(g.count, 10001);
	ck_assert_uint_eq(g.total, 10001);
	ck_assert_uint_eq(g.nedges, 10000);
	ck_assert_str_eq(g.nodes[1].ref, "even/c00000");
	ck_assert_str_eq(g.nodes[10000].ref, "odd/c09999");
	for (size_t i = 1; i < g.count; i++) {
		ck_assert_uint_eq(g.nodes[i].depth, 1);
		ck_assert_str_eq(g.nodes[i].predecessor, "hub/h");
	}
	/* one upstream view from a leaf */
	g = lin("odd/c04321", GRAPH_UP, GRAPH_LINEAGE_PRODUCT, 0);
	ck_assert_str_eq(lm_nodes(g.nodes, g.count), "odd/c04321@0, hub/h@1<odd/c04321");
}
END_TEST

START_TEST(max_nodes_truncates_and_says_so)
{
	fan("h", 10);
	graph_lineage_opts o = GRAPH_LINEAGE_OPTS_INIT;
	o.max_nodes = 4;
	graph_lineage_graph g = run("hub/h", &o);
	ck_assert_uint_eq(g.count, 4);
	ck_assert_int_eq(g.truncated, 1);
	ck_assert_str_eq(lm_nodes(g.nodes, g.count), "hub/h@0, even/c00000@1<hub/h, odd/c00001@1<hub/h, "
						     "even/c00002@1<hub/h");
	/* a limit that fits everything is no cut */
	o.max_nodes = 11;
	g = run("hub/h", &o);
	ck_assert_uint_eq(g.count, 11);
	ck_assert_int_eq(g.truncated, 0);
	/* both directions cut the merged answer too */
	o.direction = GRAPH_BOTH;
	o.max_nodes = 3;
	g = run("even/c00004", &o);
	ck_assert_int_eq(g.truncated, 0);
	ck_assert_str_eq(lm_nodes(g.nodes, g.count), "even/c00004@0, hub/h@1<even/c00004");
}
END_TEST

START_TEST(deadline_in_the_past_truncates)
{
	enum { N = 600 };
	lm_chain("chain", N);
	graph_lineage_opts o = GRAPH_LINEAGE_OPTS_INIT;
	o.deadline_ms = 1; /* long gone on CLOCK_MONOTONIC */
	graph_lineage_graph g = run("chain/p0", &o);
	ck_assert_int_eq(g.truncated, 1);
	ck_assert_uint_lt(g.count, N);
	ck_assert_uint_gt(g.count, 0);
}
END_TEST

START_TEST(pages_concatenate_to_the_whole_answer)
{
	diamond();
	fan("h", 9);
	graph_lineage_opts o = GRAPH_LINEAGE_OPTS_INIT;
	graph_lineage_graph all = run("hub/h", &o);
	ck_assert_uint_eq(all.count, 10);
	const char *want_nodes = lm_nodes(all.nodes, all.count);
	const char *want_edges = lm_edges(all.edges, all.nedges);
	o.page_size = 4;
	lm_buf nodes = {0}, edges = {0};
	size_t pages = 0;
	do {
		graph_lineage_graph g = run("hub/h", &o);
		ck_assert_uint_eq(g.total, 10);
		ck_assert_uint_le(g.count, 4);
		lm_printf(&nodes, "%s%s", nodes.len ? ", " : "", lm_nodes(g.nodes, g.count));
		if (g.nedges)
			lm_printf(&edges, "%s%s", edges.len ? ", " : "", lm_edges(g.edges, g.nedges));
		o.offset = g.next_offset;
		pages++;
	} while (o.offset);
	ck_assert_uint_eq(pages, 3);
	ck_assert_str_eq(lm_str(&nodes), want_nodes);
	ck_assert_str_eq(lm_str(&edges), want_edges);
	/* an offset past the end is refused */
	o.offset = 11;
	graph_txn *t = lm_read();
	graph_lineage_graph g;
	ck_assert_int_eq(graph_lineage_get(&g, t, &fx_arena, lm_id(t, "hub/h"), &o), TRIB_EINVALID);
	ck_assert_ptr_nonnull(strstr(trib_error_last(), "beyond the 10 answer nodes"));
	graph_txn_abort(t);
}
END_TEST

START_TEST(page_tokens_bind_offset_to_the_query)
{
	graph_lineage_opts o = GRAPH_LINEAGE_OPTS_INIT;
	o.max_depth = 3;
	char tok[GRAPH_LINEAGE_TOKEN_MAX];
	graph_lineage_token_format(tok, "d/a", &o, 250);
	size_t off = 0;
	ck_assert_int_eq(graph_lineage_token_parse(&off, tok, "d/a", &o), 0);
	ck_assert_uint_eq(off, 250);
	o.page_size = 7; /* the page size may change between pages */
	ck_assert_int_eq(graph_lineage_token_parse(&off, tok, "d/a", &o), 0);
	ck_assert_int_eq(graph_lineage_token_parse(&off, tok, "d/b", &o), TRIB_EINVALID);
	o.max_depth = 4;
	ck_assert_int_eq(graph_lineage_token_parse(&off, tok, "d/a", &o), TRIB_EINVALID);
	ck_assert_ptr_nonnull(strstr(trib_error_last(), "page_token"));
	o.max_depth = 3;
	ck_assert_int_eq(graph_lineage_token_parse(&off, "", "d/a", &o), TRIB_EINVALID);
	ck_assert_int_eq(graph_lineage_token_parse(&off, "abc", "d/a", &o), TRIB_EINVALID);
	ck_assert_int_eq(graph_lineage_token_parse(&off, "99999999999999999999999.0", "d/a", &o), TRIB_EINVALID);
	tok[strlen(tok) - 1] ^= 1;
	ck_assert_int_eq(graph_lineage_token_parse(&off, tok, "d/a", &o), TRIB_EINVALID);
}
END_TEST

START_TEST(port_level_adds_ports_at_their_products_depth)
{
	trib_product *a = fx_product("d", "a", "t");
	fx_output(a, "s", "x", NULL);
	fx_output(a, "t", "y", NULL);
	fx_put_ok(a);
	trib_product *b = fx_product("d", "b", "t");
	fx_input(b, "d/a", "s", NULL);
	fx_output(b, "bo", "x", NULL);
	fx_put_ok(b);
	graph_lineage_graph g = lin("d/a", GRAPH_DOWN, GRAPH_LINEAGE_PORT, 0);
	ck_assert_str_eq(lm_nodes(g.nodes, g.count), "d/a@0, d/a:s@0<d/a, d/a:t@0<d/a, d/b@1<d/a, d/b:bo@1<d/b");
	ck_assert_str_eq(lm_edges(g.edges, g.nedges),
			 "d/a -has-port-> d/a:s, d/a -has-port-> d/a:t, d/a -feeds-> d/b, d/a:s -port-feeds-> d/b, "
			 "d/b -has-port-> d/b:bo");
	/* upstream of b at port level: only the port it reads, then its product */
	g = lin("d/b", GRAPH_UP, GRAPH_LINEAGE_PORT, 0);
	ck_assert_str_eq(lm_nodes(g.nodes, g.count), "d/b@0, d/a@1<d/b, d/a:s@1<d/b");
	/* a port root is at least port level */
	g = lin("d/a:s", GRAPH_DOWN, GRAPH_LINEAGE_PRODUCT, 0);
	ck_assert_str_eq(lm_nodes(g.nodes, g.count), "d/a:s@0, d/b@1<d/a:s, d/b:bo@1<d/b");
	g = lin("d/a:t", GRAPH_UP, GRAPH_LINEAGE_PORT, 0);
	ck_assert_str_eq(lm_nodes(g.nodes, g.count), "d/a:t@0, d/a@0<d/a:t");
}
END_TEST

/* a:out(id, email, name) -> b reads id, email (b outputs id; email_hash <- email) -> c reads b.email_hash */
static void field_mesh(void)
{
	trib_product *a = fx_product("d", "a", "t");
	fx_output(a, "out", "id", "email", "name", NULL);
	fx_put_ok(a);
	trib_product *b = fx_product("d", "b", "t");
	Tributary__V1__InputPort *in = fx_input(b, "d/a", "out", "id", "email", NULL);
	fx_mapping(in, "email_hash", "email", NULL);
	fx_output(b, "bo", "id", "email_hash", NULL);
	fx_put_ok(b);
	trib_product *c = fx_product("d", "c", "t");
	fx_input(c, "d/b", NULL, "email_hash", NULL);
	fx_output(c, "co", "email_hash", NULL);
	fx_put_ok(c);
}

START_TEST(field_level_follows_reads_and_derivations)
{
	field_mesh();
	graph_lineage_graph g = lin("d/a#email", GRAPH_DOWN, GRAPH_LINEAGE_PRODUCT, 0);
	ck_assert_str_eq(lm_nodes(g.nodes, g.count),
			 "d/a#email@0, d/b@1<d/a#email, d/b#email_hash@1<d/a#email, d/c@2<d/b#email_hash, "
			 "d/c#email_hash@2<d/b#email_hash");
	ck_assert_str_eq(lm_edges(g.edges, g.nedges),
			 "d/a#email -field-read-> d/b, d/a#email -field-feeds-> d/b#email_hash, "
			 "d/b#email_hash -field-read-> d/c, d/b#email_hash -field-feeds-> d/c#email_hash");
	/* upstream of c's field: back to a's email, not a's name or id */
	g = lin("d/c#email_hash", GRAPH_UP, GRAPH_LINEAGE_FIELD, 0);
	ck_assert_str_eq(lm_nodes(g.nodes, g.count),
			 "d/c#email_hash@0, d/b#email_hash@1<d/c#email_hash, d/a#email@2<d/b#email_hash");
	/* a field reference with a port resolves to the product-level field */
	g = lin("d/a:out#email", GRAPH_DOWN, GRAPH_LINEAGE_FIELD, 1);
	ck_assert_str_eq(g.root, "d/a#email");
	ck_assert_uint_eq(g.count, 3);
}
END_TEST

START_TEST(field_level_from_a_product_starts_at_its_fields)
{
	field_mesh();
	graph_lineage_graph g = lin("d/b", GRAPH_UP, GRAPH_LINEAGE_FIELD, 0);
	ck_assert_str_eq(lm_nodes(g.nodes, g.count),
			 "d/b@0, d/b:bo@0<d/b, d/b#id@0<d/b:bo, d/b#email_hash@0<d/b:bo, d/a#id@1<d/b, "
			 "d/a#email@1<d/b");
	ck_assert_str_eq(lm_edges(g.edges, g.nedges),
			 "d/a#id -field-read-> d/b, d/a#email -field-read-> d/b, d/a#id -field-feeds-> d/b#id, "
			 "d/b:bo -has-field-> d/b#id, d/a#email -field-feeds-> d/b#email_hash, "
			 "d/b:bo -has-field-> d/b#email_hash, d/b -has-port-> d/b:bo");
	/* only answer fields */
	graph_lineage_opts o = GRAPH_LINEAGE_OPTS_INIT;
	o.direction = GRAPH_UP;
	o.level = GRAPH_LINEAGE_FIELD;
	o.kinds = GRAPH_KIND_BIT(TRIB_KIND_FIELD);
	g = run("d/b", &o);
	ck_assert_str_eq(lm_nodes(g.nodes, g.count),
			 "d/b#id@0<d/b:bo, d/b#email_hash@0<d/b:bo, d/a#id@1<d/b, d/a#email@1<d/b");
	ck_assert_str_eq(lm_edges(g.edges, g.nedges), "d/a#id -field-feeds-> d/b#id, d/a#email -field-feeds-> d/b#email_hash");
	ck_assert_uint_eq(g.total, 4);
}
END_TEST

START_TEST(domain_and_team_roots_start_from_their_products)
{
	diamond();
	graph_lineage_graph g = lin("e", GRAPH_UP, GRAPH_LINEAGE_PRODUCT, 0);
	ck_assert_str_eq(lm_nodes(g.nodes, g.count), "e@0, e/c@0<e, e/d@0<e, d/a@1<e/c, d/b@1<e/d");
	ck_assert_str_eq(lm_edges(g.edges, g.nedges),
			 "d/a -feeds-> d/b, d/a -feeds-> e/c, e/c -in-domain-> e, e/d -in-domain-> e, "
			 "d/b -feeds-> e/d, e/c -feeds-> e/d");
	ck_assert_int_eq(g.nodes[0].kind, TRIB_KIND_DOMAIN);
	g = lin("tb", GRAPH_DOWN, GRAPH_LINEAGE_PRODUCT, 1);
	ck_assert_str_eq(lm_nodes(g.nodes, g.count), "tb@0, d/b@0<tb, e/d@1<d/b");
	ck_assert_int_eq(g.nodes[0].kind, TRIB_KIND_TEAM);
}
END_TEST

START_TEST(domain_filter_keeps_traversing_through_other_domains)
{
	diamond();
	graph_lineage_opts o = GRAPH_LINEAGE_OPTS_INIT;
	const char *doms[] = {"e"};
	o.domains = doms;
	o.ndomains = 1;
	o.direction = GRAPH_UP;
	graph_lineage_graph g = run("e/d", &o);
	/* d/b is filtered out but the walk still reaches... nothing else in e */
	ck_assert_str_eq(lm_nodes(g.nodes, g.count), "e/d@0, e/c@1<e/d");
	ck_assert_str_eq(lm_edges(g.edges, g.nedges), "e/c -feeds-> e/d");
	const char *doms2[] = {"d"};
	o.domains = doms2;
	o.direction = GRAPH_DOWN;
	g = run("d/a", &o);
	ck_assert_str_eq(lm_nodes(g.nodes, g.count), "d/a@0, d/b@1<d/a");
}
END_TEST

START_TEST(bad_options_and_unknown_nodes_are_refused)
{
	diamond();
	graph_txn *t = lm_read();
	graph_lineage_graph g;
	graph_lineage_opts o = GRAPH_LINEAGE_OPTS_INIT;
	uint64_t a = lm_id(t, "d/a");
	o.direction = 0;
	ck_assert_int_eq(graph_lineage_get(&g, t, &fx_arena, a, &o), TRIB_EINVALID);
	ck_assert_ptr_nonnull(strstr(trib_error_last(), "direction"));
	o.direction = GRAPH_DOWN;
	o.level = 9;
	ck_assert_int_eq(graph_lineage_get(&g, t, &fx_arena, a, &o), TRIB_EINVALID);
	ck_assert_ptr_nonnull(strstr(trib_error_last(), "level"));
	o.level = GRAPH_LINEAGE_PRODUCT;
	o.version = 99;
	ck_assert_int_eq(graph_lineage_get(&g, t, &fx_arena, a, &o), TRIB_EINVALID);
	o.version = GRAPH_LINEAGE_OPTS_VERSION;
	ck_assert_int_eq(graph_lineage_get(&g, t, &fx_arena, 999999, &o), TRIB_ENOTFOUND);
	graph_txn_abort(t);
}
END_TEST

START_TEST(reads_its_own_writes_inside_the_write_transaction)
{
	diamond();
	graph_txn *t;
	ck_assert_int_eq(graph_write_begin(&t, fx_store), 0);
	trib_product *z = fx_product("e", "z", "t");
	fx_input(z, "e/d", NULL, NULL);
	graph_put_opts po = GRAPH_PUT_OPTS_INIT;
	graph_put_result r;
	ck_assert_int_eq(graph_product_put(&r, t, &fx_arena, z, &po), 0);
	graph_lineage_opts o = GRAPH_LINEAGE_OPTS_INIT;
	o.direction = GRAPH_UP;
	o.max_depth = 1;
	graph_lineage_graph g;
	ck_assert_int_eq(graph_lineage_get(&g, t, &fx_arena, r.id, &o), 0);
	ck_assert_str_eq(lm_nodes(g.nodes, g.count), "e/z@0, e/d@1<e/z");
	graph_txn_abort(t);
	ck_assert_uint_eq(fx_id("e/z"), 0);
}
END_TEST

/* The edges every in-edge of each page node says the answer has, in the documented order (by `to` id, then
 * as stored), for comparing with graph_lineage_get(), whatever way it finds them. */
static const char *edges_by_reading(graph_txn *t, const graph_lineage_node *page, size_t n, const uint64_t *answer,
				    size_t nanswer, uint32_t mask)
{
	uint64_t *ids = malloc((n ? n : 1) * sizeof *ids);
	ck_assert_ptr_nonnull(ids);
	for (size_t i = 0; i < n; i++)
		ids[i] = page[i].id;
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && ids[j - 1] > ids[j]; j--) {
			uint64_t x = ids[j];
			ids[j] = ids[j - 1];
			ids[j - 1] = x;
		}
	lm_buf b = {0};
	for (size_t i = 0; i < n; i++) {
		graph_edge *e;
		size_t ne;
		ck_assert_int_eq(graph_edges(&e, &ne, t, &fx_arena, ids[i], GRAPH_UP, mask), 0);
		for (size_t k = 0; k < ne; k++) {
			int in = 0;
			for (size_t j = 0; j < nanswer && !in; j++)
				in = answer[j] == e[k].from;
			if (!in)
				continue;
			graph_node from, to;
			ck_assert_int_eq(graph_node_get(&from, t, &fx_arena, e[k].from), 0);
			ck_assert_int_eq(graph_node_get(&to, t, &fx_arena, e[k].to), 0);
			lm_printf(&b, "%s%s -%s-> %s", b.len ? ", " : "", from.ref, graph_edge_kind_name(e[k].kind),
				  to.ref);
		}
	}
	free(ids);
	return lm_str(&b);
}

START_TEST(edges_are_every_edge_among_answer_nodes_under_every_option)
{
	/* A random mesh: 3 domains, 2 output ports per product, up to 3 inputs each, some naming a port, some
	 * naming a product registered later (a placeholder until then: cycles). */
	enum { N = 70 };
	unsigned seed = 12345;
#define RND(m) ((seed = seed * 1103515245u + 12345u) >> 16) % (m)
	static const char *const doms[] = {"d0", "d1", "d2"};
	char ref[N][16], name[16];
	for (int i = 0; i < N; i++)
		snprintf(ref[i], sizeof ref[i], "%s/p%02d", doms[i % 3], i);
	for (int i = 0; i < N; i++) {
		snprintf(name, sizeof name, "p%02d", i);
		trib_product *p = fx_product(doms[i % 3], name, i % 2 ? "even" : "odd");
		fx_output(p, "a", "x", NULL);
		fx_output(p, "b", "y", NULL);
		for (unsigned k = 0, nin = RND(4); k < nin; k++) {
			int from = (int)RND(N);
			fx_input(p, ref[from], RND(3) == 0 ? (RND(2) ? "a" : "b") : NULL, NULL);
		}
		fx_put_ok(p);
	}
	static const int dirs[] = {GRAPH_DOWN, GRAPH_UP, GRAPH_BOTH};
	static const graph_lineage_level levels[] = {GRAPH_LINEAGE_PRODUCT, GRAPH_LINEAGE_PORT};
	size_t checked = 0, with_edges = 0;
	for (int root = 0; root < N; root += 3)
		for (size_t di = 0; di < 3; di++)
			for (size_t li = 0; li < 2; li++)
				for (uint32_t depth = 0; depth <= 3; depth += 1 + (depth == 0))
					for (size_t limit = 0; limit <= 12; limit += 12) {
		graph_lineage_opts o = GRAPH_LINEAGE_OPTS_INIT;
		o.direction = dirs[di];
		o.level = levels[li];
		o.max_depth = depth;
		o.max_nodes = limit;
		uint32_t mask = GRAPH_EDGE_BIT(GRAPH_EDGE_FEEDS);
		if (o.level == GRAPH_LINEAGE_PORT)
			mask |= GRAPH_EDGE_BIT(GRAPH_EDGE_PORT_FEEDS) | GRAPH_EDGE_BIT(GRAPH_EDGE_HAS_PORT);
		graph_lineage_graph all = run(ref[root], &o);
		uint64_t *ids = malloc((all.count ? all.count : 1) * sizeof *ids);
		ck_assert_ptr_nonnull(ids);
		for (size_t i = 0; i < all.count; i++)
			ids[i] = all.nodes[i].id;
		graph_txn *t = lm_read();
		const char *want = edges_by_reading(t, all.nodes, all.count, ids, all.count, mask);
		ck_assert_msg(strcmp(lm_edges(all.edges, all.nedges), want) == 0,
			      "%s dir %d level %d depth %u max_nodes %zu:\n got  %s\n want %s", ref[root], o.direction,
			      (int)o.level, depth, limit, lm_edges(all.edges, all.nedges), want);
		/* In pages of 5: each page lists the edges into its own nodes. */
		o.page_size = 5;
		do {
			graph_lineage_graph g = run(ref[root], &o);
			ck_assert_str_eq(lm_edges(g.edges, g.nedges),
					 edges_by_reading(t, g.nodes, g.count, ids, all.count, mask));
			o.offset = g.next_offset;
		} while (o.offset);
		graph_txn_abort(t);
		free(ids);
		checked++;
		with_edges += all.nedges > 0;
	}
#undef RND
	ck_assert_uint_eq(checked, 24 * 3 * 2 * 3 * 2);
	ck_assert_uint_gt(with_edges, checked / 2);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("lineage");
	TCase *tc = lm_tcase(s, "graph");
	tcase_add_test(tc, diamond_downstream_visits_the_join_once_at_its_smallest_depth);
	tcase_add_test(tc, diamond_upstream_and_depth_limit);
	tcase_add_test(tc, both_directions_is_the_union_of_the_two_closures);
	tcase_add_test(tc, cycles_terminate_and_keep_every_edge);
	tcase_add_test(tc, self_loop_is_listed_once);
	tcase_add_test(tc, placeholders_are_marked);
	tcase_add_test(tc, external_sources_are_upstream_nodes);
	tcase_add_test(tc, deep_chain_of_1500_hops_does_not_recurse);
	tcase_add_test(tc, fan_out_of_10000);
	tcase_add_test(tc, max_nodes_truncates_and_says_so);
	tcase_add_test(tc, deadline_in_the_past_truncates);
	tcase_add_test(tc, pages_concatenate_to_the_whole_answer);
	tcase_add_test(tc, page_tokens_bind_offset_to_the_query);
	tcase_add_test(tc, port_level_adds_ports_at_their_products_depth);
	tcase_add_test(tc, field_level_follows_reads_and_derivations);
	tcase_add_test(tc, field_level_from_a_product_starts_at_its_fields);
	tcase_add_test(tc, domain_and_team_roots_start_from_their_products);
	tcase_add_test(tc, domain_filter_keeps_traversing_through_other_domains);
	tcase_add_test(tc, bad_options_and_unknown_nodes_are_refused);
	tcase_add_test(tc, reads_its_own_writes_inside_the_write_transaction);
	tcase_add_test(tc, edges_are_every_edge_among_answer_nodes_under_every_option);
	return s;
}

int main(void)
{
	return lm_run(suite());
}
