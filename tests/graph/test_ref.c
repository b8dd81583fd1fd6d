/* References: parsing, formatting, naming rules, malformed input. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph_fixture.h"

#include "tributary/error.h"
#include "tributary/ref.h"

static trib_ref r;

static void parse_ok(const char *text, trib_kind kind)
{
	int rc = trib_ref_parse(&r, text);
	ck_assert_msg(rc == 0, "parse '%s': %s", text, trib_error_last());
	ck_assert_int_eq(r.kind, kind);
}

/* Parse must fail with TRIB_EINVALID and a message containing `needle`. */
static void parse_bad(const char *text, const char *needle)
{
	int rc = trib_ref_parse(&r, text);
	ck_assert_msg(rc == TRIB_EINVALID, "parse '%s' gave %d", text ? text : "(null)", rc);
	ck_assert_msg(strstr(trib_error_last(), needle) != NULL, "parse '%s': message '%s' lacks '%s'",
		      text ? text : "(null)", trib_error_last(), needle);
}

static const char *fmt(void)
{
	static char buf[TRIB_REF_MAX + 1];
	int n = trib_ref_format(buf, sizeof buf, &r);
	ck_assert_int_ge(n, 0);
	ck_assert_uint_eq((size_t)n, strlen(buf));
	return buf;
}

START_TEST(ref_parses_every_kind)
{
	parse_ok("customer/customer-360", TRIB_KIND_PRODUCT);
	ck_assert_str_eq(r.domain, "customer");
	ck_assert_str_eq(r.name, "customer-360");
	ck_assert_str_eq(r.port, "");
	ck_assert_str_eq(r.field, "");
	ck_assert_str_eq(fmt(), "customer/customer-360");

	parse_ok("customer/customer-360:snapshot_daily", TRIB_KIND_PORT);
	ck_assert_str_eq(r.port, "snapshot_daily");
	ck_assert_str_eq(fmt(), "customer/customer-360:snapshot_daily");

	parse_ok("customer/customer-360#payload.customer_id", TRIB_KIND_FIELD);
	ck_assert_str_eq(r.field, "payload.customer_id");
	ck_assert_str_eq(r.port, "");
	ck_assert_str_eq(fmt(), "customer/customer-360#payload.customer_id");

	parse_ok("customer/c360:snap#email_hash", TRIB_KIND_FIELD);
	ck_assert_str_eq(r.name, "c360");
	ck_assert_str_eq(r.port, "snap");
	ck_assert_str_eq(r.field, "email_hash");
	ck_assert_str_eq(fmt(), "customer/c360:snap#email_hash");

	parse_ok("term:Customer Profile", TRIB_KIND_TERM);
	ck_assert_str_eq(r.name, "Customer Profile");
	ck_assert_str_eq(fmt(), "term:Customer Profile");

	parse_ok("source:orders-db", TRIB_KIND_SOURCE);
	ck_assert_str_eq(r.name, "orders-db");
	ck_assert_str_eq(fmt(), "source:orders-db");

	parse_ok("team:data+platform@example.com", TRIB_KIND_TEAM);
	ck_assert_str_eq(r.name, "data+platform@example.com");
	ck_assert_str_eq(fmt(), "data+platform@example.com");

	parse_ok("domain:customer", TRIB_KIND_DOMAIN);
	ck_assert_str_eq(r.domain, "customer");
	ck_assert_str_eq(fmt(), "customer");

	parse_ok("customer-profiles", TRIB_KIND_BARE);
	ck_assert_str_eq(r.name, "customer-profiles");
	ck_assert_str_eq(r.domain, "");
	ck_assert_str_eq(fmt(), "customer-profiles");
}
END_TEST

START_TEST(ref_rejects_malformed_references_saying_where)
{
	parse_bad(NULL, "missing reference");
	parse_bad("", "empty reference");
	parse_bad("a//b", "empty product name at offset 2");
	parse_bad("/b", "empty domain name");
	parse_bad("a/", "empty product name");
	parse_bad("a/b/c", "more than one '/'");
	parse_bad("a/b:", "empty port name");
	parse_bad("a/b#", "empty field name");
	parse_bad("a/b#1x", "cannot start a name");
	parse_bad("a/b#x.", "ends with '.'");
	parse_bad("a/b#x..y", "cannot start a name");
	parse_bad("a/b#x-y", "character '-' at offset 1 is not allowed");
	parse_bad("x#f", "needs 'domain/product' first");
	parse_bad("x:p", "needs 'domain/product' first");
	parse_bad("a#b/c", "'#' before '/' at offset 1");
	parse_bad("a b/c", "whitespace at offset 1");
	parse_bad("a/b\tc", "whitespace at offset 3");
	parse_bad("-a/b", "must start with a letter or digit");
	parse_bad("a/b c", "whitespace");
	parse_bad("term:9Lives", "must start with a letter");
	parse_bad("source:", "empty source name");
	parse_bad("a@b/c", "character '@' at offset 1 is not allowed");
	parse_bad("a/b#f\x01", "is not allowed");
	/* the message quotes the whole reference */
	parse_bad("sales/ord$rs", "reference 'sales/ord$rs'");
}
END_TEST

START_TEST(ref_enforces_length_limits)
{
	char name[TRIB_NAME_MAX + 2];
	memset(name, 'a', sizeof name - 1);
	name[sizeof name - 1] = '\0'; /* 129 characters */
	char ref[TRIB_NAME_MAX * 2 + 8];
	snprintf(ref, sizeof ref, "d/%s", name);
	parse_bad(ref, "longer than 128 characters");
	name[TRIB_NAME_MAX] = '\0'; /* exactly 128 */
	snprintf(ref, sizeof ref, "d/%s", name);
	parse_ok(ref, TRIB_KIND_PRODUCT);

	char huge[TRIB_REF_MAX + 2];
	memset(huge, 'a', sizeof huge - 1);
	huge[sizeof huge - 1] = '\0';
	parse_bad(huge, "longer than 1024");

	char field[TRIB_FIELD_MAX + 2];
	memset(field, 'f', sizeof field - 1);
	field[sizeof field - 1] = '\0';
	char fref[TRIB_FIELD_MAX + 16];
	snprintf(fref, sizeof fref, "d/p#%s", field);
	parse_bad(fref, "longer than 256");
}
END_TEST

START_TEST(ref_format_reports_a_small_buffer)
{
	parse_ok("customer/customer-360", TRIB_KIND_PRODUCT);
	char small[8];
	ck_assert_int_eq(trib_ref_format(small, sizeof small, &r), TRIB_ELIMIT);
	trib_ref none;
	memset(&none, 0, sizeof none);
	ck_assert_int_eq(trib_ref_format(small, sizeof small, &none), TRIB_EINVALID);
}
END_TEST

START_TEST(ref_names_follow_the_rules_per_kind)
{
	ck_assert_int_eq(trib_name_check(TRIB_KIND_TEAM, "a@b.c"), 0);
	ck_assert_int_eq(trib_name_check(TRIB_KIND_PRODUCT, "a@b.c"), TRIB_EINVALID);
	ck_assert_int_eq(trib_name_check(TRIB_KIND_TERM, "Customer Profile"), 0);
	ck_assert_int_eq(trib_name_check(TRIB_KIND_PORT, "Customer Profile"), TRIB_EINVALID);
	ck_assert_int_eq(trib_name_check(TRIB_KIND_FIELD, "_x.y_2"), 0);
	ck_assert_int_eq(trib_name_check(TRIB_KIND_FIELD, ".x"), TRIB_EINVALID);
	ck_assert_int_eq(trib_name_check(TRIB_KIND_DOMAIN, "9lives"), 0);
	ck_assert_int_eq(trib_name_check(TRIB_KIND_DOMAIN, "caf\xc3\xa9"), TRIB_EINVALID);
	ck_assert_ptr_nonnull(strstr(trib_error_last(), "'?' at offset 3"));
}
END_TEST

START_TEST(ref_kind_names_round_trip)
{
	for (int k = TRIB_KIND_DOMAIN; k <= TRIB_KIND_SOURCE; k++)
		ck_assert_int_eq(trib_kind_from_name(trib_kind_name((trib_kind)k)), k);
	ck_assert_str_eq(trib_kind_name(TRIB_KIND_BARE), "bare");
	ck_assert_int_eq(trib_kind_from_name("bare"), TRIB_KIND_BARE);
	ck_assert_str_eq(trib_kind_name((trib_kind)42), "none");
	ck_assert_int_eq(trib_kind_from_name("nonsense"), TRIB_KIND_NONE);
}
END_TEST

START_TEST(error_message_may_quote_the_previous_message)
{
	trib_error_set(TRIB_EINVALID, "inner problem with a fairly long text to be copied over itself");
	trib_error_set(TRIB_EINVALID, "outer: %s", trib_error_last());
	ck_assert_str_eq(trib_error_last(), "outer: inner problem with a fairly long text to be copied over itself");
	ck_assert_int_eq(trib_error_last_code(), TRIB_EINVALID);
	trib_error_clear();
	ck_assert_int_eq(trib_error_last_code(), 0);
	ck_assert_str_eq(trib_error_last(), "success");
	ck_assert_str_eq(trib_errname(TRIB_ENOTFOUND), "not-found");
	ck_assert_str_eq(trib_strerror(12345), "unknown error");
}
END_TEST

Suite *ref_suite(void)
{
	Suite *s = suite_create("ref");
	TCase *tc = tcase_create("ref");
	tcase_add_test(tc, ref_parses_every_kind);
	tcase_add_test(tc, ref_rejects_malformed_references_saying_where);
	tcase_add_test(tc, ref_enforces_length_limits);
	tcase_add_test(tc, ref_format_reports_a_small_buffer);
	tcase_add_test(tc, ref_names_follow_the_rules_per_kind);
	tcase_add_test(tc, ref_kind_names_round_trip);
	tcase_add_test(tc, error_message_may_quote_the_previous_message);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return fx_run(ref_suite());
}
