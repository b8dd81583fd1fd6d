/* The conversion context: diagnostics, field paths, arena helpers, and the
 * table-driven walker every format converter is written with. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ing_int.h"
#include "tributary/error.h"
#include "tributary/ref.h"

/* ------------------------------------------------------------------ memory */

static void cx_fail(cx *c)
{
	if (!c->fatal)
		c->fatal = trib_error_last_code() ? trib_error_last_code() : TRIB_ENOMEM;
	c->stop = 1;
}

void *cx_alloc(cx *c, size_t size)
{
	void *p = trib_arena_alloc(c->a, size);
	if (!p)
		cx_fail(c);
	return p;
}

void *tmp_alloc(cx *c, size_t size)
{
	void *p = trib_arena_alloc(&c->tmp, size);
	if (!p)
		cx_fail(c);
	return p;
}

#define SLAB_NODES 256
#define SPOOL_CHUNK 4096

ynode *node_alloc(cx *c)
{
	if (!c->slab_left) {
		c->slab = tmp_alloc(c, SLAB_NODES * sizeof *c->slab);
		if (!c->slab)
			return NULL;
		c->slab_left = SLAB_NODES;
	}
	c->slab_left--;
	ynode *n = c->slab++;
	memset(n, 0, sizeof *n);
	n->s = "";
	return n;
}

char *str_keep(cx *c, const char *s, size_t len)
{
	char *p;
	if (len >= SPOOL_CHUNK / 4) {
		p = cx_alloc(c, len + 1);
	} else {
		if (c->spool_left < len + 1) {
			c->spool = cx_alloc(c, SPOOL_CHUNK);
			c->spool_left = c->spool ? SPOOL_CHUNK : 0;
		}
		p = c->spool;
		if (p) {
			c->spool += len + 1;
			c->spool_left -= len + 1;
		}
	}
	if (!p)
		return NULL;
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

char *cx_strdup(cx *c, const char *s)
{
	char *p = trib_arena_strdup(c->a, s);
	if (!p)
		cx_fail(c);
	return p;
}

static char *arena_vprintf(cx *c, trib_arena *a, const char *fmt, va_list ap)
{
	va_list cp;
	va_copy(cp, ap);
	int n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	char *p = n < 0 ? NULL : trib_arena_alloc(a, (size_t)n + 1);
	if (!p) {
		cx_fail(c);
		return NULL;
	}
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	return p;
}

char *cx_printf(cx *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *p = arena_vprintf(c, c->a, fmt, ap);
	va_end(ap);
	return p;
}

char *tmp_printf(cx *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *p = arena_vprintf(c, &c->tmp, fmt, ap);
	va_end(ap);
	return p;
}

static int pvec_grow(cx *c, trib_arena *a, pvec *v, void *p)
{
	if (v->n == v->cap) {
		size_t ncap = v->cap ? v->cap * 2 : 8;
		void **nv = trib_arena_realloc(a, v->v, v->cap * sizeof *nv, ncap * sizeof *nv);
		if (!nv) {
			cx_fail(c);
			return c->fatal;
		}
		v->v = nv;
		v->cap = ncap;
	}
	v->v[v->n++] = p;
	return 0;
}

int pvec_push(cx *c, pvec *v, void *p)
{
	return pvec_grow(c, &c->tmp, v, p);
}

int pvec_stage(cx *c, pvec *v, void *p)
{
	return pvec_grow(c, c->a, v, p);
}

void cx_clear_tmp(cx *c)
{
	trib_arena_clear(&c->tmp);
	c->slab = NULL;
	c->slab_left = 0;
}

void **pvec_finish(cx *c, const pvec *v)
{
	if (v->n == 0)
		return NULL;
	void **out = cx_alloc(c, v->n * sizeof *out);
	if (out)
		memcpy(out, v->v, v->n * sizeof *out);
	return out;
}

void *msg_new(cx *c, const ProtobufCMessageDescriptor *d)
{
	void *m = cx_alloc(c, d->sizeof_message);
	if (m)
		protobuf_c_message_init(d, m);
	return m;
}

int cx_visit(cx *c, const ynode *n)
{
	if (c->stop)
		return 0;
	/* Without aliases every node is visited at most once; aliases may revisit a
	 * subtree, and that expansion is what is bounded. */
	if (++c->visits > c->nodes + ING_MAX_ALIAS_VISITS) {
		diag(c, ING_ERROR, n, "aliases expand the file to more than %zu values", c->nodes + ING_MAX_ALIAS_VISITS);
		c->stop = 1;
		return 0;
	}
	return 1;
}

/* ------------------------------------------------------------------ paths */

/* Append text to the path; a path longer than the buffer is cut (it is a hint, not an address). */
static size_t path_put(cx *c, const char *a, size_t na, const char *b, size_t nb)
{
	size_t old = c->plen, room = sizeof c->path - 1 - c->plen;
	if (na > room)
		na = room;
	memcpy(c->path + c->plen, a, na);
	c->plen += na;
	room -= na;
	if (nb > room)
		nb = room;
	memcpy(c->path + c->plen, b, nb);
	c->plen += nb;
	c->path[c->plen] = '\0';
	return old;
}

size_t path_key(cx *c, const char *key)
{
	return path_put(c, ".", c->plen ? 1 : 0, key, strlen(key));
}

size_t path_index(cx *c, size_t i)
{
	char num[24];
	int n = snprintf(num, sizeof num, "[%zu]", i);
	return path_put(c, num, (size_t)n, "", 0);
}

void path_pop(cx *c, size_t len)
{
	c->plen = len;
	c->path[len] = '\0';
}

/* ------------------------------------------------------------------ diagnostics */

static void diag_v(cx *c, ing_severity sev, unsigned line, unsigned col, const char *fmt, va_list ap)
{
	ing_result *r = c->res;
	if (c->stop)
		return;
	if (sev == ING_ERROR) {
		c->errors++;
		r->n_errors++;
	} else {
		c->warnings++;
		r->n_warnings++;
		if (c->warnings > ING_MAX_FILE_WARNINGS)
			return;
	}
	if (r->n_diags == r->cap_diags) {
		size_t ncap = r->cap_diags ? r->cap_diags * 2 : 16;
		ing_diag *nd = trib_arena_realloc(c->a, r->diags, r->cap_diags * sizeof *nd, ncap * sizeof *nd);
		if (!nd) {
			cx_fail(c);
			return;
		}
		r->diags = nd;
		r->cap_diags = ncap;
	}
	char *msg;
	va_list cp;
	va_copy(cp, ap);
	int n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	msg = n < 0 ? NULL : cx_alloc(c, (size_t)n + 1);
	if (!msg)
		return;
	vsnprintf(msg, (size_t)n + 1, fmt, ap);
	char *path = cx_strdup(c, c->path);
	if (!path)
		return;
	ing_diag *d = &r->diags[r->n_diags++];
	d->file = c->file;
	d->line = line;
	d->column = col;
	d->severity = sev;
	d->path = path;
	d->message = msg;
	if (sev == ING_ERROR && c->errors == ING_MAX_FILE_ERRORS) {
		diag_at(c, ING_ERROR, line, col, "too many errors; the rest of this file is not checked");
		c->stop = 1;
	}
}

void diag(cx *c, ing_severity sev, const ynode *at, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	diag_v(c, sev, at ? at->line : 0, at ? at->col : 0, fmt, ap);
	va_end(ap);
}

void diag_at(cx *c, ing_severity sev, unsigned line, unsigned col, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	diag_v(c, sev, line, col, fmt, ap);
	va_end(ap);
}

/* ------------------------------------------------------------------ walker */

/* Case-insensitive edit distance, for "did you mean" on unknown keys. */
static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 40 || lb > 40)
		return 99;
	size_t row[41];
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t prev = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t cur = row[j];
			size_t cost = tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]);
			size_t best = prev + cost;
			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			prev = cur;
		}
	}
	return row[lb];
}

static void consider(const char **best, size_t *bestd, const char *word, const char *cand)
{
	if (!cand)
		return;
	size_t d = edit_distance(word, cand);
	if (d < *bestd) {
		*bestd = d;
		*best = cand;
	}
}

static void unknown_key_report(cx *c, const ynode *key, const char *best, size_t bestd)
{
	ing_severity sev = (c->opts.flags & ING_STRICT) ? ING_ERROR : ING_WARNING;
	size_t limit = strlen(key->s) >= 6 ? 2 : 1;
	size_t pl = path_key(c, key->s);
	if (best && bestd <= limit)
		diag(c, sev, key, "unknown key '%s' (did you mean '%s'?)", key->s, best);
	else
		diag(c, sev, key, "unknown key '%s'", key->s);
	path_pop(c, pl);
}

void unknown_key(cx *c, const ynode *key, const char *const *known, size_t nknown)
{
	const char *best = NULL;
	size_t bestd = 99;
	for (size_t i = 0; i < nknown; i++)
		consider(&best, &bestd, key->s, known[i]);
	unknown_key_report(c, key, best, bestd);
}

int walk_map(cx *c, const ynode *v, const keyspec *keys, void *base)
{
	if (!v || v->type != Y_MAP) {
		diag(c, ING_ERROR, v, "expected a mapping, got %s", v ? ytype_name(v->type) : "nothing");
		return -1;
	}
	if (!cx_visit(c, v))
		return -1;
	const ynode *seen[64] = {0};
	size_t nkeys = 0;
	while (keys[nkeys].key)
		nkeys++;
	if (nkeys > 64)
		abort(); /* a key table is code, not input */

	for (size_t i = 0; i < v->n && !c->stop; i++) {
		const ynode *key = v->items[2 * i], *val = v->items[2 * i + 1];
		const keyspec *k = NULL;
		for (size_t j = 0; j < nkeys && !k; j++)
			if (strcmp(keys[j].key, key->s) == 0 || (keys[j].alt && strcmp(keys[j].alt, key->s) == 0))
				k = &keys[j];
		if (!k) {
			const char *best = NULL;
			size_t bestd = 99;
			for (size_t j = 0; j < nkeys; j++) {
				consider(&best, &bestd, key->s, keys[j].key);
				consider(&best, &bestd, key->s, keys[j].alt);
			}
			unknown_key_report(c, key, best, bestd);
			continue;
		}
		size_t idx = (size_t)(k - keys);
		size_t pl = path_key(c, key->s);
		if (seen[idx]) {
			diag(c, ING_ERROR, key, "'%s' repeats '%s' (line %u)", key->s, seen[idx]->s, seen[idx]->line);
		} else {
			seen[idx] = key;
			if (val->type != Y_NULL || (k->flags & K_NULL_OK))
				k->fn(c, val, base, k);
			else if (k->flags & K_REQUIRED)
				diag(c, ING_ERROR, val, "'%s' needs a value", key->s);
		}
		path_pop(c, pl);
	}
	for (size_t j = 0; j < nkeys && !c->stop; j++)
		if ((keys[j].flags & K_REQUIRED) && !seen[j])
			diag(c, ING_ERROR, v, "missing required key '%s'", keys[j].key);
	return 0;
}

/* ------------------------------------------------------------------ converters */

int want_scalar(cx *c, const ynode *v, const char *what)
{
	if (v->type == Y_SEQ || v->type == Y_MAP) {
		diag(c, ING_ERROR, v, "expected %s, got %s", what, ytype_name(v->type));
		return 0;
	}
	return 1;
}

int want_seq(cx *c, const ynode *v)
{
	if (v->type != Y_SEQ) {
		diag(c, ING_ERROR, v, "expected a list, got %s", ytype_name(v->type));
		return 0;
	}
	return cx_visit(c, v);
}

const char *scalar_text(const ynode *v)
{
	if (!v || v->type == Y_NULL || v->type == Y_SEQ || v->type == Y_MAP)
		return NULL;
	return v->s;
}

#define AT(base, off, type) (*(type *)((char *)(base) + (off)))

void conv_str(cx *c, const ynode *v, void *base, const keyspec *k)
{
	if (want_scalar(c, v, "a string"))
		AT(base, k->off, char *) = (char *)v->s;
}

/* Check s against the naming rules of kind; report at v. */
static int check_name(cx *c, const ynode *v, trib_kind kind, const char *s)
{
	if (trib_name_check(kind, s) != 0) {
		diag(c, ING_ERROR, v, "%s", trib_error_last());
		return 0;
	}
	return 1;
}

void conv_name(cx *c, const ynode *v, void *base, const keyspec *k)
{
	if (!want_scalar(c, v, "a name"))
		return;
	if (check_name(c, v, (trib_kind)(intptr_t)k->arg, v->s))
		AT(base, k->off, char *) = (char *)v->s;
}

void conv_strlist(cx *c, const ynode *v, void *base, const keyspec *k)
{
	if (!want_seq(c, v))
		return;
	trib_kind kind = (trib_kind)(intptr_t)k->arg;
	char **out = v->n ? cx_alloc(c, v->n * sizeof *out) : NULL;
	if (v->n && !out)
		return;
	size_t n = 0;
	for (size_t i = 0; i < v->n && !c->stop; i++) {
		const ynode *it = v->items[i];
		size_t pl = path_index(c, i);
		if (it->type == Y_NULL) {
			diag(c, ING_ERROR, it, "empty list item");
		} else if (want_scalar(c, it, "a string") && cx_visit(c, it)) {
			const char *s = it->s;
			if (kind == TRIB_KIND_TERM && strncmp(s, "term:", 5) == 0)
				s += 5; /* products list term names; "term:" is the reference form */
			if (kind == TRIB_KIND_NONE || check_name(c, it, kind, s))
				out[n++] = (char *)s;
		}
		path_pop(c, pl);
	}
	AT(base, k->off, char **) = out;
	AT(base, k->off2, size_t) = n;
}

void conv_bool(cx *c, const ynode *v, void *base, const keyspec *k)
{
	if (v->type != Y_BOOL) {
		diag(c, ING_ERROR, v, "expected true or false, got %s%s%s%s", ytype_name(v->type),
		     scalar_text(v) ? " '" : "", scalar_text(v) ? v->s : "", scalar_text(v) ? "'" : "");
		return;
	}
	AT(base, k->off, protobuf_c_boolean) = v->boolean;
}

/* Value of a Y_INT node (decimal, 0x, 0o); 0 on overflow. */
static int node_int(const ynode *v, long long *out)
{
	const char *s = v->s;
	int base = 10;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'o')) {
		base = s[1] == 'x' ? 16 : 8;
		s += 2;
	}
	char *end;
	errno = 0;
	long long x = strtoll(s, &end, base);
	if (errno || *end)
		return 0;
	*out = x;
	return 1;
}

void conv_days(cx *c, const ynode *v, void *base, const keyspec *k)
{
	long long d;
	if (v->type != Y_INT) {
		diag(c, ING_ERROR, v, "expected a whole number of days, got %s%s%s%s", ytype_name(v->type),
		     scalar_text(v) ? " '" : "", scalar_text(v) ? v->s : "", scalar_text(v) ? "'" : "");
		return;
	}
	if (!node_int(v, &d) || d <= 0 || d > INT32_MAX) {
		diag(c, ING_ERROR, v, "'%s' is not a positive number of days", v->s);
		return;
	}
	AT(base, k->off, int32_t) = (int32_t)d;
}

void conv_duration(cx *c, const ynode *v, void *base, const keyspec *k)
{
	int64_t secs;
	if (v->type == Y_INT || v->type == Y_FLOAT) {
		double x = strtod(v->s, NULL);
		if (v->type == Y_INT) {
			long long i;
			x = node_int(v, &i) ? (double)i : -1;
		}
		if (!(x >= 0.5 && x <= 10.0 * 365 * 86400)) {
			diag(c, ING_ERROR, v, "bad duration '%s': a number of seconds from 1 to ten years", v->s);
			return;
		}
		secs = llround(x);
	} else if (v->type == Y_STR) {
		if (ing_duration_parse(&secs, v->s) != 0) {
			diag(c, ING_ERROR, v, "%s", trib_error_last());
			return;
		}
	} else {
		diag(c, ING_ERROR, v, "expected a duration such as '1h' or '< 5 minutes', got %s", ytype_name(v->type));
		return;
	}
	AT(base, k->off, char *) = (char *)v->s;
	AT(base, k->off2, int64_t) = secs;
}

void conv_percent(cx *c, const ynode *v, void *base, const keyspec *k)
{
	double pct;
	if (v->type != Y_STR && v->type != Y_INT && v->type != Y_FLOAT) {
		diag(c, ING_ERROR, v, "expected a percentage such as '99.5%%', got %s", ytype_name(v->type));
		return;
	}
	if (ing_percent_parse(&pct, v->s) != 0) {
		diag(c, ING_ERROR, v, "%s", trib_error_last());
		return;
	}
	if (!strchr(v->s, '%') && pct > 0 && pct <= 1)
		diag(c, ING_WARNING, v, "'%s' is read as %s%%; write %g%% if it is a fraction of one", v->s, v->s,
		     pct * 100);
	AT(base, k->off, char *) = (char *)v->s;
	AT(base, k->off2, double) = pct;
}

void conv_enum(cx *c, const ynode *v, void *base, const keyspec *k)
{
	const ing_enum_table *t = k->arg;
	if (!want_scalar(c, v, t->what))
		return;
	for (const ing_enum_entry *e = t->e; e->name; e++)
		if (strcasecmp(e->name, v->s) == 0) {
			AT(base, k->off, int) = e->value;
			return;
		}
	char expected[256] = "";
	size_t o = 0;
	for (const ing_enum_entry *e = t->e; e->name && o < sizeof expected; e++) {
		int n = snprintf(expected + o, sizeof expected - o, "%s%s", o ? ", " : "", e->name);
		if (n > 0)
			o += (size_t)n;
	}
	diag(c, ING_ERROR, v, "unknown %s '%s' (expected %s)", t->what, v->s, expected);
}

void conv_msg(cx *c, const ynode *v, void *base, const keyspec *k)
{
	const msgspec *ms = k->arg;
	void *m = msg_new(c, ms->desc);
	if (m && walk_map(c, v, ms->keys, m) == 0)
		AT(base, k->off, void *) = m;
}

void conv_list(cx *c, const ynode *v, void *base, const keyspec *k)
{
	elem_fn fn = (elem_fn)(uintptr_t)k->arg;
	if (!want_seq(c, v))
		return;
	pvec out = {0};
	for (size_t i = 0; i < v->n && !c->stop; i++) {
		size_t pl = path_index(c, i);
		void *e = fn(c, v->items[i]);
		if (e)
			pvec_push(c, &out, e);
		path_pop(c, pl);
	}
	AT(base, k->off, void **) = pvec_finish(c, &out);
	AT(base, k->off2, size_t) = out.n;
}

void conv_capture(cx *c, const ynode *v, void *base, const keyspec *k)
{
	(void)c;
	AT(base, k->off, const ynode *) = v;
}

void conv_ignore(cx *c, const ynode *v, void *base, const keyspec *k)
{
	(void)c, (void)v, (void)base, (void)k;
}

/* ------------------------------------------------------------------ JSON out */

typedef struct jbuf {
	char *p;
	size_t n, cap;
	int over;
} jbuf;

static void jput(jbuf *b, const char *s, size_t n)
{
	if (b->over)
		return;
	if (b->n + n + 1 > ING_MAX_JSON_TEXT) {
		b->over = 1;
		return;
	}
	if (b->n + n + 1 > b->cap) {
		size_t ncap = (b->cap ? b->cap * 2 : 64) + n;
		char *np = realloc(b->p, ncap);
		if (!np) {
			b->over = 2;
			return;
		}
		b->p = np;
		b->cap = ncap;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}

static void jstring(jbuf *b, const char *s)
{
	jput(b, "\"", 1);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		char esc[8];
		if (ch == '"' || ch == '\\') {
			esc[0] = '\\';
			esc[1] = (char)ch;
			jput(b, esc, 2);
		} else if (ch < 0x20) {
			snprintf(esc, sizeof esc, "\\u%04x", ch);
			jput(b, esc, 6);
		} else {
			jput(b, (const char *)s, 1);
		}
	}
	jput(b, "\"", 1);
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)? */
static int is_json_number(const char *s)
{
	if (*s == '-')
		s++;
	if (*s == '0')
		s++;
	else if (*s >= '1' && *s <= '9')
		s += strspn(s, "0123456789");
	else
		return 0;
	if (*s == '.') {
		size_t d = strspn(++s, "0123456789");
		if (!d)
			return 0;
		s += d;
	}
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '-' || *s == '+')
			s++;
		size_t d = strspn(s, "0123456789");
		if (!d)
			return 0;
		s += d;
	}
	return *s == '\0';
}

static void jnode(jbuf *b, const ynode *v, unsigned depth)
{
	if (depth > 64) {
		b->over = 1;
		return;
	}
	switch (v->type) {
	case Y_NULL: jput(b, "null", 4); break;
	case Y_BOOL: jput(b, v->boolean ? "true" : "false", v->boolean ? 4 : 5); break;
	case Y_INT: {
		long long i;
		char num[32];
		if (node_int(v, &i)) {
			int n = snprintf(num, sizeof num, "%lld", i);
			jput(b, num, (size_t)n);
		} else {
			jstring(b, v->s); /* out of range: keep the digits exactly */
		}
		break;
	}
	case Y_FLOAT:
		if (is_json_number(v->s)) {
			jput(b, v->s, v->len);
		} else if (strpbrk(v->s, "iInN")) {
			jstring(b, v->s); /* .inf and .nan have no JSON form */
		} else {
			char num[40]; /* YAML-only spellings such as "+1." or ".5" */
			int n = snprintf(num, sizeof num, "%.17g", strtod(v->s, NULL));
			jput(b, num, (size_t)n);
		}
		break;
	case Y_STR: jstring(b, v->s); break;
	case Y_SEQ:
		jput(b, "[", 1);
		for (size_t i = 0; i < v->n; i++) {
			if (i)
				jput(b, ",", 1);
			jnode(b, v->items[i], depth + 1);
		}
		jput(b, "]", 1);
		break;
	case Y_MAP:
		jput(b, "{", 1);
		for (size_t i = 0; i < v->n; i++) {
			if (i)
				jput(b, ",", 1);
			jstring(b, v->items[2 * i]->s);
			jput(b, ":", 1);
			jnode(b, v->items[2 * i + 1], depth + 1);
		}
		jput(b, "}", 1);
		break;
	}
}

char *node_to_json(cx *c, const ynode *v)
{
	jbuf b = {0};
	jnode(&b, v, 0);
	if (b.over) {
		free(b.p);
		if (b.over == 2) {
			c->fatal = trib_error_set(TRIB_ENOMEM, "out of memory rendering a default value");
			c->stop = 1;
		} else {
			diag(c, ING_ERROR, v, "default value is larger than %u bytes of JSON", ING_MAX_JSON_TEXT);
		}
		return NULL;
	}
	char *out = cx_strdup(c, b.p ? b.p : "");
	free(b.p);
	return out;
}
