/* Human output of trib: tables, products, violations, lineage trees and graphs
 * (tools/trib/table.c, render.c, render_lineage.c). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "../../tools/trib/render.h"
#include "../../tools/trib/table.h"
#include "capture.h"

static trib_arena arena;
static capture cap;

static void setup(void)
{
	trib_arena_init(&arena, 0);
	capture_open(&cap);
}

static void teardown(void)
{
	capture_free(&cap);
	trib_arena_dispose(&arena);
}

START_TEST(table_aligns_columns_by_characters)
{
	trib_table t;
	trib_table_init(&t, &arena, 3, "NAME", "N", "NOTE");
	trib_table_right(&t, 1);
	trib_table_row(&t, "caf\xc3\xa9", "7", "");
	trib_table_row(&t, "a", "1234", "tab\there");
	trib_table_row(&t, NULL, "0", "last");
	trib_table_print(cap.f, &t, 1);
	ck_assert_str_eq(capture_text(&cap), "NAME     N  NOTE\n"
					     "caf\xc3\xa9     7  -\n"
					     "a     1234  tab here\n"
					     "-        0  last\n");
}
END_TEST

START_TEST(empty_table_prints_header_only_when_asked)
{
	trib_table t;
	trib_table_init(&t, &arena, 2, "A", "B");
	trib_table_print(cap.f, &t, 0);
	trib_table_print(cap.f, &t, 1);
	ck_assert_str_eq(capture_text(&cap), "A  B\n");
}
END_TEST

START_TEST(table_indent_and_no_header)
{
	trib_table t;
	trib_table_init(&t, &arena, 2, "X", "Y");
	t.indent = "    ";
	t.no_header = 1;
	trib_table_row(&t, "id", "long");
	trib_table_row(&t, "longer_name", "string, nullable");
	trib_table_print(cap.f, &t, 0);
	ck_assert_str_eq(capture_text(&cap), "    id           long\n"
					     "    longer_name  string, nullable\n");
}
END_TEST

START_TEST(text_helpers)
{
	ck_assert_uint_eq(trib_text_width("\xe2\x94\x9c\xe2\x94\x80x"), 3);
	ck_assert_str_eq(trib_text_clean(&arena, "a\x1b[31mb\x7f"), "a [31mb ");
	ck_assert_str_eq(trib_text_time(&arena, 0), "-");
	ck_assert_str_eq(trib_text_time(&arena, 1714564800123), "2024-05-01 12:00:00Z");
	char *items[] = {"a", "b", "c"};
	ck_assert_str_eq(trib_text_join(&arena, items, 3, ", "), "a, b, c");
	ck_assert_str_eq(trib_text_join(&arena, items, 0, ", "), "");
}
END_TEST

START_TEST(enum_words_both_ways)
{
	ck_assert_str_eq(trib_enum_word(&arena, &tributary__v1__node_kind__descriptor, 3), "product");
	ck_assert_str_eq(trib_enum_word(&arena, &tributary__v1__change_kind__descriptor, 1), "field-removed");
	ck_assert_str_eq(trib_enum_word(&arena, &tributary__v1__classification__descriptor, 4), "restricted");
	ck_assert_str_eq(trib_enum_word(&arena, &tributary__v1__port_type__descriptor, 9), "9");
	ck_assert_int_eq(trib_enum_from_word(&tributary__v1__level__descriptor, "field"), 3);
	ck_assert_int_eq(trib_enum_from_word(&tributary__v1__node_kind__descriptor, "SOURCE"), 7);
	ck_assert_int_eq(trib_enum_from_word(&tributary__v1__change_kind__descriptor, "type_widened"), 3);
	ck_assert_int_eq(trib_enum_from_word(&tributary__v1__level__descriptor, "galaxy"), -1);
	ck_assert_int_eq(trib_enum_from_word(&tributary__v1__level__descriptor, "fiel"), -1);
}
END_TEST

START_TEST(violation_lines_name_where)
{
	Tributary__V1__Violation v = TRIBUTARY__V1__VIOLATION__INIT;
	v.rule_id = "pii-classification";
	v.message = "PII declared but classification is internal";
	v.field_path = "spec.governance.data_classification";
	trib_render_violation(cap.f, &arena, "violation", &v);
	v.field_path = "";
	v.upstream_ref = "customer/profiles";
	trib_render_violation(cap.f, &arena, "violation", &v);
	v.field_path = "spec.governance";
	trib_render_violation(cap.f, &arena, "warning", &v);
	v.field_path = "";
	v.upstream_ref = "";
	v.message = "two\nlines";
	trib_render_violation(cap.f, &arena, "violation", &v);
	ck_assert_str_eq(capture_text(&cap),
			 "violation pii-classification: PII declared but classification is internal "
			 "(spec.governance.data_classification)\n"
			 "violation pii-classification: PII declared but classification is internal (customer/profiles)\n"
			 "warning pii-classification: PII declared but classification is internal "
			 "(spec.governance, upstream customer/profiles)\n"
			 "violation pii-classification: two lines\n");
}
END_TEST

START_TEST(product_list_table)
{
	Tributary__V1__Deprecation dep = TRIBUTARY__V1__DEPRECATION__INIT;
	dep.deprecated = 1;
	char *tags[] = {"gold", "pii"};
	Tributary__V1__DataProduct a = TRIBUTARY__V1__DATA_PRODUCT__INIT, b = TRIBUTARY__V1__DATA_PRODUCT__INIT,
				   c = TRIBUTARY__V1__DATA_PRODUCT__INIT;
	a.domain = "customer";
	a.name = "customer-360";
	a.version = "2.1.0";
	a.owner = "customer-platform";
	a.revision = 12;
	a.tags = tags;
	a.n_tags = 2;
	b.domain = "sales";
	b.name = "orders";
	b.version = "1.0.0";
	b.owner = "sales-eng";
	b.revision = 3;
	b.deprecation = &dep;
	c.domain = "ml";
	c.name = "churn";
	c.placeholder = 1;
	Tributary__V1__DataProduct *items[] = {&a, &b, &c};
	trib_render_products(cap.f, &arena, items, 3);
	ck_assert_str_eq(capture_text(&cap),
			 "PRODUCT                VERSION  OWNER              REVISION  STATUS       TAGS\n"
			 "customer/customer-360  2.1.0    customer-platform        12  active       gold, pii\n"
			 "sales/orders           1.0.0    sales-eng                 3  deprecated   -\n"
			 "ml/churn               -        -                         -  placeholder  -\n");
}
END_TEST

START_TEST(product_detail)
{
	Tributary__V1__Field f1 = TRIBUTARY__V1__FIELD__INIT, f2 = TRIBUTARY__V1__FIELD__INIT;
	f1.name = "customer_id";
	f1.type = "string";
	f2.name = "lifetime_value";
	f2.type = "double";
	f2.nullable = 1;
	f2.has_default = 1;
	f2.default_value = "0.0";
	Tributary__V1__Field *fields[] = {&f1, &f2};
	Tributary__V1__Sla psla = TRIBUTARY__V1__SLA__INIT;
	psla.freshness = "1h";
	Tributary__V1__OutputPort port = TRIBUTARY__V1__OUTPUT_PORT__INIT;
	port.name = "snapshot";
	port.type = TRIBUTARY__V1__PORT_TYPE__PORT_TYPE_BATCH;
	port.format = "parquet";
	port.location = "s3://lake/customer/snapshot";
	port.fields = fields;
	port.n_fields = 2;
	port.sla = &psla;
	Tributary__V1__OutputPort *ports[] = {&port};
	char *read[] = {"customer_id", "email"};
	Tributary__V1__InputPort in1 = TRIBUTARY__V1__INPUT_PORT__INIT, in2 = TRIBUTARY__V1__INPUT_PORT__INIT;
	in1.source = "customer/profiles";
	in1.source_type = "data-product";
	in1.fields = read;
	in1.n_fields = 2;
	in2.source = "source:orders-db";
	in2.source_type = "postgres-cdc";
	Tributary__V1__InputPort *inputs[] = {&in1, &in2};
	Tributary__V1__QualityCheck q = TRIBUTARY__V1__QUALITY_CHECK__INIT;
	q.rule = "customer_id IS NOT NULL";
	Tributary__V1__QualityCheck *checks[] = {&q};
	char *pii[] = {"email"};
	Tributary__V1__ProductGovernance gov = TRIBUTARY__V1__PRODUCT_GOVERNANCE__INIT;
	gov.pii_fields = pii;
	gov.n_pii_fields = 1;
	gov.data_classification = TRIBUTARY__V1__CLASSIFICATION__CLASSIFICATION_CONFIDENTIAL;
	gov.retention_days = 365;
	gov.gdpr_subject_to_erasure = 1;
	Tributary__V1__Sla sla = TRIBUTARY__V1__SLA__INIT;
	sla.freshness = "< 5 minutes";
	sla.uptime = "99.9%";
	Tributary__V1__Deprecation dep = TRIBUTARY__V1__DEPRECATION__INIT;
	dep.deprecated = 1;
	dep.replacement = "customer/customer-360-v2";
	dep.note = "moving to v2";
	Tributary__V1__DataProduct p = TRIBUTARY__V1__DATA_PRODUCT__INIT;
	p.domain = "customer";
	p.name = "customer-360";
	p.version = "2.1.0";
	p.owner = "customer-platform";
	p.description = "Unified customer view";
	p.output_ports = ports;
	p.n_output_ports = 1;
	p.input_ports = inputs;
	p.n_input_ports = 2;
	p.quality_checks = checks;
	p.n_quality_checks = 1;
	p.governance = &gov;
	p.sla = &sla;
	p.deprecation = &dep;
	p.revision = 4;
	p.registered_at_ms = 1714564800123;
	p.registered_by = "ci";
	trib_render_product(cap.f, &arena, &p);
	ck_assert_str_eq(capture_text(&cap),
			 "customer/customer-360\n"
			 "  version       2.1.0\n"
			 "  owner         customer-platform\n"
			 "  description   Unified customer view\n"
			 "  status        deprecated, use customer/customer-360-v2: moving to v2\n"
			 "  sla           freshness < 5 minutes, uptime 99.9%\n"
			 "  governance    confidential; pii: email; retention 365 days; subject to erasure\n"
			 "  revision      4, registered 2024-05-01 12:00:00Z by ci\n"
			 "\n"
			 "output port snapshot (batch, parquet)\n"
			 "  location      s3://lake/customer/snapshot\n"
			 "  sla           freshness 1h\n"
			 "  fields\n"
			 "    customer_id     string\n"
			 "    lifetime_value  double, nullable, default 0.0\n"
			 "\n"
			 "input ports\n"
			 "  SOURCE             TYPE          PORT  FIELDS\n"
			 "  customer/profiles  data-product  -     customer_id, email\n"
			 "  source:orders-db   postgres-cdc  -     (all)\n"
			 "\n"
			 "quality checks\n"
			 "  customer_id IS NOT NULL (error)\n");
}
END_TEST

static Tributary__V1__LineageNode *node(const char *ref, unsigned depth, const char *pred, const char *owner)
{
	Tributary__V1__LineageNode *n = trib_arena_alloc(&arena, sizeof *n);
	tributary__v1__lineage_node__init(n);
	n->ref = (char *)ref;
	n->kind = TRIBUTARY__V1__NODE_KIND__NODE_KIND_PRODUCT;
	n->depth = depth;
	n->predecessor = (char *)pred;
	n->owner = (char *)owner;
	return n;
}

static Tributary__V1__LineageEdge *edge(const char *from, const char *to, const char *kind)
{
	Tributary__V1__LineageEdge *e = trib_arena_alloc(&arena, sizeof *e);
	tributary__v1__lineage_edge__init(e);
	e->from = (char *)from;
	e->to = (char *)to;
	e->kind = (char *)kind;
	return e;
}

/* a -> b -> d, a -> c -> d (a diamond), c -> e (placeholder); source:db -> a upstream. */
static void diamond(Tributary__V1__LineageGraph *g, int with_upstream)
{
	static Tributary__V1__LineageNode *nodes[8];
	static Tributary__V1__LineageEdge *edges[8];
	size_t n = 0, m = 0;
	nodes[n++] = node("s/a", 0, "", "team-a");
	if (with_upstream) {
		nodes[n] = node("source:db", 1, "s/a", "");
		nodes[n++]->kind = TRIBUTARY__V1__NODE_KIND__NODE_KIND_SOURCE;
		edges[m++] = edge("source:db", "s/a", "feeds");
	}
	nodes[n++] = node("s/b", 1, "s/a", "team-b");
	nodes[n++] = node("s/c", 1, "s/a", "team-c");
	nodes[n++] = node("t/d", 2, "s/b", "team-d");
	nodes[n] = node("t/e", 2, "s/c", "");
	nodes[n++]->placeholder = 1;
	edges[m++] = edge("s/a", "s/b", "feeds");
	edges[m++] = edge("s/a", "s/c", "feeds");
	edges[m++] = edge("s/b", "t/d", "feeds");
	edges[m++] = edge("s/c", "t/d", "feeds");
	edges[m++] = edge("s/c", "t/e", "port-feeds");
	tributary__v1__lineage_graph__init(g);
	g->root = "s/a";
	g->nodes = nodes;
	g->n_nodes = n;
	g->edges = edges;
	g->n_edges = m;
	g->total_nodes = (uint32_t)n;
}

START_TEST(lineage_tree_follows_predecessors)
{
	Tributary__V1__LineageGraph g;
	diamond(&g, 0);
	trib_render_lineage(cap.f, &arena, &g, TRIB_FMT_TREE);
	ck_assert_str_eq(capture_text(&cap), "s/a  (team-a)\n"
					     "\xe2\x94\x9c\xe2\x94\x80\xe2\x94\x80 s/b  (team-b)\n"
					     "\xe2\x94\x82   \xe2\x94\x94\xe2\x94\x80\xe2\x94\x80 t/d  (team-d)\n"
					     "\xe2\x94\x94\xe2\x94\x80\xe2\x94\x80 s/c  (team-c)\n"
					     "    \xe2\x94\x94\xe2\x94\x80\xe2\x94\x80 t/e  (placeholder)\n"
					     "5 nodes, 5 edges\n");
}
END_TEST

START_TEST(lineage_tree_both_ways_marks_upstream)
{
	Tributary__V1__LineageGraph g;
	diamond(&g, 1);
	g.truncated = 1;
	g.next_page_token = "tok";
	trib_render_lineage(cap.f, &arena, &g, TRIB_FMT_TREE);
	ck_assert_str_eq(capture_text(&cap),
			 "s/a  (team-a)\n"
			 "\xe2\x94\x9c\xe2\x94\x80\xe2\x94\x80 \xe2\x86\x91 source:db  (source)\n"
			 "\xe2\x94\x9c\xe2\x94\x80\xe2\x94\x80 s/b  (team-b)\n"
			 "\xe2\x94\x82   \xe2\x94\x94\xe2\x94\x80\xe2\x94\x80 t/d  (team-d)\n"
			 "\xe2\x94\x94\xe2\x94\x80\xe2\x94\x80 s/c  (team-c)\n"
			 "    \xe2\x94\x94\xe2\x94\x80\xe2\x94\x80 t/e  (placeholder)\n"
			 "6 nodes, 6 edges\n"
			 "truncated: a node limit or the deadline cut the traversal (see --max-nodes, --depth)\n"
			 "next page: --page-token tok\n");
}
END_TEST

START_TEST(lineage_nodes_without_predecessor_in_reply_become_roots)
{
	Tributary__V1__LineageGraph g;
	diamond(&g, 0);
	/* A filter removed s/b: t/d's predecessor is not in the reply. */
	g.nodes[1] = g.nodes[4];
	g.n_nodes = 4;
	trib_render_lineage(cap.f, &arena, &g, TRIB_FMT_TREE);
	ck_assert_str_eq(capture_text(&cap), "s/a  (team-a)\n"
					     "\xe2\x94\x94\xe2\x94\x80\xe2\x94\x80 s/c  (team-c)\n"
					     "    \xe2\x94\x94\xe2\x94\x80\xe2\x94\x80 t/e  (placeholder)\n"
					     "t/d  (team-d)  [depth 2, via s/b]\n"
					     "4 nodes, 5 edges (of 5 in all pages)\n");
}
END_TEST

START_TEST(deep_chain_keeps_bounded_indent)
{
	enum { N = 200 };
	Tributary__V1__LineageNode **nodes = trib_arena_calloc(&arena, N, sizeof *nodes);
	for (unsigned i = 0; i < N; i++)
		nodes[i] = node(trib_arena_printf(&arena, "d/p%u", i), i,
				i ? trib_arena_printf(&arena, "d/p%u", i - 1) : "", "");
	Tributary__V1__LineageGraph g;
	tributary__v1__lineage_graph__init(&g);
	g.root = "d/p0";
	g.nodes = nodes;
	g.n_nodes = N;
	trib_render_lineage(cap.f, &arena, &g, TRIB_FMT_TREE);
	const char *text = capture_text(&cap);
	/* The last line before the summary sits at the capped indentation and says its depth. */
	ck_assert_ptr_nonnull(strstr(text, "d/p199  [depth 199]\n200 nodes, 0 edges\n"));
	size_t longest = 0;
	for (const char *l = text; *l;) {
		const char *nl = strchr(l, '\n');
		if ((size_t)(nl - l) > longest)
			longest = (size_t)(nl - l);
		l = nl + 1;
	}
	ck_assert_uint_lt(longest, 200);
}
END_TEST

START_TEST(lineage_table)
{
	Tributary__V1__LineageGraph g;
	diamond(&g, 0);
	trib_render_lineage(cap.f, &arena, &g, TRIB_FMT_TABLE);
	ck_assert_str_eq(capture_text(&cap), "DEPTH  REF  KIND     OWNER   DOMAIN  STATUS       VIA\n"
					     "    0  s/a  product  team-a  -       -            -\n"
					     "    1  s/b  product  team-b  -       -            s/a\n"
					     "    1  s/c  product  team-c  -       -            s/a\n"
					     "    2  t/d  product  team-d  -       -            s/b\n"
					     "    2  t/e  product  -       -       placeholder  s/c\n"
					     "5 nodes, 5 edges\n");
}
END_TEST

START_TEST(lineage_dot_escapes_and_styles)
{
	Tributary__V1__LineageGraph g;
	diamond(&g, 1);
	g.nodes[2]->ref = "s/b\"x";
	g.edges[1]->to = "s/b\"x";
	trib_render_lineage(cap.f, &arena, &g, TRIB_FMT_DOT);
	ck_assert_str_eq(capture_text(&cap),
			 "digraph lineage {\n"
			 "  rankdir=LR;\n"
			 "  node [shape=box, style=rounded, fontname=\"Helvetica\"];\n"
			 "  \"s/a\" [style=\"rounded,bold\"];\n"
			 "  \"source:db\" [shape=cylinder];\n"
			 "  \"s/b\\\"x\";\n"
			 "  \"s/c\";\n"
			 "  \"t/d\";\n"
			 "  \"t/e\" [style=\"rounded,dashed\"];\n"
			 "  \"source:db\" -> \"s/a\";\n"
			 "  \"s/a\" -> \"s/b\\\"x\";\n"
			 "  \"s/a\" -> \"s/c\";\n"
			 "  \"s/b\" -> \"t/d\";\n"
			 "  \"s/c\" -> \"t/d\";\n"
			 "  \"s/c\" -> \"t/e\" [label=\"port-feeds\"];\n"
			 "}\n");
}
END_TEST

START_TEST(lineage_mermaid_gives_every_endpoint_an_id)
{
	Tributary__V1__LineageGraph g;
	diamond(&g, 0);
	/* s/b is on another page, but edges still name it. */
	g.nodes[1] = g.nodes[4];
	g.n_nodes = 4;
	trib_render_lineage(cap.f, &arena, &g, TRIB_FMT_MERMAID);
	ck_assert_str_eq(capture_text(&cap), "flowchart LR\n"
					     "  n0[\"s/a\"]\n"
					     "  n1[\"t/e\"]\n"
					     "  n2[\"s/c\"]\n"
					     "  n3[\"t/d\"]\n"
					     "  n4[\"s/b\"]\n"
					     "  n0 --> n4\n"
					     "  n0 --> n2\n"
					     "  n4 --> n3\n"
					     "  n2 --> n3\n"
					     "  n2 -->|\"port-feeds\"| n1\n"
					     "  classDef root stroke-width:3px\n"
					     "  classDef placeholder stroke-dasharray:5 5\n"
					     "  class n0 root\n"
					     "  class n1 placeholder\n");
}
END_TEST

START_TEST(impact_report)
{
	char *path1[] = {"s/a", "s/b"}, *path2[] = {"s/a", "s/b", "t/d"};
	char *via[] = {"s/a#customer_id", "s/a#email", "s/x#id", "s/x#y.z"};
	Tributary__V1__AffectedProduct p1 = TRIBUTARY__V1__AFFECTED_PRODUCT__INIT,
				       p2 = TRIBUTARY__V1__AFFECTED_PRODUCT__INIT;
	p1.ref = "s/b";
	p1.depth = 1;
	p1.owner = "team-b";
	p1.domain = "s";
	p1.path = path1;
	p1.n_path = 2;
	p1.via_fields = via;
	p1.n_via_fields = 4;
	p2.ref = "t/d";
	p2.depth = 2;
	p2.domain = "t";
	p2.path = path2;
	p2.n_path = 3;
	p2.placeholder = 1;
	Tributary__V1__AffectedProduct *aff[] = {&p1, &p2};
	Tributary__V1__Count c1 = TRIBUTARY__V1__COUNT__INIT, c2 = TRIBUTARY__V1__COUNT__INIT;
	c1.key = "team-b";
	c1.count = 1;
	c2.key = "";
	c2.count = 1;
	Tributary__V1__Count *owners[] = {&c1, &c2};
	Tributary__V1__ImpactReport r = TRIBUTARY__V1__IMPACT_REPORT__INIT;
	r.root = "s/a";
	r.affected = aff;
	r.n_affected = 2;
	r.by_owner = owners;
	r.n_by_owner = 2;
	r.total = 2;
	trib_render_impact(cap.f, &arena, &r);
	ck_assert_str_eq(capture_text(&cap),
			 "impact of s/a: 2 products downstream\n"
			 "DEPTH  PRODUCT            OWNER   DOMAIN  VIA FIELDS                         PATH\n"
			 "    1  s/b                team-b  s       s/a#customer_id,email, s/x#id,y.z  s/a -> s/b\n"
			 "    2  t/d (placeholder)  -       t       -                                  s/a -> s/b -> t/d\n"
			 "by owner: team-b 1, (unknown) 1\n"
			 "by domain: -\n");
}
END_TEST

START_TEST(schema_change_report)
{
	Tributary__V1__SchemaChange c1 = TRIBUTARY__V1__SCHEMA_CHANGE__INIT, c2 = TRIBUTARY__V1__SCHEMA_CHANGE__INIT;
	c1.field = "email";
	c1.kind = TRIBUTARY__V1__CHANGE_KIND__CHANGE_KIND_FIELD_REMOVED;
	c1.old_type = "string";
	c1.breaking = 1;
	c2.field = "ltv";
	c2.kind = TRIBUTARY__V1__CHANGE_KIND__CHANGE_KIND_TYPE_WIDENED;
	c2.old_type = "int";
	c2.new_type = "long";
	Tributary__V1__SchemaChange *changes[] = {&c1, &c2};
	char *fields[] = {"email"}, *path[] = {"s/a:p", "m/x"};
	Tributary__V1__ConsumerImpact b = TRIBUTARY__V1__CONSUMER_IMPACT__INIT;
	b.ref = "m/x";
	b.owner = "ml";
	b.domain = "m";
	b.depth = 1;
	b.fields = fields;
	b.n_fields = 1;
	b.path = path;
	b.n_path = 2;
	Tributary__V1__ConsumerImpact *broken[] = {&b};
	Tributary__V1__SchemaChangeReport r = TRIBUTARY__V1__SCHEMA_CHANGE_REPORT__INIT;
	r.ref = "s/a:p";
	r.changes = changes;
	r.n_changes = 2;
	r.broken = broken;
	r.n_broken = 1;
	r.verdict = "breaking: 1 breaking change, 1 consumer broken";
	trib_render_schema_change(cap.f, &arena, &r);
	ck_assert_str_eq(capture_text(&cap), "s/a:p: breaking: 1 breaking change, 1 consumer broken\n"
					     "\n"
					     "changes\n"
					     "  FIELD  CHANGE         OLD TYPE  NEW TYPE  BREAKING\n"
					     "  email  field-removed  string    -         yes\n"
					     "  ltv    type-widened   int       long      no\n"
					     "\n"
					     "broken consumers\n"
					     "  DEPTH  PRODUCT  OWNER  DOMAIN  FIELDS  PATH\n"
					     "      1  m/x      ml     m       email   s/a:p -> m/x\n");
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("render");
	TCase *tc = tcase_create("table");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, table_aligns_columns_by_characters);
	tcase_add_test(tc, empty_table_prints_header_only_when_asked);
	tcase_add_test(tc, table_indent_and_no_header);
	tcase_add_test(tc, text_helpers);
	tcase_add_test(tc, enum_words_both_ways);
	suite_add_tcase(s, tc);
	tc = tcase_create("catalog");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, violation_lines_name_where);
	tcase_add_test(tc, product_list_table);
	tcase_add_test(tc, product_detail);
	suite_add_tcase(s, tc);
	tc = tcase_create("lineage");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, lineage_tree_follows_predecessors);
	tcase_add_test(tc, lineage_tree_both_ways_marks_upstream);
	tcase_add_test(tc, lineage_nodes_without_predecessor_in_reply_become_roots);
	tcase_add_test(tc, deep_chain_keeps_bounded_indent);
	tcase_add_test(tc, lineage_table);
	tcase_add_test(tc, lineage_dot_escapes_and_styles);
	tcase_add_test(tc, lineage_mermaid_gives_every_endpoint_an_id);
	tcase_add_test(tc, impact_report);
	tcase_add_test(tc, schema_change_report);
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
