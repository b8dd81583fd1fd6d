/* Governance through the dispatcher: GetPolicy, AuditPolicy, and the policy
 * as RegisterProduct applies it (refusal status, dry runs, reloads). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "srv_fixture.h"
#include "tributary/policy.h"

#define GET_POLICY "/tributary.v1.Governance/GetPolicy"
#define AUDIT "/tributary.v1.Governance/AuditPolicy"
#define REGISTER "/tributary.v1.Catalog/RegisterProduct"
#define GET_PRODUCT "/tributary.v1.Catalog/GetProduct"

static tsrv_result reg(trib_product *p, int dry_run)
{
	Tributary__V1__RegisterProductRequest req = TRIBUTARY__V1__REGISTER_PRODUCT_REQUEST__INIT;
	req.product = p;
	req.dry_run = dry_run;
	return tsrv_call(REGISTER, &req.base);
}

static int stored(const char *ref)
{
	Tributary__V1__GetProductRequest req = TRIBUTARY__V1__GET_PRODUCT_REQUEST__INIT;
	req.ref = (char *)ref;
	tsrv_result r = tsrv_call(GET_PRODUCT, &req.base);
	return r.status == 0;
}

static Tributary__V1__PolicyAuditReport *audit(const char *domain)
{
	Tributary__V1__AuditPolicyRequest req = TRIBUTARY__V1__AUDIT_POLICY_REQUEST__INIT;
	req.domain = (char *)domain;
	tsrv_result r = tsrv_call(AUDIT, &req.base);
	ck_assert_msg(r.status == 0, "AuditPolicy: %s", r.message);
	return (Tributary__V1__PolicyAuditReport *)r.resp;
}

static void install(const char *text)
{
	char path[300];
	snprintf(path, sizeof path, "%s/policy.yaml", tsrv_dir);
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_msg(pol_global_init(path) == 0, "%s", pol_load_diagnostics());
}

START_TEST(get_policy_describes_the_policy_in_force)
{
	Tributary__V1__GetPolicyRequest req = TRIBUTARY__V1__GET_POLICY_REQUEST__INIT;
	tsrv_result r = tsrv_call(GET_POLICY, &req.base);
	ck_assert_int_eq(r.status, 0);
	Tributary__V1__Policy *p = (Tributary__V1__Policy *)r.resp;
	ck_assert_str_eq(p->source, "");
	ck_assert_uint_eq(p->n_rules, 11);
	ck_assert_str_eq(p->rules[4]->id, "pii-confidential");
	ck_assert_str_eq(p->rules[4]->params, "{\"min_classification\":\"confidential\"}");

	install("version: 1\nrules:\n  - id: tags\n    description: Tag everything.\n    severity: warning\n"
		"    type: required-fields\n    scope: {domains: [sales]}\n"
		"    exceptions: [{domain: sales, rationale: migrating}]\n    params: {fields: [tags]}\n");
	r = tsrv_call(GET_POLICY, &req.base);
	p = (Tributary__V1__Policy *)r.resp;
	ck_assert_str_eq(p->source + strlen(p->source) - strlen("/policy.yaml"), "/policy.yaml");
	ck_assert_uint_eq(p->n_rules, 1);
	ck_assert_str_eq(p->rules[0]->id, "tags");
	ck_assert_str_eq(p->rules[0]->description, "Tag everything.");
	ck_assert_str_eq(p->rules[0]->severity, "warning");
	ck_assert_str_eq(p->rules[0]->type, "required-fields");
	ck_assert_uint_eq(p->rules[0]->n_domains, 1);
	ck_assert_str_eq(p->rules[0]->domains[0], "sales");
	ck_assert_uint_eq(p->rules[0]->n_exceptions, 1);
	ck_assert_str_eq(p->rules[0]->exceptions[0]->ref, "sales");
	ck_assert_str_eq(p->rules[0]->exceptions[0]->rationale, "migrating");
	ck_assert_str_eq(p->rules[0]->params, "{\"fields\":[\"tags\"]}");
	ck_assert_uint_eq(strlen(p->digest), 64);
}
END_TEST

START_TEST(refused_registration_is_failed_precondition_and_writes_nothing)
{
	trib_product *p = tsrv_product("sales", "Orders_V2", "sales-team");
	p->governance = srv_msg_new(&tsrv_arena, &tributary__v1__product_governance__descriptor);
	p->governance->n_pii_fields = 1;
	p->governance->pii_fields = trib_arena_calloc(&tsrv_arena, 1, sizeof(char *));
	p->governance->pii_fields[0] = "customer_email";
	tsrv_result r = reg(p, 0);
	ck_assert_int_eq(r.status, 9); /* FAILED_PRECONDITION */
	ck_assert_str_eq(r.message,
			 "policy refused sales/Orders_V2: 2 violations: [naming] product name 'Orders_V2' does not match "
			 "the naming convention '[a-z][a-z0-9-]*' (name); [pii-confidential] declares PII fields "
			 "(customer_email) but is classified unspecified; products with PII must be confidential or above "
			 "(governance.data_classification)");
	ck_assert(!stored("sales/Orders_V2"));

	/* A dry run answers with the same verdict, itemised in the response. */
	r = reg(p, 1);
	ck_assert_int_eq(r.status, 0);
	const Tributary__V1__RegisterProductResponse *rr = (const void *)r.resp;
	ck_assert(rr->dry_run);
	ck_assert_uint_eq(rr->n_violations, 2);
	ck_assert_str_eq(rr->violations[0]->rule_id, "naming");
	ck_assert_str_eq(rr->violations[0]->field_path, "name");
	ck_assert_str_eq(rr->violations[1]->rule_id, "pii-confidential");
	ck_assert_str_eq(rr->violations[1]->field_path, "governance.data_classification");
	ck_assert(!stored("sales/Orders_V2"));
}
END_TEST

START_TEST(dry_run_reports_warnings_and_writes_nothing)
{
	trib_product *p = tsrv_product("sales", "orders", "sales-team");
	p->sla = NULL;
	tsrv_result r = reg(p, 1);
	ck_assert_msg(r.status == 0, "%s", r.message);
	Tributary__V1__RegisterProductResponse *resp = (Tributary__V1__RegisterProductResponse *)r.resp;
	ck_assert(resp->dry_run);
	ck_assert_uint_eq(resp->n_violations, 0);
	ck_assert_uint_eq(resp->n_warnings, 1);
	ck_assert_str_eq(resp->warnings[0]->rule_id, "sla-stated");
	ck_assert_str_eq(resp->warnings[0]->severity, "warning");
	ck_assert_str_eq(resp->warnings[0]->field_path, "sla");
	ck_assert(!stored("sales/orders"));
	r = reg(p, 0);
	ck_assert_int_eq(r.status, 0);
	resp = (Tributary__V1__RegisterProductResponse *)r.resp;
	ck_assert_uint_eq(resp->n_warnings, 1);
	ck_assert(stored("sales/orders"));
}
END_TEST

START_TEST(audit_after_an_upstream_change_and_a_policy_reload)
{
	trib_product *up = tsrv_product("crm", "customers", "crm-team");
	tsrv_register_ok(up);
	trib_product *d = tsrv_product("sales", "orders", "sales-team");
	tsrv_input(d, "crm/customers");
	tsrv_register_ok(d);
	Tributary__V1__PolicyAuditReport *rep = audit("");
	ck_assert_uint_eq(rep->products_checked, 2);
	ck_assert_uint_eq(rep->n_non_compliant, 0);

	/* The upstream becomes confidential: its reader no longer complies. */
	up = tsrv_product("crm", "customers", "crm-team");
	up->version = "1.1.0";
	up->governance = srv_msg_new(&tsrv_arena, &tributary__v1__product_governance__descriptor);
	up->governance->data_classification = TRIBUTARY__V1__CLASSIFICATION__CLASSIFICATION_CONFIDENTIAL;
	tsrv_register_ok(up);
	rep = audit("");
	ck_assert_uint_eq(rep->products_checked, 2);
	ck_assert_uint_eq(rep->n_non_compliant, 1);
	ck_assert_str_eq(rep->non_compliant[0]->ref, "sales/orders");
	ck_assert_str_eq(rep->non_compliant[0]->owner, "sales-team");
	ck_assert_uint_eq(rep->non_compliant[0]->n_violations, 1);
	Tributary__V1__Violation *v = rep->non_compliant[0]->violations[0];
	ck_assert_str_eq(v->rule_id, "derived-composition");
	ck_assert_str_eq(v->upstream_ref, "crm/customers");
	ck_assert_str_eq(v->field_path, "governance.data_classification");
	ck_assert_str_eq(v->severity, "error");
	rep = audit("crm");
	ck_assert_uint_eq(rep->products_checked, 1);
	ck_assert_uint_eq(rep->n_non_compliant, 0);

	/* A stricter policy takes effect without a restart. */
	install("version: 1\nrules:\n  - {id: tags, description: d, severity: error, type: required-fields,"
		" params: {fields: [tags]}}\n");
	rep = audit("");
	ck_assert_uint_eq(rep->n_non_compliant, 2);
	ck_assert_str_eq(rep->non_compliant[0]->ref, "crm/customers");
	ck_assert_str_eq(rep->non_compliant[0]->violations[0]->message, "at least one tag is required");
	tsrv_result r = reg(tsrv_product("sales", "untagged", "sales-team"), 0);
	ck_assert_int_eq(r.status, 9);
	ck_assert_str_eq(r.message, "policy refused sales/untagged: 1 violation: [tags] at least one tag is required (tags)");

	Tributary__V1__AuditPolicyRequest bad = TRIBUTARY__V1__AUDIT_POLICY_REQUEST__INIT;
	bad.domain = "no such domain";
	r = tsrv_call(AUDIT, &bad.base);
	ck_assert_int_eq(r.status, 3); /* INVALID_ARGUMENT */
	ck_assert_ptr_nonnull(strstr(r.message, "domain: "));
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("policy_rpc");
	TCase *tc = tcase_create("rpc");
	tcase_add_checked_fixture(tc, tsrv_setup, tsrv_teardown);
	tcase_add_test(tc, get_policy_describes_the_policy_in_force);
	tcase_add_test(tc, refused_registration_is_failed_precondition_and_writes_nothing);
	tcase_add_test(tc, dry_run_reports_warnings_and_writes_nothing);
	tcase_add_test(tc, audit_after_an_upstream_change_and_a_policy_reload);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	/* Each test installs its own policy in the process-wide holder: keep them apart. */
	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
