/*
 * The usual alternative: the edges in SQLite, closures by recursive CTE.
 *
 * Schema: edges(src, dst) as a WITHOUT ROWID table keyed (src, dst) — the
 * children of a node are one clustered range — plus an index on (dst, src)
 * for upstream walks. The database is a file (journal off, synchronous off,
 * a page cache and mmap large enough to hold it all), so after the warm-up
 * run every query reads from memory, like the LMDB engines.
 *
 * Unlimited walks: UNION (not UNION ALL) deduplicates, so cycles terminate.
 * Depth-limited walks carry the depth and count distinct nodes.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench.h"

struct bench_sql {
	sqlite3 *db;
	sqlite3_stmt *q[2][2]; /* [up][depth-limited] */
};

static const char *const SQL_QUERIES[2][2] = {
	{"WITH RECURSIVE down(n) AS (SELECT ?1 UNION SELECT dst FROM edges JOIN down ON src = n) "
	 "SELECT count(*) FROM down",
	 "WITH RECURSIVE down(n, d) AS (SELECT ?1, 0 UNION "
	 "SELECT dst, d + 1 FROM edges JOIN down ON src = n WHERE d < ?2) "
	 "SELECT count(DISTINCT n) FROM down"},
	{"WITH RECURSIVE up(n) AS (SELECT ?1 UNION SELECT src FROM edges JOIN up ON dst = n) "
	 "SELECT count(*) FROM up",
	 "WITH RECURSIVE up(n, d) AS (SELECT ?1, 0 UNION "
	 "SELECT src, d + 1 FROM edges JOIN up ON dst = n WHERE d < ?2) "
	 "SELECT count(DISTINCT n) FROM up"},
};

static int exec(sqlite3 *db, const char *sql)
{
	char *err = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
		fprintf(stderr, "bench: sqlite: %s: %s\n", sql, err ? err : sqlite3_errmsg(db));
		sqlite3_free(err);
		return -1;
	}
	return 0;
}

bench_sql *bench_sql_load(const bench_graph *g, const char *path, double *load_s)
{
	bench_sql *q = bench_xcalloc(1, sizeof(*q));
	sqlite3_stmt *ins = NULL;
	double t0 = bench_now();
	if (sqlite3_open(path, &q->db) != SQLITE_OK) {
		fprintf(stderr, "bench: sqlite: open %s: %s\n", path, sqlite3_errmsg(q->db));
		goto fail;
	}
	if (exec(q->db, "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; "
			"PRAGMA cache_size = -2000000; PRAGMA mmap_size = 4000000000; "
			"PRAGMA temp_store = MEMORY; "
			"CREATE TABLE edges(src INTEGER NOT NULL, dst INTEGER NOT NULL, "
			"PRIMARY KEY (src, dst)) WITHOUT ROWID; BEGIN") != 0)
		goto fail;
	if (sqlite3_prepare_v2(q->db, "INSERT INTO edges(src, dst) VALUES (?1, ?2)", -1, &ins, NULL) !=
	    SQLITE_OK) {
		fprintf(stderr, "bench: sqlite: prepare insert: %s\n", sqlite3_errmsg(q->db));
		goto fail;
	}
	for (uint32_t s = 0; s < g->n; s++)
		for (size_t e = g->down.off[s]; e < g->down.off[s + 1]; e++) {
			uint32_t d = g->down.adj[e];
			sqlite3_bind_int64(ins, 1, (sqlite3_int64)s + 1);
			sqlite3_bind_int64(ins, 2, (sqlite3_int64)d + 1);
			if (sqlite3_step(ins) != SQLITE_DONE) {
				fprintf(stderr, "bench: sqlite: insert edge %u -> %u: %s\n", s + 1, d + 1,
					sqlite3_errmsg(q->db));
				goto fail;
			}
			sqlite3_reset(ins);
		}
	sqlite3_finalize(ins);
	ins = NULL;
	if (exec(q->db, "COMMIT; CREATE INDEX edges_dst ON edges(dst, src); ANALYZE") != 0)
		goto fail;
	*load_s = bench_now() - t0;
	for (int up = 0; up < 2; up++)
		for (int lim = 0; lim < 2; lim++)
			if (sqlite3_prepare_v2(q->db, SQL_QUERIES[up][lim], -1, &q->q[up][lim], NULL) !=
			    SQLITE_OK) {
				fprintf(stderr, "bench: sqlite: prepare %s: %s\n", SQL_QUERIES[up][lim],
					sqlite3_errmsg(q->db));
				goto fail;
			}
	return q;
fail:
	sqlite3_finalize(ins);
	bench_sql_close(q);
	return NULL;
}

size_t bench_sql_walk(bench_sql *q, uint32_t start, int dir, unsigned max_depth)
{
	sqlite3_stmt *st = q->q[dir == BENCH_UP][max_depth != 0];
	sqlite3_bind_int64(st, 1, (sqlite3_int64)start + 1);
	if (max_depth)
		sqlite3_bind_int64(st, 2, max_depth);
	if (sqlite3_step(st) != SQLITE_ROW)
		bench_die("bench: sqlite walk from node %u: %s", start + 1, sqlite3_errmsg(q->db));
	size_t count = (size_t)sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return count;
}

void bench_sql_close(bench_sql *q)
{
	if (!q)
		return;
	for (int up = 0; up < 2; up++)
		for (int lim = 0; lim < 2; lim++)
			sqlite3_finalize(q->q[up][lim]);
	sqlite3_close(q->db);
	free(q);
}
