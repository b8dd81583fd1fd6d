/* The bump arena and its protobuf-c allocator view. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "graph_fixture.h"

#include "tributary/arena.h"
#include "tributary/error.h"
#include "tributary/v1/types.pb-c.h"

static trib_arena a;

static void setup(void)
{
	trib_arena_init(&a, 256);
}

static void teardown(void)
{
	trib_arena_dispose(&a);
}

START_TEST(arena_allocations_are_aligned_and_distinct)
{
	char *prev = NULL;
	for (size_t i = 0; i < 200; i++) {
		char *p = trib_arena_alloc(&a, i % 37);
		ck_assert_ptr_nonnull(p);
		ck_assert_uint_eq((uintptr_t)p % 16, 0);
		memset(p, 0xab, i % 37);
		ck_assert_ptr_ne(p, prev);
		prev = p;
	}
	ck_assert_uint_ge(trib_arena_used(&a), 200 * 16);
}
END_TEST

START_TEST(arena_calloc_zeroes_and_checks_overflow)
{
	uint64_t *z = trib_arena_calloc(&a, 100, sizeof *z);
	ck_assert_ptr_nonnull(z);
	for (int i = 0; i < 100; i++)
		ck_assert_uint_eq(z[i], 0);
	ck_assert_ptr_null(trib_arena_calloc(&a, SIZE_MAX / 2, 4));
	ck_assert_int_eq(trib_error_last_code(), TRIB_ELIMIT);
	size_t out;
	ck_assert_int_eq(trib_mul_size(&out, 1u << 20, 1u << 10), 0);
	ck_assert_uint_eq(out, (size_t)1 << 30);
	ck_assert_int_eq(trib_mul_size(&out, SIZE_MAX, 2), TRIB_ELIMIT);
	ck_assert_int_eq(trib_mul_size(&out, 0, SIZE_MAX), 0);
	ck_assert_uint_eq(out, 0);
}
END_TEST

START_TEST(arena_large_block_keeps_current_chunk_usable)
{
	char *small1 = trib_arena_alloc(&a, 16);
	char *big = trib_arena_alloc(&a, 100000);
	char *small2 = trib_arena_alloc(&a, 16);
	ck_assert_ptr_nonnull(big);
	memset(big, 1, 100000);
	/* the small allocations come from the same first chunk, one after the other */
	ck_assert_ptr_eq(small2, small1 + 16);
	ck_assert_ptr_null(trib_arena_alloc(&a, SIZE_MAX - 4));
}
END_TEST

START_TEST(arena_realloc_copies_and_strings_copy)
{
	int *v = trib_arena_alloc(&a, 4 * sizeof *v);
	for (int i = 0; i < 4; i++)
		v[i] = i * 7;
	int *w = trib_arena_realloc(&a, v, 4 * sizeof *v, 1000 * sizeof *v);
	ck_assert_ptr_nonnull(w);
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(w[i], i * 7);
	ck_assert_ptr_eq(trib_arena_realloc(&a, w, 1000 * sizeof *v, 10), w);
	char src[] = "hello world";
	char *s = trib_arena_strdup(&a, src);
	src[0] = 'j';
	ck_assert_str_eq(s, "hello world");
	ck_assert_str_eq(trib_arena_strndup(&a, "abcdef", 3), "abc");
	ck_assert_str_eq(trib_arena_printf(&a, "%s-%d-%05.1f", "x", 42, 3.14159), "x-42-003.1");
	ck_assert_ptr_null(trib_arena_strndup(&a, "x", SIZE_MAX));
}
END_TEST

START_TEST(arena_clear_reuses_memory_and_limit_applies)
{
	for (int i = 0; i < 100; i++)
		ck_assert_ptr_nonnull(trib_arena_alloc(&a, 1000));
	trib_arena_clear(&a);
	ck_assert_uint_eq(trib_arena_used(&a), 0);
	char *p = trib_arena_alloc(&a, 32);
	ck_assert_ptr_nonnull(p);
	a.limit = 4096;
	ck_assert_ptr_nonnull(trib_arena_alloc(&a, 2000));
	ck_assert_ptr_null(trib_arena_alloc(&a, 4000));
	ck_assert_int_eq(trib_error_last_code(), TRIB_ELIMIT);
	ck_assert_ptr_nonnull(strstr(trib_error_last(), "4096"));
	trib_arena_clear(&a);
	ck_assert_ptr_nonnull(trib_arena_alloc(&a, 4000));
	/* dispose then reuse without init works as a fresh arena */
	trib_arena_dispose(&a);
	a.limit = 0;
	ck_assert_ptr_nonnull(trib_arena_alloc(&a, 10));
}
END_TEST

START_TEST(arena_serves_protobuf_unpack)
{
	Tributary__V1__DataProduct p = TRIBUTARY__V1__DATA_PRODUCT__INIT;
	char *tags[2] = {"a", "b"};
	p.name = "orders";
	p.domain = "sales";
	p.n_tags = 2;
	p.tags = tags;
	uint8_t buf[256];
	size_t len = tributary__v1__data_product__pack(&p, buf);
	Tributary__V1__DataProduct *q = tributary__v1__data_product__unpack(trib_arena_pb(&a), len, buf);
	ck_assert_ptr_nonnull(q);
	ck_assert_str_eq(q->name, "orders");
	ck_assert_uint_eq(q->n_tags, 2);
	ck_assert_str_eq(q->tags[1], "b");
	ck_assert_uint_gt(trib_arena_used(&a), 0);
	/* freeing through protobuf-c is a no-op: the arena owns it */
	tributary__v1__data_product__free_unpacked(q, trib_arena_pb(&a));
}
END_TEST

START_TEST(arena_grows_the_latest_block_in_place)
{
	char *x = trib_arena_alloc(&a, 32);
	memcpy(x, "keep", 5);
	char *y = trib_arena_realloc(&a, x, 32, 64);
	ck_assert_ptr_eq(y, x);
	ck_assert_str_eq(y, "keep");
	char *z = trib_arena_alloc(&a, 16);
	ck_assert_ptr_eq(z, x + 64); /* the grown block really owns 64 bytes */
	/* not the latest any more: copied */
	char *w = trib_arena_realloc(&a, x, 64, 96);
	ck_assert_ptr_ne(w, x);
	ck_assert_str_eq(w, "keep");
	/* a large block (its own chunk) grows in place while its chunk has room */
	char *big = trib_arena_alloc(&a, 5000);
	big[4999] = 'e';
	char *big2 = trib_arena_realloc(&a, big, 5000, 6000);
	ck_assert_ptr_eq(big2, big);
	ck_assert_int_eq(big2[4999], 'e');
}
END_TEST

START_TEST(arena_clear_keeps_large_chunks_for_reuse_within_retain)
{
	ck_assert_uint_eq(a.retain, 256 * 64);
	ck_assert_ptr_nonnull(trib_arena_alloc(&a, 16)); /* the current chunk */
	char *big = trib_arena_alloc(&a, 8000);
	ck_assert_ptr_nonnull(big);
	trib_arena_clear(&a);
	ck_assert_uint_ge(a.spare_bytes, 8000);
	char *again = trib_arena_alloc(&a, 8000);
	ck_assert_ptr_eq(again, big); /* the same memory, already touched */
	ck_assert_uint_eq(a.spare_bytes, 0);
	/* beyond retain: freed, not kept */
	a.retain = 0;
	trib_arena_clear(&a);
	ck_assert_uint_eq(a.spare_bytes, 0);
	ck_assert_ptr_null(a.spare);
}
END_TEST

START_TEST(reserve_doubles_keeps_contents_and_refuses_overflow)
{
	uint64_t *v = NULL;
	size_t cap = 0;
	for (size_t n = 0; n < 1000; n++) {
		ck_assert_int_eq(trib_arena_reserve(&a, &v, &cap, n, sizeof *v, 8), 0);
		ck_assert_uint_gt(cap, n);
		v[n] = n * 7;
	}
	ck_assert_uint_eq(cap, 1024); /* 8, 16, ... doubled */
	for (size_t n = 0; n < 1000; n++)
		ck_assert_uint_eq(v[n], n * 7);
	ck_assert_int_eq(trib_arena_reserve(&a, &v, &cap, 10, sizeof *v, 8), 0);
	ck_assert_uint_eq(cap, 1024); /* room already: unchanged */

	uint32_t *h = NULL;
	size_t hcap = 0;
	for (size_t n = 0; n < 300; n++) {
		ck_assert_int_eq(trib_heap_reserve(&h, &hcap, n, sizeof *h, 0), 0);
		h[n] = (uint32_t)n;
	}
	ck_assert_uint_eq(hcap, 512);
	ck_assert_uint_eq(h[299], 299);
	free(h);

	/* An element size whose doubled array overflows size_t is refused. */
	char *c = NULL;
	size_t ccap = SIZE_MAX / 2 + 1;
	ck_assert_int_eq(trib_heap_reserve(&c, &ccap, ccap, 1, 1), TRIB_ELIMIT);
	size_t big = SIZE_MAX / 16;
	ck_assert_int_eq(trib_arena_reserve(&a, &c, &big, big, 64, 1), TRIB_ELIMIT);
	ck_assert_ptr_null(c);
}
END_TEST

START_TEST(big_blocks_small_and_mapped_keep_contents_across_growth)
{
	/* Small blocks are malloc'd; from 256 KiB on a mapping of their own, aligned to 16 and zeroed. */
	unsigned char *small = trib_big_alloc(100);
	ck_assert_ptr_nonnull(small);
	ck_assert_uint_eq((uintptr_t)small % 16, 0);
	ck_assert_uint_ge(trib_big_usable(small), 100);
	memset(small, 0xab, 100);
	trib_big_free(small);
	size_t n = (size_t)3 << 20;
	unsigned char *big = trib_big_calloc(n, 1);
	ck_assert_ptr_nonnull(big);
	ck_assert_uint_eq((uintptr_t)big % 16, 0);
	ck_assert_uint_ge(trib_big_usable(big), n);
	size_t nonzero = 0;
	for (size_t i = 0; i < n; i++)
		nonzero += big[i] != 0;
	ck_assert_uint_eq(nonzero, 0);
	big[n - 1] = 1;
	trib_big_free(big);
	unsigned char *mid = trib_big_calloc(300 << 10, 1);
	ck_assert_ptr_nonnull(mid);
	ck_assert_uint_gt(trib_big_usable(mid), (size_t)1 << 20); /* mapped: rounded up to 2 MiB */
	ck_assert_uint_eq(mid[0] | mid[(300 << 10) - 1], 0);
	trib_big_free(mid);
	trib_big_free(NULL);
	ck_assert_ptr_null(trib_big_calloc(SIZE_MAX / 2, 4));
	ck_assert_int_eq(trib_error_last_code(), TRIB_ELIMIT);

	/* A growing array moves from malloc to a mapping and keeps every element. */
	uint64_t *v = NULL;
	size_t cap = 0, count = 1000000; /* 8 MB */
	int rc = 0;
	for (size_t i = 0; i < count && rc == 0; i++)
		if ((rc = trib_big_reserve(&v, &cap, i, sizeof *v, 16)) == 0)
			v[i] = i * 7;
	ck_assert_int_eq(rc, 0);
	ck_assert_uint_ge(cap, count);
	ck_assert_uint_ge(trib_big_usable(v), count * sizeof *v);
	size_t wrong = 0;
	for (size_t i = 0; i < count; i++)
		wrong += v[i] != i * 7;
	ck_assert_uint_eq(wrong, 0);
	trib_big_free(v);
}
END_TEST

Suite *arena_suite(void)
{
	Suite *s = suite_create("arena");
	TCase *tc = tcase_create("arena");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, arena_allocations_are_aligned_and_distinct);
	tcase_add_test(tc, arena_calloc_zeroes_and_checks_overflow);
	tcase_add_test(tc, arena_large_block_keeps_current_chunk_usable);
	tcase_add_test(tc, arena_realloc_copies_and_strings_copy);
	tcase_add_test(tc, arena_clear_reuses_memory_and_limit_applies);
	tcase_add_test(tc, arena_serves_protobuf_unpack);
	tcase_add_test(tc, arena_grows_the_latest_block_in_place);
	tcase_add_test(tc, arena_clear_keeps_large_chunks_for_reuse_within_retain);
	tcase_add_test(tc, reserve_doubles_keeps_contents_and_refuses_overflow);
	tcase_add_test(tc, big_blocks_small_and_mapped_keep_contents_across_growth);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return fx_run(arena_suite());
}
