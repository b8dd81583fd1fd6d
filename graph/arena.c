/* Bump allocator: chunks in a list, the newest first. */
#include "tributary/arena.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "tributary/error.h"

#define BIG_MAP_MIN ((size_t)2 << 20) /* arena chunks from this size get a mapping of their own */
/* Scratch blocks and growing arrays, which live for one query, from this size:
 * one huge page is cheaper to fault in than a few hundred small ones. Arena
 * chunks are kept for reuse between calls, so they keep to whole huge pages. */
#define SCRATCH_MAP_MIN ((size_t)256 << 10)

/* A big block (below) of size bytes, mapped from map_min bytes on. */
static void *big_alloc(size_t size, size_t map_min, size_t room);

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
		trib_big_free(c);
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
			trib_big_free(c);
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
			n = big_alloc(sizeof *n + sz, BIG_MAP_MIN, 1);
			if (!n) {
				trib_error_set(TRIB_ENOMEM, "out of memory allocating %zu bytes", sz);
				return NULL;
			}
			/* A chunk with a mapping of its own uses all of it. */
			n->size = trib_big_usable(n) - sizeof *n;
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

/* Moves an array to a block of new_bytes keeping its old_bytes; NULL with the error set. */
typedef void *(*grow_fn)(void *ctx, void *old, size_t old_bytes, size_t new_bytes);

/* The growth the reserve functions share. arrp is a T ** for some object
 * type T: its pointer is read and written as void *. */
static int reserve(void *arrp, size_t *cap, size_t n, size_t size, size_t min, grow_fn grow, void *ctx)
{
	if (n < *cap)
		return 0;
	size_t ncap = 0, nbytes = 0;
	if (next_cap(&ncap, &nbytes, *cap, size, min) != 0)
		return TRIB_ELIMIT;
	void *old;
	memcpy(&old, arrp, sizeof old);
	void *p = grow(ctx, old, *cap * size, nbytes);
	if (!p)
		return trib_error_last_code();
	memcpy(arrp, &p, sizeof p);
	*cap = ncap;
	return 0;
}

static void *arena_grow(void *ctx, void *old, size_t old_bytes, size_t new_bytes)
{
	return trib_arena_realloc(ctx, old, old_bytes, new_bytes);
}

int trib_arena_reserve(trib_arena *a, void *arrp, size_t *cap, size_t n, size_t size, size_t min)
{
	return reserve(arrp, cap, n, size, min, arena_grow, a);
}

static void *heap_grow(void *ctx, void *old, size_t old_bytes, size_t new_bytes)
{
	(void)ctx;
	(void)old_bytes;
	void *p = realloc(old, new_bytes);
	if (!p)
		trib_error_set(TRIB_ENOMEM, "out of memory growing an array to %zu bytes", new_bytes);
	return p;
}

int trib_heap_reserve(void *arrp, size_t *cap, size_t n, size_t size, size_t min)
{
	return reserve(arrp, cap, n, size, min, heap_grow, NULL);
}

/* ------------------------------------------------------------ big blocks */

#define HUGE_PAGE ((size_t)2 << 20)
#define BIG_HDR 64u                   /* header before the block; keeps 16-byte alignment */
#define GROW_ROOM 8u                  /* address space a growing array maps, in its size */

typedef struct big_hdr {
	size_t map; /* bytes mapped at the header, 0 = malloc'd */
	size_t size;
} big_hdr;

/* A mapping of at least total bytes; flags add to MAP_PRIVATE | MAP_ANONYMOUS. */
static void *big_map(size_t total, int flags)
{
	size_t len = (total + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
	if (len < total || len > SIZE_MAX - HUGE_PAGE)
		return NULL;
	/* Map one huge page more, then unmap the ends so the block starts on a
	 * huge-page boundary: only aligned 2 MiB ranges can be huge pages. */
	unsigned char *raw =
		mmap(NULL, len + HUGE_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | flags, -1, 0);
	if (raw == MAP_FAILED)
		return NULL;
	uintptr_t start = ((uintptr_t)raw + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1);
	size_t head = (size_t)(start - (uintptr_t)raw);
	if (head)
		munmap(raw, head);
	if (HUGE_PAGE - head)
		munmap((unsigned char *)start + len, HUGE_PAGE - head);
#ifdef MADV_HUGEPAGE
	madvise((void *)start, len, MADV_HUGEPAGE); /* advice: without THP the block is ordinary pages */
#endif
	big_hdr *h = (big_hdr *)start;
	h->map = len;
	return h;
}

/*
 * A block of size bytes, mapped from map_min bytes on. A mapping reserves
 * room times size in address space (MAP_NORESERVE: backed only when touched)
 * when it can, else just what is asked; below map_min, or when no mapping can
 * be had, the block is malloc'd.
 */
static void *big_alloc(size_t size, size_t map_min, size_t room)
{
	if (size > (SIZE_MAX - BIG_HDR) / room) {
		trib_error_set(TRIB_ELIMIT, "a block of %zu bytes overflows", size);
		return NULL;
	}
	size_t total = size + BIG_HDR;
	big_hdr *h = NULL;
	if (total >= map_min && room > 1)
		h = big_map(size * room + BIG_HDR, MAP_NORESERVE);
	if (!h && total >= map_min)
		h = big_map(total, 0);
	if (!h) {
		h = malloc(total);
		if (!h) {
			trib_error_set(TRIB_ENOMEM, "out of memory allocating %zu bytes", size);
			return NULL;
		}
		h->map = 0;
	}
	h->size = size;
	return (unsigned char *)h + BIG_HDR;
}

void *trib_big_alloc(size_t size)
{
	return big_alloc(size, SCRATCH_MAP_MIN, 1);
}

void *trib_big_calloc(size_t n, size_t size)
{
	size_t total = 0;
	if (trib_mul_size(&total, n, size) != 0)
		return NULL;
	unsigned char *p = trib_big_alloc(total);
	if (p && ((big_hdr *)(p - BIG_HDR))->map == 0)
		memset(p, 0, total);
	return p;
}

size_t trib_big_usable(const void *p)
{
	const big_hdr *h = (const big_hdr *)((const unsigned char *)p - BIG_HDR);
	return h->map ? h->map - BIG_HDR : h->size;
}

void trib_big_free(void *p)
{
	if (!p)
		return;
	big_hdr *h = (big_hdr *)((unsigned char *)p - BIG_HDR);
	if (h->map)
		munmap(h, h->map);
	else
		free(h);
}

static void *big_grow(void *ctx, void *old, size_t old_bytes, size_t new_bytes)
{
	(void)ctx;
	big_hdr *h = old ? (big_hdr *)((unsigned char *)old - BIG_HDR) : NULL;
	if (h && !h->map && new_bytes + BIG_HDR < SCRATCH_MAP_MIN) {
		/* Still small: realloc may grow it in place. */
		big_hdr *g = realloc(h, new_bytes + BIG_HDR);
		if (!g) {
			trib_error_set(TRIB_ENOMEM, "out of memory growing an array to %zu bytes", new_bytes);
			return NULL;
		}
		g->size = new_bytes;
		return (unsigned char *)g + BIG_HDR;
	}
	if (h && h->map && new_bytes + BIG_HDR <= h->map) {
		h->size = new_bytes; /* the mapping holds it already */
		return old;
	}
	/* A growing array moves to a mapping early (one huge page instead of
	 * a few hundred small ones being faulted in and copied by realloc),
	 * with eight times the room in address space, so the next doublings
	 * need no copy. */
	void *p = big_alloc(new_bytes, SCRATCH_MAP_MIN, GROW_ROOM);
	if (p && old) {
		memcpy(p, old, old_bytes);
		trib_big_free(old);
	}
	return p;
}

int trib_big_reserve(void *arrp, size_t *cap, size_t n, size_t size, size_t min)
{
	return reserve(arrp, cap, n, size, min, big_grow, NULL);
}
