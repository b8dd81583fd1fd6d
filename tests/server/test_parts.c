/* The smaller parts of tributaryd: options, page tokens, limits, health, the reflection index, logging levels. */
#include "srv_fixture.h"

#include <stdio.h>
#include <string.h>

static int parse(srv_options *o, const char *line, char *out, size_t cap)
{
	static char buf[512]; /* options point into it */
	char *argv[32];
	int argc = 0;
	snprintf(buf, sizeof buf, "tributaryd %s", line);
	for (char *tok = strtok(buf, " "); tok && argc < 31; tok = strtok(NULL, " "))
		argv[argc++] = tok;
	argv[argc] = NULL;
	srv_options_default(o);
	FILE *f = fmemopen(out, cap, "w");
	int rc = srv_options_parse(o, argc, argv, f, f);
	fclose(f);
	return rc;
}

START_TEST(options_defaults_and_values)
{
	srv_options o;
	char out[4096];
	ck_assert_int_eq(parse(&o, "", out, sizeof out), 0);
	ck_assert_str_eq(o.listen, "127.0.0.1:50051");
	ck_assert_str_eq(o.data_dir, "./var/tributary");
	ck_assert_int_eq(o.workers, 1);
	ck_assert_uint_eq(o.max_message, 4u * 1024 * 1024);
	ck_assert_ptr_null(o.policy);
	ck_assert_int_eq(parse(&o, "--listen 0.0.0.0:0 --data-dir /tmp/x --workers 2 --max-message 65536 "
				   "--log-level warn --policy p.yaml --grace-ms 100",
			       out, sizeof out),
			 0);
	ck_assert_str_eq(o.listen, "0.0.0.0:0");
	ck_assert_str_eq(o.data_dir, "/tmp/x");
	ck_assert_int_eq(o.workers, 2);
	ck_assert_uint_eq(o.max_message, 65536);
	ck_assert_int_eq(o.log_level, SRV_LOG_WARN);
	ck_assert_str_eq(o.policy, "p.yaml");
	ck_assert_int_eq(o.grace_ms, 100);
}
END_TEST

START_TEST(options_help_version_and_errors)
{
	srv_options o;
	char out[4096];
	ck_assert_int_eq(parse(&o, "--help", out, sizeof out), 1);
	ck_assert_msg(strstr(out, "--listen HOST:PORT"), "%s", out);
	ck_assert_int_eq(parse(&o, "--version", out, sizeof out), 1);
	ck_assert_msg(strstr(out, "tributaryd " TRIB_VERSION), "%s", out);
	ck_assert_int_eq(parse(&o, "--workers 0", out, sizeof out), -1);
	ck_assert_msg(strstr(out, "--workers '0'"), "%s", out);
	ck_assert_int_eq(parse(&o, "--listen nocolon", out, sizeof out), -1);
	ck_assert_int_eq(parse(&o, "--log-level loud", out, sizeof out), -1);
	ck_assert_int_eq(parse(&o, "--max-message 12", out, sizeof out), -1);
	ck_assert_int_eq(parse(&o, "--frobnicate", out, sizeof out), -1);
	ck_assert_msg(strstr(out, "unknown option '--frobnicate'"), "%s", out);
	ck_assert_int_eq(parse(&o, "--data-dir", out, sizeof out), -1);
	ck_assert_msg(strstr(out, "needs a value"), "%s", out);
	ck_assert_int_eq(parse(&o, "stray", out, sizeof out), -1);
}
END_TEST

START_TEST(tokens_round_trip_and_refuse_forgeries)
{
	trib_arena a;
	trib_arena_init(&a, 0);
	unsigned char buf[64];
	size_t n;
	for (size_t len = 0; len < 20; len++) {
		unsigned char data[20];
		for (size_t i = 0; i < len; i++)
			data[i] = (unsigned char)(i * 37 + len);
		char *t = srv_token_encode(&a, 'P', data, len);
		ck_assert_int_eq(srv_token_decode(&n, buf, sizeof buf, t, 'P'), 0);
		ck_assert_uint_eq(n, len);
		ck_assert(memcmp(buf, data, len) == 0);
		ck_assert_int_eq(srv_token_decode(&n, buf, sizeof buf, t, 'D'), TRIB_EINVALID);
	}
	ck_assert_int_eq(srv_token_decode(&n, buf, sizeof buf, "", 'P'), 0);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(srv_token_decode(&n, buf, sizeof buf, "a+b/", 'P'), TRIB_EINVALID);
	ck_assert_msg(strstr(trib_error_last(), "page_token"), "%s", trib_error_last());
	ck_assert_int_eq(srv_token_decode(&n, buf, sizeof buf, "U", 'P'), TRIB_EINVALID);
	uint64_t id;
	ck_assert_int_eq(srv_token_id(&id, srv_token_of_id(&a, 'P', 12345), 'P'), 0);
	ck_assert_uint_eq(id, 12345);
	ck_assert_int_eq(srv_token_id(&id, srv_token_encode(&a, 'P', "abc", 3), 'P'), TRIB_EINVALID);
	trib_arena_dispose(&a);
}
END_TEST

START_TEST(limits_name_the_field_path)
{
	trib_arena a;
	trib_arena_init(&a, 0);
	Tributary__V1__SearchRequest *r = srv_msg_new(&a, &tributary__v1__search_request__descriptor);
	r->query = "fine";
	ck_assert_int_eq(srv_check_limits(&r->base), 0);
	r->n_tags = SRV_MAX_REPEATED + 1;
	r->tags = trib_arena_calloc(&a, r->n_tags, sizeof *r->tags);
	for (size_t i = 0; i < r->n_tags; i++)
		r->tags[i] = "t";
	ck_assert_int_eq(srv_check_limits(&r->base), TRIB_EINVALID);
	ck_assert_msg(strstr(trib_error_last(), "tags: 100001 elements"), "%s", trib_error_last());
	trib_arena_dispose(&a);
}
END_TEST

static int notified;
static void count_notify(srv_health_watcher *w)
{
	(void)w;
	notified++;
}

START_TEST(health_statuses_watchers_and_shutdown)
{
	srv_health *h;
	ck_assert_int_eq(srv_health_new(&h), 0);
	ck_assert_int_eq(srv_health_get(h, ""), SRV_HEALTH_NOT_SERVING);
	ck_assert_int_eq(srv_health_get(h, "tributary.v1.Governance"), SRV_HEALTH_NOT_SERVING);
	ck_assert_int_eq(srv_health_get(h, "nope"), SRV_HEALTH_SERVICE_UNKNOWN);
	srv_health_watcher w = {count_notify, NULL, NULL};
	srv_health_watch_add(h, &w);
	srv_health_set_all(h, SRV_HEALTH_SERVING);
	ck_assert_int_eq(notified, 1);
	ck_assert_int_eq(srv_health_get(h, "grpc.health.v1.Health"), SRV_HEALTH_SERVING);
	ck_assert(!srv_health_final(h));
	srv_health_shutdown(h);
	ck_assert_int_eq(notified, 2);
	ck_assert(srv_health_final(h));
	ck_assert_int_eq(srv_health_get(h, ""), SRV_HEALTH_NOT_SERVING);
	srv_health_watch_remove(h, &w);
	srv_health_set_all(h, SRV_HEALTH_SERVING);
	ck_assert_int_eq(notified, 2);
	srv_health_free(h);
}
END_TEST

START_TEST(reflection_index_finds_symbols_and_dependencies)
{
	srv_reflect *r;
	ck_assert_int_eq(srv_reflect_new(&r, trib_descriptor_set, trib_descriptor_set_len), 0);
	int types = srv_reflect_find_file(r, "tributary/v1/types.proto");
	int catalog = srv_reflect_find_file(r, "tributary/v1/catalog.proto");
	ck_assert_int_ge(types, 0);
	ck_assert_int_ge(catalog, 0);
	ck_assert_int_eq(srv_reflect_find_symbol(r, "tributary.v1.DataProduct"), types);
	ck_assert_int_eq(srv_reflect_find_symbol(r, "tributary.v1.DataProduct.output_ports"), types);
	ck_assert_int_eq(srv_reflect_find_symbol(r, "tributary.v1.CLASSIFICATION_RESTRICTED"), types);
	ck_assert_int_eq(srv_reflect_find_symbol(r, "tributary.v1.Catalog"), catalog);
	ck_assert_int_eq(srv_reflect_find_symbol(r, "tributary.v1.Catalog.RegisterProducts"), catalog);
	ck_assert_int_ge(srv_reflect_find_symbol(r, "grpc.health.v1.HealthCheckResponse.ServingStatus"), 0);
	ck_assert_int_ge(srv_reflect_find_symbol(r, "grpc.reflection.v1.ServerReflection"), 0);
	ck_assert_int_eq(srv_reflect_find_symbol(r, "tributary.v1.Nope"), -1);
	ck_assert_int_eq(srv_reflect_method_streaming(r, "tributary.v1.Catalog", "RegisterProducts"), SRV_STREAM);
	ck_assert_int_eq(srv_reflect_method_streaming(r, "grpc.health.v1.Health", "Watch"), SRV_WATCH);
	trib_arena a;
	trib_arena_init(&a, 0);
	ProtobufCBinaryData *files;
	size_t n;
	ck_assert_int_eq(srv_reflect_closure(&files, &n, r, &a, catalog), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert(memmem(files[0].data, files[0].len, "tributary/v1/catalog.proto", 26));
	ck_assert(memmem(files[1].data, files[1].len, "tributary/v1/types.proto", 24));
	trib_arena_dispose(&a);
	srv_reflect_free(r);

	/* A damaged set is refused, not trusted. */
	ck_assert_int_eq(srv_reflect_new(&r, trib_descriptor_set, 7), TRIB_ECORRUPT);
}
END_TEST

START_TEST(log_levels_parse)
{
	ck_assert_int_eq(srv_log_level_parse("debug"), SRV_LOG_DEBUG);
	ck_assert_int_eq(srv_log_level_parse("error"), SRV_LOG_ERROR);
	ck_assert_int_eq(srv_log_level_parse("warning"), SRV_LOG_WARN);
	ck_assert_int_eq(srv_log_level_parse("verbose"), -1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("parts");
	TCase *tc = tcase_create("parts");
	tcase_add_test(tc, options_defaults_and_values);
	tcase_add_test(tc, options_help_version_and_errors);
	tcase_add_test(tc, tokens_round_trip_and_refuse_forgeries);
	tcase_add_test(tc, limits_name_the_field_path);
	tcase_add_test(tc, health_statuses_watchers_and_shutdown);
	tcase_add_test(tc, reflection_index_finds_symbols_and_dependencies);
	tcase_add_test(tc, log_levels_parse);
	suite_add_tcase(s, tc);
	return tsrv_run(s);
}
