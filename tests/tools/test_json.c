/* The descriptor-driven JSON encoder (tools/trib/json.c). */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../../tools/trib/json.h"
#include "capture.h"
#include "grpc/reflection/v1/reflection.pb-c.h"
#include "tributary/v1/catalog.pb-c.h"
#include "tributary/v1/lineage.pb-c.h"

static char *compact(const ProtobufCMessage *m)
{
	capture c;
	capture_open(&c);
	trib_json_message(c.f, m, 0, 0);
	char *s = strdup(capture_text(&c));
	capture_free(&c);
	return s;
}

static char *string_json(const char *s, size_t len)
{
	capture c;
	capture_open(&c);
	trib_json_string(c.f, s, len);
	char *r = strdup(capture_text(&c));
	capture_free(&c);
	return r;
}

static char *double_json(double v)
{
	capture c;
	capture_open(&c);
	trib_json_double(c.f, v);
	char *r = strdup(capture_text(&c));
	capture_free(&c);
	return r;
}

START_TEST(every_field_appears_with_defaults)
{
	Tributary__V1__Domain d = TRIBUTARY__V1__DOMAIN__INIT;
	char *s = compact(&d.base);
	ck_assert_str_eq(s, "{\"name\":\"\",\"owner_team\":\"\",\"oncall\":\"\",\"description\":\"\","
			    "\"source_products\":[],\"consumer_products\":[]}");
	free(s);
}
END_TEST

START_TEST(product_with_nested_messages_enums_and_int64)
{
	Tributary__V1__Field f1 = TRIBUTARY__V1__FIELD__INIT, f2 = TRIBUTARY__V1__FIELD__INIT;
	f1.name = "customer_id";
	f1.type = "string";
	f2.name = "email_hash";
	f2.type = "string";
	f2.nullable = 1;
	Tributary__V1__Field *fields[] = {&f1, &f2};
	Tributary__V1__OutputPort port = TRIBUTARY__V1__OUTPUT_PORT__INIT;
	port.name = "snapshot";
	port.type = TRIBUTARY__V1__PORT_TYPE__PORT_TYPE_BATCH;
	port.fields = fields;
	port.n_fields = 2;
	Tributary__V1__OutputPort *ports[] = {&port};
	Tributary__V1__ProductGovernance gov = TRIBUTARY__V1__PRODUCT_GOVERNANCE__INIT;
	gov.data_classification = TRIBUTARY__V1__CLASSIFICATION__CLASSIFICATION_RESTRICTED;
	gov.retention_days = -1;
	char *tags[] = {"pii", "gold"};
	Tributary__V1__DataProduct p = TRIBUTARY__V1__DATA_PRODUCT__INIT;
	p.name = "customer-360";
	p.domain = "customer";
	p.tags = tags;
	p.n_tags = 2;
	p.output_ports = ports;
	p.n_output_ports = 1;
	p.governance = &gov;
	p.revision = 18446744073709551615ull;
	p.registered_at_ms = 1714564800123;

	char *s = compact(&p.base);
	ck_assert_str_eq(
		s,
		"{\"name\":\"customer-360\",\"domain\":\"customer\",\"version\":\"\",\"owner\":\"\","
		"\"description\":\"\",\"tags\":[\"pii\",\"gold\"],\"glossary_terms\":[],"
		"\"output_ports\":[{\"name\":\"snapshot\",\"type\":\"PORT_TYPE_BATCH\",\"format\":\"\","
		"\"location\":\"\",\"topic\":\"\",\"partitioning\":\"\",\"schema_ref\":\"\","
		"\"fields\":[{\"name\":\"customer_id\",\"type\":\"string\",\"nullable\":false,\"has_default\":false,"
		"\"default_value\":\"\",\"doc\":\"\"},{\"name\":\"email_hash\",\"type\":\"string\",\"nullable\":true,"
		"\"has_default\":false,\"default_value\":\"\",\"doc\":\"\"}],\"sla\":null,\"description\":\"\"}],"
		"\"input_ports\":[],\"quality_checks\":[],\"sla\":null,"
		"\"governance\":{\"pii_fields\":[],\"data_classification\":\"CLASSIFICATION_RESTRICTED\","
		"\"retention_days\":-1,\"gdpr_subject_to_erasure\":false,\"access_policy\":\"\"},"
		"\"deprecation\":null,\"revision\":18446744073709551615,\"registered_at_ms\":1714564800123,"
		"\"registered_by\":\"\",\"placeholder\":false,\"source_file\":\"\"}");
	free(s);
}
END_TEST

START_TEST(pretty_output_is_indented)
{
	Tributary__V1__Count c = TRIBUTARY__V1__COUNT__INIT;
	c.key = "team-a";
	c.count = 3;
	Tributary__V1__Count *counts[] = {&c};
	Tributary__V1__ImpactReport r = TRIBUTARY__V1__IMPACT_REPORT__INIT;
	r.root = "a/b";
	r.by_owner = counts;
	r.n_by_owner = 1;
	r.total = 3;
	capture cap;
	capture_open(&cap);
	trib_json_print(cap.f, &r.base);
	ck_assert_str_eq(capture_text(&cap), "{\n"
					     "  \"root\": \"a/b\",\n"
					     "  \"affected\": [],\n"
					     "  \"by_owner\": [\n"
					     "    {\n"
					     "      \"key\": \"team-a\",\n"
					     "      \"count\": 3\n"
					     "    }\n"
					     "  ],\n"
					     "  \"by_domain\": [],\n"
					     "  \"total\": 3,\n"
					     "  \"truncated\": false\n"
					     "}\n");
	capture_free(&cap);
}
END_TEST

START_TEST(unknown_enum_values_are_numbers)
{
	Tributary__V1__SearchHit h = TRIBUTARY__V1__SEARCH_HIT__INIT;
	h.kind = (Tributary__V1__NodeKind)42;
	h.score = 0.5;
	char *s = compact(&h.base);
	ck_assert_str_eq(s, "{\"ref\":\"\",\"kind\":42,\"domain\":\"\",\"owner\":\"\",\"snippet\":\"\",\"score\":0.5}");
	free(s);
	Tributary__V1__NodeKind kinds[] = {TRIBUTARY__V1__NODE_KIND__NODE_KIND_PRODUCT,
					   TRIBUTARY__V1__NODE_KIND__NODE_KIND_FIELD};
	Tributary__V1__SearchRequest q = TRIBUTARY__V1__SEARCH_REQUEST__INIT;
	q.kinds = kinds;
	q.n_kinds = 2;
	s = compact(&q.base);
	ck_assert_str_eq(s, "{\"query\":\"\",\"kinds\":[\"NODE_KIND_PRODUCT\",\"NODE_KIND_FIELD\"],\"domain\":\"\","
			    "\"tags\":[],\"page_size\":0,\"page_token\":\"\"}");
	free(s);
}
END_TEST

START_TEST(strings_are_escaped_and_always_valid_utf8)
{
	static const struct {
		const char *in;
		size_t len;
		const char *out;
	} cases[] = {
		{"plain", 5, "\"plain\""},
		{"q\"b\\s/", 6, "\"q\\\"b\\\\s/\""},
		{"a\nb\tc\r\b\f", 8, "\"a\\nb\\tc\\r\\b\\f\""},
		{"\x01\x1f\x7f", 3, "\"\\u0001\\u001f\\u007f\""},
		{"caf\xc3\xa9 \xe2\x86\x92 \xf0\x9f\x8c\x8a", 14, "\"caf\xc3\xa9 \xe2\x86\x92 \xf0\x9f\x8c\x8a\""},
		{"bad\xff", 4, "\"bad\\ufffd\""},
		{"\xc3", 1, "\"\\ufffd\""},                   /* truncated sequence */
		{"\xc0\xaf", 2, "\"\\ufffd\\ufffd\""},        /* overlong '/' */
		{"\xed\xa0\x80", 3, "\"\\ufffd\\ufffd\\ufffd\""}, /* a UTF-16 surrogate */
		{"\xf4\x90\x80\x80", 4, "\"\\ufffd\\ufffd\\ufffd\\ufffd\""}, /* past U+10FFFF */
		{"nul\0in", 6, "\"nul\\u0000in\""},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *s = string_json(cases[i].in, cases[i].len);
		ck_assert_msg(strcmp(s, cases[i].out) == 0, "case %zu: %s", i, s);
		free(s);
	}
}
END_TEST

START_TEST(doubles_use_the_shortest_exact_text)
{
	static const struct {
		double v;
		const char *out;
	} cases[] = {
		{99.9, "99.9"}, {0.1 + 0.2, "0.30000000000000004"}, {0, "0"}, {-2.5, "-2.5"}, {1e21, "1e+21"},
		{100, "100"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *s = double_json(cases[i].v);
		ck_assert_str_eq(s, cases[i].out);
		ck_assert(strtod(s, NULL) == cases[i].v);
		free(s);
	}
	char *s = double_json(NAN);
	ck_assert_str_eq(s, "\"NaN\"");
	free(s);
	s = double_json(-INFINITY);
	ck_assert_str_eq(s, "\"-Infinity\"");
	free(s);
	s = double_json(INFINITY);
	ck_assert_str_eq(s, "\"Infinity\"");
	free(s);
}
END_TEST

START_TEST(bytes_are_base64)
{
	ProtobufCBinaryData files[4] = {
		{0, (uint8_t *)""}, {1, (uint8_t *)"f"}, {2, (uint8_t *)"fo"}, {6, (uint8_t *)"foo\xff\x00\x01"}};
	Grpc__Reflection__V1__FileDescriptorResponse r = GRPC__REFLECTION__V1__FILE_DESCRIPTOR_RESPONSE__INIT;
	r.file_descriptor_proto = files;
	r.n_file_descriptor_proto = 4;
	char *s = compact(&r.base);
	ck_assert_str_eq(s, "{\"file_descriptor_proto\":[\"\",\"Zg==\",\"Zm8=\",\"Zm9v/wAB\"]}");
	free(s);
}
END_TEST

START_TEST(only_the_set_oneof_member_appears)
{
	Grpc__Reflection__V1__ServerReflectionRequest q = GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__INIT;
	q.host = "h";
	q.message_request_case = GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_LIST_SERVICES;
	q.list_services = "*";
	char *s = compact(&q.base);
	ck_assert_str_eq(s, "{\"host\":\"h\",\"list_services\":\"*\"}");
	free(s);
	q.message_request_case = GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST__NOT_SET;
	s = compact(&q.base);
	ck_assert_str_eq(s, "{\"host\":\"h\"}");
	free(s);
}
END_TEST

START_TEST(round_trip_through_unpack)
{
	/* A message as it arrives from the wire (unpacked by protobuf-c) encodes the same. */
	Tributary__V1__DeleteProductResponse d = TRIBUTARY__V1__DELETE_PRODUCT_RESPONSE__INIT;
	d.ref = "sales/orders";
	d.placeholder_left = 1;
	d.edges_removed = 7;
	uint8_t buf[64];
	size_t n = tributary__v1__delete_product_response__pack(&d, buf);
	Tributary__V1__DeleteProductResponse *u = tributary__v1__delete_product_response__unpack(NULL, n, buf);
	ck_assert_ptr_nonnull(u);
	char *a = compact(&d.base), *b = compact(&u->base);
	ck_assert_str_eq(a, b);
	ck_assert_str_eq(a, "{\"ref\":\"sales/orders\",\"placeholder_left\":true,\"edges_removed\":7}");
	free(a);
	free(b);
	tributary__v1__delete_product_response__free_unpacked(u, NULL);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("json");
	TCase *tc = tcase_create("encode");
	tcase_add_test(tc, every_field_appears_with_defaults);
	tcase_add_test(tc, product_with_nested_messages_enums_and_int64);
	tcase_add_test(tc, pretty_output_is_indented);
	tcase_add_test(tc, unknown_enum_values_are_numbers);
	tcase_add_test(tc, strings_are_escaped_and_always_valid_utf8);
	tcase_add_test(tc, doubles_use_the_shortest_exact_text);
	tcase_add_test(tc, bytes_are_base64);
	tcase_add_test(tc, only_the_set_oneof_member_appears);
	tcase_add_test(tc, round_trip_through_unpack);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
