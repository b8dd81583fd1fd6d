/* Durations and percentages as people write them in SLAs. */
#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tributary/error.h"
#include "tributary/ingest.h"

#define MAX_SECONDS (10.0 * 365 * 86400) /* ten years: anything longer is a typo */

static const struct {
	const char *name;
	double seconds;
} units[] = {
	{"s", 1}, {"sec", 1}, {"secs", 1}, {"second", 1}, {"seconds", 1},
	{"m", 60}, {"min", 60}, {"mins", 60}, {"minute", 60}, {"minutes", 60},
	{"h", 3600}, {"hr", 3600}, {"hrs", 3600}, {"hour", 3600}, {"hours", 3600},
	{"d", 86400}, {"day", 86400}, {"days", 86400},
	{"w", 604800}, {"wk", 604800}, {"week", 604800}, {"weeks", 604800},
};

static const struct {
	const char *word;
	double seconds;
} words[] = {
	{"hourly", 3600}, {"daily", 86400}, {"weekly", 604800},
};

static const char *skip_ws(const char *p)
{
	while (*p && isspace((unsigned char)*p))
		p++;
	return p;
}

/* Match a case-insensitive word followed by a non-letter; advance *p past it. */
static int eat_word(const char **p, const char *w)
{
	size_t n = strlen(w);
	if (strncasecmp(*p, w, n) != 0 || isalpha((unsigned char)(*p)[n]))
		return 0;
	*p = skip_ws(*p + n);
	return 1;
}

/* A plain decimal (digits, at most one '.'): strtod alone would also take hex,
 * exponents and "inf". Advances *p. */
static int read_decimal(const char **p, double *v)
{
	const char *q = *p;
	int dots = 0, digits = 0;
	for (; isdigit((unsigned char)*q) || *q == '.'; q++) {
		dots += *q == '.';
		digits += *q != '.';
	}
	if (dots > 1 || digits == 0 || q - *p > 24)
		return -1;
	char num[32];
	memcpy(num, *p, (size_t)(q - *p));
	num[q - *p] = '\0';
	*v = strtod(num, NULL);
	*p = q;
	return 0;
}

static int bad(const char *text, const char *why)
{
	return trib_error_set(TRIB_EINVALID,
			      "bad duration '%s': %s (write e.g. '15m', '1h', '< 5 minutes', 'daily', "
			      "'< 2 hours after midnight UTC')",
			      text, why);
}

/* ISO 8601 duration: P[nW] or P[nD][T[nH][nM][nS]]. */
static int parse_iso(double *out, const char *text, const char *p)
{
	double total = 0;
	int in_time = 0, any = 0;
	p++; /* 'P' */
	while (*p) {
		if (*p == 'T' || *p == 't') {
			if (in_time)
				return bad(text, "'T' twice");
			in_time = 1;
			p++;
			continue;
		}
		if (!isdigit((unsigned char)*p))
			return bad(text, "expected a number in the ISO 8601 duration");
		double v;
		if (read_decimal(&p, &v) != 0)
			return bad(text, "malformed number");
		char u = (char)toupper((unsigned char)*p);
		double mul;
		if (!in_time && u == 'W')
			mul = 604800;
		else if (!in_time && u == 'D')
			mul = 86400;
		else if (in_time && u == 'H')
			mul = 3600;
		else if (in_time && u == 'M')
			mul = 60;
		else if (in_time && u == 'S')
			mul = 1;
		else
			return bad(text, "unknown ISO 8601 designator (years and months are not fixed lengths)");
		total += v * mul;
		any = 1;
		p++;
	}
	if (!any)
		return bad(text, "empty ISO 8601 duration");
	*out = total;
	return 0;
}

/* One or more "<number> <unit>" amounts, e.g. "1h30m", "1 hour 30 minutes", "2.5 days". */
static int parse_amounts(double *out, const char *text, const char **pp)
{
	const char *p = *pp;
	double total = 0;
	int count = 0;
	while (*p && (isdigit((unsigned char)*p) || *p == '.')) {
		double v;
		if (read_decimal(&p, &v) != 0)
			return bad(text, "malformed number");
		p = skip_ws(p);
		const char *u = p;
		while (isalpha((unsigned char)*p))
			p++;
		size_t ulen = (size_t)(p - u);
		if (ulen == 0)
			return bad(text, "a number needs a unit (s, m, h, d, w)");
		double mul = 0;
		for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
			if (strlen(units[i].name) == ulen && strncasecmp(units[i].name, u, ulen) == 0)
				mul = units[i].seconds;
		if (mul == 0) {
			if ((ulen == 2 && strncasecmp(u, "ms", 2) == 0))
				return bad(text, "milliseconds are below the one-second resolution");
			if ((ulen == 2 && strncasecmp(u, "mo", 2) == 0) || (ulen >= 5 && strncasecmp(u, "month", 5) == 0) ||
			    (ulen >= 1 && (*u == 'y' || *u == 'Y')))
				return bad(text, "months and years are not fixed lengths; use days");
			return bad(text, "unknown unit");
		}
		total += v * mul;
		count++;
		p = skip_ws(p);
		if (*p == ',')
			p = skip_ws(p + 1);
		else
			eat_word(&p, "and");
	}
	if (count == 0)
		return bad(text, "no amount");
	*out = total;
	*pp = p;
	return 0;
}

int ing_duration_parse(int64_t *seconds, const char *text)
{
	if (!text)
		return trib_error_set(TRIB_EINVALID, "missing duration");
	const char *p = skip_ws(text);
	if (*p == 'P' || *p == 'p') {
		double v = 0;
		if (parse_iso(&v, text, p) != 0)
			return TRIB_EINVALID;
		if (v < 0.5)
			return bad(text, "less than a second");
		if (v > MAX_SECONDS)
			return bad(text, "more than ten years");
		*seconds = (int64_t)llround(v);
		return 0;
	}
	/* Comparators say "at most", which the SLA number already means. */
	if (strncmp(p, "<=", 2) == 0)
		p = skip_ws(p + 2);
	else if (strncmp(p, "\xe2\x89\xa4", 3) == 0) /* ≤ */
		p = skip_ws(p + 3);
	else if (*p == '<')
		p = skip_ws(p + 1);
	else if (*p == '>' || strncmp(p, "\xe2\x89\xa5", 3) == 0)
		return bad(text, "a freshness is an upper bound; '>' says the opposite");
	else if (!eat_word(&p, "within") && !eat_word(&p, "under") && !eat_word(&p, "every"))
		eat_word(&p, "at most");

	double v = 0;
	int matched_word = 0;
	for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
		if (eat_word(&p, words[i].word)) {
			v = words[i].seconds;
			matched_word = 1;
			break;
		}
	if (!matched_word) {
		if (!*p)
			return bad(text, "empty");
		if (!isdigit((unsigned char)*p) && *p != '.')
			return bad(text, "expected a number or hourly/daily/weekly");
		if (parse_amounts(&v, text, &p) != 0)
			return TRIB_EINVALID;
	}

	/* "after midnight [TZ]": delivered once a day by that offset, so the data
	 * can be a whole period plus the offset old just before the next delivery. */
	if (!matched_word && eat_word(&p, "after")) {
		double period;
		if (eat_word(&p, "midnight"))
			period = 86400;
		else if (eat_word(&p, "the") && eat_word(&p, "hour"))
			period = 3600;
		else
			return bad(text, "'after' must be followed by 'midnight' or 'the hour'");
		if (v >= period)
			return bad(text, "the offset is not shorter than its period");
		v += period;
		/* An optional time zone name: UTC, CET, UTC+2, Europe/Berlin. */
		const char *tz = p;
		while (*p && (isalnum((unsigned char)*p) || strchr("+-:/_", *p)))
			p++;
		if (p > tz && !isalpha((unsigned char)*tz))
			return bad(text, "expected a time zone name after 'midnight'");
		p = skip_ws(p);
	}
	if (*p)
		return bad(text, "unexpected text after the duration");
	if (v < 0.5)
		return bad(text, "less than a second");
	if (v > MAX_SECONDS)
		return bad(text, "more than ten years");
	*seconds = (int64_t)llround(v);
	return 0;
}

int ing_percent_parse(double *percent, const char *text)
{
	if (!text)
		return trib_error_set(TRIB_EINVALID, "missing percentage");
	const char *p = skip_ws(text);
	if (!isdigit((unsigned char)*p) && *p != '.')
		return trib_error_set(TRIB_EINVALID, "bad percentage '%s': expected a number such as 99.5%%", text);
	double v;
	if (read_decimal(&p, &v) != 0)
		return trib_error_set(TRIB_EINVALID, "bad percentage '%s': expected a plain decimal number", text);
	p = skip_ws(p);
	if (*p == '%')
		p = skip_ws(p + 1);
	if (*p)
		return trib_error_set(TRIB_EINVALID, "bad percentage '%s': unexpected text after the number", text);
	if (!(v >= 0 && v <= 100))
		return trib_error_set(TRIB_EINVALID, "bad percentage '%s': must be between 0 and 100", text);
	*percent = v;
	return 0;
}
