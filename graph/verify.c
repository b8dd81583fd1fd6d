/* graph_verify: check the invariants documented in store.h. */
#include "store.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define MAX_MESSAGES 100

typedef struct vctx {
	graph_verify_report *r;
	graph_txn *t;
	trib_arena *a;
	trib_arena scratch;
	size_t placeholders; /* placeholder product nodes seen */
	int err; /* first LMDB/allocation failure: stops the check */
} vctx;

__attribute__((format(printf, 2, 3))) static void problem(vctx *v, const char *fmt, ...)
{
	v->r->problems++;
	if (v->r->nmessages >= MAX_MESSAGES)
		return;
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	const char *m = trib_arena_strdup(v->a, buf);
	if (m)
		v->r->messages[v->r->nmessages++] = m;
}

typedef int (*visit_fn)(vctx *v, const MDB_val *k, const MDB_val *d);

/* Every key/value pair of dbi (duplicates included). */
static int each(vctx *v, MDB_dbi dbi, visit_fn fn)
{
	MDB_cursor *c;
	int rc = mdb_cursor_open(v->t->txn, dbi, &c);
	if (rc)
		return gstore_mdb_err(rc, "verify: opening a cursor");
	MDB_val k, d;
	for (rc = mdb_cursor_get(c, &k, &d, MDB_FIRST); rc == 0; rc = mdb_cursor_get(c, &k, &d, MDB_NEXT)) {
		int e = fn(v, &k, &d);
		if (e) {
			mdb_cursor_close(c);
			return e;
		}
	}
	mdb_cursor_close(c);
	return rc == MDB_NOTFOUND ? 0 : gstore_mdb_err(rc, "verify: scanning");
}

static uint64_t u64(const MDB_val *m)
{
	uint64_t x = 0;
	if (m->mv_size == 8)
		memcpy(&x, m->mv_data, 8);
	return x;
}

static int node_of(gstore_node *n, vctx *v, uint64_t id)
{
	MDB_val k = gstore_u64_val(&id), d;
	if (mdb_get(v->t->txn, v->t->s->nodes, &k, &d) != 0)
		return -1;
	return gstore_node_decode(n, &d) == 0 ? 0 : -1;
}

static int check_node(vctx *v, const MDB_val *k, const MDB_val *d)
{
	uint64_t id = u64(k);
	gstore_node n;
	v->r->nodes_checked++;
	if (gstore_node_decode(&n, d) != 0) {
		problem(v, "node %llu: %s", (unsigned long long)id, trib_error_last());
		return 0;
	}
	uint64_t named = 0;
	int rc = n.ref_len <= GSTORE_REF_MAX ? gstore_name_get(&named, v->t, n.kind, n.ref, n.ref_len) : TRIB_ENOTFOUND;
	if (rc == TRIB_ENOTFOUND)
		problem(v, "node %llu (%s '%.*s') has no names entry", (unsigned long long)id, trib_kind_name(n.kind),
			(int)n.ref_len, n.ref);
	else if (rc)
		return rc;
	else if (named != id)
		problem(v, "node %llu (%.*s): its reference names node %llu", (unsigned long long)id, (int)n.ref_len,
			n.ref, (unsigned long long)named);
	if (n.kind == TRIB_KIND_PRODUCT) {
		MDB_val pk = gstore_u64_val(&id), pd;
		if (n.flags & GSTORE_FLAG_PLACEHOLDER)
			v->placeholders++;
		if (n.product != id)
			problem(v, "product node %llu names product %llu", (unsigned long long)id,
				(unsigned long long)n.product);
		if (mdb_get(v->t->txn, v->t->s->products, &pk, &pd) != 0)
			problem(v, "product node %llu (%.*s) has no product record", (unsigned long long)id,
				(int)n.ref_len, n.ref);
		const char *slash = memchr(n.ref, '/', n.ref_len);
		if (slash) {
			MDB_cursor *c;
			MDB_val bk = {n.ref_len - (size_t)(slash + 1 - n.ref), (void *)(slash + 1)},
				bv = gstore_u64_val(&id);
			if ((rc = mdb_cursor_open(v->t->txn, v->t->s->byname, &c)))
				return gstore_mdb_err(rc, "verify: opening byname");
			if (mdb_cursor_get(c, &bk, &bv, MDB_GET_BOTH) != 0)
				problem(v, "product node %llu (%.*s) is missing from the name index",
					(unsigned long long)id, (int)n.ref_len, n.ref);
			mdb_cursor_close(c);
		}
	} else if (n.kind == TRIB_KIND_PORT || n.kind == TRIB_KIND_FIELD) {
		gstore_node p;
		if (node_of(&p, v, n.product) != 0 || p.kind != TRIB_KIND_PRODUCT)
			problem(v, "%s node %llu (%.*s) belongs to product %llu, which is not a product node",
				trib_kind_name(n.kind), (unsigned long long)id, (int)n.ref_len, n.ref,
				(unsigned long long)n.product);
		else if (p.ref_len >= n.ref_len || memcmp(p.ref, n.ref, p.ref_len) != 0)
			problem(v, "%s node %llu (%.*s) is attached to product '%.*s'", trib_kind_name(n.kind),
				(unsigned long long)id, (int)n.ref_len, n.ref, (int)p.ref_len, p.ref);
	}
	return 0;
}

static int check_name(vctx *v, const MDB_val *k, const MDB_val *d)
{
	const unsigned char *key = k->mv_data;
	if (k->mv_size < 2 || d->mv_size != 8) {
		problem(v, "names entry of %zu bytes with a %zu-byte value", k->mv_size, d->mv_size);
		return 0;
	}
	uint64_t id = u64(d);
	gstore_node n;
	if (node_of(&n, v, id) != 0)
		problem(v, "reference '%.*s' names node %llu, which does not exist or does not decode",
			(int)k->mv_size - 1, key + 1, (unsigned long long)id);
	else if (n.kind != key[0] || n.ref_len != k->mv_size - 1 || memcmp(n.ref, key + 1, n.ref_len) != 0)
		problem(v, "reference '%.*s' (%s) names node %llu, which is %s '%.*s'", (int)k->mv_size - 1, key + 1,
			trib_kind_name((trib_kind)key[0]), (unsigned long long)id, trib_kind_name(n.kind),
			(int)n.ref_len, n.ref);
	return 0;
}

static int check_adj(vctx *v, const MDB_val *k, const MDB_val *d, int out)
{
	uint64_t key = u64(k), self = key & ~GSTORE_STRUCT_KEY, e = u64(d), other = GSTORE_ADJ_ID(e);
	unsigned kind = GSTORE_ADJ_KIND(e);
	const char *dir = out ? "out" : "in";
	v->r->edges_checked++;
	if (k->mv_size != 8 || d->mv_size != 8) {
		problem(v, "%s: entry with a %zu-byte key and %zu-byte value", dir, k->mv_size, d->mv_size);
		return 0;
	}
	if (kind == 0 || kind > GRAPH_EDGE_KIND_MAX)
		problem(v, "%s: edge %llu - %llu has kind %u", dir, (unsigned long long)self,
			(unsigned long long)other, kind);
	else if (gstore_adj_key(self, kind) != key)
		problem(v, "%s: %s edge %llu - %llu is filed under the %s key", dir,
			graph_edge_kind_name((graph_edge_kind)kind), (unsigned long long)self,
			(unsigned long long)other, key & GSTORE_STRUCT_KEY ? "structural" : "lineage");
	gstore_node n;
	if (node_of(&n, v, self) != 0 || node_of(&n, v, other) != 0)
		problem(v, "%s: edge %llu - %llu (%s) touches a missing node", dir, (unsigned long long)self,
			(unsigned long long)other, graph_edge_kind_name((graph_edge_kind)kind));
	/* The mirror entry in the other database. */
	MDB_cursor *c;
	int rc = mdb_cursor_open(v->t->txn, out ? v->t->s->in : v->t->s->out, &c);
	if (rc)
		return gstore_mdb_err(rc, "verify: opening a cursor");
	uint64_t mk = gstore_adj_key(other, kind), mv = GSTORE_ADJ(kind, self);
	MDB_val ck = gstore_u64_val(&mk), cv = gstore_u64_val(&mv);
	if (mdb_cursor_get(c, &ck, &cv, MDB_GET_BOTH) != 0)
		problem(v, "edge %llu -> %llu (%s) is in '%s' but not in '%s'",
			(unsigned long long)(out ? self : other), (unsigned long long)(out ? other : self),
			graph_edge_kind_name((graph_edge_kind)kind), dir, out ? "in" : "out");
	mdb_cursor_close(c);
	return 0;
}

static int check_out(vctx *v, const MDB_val *k, const MDB_val *d)
{
	return check_adj(v, k, d, 1);
}

static int check_in(vctx *v, const MDB_val *k, const MDB_val *d)
{
	v->r->edges_checked--; /* each edge counted once, from 'out' */
	return check_adj(v, k, d, 0);
}

static int decode(vctx *v, const ProtobufCMessageDescriptor *desc, const MDB_val *d, void **msg, const char *what,
		  uint64_t key)
{
	v->r->records_checked++;
	trib_arena_clear(&v->scratch);
	*msg = protobuf_c_message_unpack(desc, trib_arena_pb(&v->scratch), d->mv_size, d->mv_data);
	if (!*msg)
		problem(v, "%s %llu does not decode as %s", what, (unsigned long long)key, desc->name);
	return *msg != NULL;
}

static int check_product(vctx *v, const MDB_val *k, const MDB_val *d)
{
	uint64_t id = u64(k);
	trib_product *p;
	if (!decode(v, &tributary__v1__data_product__descriptor, d, (void **)&p, "product record", id))
		return 0;
	gstore_node n;
	if (node_of(&n, v, id) != 0 || n.kind != TRIB_KIND_PRODUCT)
		problem(v, "product record %llu has no product node", (unsigned long long)id);
	else if (!!p->placeholder != !!(n.flags & GSTORE_FLAG_PLACEHOLDER))
		problem(v, "product %.*s: record and node disagree on placeholder", (int)n.ref_len, n.ref);
	else if (!!(p->deprecation && p->deprecation->deprecated) != !!(n.flags & GSTORE_FLAG_DEPRECATED))
		problem(v, "product %.*s: record and node disagree on deprecated", (int)n.ref_len, n.ref);
	else if (strlen(p->owner ? p->owner : "") != n.owner_len || memcmp(p->owner ? p->owner : "", n.owner, n.owner_len))
		problem(v, "product %.*s: record and node disagree on the owner", (int)n.ref_len, n.ref);
	return 0;
}

static int check_revision(vctx *v, const MDB_val *k, const MDB_val *d)
{
	uint64_t id = 0, rev = 0;
	const unsigned char *b = k->mv_data;
	if (k->mv_size != 16) {
		problem(v, "revisions: %zu-byte key", k->mv_size);
		return 0;
	}
	for (int i = 0; i < 8; i++) {
		id = id << 8 | b[i];
		rev = rev << 8 | b[8 + i];
	}
	trib_product *p;
	if (!decode(v, &tributary__v1__data_product__descriptor, d, (void **)&p, "revision of product", id))
		return 0;
	if (p->revision != rev)
		problem(v, "revision %llu of product %llu records revision %llu", (unsigned long long)rev,
			(unsigned long long)id, (unsigned long long)p->revision);
	gstore_node n;
	if (node_of(&n, v, id) != 0)
		problem(v, "revision %llu belongs to missing product %llu", (unsigned long long)rev,
			(unsigned long long)id);
	return 0;
}

static int check_byname(vctx *v, const MDB_val *k, const MDB_val *d)
{
	uint64_t id = u64(d);
	gstore_node n;
	const char *slash;
	if (node_of(&n, v, id) != 0 || n.kind != TRIB_KIND_PRODUCT || !(slash = memchr(n.ref, '/', n.ref_len)) ||
	    n.ref_len - (size_t)(slash + 1 - n.ref) != k->mv_size || memcmp(slash + 1, k->mv_data, k->mv_size) != 0)
		problem(v, "name index: '%.*s' points at node %llu, not a product of that name", (int)k->mv_size,
			(const char *)k->mv_data, (unsigned long long)id);
	return 0;
}

static int check_domain(vctx *v, const MDB_val *k, const MDB_val *d)
{
	void *m;
	decode(v, &tributary__v1__domain__descriptor, d, &m, "domain record", 0);
	return 0;
}

static int check_term(vctx *v, const MDB_val *k, const MDB_val *d)
{
	void *m;
	decode(v, &tributary__v1__glossary_term__descriptor, d, &m, "glossary term record", 0);
	return 0;
}

static int check_audit(vctx *v, const MDB_val *k, const MDB_val *d)
{
	void *m;
	decode(v, &tributary__v1__audit_entry__descriptor, d, &m, "audit entry", u64(k));
	return 0;
}

int graph_verify(graph_verify_report *out, graph_txn *t, trib_arena *a)
{
	memset(out, 0, sizeof *out);
	if (!(out->messages = trib_arena_calloc(a, MAX_MESSAGES, sizeof *out->messages)))
		return trib_error_last_code();
	vctx v = {.r = out, .t = t, .a = a};
	trib_arena_init(&v.scratch, 0);
	graph_store *s = t->s;
	int rc;
	if ((rc = each(&v, s->nodes, check_node)) || (rc = each(&v, s->names, check_name)) ||
	    (rc = each(&v, s->out, check_out)) || (rc = each(&v, s->in, check_in)) ||
	    (rc = each(&v, s->products, check_product)) || (rc = each(&v, s->revisions, check_revision)) ||
	    (rc = each(&v, s->byname, check_byname)) || (rc = each(&v, s->domains, check_domain)) ||
	    (rc = each(&v, s->terms, check_term)) || (rc = each(&v, s->audit, check_audit))) {
		trib_arena_dispose(&v.scratch);
		return rc;
	}
	trib_arena_dispose(&v.scratch);

	/* Ids are never reused: the counter is past every node. A copy of the
	 * txn reads the stored counters even if t has cached ones. */
	graph_txn tmp = *t;
	tmp.meta_loaded = 0;
	if ((rc = gstore_meta_load(&tmp)))
		return rc;
	uint64_t next_id = t->meta_loaded ? t->next_id : tmp.next_id;
	uint64_t placeholders = t->meta_loaded ? t->placeholders : tmp.placeholders;
	MDB_cursor *c;
	if ((rc = mdb_cursor_open(t->txn, s->nodes, &c)))
		return gstore_mdb_err(rc, "verify: opening nodes");
	MDB_val k, d;
	if (mdb_cursor_get(c, &k, &d, MDB_LAST) == 0) {
		uint64_t max = u64(&k);
		if (next_id <= max)
			problem(&v, "meta next_id %llu is not above the largest node id %llu",
				(unsigned long long)next_id, (unsigned long long)max);
	}
	if (placeholders != v.placeholders)
		problem(&v, "meta counts %llu placeholder products; there are %zu", (unsigned long long)placeholders,
			v.placeholders);
	mdb_cursor_close(c);
	if (rc)
		return rc;
	if (out->problems)
		return trib_error_set(TRIB_ECORRUPT, "verify: %zu problems, first: %s", out->problems,
				      out->nmessages ? out->messages[0] : "?");
	return 0;
}
