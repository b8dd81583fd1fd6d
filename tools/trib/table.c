/* Aligned text tables and text helpers for human output. */
#include "table.h"

#include <inttypes.h>
#include <stdarg.h>
#include <string.h>
#include <time.h>

#include "tributary/error.h"

size_t trib_text_width(const char *s)
{
	size_t w = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if ((*p & 0xc0) != 0x80) /* continuation bytes add no column */
			w++;
	return w;
}

char *trib_text_clean(trib_arena *a, const char *s)
{
	char *c = trib_arena_strdup(a, s ? s : "");
	if (!c)
		return (char *)"";
	for (char *p = c; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	return c;
}

const char *trib_text_or_dash(const char *s)
{
	return s && *s ? s : "-";
}

char *trib_text_join(trib_arena *a, char *const *items, size_t n, const char *sep)
{
	size_t len = 1, seplen = strlen(sep);
	for (size_t i = 0; i < n; i++)
		len += strlen(items[i]) + seplen;
	char *buf = trib_arena_alloc(a, len);
	if (!buf)
		return (char *)"";
	char *p = buf;
	for (size_t i = 0; i < n; i++) {
		if (i) {
			memcpy(p, sep, seplen);
			p += seplen;
		}
		size_t l = strlen(items[i]);
		memcpy(p, items[i], l);
		p += l;
	}
	*p = '\0';
	return buf;
}

char *trib_text_time(trib_arena *a, int64_t ms)
{
	if (ms <= 0)
		return (char *)"-";
	time_t secs = (time_t)(ms / 1000);
	struct tm tm;
	char buf[32];
	if (!gmtime_r(&secs, &tm) || !strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%SZ", &tm))
		return trib_arena_printf(a, "%" PRId64 "ms", ms);
	return trib_arena_strdup(a, buf);
}

char *trib_text_u64(trib_arena *a, uint64_t v)
{
	return trib_arena_printf(a, "%" PRIu64, v);
}

static int grow(trib_table *t)
{
	if (t->nrows < t->cap)
		return 0;
	size_t cap = t->cap ? t->cap * 2 : 16;
	size_t old_bytes, new_bytes;
	if (trib_mul_size(&old_bytes, t->cap, t->ncols * sizeof *t->cells) ||
	    trib_mul_size(&new_bytes, cap, t->ncols * sizeof *t->cells))
		return TRIB_ELIMIT;
	const char **cells = trib_arena_realloc(t->arena, t->cells, old_bytes, new_bytes);
	if (!cells)
		return TRIB_ENOMEM;
	t->cells = cells;
	t->cap = cap;
	return 0;
}

static int add_row(trib_table *t, va_list ap)
{
	int rc = grow(t);
	if (rc)
		return rc;
	const char **row = t->cells + t->nrows * t->ncols;
	for (size_t i = 0; i < t->ncols; i++) {
		const char *s = va_arg(ap, const char *);
		row[i] = trib_text_clean(t->arena, trib_text_or_dash(s));
	}
	t->nrows++;
	return 0;
}

void trib_table_init(trib_table *t, trib_arena *arena, size_t ncols, ...)
{
	memset(t, 0, sizeof *t);
	t->arena = arena;
	t->ncols = ncols;
	va_list ap;
	va_start(ap, ncols);
	add_row(t, ap);
	va_end(ap);
}

void trib_table_right(trib_table *t, size_t col)
{
	t->right |= 1u << col;
}

int trib_table_row(trib_table *t, ...)
{
	va_list ap;
	va_start(ap, t);
	int rc = add_row(t, ap);
	va_end(ap);
	return rc;
}

void trib_table_print(FILE *out, const trib_table *t, int always_header)
{
	if (t->nrows == 0 || (t->nrows == 1 && !always_header))
		return;
	size_t width[32] = {0};
	size_t ncols = t->ncols < 32 ? t->ncols : 32;
	for (size_t r = t->no_header ? 1 : 0; r < t->nrows; r++)
		for (size_t c = 0; c < ncols; c++) {
			size_t w = trib_text_width(t->cells[r * t->ncols + c]);
			if (w > width[c])
				width[c] = w;
		}
	for (size_t r = t->no_header ? 1 : 0; r < t->nrows; r++) {
		if (t->indent)
			fputs(t->indent, out);
		for (size_t c = 0; c < ncols; c++) {
			const char *cell = t->cells[r * t->ncols + c];
			size_t pad = width[c] - trib_text_width(cell);
			int last = c + 1 == ncols;
			if (c)
				fputs("  ", out);
			if (t->right & (1u << c))
				for (size_t k = 0; k < pad; k++)
					fputc(' ', out);
			fputs(cell, out);
			if (!(t->right & (1u << c)) && !last)
				for (size_t k = 0; k < pad; k++)
					fputc(' ', out);
		}
		fputc('\n', out);
	}
}
