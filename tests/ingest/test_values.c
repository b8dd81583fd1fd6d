/* Durations and percentages: the parsers, and the same values through YAML. */
#include "tributary/ingest.h"

#include <check.h>
#include <stdio.h>
#include <string.h>

#include "helpers.h"
#include "tributary/error.h"

static const struct {
	const char *text;
	int64_t seconds;
} good_durations[] = {
	{"1h", 3600},
	{"15m", 900},
	{"90s", 90},
	{"30 minutes", 1800},
	{"< 5 minutes", 300},
	{"<5m", 300},
	{"<= 10 min", 600},
	{"\xe2\x89\xa4 10 min", 600},
	{"within 15 minutes", 900},
	{"under 1 hour", 3600},
	{"every 15 minutes", 900},
	{"at most 2 hours", 7200},
	{"1h30m", 5400},
	{"1 hour 30 minutes", 5400},
	{"1h, 30m", 5400},
	{"1 hour and 30 minutes", 5400},
	{"1.5 hours", 5400},
	{"2 days", 172800},
	{"1d", 86400},
	{"1w", 604800},
	{"3 weeks", 1814400},
	{"2 HOURS", 7200},
	{"  1h  ", 3600},
	{"0.5s", 1},
	{"3650d", 315360000},
	{"hourly", 3600},
	{"daily", 86400},
	{"Daily", 86400},
	{"weekly", 604800},
	{"< daily", 86400},
	{"< 2 hours after midnight UTC", 93600},
	{"< 90 minutes after midnight", 91800},
	{"2h after midnight Europe/Berlin", 93600},
	{"< 2 hours after midnight UTC+2", 93600},
	{"30 minutes after the hour", 5400},
	{"PT1H", 3600},
	{"pt15m", 900},
	{"PT1H30M", 5400},
	{"P1D", 86400},
	{"P1DT2H", 93600},
	{"P2W", 1209600},
	{"PT0.5M", 30},
};

START_TEST(duration_parses_table)
{
	for (size_t i = 0; i < sizeof good_durations / sizeof good_durations[0]; i++) {
		int64_t s = -1;
		int rc = ing_duration_parse(&s, good_durations[i].text);
		ck_assert_msg(rc == 0, "'%s': %s", good_durations[i].text, trib_error_last());
		ck_assert_msg(s == good_durations[i].seconds, "'%s' gave %lld, expected %lld", good_durations[i].text,
			      (long long)s, (long long)good_durations[i].seconds);
	}
}
END_TEST

static const struct {
	const char *text, *why;
} bad_durations[] = {
	{"", "empty"},
	{"   ", "empty"},
	{"soon", "expected a number or hourly/daily/weekly"},
	{"real-time", "expected a number or hourly/daily/weekly"},
	{"5", "a number needs a unit (s, m, h, d, w)"},
	{"5 parsecs", "unknown unit"},
	{"100ms", "milliseconds are below the one-second resolution"},
	{"1 month", "months and years are not fixed lengths; use days"},
	{"2y", "months and years are not fixed lengths; use days"},
	{"0s", "less than a second"},
	{"0.4s", "less than a second"},
	{"3651d", "more than ten years"},
	{"> 5 minutes", "a freshness is an upper bound; '>' says the opposite"},
	{"25 hours after midnight", "the offset is not shorter than its period"},
	{"2 hours after lunch", "'after' must be followed by 'midnight' or 'the hour'"},
	{"2 hours after midnight +5", "expected a time zone name after 'midnight'"},
	{"1h soon", "unexpected text after the duration"},
	{"daily after midnight", "unexpected text after the duration"},
	{"1.2.3h", "malformed number"},
	{"0x10m", "unknown unit"},
	{"1e3s", "unknown unit"},
	{"P1Y", "unknown ISO 8601 designator (years and months are not fixed lengths)"},
	{"PT1D", "unknown ISO 8601 designator (years and months are not fixed lengths)"},
	{"P", "empty ISO 8601 duration"},
	{"PTT1H", "'T' twice"},
	{"PXH", "expected a number in the ISO 8601 duration"},
};

START_TEST(duration_rejects_table)
{
	for (size_t i = 0; i < sizeof bad_durations / sizeof bad_durations[0]; i++) {
		int64_t s = -7;
		char expected[512];
		snprintf(expected, sizeof expected,
			 "bad duration '%s': %s (write e.g. '15m', '1h', '< 5 minutes', 'daily', "
			 "'< 2 hours after midnight UTC')",
			 bad_durations[i].text, bad_durations[i].why);
		ck_assert_msg(ing_duration_parse(&s, bad_durations[i].text) == TRIB_EINVALID, "'%s' was accepted",
			      bad_durations[i].text);
		ck_assert_str_eq(trib_error_last(), expected);
		ck_assert_int_eq(s, -7);
	}
}
END_TEST

static const struct {
	const char *text;
	double pct;
} good_percents[] = {
	{"99.5%", 99.5}, {"99.5 %", 99.5}, {"99.5", 99.5}, {"100%", 100}, {"0%", 0},
	{" 42 % ", 42},  {".5%", 0.5},    {"99.999%", 99.999}, {"7", 7},
};

START_TEST(percent_parses_table)
{
	for (size_t i = 0; i < sizeof good_percents / sizeof good_percents[0]; i++) {
		double p = -1;
		ck_assert_msg(ing_percent_parse(&p, good_percents[i].text) == 0, "'%s': %s", good_percents[i].text,
			      trib_error_last());
		ck_assert_double_eq(p, good_percents[i].pct);
	}
}
END_TEST

static const struct {
	const char *text, *message;
} bad_percents[] = {
	{"101%", "bad percentage '101%': must be between 0 and 100"},
	{"100.01", "bad percentage '100.01': must be between 0 and 100"},
	{"abc", "bad percentage 'abc': expected a number such as 99.5%"},
	{"-5%", "bad percentage '-5%': expected a number such as 99.5%"},
	{"", "bad percentage '': expected a number such as 99.5%"},
	{"9 9%", "bad percentage '9 9%': unexpected text after the number"},
	{"1e2%", "bad percentage '1e2%': unexpected text after the number"},
	{"99%%", "bad percentage '99%%': unexpected text after the number"},
	{"99.5.1%", "bad percentage '99.5.1%': expected a plain decimal number"},
};

START_TEST(percent_rejects_table)
{
	for (size_t i = 0; i < sizeof bad_percents / sizeof bad_percents[0]; i++) {
		double p = -3;
		ck_assert_int_eq(ing_percent_parse(&p, bad_percents[i].text), TRIB_EINVALID);
		ck_assert_str_eq(trib_error_last(), bad_percents[i].message);
		ck_assert_double_eq(p, -3);
	}
}
END_TEST

#define FLAT_HEAD "name: p\ndomain: d\nowner: t\n"

START_TEST(yaml_numbers_are_seconds_and_percents)
{
	ck_assert_int_eq(t_parse(FLAT_HEAD "sla:\n  freshness: 3600\n  uptime: 99.9\n  completeness: 100\n"), 0);
	EXPECT_NO_DIAGS();
	Tributary__V1__Sla *s = t_product("p")->sla;
	ck_assert_str_eq(s->freshness, "3600");
	ck_assert_int_eq(s->freshness_seconds, 3600);
	ck_assert_str_eq(s->uptime, "99.9");
	ck_assert_double_eq(s->uptime_percent, 99.9);
	ck_assert_str_eq(s->completeness, "100");
	ck_assert_double_eq(s->completeness_percent, 100);
}
END_TEST

START_TEST(yaml_float_seconds_round)
{
	ck_assert_int_eq(t_parse(FLAT_HEAD "sla: {freshness: 90.6}\n"), 0);
	EXPECT_NO_DIAGS();
	ck_assert_int_eq(t_product("p")->sla->freshness_seconds, 91);
}
END_TEST

START_TEST(yaml_hex_percent_is_an_error)
{
	/* 0x10 is a YAML integer, but a percentage is written in decimal. */
	ck_assert_int_eq(t_parse(FLAT_HEAD "sla: {uptime: 0x10}\n"), TRIB_EINVALID);
	EXPECT_DIAGS("t.yaml:4:15: error: bad percentage '0x10': unexpected text after the number (at sla.uptime)");
}
END_TEST

START_TEST(yaml_bad_values_have_positions)
{
	ck_assert_int_eq(t_parse(FLAT_HEAD "sla:\n  freshness: 0\n  uptime: true\n  completeness: 0.95\n"),
			 TRIB_EINVALID);
	EXPECT_DIAGS("t.yaml:5:14: error: bad duration '0': a number of seconds from 1 to ten years (at sla.freshness)",
		     "t.yaml:6:11: error: expected a percentage such as '99.5%', got a boolean (at sla.uptime)",
		     "t.yaml:7:17: warning: '0.95' is read as 0.95%; write 95% if it is a fraction of one (at "
		     "sla.completeness)");
	ck_assert_uint_eq(T_res.n_products, 0);
}
END_TEST

START_TEST(yaml_duration_keeps_text)
{
	ck_assert_int_eq(t_parse(FLAT_HEAD "sla:\n  freshness: \"< 2 hours after midnight UTC\"\n  completeness: 99.5%\n"),
			 0);
	EXPECT_NO_DIAGS();
	Tributary__V1__Sla *s = t_product("p")->sla;
	ck_assert_str_eq(s->freshness, "< 2 hours after midnight UTC");
	ck_assert_int_eq(s->freshness_seconds, 93600);
	ck_assert_str_eq(s->completeness, "99.5%");
	ck_assert_double_eq(s->completeness_percent, 99.5);
	ck_assert_str_eq(s->uptime, "");
	ck_assert_double_eq(s->uptime_percent, 0);
}
END_TEST

START_TEST(yaml_duration_error_message_and_position)
{
	ck_assert_int_eq(t_parse(FLAT_HEAD "outputs:\n  - name: o\n    sla: {freshness: \"1 month\"}\n"), TRIB_EINVALID);
	EXPECT_DIAGS("t.yaml:6:22: error: bad duration '1 month': months and years are not fixed lengths; use days "
		     "(write e.g. '15m', '1h', '< 5 minutes', 'daily', '< 2 hours after midnight UTC') (at "
		     "outputs[0].sla.freshness)");
}
END_TEST

START_TEST(uptime_percent_range_error_has_position)
{
	ck_assert_int_eq(t_parse(FLAT_HEAD "sla:\n  uptime: 101%\n"), TRIB_EINVALID);
	EXPECT_DIAGS("t.yaml:5:11: error: bad percentage '101%': must be between 0 and 100 (at sla.uptime)");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("values");
	TCase *tc = tcase_create("values");
	tcase_add_checked_fixture(tc, t_setup, t_teardown);
	tcase_add_test(tc, duration_parses_table);
	tcase_add_test(tc, duration_rejects_table);
	tcase_add_test(tc, percent_parses_table);
	tcase_add_test(tc, percent_rejects_table);
	tcase_add_test(tc, yaml_numbers_are_seconds_and_percents);
	tcase_add_test(tc, yaml_float_seconds_round);
	tcase_add_test(tc, yaml_hex_percent_is_an_error);
	tcase_add_test(tc, yaml_bad_values_have_positions);
	tcase_add_test(tc, yaml_duration_keeps_text);
	tcase_add_test(tc, yaml_duration_error_message_and_position);
	tcase_add_test(tc, uptime_percent_range_error_has_position);
	suite_add_tcase(s, tc);
	return t_run(s);
}
