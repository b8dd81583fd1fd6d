/* Domain boundary maps and glossaries in every accepted spelling. */
#include "tributary/ingest.h"

#include <check.h>
#include <string.h>

#include "helpers.h"
#include "tributary/error.h"

typedef Tributary__V1__Domain Domain;
typedef Tributary__V1__GlossaryTerm Term;

static void strs_are(char **got, size_t n, const char *const *want, size_t nwant)
{
	ck_assert_uint_eq(n, nwant);
	for (size_t i = 0; i < n; i++)
		ck_assert_str_eq(got[i], want[i]);
}
#define STRS(got, n, ...)                                                                                          \
	do {                                                                                                       \
		const char *const w_[] = {__VA_ARGS__};                                                            \
		strs_are(got, n, w_, sizeof w_ / sizeof w_[0]);                                                    \
	} while (0)

START_TEST(seed_domain_map)
{
	ck_assert_int_eq(ing_parse_file(&T_res, &T_arena, fx("seeds/domains.yaml"), NULL), 0);
	EXPECT_NO_DIAGS();
	ck_assert_uint_eq(T_res.n_domains, 3);
	ck_assert_uint_eq(T_res.n_products, 0);
	Domain *c = T_res.domains[0], *p = T_res.domains[1], *l = T_res.domains[2];
	ck_assert_str_eq(c->name, "customer");
	ck_assert_str_eq(c->owner_team, "customer-platform");
	ck_assert_str_eq(c->oncall, "customer-data-oncall");
	ck_assert_str_eq(c->description, "");
	STRS(c->source_products, c->n_source_products, "customer-events-v1", "customer-profile-snapshot");
	STRS(c->consumer_products, c->n_consumer_products, "customer-360");
	ck_assert_str_eq(p->name, "payments");
	ck_assert_str_eq(p->owner_team, "payments-engineering");
	ck_assert_str_eq(p->oncall, "payments-data-oncall");
	STRS(p->source_products, p->n_source_products, "transaction-events-v1", "refund-events-v1");
	STRS(p->consumer_products, p->n_consumer_products, "revenue-daily-summary");
	ck_assert_str_eq(l->name, "logistics");
	ck_assert_str_eq(l->owner_team, "logistics-data");
	ck_assert_str_eq(l->oncall, "logistics-data-oncall");
	STRS(l->source_products, l->n_source_products, "shipment-events-v2", "inventory-snapshot-hourly");
	STRS(l->consumer_products, l->n_consumer_products, "fulfillment-kpis");
}
END_TEST

START_TEST(domain_list_form_and_kinds)
{
	ck_assert_int_eq(t_parse("domains:\n"
				 "  - name: finance\n"
				 "    owner: finance-analytics\n"
				 "    description: Books and ledgers.\n"
				 "    consumer_products: [finance/finance-ledger]\n"
				 "---\n"
				 "apiVersion: data-mesh/v1\n"
				 "kind: DomainMap\n"
				 "metadata: {name: all, labels: {a: b}}\n"
				 "spec:\n"
				 "  domains:\n"
				 "    marketing: {owner_team: growth, oncall: growth-oncall}\n"
				 "    empty:\n"
				 "---\n"
				 "apiVersion: data-mesh/v1\n"
				 "kind: Domain\n"
				 "metadata:\n"
				 "  name: legal\n"
				 "spec:\n"
				 "  owner_team: legal-ops\n"
				 "  sourceProducts: [contracts]\n"),
			 0);
	EXPECT_NO_DIAGS();
	ck_assert_uint_eq(T_res.n_domains, 4);
	ck_assert_str_eq(T_res.domains[0]->name, "finance");
	ck_assert_str_eq(T_res.domains[0]->owner_team, "finance-analytics");
	ck_assert_str_eq(T_res.domains[0]->description, "Books and ledgers.");
	STRS(T_res.domains[0]->consumer_products, T_res.domains[0]->n_consumer_products, "finance/finance-ledger");
	ck_assert_str_eq(T_res.domains[1]->name, "marketing");
	ck_assert_str_eq(T_res.domains[1]->oncall, "growth-oncall");
	ck_assert_str_eq(T_res.domains[2]->name, "empty");
	ck_assert_str_eq(T_res.domains[2]->owner_team, "");
	ck_assert_str_eq(T_res.domains[3]->name, "legal");
	ck_assert_str_eq(T_res.domains[3]->owner_team, "legal-ops");
	STRS(T_res.domains[3]->source_products, T_res.domains[3]->n_source_products, "contracts");
}
END_TEST

START_TEST(domain_mistakes)
{
	ck_assert_int_eq(t_parse("domains:\n"
				 "  Bad Name: {owner_team: x}\n"
				 "  ok:\n"
				 "    owner_team: [a, b]\n"
				 "    source_products: [term:Foo, a/b/c]\n"
				 "    oncall: x\n"
				 "    oncall_pagerduty: y\n"
				 "---\n"
				 "apiVersion: data-mesh/v1\n"
				 "kind: DomainMap\n"
				 "metadata: {name: m}\n"
				 "---\n"
				 "apiVersion: data-mesh/v1\n"
				 "kind: Domain\n"
				 "spec: {owner_team: x}\n"
				 "---\n"
				 "domains: [a, b]\n"),
			 TRIB_EINVALID);
	EXPECT_DIAGS("t.yaml:2:3: error: domain name 'Bad Name': character ' ' at offset 3 is not allowed (at "
		     "domains.Bad Name)",
		     "t.yaml:4:17: error: expected a name, got a list (at domains.ok.owner_team)",
		     "t.yaml:5:23: error: 'term:Foo' is a term reference; expected a data product (domain/name or a bare "
		     "name) (at domains.ok.source_products[0])",
		     "t.yaml:5:33: error: reference 'a/b/c': more than one '/' (at domains.ok.source_products[1])",
		     "t.yaml:7:5: error: 'oncall_pagerduty' repeats 'oncall' (line 6) (at domains.ok.oncall_pagerduty)",
		     "t.yaml:9:1: error: a DomainMap needs 'domains' (at the top or under 'spec')",
		     "t.yaml:13:1: error: missing required key 'metadata'",
		     "t.yaml:17:11: error: expected a mapping, got a string (at domains[0])",
		     "t.yaml:17:14: error: expected a mapping, got a string (at domains[1])");
}
END_TEST

START_TEST(glossary_fixture)
{
	ck_assert_int_eq(ing_parse_file(&T_res, &T_arena, fx("glossary.yaml"), NULL), 0);
	EXPECT_NO_DIAGS();
	ck_assert_uint_eq(T_res.n_terms, 3);
	Term *a = T_res.terms[0], *b = T_res.terms[1], *c = T_res.terms[2];
	ck_assert_str_eq(a->name, "CustomerProfile");
	ck_assert_str_eq(a->description, "The unified view of one customer across CRM, payments and support.");
	STRS(a->related_terms, a->n_related_terms, "PIIData", "GDPRScoped");
	STRS(a->applies_to, a->n_applies_to, "customer/customer-360", "customer/customer-360#email_hash");
	ck_assert_str_eq(b->name, "PIIData");
	STRS(b->related_terms, b->n_related_terms, "GDPRScoped");
	STRS(b->applies_to, b->n_applies_to, "customer/customer-360#email_hash",
	     "customer/customer-360:customer_snapshot_daily#full_name");
	ck_assert_str_eq(c->name, "GDPRScoped");
	ck_assert_str_eq(c->description, "Subject to the GDPR right to erasure.");
	ck_assert_uint_eq(c->n_related_terms, 0);
	ck_assert_uint_eq(c->n_applies_to, 0);
}
END_TEST

START_TEST(glossary_spellings)
{
	ck_assert_int_eq(t_parse("terms:\n"
				 "  Net Revenue:\n"
				 "    description: Revenue net of refunds.\n"
				 "    related_terms: [\"term:Revenue\"]\n"
				 "    appliesTo: [payments/revenue-daily-summary:daily#net_usd]\n"
				 "  Revenue:\n"
				 "---\n"
				 "apiVersion: data-mesh/v1\n"
				 "kind: Glossary\n"
				 "spec:\n"
				 "  terms: [{name: Churn}]\n"
				 "---\n"
				 "apiVersion: data-mesh/v1\n"
				 "kind: GlossaryTerm\n"
				 "metadata: {name: Settlement}\n"
				 "spec: {description: Final.}\n"
				 "---\n"
				 "domains: {ops: {owner_team: sre}}\n"
				 "glossary: [{name: Uptime}]\n"),
			 0);
	EXPECT_NO_DIAGS();
	ck_assert_uint_eq(T_res.n_terms, 5);
	ck_assert_str_eq(T_res.terms[0]->name, "Net Revenue");
	STRS(T_res.terms[0]->related_terms, T_res.terms[0]->n_related_terms, "Revenue");
	STRS(T_res.terms[0]->applies_to, T_res.terms[0]->n_applies_to, "payments/revenue-daily-summary:daily#net_usd");
	ck_assert_str_eq(T_res.terms[1]->name, "Revenue");
	ck_assert_str_eq(T_res.terms[2]->name, "Churn");
	ck_assert_str_eq(T_res.terms[3]->name, "Settlement");
	ck_assert_str_eq(T_res.terms[3]->description, "Final.");
	ck_assert_str_eq(T_res.terms[4]->name, "Uptime");
	ck_assert_uint_eq(T_res.n_domains, 1);
	ck_assert_str_eq(T_res.domains[0]->name, "ops");
}
END_TEST

START_TEST(glossary_mistakes)
{
	ck_assert_int_eq(t_parse("glossary:\n"
				 "  - {description: no name}\n"
				 "  - {name: 1st, applies_to: [\"a b\", \"x#y\"]}\n"
				 "  - {name: Ok, related: [\"-x\"], applies_to: customer/customer-360}\n"
				 "---\n"
				 "terms: 5\n"),
			 TRIB_EINVALID);
	EXPECT_DIAGS("t.yaml:2:5: error: missing required key 'name' (at glossary[0])",
		     "t.yaml:3:12: error: term name '1st' must start with a letter (at glossary[1].name)",
		     "t.yaml:3:30: error: reference 'a b': whitespace at offset 1 (at glossary[1].applies_to[0])",
		     "t.yaml:3:37: error: reference 'x#y': a port or field reference needs 'domain/product' first (at "
		     "glossary[1].applies_to[1])",
		     "t.yaml:4:26: error: term name '-x' must start with a letter (at glossary[2].related[0])",
		     "t.yaml:4:45: error: expected a list, got a string (at glossary[2].applies_to)",
		     "t.yaml:6:8: error: expected a list of terms or a mapping of term names, got an integer (at terms)");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("catalog");
	TCase *tc = tcase_create("catalog");
	tcase_add_checked_fixture(tc, t_setup, t_teardown);
	tcase_add_test(tc, seed_domain_map);
	tcase_add_test(tc, domain_list_form_and_kinds);
	tcase_add_test(tc, domain_mistakes);
	tcase_add_test(tc, glossary_fixture);
	tcase_add_test(tc, glossary_spellings);
	tcase_add_test(tc, glossary_mistakes);
	suite_add_tcase(s, tc);
	return t_run(s);
}
