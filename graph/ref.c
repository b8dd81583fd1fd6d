/* Reference strings: parse, check names, format. */
#include "tributary/ref.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "tributary/error.h"

static const char *kind_names[] = {
	[TRIB_KIND_NONE] = "none",     [TRIB_KIND_DOMAIN] = "domain", [TRIB_KIND_TEAM] = "team",
	[TRIB_KIND_PRODUCT] = "product", [TRIB_KIND_PORT] = "port",   [TRIB_KIND_FIELD] = "field",
	[TRIB_KIND_TERM] = "term",     [TRIB_KIND_SOURCE] = "source",
};

const char *trib_kind_name(trib_kind kind)
{
	if (kind == TRIB_KIND_BARE)
		return "bare";
	if ((unsigned)kind < sizeof kind_names / sizeof kind_names[0] && kind_names[kind])
		return kind_names[kind];
	return "none";
}

trib_kind trib_kind_from_name(const char *name)
{
	for (unsigned k = 1; k < sizeof kind_names / sizeof kind_names[0]; k++)
		if (strcmp(kind_names[k], name) == 0)
			return (trib_kind)k;
	if (strcmp(name, "bare") == 0)
		return TRIB_KIND_BARE;
	return TRIB_KIND_NONE;
}

static int is_name_char(int c, trib_kind kind)
{
	if (isalnum(c) || c == '-' || c == '_' || c == '.')
		return 1;
	if (kind == TRIB_KIND_TEAM && (c == '@' || c == '+'))
		return 1;
	if (kind == TRIB_KIND_TERM && c == ' ')
		return 1;
	return 0;
}

static int check_field(const char *name)
{
	size_t len = strlen(name);
	if (len == 0)
		return trib_error_set(TRIB_EINVALID, "empty field name");
	if (len > TRIB_FIELD_MAX)
		return trib_error_set(TRIB_EINVALID, "field name longer than %d characters", TRIB_FIELD_MAX);
	int start = 1;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];
		if (start) {
			if (!(isalpha(c) || c == '_'))
				return trib_error_set(TRIB_EINVALID,
						      "field name '%s': character '%c' at offset %zu cannot start a name",
						      name, isprint(c) ? c : '?', i);
			start = 0;
		} else if (c == '.') {
			start = 1;
		} else if (!(isalnum(c) || c == '_')) {
			return trib_error_set(TRIB_EINVALID, "field name '%s': character '%c' at offset %zu is not allowed",
					      name, isprint(c) ? c : '?', i);
		}
	}
	if (start)
		return trib_error_set(TRIB_EINVALID, "field name '%s' ends with '.'", name);
	return 0;
}

int trib_name_check(trib_kind kind, const char *name)
{
	if (kind == TRIB_KIND_FIELD)
		return check_field(name);
	const char *what = trib_kind_name(kind);
	size_t len = strlen(name);
	if (len == 0)
		return trib_error_set(TRIB_EINVALID, "empty %s name", what);
	if (len > TRIB_NAME_MAX)
		return trib_error_set(TRIB_EINVALID, "%s name '%.40s...' is longer than %d characters", what, name,
				      TRIB_NAME_MAX);
	unsigned char first = (unsigned char)name[0];
	if (kind == TRIB_KIND_TERM ? !isalpha(first) : !isalnum(first))
		return trib_error_set(TRIB_EINVALID, "%s name '%s' must start with a %s", what, name,
				      kind == TRIB_KIND_TERM ? "letter" : "letter or digit");
	for (size_t i = 1; i < len; i++) {
		unsigned char c = (unsigned char)name[i];
		if (!is_name_char(c, kind))
			return trib_error_set(TRIB_EINVALID, "%s name '%s': character '%c' at offset %zu is not allowed",
					      what, name, isprint(c) ? c : '?', i);
	}
	return 0;
}

/* Check one part, prefixing the message with the whole reference. */
static int check_part(const char *text, trib_kind kind, const char *part)
{
	if (trib_name_check(kind, part) != 0)
		return trib_error_set(TRIB_EINVALID, "reference '%s': %s", text, trib_error_last());
	return 0;
}

static const struct {
	const char *prefix;
	trib_kind kind;
} prefixes[] = {
	{"term:", TRIB_KIND_TERM},
	{"source:", TRIB_KIND_SOURCE},
	{"team:", TRIB_KIND_TEAM},
	{"domain:", TRIB_KIND_DOMAIN},
};

int trib_ref_parse(trib_ref *out, const char *text)
{
	memset(out, 0, sizeof *out);
	out->domain = out->name = out->port = out->field = out->buf;
	if (!text)
		return trib_error_set(TRIB_EINVALID, "missing reference");
	size_t len = strlen(text);
	if (len == 0)
		return trib_error_set(TRIB_EINVALID, "empty reference");
	if (len > TRIB_REF_MAX)
		return trib_error_set(TRIB_EINVALID, "reference longer than %d characters", TRIB_REF_MAX);
	for (size_t i = 0; i < len; i++)
		if (isspace((unsigned char)text[i]) && !(strncmp(text, "term:", 5) == 0 && text[i] == ' '))
			return trib_error_set(TRIB_EINVALID, "reference '%s': whitespace at offset %zu", text, i);

	/* buf[0] stays "" for absent parts; copies start at buf+1. */
	char *b = out->buf + 1;
	memcpy(b, text, len + 1);

	for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
		size_t pl = strlen(prefixes[i].prefix);
		if (strncmp(b, prefixes[i].prefix, pl) == 0) {
			out->kind = prefixes[i].kind;
			out->name = b + pl;
			if (out->kind == TRIB_KIND_DOMAIN)
				out->domain = out->name;
			return check_part(text, out->kind, out->name);
		}
	}

	char *slash = strchr(b, '/');
	char *hash = strchr(b, '#');
	if (!slash) {
		if (hash || strchr(b, ':'))
			return trib_error_set(TRIB_EINVALID,
					      "reference '%s': a port or field reference needs 'domain/product' first",
					      text);
		out->kind = TRIB_KIND_BARE;
		out->name = b;
		if (trib_name_check(TRIB_KIND_TEAM, b) != 0)
			return trib_error_set(TRIB_EINVALID, "reference '%s': %s", text, trib_error_last());
		return 0;
	}
	if (hash && hash < slash)
		return trib_error_set(TRIB_EINVALID, "reference '%s': '#' before '/' at offset %zu", text,
				      (size_t)(hash - b));
	*slash = '\0';
	out->domain = b;
	out->name = slash + 1;
	out->kind = TRIB_KIND_PRODUCT;
	if (hash) {
		*hash = '\0';
		out->field = hash + 1;
		out->kind = TRIB_KIND_FIELD;
	}
	char *colon = strchr(out->name, ':');
	if (colon) {
		*colon = '\0';
		out->port = colon + 1;
		if (out->kind == TRIB_KIND_PRODUCT)
			out->kind = TRIB_KIND_PORT;
		if (check_part(text, TRIB_KIND_PORT, out->port) != 0)
			return TRIB_EINVALID;
	}
	if (out->name[0] == '/')
		return trib_error_set(TRIB_EINVALID, "reference '%s': empty product name at offset %zu", text,
				      (size_t)(out->name - b));
	if (strchr(out->name, '/'))
		return trib_error_set(TRIB_EINVALID, "reference '%s': more than one '/'", text);
	if (check_part(text, TRIB_KIND_DOMAIN, out->domain) != 0 ||
	    check_part(text, TRIB_KIND_PRODUCT, out->name) != 0)
		return TRIB_EINVALID;
	if (out->kind == TRIB_KIND_FIELD && check_part(text, TRIB_KIND_FIELD, out->field) != 0)
		return TRIB_EINVALID;
	return 0;
}

int trib_ref_format(char *out, size_t size, const trib_ref *r)
{
	int n;
	switch (r->kind) {
	case TRIB_KIND_TERM: n = snprintf(out, size, "term:%s", r->name); break;
	case TRIB_KIND_SOURCE: n = snprintf(out, size, "source:%s", r->name); break;
	case TRIB_KIND_TEAM:
	case TRIB_KIND_BARE: n = snprintf(out, size, "%s", r->name); break;
	case TRIB_KIND_DOMAIN: n = snprintf(out, size, "%s", r->domain); break;
	case TRIB_KIND_PRODUCT: n = snprintf(out, size, "%s/%s", r->domain, r->name); break;
	case TRIB_KIND_PORT: n = snprintf(out, size, "%s/%s:%s", r->domain, r->name, r->port); break;
	case TRIB_KIND_FIELD:
		if (r->port[0])
			n = snprintf(out, size, "%s/%s:%s#%s", r->domain, r->name, r->port, r->field);
		else
			n = snprintf(out, size, "%s/%s#%s", r->domain, r->name, r->field);
		break;
	default: return trib_error_set(TRIB_EINVALID, "cannot format a reference of no kind");
	}
	if (n < 0 || (size_t)n >= size)
		return trib_error_set(TRIB_ELIMIT, "reference does not fit in %zu bytes", size);
	return n;
}
