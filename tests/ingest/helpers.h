/* Shared by the ingest tests: one arena and result per test, fixture paths,
 * and exact comparison of diagnostics. */
#ifndef TRIB_TESTS_INGEST_HELPERS_H
#define TRIB_TESTS_INGEST_HELPERS_H

#include <check.h>

#include "tributary/ingest.h"

extern trib_arena T_arena;
extern ing_result T_res;

/* Checked fixture: a fresh arena and result; temporary directories removed after. */
void t_setup(void);
void t_teardown(void);

/* Path of a file under tests/fixtures (or $TRIB_FIXTURES). */
const char *fx(const char *rel);

/* Parse YAML text as the file "t.yaml" (schema paths resolve in tests/fixtures). */
int t_parse(const char *yaml);
int t_parse_opts(const char *yaml, const ing_opts *opts);

/* Diagnostic i formatted by ing_diag_format, with the fixture directory
 * prefix removed from its file name so expectations do not depend on it. */
const char *t_diag(size_t i);

/* Assert the diagnostics are exactly these lines, in order. */
void t_expect_diags(const char *const *expected, size_t n, const char *file, int line);
#define EXPECT_DIAGS(...)                                                                                          \
	do {                                                                                                       \
		const char *const e_[] = {__VA_ARGS__};                                                            \
		t_expect_diags(e_, sizeof e_ / sizeof e_[0], __FILE__, __LINE__);                                  \
	} while (0)
#define EXPECT_NO_DIAGS() t_expect_diags(NULL, 0, __FILE__, __LINE__)

/* A fresh temporary directory (removed at teardown) and a file written in it. */
const char *t_tmpdir(void);
const char *t_write(const char *dir, const char *name, const char *content);

/* The product named `name` in T_res (fails the test when absent). */
Tributary__V1__DataProduct *t_product(const char *name);

/* Run a suite; the exit status for main. */
int t_run(Suite *s);

#endif
