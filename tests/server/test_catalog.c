/* Catalog handlers without sockets: through the dispatcher, and one called directly. */
#include "srv_fixture.h"

#include <string.h>

#include <grpc/status.h>

#define CAT "/tributary.v1.Catalog/"

static tsrv_result get(const char *ref, uint64_t revision)
{
	Tributary__V1__GetProductRequest req = TRIBUTARY__V1__GET_PRODUCT_REQUEST__INIT;
	req.ref = (char *)ref;
	req.revision = revision;
	return tsrv_call(CAT "GetProduct", &req.base);
}

static tsrv_result register_product(trib_product *p, int dry_run)
{
	Tributary__V1__RegisterProductRequest req = TRIBUTARY__V1__REGISTER_PRODUCT_REQUEST__INIT;
	req.product = p;
	req.dry_run = dry_run;
	return tsrv_call_as(CAT "RegisterProduct", &req.base, "ci-bot");
}

START_TEST(register_then_get_by_ref_and_bare_name)
{
	tsrv_result r = register_product(tsrv_product("sales", "orders", "sales-team"), 0);
	tsrv_assert_status(r, GRPC_STATUS_OK, "");
	Tributary__V1__RegisterProductResponse *rr = (void *)r.resp;
	ck_assert(rr->created);
	ck_assert(!rr->dry_run);
	ck_assert_uint_eq(rr->product->revision, 1);

	r = get("sales/orders", 0);
	tsrv_assert_status(r, GRPC_STATUS_OK, "");
	trib_product *p = (void *)r.resp;
	ck_assert_str_eq(p->name, "orders");
	ck_assert_str_eq(p->domain, "sales");
	ck_assert_str_eq(p->registered_by, "ci-bot");
	ck_assert_uint_eq(p->revision, 1);

	r = get("orders", 0);
	tsrv_assert_status(r, GRPC_STATUS_OK, "");
	ck_assert_str_eq(((trib_product *)r.resp)->domain, "sales");

	r = get("sales/orders", 1);
	tsrv_assert_status(r, GRPC_STATUS_OK, "");
	r = get("sales/orders", 7);
	tsrv_assert_status(r, GRPC_STATUS_NOT_FOUND, "revision: sales/orders has no revision 7");

	/* Registering again is an update: a new revision, not created. */
	r = register_product(tsrv_product("sales", "orders", "sales-team"), 0);
	tsrv_assert_status(r, GRPC_STATUS_OK, "");
	ck_assert(!((Tributary__V1__RegisterProductResponse *)r.resp)->created);
	ck_assert_uint_eq(((Tributary__V1__RegisterProductResponse *)r.resp)->product->revision, 2);
}
END_TEST

START_TEST(get_validates_and_reports_not_found)
{
	tsrv_result r = get("", 0);
	tsrv_assert_status(r, GRPC_STATUS_INVALID_ARGUMENT, "ref: required");
	r = get("a//b", 0);
	tsrv_assert_status(r, GRPC_STATUS_INVALID_ARGUMENT, "ref");
	r = get("sales/nothing-here", 0);
	tsrv_assert_status(r, GRPC_STATUS_NOT_FOUND, "nothing-here");

	Tributary__V1__Domain d = TRIBUTARY__V1__DOMAIN__INIT;
	d.name = "finance";
	d.owner_team = "finance-team";
	tsrv_assert_status(tsrv_call(CAT "UpsertDomain", &d.base), GRPC_STATUS_OK, "");
	r = get("finance", 0);
	tsrv_assert_status(r, GRPC_STATUS_INVALID_ARGUMENT, "not a data product");
}
END_TEST

START_TEST(ambiguous_bare_name_is_failed_precondition_naming_candidates)
{
	tsrv_register_ok(tsrv_product("sales", "events", "sales-team"));
	tsrv_register_ok(tsrv_product("marketing", "events", "marketing-team"));
	tsrv_result r = get("events", 0);
	tsrv_assert_status(r, GRPC_STATUS_FAILED_PRECONDITION, "sales/events");
	ck_assert_msg(strstr(r.message, "marketing/events"), "%s", r.message);
}
END_TEST

START_TEST(dry_run_reports_the_verdict_and_writes_nothing)
{
	tsrv_result r = register_product(tsrv_product("sales", "orders", "sales-team"), 1);
	tsrv_assert_status(r, GRPC_STATUS_OK, "");
	Tributary__V1__RegisterProductResponse *rr = (void *)r.resp;
	ck_assert(rr->dry_run);
	ck_assert(rr->created);
	ck_assert_uint_eq(rr->product->revision, 1);
	tsrv_assert_status(get("sales/orders", 0), GRPC_STATUS_NOT_FOUND, "orders");

	/* A dry run the policy would refuse answers OK with every violation in
	 * the response (the verdict is the answer), and writes nothing either. */
	trib_product *bad = tsrv_product("sales", "returns", "sales-team");
	bad->description = "";
	r = register_product(bad, 1);
	tsrv_assert_status(r, GRPC_STATUS_OK, "");
	rr = (void *)r.resp;
	ck_assert(rr->dry_run);
	ck_assert_uint_ge(rr->n_violations, 1);
	ck_assert_str_eq(rr->violations[0]->rule_id, "required-metadata");
	ck_assert_str_eq(rr->violations[0]->severity, "error");
	tsrv_assert_status(get("sales/returns", 0), GRPC_STATUS_NOT_FOUND, "returns");
}
END_TEST

START_TEST(register_validates_with_field_paths)
{
	Tributary__V1__RegisterProductRequest req = TRIBUTARY__V1__REGISTER_PRODUCT_REQUEST__INIT;
	tsrv_assert_status(tsrv_call(CAT "RegisterProduct", &req.base), GRPC_STATUS_INVALID_ARGUMENT,
			   "product: required");
	trib_product *p = tsrv_product("sales", "Bad Name!", "sales-team");
	tsrv_assert_status(register_product(p, 0), GRPC_STATUS_INVALID_ARGUMENT, "product.name");
	p = tsrv_product("sales", "orders", "sales-team");
	tsrv_input(p, "a//b");
	tsrv_assert_status(register_product(p, 0), GRPC_STATUS_INVALID_ARGUMENT, "product.input_ports[0].source");
	/* Refused by policy: nothing stored. */
	p = tsrv_product("sales", "orders", "");
	tsrv_assert_status(register_product(p, 0), GRPC_STATUS_FAILED_PRECONDITION, "owner");
	tsrv_assert_status(get("sales/orders", 0), GRPC_STATUS_NOT_FOUND, "orders");
}
END_TEST

START_TEST(limits_and_undecodable_requests_are_invalid_argument)
{
	trib_product *p = tsrv_product("sales", "orders", "sales-team");
	char *big = trib_arena_alloc(&tsrv_arena, SRV_MAX_STRING + 2);
	memset(big, 'x', SRV_MAX_STRING + 1);
	big[SRV_MAX_STRING + 1] = '\0';
	p->output_ports[0]->fields[1]->doc = big;
	tsrv_assert_status(register_product(p, 0), GRPC_STATUS_INVALID_ARGUMENT,
			   "product.output_ports[0].fields[1].doc: 65537 bytes");

	const srv_method *m = srv_method_find(CAT "GetProduct");
	srv_ctx c;
	srv_ctx_init(&c, &tsrv_env, &tsrv_arena, m, NULL, 0);
	srv_reply rep;
	const uint8_t junk[] = {0x0a, 0x50, 'x'}; /* field 1, length 80, 1 byte present */
	srv_dispatch(&rep, &c, m, junk, sizeof junk, 1);
	ck_assert_int_eq(rep.status, GRPC_STATUS_INVALID_ARGUMENT);
	ck_assert_msg(strstr(rep.message, "not a valid tributary.v1.GetProductRequest"), "%s", rep.message);

	/* A deadline already past: refused before any work. */
	srv_ctx_init(&c, &tsrv_env, &tsrv_arena, m, NULL, srv_now_ms() - 1);
	const uint8_t ok[] = {0x0a, 0x01, 'x'};
	srv_dispatch(&rep, &c, m, ok, sizeof ok, 1);
	ck_assert_int_eq(rep.status, GRPC_STATUS_RESOURCE_EXHAUSTED);
	ck_assert_msg(strstr(rep.message, "deadline"), "%s", rep.message);
}
END_TEST

static Tributary__V1__ListProductsResponse *list(const char *domain, uint32_t size, const char *token, int expect)
{
	Tributary__V1__ListProductsRequest req = TRIBUTARY__V1__LIST_PRODUCTS_REQUEST__INIT;
	req.domain = (char *)domain;
	req.page_size = size;
	req.page_token = (char *)token;
	tsrv_result r = tsrv_call(CAT "ListProducts", &req.base);
	ck_assert_msg(r.status == expect, "ListProducts: %d %s", r.status, r.message);
	return (void *)r.resp;
}

START_TEST(list_filters_and_pages_with_opaque_tokens)
{
	const char *names[] = {"a1", "a2", "a3", "a4", "a5"};
	for (int i = 0; i < 5; i++)
		tsrv_register_ok(tsrv_product(i < 3 ? "sales" : "marketing", names[i], i < 3 ? "sales-team" : "mkt"));
	const char *token = "";
	size_t seen = 0, pages = 0;
	do {
		Tributary__V1__ListProductsResponse *l = list("", 2, token, GRPC_STATUS_OK);
		seen += l->n_products;
		pages++;
		ck_assert_uint_le(l->n_products, 2);
		token = l->next_page_token;
	} while (*token);
	ck_assert_uint_eq(seen, 5);
	ck_assert_uint_eq(pages, 3);
	Tributary__V1__ListProductsResponse *l = list("marketing", 0, "", GRPC_STATUS_OK);
	ck_assert_uint_eq(l->n_products, 2);
	ck_assert_str_eq(l->next_page_token, "");
	list("", 0, "not-a-token!", GRPC_STATUS_INVALID_ARGUMENT);
	list("Bad Domain", 0, "", GRPC_STATUS_INVALID_ARGUMENT);
	/* A domain listing's token is refused by ListProducts. */
	char *dtok = srv_token_encode(&tsrv_arena, 'D', "sales", 5);
	list("", 0, dtok, GRPC_STATUS_INVALID_ARGUMENT);
}
END_TEST

START_TEST(deprecate_history_and_delete)
{
	tsrv_register_ok(tsrv_product("sales", "orders", "sales-team"));
	tsrv_register_ok(tsrv_product("sales", "orders-v2", "sales-team"));
	Tributary__V1__DeprecateProductRequest dep = TRIBUTARY__V1__DEPRECATE_PRODUCT_REQUEST__INIT;
	dep.ref = "sales/orders";
	dep.note = "use orders-v2";
	dep.replacement = "sales/orders-v2";
	tsrv_result r = tsrv_call(CAT "DeprecateProduct", &dep.base);
	tsrv_assert_status(r, GRPC_STATUS_OK, "");
	trib_product *p = (void *)r.resp;
	ck_assert(p->deprecation && p->deprecation->deprecated);
	ck_assert_str_eq(p->deprecation->note, "use orders-v2");
	ck_assert_uint_eq(p->revision, 2);

	Tributary__V1__GetHistoryRequest h = TRIBUTARY__V1__GET_HISTORY_REQUEST__INIT;
	h.ref = "orders";
	r = tsrv_call(CAT "GetHistory", &h.base);
	tsrv_assert_status(r, GRPC_STATUS_OK, "");
	Tributary__V1__GetHistoryResponse *hist = (void *)r.resp;
	ck_assert_str_eq(hist->ref, "sales/orders");
	ck_assert_uint_eq(hist->n_revisions, 2);
	ck_assert_uint_eq(hist->revisions[0]->revision, 2);
	ck_assert_uint_ge(hist->n_audit, 2);
	ck_assert_str_eq(hist->audit[hist->n_audit - 1]->action, "register");

	Tributary__V1__DeleteProductRequest del = TRIBUTARY__V1__DELETE_PRODUCT_REQUEST__INIT;
	del.ref = "sales/orders";
	r = tsrv_call(CAT "DeleteProduct", &del.base);
	tsrv_assert_status(r, GRPC_STATUS_OK, "");
	ck_assert_str_eq(((Tributary__V1__DeleteProductResponse *)r.resp)->ref, "sales/orders");
	tsrv_assert_status(get("sales/orders", 0), GRPC_STATUS_NOT_FOUND, "orders");
	tsrv_assert_status(tsrv_call(CAT "DeleteProduct", &del.base), GRPC_STATUS_NOT_FOUND, "orders");
	dep.ref = "";
	tsrv_assert_status(tsrv_call(CAT "DeprecateProduct", &dep.base), GRPC_STATUS_INVALID_ARGUMENT,
			   "ref: required");
}
END_TEST

START_TEST(domains_and_terms_upsert_list_and_page)
{
	const char *doms[] = {"customer", "finance", "sales"};
	for (int i = 0; i < 3; i++) {
		Tributary__V1__Domain d = TRIBUTARY__V1__DOMAIN__INIT;
		d.name = (char *)doms[i];
		d.owner_team = "platform";
		tsrv_result r = tsrv_call(CAT "UpsertDomain", &d.base);
		tsrv_assert_status(r, GRPC_STATUS_OK, "");
		ck_assert_str_eq(((Tributary__V1__Domain *)r.resp)->owner_team, "platform");
	}
	Tributary__V1__Domain bad = TRIBUTARY__V1__DOMAIN__INIT;
	bad.name = "no spaces";
	tsrv_assert_status(tsrv_call(CAT "UpsertDomain", &bad.base), GRPC_STATUS_INVALID_ARGUMENT, "name");

	Tributary__V1__ListDomainsRequest ld = TRIBUTARY__V1__LIST_DOMAINS_REQUEST__INIT;
	ld.page_size = 2;
	tsrv_result r = tsrv_call(CAT "ListDomains", &ld.base);
	tsrv_assert_status(r, GRPC_STATUS_OK, "");
	Tributary__V1__ListDomainsResponse *l = (void *)r.resp;
	ck_assert_uint_eq(l->n_domains, 2);
	ck_assert_str_eq(l->domains[0]->name, "customer");
	ck_assert_str_ne(l->next_page_token, "");
	ld.page_token = l->next_page_token;
	r = tsrv_call(CAT "ListDomains", &ld.base);
	l = (void *)r.resp;
	ck_assert_uint_eq(l->n_domains, 1);
	ck_assert_str_eq(l->domains[0]->name, "sales");
	ck_assert_str_eq(l->next_page_token, "");

	Tributary__V1__GlossaryTerm t = TRIBUTARY__V1__GLOSSARY_TERM__INIT;
	t.name = "CustomerProfile";
	t.description = "Everything we know about a customer";
	tsrv_assert_status(tsrv_call(CAT "UpsertGlossaryTerm", &t.base), GRPC_STATUS_OK, "");
	t.name = "";
	tsrv_assert_status(tsrv_call(CAT "UpsertGlossaryTerm", &t.base), GRPC_STATUS_INVALID_ARGUMENT, "name");
	Tributary__V1__ListGlossaryTermsRequest lt = TRIBUTARY__V1__LIST_GLOSSARY_TERMS_REQUEST__INIT;
	r = tsrv_call(CAT "ListGlossaryTerms", &lt.base);
	tsrv_assert_status(r, GRPC_STATUS_OK, "");
	ck_assert_uint_eq(((Tributary__V1__ListGlossaryTermsResponse *)r.resp)->n_terms, 1);
	lt.page_token = ld.page_token; /* a domain token */
	tsrv_assert_status(tsrv_call(CAT "ListGlossaryTerms", &lt.base), GRPC_STATUS_INVALID_ARGUMENT, "page_token");
}
END_TEST

static Tributary__V1__SearchResponse *search(const char *q, Tributary__V1__NodeKind kind, uint32_t size,
					      const char *token)
{
	Tributary__V1__SearchRequest req = TRIBUTARY__V1__SEARCH_REQUEST__INIT;
	req.query = (char *)q;
	req.page_size = size;
	req.page_token = (char *)token;
	if (kind) {
		req.n_kinds = 1;
		req.kinds = &kind;
	}
	tsrv_result r = tsrv_call(CAT "Search", &req.base);
	ck_assert_msg(r.status == 0, "Search: %s", r.message);
	return (void *)r.resp;
}

START_TEST(search_matches_names_tags_fields_case_insensitively_and_pages)
{
	trib_product *p = tsrv_product("sales", "orders", "sales-team");
	tsrv_tag(p, "gold");
	tsrv_register_ok(p);
	tsrv_register_ok(tsrv_product("sales", "refunds", "sales-team"));
	tsrv_register_ok(tsrv_product("marketing", "campaigns", "mkt"));

	Tributary__V1__SearchResponse *s = search("ORDERS", TRIBUTARY__V1__NODE_KIND__NODE_KIND_PRODUCT, 0, "");
	ck_assert_uint_eq(s->n_hits, 1);
	ck_assert_str_eq(s->hits[0]->ref, "sales/orders");
	ck_assert_double_eq(s->hits[0]->score, 10);
	s = search("gol", TRIBUTARY__V1__NODE_KIND__NODE_KIND_PRODUCT, 0, "");
	ck_assert_uint_eq(s->n_hits, 1);
	s = search("email", TRIBUTARY__V1__NODE_KIND__NODE_KIND_FIELD, 0, "");
	ck_assert_uint_eq(s->n_hits, 3);
	ck_assert_str_eq(s->hits[0]->ref, "sales/orders:main#customer_email");
	ck_assert_int_eq(s->hits[0]->kind, TRIBUTARY__V1__NODE_KIND__NODE_KIND_FIELD);

	/* Paging: one field hit per product, two per page. */
	s = search("email", TRIBUTARY__V1__NODE_KIND__NODE_KIND_FIELD, 2, "");
	ck_assert_uint_eq(s->n_hits, 2);
	ck_assert_str_ne(s->next_page_token, "");
	s = search("email", TRIBUTARY__V1__NODE_KIND__NODE_KIND_FIELD, 2, s->next_page_token);
	ck_assert_uint_eq(s->n_hits, 1);
	ck_assert_str_eq(s->hits[0]->ref, "marketing/campaigns:main#customer_email");
	ck_assert_str_eq(s->next_page_token, "");

	Tributary__V1__SearchRequest req = TRIBUTARY__V1__SEARCH_REQUEST__INIT;
	tsrv_assert_status(tsrv_call(CAT "Search", &req.base), GRPC_STATUS_INVALID_ARGUMENT, "query: required");
	Tributary__V1__NodeKind team = TRIBUTARY__V1__NODE_KIND__NODE_KIND_TEAM;
	req.query = "x";
	req.kinds = &team;
	req.n_kinds = 1;
	tsrv_assert_status(tsrv_call(CAT "Search", &req.base), GRPC_STATUS_INVALID_ARGUMENT, "kinds[0]");
}
END_TEST

/* Handlers need no dispatcher either: a context and a transaction suffice. */
START_TEST(handler_called_directly_with_a_context)
{
	tsrv_register_ok(tsrv_product("sales", "orders", "sales-team"));
	graph_txn *t;
	ck_assert(graph_read_begin(&t, tsrv_store) == 0);
	srv_ctx c;
	srv_ctx_init(&c, &tsrv_env, &tsrv_arena, srv_method_find(CAT "GetProduct"), "tester", 0);
	c.txn = t;
	Tributary__V1__GetProductRequest req = TRIBUTARY__V1__GET_PRODUCT_REQUEST__INIT;
	req.ref = "sales/orders";
	ProtobufCMessage *resp = NULL;
	ck_assert_int_eq(srv_catalog_get_product(&c, &req.base, &resp), 0);
	ck_assert_str_eq(((trib_product *)resp)->name, "orders");
	req.ref = "sales/none";
	ck_assert_int_eq(srv_catalog_get_product(&c, &req.base, &resp), TRIB_ENOTFOUND);
	graph_txn_abort(t);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("catalog");
	TCase *tc = tcase_create("handlers");
	tcase_add_checked_fixture(tc, tsrv_setup, tsrv_teardown);
	tcase_add_test(tc, register_then_get_by_ref_and_bare_name);
	tcase_add_test(tc, get_validates_and_reports_not_found);
	tcase_add_test(tc, ambiguous_bare_name_is_failed_precondition_naming_candidates);
	tcase_add_test(tc, dry_run_reports_the_verdict_and_writes_nothing);
	tcase_add_test(tc, register_validates_with_field_paths);
	tcase_add_test(tc, limits_and_undecodable_requests_are_invalid_argument);
	tcase_add_test(tc, list_filters_and_pages_with_opaque_tokens);
	tcase_add_test(tc, deprecate_history_and_delete);
	tcase_add_test(tc, domains_and_terms_upsert_list_and_page);
	tcase_add_test(tc, search_matches_names_tags_fields_case_insensitively_and_pages);
	tcase_add_test(tc, handler_called_directly_with_a_context);
	suite_add_tcase(s, tc);
	return tsrv_run(s);
}
