/* RegisterProducts (client streaming) without sockets: batches, per-product verdicts, durability. */
#include "srv_fixture.h"

#include <string.h>

#include <grpc/status.h>

#define CAT "/tributary.v1.Catalog/"

static ProtobufCMessage *req_for(trib_product *p, int dry_run)
{
	Tributary__V1__RegisterProductRequest *r =
		srv_msg_new(&tsrv_arena, &tributary__v1__register_product_request__descriptor);
	r->product = p;
	r->dry_run = dry_run;
	return &r->base;
}

static int exists(const char *ref)
{
	Tributary__V1__GetProductRequest req = TRIBUTARY__V1__GET_PRODUCT_REQUEST__INIT;
	req.ref = (char *)ref;
	return tsrv_call(CAT "GetProduct", &req.base).status == GRPC_STATUS_OK;
}

/* More than two batches of 256, every one committed, then durable across a reopen. */
START_TEST(stream_commits_every_batch_and_answers_once)
{
	enum { N = 600 };
	ProtobufCMessage **reqs = trib_arena_calloc(&tsrv_arena, N, sizeof *reqs);
	for (int i = 0; i < N; i++) {
		char name[32];
		snprintf(name, sizeof name, "p%04d", i);
		reqs[i] = req_for(tsrv_product(i % 2 ? "sales" : "finance", name, "team-a"), 0);
	}
	tsrv_result r = tsrv_stream(CAT "RegisterProducts", reqs, N);
	tsrv_assert_status(r, GRPC_STATUS_OK, "");
	Tributary__V1__RegisterProductsSummary *s = (void *)r.resp;
	ck_assert_uint_eq(s->registered, N);
	ck_assert_uint_eq(s->failed, 0);
	ck_assert_uint_eq(s->n_results, N);
	ck_assert_uint_eq(s->n_errors, 0);
	ck_assert_str_eq(s->results[0]->ref, "finance/p0000");
	ck_assert_str_eq(s->results[599]->ref, "sales/p0599");
	ck_assert(s->results[599]->ok && s->results[599]->created);
	ck_assert_uint_eq(s->results[599]->revision, 1);
	tsrv_reopen();
	ck_assert(exists("finance/p0000"));
	ck_assert(exists("sales/p0599"));
}
END_TEST

START_TEST(a_bad_product_fails_only_itself)
{
	ProtobufCMessage *reqs[6];
	reqs[0] = req_for(tsrv_product("sales", "good-one", "team-a"), 0);
	reqs[1] = req_for(tsrv_product("sales", "Bad Name", "team-a"), 0);
	reqs[2] = req_for(tsrv_product("sales", "good-two", "team-a"), 0);
	trib_product *refused = tsrv_product("sales", "no-owner", "");
	reqs[3] = req_for(refused, 0);
	reqs[4] = req_for(NULL, 0);
	reqs[5] = req_for(tsrv_product("sales", "good-three", "team-a"), 0);
	tsrv_result r = tsrv_stream(CAT "RegisterProducts", reqs, 6);
	tsrv_assert_status(r, GRPC_STATUS_OK, "");
	Tributary__V1__RegisterProductsSummary *s = (void *)r.resp;
	ck_assert_uint_eq(s->registered, 3);
	ck_assert_uint_eq(s->failed, 3);
	ck_assert_uint_eq(s->n_errors, 3);
	ck_assert_uint_eq(s->n_results, 6);
	/* Verdicts in stream order. */
	ck_assert(s->results[0]->ok);
	ck_assert(!s->results[1]->ok);
	ck_assert_int_eq(s->results[1]->code, GRPC_STATUS_INVALID_ARGUMENT);
	ck_assert_msg(strstr(s->results[1]->error, "product.name"), "%s", s->results[1]->error);
	ck_assert(s->results[2]->ok);
	ck_assert(!s->results[3]->ok);
	ck_assert_int_eq(s->results[3]->code, GRPC_STATUS_FAILED_PRECONDITION);
	ck_assert_uint_ge(s->results[3]->n_violations, 1);
	ck_assert_str_eq(s->results[4]->ref, "#4");
	ck_assert_msg(strstr(s->results[4]->error, "product: required"), "%s", s->results[4]->error);
	ck_assert(s->results[5]->ok);
	ck_assert_msg(strstr(s->errors[1], "sales/no-owner: "), "%s", s->errors[1]);
	ck_assert(exists("sales/good-one") && exists("sales/good-two") && exists("sales/good-three"));
	ck_assert(!exists("sales/no-owner"));
}
END_TEST

START_TEST(dry_run_in_a_stream_writes_nothing)
{
	ProtobufCMessage *reqs[2] = {
		req_for(tsrv_product("sales", "kept", "team-a"), 0),
		req_for(tsrv_product("sales", "only-tried", "team-a"), 1),
	};
	tsrv_result r = tsrv_stream(CAT "RegisterProducts", reqs, 2);
	tsrv_assert_status(r, GRPC_STATUS_OK, "");
	Tributary__V1__RegisterProductsSummary *s = (void *)r.resp;
	ck_assert_uint_eq(s->registered, 1);
	ck_assert_uint_eq(s->n_results, 2);
	ck_assert(s->results[1]->ok);
	ck_assert(exists("sales/kept"));
	ck_assert(!exists("sales/only-tried"));
}
END_TEST

START_TEST(empty_stream_answers_an_empty_summary)
{
	tsrv_result r = tsrv_stream(CAT "RegisterProducts", NULL, 0);
	tsrv_assert_status(r, GRPC_STATUS_OK, "");
	Tributary__V1__RegisterProductsSummary *s = (void *)r.resp;
	ck_assert_uint_eq(s->registered, 0);
	ck_assert_uint_eq(s->n_results, 0);
}
END_TEST

/* p0 <- p1 <- ... <- p(n-1), each reading the one before, as stream requests. */
static ProtobufCMessage **chain(size_t n)
{
	ProtobufCMessage **reqs = trib_arena_calloc(&tsrv_arena, n, sizeof *reqs);
	for (size_t i = 0; i < n; i++) {
		char name[32], up[48];
		snprintf(name, sizeof name, "p%zu", i);
		trib_product *p = tsrv_product("chain", name, "team-a");
		if (i) {
			snprintf(up, sizeof up, "chain/p%zu", i - 1);
			tsrv_input(p, up);
		}
		reqs[i] = req_for(p, 0);
	}
	return reqs;
}

/* Provenance of product k walks k upstreams: a batch's policy evaluations
 * once shared the stream's memory limit, so a deep chain failed the whole
 * stream ("out of memory evaluating the policy") after two batches. */
START_TEST(a_deep_chain_registers_in_one_stream_and_audits)
{
	enum { N = 3000 };
	tsrv_result r = tsrv_stream(CAT "RegisterProducts", chain(N), N);
	tsrv_assert_status(r, GRPC_STATUS_OK, "");
	Tributary__V1__RegisterProductsSummary *s = (void *)r.resp;
	ck_assert_msg(s->failed == 0, "%u failed, first: %s", s->failed, s->n_errors ? s->errors[0] : "");
	ck_assert_uint_eq(s->registered, N);
	ck_assert_uint_eq(s->n_results, N);
	ck_assert_str_eq(s->results[N - 1]->ref, "chain/p2999");
	ck_assert(s->results[N - 1]->ok);
	ck_assert_uint_eq(s->results[N - 1]->n_warnings, 0); /* checked, not skipped */

	Tributary__V1__AuditPolicyRequest areq = TRIBUTARY__V1__AUDIT_POLICY_REQUEST__INIT;
	areq.domain = "chain";
	/* 4.5 million upstream visits in all: ~10 s, more under ASan. */
	tsrv_result a = tsrv_call_within("/tributary.v1.Governance/AuditPolicy", &areq.base, 280000);
	tsrv_assert_status(a, GRPC_STATUS_OK, "");
	Tributary__V1__PolicyAuditReport *rep = (void *)a.resp;
	ck_assert_uint_eq(rep->products_checked, N);
	ck_assert_uint_eq(rep->n_non_compliant, 0);
}
END_TEST

/* A product whose evaluation needs more than its limit fails alone, with a
 * message that says so; the stream, the unary call and an audit go on. */
START_TEST(a_product_over_the_evaluation_limit_fails_alone)
{
	enum { N = 1200 };
	tsrv_memory_limit = 512 * 1024; /* ~780 bytes per upstream: fails near depth 650 */
	ProtobufCMessage **reqs = chain(N);
	tsrv_result r = tsrv_stream(CAT "RegisterProducts", reqs, N);
	tsrv_assert_status(r, GRPC_STATUS_OK, "");
	Tributary__V1__RegisterProductsSummary *s = (void *)r.resp;
	ck_assert_uint_ge(s->failed, 1);
	ck_assert_uint_eq(s->registered + s->failed, N);
	long first = -1;
	for (size_t i = 0; i < s->n_results; i++) {
		if (s->results[i]->ok)
			continue;
		if (first < 0)
			first = (long)i;
		ck_assert_int_eq(s->results[i]->code, GRPC_STATUS_RESOURCE_EXHAUSTED);
		ck_assert_msg(strstr(s->results[i]->error, "policy rule 'derived-composition' needs more than 524288 "
							   "bytes of memory to evaluate chain/p"),
			      "%zu: %s", i, s->results[i]->error);
	}
	ck_assert_int_gt(first, 500);
	ck_assert(s->results[N - 1]->ok); /* its closure ends at a failed (unregistered) link */

	Tributary__V1__RegisterProductRequest *again = (void *)reqs[first];
	tsrv_result u = tsrv_call(CAT "RegisterProduct", &again->base);
	tsrv_assert_status(u, GRPC_STATUS_RESOURCE_EXHAUSTED, "needs more than 524288 bytes of memory to evaluate");

	tsrv_memory_limit = 384 * 1024; /* below the deepest products' needs */
	Tributary__V1__AuditPolicyRequest areq = TRIBUTARY__V1__AUDIT_POLICY_REQUEST__INIT;
	tsrv_result a = tsrv_call("/tributary.v1.Governance/AuditPolicy", &areq.base);
	tsrv_assert_status(a, GRPC_STATUS_OK, "");
	Tributary__V1__PolicyAuditReport *rep = (void *)a.resp;
	ck_assert_uint_eq(rep->products_checked, s->registered);
	ck_assert_uint_ge(rep->n_non_compliant, 1);
	for (size_t i = 0; i < rep->n_non_compliant; i++) {
		ck_assert_uint_eq(rep->non_compliant[i]->n_violations, 1);
		ck_assert_str_eq(rep->non_compliant[i]->violations[0]->severity, "error");
		ck_assert_msg(strstr(rep->non_compliant[i]->violations[0]->message,
				     "not evaluated: policy rule 'derived-composition' needs more than 393216 bytes"),
			      "%s", rep->non_compliant[i]->violations[0]->message);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("register");
	TCase *tc = tcase_create("stream");
	tcase_add_checked_fixture(tc, tsrv_setup, tsrv_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, stream_commits_every_batch_and_answers_once);
	tcase_add_test(tc, a_bad_product_fails_only_itself);
	tcase_add_test(tc, dry_run_in_a_stream_writes_nothing);
	tcase_add_test(tc, empty_stream_answers_an_empty_summary);
	suite_add_tcase(s, tc);
	TCase *deep = tcase_create("deep");
	tcase_add_checked_fixture(deep, tsrv_setup, tsrv_teardown);
	tcase_set_timeout(deep, 300);
	tcase_add_test(deep, a_deep_chain_registers_in_one_stream_and_audits);
	tcase_add_test(deep, a_product_over_the_evaluation_limit_fails_alone);
	suite_add_tcase(s, deep);
	return tsrv_run(s);
}
