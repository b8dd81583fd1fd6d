/* Small helpers of the benchmark: clock, median, allocation, formatting. */
#include <errno.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "bench.h"

double bench_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

double bench_median(double *v, size_t n)
{
	if (n == 0)
		return 0;
	qsort(v, n, sizeof(double), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* A sample shorter than this repeats the call: the clock and loop overhead stay below 0.1%. */
#define MIN_SAMPLE_S 0.002

static void take_sample(bench_timed *t, unsigned r, double *samples)
{
	size_t got = 0;
	double t0 = bench_now();
	for (unsigned i = 0; i < t->out.reps; i++)
		got = t->fn(t->ctx);
	samples[r] = (bench_now() - t0) / t->out.reps;
	if (got != t->expect)
		bench_die("bench: %s reached %zu nodes on run %u, %zu on the warm-up", t->what, got, r + 1,
			  t->expect);
}

void bench_time_interleaved(bench_timed *items, size_t n, unsigned runs)
{
	double **samples = bench_xcalloc(n, sizeof(double *));
	unsigned most = 0;
	for (size_t k = 0; k < n; k++) {
		bench_timed *t = &items[k];
		t->out.runs = runs;
		t->out.reps = 1;
		double t0 = bench_now();
		size_t got = t->fn(t->ctx);
		double warm = bench_now() - t0;
		if (got != t->expect)
			bench_die("bench: %s reached %zu nodes, the reference BFS %zu", t->what, got, t->expect);
		if (t->may_shorten && warm > BENCH_SLOW_S && runs > BENCH_SLOW_RUNS)
			t->out.runs = BENCH_SLOW_RUNS;
		if (warm < MIN_SAMPLE_S)
			t->out.reps = warm <= MIN_SAMPLE_S / 10000 ? 10000 : (unsigned)(MIN_SAMPLE_S / warm) + 1;
		samples[k] = bench_xmalloc(sizeof(double) * t->out.runs);
		most = t->out.runs > most ? t->out.runs : most;
	}
	/* Round-robin, so a burst of other load on the machine hits every engine alike. */
	for (unsigned r = 0; r < most; r++)
		for (size_t k = 0; k < n; k++)
			if (r < items[k].out.runs)
				take_sample(&items[k], r, samples[k]);
	for (size_t k = 0; k < n; k++) {
		items[k].out.median = bench_median(samples[k], items[k].out.runs);
		free(samples[k]);
	}
	free(samples);
}

bench_timing bench_time(size_t (*fn)(void *ctx), void *ctx, unsigned runs, int may_shorten, size_t expect,
			const char *what)
{
	bench_timed t = {fn, ctx, may_shorten, expect, what, {0, 0, 0}};
	bench_time_interleaved(&t, 1, runs);
	return t.out;
}

static const char *die_keep;

void bench_die_keeps(const char *dir)
{
	die_keep = dir;
}

void bench_die(const char *fmt, ...)
{
	va_list ap;
	fflush(stdout);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (die_keep)
		fprintf(stderr, "bench: files left in %s for inspection\n", die_keep);
	exit(1);
}

void *bench_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		bench_die("bench: out of memory (%zu bytes)", n);
	return p;
}

void *bench_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		bench_die("bench: out of memory (%zu x %zu bytes)", n, size);
	return p;
}

const char *bench_fmt_time(char *buf, size_t size, double s)
{
	if (s < 1e-3)
		snprintf(buf, size, "%.1f us", s * 1e6);
	else if (s < 1.0)
		snprintf(buf, size, "%.2f ms", s * 1e3);
	else
		snprintf(buf, size, "%.2f s", s);
	return buf;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	if (remove(path) != 0)
		fprintf(stderr, "bench: remove %s: %s\n", path, strerror(errno));
	return 0;
}

void bench_rm_tree(const char *path)
{
	struct stat st;
	if (lstat(path, &st) == 0)
		nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}
