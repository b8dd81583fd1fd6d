/**
 * @file graph.h
 * @brief The LMDB-backed catalog and lineage graph store.
 *
 * One store is one LMDB environment in a directory. One writer and many
 * concurrent readers: every read happens inside a read transaction
 * (graph_read_begin), every change inside a write transaction
 * (graph_write_begin, or graph_update which also retries after growing the
 * map). All the writes of one registration happen in one transaction.
 *
 * Memory: everything a function hands back (records, references, traversal
 * results) is copied into the caller's arena; nothing points into LMDB pages,
 * so results stay valid after the transaction ends, until the arena is cleared.
 *
 * Threads: a graph_store is shared by all threads. A graph_txn belongs to the
 * thread that began it. The sub-database layout is documented in graph/store.h.
 */
#ifndef TRIBUTARY_GRAPH_H
#define TRIBUTARY_GRAPH_H

#include <stddef.h>
#include <stdint.h>

#include "tributary/arena.h"
#include "tributary/error.h"
#include "tributary/ref.h"
#include "tributary/v1/types.pb-c.h"

typedef Tributary__V1__DataProduct trib_product;
typedef Tributary__V1__Domain trib_domain;
typedef Tributary__V1__GlossaryTerm trib_term;
typedef Tributary__V1__AuditEntry trib_audit;

typedef struct graph_store graph_store;
typedef struct graph_txn graph_txn;

/** Format version stored in the store and checked at open. */
#define GRAPH_FORMAT_VERSION 2

/* ------------------------------------------------------------------ store */

typedef struct graph_open_opts {
	unsigned version;    /**< GRAPH_OPEN_OPTS_VERSION */
	size_t map_size;     /**< initial LMDB map size; 0 = 64 MiB. The map grows by itself. */
	unsigned max_readers;/**< 0 = 256 */
	int no_sync;         /**< 1 = do not fsync commits (bulk loads, tests). Default 0: durable. */
	int read_only;
} graph_open_opts;

#define GRAPH_OPEN_OPTS_VERSION 1
#define GRAPH_OPEN_OPTS_INIT {GRAPH_OPEN_OPTS_VERSION, 0, 0, 0, 0}

/**
 * Open (creating if needed) the store in directory `dir` (created if missing).
 * @param out receives the store; free with graph_close().
 * @return 0; TRIB_ECORRUPT when the stored format version differs (the message
 *         names both versions); TRIB_EIO when the directory cannot be used
 *         (TRIB_EDENIED when for lack of permission).
 */
int graph_open(graph_store **out, const char *dir, const graph_open_opts *opts);

/** Close the store. No transaction may be open. graph_close(NULL) is a no-op. */
void graph_close(graph_store *s);

/** Current LMDB map size in bytes. */
size_t graph_map_size(graph_store *s);

/** Force everything committed to disk (useful with no_sync). */
int graph_sync(graph_store *s);

/* ----------------------------------------------------------- transactions */

/** Begin a read transaction (a consistent snapshot). End it with graph_txn_abort(). */
int graph_read_begin(graph_txn **out, graph_store *s);

/**
 * Begin the write transaction (blocks while another writer is active).
 * Grows the map first when it is more than half used.
 */
int graph_write_begin(graph_txn **out, graph_store *s);

/** Commit a write transaction (durable on return unless no_sync). Frees txn either way. */
int graph_txn_commit(graph_txn *t);

/** Abort any transaction. graph_txn_abort(NULL) is a no-op. */
void graph_txn_abort(graph_txn *t);

/** 1 when the transaction can write. */
int graph_txn_writable(const graph_txn *t);

/**
 * Run fn in a write transaction and commit it. If the map fills up, the
 * transaction is aborted, the map grown, and fn run again: callers never see a
 * full map unless the disk is full. A non-zero return from fn aborts and is
 * returned unchanged.
 */
int graph_update(graph_store *s, int (*fn)(graph_txn *t, void *payload), void *payload);

/* ------------------------------------------------------------------ nodes */

/** Kinds of edge, stored in both directions. */
typedef enum graph_edge_kind {
	GRAPH_EDGE_NONE = 0,
	GRAPH_EDGE_FEEDS = 1,       /**< product or source -> product reading it (input port) */
	GRAPH_EDGE_PORT_FEEDS = 2,  /**< output port -> product whose input port names that port */
	GRAPH_EDGE_HAS_PORT = 3,    /**< product -> its output port */
	GRAPH_EDGE_HAS_FIELD = 4,   /**< port -> field of its schema (and product -> field not in any port) */
	GRAPH_EDGE_FIELD_READ = 5,  /**< upstream field -> product whose input port lists it */
	GRAPH_EDGE_FIELD_FEEDS = 6, /**< upstream field -> derived field (mapping, or same-name pass-through) */
	GRAPH_EDGE_OWNED_BY = 7,    /**< product -> team */
	GRAPH_EDGE_IN_DOMAIN = 8,   /**< product -> domain */
	GRAPH_EDGE_HAS_TERM = 9,    /**< product -> glossary term */
	GRAPH_EDGE_KIND_MAX = 9
} graph_edge_kind;

#define GRAPH_EDGE_BIT(k) (1u << (k))
#define GRAPH_EDGES_ALL 0u /**< as an edge mask: every kind */

/** "feeds", "port-feeds", "has-port", "has-field", "field-read", "field-feeds", "owned-by", "in-domain", "has-term". */
const char *graph_edge_kind_name(graph_edge_kind k);

typedef struct graph_node {
	uint64_t id;
	trib_kind kind;
	const char *ref;     /**< canonical reference (arena) */
	const char *domain;  /**< product, port, field: the product's domain; domain: its name; else "" */
	const char *owner;   /**< product, port, field: the product's owner team, "" if unknown */
	uint64_t product;    /**< port, field: id of its product; product: itself; else 0 */
	int placeholder;     /**< product referenced but not registered (and its ports/fields) */
	int deprecated;
} graph_node;

/** Describe node `id`. TRIB_ENOTFOUND when no such node. */
int graph_node_get(graph_node *out, graph_txn *t, trib_arena *a, uint64_t id);

/**
 * Resolve a reference to a node id. Bare names resolve to a product whose name
 * is unique across domains, else a domain, else a team. A field reference with
 * a port resolves to the product-level field node (`d/p:port#f` -> `d/p#f`).
 * @return 0; TRIB_EINVALID malformed (message says where); TRIB_ENOTFOUND;
 *         TRIB_ECONFLICT when a bare name matches products in several domains
 *         (the message names every candidate).
 */
int graph_resolve(uint64_t *out, graph_txn *t, const char *ref);

/** Find or create a node by canonical reference (write txn). Used by bulk loaders and tests. */
int graph_node_ensure(uint64_t *out, graph_txn *t, trib_kind kind, const char *ref);

/** Add one edge in both directions (write txn); adding an existing edge is a no-op. */
int graph_edge_put(graph_txn *t, uint64_t from, uint64_t to, graph_edge_kind kind);

typedef struct graph_edge {
	uint64_t from;
	uint64_t to;
	graph_edge_kind kind;
} graph_edge;

enum graph_dir { GRAPH_DOWN = 1, GRAPH_UP = 2, GRAPH_BOTH = 3 };

/**
 * Edges touching `id`: outgoing (GRAPH_DOWN), incoming (GRAPH_UP) or both,
 * restricted to the kinds in edge_mask (GRAPH_EDGES_ALL = every kind).
 * @param out array in the arena
 */
int graph_edges(graph_edge **out, size_t *count, graph_txn *t, trib_arena *a,
		uint64_t id, int direction, uint32_t edge_mask);

/* ---------------------------------------------------------------- products */

typedef struct graph_put_opts {
	unsigned version;    /**< GRAPH_PUT_OPTS_VERSION */
	const char *actor;   /**< who registers (registered_by, audit); NULL = "anonymous" */
	int64_t now_ms;      /**< 0 = current time */
} graph_put_opts;

#define GRAPH_PUT_OPTS_VERSION 1
#define GRAPH_PUT_OPTS_INIT {GRAPH_PUT_OPTS_VERSION, NULL, 0}

typedef struct graph_put_result {
	uint64_t id;
	uint64_t revision;
	int created;                 /**< first registration (a placeholder filled in counts) */
	unsigned placeholders_created;
	unsigned edges_added;
	unsigned edges_removed;
	trib_product *stored;        /**< the record as stored (arena) */
} graph_put_result;

/**
 * Register (upsert) a data product in a write transaction: validates names and
 * references, stores a new revision (previous revisions are kept), creates
 * placeholders for unregistered upstreams, and replaces exactly this product's
 * old upstream edges with the ones its input ports now imply.
 * The caller's record is not modified.
 * @return 0; TRIB_EINVALID with the field path in the message
 *         ("input_ports[1].source: ..."); TRIB_ECONFLICT for an ambiguous bare name.
 */
int graph_product_put(graph_put_result *out, graph_txn *t, trib_arena *a,
		      const trib_product *p, const graph_put_opts *opts);

/**
 * Fetch a product record: the latest (revision 0) or a given revision.
 * Placeholders come back with placeholder set and only name and domain.
 * @return 0; TRIB_ENOTFOUND.
 */
int graph_product_get(trib_product **out, graph_txn *t, trib_arena *a, uint64_t id, uint64_t revision);

/** Mark a product deprecated (a new revision). */
int graph_product_deprecate(trib_product **out, graph_txn *t, trib_arena *a, uint64_t id,
			    const char *note, const char *replacement, const graph_put_opts *opts);

typedef struct graph_delete_result {
	int placeholder_left;   /**< other products still read it */
	unsigned edges_removed;
} graph_delete_result;

/** Delete a product: its edges go; a placeholder stays if others still reference it. */
int graph_product_delete(graph_delete_result *out, graph_txn *t, uint64_t id, const graph_put_opts *opts);

typedef struct graph_list_opts {
	unsigned version;          /**< GRAPH_LIST_OPTS_VERSION */
	const char *domain;        /**< NULL/"" = any */
	const char *owner;
	const char *tag;
	int include_placeholders;
	uint64_t after_id;         /**< paging: start after this product id (0 = from the start) */
	size_t limit;              /**< 0 = 100 */
} graph_list_opts;

#define GRAPH_LIST_OPTS_VERSION 1
#define GRAPH_LIST_OPTS_INIT {GRAPH_LIST_OPTS_VERSION, NULL, NULL, NULL, 0, 0, 0}

typedef struct graph_product_page {
	trib_product **items;  /**< arena */
	uint64_t *ids;
	size_t count;
	uint64_t next_after;   /**< pass as after_id for the next page; 0 = no more */
} graph_product_page;

int graph_product_list(graph_product_page *out, graph_txn *t, trib_arena *a, const graph_list_opts *opts);

/** Revisions of a product newest first (limit 0 = all), and its audit entries newest first. */
int graph_history(trib_product ***revs, size_t *nrevs, trib_audit ***audit, size_t *naudit,
		  graph_txn *t, trib_arena *a, uint64_t id, size_t limit);

/* -------------------------------------------------------- domains, terms */

int graph_domain_put(graph_txn *t, const trib_domain *d, const graph_put_opts *opts);
int graph_domain_get(trib_domain **out, graph_txn *t, trib_arena *a, const char *name);
/** Domains in name order after `after` ("" = from the start); *next = last name returned when more remain, else NULL. */
int graph_domain_list(trib_domain ***out, size_t *count, const char **next, graph_txn *t,
		      trib_arena *a, const char *after, size_t limit);

int graph_term_put(graph_txn *t, const trib_term *term, const graph_put_opts *opts);
int graph_term_get(trib_term **out, graph_txn *t, trib_arena *a, const char *name);
int graph_term_list(trib_term ***out, size_t *count, const char **next, graph_txn *t,
		    trib_arena *a, const char *after, size_t limit);

/* -------------------------------------------------------------- traversal */

typedef struct graph_walk_opts {
	unsigned version;     /**< GRAPH_WALK_OPTS_VERSION */
	int direction;        /**< GRAPH_DOWN, GRAPH_UP or GRAPH_BOTH */
	uint32_t max_depth;   /**< 0 = unlimited */
	uint32_t edge_mask;   /**< GRAPH_EDGE_BIT()s to follow; GRAPH_EDGES_ALL = every kind */
	size_t max_nodes;     /**< 0 = unlimited; counts the start node */
	int64_t deadline_ms;  /**< CLOCK_MONOTONIC milliseconds; 0 = none */
} graph_walk_opts;

#define GRAPH_WALK_OPTS_VERSION 1
#define GRAPH_WALK_OPTS_INIT {GRAPH_WALK_OPTS_VERSION, GRAPH_DOWN, 0, GRAPH_EDGES_ALL, 0, 0}

typedef struct graph_visit {
	uint64_t id;
	uint64_t pred;       /**< node it was first reached from; 0 for the start */
	uint32_t depth;      /**< hops from the start */
	uint8_t edge_kind;   /**< kind of the edge followed to reach it */
	uint8_t dir;         /**< GRAPH_DOWN or GRAPH_UP: how that edge was followed */
} graph_visit;

typedef struct graph_walk_result {
	graph_visit *visits; /**< breadth-first order, visits[0] is the start (arena) */
	size_t count;
	int truncated;       /**< max_nodes or the deadline cut the result: more nodes were reachable */
	void *index;         /**< internal id -> position map, for graph_walk_find/path */
} graph_walk_result;

/**
 * Breadth-first traversal from `start`. Cycles terminate; every node appears
 * once, at its smallest depth, with one predecessor on a shortest path.
 */
int graph_walk(graph_walk_result *out, graph_txn *t, trib_arena *a, uint64_t start,
	       const graph_walk_opts *opts);

/** Position of node id in a walk result, or -1. */
long graph_walk_find(const graph_walk_result *w, uint64_t id);

/** The path start..visits[pos] as node ids (arena), following predecessors. */
int graph_walk_path(uint64_t **path, size_t *len, const graph_walk_result *w, trib_arena *a, size_t pos);

/* ------------------------------------------------------------ maintenance */

typedef struct graph_stats {
	size_t nodes, products, placeholders, edges, revisions, audit_entries;
	size_t map_size, map_used;
} graph_stats;

int graph_stats_get(graph_stats *out, graph_txn *t);

typedef struct graph_verify_report {
	size_t nodes_checked;
	size_t edges_checked;
	size_t records_checked;
	size_t problems;
	const char **messages;  /**< up to 100 problem descriptions (arena) */
	size_t nmessages;
} graph_verify_report;

/**
 * Check the store's invariants: every edge present in both directions, names
 * and nodes in one-to-one correspondence, every record decodable.
 * @return 0 when consistent, TRIB_ECORRUPT when problems were found (see report).
 */
int graph_verify(graph_verify_report *out, graph_txn *t, trib_arena *a);

#endif
