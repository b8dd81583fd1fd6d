/* Round trips: spec files parsed by ingest, registered through the dispatcher,
 * read back with GetProduct — the stored product is the file's content. */
#include "srv_fixture.h"

#include <string.h>

#include <grpc/status.h>

#include "tributary/ingest.h"

#define CAT "/tributary.v1.Catalog/"

/* Packed bytes of a product without the facts the server adds. */
static ProtobufCBinaryData user_content(const trib_product *p)
{
	trib_product copy = *p;
	copy.revision = 0;
	copy.registered_at_ms = 0;
	copy.registered_by = (char *)"";
	copy.placeholder = 0;
	ProtobufCBinaryData b;
	b.len = tributary__v1__data_product__get_packed_size(&copy);
	b.data = trib_arena_alloc(&tsrv_arena, b.len ? b.len : 1);
	ck_assert_ptr_nonnull(b.data);
	tributary__v1__data_product__pack(&copy, b.data);
	return b;
}

static ing_result parse_all(const char *const *paths, size_t n)
{
	const char **files;
	size_t nfiles;
	ck_assert_int_eq(ing_collect(&files, &nfiles, &tsrv_arena, paths, n), 0);
	ing_result res;
	ing_result_init(&res);
	for (size_t i = 0; i < nfiles; i++)
		ck_assert_int_eq(ing_parse_file(&res, &tsrv_arena, files[i], NULL), 0);
	ck_assert_uint_eq(res.n_errors, 0);
	return res;
}

/*
 * Register every product of `res` through RegisterProduct, in passes: a
 * product whose bare-named upstream ("source: refunds") is not registered yet
 * is refused (bare names resolve only to registered products) and tried again
 * in the next pass; "domain/name" upstreams never wait — they start as
 * placeholders that their own registration fills in.
 */
static void register_all(const ing_result *res)
{
	size_t n = res->n_products, left = n;
	int *done = trib_arena_calloc(&tsrv_arena, n, sizeof *done);
	for (size_t pass = 0; left && pass < n; pass++) {
		for (size_t i = 0; i < n; i++) {
			if (done[i])
				continue;
			Tributary__V1__RegisterProductRequest req = TRIBUTARY__V1__REGISTER_PRODUCT_REQUEST__INIT;
			req.product = res->products[i];
			tsrv_result r = tsrv_call(CAT "RegisterProduct", &req.base);
			if (r.status == GRPC_STATUS_OK) {
				done[i] = 1;
				left--;
			} else {
				tsrv_assert_status(r, GRPC_STATUS_INVALID_ARGUMENT, "is not registered; write it as domain/name");
			}
		}
	}
	ck_assert_uint_eq(left, 0);
}

static void assert_get_equals_file(const trib_product *want)
{
	Tributary__V1__GetProductRequest req = TRIBUTARY__V1__GET_PRODUCT_REQUEST__INIT;
	req.ref = trib_arena_printf(&tsrv_arena, "%s/%s", want->domain, want->name);
	tsrv_result r = tsrv_call(CAT "GetProduct", &req.base);
	tsrv_assert_status(r, GRPC_STATUS_OK, "");
	const trib_product *got = (const void *)r.resp;
	ck_assert_uint_eq(got->revision, 1);
	ck_assert(!got->placeholder);
	ProtobufCBinaryData a = user_content(want), b = user_content(got);
	if (a.len != b.len || memcmp(a.data, b.data, a.len) != 0)
		ck_abort_msg("GetProduct %s differs from its file %s (%zu vs %zu bytes packed)", req.ref,
			     want->source_file, b.len, a.len);
}

START_TEST(seed_spec_registers_and_reads_back_as_written)
{
	const char *paths[] = {"tests/fixtures/seeds/customer-360.yaml"};
	ing_result res = parse_all(paths, 1);
	ck_assert_uint_eq(res.n_products, 1);
	register_all(&res);
	assert_get_equals_file(res.products[0]);
}
END_TEST

START_TEST(mesh_in_file_order_reads_back_as_written)
{
	const char *paths[] = {"tests/e2e/fixtures/mesh"};
	ing_result res = parse_all(paths, 1);
	ck_assert_uint_ge(res.n_products, 10);
	/* In file order customer/customer-360 comes before its upstream
	 * customer/customer-events: that upstream starts as a placeholder and its
	 * own registration fills it in. */
	size_t i360 = SIZE_MAX, ievents = SIZE_MAX;
	for (size_t i = 0; i < res.n_products; i++) {
		if (strcmp(res.products[i]->name, "customer-360") == 0)
			i360 = i;
		if (strcmp(res.products[i]->name, "customer-events") == 0)
			ievents = i;
	}
	ck_assert_uint_lt(i360, ievents);
	ck_assert_uint_lt(ievents, res.n_products);
	register_all(&res);
	for (size_t i = 0; i < res.n_products; i++)
		assert_get_equals_file(res.products[i]);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("roundtrip");
	TCase *tc = tcase_create("roundtrip");
	tcase_add_checked_fixture(tc, tsrv_setup, tsrv_teardown);
	tcase_add_test(tc, seed_spec_registers_and_reads_back_as_written);
	tcase_add_test(tc, mesh_in_file_order_reads_back_as_written);
	suite_add_tcase(s, tc);
	return tsrv_run(s);
}
