/* YAML stream -> document trees, through libyaml's event parser.
 *
 * We build our own tree instead of using yaml_parser_load() so that depth,
 * node count and alias expansion are bounded, duplicate keys are found, `<<`
 * merge keys work, and every node keeps its position for diagnostics. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "ing_int.h"
#include "tributary/error.h"

#define TAG_PREFIX "tag:yaml.org,2002:"

const char *ytype_name(ytype t)
{
	switch (t) {
	case Y_NULL: return "nothing (null)";
	case Y_BOOL: return "a boolean";
	case Y_INT: return "an integer";
	case Y_FLOAT: return "a number";
	case Y_STR: return "a string";
	case Y_SEQ: return "a list";
	case Y_MAP: return "a mapping";
	}
	return "?";
}

const ynode *map_get(const ynode *m, const char *key)
{
	if (!m || m->type != Y_MAP)
		return NULL;
	for (size_t i = 0; i < m->n; i++)
		if (strcmp(m->items[2 * i]->s, key) == 0)
			return m->items[2 * i + 1];
	return NULL;
}

/* ------------------------------------------------------------------ scalars */

static int all_of(const char *s, const char *set)
{
	if (!*s)
		return 0;
	return strspn(s, set) == strlen(s);
}

static int is_int(const char *s)
{
	if (s[0] == '0' && s[1] == 'o')
		return all_of(s + 2, "01234567");
	if (s[0] == '0' && s[1] == 'x')
		return all_of(s + 2, "0123456789abcdefABCDEF");
	if (*s == '-' || *s == '+')
		s++;
	return all_of(s, "0123456789");
}

static int is_float(const char *s)
{
	if (strcmp(s, ".nan") == 0 || strcmp(s, ".NaN") == 0 || strcmp(s, ".NAN") == 0)
		return 1;
	if (*s == '-' || *s == '+')
		s++;
	if (strcmp(s, ".inf") == 0 || strcmp(s, ".Inf") == 0 || strcmp(s, ".INF") == 0)
		return 1;
	/* (\.[0-9]+ | [0-9]+(\.[0-9]*)?) ([eE][-+]?[0-9]+)? */
	size_t ip = strspn(s, "0123456789");
	const char *p = s + ip;
	size_t fp = 0;
	if (*p == '.') {
		p++;
		fp = strspn(p, "0123456789");
		p += fp;
	}
	if (ip == 0 && fp == 0)
		return 0;
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '-' || *p == '+')
			p++;
		size_t ep = strspn(p, "0123456789");
		if (ep == 0)
			return 0;
		p += ep;
	}
	return *p == '\0';
}

/* YAML 1.2 core schema resolution of a plain scalar. */
static void resolve_plain(ynode *n)
{
	const char *s = n->s;
	/* Most scalars are names: nothing but these can start a null, bool or number. */
	if (n->len && !strchr("~nNtTfF0123456789+-.", s[0])) {
		n->type = Y_STR;
		return;
	}
	if (n->len == 0 || strcmp(s, "~") == 0 || strcmp(s, "null") == 0 || strcmp(s, "Null") == 0 ||
	    strcmp(s, "NULL") == 0)
		n->type = Y_NULL;
	else if (strcmp(s, "true") == 0 || strcmp(s, "True") == 0 || strcmp(s, "TRUE") == 0) {
		n->type = Y_BOOL;
		n->boolean = 1;
	} else if (strcmp(s, "false") == 0 || strcmp(s, "False") == 0 || strcmp(s, "FALSE") == 0)
		n->type = Y_BOOL;
	else if (is_int(s))
		n->type = Y_INT;
	else if (is_float(s))
		n->type = Y_FLOAT;
	else
		n->type = Y_STR;
}

/* ------------------------------------------------------------------ maps */

typedef struct keyref {
	const ynode *key;
	size_t idx; /* position in source order; ties sort by it so the first wins */
} keyref;

static int keyref_cmp(const void *a, const void *b)
{
	const keyref *x = a, *y = b;
	int r = strcmp(x->key->s, y->key->s);
	if (r)
		return r;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static int keyref_find(const keyref *sorted, size_t n, const char *s)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int r = strcmp(sorted[mid].key->s, s);
		if (r == 0)
			return 1;
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

/* Append the pairs of merge source `src` (a map, or a list of maps) to cand. */
static int merge_sources(cx *c, const ynode *src, ynode ***cand, size_t *ncand, size_t *cap)
{
	const ynode *one[1] = {src};
	const ynode *const *list = one;
	size_t nlist = 1;
	if (src->type == Y_SEQ) {
		list = (const ynode *const *)src->items;
		nlist = src->n;
	}
	for (size_t i = 0; i < nlist; i++) {
		const ynode *m = list[i];
		if (m->type != Y_MAP) {
			diag(c, ING_ERROR, m, "a '<<' merge key needs a mapping or a list of mappings, got %s",
			     ytype_name(m->type));
			continue;
		}
		if (*ncand + 2 * m->n > *cap) {
			size_t ncap = (*cap ? *cap * 2 : 16) + 2 * m->n;
			ynode **nv = realloc(*cand, ncap * sizeof *nv);
			if (!nv)
				return trib_error_set(TRIB_ENOMEM, "out of memory merging a mapping");
			*cand = nv;
			*cap = ncap;
		}
		memcpy(*cand + *ncand, m->items, 2 * m->n * sizeof **cand);
		*ncand += 2 * m->n;
		c->nodes += m->n;
	}
	return 0;
}

/* Check a finished mapping: scalar keys, no duplicates, `<<` merges applied.
 * items/n are the raw pairs (2n pointers); the result goes into m. */
int tree_map_finish(cx *c, ynode *m, ynode **items, size_t npairs)
{
	keyref *refs = malloc((npairs ? npairs : 1) * sizeof *refs);
	ynode **merge = NULL;
	size_t nmerge = 0, mcap = 0, nrefs = 0;
	int rc = 0;
	if (!refs)
		return trib_error_set(TRIB_ENOMEM, "out of memory checking a mapping");

	for (size_t i = 0; i < npairs; i++) {
		ynode *k = items[2 * i];
		if (k->type == Y_SEQ || k->type == Y_MAP) {
			diag(c, ING_ERROR, k, "a mapping key must be a scalar, not %s", ytype_name(k->type));
			continue;
		}
		if (k->type == Y_STR && !k->quoted && strcmp(k->s, "<<") == 0) {
			if ((rc = merge_sources(c, items[2 * i + 1], &merge, &nmerge, &mcap)) != 0)
				goto out;
			continue;
		}
		refs[nrefs].key = k;
		refs[nrefs].idx = i;
		nrefs++;
	}
	qsort(refs, nrefs, sizeof *refs, keyref_cmp);

	/* Keep the first of each key, in source order. */
	unsigned char *drop = calloc(npairs ? npairs : 1, 1);
	if (!drop) {
		rc = trib_error_set(TRIB_ENOMEM, "out of memory checking a mapping");
		goto out;
	}
	for (size_t i = 1, g = 0; i < nrefs; i++) {
		if (strcmp(refs[i].key->s, refs[g].key->s) != 0) {
			g = i;
			continue;
		}
		diag(c, ING_ERROR, refs[i].key, "duplicate key '%s' (first at line %u, column %u)", refs[i].key->s,
		     refs[g].key->line, refs[g].key->col);
		drop[refs[i].idx] = 1;
	}

	/* Merged pairs fill in keys the mapping does not have; earlier sources win. */
	size_t nkeep_merge = 0;
	keyref *mrefs = NULL;
	if (nmerge) {
		mrefs = malloc((nmerge / 2) * sizeof *mrefs);
		if (!mrefs) {
			free(drop);
			rc = trib_error_set(TRIB_ENOMEM, "out of memory merging a mapping");
			goto out;
		}
		for (size_t i = 0; i < nmerge / 2; i++) {
			mrefs[i].key = merge[2 * i];
			mrefs[i].idx = i;
		}
		qsort(mrefs, nmerge / 2, sizeof *mrefs, keyref_cmp);
		for (size_t i = 0; i < nmerge / 2; i++) {
			int dup_earlier = i > 0 && strcmp(mrefs[i].key->s, mrefs[i - 1].key->s) == 0;
			if (dup_earlier || keyref_find(refs, nrefs, mrefs[i].key->s))
				merge[2 * mrefs[i].idx] = NULL;
			else
				nkeep_merge++;
		}
		free(mrefs);
	}

	size_t nkeep = 0;
	for (size_t i = 0; i < nrefs; i++)
		nkeep += !drop[refs[i].idx];
	m->n = (uint32_t)(nkeep + nkeep_merge);
	m->items = tmp_alloc(c, (m->n ? 2 * m->n : 1) * sizeof *m->items);
	if (!m->items) {
		free(drop);
		rc = c->fatal;
		goto out;
	}
	size_t o = 0;
	for (size_t i = 0; i < npairs; i++) {
		ynode *k = items[2 * i];
		if (drop[i] || k->type == Y_SEQ || k->type == Y_MAP ||
		    (k->type == Y_STR && !k->quoted && strcmp(k->s, "<<") == 0))
			continue;
		m->items[o++] = k;
		m->items[o++] = items[2 * i + 1];
	}
	for (size_t i = 0; i < nmerge / 2; i++) {
		if (!merge[2 * i])
			continue;
		m->items[o++] = merge[2 * i];
		m->items[o++] = merge[2 * i + 1];
	}
	free(drop);
out:
	free(refs);
	free(merge);
	return rc;
}

/* ------------------------------------------------------------------ anchors */

typedef struct anchor_tab {
	char **names;
	ynode **nodes;
	size_t cap, n;
} anchor_tab;

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ull;
	return h;
}

static void anchors_clear(anchor_tab *t)
{
	for (size_t i = 0; i < t->cap; i++)
		free(t->names[i]);
	free(t->names);
	free(t->nodes);
	memset(t, 0, sizeof *t);
}

static int anchors_put(anchor_tab *t, const char *name, ynode *node)
{
	if (2 * (t->n + 1) > t->cap) {
		anchor_tab g = {0};
		g.cap = t->cap ? t->cap * 2 : 64;
		g.names = calloc(g.cap, sizeof *g.names);
		g.nodes = calloc(g.cap, sizeof *g.nodes);
		if (!g.names || !g.nodes) {
			free(g.names);
			free(g.nodes);
			return trib_error_set(TRIB_ENOMEM, "out of memory storing an anchor");
		}
		for (size_t i = 0; i < t->cap; i++) {
			if (!t->names[i])
				continue;
			size_t j = hash_str(t->names[i]) & (g.cap - 1);
			while (g.names[j])
				j = (j + 1) & (g.cap - 1);
			g.names[j] = t->names[i];
			g.nodes[j] = t->nodes[i];
			g.n++;
		}
		free(t->names);
		free(t->nodes);
		*t = g;
	}
	size_t j = hash_str(name) & (t->cap - 1);
	while (t->names[j] && strcmp(t->names[j], name) != 0)
		j = (j + 1) & (t->cap - 1);
	if (!t->names[j]) {
		t->names[j] = strdup(name);
		if (!t->names[j])
			return trib_error_set(TRIB_ENOMEM, "out of memory storing an anchor");
		t->n++;
	}
	t->nodes[j] = node; /* a redefined anchor refers to its latest node */
	return 0;
}

static ynode *anchors_get(const anchor_tab *t, const char *name)
{
	if (!t->cap)
		return NULL;
	size_t j = hash_str(name) & (t->cap - 1);
	while (t->names[j]) {
		if (strcmp(t->names[j], name) == 0)
			return t->nodes[j];
		j = (j + 1) & (t->cap - 1);
	}
	return NULL;
}

/* ------------------------------------------------------------------ builder */

typedef struct frame {
	ynode *node;
	ynode **items;
	size_t n, cap;
	char *anchor; /* registered when the collection ends: an alias inside it would be a cycle */
} frame;

typedef struct builder {
	cx *c;
	frame *stack;
	size_t depth;
	ynode *root;
	anchor_tab anchors;
} builder;

static int add_child(builder *b, ynode *n)
{
	cx *c = b->c;
	if (++c->nodes > ING_MAX_NODES) {
		diag(c, ING_ERROR, n, "more than %u YAML nodes in one file", ING_MAX_NODES);
		return -1;
	}
	if (b->depth == 0) {
		b->root = n;
		return 0;
	}
	frame *f = &b->stack[b->depth - 1];
	if (f->n == f->cap) {
		size_t ncap = f->cap ? f->cap * 2 : 8;
		ynode **nv = realloc(f->items, ncap * sizeof *nv);
		if (!nv)
			return trib_error_set(TRIB_ENOMEM, "out of memory reading YAML");
		f->items = nv;
		f->cap = ncap;
	}
	f->items[f->n++] = n;
	return 0;
}

static ynode *new_node(cx *c, ytype t, const yaml_mark_t *m)
{
	ynode *n = node_alloc(c);
	if (!n)
		return NULL;
	n->type = (unsigned char)t;
	n->line = (uint32_t)m->line + 1;
	n->col = (uint32_t)m->column + 1;
	return n;
}

static int on_scalar(builder *b, const yaml_event_t *e)
{
	cx *c = b->c;
	ynode *n = new_node(c, Y_STR, &e->start_mark);
	if (!n)
		return c->fatal;
	const char *v = (const char *)e->data.scalar.value;
	size_t len = e->data.scalar.length;
	if (memchr(v, '\0', len)) {
		diag(c, ING_ERROR, n, "a NUL character inside a string is not supported");
		return -1;
	}
	/* Keys are only looked at; values may end up in messages, so they go to
	 * the caller's arena. An anchored key might be aliased as a value. */
	frame *top = b->depth ? &b->stack[b->depth - 1] : NULL;
	int is_key = top && top->node->type == Y_MAP && top->n % 2 == 0 && !e->data.scalar.anchor;
	char *s;
	if (is_key) {
		s = tmp_alloc(c, len + 1);
		if (s) {
			memcpy(s, v, len);
			s[len] = '\0';
		}
	} else {
		s = str_keep(c, v, len);
	}
	if (!s)
		return c->fatal;
	n->s = s;
	n->len = (uint32_t)len;
	const char *tag = (const char *)e->data.scalar.tag;
	if (tag && strcmp(tag, TAG_PREFIX "str") == 0) {
		n->quoted = 1;
	} else if (e->data.scalar.plain_implicit || (tag && strncmp(tag, TAG_PREFIX, strlen(TAG_PREFIX)) == 0)) {
		/* Plain scalars, and explicit core tags (!!int "5"), resolve by content. */
		resolve_plain(n);
	} else {
		n->quoted = 1;
	}
	if (e->data.scalar.anchor && anchors_put(&b->anchors, (const char *)e->data.scalar.anchor, n) != 0)
		return TRIB_ENOMEM;
	return add_child(b, n);
}

static int on_start(builder *b, const yaml_event_t *e, ytype t)
{
	cx *c = b->c;
	if (b->depth >= c->opts.max_depth) {
		diag_at(c, ING_ERROR, (unsigned)e->start_mark.line + 1, (unsigned)e->start_mark.column + 1,
			"nesting deeper than %u levels", c->opts.max_depth);
		return -1;
	}
	ynode *n = new_node(c, t, &e->start_mark);
	if (!n)
		return c->fatal;
	const yaml_char_t *anchor = t == Y_SEQ ? e->data.sequence_start.anchor : e->data.mapping_start.anchor;
	frame *f = &b->stack[b->depth];
	memset(f, 0, sizeof *f);
	f->node = n;
	if (anchor && !(f->anchor = strdup((const char *)anchor)))
		return trib_error_set(TRIB_ENOMEM, "out of memory storing an anchor");
	b->depth++;
	return 0;
}

static int on_end(builder *b)
{
	cx *c = b->c;
	frame *f = &b->stack[--b->depth];
	ynode *n = f->node;
	int rc = 0;
	if (n->type == Y_MAP) {
		rc = tree_map_finish(c, n, f->items, f->n / 2);
	} else {
		n->n = (uint32_t)f->n;
		n->items = tmp_alloc(c, (f->n ? f->n : 1) * sizeof *n->items);
		if (!n->items)
			rc = c->fatal;
		else if (f->n)
			memcpy(n->items, f->items, f->n * sizeof *n->items);
	}
	free(f->items);
	f->items = NULL;
	if (rc == 0 && f->anchor)
		rc = anchors_put(&b->anchors, f->anchor, n);
	free(f->anchor);
	f->anchor = NULL;
	if (rc != 0)
		return rc;
	return add_child(b, n);
}

static int on_alias(builder *b, const yaml_event_t *e)
{
	cx *c = b->c;
	const char *name = (const char *)e->data.alias.anchor;
	ynode *target = anchors_get(&b->anchors, name);
	if (!target) {
		int open = 0;
		for (size_t i = 0; i < b->depth; i++)
			open |= b->stack[i].anchor && strcmp(b->stack[i].anchor, name) == 0;
		diag_at(c, ING_ERROR, (unsigned)e->start_mark.line + 1, (unsigned)e->start_mark.column + 1,
			open ? "alias '*%s' refers to a collection that contains it" : "unknown alias '*%s'", name);
		return -1;
	}
	return add_child(b, target);
}

/* Byte offset of a 1-based line and column (columns count characters). */
static size_t offset_of(const char *data, size_t len, size_t line, size_t col)
{
	size_t off = 0;
	for (size_t l = 1; l < line && off < len; off++)
		if (data[off] == '\n')
			l++;
	for (size_t k = 1; k < col && off < len; off++)
		if (((unsigned char)data[off] & 0xC0) != 0x80)
			k++;
	while (off < len && ((unsigned char)data[off] & 0xC0) == 0x80)
		off++;
	return off;
}

static void position_of(const char *data, size_t len, size_t offset, unsigned *line, unsigned *col)
{
	unsigned l = 1, k = 1;
	for (size_t i = 0; i < offset && i < len; i++) {
		if (data[i] == '\n') {
			l++;
			k = 1;
		} else if (((unsigned char)data[i] & 0xC0) != 0x80) {
			k++;
		}
	}
	*line = l;
	*col = k;
}

static int report_parser_error(cx *c, const yaml_parser_t *p, const char *data, size_t len)
{
	unsigned line, col;
	if (p->error == YAML_MEMORY_ERROR)
		return trib_error_set(TRIB_ENOMEM, "out of memory in the YAML parser");
	if (p->error == YAML_READER_ERROR) {
		position_of(data, len, p->problem_offset, &line, &col);
		if (p->problem_value != -1)
			diag_at(c, ING_ERROR, line, col, "%s (byte 0x%02x)", p->problem, (unsigned)p->problem_value & 0xff);
		else
			diag_at(c, ING_ERROR, line, col, "%s", p->problem);
		return -1;
	}
	line = (unsigned)p->problem_mark.line + 1;
	col = (unsigned)p->problem_mark.column + 1;
	size_t off = offset_of(data, len, line, col);
	const char *hint = "";
	if (off < len && data[off] == '\t') {
		hint = "; a tab cannot indent YAML, use spaces";
	} else if (off >= len) {
		hint = "; the file ends too early (truncated?)";
		/* libyaml adds a line break at the end of the stream: point at the real end. */
		position_of(data, len, len, &line, &col);
	}
	if (p->context)
		diag_at(c, ING_ERROR, line, col, "%s (%s at line %u, column %u)%s", p->problem ? p->problem : "syntax error",
			p->context, (unsigned)p->context_mark.line + 1, (unsigned)p->context_mark.column + 1, hint);
	else
		diag_at(c, ING_ERROR, line, col, "%s%s", p->problem ? p->problem : "syntax error", hint);
	return -1;
}

int tree_parse_yaml(cx *c, const char *data, size_t len, doc_fn fn, void *arg)
{
	builder b;
	memset(&b, 0, sizeof b);
	b.c = c;
	b.stack = calloc(c->opts.max_depth + 1, sizeof *b.stack);
	if (!b.stack)
		return trib_error_set(TRIB_ENOMEM, "out of memory reading YAML");
	yaml_parser_t parser;
	if (!yaml_parser_initialize(&parser)) {
		free(b.stack);
		return trib_error_set(TRIB_ENOMEM, "out of memory starting the YAML parser");
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)data, len);

	int rc = 0, done = 0;
	while (!done && rc == 0) {
		yaml_event_t e;
		if (!yaml_parser_parse(&parser, &e)) {
			rc = report_parser_error(c, &parser, data, len);
			break;
		}
		switch (e.type) {
		case YAML_DOCUMENT_START_EVENT:
			b.root = NULL;
			anchors_clear(&b.anchors);
			break;
		case YAML_DOCUMENT_END_EVENT:
			fn(c, b.root, arg);
			b.root = NULL;
			anchors_clear(&b.anchors);
			cx_clear_tmp(c);
			break;
		case YAML_SCALAR_EVENT: rc = on_scalar(&b, &e); break;
		case YAML_SEQUENCE_START_EVENT: rc = on_start(&b, &e, Y_SEQ); break;
		case YAML_MAPPING_START_EVENT: rc = on_start(&b, &e, Y_MAP); break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT: rc = on_end(&b); break;
		case YAML_ALIAS_EVENT: rc = on_alias(&b, &e); break;
		case YAML_STREAM_END_EVENT: done = 1; break;
		default: break;
		}
		yaml_event_delete(&e);
		if (c->fatal && rc == 0)
			rc = c->fatal;
	}
	yaml_parser_delete(&parser);
	while (b.depth > 0) {
		frame *f = &b.stack[--b.depth];
		free(f->items);
		free(f->anchor);
	}
	free(b.stack);
	anchors_clear(&b.anchors);
	if (rc < -1 && !c->fatal)
		c->fatal = rc; /* an allocation failed outside the arena */
	return c->fatal ? c->fatal : rc;
}
