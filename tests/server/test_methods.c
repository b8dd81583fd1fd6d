/* The method table against the generated service descriptors and the embedded descriptor set. */
#include "srv_fixture.h"

#include <string.h>

#include <grpc/status.h>

static const ProtobufCServiceDescriptor *services[] = {
	&tributary__v1__catalog__descriptor,
	&tributary__v1__lineage__descriptor,
	&tributary__v1__governance__descriptor,
	&grpc__health__v1__health__descriptor,
	&grpc__reflection__v1__server_reflection__descriptor,
	&grpc__reflection__v1alpha__server_reflection__descriptor,
};
#define NSERVICES (sizeof services / sizeof services[0])

START_TEST(table_covers_every_rpc_of_every_service)
{
	for (size_t s = 0; s < NSERVICES; s++) {
		const ProtobufCServiceDescriptor *d = services[s];
		for (unsigned i = 0; i < d->n_methods; i++) {
			char path[256];
			snprintf(path, sizeof path, "/%s/%s", d->name, d->methods[i].name);
			const srv_method *m = srv_method_find(path);
			ck_assert_msg(m != NULL, "%s is not in server/methods.def", path);
			ck_assert_msg(m->service_desc == d, "%s: wrong service descriptor", path);
			ck_assert_msg(m->request == d->methods[i].input, "%s: request is %s, the service says %s",
				      path, m->request->name, d->methods[i].input->name);
			ck_assert_msg(m->response == d->methods[i].output, "%s: response is %s, the service says %s",
				      path, m->response->name, d->methods[i].output->name);
			ck_assert_msg(m->handler != NULL, "%s: no handler", path);
		}
	}
}
END_TEST

START_TEST(table_has_nothing_else)
{
	for (size_t k = 0; k < srv_method_count; k++) {
		const srv_method *m = &srv_methods[k];
		int found = 0;
		for (size_t s = 0; s < NSERVICES && !found; s++) {
			const ProtobufCServiceDescriptor *d = services[s];
			if (strcmp(d->name, m->service) != 0)
				continue;
			for (unsigned i = 0; i < d->n_methods; i++)
				found |= strcmp(d->methods[i].name, m->name) == 0;
		}
		ck_assert_msg(found, "%s is in the table but in no service descriptor", m->path);
		for (size_t j = 0; j < k; j++)
			ck_assert_msg(strcmp(srv_methods[j].path, m->path) != 0, "%s is listed twice", m->path);
	}
	size_t total = 0;
	for (size_t s = 0; s < NSERVICES; s++)
		total += services[s]->n_methods;
	ck_assert_uint_eq(total, srv_method_count);
}
END_TEST

/* The flags decide how rpc.c registers and drives a method: they must match the .proto. */
START_TEST(streaming_flags_match_the_descriptor_set)
{
	srv_reflect *r;
	ck_assert(srv_reflect_new(&r, trib_descriptor_set, trib_descriptor_set_len) == 0);
	for (size_t k = 0; k < srv_method_count; k++) {
		const srv_method *m = &srv_methods[k];
		int st = srv_reflect_method_streaming(r, m->service, m->name);
		ck_assert_msg(st >= 0, "%s is not in the embedded descriptor set", m->path);
		ck_assert_msg((unsigned)st == (m->flags & (SRV_STREAM | SRV_WATCH)),
			      "%s: streaming flags %u in the table, %d in the .proto", m->path,
			      m->flags & (SRV_STREAM | SRV_WATCH), st);
		ck_assert_msg(!((m->flags & SRV_READ) && (m->flags & SRV_WRITE)), "%s: both READ and WRITE", m->path);
	}
	srv_reflect_free(r);
}
END_TEST

START_TEST(status_table_maps_each_code)
{
	ck_assert_int_eq(srv_status_of(0), GRPC_STATUS_OK);
	ck_assert_int_eq(srv_status_of(TRIB_ENOTFOUND), GRPC_STATUS_NOT_FOUND);
	ck_assert_int_eq(srv_status_of(TRIB_EINVALID), GRPC_STATUS_INVALID_ARGUMENT);
	ck_assert_int_eq(srv_status_of(TRIB_EPOLICY), GRPC_STATUS_FAILED_PRECONDITION);
	ck_assert_int_eq(srv_status_of(TRIB_ECONFLICT), GRPC_STATUS_FAILED_PRECONDITION);
	ck_assert_int_eq(srv_status_of(TRIB_EEXISTS), GRPC_STATUS_ALREADY_EXISTS);
	ck_assert_int_eq(srv_status_of(TRIB_ELIMIT), GRPC_STATUS_RESOURCE_EXHAUSTED);
	ck_assert_int_eq(srv_status_of(TRIB_EFULL), GRPC_STATUS_RESOURCE_EXHAUSTED);
	ck_assert_int_eq(srv_status_of(TRIB_ENOMEM), GRPC_STATUS_RESOURCE_EXHAUSTED);
	ck_assert_int_eq(srv_status_of(TRIB_EDENIED), GRPC_STATUS_PERMISSION_DENIED);
	ck_assert_int_eq(srv_status_of(TRIB_EUNAVAILABLE), GRPC_STATUS_UNAVAILABLE);
	ck_assert_int_eq(srv_status_of(TRIB_ECORRUPT), GRPC_STATUS_INTERNAL);
	ck_assert_int_eq(srv_status_of(TRIB_EIO), GRPC_STATUS_INTERNAL);
	ck_assert_int_eq(srv_status_of(TRIB_EINTERNAL), GRPC_STATUS_INTERNAL);
	ck_assert_str_eq(srv_status_name(GRPC_STATUS_FAILED_PRECONDITION), "FAILED_PRECONDITION");
	ck_assert_str_eq(srv_status_name(99), "UNKNOWN");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("methods");
	TCase *tc = tcase_create("table");
	tcase_add_test(tc, table_covers_every_rpc_of_every_service);
	tcase_add_test(tc, table_has_nothing_else);
	tcase_add_test(tc, streaming_flags_match_the_descriptor_set);
	tcase_add_test(tc, status_table_maps_each_code);
	suite_add_tcase(s, tc);
	return tsrv_run(s);
}
