/* Schema-change checks (graph/schema.c): every change class, broken and possibly affected consumers. */
#include "test_lineage_mesh.h"

static const char *diff(trib_field **old, size_t nold, trib_field **neu, size_t nnew)
{
	graph_schema_change *ch;
	size_t n;
	int rc = graph_lineage_schema_diff(&ch, &n, &fx_arena, (const trib_field *const *)old, nold,
					   (const trib_field *const *)neu, nnew);
	ck_assert_msg(rc == 0, "diff: %s", trib_error_last());
	return lm_changes(ch, n);
}

START_TEST(each_change_class)
{
	size_t no, nn;
	trib_field **old = lm_fields(&no, "id:long", "email:string?", "amount:int", "score:float", "note:string?",
				     "flag:boolean", NULL);
	trib_field **neu = lm_fields(&nn, "id:long", "amount:long", "score:double", "note:string", "flag:boolean?",
				     "region:string=eu", "tier:int", NULL);
	ck_assert_str_eq(diff(old, no, neu, nn), "email:field-removed!, amount:type-widened, score:type-widened, "
						 "note:nullability-tightened!, flag:nullability-relaxed, "
						 "region:field-added-with-default, tier:field-added-without-default!");
	graph_schema_change *ch;
	size_t n;
	ck_assert_int_eq(graph_lineage_schema_diff(&ch, &n, &fx_arena, (const trib_field *const *)old, no,
						   (const trib_field *const *)neu, nn),
			 0);
	ck_assert_str_eq(ch[0].old_type, "string");
	ck_assert_str_eq(ch[0].new_type, "");
	ck_assert_str_eq(ch[0].description, "field 'email' (string) removed");
	ck_assert_str_eq(ch[1].description, "type of 'amount' widened from int to long");
	ck_assert_str_eq(ch[5].description, "field 'region' (string) added with default eu");
	ck_assert_str_eq(ch[6].description, "field 'tier' (int) added without a default: data already written lacks it");
}
END_TEST

START_TEST(widening_is_lossless_only)
{
	ck_assert_int_eq(graph_lineage_type_widens("int", "long"), 1);
	ck_assert_int_eq(graph_lineage_type_widens("int", "double"), 1);
	ck_assert_int_eq(graph_lineage_type_widens("float", "double"), 1);
	ck_assert_int_eq(graph_lineage_type_widens("INT32", " bigint "), 1);
	ck_assert_int_eq(graph_lineage_type_widens("long", "double"), 0); /* 64 bits into a 53-bit mantissa */
	ck_assert_int_eq(graph_lineage_type_widens("int", "float"), 0);
	ck_assert_int_eq(graph_lineage_type_widens("long", "float"), 0);
	ck_assert_int_eq(graph_lineage_type_widens("long", "int"), 0);
	ck_assert_int_eq(graph_lineage_type_widens("string", "bytes"), 0);
	size_t no, nn;
	trib_field **old = lm_fields(&no, "a:long", "b:long", "c:string", "d:int", NULL);
	trib_field **neu = lm_fields(&nn, "a:INT64", "b:double", "c:bytes", "d:float64?", NULL);
	/* a: an alias, no change; d: widened and relaxed, two entries */
	ck_assert_str_eq(diff(old, no, neu, nn), "b:type-changed!, c:type-changed!, d:type-widened, "
						 "d:nullability-relaxed");
	ck_assert_str_eq(diff(old, no, old, no), "");
}
END_TEST

START_TEST(proposals_are_validated_with_the_field_path)
{
	size_t no, nn;
	trib_field **old = lm_fields(&no, "a:long", NULL);
	graph_schema_change *ch;
	size_t n;
	trib_field **dup = lm_fields(&nn, "a:long", "b:int", "a:int", NULL);
	ck_assert_int_eq(graph_lineage_schema_diff(&ch, &n, &fx_arena, (const trib_field *const *)old, no,
						   (const trib_field *const *)dup, nn),
			 TRIB_EINVALID);
	ck_assert_str_eq(trib_error_last(), "fields[2].name: 'a' appears twice");
	trib_field **bad = lm_fields(&nn, "a:long", "9x:int", NULL);
	ck_assert_int_eq(graph_lineage_schema_diff(&ch, &n, &fx_arena, (const trib_field *const *)old, no,
						   (const trib_field *const *)bad, nn),
			 TRIB_EINVALID);
	ck_assert_ptr_nonnull(strstr(trib_error_last(), "fields[1].name: "));
	bad[1]->name = "x";
	bad[1]->type = "";
	ck_assert_int_eq(graph_lineage_schema_diff(&ch, &n, &fx_arena, (const trib_field *const *)old, no,
						   (const trib_field *const *)bad, nn),
			 TRIB_EINVALID);
	ck_assert_str_eq(trib_error_last(), "fields[1].type: empty (field 'x')");
}
END_TEST

/*
 * src/a:out(id long, email string?, amount int, score float, note string?), src/a:alt(z)
 *   mid/b reads a:out [id, email], outputs id, email  (pass-through)
 *   out/c reads b [email], outputs email
 *   mid/d reads a whole (no port)
 *   mid/e reads a:out [amount]
 *   mid/f reads b whole
 *   mid/g reads a:alt whole
 */
static void mesh(void)
{
	trib_product *a = fx_product("src", "a", "team-a");
	Tributary__V1__OutputPort *o = fx_output(a, "out", "id", "email", "amount", "score", "note", NULL);
	lm_type(o, "id", "long", 0);
	lm_type(o, "email", "string", 1);
	lm_type(o, "amount", "int", 0);
	lm_type(o, "score", "float", 0);
	lm_type(o, "note", "string", 1);
	fx_output(a, "alt", "z", NULL);
	fx_output(a, "bare", NULL);
	fx_put_ok(a);
	trib_product *b = fx_product("mid", "b", "team-b");
	fx_input(b, "src/a", "out", "id", "email", NULL);
	fx_output(b, "bo", "id", "email", NULL);
	fx_put_ok(b);
	trib_product *c = fx_product("out", "c", "team-c");
	fx_input(c, "mid/b", NULL, "email", NULL);
	fx_output(c, "co", "email", NULL);
	fx_put_ok(c);
	trib_product *d = fx_product("mid", "d", "team-d");
	fx_input(d, "src/a", NULL, NULL);
	fx_put_ok(d);
	trib_product *e = fx_product("mid", "e", "team-e");
	fx_input(e, "src/a", "out", "amount", NULL);
	fx_put_ok(e);
	trib_product *f = fx_product("mid", "f", "team-f");
	fx_input(f, "mid/b", NULL, NULL);
	fx_put_ok(f);
	trib_product *g = fx_product("mid", "g", "team-g");
	fx_input(g, "src/a", "alt", NULL);
	fx_put_ok(g);
}

static int check(graph_schema_report *r, const char *port, trib_field **fields, size_t n, size_t max_nodes)
{
	graph_txn *t = lm_read();
	graph_schema_opts o = GRAPH_SCHEMA_OPTS_INIT;
	o.max_nodes = max_nodes;
	uint64_t id = 0;
	int rc = graph_resolve(&id, t, port);
	if (rc == 0)
		rc = graph_lineage_schema_check(r, t, &fx_arena, id, (const trib_field *const *)fields, n, &o);
	graph_txn_abort(t);
	return rc;
}

START_TEST(breaking_changes_list_broken_and_possibly_affected_consumers)
{
	mesh();
	size_t n;
	trib_field **p = lm_fields(&n, "id:long", "amount:long", "score:double", "note:string", "new1:string=x",
				   "new2:int", NULL);
	graph_schema_report r;
	ck_assert_int_eq(check(&r, "src/a:out", p, n, 0), 0);
	ck_assert_str_eq(r.ref, "src/a:out");
	ck_assert_int_eq(r.compatible, 0);
	ck_assert_str_eq(lm_changes(r.changes, r.nchanges),
			 "email:field-removed!, amount:type-widened, score:type-widened, note:nullability-tightened!, "
			 "new1:field-added-with-default, new2:field-added-without-default!");
	/* b reads email; c reads b's copy of it. e reads amount, only widened. */
	ck_assert_str_eq(lm_consumers(r.broken, r.nbroken),
			 "mid/b@1 {email} [src/a:out > src/a#email > mid/b]; "
			 "out/c@2 {email} [src/a:out > src/a#email > mid/b#email > out/c]");
	/* d reads all of a; f reads all of b, which carries email on. g reads a:alt. */
	ck_assert_str_eq(lm_consumers(r.possibly_affected, r.npossibly),
			 "mid/d@1 {amount,email,note,score} [src/a:out > mid/d]; "
			 "mid/f@2 {email} [src/a:out > src/a#email > mid/b#email > mid/f]");
	ck_assert_str_eq(r.verdict, "incompatible: 3 breaking changes of 6; breaks 2 consumers, 2 possibly affected");
	ck_assert_str_eq(r.broken[0].owner, "team-b");
	ck_assert_str_eq(r.broken[1].domain, "out");
}
END_TEST

START_TEST(a_type_change_breaks_its_readers)
{
	mesh();
	size_t n;
	trib_field **p = lm_fields(&n, "id:string", "email:string?", "amount:string", "score:float", "note:string?", NULL);
	graph_schema_report r;
	ck_assert_int_eq(check(&r, "src/a:out", p, n, 0), 0);
	ck_assert_str_eq(lm_changes(r.changes, r.nchanges), "id:type-changed!, amount:type-changed!");
	ck_assert_str_eq(lm_consumers(r.broken, r.nbroken), "mid/b@1 {id} [src/a:out > src/a#id > mid/b]; "
							 "mid/e@1 {amount} [src/a:out > src/a#amount > mid/e]");
	/* b's own id passes on but nobody reads it by name; f reads b whole */
	ck_assert_str_eq(lm_consumers(r.possibly_affected, r.npossibly),
			 "mid/d@1 {amount,id} [src/a:out > mid/d]; "
			 "mid/f@2 {id} [src/a:out > src/a#id > mid/b#id > mid/f]");
}
END_TEST

START_TEST(compatible_changes_break_nobody)
{
	mesh();
	size_t n;
	trib_field **p = lm_fields(&n, "id:long", "email:string?", "amount:int", "score:float", "note:string?",
				   "region:string=eu", NULL);
	graph_schema_report r;
	ck_assert_int_eq(check(&r, "src/a:out", p, n, 0), 0);
	ck_assert_int_eq(r.compatible, 1);
	ck_assert_uint_eq(r.nbroken, 0);
	ck_assert_uint_eq(r.npossibly, 0);
	ck_assert_str_eq(r.verdict, "compatible: 1 change, none breaking; 0 consumers possibly affected");
	p = lm_fields(&n, "id:long", "email:string?", "amount:int", "score:float", "note:string?", NULL);
	ck_assert_int_eq(check(&r, "src/a:out", p, n, 0), 0);
	ck_assert_str_eq(r.verdict, "compatible: no change");
	/* a widening is compatible, but whole readers may still care */
	p = lm_fields(&n, "id:long", "email:string?", "amount:long", "score:float", "note:string?", NULL);
	ck_assert_int_eq(check(&r, "src/a:out", p, n, 0), 0);
	ck_assert_int_eq(r.compatible, 1);
	ck_assert_str_eq(lm_consumers(r.possibly_affected, r.npossibly), "mid/d@1 {amount} [src/a:out > mid/d]");
	ck_assert_str_eq(r.verdict, "compatible: 1 change, none breaking; 1 consumer possibly affected");
}
END_TEST

START_TEST(other_ports_readers_are_not_involved)
{
	mesh();
	size_t n;
	trib_field **p = lm_fields(&n, "z2:string", NULL);
	graph_schema_report r;
	ck_assert_int_eq(check(&r, "src/a:alt", p, n, 0), 0);
	ck_assert_str_eq(lm_changes(r.changes, r.nchanges), "z:field-removed!, z2:field-added-without-default!");
	ck_assert_uint_eq(r.nbroken, 0);
	/* g reads a:alt whole, d all of a; b, e read a:out */
	ck_assert_str_eq(lm_consumers(r.possibly_affected, r.npossibly),
			 "mid/d@1 {z} [src/a:alt > mid/d]; mid/g@1 {z} [src/a:alt > mid/g]");
}
END_TEST

START_TEST(ports_without_a_registered_schema_and_non_ports_are_refused)
{
	mesh();
	trib_product *h = fx_product("mid", "h", "t");
	fx_input(h, "src/a", "ghost", NULL); /* a port a does not declare */
	fx_put_ok(h);
	size_t n;
	trib_field **p = lm_fields(&n, "x:int", NULL);
	graph_schema_report r;
	ck_assert_int_eq(check(&r, "src/a:ghost", p, n, 0), TRIB_ENOTFOUND);
	ck_assert_str_eq(trib_error_last(), "ref: src/a has no registered output port 'ghost'");
	ck_assert_int_eq(check(&r, "src/a:bare", p, n, 0), TRIB_ENOTFOUND);
	ck_assert_ptr_nonnull(strstr(trib_error_last(), "port src/a:bare has no registered schema fields"));
	ck_assert_int_eq(check(&r, "src/a", p, n, 0), TRIB_EINVALID);
	ck_assert_ptr_nonnull(strstr(trib_error_last(), "needs an output port, not product 'src/a'"));
	ck_assert_int_eq(check(&r, "src/a:nope", p, n, 0), TRIB_ENOTFOUND);
}
END_TEST

START_TEST(node_limit_fails_rather_than_answer_partly)
{
	mesh();
	size_t n;
	trib_field **p = lm_fields(&n, "id:long", NULL);
	graph_schema_report r;
	ck_assert_int_eq(check(&r, "src/a:out", p, n, 3), TRIB_ELIMIT);
	ck_assert_ptr_nonnull(strstr(trib_error_last(), "max_nodes"));
	ck_assert_int_eq(check(&r, "src/a:out", p, n, 1000), 0);
	/* everything but id removed: email's readers b and c, amount's reader e */
	ck_assert_str_eq(lm_consumers(r.broken, r.nbroken),
			 "mid/b@1 {email} [src/a:out > src/a#email > mid/b]; "
			 "mid/e@1 {amount} [src/a:out > src/a#amount > mid/e]; "
			 "out/c@2 {email} [src/a:out > src/a#email > mid/b#email > out/c]");
}
END_TEST

START_TEST(deep_field_chain_breaks_every_hop)
{
	enum { N = 1100 };
	trib_product **v = malloc(N * sizeof *v);
	char name[32], src[40];
	for (int i = 0; i < N; i++) {
		snprintf(name, sizeof name, "p%d", i);
		v[i] = fx_product("chain", name, "t");
		Tributary__V1__OutputPort *o = fx_output(v[i], "o", "k", NULL);
		lm_type(o, "k", "long", 0);
		if (i) {
			snprintf(src, sizeof src, "chain/p%d", i - 1);
			fx_input(v[i], src, NULL, "k", NULL);
		}
	}
	lm_put_all(v, N);
	free(v);
	size_t n;
	trib_field **p = lm_fields(&n, "k:string", NULL);
	graph_schema_report r;
	ck_assert_int_eq(check(&r, "chain/p0:o", p, n, 0), 0);
	ck_assert_uint_eq(r.nbroken, N - 1);
	ck_assert_str_eq(r.broken[N - 2].ref, "chain/p1099");
	ck_assert_uint_eq(r.broken[N - 2].depth, N - 1);
	ck_assert_uint_eq(r.broken[N - 2].path_len, N + 1); /* port, N fields... the last hop is the product */
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("schema");
	TCase *tc = lm_tcase(s, "graph");
	tcase_add_test(tc, each_change_class);
	tcase_add_test(tc, widening_is_lossless_only);
	tcase_add_test(tc, proposals_are_validated_with_the_field_path);
	tcase_add_test(tc, breaking_changes_list_broken_and_possibly_affected_consumers);
	tcase_add_test(tc, a_type_change_breaks_its_readers);
	tcase_add_test(tc, compatible_changes_break_nobody);
	tcase_add_test(tc, other_ports_readers_are_not_involved);
	tcase_add_test(tc, ports_without_a_registered_schema_and_non_ports_are_refused);
	tcase_add_test(tc, node_limit_fails_rather_than_answer_partly);
	tcase_add_test(tc, deep_field_chain_breaks_every_hop);
	return s;
}

int main(void)
{
	return lm_run(suite());
}
