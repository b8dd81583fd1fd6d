/**
 * @file arena.h
 * @brief A bump allocator for many small objects that die together.
 *
 * The server gives each call one arena; decoded requests, keys, records and
 * traversal results live there and are freed by one trib_arena_clear() or
 * trib_arena_dispose(). Not thread-safe: one arena belongs to one thread at a time.
 */
#ifndef TRIBUTARY_ARENA_H
#define TRIBUTARY_ARENA_H

#include <stddef.h>
#include <protobuf-c/protobuf-c.h>

typedef struct trib_arena_chunk trib_arena_chunk;

typedef struct trib_arena {
	trib_arena_chunk *head; /* current chunk; older chunks follow */
	size_t chunk_size;      /* size of the next ordinary chunk */
	size_t used;            /* bytes handed out since the last clear */
	size_t limit;           /* 0 = unlimited; else allocation fails beyond it */
	ProtobufCAllocator pb;  /* allocator view for protobuf-c (free is a no-op) */
	trib_arena_chunk *spare;/* chunks kept by trib_arena_clear for reuse */
	size_t spare_bytes;     /* their total size */
	size_t retain;          /* most bytes of spare chunks kept; set by init, may be changed */
	int refused;            /* `limit` refused an allocation since the last clear: tells a
	                           TRIB_ELIMIT of this arena from other limits met meanwhile */
} trib_arena;

/**
 * Prepare an arena whose first chunk is `chunk_size` bytes (0 = 16 KiB).
 * trib_arena_clear keeps up to 64 x chunk_size of further chunks for reuse
 * (field `retain`), so an arena reused for similar calls stops touching fresh
 * memory.
 */
void trib_arena_init(trib_arena *a, size_t chunk_size);

/** Free every chunk. The arena may be initialised again. */
void trib_arena_dispose(trib_arena *a);

/** Release everything allocated, keeping the current chunk and up to `retain` bytes of others for reuse. */
void trib_arena_clear(trib_arena *a);

/** 16-byte aligned memory owned by the arena, or NULL (TRIB_ENOMEM / TRIB_ELIMIT set). */
void *trib_arena_alloc(trib_arena *a, size_t size);

/** Zeroed array of n elements of `size` bytes; NULL on overflow or exhaustion. */
void *trib_arena_calloc(trib_arena *a, size_t n, size_t size);

/**
 * Grow an array allocated in this arena; NULL on failure. When old is the
 * latest allocation of its chunk and the chunk has room, it grows in place;
 * otherwise the contents are copied. old_size must be the size old was
 * allocated (or last grown) with.
 */
void *trib_arena_realloc(trib_arena *a, void *old, size_t old_size, size_t new_size);

/** Copy of a NUL-terminated string in the arena. */
char *trib_arena_strdup(trib_arena *a, const char *s);

/** Copy of the first n bytes of s, NUL-terminated. */
char *trib_arena_strndup(trib_arena *a, const char *s, size_t n);

/** printf into the arena. */
char *trib_arena_printf(trib_arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/** The arena seen as a protobuf-c allocator (for protobuf_c_message_unpack). */
ProtobufCAllocator *trib_arena_pb(trib_arena *a);

/** Bytes handed out since the last clear. */
size_t trib_arena_used(const trib_arena *a);

/**
 * Make room for element n of a growing array of `size`-byte elements in the
 * arena: when n == *cap the array doubles (to at least `min` elements), keeping
 * its contents. `arrp` is the address of the array pointer (any T **).
 * @return 0; TRIB_ELIMIT when the size overflows; TRIB_ENOMEM.
 */
int trib_arena_reserve(trib_arena *a, void *arrp, size_t *cap, size_t n, size_t size, size_t min);

/** Same as trib_arena_reserve for an array on the heap (realloc; the caller frees it). */
int trib_heap_reserve(void *arrp, size_t *cap, size_t n, size_t size, size_t min);

/*
 * Big blocks: scratch arrays that may reach many megabytes (a walk's visits,
 * an answer's edges) and arena chunks. Small ones are plain malloc'd. From
 * 256 KiB on (arena chunks: 2 MiB, as the arena keeps them between calls),
 * each is an anonymous mapping of its own, rounded up and aligned to 2 MiB and
 * marked MADV_HUGEPAGE: where transparent huge pages are on (Debian's default
 * "madvise" mode), touching 100 MB of fresh memory then takes 50 page faults
 * instead of 25,000 — on a virtual machine the difference between 8 ms and
 * 350 ms. A growing array (trib_big_reserve) maps eight times its size in
 * address space, backed only when touched, so its next doublings copy
 * nothing. Freeing returns the mapping to the system at once, so a large
 * query leaves no heap behind.
 */

/** size bytes (16-aligned), or NULL with TRIB_ENOMEM set. Free with trib_big_free. */
void *trib_big_alloc(size_t size);

/** n * size zeroed bytes (mappings come zeroed: no memset), or NULL (TRIB_ENOMEM, TRIB_ELIMIT). */
void *trib_big_calloc(size_t n, size_t size);

/** Bytes usable at p (at least what was asked: a mapping's rounding is usable too). */
size_t trib_big_usable(const void *p);

/** Free a block from trib_big_alloc/calloc/reserve; NULL is a no-op. */
void trib_big_free(void *p);

/** trib_heap_reserve for an array of big blocks (trib_big_free frees it). */
int trib_big_reserve(void *arrp, size_t *cap, size_t n, size_t size, size_t min);

/** Overflow-checked a*b; returns 0 and sets *out, or TRIB_ELIMIT. */
int trib_mul_size(size_t *out, size_t a, size_t b);

#endif
