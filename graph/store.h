/*
 * graph/store.h — private to graph/: the LMDB layout of a Tributary store and
 * the internals shared by the graph/ sources. Tests may include it to reach
 * the raw sub-databases (e.g. to break an edge on purpose).
 *
 * ============================== On-disk layout ==============================
 *
 * One LMDB environment per store directory (data.mdb, lock.mdb), twelve named
 * sub-databases. Integers marked "native" are host-order uint64_t used with
 * MDB_INTEGERKEY / MDB_INTEGERDUP (the store is not portable between
 * architectures of different byte order, like LMDB itself); "LE" integers are
 * little-endian byte strings; "BE" big-endian so that memcmp order is numeric
 * order. Ids are assigned by the store from meta.next_id, start at 1, are
 * never reused, and stay below 2^56 (the top byte of an adjacency value is the
 * edge kind). "pb" is a protobuf-c encoded tributary.v1 message.
 *
 * meta        key: ASCII name, no NUL               value:
 *               "format"        u32 LE  GRAPH_FORMAT_VERSION the store was created with;
 *                                      checked at open (TRIB_ECORRUPT on mismatch)
 *               "next_id"       u64 LE  next node id to hand out
 *               "next_seq"      u64 LE  next audit sequence number
 *               "placeholders"  u64 LE  number of placeholder products (for stats)
 *
 * names       key: [0] u8 trib_kind, [1..] canonical reference bytes (no NUL,
 *                  at most GSTORE_REF_MAX bytes, so the key fits LMDB's 511)
 *             value: u64 native node id
 *             Kind is part of the key because a domain and a team may share a name.
 *             Field nodes are product-level: "d/p#f", never "d/p:port#f".
 *
 * nodes       MDB_INTEGERKEY  key: u64 native node id
 *             value: packed node record, little-endian:
 *               off size
 *                 0    1  kind (trib_kind)
 *                 1    1  flags: bit 0 placeholder, bit 1 deprecated (product nodes only;
 *                         ports and fields take these from their product)
 *                 2    2  R = length of the reference (u16 LE)
 *                 4    2  O = length of the owner team name (u16 LE; product nodes, else 0)
 *                 6    2  reserved, 0
 *                 8    8  product id (u64 LE): port/field -> its product, product -> itself, else 0
 *                16    R  canonical reference (no NUL)
 *              16+R    O  owner team name (no NUL)
 *
 * products    MDB_INTEGERKEY  key: u64 native product node id
 *             value: pb DataProduct, the latest revision; for a placeholder a
 *             record with only name, domain and placeholder=true.
 *
 * revisions   key: u64 BE product id, u64 BE revision (16 bytes)
 *             value: pb DataProduct as stored by that registration/deprecation.
 *             Revisions count 1, 2, ...; all are kept while the product exists.
 *             Deleting a product deletes its revisions (the audit log keeps the
 *             record of the deletion); a later registration starts again at 1.
 *
 * byname      MDB_DUPSORT|MDB_DUPFIXED|MDB_INTEGERDUP
 *             key: product name (no domain, no NUL)  value: u64 native product id
 *             Every product node (placeholders too), for bare-name resolution.
 *
 * out, in     MDB_INTEGERKEY|MDB_DUPSORT|MDB_DUPFIXED|MDB_INTEGERDUP
 *             key: u64 native  node id for lineage edges (feeds, port-feeds,
 *                  field-read, field-feeds); node id | 2^63 (GSTORE_STRUCT_KEY)
 *                  for structural edges (has-port, has-field, owned-by,
 *                  in-domain, has-term) — always gstore_adj_key(id, kind)
 *             value: u64 native  (edge kind << 56) | neighbour id
 *             out holds from -> (kind, to); in holds to -> (kind, from). Every
 *             edge is in both. Values sort by kind, then neighbour, so one
 *             node's neighbours of a kind are contiguous; read them in pages with
 *             MDB_GET_MULTIPLE / MDB_NEXT_MULTIPLE.
 *             Why two keys per node: a lineage walk then reads exactly the
 *             lineage neighbours, in lists as short as a bare adjacency's (a
 *             product with one reader keeps a single value instead of a
 *             sub-page shared with its owner, domain and ports), and the
 *             structural lists sit together at the end of the tree.
 *
 * domains     key: domain name  value: pb Domain
 * terms       key: term name    value: pb GlossaryTerm
 *
 * audit       MDB_INTEGERKEY  key: u64 native sequence number (from meta.next_seq)
 *             value: pb AuditEntry
 * audit_by_node  MDB_INTEGERKEY|MDB_DUPSORT|MDB_DUPFIXED|MDB_INTEGERDUP
 *             key: u64 native node id  value: u64 native audit sequence number
 *             Entries stay after the node is deleted.
 *
 * Edge ownership (what re-registering product P replaces): the edges P's own
 * record implies — incoming FEEDS / PORT_FEEDS / FIELD_READ into P, incoming
 * FIELD_FEEDS into P's field nodes, and the structural edges going out of P
 * (HAS_PORT, HAS_FIELD, OWNED_BY, IN_DOMAIN, HAS_TERM) and out of P's ports
 * (HAS_FIELD). Lineage edges leaving P, its ports or fields belong to the
 * products that read them and stay.
 * ============================================================================
 */
#ifndef TRIBUTARY_GRAPH_STORE_H
#define TRIBUTARY_GRAPH_STORE_H

#include <lmdb.h>
#include <pthread.h>
#include <stdint.h>

#include "tributary/graph.h"

/* Longest canonical reference the names index accepts (key = 1 + ref <= 511). */
#define GSTORE_REF_MAX 500

#define GSTORE_NODE_HDR 16
#define GSTORE_FLAG_PLACEHOLDER 0x1u
#define GSTORE_FLAG_DEPRECATED 0x2u

#define GSTORE_ID_MASK ((UINT64_C(1) << 56) - 1)
#define GSTORE_STRUCT_KEY (UINT64_C(1) << 63)
#define GSTORE_LINEAGE_KINDS                                                                          \
	(GRAPH_EDGE_BIT(GRAPH_EDGE_FEEDS) | GRAPH_EDGE_BIT(GRAPH_EDGE_PORT_FEEDS) |                    \
	 GRAPH_EDGE_BIT(GRAPH_EDGE_FIELD_READ) | GRAPH_EDGE_BIT(GRAPH_EDGE_FIELD_FEEDS))
#define GSTORE_STRUCT_KINDS                                                                           \
	(GRAPH_EDGE_BIT(GRAPH_EDGE_HAS_PORT) | GRAPH_EDGE_BIT(GRAPH_EDGE_HAS_FIELD) |                  \
	 GRAPH_EDGE_BIT(GRAPH_EDGE_OWNED_BY) | GRAPH_EDGE_BIT(GRAPH_EDGE_IN_DOMAIN) |                  \
	 GRAPH_EDGE_BIT(GRAPH_EDGE_HAS_TERM))
#define GSTORE_ADJ(kind, id) (((uint64_t)(kind) << 56) | (id))
#define GSTORE_ADJ_KIND(v) ((unsigned)((v) >> 56))
#define GSTORE_ADJ_ID(v) ((v) & GSTORE_ID_MASK)

struct graph_store {
	MDB_env *env;
	MDB_dbi meta, names, nodes, products, revisions, byname, out, in, domains, terms, audit,
		audit_by_node;
	/* Shared by every open transaction of this process for its lifetime;
	 * taken exclusively to change the map size (LMDB requires that no
	 * transaction of this process is active then). */
	pthread_rwlock_t grow_lock;
	int read_only;
	char *dir;
};

struct graph_txn {
	graph_store *s;
	MDB_txn *txn;
	int writable;
	/* write txns: meta counters cached until commit (guarded by the LMDB writer lock) */
	int meta_loaded, meta_dirty;
	uint64_t next_id, next_seq, placeholders;
};

/* A node record decoded in place: ref and owner point into LMDB memory and are
 * valid only until the next write in, or the end of, the transaction. */
typedef struct gstore_node {
	trib_kind kind;
	unsigned flags;
	uint64_t product;
	const char *ref;
	size_t ref_len;
	const char *owner;
	size_t owner_len;
} gstore_node;

/* The one place LMDB return codes become TRIB_E* codes (with a message naming
 * `what`). Also remembers the raw code for graph_update's map-full retry. */
int gstore_mdb_err(int rc, const char *what);

/* Integer keys and values. */
static inline MDB_val gstore_u64_val(const uint64_t *v)
{
	MDB_val m = {sizeof *v, (void *)v};
	return m;
}

/* The out/in key under which node id keeps its edges of `kind`. */
static inline uint64_t gstore_adj_key(uint64_t id, unsigned kind)
{
	return (GSTORE_LINEAGE_KINDS >> kind) & 1 ? id : id | GSTORE_STRUCT_KEY;
}

int gstore_meta_load(graph_txn *t);
int gstore_next_id(uint64_t *out, graph_txn *t);
/* Adjust the placeholder counter kept in meta. */
int gstore_placeholders_add(graph_txn *t, int delta);

int gstore_node_decode(gstore_node *out, const MDB_val *v);
int gstore_node_read(gstore_node *out, graph_txn *t, uint64_t id);
int gstore_node_write(graph_txn *t, uint64_t id, const gstore_node *n);

/* names lookup: TRIB_ENOTFOUND (no message) when absent. */
int gstore_name_get(uint64_t *out, graph_txn *t, trib_kind kind, const char *ref, size_t len);

/* Find or create a node. For product nodes a placeholder is created (node,
 * names, byname, products record); ports and fields get their product created
 * first. *created (may be NULL) says whether a node was made; *placeholders
 * (may be NULL) is incremented per placeholder product made. */
int gstore_ensure(uint64_t *out, graph_txn *t, trib_kind kind, const char *ref, size_t len,
		  int *created, unsigned *placeholders);

/* Edge in both directions; *changed (may be NULL) = 1 when it was added/removed. */
int gstore_edge_add(graph_txn *t, uint64_t from, uint64_t to, unsigned kind, int *changed);
int gstore_edge_del(graph_txn *t, uint64_t from, uint64_t to, unsigned kind, int *changed);

/* Append an audit entry for node `id`. */
int gstore_audit_add(graph_txn *t, uint64_t id, const char *action, const char *ref, uint64_t revision,
		     const char *detail, const graph_put_opts *opts);

/* Store a message under key (MDB_RESERVE, packed in place). */
int gstore_pb_put(graph_txn *t, MDB_dbi dbi, MDB_val *key, const ProtobufCMessage *msg, const char *what);

/* Decode a message from LMDB memory into the arena (so it outlives the txn). */
int gstore_pb_decode(void **out, const ProtobufCMessageDescriptor *desc, const MDB_val *v, trib_arena *a,
		     const char *what);

int64_t gstore_now_ms(void);
const char *gstore_actor(const graph_put_opts *opts);

/* Product id and revision as a 16-byte big-endian revisions key. */
void gstore_rev_key(unsigned char key[16], uint64_t id, uint64_t rev);

#endif
