/* A strict, bounded JSON (RFC 8259) parser producing the same trees as YAML,
 * for Avro schema files. libyaml would accept most JSON, but not tabs where
 * YAML forbids them and not every escape; a small parser is exact. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ing_int.h"
#include "tributary/error.h"

typedef struct jp {
	cx *c;
	const char *p, *end;
	unsigned line, col;
	unsigned depth;
	int failed;
} jp;

static int fail(jp *j, const char *msg)
{
	if (!j->failed)
		diag_at(j->c, ING_ERROR, j->line, j->col, "%s", msg);
	j->failed = 1;
	return -1;
}

static void advance(jp *j, size_t n)
{
	for (size_t i = 0; i < n && j->p < j->end; i++, j->p++)
		if (((unsigned char)*j->p & 0xC0) != 0x80)
			j->col++;
}

static void skip_ws(jp *j)
{
	while (j->p < j->end) {
		char ch = *j->p;
		if (ch == '\n') {
			j->line++;
			j->col = 1;
			j->p++;
		} else if (ch == ' ' || ch == '\t' || ch == '\r') {
			j->p++;
			j->col++;
		} else {
			break;
		}
	}
}

static ynode *node(jp *j, ytype t)
{
	if (++j->c->nodes > ING_MAX_NODES) {
		fail(j, "more than 4194304 JSON values in one file");
		return NULL;
	}
	ynode *n = node_alloc(j->c);
	if (!n) {
		j->failed = 1;
		return NULL;
	}
	n->type = (unsigned char)t;
	n->line = j->line;
	n->col = j->col;
	return n;
}

static int hex4(const char *p, unsigned *out)
{
	unsigned v = 0;
	for (int i = 0; i < 4; i++) {
		char ch = p[i];
		v <<= 4;
		if (ch >= '0' && ch <= '9')
			v |= (unsigned)(ch - '0');
		else if (ch >= 'a' && ch <= 'f')
			v |= (unsigned)(ch - 'a' + 10);
		else if (ch >= 'A' && ch <= 'F')
			v |= (unsigned)(ch - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

static size_t put_utf8(char *o, unsigned cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xC0 | (cp >> 6));
		o[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xE0 | (cp >> 12));
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		o[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	o[0] = (char)(0xF0 | (cp >> 18));
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	o[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

/* Length of a valid UTF-8 sequence at p (1-4), or 0. */
static size_t utf8_len(const unsigned char *p, const unsigned char *end)
{
	unsigned char b = p[0];
	size_t n;
	unsigned cp;
	if (b < 0x80)
		return 1;
	if (b >= 0xC2 && b <= 0xDF) {
		n = 2;
		cp = b & 0x1F;
	} else if (b >= 0xE0 && b <= 0xEF) {
		n = 3;
		cp = b & 0x0F;
	} else if (b >= 0xF0 && b <= 0xF4) {
		n = 4;
		cp = b & 0x07;
	} else {
		return 0;
	}
	if ((size_t)(end - p) < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3F);
	}
	if ((n == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
		return 0;
	return n;
}

static ynode *parse_string(jp *j, int is_key)
{
	ynode *n = node(j, Y_STR);
	if (!n)
		return NULL;
	n->quoted = 1;
	/* The decoded text is never longer than the raw text. */
	const char *q = j->p + 1;
	while (q < j->end && *q != '"') {
		if (*q == '\\' && q + 1 < j->end)
			q++;
		q++;
	}
	if (q >= j->end) {
		fail(j, "unterminated string"); /* at its opening quote */
		return NULL;
	}
	advance(j, 1);
	/* Keys are scratch; values may be kept by messages. */
	size_t raw = (size_t)(q - j->p);
	char *out = is_key ? tmp_alloc(j->c, raw + 1) : NULL;
	char *tmp = NULL;
	if (!is_key) {
		tmp = malloc(raw + 1);
		if (!tmp) {
			j->c->fatal = trib_error_set(TRIB_ENOMEM, "out of memory reading JSON");
			j->c->stop = 1;
		}
		out = tmp;
	}
	if (!out) {
		j->failed = 1;
		return NULL;
	}
	size_t o = 0;
	while (*j->p != '"') {
		unsigned char ch = (unsigned char)*j->p;
		if (ch < 0x20) {
			fail(j, "control character in a string (escape it)");
			goto bad;
		}
		if (ch != '\\') {
			size_t l = utf8_len((const unsigned char *)j->p, (const unsigned char *)j->end);
			if (l == 0) {
				fail(j, "invalid UTF-8 in a string");
				goto bad;
			}
			memcpy(out + o, j->p, l);
			o += l;
			advance(j, l);
			continue;
		}
		char e = j->p[1];
		const char *simple = strchr("\"\\/bfnrt", e);
		if (e && simple) {
			static const char map[] = "\"\\/\b\f\n\r\t";
			out[o++] = map[simple - "\"\\/bfnrt"];
			advance(j, 2);
			continue;
		}
		if (e != 'u') {
			fail(j, "invalid escape in a string");
			goto bad;
		}
		unsigned cp, ecol = j->col; /* problems point at the escape's backslash */
		if (j->end - j->p < 6 || hex4(j->p + 2, &cp) != 0) {
			fail(j, "invalid \\u escape");
			goto bad;
		}
		advance(j, 6);
		if (cp >= 0xD800 && cp <= 0xDBFF) {
			unsigned lo;
			if (j->end - j->p < 6 || j->p[0] != '\\' || j->p[1] != 'u' || hex4(j->p + 2, &lo) != 0 ||
			    lo < 0xDC00 || lo > 0xDFFF) {
				j->col = ecol;
				fail(j, "unpaired surrogate in a \\u escape");
				goto bad;
			}
			advance(j, 6);
			cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
		} else if (cp >= 0xDC00 && cp <= 0xDFFF) {
			j->col = ecol;
			fail(j, "unpaired surrogate in a \\u escape");
			goto bad;
		}
		if (cp == 0) {
			j->col = ecol;
			fail(j, "a NUL character inside a string is not supported");
			goto bad;
		}
		o += put_utf8(out + o, cp);
	}
	advance(j, 1); /* closing quote */
	out[o] = '\0';
	n->s = is_key ? out : str_keep(j->c, out, o);
	n->len = (uint32_t)o;
	free(tmp);
	if (!n->s) {
		j->failed = 1;
		return NULL;
	}
	return n;
bad:
	free(tmp);
	return NULL;
}

static ynode *parse_number(jp *j)
{
	ynode *n = node(j, Y_INT);
	if (!n)
		return NULL;
	const char *s = j->p, *p = s;
	if (p < j->end && *p == '-')
		p++;
	if (p < j->end && *p == '0')
		p++;
	else if (p < j->end && *p >= '1' && *p <= '9')
		while (p < j->end && *p >= '0' && *p <= '9')
			p++;
	else {
		fail(j, "malformed number");
		return NULL;
	}
	if (p < j->end && *p == '.') {
		n->type = Y_FLOAT;
		p++;
		const char *d = p;
		while (p < j->end && *p >= '0' && *p <= '9')
			p++;
		if (p == d) {
			fail(j, "malformed number: digits must follow '.'");
			return NULL;
		}
	}
	if (p < j->end && (*p == 'e' || *p == 'E')) {
		n->type = Y_FLOAT;
		p++;
		if (p < j->end && (*p == '+' || *p == '-'))
			p++;
		const char *d = p;
		while (p < j->end && *p >= '0' && *p <= '9')
			p++;
		if (p == d) {
			fail(j, "malformed number: digits must follow the exponent");
			return NULL;
		}
	}
	n->s = str_keep(j->c, s, (size_t)(p - s));
	if (!n->s) {
		j->failed = 1;
		return NULL;
	}
	n->len = (uint32_t)(p - s);
	advance(j, n->len);
	return n;
}

static ynode *parse_value(jp *j);

static ynode *parse_container(jp *j, int is_object)
{
	ynode *n = node(j, is_object ? Y_MAP : Y_SEQ);
	if (!n)
		return NULL;
	if (++j->depth > j->c->opts.max_depth) {
		fail(j, "nesting deeper than the limit");
		return NULL;
	}
	char close = is_object ? '}' : ']';
	ynode **items = NULL;
	size_t cnt = 0, cap = 0;
	advance(j, 1);
	skip_ws(j);
	if (j->p < j->end && *j->p == close) {
		advance(j, 1);
		goto done;
	}
	for (;;) {
		ynode *k = NULL;
		skip_ws(j);
		if (is_object) {
			if (j->p >= j->end || *j->p != '"') {
				fail(j, "expected a string key");
				goto bad;
			}
			if (!(k = parse_string(j, 1)))
				goto bad;
			skip_ws(j);
			if (j->p >= j->end || *j->p != ':') {
				fail(j, "expected ':' after the key");
				goto bad;
			}
			advance(j, 1);
		}
		ynode *v = parse_value(j);
		if (!v)
			goto bad;
		if (cnt + 2 > cap) {
			cap = cap ? cap * 2 : 8;
			ynode **nv = realloc(items, cap * sizeof *nv);
			if (!nv) {
				j->c->fatal = trib_error_set(TRIB_ENOMEM, "out of memory reading JSON");
				j->c->stop = 1;
				j->failed = 1;
				goto bad;
			}
			items = nv;
		}
		if (k)
			items[cnt++] = k;
		items[cnt++] = v;
		skip_ws(j);
		if (j->p < j->end && *j->p == ',') {
			advance(j, 1);
			continue;
		}
		if (j->p < j->end && *j->p == close) {
			advance(j, 1);
			break;
		}
		if (j->p >= j->end)
			fail(j, "the file ends too early (truncated?)");
		else
			fail(j, is_object ? "expected ',' or '}'" : "expected ',' or ']'");
		goto bad;
	}
done:
	j->depth--;
	if (is_object) {
		int rc = tree_map_finish(j->c, n, items, cnt / 2);
		free(items);
		if (rc != 0) {
			j->failed = 1;
			return NULL;
		}
		return n;
	}
	n->n = (uint32_t)cnt;
	n->items = tmp_alloc(j->c, (cnt ? cnt : 1) * sizeof *n->items);
	if (!n->items) {
		free(items);
		j->failed = 1;
		return NULL;
	}
	if (cnt)
		memcpy(n->items, items, cnt * sizeof *items);
	free(items);
	return n;
bad:
	free(items);
	return NULL;
}

static ynode *literal(jp *j, const char *word, ytype t, int b)
{
	size_t l = strlen(word);
	if ((size_t)(j->end - j->p) < l || memcmp(j->p, word, l) != 0) {
		fail(j, "unexpected character (expected a JSON value)");
		return NULL;
	}
	ynode *n = node(j, t);
	if (!n)
		return NULL;
	n->s = word;
	n->len = (uint32_t)l;
	n->boolean = (unsigned char)b;
	advance(j, l);
	return n;
}

static ynode *parse_value(jp *j)
{
	skip_ws(j);
	if (j->p >= j->end) {
		fail(j, "expected a JSON value (the file ends too early)");
		return NULL;
	}
	switch (*j->p) {
	case '{': return parse_container(j, 1);
	case '[': return parse_container(j, 0);
	case '"': return parse_string(j, 0);
	case 't': return literal(j, "true", Y_BOOL, 1);
	case 'f': return literal(j, "false", Y_BOOL, 0);
	case 'n': return literal(j, "null", Y_NULL, 0);
	default:
		if (*j->p == '-' || (*j->p >= '0' && *j->p <= '9'))
			return parse_number(j);
		fail(j, "unexpected character (expected a JSON value)");
		return NULL;
	}
}

int tree_parse_json(cx *c, ynode **out, const char *data, size_t len)
{
	jp j = {.c = c, .p = data, .end = data + len, .line = 1, .col = 1};
	*out = NULL;
	if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
		j.p += 3;
	ynode *root = parse_value(&j);
	if (root) {
		skip_ws(&j);
		if (j.p < j.end) {
			fail(&j, "unexpected text after the JSON value");
			root = NULL;
		}
	}
	*out = root;
	if (c->fatal)
		return c->fatal;
	return root ? 0 : -1;
}
