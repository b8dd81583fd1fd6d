/* Nodes, the reference index, edges in both directions, and resolution. */
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *edge_names[] = {
	[GRAPH_EDGE_NONE] = "none",          [GRAPH_EDGE_FEEDS] = "feeds",
	[GRAPH_EDGE_PORT_FEEDS] = "port-feeds", [GRAPH_EDGE_HAS_PORT] = "has-port",
	[GRAPH_EDGE_HAS_FIELD] = "has-field", [GRAPH_EDGE_FIELD_READ] = "field-read",
	[GRAPH_EDGE_FIELD_FEEDS] = "field-feeds", [GRAPH_EDGE_OWNED_BY] = "owned-by",
	[GRAPH_EDGE_IN_DOMAIN] = "in-domain", [GRAPH_EDGE_HAS_TERM] = "has-term",
};

const char *graph_edge_kind_name(graph_edge_kind k)
{
	if ((unsigned)k <= GRAPH_EDGE_KIND_MAX)
		return edge_names[k];
	return "unknown";
}

/* ----------------------------------------------------------- node records */

static unsigned rd16(const unsigned char *b)
{
	return (unsigned)b[0] | (unsigned)b[1] << 8;
}

int gstore_node_decode(gstore_node *out, const MDB_val *v)
{
	const unsigned char *b = v->mv_data;
	if (v->mv_size < GSTORE_NODE_HDR)
		return trib_error_set(TRIB_ECORRUPT, "node record of %zu bytes is shorter than its header", v->mv_size);
	out->kind = (trib_kind)b[0];
	out->flags = b[1];
	out->ref_len = rd16(b + 2);
	out->owner_len = rd16(b + 4);
	out->product = 0;
	for (int i = 0; i < 8; i++)
		out->product |= (uint64_t)b[8 + i] << (8 * i);
	if (GSTORE_NODE_HDR + out->ref_len + out->owner_len != v->mv_size)
		return trib_error_set(TRIB_ECORRUPT, "node record of %zu bytes declares %zu bytes of strings",
				      v->mv_size, out->ref_len + out->owner_len);
	if (out->kind < TRIB_KIND_DOMAIN || out->kind > TRIB_KIND_SOURCE || out->ref_len == 0)
		return trib_error_set(TRIB_ECORRUPT, "node record has kind %u and a %zu-byte reference",
				      (unsigned)out->kind, out->ref_len);
	out->ref = (const char *)b + GSTORE_NODE_HDR;
	out->owner = out->ref + out->ref_len;
	return 0;
}

int gstore_node_read(gstore_node *out, graph_txn *t, uint64_t id)
{
	MDB_val k = gstore_u64_val(&id), v;
	int rc = mdb_get(t->txn, t->s->nodes, &k, &v);
	if (rc == MDB_NOTFOUND)
		return trib_error_set(TRIB_ENOTFOUND, "no node with id %llu", (unsigned long long)id);
	if (rc)
		return gstore_mdb_err(rc, "reading a node");
	if (gstore_node_decode(out, &v) != 0)
		return trib_error_set(TRIB_ECORRUPT, "node %llu: %s", (unsigned long long)id, trib_error_last());
	return 0;
}

int gstore_node_write(graph_txn *t, uint64_t id, const gstore_node *n)
{
	if (n->ref_len > GSTORE_REF_MAX || n->owner_len > 0xffff)
		return trib_error_set(TRIB_ELIMIT, "node reference or owner too long");
	size_t size = GSTORE_NODE_HDR + n->ref_len + n->owner_len;
	/* Build the record first: n's strings may point into the page being replaced. */
	unsigned char buf[GSTORE_NODE_HDR + GSTORE_REF_MAX + 512];
	unsigned char *b = size <= sizeof buf ? buf : malloc(size);
	if (!b)
		return trib_error_set(TRIB_ENOMEM, "out of memory writing a node");
	memset(b, 0, GSTORE_NODE_HDR);
	b[0] = (unsigned char)n->kind;
	b[1] = (unsigned char)n->flags;
	b[2] = (unsigned char)(n->ref_len & 0xff);
	b[3] = (unsigned char)(n->ref_len >> 8);
	b[4] = (unsigned char)(n->owner_len & 0xff);
	b[5] = (unsigned char)(n->owner_len >> 8);
	for (int i = 0; i < 8; i++)
		b[8 + i] = (unsigned char)(n->product >> (8 * i));
	memcpy(b + GSTORE_NODE_HDR, n->ref, n->ref_len);
	if (n->owner_len)
		memcpy(b + GSTORE_NODE_HDR + n->ref_len, n->owner, n->owner_len);
	MDB_val k = gstore_u64_val(&id), v = {size, b};
	int rc = mdb_put(t->txn, t->s->nodes, &k, &v, 0);
	if (b != buf)
		free(b);
	return rc ? gstore_mdb_err(rc, "writing a node") : 0;
}

/* ------------------------------------------------------------------ names */

static int name_key(unsigned char *key, MDB_val *k, trib_kind kind, const char *ref, size_t len)
{
	if (len == 0)
		return trib_error_set(TRIB_EINVALID, "empty reference");
	if (len > GSTORE_REF_MAX)
		return trib_error_set(TRIB_ELIMIT, "reference '%.60s...' is %zu bytes; the store keeps at most %d", ref,
				      len, GSTORE_REF_MAX);
	key[0] = (unsigned char)kind;
	memcpy(key + 1, ref, len);
	k->mv_size = len + 1;
	k->mv_data = key;
	return 0;
}

int gstore_name_get(uint64_t *out, graph_txn *t, trib_kind kind, const char *ref, size_t len)
{
	unsigned char key[GSTORE_REF_MAX + 1];
	MDB_val k, v;
	int rc = name_key(key, &k, kind, ref, len);
	if (rc)
		return rc;
	rc = mdb_get(t->txn, t->s->names, &k, &v);
	if (rc == MDB_NOTFOUND)
		return TRIB_ENOTFOUND;
	if (rc)
		return gstore_mdb_err(rc, "looking up a reference");
	if (v.mv_size != 8)
		return trib_error_set(TRIB_ECORRUPT, "names entry for '%.*s' has %zu bytes", (int)len, ref, v.mv_size);
	memcpy(out, v.mv_data, 8);
	return 0;
}

static int placeholder_record(graph_txn *t, uint64_t id, const char *domain, size_t dlen, const char *name,
			      size_t nlen)
{
	char d[TRIB_NAME_MAX + 1], n[TRIB_NAME_MAX + 1];
	if (dlen > TRIB_NAME_MAX || nlen > TRIB_NAME_MAX)
		return trib_error_set(TRIB_EINVALID, "product reference too long");
	memcpy(d, domain, dlen);
	d[dlen] = '\0';
	memcpy(n, name, nlen);
	n[nlen] = '\0';
	Tributary__V1__DataProduct p = TRIBUTARY__V1__DATA_PRODUCT__INIT;
	p.name = n;
	p.domain = d;
	p.placeholder = 1;
	MDB_val k = gstore_u64_val(&id);
	return gstore_pb_put(t, t->s->products, &k, &p.base, "writing a placeholder product");
}

/* Split "d/p..." into domain and name lengths; the name ends at ':' or '#'. */
static void split_product(const char *ref, size_t len, size_t *dlen, const char **name, size_t *nlen)
{
	const char *slash = memchr(ref, '/', len);
	*dlen = slash ? (size_t)(slash - ref) : 0;
	*name = slash ? slash + 1 : ref;
	size_t rest = len - (size_t)(*name - ref);
	size_t i = 0;
	while (i < rest && (*name)[i] != ':' && (*name)[i] != '#')
		i++;
	*nlen = i;
}

int gstore_ensure(uint64_t *out, graph_txn *t, trib_kind kind, const char *ref, size_t len, int *created,
		  unsigned *placeholders)
{
	if (created)
		*created = 0;
	int rc = gstore_name_get(out, t, kind, ref, len);
	if (rc != TRIB_ENOTFOUND)
		return rc;
	if (!t->writable)
		return trib_error_set(TRIB_EDENIED, "creating a node needs a write transaction");

	gstore_node n = {.kind = kind, .ref = ref, .ref_len = len};
	size_t dlen = 0, nlen = 0;
	const char *name = NULL;
	if (kind == TRIB_KIND_PORT || kind == TRIB_KIND_FIELD) {
		split_product(ref, len, &dlen, &name, &nlen);
		if ((rc = gstore_ensure(&n.product, t, TRIB_KIND_PRODUCT, ref, (size_t)(name - ref) + nlen, NULL,
					placeholders)) != 0)
			return rc;
	}
	uint64_t id;
	if ((rc = gstore_next_id(&id, t)) != 0)
		return rc;
	if (kind == TRIB_KIND_PRODUCT) {
		split_product(ref, len, &dlen, &name, &nlen);
		n.product = id;
		n.flags = GSTORE_FLAG_PLACEHOLDER;
		MDB_val bk = {nlen, (void *)name}, bv = gstore_u64_val(&id);
		if ((rc = mdb_put(t->txn, t->s->byname, &bk, &bv, 0)) != 0)
			return gstore_mdb_err(rc, "indexing a product name");
		if ((rc = placeholder_record(t, id, ref, dlen, name, nlen)) != 0)
			return rc;
		if ((rc = gstore_placeholders_add(t, 1)) != 0)
			return rc;
		if (placeholders)
			(*placeholders)++;
	}
	if ((rc = gstore_node_write(t, id, &n)) != 0)
		return rc;
	unsigned char key[GSTORE_REF_MAX + 1];
	MDB_val k, v = gstore_u64_val(&id);
	name_key(key, &k, kind, ref, len);
	if ((rc = mdb_put(t->txn, t->s->names, &k, &v, MDB_NOOVERWRITE)) != 0)
		return gstore_mdb_err(rc, "indexing a reference");
	*out = id;
	if (created)
		*created = 1;
	return 0;
}

/* Parse `ref` and produce the canonical text the names index uses, with the
 * kind to look it up under (field refs drop their port). */
static int canonical(char *buf, size_t size, trib_kind *kind, trib_ref *r, const char *ref)
{
	int rc = trib_ref_parse(r, ref);
	if (rc)
		return rc;
	if (r->kind == TRIB_KIND_FIELD)
		r->port = "";
	*kind = r->kind;
	rc = trib_ref_format(buf, size, r);
	return rc < 0 ? rc : 0;
}

int graph_node_ensure(uint64_t *out, graph_txn *t, trib_kind kind, const char *ref)
{
	trib_ref r;
	trib_kind k;
	char buf[TRIB_REF_MAX + 1];
	int rc = canonical(buf, sizeof buf, &k, &r, ref);
	if (rc)
		return rc;
	if (k == TRIB_KIND_BARE && (kind == TRIB_KIND_DOMAIN || kind == TRIB_KIND_TEAM)) {
		if ((rc = trib_name_check(kind, buf)) != 0)
			return rc;
		k = kind;
	}
	if (k != kind)
		return trib_error_set(TRIB_EINVALID, "reference '%s' is a %s reference, not a %s", ref,
				      trib_kind_name(k), trib_kind_name(kind));
	return gstore_ensure(out, t, kind, buf, strlen(buf), NULL, NULL);
}

/* ------------------------------------------------------------------ edges */

static int adj_put(graph_txn *t, MDB_dbi dbi, uint64_t key, uint64_t val, int *added)
{
	MDB_val k = gstore_u64_val(&key), v = gstore_u64_val(&val);
	int rc = mdb_put(t->txn, dbi, &k, &v, MDB_NODUPDATA);
	*added = rc == 0;
	if (rc == MDB_KEYEXIST)
		return 0;
	return rc ? gstore_mdb_err(rc, "adding an edge") : 0;
}

static int adj_del(graph_txn *t, MDB_dbi dbi, uint64_t key, uint64_t val, int *removed)
{
	MDB_val k = gstore_u64_val(&key), v = gstore_u64_val(&val);
	int rc = mdb_del(t->txn, dbi, &k, &v);
	*removed = rc == 0;
	if (rc == MDB_NOTFOUND)
		return 0;
	return rc ? gstore_mdb_err(rc, "removing an edge") : 0;
}

int gstore_edge_add(graph_txn *t, uint64_t from, uint64_t to, unsigned kind, int *changed)
{
	int a = 0, b = 0, rc;
	if ((rc = adj_put(t, t->s->out, gstore_adj_key(from, kind), GSTORE_ADJ(kind, to), &a)) ||
	    (rc = adj_put(t, t->s->in, gstore_adj_key(to, kind), GSTORE_ADJ(kind, from), &b)))
		return rc;
	if (changed)
		*changed = a || b;
	return 0;
}

int gstore_edge_del(graph_txn *t, uint64_t from, uint64_t to, unsigned kind, int *changed)
{
	int a = 0, b = 0, rc;
	if ((rc = adj_del(t, t->s->out, gstore_adj_key(from, kind), GSTORE_ADJ(kind, to), &a)) ||
	    (rc = adj_del(t, t->s->in, gstore_adj_key(to, kind), GSTORE_ADJ(kind, from), &b)))
		return rc;
	if (changed)
		*changed = a || b;
	return 0;
}

int graph_edge_put(graph_txn *t, uint64_t from, uint64_t to, graph_edge_kind kind)
{
	if (kind <= GRAPH_EDGE_NONE || kind > GRAPH_EDGE_KIND_MAX)
		return trib_error_set(TRIB_EINVALID, "edge kind %d is not a kind of edge", (int)kind);
	if (!t->writable)
		return trib_error_set(TRIB_EDENIED, "adding an edge needs a write transaction");
	if (from == 0 || to == 0 || from > GSTORE_ID_MASK || to > GSTORE_ID_MASK)
		return trib_error_set(TRIB_EINVALID, "edge %llu -> %llu: node ids out of range",
				      (unsigned long long)from, (unsigned long long)to);
	return gstore_edge_add(t, from, to, kind, NULL);
}

int graph_edges(graph_edge **out, size_t *count, graph_txn *t, trib_arena *a, uint64_t id, int direction,
		uint32_t edge_mask)
{
	*out = NULL;
	*count = 0;
	size_t cap = 0;
	uint32_t mask = edge_mask == GRAPH_EDGES_ALL ? UINT32_MAX : edge_mask;
	for (int i = 0; i < 4; i++) {
		int d = i < 2 ? GRAPH_DOWN : GRAPH_UP;
		uint32_t class = i % 2 ? GSTORE_STRUCT_KINDS : GSTORE_LINEAGE_KINDS;
		if (!(direction & d) || !(mask & class))
			continue;
		MDB_cursor *c;
		int rc = mdb_cursor_open(t->txn, d == GRAPH_DOWN ? t->s->out : t->s->in, &c);
		if (rc)
			return gstore_mdb_err(rc, "opening an edge cursor");
		uint64_t key = i % 2 ? id | GSTORE_STRUCT_KEY : id;
		MDB_val k = gstore_u64_val(&key), v;
		rc = mdb_cursor_get(c, &k, &v, MDB_SET);
		while (rc == 0) {
			uint64_t e;
			memcpy(&e, v.mv_data, 8);
			unsigned kind = GSTORE_ADJ_KIND(e);
			if (kind <= GRAPH_EDGE_KIND_MAX && (mask & GRAPH_EDGE_BIT(kind))) {
				if (trib_arena_reserve(a, out, &cap, *count, sizeof **out, 16) != 0) {
					mdb_cursor_close(c);
					return trib_error_last_code();
				}
				graph_edge *g = &(*out)[(*count)++];
				g->kind = (graph_edge_kind)kind;
				g->from = d == GRAPH_DOWN ? id : GSTORE_ADJ_ID(e);
				g->to = d == GRAPH_DOWN ? GSTORE_ADJ_ID(e) : id;
			}
			rc = mdb_cursor_get(c, &k, &v, MDB_NEXT_DUP);
		}
		mdb_cursor_close(c);
		if (rc != MDB_NOTFOUND)
			return gstore_mdb_err(rc, "reading edges");
	}
	return 0;
}

/* ------------------------------------------------------------- resolution */

static int resolve_bare(uint64_t *out, graph_txn *t, const char *name)
{
	MDB_cursor *c;
	int rc = mdb_cursor_open(t->txn, t->s->byname, &c);
	if (rc)
		return gstore_mdb_err(rc, "opening the name index");
	MDB_val k = {strlen(name), (void *)name}, v;
	size_t n = 0;
	uint64_t first = 0;
	rc = mdb_cursor_get(c, &k, &v, MDB_SET);
	if (rc == 0) {
		size_t cnt = 0;
		mdb_cursor_count(c, &cnt);
		n = cnt;
		memcpy(&first, v.mv_data, 8);
	}
	if (n > 1) {
		/* Name every candidate so the user can pick one. */
		char msg[900];
		size_t len = (size_t)snprintf(msg, sizeof msg, "bare product name '%s' is ambiguous: ", name);
		size_t listed = 0;
		while (rc == 0 && len < sizeof msg - 1) {
			uint64_t id;
			gstore_node nd;
			memcpy(&id, v.mv_data, 8);
			if (gstore_node_read(&nd, t, id) == 0) {
				int w = snprintf(msg + len, sizeof msg - len, "%s%.*s", listed ? ", " : "",
						 (int)nd.ref_len, nd.ref);
				if (w > 0)
					len += (size_t)w < sizeof msg - len ? (size_t)w : sizeof msg - len - 1;
				listed++;
			}
			rc = mdb_cursor_get(c, &k, &v, MDB_NEXT_DUP);
		}
		mdb_cursor_close(c);
		return trib_error_set(TRIB_ECONFLICT, "%s; write it as domain/name", msg);
	}
	mdb_cursor_close(c);
	if (n == 1) {
		*out = first;
		return 0;
	}
	size_t len = strlen(name);
	if ((rc = gstore_name_get(out, t, TRIB_KIND_DOMAIN, name, len)) != TRIB_ENOTFOUND)
		return rc;
	if ((rc = gstore_name_get(out, t, TRIB_KIND_TEAM, name, len)) != TRIB_ENOTFOUND)
		return rc;
	return trib_error_set(TRIB_ENOTFOUND, "'%s' is not a registered product, domain or team", name);
}

int graph_resolve(uint64_t *out, graph_txn *t, const char *ref)
{
	trib_ref r;
	trib_kind kind;
	char buf[TRIB_REF_MAX + 1];
	int rc = canonical(buf, sizeof buf, &kind, &r, ref);
	if (rc)
		return rc;
	if (kind == TRIB_KIND_BARE)
		return resolve_bare(out, t, buf);
	rc = gstore_name_get(out, t, kind, buf, strlen(buf));
	if (rc == TRIB_ENOTFOUND)
		return trib_error_set(TRIB_ENOTFOUND, "no %s '%s'", trib_kind_name(kind), buf);
	return rc;
}

int graph_node_get(graph_node *out, graph_txn *t, trib_arena *a, uint64_t id)
{
	gstore_node n;
	int rc = gstore_node_read(&n, t, id);
	if (rc)
		return rc;
	memset(out, 0, sizeof *out);
	out->id = id;
	out->kind = n.kind;
	if (!(out->ref = trib_arena_strndup(a, n.ref, n.ref_len)))
		return trib_error_last_code();
	out->domain = out->owner = "";
	if (n.kind == TRIB_KIND_DOMAIN) {
		out->domain = out->ref;
	} else if (n.kind == TRIB_KIND_PRODUCT || n.kind == TRIB_KIND_PORT || n.kind == TRIB_KIND_FIELD) {
		const char *slash = strchr(out->ref, '/');
		if (slash && !(out->domain = trib_arena_strndup(a, out->ref, (size_t)(slash - out->ref))))
			return trib_error_last_code();
		out->product = n.product;
		gstore_node p = n;
		if (n.kind != TRIB_KIND_PRODUCT && (rc = gstore_node_read(&p, t, n.product)) != 0)
			return rc;
		out->placeholder = (p.flags & GSTORE_FLAG_PLACEHOLDER) != 0;
		out->deprecated = (p.flags & GSTORE_FLAG_DEPRECATED) != 0;
		if (!(out->owner = trib_arena_strndup(a, p.owner, p.owner_len)))
			return trib_error_last_code();
	}
	return 0;
}
