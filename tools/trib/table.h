/**
 * @file table.h
 * @brief Aligned text tables and small text helpers for trib's human output.
 *
 * Cells are copied into an arena. Control characters from the server are
 * replaced on the way in, so a product description cannot move the cursor
 * or break a row.
 */
#ifndef TRIB_TABLE_H
#define TRIB_TABLE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "tributary/arena.h"

typedef struct trib_table {
	trib_arena *arena;
	size_t ncols;
	const char **cells; /* row-major, header row first */
	size_t nrows;       /* rows including the header */
	size_t cap;         /* rows allocated */
	unsigned right;     /* bit i: column i right-aligned (numbers) */
	const char *indent; /* printed before every line; NULL = none */
	int no_header;      /* print the rows only */
} trib_table;

/** Start a table whose header cells are the ncols strings that follow. */
void trib_table_init(trib_table *t, trib_arena *arena, size_t ncols, ...);

/** Right-align column col (counts, revisions). */
void trib_table_right(trib_table *t, size_t col);

/** Add a row of ncols strings (NULL or "" shows as "-"). Returns 0 or TRIB_ENOMEM. */
int trib_table_row(trib_table *t, ...);

/**
 * Print the table: columns separated by two spaces, widths in characters
 * (UTF-8 aware), the last column not padded. Nothing at all when the table
 * has no rows besides the header, unless always_header is set.
 */
void trib_table_print(FILE *out, const trib_table *t, int always_header);

/** Number of display columns of a UTF-8 string (code points; invalid bytes count one each). */
size_t trib_text_width(const char *s);

/** Copy of s with every control character (and DEL) turned into a space; never NULL. */
char *trib_text_clean(trib_arena *a, const char *s);

/** s, or "-" when s is NULL or empty. */
const char *trib_text_or_dash(const char *s);

/** "a, b, c" of n strings (arena), "" when n is 0. */
char *trib_text_join(trib_arena *a, char *const *items, size_t n, const char *sep);

/** UTC time of milliseconds since the epoch as "2024-05-01 12:00:00Z"; "-" for 0. */
char *trib_text_time(trib_arena *a, int64_t ms);

/** A decimal number in the arena. */
char *trib_text_u64(trib_arena *a, uint64_t v);

#endif
