/* Bump allocator: chunks in a list, the newest first. */
#include "tributary/arena.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tributary/error.h"

#define ALIGN 16u
#define DEFAULT_CHUNK (16u * 1024u)
#define MAX_CHUNK (4u * 1024u * 1024u)

struct trib_arena_chunk {
	trib_arena_chunk *next;
	size_t size; /* usable bytes in data */
	size_t off;
	_Alignas(16) unsigned char data[];
};

static void *pb_alloc(void *ctx, size_t size)
{
	return trib_arena_alloc(ctx, size);
}

static void pb_free(void *ctx, void *p)
{
	(void)ctx;
	(void)p;
}

#define RETAIN_CHUNKS 64u

void trib_arena_init(trib_arena *a, size_t chunk_size)
{
	memset(a, 0, sizeof *a);
	a->chunk_size = chunk_size ? chunk_size : DEFAULT_CHUNK;
	a->retain = a->chunk_size <= SIZE_MAX / RETAIN_CHUNKS ? a->chunk_size * RETAIN_CHUNKS : SIZE_MAX;
	a->pb.alloc = pb_alloc;
	a->pb.free = pb_free;
	a->pb.allocator_data = a;
}

static void free_list(trib_arena_chunk *c)
{
	while (c) {
		trib_arena_chunk *next = c->next;
		free(c);
		c = next;
	}
}

void trib_arena_dispose(trib_arena *a)
{
	free_list(a->head);
	free_list(a->spare);
	a->head = a->spare = NULL;
	a->spare_bytes = 0;
	a->used = 0;
}

void trib_arena_clear(trib_arena *a)
{
	trib_arena_chunk *keep = a->head;
	a->refused = 0;
	if (!keep)
		return;
	/* Keep the newest (largest ordinary) chunk in place; the others become
	 * spares while they fit in `retain`, so the next similar call reuses
	 * memory it has already touched instead of faulting in fresh pages. */
	trib_arena_chunk *c = keep->next;
	while (c) {
		trib_arena_chunk *next = c->next;
		if (a->spare_bytes + c->size <= a->retain && a->spare_bytes + c->size >= a->spare_bytes) {
			c->next = a->spare;
			a->spare = c;
			a->spare_bytes += c->size;
		} else {
			free(c);
		}
		c = next;
	}
	keep->next = NULL;
	keep->off = 0;
	a->used = 0;
}

/* The smallest spare chunk of at least `size` bytes, unlinked; NULL if none. */
static trib_arena_chunk *take_spare(trib_arena *a, size_t size)
{
	trib_arena_chunk **best = NULL;
	for (trib_arena_chunk **p = &a->spare; *p; p = &(*p)->next)
		if ((*p)->size >= size && (!best || (*p)->size < (*best)->size))
			best = p;
	if (!best)
		return NULL;
	trib_arena_chunk *c = *best;
	*best = c->next;
	a->spare_bytes -= c->size;
	c->off = 0;
	return c;
}

void *trib_arena_alloc(trib_arena *a, size_t size)
{
	size_t need = (size + (ALIGN - 1)) & ~(size_t)(ALIGN - 1);
	if (need < size) {
		trib_error_set(TRIB_ELIMIT, "arena: allocation of %zu bytes overflows", size);
		return NULL;
	}
	if (need == 0)
		need = ALIGN;
	if (a->limit && a->used + need > a->limit) {
		a->refused = 1;
		trib_error_set(TRIB_ELIMIT, "request memory limit of %zu bytes exceeded", a->limit);
		return NULL;
	}
	trib_arena_chunk *c = a->head;
	if (!c || c->size - c->off < need) {
		size_t sz = a->chunk_size;
		while (sz < need)
			sz = sz > SIZE_MAX / 2 ? need : sz * 2;
		if (sizeof *c + sz < sz) {
			trib_error_set(TRIB_ELIMIT, "arena: allocation of %zu bytes overflows", size);
			return NULL;
		}
		trib_arena_chunk *n = take_spare(a, need > a->chunk_size ? need : sz);
		if (!n) {
			n = malloc(sizeof *n + sz);
			if (!n) {
				trib_error_set(TRIB_ENOMEM, "out of memory allocating %zu bytes", sz);
				return NULL;
			}
			n->size = sz;
			n->off = 0;
		}
		if (c && need > a->chunk_size) {
			/* An oversized block goes behind the current chunk so the
			 * current chunk's free space stays usable. */
			n->next = c->next;
			c->next = n;
			n->off = need;
			a->used += need;
			return n->data;
		}
		n->next = c;
		a->head = n;
		c = n;
		if (a->chunk_size < MAX_CHUNK)
			a->chunk_size *= 2;
	}
	void *p = c->data + c->off;
	c->off += need;
	a->used += need;
	return p;
}

void *trib_arena_calloc(trib_arena *a, size_t n, size_t size)
{
	size_t total = 0;
	if (trib_mul_size(&total, n, size) != 0)
		return NULL;
	void *p = trib_arena_alloc(a, total);
	if (p)
		memset(p, 0, total);
	return p;
}

void *trib_arena_realloc(trib_arena *a, void *old, size_t old_size, size_t new_size)
{
	if (new_size <= old_size)
		return old;
	size_t oldr = (old_size + (ALIGN - 1)) & ~(size_t)(ALIGN - 1);
	size_t newr = (new_size + (ALIGN - 1)) & ~(size_t)(ALIGN - 1);
	if (old && oldr >= old_size && newr >= new_size) {
		/* Grow in place when old is the latest allocation of its chunk: the
		 * current chunk, or an oversized one just behind it. */
		trib_arena_chunk *c = a->head;
		for (int i = 0; c && i < 2; c = c->next, i++) {
			uintptr_t o = (uintptr_t)old, lo = (uintptr_t)c->data, end = lo + c->off;
			if (o < lo || o > end || end - o != oldr)
				continue;
			size_t start = (size_t)(o - lo);
			if (c->size - start < newr || (a->limit && a->used + (newr - oldr) > a->limit))
				break;
			c->off = start + newr;
			a->used += newr - oldr;
			return old;
		}
	}
	void *p = trib_arena_alloc(a, new_size);
	if (p && old)
		memcpy(p, old, old_size);
	return p;
}

char *trib_arena_strndup(trib_arena *a, const char *s, size_t n)
{
	if (n == SIZE_MAX) {
		trib_error_set(TRIB_ELIMIT, "arena: string of %zu bytes overflows", n);
		return NULL;
	}
	char *p = trib_arena_alloc(a, n + 1);
	if (!p)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *trib_arena_strdup(trib_arena *a, const char *s)
{
	return trib_arena_strndup(a, s, strlen(s));
}

char *trib_arena_printf(trib_arena *a, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return NULL;
	char *p = trib_arena_alloc(a, (size_t)n + 1);
	if (!p)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

ProtobufCAllocator *trib_arena_pb(trib_arena *a)
{
	return &a->pb;
}

size_t trib_arena_used(const trib_arena *a)
{
	return a->used;
}

int trib_mul_size(size_t *out, size_t a, size_t b)
{
	if (a && b > SIZE_MAX / a)
		return trib_error_set(TRIB_ELIMIT, "size %zu x %zu overflows", a, b);
	*out = a * b;
	return 0;
}

/* The next capacity of an array that must hold element n: double, at least min. */
static int next_cap(size_t *ncap, size_t *nbytes, size_t cap, size_t size, size_t min)
{
	size_t c = cap ? cap : (min ? min : 1);
	if (cap) {
		if (cap > SIZE_MAX / 2)
			return trib_error_set(TRIB_ELIMIT, "array of %zu elements cannot grow", cap);
		c = cap * 2;
	}
	if (trib_mul_size(nbytes, c, size) != 0)
		return TRIB_ELIMIT;
	*ncap = c;
	return 0;
}

/* arrp is a T ** for some object type T: its pointer is read and written as void *. */
int trib_arena_reserve(trib_arena *a, void *arrp, size_t *cap, size_t n, size_t size, size_t min)
{
	if (n < *cap)
		return 0;
	size_t ncap = 0, nbytes = 0;
	if (next_cap(&ncap, &nbytes, *cap, size, min) != 0)
		return TRIB_ELIMIT;
	void *old;
	memcpy(&old, arrp, sizeof old);
	void *p = trib_arena_realloc(a, old, *cap * size, nbytes);
	if (!p)
		return trib_error_last_code();
	memcpy(arrp, &p, sizeof p);
	*cap = ncap;
	return 0;
}

int trib_heap_reserve(void *arrp, size_t *cap, size_t n, size_t size, size_t min)
{
	if (n < *cap)
		return 0;
	size_t ncap = 0, nbytes = 0;
	if (next_cap(&ncap, &nbytes, *cap, size, min) != 0)
		return TRIB_ELIMIT;
	void *old;
	memcpy(&old, arrp, sizeof old);
	void *p = realloc(old, nbytes);
	if (!p)
		return trib_error_set(TRIB_ENOMEM, "out of memory growing an array to %zu elements", ncap);
	memcpy(arrp, &p, sizeof p);
	*cap = ncap;
	return 0;
}
