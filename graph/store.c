/* The store: environment, transactions, map growth, meta counters, LMDB errors. */
#include "store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

_Static_assert(sizeof(size_t) == sizeof(uint64_t), "MDB_INTEGERKEY on u64 needs a 64-bit size_t");

#define DEFAULT_MAP (64u * 1024u * 1024u)
#define MAX_MAP ((size_t)1 << 40)
/* How long growth waits for this process's open transactions to end. */
#define GROW_WAIT_MS 30000
/* Proactive growth at write_begin is an optimisation: do not stall for it. */
#define GROW_TRY_MS 50

/* Set when an LMDB call of this thread reported MDB_MAP_FULL; graph_update
 * clears it per attempt. Sticky, because a failed txn's later calls report
 * other codes. */
static _Thread_local int saw_map_full;

int gstore_mdb_err(int rc, const char *what)
{
	if (rc == MDB_MAP_FULL)
		saw_map_full = 1;
	switch (rc) {
	case 0: return 0;
	case MDB_NOTFOUND: return trib_error_set(TRIB_ENOTFOUND, "%s: not found", what);
	case MDB_MAP_FULL:
		return trib_error_set(TRIB_EFULL, "%s: the store's map is full", what);
	case ENOSPC: return trib_error_set(TRIB_EFULL, "%s: no space left on device", what);
	case ENOMEM: return trib_error_set(TRIB_ENOMEM, "%s: out of memory", what);
	case MDB_CORRUPTED:
	case MDB_PAGE_NOTFOUND:
	case MDB_INVALID:
	case MDB_VERSION_MISMATCH:
	case MDB_BAD_VALSIZE:
	case MDB_INCOMPATIBLE:
		return trib_error_set(TRIB_ECORRUPT, "%s: %s", what, mdb_strerror(rc));
	case MDB_READERS_FULL:
	case MDB_TXN_FULL:
	case MDB_DBS_FULL:
	case MDB_CURSOR_FULL:
	case MDB_TLS_FULL:
		return trib_error_set(TRIB_ELIMIT, "%s: %s", what, mdb_strerror(rc));
	case EACCES:
	case EPERM: return trib_error_set(TRIB_EDENIED, "%s: %s", what, mdb_strerror(rc));
	case MDB_BAD_TXN:
	case MDB_BAD_RSLOT:
	case MDB_BAD_DBI:
	case EINVAL: return trib_error_set(TRIB_EINTERNAL, "%s: %s", what, mdb_strerror(rc));
	default: return trib_error_set(TRIB_EIO, "%s: %s", what, mdb_strerror(rc));
	}
}

int64_t gstore_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const char *gstore_actor(const graph_put_opts *opts)
{
	return opts && opts->actor && opts->actor[0] ? opts->actor : "anonymous";
}

void gstore_rev_key(unsigned char key[16], uint64_t id, uint64_t rev)
{
	for (int i = 0; i < 8; i++) {
		key[i] = (unsigned char)(id >> (56 - 8 * i));
		key[8 + i] = (unsigned char)(rev >> (56 - 8 * i));
	}
}

/* ------------------------------------------------------------ growth lock */

static int lock_timed(pthread_rwlock_t *l, int ms)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return pthread_rwlock_timedwrlock(l, &ts);
}

static size_t used_bytes(graph_store *s, size_t *mapsize)
{
	MDB_envinfo info;
	MDB_stat st;
	mdb_env_info(s->env, &info);
	mdb_env_stat(s->env, &st);
	if (mapsize)
		*mapsize = info.me_mapsize;
	return (info.me_last_pgno + 1) * (size_t)st.ms_psize;
}

/*
 * Grow the map to at least `want` bytes (doubling). Waits up to wait_ms for
 * this process's transactions to end; a timeout with `required` set is an
 * error, otherwise growth is simply skipped this time.
 */
static int grow(graph_store *s, size_t want, int wait_ms, int required)
{
	int rc = lock_timed(&s->grow_lock, wait_ms);
	if (rc != 0) {
		if (!required)
			return 0;
		return trib_error_set(TRIB_EFULL,
				      "store %s: the map is full and could not grow: transactions stayed open for %d ms",
				      s->dir, wait_ms);
	}
	size_t cur = 0;
	used_bytes(s, &cur);
	rc = 0;
	if (cur < want) {
		size_t next = cur;
		while (next < want && next < MAX_MAP)
			next *= 2;
		if (next < want)
			rc = trib_error_set(TRIB_EFULL, "store %s: the map cannot grow beyond %zu bytes", s->dir,
					    (size_t)MAX_MAP);
		else if ((rc = mdb_env_set_mapsize(s->env, next)) != 0)
			rc = gstore_mdb_err(rc, "growing the map");
	}
	pthread_rwlock_unlock(&s->grow_lock);
	return rc;
}

/* Another process grew the map: adopt its size (needs no active txns here). */
static int adopt_size(graph_store *s)
{
	if (lock_timed(&s->grow_lock, GROW_WAIT_MS) != 0)
		return trib_error_set(TRIB_EFULL, "store %s: cannot adopt the new map size: transactions stayed open",
				      s->dir);
	int rc = mdb_env_set_mapsize(s->env, 0);
	pthread_rwlock_unlock(&s->grow_lock);
	return rc ? gstore_mdb_err(rc, "adopting the map size") : 0;
}

/* --------------------------------------------------------------- txn begin */

static int txn_begin(graph_txn **out, graph_store *s, int writable)
{
	*out = NULL;
	if (writable && s->read_only)
		return trib_error_set(TRIB_EDENIED, "store %s is open read-only", s->dir);
	graph_txn *t = calloc(1, sizeof *t);
	if (!t)
		return trib_error_set(TRIB_ENOMEM, "out of memory for a transaction");
	t->s = s;
	t->writable = writable;
	for (int attempt = 0;; attempt++) {
		pthread_rwlock_rdlock(&s->grow_lock);
		int rc = mdb_txn_begin(s->env, NULL, writable ? 0 : MDB_RDONLY, &t->txn);
		if (rc == 0)
			break;
		pthread_rwlock_unlock(&s->grow_lock);
		if (rc == MDB_MAP_RESIZED && attempt < 3) {
			if ((rc = adopt_size(s)) != 0) {
				free(t);
				return rc;
			}
			continue;
		}
		free(t);
		return gstore_mdb_err(rc, writable ? "beginning a write transaction" : "beginning a read transaction");
	}
	*out = t;
	return 0;
}

int graph_read_begin(graph_txn **out, graph_store *s)
{
	return txn_begin(out, s, 0);
}

int graph_write_begin(graph_txn **out, graph_store *s)
{
	size_t mapsize = 0;
	size_t used = used_bytes(s, &mapsize);
	if (!s->read_only && used > mapsize / 2) {
		int rc = grow(s, mapsize * 2, GROW_TRY_MS, 0);
		if (rc)
			return rc;
	}
	return txn_begin(out, s, 1);
}

static void txn_free(graph_txn *t)
{
	pthread_rwlock_unlock(&t->s->grow_lock);
	free(t);
}

void graph_txn_abort(graph_txn *t)
{
	if (!t)
		return;
	mdb_txn_abort(t->txn);
	txn_free(t);
}

int graph_txn_writable(const graph_txn *t)
{
	return t->writable;
}

static int put_u64_meta(graph_txn *t, const char *name, uint64_t v)
{
	unsigned char b[8];
	for (int i = 0; i < 8; i++)
		b[i] = (unsigned char)(v >> (8 * i));
	MDB_val k = {strlen(name), (void *)name}, d = {8, b};
	int rc = mdb_put(t->txn, t->s->meta, &k, &d, 0);
	return rc ? gstore_mdb_err(rc, "writing meta") : 0;
}

static int get_u64_meta(uint64_t *out, graph_txn *t, const char *name)
{
	MDB_val k = {strlen(name), (void *)name}, d;
	int rc = mdb_get(t->txn, t->s->meta, &k, &d);
	*out = 0;
	if (rc == MDB_NOTFOUND)
		return 0;
	if (rc)
		return gstore_mdb_err(rc, "reading meta");
	if (d.mv_size != 8)
		return trib_error_set(TRIB_ECORRUPT, "meta '%s' has %zu bytes, expected 8", name, d.mv_size);
	const unsigned char *b = d.mv_data;
	for (int i = 0; i < 8; i++)
		*out |= (uint64_t)b[i] << (8 * i);
	return 0;
}

int gstore_meta_load(graph_txn *t)
{
	if (t->meta_loaded)
		return 0;
	int rc;
	if ((rc = get_u64_meta(&t->next_id, t, "next_id")) || (rc = get_u64_meta(&t->next_seq, t, "next_seq")) ||
	    (rc = get_u64_meta(&t->placeholders, t, "placeholders")))
		return rc;
	if (t->next_id == 0)
		t->next_id = 1;
	if (t->next_seq == 0)
		t->next_seq = 1;
	t->meta_loaded = 1;
	return 0;
}

int gstore_next_id(uint64_t *out, graph_txn *t)
{
	int rc = gstore_meta_load(t);
	if (rc)
		return rc;
	if (t->next_id > GSTORE_ID_MASK)
		return trib_error_set(TRIB_ELIMIT, "the store has run out of node ids");
	*out = t->next_id++;
	t->meta_dirty = 1;
	return 0;
}

int gstore_placeholders_add(graph_txn *t, int delta)
{
	int rc = gstore_meta_load(t);
	if (rc)
		return rc;
	if (delta < 0 && t->placeholders < (uint64_t)-delta)
		return trib_error_set(TRIB_ECORRUPT, "placeholder counter would go below zero");
	t->placeholders += (uint64_t)(int64_t)delta;
	t->meta_dirty = 1;
	return 0;
}

int graph_txn_commit(graph_txn *t)
{
	int rc = 0;
	if (t->writable && t->meta_dirty) {
		if ((rc = put_u64_meta(t, "next_id", t->next_id)) || (rc = put_u64_meta(t, "next_seq", t->next_seq)) ||
		    (rc = put_u64_meta(t, "placeholders", t->placeholders))) {
			graph_txn_abort(t);
			return rc;
		}
	}
	rc = mdb_txn_commit(t->txn);
	txn_free(t);
	return rc ? gstore_mdb_err(rc, "committing") : 0;
}

int graph_update(graph_store *s, int (*fn)(graph_txn *t, void *payload), void *payload)
{
	for (int attempt = 0;; attempt++) {
		graph_txn *t;
		saw_map_full = 0;
		int rc = graph_write_begin(&t, s);
		if (rc)
			return rc;
		size_t mapsize = graph_map_size(s);
		rc = fn(t, payload);
		if (rc == 0)
			rc = graph_txn_commit(t);
		else
			graph_txn_abort(t);
		if (rc == TRIB_EFULL && saw_map_full && attempt < 24) {
			int g = grow(s, mapsize * 2, GROW_WAIT_MS, 1);
			if (g)
				return g;
			continue;
		}
		return rc;
	}
}

/* -------------------------------------------------------------- open/close */

static const struct {
	const char *name;
	unsigned flags;
	size_t off;
} dbs[] = {
	{"meta", 0, offsetof(graph_store, meta)},
	{"names", 0, offsetof(graph_store, names)},
	{"nodes", MDB_INTEGERKEY, offsetof(graph_store, nodes)},
	{"products", MDB_INTEGERKEY, offsetof(graph_store, products)},
	{"revisions", 0, offsetof(graph_store, revisions)},
	{"byname", MDB_DUPSORT | MDB_DUPFIXED | MDB_INTEGERDUP, offsetof(graph_store, byname)},
	{"out", MDB_INTEGERKEY | MDB_DUPSORT | MDB_DUPFIXED | MDB_INTEGERDUP, offsetof(graph_store, out)},
	{"in", MDB_INTEGERKEY | MDB_DUPSORT | MDB_DUPFIXED | MDB_INTEGERDUP, offsetof(graph_store, in)},
	{"domains", 0, offsetof(graph_store, domains)},
	{"terms", 0, offsetof(graph_store, terms)},
	{"audit", MDB_INTEGERKEY, offsetof(graph_store, audit)},
	{"audit_by_node", MDB_INTEGERKEY | MDB_DUPSORT | MDB_DUPFIXED | MDB_INTEGERDUP,
	 offsetof(graph_store, audit_by_node)},
};

static int check_format(graph_store *s, MDB_txn *txn, int create)
{
	MDB_val k = {6, "format"}, d;
	int rc = mdb_get(txn, s->meta, &k, &d);
	if (rc == MDB_NOTFOUND) {
		MDB_stat st;
		mdb_stat(txn, s->nodes, &st);
		if (!create || st.ms_entries != 0)
			return trib_error_set(TRIB_ECORRUPT, "store %s has no format version (expected %d)", s->dir,
					      GRAPH_FORMAT_VERSION);
		unsigned char b[4] = {GRAPH_FORMAT_VERSION & 0xff, (GRAPH_FORMAT_VERSION >> 8) & 0xff,
				      (GRAPH_FORMAT_VERSION >> 16) & 0xff, (GRAPH_FORMAT_VERSION >> 24) & 0xff};
		d.mv_size = 4;
		d.mv_data = b;
		rc = mdb_put(txn, s->meta, &k, &d, 0);
		return rc ? gstore_mdb_err(rc, "writing the format version") : 0;
	}
	if (rc)
		return gstore_mdb_err(rc, "reading the format version");
	if (d.mv_size != 4)
		return trib_error_set(TRIB_ECORRUPT, "store %s: format version record has %zu bytes, expected 4",
				      s->dir, d.mv_size);
	const unsigned char *b = d.mv_data;
	uint32_t v = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
	if (v != GRAPH_FORMAT_VERSION)
		return trib_error_set(TRIB_ECORRUPT,
				      "store %s has format version %u; this build reads format version %d", s->dir,
				      v, GRAPH_FORMAT_VERSION);
	return 0;
}

static int open_dbs(graph_store *s)
{
	MDB_txn *txn;
	int create = !s->read_only;
	int rc = mdb_txn_begin(s->env, NULL, create ? 0 : MDB_RDONLY, &txn);
	if (rc)
		return gstore_mdb_err(rc, "opening the store");
	for (size_t i = 0; i < sizeof dbs / sizeof dbs[0]; i++) {
		MDB_dbi *dbi = (MDB_dbi *)((char *)s + dbs[i].off);
		rc = mdb_dbi_open(txn, dbs[i].name, dbs[i].flags | (create ? MDB_CREATE : 0), dbi);
		if (rc) {
			mdb_txn_abort(txn);
			if (rc == MDB_NOTFOUND)
				return trib_error_set(TRIB_ECORRUPT, "store %s has no '%s' sub-database", s->dir,
						      dbs[i].name);
			return gstore_mdb_err(rc, dbs[i].name);
		}
	}
	if ((rc = check_format(s, txn, create)) != 0) {
		mdb_txn_abort(txn);
		return rc;
	}
	rc = mdb_txn_commit(txn);
	return rc ? gstore_mdb_err(rc, "opening the store") : 0;
}

int graph_open(graph_store **out, const char *dir, const graph_open_opts *opts)
{
	graph_open_opts o = GRAPH_OPEN_OPTS_INIT;
	if (opts)
		o = *opts;
	*out = NULL;
	if (!dir || !dir[0])
		return trib_error_set(TRIB_EINVALID, "no store directory given");
	if (!o.read_only && mkdir(dir, 0755) != 0 && errno != EEXIST)
		return trib_error_set(TRIB_EIO, "cannot create store directory %s: %s", dir, strerror(errno));
	struct stat st;
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return trib_error_set(TRIB_EIO, "store directory %s: %s", dir,
				      errno ? strerror(errno) : "not a directory");

	graph_store *s = calloc(1, sizeof *s);
	if (!s || !(s->dir = strdup(dir))) {
		free(s);
		return trib_error_set(TRIB_ENOMEM, "out of memory opening %s", dir);
	}
	s->read_only = o.read_only;
	pthread_rwlockattr_t attr;
	pthread_rwlockattr_init(&attr);
	/* A waiting growth must not starve behind a stream of readers. */
	pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&s->grow_lock, &attr);
	pthread_rwlockattr_destroy(&attr);

	int rc = mdb_env_create(&s->env);
	if (rc) {
		rc = gstore_mdb_err(rc, "creating the LMDB environment");
		goto fail;
	}
	mdb_env_set_maxdbs(s->env, 16);
	mdb_env_set_maxreaders(s->env, o.max_readers ? o.max_readers : 256);
	size_t map = o.map_size ? o.map_size : DEFAULT_MAP;
	mdb_env_set_mapsize(s->env, map);
	unsigned flags = MDB_NOTLS | MDB_NORDAHEAD;
	if (o.no_sync)
		flags |= MDB_NOSYNC;
	if (o.read_only)
		flags |= MDB_RDONLY;
	rc = mdb_env_open(s->env, dir, flags, 0644);
	if (rc) {
		char what[300];
		snprintf(what, sizeof what, "cannot open the store in %s", dir);
		rc = gstore_mdb_err(rc, what);
		goto fail;
	}
	if ((rc = open_dbs(s)) != 0)
		goto fail;
	*out = s;
	return 0;
fail:
	if (s->env)
		mdb_env_close(s->env);
	pthread_rwlock_destroy(&s->grow_lock);
	free(s->dir);
	free(s);
	return rc;
}

void graph_close(graph_store *s)
{
	if (!s)
		return;
	mdb_env_close(s->env);
	pthread_rwlock_destroy(&s->grow_lock);
	free(s->dir);
	free(s);
}

size_t graph_map_size(graph_store *s)
{
	MDB_envinfo info;
	mdb_env_info(s->env, &info);
	return info.me_mapsize;
}

int graph_sync(graph_store *s)
{
	int rc = mdb_env_sync(s->env, 1);
	return rc ? gstore_mdb_err(rc, "syncing the store") : 0;
}

/* ------------------------------------------------------------- protobuf */

int gstore_pb_put(graph_txn *t, MDB_dbi dbi, MDB_val *key, const ProtobufCMessage *msg, const char *what)
{
	MDB_val d = {protobuf_c_message_get_packed_size(msg), NULL};
	int rc = mdb_put(t->txn, dbi, key, &d, MDB_RESERVE);
	if (rc)
		return gstore_mdb_err(rc, what);
	protobuf_c_message_pack(msg, d.mv_data);
	return 0;
}

int gstore_pb_decode(void **out, const ProtobufCMessageDescriptor *desc, const MDB_val *v, trib_arena *a,
		     const char *what)
{
	*out = protobuf_c_message_unpack(desc, trib_arena_pb(a), v->mv_size, v->mv_data);
	if (!*out) {
		if (trib_error_last_code() == TRIB_ENOMEM || trib_error_last_code() == TRIB_ELIMIT)
			return trib_error_last_code();
		return trib_error_set(TRIB_ECORRUPT, "%s: record of %zu bytes does not decode as %s", what,
				      v->mv_size, desc->name);
	}
	return 0;
}

/* ------------------------------------------------------------------ stats */

int graph_stats_get(graph_stats *out, graph_txn *t)
{
	memset(out, 0, sizeof *out);
	MDB_stat st;
	graph_store *s = t->s;
	mdb_stat(t->txn, s->nodes, &st);
	out->nodes = st.ms_entries;
	mdb_stat(t->txn, s->products, &st);
	out->products = st.ms_entries;
	mdb_stat(t->txn, s->out, &st);
	out->edges = st.ms_entries;
	mdb_stat(t->txn, s->revisions, &st);
	out->revisions = st.ms_entries;
	mdb_stat(t->txn, s->audit, &st);
	out->audit_entries = st.ms_entries;
	uint64_t ph = 0;
	int rc = t->meta_loaded ? (ph = t->placeholders, 0) : get_u64_meta(&ph, t, "placeholders");
	if (rc)
		return rc;
	out->placeholders = ph;
	out->products -= ph <= out->products ? ph : out->products;
	out->map_used = used_bytes(s, &out->map_size);
	return 0;
}
