/* tributaryd's gRPC plumbing in-process: a server on port 0 and real calls from a tiny C client. */
#include "srv_fixture.h"

#include <pthread.h>
#include <string.h>

#include <grpc/grpc.h>
#include <grpc/status.h>

static srv_server *server;
static int port;
static tc_channel *ch;
static trib_arena ca;

static void start(size_t max_message)
{
	tsrv_setup();
	grpc_init();
	srv_options o;
	srv_options_default(&o);
	o.listen = "127.0.0.1:0";
	if (max_message)
		o.max_message = max_message;
	srv_log_set_level(SRV_LOG_WARN);
	ck_assert_msg(srv_server_start(&server, &port, &o, tsrv_store) == 0, "start: %s", trib_error_last());
	ck_assert_int_gt(port, 0);
	char target[64];
	snprintf(target, sizeof target, "127.0.0.1:%d", port);
	ch = tc_open(target);
	trib_arena_init(&ca, 0);
}

static void setup(void)
{
	start(0);
}

static void teardown(void)
{
	if (ch)
		tc_close(ch);
	ch = NULL;
	if (server)
		srv_server_stop(server, 2000);
	server = NULL;
	trib_arena_dispose(&ca);
	grpc_shutdown();
	tsrv_teardown();
}

START_TEST(unary_register_and_get_over_the_wire)
{
	Tributary__V1__RegisterProductRequest reg = TRIBUTARY__V1__REGISTER_PRODUCT_REQUEST__INIT;
	reg.product = tsrv_product("sales", "orders", "sales-team");
	ProtobufCMessage *resp;
	const char *det;
	int st = tc_unary(ch, "/tributary.v1.Catalog/RegisterProduct", &reg.base,
			  &tributary__v1__register_product_response__descriptor, &ca, &resp, &det);
	ck_assert_msg(st == GRPC_STATUS_OK, "%d %s", st, det);
	ck_assert(((Tributary__V1__RegisterProductResponse *)resp)->created);

	/* Read-your-writes: the next call sees it. */
	Tributary__V1__GetProductRequest get = TRIBUTARY__V1__GET_PRODUCT_REQUEST__INIT;
	get.ref = "sales/orders";
	st = tc_unary(ch, "/tributary.v1.Catalog/GetProduct", &get.base, &tributary__v1__data_product__descriptor,
		      &ca, &resp, &det);
	ck_assert_int_eq(st, GRPC_STATUS_OK);
	ck_assert_str_eq(((trib_product *)resp)->name, "orders");

	get.ref = "sales/missing";
	st = tc_unary(ch, "/tributary.v1.Catalog/GetProduct", &get.base, &tributary__v1__data_product__descriptor,
		      &ca, &resp, &det);
	ck_assert_int_eq(st, GRPC_STATUS_NOT_FOUND);
	ck_assert_msg(strstr(det, "missing"), "%s", det);
	ck_assert(resp == NULL);
}
END_TEST

START_TEST(unknown_method_is_unimplemented)
{
	Tributary__V1__GetProductRequest get = TRIBUTARY__V1__GET_PRODUCT_REQUEST__INIT;
	ProtobufCMessage *resp;
	const char *det;
	int st = tc_unary(ch, "/tributary.v1.Catalog/NoSuchMethod", &get.base,
			  &tributary__v1__data_product__descriptor, &ca, &resp, &det);
	ck_assert_int_eq(st, GRPC_STATUS_UNIMPLEMENTED);
	ck_assert_msg(strstr(det, "/tributary.v1.Catalog/NoSuchMethod"), "%s", det);
	st = tc_unary(ch, "/other.Service/Method", &get.base, &tributary__v1__data_product__descriptor, &ca, &resp,
		      &det);
	ck_assert_int_eq(st, GRPC_STATUS_UNIMPLEMENTED);
}
END_TEST

START_TEST(health_check_serving_and_unknown_service)
{
	Grpc__Health__V1__HealthCheckRequest req = GRPC__HEALTH__V1__HEALTH_CHECK_REQUEST__INIT;
	ProtobufCMessage *resp;
	const char *det;
	int st = tc_unary(ch, "/grpc.health.v1.Health/Check", &req.base,
			  &grpc__health__v1__health_check_response__descriptor, &ca, &resp, &det);
	ck_assert_int_eq(st, GRPC_STATUS_OK);
	ck_assert_int_eq(((Grpc__Health__V1__HealthCheckResponse *)resp)->status, SRV_HEALTH_SERVING);
	req.service = "tributary.v1.Catalog";
	st = tc_unary(ch, "/grpc.health.v1.Health/Check", &req.base,
		      &grpc__health__v1__health_check_response__descriptor, &ca, &resp, &det);
	ck_assert_int_eq(st, GRPC_STATUS_OK);
	req.service = "nope.Service";
	st = tc_unary(ch, "/grpc.health.v1.Health/Check", &req.base,
		      &grpc__health__v1__health_check_response__descriptor, &ca, &resp, &det);
	ck_assert_int_eq(st, GRPC_STATUS_NOT_FOUND);
}
END_TEST

static int has_service(const Grpc__Reflection__V1__ListServiceResponse *l, const char *name)
{
	for (size_t i = 0; i < l->n_service; i++)
		if (strcmp(l->service[i]->name, name) == 0)
			return 1;
	return 0;
}

START_TEST(reflection_lists_services_and_serves_files)
{
	Grpc__Reflection__V1__ServerReflectionRequest req = GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__INIT;
	req.message_request_case = GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_LIST_SERVICES;
	req.list_services = "";
	tc_stream *s = tc_stream_start(ch, "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo", &req.base, 0);
	ProtobufCMessage *m;
	ck_assert_int_eq(tc_stream_next(s, &grpc__reflection__v1__server_reflection_response__descriptor, &ca, &m,
					5000),
			 1);
	Grpc__Reflection__V1__ServerReflectionResponse *r = (void *)m;
	ck_assert_int_eq(r->message_response_case,
			 GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_LIST_SERVICES_RESPONSE);
	ck_assert(has_service(r->list_services_response, "tributary.v1.Catalog"));
	ck_assert(has_service(r->list_services_response, "tributary.v1.Lineage"));
	ck_assert(has_service(r->list_services_response, "grpc.health.v1.Health"));
	ck_assert(has_service(r->list_services_response, "grpc.reflection.v1alpha.ServerReflection"));

	/* Same stream, next question: the file of a symbol, with its dependencies. */
	req.message_request_case =
		GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_CONTAINING_SYMBOL;
	req.file_containing_symbol = "tributary.v1.Catalog.GetProduct";
	ck_assert_int_eq(tc_stream_send(s, &req.base), 0);
	ck_assert_int_eq(tc_stream_next(s, &grpc__reflection__v1__server_reflection_response__descriptor, &ca, &m,
					5000),
			 1);
	r = (void *)m;
	ck_assert_int_eq(r->message_response_case,
			 GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_FILE_DESCRIPTOR_RESPONSE);
	Grpc__Reflection__V1__FileDescriptorResponse *f = r->file_descriptor_response;
	ck_assert_uint_eq(f->n_file_descriptor_proto, 2); /* catalog.proto and types.proto */
	ck_assert(memmem(f->file_descriptor_proto[0].data, f->file_descriptor_proto[0].len,
			 "tributary/v1/catalog.proto", 26) != NULL);

	req.message_request_case = GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_BY_FILENAME;
	req.file_by_filename = "no/such.proto";
	ck_assert_int_eq(tc_stream_send(s, &req.base), 0);
	ck_assert_int_eq(tc_stream_next(s, &grpc__reflection__v1__server_reflection_response__descriptor, &ca, &m,
					5000),
			 1);
	r = (void *)m;
	ck_assert_int_eq(r->message_response_case,
			 GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_ERROR_RESPONSE);
	ck_assert_int_eq(r->error_response->error_code, GRPC_STATUS_NOT_FOUND);
	ck_assert_int_eq(tc_stream_finish(s, NULL), GRPC_STATUS_OK);

	/* v1alpha answers the same. */
	Grpc__Reflection__V1alpha__ServerReflectionRequest areq =
		GRPC__REFLECTION__V1ALPHA__SERVER_REFLECTION_REQUEST__INIT;
	areq.message_request_case =
		GRPC__REFLECTION__V1ALPHA__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_BY_FILENAME;
	areq.file_by_filename = "grpc/health/v1/health.proto";
	s = tc_stream_start(ch, "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", &areq.base, 1);
	ck_assert_int_eq(tc_stream_next(s, &grpc__reflection__v1alpha__server_reflection_response__descriptor, &ca,
					&m, 5000),
			 1);
	Grpc__Reflection__V1alpha__ServerReflectionResponse *ar = (void *)m;
	ck_assert_int_eq(ar->message_response_case,
			 GRPC__REFLECTION__V1ALPHA__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_FILE_DESCRIPTOR_RESPONSE);
	ck_assert_uint_eq(ar->file_descriptor_response->n_file_descriptor_proto, 1);
	ck_assert_int_eq(tc_stream_next(s, &grpc__reflection__v1alpha__server_reflection_response__descriptor, &ca,
					&m, 5000),
			 0);
	ck_assert_int_eq(tc_stream_finish(s, NULL), GRPC_STATUS_OK);
}
END_TEST

START_TEST(client_stream_registers_in_batches)
{
	enum { N = 300 };
	ProtobufCMessage *reqs[N];
	for (int i = 0; i < N; i++) {
		char name[32];
		snprintf(name, sizeof name, "bulk-%03d", i);
		Tributary__V1__RegisterProductRequest *r =
			srv_msg_new(&tsrv_arena, &tributary__v1__register_product_request__descriptor);
		r->product = tsrv_product("bulk", name, "bulk-team");
		reqs[i] = &r->base;
	}
	ProtobufCMessage *resp;
	const char *det;
	int st = tc_client_stream(ch, "/tributary.v1.Catalog/RegisterProducts", reqs, N,
				  &tributary__v1__register_products_summary__descriptor, &ca, &resp, &det);
	ck_assert_msg(st == GRPC_STATUS_OK, "%d %s", st, det);
	Tributary__V1__RegisterProductsSummary *s = (void *)resp;
	ck_assert_uint_eq(s->registered, N);
	ck_assert_uint_eq(s->n_results, N);
	Tributary__V1__ListProductsRequest l = TRIBUTARY__V1__LIST_PRODUCTS_REQUEST__INIT;
	l.domain = "bulk";
	l.page_size = 1000;
	st = tc_unary(ch, "/tributary.v1.Catalog/ListProducts", &l.base,
		      &tributary__v1__list_products_response__descriptor, &ca, &resp, &det);
	ck_assert_int_eq(st, GRPC_STATUS_OK);
	ck_assert_uint_eq(((Tributary__V1__ListProductsResponse *)resp)->n_products, N);
}
END_TEST

static void *stop_thread(void *arg)
{
	srv_server_stop(arg, 5000);
	return NULL;
}

START_TEST(watch_streams_not_serving_on_shutdown)
{
	Grpc__Health__V1__HealthCheckRequest req = GRPC__HEALTH__V1__HEALTH_CHECK_REQUEST__INIT;
	tc_stream *s = tc_stream_start(ch, "/grpc.health.v1.Health/Watch", &req.base, 1);
	ProtobufCMessage *m;
	ck_assert_int_eq(tc_stream_next(s, &grpc__health__v1__health_check_response__descriptor, &ca, &m, 5000), 1);
	ck_assert_int_eq(((Grpc__Health__V1__HealthCheckResponse *)m)->status, SRV_HEALTH_SERVING);
	/* Nothing changes: nothing is sent. */
	ck_assert_int_eq(tc_stream_next(s, &grpc__health__v1__health_check_response__descriptor, &ca, &m, 200), -1);
	pthread_t t;
	int64_t t0 = srv_now_ms();
	pthread_create(&t, NULL, stop_thread, server);
	server = NULL;
	ck_assert_int_eq(tc_stream_next(s, &grpc__health__v1__health_check_response__descriptor, &ca, &m, 5000), 1);
	ck_assert_int_eq(((Grpc__Health__V1__HealthCheckResponse *)m)->status, SRV_HEALTH_NOT_SERVING);
	const char *det;
	ck_assert_int_eq(tc_stream_finish(s, &det), GRPC_STATUS_UNAVAILABLE);
	pthread_join(t, NULL);
	/* The watch ended the call itself: shutdown did not wait for the grace period. */
	ck_assert_int_lt(srv_now_ms() - t0, 4000);
}
END_TEST

START_TEST(second_server_on_the_same_port_fails_clearly)
{
	srv_options o;
	srv_options_default(&o);
	char listen[64];
	snprintf(listen, sizeof listen, "127.0.0.1:%d", port);
	o.listen = listen;
	srv_server *other = NULL;
	int p2 = 0;
	ck_assert_int_eq(srv_server_start(&other, &p2, &o, tsrv_store), TRIB_EUNAVAILABLE);
	ck_assert(other == NULL);
	ck_assert_msg(strstr(trib_error_last(), "address already in use"), "%s", trib_error_last());
}
END_TEST

START_TEST(oversized_request_is_resource_exhausted)
{
	tc_close(ch);
	ch = NULL;
	srv_server_stop(server, 1000);
	server = NULL;
	grpc_shutdown();
	trib_arena_dispose(&ca);
	tsrv_teardown();
	start(64 * 1024);
	Tributary__V1__RegisterProductRequest reg = TRIBUTARY__V1__REGISTER_PRODUCT_REQUEST__INIT;
	reg.product = tsrv_product("sales", "orders", "sales-team");
	char *big = trib_arena_alloc(&tsrv_arena, 100 * 1024);
	memset(big, 'd', 100 * 1024 - 1);
	big[100 * 1024 - 1] = '\0';
	reg.product->description = big;
	ProtobufCMessage *resp;
	const char *det;
	int st = tc_unary(ch, "/tributary.v1.Catalog/RegisterProduct", &reg.base,
			  &tributary__v1__register_product_response__descriptor, &ca, &resp, &det);
	ck_assert_int_eq(st, GRPC_STATUS_RESOURCE_EXHAUSTED);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("rpc");
	TCase *tc = tcase_create("server");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, unary_register_and_get_over_the_wire);
	tcase_add_test(tc, unknown_method_is_unimplemented);
	tcase_add_test(tc, health_check_serving_and_unknown_service);
	tcase_add_test(tc, reflection_lists_services_and_serves_files);
	tcase_add_test(tc, client_stream_registers_in_batches);
	tcase_add_test(tc, watch_streams_not_serving_on_shutdown);
	tcase_add_test(tc, second_server_on_the_same_port_fails_clearly);
	tcase_add_test(tc, oversized_request_is_resource_exhausted);
	suite_add_tcase(s, tc);
	return tsrv_run(s);
}
