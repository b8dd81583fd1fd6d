/* Domains, glossary terms and their audit entries. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph_fixture.h"

static int put_domain(const char *name, const char *owner)
{
	trib_domain d = TRIBUTARY__V1__DOMAIN__INIT;
	d.name = (char *)name;
	d.owner_team = (char *)owner;
	d.description = "domain description";
	graph_txn *t;
	ck_assert_int_eq(graph_write_begin(&t, fx_store), 0);
	graph_put_opts o = GRAPH_PUT_OPTS_INIT;
	o.actor = "admin";
	int rc = graph_domain_put(t, &d, &o);
	if (rc == 0)
		ck_assert_int_eq(graph_txn_commit(t), 0);
	else
		graph_txn_abort(t);
	return rc;
}

static int put_term(const char *name, const char *related, const char *applies)
{
	trib_term term = TRIBUTARY__V1__GLOSSARY_TERM__INIT;
	char *r[1] = {(char *)related}, *ap[1] = {(char *)applies};
	term.name = (char *)name;
	term.description = "a term";
	if (related) {
		term.n_related_terms = 1;
		term.related_terms = r;
	}
	if (applies) {
		term.n_applies_to = 1;
		term.applies_to = ap;
	}
	graph_txn *t;
	ck_assert_int_eq(graph_write_begin(&t, fx_store), 0);
	int rc = graph_term_put(t, &term, NULL);
	if (rc == 0)
		ck_assert_int_eq(graph_txn_commit(t), 0);
	else
		graph_txn_abort(t);
	return rc;
}

START_TEST(domain_upsert_get_and_list_in_pages)
{
	ck_assert_int_eq(put_domain("sales", "sales-team"), 0);
	ck_assert_int_eq(put_domain("customer", "cust-team"), 0);
	ck_assert_int_eq(put_domain("finance", NULL), 0);
	ck_assert_int_eq(put_domain("sales", "new-sales-team"), 0); /* upsert replaces */
	graph_txn *t;
	trib_domain *d, **list;
	size_t n;
	const char *next;
	ck_assert_int_eq(graph_read_begin(&t, fx_store), 0);
	ck_assert_int_eq(graph_domain_get(&d, t, &fx_arena, "sales"), 0);
	ck_assert_str_eq(d->owner_team, "new-sales-team");
	ck_assert_int_eq(graph_domain_get(&d, t, &fx_arena, "nope"), TRIB_ENOTFOUND);
	ck_assert_int_eq(graph_domain_list(&list, &n, &next, t, &fx_arena, "", 2), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(list[0]->name, "customer");
	ck_assert_str_eq(list[1]->name, "finance");
	ck_assert_str_eq(next, "finance");
	ck_assert_int_eq(graph_domain_list(&list, &n, &next, t, &fx_arena, next, 2), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(list[0]->name, "sales");
	ck_assert_ptr_null(next);
	/* the domain is a node and has an audit trail */
	uint64_t id;
	ck_assert_int_eq(graph_resolve(&id, t, "domain:sales"), 0);
	trib_product **revs;
	trib_audit **audit;
	size_t nr, na;
	ck_assert_int_eq(graph_history(&revs, &nr, &audit, &na, t, &fx_arena, id, 0), 0);
	ck_assert_uint_eq(nr, 0);
	ck_assert_uint_eq(na, 2);
	ck_assert_str_eq(audit[0]->action, "upsert-domain");
	ck_assert_str_eq(audit[0]->actor, "admin");
	ck_assert_str_eq(audit[0]->ref, "sales");
	graph_txn_abort(t);
	ck_assert_int_eq(fx_verify(), 0);
}
END_TEST

START_TEST(domain_validation_names_the_field)
{
	ck_assert_int_eq(put_domain("bad domain", NULL), TRIB_EINVALID);
	ck_assert_ptr_nonnull(strstr(trib_error_last(), "name: "));
	ck_assert_int_eq(put_domain("ok", "bad team!"), TRIB_EINVALID);
	ck_assert_ptr_nonnull(strstr(trib_error_last(), "owner_team: "));
	ck_assert_uint_eq(fx_id("domain:ok"), 0);
}
END_TEST

START_TEST(terms_upsert_get_list_and_validate)
{
	ck_assert_int_eq(put_term("Customer Profile", "Customer", "customer/customer-360"), 0);
	ck_assert_int_eq(put_term("Customer", NULL, NULL), 0);
	ck_assert_int_eq(put_term("Revenue", NULL, "finance/rev#total"), 0);
	ck_assert_int_eq(put_term("9Bad", NULL, NULL), TRIB_EINVALID);
	ck_assert_int_eq(put_term("Good", "bad/", NULL), TRIB_EINVALID);
	ck_assert_ptr_nonnull(strstr(trib_error_last(), "related_terms[0]"));
	ck_assert_int_eq(put_term("Good", NULL, "a//b"), TRIB_EINVALID);
	ck_assert_ptr_nonnull(strstr(trib_error_last(), "applies_to[0]"));
	graph_txn *t;
	trib_term *term, **list;
	size_t n;
	const char *next;
	ck_assert_int_eq(graph_read_begin(&t, fx_store), 0);
	ck_assert_int_eq(graph_term_get(&term, t, &fx_arena, "Customer Profile"), 0);
	ck_assert_uint_eq(term->n_applies_to, 1);
	ck_assert_str_eq(term->applies_to[0], "customer/customer-360");
	ck_assert_int_eq(graph_term_get(&term, t, &fx_arena, "Good"), TRIB_ENOTFOUND);
	ck_assert_int_eq(graph_term_list(&list, &n, &next, t, &fx_arena, NULL, 0), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_ptr_null(next);
	ck_assert_str_eq(list[0]->name, "Customer");
	ck_assert_str_eq(list[2]->name, "Revenue");
	uint64_t id;
	ck_assert_int_eq(graph_resolve(&id, t, "term:Customer Profile"), 0);
	graph_txn_abort(t);
}
END_TEST

START_TEST(term_and_domain_nodes_outlive_products_while_they_have_records)
{
	ck_assert_int_eq(put_term("Thing", NULL, NULL), 0);
	ck_assert_int_eq(put_domain("d", NULL), 0);
	trib_product *p = fx_product("d", "a", NULL);
	fx_term(p, "Thing");
	uint64_t id = fx_put_ok(p);
	ck_assert_int_eq(fx_has_edge(id, fx_id("term:Thing"), GRAPH_EDGE_HAS_TERM), 1);
	graph_txn *t;
	graph_delete_result dr;
	ck_assert_int_eq(graph_write_begin(&t, fx_store), 0);
	ck_assert_int_eq(graph_product_delete(&dr, t, id, NULL), 0);
	ck_assert_int_eq(graph_txn_commit(t), 0);
	ck_assert_uint_ne(fx_id("term:Thing"), 0);
	ck_assert_uint_ne(fx_id("domain:d"), 0);
	ck_assert_int_eq(fx_verify(), 0);
}
END_TEST

Suite *catalog_suite(void)
{
	Suite *s = suite_create("catalog");
	TCase *tc = tcase_create("catalog");
	tcase_add_checked_fixture(tc, fx_setup, fx_teardown);
	tcase_add_test(tc, domain_upsert_get_and_list_in_pages);
	tcase_add_test(tc, domain_validation_names_the_field);
	tcase_add_test(tc, terms_upsert_get_list_and_validate);
	tcase_add_test(tc, term_and_domain_nodes_outlive_products_while_they_have_records);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return fx_run(catalog_suite());
}
