/* Policy files: YAML -> struct pol_policy, the holder and the global slot. */
#include "policy_int.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <yaml.h>

#include "tributary/error.h"
#include "tributary/ref.h"

/* Built from server/default-policy.yaml by tools/embed-bytes.sh (see Makefile). */
extern const unsigned char pol_default_policy_yaml[];
extern const unsigned long pol_default_policy_yaml_len;

#define MAX_ERRORS 50
#define DEFAULT_MAX_UPSTREAM 10000

static const char *const type_names[POL_TYPE_COUNT] = {
	"naming", "required-fields", "pii-classification", "retention-bounds", "composition",
	"freshness-feasibility", "breaking-change-major-bump", "upstream-lifecycle",
	"owner-in-domain-map",
};
static const char *const name_kinds[POL_NAME_COUNT] = {"product", "port", "field", "domain", "team"};
static const char *const required_names[POL_REQ_COUNT] = {
	"owner", "description", "version", "output-ports", "sla", "classification",
	"retention", "tags", "quality-checks", "port-schema", "glossary-terms",
};
static const char *const comp_names[POL_COMP_COUNT] = {"classification", "retention", "pii", "erasure"};
static const char *const class_names[POL_CLASS_COUNT] = {"unspecified", "public", "internal", "confidential",
							  "restricted"};

const char *pol_type_name(enum pol_type t)
{
	return (unsigned)t < POL_TYPE_COUNT ? type_names[t] : "?";
}

const char *pol_severity_name(enum pol_severity s)
{
	return s == POL_ERROR ? "error" : s == POL_WARNING ? "warning" : "off";
}

const char *pol_class_name(int c)
{
	return c >= 0 && c < POL_CLASS_COUNT ? class_names[c] : "?";
}

static int lookup(const char *const *names, int n, const char *s)
{
	for (int i = 0; i < n; i++)
		if (strcmp(names[i], s) == 0)
			return i;
	return -1;
}

/* ---------------------------------------------------------------- SHA-256 */

static const uint32_t sha_k[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void sha256_block(uint32_t h[8], const unsigned char *b)
{
	uint32_t w[64], v[8];
	for (int i = 0; i < 16; i++)
		w[i] = (uint32_t)b[4 * i] << 24 | (uint32_t)b[4 * i + 1] << 16 | (uint32_t)b[4 * i + 2] << 8 | b[4 * i + 3];
	for (int i = 16; i < 64; i++) {
		uint32_t s0 = ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3);
		uint32_t s1 = ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10);
		w[i] = w[i - 16] + s0 + w[i - 7] + s1;
	}
	memcpy(v, h, sizeof v);
	for (int i = 0; i < 64; i++) {
		uint32_t t1 = v[7] + (ROR(v[4], 6) ^ ROR(v[4], 11) ^ ROR(v[4], 25)) + ((v[4] & v[5]) ^ (~v[4] & v[6])) +
			      sha_k[i] + w[i];
		uint32_t t2 = (ROR(v[0], 2) ^ ROR(v[0], 13) ^ ROR(v[0], 22)) + ((v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]));
		memmove(v + 1, v, 7 * sizeof v[0]);
		v[4] += t1;
		v[0] = t1 + t2;
	}
	for (int i = 0; i < 8; i++)
		h[i] += v[i];
}

static void sha256_hex(char out[65], const unsigned char *data, size_t len)
{
	uint32_t h[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
	unsigned char tail[128] = {0};
	size_t full = len / 64 * 64, rest = len - full;
	for (size_t i = 0; i < full; i += 64)
		sha256_block(h, data + i);
	memcpy(tail, data + full, rest);
	tail[rest] = 0x80;
	size_t tlen = rest < 56 ? 64 : 128;
	uint64_t bits = (uint64_t)len * 8;
	for (int i = 0; i < 8; i++)
		tail[tlen - 1 - i] = (unsigned char)(bits >> (8 * i));
	sha256_block(h, tail);
	if (tlen == 128)
		sha256_block(h, tail + 64);
	for (int i = 0; i < 8; i++)
		snprintf(out + 8 * i, 9, "%08x", h[i]);
}

/* ----------------------------------------------------------------- loader */

typedef struct ld {
	const char *src; /* name in messages */
	yaml_document_t *doc;
	pol_policy *p;
	FILE *msg;       /* accumulated error lines */
	char *msgbuf;
	size_t msglen;
	unsigned nerr;
} ld;

static void ld_err(ld *l, const yaml_node_t *n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void ld_err(ld *l, const yaml_node_t *n, const char *fmt, ...)
{
	if (l->nerr++ >= MAX_ERRORS)
		return;
	if (l->nerr > 1)
		fputc('\n', l->msg);
	fprintf(l->msg, "%s:%lu:%lu: error: ", l->src, n ? (unsigned long)n->start_mark.line + 1 : 1ul,
		n ? (unsigned long)n->start_mark.column + 1 : 1ul);
	va_list ap;
	va_start(ap, fmt);
	vfprintf(l->msg, fmt, ap);
	va_end(ap);
}

static yaml_node_t *node(ld *l, int id)
{
	return yaml_document_get_node(l->doc, id);
}

static const char *scalar(ld *l, yaml_node_t *n, const char *what)
{
	if (!n || n->type != YAML_SCALAR_NODE) {
		ld_err(l, n, "%s: expected a string", what);
		return NULL;
	}
	return (const char *)n->data.scalar.value;
}

static const char *str_dup(ld *l, yaml_node_t *n, const char *what)
{
	const char *s = scalar(l, n, what);
	return s ? trib_arena_strdup(&l->p->arena, s) : NULL;
}

static int get_long(ld *l, yaml_node_t *n, const char *what, long min, long max, long *out)
{
	const char *s = scalar(l, n, what);
	if (!s)
		return -1;
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (!*s || *end || errno || v < min || v > max) {
		ld_err(l, n, "%s: expected an integer from %ld to %ld, got '%s'", what, min, max, s);
		return -1;
	}
	*out = v;
	return 0;
}

static int get_bool(ld *l, yaml_node_t *n, const char *what, int *out)
{
	const char *s = scalar(l, n, what);
	if (!s)
		return -1;
	if (!strcmp(s, "true") || !strcmp(s, "yes") || !strcmp(s, "on"))
		*out = 1;
	else if (!strcmp(s, "false") || !strcmp(s, "no") || !strcmp(s, "off"))
		*out = 0;
	else {
		ld_err(l, n, "%s: expected true or false, got '%s'", what, s);
		return -1;
	}
	return 0;
}

static int get_severity(ld *l, yaml_node_t *n, const char *what, int allow_off, enum pol_severity *out)
{
	const char *s = scalar(l, n, what);
	if (!s)
		return -1;
	if (!strcmp(s, "error"))
		*out = POL_ERROR;
	else if (!strcmp(s, "warning"))
		*out = POL_WARNING;
	else if (allow_off && !strcmp(s, "off"))
		*out = POL_OFF;
	else {
		ld_err(l, n, "%s: expected error%s or warning, got '%s'", what, allow_off ? ", off" : "", s);
		return -1;
	}
	return 0;
}

static int get_class(ld *l, yaml_node_t *n, const char *what, int *out)
{
	const char *s = scalar(l, n, what);
	if (!s)
		return -1;
	int c = lookup(class_names + 1, POL_CLASS_COUNT - 1, s);
	if (c < 0) {
		ld_err(l, n, "%s: expected public, internal, confidential or restricted, got '%s'", what, s);
		return -1;
	}
	*out = c + 1;
	return 0;
}

static int is_map(ld *l, yaml_node_t *n, const char *what)
{
	if (n && n->type == YAML_MAPPING_NODE)
		return 1;
	ld_err(l, n, "%s: expected a mapping", what);
	return 0;
}

static int is_seq(ld *l, yaml_node_t *n, const char *what)
{
	if (n && n->type == YAML_SEQUENCE_NODE)
		return 1;
	ld_err(l, n, "%s: expected a list", what);
	return 0;
}

#define SEQ_LEN(n) ((size_t)((n)->data.sequence.items.top - (n)->data.sequence.items.start))
#define SEQ_ITEM(l, n, i) node((l), (n)->data.sequence.items.start[i])

/* Reject unknown and repeated keys so a typo never silently disables a check. */
static void check_keys(ld *l, yaml_node_t *map, const char *what, const char *const *allowed)
{
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = node(l, p->key);
		const char *ks = scalar(l, k, what);
		if (!ks)
			continue;
		int ok = 0;
		for (const char *const *a = allowed; *a; a++)
			ok |= !strcmp(*a, ks);
		if (!ok) {
			char list[256] = "";
			for (const char *const *a = allowed; *a; a++)
				snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", a == allowed ? "" : ", ", *a);
			ld_err(l, k, "%s: unknown key '%s' (expected one of: %s)", what, ks, list);
		}
		for (yaml_node_pair_t *q = map->data.mapping.pairs.start; q < p; q++) {
			yaml_node_t *k2 = node(l, q->key);
			if (k2 && k2->type == YAML_SCALAR_NODE && !strcmp((const char *)k2->data.scalar.value, ks))
				ld_err(l, k, "%s: key '%s' repeated", what, ks);
		}
	}
}

static yaml_node_t *map_get(ld *l, yaml_node_t *map, const char *key)
{
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = node(l, p->key);
		if (k && k->type == YAML_SCALAR_NODE && !strcmp((const char *)k->data.scalar.value, key))
			return node(l, p->value);
	}
	return NULL;
}

/* A list of strings; each checked by `check` (may be NULL). Returns count or -1. */
static long str_list(ld *l, yaml_node_t *n, const char *what, const char ***out)
{
	if (!is_seq(l, n, what))
		return -1;
	size_t len = SEQ_LEN(n);
	const char **v = trib_arena_calloc(&l->p->arena, len ? len : 1, sizeof *v);
	if (!v)
		return -1;
	for (size_t i = 0; i < len; i++)
		if (!(v[i] = str_dup(l, SEQ_ITEM(l, n, i), what)))
			return -1;
	*out = v;
	return (long)len;
}

/* ------------------------------------------------------------------- JSON */

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
		if (*c == '"' || *c == '\\')
			fprintf(f, "\\%c", *c);
		else if (*c < 0x20)
			fprintf(f, "\\u%04x", *c);
		else
			fputc(*c, f);
	}
	fputc('"', f);
}

static void json_names(FILE *f, const char *const *names, int n, unsigned mask)
{
	fputc('[', f);
	int first = 1;
	for (int i = 0; i < n; i++)
		if (mask & (1u << i)) {
			if (!first)
				fputc(',', f);
			json_str(f, names[i]);
			first = 0;
		}
	fputc(']', f);
}

static void json_strs(FILE *f, const char *const *v, size_t n)
{
	fputc('[', f);
	for (size_t i = 0; i < n; i++) {
		if (i)
			fputc(',', f);
		json_str(f, v[i]);
	}
	fputc(']', f);
}

/* Effective parameters, defaults included, for GetPolicy. */
static void params_json(FILE *f, const struct pol_rule *r)
{
	fputc('{', f);
	switch (r->type) {
	case POL_NAMING: {
		int first = 1;
		for (int k = 0; k < POL_NAME_COUNT; k++)
			if (r->u.naming.pattern[k]) {
				fprintf(f, "%s\"%s\":", first ? "" : ",", name_kinds[k]);
				json_str(f, r->u.naming.pattern[k]);
				first = 0;
			}
		break;
	}
	case POL_REQUIRED_FIELDS:
		fputs("\"fields\":", f);
		json_names(f, required_names, POL_REQ_COUNT, r->u.required.mask);
		break;
	case POL_PII_CLASSIFICATION:
		fprintf(f, "\"min_classification\":\"%s\"", class_names[r->u.pii.min_class]);
		break;
	case POL_RETENTION_BOUNDS: {
		fprintf(f, "\"require_stated\":%s", r->u.retention.require_stated ? "true" : "false");
		for (int c = 1; c < POL_CLASS_COUNT; c++) {
			int mn = r->u.retention.min_days[c], mx = r->u.retention.max_days[c];
			if (mn < 0 && mx < 0)
				continue;
			fprintf(f, ",\"%s\":{", class_names[c]);
			if (mn >= 0)
				fprintf(f, "\"min_days\":%d%s", mn, mx >= 0 ? "," : "");
			if (mx >= 0)
				fprintf(f, "\"max_days\":%d", mx);
			fputc('}', f);
		}
		break;
	}
	case POL_COMPOSITION:
		fputs("\"checks\":", f);
		json_names(f, comp_names, POL_COMP_COUNT, r->u.composition.checks);
		fprintf(f, ",\"max_upstream\":%u", r->u.composition.max_upstream);
		break;
	case POL_FRESHNESS:
		fprintf(f, "\"slack_seconds\":%lld,\"max_upstream\":%u", (long long)r->u.freshness.slack_seconds,
			r->u.freshness.max_upstream);
		break;
	case POL_BREAKING_CHANGE:
		fprintf(f, "\"added_without_default_breaks\":%s,\"port_removal_breaks\":%s,\"zero_major_minor_bump\":%s",
			r->u.breaking.added_without_default_breaks ? "true" : "false",
			r->u.breaking.port_removal_breaks ? "true" : "false",
			r->u.breaking.zero_major_minor_bump ? "true" : "false");
		break;
	case POL_UPSTREAM_LIFECYCLE:
		fprintf(f, "\"deprecated\":\"%s\",\"deleted\":\"%s\",\"unregistered\":\"%s\"",
			pol_severity_name(r->u.lifecycle.deprecated), pol_severity_name(r->u.lifecycle.deleted),
			pol_severity_name(r->u.lifecycle.unregistered));
		break;
	case POL_OWNER_IN_DOMAIN_MAP:
		fprintf(f, "\"require_domain\":%s,\"also\":{", r->u.owner.require_domain ? "true" : "false");
		for (size_t i = 0; i < r->u.owner.nalso; i++) {
			if (i)
				fputc(',', f);
			json_str(f, r->u.owner.also[i].domain);
			fputc(':', f);
			json_strs(f, r->u.owner.also[i].teams, r->u.owner.also[i].nteams);
		}
		fputc('}', f);
		break;
	case POL_TYPE_COUNT:
		break;
	}
	fputc('}', f);
}

/* ------------------------------------------------------------ rule params */

static void parse_naming(ld *l, struct pol_rule *r, yaml_node_t *params)
{
	static const char *const keys[] = {"product", "port", "field", "domain", "team", NULL};
	int any = 0;
	if (params) {
		check_keys(l, params, "params", keys);
		for (int k = 0; k < POL_NAME_COUNT; k++) {
			yaml_node_t *v = map_get(l, params, name_kinds[k]);
			if (!v)
				continue;
			const char *pat = str_dup(l, v, name_kinds[k]);
			if (!pat)
				continue;
			/* The whole name must match, whatever anchors the author wrote. */
			char *full = trib_arena_printf(&l->p->arena, "^(%s)$", pat);
			int rc = full ? regcomp(&r->u.naming.re[k], full, REG_EXTENDED | REG_NOSUB) : REG_ESPACE;
			if (rc) {
				char why[128];
				regerror(rc, NULL, why, sizeof why);
				ld_err(l, v, "params.%s: bad regular expression '%s': %s", name_kinds[k], pat, why);
				continue;
			}
			r->u.naming.pattern[k] = pat;
			any = 1;
		}
	}
	if (!any && l->nerr == 0)
		ld_err(l, params, "naming rule '%s' needs a pattern for at least one of: product, port, field, domain, team",
		       r->id);
}

static void parse_required(ld *l, struct pol_rule *r, yaml_node_t *params)
{
	static const char *const keys[] = {"fields", NULL};
	r->u.required.mask = 1u << POL_REQ_OWNER | 1u << POL_REQ_DESCRIPTION | 1u << POL_REQ_OUTPUT_PORT |
			     1u << POL_REQ_SLA;
	yaml_node_t *v = params ? map_get(l, params, "fields") : NULL;
	if (params)
		check_keys(l, params, "params", keys);
	if (!v || !is_seq(l, v, "params.fields"))
		return;
	r->u.required.mask = 0;
	for (size_t i = 0; i < SEQ_LEN(v); i++) {
		yaml_node_t *it = SEQ_ITEM(l, v, i);
		const char *s = scalar(l, it, "params.fields");
		if (!s)
			continue;
		int k = lookup(required_names, POL_REQ_COUNT, s);
		if (k < 0)
			ld_err(l, it, "params.fields: unknown item '%s' (expected owner, description, version, "
				      "output-ports, sla, classification, retention, tags, quality-checks, port-schema, "
				      "glossary-terms)", s);
		else
			r->u.required.mask |= 1u << k;
	}
}

static void parse_pii(ld *l, struct pol_rule *r, yaml_node_t *params)
{
	static const char *const keys[] = {"min_classification", NULL};
	r->u.pii.min_class = 3; /* confidential */
	if (!params)
		return;
	check_keys(l, params, "params", keys);
	yaml_node_t *v = map_get(l, params, "min_classification");
	if (v)
		get_class(l, v, "params.min_classification", &r->u.pii.min_class);
}

static void parse_retention(ld *l, struct pol_rule *r, yaml_node_t *params)
{
	static const char *const keys[] = {"require_stated", "public", "internal", "confidential", "restricted", NULL};
	static const char *const bkeys[] = {"min_days", "max_days", NULL};
	for (int c = 0; c < POL_CLASS_COUNT; c++)
		r->u.retention.min_days[c] = r->u.retention.max_days[c] = -1;
	if (!params)
		goto none;
	check_keys(l, params, "params", keys);
	yaml_node_t *v = map_get(l, params, "require_stated");
	if (v)
		get_bool(l, v, "params.require_stated", &r->u.retention.require_stated);
	int any = 0;
	for (int c = 1; c < POL_CLASS_COUNT; c++) {
		yaml_node_t *b = map_get(l, params, class_names[c]);
		if (!b)
			continue;
		any = 1;
		if (!is_map(l, b, class_names[c]))
			continue;
		check_keys(l, b, class_names[c], bkeys);
		long val;
		yaml_node_t *mn = map_get(l, b, "min_days"), *mx = map_get(l, b, "max_days");
		if (mn && !get_long(l, mn, "min_days", 0, 1000000, &val))
			r->u.retention.min_days[c] = (int)val;
		if (mx && !get_long(l, mx, "max_days", 1, 1000000, &val))
			r->u.retention.max_days[c] = (int)val;
		if (r->u.retention.min_days[c] >= 0 && r->u.retention.max_days[c] >= 0 &&
		    r->u.retention.min_days[c] > r->u.retention.max_days[c])
			ld_err(l, b, "%s: min_days %d is above max_days %d", class_names[c], r->u.retention.min_days[c],
			       r->u.retention.max_days[c]);
	}
	if (any || r->u.retention.require_stated)
		return;
none:
	ld_err(l, params, "retention-bounds rule '%s' needs bounds for at least one classification", r->id);
}

static void get_max_upstream(ld *l, yaml_node_t *params, unsigned *out)
{
	long v;
	yaml_node_t *n = map_get(l, params, "max_upstream");
	*out = DEFAULT_MAX_UPSTREAM;
	if (n && !get_long(l, n, "params.max_upstream", 1, 10000000, &v))
		*out = (unsigned)v;
}

static void parse_composition(ld *l, struct pol_rule *r, yaml_node_t *params)
{
	static const char *const keys[] = {"checks", "max_upstream", NULL};
	r->u.composition.checks = (1u << POL_COMP_COUNT) - 1;
	r->u.composition.max_upstream = DEFAULT_MAX_UPSTREAM;
	if (!params)
		return;
	check_keys(l, params, "params", keys);
	get_max_upstream(l, params, &r->u.composition.max_upstream);
	yaml_node_t *v = map_get(l, params, "checks");
	if (!v || !is_seq(l, v, "params.checks"))
		return;
	r->u.composition.checks = 0;
	for (size_t i = 0; i < SEQ_LEN(v); i++) {
		yaml_node_t *it = SEQ_ITEM(l, v, i);
		const char *s = scalar(l, it, "params.checks");
		int k = s ? lookup(comp_names, POL_COMP_COUNT, s) : 0;
		if (k < 0)
			ld_err(l, it, "params.checks: unknown check '%s' (expected classification, retention, pii, erasure)", s);
		else if (s)
			r->u.composition.checks |= 1u << k;
	}
}

static void parse_freshness(ld *l, struct pol_rule *r, yaml_node_t *params)
{
	static const char *const keys[] = {"slack_seconds", "max_upstream", NULL};
	r->u.freshness.max_upstream = DEFAULT_MAX_UPSTREAM;
	if (!params)
		return;
	check_keys(l, params, "params", keys);
	get_max_upstream(l, params, &r->u.freshness.max_upstream);
	long v;
	yaml_node_t *n = map_get(l, params, "slack_seconds");
	if (n && !get_long(l, n, "params.slack_seconds", 0, 100L * 365 * 86400, &v))
		r->u.freshness.slack_seconds = v;
}

static void parse_breaking(ld *l, struct pol_rule *r, yaml_node_t *params)
{
	static const char *const keys[] = {"added_without_default_breaks", "port_removal_breaks", "zero_major_minor_bump",
					   NULL};
	r->u.breaking.added_without_default_breaks = 1; /* as CheckSchemaChange classes it */
	r->u.breaking.port_removal_breaks = 1;
	r->u.breaking.zero_major_minor_bump = 1;
	if (!params)
		return;
	check_keys(l, params, "params", keys);
	int *dst[] = {&r->u.breaking.added_without_default_breaks, &r->u.breaking.port_removal_breaks,
		      &r->u.breaking.zero_major_minor_bump};
	for (int i = 0; i < 3; i++) {
		yaml_node_t *n = map_get(l, params, keys[i]);
		if (n)
			get_bool(l, n, keys[i], dst[i]);
	}
}

static void parse_lifecycle(ld *l, struct pol_rule *r, yaml_node_t *params)
{
	static const char *const keys[] = {"deprecated", "deleted", "unregistered", NULL};
	r->u.lifecycle.deprecated = POL_WARNING;
	r->u.lifecycle.deleted = r->severity;
	r->u.lifecycle.unregistered = POL_OFF;
	if (!params)
		return;
	check_keys(l, params, "params", keys);
	enum pol_severity *dst[] = {&r->u.lifecycle.deprecated, &r->u.lifecycle.deleted, &r->u.lifecycle.unregistered};
	for (int i = 0; i < 3; i++) {
		yaml_node_t *n = map_get(l, params, keys[i]);
		if (n)
			get_severity(l, n, keys[i], 1, dst[i]);
	}
}

static void parse_owner(ld *l, struct pol_rule *r, yaml_node_t *params)
{
	static const char *const keys[] = {"require_domain", "also", NULL};
	if (!params)
		return;
	check_keys(l, params, "params", keys);
	yaml_node_t *n = map_get(l, params, "require_domain");
	if (n)
		get_bool(l, n, "params.require_domain", &r->u.owner.require_domain);
	yaml_node_t *also = map_get(l, params, "also");
	if (!also || !is_map(l, also, "params.also"))
		return;
	size_t cnt = (size_t)(also->data.mapping.pairs.top - also->data.mapping.pairs.start);
	r->u.owner.also = trib_arena_calloc(&l->p->arena, cnt ? cnt : 1, sizeof *r->u.owner.also);
	if (!r->u.owner.also)
		return;
	for (yaml_node_pair_t *p = also->data.mapping.pairs.start; p < also->data.mapping.pairs.top; p++) {
		struct pol_team_list *t = &r->u.owner.also[r->u.owner.nalso];
		yaml_node_t *k = node(l, p->key);
		if (!(t->domain = str_dup(l, k, "params.also")))
			continue;
		if (trib_name_check(TRIB_KIND_DOMAIN, t->domain)) {
			ld_err(l, k, "params.also: %s", trib_error_last());
			continue;
		}
		long cntt = str_list(l, node(l, p->value), "params.also.<domain>", &t->teams);
		if (cntt >= 0) {
			t->nteams = (size_t)cntt;
			r->u.owner.nalso++;
		}
	}
}

/* ------------------------------------------------------------------ rules */

static void parse_scope(ld *l, struct pol_rule *r, yaml_node_t *scope)
{
	static const char *const keys[] = {"domains", NULL};
	yaml_node_t *doms = scope;
	if (scope->type == YAML_MAPPING_NODE) {
		check_keys(l, scope, "scope", keys);
		doms = map_get(l, scope, "domains");
		if (!doms) {
			ld_err(l, scope, "scope: expected 'domains: all' or 'domains: [name, ...]'");
			return;
		}
	}
	if (doms->type == YAML_SCALAR_NODE && !strcmp((const char *)doms->data.scalar.value, "all"))
		return;
	if (doms->type != YAML_SEQUENCE_NODE) {
		ld_err(l, doms, "scope: expected 'all' or a list of domain names");
		return;
	}
	long n = str_list(l, doms, "scope.domains", &r->domains);
	if (n < 0)
		return;
	if (n == 0)
		ld_err(l, doms, "scope.domains: empty list (write 'all' for every domain)");
	for (long i = 0; i < n; i++)
		if (trib_name_check(TRIB_KIND_DOMAIN, r->domains[i]))
			ld_err(l, SEQ_ITEM(l, doms, i), "scope.domains: %s", trib_error_last());
	r->ndomains = (size_t)n;
}

static void parse_exceptions(ld *l, struct pol_rule *r, yaml_node_t *exc)
{
	static const char *const keys[] = {"product", "domain", "rationale", NULL};
	if (!is_seq(l, exc, "exceptions"))
		return;
	size_t n = SEQ_LEN(exc);
	r->exceptions = trib_arena_calloc(&l->p->arena, n ? n : 1, sizeof *r->exceptions);
	if (!r->exceptions)
		return;
	for (size_t i = 0; i < n; i++) {
		yaml_node_t *e = SEQ_ITEM(l, exc, i);
		if (!is_map(l, e, "exceptions[]"))
			continue;
		check_keys(l, e, "exceptions[]", keys);
		yaml_node_t *prod = map_get(l, e, "product"), *dom = map_get(l, e, "domain");
		yaml_node_t *why = map_get(l, e, "rationale");
		struct pol_exception *x = &r->exceptions[r->nexceptions];
		if ((prod != NULL) == (dom != NULL)) {
			ld_err(l, e, "exceptions[]: give exactly one of 'product: domain/name' or 'domain: name'");
			continue;
		}
		x->is_domain = dom != NULL;
		if (!(x->ref = str_dup(l, prod ? prod : dom, prod ? "exceptions[].product" : "exceptions[].domain")))
			continue;
		if (prod) {
			trib_ref ref;
			if (trib_ref_parse(&ref, x->ref) || ref.kind != TRIB_KIND_PRODUCT) {
				ld_err(l, prod, "exceptions[].product: '%s' is not a product reference (domain/name)", x->ref);
				continue;
			}
		} else if (trib_name_check(TRIB_KIND_DOMAIN, x->ref)) {
			ld_err(l, dom, "exceptions[].domain: %s", trib_error_last());
			continue;
		}
		/* An exception nobody can explain is how policies rot. */
		const char *rat = why ? scalar(l, why, "exceptions[].rationale") : NULL;
		if (!why)
			ld_err(l, e, "exceptions[]: exception for '%s' has no rationale (one is required)", x->ref);
		else if (rat && !rat[strspn(rat, " \t\r\n")])
			ld_err(l, why, "exceptions[].rationale: empty rationale for '%s'", x->ref);
		if (!rat || !rat[strspn(rat, " \t\r\n")])
			continue;
		x->rationale = trib_arena_strdup(&l->p->arena, rat);
		r->nexceptions++;
	}
}

static int rule_id_ok(const char *id)
{
	size_t n = strlen(id);
	if (n == 0 || n > 64 || !((id[0] >= 'a' && id[0] <= 'z') || (id[0] >= '0' && id[0] <= '9')))
		return 0;
	return strspn(id, "abcdefghijklmnopqrstuvwxyz0123456789-_.") == n;
}

static void parse_rule(ld *l, struct pol_rule *r, yaml_node_t *n)
{
	static const char *const keys[] = {"id", "description", "severity", "type", "scope", "exceptions", "params", NULL};
	r->line = (unsigned)n->start_mark.line + 1;
	check_keys(l, n, "rule", keys);
	yaml_node_t *id = map_get(l, n, "id"), *desc = map_get(l, n, "description");
	yaml_node_t *sev = map_get(l, n, "severity"), *type = map_get(l, n, "type");
	yaml_node_t *scope = map_get(l, n, "scope"), *exc = map_get(l, n, "exceptions");
	yaml_node_t *params = map_get(l, n, "params");
	const char *missing = !id ? "id" : !type ? "type" : !sev ? "severity" : !desc ? "description" : NULL;
	if (missing) {
		ld_err(l, n, "rule: missing '%s'", missing);
		return;
	}
	if (!(r->id = str_dup(l, id, "id")))
		return;
	if (!rule_id_ok(r->id))
		ld_err(l, id, "id: '%s' must be 1-64 characters of [a-z0-9._-] starting with a letter or digit", r->id);
	for (struct pol_rule *o = l->p->rules; o < r; o++)
		if (o->id && !strcmp(o->id, r->id))
			ld_err(l, id, "id: rule id '%s' already used by the rule at line %u", r->id, o->line);
	r->description = str_dup(l, desc, "description");
	get_severity(l, sev, "severity", 0, &r->severity);
	const char *ts = scalar(l, type, "type");
	int t = ts ? lookup(type_names, POL_TYPE_COUNT, ts) : -1;
	if (ts && t < 0)
		ld_err(l, type, "type: unknown rule type '%s' (expected naming, required-fields, pii-classification, "
				"retention-bounds, composition, freshness-feasibility, breaking-change-major-bump, "
				"upstream-lifecycle, owner-in-domain-map)", ts);
	if (t < 0)
		return;
	r->type = (enum pol_type)t;
	if (scope)
		parse_scope(l, r, scope);
	if (exc)
		parse_exceptions(l, r, exc);
	/* "params:" with nothing after it is YAML null: the defaults. */
	if (params && params->type == YAML_SCALAR_NODE && params->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	    (!params->data.scalar.length || !strcmp((const char *)params->data.scalar.value, "~") ||
	     !strcmp((const char *)params->data.scalar.value, "null")))
		params = NULL;
	if (params && !is_map(l, params, "params"))
		params = NULL;
	void (*const parsers[POL_TYPE_COUNT])(ld *, struct pol_rule *, yaml_node_t *) = {
		parse_naming, parse_required, parse_pii, parse_retention, parse_composition,
		parse_freshness, parse_breaking, parse_lifecycle, parse_owner,
	};
	parsers[t](l, r, params);
}

static void parse_doc(ld *l, yaml_node_t *root)
{
	static const char *const keys[] = {"version", "description", "rules", NULL};
	if (!root) {
		ld_err(l, NULL, "empty policy file (expected 'version: 1' and 'rules:')");
		return;
	}
	if (!is_map(l, root, "policy"))
		return;
	check_keys(l, root, "policy", keys);
	yaml_node_t *ver = map_get(l, root, "version"), *rules = map_get(l, root, "rules");
	long v;
	if (!ver)
		ld_err(l, root, "policy: missing 'version: 1'");
	else
		get_long(l, ver, "version", 1, 1, &v);
	if (!rules) {
		ld_err(l, root, "policy: missing 'rules'");
		return;
	}
	if (!is_seq(l, rules, "rules"))
		return;
	size_t n = SEQ_LEN(rules);
	l->p->rules = trib_arena_calloc(&l->p->arena, n ? n : 1, sizeof *l->p->rules);
	if (!l->p->rules) {
		ld_err(l, rules, "out of memory");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		yaml_node_t *rn = SEQ_ITEM(l, rules, i);
		if (!is_map(l, rn, "rules[]"))
			continue;
		parse_rule(l, &l->p->rules[l->p->nrules++], rn);
	}
}

static void policy_free(pol_policy *p)
{
	for (size_t i = 0; i < p->nrules; i++)
		if (p->rules[i].type == POL_NAMING)
			for (int k = 0; k < POL_NAME_COUNT; k++)
				if (p->rules[i].u.naming.pattern[k])
					regfree(&p->rules[i].u.naming.re[k]);
	trib_arena_dispose(&p->arena);
	free(p);
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The error slot holds 1 KiB: it gets the first lines and a count of the
 * rest; the whole text stays here for logs and tests. */
static _Thread_local char diagnostics[16 * 1024];
#define SLOT_MAX 900

const char *pol_load_diagnostics(void)
{
	return diagnostics;
}

static int set_diagnostics(const char *text, size_t len)
{
	snprintf(diagnostics, sizeof diagnostics, "%s", text);
	if (len <= SLOT_MAX)
		return trib_error_set(TRIB_EINVALID, "%s", text);
	size_t cut = SLOT_MAX;
	while (cut > 0 && text[cut] != '\n')
		cut--;
	unsigned rest = 1;
	for (const char *c = text + cut + 1; *c; c++)
		rest += *c == '\n';
	return trib_error_set(TRIB_EINVALID, "%.*s\n(%u more error%s: the log has them all)", (int)cut, text, rest,
			      rest == 1 ? "" : "s");
}

static int load(pol_policy **out, const char *source, const char *shown, const char *data, size_t len)
{
	*out = NULL;
	diagnostics[0] = 0;
	if (len > POL_FILE_MAX)
		return trib_error_set(TRIB_ELIMIT, "%s: policy is %zu bytes, over the limit of %u", shown, len,
				      POL_FILE_MAX);
	pol_policy *p = calloc(1, sizeof *p);
	if (!p)
		return trib_error_set(TRIB_ENOMEM, "out of memory loading policy %s", shown);
	atomic_init(&p->refs, 1);
	trib_arena_init(&p->arena, 16 * 1024);
	p->source = trib_arena_strdup(&p->arena, source);
	p->loaded_at_ms = now_ms();
	sha256_hex(p->digest, (const unsigned char *)data, len);

	ld l = {.src = shown, .p = p};
	l.msg = open_memstream(&l.msgbuf, &l.msglen);
	if (!l.msg || !p->source) {
		if (l.msg)
			fclose(l.msg);
		free(l.msgbuf);
		policy_free(p);
		return trib_error_set(TRIB_ENOMEM, "out of memory loading policy %s", shown);
	}
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_string(&parser, (const unsigned char *)data, len);
	if (!yaml_parser_load(&parser, &doc)) {
		yaml_node_t at = {.start_mark = parser.problem_mark};
		ld_err(&l, &at, "%s%s%s", parser.problem ? parser.problem : "malformed YAML",
		       parser.context ? " " : "", parser.context ? parser.context : "");
	} else {
		l.doc = &doc;
		parse_doc(&l, yaml_document_get_root_node(&doc));
		yaml_document_delete(&doc);
	}
	yaml_parser_delete(&parser);
	if (l.nerr > MAX_ERRORS)
		fprintf(l.msg, "\n%s: %u more errors not shown", shown, l.nerr - MAX_ERRORS);
	fclose(l.msg);
	int rc = 0;
	if (l.nerr) {
		rc = set_diagnostics(l.msgbuf, l.msglen);
		policy_free(p);
	} else {
		for (size_t i = 0; i < p->nrules; i++) {
			char *js = NULL;
			size_t jl = 0;
			FILE *f = open_memstream(&js, &jl);
			if (f) {
				params_json(f, &p->rules[i]);
				fclose(f);
			}
			p->rules[i].params_json = js ? trib_arena_strdup(&p->arena, js) : NULL;
			free(js);
			if (!p->rules[i].params_json)
				rc = trib_error_set(TRIB_ENOMEM, "out of memory loading policy %s", shown);
		}
		if (rc)
			policy_free(p);
		else
			*out = p;
	}
	free(l.msgbuf);
	return rc;
}

int pol_load_buffer(pol_policy **out, const char *source, const char *data, size_t len)
{
	return load(out, source ? source : "", source && *source ? source : "(built-in policy)", data, len);
}

int pol_load_default(pol_policy **out)
{
	return load(out, "", "server/default-policy.yaml (built in)", (const char *)pol_default_policy_yaml,
		    pol_default_policy_yaml_len);
}

int pol_load_file(pol_policy **out, const char *path)
{
	*out = NULL;
	FILE *f = fopen(path, "rb");
	if (!f)
		return trib_error_set(TRIB_EIO, "%s: cannot open policy file: %s", path, strerror(errno));
	char *buf = malloc(POL_FILE_MAX + 1);
	size_t n = buf ? fread(buf, 1, POL_FILE_MAX + 1, f) : 0;
	int err = ferror(f);
	fclose(f);
	int rc;
	if (!buf)
		rc = trib_error_set(TRIB_ENOMEM, "out of memory reading %s", path);
	else if (err)
		rc = trib_error_set(TRIB_EIO, "%s: cannot read policy file", path);
	else if (n > POL_FILE_MAX)
		rc = trib_error_set(TRIB_ELIMIT, "%s: policy file is over the limit of %u bytes", path, POL_FILE_MAX);
	else
		rc = load(out, path, path, buf, n);
	free(buf);
	return rc;
}

pol_policy *pol_ref(pol_policy *p)
{
	atomic_fetch_add_explicit(&p->refs, 1, memory_order_relaxed);
	return p;
}

void pol_unref(pol_policy *p)
{
	if (p && atomic_fetch_sub_explicit(&p->refs, 1, memory_order_acq_rel) == 1)
		policy_free(p);
}

const char *pol_source(const pol_policy *p)
{
	return p->source;
}

const char *pol_digest(const pol_policy *p)
{
	return p->digest;
}

int64_t pol_loaded_at_ms(const pol_policy *p)
{
	return p->loaded_at_ms;
}

size_t pol_rule_count(const pol_policy *p)
{
	return p->nrules;
}

/* Strings are copied: the reply outlives the caller's reference to the policy. */
#define DUP(s) trib_arena_strdup(a, (s) ? (s) : "")

Tributary__V1__Policy *pol_describe(const pol_policy *p, trib_arena *a)
{
	size_t nr = p->nrules ? p->nrules : 1;
	Tributary__V1__Policy *m = trib_arena_alloc(a, sizeof *m);
	Tributary__V1__PolicyRule *rules = trib_arena_calloc(a, nr, sizeof *rules);
	if (!m || !rules)
		return NULL;
	tributary__v1__policy__init(m);
	m->source = DUP(p->source);
	m->loaded_at_ms = p->loaded_at_ms;
	m->digest = DUP(p->digest);
	m->rules = trib_arena_calloc(a, nr, sizeof *m->rules);
	if (!m->rules || !m->source || !m->digest)
		return NULL;
	m->n_rules = p->nrules;
	for (size_t i = 0; i < p->nrules; i++) {
		const struct pol_rule *r = &p->rules[i];
		Tributary__V1__PolicyRule *pr = &rules[i];
		size_t ne = r->nexceptions ? r->nexceptions : 1, nd = r->ndomains ? r->ndomains : 1;
		tributary__v1__policy_rule__init(pr);
		m->rules[i] = pr;
		pr->id = DUP(r->id);
		pr->description = DUP(r->description);
		pr->severity = DUP(pol_severity_name(r->severity));
		pr->type = DUP(pol_type_name(r->type));
		pr->params = DUP(r->params_json);
		pr->domains = trib_arena_calloc(a, nd, sizeof *pr->domains);
		pr->exceptions = trib_arena_calloc(a, ne, sizeof *pr->exceptions);
		Tributary__V1__PolicyException *ex = trib_arena_calloc(a, ne, sizeof *ex);
		if (!pr->id || !pr->description || !pr->severity || !pr->type || !pr->params || !pr->domains ||
		    !pr->exceptions || !ex)
			return NULL;
		for (size_t j = 0; j < r->ndomains; j++)
			if (!(pr->domains[j] = DUP(r->domains[j])))
				return NULL;
		pr->n_domains = r->ndomains;
		for (size_t j = 0; j < r->nexceptions; j++) {
			tributary__v1__policy_exception__init(&ex[j]);
			ex[j].ref = DUP(r->exceptions[j].ref);
			ex[j].rationale = DUP(r->exceptions[j].rationale);
			if (!ex[j].ref || !ex[j].rationale)
				return NULL;
			pr->exceptions[j] = &ex[j];
		}
		pr->n_exceptions = r->nexceptions;
	}
	return m;
}

#undef DUP

/* ----------------------------------------------------------------- holder */

struct pol_holder {
	pthread_mutex_t mu; /* guards cur and path: held only to copy or swap a pointer */
	pol_policy *cur;
	char *path;         /* file of the last successful load; NULL = default */
};

int pol_holder_new(pol_holder **out, pol_policy *initial)
{
	pol_holder *h = calloc(1, sizeof *h);
	if (!h)
		return trib_error_set(TRIB_ENOMEM, "out of memory");
	pthread_mutex_init(&h->mu, NULL);
	h->cur = initial;
	*out = h;
	return 0;
}

void pol_holder_free(pol_holder *h)
{
	if (!h)
		return;
	pol_unref(h->cur);
	free(h->path);
	pthread_mutex_destroy(&h->mu);
	free(h);
}

pol_policy *pol_holder_get(pol_holder *h)
{
	pthread_mutex_lock(&h->mu);
	pol_policy *p = pol_ref(h->cur);
	pthread_mutex_unlock(&h->mu);
	return p;
}

void pol_holder_set(pol_holder *h, pol_policy *p)
{
	pthread_mutex_lock(&h->mu);
	pol_policy *old = h->cur;
	h->cur = p;
	pthread_mutex_unlock(&h->mu);
	pol_unref(old); /* outside the lock: freeing may take a while */
}

int pol_holder_load(pol_holder *h, const char *path)
{
	pol_policy *p;
	int rc = path ? pol_load_file(&p, path) : pol_load_default(&p);
	if (rc)
		return rc;
	char *copy = path ? strdup(path) : NULL;
	if (path && !copy) {
		pol_unref(p);
		return trib_error_set(TRIB_ENOMEM, "out of memory");
	}
	pthread_mutex_lock(&h->mu);
	free(h->path);
	h->path = copy;
	pthread_mutex_unlock(&h->mu);
	pol_holder_set(h, p);
	return 0;
}

static pol_holder global_holder = {PTHREAD_MUTEX_INITIALIZER, NULL, NULL};
static pthread_once_t global_once = PTHREAD_ONCE_INIT;

static void global_default(void)
{
	pol_policy *p;
	/* The shipped default is tested; failing to parse it is a build defect. */
	if (pol_load_default(&p)) {
		fprintf(stderr, "tributaryd: built-in policy does not load: %s\n", trib_error_last());
		abort();
	}
	global_holder.cur = p;
}

pol_holder *pol_global(void)
{
	pthread_once(&global_once, global_default);
	return &global_holder;
}

pol_policy *pol_global_get(void)
{
	return pol_holder_get(pol_global());
}

int pol_global_init(const char *path)
{
	return pol_holder_load(pol_global(), path);
}

int pol_global_reload(void)
{
	pol_holder *h = pol_global();
	pthread_mutex_lock(&h->mu);
	char *path = h->path ? strdup(h->path) : NULL;
	int had = h->path != NULL;
	pthread_mutex_unlock(&h->mu);
	if (had && !path)
		return trib_error_set(TRIB_ENOMEM, "out of memory");
	int rc = pol_holder_load(h, path);
	free(path);
	return rc;
}
