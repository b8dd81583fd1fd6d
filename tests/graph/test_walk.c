/* Breadth-first traversal: cycles, diamonds, limits, filters, paths. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "graph_fixture.h"

#define MAXN 64
static uint64_t ids[MAXN];

/* Nodes source:n0 .. source:n{n-1}; ids[i] is node i. */
static void nodes(int n)
{
	graph_txn *t;
	ck_assert_int_eq(graph_write_begin(&t, fx_store), 0);
	for (int i = 0; i < n; i++) {
		char ref[32];
		snprintf(ref, sizeof ref, "source:n%d", i);
		ck_assert_int_eq(graph_node_ensure(&ids[i], t, TRIB_KIND_SOURCE, ref), 0);
	}
	ck_assert_int_eq(graph_txn_commit(t), 0);
}

/* Edges given as pairs of node indexes, all of one kind. */
static void edges(graph_edge_kind kind, int n, const int (*pairs)[2])
{
	graph_txn *t;
	ck_assert_int_eq(graph_write_begin(&t, fx_store), 0);
	for (int i = 0; i < n; i++)
		ck_assert_int_eq(graph_edge_put(t, ids[pairs[i][0]], ids[pairs[i][1]], kind), 0);
	ck_assert_int_eq(graph_txn_commit(t), 0);
}

static graph_walk_result walk(int start, int dir, uint32_t depth, uint32_t mask, size_t max)
{
	graph_txn *t;
	graph_walk_result w;
	graph_walk_opts o = GRAPH_WALK_OPTS_INIT;
	o.direction = dir;
	o.max_depth = depth;
	o.edge_mask = mask;
	o.max_nodes = max;
	ck_assert_int_eq(graph_read_begin(&t, fx_store), 0);
	int rc = graph_walk(&w, t, &fx_arena, ids[start], &o);
	graph_txn_abort(t);
	ck_assert_msg(rc == 0, "walk: %s", trib_error_last());
	return w;
}

/* Depth at which node i was reached, -1 if not. */
static int depth_of(const graph_walk_result *w, int i)
{
	long p = graph_walk_find(w, ids[i]);
	return p < 0 ? -1 : (int)w->visits[p].depth;
}

/* Every visit is findable at its own position and its predecessor sits
 * earlier, one hop shallower (this holds in the hash and the dense index). */
static void assert_consistent(const graph_walk_result *w)
{
	for (size_t i = 0; i < w->count; i++) {
		ck_assert_int_eq(graph_walk_find(w, w->visits[i].id), (long)i);
		if (i == 0)
			continue;
		long p = graph_walk_find(w, w->visits[i].pred);
		ck_assert_int_ge(p, 0);
		ck_assert_int_lt(p, (long)i);
		ck_assert_uint_eq(w->visits[p].depth + 1, w->visits[i].depth);
	}
}

START_TEST(walk_stops_on_cycle)
{
	nodes(4);
	static const int e[][2] = {{0, 1}, {1, 2}, {2, 3}, {3, 0}, {2, 2}};
	edges(GRAPH_EDGE_FEEDS, 5, e);
	graph_walk_result w = walk(0, GRAPH_DOWN, 0, GRAPH_EDGES_ALL, 0);
	ck_assert_uint_eq(w.count, 4);
	ck_assert_int_eq(w.truncated, 0);
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(depth_of(&w, i), i);
	ck_assert_uint_eq(w.visits[0].id, ids[0]);
	ck_assert_uint_eq(w.visits[0].pred, 0);
	w = walk(0, GRAPH_UP, 0, GRAPH_EDGES_ALL, 0);
	ck_assert_uint_eq(w.count, 4);
	ck_assert_int_eq(depth_of(&w, 3), 1);
	ck_assert_int_eq(depth_of(&w, 1), 3);
	ck_assert_uint_eq(w.visits[1].dir, GRAPH_UP);
}
END_TEST

START_TEST(walk_visits_diamond_once_at_smallest_depth)
{
	/* 0 -> 1 -> 3, 0 -> 2 -> 3, 3 -> 4, 0 -> 4 is absent; 1 -> 5 -> 6 -> 3 longer route */
	nodes(7);
	static const int e[][2] = {{0, 1}, {0, 2}, {1, 3}, {2, 3}, {3, 4}, {1, 5}, {5, 6}, {6, 3}};
	edges(GRAPH_EDGE_FEEDS, 8, e);
	graph_walk_result w = walk(0, GRAPH_DOWN, 0, GRAPH_EDGES_ALL, 0);
	ck_assert_uint_eq(w.count, 7);
	ck_assert_int_eq(depth_of(&w, 3), 2);
	ck_assert_int_eq(depth_of(&w, 4), 3);
	ck_assert_int_eq(depth_of(&w, 6), 3);
	long p = graph_walk_find(&w, ids[3]);
	uint64_t pred = w.visits[p].pred;
	ck_assert(pred == ids[1] || pred == ids[2]);
	ck_assert_uint_eq(w.visits[p].edge_kind, GRAPH_EDGE_FEEDS);
	/* breadth-first order: depths never decrease */
	for (size_t i = 1; i < w.count; i++)
		ck_assert_uint_ge(w.visits[i].depth, w.visits[i - 1].depth);
}
END_TEST

START_TEST(walk_path_follows_predecessors)
{
	nodes(6);
	static const int e[][2] = {{0, 1}, {1, 2}, {2, 3}, {3, 4}, {0, 5}};
	edges(GRAPH_EDGE_FEEDS, 5, e);
	graph_walk_result w = walk(0, GRAPH_DOWN, 0, GRAPH_EDGES_ALL, 0);
	uint64_t *path;
	size_t len;
	ck_assert_int_eq(graph_walk_path(&path, &len, &w, &fx_arena, (size_t)graph_walk_find(&w, ids[4])), 0);
	ck_assert_uint_eq(len, 5);
	for (int i = 0; i < 5; i++)
		ck_assert_uint_eq(path[i], ids[i]);
	ck_assert_int_eq(graph_walk_path(&path, &len, &w, &fx_arena, 0), 0);
	ck_assert_uint_eq(len, 1);
	ck_assert_uint_eq(path[0], ids[0]);
	ck_assert_int_eq(graph_walk_path(&path, &len, &w, &fx_arena, w.count), TRIB_EINVALID);
	ck_assert_int_eq(graph_walk_find(&w, 987654), -1);
}
END_TEST

START_TEST(walk_respects_depth_limit)
{
	nodes(6);
	static const int e[][2] = {{0, 1}, {1, 2}, {2, 3}, {3, 4}, {4, 5}};
	edges(GRAPH_EDGE_FEEDS, 5, e);
	graph_walk_result w = walk(0, GRAPH_DOWN, 2, GRAPH_EDGES_ALL, 0);
	ck_assert_uint_eq(w.count, 3);
	ck_assert_int_eq(depth_of(&w, 2), 2);
	ck_assert_int_eq(depth_of(&w, 3), -1);
	ck_assert_int_eq(w.truncated, 0);
	w = walk(5, GRAPH_UP, 1, GRAPH_EDGES_ALL, 0);
	ck_assert_uint_eq(w.count, 2);
	ck_assert_int_eq(depth_of(&w, 4), 1);
}
END_TEST

START_TEST(walk_max_nodes_sets_truncated_only_when_more_exist)
{
	nodes(5);
	static const int e[][2] = {{0, 1}, {0, 2}, {0, 3}, {3, 4}};
	edges(GRAPH_EDGE_FEEDS, 4, e);
	graph_walk_result w = walk(0, GRAPH_DOWN, 0, GRAPH_EDGES_ALL, 3);
	ck_assert_uint_eq(w.count, 3);
	ck_assert_int_eq(w.truncated, 1);
	w = walk(0, GRAPH_DOWN, 0, GRAPH_EDGES_ALL, 5);
	ck_assert_uint_eq(w.count, 5);
	ck_assert_int_eq(w.truncated, 0);
	/* exactly as many as the limit: not truncated */
	w = walk(0, GRAPH_DOWN, 1, GRAPH_EDGES_ALL, 4);
	ck_assert_uint_eq(w.count, 4);
	ck_assert_int_eq(w.truncated, 0);
	w = walk(0, GRAPH_DOWN, 0, GRAPH_EDGES_ALL, 1);
	ck_assert_uint_eq(w.count, 1);
	ck_assert_int_eq(w.truncated, 1);
}
END_TEST

START_TEST(walk_follows_only_masked_edge_kinds)
{
	nodes(5);
	static const int feeds[][2] = {{0, 1}, {1, 2}};
	static const int reads[][2] = {{0, 3}, {2, 4}};
	edges(GRAPH_EDGE_FEEDS, 2, feeds);
	edges(GRAPH_EDGE_FIELD_READ, 2, reads);
	graph_walk_result w = walk(0, GRAPH_DOWN, 0, GRAPH_EDGE_BIT(GRAPH_EDGE_FEEDS), 0);
	ck_assert_uint_eq(w.count, 3);
	ck_assert_int_eq(depth_of(&w, 3), -1);
	w = walk(0, GRAPH_DOWN, 0, GRAPH_EDGE_BIT(GRAPH_EDGE_FIELD_READ), 0);
	ck_assert_uint_eq(w.count, 2);
	ck_assert_int_eq(depth_of(&w, 3), 1);
	w = walk(0, GRAPH_DOWN, 0, GRAPH_EDGES_ALL, 0);
	ck_assert_uint_eq(w.count, 5);
	ck_assert_uint_eq(w.visits[graph_walk_find(&w, ids[4])].edge_kind, GRAPH_EDGE_FIELD_READ);
}
END_TEST

START_TEST(walk_both_directions)
{
	nodes(5);
	/* 1 -> 0 -> 2, 3 -> 2, 4 unrelated */
	static const int e[][2] = {{1, 0}, {0, 2}, {3, 2}};
	edges(GRAPH_EDGE_FEEDS, 3, e);
	graph_walk_result w = walk(0, GRAPH_BOTH, 0, GRAPH_EDGES_ALL, 0);
	ck_assert_uint_eq(w.count, 4);
	ck_assert_int_eq(depth_of(&w, 1), 1);
	ck_assert_int_eq(depth_of(&w, 2), 1);
	ck_assert_int_eq(depth_of(&w, 3), 2);
	ck_assert_int_eq(depth_of(&w, 4), -1);
	ck_assert_uint_eq(w.visits[graph_walk_find(&w, ids[3])].dir, GRAPH_UP);
	ck_assert_uint_eq(w.visits[graph_walk_find(&w, ids[2])].dir, GRAPH_DOWN);
}
END_TEST

START_TEST(walk_from_unknown_node_is_not_found)
{
	graph_txn *t;
	graph_walk_result w;
	ck_assert_int_eq(graph_read_begin(&t, fx_store), 0);
	ck_assert_int_eq(graph_walk(&w, t, &fx_arena, 424242, NULL), TRIB_ENOTFOUND);
	graph_txn_abort(t);
}
END_TEST

START_TEST(walk_large_fanout_and_chain)
{
	/* one hub with 3000 children (several adjacency pages), each child with one grandchild */
	enum { N = 3000 };
	graph_txn *t;
	uint64_t hub, *kids = malloc(sizeof *kids * N);
	ck_assert_int_eq(graph_write_begin(&t, fx_store), 0);
	ck_assert_int_eq(graph_node_ensure(&hub, t, TRIB_KIND_SOURCE, "source:hub"), 0);
	for (int i = 0; i < N; i++) {
		char ref[32];
		uint64_t g;
		snprintf(ref, sizeof ref, "source:c%d", i);
		ck_assert_int_eq(graph_node_ensure(&kids[i], t, TRIB_KIND_SOURCE, ref), 0);
		snprintf(ref, sizeof ref, "source:g%d", i);
		ck_assert_int_eq(graph_node_ensure(&g, t, TRIB_KIND_SOURCE, ref), 0);
		ck_assert_int_eq(graph_edge_put(t, hub, kids[i], GRAPH_EDGE_FEEDS), 0);
		ck_assert_int_eq(graph_edge_put(t, kids[i], g, GRAPH_EDGE_FEEDS), 0);
	}
	ck_assert_int_eq(graph_txn_commit(t), 0);
	ck_assert_int_eq(graph_read_begin(&t, fx_store), 0);
	graph_walk_result w;
	ck_assert_int_eq(graph_walk(&w, t, &fx_arena, hub, NULL), 0);
	ck_assert_uint_eq(w.count, 1 + 2 * N);
	for (int i = 0; i < N; i++)
		ck_assert_int_ge(graph_walk_find(&w, kids[i]), 1);
	assert_consistent(&w); /* large enough for the dense index */
	uint64_t *path;
	size_t len;
	ck_assert_int_eq(graph_walk_path(&path, &len, &w, &fx_arena, w.count - 1), 0);
	ck_assert_uint_eq(len, 3);
	ck_assert_uint_eq(path[0], hub);
	/* the same walk cut short stays in the hash index and agrees */
	graph_walk_result small;
	graph_walk_opts so = GRAPH_WALK_OPTS_INIT;
	so.max_nodes = 100;
	ck_assert_int_eq(graph_walk(&small, t, &fx_arena, hub, &so), 0);
	ck_assert_uint_eq(small.count, 100);
	ck_assert_int_eq(small.truncated, 1);
	assert_consistent(&small);
	for (size_t i = 0; i < small.count; i++)
		ck_assert_uint_eq(small.visits[i].id, w.visits[i].id);
	graph_walk_opts o = GRAPH_WALK_OPTS_INIT;
	o.max_depth = 1;
	ck_assert_int_eq(graph_walk(&w, t, &fx_arena, hub, &o), 0);
	ck_assert_uint_eq(w.count, 1 + N);
	graph_txn_abort(t);
	free(kids);
}
END_TEST

START_TEST(walk_deadline_in_the_past_truncates)
{
	nodes(3);
	static const int e[][2] = {{0, 1}, {1, 2}};
	edges(GRAPH_EDGE_FEEDS, 2, e);
	graph_txn *t;
	graph_walk_result w;
	graph_walk_opts o = GRAPH_WALK_OPTS_INIT;
	o.deadline_ms = 1; /* long past on CLOCK_MONOTONIC */
	ck_assert_int_eq(graph_read_begin(&t, fx_store), 0);
	ck_assert_int_eq(graph_walk(&w, t, &fx_arena, ids[0], &o), 0);
	graph_txn_abort(t);
	ck_assert_int_eq(w.truncated, 1);
	ck_assert_uint_eq(w.count, 1);
}
END_TEST

START_TEST(walk_follows_structural_and_lineage_edges_of_products)
{
	trib_product *a = fx_product("d", "a", "team-a");
	fx_output(a, "out", "x", NULL);
	fx_term(a, "Thing");
	uint64_t ida = fx_put_ok(a);
	trib_product *b = fx_product("d", "b", NULL);
	fx_input(b, "d/a", "out", "x", NULL);
	uint64_t idb = fx_put_ok(b);
	uint64_t port = fx_id("d/a:out"), field = fx_id("d/a#x"), team = fx_id("team:team-a"),
		 dom = fx_id("domain:d"), term = fx_id("term:Thing");
	graph_txn *t;
	graph_walk_result w;
	graph_walk_opts o = GRAPH_WALK_OPTS_INIT;
	ck_assert_int_eq(graph_read_begin(&t, fx_store), 0);
	/* everything reachable downstream: structure and lineage */
	ck_assert_int_eq(graph_walk(&w, t, &fx_arena, ida, &o), 0);
	ck_assert_uint_eq(w.count, 7); /* a, b, port, team, domain, term, field */
	ck_assert_int_ge(graph_walk_find(&w, port), 1);
	ck_assert_int_ge(graph_walk_find(&w, team), 1);
	ck_assert_int_ge(graph_walk_find(&w, term), 1);
	ck_assert_int_ge(graph_walk_find(&w, dom), 1);
	ck_assert_uint_eq(w.visits[graph_walk_find(&w, field)].depth, 2);
	ck_assert_uint_eq(w.visits[graph_walk_find(&w, field)].edge_kind, GRAPH_EDGE_HAS_FIELD);
	ck_assert_uint_eq(w.visits[graph_walk_find(&w, idb)].depth, 1);
	/* lineage only: a reaches just b */
	o.edge_mask = GRAPH_EDGE_BIT(GRAPH_EDGE_FEEDS);
	ck_assert_int_eq(graph_walk(&w, t, &fx_arena, ida, &o), 0);
	ck_assert_uint_eq(w.count, 2);
	/* upstream from the team: its product, nothing else */
	o.edge_mask = GRAPH_EDGE_BIT(GRAPH_EDGE_OWNED_BY);
	o.direction = GRAPH_UP;
	ck_assert_int_eq(graph_walk(&w, t, &fx_arena, team, &o), 0);
	ck_assert_uint_eq(w.count, 2);
	ck_assert_uint_eq(w.visits[1].id, ida);
	/* both ways from the field, structure and lineage mixed */
	o.edge_mask = GRAPH_EDGE_BIT(GRAPH_EDGE_HAS_FIELD) | GRAPH_EDGE_BIT(GRAPH_EDGE_FIELD_READ);
	o.direction = GRAPH_BOTH;
	ck_assert_int_eq(graph_walk(&w, t, &fx_arena, field, &o), 0);
	ck_assert_uint_eq(w.count, 3); /* field, b (reads it), port (has it) */
	ck_assert_uint_eq(w.visits[graph_walk_find(&w, port)].dir, GRAPH_UP);
	ck_assert_uint_eq(w.visits[graph_walk_find(&w, idb)].dir, GRAPH_DOWN);
	graph_txn_abort(t);
}
END_TEST

Suite *walk_suite(void)
{
	Suite *s = suite_create("walk");
	TCase *tc = tcase_create("walk");
	tcase_add_checked_fixture(tc, fx_setup, fx_teardown);
	tcase_add_test(tc, walk_stops_on_cycle);
	tcase_add_test(tc, walk_visits_diamond_once_at_smallest_depth);
	tcase_add_test(tc, walk_path_follows_predecessors);
	tcase_add_test(tc, walk_respects_depth_limit);
	tcase_add_test(tc, walk_max_nodes_sets_truncated_only_when_more_exist);
	tcase_add_test(tc, walk_follows_only_masked_edge_kinds);
	tcase_add_test(tc, walk_both_directions);
	tcase_add_test(tc, walk_from_unknown_node_is_not_found);
	tcase_add_test(tc, walk_large_fanout_and_chain);
	tcase_add_test(tc, walk_deadline_in_the_past_truncates);
	tcase_add_test(tc, walk_follows_structural_and_lineage_edges_of_products);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return fx_run(walk_suite());
}
