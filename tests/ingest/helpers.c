/* Helpers linked into every ingest test. */
#include "helpers.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

trib_arena T_arena;
ing_result T_res;

static char *tmpdirs[16];
static size_t ntmp;

void t_setup(void)
{
	trib_arena_init(&T_arena, 0);
	ing_result_init(&T_res);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

void t_teardown(void)
{
	trib_arena_dispose(&T_arena);
	for (size_t i = 0; i < ntmp; i++) {
		nftw(tmpdirs[i], rm_one, 16, FTW_DEPTH | FTW_PHYS);
		free(tmpdirs[i]);
	}
	ntmp = 0;
}

static const char *fixtures_dir(void)
{
	const char *d = getenv("TRIB_FIXTURES");
	return d && *d ? d : "tests/fixtures";
}

const char *fx(const char *rel)
{
	return trib_arena_printf(&T_arena, "%s/%s", fixtures_dir(), rel);
}

int t_parse_opts(const char *yaml, const ing_opts *opts)
{
	ing_opts o = ING_OPTS_INIT;
	if (opts)
		o = *opts;
	if (!o.base_dir)
		o.base_dir = fixtures_dir();
	return ing_parse_buffer(&T_res, &T_arena, "t.yaml", yaml, strlen(yaml), &o);
}

int t_parse(const char *yaml)
{
	return t_parse_opts(yaml, NULL);
}

const char *t_diag(size_t i)
{
	ck_assert_uint_lt(i, T_res.n_diags);
	char buf[2048];
	int n = ing_diag_format(buf, sizeof buf, &T_res.diags[i]);
	ck_assert_int_gt(n, 0);
	const char *out = buf;
	size_t pl = strlen(fixtures_dir());
	if (strncmp(out, fixtures_dir(), pl) == 0 && out[pl] == '/')
		out += pl + 1;
	return trib_arena_strdup(&T_arena, out);
}

void t_expect_diags(const char *const *expected, size_t n, const char *file, int line)
{
	int same = T_res.n_diags == n;
	for (size_t i = 0; same && i < n; i++)
		same = strcmp(t_diag(i), expected[i]) == 0;
	if (same)
		return;
	fprintf(stderr, "%s:%d: diagnostics differ\n  expected %zu:\n", file, line, n);
	for (size_t i = 0; i < n; i++)
		fprintf(stderr, "    %s\n", expected[i]);
	fprintf(stderr, "  got %zu:\n", T_res.n_diags);
	for (size_t i = 0; i < T_res.n_diags; i++)
		fprintf(stderr, "    %s\n", t_diag(i));
	ck_abort_msg("%s:%d: diagnostics differ (see stderr)", file, line);
}

const char *t_tmpdir(void)
{
	ck_assert_uint_lt(ntmp, sizeof tmpdirs / sizeof tmpdirs[0]);
	char tmpl[] = "/tmp/trib-ingest-XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(tmpl));
	tmpdirs[ntmp] = strdup(tmpl);
	return tmpdirs[ntmp++];
}

const char *t_write(const char *dir, const char *name, const char *content)
{
	const char *path = trib_arena_printf(&T_arena, "%s/%s", dir, name);
	/* Create parent directories of nested names. */
	char *p = trib_arena_strdup(&T_arena, path);
	for (char *s = p + strlen(dir) + 1; (s = strchr(s, '/')) != NULL; s++) {
		*s = '\0';
		mkdir(p, 0755);
		*s = '/';
	}
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(content, 1, strlen(content), f), strlen(content));
	ck_assert_int_eq(fclose(f), 0);
	return path;
}

Tributary__V1__DataProduct *t_product(const char *name)
{
	for (size_t i = 0; i < T_res.n_products; i++)
		if (strcmp(T_res.products[i]->name, name) == 0)
			return T_res.products[i];
	ck_abort_msg("no product '%s' in the result", name);
	return NULL;
}

int t_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
